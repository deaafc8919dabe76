//! Running lag products over windows that start at chosen moments, and McLeod's normalized square difference.
//!
//! A *slot* sums `x[j] * x[j + lag]` for every pair of samples that both lie after the slot's start (one
//! multiply-add per lag and sample, added a run of samples at a time: [`products`]). Restarting a slot at an
//! attack gives, a moment later, a window holding only the new note; restarting slots in turn gives windows of
//! bounded age when no attack is known.
//! The NSDF `n(lag) = 2 r(lag) / m(lag)`, with `m` the energy of both sides of the pairs, is 1 for a perfectly
//! periodic window at its period whatever the window's length, so a window that grows from the attack can be
//! read as soon as it spans a little more than one period.

use super::{lobes, products};

/// Samples whose products wait to be added to the windows together, at most.
const PENDING_MAX: usize = 32;
/// Samples smaller than this (-300 dBFS) are stored as zeros. A filter's tail dying away in digital silence passes
/// through values whose products are subnormal floats, which cost the CPU a hundred times a normal multiply: a
/// window of them made a block of the pitch tracker take 60 us instead of 5 (1 % of guitar-dev's blocks, at
/// the ends of notes left to die into silence).
const NEGLIGIBLE: f32 = 1.0e-15;

/// One window: where it starts, its lag products and its NSDF as last computed.
struct Slot {
    /// Absolute index of the window's first sample.
    start: u64,
    /// `products[max_lag - lag]` = sum of `x[j] * x[j + lag]` over pairs inside the window (by descending lag,
    /// see [`products`]); the last, lag 0, unused. Up to date but for the samples pending.
    products: Box<[f32]>,
    /// NSDF by lag, valid for lags `1..=nsdf_upto` while the next sample's index is `nsdf_at`: a window read twice
    /// between two samples (by different rules) computes each lag once.
    nsdf: Box<[f32]>,
    nsdf_at: u64,
    nsdf_upto: usize,
}

impl Slot {
    /// Forgets the NSDF computed (the products changed other than by a new sample).
    fn invalidate(&mut self) {
        self.nsdf_upto = 0;
    }
}

/// How a window is read.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReadRules {
    /// A lag is tested once the window holds `min_pairs_ratio * lag` pairs for it, and at least `min_pairs`: a
    /// normalized product over a dozen samples comes out near 1 by chance (two partials of an attack beating
    /// in step for a millisecond), whatever the lag.
    pub min_pairs_ratio: f32,
    pub min_pairs: usize,
    /// McLeod's rule: the first NSDF peak reaching this fraction of the highest one is the period.
    pub peak_ratio: f32,
    /// The period is replaced by its double or triple when that lag's aperiodicity `1 - n` is below this
    /// fraction of the period's: the peak found was then a dominant harmonic, not the fundamental.
    pub multiple_ratio: f32,
    /// ... and when its NSDF value is higher by at least this much.
    pub multiple_margin: f32,
}

/// A pitch candidate read from a window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Reading {
    /// Period in samples of the decimated signal, interpolated.
    pub period: f32,
    /// NSDF value at the period: 1 = perfectly periodic.
    pub clarity: f32,
    /// Largest lag whose NSDF was computed (enough pairs in the window).
    pub lags_tested: usize,
    /// Samples in the window read.
    pub window: usize,
    /// Mean square of the window read.
    pub mean_square: f32,
    /// Share of that mean square that is the note, not the noise floor (1 when unknown; set by the tracker).
    pub note_share: f32,
    /// NSDF value at twice the period, if that lag was tested; else `NAN`-free 0 with `double_tested` false.
    pub double_clarity: f32,
    pub double_tested: bool,
}

impl Reading {
    /// Whichever of `self` and `kept` has the clearer note.
    pub fn note_clearer(self, kept: Option<Reading>) -> Reading {
        match kept {
            Some(k) if k.note_clarity() >= self.note_clarity() => k,
            _ => self,
        }
    }

    /// Clarity of the note itself: the NSDF value with the noise floor's share of the energy divided out.
    pub fn note_clarity(&self) -> f32 {
        if self.note_share > 0.0 {
            (self.clarity / self.note_share).min(1.0)
        } else {
            self.clarity
        }
    }
}

