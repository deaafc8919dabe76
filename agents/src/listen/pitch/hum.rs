//! Mains hum removal: the signal's average waveform over one mains period, learnt slowly and subtracted.
//!
//! Hum from pickups and ground loops is periodic at exactly the mains frequency (50 or 60 Hz, both are learnt),
//! with whatever harmonics the rectifiers and transformers add, and it does not change from one second to the
//! next. A note is not locked to the mains, so over a second its contribution to the average waveform mostly
//! cancels out while the hum's adds up. Subtracting the learnt waveform removes every harmonic of the hum at
//! once, without the notches that would also cut notes near 50, 100, 150 ... Hz.
//!
//! The waveform learns only while the signal is near its floor (the quietest level of the last two seconds):
//! between notes and under their tails, where hum is most of what is heard, so notes leave little in it. It is
//! subtracted only while it predicts the quiet signal (subtracting it removes about its own energy; what notes
//! left in it predicts nothing) and is not much louder than the floor, which hum, always there, never is.

/// Mains frequencies learnt.
const MAINS_HZ: [f32; 2] = [50.0, 60.0];
/// Time constant (seconds) of the learnt waveform.
const LEARN_SECONDS: f32 = 1.0;
/// The floor is the lowest level of the last `FLOOR_SPANS` spans of `FLOOR_SPAN_SECONDS` (minimum statistics):
/// it follows quieter moments at once and louder ones within two seconds.
const FLOOR_SPANS: usize = 8;
const FLOOR_SPAN_SECONDS: f32 = 0.25;
/// The waveform learns only while the signal is within this power ratio of its floor: between notes and under
/// their tails, where the hum is most of what is heard, so notes leave little in it.
const LEARN_TO_FLOOR: f32 = 4.0;
/// The waveform is subtracted while its mean square is at most this multiple of the floor.
const MAX_TO_FLOOR: f32 = 4.0;
/// Time constant (seconds) of the level the floor follows: long enough to span a low note's period.
const LEVEL_SECONDS: f32 = 0.02;
/// The waveform `h` is subtracted only while, in the quiet signal `x`, it removes at least this fraction of its
/// own energy: `sum(x^2 - (x - h)^2) / sum(h^2)`, with `h` read before it learns each sample. For hum under
/// anything unrelated this is 1; for what notes left in the waveform it is about -1 (it predicts nothing, and
/// subtracting it adds its energy).
const MIN_EXPLAINED: f32 = 0.5;
/// Time constant (seconds of learning) of that measure.
const EXPLAINED_SECONDS: f32 = 1.0;
/// The waveforms' mean squares (and denormal clean-up) are refreshed every this many blocks.
const REFRESH_BLOCKS: u32 = 8;
/// Learnt waveforms smaller than this are cleared, so they never reach denormal numbers.
const DENORMAL_FLOOR: f32 = 1.0e-20;

/// The average waveform over one period of one mains frequency.
struct Template {
    /// Samples of the waveform, one per input sample of a period (the last one may cover part of a sample).
    wave: Box<[f32]>,
    /// Period in samples (fractional in general).
    period: f32,
    /// Position in the current period, 0..period.
    phase: f32,
    /// Mean square of `wave`, refreshed every few blocks.
    mean_square: f32,
}

impl Template {
    fn new(sample_rate: f32, mains_hz: f32) -> Self {
        let period = (sample_rate / mains_hz).max(2.0);
        Self {
            wave: vec![0.0; period.ceil() as usize + 1].into_boxed_slice(),
            period,
            phase: 0.0,
            mean_square: 0.0,
        }
    }

    /// The waveform at the current phase (linearly interpolated) and the two bins it is read from.
    #[inline]
    fn at(&self) -> (f32, usize, f32) {
        let i = self.phase as usize;
        let frac = self.phase - i as f32;
        let a = self.wave.get(i).copied().unwrap_or(0.0);
        let b = self.wave.get(i + 1).copied().unwrap_or(0.0);
        (a + frac * (b - a), i, frac)
    }

    /// Learns from `x` at the current phase with weight `rate`, then advances one sample.
    #[inline]
    fn learn(&mut self, x: f32, rate: f32) -> f32 {
        let (value, i, frac) = self.at();
        let error = rate * (x - value);
        if let Some(w) = self.wave.get_mut(i) {
            *w += (1.0 - frac) * error;
        }
        if let Some(w) = self.wave.get_mut(i + 1) {
            *w += frac * error;
        }
        self.phase += 1.0;
        if self.phase >= self.period {
            self.phase -= self.period;
            // The bin past the period's end is the start of the next period.
            let first = self.wave.first().copied().unwrap_or(0.0);
            if let Some(last) = self.wave.last_mut() {
                *last = first;
            }
        }
        value
    }

