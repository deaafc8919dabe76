//! The segment's layout: the header, where each region lives, and the validation of an untrusted mapping.
//!
//! The layout is fully determined by the two ring capacities; the header still records every offset and size
//! so a third party can find the regions, and a reader refuses a header whose numbers disagree with the rule.
//! See `docs/shared-memory.md` for the table a third party implements.

use core::fmt;
use core::ops::Range;

use super::loom::{
    AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use super::ring;
use super::state;

/// `b"PERFSHM\0"` read as a little-endian u64: the first word of every segment.
pub const MAGIC: u64 = u64::from_le_bytes(*b"PERFSHM\0");
/// Layout version this build reads and writes. Bump it on any change a version-1 reader would misread.
pub const VERSION: u64 = 1;
/// Words of segment header (128 bytes).
pub const HEADER_WORDS: usize = 16;
/// Smallest ring capacity a segment may have.
pub const MIN_CAPACITY: usize = 1024;
/// Ring capacity of a segment made with the default configuration (events and notes).
pub const DEFAULT_CAPACITY: usize = 4096;

/// Word indices of the header; byte offset = 8 × index. All values little-endian u64.
pub mod field {
    pub const MAGIC: usize = 0;
    pub const VERSION: usize = 1;
    pub const TOTAL_SIZE: usize = 2;
    pub const HEADER_SIZE: usize = 3;
    pub const EVENTS_OFFSET: usize = 4;
    pub const EVENTS_SIZE: usize = 5;
    pub const EVENTS_CAPACITY: usize = 6;
    pub const STATE_OFFSET: usize = 7;
    pub const STATE_SIZE: usize = 8;
    pub const NOTES_OFFSET: usize = 9;
    pub const NOTES_SIZE: usize = 10;
    pub const NOTES_CAPACITY: usize = 11;
    pub const CREATOR_PID: usize = 12;
    pub const HEARTBEAT_NS: usize = 13;
    pub const CREATED_NS: usize = 14;
}

/// Why a segment (or a slice of words offered as a ring) cannot be trusted. Each says what is wrong;
/// [`crate::shm::ShmError`] adds what to do about it for a named segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Shorter than its header says (or than a header).
    Truncated { len: u64, need: u64 },
    /// The magic word is still 0: the creator has not finished (or died while) setting it up.
    NotInitialized,
    /// Not a Performia segment.
    BadMagic { found: u64 },
    /// A Performia segment of another layout version.
    WrongVersion {
        found: u64,
        expected: u64,
        creator_pid: u64,
    },
    /// A ring capacity that is not a power of two in `MIN_CAPACITY..=ring::MAX_CAPACITY`.
    BadCapacity { region: &'static str, capacity: u64 },
    /// A header field that disagrees with the layout rule.
    Inconsistent {
        field: &'static str,
        found: u64,
        expected: u64,
    },
    /// A slice offered as a ring whose length is not `ring::words_for(power of two)`.
    RingSize { words: usize },
    /// The mapping is not 8-byte aligned.
    Misaligned { address: usize },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { len, need } => {
                write!(f, "it is {len} bytes but needs {need} (truncated)")
            }
            Self::NotInitialized => write!(f, "its header was never finished (magic word is 0)"),
            Self::BadMagic { found } => {
                write!(f, "it is not a Performia segment (magic {found:#018x})")
            }
            Self::WrongVersion {
                found,
                expected,
                creator_pid,
            } => write!(
                f,
                "it has layout version {found} but this build reads version {expected} (made by pid {creator_pid})"
            ),
            Self::BadCapacity { region, capacity } => write!(
                f,
                "its {region} capacity {capacity} is not a power of two from {MIN_CAPACITY} to {}",
                ring::MAX_CAPACITY
            ),
            Self::Inconsistent {
                field,
                found,
                expected,
            } => {
                write!(
                    f,
                    "its header field {field} is {found}, the layout needs {expected} (corrupt)"
                )
            }
            Self::RingSize { words } => {
                write!(
                    f,
                    "{words} words is not the size of a ring (16 + 4 x a power of two of at least 2)"
                )
            }
            Self::Misaligned { address } => {
                write!(f, "its mapping at {address:#x} is not 8-byte aligned")
            }
        }
    }
}

