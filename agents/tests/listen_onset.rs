//! Tests of the onset detector (and of the whole listener's allocation-freedom) on synthesized guitar signals.

use agents::listen::onset::{OnsetDetector, OnsetParams};
use agents::listen::{BLOCK, Listener};
use noise_support::{Noise, add_pluck};
use std::f32::consts::TAU;

mod common;
mod noise_support;

const SR: f32 = 48_000.0;

fn db(d: f32) -> f32 {
    10f32.powf(d / 20.0)
}

/// Runs a fresh detector over `signal`; returns the onsets as (absolute sample of the attack, block reported).
fn onsets(signal: &[f32]) -> Vec<(usize, usize)> {
    let mut detector = OnsetDetector::new(SR);
    let mut found = Vec::new();
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        let frame = detector.process(block);
        assert!(frame.odf.is_finite() && frame.odf >= 0.0);
        if let Some(onset) = frame.onset {
            assert!((onset.offset as usize) < BLOCK && onset.strength > 0.0);
            found.push((b * BLOCK + onset.offset as usize, b));
        }
    }
    found
}

fn seconds(s: f32) -> Vec<f32> {
    vec![0.0; (s * SR) as usize]
}

#[test]
fn single_pluck_is_one_onset_at_its_sample_from_minus_40_to_0_dbfs() {
    for level_db in [-40.0, -30.0, -20.0, -10.0, 0.0] {
        let start = 24_000 + 37;
        let mut signal = seconds(1.5);
        add_pluck(&mut signal, start, 196.0, db(level_db), 0.8, 0.0, 7);
        let found = onsets(&signal);
        assert_eq!(found.len(), 1, "level {level_db} dBFS: {found:?}");
        let (sample, block) = found[0];
        assert!(
            sample.abs_diff(start) <= 3,
            "level {level_db}: attack at {sample}, true {start}"
        );
        assert!(
            block == start / BLOCK || block == start / BLOCK + 1,
            "level {level_db}: reported in block {block}"
        );
    }
}

#[test]
fn strum_of_six_strings_over_30_ms_is_one_onset() {
    let first = 12_000;
    let mut signal = seconds(1.5);
    for (string, hz) in [82.4, 110.0, 146.8, 196.0, 246.9, 329.6]
        .into_iter()
        .enumerate()
    {
        add_pluck(
            &mut signal,
            first + string * 288,
            hz,
            0.2,
            1.0,
            0.0,
            string as u32 + 3,
        );
    }
    let found = onsets(&signal);
    assert_eq!(found.len(), 1, "{found:?}");
    let reported_at = (found[0].1 + 1) * BLOCK;
    assert!(
        reported_at > first && reported_at <= first + (0.05 * SR) as usize,
        "reported at {reported_at}"
    );
}

#[test]
fn note_re_picked_120_ms_later_is_two_onsets() {
    let first = 12_000;
    let second = first + (0.12 * SR) as usize;
    let mut signal = seconds(1.0);
    add_pluck(&mut signal, first, 220.0, 0.3, 1.0, 0.0, 5);
    add_pluck(&mut signal, second, 220.0, 0.3, 1.0, 0.0, 9);
    let found = onsets(&signal);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[1].0.abs_diff(second) <= 16,
        "second attack at {}, true {second}",
        found[1].0
    );
}

#[test]
fn ringing_chord_with_slow_vibrato_gives_no_onset_after_the_first() {
    let mut signal = seconds(4.0);
    for (i, hz) in [220.0, 277.2, 329.6].into_iter().enumerate() {
        add_pluck(&mut signal, 4_800, hz, 0.3, 3.0, 20.0, i as u32 + 11);
    }
    let found = onsets(&signal);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.abs_diff(4_800) <= 16);
}

#[test]
fn hum_at_50_hz_and_hiss_at_minus_50_dbfs_give_no_onset() {
    let mut noise = Noise(12345);
    let hiss = db(-50.0) * 3f32.sqrt(); // uniform noise of this amplitude has RMS db(-50)
    let hum = db(-42.0) * 2f32.sqrt();
    let signal: Vec<f32> = (0..(6.0 * SR) as usize)
        .map(|i| {
            let t = i as f32 / SR;
            let h = (TAU * 50.0 * t).sin()
                + 0.3 * (TAU * 150.0 * t).sin()
                + 0.1 * (TAU * 250.0 * t).sin();
            hum * h + hiss * noise.next()
        })
        .collect();
    assert_eq!(onsets(&signal), vec![]);
}

