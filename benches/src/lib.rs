//! Shared helpers of the benches (none yet).
