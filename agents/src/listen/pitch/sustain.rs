//! A note going on under hiss: the periodicity at the last note's period over a long, fading window.
//!
//! The tracker's windows are a few tens of milliseconds long, so that a new note is read without the old one. A
//! note ringing away into hiss falls below what such a window can tell from the hiss's chance periodicity while it
//! is still plainly there: independent noise averages out of a lag product as the window grows (each doubling of
//! the window gains 3 dB), while the note's own product adds up. This window fades with a time constant of
//! [`WINDOW_SECONDS`], several times the others' length, and is only read at the lags around the period of the note
//! already voiced: it never names a new pitch, it only tells whether the note heard is still sounding.
//!
//! The sums are the fading ones of McLeod's NSDF: `r(lag) = sum a^(n-j) x[j] x[j-lag]` and
//! `m(lag) = E(n) + E(n-lag)`, with `E` the fading energy, so a steady periodic signal reads 1 at its period.

use super::nsdf::{Reading, parabola_peak};

/// Time constant (seconds) with which the window fades: four times the length of the longest of the short windows
/// (6 dB more of a weak periodic signal over the hiss), short enough that a note damped under the hiss leaves
/// it within the tenth of a second after its end.
pub(super) const WINDOW_SECONDS: f32 = 0.06;
/// Time constant (seconds) of the recent level, which tells whether the note is still sounding now: a note damped
/// under the hiss stays periodic in the long window for a while after it has ended, but its recent level is then
/// the hiss's.
const RECENT_SECONDS: f32 = 0.01;
/// Stored values below this are zeros: fading sums in silence would otherwise become subnormal and slow.
const NEGLIGIBLE: f32 = 1.0e-30;
/// Samples smaller than this (-300 dBFS) are taken as zeros, so that no product of two of them is subnormal (a
/// filter's tail dying away in digital silence passes through such values).
const NEGLIGIBLE_SAMPLE: f32 = 1.0e-15;

/// Fading lag products and energies of the analysed signal.
pub(super) struct LongWindow {
    /// The last `span` samples twice over, newest first from `history[pos]` (and from `history[pos + span]`), so
    /// that the samples `1..span` lags before the next one are `history[pos..pos + span - 1]`, in the order of the
    /// products they add to.
    history: Box<[f32]>,
    /// Fading energy after each of the last `span` samples (`energies[pos]` the newest, `energies[pos + k]` the
    /// one `k` samples earlier, modulo `span`).
    energies: Box<[f32]>,
    span: usize,
    pos: usize,
    /// `products[lag]`, divided by the fading since the block began (`scale` undoes it; index 0 unused).
    products: Box<[f32]>,
    scale: f32,
    /// Fading per sample, and its inverse.
    decay: f32,
    growth: f32,
    /// Fading energy after the newest sample.
    energy: f32,
    /// Mean square over the last [`RECENT_SECONDS`] or so, and the weight of a sample in it.
    recent: f32,
    recent_weight: f32,
}

impl LongWindow {
    /// For a signal sampled at `rate` Hz, periods up to `max_lag` samples.
    pub(super) fn new(rate: f32, max_lag: usize) -> Self {
        let span = max_lag.max(4) + 2;
        let decay = (-1.0 / (WINDOW_SECONDS * rate.max(1.0))).exp();
        Self {
            history: vec![0.0; 2 * span].into_boxed_slice(),
            energies: vec![0.0; span].into_boxed_slice(),
            span,
            pos: 0,
            products: vec![0.0; span].into_boxed_slice(),
            scale: 1.0,
            decay,
            growth: 1.0 / decay,
            energy: 0.0,
            recent: 0.0,
            recent_weight: 1.0 - (-1.0 / (RECENT_SECONDS * rate.max(1.0))).exp(),
        }
    }

