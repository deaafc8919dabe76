//! The onset detector's high band: the pick's click above the partials, heard through a dark tone.
//!
//! A neck pickup with the tone knob rolled off (a 12 dB/octave low-pass at 2 kHz, common in jazz) leaves the
//! pre-emphasised energy to the 1-2 kHz partials that ring on: a new note's attack hardly rises above them, and the
//! detector waits for the flux, blocks later, or misses the note. The pick's click is broadband and still jumps
//! 10-20 dB in the band of 8 to 12 kHz, where the strings' partials have died within milliseconds and the tone
//! control has taken 24-30 dB off everything alike (a rise is a ratio: the band's level does not matter). On
//! guitar-dev through that low-pass, the energy rise at the attacks heard late was 0 dB, the band's 8 to 20.
//!
//! Above 12 kHz a resampler's or a converter's filter rings at a splice for a millisecond (guitar-dev transposed
//! two semitones: its legato slides turned into onsets), so the band stops there; below it, a splice's one-sample
//! step rings for a few samples, a pick's click for a millisecond or more: a rise counts only when it holds over
//! three sub-blocks (1 ms).

use super::energy::{EnergyTrack, sub_block_energy};
use super::{BLOCK, OnsetParams, TINY};
use crate::listen::biquad::Biquad;
use std::f32::consts::FRAC_1_SQRT_2;

/// Band-pass, samples and energy envelope of the high band.
pub(super) struct HighBand {
    /// Fourth-order high-pass at the band's foot, second-order low-pass at its top (run by the detector's loop
    /// over the block, beside its other filters, so their chains of dependent operations overlap).
    pub(super) filters: [Biquad; 3],
    track: EnergyTrack,
    /// Band-passed samples of the current block.
    pub(super) band: [f32; BLOCK],
    /// Energies of the two sub-blocks before the newest, newest first.
    previous: [f32; 2],
    /// How far the energy of three sub-blocks must rise over the background (linear; `f32::MAX`: off).
    pub(super) rise_ratio: f32,
}

impl HighBand {
    /// The band of `params.high_band_hz` at `sr`, with the background of the pre-emphasised energy (`window` and
    /// `gap` sub-blocks) and its noise-floor tracking; its energy must rise `rise_ratio` over the background.
    pub(super) fn new(
        sr: f32,
        params: &OnsetParams,
        window: usize,
        smooth_coef: f32,
        floor_rise: f32,
        rise_ratio: f32,
    ) -> Self {
        let (foot, top) = params.high_band_hz;
        Self {
            filters: [
                Biquad::high_pass(sr, foot, FRAC_1_SQRT_2),
                Biquad::high_pass(sr, foot, FRAC_1_SQRT_2),
                Biquad::low_pass(sr, top, FRAC_1_SQRT_2),
            ],
            track: EnergyTrack::new(window, params.gap_subs, smooth_coef, floor_rise, 0),
            band: [0.0; BLOCK],
            previous: [TINY; 2],
            rise_ratio,
        }
    }

    /// Ends the block of `n` samples filtered into `band`: keeps the filters' states finite and zeroes the rest.
    pub(super) fn end_block(&mut self, n: usize) {
        for filter in &mut self.filters {
            filter.flush();
        }
        self.band[n.min(BLOCK)..].fill(0.0);
    }

    /// Takes in the sub-block of the current block starting at `start` and returns its rise (linear) over the
    /// background, held over three sub-blocks, or `None` when the band is not audible there (below `gate` or
    /// `floor_ratio` over its noise floor); `trim` of its largest samples are left out of its energy.
    pub(super) fn push_sub(
        &mut self,
        start: usize,
        trim: usize,
        gate: f32,
        floor_ratio: f32,
    ) -> Option<f32> {
        let samples = self.band.get(start..start + super::SUB).unwrap_or(&[]);
        let energy = sub_block_energy(samples, trim).trimmed;
        let background = self.track.push(energy);
        let held = energy.min(self.previous[0]).min(self.previous[1]);
        self.previous = [energy, self.previous[0]];
        (energy > gate && energy > self.track.noise_floor() * floor_ratio)
            .then_some(held / background)
    }
}
