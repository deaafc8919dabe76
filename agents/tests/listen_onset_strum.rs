//! Tests of the onset detector's pick view: a strum over a ringing chord whose first string is soft is heard at its
//! first pick, not when its louder strings follow; the peaks of a clipped ringing chord are no pick.

mod noise_support;

use agents::listen::BLOCK;
use agents::listen::onset::OnsetParams;
use noise_support::{Noise, onset_blocks};
use std::f32::consts::TAU;

const SR: f32 = 48_000.0;

/// Adds a string at `start`: 16 harmonics of `hz` falling as 1/k, the higher ones dying faster, so the sum peaks
/// near `peak`; and a pick of 3 ms of noise `pick_db` under the string's peak, band-passed to about 2-8 kHz (the
/// pick's scrape, without the bright click above 8 kHz that a synthetic white pick would have).
fn add_string(signal: &mut [f32], start: usize, hz: f32, peak: f32, pick_db: f32, seed: u32) {
    add_string_picked(signal, start, hz, peak, pick_db, 0.0, seed);
}

/// [`add_string`] with a pick that swells in over `pick_rise_ms` (a slow, soft pick stroke) instead of starting
/// at once.
fn add_string_picked(
    signal: &mut [f32],
    start: usize,
    hz: f32,
    peak: f32,
    pick_db: f32,
    pick_rise_ms: f32,
    seed: u32,
) {
    let rise_samples = (pick_rise_ms / 1000.0 * SR).max(1.0);
    let mut noise = Noise(seed.wrapping_mul(2_654_435_761) | 1);
    let pick_samples = (0.003 * SR + rise_samples) as usize;
    let pick_gain = peak * 10f32.powf(pick_db / 20.0) * 3.0;
    // one-pole high-pass at 2 kHz and low-pass at 8 kHz
    let (hp, lp) = (
        (-TAU * 2_000.0 / SR).exp(),
        1.0 - (-TAU * 8_000.0 / SR).exp(),
    );
    let (mut hp_in, mut hp_out, mut lp_out) = (0.0f32, 0.0f32, 0.0f32);
    let phase0 = seed as f32 * 0.7;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let mut v = 0.0;
        for k in 1..=16 {
            let kf = k as f32;
            if hz * kf > 20_000.0 {
                break;
            }
            v += (TAU * hz * kf * t + phase0 * kf).sin() / kf * (-t * kf.sqrt() / 1.5).exp();
        }
        let mut pick = 0.0;
        if i < pick_samples {
            let swell = (i as f32 / rise_samples).min(1.0);
            let x = noise.next() * swell * (1.0 - i as f32 / pick_samples as f32);
            hp_out = hp * (hp_out + x - hp_in);
            hp_in = x;
            lp_out += lp * (hp_out - lp_out);
            pick = lp_out;
        }
        *s += peak / 2.0 * v + pick_gain * pick;
    }
}

/// A G major chord (six strings in just intonation, so their partials do not beat; 20 ms, peaks 0.12) at 0.1 s,
/// ringing, and at 0.7 s a C major strum of five strings 8 ms apart whose first string (G3, ringing already in the
/// chord) is `first_db` under the others (peaks 0.12); returns the signal and the first string's sample.
fn strum_over_a_ringing_chord(first_db: f32, seed: u32) -> (Vec<f32>, usize) {
    let mut signal = vec![0.0; (1.5 * SR) as usize];
    for (k, &r) in [1.0f32, 1.5, 2.0, 2.5, 3.0, 4.0].iter().enumerate() {
        let hz = 98.0 * r;
        add_string(
            &mut signal,
            4_800 + k * 192,
            hz,
            0.12,
            -12.0,
            seed + k as u32,
        );
    }
    let first = (0.7 * SR) as usize + (seed as usize * 37) % BLOCK;
    let soft = 0.12 * 10f32.powf(first_db / 20.0);
    for (k, &r) in [2.0f32, 1.25, 1.0, 1.5, 2.5].iter().enumerate() {
        let hz = if k == 0 { 196.0 } else { 130.67 * r };
        let peak = if k == 0 { soft } else { 0.12 };
        add_string(
            &mut signal,
            first + k * 384,
            hz,
            peak,
            -12.0,
            seed + 10 + k as u32,
        );
    }
    (signal, first)
}

/// The samples (block ends) at which a detector with `params` reported its onsets in `signal`.
fn reported(signal: &[f32], params: OnsetParams) -> Vec<usize> {
    onset_blocks(signal, params)
        .into_iter()
        .map(|b| (b + 1) * BLOCK)
        .collect()
}