/// History of the decimated signal, its energy prefix sums, and the running windows.
pub(super) struct LagBank {
    max_lag: usize,
    min_lag: usize,
    /// Decimated samples; `history[i]` has absolute index `base + i`.
    history: Box<[f32]>,
    /// `energy[i]` = sum of squares of `history[..i]`, in f64 so that differences stay exact enough.
    energy: Box<[f64]>,
    len: usize,
    base: u64,
    /// Samples kept when the history is compacted: the oldest window and the longest lag must still fit.
    keep: usize,
    slots: Box<[Slot]>,
    /// The newest samples whose products are not yet in the windows' sums (they are added a run at a time).
    pending: usize,
}

impl LagBank {
    /// `slots` windows; lags `min_lag..=max_lag` are candidates; windows are never older than `max_age` samples.
    pub(super) fn new(slots: usize, min_lag: usize, max_lag: usize, max_age: usize) -> Self {
        let max_lag = max_lag.max(4);
        let min_lag = min_lag.clamp(2, max_lag - 2);
        let keep = max_age.max(max_lag) + 2;
        let capacity = 4 * keep;
        Self {
            max_lag,
            min_lag,
            history: vec![0.0; capacity].into_boxed_slice(),
            energy: vec![0.0; capacity + 1].into_boxed_slice(),
            len: 0,
            base: 0,
            keep,
            pending: 0,
            slots: (0..slots.max(1))
                .map(|_| Slot {
                    start: 0,
                    products: vec![0.0; max_lag + 1].into_boxed_slice(),
                    nsdf: vec![0.0; max_lag + 1].into_boxed_slice(),
                    nsdf_at: 0,
                    nsdf_upto: 0,
                })
                .collect(),
        }
    }

    /// Absolute index the next pushed sample will get.
    pub(super) fn next_index(&self) -> u64 {
        self.base + self.len as u64
    }

    /// Number of windows.
    pub(super) fn slots(&self) -> usize {
        self.slots.len()
    }

    /// The signal `delay` samples before the newest sample, linearly interpolated (0 beyond the history).
    pub(super) fn past(&self, delay: f32) -> f32 {
        let delay = delay.max(0.0);
        let whole = delay as usize;
        let frac = delay - whole as f32;
        let at = |d: usize| {
            self.len
                .checked_sub(1 + d)
                .and_then(|i| self.history.get(i))
                .copied()
                .unwrap_or(0.0)
        };
        at(whole) + frac * (at(whole + 1) - at(whole))
    }

    /// Start of window `slot`.
    pub(super) fn start(&self, slot: usize) -> u64 {
        self.slots.get(slot).map_or(0, |s| s.start)
    }

    /// Restarts window `slot` so that its first sample is the next one pushed.
    pub(super) fn restart(&mut self, slot: usize) {
        self.flush();
        let next = self.next_index();
        if let Some(s) = self.slots.get_mut(slot) {
            s.start = next;
            s.products.fill(0.0);
            s.invalidate();
        }
    }

    /// Appends one sample; its products are added to every window with those of the next few samples.
    pub(super) fn push(&mut self, x: f32) {
        let x = if x.abs() < NEGLIGIBLE { 0.0 } else { x };
        if self.len == self.history.len() {
            self.flush();
            self.compact();
        }
        let Some(last_energy) = self.energy.get(self.len).copied() else {
            return;
        };
        if let (Some(h), Some(e)) = (
            self.history.get_mut(self.len),
            self.energy.get_mut(self.len + 1),
        ) {
            *h = x;
            *e = last_energy + f64::from(x) * f64::from(x);
        }
        self.len += 1;
        self.pending += 1;
        if self.pending >= PENDING_MAX {
            self.flush();
        }
    }

    /// Adds the products of the pending samples to every window.
    fn flush(&mut self) {
        let first = self.len.saturating_sub(core::mem::take(&mut self.pending));
        if first == self.len {
            return;
        }
        let Some(history) = self.history.get(..self.len) else {
            return;
        };
        for slot in &mut self.slots {
            // lags whose earlier sample is inside the window: now - lag >= start
            let window_start = slot.start.saturating_sub(self.base) as usize;
            products::add_run(
                &mut slot.products,
                history,
                first,
                self.len,
                window_start,
                self.max_lag,
            );
        }
    }

