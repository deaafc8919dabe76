//! Tests of how soon the chord tracker names a chord after its strum: a guitar tuned down, whose low string sounds
//! below standard tuning's E2, and the notes each analysis reads.

use agents::listen::chord::ChordTracker;
use agents::listen::{BLOCK, ChordQuality, Onset};

mod chord_support;

use chord_support::*;

/// Adds a plucked string.
fn pluck_one(out: &mut [f32], start: usize, midi: i32) {
    pluck(out, RATE, start, midi, 0.08, 1.5);
}

#[test]
fn the_bass_of_a_chord_rooted_on_d2_is_d_from_75_ms_on() {
    // Its fifth, A2, is the lowest string of standard tuning: were D2 read only from 85 ms (where a window places
    // its fundamental finely), A would be the bass until then. The first windows, shorter still, smear D2 upward;
    // those that lean toward their newest samples (spectrum.rs, LEAN_RISE) place it from 71 ms, the plain window
    // from 60 ms.
    for quality in [ChordQuality::Power, ChordQuality::Major] {
        let mut signal = vec![0.0f32; (1.0 * RATE) as usize];
        strum(&mut signal, 0.2, 1.0, &voicing(quality, -2));
        let onset = block_of(0.2);
        let mut tracker = ChordTracker::new(RATE);
        let mut wrong = Vec::new();
        for (b, block) in signal.chunks_exact(BLOCK).enumerate() {
            let attack = (b == onset).then_some(Onset {
                offset: 0,
                strength: 1.0,
            });
            tracker.process(block, attack);
            let heard = !tracker.notes().is_empty();
            if b >= onset + block_of(0.075)
                && b < onset + block_of(0.2)
                && heard
                && tracker.bass() != Some(2)
            {
                wrong.push((blocks_to_ms(b - onset), tracker.bass()));
            }
        }
        assert!(
            wrong.is_empty(),
            "{quality:?}: bass after (ms, pitch class) {wrong:?}"
        );
    }
}

#[test]
fn each_note_is_read_once_in_an_analysis() {
    let (signal, played) = chord_each_second(&[0, 5, 3, 7], ChordQuality::Major, 0.012, pluck_one);
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let mut tracker = ChordTracker::new(RATE);
    let mut repeated = Vec::new();
    for (b, block) in signal.chunks_exact(BLOCK).enumerate() {
        let onset = onsets.contains(&b).then_some(Onset {
            offset: 0,
            strength: 1.0,
        });
        tracker.process(block, onset);
        let notes = tracker.notes();
        for (i, &(midi, _)) in notes.iter().enumerate() {
            if notes.iter().skip(i + 1).any(|&(m, _)| m == midi) {
                repeated.push((blocks_to_ms(b), midi));
            }
        }
    }
    assert!(
        repeated.is_empty(),
        "{} notes read twice, the first (ms, MIDI): {:?}",
        repeated.len(),
        repeated.get(..4)
    );
}
