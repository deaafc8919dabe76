//! Tests of how soon the chord tracker names a chord whose strum takes a while: the first reading after the attack
//! hears only its first strings, and the later, longer windows must be allowed to correct it.

use agents::listen::{Chord, ChordQuality};

mod chord_support;

use chord_support::*;

/// Dominant seventh chords, barre shapes on the sixth string (the seventh on the fourth string, the third on the
/// third), each strummed slowly (35 ms from one string to the next, 175 ms for the strum) and damped when the next
/// is struck.
fn slow_sevenths(frets: &[i32]) -> (Vec<f32>, Vec<(f32, Chord)>) {
    let mut signal = vec![0.0f32; ((frets.len() as f32 + 1.0) * RATE) as usize];
    let mut played = Vec::new();
    for (k, &fret) in frets.iter().enumerate() {
        let start = 0.5 + k as f32;
        let mut strings = vec![0.0f32; RATE as usize];
        for (i, &midi) in voicing(ChordQuality::Dominant7, fret).iter().enumerate() {
            pluck(
                &mut strings,
                RATE,
                (i as f32 * 0.035 * RATE) as usize,
                midi,
                0.08,
                1.5,
            );
        }
        add_damped(&mut signal, RATE, (start * RATE) as usize, strings);
        let quality = ChordQuality::Dominant7;
        played.push((
            start,
            Chord {
                root: root_of_fret(fret),
                quality,
            },
        ));
    }
    (signal, played)
}

#[test]
fn slowly_strummed_sevenths_are_named_once_their_seventh_and_third_have_sounded() {
    // The seventh sounds 70 ms after the attack and the third 105 ms after: a first guess made before them must
    // give way as soon as a longer window hears them, within 135 ms.
    let frets = [0, 3, 5, 7, 8, 10];
    let (signal, played) = slow_sevenths(&frets);
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let labels = track_with_onsets(&signal, &onsets);
    let mut late = Vec::new();
    for &(t, want) in &played {
        let from = block_of(t);
        match first_right(&labels, from, want) {
            Some(b) if blocks_to_ms(b - from) <= 135.0 => {}
            Some(b) => late.push(format!(
                "{want:?} named after {:.0} ms",
                blocks_to_ms(b - from)
            )),
            None => late.push(format!("{want:?} never named")),
        }
    }
    assert!(late.is_empty(), "{late:#?}");
}
