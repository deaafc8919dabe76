//! Tests of the onset detector on beating strings: two strings tuned a hair apart (a 12-string's unison course, a
//! double-tracked part) swell and fade together, each partial's bin falling into a trough and climbing back out of
//! it more than 20 ms after its last peak, beyond the held reference's reach. Found with the rate tests' phrase at
//! 32 kHz, whose ringing strum beat into a false onset once 32 kHz was heard upsampled (`onset/flux.rs`).

mod noise_support;

use agents::listen::onset::OnsetParams;
use noise_support::{Noise, onset_blocks};
use std::f64::consts::TAU;

const SR: f64 = 48_000.0;

/// Adds a string plucked at `start`: twelve harmonics at 1/k, each dying at sqrt(k)/`decay_s` nepers a second,
/// computed from the time in f64 (accumulated f32 phases drift differently at each rate and change the beats).
fn add_string(signal: &mut [f32], start: usize, hz: f64, peak: f64, decay_s: f64, phase: f64) {
    for (i, s) in signal.iter_mut().skip(start).enumerate() {
        let t = i as f64 / SR;
        let v: f64 = (1..=12)
            .map(|k| {
                let k = k as f64;
                (TAU * hz * k * t + phase * k).cos() / k * (-t * k.sqrt() / decay_s).exp()
            })
            .sum();
        *s += (peak / 2.5 * v) as f32;
    }
}

/// The blocks whose onset the detector reported, for 3 s of two strings at `hz` and `hz + apart_hz` (the second
/// `second_gain` as loud, struck 10 ms later) over hiss at -60 dBFS.
fn onsets_of_a_unison(hz: f64, apart_hz: f64, second_gain: f64) -> Vec<usize> {
    let mut signal = vec![0.0f32; (3.0 * SR) as usize];
    let mut hiss = Noise(99);
    for s in signal.iter_mut() {
        *s = 1e-3 * 3f32.sqrt() * hiss.next();
    }
    add_string(&mut signal, 4_800, hz, 0.4, 3.0, 0.3);
    add_string(
        &mut signal,
        5_280,
        hz + apart_hz,
        0.4 * second_gain,
        3.0,
        0.6,
    );
    onset_blocks(&signal, OnsetParams::default())
}

#[test]
fn a_unison_pair_beating_slowly_is_one_onset() {
    // 1.5 Hz apart: every partial's bin comes back out of its trough 100 ms or more after its last peak, and its
    // level, having died since, stands under that peak; before the held reference remembered each bin's peak, these
    // beats made 1 to 4 false onsets
    for second_gain in [0.6, 0.8] {
        let heard = onsets_of_a_unison(110.0, 1.5, second_gain);
        assert_eq!(
            heard.len(),
            1,
            "110 and 111.5 Hz, the second string at {second_gain}: onsets in blocks {heard:?}"
        );
        assert!(
            (75..=80).contains(&heard[0]),
            "the pluck at block 75 is heard: {heard:?}"
        );
    }
}
