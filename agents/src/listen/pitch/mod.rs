//! Pitch of single notes, E2–E6, with a confidence.

use super::Onset;

/// The pitch tracker's estimate after one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PitchFrame {
    /// Hz; 0 when unvoiced.
    pub hz: f32,
    /// 0..1.
    pub confidence: f32,
}

/// Per-block pitch tracker.
pub struct PitchTracker {}

impl PitchTracker {
    pub fn new(_sample_rate: f32) -> Self {
        Self {}
    }

    pub fn process(&mut self, _block: &[f32], _onset: Option<Onset>) -> PitchFrame {
        PitchFrame::default()
    }
}
