//! A lossy broadcast ring over `&[AtomicU64]`: writers never wait, every reader keeps its own cursor.
//!
//! # Contract
//! - The words are allocated once (a shared-memory segment or a heap `Vec`); nothing here allocates or blocks.
//! - Writers never wait for readers: the oldest slot is overwritten. A reader that falls a whole lap behind
//!   is told exactly how many records it missed ([`Read::Lost`]) and goes on with the oldest one still there.
//! - Every slot carries a stamp `seq << 1 | busy`, a per-slot seqlock: a reader trusts a slot only if the stamp
//!   is the one it expects, not busy, and unchanged after the payload was read. A torn slot (a writer that died
//!   mid-write, or one that overwrote the slot while we read it) is skipped or retried, never returned.
//! - Everything read from memory is untrusted: indices are masked, arithmetic saturates, nothing panics.
//!
//! Two ways to write, one way to read:
//! - [`ExclusiveWriter`] (the event ring: one control process): claims the ring once, then plain stores.
//! - [`Ring::push_shared`] (the note log: several UGens on several server threads): a sequence number from
//!   `fetch_add` and a compare-and-swap on the slot's stamp; a writer that finds its slot still being written
//!   by a writer a whole lap behind drops its record instead of waiting (readers count it lost).
//!
//! # Layout (words of 8 bytes)
//! `HEADER_WORDS` words of ring header (`head` at word 0, the exclusive writer's owner at word 8, the rest
//! reserved), then `capacity` slots of [`SLOT_WORDS`] words: stamp, then three payload words.

use core::marker::PhantomData;

use super::layout::LayoutError;
use super::loom::{
    AtomicU64,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
    fence,
};

/// Words of ring header before the first slot (128 bytes: `head` has its cache lines to itself).
pub const HEADER_WORDS: usize = 16;
/// Words per slot: the stamp and three payload words (32 bytes).
pub const SLOT_WORDS: usize = 4;
/// Largest capacity accepted, so that sizes computed from untrusted headers stay small.
pub const MAX_CAPACITY: usize = 1 << 24;
/// Word of the ring header holding the last sequence number written (or claimed, for shared writers).
const HEAD: usize = 0;
/// Word of the ring header holding the owner of the exclusive writer (0 = none). Its own cache line.
const OWNER: usize = 8;
/// How often `read` retries a slot that changed under it before saying `Empty` (each retry means the writer
/// moved on, so the next round sees a later stamp and reports the loss).
const READ_ATTEMPTS: usize = 4;

/// Number of words a ring of `capacity` slots occupies.
///
/// # Examples
/// ```
/// assert_eq!(agents::shm::ring::words_for(1024), 16 + 4 * 1024);
/// ```
pub const fn words_for(capacity: usize) -> usize {
    HEADER_WORDS + capacity * SLOT_WORDS
}

/// A fixed-size record that fits the three payload words of a slot (the stamp carries its sequence number).
pub trait Record: Copy {
    /// Packs the record into three words.
    fn encode(&self) -> [u64; 3];
    /// Unpacks a record read from (untrusted) memory; must not panic on any bit pattern.
    fn decode(seq: u64, payload: [u64; 3]) -> Self;
}

/// What one read of a ring gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Read<T> {
    /// The next record, in order.
    Item(T),
    /// The writer lapped this reader: this many records were overwritten before they were read. The cursor
    /// now points at the oldest record still in the ring.
    Lost(u64),
    /// Nothing new yet.
    Empty,
}

/// A reader's position: plain data, so a UGen can keep it in its own state and read through any `&Ring`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    next: u64,
    lost: u64,
}

impl Cursor {
    /// Sequence number of the next record this cursor will read.
    pub fn next_seq(&self) -> u64 {
        self.next
    }
    /// Records this cursor has counted as lost so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }
}

/// A view of a ring in memory. Cheap to copy: it is three references and a mask.
pub struct Ring<'a, T> {
    /// The whole ring: header words, then slots. Accessed only through `get`, so a short slice reads as empty.
    words: &'a [AtomicU64],
    mask: u64,
    record: PhantomData<fn() -> T>,
}

impl<T> Clone for Ring<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ring<'_, T> {}

impl<'a, T: Record> Ring<'a, T> {
    /// Views `words` (exactly [`words_for`]`(capacity)` of them, capacity a power of two, at least 2) as a ring.
    ///
    /// # Errors
    /// [`LayoutError::RingSize`] if the length is not that of a ring.
    ///
    /// # Examples
    /// ```
    /// use agents::shm::{Event, EventRing, loom::zeroed_words, ring::words_for};
    /// let words = zeroed_words(words_for(1024));
    /// let ring = EventRing::new(&words).unwrap();
    /// assert_eq!(ring.capacity(), 1024);
    /// ```
    pub fn new(words: &'a [AtomicU64]) -> Result<Self, LayoutError> {
        let slot_words = words.len().checked_sub(HEADER_WORDS);
        let capacity = slot_words.map_or(0, |w| w / SLOT_WORDS);
        let exact = slot_words.is_some_and(|w| w % SLOT_WORDS == 0);
        if !exact || capacity < 2 || !capacity.is_power_of_two() || capacity > MAX_CAPACITY {
            return Err(LayoutError::RingSize { words: words.len() });
        }
        Ok(Self::from_validated(words, capacity))
    }

