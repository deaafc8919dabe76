//! Tests of the onset detector's mid band: the pick of a swelling distorted chord heard under the fizz of a ringing
//! one before the other paths hear it, and no onset from the ringing of a cut.

use agents::listen::BLOCK;
use agents::listen::onset::OnsetParams;
use noise_support::{fizz_over_ringing_strings, onset_blocks};
use std::f32::consts::TAU;

mod noise_support;

const SR: f32 = 48_000.0;

/// Where the new chord starts: 0.5 s in, mid-block.
const ATTACK: usize = 24_000 + 23;

fn without_mid_band() -> OnsetParams {
    OnsetParams {
        mid_rise_db: 0.0,
        ..OnsetParams::default()
    }
}

/// Adds a power chord (root `hz` and its fifth, 16 partials each falling 6 dB an octave, scattered phases) from
/// `start` whose level swells linearly to `peak` over `swell_ms`.
fn add_swelling_chord(signal: &mut [f32], start: usize, hz: f32, peak: f32, swell_ms: f32) {
    let swell = swell_ms / 1000.0 * SR;
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f32 / SR;
        let mut v = 0.0;
        for (root, weight) in [(hz, 1.0), (hz * 1.5, 0.8)] {
            for k in 1..=16 {
                let phase = (k * k) as f32 * 1.3 + root;
                v += weight * (TAU * root * k as f32 * t + phase).sin() / k as f32;
            }
        }
        *s += peak / 4.0 * (i as f32 / swell).min(1.0) * v;
    }
}

/// A second of fizz over the low strings of a ringing chord (E2 and B2, their first four partials, steady), with a
/// power chord on A2 coming in at [`ATTACK`] (its level swelling over 1 ms): the fizz fills the pre-emphasised
/// energy and the ringing strings the low band, so neither rises, while the new chord's partials from 800 Hz up
/// stand well over what was there.
fn chord_under_fizz() -> Vec<f32> {
    let mut signal = fizz_over_ringing_strings();
    add_swelling_chord(&mut signal, ATTACK, 110.0, 0.6, 1.0);
    signal
}

#[test]
fn a_swelling_chord_under_fizz_is_heard_by_the_mid_band_before_the_other_paths() {
    let signal = chord_under_fizz();
    let attack_block = ATTACK / BLOCK;
    let first_after = |found: Vec<usize>| found.into_iter().find(|&b| b * BLOCK > 9_600);
    let found = onset_blocks(&signal, OnsetParams::default());
    // one onset after the start-up: nothing in the fizz before the chord or while it rings
    let after_start: Vec<_> = found.iter().filter(|&&b| b * BLOCK > 9_600).collect();
    assert_eq!(after_start.len(), 1, "onsets in blocks {after_start:?}");
    let with_mid = first_after(found);
    let without_mid = first_after(onset_blocks(&signal, without_mid_band()));
    let with_mid = with_mid.expect("the chord is heard");
    // reported within 2 ms of its start (the end of the block after the attack's at the latest)
    assert!(
        (attack_block..=attack_block + 1).contains(&with_mid),
        "onset in block {with_mid}, attack in block {attack_block}"
    );
    assert!(
        without_mid.is_none_or(|b| b > with_mid),
        "without the mid band: {without_mid:?}, with it {with_mid}"
    );
}

/// Mains hum at 50 Hz (harmonics 1, 2, 3, 5) peaking at -40 dBFS: nothing of it in the mid band.
fn hum(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let phase = TAU * 50.0 * i as f32 / SR;
            [(1.0f32, 1.0f32), (2.0, 0.3), (3.0, 0.5), (5.0, 0.2)]
                .iter()
                .map(|&(k, a)| 0.01 * a * (k * phase + k).sin())
                .sum::<f32>()
        })
        .collect()
}

#[test]
fn hum_cut_to_a_resting_level_is_no_onset() {
    // a take that ends (or an input that stops) where the hum peaks and rests at a small offset (above the raw
    // gate): the step rings in the mid band over nothing, yet it is a step, no attack; its own sub-block holds
    // the hum too, so only the emphasised energy's collapse after it tells it from an attack
    let n = 3 * 48_000;
    let signal = hum(n);
    let last_period = n - 4_800 - 960..n - 4_800;
    let cut = last_period
        .max_by(|&a, &b| signal[a].abs().total_cmp(&signal[b].abs()))
        .unwrap_or(n - 4_800);
    let after_start = |signal: &[f32], params| -> Vec<usize> {
        let found = onset_blocks(signal, params);
        found.into_iter().filter(|&b| b * BLOCK > 9_600).collect()
    };
    for rest in [0.0005f32, -0.002] {
        let mut signal = signal[..cut].to_vec();
        signal.resize(n + 14_400, rest);
        let found = after_start(&signal, OnsetParams::default());
        assert!(
            found.is_empty(),
            "rest {rest}: onsets in blocks {found:?}, cut in block {}",
            cut / BLOCK
        );
        // a rise held over one sub-block is heard in the cut's own block, before the collapse that vetoes it
        let one_sub_block = OnsetParams {
            mid_hold_subs: 1,
            ..OnsetParams::default()
        };
        let found = after_start(&signal, one_sub_block);
        assert!(
            found.contains(&(cut / BLOCK)),
            "rest {rest}, held over one sub-block: onsets in blocks {found:?}, cut in block {}",
            cut / BLOCK
        );
    }
}
