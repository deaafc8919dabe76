//! Placeholder until the listen bench lands.
fn main() {}
