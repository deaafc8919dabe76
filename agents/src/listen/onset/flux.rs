//! The spectral view of the onset detector: windows, past spectra, flux state, and a fast logarithm.

use super::{FLUX_FRAMES, FRAME, MAX_BINS, OnsetDetector};

/// How fast (natural-log units of magnitude per block: 60 dB a second at 48 kHz) each bin's remembered peak falls.
///
/// The held reference holds the last 20 ms; a bin that beats (two strings' near-coincident partials, a few Hz
/// apart) comes back out of its trough more than 20 ms after its last peak, and so stood over the held reference
/// as an attack's partials do. A ringing strum's beats made one false onset in every run of the synthetic phrase
/// of `tests/listen_onset_rates.rs` heard at 32 kHz through the upsampler (held flux 1.9 against a minimum of
/// 1.5): the partials of its strings beat differently from the 48 kHz rendering (the synthesizer's phases drift
/// differently at each rate), not anything about input with nothing above 16 kHz (the 48 kHz phrase low-passed
/// at 16 kHz makes none). So the held reference also remembers each bin's peak, falling faster than a string's
/// partials die (6-20 dB a second), and a bin counts only where it stands `PEAK_MARGIN` over that: a beat climbs
/// back at most to its last peak, a new note's partials stand over what was there. False onsets on guitar-dev 2 -> 1
/// (with hum 2 -> 1, with a room 6 -> 5, brightened 9 -> 7, at 22.05 kHz 8 -> 6, high-passed 4 -> 2). A detuned
/// unison beating at 2.5 Hz or faster (strings at 110-200 Hz) still makes false onsets, one a beat: not studied yet.
const PEAK_FALL_PER_BLOCK: f32 = 60.0 / 8.686 * 64.0 / 48_000.0;
/// How far (natural-log units: 6 dB) under its remembered peak a bin may come back before it counts as new: a
/// melody note picked softly where a louder one stood 100-300 ms before keeps most of its held flux (on
/// guitar-dev, 3 dB lost one more such note, 6 dB one in 1131 attacks).
const PEAK_MARGIN: f32 = 6.0 / 8.686;

/// Magnitude under which spectra are not told apart (-102 dB re a full-scale sine's bin): it keeps digital
/// silence from magnifying dither.
pub(super) const ABSOLUTE_FLOOR: f32 = 1e-3;

/// One spectral view of the newest samples: its window, its past spectra and the state of its flux.
pub(super) struct FluxView {
    pub(super) window: Box<[f32]>,
    /// Ring of compressed spectra, `FLUX_FRAMES` rows of `MAX_BINS`.
    pub(super) spectra: Box<[f32]>,
    /// Loudest compressed bin heard lately (falls by `level_release` per block).
    pub(super) level_reference: f32,
    /// Running mean of the flux.
    pub(super) flux_mean: f32,
    /// Each bin's remembered peak (main view only): the largest value of the frames leaving the held reference,
    /// falling by `PEAK_FALL_PER_BLOCK` a block.
    peaks: Box<[f32]>,
}

impl FluxView {
    pub(super) fn new(window_fall: usize) -> Self {
        Self {
            window: asymmetric_hann(window_fall),
            spectra: vec![0.0; FLUX_FRAMES * MAX_BINS].into_boxed_slice(),
            level_reference: 0.0,
            flux_mean: 0.0,
            peaks: vec![0.0; MAX_BINS].into_boxed_slice(),
        }
    }
}

impl OnsetDetector {
    /// The magnitude a spectral bin must reach to stand over the noise floor: the pre-emphasised energy's noise
    /// floor as a bin's magnitude, times the margin `flux_floor_over_noise`.
    pub(super) fn bin_noise_magnitude(&self) -> f32 {
        self.broadband.noise_floor().sqrt()
            * self.noise_bin_scale
            * self.params.flux_floor_over_noise
    }