    /// Drops old history, keeping the last `keep` samples.
    fn compact(&mut self) {
        let drop = self.len.saturating_sub(self.keep);
        self.history.copy_within(drop..self.len, 0);
        let offset = self.energy.get(drop).copied().unwrap_or(0.0);
        self.energy.copy_within(drop..=self.len, 0);
        for e in &mut self.energy[..=self.len - drop] {
            *e -= offset;
        }
        self.len -= drop;
        self.base += drop as u64;
        // A window older than the kept history cannot occur (ages are bounded by `keep`), but keep it consistent.
        for slot in &mut self.slots {
            if slot.start < self.base {
                slot.start = self.base;
                slot.products.fill(0.0);
                slot.invalidate();
            }
        }
    }

    /// The oldest window that started at or after `start` (window 0 if none did).
    pub(super) fn oldest_since(&self, start: u64) -> usize {
        (0..self.slots())
            .filter(|&s| self.start(s) >= start)
            .min_by_key(|&s| self.start(s))
            .unwrap_or(0)
    }

    /// The clearest candidate with a period in `periods` of the windows started at or after `since` and younger
    /// than `young` samples, read by `rules`; and the largest lag `full` rules could test in any window started
    /// since then.
    pub(super) fn preview(
        &mut self,
        since: u64,
        young: f32,
        periods: core::ops::RangeInclusive<f32>,
        full: &ReadRules,
        rules: &ReadRules,
    ) -> (Option<Reading>, usize) {
        let mut best: Option<Reading> = None;
        let mut tested = 0;
        for slot in 0..self.slots() {
            if self.start(slot) < since {
                continue;
            }
            tested = tested.max(self.testable(slot, full));
            if self.age(slot) as f32 >= young {
                continue;
            }
            if let Some(r) = self.read(slot, rules)
                && periods.contains(&r.period)
                && best.is_none_or(|b| b.clarity < r.clarity)
            {
                best = Some(r);
            }
        }
        (best, tested)
    }

    /// Samples in window `slot`.
    pub(super) fn age(&self, slot: usize) -> usize {
        (self.next_index().saturating_sub(self.start(slot))) as usize
    }

    /// Mean square of window `slot`.
    pub(super) fn mean_square(&self, slot: usize) -> f32 {
        let age = self.age(slot).min(self.len);
        if age == 0 {
            return 0.0;
        }
        let e = self.energy.get(self.len).copied().unwrap_or(0.0)
            - self.energy.get(self.len - age).copied().unwrap_or(0.0);
        (e / age as f64) as f32
    }

    /// The largest lag window `slot` holds enough pairs for under `rules`.
    pub(super) fn testable(&self, slot: usize, rules: &ReadRules) -> usize {
        let age = self.age(slot).min(self.len);
        // lags with age - lag >= ratio * lag  <=>  lag <= age / (1 + ratio)
        ((age as f32 / (1.0 + rules.min_pairs_ratio)) as usize)
            .min(self.max_lag)
            .min(age.saturating_sub(rules.min_pairs.max(4)))
    }

