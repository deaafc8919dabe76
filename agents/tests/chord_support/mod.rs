//! Signals and helpers for the chord tracker's tests: plucked strings, strums, guitar voicings, label timing.
// Each test file uses a part of these helpers.
#![allow(dead_code)]

use agents::listen::chord::ChordTracker;
use agents::listen::{BLOCK, Chord, ChordQuality, Onset};

pub const RATE: f32 = 48_000.0;

/// Small seeded PRNG (xorshift32) for noise.
pub struct XorShift(pub u32);

impl XorShift {
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

pub fn hz(midi: i32) -> f32 {
    440.0 * 2f32.powf((midi - 69) as f32 / 12.0)
}

/// Adds a plucked string to `out` from sample `start`: a decaying sum of slightly stretched harmonics, upper ones
/// dying faster, with a sharp attack, the way a guitar string sounds.
pub fn pluck(out: &mut [f32], rate: f32, start: usize, midi: i32, amp: f32, ring_s: f32) {
    let f0 = hz(midi);
    for h in 1..=12 {
        let f = f0 * h as f32 * (1.0 + 0.0001 * (h * h) as f32);
        if f > 6_000.0 {
            break;
        }
        let a = amp / h as f32;
        let tau = ring_s / (1.0 + 0.4 * h as f32);
        let phase = 0.37 * h as f32;
        for (i, y) in out.iter_mut().skip(start).enumerate() {
            let t = i as f32 / rate;
            *y += a * (-t / tau).exp() * (2.0 * std::f32::consts::PI * f * t + phase).sin();
        }
    }
}

/// Strums `notes` from the lowest string up, 8 ms apart, starting at `start_s`; strings are damped at `end_s`.
pub fn strum(out: &mut [f32], start_s: f32, end_s: f32, notes: &[i32]) {
    strum_at(RATE, out, start_s, end_s, notes);
}

pub fn strum_at(rate: f32, out: &mut [f32], start_s: f32, end_s: f32, notes: &[i32]) {
    let start = (start_s * rate) as usize;
    let end = ((end_s * rate) as usize).min(out.len());
    let mut one = vec![0.0f32; end.saturating_sub(start)];
    for (i, &m) in notes.iter().enumerate() {
        pluck(
            &mut one,
            rate,
            (i as f32 * 0.008 * rate) as usize,
            m,
            0.08,
            1.5,
        );
    }
    add_damped(out, rate, start, one);
}

/// Adds `strings` to `out` from sample `start`, damped at their end: a 30 ms fade, as when the hand mutes them.
pub fn add_damped(out: &mut [f32], rate: f32, start: usize, mut strings: Vec<f32>) {
    let fade = (0.03 * rate) as usize;
    let len = strings.len();
    for (i, y) in strings
        .iter_mut()
        .enumerate()
        .skip(len.saturating_sub(fade))
    {
        *y *= (len - i) as f32 / fade as f32;
    }
    for (o, y) in out.iter_mut().skip(start).zip(strings) {
        *o += y;
    }
}

/// Guitar voicings, barre shapes on the sixth string with its fret `fret` (E2 = 40 is fret 0).
pub fn voicing(quality: ChordQuality, fret: i32) -> Vec<i32> {
    let shape: &[i32] = match quality {
        ChordQuality::Major => &[0, 7, 12, 16, 19, 24],
        ChordQuality::Minor => &[0, 7, 12, 15, 19, 24],
        ChordQuality::Dominant7 => &[0, 7, 10, 16, 19, 24],
        ChordQuality::Major7 => &[0, 7, 11, 16, 19],
        ChordQuality::Minor7 => &[0, 7, 10, 15, 19, 24],
        ChordQuality::Sus4 => &[0, 7, 12, 17, 19, 24],
        ChordQuality::Power => &[0, 7, 12],
        ChordQuality::None => &[],
    };
    shape.iter().map(|s| 40 + fret + s).collect()
}

pub fn root_of_fret(fret: i32) -> u8 {
    ((4 + fret) % 12) as u8
}

/// Runs a tracker over `signal`; returns the label after each block.
pub fn track(signal: &[f32]) -> Vec<Chord> {
    track_with_onsets(signal, &[])
}

/// Like [`track`], telling the tracker of an attack at the start of each block in `onset_blocks`.
pub fn track_with_onsets(signal: &[f32], onset_blocks: &[usize]) -> Vec<Chord> {
    track_at(RATE, signal, onset_blocks)
}

/// Like [`track_with_onsets`], for a signal sampled at `rate`.
pub fn track_at(rate: f32, signal: &[f32], onset_blocks: &[usize]) -> Vec<Chord> {
    let mut tracker = ChordTracker::new(rate);
    signal
        .chunks_exact(BLOCK)
        .enumerate()
        .map(|(b, block)| {
            let onset = onset_blocks.contains(&b).then_some(Onset {
                offset: 0,
                strength: 1.0,
            });
            tracker.process(block, onset)
        })
        .collect()
}

pub fn block_of(seconds: f32) -> usize {
    (seconds * RATE) as usize / BLOCK
}

/// First block at or after `from` whose label is `want`.
pub fn first_right(labels: &[Chord], from: usize, want: Chord) -> Option<usize> {
    labels
        .iter()
        .skip(from)
        .position(|&c| c == want)
        .map(|i| i + from)
}

pub fn blocks_to_ms(blocks: usize) -> f32 {
    blocks as f32 * BLOCK as f32 / RATE * 1000.0
}

/// One `quality` chord a second from 0.5 s, a barre shape at each of `frets`, its strings `gap_s` apart (each made
/// by `pluck(strings, start_sample, midi)`) and damped when the next chord is struck; the signal and the chords
/// played (start in seconds, chord).
pub fn chord_each_second(
    frets: &[i32],
    quality: ChordQuality,
    gap_s: f32,
    pluck: impl Fn(&mut [f32], usize, i32),
) -> (Vec<f32>, Vec<(f32, Chord)>) {
    let mut signal = vec![0.0f32; ((frets.len() as f32 + 1.0) * RATE) as usize];
    let mut played = Vec::new();
    for (k, &fret) in frets.iter().enumerate() {
        let start = 0.5 + k as f32;
        let mut strings = vec![0.0f32; RATE as usize];
        for (i, &midi) in voicing(quality, fret).iter().enumerate() {
            pluck(&mut strings, (i as f32 * gap_s * RATE) as usize, midi);
        }
        add_damped(&mut signal, RATE, (start * RATE) as usize, strings);
        played.push((
            start,
            Chord {
                root: root_of_fret(fret),
                quality,
            },
        ));
    }
    (signal, played)
}

/// The chords of `played` (start in seconds, chord) that `labels` does not name within `limit_ms` of their start,
/// each described with how late it was named, if at all.
pub fn named_late(labels: &[Chord], played: &[(f32, Chord)], limit_ms: f32) -> Vec<String> {
    let mut late = Vec::new();
    for &(t, want) in played {
        let from = block_of(t);
        match first_right(labels, from, want) {
            Some(b) if blocks_to_ms(b - from) <= limit_ms => {}
            Some(b) => late.push(format!(
                "{want:?} at {t:.1} s named after {:.0} ms",
                blocks_to_ms(b - from)
            )),
            None => late.push(format!("{want:?} at {t:.1} s never named")),
        }
    }
    late
}

pub const QUALITIES: [ChordQuality; 7] = [
    ChordQuality::Major,
    ChordQuality::Minor,
    ChordQuality::Dominant7,
    ChordQuality::Major7,
    ChordQuality::Minor7,
    ChordQuality::Sus4,
    ChordQuality::Power,
];

/// The label at `seconds`.
pub fn label_at(labels: &[Chord], seconds: f32) -> Chord {
    labels.get(block_of(seconds)).copied().unwrap_or_default()
}

/// Adds a string with the flat spectrum of a distorted amp: harmonics up to 2.4 kHz falling only as `h^-0.3`, the
/// upper ones as loud as the fundamental give or take 6 dB, and those from 700 Hz to 1.5 kHz lifted 8 dB more by
/// the cabinet's presence peak.
pub fn bright_pluck(out: &mut [f32], start: usize, midi: i32, ring_s: f32) {
    let f0 = hz(midi);
    for h in 1..=24 {
        let f = f0 * h as f32;
        if f > 2_400.0 {
            break;
        }
        let presence = if (700.0..1_500.0).contains(&f) {
            2.5
        } else {
            1.0
        };
        let a = 0.03 * presence / (h as f32).powf(0.3);
        let phase = 1.3 * h as f32;
        for (i, y) in out.iter_mut().skip(start).enumerate() {
            let t = i as f32 / RATE;
            *y += a * (-t / ring_s).exp() * (2.0 * std::f32::consts::PI * f * t + phase).sin();
        }
    }
}

/// Adds mains hum at `mains_hz` from the first sample to the last: the fundamental at `level` and harmonics 2, 3 and 5
/// at 0.3, 0.5 and 0.2 of it, the spectrum of a ground loop through a transformer.
pub fn add_hum(out: &mut [f32], mains_hz: f32, level: f32) {
    for (h, a) in [(1.0f32, 1.0f32), (2.0, 0.3), (3.0, 0.5), (5.0, 0.2)] {
        let w = 2.0 * std::f32::consts::PI * mains_hz * h / RATE;
        for (i, y) in out.iter_mut().enumerate() {
            *y += level * a * (w * i as f32 + h).sin();
        }
    }
}