#[test]
fn silence_gives_no_onset() {
    assert_eq!(onsets(&seconds(3.0)), vec![]);
}

#[test]
fn non_finite_blocks_give_finite_output_and_the_detector_recovers() {
    let mut detector = OnsetDetector::new(SR);
    let poison = [
        [f32::NAN; BLOCK],
        [f32::INFINITY; BLOCK],
        [f32::NEG_INFINITY; BLOCK],
        [f32::MAX; BLOCK],
    ];
    for block in poison.iter().cycle().take(200) {
        let frame = detector.process(block);
        assert!(frame.odf.is_finite() && frame.rise_db.is_finite());
        assert!(
            frame
                .onset
                .is_none_or(|o| o.strength.is_finite() && (o.offset as usize) < BLOCK)
        );
    }
    let mut signal = seconds(1.0);
    let start = 24_000 + 5;
    add_pluck(&mut signal, start, 330.0, 0.3, 0.8, 0.0, 3);
    let mut found = Vec::new();
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        let frame = detector.process(block);
        assert!(frame.odf.is_finite());
        if let Some(onset) = frame.onset {
            found.push(b * BLOCK + onset.offset as usize);
        }
    }
    assert!(
        found.iter().any(|&s| s.abs_diff(start) <= 16),
        "after poison: {found:?}"
    );
    assert!(
        found.iter().all(|&s| s + 4_800 > start),
        "onsets during the silence after poison: {found:?}"
    );
}

#[test]
fn listener_process_never_allocates() {
    let mut signal = seconds(4.0);
    let mut noise = Noise(99);
    for (i, s) in signal.iter_mut().enumerate() {
        *s = db(-55.0) * noise.next() + db(-45.0) * (TAU * 50.0 * i as f32 / SR).sin();
    }
    for (n, start) in (2_400..signal.len()).step_by(14_400).enumerate() {
        for (string, hz) in [110.0, 146.8, 196.0, 246.9].into_iter().enumerate() {
            add_pluck(
                &mut signal,
                start + string * 400,
                hz * (1.0 + n as f32 * 0.06),
                0.15,
                0.9,
                10.0,
                n as u32,
            );
        }
    }
    // the same samples heard as a take at 48 kHz, and at rates the onset detector decimates (96 kHz) or
    // upsamples (22.05 kHz) before it listens
    for rate in [SR, 96_000.0, 22_050.0] {
        let mut listener = Listener::new(rate);
        let mut block = [0.0f32; BLOCK];
        let (allocations, heard_onsets) = common::allocations_in(|| {
            let mut heard_onsets = 0;
            for chunk in signal.chunks(BLOCK) {
                block[..chunk.len()].copy_from_slice(chunk);
                let heard = listener.process(&block, 0.0);
                heard_onsets += usize::from(heard.onset.is_some());
            }
            heard_onsets
        });
        assert_eq!(allocations, 0, "{rate} Hz");
        assert!(
            heard_onsets >= 3,
            "{rate} Hz: the signal has onsets; heard {heard_onsets}"
        );
    }
}

/// Adds a note that starts at `start` with a pick attack and then moves through `steps` of (sample, Hz) with no
/// attack (hammer-ons, pull-offs, fret slides): the phase runs on continuously and the amplitude keeps decaying,
/// no pick noise.
fn add_legato_line(signal: &mut [f32], start: usize, steps: &[(usize, f32)], peak: f32) {
    let mut noise = Noise(77);
    let mut phases = [0.0f32; 8];
    let norm = peak / 2.0;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let hz = steps
            .iter()
            .take_while(|&&(at, _)| at <= start + i)
            .last()
            .map_or(0.0, |&(_, hz)| hz);
        let mut v = 0.0;
        for (k, p) in phases.iter_mut().enumerate() {
            let harmonic = (k + 1) as f32;
            *p = (*p + TAU * hz * harmonic / SR) % TAU;
            v += p.sin() / harmonic * (-t * harmonic.sqrt() / 1.5).exp();
        }
        if i < 96 {
            v += 0.5 * noise.next() * (1.0 - i as f32 / 96.0);
        }
        *s += norm * v;
    }
}

#[test]
fn legato_pitch_changes_without_attack_are_not_onsets() {
    let start = 9_600;
    let mut signal = seconds(2.5);
    // picked G3, hammer-on to A3, pull-off back to G3, slide up to D4 across the frets between (12 ms each)
    let slide = start + 57_600;
    let steps = [
        (start, 196.0),
        (start + 19_200, 220.0),
        (start + 38_400, 196.0),
        (slide, 207.7),
        (slide + 576, 220.0),
        (slide + 1_152, 233.1),
        (slide + 1_728, 246.9),
        (slide + 2_304, 261.6),
        (slide + 2_880, 277.2),
        (slide + 3_456, 293.7),
    ];
    add_legato_line(&mut signal, start, &steps, 0.4);
    let found = onsets(&signal);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.abs_diff(start) <= 16, "{found:?}");
}

