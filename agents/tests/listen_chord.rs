//! Tests of the chord tracker on synthesized strums: every quality named soon after the strum, changes followed,
//! labels held while a chord rings, no chord in silence, noise and single notes, no allocation per block.

use agents::listen::chord::ChordTracker;
use agents::listen::{BLOCK, Chord, ChordQuality, Onset};

mod common;

const RATE: f32 = 48_000.0;

/// Small seeded PRNG (xorshift32) for noise.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

fn hz(midi: i32) -> f32 {
    440.0 * 2f32.powf((midi - 69) as f32 / 12.0)
}

/// Adds a plucked string to `out` from sample `start`: a decaying sum of slightly stretched harmonics, upper ones
/// dying faster, with a sharp attack, the way a guitar string sounds.
fn pluck(out: &mut [f32], rate: f32, start: usize, midi: i32, amp: f32, ring_s: f32) {
    let f0 = hz(midi);
    for h in 1..=12 {
        let f = f0 * h as f32 * (1.0 + 0.0001 * (h * h) as f32);
        if f > 6_000.0 {
            break;
        }
        let a = amp / h as f32;
        let tau = ring_s / (1.0 + 0.4 * h as f32);
        let phase = 0.37 * h as f32;
        for (i, y) in out.iter_mut().skip(start).enumerate() {
            let t = i as f32 / rate;
            *y += a * (-t / tau).exp() * (2.0 * std::f32::consts::PI * f * t + phase).sin();
        }
    }
}

/// Strums `notes` from the lowest string up, 8 ms apart, starting at `start_s`; strings are damped at `end_s`.
fn strum(out: &mut [f32], start_s: f32, end_s: f32, notes: &[i32]) {
    strum_at(RATE, out, start_s, end_s, notes);
}

fn strum_at(rate: f32, out: &mut [f32], start_s: f32, end_s: f32, notes: &[i32]) {
    let start = (start_s * rate) as usize;
    let end = ((end_s * rate) as usize).min(out.len());
    let mut one = vec![0.0f32; end.saturating_sub(start)];
    for (i, &m) in notes.iter().enumerate() {
        pluck(
            &mut one,
            rate,
            (i as f32 * 0.008 * rate) as usize,
            m,
            0.08,
            1.5,
        );
    }
    // The damp: a 30 ms fade, as when the hand mutes the strings.
    let fade = (0.03 * rate) as usize;
    let len = one.len();
    for (i, y) in one.iter_mut().enumerate().skip(len.saturating_sub(fade)) {
        *y *= (len - i) as f32 / fade as f32;
    }
    for (o, y) in out.iter_mut().skip(start).zip(one) {
        *o += y;
    }
}

/// Guitar voicings, barre shapes on the sixth string with its fret `fret` (E2 = 40 is fret 0).
fn voicing(quality: ChordQuality, fret: i32) -> Vec<i32> {
    let shape: &[i32] = match quality {
        ChordQuality::Major => &[0, 7, 12, 16, 19, 24],
        ChordQuality::Minor => &[0, 7, 12, 15, 19, 24],
        ChordQuality::Dominant7 => &[0, 7, 10, 16, 19, 24],
        ChordQuality::Major7 => &[0, 7, 11, 16, 19],
        ChordQuality::Minor7 => &[0, 7, 10, 15, 19, 24],
        ChordQuality::Sus4 => &[0, 7, 12, 17, 19, 24],
        ChordQuality::Power => &[0, 7, 12],
        ChordQuality::None => &[],
    };
    shape.iter().map(|s| 40 + fret + s).collect()
}

fn root_of_fret(fret: i32) -> u8 {
    ((4 + fret) % 12) as u8
}

/// Runs a tracker over `signal`; returns the label after each block.
fn track(signal: &[f32]) -> Vec<Chord> {
    let mut tracker = ChordTracker::new(RATE);
    signal
        .chunks_exact(BLOCK)
        .map(|b| tracker.process(b, None))
        .collect()
}

fn block_of(seconds: f32) -> usize {
    (seconds * RATE) as usize / BLOCK
}

/// First block at or after `from` whose label is `want`.
fn first_right(labels: &[Chord], from: usize, want: Chord) -> Option<usize> {
    labels
        .iter()
        .skip(from)
        .position(|&c| c == want)
        .map(|i| i + from)
}

fn blocks_to_ms(blocks: usize) -> f32 {
    blocks as f32 * BLOCK as f32 / RATE * 1000.0
}

const QUALITIES: [ChordQuality; 7] = [
    ChordQuality::Major,
    ChordQuality::Minor,
    ChordQuality::Dominant7,
    ChordQuality::Major7,
    ChordQuality::Minor7,
    ChordQuality::Sus4,
    ChordQuality::Power,
];

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
    let mut tracker = ChordTracker::new(RATE);
    let change = block_of(1.5);
    let labels: Vec<Chord> = signal
        .chunks_exact(BLOCK)
        .enumerate()
        .map(|(b, block)| {
            let onset = (b == change).then_some(Onset {
                offset: 0,
                strength: 1.0,
            });
            tracker.process(block, onset)
        })
        .collect();
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

/// The label at `seconds`.
fn label_at(labels: &[Chord], seconds: f32) -> Chord {
    labels.get(block_of(seconds)).copied().unwrap_or_default()
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

/// Adds a string with the flat spectrum of a distorted amp: harmonics up to 2.4 kHz falling only as `h^-0.3`, the
/// upper ones as loud as the fundamental give or take 6 dB.
fn bright_pluck(out: &mut [f32], start: usize, midi: i32, ring_s: f32) {
    let f0 = hz(midi);
    for h in 1..=24 {
        let f = f0 * h as f32;
        if f > 2_400.0 {
            break;
        }
        let a = 0.03 / (h as f32).powf(0.3);
        let phase = 1.3 * h as f32;
        for (i, y) in out.iter_mut().skip(start).enumerate() {
            let t = i as f32 / RATE;
            *y += a * (-t / ring_s).exp() * (2.0 * std::f32::consts::PI * f * t + phase).sin();
        }
    }
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
    let mut tracker = ChordTracker::new(RATE);
    let onset_block = block_of(0.2);
    let labels: Vec<Chord> = signal
        .chunks_exact(BLOCK)
        .enumerate()
        .map(|(b, block)| {
            let onset = (b == onset_block).then_some(Onset {
                offset: 0,
                strength: 1.0,
            });
            tracker.process(block, onset)
        })
        .collect();
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
