//! Hears a note being damped: its level falling much faster than a free string's ever does.
//!
//! A string left to ring loses a few dB per 50 ms at most (its high partials die first, then the decay slows); a
//! string damped by a palm or a lifted finger dies with a time constant of a few tens of milliseconds, 10–20 dB
//! in 50 ms. A fall that steep means the note has ended even while what is left of it is still periodic and far
//! above the noise, so the tracker stops voicing it. The damping is over at the next attack, when the level rises
//! clearly again, or when it stops falling: a damped string dies away, so a level that holds is a note still
//! sounding (a soft note picked just as a loud one was damped). Notes that ring on are then voiced as long as
//! they are heard, however far they have faded from their attack.

/// Span (seconds) over which a damping's fall is measured.
const FALL_SECONDS: f32 = 0.05;
/// A fall of this much (dB) over [`FALL_SECONDS`] is a damping: a free string falls at most about half as fast.
const FALL_DB: f32 = 12.0;
/// A rise of this much (dB) above the lowest level since the damping is a new note.
const RISE_DB: f32 = 10.0;
/// Span (seconds) over which a level that has stopped falling is measured ...
const HOLD_SECONDS: f32 = 0.02;
/// ... and the most it may fall (dB) over that span to count as holding; a damped string falls about 6 dB.
const HOLD_DB: f32 = 1.5;
/// Largest ring of block levels kept (more than [`FALL_SECONDS`] at any usual block size).
const MAX_SPAN_BLOCKS: usize = 64;

/// Tells a damped note from a ringing one by how fast its level falls.
pub(super) struct ReleaseDetector {
    /// Mean-square level at the end of each of the last `span` blocks; `next` is overwritten first.
    levels: [f32; MAX_SPAN_BLOCKS],
    /// Blocks in [`FALL_SECONDS`], and in [`HOLD_SECONDS`] (less than `span`).
    span: usize,
    hold_span: usize,
    /// Next slot of `levels` to write: the level `span` blocks ago once the ring is full.
    next: usize,
    /// Blocks written since the last attack, up to `span`.
    filled: usize,
    /// Power ratios of [`FALL_DB`], [`RISE_DB`] and [`HOLD_DB`].
    fall_ratio: f32,
    rise_ratio: f32,
    hold_ratio: f32,
    /// While damped, the lowest level since the damping was heard.
    damped_low: Option<f32>,
}

impl ReleaseDetector {
    /// For blocks of `block_seconds`.
    pub(super) fn new(block_seconds: f32) -> Self {
        let blocks = |seconds: f32| (seconds / block_seconds.max(1.0e-5)).round() as usize;
        let span = blocks(FALL_SECONDS).clamp(2, MAX_SPAN_BLOCKS);
        Self {
            levels: [0.0; MAX_SPAN_BLOCKS],
            span,
            hold_span: blocks(HOLD_SECONDS).clamp(1, span - 1),
            next: 0,
            filled: 0,
            fall_ratio: 10.0f32.powf(-FALL_DB / 10.0),
            rise_ratio: 10.0f32.powf(RISE_DB / 10.0),
            hold_ratio: 10.0f32.powf(-HOLD_DB / 10.0),
            damped_low: None,
        }
    }

    /// A note was attacked: the damping, and the levels before the attack, are forgotten.
    pub(super) fn attack(&mut self) {
        self.damped_low = None;
        self.filled = 0;
    }

    /// A new note was heard without an attack: the damping is over.
    pub(super) fn new_note(&mut self) {
        self.damped_low = None;
    }

    /// Takes the level (mean square) at the end of a block; returns whether the note sounding has been damped.
    pub(super) fn damped(&mut self, level: f32) -> bool {
        let level = if level.is_finite() {
            level.max(0.0)
        } else {
            0.0
        };
        let span_ago = self.levels.get(self.next).copied().unwrap_or(0.0);
        let hold_ago = self
            .levels
            .get((self.next + self.span - self.hold_span) % self.span)
            .copied()
            .unwrap_or(0.0);
        if let Some(slot) = self.levels.get_mut(self.next) {
            *slot = level;
        }
        self.next = (self.next + 1) % self.span;
        self.filled = (self.filled + 1).min(self.span);
        self.damped_low = match self.damped_low {
            Some(low) if level > self.rise_ratio * low || level >= self.hold_ratio * hold_ago => {
                None
            }
            Some(low) => Some(low.min(level)),
            None if self.filled == self.span && level < self.fall_ratio * span_ago => Some(level),
            None => None,
        };
        self.damped_low.is_some()
    }
}