    /// Spectral flux (finite, >= 0) of a view's newest frame against its frame `flux_lag` blocks older, the view's
    /// running mean of the flux before and after this block's flux enters it, and (for the main view only; 0 for
    /// the fast one) the held flux: the same against the bin-wise maximum of the frames `flux_lag` to
    /// `flux_lag + flux_hold_blocks - 1` blocks older.
    pub(super) fn flux_of(&mut self, fast: bool) -> (f32, f32, f32, f32) {
        let finite = |x: f32| if x.is_finite() { x.max(0.0) } else { 0.0 };
        let (flux, held) = self.spectral_flux(fast);
        let (flux, held) = (finite(flux), finite(held));
        let params = &self.params;
        let view = if fast {
            match self.fast.as_mut() {
                Some(view) => view,
                None => return (0.0, 0.0, 0.0, 0.0),
            }
        } else {
            &mut self.main
        };
        let mean = view.flux_mean;
        let mut mean_input = if params.flux_mean_cap > 0.0 {
            flux.min(params.flux_mean_cap * params.flux_threshold)
        } else {
            flux
        };
        if params.flux_mean_clip > 0.0 {
            mean_input =
                mean_input.min((params.flux_mean_clip * mean).max(0.25 * params.flux_threshold));
        }
        view.flux_mean += self.flux_mean_coef * (mean_input - view.flux_mean);
        (flux, mean, view.flux_mean, held)
    }

    /// Spectral flux of a view's newest frame against the one `flux_lag` blocks older, and its held flux (main view
    /// only).
    fn spectral_flux(&mut self, fast: bool) -> (f32, f32) {
        let noise_magnitude = self.bin_noise_magnitude();
        let view = if fast {
            match self.fast.as_mut() {
                Some(view) => view,
                None => return (0.0, 0.0),
            }
        } else {
            &mut self.main
        };
        for ((input, &x), &w) in self
            .fft_input
            .iter_mut()
            .zip(self.recent.iter())
            .zip(view.window.iter())
        {
            *input = x * w;
        }
        if self
            .fft
            .process_with_scratch(
                &mut self.fft_input,
                &mut self.fft_output,
                &mut self.fft_scratch,
            )
            .is_err()
        {
            return (0.0, 0.0);
        }
        // Spectra are stored as log magnitudes over the absolute floor; the working floor is applied when two
        // frames are compared, the same for both: the noise floor's magnitude times a margin (hiss makes no flux)
        // or a fixed range below the loudest bin heard lately (detail far below the music, such as the faint
        // glitch of a slide, makes no flux either).
        let inv_absolute_sq = 1.0 / (ABSOLUTE_FLOOR * ABSOLUTE_FLOOR);
        let row = self.spectrum_pos * MAX_BINS;
        let bins = self.bins;
        let mut loudest = 0.0f32;
        if let (Some(current), Some(output)) = (
            view.spectra.get_mut(row..row + bins),
            self.fft_output.get(self.first_bin..self.first_bin + bins),
        ) {
            for (s, c) in current.iter_mut().zip(output.iter()) {
                *s = 0.5 * fast_ln(1.0 + c.norm_sqr() * inv_absolute_sq);
                loudest = loudest.max(*s);
            }
        }
        view.level_reference = loudest.max(view.level_reference - self.level_release);
        let noise_floor = 0.5 * fast_ln(1.0 + noise_magnitude * noise_magnitude * inv_absolute_sq);
        let floor = noise_floor.max(view.level_reference - self.range);
        let reference_pos = (self.spectrum_pos + FLUX_FRAMES - self.flux_lag) % FLUX_FRAMES;
        let reference_row = reference_pos * MAX_BINS;
        // the held reference: each bin's largest value over the older frames (the fast view holds none)
        let hold = if fast {
            0
        } else {
            self.params
                .flux_hold_blocks
                .min(FLUX_FRAMES - self.flux_lag)
        };
        let mut held = [0.0f32; MAX_BINS];
        for age in self.flux_lag..self.flux_lag + hold {
            let older = (self.spectrum_pos + FLUX_FRAMES - age) % FLUX_FRAMES * MAX_BINS;
            if let Some(older) = view.spectra.get(older..older + bins) {
                for (h, &o) in held.iter_mut().zip(older) {
                    *h = h.max(o);
                }
            }
        }
        // the remembered peaks take in the oldest frame of the held reference
        if hold > 0 {
            let oldest = (self.spectrum_pos + FLUX_FRAMES - (self.flux_lag + hold - 1))
                % FLUX_FRAMES
                * MAX_BINS;
            if let Some(oldest) = view.spectra.get(oldest..oldest + bins) {
                for (peak, &o) in view.peaks.iter_mut().zip(oldest) {
                    *peak = (*peak - PEAK_FALL_PER_BLOCK).max(o);
                }
            }
        }
        let (mut flux, mut held_flux) = (0.0, 0.0);
        if let (Some(current), Some(reference), Some(held), Some(peaks)) = (
            view.spectra.get(row..row + bins),
            view.spectra.get(reference_row..reference_row + bins),
            held.get(..bins),
            view.peaks.get(..bins),
        ) {
            let reach = self.params.flux_neighbours.clamp(1, 4);
            // each bin against the loudest of its neighbourhood in the reference frame (and in the held one, and
            // against its own remembered peak: a beat's peaks are the bin's own, a vibrato's the neighbours')
            for (((&now, near), near_held), &peak) in current
                .iter()
                .skip(reach)
                .zip(reference.windows(2 * reach + 1))
                .zip(held.windows(2 * reach + 1))
                .zip(peaks.iter().skip(reach))
            {
                let now = now.max(floor);
                let r = near.iter().fold(floor, |a, &b| a.max(b));
                flux += (now - r).max(0.0);
                if hold > 0 {
                    let h = near_held
                        .iter()
                        .fold(floor.max(peak - PEAK_MARGIN), |a, &b| a.max(b));
                    held_flux += (now - h).max(0.0);
                }
            }
        }
        (flux, held_flux)
    }
}

