//! Tempo and beat: a predicted beat phase from the onsets.

use super::{BeatFrame, Onset};

/// Per-block beat tracker.
pub struct BeatTracker {}

impl BeatTracker {
    pub fn new(_sample_rate: f32) -> Self {
        Self {}
    }

    pub fn process(&mut self, _odf: f32, _onset: Option<Onset>, _tempo_prior_bpm: f32) -> BeatFrame {
        BeatFrame::default()
    }
}
