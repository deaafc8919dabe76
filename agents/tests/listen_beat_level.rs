//! Tests that the beat tracker takes the beat, not its off-beat or twice its tempo, when the onsets' timing
//! leaves the readings close: riffs whose on-beat notes go unheard after a ringing chord, and a slow take whose
//! first two onsets read as well at twice its tempo.

mod beat_support;

use beat_support::{Rng, beats_announced};

/// Where `pattern` (positions in beats inside one pattern of `length` beats) is heard, repeated `times`, at
/// `bpm` from 0.8 s, each onset jittered by up to ±2 ms; and the true beats.
fn played(pattern: &[f64], length: f64, times: usize, bpm: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let (start, period) = (0.8, 60.0 / bpm);
    let mut rng = Rng::new(seed);
    let onsets = (0..times)
        .flat_map(|k| pattern.iter().map(move |p| k as f64 * length + p))
        .map(|beat| start + beat * period + rng.jitter(0.002))
        .collect();
    let beats = (0..=(times as f64 * length) as usize)
        .map(|k| start + k as f64 * period)
        .collect();
    (onsets, beats)
}

/// The share of the announced beats from `from` (s) on that fall on a true beat (within 70 ms), and how many
/// announced beats that is.
fn on_the_beat(announced: &[f64], truth: &[f64], from: f64) -> (f64, usize) {
    let counted: Vec<f64> = announced.iter().copied().filter(|&b| b >= from).collect();
    let right = counted
        .iter()
        .filter(|&&b| truth.iter().any(|t| (t - b).abs() <= 0.07))
        .count();
    (right as f64 / counted.len().max(1) as f64, counted.len())
}

#[test]
fn power_chords_whose_on_beat_chugs_go_unheard_are_tracked_on_the_beat() {
    // Two bars of a power-chord riff, accents on beats 1 and 3 ringing over the palm-muted chug on the beat
    // after them, which the onset detector does not hear: what is heard is as much on the off-beats as on the
    // beats, and each off-beat chug comes after a gap of a beat and a half. Such a gap is a rest inside the
    // riff, not a phrase beginning, and must not make the off-beat chugs count as accents.
    let riff = [0.0, 1.5, 2.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0];
    for bpm in [105.0, 112.0, 118.0, 125.0, 132.0, 140.0] {
        for seed in 1..=6u64 {
            let (onsets, truth) = played(&riff, 8.0, 4, bpm, seed);
            let announced = beats_announced(&onsets, truth[31] + 0.05);
            let (right, counted) = on_the_beat(&announced, &truth, truth[4] - 0.1);
            assert!(
                right >= 0.95 && counted >= 20,
                "{bpm} bpm, seed {seed}: {right:.2} of {counted} beats from the second bar on the beat"
            );
        }
    }
}

#[test]
fn a_first_reading_at_twice_the_tempo_announces_no_beat_its_next_onset_rules_out() {
    // A slow strummed take at 70 bpm begins with two beats and an eighth: from the first two onsets alone the
    // reading at twice the tempo is as good as any, and its next beat falls on the eighth. The eighth, played a
    // few milliseconds early, rules that reading out (the take goes on in quarters and eighths), but the
    // verdict takes a few blocks; the beat that reading predicts meanwhile must wait for it, not be announced.
    let riff = [0.0, 1.0, 1.5, 3.0, 3.5, 4.0, 5.0, 5.5, 6.0, 7.0];
    for seed in 1..=8u64 {
        for early in [0.004, 0.005, 0.006, 0.008] {
            let (mut onsets, truth) = played(&riff, 8.0, 2, 70.0, seed);
            onsets[2] = truth[1] + 0.5 * (truth[1] - truth[0]) - early;
            let announced = beats_announced(&onsets, truth[12] + 0.05);
            let (right, counted) = on_the_beat(&announced, &truth, 0.0);
            assert!(
                right >= 1.0 && counted >= 12,
                "seed {seed}, eighth {early} s early: {right:.2} of {counted} beats on the beat"
            );
        }
    }
}
