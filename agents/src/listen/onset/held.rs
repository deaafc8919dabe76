//! The onset detector's held bands: the energy of one band-passed copy of the input, whose rise over its own
//! background must hold over a few sub-blocks to count. Two of them run: the high band (the pick's click above the
//! partials, heard through a dark tone) and the mid band (the pick of a distorted or palm-muted note, heard before
//! its swell reaches the pre-emphasised energy).
//!
//! High band. A neck pickup with the tone knob rolled off (a 12 dB/octave low-pass at 2 kHz, common in jazz) leaves
//! the pre-emphasised energy to the 1-2 kHz partials that ring on: a new note's attack hardly rises above them, and
//! the detector waits for the flux, blocks later, or misses the note. The pick's click is broadband and still jumps
//! 10-20 dB in the band of 8 to 12 kHz, where the strings' partials have died within milliseconds and the tone
//! control has taken 24-30 dB off everything alike (a rise is a ratio: the band's level does not matter). On
//! guitar-dev through that low-pass, the energy rise at the attacks heard late was 0 dB, the band's 8 to 20.
//!
//! Above 12 kHz a resampler's or a converter's filter rings at a splice for a millisecond (guitar-dev transposed
//! two semitones: its legato slides turned into onsets), so the band stops there; below it, a splice's one-sample
//! step rings for a few samples, a pick's click for a millisecond or more: a rise counts only when it holds over
//! three sub-blocks (1 ms).
//!
//! Mid band. An overdriven or palm-muted chord's pick shows first between 800 and 3200 Hz: above, the fizz of the
//! notes before fills the pre-emphasised energy; below, the low strings still ring (and the band's fourth-order
//! foot keeps them out); in the band, the new partials jump 10-20 dB within a sub-block or two while the
//! pre-emphasised energy rises 3-8 dB a block later. The rise must reach the pre-emphasised energy's 6 dB over
//! the same background, held over two sub-blocks (one sub-block is a step's ringing: a take cut off at its end
//! made an onset in every take of guitar-dev with 50 Hz hum). A step of the waveform rings in the band for a
//! sub-block or two over nothing, so no rise counts while one is in the held sub-blocks: a splice (legato
//! hammer-ons of a render), which the click watch finds in the pre-emphasised signal, or a cut whose step is
//! lost under the gate (only hum before it), which the emphasised energy's collapse after it shows. A rise of a
//! single sub-block counts too when it is larger (7 dB) and stands far (18 dB) over the band's noise floor: a
//! band an octave or two wide churns by several dB from one sub-block to the next, and the hold is what keeps
//! that churn out near the floor; far above it, only an attack jumps so far in a third of a millisecond. A pick
//! that starts in a block's last sub-block is then heard in that block. It does not count at a spike (a sub-block
//! of the pre-emphasised signal whose energy is mostly one sample's): the step of a cut rings in the band at once,
//! before the collapse after it is seen. On guitar-dev
//! the palm-muted chugs of f3 are heard at a median delay of 4.2 ms instead of 4.8 (90th percentile 5.4 instead
//! of 6.7), the whole set's 90th percentile 6.4 -> 6.3 ms; through a +12 dB treble shelf 7.2 -> 5.6 ms; no onset
//! lost or added on guitar-dev or any of its altered copies.

use super::energy::{EnergyTrack, sub_block_energy};
use super::{BLOCK, OnsetDetector, OnsetFrame, OnsetParams, SUB, TINY};
use crate::listen::biquad::Biquad;
use crate::listen::power_ratio;
use std::f32::consts::FRAC_1_SQRT_2;

/// Most sub-blocks a rise can be held over.
pub(super) const MAX_HOLD: usize = 4;

/// Band-pass, samples and energy envelope of one held band.
pub(super) struct HeldBand {
    /// Fourth-order high-pass at the band's foot, second-order low-pass at its top (run by the detector's loop
    /// over the block, beside its other filters, so their chains of dependent operations overlap).
    pub(super) filters: [Biquad; 3],
    track: EnergyTrack,
    /// Band-passed samples of the current block.
    pub(super) band: [f32; BLOCK],
    /// Energies of the sub-blocks before the newest, newest first (the first `hold - 1` are used).
    previous: [f32; MAX_HOLD],
    /// Sub-blocks the rise must hold over (1 to `MAX_HOLD`).
    hold: usize,
    /// How far the held energy must rise over the background (linear; `f32::MAX`: off).
    pub(super) rise_ratio: f32,
    /// How far the newest sub-block's energy alone must rise over the background (linear; `f32::MAX`: off), and
    /// over the band's noise floor.
    quick_ratio: f32,
    quick_floor: f32,
}

/// What a held band heard in one sub-block: rises (linear) over its background.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct BandRise {
    /// The least energy of the held sub-blocks over the background.
    pub(super) held: f32,
    /// The newest sub-block's energy over the background.
    pub(super) newest: f32,
    /// The newest sub-block's energy over the band's noise floor.
    pub(super) over_floor: f32,
}

