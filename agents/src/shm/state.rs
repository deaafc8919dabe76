//! The state page: the server's clock, what the listener hears and what each agent does, in seqlocked sections.
//!
//! # Contract
//! - The page is six sections of 16 words (128 bytes each, so writers on different threads never share a cache
//!   line): the clock, the listener, and agents 1 to 4. Each section has exactly one writer (the UGen that owns
//!   it), which never waits; readers retry until they get a consistent copy and never slow the writer.
//! - Section words: 0 the seqlock counter (odd while a write is under way), 1 the section's version (0 = never
//!   written), 2..16 the fields, one per word (f32 as bits in the low half, f64 as bits).
//! - Versions only ever add fields in the reserved words, so a reader decodes the fields it knows from any
//!   version at least its own.

use super::finite;
use super::layout::LayoutError;
use super::loom::{
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
    fence,
};

/// Words per section.
pub const SECTION_WORDS: usize = 16;
/// Field words per section (after the seqlock counter and the version).
pub const FIELDS: usize = SECTION_WORDS - 2;
/// Agents with a section of their own.
pub const AGENTS: usize = 4;
/// Words of the whole page: clock, listener, one per agent.
pub const STATE_WORDS: usize = (2 + AGENTS) * SECTION_WORDS;
const CLOCK: usize = 0;
const LISTENER: usize = 1;
const FIRST_AGENT: usize = 2;
/// Tries before a reader gives up on a section whose writer keeps it busy (or died mid-write).
const SNAPSHOT_ATTEMPTS: usize = 64;

/// A section's fields and how they pack into words.
trait Section: Sized {
    /// Written in the section's version word.
    const VERSION: u64;
    fn encode(&self) -> [u64; FIELDS];
    fn decode(fields: [u64; FIELDS]) -> Self;
}

fn f32_bits(value: f32) -> u64 {
    u64::from(value.to_bits())
}

fn f32_of(word: u64) -> f32 {
    finite(f32::from_bits(word as u32))
}

/// The server's clock at the start of the latest block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    /// Sample time of the block's first sample.
    pub sample_time: u64,
    /// Wall-clock time (ns since the Unix epoch) when the block started.
    pub wall_ns: u64,
    /// Samples per second.
    pub sample_rate: f64,
    /// Samples per control block.
    pub block_size: u32,
}

impl Section for Clock {
    const VERSION: u64 = 1;
    fn encode(&self) -> [u64; FIELDS] {
        let mut words = [0; FIELDS];
        words[..4].copy_from_slice(&[
            self.sample_time,
            self.wall_ns,
            self.sample_rate.to_bits(),
            u64::from(self.block_size),
        ]);
        words
    }
    fn decode(w: [u64; FIELDS]) -> Self {
        let rate = f64::from_bits(w[2]);
        Self {
            sample_time: w[0],
            wall_ns: w[1],
            sample_rate: if rate.is_finite() { rate } else { 0.0 },
            block_size: w[3] as u32,
        }
    }
}

/// What the listener hears, as of the latest block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ListenerState {
    /// Onsets heard since the server started.
    pub onset_count: u64,
    /// Sample time of the latest onset.
    pub last_onset_time: u64,
    /// Level, linear 0..~1.
    pub level: f32,
    /// Pitch in Hz; 0 when unvoiced.
    pub pitch_hz: f32,
    /// Confidence of the pitch, 0..1.
    pub confidence: f32,
    /// Chord root pitch class (C = 0).
    pub chord_root: u8,
    /// Chord quality code (`listen::ChordQuality as u8`; 0 = no chord).
    pub chord_quality: u8,
    /// Tempo in beats per minute; 0 until known.
    pub tempo_bpm: f32,
    /// Position in the beat, 0..1.
    pub beat_phase: f32,
    /// Beats counted since the tracker started.
    pub beat_count: u64,
}

impl Section for ListenerState {
    const VERSION: u64 = 1;
    fn encode(&self) -> [u64; FIELDS] {
        let mut words = [0; FIELDS];
        words[..10].copy_from_slice(&[
            self.onset_count,
            self.last_onset_time,
            f32_bits(self.level),
            f32_bits(self.pitch_hz),
            f32_bits(self.confidence),
            u64::from(self.chord_root),
            u64::from(self.chord_quality),
            f32_bits(self.tempo_bpm),
            f32_bits(self.beat_phase),
            self.beat_count,
        ]);
        words
    }
    fn decode(w: [u64; FIELDS]) -> Self {
        Self {
            onset_count: w[0],
            last_onset_time: w[1],
            level: f32_of(w[2]),
            pitch_hz: f32_of(w[3]),
            confidence: f32_of(w[4]),
            chord_root: w[5] as u8,
            chord_quality: w[6] as u8,
            tempo_bpm: f32_of(w[7]),
            beat_phase: f32_of(w[8]),
            beat_count: w[9],
        }
    }
}

/// What one agent is doing. Later issues add fields in the reserved words (and bump the version).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AgentState {
    /// Current mode number (the event kind `MODE`'s numbering).
    pub mode: u32,
    /// Notes played since the server started.
    pub notes_played: u64,
    /// Sample time of the latest note.
    pub last_note_time: u64,
    /// MIDI note number of the latest note.
    pub last_pitch: f32,
    /// Velocity of the latest note, 0..1.
    pub last_velocity: f32,
    /// How hard it plays now, 0..1.
    pub intensity: f32,
    /// How many notes per beat it plays now.
    pub density: f32,
}

