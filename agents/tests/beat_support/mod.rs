//! The beat tracker run over a stream of onset times, as the beat tests feed it.

use agents::listen::beat::BeatTracker;
use agents::listen::{BLOCK, Onset};

/// The rate the onset times are turned into blocks at.
const SAMPLE_RATE: f64 = 48_000.0;

/// Runs a tracker over `seconds` of blocks, feeding onsets at `times` (sorted, equal strength) in the blocks
/// they fall in; returns the times (s) of the announced beats.
pub fn beats_announced(times: &[f64], seconds: f64) -> Vec<f64> {
    let mut tracker = BeatTracker::new(SAMPLE_RATE as f32);
    let block_s = BLOCK as f64 / SAMPLE_RATE;
    let mut next = 0;
    let mut beats = Vec::new();
    for b in 0..(seconds / block_s) as usize {
        let start = b as f64 * block_s;
        let mut onset = None;
        while next < times.len() && times[next] < start + block_s {
            let offset = ((times[next] - start).max(0.0) * SAMPLE_RATE) as u32;
            onset = onset.or(Some(Onset {
                offset: offset.min(BLOCK as u32 - 1),
                strength: 12.0,
            }));
            next += 1;
        }
        let frame = tracker.process(0.0, onset, 0.0);
        if let Some(offset) = frame.beat {
            beats.push(start + f64::from(offset) / SAMPLE_RATE);
        }
    }
    beats
}

/// Small seeded PRNG (xorshift64) for onset jitter.
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence differs well for neighbouring seeds (0 included).
    #[allow(dead_code)]
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in `-width..width`.
    #[allow(dead_code)]
    pub fn jitter(&mut self, width: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let uniform = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        (uniform * 2.0 - 1.0) * width
    }
}
