//! Tests of the onset detector on a ringing chord's own churn: partials of different strings that beat, climbing
//! out of their troughs, and the random swells of a room's reverberation are no onset, while a soft pick over the
//! ringing chord is.

use agents::listen::BLOCK;
use agents::listen::onset::{OnsetDetector, OnsetParams};
use noise_support::add_pluck;

mod noise_support;

const SR: f32 = 48_000.0;

/// Blocks with an onset when a detector with `params` hears `signal`.
fn onset_blocks(signal: &[f32], params: OnsetParams) -> Vec<usize> {
    let mut detector = OnsetDetector::with_params(SR, params);
    signal
        .chunks(BLOCK)
        .enumerate()
        .filter_map(|(b, block)| detector.process(block).onset.map(|_| b))
        .collect()
}

/// `dry` through a room: the direct sound plus velvet noise (sparse random +-1 taps, one per `spacing` samples on
/// average) after an 8 ms pre-delay, dying by 60 dB in `rt60` seconds, its energy `wet_db` re the direct sound.
fn room(dry: &[f32], rt60: f32, wet_db: f32, seed: u32) -> Vec<f32> {
    let mut noise = noise_support::Noise(seed);
    let spacing = 24usize;
    let length = (0.8 * SR) as usize;
    let mut taps = Vec::new();
    let mut at = (0.008 * SR) as usize;
    while at < length {
        let jitter = ((noise.next() + 1.0) * 0.5 * spacing as f32) as usize;
        let t = (at + jitter) as f32 / SR;
        taps.push((
            at + jitter,
            noise.next().signum() * (-6.91 * t / rt60).exp(),
        ));
        at += spacing;
    }
    let energy: f32 = taps.iter().map(|&(_, g)| g * g).sum();
    let scale = 10f32.powf(wet_db / 20.0) / energy.sqrt();
    let mut wet = dry.to_vec();
    for &(delay, gain) in &taps {
        for (w, &x) in wet.iter_mut().skip(delay).zip(dry) {
            *w += scale * gain * x;
        }
    }
    wet
}

/// Chord `c` of a take (a root from a I-VII-III-IV walk, five strings a fifth, octave, major tenth and twelfth
/// above, 5 ms apart, peaks 0.1), added at `start` and damped (30 ms) one second later.
fn add_damped_chord(signal: &mut [f32], start: usize, c: usize, seed: u32) {
    let root = [110.0f32, 98.0, 130.8, 146.8][c % 4];
    let end = (start + 72_000).min(signal.len());
    let Some(span) = signal.get_mut(start..end) else {
        return;
    };
    let mut chord = vec![0.0; span.len()];
    for (k, ratio) in [1.0f32, 1.498, 2.0, 2.52, 2.997].iter().enumerate() {
        add_pluck(
            &mut chord,
            k * 240,
            root * ratio,
            0.1,
            1.5,
            0.0,
            seed * 100 + (c * 10 + k) as u32,
        );
    }
    for (i, (s, x)) in span.iter_mut().zip(chord).enumerate() {
        let damping = if i < 48_000 {
            1.0
        } else {
            (-((i - 48_000) as f32) / SR / 0.03).exp()
        };
        *s += x * damping;
    }
}

/// Eight chords, 1.5 s apart from sample 4800, in a room of RT60 0.5 s whose reverberation is 8 dB under the
/// direct sound (as guitar-dev's reverb copy); the room's noise comes from `seed`.
fn chords_in_a_room(seed: u32) -> (Vec<f32>, Vec<usize>) {
    let starts: Vec<usize> = (0..8).map(|c| 4800 + c * 72_000).collect();
    let mut dry = vec![0.0; 8 * 72_000];
    for (c, &start) in starts.iter().enumerate() {
        add_damped_chord(&mut dry, start, c, seed);
    }
    (room(&dry, 0.5, -8.0, seed), starts)
}

#[test]
fn the_churn_of_chords_ringing_and_dying_in_a_room_is_no_onset() {
    // (without the held reference, 6 false onsets over these six takes: partials and the tail climbing back out
    // of troughs of their beating and of the room's random interference)
    for seed in 1..=6 {
        let (take, starts) = chords_in_a_room(seed);
        let onsets = onset_blocks(&take, OnsetParams::default());
        let expected: Vec<usize> = starts.iter().map(|s| s / BLOCK).collect();
        assert_eq!(onsets.len(), expected.len(), "seed {seed}: {onsets:?}");
        for (&onset, &chord) in onsets.iter().zip(&expected) {
            assert!(
                onset >= chord && onset <= chord + 2,
                "seed {seed}: {onsets:?}"
            );
        }
    }
}

#[test]
fn a_soft_pick_over_a_chord_ringing_in_a_room_is_heard() {
    for seed in 1..=3 {
        let (mut take, starts) = chords_in_a_room(seed);
        // a single note 4 dB under each of the chord's strings, 0.6 s into its ringing, in the same room
        let picks: Vec<usize> = starts.iter().map(|&s| s + 28_800).collect();
        let mut dry_picks = vec![0.0; take.len()];
        for (k, &at) in picks.iter().enumerate() {
            add_pluck(
                &mut dry_picks,
                at,
                392.0 * (1.0 + 0.06 * k as f32),
                0.06,
                0.8,
                0.0,
                77 + seed + k as u32,
            );
        }
        for (t, p) in take.iter_mut().zip(room(&dry_picks, 0.5, -8.0, seed + 10)) {
            *t += p;
        }
        let onsets = onset_blocks(&take, OnsetParams::default());
        for &at in &picks {
            let block = at / BLOCK;
            assert!(
                onsets.iter().any(|&o| o >= block && o <= block + 6),
                "seed {seed}: pick at block {block} not heard in {onsets:?}"
            );
        }
    }
}