/// Parameters with the pick view off.
fn without_pick_view() -> OnsetParams {
    OnsetParams {
        pick_novelty: 0.0,
        ..OnsetParams::default()
    }
}

#[test]
fn a_strum_over_a_ringing_chord_is_heard_within_4_ms_of_its_soft_first_string() {
    let four_ms = (0.004 * SR) as usize;
    let mut late_without = 0;
    for seed in 1..=6 {
        let (signal, first) = strum_over_a_ringing_chord(-14.0, seed);
        let heard = reported(&signal, OnsetParams::default());
        assert_eq!(
            heard.len(),
            2,
            "seed {seed}: {heard:?}, first string at {first}"
        );
        assert!(
            heard[1] > first && heard[1] <= first + four_ms,
            "seed {seed}: reported at {}, first string at {first}",
            heard[1]
        );
        let without = reported(&signal, without_pick_view());
        late_without += usize::from(
            without
                .iter()
                .all(|&at| at <= first || at > first + four_ms),
        );
    }
    // (the signal needs the pick view: the energy and flux paths hear these strums later)
    assert!(
        late_without > 0,
        "every strum heard in time without the pick view"
    );
}

/// `signal` at +14 dB into a tanh clipper (a hot input stage).
fn clipped(signal: &[f32]) -> Vec<f32> {
    let gain = 10f32.powf(14.0 / 20.0);
    signal.iter().map(|&x| (gain * x).tanh()).collect()
}

#[test]
fn the_peaks_of_a_clipped_beating_chord_are_no_onsets() {
    let mut heard_without_the_rules = 0;
    for seed in 1..=4 {
        // a loud E major strum in just intonation whose third string is 2 Hz sharp: its partials beat with the
        // others', and the clipper's products swell and fall with the beats
        let mut signal = vec![0.0; (2.0 * SR) as usize];
        for (k, &ratio) in [1.0f32, 1.5, 2.0, 2.5, 3.0, 4.0].iter().enumerate() {
            let hz = 82.4 * ratio + if k == 2 { 2.0 } else { 0.0 };
            add_string(
                &mut signal,
                4_800 + k * 240,
                hz,
                0.2,
                -12.0,
                seed * 7 + k as u32,
            );
        }
        let signal = clipped(&signal);
        let heard = reported(&signal, OnsetParams::default());
        assert_eq!(heard[0], 4_864, "seed {seed}: {heard:?}");
        // (the other paths' own false onsets on this chord, if any, are not the pick view's)
        assert_eq!(heard, reported(&signal, without_pick_view()), "seed {seed}");
        // a single block's novelty, summed whole, is what the dead zone and the second block keep out
        let plain = OnsetParams {
            pick_dead_zone_db: 0.0,
            pick_alone: 6.0,
            pick_novelty: f32::MAX,
            ..OnsetParams::default()
        };
        heard_without_the_rules += reported(&signal, plain).len() - heard.len();
    }
    assert!(
        heard_without_the_rules > 0,
        "the clipped chord needs no rule"
    );
}

#[test]
fn a_soft_re_pick_of_a_ringing_string_is_heard_within_4_ms_by_its_faint_pick() {
    // G3 picked again, 14 dB under the chord's strings in which it rings, its pick 30 dB under it and swelling in
    // over 1.5 ms: the pick view's novelty rises over two blocks, the first of them alone too small (heard 4.4 ms
    // after the pick, or not at all, when only a block after the large one counted)
    let four_ms = (0.004 * SR) as usize;
    for seed in 1..=6 {
        let mut signal = vec![0.0; (1.5 * SR) as usize];
        for (k, &ratio) in [1.0f32, 1.5, 2.0, 2.5, 3.0, 4.0].iter().enumerate() {
            add_string(
                &mut signal,
                4_800 + k * 192,
                98.0 * ratio,
                0.12,
                -12.0,
                seed + k as u32,
            );
        }
        let first = (0.7 * SR) as usize + (seed as usize * 37) % BLOCK;
        let soft = 0.12 * 10f32.powf(-14.0 / 20.0);
        add_string_picked(&mut signal, first, 196.0, soft, -30.0, 1.5, seed + 10);
        let heard = reported(&signal, OnsetParams::default());
        assert_eq!(heard.len(), 2, "seed {seed}: {heard:?}, re-pick at {first}");
        assert!(
            heard[1] > first && heard[1] <= first + four_ms,
            "seed {seed}: reported at {}, re-pick at {first}",
            heard[1]
        );
    }
}
