//! Tests of the chord tracker on synthesized strums: every quality named soon after the strum, changes followed,
//! labels held while a chord rings and through rests, distorted power chords kept power chords, no chord in
//! silence, noise and single notes, no allocation per block.

use agents::listen::chord::{ChordParams, ChordTracker};
use agents::listen::{BLOCK, Chord, ChordQuality, Onset};

mod chord_support;
mod common;

use chord_support::*;

#[test]
fn every_quality_on_several_roots_is_named_soon_after_the_strum_and_held() {
    let mut failures = Vec::new();
    for quality in QUALITIES {
        for fret in [0, 3, 5, 8] {
            let mut signal = vec![0.0f32; (1.5 * RATE) as usize];
            strum(&mut signal, 0.3, 1.5, &voicing(quality, fret));
            let labels = track(&signal);
            let want = Chord {
                root: root_of_fret(fret),
                quality,
            };
            let start = block_of(0.3);
            let Some(first) = first_right(&labels, start, want) else {
                failures.push(format!(
                    "{want:?}: never named (ended as {:?})",
                    labels.last()
                ));
                continue;
            };
            let delay_ms = blocks_to_ms(first - start);
            let held = labels.iter().skip(first).filter(|&&c| c == want).count() as f32
                / (labels.len() - first) as f32;
            if delay_ms > 120.0 || held < 0.95 {
                let other = labels.iter().skip(first).find(|&&c| c != want);
                failures.push(format!(
                    "{want:?}: named after {delay_ms:.0} ms, held {held:.2}, else {other:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_change_of_chord_switches_the_label_quickly() {
    let g = voicing(ChordQuality::Major, 3);
    let a_minor = [45, 52, 57, 60, 64];
    let mut signal = vec![0.0f32; (2.5 * RATE) as usize];
    strum(&mut signal, 0.2, 1.2, &g);
    strum(&mut signal, 1.2, 2.5, &a_minor);
    let labels = track(&signal);
    let g_label = Chord {
        root: 7,
        quality: ChordQuality::Major,
    };
    let am_label = Chord {
        root: 9,
        quality: ChordQuality::Minor,
    };
    assert_eq!(labels.get(block_of(1.15)), Some(&g_label));
    let change = block_of(1.2);
    let first = first_right(&labels, change, am_label).expect("A minor never named");
    assert!(
        blocks_to_ms(first - change) <= 120.0,
        "A minor named {} ms after the change",
        blocks_to_ms(first - change)
    );
    assert!(
        labels.iter().skip(first).all(|&c| c == am_label),
        "label left A minor"
    );
}

#[test]
fn a_clear_new_chord_over_a_ringing_one_is_named_within_100_ms() {
    // The old chord is not damped: its strings ring on under the new strum, as in legato playing.
    let c_major = voicing(ChordQuality::Major, 8);
    let e_minor = [40, 47, 52, 55, 59, 64];
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    strum(&mut signal, 0.2, 3.0, &c_major);
    strum(&mut signal, 1.5, 3.0, &e_minor);
    let change = block_of(1.5);
    let labels = track_with_onsets(&signal, &[change]);
    let em_label = Chord {
        root: 4,
        quality: ChordQuality::Minor,
    };
    let first = first_right(&labels, change, em_label).expect("E minor never named");
    assert!(
        blocks_to_ms(first - change) <= 100.0,
        "E minor named {} ms after the strum",
        blocks_to_ms(first - change)
    );
}

#[test]
fn a_ringing_chord_keeps_its_label_without_flicker() {
    let d_major = [50, 57, 62, 66];
    let mut signal = vec![0.0f32; (4.0 * RATE) as usize];
    // One strum left to ring out for 4 s: it decays by about 25 dB.
    strum(&mut signal, 0.1, 4.0, &d_major);
    let labels = track(&signal);
    let want = Chord {
        root: 2,
        quality: ChordQuality::Major,
    };
    let first = first_right(&labels, 0, want).expect("D major never named");
    let changes = labels
        .windows(2)
        .skip(first)
        .filter(|w| w[0] != w[1])
        .count();
    assert_eq!(
        changes, 0,
        "label changed {changes} times while the chord rang"
    );
}

#[test]
fn silence_and_noise_are_no_chord() {
    let silence = vec![0.0f32; (2.0 * RATE) as usize];
    assert!(
        track(&silence)
            .iter()
            .all(|c| c.quality == ChordQuality::None)
    );
    for (seed, level) in [(7u32, 0.3f32), (11, 0.01), (13, 0.0003)] {
        let mut rng = XorShift(seed);
        let noise: Vec<f32> = (0..(3.0 * RATE) as usize)
            .map(|_| level * rng.next())
            .collect();
        let labels = track(&noise);
        let chords = labels
            .iter()
            .filter(|c| c.quality != ChordQuality::None)
            .count();
        assert!(
            chords as f32 <= 0.02 * labels.len() as f32,
            "noise at {level} labelled a chord in {chords} of {} blocks",
            labels.len()
        );
    }
}

#[test]
fn a_melody_of_single_notes_is_mostly_no_chord() {
    let melody = [
        52, 55, 57, 59, 62, 64, 67, 64, 62, 59, 57, 55, 45, 48, 50, 40,
    ];
    let mut signal = vec![0.0f32; (melody.len() as f32 * 0.3 * RATE) as usize];
    for (i, &m) in melody.iter().enumerate() {
        let start = i as f32 * 0.3;
        strum(&mut signal, start, start + 0.3, &[m]);
    }
    let labels = track(&signal);
    let chords = labels
        .iter()
        .filter(|c| c.quality != ChordQuality::None)
        .count();
    assert!(
        chords as f32 <= 0.2 * labels.len() as f32,
        "single notes labelled as chords in {chords} of {} blocks",
        labels.len()
    );
}

#[test]
fn non_finite_input_gives_valid_labels_and_the_tracker_recovers() {
    let mut tracker = ChordTracker::new(RATE);
    let poison = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        1e-40,
    ];
    for (i, &x) in poison.iter().cycle().take(200).enumerate() {
        let block = [x; BLOCK];
        let onset = (i % 50 == 0).then_some(Onset {
            offset: 3,
            strength: f32::NAN,
        });
        let chord = tracker.process(&block, onset);
        assert!(chord.root < 12);
    }
    let mut signal = vec![0.0f32; (1.5 * RATE) as usize];
    strum(&mut signal, 0.2, 1.5, &voicing(ChordQuality::Minor, 5));
    let labels: Vec<Chord> = signal
        .chunks_exact(BLOCK)
        .map(|b| tracker.process(b, None))
        .collect();
    let want = Chord {
        root: 9,
        quality: ChordQuality::Minor,
    };
    assert_eq!(labels.last(), Some(&want), "did not recover to A minor");
    assert!(tracker.chroma().iter().all(|v| v.is_finite()));
}

#[test]
fn onsets_from_the_detector_are_used_and_process_does_not_allocate() {
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    strum(&mut signal, 0.2, 1.2, &voicing(ChordQuality::Dominant7, 3));
    strum(&mut signal, 1.2, 3.0, &voicing(ChordQuality::Major7, 1));
    let mut tracker = ChordTracker::new(RATE);
    let onset_blocks = [block_of(0.2), block_of(1.2)];
    let (reserved, mut labels) =
        common::allocations_in(|| Vec::<Chord>::with_capacity(signal.len() / BLOCK));
    let (allocations, ()) = common::allocations_in(|| {
        for (b, block) in signal.chunks_exact(BLOCK).enumerate() {
            let onset = onset_blocks.contains(&b).then_some(Onset {
                offset: 0,
                strength: 1.0,
            });
            labels.push(tracker.process(block, onset));
        }
    });
    assert_eq!(allocations, 0, "process allocated");
    assert!(reserved <= 1);
    let want = Chord {
        root: 5,
        quality: ChordQuality::Major7,
    };
    assert_eq!(labels.last(), Some(&want));
}

#[test]
fn other_sample_rates_work_too() {
    let rate = 44_100.0;
    let mut tracker = ChordTracker::new(rate);
    let mut signal = vec![0.0f32; (1.5 * rate) as usize];
    strum_at(
        rate,
        &mut signal,
        0.2,
        1.5,
        &voicing(ChordQuality::Major, 0),
    );
    let labels: Vec<Chord> = signal
        .chunks_exact(BLOCK)
        .map(|b| tracker.process(b, None))
        .collect();
    let last = labels.last().copied().unwrap_or_default();
    assert_eq!(
        last,
        Chord {
            root: 4,
            quality: ChordQuality::Major
        }
    );
}

#[test]
fn a_power_chord_chugged_with_rests_keeps_its_label_through_the_rests() {
    // C5 chugs: 80 ms of sound, damped, then 120 ms of silence, as in a palm-muted riff.
    let c5 = [48, 55, 60];
    let mut signal = vec![0.0f32; (2.2 * RATE) as usize];
    for i in 0..10 {
        let start = 0.2 + 0.2 * i as f32;
        strum(&mut signal, start, start + 0.08, &c5);
    }
    let labels = track(&signal);
    let want = Chord {
        root: 0,
        quality: ChordQuality::Power,
    };
    let first = first_right(&labels, 0, want).expect("C5 never named");
    let end = block_of(2.1);
    let held = labels
        .get(first..end)
        .unwrap_or(&[])
        .iter()
        .filter(|&&c| c == want)
        .count() as f32
        / (end - first) as f32;
    assert!(held >= 0.95, "C5 held in only {held:.2} of the riff");
}

#[test]
fn a_chord_outlives_a_short_rest_but_not_a_long_silence() {
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    strum(&mut signal, 0.2, 1.0, &[50, 57, 62, 66]);
    let labels = track(&signal);
    let d_major = Chord {
        root: 2,
        quality: ChordQuality::Major,
    };
    assert_eq!(label_at(&labels, 0.9), d_major);
    assert_eq!(
        label_at(&labels, 1.3),
        d_major,
        "a 0.3 s rest cleared the chord"
    );
    assert_eq!(
        label_at(&labels, 2.5).quality,
        ChordQuality::None,
        "1.5 s of silence kept the chord"
    );
}

#[test]
fn a_chord_ringing_down_to_its_bass_string_keeps_its_label() {
    // An open E major whose upper strings die within a few tenths of a second while the low E rings on.
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    let start = (0.2 * RATE) as usize;
    for (i, &m) in [40, 47, 52, 56, 59, 64].iter().enumerate() {
        let ring = if m == 40 { 4.0 } else { 0.12 };
        pluck(
            &mut signal,
            RATE,
            start + (i as f32 * 0.008 * RATE) as usize,
            m,
            0.08,
            ring,
        );
    }
    let labels = track(&signal);
    let e_major = Chord {
        root: 4,
        quality: ChordQuality::Major,
    };
    assert!(
        first_right(&labels, 0, e_major).is_some_and(|b| b < block_of(0.35)),
        "E major not named after the strum"
    );
    assert_eq!(
        label_at(&labels, 2.9),
        e_major,
        "the ringing bass lost the chord"
    );
}

#[test]
fn a_single_note_outside_the_chord_clears_it() {
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    strum(&mut signal, 0.2, 1.0, &voicing(ChordQuality::Major, 8));
    // F#3 is no tone of C major: a melody note after the chord, not the chord ringing on.
    strum(&mut signal, 1.0, 3.0, &[54]);
    let labels = track(&signal);
    assert_eq!(
        label_at(&labels, 0.9),
        Chord {
            root: 0,
            quality: ChordQuality::Major
        }
    );
    assert_eq!(label_at(&labels, 2.5).quality, ChordQuality::None);
}

#[test]
fn a_bright_power_chord_reads_no_note_from_upper_harmonics_alone() {
    // Distortion gives each string loud upper harmonics: C3's 15th and G3's 10th are both B6, G3's 5th is B5; the
    // series of a B3 or B4 then seems complete but for its fundamental, which no string plays.
    let mut signal = vec![0.0f32; (1.0 * RATE) as usize];
    let start = (0.2 * RATE) as usize;
    bright_pluck(&mut signal, start, 48, 1.0);
    bright_pluck(&mut signal, start + 300, 55, 1.0);
    let mut tracker = ChordTracker::new(RATE);
    let onset_block = block_of(0.2);
    let mut phantoms = Vec::new();
    for (b, block) in signal.chunks_exact(BLOCK).enumerate() {
        let onset = (b == onset_block).then_some(Onset {
            offset: 0,
            strength: 1.0,
        });
        tracker.process(block, onset);
        // From 100 ms after the strum on, windows are long enough to resolve every fundamental.
        if b > block_of(0.3) {
            phantoms.extend(
                tracker
                    .notes()
                    .iter()
                    .filter(|(m, _)| m % 12 == 11)
                    .copied(),
            );
        }
    }
    assert!(
        phantoms.is_empty(),
        "notes read from upper harmonics: {phantoms:?}"
    );
}

#[test]
fn bright_power_chords_high_on_the_neck_are_not_read_as_major() {
    // The 5th and 10th harmonics of D3, E3 and F3 are F#5, G#5 and A5 and an octave up: over a flat, distorted
    // spectrum they look like a high string playing the third of a major chord, which nobody plays.
    let mut failures = Vec::new();
    for (root, notes) in [(2u8, [50, 57]), (4, [52, 59]), (5, [53, 60])] {
        let mut signal = vec![0.0f32; (1.0 * RATE) as usize];
        let start = (0.2 * RATE) as usize;
        bright_pluck(&mut signal, start, notes[0], 1.0);
        bright_pluck(&mut signal, start + 300, notes[1], 1.0);
        let labels = track(&signal);
        let want = Chord {
            root,
            quality: ChordQuality::Power,
        };
        let from = block_of(0.35);
        let right = labels.iter().skip(from).filter(|&&c| c == want).count() as f32
            / (labels.len() - from) as f32;
        if right < 0.9 {
            let other = labels.iter().skip(from).find(|&&c| c != want);
            failures.push(format!("{want:?}: right {right:.2}, else {other:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_slow_strum_with_its_third_on_top_is_named_within_90_ms() {
    // D major strummed over 40 ms, the F# on the top string last: the first windows hear only D and A.
    let mut signal = vec![0.0f32; (1.5 * RATE) as usize];
    let start = (0.2 * RATE) as usize;
    for (i, &m) in [50, 57, 62, 66].iter().enumerate() {
        pluck(
            &mut signal,
            RATE,
            start + (i as f32 * 0.0133 * RATE) as usize,
            m,
            0.08,
            1.5,
        );
    }
    let onset_block = block_of(0.2);
    let labels = track_with_onsets(&signal, &[onset_block]);
    let want = Chord {
        root: 2,
        quality: ChordQuality::Major,
    };
    let first = first_right(&labels, onset_block, want).expect("D major never named");
    let delay_ms = blocks_to_ms(first - onset_block);
    assert!(
        delay_ms <= 90.0,
        "D major named {delay_ms:.0} ms after the first string"
    );
    assert!(
        labels.iter().skip(first).all(|&c| c == want),
        "label left D major"
    );
}

#[test]
fn a_new_chord_with_no_attack_heard_is_named_within_110_ms() {
    // C major rings on while E minor is strummed over it at the same level: no onset comes, and the tracker's own
    // attack finder is off, so only the new pitch classes (E minor's B) can tell that the chord changed.
    let c_major = voicing(ChordQuality::Major, 8);
    let e_minor = [40, 47, 52, 55, 59, 64];
    let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
    strum(&mut signal, 0.2, 3.0, &c_major);
    strum(&mut signal, 1.5, 3.0, &e_minor);
    let mut tracker = ChordTracker::with_params(
        RATE,
        ChordParams {
            own_attacks: false,
            ..ChordParams::default()
        },
    );
    let labels: Vec<Chord> = signal
        .chunks_exact(BLOCK)
        .map(|block| tracker.process(block, None))
        .collect();
    assert_eq!(
        label_at(&labels, 1.45),
        Chord {
            root: 0,
            quality: ChordQuality::Major
        }
    );
    let change = block_of(1.5);
    let em_label = Chord {
        root: 4,
        quality: ChordQuality::Minor,
    };
    let first = first_right(&labels, change, em_label).expect("E minor never named");
    assert!(
        blocks_to_ms(first - change) <= 110.0,
        "E minor named {} ms after the strum",
        blocks_to_ms(first - change)
    );
}

/// Power chords whose missing third the hum would supply (60 Hz hum's 3rd harmonic is F#3, 50 Hz hum's 5th is
/// B3), and a minor chord whose third it would contradict, struck over hum at -40 dBFS present from the start.
#[test]
fn chords_over_mains_hum_are_named_as_played() {
    let cases = [
        (
            60.0,
            Chord {
                root: 2,
                quality: ChordQuality::Power,
            },
            vec![50, 57, 62],
        ),
        (
            50.0,
            Chord {
                root: 7,
                quality: ChordQuality::Power,
            },
            vec![43, 50, 55],
        ),
        (
            60.0,
            Chord {
                root: 4,
                quality: ChordQuality::Minor,
            },
            voicing(ChordQuality::Minor, 0),
        ),
        (
            50.0,
            Chord {
                root: 9,
                quality: ChordQuality::Minor,
            },
            voicing(ChordQuality::Minor, 5),
        ),
    ];
    let mut failures = Vec::new();
    for (mains, want, notes) in cases {
        let mut signal = vec![0.0f32; (3.0 * RATE) as usize];
        add_hum(&mut signal, mains, 0.01);
        strum(&mut signal, 1.0, 3.0, &notes);
        let labels = track_with_onsets(&signal, &[block_of(1.0)]);
        let start = block_of(1.0);
        let Some(first) = first_right(&labels, start, want) else {
            failures.push(format!(
                "{mains} Hz, {want:?}: never named, ended {:?}",
                labels.last()
            ));
            continue;
        };
        let held = labels.iter().skip(first).filter(|&&c| c == want).count() as f32
            / (labels.len() - first) as f32;
        let delay_ms = blocks_to_ms(first - start);
        if delay_ms > 120.0 || held < 0.95 {
            failures.push(format!(
                "{mains} Hz, {want:?}: named after {delay_ms:.0} ms, held {held:.2}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn mains_hum_alone_is_no_chord() {
    for mains in [50.0, 60.0] {
        let mut signal = vec![0.0f32; (6.0 * RATE) as usize];
        add_hum(&mut signal, mains, 0.01);
        let labels = track(&signal);
        // What sounds from the first sample may be a chord let ring; hum is known by never changing (0.9 s) and
        // then outlives the hold (0.5 s) like any sound that stops.
        let from = block_of(1.6);
        let chords = labels
            .iter()
            .skip(from)
            .filter(|c| c.quality != ChordQuality::None)
            .count();
        assert_eq!(
            chords, 0,
            "{mains} Hz hum alone labelled a chord in {chords} blocks after 1.6 s"
        );
    }
}

#[test]
fn a_chord_followed_by_hum_alone_is_no_chord_after_the_hold() {
    for mains in [50.0, 60.0] {
        let mut signal = vec![0.0f32; (5.0 * RATE) as usize];
        add_hum(&mut signal, mains, 0.01);
        // Strummed, then damped at 2.5 s: from there only the hum sounds.
        strum(&mut signal, 1.0, 2.5, &[45, 52, 57, 60, 64]);
        let labels = track_with_onsets(&signal, &[block_of(1.0)]);
        let a_minor = Chord {
            root: 9,
            quality: ChordQuality::Minor,
        };
        assert_eq!(
            label_at(&labels, 2.3),
            a_minor,
            "{mains} Hz: the chord was not heard over the hum"
        );
        // The hold (0.5 s) and an analysis or two later, nothing but hum is left.
        let chords = labels
            .iter()
            .skip(block_of(3.2))
            .filter(|c| c.quality != ChordQuality::None)
            .count();
        assert_eq!(
            chords, 0,
            "{mains} Hz: the hum kept a chord for {chords} blocks after the hold"
        );
    }
}