impl Section for AgentState {
    const VERSION: u64 = 1;
    fn encode(&self) -> [u64; FIELDS] {
        let mut words = [0; FIELDS];
        words[..7].copy_from_slice(&[
            u64::from(self.mode),
            self.notes_played,
            self.last_note_time,
            f32_bits(self.last_pitch),
            f32_bits(self.last_velocity),
            f32_bits(self.intensity),
            f32_bits(self.density),
        ]);
        words
    }
    fn decode(w: [u64; FIELDS]) -> Self {
        Self {
            mode: w[0] as u32,
            notes_played: w[1],
            last_note_time: w[2],
            last_pitch: f32_of(w[3]),
            last_velocity: f32_of(w[4]),
            intensity: f32_of(w[5]),
            density: f32_of(w[6]),
        }
    }
}

/// A consistent copy of each section. `None`: never written, or its writer kept it busy (or died mid-write)
/// through every retry.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StateSnapshot {
    pub clock: Option<Clock>,
    pub listener: Option<ListenerState>,
    /// Agents 1 to 4 (drums, bass, harmony, melody) at indices 0 to 3.
    pub agents: [Option<AgentState>; AGENTS],
}

/// A view of the state page.
#[derive(Clone, Copy)]
pub struct StatePage<'a> {
    words: &'a [AtomicU64],
}

impl<'a> StatePage<'a> {
    /// Views exactly [`STATE_WORDS`] words as a state page.
    ///
    /// # Errors
    /// [`LayoutError::Inconsistent`] for any other length.
    ///
    /// # Examples
    /// ```
    /// use agents::shm::{Clock, StatePage, loom::zeroed_words, state::STATE_WORDS};
    /// let words = zeroed_words(STATE_WORDS);
    /// let page = StatePage::new(&words).unwrap();
    /// assert_eq!(page.clock(), None, "never written");
    /// page.write_clock(&Clock { sample_time: 64, wall_ns: 1, sample_rate: 48_000.0, block_size: 64 });
    /// assert_eq!(page.snapshot().clock.map(|c| c.sample_time), Some(64));
    /// ```
    pub fn new(words: &'a [AtomicU64]) -> Result<Self, LayoutError> {
        if words.len() != STATE_WORDS {
            let (found, expected) = (words.len() as u64 * 8, STATE_WORDS as u64 * 8);
            return Err(LayoutError::Inconsistent {
                field: "state page size",
                found,
                expected,
            });
        }
        Ok(Self { words })
    }

    /// Views words whose length was already checked; a short slice reads as never written.
    #[cfg_attr(loom, allow(dead_code))] // only `map`, which loom builds leave out, uses it
    pub(crate) fn from_validated(words: &'a [AtomicU64]) -> Self {
        Self { words }
    }

    fn section(&self, index: usize) -> Option<&'a [AtomicU64]> {
        self.words
            .get(index * SECTION_WORDS..(index + 1) * SECTION_WORDS)
    }

    fn write<S: Section>(&self, index: usize, value: &S) {
        let Some([counter, rest @ ..]) = self.section(index) else {
            return;
        };
        // Always odd while writing, even if a writer that died left the counter odd.
        let busy = counter.load(Relaxed).wrapping_add(1) | 1;
        counter.store(busy, Relaxed);
        // Release fence: a reader that sees any new field also sees the odd counter (Boehm's seqlock writer).
        fence(Release);
        let words = core::iter::once(S::VERSION).chain(value.encode());
        for (word, value) in rest.iter().zip(words) {
            word.store(value, Relaxed);
        }
        counter.store(busy.wrapping_add(1), Release);
    }

    fn read<S: Section>(&self, index: usize) -> Option<S> {
        let [counter, rest @ ..] = self.section(index)? else {
            return None;
        };
        for _ in 0..SNAPSHOT_ATTEMPTS {
            let before = counter.load(Acquire);
            if before & 1 == 1 {
                core::hint::spin_loop();
                continue;
            }
            let mut words = [0; SECTION_WORDS - 1];
            for (copy, word) in words.iter_mut().zip(rest) {
                *copy = word.load(Relaxed);
            }
            fence(Acquire);
            if counter.load(Relaxed) != before {
                continue;
            }
            let [version, fields @ ..] = words;
            return (version >= S::VERSION).then(|| S::decode(fields));
        }
        None
    }

    /// Publishes the clock (the one clock writer, every block). Wait-free, allocation-free.
    pub fn write_clock(&self, clock: &Clock) {
        self.write(CLOCK, clock);
    }

    /// Publishes what the listener hears (the one listener writer, every block).
    pub fn write_listener(&self, listener: &ListenerState) {
        self.write(LISTENER, listener);
    }

    /// Publishes agent `agent` (1 to 4)'s state; false (nothing written) for another number.
    pub fn write_agent(&self, agent: u16, state: &AgentState) -> bool {
        let index = usize::from(agent).wrapping_sub(1);
        if index >= AGENTS {
            return false;
        }
        self.write(FIRST_AGENT + index, state);
        true
    }

    /// A consistent copy of the clock, if it was ever written.
    pub fn clock(&self) -> Option<Clock> {
        self.read(CLOCK)
    }

    /// A consistent copy of the listener's section, if it was ever written.
    pub fn listener(&self) -> Option<ListenerState> {
        self.read(LISTENER)
    }

    /// A consistent copy of agent `agent` (1 to 4)'s section, if it was ever written.
    pub fn agent(&self, agent: u16) -> Option<AgentState> {
        let index = usize::from(agent).wrapping_sub(1);
        (index < AGENTS)
            .then(|| self.read(FIRST_AGENT + index))
            .flatten()
    }

    /// Every section, each consistent in itself. Allocation-free; never blocks the writers.
    pub fn snapshot(&self) -> StateSnapshot {
        StateSnapshot {
            clock: self.clock(),
            listener: self.listener(),
            agents: [1, 2, 3, 4].map(|agent| self.agent(agent)),
        }
    }
}
