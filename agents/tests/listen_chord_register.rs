//! Tests of the chord tracker on guitars tuned below standard (E flat and D standard, drop D): their low strings
//! sound under E2, and their chords must be named as right and as soon as in standard tuning.

use agents::listen::chord::ChordTracker;
use agents::listen::{BLOCK, Chord, ChordQuality, Onset};

mod chord_support;

use chord_support::*;

/// Semitones a guitar tuned down sits below standard tuning, from standard itself to D standard.
const TUNED_DOWN: [i32; 3] = [0, 1, 2];

/// Chords strummed once a second from 0.5 s (`(quality, fret)` on the sixth string of a guitar tuned `down`
/// semitones below standard), told to the tracker by their onsets; the ones labelled right less than 90 % of the
/// time from 0.2 s after their strum to their end, and the ones first named right later than `within_ms` after it.
fn misnamed(chords: &[(ChordQuality, i32)], down: i32, within_ms: f32) -> Vec<String> {
    let mut signal = vec![0.0f32; ((chords.len() as f32 + 1.0) * RATE) as usize];
    let mut played = Vec::new();
    for (k, &(quality, fret)) in chords.iter().enumerate() {
        let start = 0.5 + k as f32;
        let notes: Vec<i32> = voicing(quality, fret).iter().map(|m| m - down).collect();
        strum(&mut signal, start, start + 1.0, &notes);
        let root = (root_of_fret(fret) as i32 - down).rem_euclid(12) as u8;
        played.push((start, Chord { root, quality }));
    }
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let labels = track_with_onsets(&signal, &onsets);
    let mut wrong = Vec::new();
    for &(t, want) in &played {
        let (from, to) = (block_of(t + 0.2), block_of(t + 0.95));
        let right = labels
            .get(from..to)
            .unwrap_or(&[])
            .iter()
            .filter(|&&c| c == want)
            .count();
        if (right as f32) < 0.9 * (to - from) as f32 {
            let read = label_at(&labels, t + 0.5);
            wrong.push(format!(
                "{want:?} at {t:.1} s right {right} of {} blocks, read {read:?}",
                to - from
            ));
        }
    }
    wrong.extend(named_late(&labels, &played, within_ms));
    wrong
}

#[test]
fn chords_on_the_low_string_are_named_right_and_soon_in_e_flat_and_d_standard() {
    // Chords rooted on the open low string and up the neck: the open string is E2, E flat 2 or D2.
    let chords = [
        (ChordQuality::Power, 0),
        (ChordQuality::Major, 0),
        (ChordQuality::Minor, 0),
        (ChordQuality::Major, 5),
        (ChordQuality::Power, 0),
        (ChordQuality::Minor, 7),
        (ChordQuality::Dominant7, 0),
        (ChordQuality::Major, 3),
    ];
    for down in TUNED_DOWN {
        let wrong = misnamed(&chords, down, 150.0);
        assert!(wrong.is_empty(), "{down} semitones down: {wrong:?}");
    }
}

#[test]
fn a_drop_d_power_chord_keeps_its_root_and_gains_no_third() {
    // Drop D: the low string a tone down, the others standard; D2 A2 D3 is played open. Read without a note at D2,
    // its 3rd harmonic passes for a string on A (A:sus4) and its 5th for F# (D:maj).
    let want = Chord {
        root: 2,
        quality: ChordQuality::Power,
    };
    for ring_s in [0.3f32, 0.8] {
        let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
        strum(&mut signal, 0.5, 2.5, &[38, 45, 50]);
        let labels = track_with_onsets(&signal, &[block_of(0.5)]);
        let read = label_at(&labels, 0.5 + ring_s);
        assert_eq!(read, want, "{ring_s} s after the strum");
    }
}

/// The notes the tracker reads over the 1.5 s after a strum of `notes` (told by its onset), analysis by analysis.
fn notes_read(notes: &[i32]) -> Vec<u8> {
    let mut signal = vec![0.0f32; (2.0 * RATE) as usize];
    strum(&mut signal, 0.25, 1.75, notes);
    let mut tracker = ChordTracker::new(RATE);
    let onset_block = block_of(0.25);
    let mut read = Vec::new();
    for (b, block) in signal.chunks_exact(BLOCK).enumerate() {
        let onset = (b == onset_block).then_some(Onset {
            offset: 0,
            strength: 1.0,
        });
        tracker.process(block, onset);
        read.extend(tracker.notes().iter().map(|&(m, _)| m));
    }
    read
}

#[test]
fn chords_in_standard_tuning_read_no_note_below_e2() {
    // In standard tuning nothing sounds below E2: a note read there would be a low candidate taking a real note's
    // harmonics, or a short window's smeared E2 (D#2 makes E major E:maj7).
    for notes in [
        voicing(ChordQuality::Major, 0),
        voicing(ChordQuality::Power, 0),
        voicing(ChordQuality::Major, 5),
        vec![50, 57, 62, 66],
    ] {
        let read = notes_read(&notes);
        assert!(!read.is_empty(), "{notes:?}: no note read");
        let low: Vec<u8> = read.iter().copied().filter(|&m| m < 40).collect();
        assert!(low.is_empty(), "{notes:?} read below E2: {low:?}");
    }
}

#[test]
fn a_tuned_down_low_string_is_read_at_its_own_pitch() {
    // D2 (73 Hz) and E flat 2 (78 Hz) read as themselves, so the bass and its overtones are accounted for.
    for low in [38, 39] {
        let read = notes_read(&[low, low + 7, low + 12]);
        assert!(read.contains(&(low as u8)), "{low} never read: {read:?}");
    }
}

#[test]
fn a_bright_power_chord_on_c3_stays_a_power_chord_while_it_rings() {
    // C3 G3 C4 with a distorted amp's flat spectrum: C3's 5th harmonic is E5, the top of the note range, and read
    // as a string it would make C:5 a C major chord.
    let mut signal = vec![0.0f32; (2.5 * RATE) as usize];
    let start = (0.5 * RATE) as usize;
    for (i, m) in [48, 55, 60].into_iter().enumerate() {
        bright_pluck(&mut signal, start + i * 400, m, 1.0);
    }
    let labels = track_with_onsets(&signal, &[block_of(0.5)]);
    let want = Chord {
        root: 0,
        quality: ChordQuality::Power,
    };
    let wrong: Vec<String> = (0..8)
        .map(|k| 0.8 + 0.15 * k as f32)
        .filter(|&t| label_at(&labels, t) != want)
        .map(|t| format!("{t:.2} s: {:?}", label_at(&labels, t)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}