    /// Reads a pitch from window `slot` (see [`ReadRules`]).
    pub(super) fn read(&mut self, slot: usize, rules: &ReadRules) -> Option<Reading> {
        let ReadRules {
            min_pairs_ratio: _,
            min_pairs: _,
            peak_ratio,
            multiple_ratio,
            multiple_margin,
        } = *rules;
        let age = self.age(slot).min(self.len);
        let tested = self.testable(slot, rules);
        if tested < self.min_lag + 1 {
            return None;
        }
        self.flush();
        let end = self.len;
        let first = end - age;
        let e = |i: usize| self.energy.get(i).copied().unwrap_or(0.0);
        let total = e(end) - e(first);
        if total.is_nan() || total <= 1.0e-12 {
            return None;
        }
        let next = self.next_index();
        let window = self.slots.get_mut(slot)?;
        if window.nsdf_at != next {
            window.nsdf_at = next;
            window.nsdf_upto = 0;
        }
        let from = window.nsdf_upto + 1;
        if from <= tested {
            // pairs j in [first, end - lag): left side [first, end - lag), right side [first + lag, end)
            let (Some(out), Some(products), Some(right), Some(left)) = (
                window.nsdf.get_mut(from..=tested),
                window
                    .products
                    .get(self.max_lag - tested..=self.max_lag - from),
                self.energy.get(first + from..=first + tested),
                self.energy.get(end - tested..=end - from),
            ) else {
                return None;
            };
            let (e_first, e_end) = (e(first), e(end));
            for (((n, &r), &right), &left) in out
                .iter_mut()
                .zip(products.iter().rev())
                .zip(right)
                .zip(left.iter().rev())
            {
                let m = (left - e_first) + (e_end - right);
                // divided whatever `m` (then discarded), so that the loop runs two lags per instruction
                let value = (2.0 * f64::from(r) / m) as f32;
                *n = if m > 1.0e-12 { value } else { 0.0 };
            }
            window.nsdf_upto = tested;
        }
        let n = window.nsdf.get(..=tested)?;

        // Positive lobes after the first negative excursion; the maximum of each.
        let mut found = [(0usize, 0.0f32); lobes::MAX_LOBES];
        let lobes = lobes::positive_lobes(n, tested, &mut found);
        let highest = lobes
            .iter()
            .filter(|l| l.0 >= self.min_lag)
            .map(|l| l.1)
            .fold(0.0f32, f32::max);
        if highest <= 0.0 {
            return None;
        }
        let &(peak, _) = lobes
            .iter()
            .find(|l| l.0 >= self.min_lag && l.1 >= peak_ratio * highest)?;
        let (mut period, mut clarity) = interpolate(n, peak);
        // A much more periodic peak at twice or three times the lag means the peak found is a strong harmonic.
        for multiple in [2.0f32, 3.0] {
            let Some((at, value)) = peak_near(n, multiple * period, tested) else {
                continue;
            };
            if 1.0 - value < multiple_ratio * (1.0 - clarity) && value - clarity > multiple_margin {
                (period, clarity) = interpolate(n, at);
                break;
            }
        }
        let double = (2.0 * period).round() as usize;
        let (double_clarity, double_tested) = if double < tested {
            let lo = double.saturating_sub(2).max(1);
            let hi = (double + 2).min(tested);
            (n[lo..=hi].iter().copied().fold(-1.0f32, f32::max), true)
        } else {
            (0.0, false)
        };
        Some(Reading {
            period,
            clarity,
            lags_tested: tested,
            window: age,
            mean_square: (total / age as f64) as f32,
            note_share: 1.0,
            double_clarity,
            double_tested,
        })
    }
}

/// Whether period `long` is `times` (one of them) the period `short`, within `tolerance` (a fraction).
pub(super) fn is_multiple(
    long: f32,
    short: f32,
    times: core::ops::RangeInclusive<u8>,
    tolerance: f32,
) -> bool {
    times
        .map(f32::from)
        .any(|k| (long / (k * short) - 1.0).abs() < tolerance)
}

/// The highest NSDF value within two lags of `lag`, if that neighbourhood was tested and is a local peak.
fn peak_near(n: &[f32], lag: f32, tested: usize) -> Option<(usize, f32)> {
    let centre = lag.round() as usize;
    let (lo, hi) = (centre.saturating_sub(2).max(1), centre + 2);
    if hi + 1 > tested {
        return None;
    }
    let (at, value) = (lo..=hi)
        .map(|i| (i, n.get(i).copied().unwrap_or(-1.0)))
        .fold((lo, -1.0f32), |a, b| if b.1 > a.1 { b } else { a });
    (value > 0.0 && at > lo && at < hi).then_some((at, value))
}

/// Parabolic interpolation of the peak of `n` at `i`: (position, value).
#[inline]
fn interpolate(n: &[f32], i: usize) -> (f32, f32) {
    let (Some(&a), Some(&b), Some(&c)) = (n.get(i.wrapping_sub(1)), n.get(i), n.get(i + 1)) else {
        return (i as f32, n.get(i).copied().unwrap_or(0.0));
    };
    let (shift, value) = parabola_peak(a, b, c);
    (i as f32 + shift, value)
}