    fn flush(&mut self) {
        let mut sum = 0.0;
        for w in self.wave.iter_mut() {
            if !w.is_finite() || w.abs() < DENORMAL_FLOOR {
                *w = 0.0;
            }
            sum += *w * *w;
        }
        self.mean_square = sum / self.wave.len().max(1) as f32;
        if !self.phase.is_finite() || self.phase < 0.0 || self.phase >= self.period {
            self.phase = 0.0;
        }
    }
}

/// Learns the hum of both mains frequencies and subtracts the louder one while it is plausible.
pub(super) struct HumCanceller {
    templates: [Template; 2],
    /// Learning weight per sample visit (1 / periods in the time constant).
    rate: [f32; 2],
    /// Which template is subtracted this block, if any.
    active: Option<usize>,
    /// Sum of squares and count of the input in the current block.
    block_energy: f32,
    block_count: u32,
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
    /// Whether the waveforms learn during this block, and with what weight.
    learning: bool,
    weights: [f32; 2],
    /// Blocks until the waveforms' mean squares are refreshed.
    refresh_left: u32,
    /// Per waveform, over the quiet signal, in this block and decaying over time: energy removed by subtracting
    /// it, and its own energy.
    block_removed: [f32; 2],
    block_own: [f32; 2],
    removed: [f32; 2],
    own: [f32; 2],
    explained_forget: f32,
    /// Samples learnt from so far (saturating): the first periods are averaged evenly, so the waveform is
    /// usable after a fraction of a second of hum.
    learnt: u32,
}

impl HumCanceller {
    /// For a signal sampled at `sample_rate`, processed in blocks of `block` samples.
    pub(super) fn new(sample_rate: f32, block: usize) -> Self {
        let block_seconds = block.max(1) as f32 / sample_rate;
        Self {
            templates: MAINS_HZ.map(|hz| Template::new(sample_rate, hz)),
            rate: MAINS_HZ.map(|hz| 1.0 / (LEARN_SECONDS * hz)),
            active: None,
            block_energy: 0.0,
            block_count: 0,
            level: 0.0,
            level_weight: 1.0 - (-block_seconds / LEVEL_SECONDS).exp(),
            span_minima: [f32::MAX; FLOOR_SPANS],
            span_min: f32::MAX,
            span_left: 0,
            span_blocks: ((FLOOR_SPAN_SECONDS / block_seconds) as u32).max(1),
            floor: f32::MAX,
            learning: true,
            weights: [1.0; 2],
            refresh_left: 0,
            learnt: 0,
            block_removed: [0.0; 2],
            block_own: [0.0; 2],
            removed: [0.0; 2],
            own: [0.0; 2],
            explained_forget: (-block_seconds / EXPLAINED_SECONDS).exp(),
        }
    }

    /// Learns from one sample and returns it without the hum.
    #[inline]
    pub(super) fn run(&mut self, x: f32) -> f32 {
        self.block_energy += x * x;
        self.block_count += 1;
        let [fifty, sixty] = &mut self.templates;
        let [w50, w60] = self.weights;
        let hum = [fifty.learn(x, w50), sixty.learn(x, w60)];
        if self.learning {
            for ((removed, own), h) in self
                .block_removed
                .iter_mut()
                .zip(&mut self.block_own)
                .zip(hum)
            {
                *removed += (2.0 * x - h) * h;
                *own += h * h;
            }
        }
        match self.active {
            Some(i) => x - hum.get(i).copied().unwrap_or(0.0),
            None => x,
        }
    }

    /// Updates the floor and chooses what is subtracted next block; call once per block.
    pub(super) fn flush(&mut self) {
        if self.refresh_left == 0 {
            self.refresh_left = REFRESH_BLOCKS;
            for t in &mut self.templates {
                t.flush();
            }
        }
        self.refresh_left -= 1;
        if self.learning {
            self.learnt = self.learnt.saturating_add(self.block_count);
        }
        let block_level = self.block_energy / self.block_count.max(1) as f32;
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
        self.learning = self.level <= LEARN_TO_FLOOR * self.floor;
        for ((weight, base), t) in self.weights.iter_mut().zip(self.rate).zip(&self.templates) {
            *weight = if self.learning {
                base.max(t.period / (self.learnt as f32 + t.period))
            } else {
                0.0
            };
        }
        let sane = self
            .block_removed
            .iter()
            .chain(&self.block_own)
            .all(|v| v.is_finite());
        if self.learning && sane {
            let f = self.explained_forget;
            for i in 0..2 {
                self.removed[i] = f * self.removed[i] + self.block_removed[i];
                self.own[i] = f * self.own[i] + self.block_own[i];
            }
        }
        self.block_removed = [0.0; 2];
        self.block_own = [0.0; 2];
        let explained = |i: usize| self.removed[i] / self.own[i].max(1.0e-30);
        let best = usize::from(explained(1) > explained(0));
        let explained = explained(best);
        let hum = self.templates[best].mean_square;
        self.active =
            (explained >= MIN_EXPLAINED && hum <= MAX_TO_FLOOR * self.floor).then_some(best);
    }
}
