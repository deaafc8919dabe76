//! Level (dynamics) of the guitar per block.
//!
//! The RMS of each block, held by a peak follower with a short release so that the level of a plucked note
//! falls smoothly instead of flickering with the waveform between blocks: a fast attack (the block's own RMS is
//! taken at once) and an exponential release of [`RELEASE_MS`].

use super::BLOCK;

/// Release time constant of the level, ms.
pub const RELEASE_MS: f32 = 60.0;

/// Per-block level meter.
pub struct LevelMeter {
    level: f32,
    /// Per-block multiplier of the held level while it falls.
    release: f32,
}

impl LevelMeter {
    pub fn new(sample_rate: f32) -> Self {
        let sr = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate
        } else {
            48_000.0
        };
        let blocks_per_release = RELEASE_MS / 1000.0 * sr / BLOCK as f32;
        Self {
            level: 0.0,
            release: (-1.0 / blocks_per_release).exp(),
        }
    }

    /// Level of this block, linear amplitude (RMS, with release). Always finite; non-finite samples count as
    /// silence.
    pub fn process(&mut self, block: &[f32]) -> f32 {
        let mut sum = 0.0f32;
        for &x in block.iter().take(BLOCK) {
            let x = if x.is_finite() {
                x.clamp(-8.0, 8.0)
            } else {
                0.0
            };
            sum += x * x;
        }
        let count = block.len().clamp(1, BLOCK) as f32;
        let rms = (sum / count).sqrt();
        let released = self.level * self.release;
        // Flush to zero far below audibility so the release never runs into denormals.
        self.level = if rms > released {
            rms
        } else if released > 1e-9 {
            released
        } else {
            0.0
        };
        self.level
    }
}
