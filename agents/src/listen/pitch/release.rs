//! Hears a note being damped: its level falling much faster than a free string's ever does.
//!
//! A string left to ring loses a few dB per 50 ms at most (its high partials die first, then the decay slows); a
//! string damped by a palm or a lifted finger dies with a time constant of a few tens of milliseconds, 10–20 dB
//! in 50 ms. A fall that steep means the note has ended even while what is left of it is still periodic and far
//! above the noise, so the tracker stops voicing it. The damping is over at the next attack, when the level rises
//! clearly again, or when it stops falling: a damped string dies away, so a level that holds is a note still
//! sounding (a soft note picked just as a loud one was damped). Notes that ring on are then voiced as long as
//! they are heard, however far they have faded from their attack.
//!
//! In a room the damping is heard less steeply: the room goes on sounding the note it was fed, a few dB under the
//! direct sound, and its tail dies at 60 dB per reverberation time (120 dB/s in a small room of 0.5 s). Over
//! 50 ms the level then falls by the step of the direct sound's end plus a little, short of [`FALL_DB`]; over a
//! longer span it falls by that step and most of [`LONG_FALL_DB`] more, far faster than any free string. A tone's
//! reverberation also fades unevenly (the reflections beat), so the level of a damped note's room tail may hold
//! for a moment, ending the damping; the tail then falls on at the room's rate ([`FALL_ON_DB`] over 100 ms, or
//! half of it over 50 ms), which damps the note again, and this second damping only ends when the level holds over the longer span.
//! Where the room's tail is nearly as loud as the direct sound, the step is small and the fall is the room's own:
//! over 0.15 s, a fall at a small room's rate ([`ROOM_FALL_DB_PER_SECOND`]) is a damping too, and over 0.3 s one
//! at a hall's ([`HALL_FALL_DB_PER_SECOND`]).

use crate::listen::power_ratio;

/// Span (seconds) over which a damping's fall is measured.
const FALL_SECONDS: f32 = 0.05;
/// A fall of this much (dB) over [`FALL_SECONDS`] is a damping: a free string falls at most about half as fast.
const FALL_DB: f32 = 12.0;
/// Longer span (seconds) over which a damping heard in a room is measured ...
const LONG_FALL_SECONDS: f32 = 0.1;
/// ... and the fall (dB) over it that is a damping (160 dB/s): a free string loses a few dB in this time, a
/// string damped in a room the step of its direct sound's end (several dB) and the room's tail's fall.
const LONG_FALL_DB: f32 = 16.0;
/// Fall (dB) over [`LONG_FALL_SECONDS`] that is still the damping of a note heard damped whose level then held for
/// a moment (90 dB/s, a room of up to 0.65 s): a tone's reverberation fades unevenly, holding or swelling for tens
/// of milliseconds as the room's reflections beat, then falls on. A free string falls a few dB in this time.
const FALL_ON_DB: f32 = 9.0;
/// A rise of this much (dB) above the lowest level since the damping is a new note.
const RISE_DB: f32 = 10.0;
/// Span (seconds) over which a level that has stopped falling is measured ...
const HOLD_SECONDS: f32 = 0.02;
/// ... and the most it may fall (dB) over that span to count as holding; a damped string falls about 6 dB.
const HOLD_DB: f32 = 1.5;
/// Longest span (seconds) over which a damping heard in a room is measured ...
const ROOM_FALL_SECONDS: f32 = 0.15;
/// ... and the rate of fall over it (dB per second) that is a damping: in a room the damped string's direct sound
/// dies within tens of milliseconds and the room's tail falls at 60 dB per reverberation time, fast enough for
/// rooms of up to 0.5 s, while a free string, once its first upper partials have died, falls many times slower.
const ROOM_FALL_DB_PER_SECOND: f32 = 120.0;
/// Longest span (seconds) over which a damping heard in a hall is measured, and the rate of fall over it (dB per
/// second) that is a damping: halls of up to 1 s reverberation time; a free string falls this much this long only
/// in its first moments, which the span, starting at the attack, leaves out.
const HALL_FALL_SECONDS: f32 = 0.3;
const HALL_FALL_DB_PER_SECOND: f32 = 60.0;
/// Largest ring of block levels kept (more than [`HALL_FALL_SECONDS`] at any usual block size).
const MAX_SPAN_BLOCKS: usize = 512;

/// Tells a damped note from a ringing one by how fast its level falls.
pub(super) struct ReleaseDetector {
    /// Mean-square level at the end of each of the last `long_span` blocks; `next` is overwritten first.
    levels: [f32; MAX_SPAN_BLOCKS],
    /// Blocks in [`LONG_FALL_SECONDS`], in [`FALL_SECONDS`] (less than `long_span`), and in [`HOLD_SECONDS`]
    /// (at most `long_span`).
    long_span: usize,
    span: usize,
    hold_span: usize,
    /// Blocks in [`ROOM_FALL_SECONDS`] (at least `long_span`), and the power ratio of the fall over it at
    /// [`ROOM_FALL_DB_PER_SECOND`].
    room_span: usize,
    room_fall_ratio: f32,
    /// Blocks in [`HALL_FALL_SECONDS`] (at least `room_span`): the length of the ring, and the power ratio of the
    /// fall over it at [`HALL_FALL_DB_PER_SECOND`].
    hall_span: usize,
    hall_fall_ratio: f32,
    /// Next slot of `levels` to write: the level `hall_span` blocks ago once the ring is full.
    next: usize,
    /// Blocks written since the last attack, up to `hall_span`.
    filled: usize,
    /// Power ratios of [`FALL_DB`], [`LONG_FALL_DB`], [`RISE_DB`] and [`HOLD_DB`].
    fall_ratio: f32,
    long_fall_ratio: f32,
    rise_ratio: f32,
    hold_ratio: f32,
    /// While damped, the lowest level since the damping was heard.
    damped_low: Option<f32>,
    /// The note was heard damped and its level then held, with no attack, rise or new note since.
    held_after_damping: bool,
    /// Power ratio of [`FALL_ON_DB`], of the fall over [`LONG_FALL_SECONDS`] at the rate of [`HOLD_DB`] in
    /// [`HOLD_SECONDS`] (below which a note damped again as it fell on holds), and of the fall over
    /// [`FALL_SECONDS`] at the rate of [`FALL_ON_DB`] (the same fall on, heard sooner).
    fall_on_ratio: f32,
    fall_on_hold_ratio: f32,
    fall_on_half_ratio: f32,
}

