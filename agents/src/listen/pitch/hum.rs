//! Mains hum removal: the signal's average waveform over one mains period, learnt and subtracted.
//!
//! Hum from pickups and ground loops is periodic at exactly the mains frequency (50 or 60 Hz, both are learnt),
//! with whatever harmonics the rectifiers and transformers add, and it does not change from one second to the
//! next. A note is not locked to the mains, so over a second its contribution to the average waveform mostly
//! cancels out while the hum's adds up. Subtracting the learnt waveform removes every harmonic of the hum at
//! once, without the notches that would also cut notes near 50, 100, 150 ... Hz.
//!
//! The waveform learns only while the signal is near its floor (the quietest level of the last two seconds):
//! between notes and under their tails, where hum is most of what is heard. It is a weighted average, each period
//! weighing the inverse of what else sounded then (the floor minus the hum): the hum is a fixed waveform seen
//! through that "noise", and the minimum-variance estimate of a fixed value weighs each observation by the inverse
//! of its noise power. This matters in a take played legato, where the floor is a note's level for seconds and the
//! waveform learns mostly notes: the first quiet moment after them (a floor 20 dB lower) outweighs a second of
//! them a hundredfold, and the hum is removed within a few periods instead of a second. The waveform is
//! subtracted only while it predicts the signal (subtracting it removes about its own energy; what notes left in
//! it predicts nothing), measured with the same weights, and is not much louder than the floor, which hum,
//! always there, never is.
//!
//! The waveform does not learn at all while the pitch tracker hears a note it saw attacked, nor for a moment after
//! ([`HumCanceller::note_sounding`]): a note whose partial sits within a hertz of a mains harmonic is not averaged
//! out over a second, and would be learnt as hum.

use crate::listen::biquad::is_live;

/// Mains frequencies learnt.
const MAINS_HZ: [f32; 2] = [50.0, 60.0];
/// Memory (seconds of learning) of the waveform: older periods learnt are forgotten with this time constant.
const LEARN_SECONDS: f32 = 1.0;
/// The floor is the lowest level of the last `FLOOR_SPANS` spans of `FLOOR_SPAN_SECONDS` (minimum statistics):
/// it follows quieter moments at once and louder ones within two seconds.
const FLOOR_SPANS: usize = 8;
const FLOOR_SPAN_SECONDS: f32 = 0.25;
/// The waveform learns only while the signal is within this power ratio of its floor: between notes and under
/// their tails, where the hum is most of what is heard. (In a take played legato the floor is a note's level; the
/// weights then keep the notes from swamping the waveform.)
const LEARN_TO_FLOOR: f32 = 4.0;
/// The waveform is subtracted while its mean square is at most this multiple of the floor.
const MAX_TO_FLOOR: f32 = 4.0;
/// Time constant (seconds) of the level the floor follows: long enough to span a low note's period.
const LEVEL_SECONDS: f32 = 0.02;
/// Time constant (seconds) of the level of the signal without the hum ([`HumCanceller::unexplained_level`]): as
/// short as the pitch tracker's own level, so that it follows a damped note down.
const UNEXPLAINED_SECONDS: f32 = 0.004;
/// The waveform `h` is subtracted only while, in the signal `x`, it removes at least this fraction of its own
/// energy: `sum(w (x^2 - (x - h)^2)) / sum(w h^2)`, with `h` read before it learns each sample and `w` the
/// learning weight. For hum under anything unrelated this is 1; for what notes left in the waveform it is about
/// -1 (it predicts nothing, and subtracting it adds its energy).
const MIN_EXPLAINED: f32 = 0.5;
/// Time constant (seconds) of that measure.
const EXPLAINED_SECONDS: f32 = 1.0;
/// The waveforms' mean squares (and denormal clean-up) are refreshed every this many blocks.
const REFRESH_BLOCKS: u32 = 8;
/// The floor minus the hum is what else sounds, the "noise" the waveform is learnt through; it is taken as at
/// least this fraction of the floor (the hum's estimate is not exact).
const NOISE_MIN: f32 = 0.1;
/// Floors (mean square) below this weigh as much as this: digital silence must not weigh infinitely.
const LEVEL_MIN: f32 = 1.0e-12;

