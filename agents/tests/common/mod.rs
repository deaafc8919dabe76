//! A counting global allocator shared by the tests that prove code does not touch the heap.
//!
//! Every test binary that says `mod common;` gets this allocator as its `#[global_allocator]`. It counts, per
//! thread, every call that allocates, grows or frees memory (`alloc`, `alloc_zeroed`, `realloc`, `dealloc`):
//! freeing on the audio thread is as forbidden as allocating, and counting both is the strictest check. Counts are
//! per thread because tests run in parallel and must not see each other's allocations.
//!
//! `plugin/tests/no_alloc.rs` includes this same file by `#[path]`, so there is one allocator for the workspace.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Heap calls made by this thread. Const-initialised, so touching it neither allocates nor re-enters the
    /// allocator (a lazily initialised thread-local could).
    static HEAP_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// Forwards everything to the system allocator and counts each call on the calling thread.
struct CountingAllocator;

fn count_one() {
    HEAP_CALLS.with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a const-initialised
// thread-local `Cell`, which neither allocates nor re-enters the allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as ours, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: `ptr` came from `System` with this `layout` (every allocation here does); rest forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_one();
        // SAFETY: `ptr` came from `System` with this `layout` (every allocation here does).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many heap calls (allocations, reallocations and frees) this thread made while it ran,
/// with `f`'s result. Dropping the result afterwards is not counted.
pub fn allocations_in<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = HEAP_CALLS.with(Cell::get);
    let result = f();
    let after = HEAP_CALLS.with(Cell::get);
    (after - before, result)
}
