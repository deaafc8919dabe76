//! Tests of the onset detector through a dark tone: a neck pickup with the tone knob rolled off (a 12 dB/octave
//! low-pass at 2 kHz), where the pick's click is 12 to 30 dB down and the partials that ring on fill the emphasis.

use agents::listen::BLOCK;
use agents::listen::onset::OnsetParams;
use noise_support::{Noise, add_pluck, onset_blocks};

mod noise_support;

const SR: f32 = 48_000.0;

/// The signal through a 12 dB/octave low-pass (RBJ biquad, Q 0.707) at `hz`: a tone control rolled off.
fn darkened(signal: &[f32], hz: f32) -> Vec<f32> {
    let w = std::f32::consts::TAU * hz / SR;
    let alpha = w.sin() / (2.0 * std::f32::consts::FRAC_1_SQRT_2);
    let a0 = 1.0 + alpha;
    let b0 = (1.0 - w.cos()) / 2.0 / a0;
    let (b1, b2) = (2.0 * b0, b0);
    let (a1, a2) = (-2.0 * w.cos() / a0, (1.0 - alpha) / a0);
    let (mut x1, mut x2, mut y1, mut y2) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    signal
        .iter()
        .map(|&x| {
            let y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            y
        })
        .collect()
}

/// The samples at which a detector with `params` reported the onsets of `signal`: the end of the block that
/// reported each, when the detector knew.
fn onsets_known_at(signal: &[f32], params: OnsetParams) -> Vec<usize> {
    onset_blocks(signal, params)
        .iter()
        .map(|b| (b + 1) * BLOCK)
        .collect()
}

/// A loud note ringing (its partials up to 2.6 kHz) with softer notes picked over it at `picks`, through the dark
/// tone; `hiss_db` of white hiss under all of it (0: none).
fn dark_notes_over_a_ringing_one(picks: &[usize], hiss_db: f32) -> Vec<f32> {
    let mut signal = vec![0.0; picks.last().copied().unwrap_or(0) + 24_000];
    add_pluck(&mut signal, 0, 220.0, 0.8, 3.0, 0.0, 7);
    for (k, &at) in picks.iter().enumerate() {
        let hz = [330.0, 294.0, 392.0, 247.0][k % 4];
        add_pluck(&mut signal, at, hz, 0.25, 1.5, 0.0, 11 + k as u32);
        // the pick scraping off the string: a burst of noise dying over a few ms
        let mut scrape = Noise(31 + k as u32);
        for (i, s) in signal.iter_mut().skip(at).take(192).enumerate() {
            *s += 0.2 * (-(i as f32) / 72.0).exp() * scrape.next();
        }
    }
    if hiss_db != 0.0 {
        let mut noise = Noise(99);
        let level = 10f32.powf(hiss_db / 20.0) * 3f32.sqrt();
        for s in signal.iter_mut() {
            *s += level * noise.next();
        }
    }
    darkened(&signal, 2000.0)
}

#[test]
fn soft_notes_through_a_dark_tone_over_a_ringing_one_are_heard_within_3_ms() {
    let picks = [24_000, 31_200, 38_400, 45_600];
    let signal = dark_notes_over_a_ringing_one(&picks, 0.0);
    let heard = onsets_known_at(&signal, OnsetParams::default());
    for &at in &picks {
        let first = heard.iter().copied().find(|&s| s > at);
        assert!(
            first.is_some_and(|s| s <= at + 144),
            "note at {at} heard at {first:?} (all: {heard:?})"
        );
    }
    // (the first note, out of silence at the detector's start, is not reported: nothing is, until its windows fill)
    assert_eq!(heard.len(), picks.len(), "{heard:?}");
}
