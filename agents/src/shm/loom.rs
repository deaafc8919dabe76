//! The atomics the protocol is written on: `core`'s normally, loom's under `--cfg loom` (the model checker).
//!
//! Same shape as `tokio-rs/bytes: src/loom.rs`: the ring and the state page import their atomics from here only,
//! so `RUSTFLAGS="--cfg loom" cargo test --test shm_loom` checks the very code that runs in the server.

#[cfg(not(loom))]
pub use core::sync::atomic::{AtomicU64, Ordering, fence};

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicU64, Ordering, fence};

/// Builds `len` zeroed words on the heap (tests, benches, and anything that needs a ring without a segment).
pub fn zeroed_words(len: usize) -> Vec<AtomicU64> {
    (0..len).map(|_| AtomicU64::new(0)).collect()
}