/// The vertex of the parabola through the values `a`, `b`, `c` of three neighbouring lags: its offset from the
/// middle lag (within half a lag) and its value; the middle one when the three do not bend down.
#[inline]
pub(super) fn parabola_peak(a: f32, b: f32, c: f32) -> (f32, f32) {
    let curvature = a - 2.0 * b + c;
    if curvature.is_nan() || curvature >= 0.0 {
        return (0.0, b);
    }
    let shift = (0.5 * (a - c) / curvature).clamp(-0.5, 0.5);
    (shift, b - 0.25 * (a - c) * shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: ReadRules = ReadRules {
        min_pairs_ratio: 0.5,
        min_pairs: 16,
        peak_ratio: 0.9,
        multiple_ratio: 0.5,
        multiple_margin: 0.04,
    };

    fn bank_with(samples: impl Iterator<Item = f32>) -> LagBank {
        let mut bank = LagBank::new(1, 2, 170, 400);
        bank.restart(0);
        samples.for_each(|x| bank.push(x));
        bank
    }

    #[test]
    fn no_lag_is_judged_on_fewer_pairs_than_the_minimum() {
        let bank_of = |n: usize| bank_with((0..n).map(|i| (i as f32 * 0.7).sin()));
        for n in [20usize, 30, 45] {
            let tested = bank_of(n).read(0, &RULES).map_or(0, |r| r.lags_tested);
            assert!(
                tested + 16 <= n,
                "a {n}-sample window tested lags up to {tested}"
            );
        }
    }

    #[test]
    fn a_sinusoid_is_read_at_its_period_once_the_window_holds_enough_pairs() {
        let period = 12.5f32;
        let mut bank =
            bank_with((0..40).map(|i| (core::f32::consts::TAU * i as f32 / period).sin()));
        let reading = bank.read(0, &RULES).expect("no reading from 40 samples");
        assert!(
            (reading.period - period).abs() < 0.3 && reading.clarity > 0.95,
            "{reading:?}"
        );
    }

    #[test]
    fn a_window_read_twice_between_samples_reads_as_a_window_read_once() {
        // The second read of a window between two samples reuses the lags the first computed; readings must be
        // those of a bank read only once, sample after sample, across restarts.
        let loose = ReadRules {
            min_pairs_ratio: 0.25,
            ..RULES
        };
        let mut twice = LagBank::new(2, 2, 170, 400);
        let mut once_strict = LagBank::new(2, 2, 170, 400);
        let mut once_loose = LagBank::new(2, 2, 170, 400);
        let mut state = 7u32;
        for i in 0..1500 {
            if i % 300 == 0 {
                for bank in [&mut twice, &mut once_strict, &mut once_loose] {
                    bank.restart((i / 300) % 2);
                }
            }
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let hiss = state as f32 / u32::MAX as f32 - 0.5;
            let period = if i < 700 { 37.3 } else { 23.9 };
            let x = (core::f32::consts::TAU * i as f32 / period).sin() + 0.3 * hiss;
            for bank in [&mut twice, &mut once_strict, &mut once_loose] {
                bank.push(x);
            }
            for slot in 0..2 {
                let (first, second) = if i % 2 == 0 {
                    (&loose, &RULES)
                } else {
                    (&RULES, &loose)
                };
                let a = twice.read(slot, first);
                let b = twice.read(slot, second);
                let (strict, relaxed) = (
                    once_strict.read(slot, &RULES),
                    once_loose.read(slot, &loose),
                );
                let (expect_a, expect_b) = if i % 2 == 0 {
                    (relaxed, strict)
                } else {
                    (strict, relaxed)
                };
                assert_eq!((a, b), (expect_a, expect_b), "sample {i}, window {slot}");
            }
        }
    }

    #[test]
    fn a_tail_dying_into_digital_silence_leaves_no_subnormal_product() {
        // a tail falling 1 dB a sample from 1e-14; the window restarts in it, where its products are subnormal
        let tail = |i: i32| 1.0e-14 * 0.891f32.powi(i) * if i % 2 == 0 { 1.0 } else { -1.0 };
        let mut bank = bank_with((0..100).map(tail));
        bank.restart(0);
        (100..300).map(tail).for_each(|x| bank.push(x));
        bank.flush();
        let products = &bank.slots[0].products;
        assert!(
            products.iter().all(|p| !p.is_subnormal()),
            "a subnormal product"
        );
        assert!(bank.history[..bank.len].iter().all(|x| !x.is_subnormal()));
        assert!(
            bank.read(0, &RULES).is_none(),
            "a vanishing tail is no pitch"
        );
    }
}