impl std::error::Error for LayoutError {}

/// Where each region lives, in words from the start of the segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub events: Range<usize>,
    pub event_capacity: usize,
    pub state: Range<usize>,
    pub notes: Range<usize>,
    pub note_capacity: usize,
}

fn check_capacity(region: &'static str, capacity: u64) -> Result<usize, LayoutError> {
    let bad = LayoutError::BadCapacity { region, capacity };
    let capacity = usize::try_from(capacity).map_err(|_| bad)?;
    if capacity.is_power_of_two() && (MIN_CAPACITY..=ring::MAX_CAPACITY).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(bad)
    }
}

impl Layout {
    /// The layout of a segment with these ring capacities: header, event ring, state page, note log.
    ///
    /// # Errors
    /// [`LayoutError::BadCapacity`] unless both are powers of two from 1024 to 2^24.
    ///
    /// # Examples
    /// ```
    /// let layout = agents::shm::Layout::new(1024, 1024).unwrap();
    /// assert_eq!(layout.total_bytes(), 128 + (128 + 32 * 1024) + 768 + (128 + 32 * 1024));
    /// ```
    pub fn new(event_capacity: usize, note_capacity: usize) -> Result<Self, LayoutError> {
        let event_capacity = check_capacity("event ring", event_capacity as u64)?;
        let note_capacity = check_capacity("note log", note_capacity as u64)?;
        let events = HEADER_WORDS..HEADER_WORDS + ring::words_for(event_capacity);
        let state = events.end..events.end + state::STATE_WORDS;
        let notes = state.end..state.end + ring::words_for(note_capacity);
        Ok(Self {
            events,
            event_capacity,
            state,
            notes,
            note_capacity,
        })
    }

    /// Size of the whole segment in words.
    pub fn total_words(&self) -> usize {
        self.notes.end
    }

    /// Size of the whole segment in bytes.
    pub fn total_bytes(&self) -> usize {
        self.total_words() * 8
    }

    /// The header words this layout writes, magic included.
    fn header(&self, creator_pid: u64, now_ns: u64) -> [u64; HEADER_WORDS] {
        let bytes = |words: &Range<usize>| (words.start as u64 * 8, words.len() as u64 * 8);
        let (events_offset, events_size) = bytes(&self.events);
        let (state_offset, state_size) = bytes(&self.state);
        let (notes_offset, notes_size) = bytes(&self.notes);
        let mut header = [0; HEADER_WORDS];
        header[field::MAGIC] = MAGIC;
        header[field::VERSION] = VERSION;
        header[field::TOTAL_SIZE] = self.total_bytes() as u64;
        header[field::HEADER_SIZE] = HEADER_WORDS as u64 * 8;
        header[field::EVENTS_OFFSET] = events_offset;
        header[field::EVENTS_SIZE] = events_size;
        header[field::EVENTS_CAPACITY] = self.event_capacity as u64;
        header[field::STATE_OFFSET] = state_offset;
        header[field::STATE_SIZE] = state_size;
        header[field::NOTES_OFFSET] = notes_offset;
        header[field::NOTES_SIZE] = notes_size;
        header[field::NOTES_CAPACITY] = self.note_capacity as u64;
        header[field::CREATOR_PID] = creator_pid;
        header[field::CREATED_NS] = now_ns;
        header
    }

    /// Initializes a fresh (zeroed) segment: every header field, then the magic last with Release, so that a
    /// reader that sees the magic sees the rest.
    ///
    /// # Errors
    /// [`LayoutError::Truncated`] if `words` is too short for this layout.
    pub fn initialize(
        &self,
        words: &[AtomicU64],
        creator_pid: u64,
        now_ns: u64,
    ) -> Result<(), LayoutError> {
        if words.len() < self.total_words() {
            return Err(LayoutError::Truncated {
                len: words.len() as u64 * 8,
                need: self.total_bytes() as u64,
            });
        }
        for (word, value) in words
            .iter()
            .zip(self.header(creator_pid, now_ns))
            .skip(field::MAGIC + 1)
        {
            word.store(value, Relaxed);
        }
        if let Some(magic) = words.get(field::MAGIC) {
            magic.store(MAGIC, Release);
        }
        Ok(())
    }

