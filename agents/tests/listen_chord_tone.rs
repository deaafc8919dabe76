//! Tests of the chord tracker on guitars whose tone differs from the clean takes it was tuned on: a thin DI or a
//! piezo with the bass cut, a bright bridge pickup. The label must not depend on the EQ.

use agents::listen::{Chord, ChordQuality};

mod chord_support;

use chord_support::*;

/// `signal` through a 12 dB/octave high-pass at `corner_hz` (RBJ biquad, Q 0.707): the bass strings' fundamentals
/// and octaves lose 12 to 24 dB, as through a thin DI or an acoustic's piezo with the bass cut.
fn high_passed(signal: &[f32], corner_hz: f32) -> Vec<f32> {
    let w = 2.0 * std::f32::consts::PI * corner_hz / RATE;
    let alpha = w.sin() / (2.0 * std::f32::consts::FRAC_1_SQRT_2);
    let a0 = 1.0 + alpha;
    let (b0, b1, b2) = (
        (1.0 + w.cos()) / 2.0,
        -(1.0 + w.cos()),
        (1.0 + w.cos()) / 2.0,
    );
    let (a1, a2) = (-2.0 * w.cos(), 1.0 - alpha);
    let (mut x1, mut x2, mut y1, mut y2) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    signal
        .iter()
        .map(|&x| {
            let y = (b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            y
        })
        .collect()
}

/// Share of the blocks from `from_s` to `to_s` labelled `want`.
fn share_right(labels: &[Chord], from_s: f32, to_s: f32, want: Chord) -> f32 {
    let (from, to) = (block_of(from_s), block_of(to_s));
    let span = labels.get(from..to).unwrap_or(&[]);
    span.iter().filter(|&&c| c == want).count() as f32 / span.len().max(1) as f32
}

#[test]
fn distorted_power_chords_through_a_thin_tone_keep_their_root_while_they_ring() {
    // Power chords on the sixth string (A, A sharp, C) with the flat spectrum of a distorted amp, through a thin
    // tone, each strummed and left to ring for two seconds: once the window is full, the fifth's 3rd harmonic (G3's
    // D5 over C3) must not read as a ninth, which with the root's fundamental cut would name the chord a sus4 on
    // its fifth.
    let frets = [5, 6, 8];
    let mut signal = vec![0.0f32; ((frets.len() as f32 * 2.0 + 0.5) * RATE) as usize];
    for (k, &fret) in frets.iter().enumerate() {
        let start = 0.25 + 2.0 * k as f32;
        let mut strings = vec![0.0f32; (2.0 * RATE) as usize];
        for (i, &midi) in voicing(ChordQuality::Power, fret).iter().enumerate() {
            bright_pluck(&mut strings, (i as f32 * 0.008 * RATE) as usize, midi, 1.5);
        }
        add_damped(&mut signal, RATE, (start * RATE) as usize, strings);
    }
    let thin = high_passed(&signal, 250.0);
    let onsets: Vec<usize> = (0..frets.len())
        .map(|k| block_of(0.25 + 2.0 * k as f32))
        .collect();
    let labels = track_with_onsets(&thin, &onsets);
    let mut wrong = Vec::new();
    for (k, &fret) in frets.iter().enumerate() {
        let start = 0.25 + 2.0 * k as f32;
        let want = Chord {
            root: root_of_fret(fret),
            quality: ChordQuality::Power,
        };
        let share = share_right(&labels, start + 0.3, start + 1.9, want);
        if share < 0.95 {
            let read = label_at(&labels, start + 1.5);
            wrong.push(format!(
                "{want:?}: right {share:.2} of the time, read {read:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn distorted_major_chords_are_named_within_90_ms_of_their_strum() {
    // Barre major chords with the flat, dense spectrum of a distorted amp, strummed quickly (8 ms a string) and damped
    // when the next is struck. In the short windows after the attack the skirts of so many partials fill the
    // spectrum's valleys; the strings' partials must still count as peaks there, or the chord waits for a window
    // long enough to resolve them.
    let frets = [0, 3, 5, 7, 8, 10];
    let (signal, played) =
        chord_each_second(&frets, ChordQuality::Major, 0.008, |strings, at, midi| {
            bright_pluck(strings, at, midi, 1.5)
        });
    let onsets: Vec<usize> = played.iter().map(|&(t, _)| block_of(t)).collect();
    let labels = track_with_onsets(&signal, &onsets);
    let late = named_late(&labels, &played, 90.0);
    assert!(late.is_empty(), "{late:#?}");
}
