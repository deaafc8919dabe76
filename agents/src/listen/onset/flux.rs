//! The spectral view of the onset detector: windows, past spectra, flux state, and a fast logarithm.

use super::{FLUX_FRAMES, FRAME, MAX_BINS};

/// One spectral view of the newest samples: its window, its past spectra and the state of its flux.
pub(super) struct FluxView {
    pub(super) window: Box<[f32]>,
    /// Ring of compressed spectra, `FLUX_FRAMES` rows of `MAX_BINS`.
    pub(super) spectra: Box<[f32]>,
    /// Loudest compressed bin heard lately (falls by `level_release` per block).
    pub(super) level_reference: f32,
    /// Running mean of the flux.
    pub(super) flux_mean: f32,
}

impl FluxView {
    pub(super) fn new(window_fall: usize) -> Self {
        Self {
            window: asymmetric_hann(window_fall),
            spectra: vec![0.0; FLUX_FRAMES * MAX_BINS].into_boxed_slice(),
            level_reference: 0.0,
            flux_mean: 0.0,
        }
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
