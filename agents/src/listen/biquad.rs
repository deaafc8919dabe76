//! One biquad section (RBJ cookbook coefficients, transposed direct form II), shared by the listener's filters.

use core::f32::consts::PI;

/// Filter states smaller than this are set to zero, so decaying tails never reach denormal numbers.
pub(crate) const DENORMAL_FLOOR: f32 = 1.0e-20;

/// Quality factors of the two sections of a 4th-order Butterworth filter.
pub(crate) const BUTTERWORTH4_Q: [f32; 2] = [0.541_196, 1.306_563];
/// Quality factors of the three sections of a 6th-order Butterworth filter.
pub(crate) const BUTTERWORTH6_Q: [f32; 3] =
    [0.517_638, core::f32::consts::FRAC_1_SQRT_2, 1.931_852];

/// One second-order section in transposed direct form II.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
    s1: f32,
    s2: f32,
}

impl Biquad {
    /// RBJ cookbook low-pass at `hz` with quality `q`.
    pub(crate) fn low_pass(sample_rate: f32, hz: f32, q: f32) -> Self {
        Self::cookbook(sample_rate, hz, q, |cos| ((1.0 - cos) / 2.0, 1.0 - cos))
    }

    /// RBJ cookbook high-pass at `hz` with quality `q`.
    pub(crate) fn high_pass(sample_rate: f32, hz: f32, q: f32) -> Self {
        Self::cookbook(sample_rate, hz, q, |cos| ((1.0 + cos) / 2.0, -(1.0 + cos)))
    }

    /// The cookbook's low- and high-pass share their poles and a symmetric numerator `(b0, b1, b0)`;
    /// `numerator` gives `(b0, b1)` from `cos(w)`.
    fn cookbook(sample_rate: f32, hz: f32, q: f32, numerator: impl Fn(f32) -> (f32, f32)) -> Self {
        let w = 2.0 * PI * (hz / sample_rate).clamp(1.0e-4, 0.49);
        let (sin, cos) = w.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        let (b0, b1) = numerator(cos);
        Self {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b0 / a0,
            a1: -2.0 * cos / a0,
            a2: (1.0 - alpha) / a0,
            s1: 0.0,
            s2: 0.0,
        }
    }

    #[inline]
    pub(crate) fn run(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.s1;
        self.s1 = self.b1 * x - self.a1 * y + self.s2;
        self.s2 = self.b2 * x - self.a2 * y;
        y
    }

    /// Keeps the state finite and out of the denormal range, whatever came in.
    pub(crate) fn flush(&mut self) {
        if !self.s1.is_finite() || !self.s2.is_finite() {
            (self.s1, self.s2) = (0.0, 0.0);
        }
        for state in [&mut self.s1, &mut self.s2] {
            if !is_live(*state) {
                *state = 0.0;
            }
        }
    }
}

/// A filter state worth keeping: finite and not vanishingly small.
pub(crate) fn is_live(state: f32) -> bool {
    state.is_finite() && state.abs() >= DENORMAL_FLOOR
}