    /// Views words whose length was already checked (by [`Ring::new`] or a validated segment layout).
    /// Infallible: with a wrong length it would only read as empty and drop writes, never panic.
    #[cfg_attr(loom, allow(dead_code))] // only `map`, which loom builds leave out, uses it
    pub(crate) fn from_validated(words: &'a [AtomicU64], capacity: usize) -> Self {
        Self {
            words,
            mask: (capacity.max(1) as u64).next_power_of_two() - 1,
            record: PhantomData,
        }
    }

    fn word(&self, index: usize) -> Option<&'a AtomicU64> {
        self.words.get(index)
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.mask as usize + 1
    }

    /// Sequence number of the latest record written or being written (0 before the first).
    pub fn head(&self) -> u64 {
        self.word(HEAD).map_or(0, |head| head.load(Acquire))
    }

    /// A cursor at the oldest record still in the ring: nothing written before it attached is missed
    /// unless it was already overwritten.
    pub fn cursor_from_oldest(&self) -> Cursor {
        let head = self.head();
        Cursor {
            next: head.saturating_sub(self.mask).max(1),
            lost: 0,
        }
    }

    /// A cursor that reads only records written from now on.
    pub fn cursor_from_now(&self) -> Cursor {
        Cursor {
            next: self.head().saturating_add(1),
            lost: 0,
        }
    }

    /// Reads the record at `cursor` and advances it. Wait-free, allocation-free, no system call.
    pub fn read(&self, cursor: &mut Cursor) -> Read<T> {
        for _ in 0..READ_ATTEMPTS {
            let seq = cursor.next;
            let Some([stamp, w1, w2, w3]) = self.slot(seq) else {
                return Read::Empty;
            };
            // Acquire: if the stamp is a finished write, its payload stores are visible to the loads below.
            let before = stamp.load(Acquire);
            let (stamped, busy) = (before >> 1, before & 1 == 1);
            if stamped == seq && !busy {
                let payload = [w1.load(Relaxed), w2.load(Relaxed), w3.load(Relaxed)];
                // Acquire fence: if any payload load saw a newer writer's store, that writer's busy stamp
                // (stored before its Release fence) is visible to the re-check (Boehm's seqlock reader).
                fence(Acquire);
                if stamp.load(Relaxed) == before {
                    cursor.next = seq.saturating_add(1);
                    return Read::Item(T::decode(seq, payload));
                }
                continue;
            }
            if stamped > seq {
                return self.skip_lapped(cursor, stamped);
            }
            if busy && stamped <= seq {
                // A stale busy stamp: a writer died mid-write (or is very slow). Only `head` can tell
                // whether the ring has moved a whole lap past us since.
                let head = self.head();
                if head >= seq.saturating_add(self.mask + 1) {
                    return self.skip_lapped(cursor, head);
                }
            }
            return Read::Empty;
        }
        Read::Empty
    }

    /// Moves a lapped cursor to the oldest record that can still be there; `evidence` is a sequence number
    /// known to have been written.
    fn skip_lapped(&self, cursor: &mut Cursor, evidence: u64) -> Read<T> {
        let head = self.head().max(evidence);
        let oldest = head.saturating_sub(self.mask);
        let next = oldest.max(cursor.next.saturating_add(1));
        let lost = next - cursor.next;
        cursor.next = next;
        cursor.lost = cursor.lost.saturating_add(lost);
        Read::Lost(lost)
    }

    /// The four words of the slot of `seq` (the index is masked, so any `seq` is safe).
    fn slot(&self, seq: u64) -> Option<&'a [AtomicU64]> {
        let first = HEADER_WORDS + (seq & self.mask) as usize * SLOT_WORDS;
        self.words.get(first..first + SLOT_WORDS)
    }

    /// Claims the ring for one exclusive writer, identified by `owner` (non-zero, e.g. a process id).
    /// A previous owner for which `owner_is_gone` says true (a dead process) is replaced.
    ///
    /// # Errors
    /// `Err(holder)` if another live writer holds the ring (or `owner` is 0).
    pub(crate) fn claim(
        &self,
        owner: u64,
        owner_is_gone: impl Fn(u64) -> bool,
    ) -> Result<ExclusiveWriter<'a, T>, u64> {
        let Some(claim) = self.word(OWNER).filter(|_| owner != 0) else {
            return Err(0);
        };
        let mut expected = 0;
        // Bounded: each round replaces an owner found dead; more than a few means something is wrong.
        for _ in 0..4 {
            // AcqRel: the new owner sees the previous owner's last `head`; releasing happens in `Drop`.
            match claim.compare_exchange(expected, owner, AcqRel, Acquire) {
                Ok(_) => {
                    let next = self.head().saturating_add(1);
                    return Ok(ExclusiveWriter {
                        ring: *self,
                        next,
                        owner,
                    });
                }
                Err(holder) if holder != owner && owner_is_gone(holder) => expected = holder,
                Err(holder) => return Err(holder),
            }
        }
        Err(expected)
    }

    /// Writes a record from any thread, alongside other shared writers. Never waits.
    ///
    /// Returns the record's sequence number, or `None` if its slot was still being written by a writer a
    /// whole lap behind (the record is dropped; readers count it lost).
    pub(crate) fn push_shared(&self, item: &T) -> Option<u64> {
        // Relaxed: the sequence number only has to be unique; the slot's stamp orders the payload.
        let seq = self.word(HEAD)?.fetch_add(1, Relaxed).wrapping_add(1);
        let [stamp, w1, w2, w3] = self.slot(seq)? else {
            return None;
        };
        let current = stamp.load(Relaxed);
        if current & 1 == 1 || current >> 1 >= seq {
            return None;
        }
        // Acquire on success: the previous writer's payload stores happen before ours, so a reader that
        // trusts our stamp cannot see theirs.
        stamp
            .compare_exchange(current, seq << 1 | 1, Acquire, Relaxed)
            .ok()?;
        publish(stamp, [w1, w2, w3], item, seq);
        Some(seq)
    }
}

