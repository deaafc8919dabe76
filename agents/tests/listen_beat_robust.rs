//! Tests of the beat tracker on onset streams as a real take's detector reports them: attacks heard late
//! (a swelling overdrive, a room), notes missed, onsets at odd places. The tracker must keep the beat.

use agents::listen::beat::BeatTracker;
use agents::listen::{BLOCK, Onset};

const SAMPLE_RATE: f64 = 48_000.0;

/// Runs a tracker over `seconds` of blocks, feeding onsets at `times` (sorted, equal strength) in the blocks
/// they fall in; returns the times (s) of the announced beats.
fn beats_announced(times: &[f64], seconds: f64) -> Vec<f64> {
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

/// The true beats from `from` to `to` (s) that have no announced beat within `tolerance` (s), and the
/// announced beats in that stretch that are on no true beat.
fn misses(
    beats: &[f64],
    truth: &[f64],
    from: f64,
    to: f64,
    tolerance: f64,
) -> (Vec<f64>, Vec<f64>) {
    let near = |t: f64, set: &[f64]| set.iter().any(|s| (s - t).abs() <= tolerance);
    let stretch = |t: &&f64| **t >= from && **t <= to;
    let missed = truth.iter().filter(stretch).filter(|&&t| !near(t, beats));
    let extra = beats.iter().filter(stretch).filter(|&&b| !near(b, truth));
    (missed.copied().collect(), extra.copied().collect())
}

#[test]
fn a_riff_whose_attacks_are_heard_late_keeps_its_tempo() {
    // A power-chord riff at 139 bpm as the onset detector hears an overdriven take: every beat and most
    // eighths played, a third of the eighths and a few beats not heard, and now and then a swelling chord
    // heard 20-50 ms late (0.05-0.11 of a beat). Positions in beats, from the take's first beat.
    const HEARD: [f64; 58] = [
        -0.01, 1.01, 1.50, 2.07, 3.02, 3.51, 4.01, 5.01, 5.49, 6.51, 7.02, 9.02, 10.06, 11.02,
        11.51, 12.02, 13.02, 13.51, 14.50, 14.99, 16.11, 17.01, 17.53, 18.02, 19.01, 19.50, 20.02,
        21.01, 21.51, 22.52, 23.01, 25.00, 25.51, 26.07, 27.02, 27.52, 28.01, 29.02, 29.51, 30.52,
        31.00, 32.10, 33.02, 33.50, 34.00, 35.01, 35.51, 35.99, 37.50, 38.52, 39.01, 40.06, 41.00,
        41.50, 42.06, 43.03, 43.51, 44.02,
    ];
    let (start, period) = (0.9, 60.0 / 139.0);
    let times: Vec<f64> = HEARD.iter().map(|beat| start + beat * period).collect();
    let truth: Vec<f64> = (0..46).map(|k| start + k as f64 * period).collect();
    let beats = beats_announced(&times, start + 45.5 * period);
    // A late chord is a note heard late, not a tempo 10 % slower from the beat before: no beat is lost.
    let (missed, extra) = misses(&beats, &truth, start + 4.0 * period, truth[44], 0.07);
    assert!(
        missed.is_empty() && extra.is_empty(),
        "true beats missed {missed:.3?}, beats off the grid {extra:.3?}"
    );
}