/// The two held bands the detector runs (see the module's text).
#[derive(Clone, Copy, Debug)]
pub(super) enum Band {
    High,
    Mid,
}

impl HeldBand {
    /// The `band` of `params` at `sr`, with the background window (`window` sub-blocks, gap included) and the
    /// noise-floor tracking of the pre-emphasised energy.
    pub(super) fn of(
        band: Band,
        sr: f32,
        params: &OnsetParams,
        window: usize,
        smooth_coef: f32,
        floor_rise: f32,
    ) -> Self {
        let ((foot, top), hold, rise_db, quick_db) = match band {
            Band::High => (params.high_band_hz, 3, params.high_rise_db, 0.0),
            Band::Mid => (
                params.mid_band_hz,
                params.mid_hold_subs,
                params.mid_rise_db,
                params.mid_quick_rise_db,
            ),
        };
        Self {
            filters: [
                Biquad::high_pass(sr, foot, FRAC_1_SQRT_2),
                Biquad::high_pass(sr, foot, FRAC_1_SQRT_2),
                Biquad::low_pass(sr, top, FRAC_1_SQRT_2),
            ],
            track: EnergyTrack::new(window, params.gap_subs, smooth_coef, floor_rise, 0),
            band: [0.0; BLOCK],
            previous: [TINY; MAX_HOLD],
            hold: hold.clamp(1, MAX_HOLD),
            rise_ratio: rise_or_off(rise_db),
            // (part of the band's rule: off with it)
            quick_ratio: if rise_db > 0.0 {
                rise_or_off(quick_db)
            } else {
                f32::MAX
            },
            quick_floor: power_ratio(params.mid_quick_floor_db),
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
    /// background, held over `hold` sub-blocks, or `None` when the band is not audible there (below `gate` or
    /// `floor_ratio` over its noise floor); `trim` of its largest samples are left out of its energy.
    pub(super) fn push_sub(
        &mut self,
        start: usize,
        trim: usize,
        gate: f32,
        floor_ratio: f32,
    ) -> Option<BandRise> {
        let samples = self.band.get(start..start + SUB).unwrap_or(&[]);
        let energy = sub_block_energy(samples, trim).trimmed;
        let background = self.track.push(energy);
        let held = self
            .previous
            .iter()
            .take(self.hold - 1)
            .fold(energy, |a, &b| a.min(b));
        self.previous.copy_within(..MAX_HOLD - 1, 1);
        self.previous[0] = energy;
        (energy > gate && energy > self.track.noise_floor() * floor_ratio).then_some(BandRise {
            held: held / background,
            newest: energy / background,
            over_floor: energy / self.track.noise_floor(),
        })
    }

    /// Sub-blocks after a step of the waveform during which its ringing in the band can fill the held sub-blocks:
    /// the step's own, the next (a band-pass of a few hundred Hz rings for half a millisecond) and the held.
    pub(super) fn ring_subs(&self) -> u32 {
        self.hold as u32 + 1
    }

    /// The first sample of the held sub-blocks whose newest starts at `start` (of the current block; 0 if the
    /// first was in an earlier block).
    pub(super) fn held_from(&self, start: usize) -> usize {
        start.saturating_sub((self.hold - 1) * SUB)
    }
}

impl OnsetDetector {
    /// The mid band's rules for its `rise` in the sub-block starting at `start` (`None`: not audible), `spike`
    /// telling whether the pre-emphasised sub-block's energy is mostly one sample's: the rise held over the band's
    /// sub-blocks, or a larger one of the newest alone, far over the band's noise floor and not at a spike (a cut of
    /// hum, its step lost under the gate, rings in the band at once); neither while a step's ringing can fill it.
    pub(super) fn hear_mid(
        &mut self,
        frame: &mut OnsetFrame,
        start: usize,
        rise: Option<BandRise>,
        spike: bool,
    ) {
        let spike_near = spike || std::mem::replace(&mut self.spike_before, spike);
        let ring = self.mid.ring_subs();
        let Some(rise) =
            rise.filter(|_| self.click.step_age() > ring && self.since_collapse > ring)
        else {
            return;
        };
        if rise.held > self.mid.rise_ratio {
            // (the rise has held since the first of the held sub-blocks)
            self.energy_onset(frame, self.mid.held_from(start), rise.held);
        } else if rise.newest > self.mid.quick_ratio
            && rise.over_floor > self.mid.quick_floor
            && !spike_near
        {
            self.energy_onset(frame, start, rise.newest);
        }
    }
}

/// The power ratio of a rise of `db`, or `f32::MAX` (never reached) when `db` is 0 or less: the path is off.
pub(super) fn rise_or_off(db: f32) -> f32 {
    if db > 0.0 { power_ratio(db) } else { f32::MAX }
}