/// Fills a slot already marked busy for `seq` and marks it written. The Release fence comes first: a reader
/// that sees any of the new payload also sees busy; the Release stamp store last: a reader that sees the new
/// stamp sees the whole payload.
fn publish<T: Record>(stamp: &AtomicU64, payload: [&AtomicU64; 3], item: &T, seq: u64) {
    fence(Release);
    for (word, value) in payload.into_iter().zip(item.encode()) {
        word.store(value, Relaxed);
    }
    stamp.store(seq << 1, Release);
}

/// The one writer of a ring (see [`Ring::claim`]). Releases its claim when dropped.
pub struct ExclusiveWriter<'a, T> {
    ring: Ring<'a, T>,
    next: u64,
    owner: u64,
}

impl<T: Record> ExclusiveWriter<'_, T> {
    /// Writes one record, overwriting the oldest. Never waits, allocates or makes a system call.
    /// Returns the record's sequence number.
    pub fn push(&mut self, item: &T) -> u64 {
        let seq = self.next;
        if let Some([stamp, w1, w2, w3]) = self.ring.slot(seq) {
            stamp.store(seq << 1 | 1, Relaxed);
            publish(stamp, [w1, w2, w3], item, seq);
        }
        if let Some(head) = self.ring.word(HEAD) {
            head.store(seq, Release);
        }
        self.next = seq.wrapping_add(1);
        seq
    }

    /// Sequence number the next `push` will get.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// The ring this writer writes.
    pub fn ring(&self) -> Ring<'_, T> {
        self.ring
    }
}

impl<T> Drop for ExclusiveWriter<'_, T> {
    fn drop(&mut self) {
        // Release: the next owner's Acquire claim sees our last `head`. Fails harmlessly if the claim was
        // taken from us (we were believed dead).
        if let Some(claim) = self.ring.words.get(OWNER) {
            let _ = claim.compare_exchange(self.owner, 0, Release, Relaxed);
        }
    }
}

/// A ring and a cursor together: the convenient reader when the ring outlives the reader.
pub struct Reader<'a, T> {
    ring: Ring<'a, T>,
    cursor: Cursor,
}

impl<'a, T: Record> Reader<'a, T> {
    /// A reader starting at the oldest record still in the ring (see [`Ring::cursor_from_oldest`]).
    pub fn new(ring: Ring<'a, T>) -> Self {
        Self {
            cursor: ring.cursor_from_oldest(),
            ring,
        }
    }

    /// A reader of the records written from now on.
    pub fn from_now(ring: Ring<'a, T>) -> Self {
        Self {
            cursor: ring.cursor_from_now(),
            ring,
        }
    }

    /// The next record, a loss report, or `Empty`. See [`Ring::read`].
    pub fn read(&mut self) -> Read<T> {
        self.ring.read(&mut self.cursor)
    }

    /// The next record, skipping over losses (which are still counted in [`Reader::lost`]).
    pub fn pop(&mut self) -> Option<T> {
        for _ in 0..READ_ATTEMPTS {
            match self.read() {
                Read::Item(item) => return Some(item),
                Read::Lost(_) => continue,
                Read::Empty => return None,
            }
        }
        None
    }

    /// Records lost to lapping so far.
    pub fn lost(&self) -> u64 {
        self.cursor.lost
    }

    /// This reader's position.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }
}