/// A power chord (root, fifth, octave) of plucked strings driven into a soft clipper, as an overdriven amp does.
fn distorted_chord(signal: &mut [f32], start: usize, root_hz: f32, seed: u32) {
    let mut clean = vec![0.0f32; signal.len()];
    for (string, ratio) in [1.0, 1.5, 2.0].into_iter().enumerate() {
        add_pluck(
            &mut clean,
            start + string * 150,
            root_hz * ratio,
            0.3,
            0.4,
            0.0,
            seed + string as u32,
        );
    }
    for (s, c) in signal.iter_mut().zip(clean.iter()).skip(start) {
        *s = 0.5 * (8.0 * (*s + c)).tanh();
    }
}

#[test]
fn distorted_power_chord_re_struck_is_an_onset_each_time_and_nothing_else() {
    let mut signal = seconds(3.0);
    let mut noise = Noise(4242);
    let strikes = [12_000, 33_600, 55_200, 76_800, 98_400];
    // the previous chord keeps sounding (compressed by the clipper) until the next strike
    for (n, &strike) in strikes.iter().enumerate() {
        let mut chord = seconds(3.0);
        distorted_chord(&mut chord, strike, 110.0, 31 + 7 * n as u32);
        let end = strikes.get(n + 1).copied().unwrap_or(signal.len());
        signal[strike..end].copy_from_slice(&chord[strike..end]);
    }
    for s in signal.iter_mut() {
        *s += db(-50.0) * noise.next();
    }
    let found = onsets(&signal);
    assert_eq!(found.len(), strikes.len(), "{found:?}");
    for (&(sample, _), &strike) in found.iter().zip(strikes.iter()) {
        assert!(
            sample.abs_diff(strike) <= 480,
            "onset at {sample}, strike at {strike}"
        );
    }
}

/// Adds a strum: one pluck per string, `spread_ms` from the first string to the last.
fn add_strum(signal: &mut [f32], first: usize, hzs: &[f32], spread_ms: f32, peak: f32, seed: u32) {
    let step = (spread_ms / 1000.0 * SR) as usize / hzs.len().saturating_sub(1).max(1);
    for (string, &hz) in hzs.iter().enumerate() {
        add_pluck(
            signal,
            first + string * step,
            hz,
            peak,
            1.5,
            0.0,
            seed + string as u32,
        );
    }
}

/// 1.5 s holding a G major chord strummed at 0.1 s and left to ring; returns it and the sample 0.6 s after the
/// strum, where the tests strum their second chord over it.
fn ringing_g_major() -> (Vec<f32>, usize) {
    let first_chord = 4_800;
    let mut signal = seconds(1.5);
    add_strum(
        &mut signal,
        first_chord,
        &[98.0, 123.5, 146.8, 196.0, 246.9, 392.0],
        20.0,
        0.25,
        3,
    );
    (signal, first_chord + (0.6 * SR) as usize)
}

#[test]
fn slow_soft_strum_of_35_ms_over_a_ringing_chord_is_one_onset_before_it_ends() {
    let (mut signal, second_chord) = ringing_g_major();
    // G major rings on at full strength while C major is strummed slowly and a little softer
    add_strum(
        &mut signal,
        second_chord,
        &[130.8, 164.8, 196.0, 261.6, 329.6],
        35.0,
        0.15,
        21,
    );
    let found = onsets(&signal);
    assert_eq!(found.len(), 2, "{found:?}");
    let reported_at = (found[1].1 + 1) * BLOCK;
    assert!(
        reported_at > second_chord && reported_at <= second_chord + (0.035 * SR) as usize,
        "second strum (first string at {second_chord}) reported at {reported_at}"
    );
}

#[test]
fn lone_non_finite_samples_in_a_ringing_note_are_not_onsets() {
    let start = 4_800;
    let mut signal = seconds(1.5);
    add_pluck(&mut signal, start, 196.0, 0.4, 1.5, 0.0, 5);
    for (k, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
        .into_iter()
        .enumerate()
    {
        signal[start + 12_000 + k * 9_600 + 17] = bad;
    }
    let found = onsets(&signal);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.abs_diff(start) <= 16);
}

