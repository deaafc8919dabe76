//! What a room goes on sounding after a note is damped: the note's own pitch, or one of its partials.
//!
//! Once a damping is heard ([`super::release`]), a room's reverberation still sounds the damped note for a few
//! tenths of a second, unevenly: its reflections beat, so its level may hold for tens of milliseconds before it
//! falls on, and it may be read as the note, or as one of its partials, clear and without an attack. Such a
//! reading is the room's tail, not a note, until the next attack: once it has fallen below the level at which the
//! damping was heard. Nearer that level, the same pitch may be a note picked just as the last was damped, its level
//! hidden under the damped note's fall (heard as a damping too) until that fall is over.

/// A pitch voiced this long (seconds) is a note whose room may go on sounding it once it is damped; a pitch
/// voiced for less may be a passing reading of the damping itself.
const STEADY_SECONDS: f32 = 0.05;
/// The tail is heard this far under the level at which the damping was heard (power ratio, -3 dB): a room's tail
/// falls on (60 dB per reverberation time, with a moment's hold now and then), a note picked as the last was damped
/// holds near the level at which its fall was heard.
const TAIL_BELOW: f32 = 0.5;
/// Partials of a damped note (from the fundamental) that its room's tail may be read at.
const TAIL_PARTIALS: u32 = 4;

/// Remembers the pitch of the note last damped while its room's tail may still sound it.
pub(super) struct RoomTail {
    /// Pitch of the note last heard damped, while its tail may sound (0 for none).
    tail_hz: f32,
    /// The last pitch voiced for [`STEADY_SECONDS`] on end since the last attack (0 for none), and for how many
    /// blocks the pitch
    /// voiced last has lasted.
    steady_hz: f32,
    steady_blocks: u32,
    /// [`STEADY_SECONDS`] in blocks.
    steady_needed: u32,
    /// No damping was heard since the last attack: the next one ends the attacked note (or the notes it led to
    /// by hammer-ons and slides). A note heard later without an attack, under the damped one's falling tail, is
    /// heard falling with it, but is no damped note.
    armed: bool,
    /// Level (mean square) below which the tail is heard: [`TAIL_BELOW`] under the level at the damping.
    tail_level: f32,
}

impl RoomTail {
    /// For blocks of `block_seconds`.
    pub(super) fn new(block_seconds: f32) -> Self {
        Self {
            tail_hz: 0.0,
            steady_hz: 0.0,
            steady_blocks: 0,
            steady_needed: (STEADY_SECONDS / block_seconds.max(1.0e-5)).ceil() as u32,
            armed: true,
            tail_level: 0.0,
        }
    }

    /// The tracker voiced `hz` (0 for unvoiced) after `previous_hz`.
    pub(super) fn voiced(&mut self, hz: f32, previous_hz: f32, same_note_tolerance: f32) {
        let same = hz > 0.0 && (hz / previous_hz - 1.0).abs() < same_note_tolerance;
        self.steady_blocks = if same {
            self.steady_blocks.saturating_add(1)
        } else {
            0
        };
        if self.steady_blocks >= self.steady_needed {
            self.steady_hz = hz;
        }
    }

    /// A damping was just heard: the steady note, if it is the first damped since the last attack, is what its
    /// room goes on sounding.
    pub(super) fn damping(&mut self, level: f32) {
        if self.armed && self.steady_hz > 0.0 {
            self.tail_hz = self.steady_hz;
            self.tail_level = TAIL_BELOW * level;
            self.armed = false;
        }
    }

    /// A note was attacked: what sounds now is that note, and only once it has been steady is it a damped note.
    pub(super) fn attack(&mut self) {
        self.tail_hz = 0.0;
        self.armed = true;
        self.steady_hz = 0.0;
        self.steady_blocks = 0;
    }

    /// Whether `hz`, heard at `level` (mean square), is the damped note's pitch or one of its first partials
    /// (within `tolerance`, a fraction), in its tail.
    pub(super) fn sounds(&self, hz: f32, level: f32, tolerance: f32) -> bool {
        let note = self.tail_hz;
        note > 0.0
            && level < self.tail_level
            && (1..=TAIL_PARTIALS).any(|k| (hz / (k as f32 * note) - 1.0).abs() <= tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK_SECONDS: f32 = 64.0 / 48_000.0;

    fn damped_after_steady(hz: f32, blocks: u32) -> RoomTail {
        let mut tail = RoomTail::new(BLOCK_SECONDS);
        let mut previous = 0.0;
        for _ in 0..blocks {
            tail.voiced(hz, previous, 0.03);
            previous = hz;
        }
        tail.damping(1.0);
        tail
    }

    #[test]
    fn a_steady_note_damped_leaves_its_pitch_and_partials_as_the_tail() {
        let tail = damped_after_steady(220.0, 60);
        assert!(
            tail.sounds(221.0, 0.1, 0.03)
                && tail.sounds(660.0, 0.1, 0.03)
                && tail.sounds(880.0, 0.1, 0.03)
        );
        assert!(!tail.sounds(247.0, 0.1, 0.03) && !tail.sounds(110.0, 0.1, 0.03));
        assert!(
            !tail.sounds(220.0, 0.5, 0.03),
            "a level near the damping's is no tail"
        );
    }

    #[test]
    fn a_passing_pitch_is_no_tail_and_an_attack_ends_one() {
        assert!(!damped_after_steady(220.0, 20).sounds(220.0, 0.1, 0.03));
        let tail = damped_after_steady(220.0, 60);
        assert!(tail.sounds(220.0, 0.1, 0.03));
        let mut tail = damped_after_steady(220.0, 60);
        tail.attack();
        assert!(!tail.sounds(220.0, 0.1, 0.03));
    }

    #[test]
    fn a_note_heard_after_a_damping_without_an_attack_is_no_tail_when_it_falls_too() {
        let mut tail = damped_after_steady(220.0, 60);
        let mut previous = 0.0;
        for _ in 0..60 {
            tail.voiced(330.0, previous, 0.03);
            previous = 330.0;
        }
        tail.damping(1.0);
        assert!(tail.sounds(220.0, 0.1, 0.03) && !tail.sounds(330.0, 0.1, 0.03));
    }
}
