//! Tests of the onset detector's legato changes: a note change spliced in with no new pick is a `change`, not an
//! `onset`, and the listener's trackers still follow it.

use agents::listen::onset::OnsetDetector;
use agents::listen::{BLOCK, Listener};
use noise_support::Noise;
use std::f32::consts::TAU;

mod noise_support;

const SR: f32 = 48_000.0;

fn seconds(s: f32) -> Vec<f32> {
    vec![0.0; (s * SR) as usize]
}

/// Runs a fresh detector over `signal`; returns the blocks of its onsets and of its legato changes.
fn onsets_and_changes(signal: &[f32]) -> (Vec<usize>, Vec<usize>) {
    let mut detector = OnsetDetector::new(SR);
    let (mut attacks, mut changes) = (Vec::new(), Vec::new());
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        let frame = detector.process(block);
        assert!(frame.onset.is_none() || frame.change.is_none());
        if frame.onset.is_some() {
            attacks.push(b);
        }
        if let Some(change) = frame.change {
            assert!((change.offset as usize) < BLOCK && change.strength > 0.0);
            changes.push(b);
        }
    }
    (attacks, changes)
}

/// How a note goes on into the next pitch.
#[derive(Clone, Copy, PartialEq)]
enum Into {
    /// Hammer-on or pull-off cut in as a new waveform: the phases start afresh (a jump of one sample), the string's
    /// energy carries on.
    Splice,
    /// The same, but the phases run on (no jump).
    Smooth,
    /// A new pick: the old note stops, the new one starts with pick noise and fresh high partials at the level the
    /// old note's fundamental had reached.
    Pick,
}

/// A picked note at `start` that goes through `steps` of (sample, Hz, how), its partials decaying all along. A
/// splice waits (less than a period) for the old waveform to be near its peak and inverts it, so the jump is large.
fn add_note_line(
    signal: &mut [f32],
    start: usize,
    hz: f32,
    steps: &[(usize, f32, Into)],
    peak: f32,
) {
    let mut noise = Noise(4242);
    // scattered phases, as a real string's partials have (not in a line over the harmonics: that is a pulse)
    let scattered =
        |seed: f32| core::array::from_fn::<f32, 10, _>(|k| ((k * k) as f32 * 2.1 + seed) % TAU);
    let mut phases = scattered(0.0);
    let (mut hz, mut level, mut born, mut picked) = (hz, peak / 2.0, start, start);
    let (mut splice_to, mut last, mut loudest) = (None, 0.0f32, 0.0f32);
    for (n, s) in signal.iter_mut().enumerate().skip(start) {
        if let Some(&(_, next_hz, how)) = steps.iter().find(|&&(at, _, _)| at == n) {
            match how {
                Into::Splice => splice_to = Some(next_hz),
                Into::Smooth => hz = next_hz,
                Into::Pick => {
                    hz = next_hz;
                    level *= (-((n - born) as f32) / SR / 1.5).exp();
                    born = n;
                    picked = n;
                    phases = scattered(n as f32);
                }
            }
        }
        if let Some(next_hz) = splice_to.filter(|_| last.abs() > 0.7 * loudest) {
            hz = next_hz;
            phases.iter_mut().for_each(|p| *p += std::f32::consts::PI);
            splice_to = None;
        }
        let t = (n - born) as f32 / SR;
        let mut v = 0.0;
        for (k, p) in phases.iter_mut().enumerate() {
            let harmonic = (k + 1) as f32;
            *p = (*p + TAU * hz * harmonic / SR) % TAU;
            v += p.sin() / harmonic * (-t * harmonic.sqrt() / 1.5).exp();
        }
        last = v;
        loudest = v.abs().max(loudest * 0.999);
        if n - picked < 96 {
            v += 0.5 * noise.next() * (1.0 - (n - picked) as f32 / 96.0);
        }
        *s += level * v;
    }
}

/// Where the note of every line starts (0.2 s in, after the detector's start-up).
const START: usize = 9_600;
/// The three legato pitches of a line, the pitches of its re-picked twin.
const LEGATO: [f32; 3] = [220.0, 196.0, 233.1];
const REPICKED: [f32; 3] = [261.6, 196.0, 196.0];

/// Two seconds of a note of 196 Hz picked at [`START`] that goes on `how` to each of `pitches`, 0.3 s apart;
/// returns the signal and its steps.
fn note_line(pitches: [f32; 3], how: Into) -> (Vec<f32>, [(usize, f32, Into); 3]) {
    let steps = core::array::from_fn(|i| (START + 14_400 * (i + 1), pitches[i], how));
    let mut signal = seconds(2.0);
    add_note_line(&mut signal, START, 196.0, &steps, 0.4);
    (signal, steps)
}

