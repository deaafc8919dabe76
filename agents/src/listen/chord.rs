//! Chord recognition: chroma to root and quality.

use super::{Chord, Onset};

/// Per-block chord tracker.
pub struct ChordTracker {}

impl ChordTracker {
    pub fn new(_sample_rate: f32) -> Self {
        Self {}
    }

    pub fn process(&mut self, _block: &[f32], _onset: Option<Onset>) -> Chord {
        Chord::default()
    }
}
