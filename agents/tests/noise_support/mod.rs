//! Synthesized signals for the onset tests: a seeded noise source (pick noise, hiss, bursts) and a plucked string.

use std::f32::consts::TAU;

/// Sample rate of the synthesized signals.
const SR: f32 = 48_000.0;

/// Seeded xorshift32 noise in -1..1.
pub struct Noise(pub u32);

impl Noise {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

/// Adds a plucked string at `start` (48 kHz): a decaying harmonic sum whose first sample is the attack, plus 2 ms of pick
/// noise, scaled so its peak is about `peak`. `vibrato_cents` modulates the pitch at 5 Hz.
// (not every test file plucks)
#[allow(dead_code)]
pub fn add_pluck(
    signal: &mut [f32],
    start: usize,
    hz: f32,
    peak: f32,
    decay_s: f32,
    vibrato_cents: f32,
    seed: u32,
) {
    let mut noise = Noise(seed | 1);
    let mut phases = [0.0f32; 12];
    for (k, p) in phases.iter_mut().enumerate() {
        *p = (k as f32 * 1.7 + seed as f32 * 0.3) % TAU;
    }
    let norm = peak / 2.5;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let bend = 2f32.powf(vibrato_cents / 1200.0 * (TAU * 5.0 * t).sin());
        let mut v = 0.0;
        for (k, p) in phases.iter_mut().enumerate() {
            let harmonic = (k + 1) as f32;
            *p += TAU * hz * harmonic * bend / SR;
            v += p.cos() / harmonic * (-t * harmonic.sqrt() / decay_s).exp();
        }
        if i < 96 {
            v += 0.5 * noise.next() * (1.0 - i as f32 / 96.0);
        }
        *s += norm * v;
    }
}
