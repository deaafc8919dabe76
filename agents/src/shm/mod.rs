//! The shared-memory protocol: event ring, state page, note log, and the one view of a mapped segment.
