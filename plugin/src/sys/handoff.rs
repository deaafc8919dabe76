//! Heap objects built off the audio thread and used on it: a [`Handoff`] holds the current one (e.g. the
//! attached shared-memory segment), a [`Pool`] holds ready-made ones (e.g. listeners) that units take.
//!
//! Both are lock-free arrays of `AtomicPtr` to boxes. The audio thread never frees: what it gives up goes to
//! a pool that a job drains on the non-real-time thread.

use super::job::RealTimeStage;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// One object that units read during `next`, replaced only in stage 3 of a job.
pub struct Handoff<T> {
    current: AtomicPtr<T>,
    /// Counts replacements: a new object may sit at a freed one's address, so the address cannot tell.
    generation: AtomicUsize,
}

impl<T: Send + Sync> Handoff<T> {
    pub const fn new() -> Self {
        Self { current: AtomicPtr::new(ptr::null_mut()), generation: AtomicUsize::new(0) }
    }

    /// Puts `new` in place and returns the previous object, to be dropped later off the audio thread.
    /// Only in stage 3, when no unit's `next` runs: so no unit can be inside [`Handoff::with`] on the old one.
    pub fn replace(&self, new: Option<Box<T>>, _stage: &RealTimeStage) -> Option<Box<T>> {
        let new = new.map_or(ptr::null_mut(), Box::into_raw);
        // AcqRel: units that see the new pointer see the object it points to (Release), and we see the old one.
        let old = self.current.swap(new, Ordering::AcqRel);
        // Relaxed: read only by units between the same stage-3 boundaries as the pointer.
        self.generation.fetch_add(1, Ordering::Relaxed);
        // SAFETY: every non-null pointer stored here came from `Box::into_raw` and is owned by this handoff.
        (!old.is_null()).then(|| unsafe { Box::from_raw(old) })
    }

    /// Runs `f` on the current object. The reference cannot outlive `f`, i.e. the current call of `next`;
    /// the object is only replaced between blocks (stage 3) and freed after (stage 4).
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        // Acquire pairs with the AcqRel swap in `replace`.
        let current = self.current.load(Ordering::Acquire);
        // SAFETY: non-null means a live box owned by this handoff, not freed before the end of this block.
        f(unsafe { current.as_ref() })
    }

    /// A number that changes whenever the object is replaced (0 before the first replacement).
    pub fn generation(&self) -> usize {
        self.generation.load(Ordering::Relaxed)
    }
}

impl<T: Send + Sync> Default for Handoff<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A fixed number of slots holding boxed objects; `put` and `take` are lock-free and never allocate.
pub struct Pool<T, const N: usize> {
    slots: [AtomicPtr<T>; N],
}

impl<T: Send, const N: usize> Pool<T, N> {
    pub const fn new() -> Self {
        Self { slots: [const { AtomicPtr::new(ptr::null_mut()) }; N] }
    }

    /// Takes any object out of the pool.
    pub fn take(&self) -> Option<Box<T>> {
        for slot in &self.slots {
            if slot.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // Swapping the slot empty makes the taker its only owner; Acquire sees the object's contents.
            let taken = slot.swap(ptr::null_mut(), Ordering::Acquire);
            if !taken.is_null() {
                // SAFETY: the pointer came from `Box::into_raw` in `put` and was owned by the slot alone.
                return Some(unsafe { Box::from_raw(taken) });
            }
        }
        None
    }

    /// Puts `object` in a free slot, or gives it back if the pool is full.
    pub fn put(&self, object: Box<T>) -> Result<(), Box<T>> {
        let raw = Box::into_raw(object);
        for slot in &self.slots {
            // Release: whoever takes it sees the object's contents.
            if slot.compare_exchange(ptr::null_mut(), raw, Ordering::Release, Ordering::Relaxed).is_ok() {
                return Ok(());
            }
        }
        // SAFETY: `raw` came from `Box::into_raw` above and was not stored anywhere.
        Err(unsafe { Box::from_raw(raw) })
    }

    /// How many objects are in the pool now.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| !s.load(Ordering::Relaxed).is_null()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Send, const N: usize> Default for Pool<T, N> {
    fn default() -> Self {
        Self::new()
    }
}
