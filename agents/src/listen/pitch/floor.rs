//! The noise floor of the analysed signal (hiss, a room's hush), measured where no note is voiced.
//!
//! Noise that is independent of a note adds its energy to both sides of every lag pair but nothing to their
//! product at the note's period, so a window whose energy is a fraction `s` note and `1 - s` noise reads a
//! clarity of about `s` times the note's own: a soft note under hiss (or a note's tail fading into it) falls
//! below the clarity thresholds while it is still plainly heard. Knowing the noise's share of a window's energy,
//! the tracker divides it out and judges the note's own periodicity ([`NoiseFloor::share_of_note`]).
//!
//! The floor is the quietest level heard while nothing is voiced (silence, a rest in the hiss, the end of a
//! damped note's tail), falling at once to a quieter level and rising slowly, so that a floor that rose (an amp's
//! gate opening) is learnt within a second or two. Levels heard while a note is voiced are never taken for the
//! floor: a legato line that never rests is not noise.

use super::nsdf::Reading;
use crate::listen::power_ratio;

/// Time constant (seconds) of the level the floor is taken from: long enough that a single quiet moment of
/// the noise does not pull the floor far below its mean, short enough to find a rest of a few tens of ms.
const LEVEL_SECONDS: f32 = 0.05;
/// Time constant (seconds) with which the floor falls to a quieter level: the level's dips below the noise's
/// mean (shorter than this) pull it down only a little, a real fall of the noise within a second.
const FALL_SECONDS: f32 = 0.2;
/// How fast (dB per second of unvoiced blocks) the floor rises towards a level above it.
const RISE_DB_PER_SECOND: f32 = 6.0;
/// Lowest floor (mean square, -120 dBFS) it rises from: digital silence is a floor of 0, but a floor learnt there
/// must be able to rise when hiss comes.
const LOWEST: f32 = 1.0e-12;
/// A window needs at least this share of its energy from the note (power ratio; 0.5 is the note as loud as the
/// noise) for its clarity to be corrected: below it the window is mostly noise, whose own chance periodicity
/// must not be amplified into a note. The correction is then at most a factor of 1 / this.
pub(super) const NOTE_SHARE_MIN: f32 = 0.35;

/// Tracks the noise floor's mean square.
pub(super) struct NoiseFloor {
    /// Sum of squares of this block's samples, and their count.
    block_energy: f32,
    block_count: u32,
    /// Mean square, smoothed over [`LEVEL_SECONDS`] (a plain mean over the blocks heard while fewer).
    level: f32,
    level_weight: f32,
    blocks_heard: u32,
    /// Floor (mean square), and whether it was learnt from a first quiet block (0 until then).
    floor: f32,
    learnt: bool,
    /// Power ratio of the floor's rise per block.
    rise: f32,
    /// Weight with which a quieter level pulls the floor down, per block.
    fall_weight: f32,
    /// Blocks heard before the level is taken for the floor at all ([`LEVEL_SECONDS`]).
    settle_blocks: u32,
}

impl NoiseFloor {
    /// For blocks of `block_seconds`.
    pub(super) fn new(block_seconds: f32) -> Self {
        let block_seconds = block_seconds.max(1.0e-5);
        Self {
            block_energy: 0.0,
            block_count: 0,
            level: 0.0,
            level_weight: 1.0 - (-block_seconds / LEVEL_SECONDS).exp(),
            blocks_heard: 0,
            floor: 0.0,
            learnt: false,
            rise: power_ratio(RISE_DB_PER_SECOND * block_seconds),
            fall_weight: 1.0 - (-block_seconds / FALL_SECONDS).exp(),
            settle_blocks: (LEVEL_SECONDS / block_seconds).ceil() as u32,
        }
    }

    /// Takes one sample of the analysed signal.
    #[inline]
    pub(super) fn push(&mut self, y: f32) {
        self.block_energy += y * y;
        self.block_count += 1;
    }

    /// Ends the block; `quiet` tells whether nothing was heard in it but what may be the floor (no note voiced or
    /// just attacked, the level far below the last attack's).
    pub(super) fn end_block(&mut self, quiet: bool) {
        let block_level = self.block_energy / self.block_count.max(1) as f32;
        (self.block_energy, self.block_count) = (0.0, 0);
        if block_level.is_finite() {
            self.blocks_heard = self.blocks_heard.saturating_add(1);
            let weight = self.level_weight.max(1.0 / self.blocks_heard as f32);
            self.level += weight * (block_level - self.level);
        }
        if !self.level.is_finite() || self.level < 1.0e-30 {
            self.level = 0.0;
        }
        if !quiet || self.blocks_heard < self.settle_blocks {
            return;
        }
        self.floor = if !self.learnt {
            self.level
        } else if self.level < self.floor {
            self.floor + self.fall_weight * (self.level - self.floor)
        } else {
            (self.floor.max(LOWEST) * self.rise).min(self.level)
        };
        self.learnt = true;
        if !self.floor.is_finite() {
            self.floor = 0.0;
        }
    }