/// The weighted average waveform over one period of one mains frequency.
struct Template {
    /// Samples of the waveform, one per input sample of a period (the last one may cover part of a sample).
    wave: Box<[f32]>,
    /// Sum of the (forgotten) weights each bin of `wave` averages.
    mass: Box<[f32]>,
    /// Period in samples (fractional in general).
    period: f32,
    /// Position in the current period, 0..period, of the next sample read.
    phase: f32,
    /// Position of the first sample of the block being heard, where learning starts.
    learn_phase: f32,
    /// Fraction of the weights kept at each new period.
    forget: f32,
    /// Mean square of `wave`, refreshed every few blocks.
    mean_square: f32,
}

impl Template {
    fn new(sample_rate: f32, mains_hz: f32) -> Self {
        let period = (sample_rate / mains_hz).max(2.0);
        let bins = period.ceil() as usize + 1;
        Self {
            wave: vec![0.0; bins].into_boxed_slice(),
            mass: vec![0.0; bins].into_boxed_slice(),
            period,
            phase: 0.0,
            learn_phase: 0.0,
            forget: 1.0 - 1.0 / (LEARN_SECONDS * mains_hz).max(1.0),
            mean_square: 0.0,
        }
    }

    /// The waveform at `phase` (linearly interpolated) and the two bins it is read from.
    #[inline]
    fn at(&self, phase: f32) -> (f32, usize, f32) {
        let i = phase as usize;
        let frac = phase - i as f32;
        let a = self.wave.get(i).copied().unwrap_or(0.0);
        let b = self.wave.get(i + 1).copied().unwrap_or(0.0);
        (a + frac * (b - a), i, frac)
    }

    /// The waveform at the current phase; advances one sample.
    #[inline]
    fn predict(&mut self) -> f32 {
        let (value, _, _) = self.at(self.phase);
        self.phase = wrap(self.phase + 1.0, self.period);
        value
    }

    /// Learns from the block's samples `xs`, heard from `learn_phase` on, each with `weight`.
    fn learn(&mut self, xs: &[f32], weight: f32) {
        let mut phase = self.learn_phase;
        for &x in xs {
            let (value, i, frac) = self.at(phase);
            let error = x - value;
            for (bin, share) in [(i, 1.0 - frac), (i + 1, frac)] {
                // A whole number of samples per period (50 and 60 Hz at 48 kHz) never touches the second bin.
                if share <= 0.0 {
                    continue;
                }
                if let (Some(w), Some(m)) = (self.wave.get_mut(bin), self.mass.get_mut(bin)) {
                    let added = weight * share;
                    *m += added;
                    if *m > 0.0 {
                        *w += added / *m * error;
                    }
                }
            }
            phase += 1.0;
            if phase >= self.period {
                phase -= self.period;
                self.new_period();
            }
        }
        self.learn_phase = self.phase;
    }

    /// At each new period: older weights fade, and the bin past the period's end is the start of the next one.
    fn new_period(&mut self) {
        let forget = self.forget;
        self.mass.iter_mut().for_each(|m| *m *= forget);
        let first = (
            self.wave.first().copied().unwrap_or(0.0),
            self.mass.first().copied().unwrap_or(0.0),
        );
        if let (Some(w), Some(m)) = (self.wave.last_mut(), self.mass.last_mut()) {
            (*w, *m) = first;
        }
    }

