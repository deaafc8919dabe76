//! Tests of how soon the chord tracker names a chord whose strum takes a while: the first reading after the attack
//! hears only its first strings, and the later, longer windows must be allowed to correct it.

use agents::listen::{Chord, ChordQuality};

mod chord_support;

use chord_support::*;

/// Dominant seventh chords, barre shapes on the sixth string (the seventh on the fourth string, the third on the
/// third), each strummed slowly (35 ms from one string to the next, 175 ms for the strum) and damped when the next
/// is struck.
fn slow_sevenths(frets: &[i32]) -> (Vec<f32>, Vec<(f32, Chord)>) {
    chord_each_second(
        frets,
        ChordQuality::Dominant7,
        0.035,
        |strings, at, midi| pluck(strings, RATE, at, midi, 0.08, 1.5),
    )
}

#[test]
fn slowly_strummed_sevenths_are_named_once_their_seventh_and_third_have_sounded() {
    // The seventh sounds 70 ms after the attack and the third 105 ms after: a first guess made before them must
    // give way as soon as a longer window hears them, within 135 ms.
    let frets = [0, 3, 5, 7, 8, 10];
    let (signal, played) = slow_sevenths(&frets);
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let labels = track_with_onsets(&signal, &onsets);
    let late = named_late(&labels, &played, 135.0);
    assert!(late.is_empty(), "{late:#?}");
}
