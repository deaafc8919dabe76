//! The pick view of the onset detector: new energy above the partials, bin by bin, in the fast view's spectrum.
//!
//! A strum over a ringing chord often starts on a soft first string, one that may ring already: its partials add a
//! dB or two to the ones ringing, the pre-emphasised energy and the octave bands hardly rise, and the flux paths
//! hear the strum only when its second or third string comes, 5 to 15 ms after the first (on guitar-dev 185 of the
//! 249 onsets heard more than 4 ms late were strums). What the first string brings at once is its pick: a
//! broadband noise that fills, for a few milliseconds, the bins between 3 and 12 kHz, where the ringing strings'
//! partials have died or stand far below. Bin by bin, the newest spectrum of the fast view (its window falls over
//! the newest 64 samples only, so the newest block has nearly full weight) then stands over the largest value the
//! bin took in the frames of the last 20 ms.
//!
//! The novelty is the sum over the band of those rises (nepers of magnitude), each less a dead zone of 3 dB: the
//! partials and the distortion products of a ringing chord swell and beat by a few dB in many bins at once
//! (summed whole, that made 20 false onsets a minute on guitar-dev clipped by 14 dB), a pick's noise rises 10 dB
//! and more. One block's novelty is an onset when the block before or after it rises too (its whole rise, without
//! the dead zone): a pick's noise lasts a few milliseconds and builds up over a block or two, while a peak of a
//! clipped chord or the ringing of a splice (a legato change of a render, heard through a dark tone or an
//! upsampler, which smooth the step the click watch looks for) is over within the block. On guitar-dev the onsets
//! heard more than 4 ms late fell from 249 to 205 (b1's steel-string strums from 17 to 4, d1's from 20 to 7, d2's
//! from 31 to 26), the 90th percentile of the delay from 6.3 to 5.2 ms, with no false onset more on it or on its
//! altered copies (clipped, dark, bright, reverberant, hiss, hum, transposed, resampled).
//!
//! A bin counts only above a floor: a fixed range below the band's loudest bin heard lately, and a margin over the
//! noise floor (hiss fills the band evenly; its bins' random swells are no pick). A step of the waveform that the
//! click watch saw (a splice) is broadband too, and brightens the frames for a block or two as it moves into the
//! window's peak: the view is not heard for 6 ms after one (after 3 ms, a spliced legato line heard in blocks of 40
//! samples made an onset of one of its changes).

use super::flux::{ABSOLUTE_FLOOR, fast_ln};
use super::{BLOCK, FLUX_FRAMES, FRAME, OnsetParams, SUB};
use realfft::num_complex::Complex;

/// Most bins of the pick band (3 to 12 kHz at 48 kHz with 512-point frames is 96).
const MAX_PICK_BINS: usize = 112;
/// Nepers per decibel of magnitude.
const NEPERS_PER_DB: f32 = 1.0 / 8.686;

/// The pick view's past spectra of its band, the reference of its floor and its thresholds.
pub(super) struct PickView {
    /// First bin of the band and how many.
    first_bin: usize,
    bins: usize,
    /// Ring of powers (1 + power over an absolute floor), `FLUX_FRAMES` rows of `MAX_PICK_BINS` (of which the
    /// first `bins` are used; whole rows, so the held maximum runs over fixed lengths, in vector registers).
    spectra: Box<[[f32; MAX_PICK_BINS]]>,
    /// Row written by the newest frame.
    pos: usize,
    /// Frames (from one block back) whose bin-wise maximum is the reference.
    hold: usize,
    /// Loudest bin's power of the band heard lately (falls by the factor `release` per block), and the floor's
    /// factor below it.
    level_reference: f32,
    release: f32,
    range: f32,
    /// Rise (nepers) of a bin that counts for nothing.
    dead_zone: f32,
    /// Novelty that is an onset alone (`f32::MAX`: none), novelty of one block and whole rise of the block before
    /// or after it that are one together.
    alone: f32,
    first: f32,
    follow: f32,
    /// Novelty and whole rise of the previous block.
    previous: (f32, f32),
    /// Sub-blocks after a step of the waveform during which the view is not heard.
    after_step_subs: u32,
}

