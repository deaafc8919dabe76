//! Tests of the onset detector's quick mid-band rule: a rise of one sub-block alone, large and far over the band's
//! noise floor, is an attack heard a block sooner; hiss churning near the floor and a sustained, vibrating,
//! beating distorted chord are none.

use agents::listen::BLOCK;
use agents::listen::onset::OnsetParams;
use noise_support::{Noise, fizz_over_ringing_strings, onset_blocks};
use std::f32::consts::TAU;

mod noise_support;

const SR: f32 = 48_000.0;

fn without_quick_rule() -> OnsetParams {
    OnsetParams {
        mid_quick_rise_db: 0.0,
        ..OnsetParams::default()
    }
}

/// The onsets after the first 200 ms (the detector's start-up).
fn onsets_after_start(signal: &[f32], params: OnsetParams) -> Vec<usize> {
    let found = onset_blocks(signal, params);
    found.into_iter().filter(|&b| b * BLOCK > 9_600).collect()
}

/// A power chord on `hz` (root and fifth, 16 partials each at 1/k, scattered phases) through a soft clipper (tanh,
/// `drive`), its pitch wavering by `vibrato_cents` at 5.5 Hz, from `start` on, rising to `peak` over `swell_ms`.
fn add_distorted_chord(
    signal: &mut [f32],
    start: usize,
    hz: f32,
    peak: f32,
    swell_ms: f32,
    vibrato_cents: f32,
) {
    let swell = swell_ms / 1000.0 * SR;
    let mut phases = [0.0f32; 2];
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let bend = 2f32.powf(vibrato_cents / 1200.0 * (TAU * 5.5 * t).sin());
        let mut v = 0.0;
        for (p, (root, weight)) in phases.iter_mut().zip([(hz, 1.0), (hz * 1.5, 0.8)]) {
            *p = (*p + TAU * root * bend / SR) % TAU;
            for k in 1..=16 {
                let scatter = (k * k) as f32 * 1.3 + root;
                v += weight * (*p * k as f32 + scatter).sin() / k as f32;
            }
        }
        *s += peak * (i as f32 / swell).min(1.0) * (2.0 * v).tanh();
    }
}

#[test]
fn a_chord_that_starts_in_a_blocks_last_sub_block_is_heard_in_that_block() {
    // the new chord's first 16 samples are the block's last: the held rule needs the next block's first
    // sub-block too, the quick rule hears the jump alone
    let attack_block = 375;
    let attack = attack_block * BLOCK + 3 * 16;
    let mut signal = fizz_over_ringing_strings();
    add_distorted_chord(&mut signal, attack, 110.0, 0.3, 0.2, 0.0);
    let with_quick = onsets_after_start(&signal, OnsetParams::default());
    assert_eq!(
        with_quick,
        vec![attack_block],
        "attack in block {attack_block}"
    );
    let without_quick = onsets_after_start(&signal, without_quick_rule());
    assert!(
        without_quick.first().is_some_and(|&b| b > attack_block),
        "without the quick rule: onsets in blocks {without_quick:?}"
    );
}

/// `seconds` of hiss at -55 dBFS RMS as guitar-dev's noise copy makes it: white noise plus a random walk less its
/// 64-sample moving average (brown noise high-passed near 750 Hz, its power gathered in the mids), equally loud.
fn hiss(seconds: usize, seed: u32) -> Vec<f32> {
    let n = seconds * 48_000;
    let mut noise = Noise(seed);
    let white: Vec<f32> = (0..n).map(|_| 3f32.sqrt() * noise.next()).collect();
    let mut walk = 0.0f64;
    let walked: Vec<f64> = white
        .iter()
        .map(|&w| {
            walk += f64::from(w);
            walk
        })
        .collect();
    let mut sum: f64 = walked[..32].iter().sum();
    let mut brown: Vec<f32> = Vec::with_capacity(n);
    for i in 0..n {
        // the moving average over i-32..i+32 of the samples that exist
        if i + 32 < n {
            sum += walked[i + 32];
        }
        if i >= 33 {
            sum -= walked[i - 33];
        }
        let count = (i + 32).min(n - 1) - i.saturating_sub(32) + 1;
        brown.push((walked[i] - sum / count as f64) as f32);
    }
    let power = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let (white_gain, brown_gain) = (1.0 / power(&white).sqrt(), 1.0 / power(&brown).sqrt());
    let level = 10f32.powf(-55.0 / 20.0) / 2f32.sqrt();
    white
        .iter()
        .zip(&brown)
        .map(|(w, b)| level * (w * white_gain + b * brown_gain))
        .collect()
}

#[test]
fn hiss_churning_in_the_mids_is_no_onset_however_low_the_quick_threshold() {
    // 20 s of the noise copy's hiss: its mid band churns a single sub-block 6 dB and more over its 20 ms
    // maximum now and then, but never far over the band's noise floor; with the floor margin no more than the
    // other paths' 12 dB, that churn is heard
    let signal = hiss(20, 7);
    let quick_at = |rise_db, floor_db| OnsetParams {
        mid_quick_rise_db: rise_db,
        mid_quick_floor_db: floor_db,
        ..OnsetParams::default()
    };
    let found = onsets_after_start(&signal, OnsetParams::default());
    assert!(found.is_empty(), "onsets in blocks {found:?}");
    let found = onsets_after_start(
        &signal,
        quick_at(6.0, OnsetParams::default().mid_quick_floor_db),
    );
    assert!(found.is_empty(), "at 6 dB: onsets in blocks {found:?}");
    let found = onsets_after_start(&signal, quick_at(6.0, 12.0));
    assert!(!found.is_empty(), "at 6 dB, 12 dB over the floor: no onset");
}

#[test]
fn a_vibrating_distorted_chord_beating_against_its_double_is_one_onset() {
    // two distorted chords 0.7 Hz apart (a double-tracked part), the first with 15 cents of vibrato: their mids
    // swell and fade, but never jump 7 dB over the last 20 ms within a sub-block (at 3 dB they would: 4 more)
    let mut signal = vec![0.0f32; 3 * 48_000];
    add_distorted_chord(&mut signal, 14_400, 110.0, 0.25, 1.0, 15.0);
    add_distorted_chord(&mut signal, 14_400, 110.7, 0.25, 1.0, 0.0);
    let found = onsets_after_start(&signal, OnsetParams::default());
    assert_eq!(found, vec![14_400 / BLOCK], "onsets in blocks {found:?}");
    let at_3_db = OnsetParams {
        mid_quick_rise_db: 3.0,
        ..OnsetParams::default()
    };
    let found = onsets_after_start(&signal, at_3_db);
    assert!(found.len() > 1, "at 3 dB: onsets in blocks {found:?}");
}
