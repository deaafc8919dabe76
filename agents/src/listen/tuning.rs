//! The instrument's tuning: how far its notes sit from the equal-tempered grid of A = 440 Hz.
//!
//! A guitar tuned by ear, to A = 432 Hz, or slackened over a set sits up to half a semitone off the grid; pitch
//! classes read at A = 440 then split each note between two neighbours (guitar-dev played 32 cents flat: chords
//! labelled right 0.869 -> 0.784). Every partial of a tuned instrument is off the grid by about the same amount,
//! so each spectral peak's deviation, wrapped to one semitone, is averaged as a phasor (a circular mean: -49 and
//! +49 cents are 2 cents apart, not 98), weighted by the peak's strength, over a long memory. A small prior
//! keeps the grid at A = 440 until the peaks agree: scattered deviations (a detuned sample set, inharmonic
//! partials, noise) add up to a short phasor and move nothing. Like essentia's `TuningFrequency` or librosa's
//! `estimate_tuning`, but running and allocation-free.

use core::f32::consts::TAU;

/// Seconds over which the evidence is remembered: a guitar's tuning drifts over minutes, not seconds.
const MEMORY_SECONDS: f32 = 20.0;
/// Weight, in seconds of perfectly agreeing peaks, of the prior "A = 440": a few seconds of agreeing chords
/// outweigh it.
const PRIOR_SECONDS: f32 = 0.5;

/// Running estimate of the tuning offset.
#[derive(Clone, Debug, Default)]
pub struct TuningEstimator {
    /// Sum of the analyses' deviation phasors (one turn = one semitone), in seconds of evidence, fading.
    re: f32,
    im: f32,
}

impl TuningEstimator {
    /// An estimator at A = 440 Hz.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in one analysis' spectral peaks `(Hz, strength)`, heard over the last `seconds`.
    pub fn hear(&mut self, peaks: &[(f32, f32)], seconds: f32) {
        if !(seconds.is_finite() && seconds > 0.0) {
            return;
        }
        let (mut re, mut im, mut total) = (0.0f32, 0.0f32, 0.0f32);
        for &(hz, weight) in peaks {
            if !(hz.is_finite() && hz > 0.0 && weight.is_finite() && weight > 0.0) {
                continue;
            }
            let turns = 12.0 * (hz / 440.0).log2();
            let angle = TAU * (turns - turns.round());
            re += weight * angle.cos();
            im += weight * angle.sin();
            total += weight;
        }
        let fade = (-seconds / MEMORY_SECONDS).exp();
        self.re *= fade;
        self.im *= fade;
        if total > 0.0 {
            // Each analysis counts for the time it covers, however many peaks it found.
            self.re += seconds * re / total;
            self.im += seconds * im / total;
        }
        if !(self.re.is_finite() && self.im.is_finite()) {
            *self = Self::new();
        }
    }

    /// The offset of the instrument's grid from A = 440 Hz, in semitones (-0.5..0.5; -0.32 for A = 432 Hz).
    pub fn semitones(&self) -> f32 {
        self.im.atan2(self.re + PRIOR_SECONDS) / TAU
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peaks of an A major chord's strings and a few harmonics, `cents` off A = 440.
    fn chord_peaks(cents: f32) -> [(f32, f32); 8] {
        let shift = 2f32.powf(cents / 1200.0);
        [110.0, 164.81, 220.0, 277.18, 329.63, 440.0, 554.37, 659.26].map(|hz| (hz * shift, 1.0))
    }

    fn listen(estimator: &mut TuningEstimator, cents: f32, seconds: f32) {
        let hop = 0.01;
        for _ in 0..(seconds / hop) as usize {
            estimator.hear(&chord_peaks(cents), hop);
        }
    }

    #[test]
    fn a_guitar_tuned_to_432_hz_is_found_32_cents_flat_within_a_few_seconds() {
        let mut estimator = TuningEstimator::new();
        listen(&mut estimator, -32.0, 4.0);
        let cents = 100.0 * estimator.semitones();
        assert!((cents + 32.0).abs() < 3.0, "{cents} cents");
    }

    #[test]
    fn deviations_wrap_around_the_semitone() {
        let mut estimator = TuningEstimator::new();
        for k in 0..400 {
            let cents = if k % 2 == 0 { 48.0 } else { -48.0 };
            estimator.hear(&chord_peaks(cents), 0.01);
        }
        let cents = 100.0 * estimator.semitones();
        assert!(cents.abs() > 45.0, "+48 and -48 cents average to a quarter-tone, not to 0: {cents}");
    }

    #[test]
    fn scattered_deviations_leave_the_grid_at_440() {
        let mut estimator = TuningEstimator::new();
        let mut state = 0x2545_f491_u32;
        for _ in 0..1000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let cents = (state % 100) as f32 - 50.0;
            estimator.hear(&chord_peaks(cents), 0.01);
        }
        let cents = 100.0 * estimator.semitones();
        assert!(cents.abs() < 10.0, "{cents} cents");
    }

    #[test]
    fn a_retuned_guitar_is_followed_and_bad_input_is_ignored() {
        let mut estimator = TuningEstimator::new();
        listen(&mut estimator, -32.0, 4.0);
        estimator.hear(&[(f32::NAN, 1.0), (440.0, f32::INFINITY), (-3.0, 1.0)], 0.01);
        estimator.hear(&chord_peaks(0.0), f32::NAN);
        listen(&mut estimator, 20.0, 40.0);
        let cents = 100.0 * estimator.semitones();
        assert!((cents - 20.0).abs() < 3.0, "{cents} cents");
        assert_eq!(TuningEstimator::new().semitones(), 0.0);
    }
}