    /// The floor's mean square (0 before any unvoiced block).
    #[cfg(test)]
    pub(super) fn mean_square(&self) -> f32 {
        self.floor
    }

    /// `reading` with the share of its window's energy that is the note, not the noise floor; `copies` is how
    /// many independent copies of the noise the window's signal holds.
    pub(super) fn judge(&self, reading: Reading, copies: f32) -> Reading {
        Reading {
            note_share: self.share_of_note(reading.mean_square, copies),
            ..reading
        }
    }

    /// The share of a window's energy (`mean_square`, of a signal carrying `copies` independent copies of the
    /// noise) that is not the noise floor; 1 when that share is below [`NOTE_SHARE_MIN`] (the window is mostly
    /// noise, and its clarity stands as read) or nothing is known of the floor.
    pub(super) fn share_of_note(&self, mean_square: f32, copies: f32) -> f32 {
        self.share_above(mean_square, copies, NOTE_SHARE_MIN)
    }

    /// The share of a window's energy (`mean_square`, of a signal carrying `copies` independent copies of the
    /// noise) that is not the noise floor, when it is at least `least`; 1 when it is less or nothing is known of
    /// the floor.
    pub(super) fn share_above(&self, mean_square: f32, copies: f32, least: f32) -> f32 {
        match self.share(mean_square, copies) {
            Some(share) if share >= least => share.min(1.0),
            _ => 1.0,
        }
    }

    /// The share of a window's energy (`mean_square`, of a signal carrying `copies` independent copies of the
    /// noise) that is not the noise floor, negative when the window is quieter than the floor; none when nothing is
    /// known of the floor or of the window.
    pub(super) fn share(&self, mean_square: f32, copies: f32) -> Option<f32> {
        if mean_square.is_nan() || mean_square <= 0.0 || self.floor <= 0.0 {
            return None;
        }
        Some(1.0 - copies * self.floor / mean_square).filter(|s| s.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK_SECONDS: f32 = 64.0 / 48_000.0;

    fn feed(floor: &mut NoiseFloor, level: f32, blocks: usize, quiet: bool) {
        for _ in 0..blocks {
            for _ in 0..16 {
                floor.push(level.sqrt());
            }
            floor.end_block(quiet);
        }
    }

    fn db(ratio: f32) -> f32 {
        10.0 * ratio.log10()
    }

    #[test]
    fn the_floor_is_the_quiet_level_and_ignores_the_other_blocks() {
        let mut floor = NoiseFloor::new(BLOCK_SECONDS);
        feed(&mut floor, 1.0e-6, 200, true);
        assert!(db(floor.mean_square() / 1.0e-6).abs() < 0.1);
        feed(&mut floor, 1.0e-2, 2000, false);
        assert!(db(floor.mean_square() / 1.0e-6).abs() < 0.1);
    }

    #[test]
    fn the_floor_rises_slowly_to_a_louder_noise_even_from_digital_silence() {
        let mut floor = NoiseFloor::new(BLOCK_SECONDS);
        feed(&mut floor, 1.0e-6, 200, true);
        // one second of noise 10 dB louder: 6 dB of it learnt
        feed(&mut floor, 1.0e-5, 750, true);
        let rise = db(floor.mean_square() / 1.0e-6);
        assert!((rise - 6.0).abs() < 0.5, "{rise} dB");
        let mut floor = NoiseFloor::new(BLOCK_SECONDS);
        feed(&mut floor, 0.0, 200, true);
        feed(&mut floor, 1.0e-10, 750, true);
        assert!(floor.mean_square() >= 3.0e-12, "{}", floor.mean_square());
    }

    #[test]
    fn a_window_mostly_noise_keeps_its_clarity_and_one_mostly_note_is_corrected() {
        let mut floor = NoiseFloor::new(BLOCK_SECONDS);
        assert_eq!(floor.share_of_note(1.0e-6, 1.0), 1.0);
        feed(&mut floor, 1.0e-6, 200, true);
        assert_eq!(floor.share_of_note(1.2e-6, 1.0), 1.0);
        assert!((floor.share_of_note(4.0e-6, 1.0) - 0.75).abs() < 0.01);
        assert!((floor.share_of_note(4.0e-6, 2.0) - 0.5).abs() < 0.01);
        assert_eq!(floor.share_of_note(f32::NAN, 1.0), 1.0);
    }
}
