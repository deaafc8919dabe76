//! The `performia` command.
fn main() {}