impl PickView {
    /// The view of `params` at `sr` (native rate), over the fast view's `FRAME`-point spectra.
    pub(super) fn from_params(sr: f32, params: &OnsetParams) -> Self {
        let bin_hz = sr / FRAME as f32;
        let (low_hz, high_hz) = params.pick_band_hz;
        let first_bin = ((low_hz / bin_hz).round() as usize).clamp(1, FRAME / 2 - 1);
        let last_bin = ((high_hz / bin_hz).round() as usize).clamp(first_bin + 1, FRAME / 2);
        let subs_per_ms = sr / 1000.0 / SUB as f32;
        Self {
            first_bin,
            bins: (last_bin - first_bin).min(MAX_PICK_BINS),
            spectra: vec![[1.0; MAX_PICK_BINS]; FLUX_FRAMES].into_boxed_slice(),
            pos: 0,
            hold: params.pick_hold_blocks.clamp(1, FLUX_FRAMES - 1),
            level_reference: 1.0,
            release: (-2.0 * params.flux_release_db_per_s * NEPERS_PER_DB * BLOCK as f32 / sr)
                .exp(),
            range: (-2.0 * params.flux_range_db * NEPERS_PER_DB).exp(),
            dead_zone: params.pick_dead_zone_db * NEPERS_PER_DB,
            alone: if params.pick_alone > 0.0 {
                params.pick_alone
            } else {
                f32::MAX
            },
            first: params.pick_novelty,
            follow: params.pick_follow,
            previous: (0.0, 0.0),
            after_step_subs: (params.pick_after_step_ms * subs_per_ms).round() as u32,
        }
    }

    /// Takes the newest spectrum (`FRAME / 2 + 1` bins), the noise floor as a bin's magnitude and the sub-blocks
    /// since the latest step of the waveform, and tells whether a pick was heard.
    pub(super) fn push(
        &mut self,
        spectrum: &[Complex<f32>],
        noise_magnitude: f32,
        step_age: u32,
    ) -> bool {
        let (novelty, whole) = self.novelty(spectrum, noise_magnitude);
        // one block's novelty with the block before or after it rising too (or, if so set, large alone)
        let heard = novelty > self.alone
            || (self.previous.0 > self.first && whole > self.follow)
            || (novelty > self.first && self.previous.1 > self.follow);
        self.previous = (novelty, whole);
        heard && step_age > self.after_step_subs
    }

    /// The newest frame's novelty (each bin's rise over its largest value in the held frames, both taken at least
    /// at the floor, less the dead zone, summed over the band) and its whole rise (the same without the dead
    /// zone); finite and >= 0. Powers are compared and only a bin that rises takes a logarithm: in a steady sound
    /// few do.
    fn novelty(&mut self, spectrum: &[Complex<f32>], noise_magnitude: f32) -> (f32, f32) {
        // powers are kept over the flux views' absolute floor as 1 + power over it: never below 1, so a ratio of
        // two is a rise's exponential
        const MOST: f32 = 1e30;
        let inv_absolute_sq = 1.0 / (ABSOLUTE_FLOOR * ABSOLUTE_FLOOR);
        let over_floor = |power: f32| {
            let q = 1.0 + power * inv_absolute_sq;
            if q.is_finite() { q.min(MOST) } else { MOST }
        };
        self.pos = (self.pos + 1) % FLUX_FRAMES;
        let bins = self.bins;
        let mut loudest = 1.0f32;
        if let (Some(current), Some(input)) = (
            self.spectra.get_mut(self.pos),
            spectrum.get(self.first_bin..self.first_bin + bins),
        ) {
            for (s, c) in current.iter_mut().zip(input) {
                *s = over_floor(c.norm_sqr());
                loudest = loudest.max(*s);
            }
        }
        self.level_reference = loudest.max(self.level_reference * self.release);
        let noise = if noise_magnitude.is_finite() {
            noise_magnitude
        } else {
            0.0
        };
        let floor = over_floor(noise * noise).max(self.level_reference * self.range);
        let mut held = [0.0f32; MAX_PICK_BINS];
        for age in 1..=self.hold {
            if let Some(older) = self
                .spectra
                .get((self.pos + FLUX_FRAMES - age) % FLUX_FRAMES)
            {
                for (h, &o) in held.iter_mut().zip(older) {
                    *h = if o > *h { o } else { *h };
                }
            }
        }
        let (mut novelty, mut whole) = (0.0f32, 0.0f32);
        if let Some(current) = self.spectra.get(self.pos) {
            for (&now, &h) in current.iter().zip(held.iter()).take(bins) {
                let (now, h) = (now.max(floor), h.max(floor));
                if now > h {
                    // (nepers of magnitude: half the logarithm of the power ratio)
                    let rise = 0.5 * fast_ln(now / h);
                    novelty += (rise - self.dead_zone).max(0.0);
                    whole += rise;
                }
            }
        }
        let finite = |x: f32| if x.is_finite() { x } else { 0.0 };
        (finite(novelty), finite(whole))
    }
}
