//! Performia's agent library: what the band hears and plays, in plain Rust.
//!
//! **Architecture invariant:** this crate knows nothing of SuperCollider. Everything on its per-block path is
//! allocation-free and lock-free after construction, so it runs unchanged inside a UGen, in `cargo test` and in
//! criterion. `unsafe` is denied here except in the one function of [`shm`] that views a mapped segment as atomics.
#![deny(unsafe_code)]

pub mod blackboard;
pub mod listen;
pub mod shm;
