//! The chord tracker's front end: band-limit, decimate and keep the recent past; find attacks on its own.

use crate::listen::biquad::Biquad;

/// Rate the analysis runs at, roughly: chroma needs nothing above ~2 kHz, so 48 kHz input is decimated by 4.
const TARGET_RATE_HZ: f32 = 12_000.0;
/// Length of the history ring in decimated samples (a power of two): the longest analysis window.
pub const HISTORY: usize = 2048;

/// Low-passes and decimates the input into a ring of the last [`HISTORY`] samples.
pub struct Front {
    decimation: usize,
    phase: usize,
    filters: [Biquad; 2],
    ring: Vec<f32>,
    /// Decimated samples written so far (the ring's write position, never wraps in practice).
    written: u64,
    /// Rate of the decimated signal.
    pub rate: f32,
}

impl Front {
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = if sample_rate.is_finite() && sample_rate > 1000.0 {
            sample_rate
        } else {
            48_000.0
        };
        let decimation = ((sample_rate / TARGET_RATE_HZ).round() as usize).max(1);
        let rate = sample_rate / decimation as f32;
        // 4th-order Butterworth at 0.2 x the decimated rate: flat to 2 kHz, aliases from above 6 kHz at -30 dB or less.
        let cutoff = 0.2 * rate;
        Self {
            decimation,
            phase: 0,
            filters: [
                Biquad::low_pass(sample_rate, cutoff, 0.541_196_1),
                Biquad::low_pass(sample_rate, cutoff, 1.306_563),
            ],
            ring: vec![0.0; HISTORY],
            written: 0,
            rate,
        }
    }

    /// Feeds one block; returns the peak absolute value of the band-limited block (for the attack finder).
    pub fn push(&mut self, block: &[f32]) -> f32 {
        let mut peak = 0.0f32;
        for &x in block {
            // Non-finite input becomes silence; absurd levels are clipped so the filters stay sane.
            let x = if x.is_finite() {
                x.clamp(-8.0, 8.0)
            } else {
                0.0
            };
            let [first, second] = &mut self.filters;
            let y = second.run(first.run(x));
            peak = peak.max(y.abs());
            self.phase += 1;
            if self.phase >= self.decimation {
                self.phase = 0;
                let at = (self.written % HISTORY as u64) as usize;
                if let Some(slot) = self.ring.get_mut(at) {
                    *slot = y;
                }
                self.written += 1;
            }
        }
        for f in &mut self.filters {
            f.flush();
        }
        peak
    }

    /// Decimated samples written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Copies the last `len` samples (oldest first) into `out[..len]`.
    pub fn copy_last(&self, len: usize, out: &mut [f32]) {
        let len = len.min(HISTORY).min(out.len()).min(self.written as usize);
        let start = self.written - len as u64;
        for (i, o) in out.iter_mut().take(len).enumerate() {
            let at = ((start + i as u64) % HISTORY as u64) as usize;
            *o = self.ring.get(at).copied().unwrap_or(0.0);
        }
    }
}

/// Finds attacks from the band-limited level alone, so the tracker works without the onset detector.
pub struct AttackFinder {
    /// Slowly decaying maximum of recent block peaks.
    held: f32,
    decay: f32,
}

impl AttackFinder {
    pub fn new(block_rate: f32) -> Self {
        // About 60 dB/s: slow enough to ride over the periods of a low string, fast enough to rearm within a beat.
        let decay = 10f32.powf(-60.0 / 20.0 / block_rate);
        Self { held: 0.0, decay }
    }

    /// True when this block's peak jumps clearly above what was ringing.
    pub fn push(&mut self, peak: f32) -> bool {
        let before = self.held;
        self.held = (self.held * self.decay).max(peak);
        if self.held < 1e-20 {
            self.held = 0.0;
        }
        peak > 1e-4 && peak > 1.6 * before
    }
}
