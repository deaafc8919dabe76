//! Tests of the onset detector on what real inputs add to the guitar: hum, hiss, and the input stopping dead.

use agents::listen::BLOCK;
use agents::listen::onset::OnsetParams;
use noise_support::{Noise, add_pluck, onset_blocks};
use std::f32::consts::TAU;

mod noise_support;

const SR: f32 = 48_000.0;

fn db(d: f32) -> f32 {
    10f32.powf(d / 20.0)
}

/// Mains hum at `hz` (harmonics 1, 2, 3, 5, as a transformer's field gives) whose fundamental peaks at `level_db`.
fn hum(n: usize, hz: f32, level_db: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let phase = TAU * hz * i as f32 / SR;
            let partials = [(1.0, 1.0), (2.0, 0.3), (3.0, 0.5), (5.0, 0.2)];
            db(level_db)
                * partials
                    .iter()
                    .map(|&(k, a)| a * (k * phase + k).sin())
                    .sum::<f32>()
        })
        .collect()
}

/// White hiss of RMS `level_db`.
fn hiss(n: usize, level_db: f32, seed: u32) -> Vec<f32> {
    let mut noise = Noise(seed);
    // uniform noise in -1..1 has RMS 1/sqrt(3)
    (0..n)
        .map(|_| db(level_db) * 3f32.sqrt() * noise.next())
        .collect()
}

fn without_collapse() -> OnsetParams {
    // (the pick view off: it hears the cut's splatter in the cut's own block, which the collapse also vetoes, and
    // its onset there would take the refractory time)
    OnsetParams {
        collapse_db: 0.0,
        pick_novelty: 0.0,
        ..OnsetParams::default()
    }
}

/// The floors the cuts are tested on: hum at 60 Hz, quieter hum at 50 Hz, hiss, and hum with a note ringing over it.
fn floors() -> Vec<(&'static str, Vec<f32>)> {
    let n = (3.0 * SR) as usize;
    let mut ringing = hum(n, 60.0, -40.0);
    add_pluck(&mut ringing, 4_800, 196.0, 0.3, 2.0, 0.0, 5);
    vec![
        ("hum 60 Hz -40 dBFS", hum(n, 60.0, -40.0)),
        ("hum 50 Hz -55 dBFS", hum(n, 50.0, -55.0)),
        ("hiss -55 dBFS", hiss(n, -55.0, 77)),
        ("a note over hum", ringing),
    ]
}

#[test]
fn hum_or_hiss_cut_to_digital_silence_is_no_onset() {
    let mut heard_without_the_rules = 0;
    for (what, floor) in floors() {
        // cut off in the middle of a block, as a take that ends or an input that drops out is, then 0.3 s of zeros
        let cut = floor.len() - 4_800 + 19;
        let mut signal = floor[..cut].to_vec();
        signal.resize(floor.len() + 14_400, 0.0);
        let found = onset_blocks(&signal, OnsetParams::default());
        let after_start: Vec<_> = found.iter().filter(|&&b| b * BLOCK > 9_600).collect();
        assert!(
            after_start.is_empty(),
            "{what}: onsets in blocks {after_start:?}, cut at {}",
            cut / BLOCK
        );
        // (the mid band off: its rise at the cut, which the collapse also vetoes, would take the refractory time)
        let without_the_rules = OnsetParams {
            raw_gate_db: -200.0,
            mid_rise_db: 0.0,
            ..without_collapse()
        };
        heard_without_the_rules += onset_blocks(&signal, without_the_rules)
            .iter()
            .filter(|&&b| b * BLOCK >= cut)
            .count();
    }
    // the cut's flux made onsets before the rules that a collapse of the energy is no attack and that a flux needs
    // samples above the raw gate in its block (either is enough after a cut to digital silence)
    assert!(heard_without_the_rules > 0);
}

#[test]
fn a_dropout_of_a_few_ms_in_hum_hiss_or_a_ringing_note_is_no_onset() {
    let mut heard_without_the_rule = 0;
    for (what, floor) in floors() {
        let mut signal = floor;
        // 3 ms of zeros, the input coming back where it was
        let gap = 96_000 + 7;
        signal[gap..gap + 144].fill(0.0);
        let found = onset_blocks(&signal, OnsetParams::default());
        assert!(
            found.iter().all(|&b| b * BLOCK < 9_600),
            "{what}: onsets in blocks {found:?}, dropout in block {}",
            gap / BLOCK
        );
        heard_without_the_rule += onset_blocks(&signal, without_collapse())
            .iter()
            .filter(|&&b| b * BLOCK >= gap)
            .count();
    }
    assert!(heard_without_the_rule > 0);
}

