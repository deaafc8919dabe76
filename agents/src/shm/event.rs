//! Control events: the 32-byte records of the event ring, from the control process to the UGens.

use core::fmt;

use super::finite;
use super::ring::{ExclusiveWriter, Reader, Record, Ring};

/// One control event. In the ring it is 32 bytes: the slot stamp (`seq`), `agent | kind << 16` (the upper 32
/// bits reserved, written 0), `pitch | velocity << 32` (f32 bits), and `time`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Event {
    /// Sequence number given by the writer: 1 for the first event of a ring, then +1 per event.
    pub seq: u64,
    /// Which agent it is for: 0 every agent, 1 drums, 2 bass, 3 harmony, 4 melody (see [`agent`]).
    pub agent: u16,
    /// What it is (see [`kind`]).
    pub kind: u16,
    /// A MIDI note number for notes; the kind's value otherwise. Always finite when read.
    pub pitch: f32,
    /// Velocity 0..1 for notes; the kind's second value otherwise. Always finite when read.
    pub velocity: f32,
    /// When: 0 = as soon as possible, else a server sample time (the state page's clock).
    pub time: u64,
}

/// Agent numbers used in [`Event::agent`] and [`crate::shm::Note::agent`].
pub mod agent {
    /// An event for every agent.
    pub const ALL: u16 = 0;
    pub const DRUMS: u16 = 1;
    pub const BASS: u16 = 2;
    pub const HARMONY: u16 = 3;
    pub const MELODY: u16 = 4;
}

/// Event kinds used in [`Event::kind`]. Numbers are part of the layout: never renumber, only add.
pub mod kind {
    /// Play a note now or at `time`: `pitch` a MIDI note number, `velocity` 0..1.
    pub const NOTE: u16 = 1;
    /// A pedal switch: `pitch` the switch number, `velocity` 1 pressed / 0 released.
    pub const PEDAL: u16 = 2;
    /// Change mode: `pitch` the mode number (follow, hold, fill, break, stop, start).
    pub const MODE: u16 = 3;
    /// A tempo tap at `time`.
    pub const TAP: u16 = 4;
    /// Set a parameter: `pitch` its number, `velocity` its value.
    pub const PARAM: u16 = 5;
    /// Switch pattern: `pitch` the pattern number.
    pub const PATTERN: u16 = 6;

    /// Names accepted on the command line, with their numbers.
    pub const NAMES: [(&str, u16); 6] = [
        ("note", NOTE),
        ("pedal", PEDAL),
        ("mode", MODE),
        ("tap", TAP),
        ("param", PARAM),
        ("pattern", PATTERN),
    ];

    /// The number of a kind given by name (`"note"`) or number (`"1"`).
    ///
    /// # Examples
    /// ```
    /// use agents::shm::kind;
    /// assert_eq!(kind::parse("note"), Some(kind::NOTE));
    /// assert_eq!(kind::parse("7"), Some(7));
    /// assert_eq!(kind::parse("chord"), None);
    /// ```
    pub fn parse(text: &str) -> Option<u16> {
        NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|&(_, number)| number)
            .or_else(|| text.parse().ok())
    }

    /// The name of a kind, or `""` for a number without one.
    pub fn name(number: u16) -> &'static str {
        NAMES
            .iter()
            .find(|&&(_, n)| n == number)
            .map_or("", |&(name, _)| name)
    }
}

impl Record for Event {
    fn encode(&self) -> [u64; 3] {
        [
            u64::from(self.agent) | u64::from(self.kind) << 16,
            u64::from(self.pitch.to_bits()) | u64::from(self.velocity.to_bits()) << 32,
            self.time,
        ]
    }

    fn decode(seq: u64, [ids, values, time]: [u64; 3]) -> Self {
        Self {
            seq,
            agent: ids as u16,
            kind: (ids >> 16) as u16,
            pitch: finite(f32::from_bits(values as u32)),
            velocity: finite(f32::from_bits((values >> 32) as u32)),
            time,
        }
    }
}

/// The event ring: see [`Ring`].
pub type EventRing<'a> = Ring<'a, Event>;
/// A reader of the event ring with its own cursor: `EventReader::new(ring)`, then `pop()` or `read()`.
pub type EventReader<'a> = Reader<'a, Event>;
/// The one writer of the event ring: `push(&event)` never waits.
pub type EventWriter<'a> = ExclusiveWriter<'a, Event>;

/// The event ring already has a live writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterBusy {
    /// Who holds it (a process id for segments; 0 if the claim word is missing or the owner given was 0).
    pub holder: u64,
}

impl fmt::Display for WriterBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the event ring already has a writer ({}): stop it or send events through it",
            self.holder
        )
    }
}

impl std::error::Error for WriterBusy {}

impl<'a> Ring<'a, Event> {
    /// Becomes the one writer of this event ring. `owner` is non-zero (a process id); an earlier owner for
    /// which `owner_is_gone` says true is replaced. Not for the audio thread (it may retry a few times).
    ///
    /// # Errors
    /// [`WriterBusy`] if a live writer holds the ring.
    ///
    /// # Examples
    /// ```
    /// use agents::shm::{Event, EventReader, EventRing, kind, loom::zeroed_words, ring::words_for};
    /// let words = zeroed_words(words_for(1024));
    /// let ring = EventRing::new(&words).unwrap();
    /// let mut reader = EventReader::new(ring);
    /// let mut writer = ring.writer(1, |_| false).unwrap();
    /// writer.push(&Event { kind: kind::NOTE, pitch: 60.0, velocity: 0.8, ..Event::default() });
    /// assert_eq!(reader.pop().map(|e| (e.seq, e.pitch)), Some((1, 60.0)));
    /// assert!(ring.writer(2, |_| false).is_err(), "one writer at a time");
    /// ```
    pub fn writer(
        &self,
        owner: u64,
        owner_is_gone: impl Fn(u64) -> bool,
    ) -> Result<EventWriter<'a>, WriterBusy> {
        self.claim(owner, owner_is_gone)
            .map_err(|holder| WriterBusy { holder })
    }
}