    fn flush(&mut self) {
        let mut sum = 0.0;
        for (w, m) in self.wave.iter_mut().zip(self.mass.iter_mut()) {
            // (learnt waveforms too small to matter are cleared, so they never reach denormal numbers)
            if !is_live(*w) || !m.is_finite() {
                *w = 0.0;
            }
            if !m.is_finite() || *m < 0.0 {
                *m = 0.0;
            }
            sum += *w * *w;
        }
        self.mean_square = sum / self.wave.len().max(1) as f32;
        if !self.phase.is_finite() || self.phase < 0.0 || self.phase >= self.period {
            self.phase = 0.0;
        }
        self.learn_phase = self.phase;
    }
}

/// `phase` wrapped into 0..period (one step at most).
#[inline]
fn wrap(phase: f32, period: f32) -> f32 {
    if phase >= period {
        phase - period
    } else {
        phase
    }
}

/// Learns the hum of both mains frequencies and subtracts the louder one while it is plausible.
pub(super) struct HumCanceller {
    templates: [Template; 2],
    /// Which template is subtracted this block, if any.
    active: Option<usize>,
    /// The block's input samples, learnt from at its end with a weight read from its level.
    block: Box<[f32]>,
    block_count: usize,
    /// Sum of squares of the input in the current block.
    block_energy: f32,
    /// Mean square of the input, smoothed.
    level: f32,
    level_weight: f32,
    /// Lowest level of each recent span, the current one's so far, blocks left in it, blocks per span.
    span_minima: [f32; FLOOR_SPANS],
    span_min: f32,
    span_left: u32,
    span_blocks: u32,
    /// Quietest recent level (minimum statistics).
    floor: f32,
    /// Blocks until the waveforms' mean squares are refreshed.
    refresh_left: u32,
    /// Per waveform: sum of squares of the input minus it in this block, and the mean square of that, smoothed.
    block_left: [f32; 2],
    left: [f32; 2],
    left_weight: f32,
    /// Which waveform is the likelier hum (the one that explains more), subtracted or not.
    best: usize,
    /// Per waveform, in this block, and weighted and decaying over time: energy removed by subtracting it, and
    /// its own energy.
    block_removed: [f32; 2],
    block_own: [f32; 2],
    removed: [f32; 2],
    own: [f32; 2],
    explained_forget: f32,
    /// Whether a note the onset detector heard is sounding: the waveform does not learn meanwhile.
    note_sounding: bool,
}

impl HumCanceller {
    /// For a signal sampled at `sample_rate`, processed in blocks of `block` samples.
    pub(super) fn new(sample_rate: f32, block: usize) -> Self {
        let block = block.max(1);
        let block_seconds = block as f32 / sample_rate;
        Self {
            templates: MAINS_HZ.map(|hz| Template::new(sample_rate, hz)),
            active: None,
            block: vec![0.0; block].into_boxed_slice(),
            block_count: 0,
            block_energy: 0.0,
            level: 0.0,
            level_weight: 1.0 - (-block_seconds / LEVEL_SECONDS).exp(),
            span_minima: [f32::MAX; FLOOR_SPANS],
            span_min: f32::MAX,
            span_left: 0,
            span_blocks: ((FLOOR_SPAN_SECONDS / block_seconds) as u32).max(1),
            floor: f32::MAX,
            refresh_left: 0,
            block_left: [0.0; 2],
            left: [0.0; 2],
            left_weight: 1.0 - (-block_seconds / UNEXPLAINED_SECONDS).exp(),
            best: 0,
            block_removed: [0.0; 2],
            block_own: [0.0; 2],
            removed: [0.0; 2],
            own: [0.0; 2],
            explained_forget: (-block_seconds / EXPLAINED_SECONDS).exp(),
            note_sounding: false,
        }
    }

    /// Returns one sample without the hum (it is learnt from at the end of the block).
    #[inline]
    pub(super) fn run(&mut self, x: f32) -> f32 {
        self.block_energy += x * x;
        if let Some(slot) = self.block.get_mut(self.block_count) {
            *slot = x;
            self.block_count += 1;
        }
        let [fifty, sixty] = &mut self.templates;
        let hum = [fifty.predict(), sixty.predict()];
        for (((removed, own), left), h) in self
            .block_removed
            .iter_mut()
            .zip(&mut self.block_own)
            .zip(&mut self.block_left)
            .zip(hum)
        {
            *removed += (2.0 * x - h) * h;
            *own += h * h;
            *left += (x - h) * (x - h);
        }
        match self.active {
            Some(i) => x - hum.get(i).copied().unwrap_or(0.0),
            None => x,
        }
    }