/// A Hann window that rises over `FRAME - fall` samples and falls over the last `fall` (0 or more than half the
/// frame: symmetric).
fn asymmetric_hann(fall: usize) -> Box<[f32]> {
    let fall = if fall == 0 || fall > FRAME / 2 {
        FRAME / 2
    } else {
        fall
    };
    let rise = FRAME - fall;
    let half_cosine = |phase: f32| 0.5 - 0.5 * (std::f32::consts::PI * phase).cos();
    (0..FRAME)
        .map(|i| {
            if i < rise {
                half_cosine(i as f32 / rise as f32)
            } else {
                half_cosine(1.0 + (i - rise) as f32 / fall as f32)
            }
        })
        .collect()
}

/// Natural logarithm of `x >= 1` to about 1.3e-4, from the float's exponent and a quartic in its mantissa: the flux
/// needs a hundred logarithms a block and no more precision than that.
pub(super) fn fast_ln(x: f32) -> f32 {
    let x = if x.is_finite() { x.max(1.0) } else { f32::MAX };
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as f32 - 127.0;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000) - 1.0; // mantissa - 1, in 0..1
    // least-squares quartic for log2(1 + m) on 0..1 (max error 1.9e-4 in log2)
    let log2_mantissa = m * (1.438_548 + m * (-0.678_089_5 + m * (0.323_646_3 - m * 0.084_294_66)));
    (exponent + log2_mantissa) * std::f32::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::fast_ln;

    #[test]
    fn fast_ln_is_within_a_thousandth_of_ln_from_1_to_1e30() {
        let mut x = 1.0f32;
        while x < 1e30 {
            assert!((fast_ln(x) - x.ln()).abs() < 1e-3, "x = {x}");
            x *= 1.37;
        }
        assert!(
            fast_ln(f32::NAN).is_finite()
                && fast_ln(f32::INFINITY).is_finite()
                && fast_ln(0.0) == 0.0
        );
    }
}
