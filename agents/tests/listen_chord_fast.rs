//! Tests of how soon the chord tracker names a new chord whatever the level and the sample rate: a soft strum that
//! the onset detector reported, and one chord change heard at 22.05 to 96 kHz.

use agents::listen::{BLOCK, Chord, ChordQuality};

mod chord_support;

use chord_support::*;

/// Mean-square level below which the tracker takes sound with no reported attack for silence (-66 dBFS RMS).
const ABSOLUTE_GATE: f32 = 2.5e-7;

/// Seconds from `start_block` to the first block labelled `want`, if any.
fn seconds_to(labels: &[Chord], rate: f32, start_block: usize, want: Chord) -> Option<f32> {
    first_right(labels, start_block, want)
        .map(|b| (b + 1 - start_block) as f32 * BLOCK as f32 / rate)
}

fn c_major() -> Chord {
    Chord {
        root: 0,
        quality: ChordQuality::Major,
    }
}

#[test]
fn a_soft_strum_the_onset_detector_reported_is_named() {
    // A C major barre chord strummed 65 dB below the other tests' strums, under the absolute silence gate: a quiet
    // player (or a take recorded 40 dB low) still plays chords, and the onset detector heard the attack.
    let attack = block_of(0.3) * BLOCK;
    let mut signal = vec![0.0f32; RATE as usize];
    strum(
        &mut signal,
        attack as f32 / RATE,
        0.95,
        &voicing(ChordQuality::Major, 8),
    );
    let soft = 10f32.powf(-65.0 / 20.0);
    signal.iter_mut().for_each(|x| *x *= soft);
    let window = &signal[attack..attack + (0.1 * RATE) as usize];
    let power = window.iter().map(|x| x * x).sum::<f32>() / window.len() as f32;
    assert!(power < ABSOLUTE_GATE, "the strum is not soft: {power:e}");
    let labels = track_at(RATE, &signal, &[attack / BLOCK]);
    let delay = seconds_to(&labels, RATE, attack / BLOCK, c_major());
    assert!(
        delay.is_some_and(|s| s <= 0.1),
        "C major named after {delay:?} s"
    );
}

#[test]
fn a_new_chord_is_named_as_soon_at_22_khz_as_at_48_khz() {
    // G major rings, then C major is struck; the attack falls at several points of the analysis cycle. A chord
    // window is read every few milliseconds at every sample rate, so the first reading after the window is long
    // enough (40 ms) comes as soon at 22.05 kHz, where a block lasts 2.9 ms, as at 48 or 96 kHz.
    let mut worst = Vec::new();
    for rate in [22_050.0f32, 32_000.0, 44_100.0, 48_000.0, 96_000.0] {
        let mut latest = 0.0f32;
        for step in 0..8 {
            let change_block = (1.0 * rate) as usize / BLOCK + step;
            let change_s = (change_block * BLOCK) as f32 / rate;
            let mut signal = vec![0.0f32; (2.0 * rate) as usize];
            strum_at(
                rate,
                &mut signal,
                0.3,
                change_s,
                &voicing(ChordQuality::Major, 3),
            );
            strum_at(
                rate,
                &mut signal,
                change_s,
                1.95,
                &voicing(ChordQuality::Major, 8),
            );
            let first_block = (0.3 * rate) as usize / BLOCK;
            let labels = track_at(rate, &signal, &[first_block, change_block]);
            let delay = seconds_to(&labels, rate, change_block, c_major()).unwrap_or(f32::MAX);
            latest = latest.max(delay);
        }
        worst.push((rate, latest * 1000.0));
    }
    // One 48 kHz hop (5.3 ms) of slack: the rates' blocks fall differently on the strum.
    let at_48k = worst
        .iter()
        .find(|(rate, _)| *rate == 48_000.0)
        .map_or(0.0, |w| w.1);
    let late: Vec<_> = worst.iter().filter(|(_, ms)| *ms > at_48k + 3.0).collect();
    assert!(
        at_48k < 60.0 && late.is_empty(),
        "latest first label (rate, ms): {worst:?}"
    );
}

/// A minor struck at 0.5 s and left ringing (let ring, or a room's tail), then F major struck over it at 1.5 s; the
/// strings `gap_s` apart from the lowest up (a slow strum) and the whole `transpose` semitones off. The signal and
/// the block where F major is struck.
fn f_major_over_a_minor_ringing(transpose: i32, gap_s: f32) -> (Vec<f32>, usize) {
    let mut signal = vec![0.0f32; (2.5 * RATE) as usize];
    let mut change = 0;
    for (k, (quality, fret)) in [(ChordQuality::Minor, 5), (ChordQuality::Major, 1)]
        .into_iter()
        .enumerate()
    {
        let start = block_of(0.5 + k as f32) * BLOCK;
        for (i, &midi) in voicing(quality, fret).iter().enumerate() {
            let at = start + (i as f32 * gap_s * RATE) as usize;
            pluck(&mut signal, RATE, at, midi + transpose, 0.08, 1.5);
        }
        change = start / BLOCK;
    }
    (signal, change)
}

#[test]
fn a_slow_strum_over_the_last_chord_ringing_is_named_within_70_ms() {
    // The short windows after the attack weigh their newest samples most: there the strum's later strings (F major's
    // third, A3, is the fourth of six) have sounded and A minor's ring has decayed. A window weighing its middle most
    // reads A minor's tail and F major's first strings together for longer (72 and 83 ms for the slower strums).
    let mut delays = Vec::new();
    for (transpose, gap_s) in [(0, 0.014), (0, 0.02), (-2, 0.016)] {
        let (signal, change) = f_major_over_a_minor_ringing(transpose, gap_s);
        let labels = track_with_onsets(&signal, &[block_of(0.5), change]);
        let want = Chord {
            root: (5 + transpose).rem_euclid(12) as u8,
            quality: ChordQuality::Major,
        };
        let ms = first_right(&labels, change, want).map(|b| blocks_to_ms(b - change));
        delays.push((transpose, gap_s, ms));
    }
    let late: Vec<_> = delays
        .iter()
        .filter(|d| d.2.is_none_or(|ms| ms > 70.0))
        .collect();
    assert!(late.is_empty(), "F major named late: {delays:?}");
}