    /// Tells whether a note the onset detector heard may still sound: the waveform does not learn from this block.
    pub(super) fn note_sounding(&mut self, sounding: bool) {
        self.note_sounding = sounding;
    }

    /// Mean square of the likelier hum waveform, whether it is subtracted or not.
    pub(super) fn hum_power(&self) -> f32 {
        self.templates.get(self.best).map_or(0.0, |t| t.mean_square)
    }

    /// Mean square of the signal without the likelier hum waveform, smoothed: what a note would have to be heard in.
    pub(super) fn unexplained_level(&self) -> f32 {
        self.left.get(self.best).copied().unwrap_or(0.0)
    }

    /// Learns from the block, updates the floor and chooses what is subtracted next block; call once per block.
    pub(super) fn flush(&mut self) {
        let count = self.block_count;
        let block_level = self.block_energy / count.max(1) as f32;
        (self.block_energy, self.block_count) = (0.0, 0);
        if !block_level.is_finite() {
            self.level = 0.0;
        } else if self.level <= 0.0 {
            self.level = block_level;
        } else {
            self.level += self.level_weight * (block_level - self.level);
        }
        self.span_min = self.span_min.min(self.level);
        if self.span_left == 0 {
            self.span_minima.rotate_right(1);
            self.span_minima[0] = self.span_min;
            self.span_min = f32::MAX;
            self.span_left = self.span_blocks;
        }
        self.span_left -= 1;
        self.floor = self
            .span_minima
            .iter()
            .fold(self.span_min, |m, &v| m.min(v));
        let weight = if self.level <= LEARN_TO_FLOOR * self.floor && !self.note_sounding {
            let hum = self.templates.get(self.best).map_or(0.0, |t| t.mean_square);
            1.0 / (self.floor - hum)
                .max(NOISE_MIN * self.floor)
                .max(LEVEL_MIN)
        } else {
            0.0
        };
        let sane = block_level.is_finite()
            && self
                .block_removed
                .iter()
                .chain(&self.block_own)
                .all(|v| v.is_finite());
        let samples = self.block.get(..count).unwrap_or(&[]);
        for t in &mut self.templates {
            // Periods not learnt from are not forgotten either: the memory is counted in periods learnt.
            if sane && weight > 0.0 {
                t.learn(samples, weight);
            } else {
                t.learn_phase = t.phase;
            }
        }
        if self.refresh_left == 0 {
            self.refresh_left = REFRESH_BLOCKS;
            for t in &mut self.templates {
                t.flush();
            }
        }
        self.refresh_left -= 1;
        if sane && weight > 0.0 {
            let f = self.explained_forget;
            for i in 0..2 {
                self.removed[i] = f * self.removed[i] + weight * self.block_removed[i];
                self.own[i] = f * self.own[i] + weight * self.block_own[i];
            }
        }
        for (left, block_left) in self.left.iter_mut().zip(&mut self.block_left) {
            let block = *block_left / count.max(1) as f32;
            *block_left = 0.0;
            *left = if !block.is_finite() || !left.is_finite() {
                0.0
            } else {
                *left + self.left_weight * (block - *left)
            };
        }
        self.block_removed = [0.0; 2];
        self.block_own = [0.0; 2];
        let explained = |i: usize| self.removed[i] / self.own[i].max(1.0e-30);
        let best = usize::from(explained(1) > explained(0));
        self.best = best;
        let explained = explained(best);
        let hum = self.templates[best].mean_square;
        self.active =
            (explained >= MIN_EXPLAINED && hum <= MAX_TO_FLOOR * self.floor).then_some(best);
    }
}