/// Runs a detector with `params` over `signal`; returns the onsets as (absolute sample of the attack, block reported).
fn onsets_with(signal: &[f32], params: OnsetParams) -> Vec<(usize, usize)> {
    let mut detector = OnsetDetector::with_params(SR, params);
    let mut found = Vec::new();
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        if let Some(onset) = detector.process(block).onset {
            found.push((b * BLOCK + onset.offset as usize, b));
        }
    }
    found
}

/// A sustained overdriven note (a string driven into a hard clipper, rich in high partials) from `start` to the end.
fn add_overdriven_note(signal: &mut [f32], start: usize, hz: f32, level: f32) {
    let mut phase = 0.0f32;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        phase = (phase + TAU * hz / SR) % TAU;
        let swell = (i as f32 / (0.003 * SR)).min(1.0);
        *s += level * (6.0 * swell * (phase.sin() + 0.4 * (2.0 * phase).sin())).tanh();
    }
}

/// Adds a palm-muted low power chord (root and fifth, the high partials damped) whose level swells in over
/// `swell_ms`, dying with a 60 ms time constant.
fn add_muted_chug(signal: &mut [f32], start: usize, root_hz: f32, peak: f32, swell_ms: f32) {
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let envelope = (t / (swell_ms / 1000.0)).min(1.0) * (-t / 0.06).exp();
        let mut v = 0.0;
        for (ratio, weight) in [(1.0, 1.0), (1.5, 0.7), (2.0, 0.25), (3.0, 0.08)] {
            v += weight * (TAU * root_hz * ratio * t).sin();
        }
        *s += peak / 2.0 * envelope * v;
    }
}

#[test]
fn swelling_muted_chug_under_a_ringing_overdriven_note_is_an_onset_within_8_ms() {
    let note = 4_800;
    let chugs = [28_800, 48_000, 67_200];
    let mut signal = seconds(2.0);
    add_overdriven_note(&mut signal, note, 220.0, 0.05);
    for &chug in &chugs {
        add_muted_chug(&mut signal, chug, 110.0, 0.3, 3.0);
    }
    let found = onsets(&signal);
    assert_eq!(found.len(), 1 + chugs.len(), "{found:?}");
    for (&(_, block), &chug) in found[1..].iter().zip(chugs.iter()) {
        let reported_at = (block + 1) * BLOCK;
        assert!(
            reported_at > chug && reported_at <= chug + (0.008 * SR) as usize,
            "chug at {chug} reported at {reported_at}"
        );
    }
    // the overdriven note's high partials hide the chugs from the pre-emphasised energy and the flux: without the
    // low band they are heard late or not at all
    let without_low = onsets_with(
        &signal,
        OnsetParams {
            low_rise_db: 0.0,
            ..OnsetParams::default()
        },
    );
    let prompt = |found: &[(usize, usize)], chug: usize| {
        found
            .iter()
            .any(|&(_, b)| (b + 1) * BLOCK > chug && (b + 1) * BLOCK <= chug + 384)
    };
    assert!(
        chugs.iter().any(|&chug| !prompt(&without_low, chug)),
        "the test signal should need the low band: {without_low:?}"
    );
}

#[test]
fn a_low_band_rise_confirms_a_soft_down_strum_over_a_ringing_chord_sooner() {
    let (mut signal, second_chord) = ringing_g_major();
    // a soft down-strum of A minor: its lowest string (A2) first, into the low band
    add_strum(
        &mut signal,
        second_chord,
        &[110.0, 164.8, 220.0, 261.6, 329.6],
        35.0,
        0.12,
        21,
    );
    let reported = |params: OnsetParams| {
        onsets_with(&signal, params)
            .iter()
            .map(|&(_, block)| (block + 1) * BLOCK)
            .find(|&at| at > second_chord)
    };
    // (without the high band and the pick view, which hear this synthetic strum's first pick at once either way)
    let plain = reported(OnsetParams {
        low_rise_confirms: false,
        high_rise_db: 0.0,
        pick_novelty: 0.0,
        ..OnsetParams::default()
    });
    let confirmed = reported(OnsetParams {
        high_rise_db: 0.0,
        pick_novelty: 0.0,
        ..OnsetParams::default()
    });
    let confirmed = confirmed.expect("the strum is heard");
    assert!(confirmed <= second_chord + (0.035 * SR) as usize);
    assert!(
        plain.is_none_or(|plain| confirmed < plain),
        "first string at {second_chord}: heard at {confirmed} with the low band's rise, {plain:?} without"
    );
}
