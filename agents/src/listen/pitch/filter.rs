//! The pitch tracker's front end: a Butterworth low-pass and decimation to about 12 kHz, then a high-pass.
//!
//! Guitar fundamentals stop at about 1.3 kHz, so the lag search runs on a copy sampled at roughly 12 kHz:
//! sixteen times fewer lag products than at 48 kHz, and harmonics up to 4 kHz still sharpen the period.
//! A gentle one-pole high-pass removes DC offsets; a steeper one would ring at every attack of a low note and
//! spoil the first periods, which are the ones that matter for latency.

use crate::listen::biquad::{BUTTERWORTH4_Q, BUTTERWORTH6_Q, Biquad, is_live};
use core::f32::consts::PI;

/// Inputs beyond this magnitude are broken and read as silence: no guitar signal comes near, and letting them
/// into the filters would leave them ringing long after the input is sane again.
const INPUT_LIMIT: f32 = 16.0;

/// A 4th-order Butterworth high-pass (two sections).
pub(super) struct HighPass {
    sections: [Biquad; 2],
}

impl HighPass {
    /// A high-pass at `corner_hz` for signals sampled at `sample_rate`.
    pub(super) fn new(sample_rate: f32, corner_hz: f32) -> Self {
        Self {
            sections: BUTTERWORTH4_Q.map(|q| Biquad::high_pass(sample_rate, corner_hz, q)),
        }
    }

    /// Filters one sample.
    #[inline]
    pub(super) fn run(&mut self, x: f32) -> f32 {
        let mut y = x;
        for section in &mut self.sections {
            y = section.run(y);
        }
        y
    }

    /// Clears denormal and non-finite filter states; call once per block.
    pub(super) fn flush(&mut self) {
        for section in &mut self.sections {
            section.flush();
        }
    }
}

/// Low-pass, keep every `factor`-th sample, high-pass.
pub(super) struct Decimator {
    low_pass: [Biquad; 3],
    /// One-pole DC blocker: `y = x - x_prev + pole * y_prev`.
    dc_pole: f32,
    dc_input: f32,
    dc_output: f32,
    factor: u32,
    phase: u32,
    out_rate: f32,
    smoothing: Option<Biquad>,
}

impl Decimator {
    /// For input at `sample_rate`, keeping every `factor`-th sample; `dc_hz` is the DC blocker's corner.
    pub(super) fn new(sample_rate: f32, factor: u32, dc_hz: f32) -> Self {
        let factor = factor.max(1);
        let out_rate = sample_rate / factor as f32;
        let corner = 0.33 * out_rate;
        Self {
            low_pass: BUTTERWORTH6_Q.map(|q| Biquad::low_pass(sample_rate, corner, q)),
            dc_pole: (-2.0 * PI * dc_hz.max(0.0) / out_rate).exp(),
            dc_input: 0.0,
            dc_output: 0.0,
            factor,
            phase: 0,
            out_rate,
            smoothing: None,
        }
    }

    /// Adds a second-order low-pass at `corner_hz` at the output rate (0 for none): the lower partials, whose
    /// periods agree best, then weigh most in the lag search; stiff or dispersive strings' high partials do not.
    pub(super) fn with_smoothing(mut self, corner_hz: f32) -> Self {
        if corner_hz > 0.0 {
            self.smoothing = Some(Biquad::low_pass(
                self.out_rate,
                corner_hz,
                core::f32::consts::FRAC_1_SQRT_2,
            ));
        }
        self
    }

    /// The output sample rate.
    pub(super) fn out_rate(sample_rate: f32, factor: u32) -> f32 {
        sample_rate / factor.max(1) as f32
    }

    /// Feeds one input sample; returns a decimated sample every `factor` inputs.
    #[inline]
    pub(super) fn push(&mut self, x: f32) -> Option<f32> {
        let x = if x.abs() <= INPUT_LIMIT { x } else { 0.0 }; // NaN compares false too
        let mut y = x;
        for section in &mut self.low_pass {
            y = section.run(y);
        }
        self.phase += 1;
        if self.phase < self.factor {
            return None;
        }
        self.phase = 0;
        let blocked = y - self.dc_input + self.dc_pole * self.dc_output;
        self.dc_input = y;
        self.dc_output = blocked;
        y = blocked;
        if let Some(section) = &mut self.smoothing {
            y = section.run(y);
        }
        Some(y)
    }

    /// Clears denormal and non-finite filter states; call once per block.
    pub(super) fn flush(&mut self) {
        for section in self.low_pass.iter_mut().chain(self.smoothing.iter_mut()) {
            section.flush();
        }
        for state in [&mut self.dc_input, &mut self.dc_output] {
            if !is_live(*state) {
                *state = 0.0;
            }
        }
    }
}