    /// Takes one sample.
    #[inline]
    pub(super) fn push(&mut self, x: f32) {
        let x = if x.is_finite() && x.abs() >= NEGLIGIBLE_SAMPLE {
            x
        } else {
            0.0
        };
        let span = self.span;
        self.scale *= self.growth;
        let weighted = x * self.scale;
        if let (Some(past), Some(dest)) = (
            self.history.get(self.pos..self.pos + span - 1),
            self.products.get_mut(1..span),
        ) {
            for (d, p) in dest.iter_mut().zip(past) {
                *d += weighted * p;
            }
        }
        self.pos = (self.pos + span - 1) % span;
        self.energy = self.decay * self.energy + x * x;
        self.recent += self.recent_weight * (x * x - self.recent);
        if let Some(e) = self.energies.get_mut(self.pos) {
            *e = self.energy;
        }
        for at in [self.pos, self.pos + span] {
            if let Some(h) = self.history.get_mut(at) {
                *h = x;
            }
        }
    }

    /// Brings the stored products to their true values; call once per block, before reading.
    pub(super) fn end_block(&mut self) {
        let undo = 1.0 / self.scale;
        self.scale = 1.0;
        for p in self.products.iter_mut() {
            *p *= undo;
            if !p.is_finite() || p.abs() < NEGLIGIBLE {
                *p = 0.0;
            }
        }
        if !self.energy.is_finite() || self.energy < NEGLIGIBLE {
            self.energy = 0.0;
        }
        if !self.recent.is_finite() || self.recent < NEGLIGIBLE {
            self.recent = 0.0;
        }
        for e in self.energies.iter_mut() {
            if !e.is_finite() || *e < NEGLIGIBLE {
                *e = 0.0;
            }
        }
    }

    /// Mean square of the window (the fading energy's weighted mean).
    pub(super) fn mean_square(&self) -> f32 {
        self.energy * (1.0 - self.decay)
    }

    /// Mean square over the last [`RECENT_SECONDS`] or so.
    pub(super) fn recent_mean_square(&self) -> f32 {
        self.recent
    }

    /// NSDF at `lag` (0 where the window holds nothing).
    fn nsdf(&self, lag: usize) -> f32 {
        let (Some(&r), Some(&past)) = (
            self.products.get(lag),
            self.energies.get((self.pos + lag) % self.span),
        ) else {
            return 0.0;
        };
        let m = self.energy + past;
        if m > NEGLIGIBLE && r.is_finite() {
            2.0 * r / m
        } else {
            0.0
        }
    }

    /// The NSDF peak nearest `period` (samples), within `tolerance` (a fraction) of it: period and clarity.
    pub(super) fn read_near(&self, period: f32, tolerance: f32) -> Option<Reading> {
        if !period.is_finite() || period < 2.0 {
            return None;
        }
        let lo = ((period * (1.0 - tolerance)).floor() as usize).max(2);
        let hi = ((period * (1.0 + tolerance)).ceil() as usize).min(self.span - 2);
        let (peak, value) = (lo..=hi)
            .map(|lag| (lag, self.nsdf(lag)))
            .filter(|&(lag, v)| v >= self.nsdf(lag - 1) && v >= self.nsdf(lag + 1))
            .fold(None, |best: Option<(usize, f32)>, c| match best {
                Some(b) if b.1 >= c.1 => Some(b),
                _ => Some(c),
            })?;
        let (shift, clarity) = parabola_peak(self.nsdf(peak - 1), value, self.nsdf(peak + 1));
        let found = peak as f32 + shift;
        ((found / period - 1.0).abs() <= tolerance && clarity > 0.0).then_some(Reading {
            period: found,
            clarity,
            lags_tested: hi,
            window: (1.0 / (1.0 - self.decay).max(1.0e-9)) as usize,
            mean_square: self.mean_square(),
            note_share: 1.0,
            double_clarity: 0.0,
            double_tested: true,
        })
    }
}

