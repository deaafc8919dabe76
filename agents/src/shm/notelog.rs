//! The note log: the notes the agents played, for recording and scoring, in the same lossy ring as events.

use super::finite;
use super::ring::{Reader, Record, Ring};

/// One played note. In the ring it is 32 bytes: the slot stamp (`seq`), `time`, `pitch | velocity << 32`
/// (f32 bits), and `agent | duration << 32` (bits 16..32 reserved, written 0).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Note {
    /// Sequence number in the log, 1 for the first note.
    pub seq: u64,
    /// Server sample time of the note's start.
    pub time: u64,
    /// Which agent played it (see [`crate::shm::agent`]).
    pub agent: u16,
    /// MIDI note number (fractional allowed). Always finite when read.
    pub pitch: f32,
    /// Velocity 0..1. Always finite when read.
    pub velocity: f32,
    /// Length in samples (0 when unknown, e.g. drums).
    pub duration: u32,
}

impl Record for Note {
    fn encode(&self) -> [u64; 3] {
        [
            self.time,
            u64::from(self.pitch.to_bits()) | u64::from(self.velocity.to_bits()) << 32,
            u64::from(self.agent) | u64::from(self.duration) << 32,
        ]
    }

    fn decode(seq: u64, [time, values, ids]: [u64; 3]) -> Self {
        Self {
            seq,
            time,
            agent: ids as u16,
            pitch: finite(f32::from_bits(values as u32)),
            velocity: finite(f32::from_bits((values >> 32) as u32)),
            duration: (ids >> 32) as u32,
        }
    }
}

/// The note log: see [`Ring`]. Written by any number of UGens at once through [`NoteLog::push`].
pub type NoteLog<'a> = Ring<'a, Note>;
/// A reader of the note log with its own cursor.
pub type NoteReader<'a> = Reader<'a, Note>;

impl Ring<'_, Note> {
    /// Logs a played note; callable from several threads at once. Never waits, allocates or makes a system
    /// call. Returns the note's sequence number, or `None` in the rare case its slot was still being written
    /// by a writer a whole lap behind (the note is dropped and readers count it lost).
    ///
    /// # Examples
    /// ```
    /// use agents::shm::{Note, NoteLog, NoteReader, loom::zeroed_words, ring::words_for};
    /// let words = zeroed_words(words_for(1024));
    /// let log = NoteLog::new(&words).unwrap();
    /// let mut reader = NoteReader::new(log);
    /// log.push(&Note { time: 48_000, agent: 2, pitch: 40.0, velocity: 0.7, duration: 12_000, seq: 0 });
    /// assert_eq!(reader.pop().map(|n| (n.seq, n.duration)), Some((1, 12_000)));
    /// ```
    pub fn push(&self, note: &Note) -> Option<u64> {
        self.push_shared(note)
    }
}
