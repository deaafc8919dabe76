//! The pitch tracker when the old note rings on under the new one: together the two repeat at a common multiple of
//! their periods (a fifth over B3 repeats at the B2 below both), which the plain signal reads as clearly as the new
//! note alone; the new note is what is named.

mod pitch_support;

use pitch_support::*;

/// `old` plucked at `lead_in` samples and left to ring, `new` plucked `gap` samples later over it.
fn over_ringing(old_hz: f32, new_hz: f32, lead_in: usize, gap: usize, seed: u32) -> Vec<f32> {
    let old = pluck(old_hz, &guitar_harmonics(), 0.8, 0.5, seed);
    let new = pluck(new_hz, &guitar_harmonics(), 0.5, 0.5, seed + 1);
    let mut signal = vec![0.0; lead_in + gap + new.len()];
    for (s, x) in signal[lead_in..].iter_mut().zip(&old) {
        *s += x;
    }
    for (s, x) in signal[lead_in + gap..].iter_mut().zip(&new) {
        *s += x;
    }
    signal
}

/// Blocks from `from` to `to` seconds after sample `start` whose pitch is not within 50 cents of `hz`, as
/// (seconds after `start`, Hz).
fn off_pitch(
    frames: &[agents::listen::pitch::PitchFrame],
    start: usize,
    from: f32,
    to: f32,
    hz: f32,
) -> Vec<(f32, f32)> {
    let block_seconds = agents::listen::BLOCK as f32 / RATE;
    let start = start as f32 / RATE;
    frames
        .iter()
        .enumerate()
        .map(|(b, f)| ((b + 1) as f32 * block_seconds - start, f.hz))
        .filter(|&(t, _)| t >= from && t < to)
        .filter(|&(_, f)| f <= 0.0 || (1200.0 * (f / hz).log2()).abs() > 50.0)
        .collect()
}

#[test]
fn a_fifth_over_the_ringing_old_note_is_named_not_their_common_root() {
    // B3 then F#4, E3 then B3, C4 then G4 (3:2: each pair repeats together an octave below the lower note), and D4
    // then G4 (4:3: a twelfth below the lower note).
    for (i, &(old_hz, new_hz)) in [(246.94f32, 369.99f32), (164.81, 246.94), (261.63, 392.0)]
        .iter()
        .enumerate()
    {
        let lead_in = 4800;
        let gap = 9600 + 331 * i;
        let signal = over_ringing(old_hz, new_hz, lead_in, gap, 40 + 2 * i as u32);
        let attack = lead_in + gap;
        let frames = track(&signal, &[lead_in, attack]);
        let wrong = off_pitch(&frames, attack, 0.025, 0.3, new_hz);
        assert!(
            wrong.len() <= 2,
            "{new_hz} Hz over {old_hz} Hz: {} blocks off the new note from 25 ms on, first {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(6)]
        );
    }
}
