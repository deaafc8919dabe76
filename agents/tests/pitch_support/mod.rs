//! Signals and helpers for the pitch tracker's tests: plucked strings, damping, mains hum, a tracker run.

// Each test file uses a part of these helpers.
#![allow(dead_code)]

use agents::listen::pitch::{PitchFrame, PitchTracker};
use agents::listen::{BLOCK, Onset};
use std::f32::consts::TAU;

pub const RATE: f32 = 48_000.0;

/// A small seeded generator (xorshift32) for phases and noise.
pub struct Rng(pub u32);

impl Rng {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32
    }
    pub fn noise(&mut self) -> f32 {
        2.0 * self.next() - 1.0
    }
}

/// A plucked string as a decaying harmonic sum with a sharp attack: harmonic `k` (from 1) has amplitude
/// `amplitudes[k - 1]` and decays faster the higher it is. `seconds` long, peak about `peak`.
pub fn pluck(hz: f32, amplitudes: &[f32], seconds: f32, peak: f32, seed: u32) -> Vec<f32> {
    let mut rng = Rng(seed);
    let phases: Vec<f32> = amplitudes.iter().map(|_| rng.next() * TAU).collect();
    let n = (seconds * RATE) as usize;
    let mut out: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / RATE;
            let attack = (i as f32 / 24.0).min(1.0); // half a millisecond
            amplitudes
                .iter()
                .zip(&phases)
                .enumerate()
                .filter(|(k, _)| (*k as f32 + 1.0) * hz < 0.45 * RATE)
                .map(|(k, (a, p))| {
                    let k = k as f32 + 1.0;
                    a * (TAU * k * hz * t + p).sin() * (-t * (1.5 + 0.6 * k)).exp()
                })
                .sum::<f32>()
                * attack
        })
        .collect();
    let max = out.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1.0e-9);
    out.iter_mut().for_each(|x| *x *= peak / max);
    out
}

/// Guitar-like harmonic amplitudes: a pluck near the bridge, rolling off slowly.
pub fn guitar_harmonics() -> Vec<f32> {
    (1..=16)
        .map(|k| 1.0 / (k as f32).powf(0.9) * (1.0 + 0.3 * (k as f32 * 1.3).sin()))
        .collect()
}

/// Runs `signal` through a fresh tracker; `attacks` are sample indices passed as onsets.
pub fn track(signal: &[f32], attacks: &[usize]) -> Vec<PitchFrame> {
    let mut tracker = PitchTracker::new(RATE);
    signal
        .chunks_exact(BLOCK)
        .enumerate()
        .map(|(b, block)| {
            let onset = attacks.iter().find(|&&a| a / BLOCK == b).map(|&a| Onset {
                offset: (a % BLOCK) as u32,
                strength: 1.0,
            });
            tracker.process(block, onset)
        })
        .collect()
}

/// Fraction of the blocks in the sample range `range` voiced within 3 % of `hz`.
pub fn right(frames: &[PitchFrame], range: std::ops::Range<usize>, hz: f32) -> f32 {
    let blocks = &frames[range.start / BLOCK..range.end / BLOCK];
    blocks
        .iter()
        .filter(|f| f.hz > 0.0 && (f.hz / hz - 1.0).abs() < 0.03)
        .count() as f32
        / blocks.len().max(1) as f32
}

/// `note` with its level multiplied, from `from` samples on, by a damping envelope of time constant `seconds`.
pub fn damped(mut note: Vec<f32>, from: usize, seconds: f32) -> Vec<f32> {
    for (i, x) in note.iter_mut().enumerate().skip(from) {
        *x *= (-((i - from) as f32 / RATE) / seconds).exp();
    }
    note
}

/// Mains hum at `mains_hz` with the harmonics 1, 2, 3 and 5 (harmonic, amplitude, phase) and nothing else (no
/// hiss: a canceller's residue is then perfectly periodic), `rms_db` dBFS RMS.
pub fn pure_hum(mains_hz: f32, rms_db: f32, samples: usize) -> Vec<f32> {
    let partials = [
        (1.0f32, 1.0f32, 0.0f32),
        (2.0, 0.5, 0.3),
        (3.0, 0.35, 1.1),
        (5.0, 0.2, 2.0),
    ];
    let scale = 10.0f32.powf(rms_db / 20.0)
        / (0.5 * partials.iter().map(|p| p.1 * p.1).sum::<f32>()).sqrt();
    let at = |t: f32| {
        partials
            .iter()
            .map(|&(k, a, p)| a * (TAU * k * mains_hz * t + p).sin())
            .sum::<f32>()
    };
    (0..samples).map(|i| scale * at(i as f32 / RATE)).collect()
}