#[test]
fn a_pluck_soon_after_digital_silence_or_over_hiss_is_heard_as_soon_as_without_the_rule() {
    let n = (2.0 * SR) as usize;
    let cut = 48_000 + 19;
    for (what, floor) in floors() {
        for after_ms in [5.0, 20.0, 60.0] {
            let start = cut + (after_ms * SR / 1000.0) as usize;
            let mut signal = floor[..cut].to_vec();
            signal.resize(n, 0.0);
            add_pluck(&mut signal, start, 247.0, 0.2, 0.8, 0.0, 9);
            let found = onset_blocks(&signal, OnsetParams::default());
            let heard: Vec<_> = found.iter().filter(|&&b| b * BLOCK >= cut).collect();
            assert_eq!(
                heard,
                vec![&(start / BLOCK)],
                "{what}, pluck {after_ms} ms after the cut (block {}): {found:?}",
                start / BLOCK
            );
        }
    }
    // a pluck over hiss that never stops
    let start = 48_000 + 33;
    let mut signal = hiss(n, -55.0, 5);
    add_pluck(&mut signal, start, 247.0, 0.05, 0.8, 0.0, 9);
    let found = onset_blocks(&signal, OnsetParams::default());
    assert_eq!(found, onset_blocks(&signal, without_collapse()));
    assert!(found.contains(&(start / BLOCK)), "{found:?}");
}

#[test]
fn ringing_of_one_16_bit_step_at_nyquist_out_of_digital_silence_is_no_onset() {
    // a resampler's filter rings at Nyquist before an attack: +-1 LSB of a 16-bit converter, whose first
    // difference is 6 dB louder still
    let lsb = 1.0 / 32_768.0;
    let mut signal = vec![0.0f32; (1.0 * SR) as usize];
    for (i, s) in signal[24_000 + 5..30_000].iter_mut().enumerate() {
        *s = if i % 2 == 0 { lsb } else { -lsb };
    }
    assert_eq!(onset_blocks(&signal, OnsetParams::default()), vec![]);
    let without_raw_gate = OnsetParams {
        raw_gate_db: -200.0,
        ..OnsetParams::default()
    };
    assert_eq!(
        onset_blocks(&signal, without_raw_gate),
        vec![24_005 / BLOCK]
    );
    // a soft pluck at -60 dBFS out of the same silence is heard
    add_pluck(&mut signal, 36_000, 196.0, db(-60.0), 0.8, 0.0, 3);
    assert_eq!(
        onset_blocks(&signal, OnsetParams::default()),
        vec![36_000 / BLOCK]
    );
}

#[test]
fn chatter_of_a_16_bit_converter_after_a_note_has_died_is_no_onset() {
    // a note, then a tail of two LSB whose spectrum changes every 150 ms (as the quantization error of a dying
    // tone does): a square wave at 1 kHz, then random steps, and so on
    let lsb = 1.0 / 32_768.0;
    let mut steps = Noise(3);
    let mut signal = vec![0.0f32; (6.0 * SR) as usize];
    add_pluck(&mut signal, 4_800, 196.0, 0.3, 0.2, 0.0, 8);
    let chatter_from = (1.5 * SR) as usize;
    for (i, s) in signal.iter_mut().enumerate().skip(chatter_from) {
        let chatter = if (i - chatter_from) / 7_200 % 2 == 0 {
            if i % 48 < 24 { 2.0 } else { -2.0 }
        } else if steps.next() > 0.0 {
            2.0
        } else {
            -2.0
        };
        *s = ((*s / lsb).round() + chatter) * lsb;
    }
    assert_eq!(
        onset_blocks(&signal, OnsetParams::default()),
        vec![4_800 / BLOCK]
    );
    let without_raw_gate = OnsetParams {
        raw_gate_db: -200.0,
        ..OnsetParams::default()
    };
    let found = onset_blocks(&signal, without_raw_gate);
    assert!(found.len() > 1, "{found:?}");
}