impl ReleaseDetector {
    /// For blocks of `block_seconds`.
    pub(super) fn new(block_seconds: f32) -> Self {
        let blocks = |seconds: f32| (seconds / block_seconds.max(1.0e-5)).round() as usize;
        let long_span = blocks(LONG_FALL_SECONDS).clamp(3, MAX_SPAN_BLOCKS);
        let span = blocks(FALL_SECONDS).clamp(2, long_span - 1);
        let room_span = blocks(ROOM_FALL_SECONDS).clamp(long_span, MAX_SPAN_BLOCKS);
        let hall_span = blocks(HALL_FALL_SECONDS).clamp(room_span, MAX_SPAN_BLOCKS);
        let seconds = |span: usize| span as f32 * block_seconds.max(1.0e-5);
        let room_seconds = seconds(room_span);
        Self {
            hall_span,
            hall_fall_ratio: power_ratio(-HALL_FALL_DB_PER_SECOND * seconds(hall_span)),
            room_span,
            room_fall_ratio: power_ratio(-ROOM_FALL_DB_PER_SECOND * room_seconds),
            levels: [0.0; MAX_SPAN_BLOCKS],
            long_span,
            span,
            hold_span: blocks(HOLD_SECONDS).clamp(1, long_span),
            next: 0,
            filled: 0,
            fall_ratio: power_ratio(-FALL_DB),
            long_fall_ratio: power_ratio(-LONG_FALL_DB),
            rise_ratio: power_ratio(RISE_DB),
            hold_ratio: power_ratio(-HOLD_DB),
            damped_low: None,
            held_after_damping: false,
            fall_on_ratio: power_ratio(-FALL_ON_DB),
            fall_on_half_ratio: power_ratio(-FALL_ON_DB * FALL_SECONDS / LONG_FALL_SECONDS),
            fall_on_hold_ratio: power_ratio(-HOLD_DB * LONG_FALL_SECONDS / HOLD_SECONDS),
        }
    }

    /// A note was attacked: the damping, and the levels before the attack, are forgotten.
    pub(super) fn attack(&mut self) {
        self.damped_low = None;
        self.held_after_damping = false;
        self.filled = 0;
    }

    /// A new note was heard without an attack: the damping is over.
    pub(super) fn new_note(&mut self) {
        self.damped_low = None;
        self.held_after_damping = false;
    }

    /// Takes the level (mean square) at the end of a block; returns whether the note sounding has been damped.
    pub(super) fn damped(&mut self, level: f32) -> bool {
        let level = if level.is_finite() {
            level.max(0.0)
        } else {
            0.0
        };
        let ago = |blocks: usize| {
            let slot = (self.next + self.hall_span - blocks) % self.hall_span;
            self.levels.get(slot).copied().unwrap_or(0.0)
        };
        let long_span_ago = ago(self.long_span);
        let room_span_ago = ago(self.room_span);
        let hall_span_ago = ago(self.hall_span);
        let span_ago = ago(self.span);
        let hold_ago = ago(self.hold_span);
        if let Some(slot) = self.levels.get_mut(self.next) {
            *slot = level;
        }
        self.next = (self.next + 1) % self.hall_span;
        self.filled = (self.filled + 1).min(self.hall_span);
        let long_ratio = if self.held_after_damping {
            self.fall_on_ratio
        } else {
            self.long_fall_ratio
        };
        let falling_fast = (self.filled >= self.span && level < self.fall_ratio * span_ago)
            || (self.filled >= self.long_span && level < long_ratio * long_span_ago)
            || (self.filled >= self.room_span && level < self.room_fall_ratio * room_span_ago)
            || (self.filled == self.hall_span && level < self.hall_fall_ratio * hall_span_ago)
            || (self.held_after_damping
                && self.filled >= self.span
                && level < self.fall_on_half_ratio * span_ago);
        // A note damped again as it fell on holds only if its level holds over the longer span: it has already
        // been heard holding for a moment that was the room's unevenness.
        let holding = if self.held_after_damping {
            level >= self.fall_on_hold_ratio * long_span_ago
        } else {
            level >= self.hold_ratio * hold_ago
        };
        self.damped_low = match self.damped_low {
            Some(low) if level > self.rise_ratio * low || holding => {
                // The fall just judged is over and is not judged again; a level that merely held may fall on.
                self.held_after_damping = level <= self.rise_ratio * low;
                self.filled = 0;
                None
            }
            Some(low) => Some(low.min(level)),
            None if falling_fast => Some(level),
            None => None,
        };
        self.damped_low.is_some()
    }
}
