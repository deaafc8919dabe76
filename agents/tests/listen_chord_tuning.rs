//! Tests of the chord tracker on a guitar not tuned to A = 440 Hz: its notes fall between the semitones of the
//! A = 440 grid, and the tracker must learn the instrument's own grid from what it hears.

use agents::listen::{Chord, ChordQuality};

mod chord_support;

use chord_support::*;

/// How far each string (low to high) sits from the instrument's own grid, in cents: strings tuned by ear, or a
/// sampled guitar's notes, are a few cents apart (guitar-dev's sampled notes up to 25).
const STRING_CENTS: [f32; 6] = [-20.0, 10.0, -5.0, 15.0, -18.0, 5.0];

/// Strums `notes` from `start_s` to `end_s` (8 ms between strings, a 30 ms damp), the instrument `cents` off
/// A = 440 Hz and each string a little off that.
fn strum_detuned(out: &mut [f32], start_s: f32, end_s: f32, notes: &[i32], cents: f32) {
    let start = (start_s * RATE) as usize;
    let mut one = vec![0.0f32; ((end_s - start_s) * RATE) as usize];
    for (i, &midi) in notes.iter().enumerate() {
        // Synthesized at a rate this much higher and heard at RATE, the string sounds this much lower.
        let rate = RATE * 2f32.powf(-(cents + STRING_CENTS[i % 6]) / 1200.0);
        pluck(
            &mut one,
            rate,
            (i as f32 * 0.008 * RATE) as usize,
            midi,
            0.08,
            1.5,
        );
    }
    add_damped(out, RATE, start, one);
}

/// Chords strummed from 4 s on (one a second, Am F C G over and over, 12 in all, the instrument `cents` off
/// A = 440) that are not named right 0.5 s after their strum.
fn misnamed(cents: f32) -> Vec<String> {
    let changes = [
        (ChordQuality::Minor, 5),
        (ChordQuality::Major, 1),
        (ChordQuality::Major, 8),
        (ChordQuality::Major, 3),
    ];
    let mut signal = vec![0.0f32; (13.0 * RATE) as usize];
    let mut played = Vec::new();
    for k in 0..12 {
        let (quality, fret) = changes[k % changes.len()];
        let start = 0.5 + k as f32;
        strum_detuned(
            &mut signal,
            start,
            start + 1.0,
            &voicing(quality, fret),
            cents,
        );
        let chord = Chord {
            root: root_of_fret(fret),
            quality,
        };
        played.push((start, chord));
    }
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let labels = track_with_onsets(&signal, &onsets);
    played
        .iter()
        .filter(|&&(t, _)| t >= 4.0)
        .filter(|&&(t, want)| label_at(&labels, t + 0.5) != want)
        .map(|&(t, want)| format!("{want:?} at {t:.1} s read {:?}", label_at(&labels, t + 0.5)))
        .collect()
}

#[test]
fn a_guitar_tuned_to_a_432_is_named_right_once_its_tuning_is_learnt() {
    let wrong = misnamed(-32.0);
    assert!(wrong.is_empty(), "32 cents flat: {wrong:?}");
}

#[test]
fn a_guitar_tuned_a_little_sharp_or_exactly_is_named_right() {
    for cents in [0.0, 20.0] {
        let wrong = misnamed(cents);
        assert!(wrong.is_empty(), "{cents} cents: {wrong:?}");
    }
}
