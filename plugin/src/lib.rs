//! Performia's SuperCollider server plugin: the UGens, a safe layer under them, and the bindings.
//!
//! Built twice from the same source: `Performia.so` for scsynth and, with the `supernova` feature,
//! `Performia_supernova.so` for supernova (the two servers lay out `World` and `SndBuf` differently).
//! The server finds the C entry points in [`sys`]; [`register_all`] is the one list of UGens.

pub mod listeners;
pub mod shared;
pub mod sys;
pub mod ugen;
pub mod ugens;

use ugen::Registry;

/// Every UGen of the plugin, in one list: registered with the server at load and walked by the tidy tests.
pub fn register_all<R: Registry>(registry: &mut R) {
    registry.unit::<ugens::PerfPeak>();
    registry.unit::<ugens::PerfRing>();
    registry.unit::<ugens::PerfListen>();
    registry.command::<listeners::Prepare>();
    registry.command::<shared::Attach>();
    registry.command::<shared::Detach>();
    #[cfg(feature = "test-panic")]
    registry.unit::<ugens::PerfTestPanic>();
}

/// Replaces the default panic message (which allocates, and prints a backtrace with `RUST_BACKTRACE`) by
/// nothing: the guard in `sys::unit` prints one line naming the unit instead. This cdylib has its own std, so
/// the hook covers only Performia's code.
fn quiet_panic_messages() {
    std::panic::set_hook(Box::new(|_| {}));
}