/// The note may be read on after at most this long (seconds) unvoiced or voiced at another pitch.
const GAP_SECONDS: f32 = 0.03;
/// A pitch voiced this long (seconds) on end replaces the note read on: under hiss the short windows may read a
/// chance pitch for a few milliseconds (their windows overlap), while the note goes on under it.
const CONFIRM_SECONDS: f32 = 0.01;

/// Which note the long window may read on: the first pitch voiced twice on end since the last attack (not held over
/// it), or a later one voiced for [`CONFIRM_SECONDS`] on end; none before any attack (what sounds without one,
/// mains hum or a chance pitch of the hiss, is not read on), once the note is heard damped, once the long window no
/// longer hears it, or after [`GAP_SECONDS`] without it.
pub(super) struct SustainedNote {
    /// Pitch of the note (0 for none).
    hz: f32,
    /// The notes since the last attack may be read on (no damping heard since).
    armed: bool,
    /// Blocks since the note was last voiced, and [`GAP_SECONDS`] in blocks.
    gap: u32,
    gap_blocks: u32,
    /// Blocks the pitch last voiced has been voiced on end, and [`CONFIRM_SECONDS`] in blocks.
    run: u32,
    confirm_blocks: u32,
}

impl SustainedNote {
    /// For blocks of `block_seconds`.
    pub(super) fn new(block_seconds: f32) -> Self {
        let blocks = |seconds: f32| (seconds / block_seconds.max(1.0e-5)).ceil() as u32;
        Self {
            hz: 0.0,
            armed: false,
            gap: 0,
            gap_blocks: blocks(GAP_SECONDS),
            run: 0,
            confirm_blocks: blocks(CONFIRM_SECONDS).max(2),
        }
    }

    /// A note was attacked: its pitch is the next to be read on.
    pub(super) fn attack(&mut self) {
        self.hz = 0.0;
        self.armed = true;
    }

    /// The note sounding was heard damped: nothing is read on until the next attack.
    pub(super) fn damped(&mut self) {
        self.armed = false;
    }

    /// The long window no longer hears the note.
    pub(super) fn lost(&mut self) {
        self.hz = 0.0;
    }

    /// The tracker voiced `hz` (0 for unvoiced) after `last_hz`; `held` if it only held the pitch before an attack.
    /// Pitches within `tolerance` (a fraction) are the same.
    pub(super) fn follow(&mut self, hz: f32, last_hz: f32, held: bool, tolerance: f32) {
        let same = |a: f32, b: f32| a > 0.0 && b > 0.0 && (a / b - 1.0).abs() < tolerance;
        self.run = match (held, hz > 0.0) {
            (false, true) if same(hz, last_hz) => self.run.saturating_add(1),
            (false, true) => 1,
            _ => 0,
        };
        let first = self.hz <= 0.0 && self.run >= 2;
        if !held && (same(hz, self.hz) || first || self.run >= self.confirm_blocks) {
            self.hz = hz;
            self.gap = 0;
        } else {
            self.gap = self.gap.saturating_add(1);
        }
    }

    /// The note's pitch, if it may be read on.
    pub(super) fn hz(&self) -> Option<f32> {
        (self.armed && self.hz > 0.0 && self.gap <= self.gap_blocks).then_some(self.hz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 12_000.0;

    fn fed(samples: impl Iterator<Item = f32>) -> LongWindow {
        let mut window = LongWindow::new(RATE, 170);
        for (i, x) in samples.enumerate() {
            window.push(x);
            if i % 16 == 15 {
                window.end_block();
            }
        }
        window.end_block();
        window
    }

    fn noise(seed: u32) -> impl Iterator<Item = f32> {
        let mut state = seed;
        core::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 * 2.0 - 1.0
        })
    }