    /// Reads and checks the header of an untrusted mapping of `words`. Every number is checked before use:
    /// magic, version, capacities, each offset and size against the layout rule, and the total against the
    /// mapping's length. Never panics.
    ///
    /// # Errors
    /// The first [`LayoutError`] found.
    pub fn validate(words: &[AtomicU64]) -> Result<Self, LayoutError> {
        let len = words.len() as u64 * 8;
        let need_header = HEADER_WORDS as u64 * 8;
        if len < need_header {
            return Err(LayoutError::Truncated {
                len,
                need: need_header,
            });
        }
        // Acquire on the magic pairs with `initialize`'s Release: the fields below are complete.
        let read = |index: usize| words.get(index).map_or(0, |word| word.load(Relaxed));
        let magic = words.get(field::MAGIC).map_or(0, |word| word.load(Acquire));
        match magic {
            0 => return Err(LayoutError::NotInitialized),
            MAGIC => {}
            found => return Err(LayoutError::BadMagic { found }),
        }
        let version = read(field::VERSION);
        if version != VERSION {
            let creator_pid = read(field::CREATOR_PID);
            return Err(LayoutError::WrongVersion {
                found: version,
                expected: VERSION,
                creator_pid,
            });
        }
        let event_capacity = check_capacity("event ring", read(field::EVENTS_CAPACITY))?;
        let note_capacity = check_capacity("note log", read(field::NOTES_CAPACITY))?;
        let layout = Self::new(event_capacity, note_capacity)?;
        let expected = layout.header(read(field::CREATOR_PID), read(field::CREATED_NS));
        const CHECKED: [(usize, &str); 8] = [
            (field::HEADER_SIZE, "header size"),
            (field::TOTAL_SIZE, "total size"),
            (field::EVENTS_OFFSET, "event ring offset"),
            (field::EVENTS_SIZE, "event ring size"),
            (field::STATE_OFFSET, "state page offset"),
            (field::STATE_SIZE, "state page size"),
            (field::NOTES_OFFSET, "note log offset"),
            (field::NOTES_SIZE, "note log size"),
        ];
        for (index, name) in CHECKED {
            let (found, expected) = (read(index), expected.get(index).copied().unwrap_or(0));
            if found != expected {
                return Err(LayoutError::Inconsistent {
                    field: name,
                    found,
                    expected,
                });
            }
        }
        if (layout.total_bytes() as u64) > len {
            return Err(LayoutError::Truncated {
                len,
                need: layout.total_bytes() as u64,
            });
        }
        Ok(layout)
    }
}

/// The header's live fields (creator, heartbeat) of a validated segment.
#[derive(Clone, Copy)]
pub struct Header<'a> {
    pub(crate) words: &'a [AtomicU64],
}

impl Header<'_> {
    fn get(&self, index: usize) -> u64 {
        self.words.get(index).map_or(0, |word| word.load(Acquire))
    }
    /// Process id of the segment's creator.
    pub fn creator_pid(&self) -> u64 {
        self.get(field::CREATOR_PID)
    }
    /// Wall-clock time (ns since the Unix epoch) of the creation.
    pub fn created_ns(&self) -> u64 {
        self.get(field::CREATED_NS)
    }
    /// Wall-clock time (ns since the Unix epoch) of the event writer's latest heartbeat; 0 = never.
    pub fn heartbeat_ns(&self) -> u64 {
        self.get(field::HEARTBEAT_NS)
    }
    /// Records a heartbeat of the event writer (call it every second or so while it lives).
    pub fn beat(&self, now_ns: u64) {
        if let Some(word) = self.words.get(field::HEARTBEAT_NS) {
            word.store(now_ns, Release);
        }
    }
}
