//! Level (dynamics) of the guitar per block.

/// Per-block level meter.
pub struct LevelMeter {}

impl LevelMeter {
    pub fn new(_sample_rate: f32) -> Self {
        Self {}
    }

    /// Level of this block, linear amplitude.
    pub fn process(&mut self, _block: &[f32]) -> f32 {
        0.0
    }
}
