//! The UGens: one thin adapter per file, each over the `agents` crate or a few lines of its own.

mod perf_listen;
mod perf_peak;
mod perf_ring;
#[cfg(feature = "test-panic")]
mod perf_test_panic;

pub use perf_listen::{PerfListen, BLACKBOARD};
pub use perf_peak::PerfPeak;
pub use perf_ring::PerfRing;
#[cfg(feature = "test-panic")]
pub use perf_test_panic::PerfTestPanic;
