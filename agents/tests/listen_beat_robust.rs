//! Tests of the beat tracker on onset streams as a real take's detector reports them: attacks heard late
//! (a swelling overdrive, a room), notes missed, onsets at odd places. The tracker must keep the beat.

mod beat_support;

use beat_support::beats_announced;

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

#[test]
fn palm_muted_sixteenths_with_unheard_notes_keep_the_quarter_note() {
    // A palm-muted riff at 148 bpm (sixteenths, `xxxxxxxxA.xxxxxx xx.xxx.xA.A.xxxx`) as the onset detector
    // hears a take of it: most accents after a rest and a few runs of chugs not heard, leaving holes of up to
    // five sixteenths. Positions in sixteenths from the first beat. The first onset after a hole favours
    // whichever grid's beats the hole fell between (4/5 or 5/6 of the tempo, nearer the tempo prior's
    // centre); that is one interval's chance, not a reading the onsets keep.
    const HEARD: [f64; 109] = [
        0.05, 1.09, 2.07, 2.98, 4.02, 5.02, 6.05, 7.09, 8.00, 11.07, 12.04, 13.03, 14.05, 15.03,
        16.05, 17.05, 19.04, 20.05, 21.05, 22.83, 24.05, 29.05, 30.03, 31.05, 32.06, 33.06, 34.08,
        35.03, 36.08, 37.04, 38.00, 39.03, 40.04, 45.13, 46.08, 47.14, 48.14, 49.07, 51.01, 52.09,
        53.04, 55.04, 56.03, 61.05, 62.05, 63.03, 64.04, 65.05, 65.99, 67.02, 68.04, 69.04, 70.08,
        71.09, 72.02, 75.05, 76.05, 77.07, 78.09, 79.05, 80.03, 81.03, 83.04, 84.07, 85.03, 86.96,
        88.01, 93.03, 94.07, 94.99, 96.04, 97.06, 98.08, 99.02, 100.03, 101.06, 102.00, 103.02,
        104.05, 108.09, 109.15, 110.08, 111.15, 112.06, 113.05, 115.00, 116.00, 117.06, 119.05,
        120.05, 122.30, 125.02, 126.02, 127.02, 128.09, 129.01, 130.08, 131.01, 132.02, 133.10,
        134.05, 134.99, 136.03, 139.08, 140.06, 141.01, 142.06, 143.03, 144.01,
    ];
    let (start, period) = (0.7, 60.0 / 148.0);
    let times: Vec<f64> = HEARD.iter().map(|k| start + k * 0.25 * period).collect();
    let truth: Vec<f64> = (0..37).map(|k| start + k as f64 * period).collect();
    let beats = beats_announced(&times, truth[36] + 0.1);
    let (missed, extra) = misses(&beats, &truth, truth[8], truth[36], 0.07);
    assert!(
        missed.is_empty() && extra.is_empty(),
        "true beats missed {missed:.3?}, beats off the grid {extra:.3?}"
    );
}
