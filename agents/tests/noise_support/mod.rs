//! Synthesized signals for the onset tests: a seeded noise source (pick noise, hiss, bursts) and a plucked string;
//! and a run of the detector over a signal.

use agents::listen::BLOCK;
use agents::listen::onset::{OnsetDetector, OnsetParams};
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
    add_pluck_at(SR, signal, start, hz, peak, decay_s, vibrato_cents, seed);
}

/// [`add_pluck`] for a signal sampled at `sr`. The pick noise is the same at every rate: 2 ms of the 48 kHz noise,
/// interpolated, so a higher rate adds no energy above 24 kHz (a recording at 96 kHz of a real pick has next to none).
#[allow(dead_code, clippy::too_many_arguments)]
pub fn add_pluck_at(
    sr: f32,
    signal: &mut [f32],
    start: usize,
    hz: f32,
    peak: f32,
    decay_s: f32,
    vibrato_cents: f32,
    seed: u32,
) {
    let noise_samples = (0.002 * sr) as usize;
    let mut noise = Noise(seed | 1);
    // the two 48 kHz noise values around the current sample, and the 48 kHz index of the first
    let (mut before, mut after, mut index) = (0.0, noise.next(), -1i64);
    let mut phases = [0.0f32; 12];
    for (k, p) in phases.iter_mut().enumerate() {
        *p = (k as f32 * 1.7 + seed as f32 * 0.3) % TAU;
    }
    let norm = peak / 2.5;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / sr;
        let bend = 2f32.powf(vibrato_cents / 1200.0 * (TAU * 5.0 * t).sin());
        let mut v = 0.0;
        for (k, p) in phases.iter_mut().enumerate() {
            let harmonic = (k + 1) as f32;
            *p += TAU * hz * harmonic * bend / sr;
            v += p.cos() / harmonic * (-t * harmonic.sqrt() / decay_s).exp();
        }
        if i < noise_samples {
            let at = i as f32 * SR / sr;
            while index < at as i64 {
                (before, after, index) = (after, noise.next(), index + 1);
            }
            let pick = before + (after - before) * at.fract();
            v += 0.5 * pick * (1.0 - i as f32 / noise_samples as f32);
        }
        *s += norm * v;
    }
}

/// Runs a detector with `params` over `signal` (48 kHz); returns the blocks its onsets were reported in. Every
/// frame's novelty and rises must be finite.
#[allow(dead_code)]
pub fn onset_blocks(signal: &[f32], params: OnsetParams) -> Vec<usize> {
    let mut detector = OnsetDetector::with_params(SR, params);
    signal
        .chunks(BLOCK)
        .enumerate()
        .filter_map(|(b, block)| {
            let frame = detector.process(block);
            assert!(
                frame.odf.is_finite()
                    && frame.high_rise_db.is_finite()
                    && frame.mid_rise_db.is_finite()
            );
            frame.onset.map(|_| b)
        })
        .collect()
}

/// The fizz of an overdriven amp: white noise differenced twice (its energy rises 12 dB an octave, so it fills the
/// pre-emphasised energy from 5 kHz up), steady at `level`.
#[allow(dead_code)]
pub fn fizz(n: usize, level: f32, seed: u32) -> Vec<f32> {
    let mut noise = Noise(seed);
    let (mut x1, mut d1) = (0.0, 0.0);
    (0..n)
        .map(|_| {
            let x = noise.next();
            let d = x - x1;
            let y = d - d1;
            (x1, d1) = (x, d);
            level * y
        })
        .collect()
}

/// A second of [`fizz`] over the low strings of a ringing chord (E2 and B2, their first four partials, steady): the
/// fizz fills the pre-emphasised energy and the strings the low band, so neither rises when a new chord comes in.
#[allow(dead_code)]
pub fn fizz_over_ringing_strings() -> Vec<f32> {
    let mut signal = fizz(48_000, 0.02, 9);
    for (i, s) in signal.iter_mut().enumerate() {
        let t = i as f32 / SR;
        for (root, phase) in [(82.4f32, 0.3f32), (123.5, 1.1)] {
            *s += (1..=4)
                .map(|k| 0.1 / k as f32 * (TAU * root * k as f32 * t + phase * k as f32).sin())
                .sum::<f32>();
        }
    }
    signal
}