    #[test]
    fn a_steady_tone_reads_its_period_and_a_clarity_near_one() {
        let period = 37.3f32;
        let tone = (0..6000).map(|i| (core::f32::consts::TAU * i as f32 / period).sin());
        let reading = fed(tone).read_near(36.5, 0.03).expect("no peak");
        assert!((reading.period - period).abs() < 0.2, "{reading:?}");
        assert!(reading.clarity > 0.98, "{reading:?}");
    }

    #[test]
    fn a_tone_ten_db_under_white_noise_is_still_heard_and_the_noise_alone_is_not() {
        // A tone at -10 dB under white noise holds about 9 % of the energy, which a window of this length reads
        // well above the noise's chance products (a few hundredths).
        let period = 52.0f32;
        // uniform noise in -1..1 has a mean square of 1/3, a sinusoid of amplitude g one of g^2 / 2
        let gain = (2.0f32 / 3.0 * 0.1).sqrt();
        let mixed = (0..12_000)
            .zip(noise(9))
            .map(|(i, n)| gain * (core::f32::consts::TAU * i as f32 / period).sin() + n);
        let heard = fed(mixed)
            .read_near(period, 0.03)
            .map_or(0.0, |r| r.clarity);
        assert!(heard > 0.06, "tone under noise read {heard}");
        let alone = fed(noise(9).take(12_000))
            .read_near(period, 0.03)
            .map_or(0.0, |r| r.clarity);
        assert!(alone < 0.05, "noise alone read {alone}");
    }

    #[test]
    fn broken_input_and_silence_leave_finite_sums() {
        let window = fed([f32::NAN, f32::INFINITY, 1.0e-20]
            .into_iter()
            .chain(core::iter::repeat_n(0.0, 50_000)));
        assert!(
            window
                .products
                .iter()
                .all(|p| p.is_finite() && !p.is_subnormal())
        );
        assert!(window.read_near(40.0, 0.03).is_none());
    }

    /// A note at 220 Hz followed for `blocks` blocks after an attack.
    fn following_a(blocks: u32) -> SustainedNote {
        let mut note = SustainedNote::new(BLOCK_SECONDS);
        note.attack();
        let mut last = 0.0;
        for _ in 0..blocks {
            note.follow(220.0, last, false, 0.03);
            last = 220.0;
        }
        note
    }

    const BLOCK_SECONDS: f32 = 64.0 / 48_000.0;

    #[test]
    fn a_chance_pitch_for_a_few_blocks_leaves_the_note_and_one_that_lasts_replaces_it() {
        let mut note = following_a(20);
        assert_eq!(note.hz(), Some(220.0));
        let mut last = 220.0;
        for _ in 0..5 {
            note.follow(317.0, last, false, 0.03);
            last = 317.0;
        }
        assert_eq!(note.hz(), Some(220.0), "5 blocks (7 ms) of another pitch");
        note.follow(0.0, last, false, 0.03);
        assert_eq!(note.hz(), Some(220.0), "read on after the chance pitch");
        for _ in 0..8 {
            note.follow(317.0, last, false, 0.03);
            last = 317.0;
        }
        assert_eq!(note.hz(), Some(317.0), "8 blocks (11 ms) of another pitch");
    }

    #[test]
    fn nothing_is_read_on_before_an_attack_after_a_damping_or_after_a_long_gap() {
        let mut note = SustainedNote::new(BLOCK_SECONDS);
        note.follow(120.0, 120.0, false, 0.03);
        note.follow(120.0, 120.0, false, 0.03);
        assert_eq!(note.hz(), None, "mains hum before any attack");
        let mut note = following_a(20);
        note.damped();
        assert_eq!(note.hz(), None);
        let mut note = following_a(20);
        for _ in 0..30 {
            note.follow(0.0, 0.0, false, 0.03);
        }
        assert_eq!(note.hz(), None, "40 ms unvoiced");
        let mut note = following_a(1);
        note.follow(330.0, 220.0, true, 0.03);
        note.follow(330.0, 330.0, true, 0.03);
        assert_eq!(note.hz(), None, "a pitch held over an attack");
    }
}