/// Each of `blocks` holds its step's sample or comes at most 20 ms after it.
fn assert_each_step_heard(steps: &[(usize, f32, Into)], blocks: &[usize], what: &str) {
    for (&(at, _, _), &block) in steps.iter().zip(blocks) {
        assert!(
            block * BLOCK >= at && block * BLOCK <= at + 960,
            "{what} at block {block}, true sample {at}"
        );
    }
}

#[test]
fn spliced_hammer_ons_and_pull_offs_are_changes_not_onsets() {
    let (signal, steps) = note_line(LEGATO, Into::Splice);
    let (attacks, changes) = onsets_and_changes(&signal);
    assert_eq!(attacks, vec![START / BLOCK], "changes {changes:?}");
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_each_step_heard(&steps, &changes, "change");
}

#[test]
fn a_pitch_change_with_no_splice_is_no_onset() {
    let (signal, _) = note_line(LEGATO, Into::Smooth);
    let (attacks, changes) = onsets_and_changes(&signal);
    assert_eq!(attacks, vec![START / BLOCK], "changes {changes:?}");
}

#[test]
fn re_picks_at_the_level_of_the_ringing_note_are_onsets_not_changes() {
    let (signal, steps) = note_line(REPICKED, Into::Pick);
    let (attacks, changes) = onsets_and_changes(&signal);
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(attacks.len(), 4, "{attacks:?}");
    assert_each_step_heard(&steps, &attacks[1..], "onset");
}

#[test]
fn the_listener_reports_only_the_pick_of_a_spliced_legato_line_as_an_onset() {
    let (signal, _) = note_line(LEGATO, Into::Splice);
    let mut listener = Listener::new(SR);
    let mut heard_onsets = Vec::new();
    let mut last_pitch = 0.0;
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        let heard = listener.process(block, 0.0);
        if heard.onset.is_some() {
            heard_onsets.push(b);
        }
        last_pitch = heard.pitch_hz;
    }
    assert_eq!(heard_onsets, vec![START / BLOCK]);
    // the pitch tracker still followed the line to its last note
    assert!(
        (last_pitch - 233.1).abs() < 233.1 * 0.03,
        "last pitch {last_pitch}"
    );
}

#[test]
fn a_spliced_legato_line_in_short_blocks_still_gives_its_changes() {
    // a host may hand over fewer than `BLOCK` samples; the zeros that pad them are no collapse of the energy
    let (signal, _) = note_line(LEGATO, Into::Splice);
    let mut detector = OnsetDetector::new(SR);
    let (mut attacks, mut changes) = (0, 0);
    for block in signal.chunks(40) {
        let frame = detector.process(block);
        attacks += usize::from(frame.onset.is_some());
        changes += usize::from(frame.change.is_some());
    }
    assert_eq!((attacks, changes), (1, 3));
}

/// `signal` through a first-order treble shelf that rises from 1.5 kHz to `pole_hz` (a bridge pickup, a bright amp):
/// a minimum-phase filter, so a splice's one-sample step leaves a tail of a few samples behind it.
fn treble_shelf(signal: &[f32], pole_hz: f32) -> Vec<f32> {
    let k = 2.0 * SR;
    let (zero, pole) = (TAU * 1_500.0, TAU * pole_hz);
    let (b0, b1) = (1.0 + k / zero, 1.0 - k / zero);
    let (a0, a1) = (1.0 + k / pole, 1.0 - k / pole);
    let (mut x1, mut y1) = (0.0, 0.0);
    signal
        .iter()
        .map(|&x| {
            let y = (b0 * x + b1 * x1 - a1 * y1) / a0;
            (x1, y1) = (x, y);
            y
        })
        .collect()
}

#[test]
fn spliced_hammer_ons_through_a_treble_shelf_are_changes_and_re_picks_through_it_onsets() {
    // (with the shelf's top at 2.3 kHz, +3.7 dB, the spill of the second splice's step raised the energy by 2 dB,
    // which confirmed its flux as an attack before a strong splice's verdict took precedence)
    for pole_hz in [2_000.0, 2_300.0] {
        let (signal, steps) = note_line(LEGATO, Into::Splice);
        let (attacks, changes) = onsets_and_changes(&treble_shelf(&signal, pole_hz));
        assert_eq!(
            attacks,
            vec![START / BLOCK],
            "{pole_hz} Hz: changes {changes:?}"
        );
        assert_eq!(changes.len(), 3, "{pole_hz} Hz: {changes:?}");
        assert_each_step_heard(&steps, &changes, "change");
        let (signal, steps) = note_line(REPICKED, Into::Pick);
        let (attacks, changes) = onsets_and_changes(&treble_shelf(&signal, pole_hz));
        assert!(changes.is_empty(), "{pole_hz} Hz: {changes:?}");
        assert_eq!(attacks.len(), 4, "{pole_hz} Hz: {attacks:?}");
        assert_each_step_heard(&steps, &attacks[1..], "onset");
    }
}
