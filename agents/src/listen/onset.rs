//! Onset detection with the sample offset of the attack inside the block.

use super::Onset;

/// What the onset detector saw in one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OnsetFrame {
    /// Onset-detection-function value for this block (novelty, >= 0), fed to the beat tracker.
    pub odf: f32,
    pub onset: Option<Onset>,
}

/// Per-block onset detector.
pub struct OnsetDetector {}

impl OnsetDetector {
    pub fn new(_sample_rate: f32) -> Self {
        Self {}
    }

    pub fn process(&mut self, _block: &[f32]) -> OnsetFrame {
        OnsetFrame::default()
    }
}
