//! The onset detector's view of high sample rates: 88.2, 96, 176.4 and 192 kHz are low-passed and decimated to
//! 44.1 or 48 kHz, the rates its settings are measured at.
//!
//! The detector's time scales are counted in samples in places where counting is what makes it cheap: sub-blocks
//! of 16 samples, a 512-point spectrum, flux compared 8 blocks back, two-sample click trims. At 96 kHz all of them
//! halve: the sub-blocks' energy churns with hiss, the spectrum cannot tell a vibrato from a new note, and on
//! guitar-dev resampled to 96 kHz the detector made 11.5 false onsets a minute (0.5 at 48 kHz) and missed 5 % more.
//! Decimating keeps every setting what it was tuned as, and the spectrum costs what it costs at 48 kHz. An attack
//! is heard once the native block that holds it is complete: at most `factor - 1` blocks later (0.7 ms at 96 kHz).

use super::BLOCK;
use crate::listen::biquad::{BUTTERWORTH6_Q, Biquad};

/// Highest rate the detector runs at natively: rates above are decimated to at most this.
const NATIVE_MAX_HZ: f32 = 50_000.0;
/// Corner of the anti-alias low-pass, as a fraction of the native rate (21.6 kHz at 48 kHz: above any pluck's
/// audible partials, and 6th-order Butterworth leaves what folds back 20 dB down at worst).
const CORNER: f32 = 0.45;

/// Low-pass and keep every `factor`-th sample, gathered into native blocks of `BLOCK` samples.
pub(super) struct RateFront {
    factor: usize,
    low_pass: [Biquad; 3],
    phase: usize,
    /// The native block being gathered, and how many of its samples are in.
    pending: [f32; BLOCK],
    filled: usize,
    /// The novelty of the latest native block, reported again until the next one completes.
    pub(super) held_odf: f32,
}

/// A broken sample (non-finite, or beyond 8 times full scale) holds the last good one: a lone NaN read as silence
/// would be a click, which is an attack.
pub(super) fn hold_broken(x: f32, last_good: &mut f32) -> f32 {
    if x.is_finite() && x.abs() <= 8.0 {
        *last_good = x;
    }
    *last_good
}

impl RateFront {
    /// The front for input at `sample_rate` (a power-of-two decimation, 1 = pass through) and the native rate.
    pub(super) fn new(sample_rate: f32) -> (Self, f32) {
        let mut factor = 1usize;
        while sample_rate / factor as f32 > NATIVE_MAX_HZ && factor < BLOCK / 16 {
            factor *= 2;
        }
        let native = sample_rate / factor as f32;
        let front = Self {
            factor,
            low_pass: BUTTERWORTH6_Q.map(|q| Biquad::low_pass(sample_rate, CORNER * native, q)),
            phase: 0,
            pending: [0.0; BLOCK],
            filled: 0,
            held_odf: 0.0,
        };
        (front, native)
    }

    /// Whether the input is used as it is.
    pub(super) fn passes_through(&self) -> bool {
        self.factor == 1
    }

    /// Feeds one block of input (finite samples); returns the native block it completed, if any, and how many of
    /// that native block's samples came before this input block (for placing an attack within it).
    pub(super) fn push(&mut self, block: &[f32]) -> Option<([f32; BLOCK], usize)> {
        let before = self.filled * self.factor;
        let mut completed = None;
        for &x in block {
            let y = self
                .low_pass
                .iter_mut()
                .fold(x, |y, section| section.run(y));
            self.phase += 1;
            if self.phase < self.factor {
                continue;
            }
            self.phase = 0;
            self.pending[self.filled] = y;
            self.filled += 1;
            if self.filled == BLOCK {
                self.filled = 0;
                completed = Some(self.pending);
            }
        }
        for section in &mut self.low_pass {
            section.flush();
        }
        completed.map(|native| (native, before))
    }

    /// The offset within the input block of native sample `offset`, where `before` input samples of the native
    /// block came before the block (an attack in an earlier block is reported at its first sample).
    pub(super) fn input_offset(&self, offset: u32, before: usize) -> u32 {
        (offset as usize * self.factor).saturating_sub(before) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_up_to_48k_pass_through_and_higher_ones_are_halved_or_quartered() {
        for (rate, native) in [
            (44_100.0, 44_100.0),
            (48_000.0, 48_000.0),
            (88_200.0, 44_100.0),
            (96_000.0, 48_000.0),
            (192_000.0, 48_000.0),
        ] {
            let (front, got) = RateFront::new(rate);
            assert_eq!(got, native, "{rate} Hz");
            assert_eq!(front.passes_through(), rate == native);
        }
    }

    #[test]
    fn a_native_block_completes_every_factor_blocks_and_keeps_a_low_sine() {
        let (mut front, native) = RateFront::new(96_000.0);
        let sine = |i: usize| (2.0 * core::f32::consts::PI * 1000.0 * i as f32 / 96_000.0).sin();
        let mut completed = 0;
        let mut peak = 0.0f32;
        for b in 0..200 {
            let block: Vec<f32> = (b * BLOCK..(b + 1) * BLOCK).map(sine).collect();
            if let Some((samples, before)) = front.push(&block) {
                assert_eq!(b % 2, 1, "a native block completes on every second block");
                assert_eq!(before, BLOCK, "the first half came in the block before");
                completed += 1;
                if b > 20 {
                    peak = samples.iter().fold(peak, |p, s| p.max(s.abs()));
                }
            }
        }
        assert_eq!(completed, 100);
        assert!(
            native == 48_000.0 && (peak - 1.0).abs() < 0.02,
            "1 kHz passes: peak {peak}"
        );
        assert_eq!(
            front.input_offset(40, BLOCK),
            16,
            "native sample 40 is input sample 80"
        );
        assert_eq!(
            front.input_offset(10, BLOCK),
            0,
            "an attack in the earlier block is reported at once"
        );
    }
}
