//! Placeholder until the ring bench lands.
fn main() {}
