//! The onset detector at the sample rates recordings and interfaces use: 44.1 and 48 kHz; 88.2, 96 and 192 kHz,
//! which it hears decimated; and 16, 22.05 and 32 kHz (old or compressed files), which it hears upsampled. Its
//! spectra and sub-blocks are counted in samples: at 96 kHz undecimated it made 11.5 false onsets a minute on
//! guitar-dev resampled, at 22.05 kHz not upsampled 8.5 (0.3 at 48 kHz).

use agents::listen::BLOCK;
use agents::listen::onset::OnsetDetector;
use noise_support::{Noise, add_pluck_at};

mod noise_support;

const RATES: [f32; 8] = [
    16_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0,
];

/// A phrase at `sr`: single notes with vibrato and three-string strums (strings 15 ms apart), over hiss at
/// -60 dBFS, each new note starting while the one before rings; returns it and the attack times in seconds.
fn phrase(sr: f32) -> (Vec<f32>, Vec<f32>) {
    let mut signal = vec![0.0; (4.5 * sr) as usize];
    let mut hiss = Noise(99);
    let hiss_peak = 10f32.powf(-60.0 / 20.0) * 3f32.sqrt();
    for s in signal.iter_mut() {
        *s = hiss_peak * hiss.next();
    }
    let notes: [(f32, f32, f32, usize); 8] = [
        (0.30, 196.0, 0.4, 1),
        (0.75, 247.0, 0.3, 1),
        (1.20, 82.4, 0.5, 3),
        (1.80, 330.0, 0.25, 1),
        (2.25, 110.0, 0.5, 3),
        (2.90, 440.0, 0.2, 1),
        (3.30, 147.0, 0.4, 3),
        (3.90, 659.0, 0.15, 1),
    ];
    for (k, &(at, hz, peak, strings)) in notes.iter().enumerate() {
        for string in 0..strings {
            let start = ((at + 0.015 * string as f32) * sr) as usize;
            let hz = hz * [1.0, 1.498, 2.0][string];
            let vibrato_cents = if strings == 1 { 15.0 } else { 0.0 };
            let seed = 11 + 7 * k as u32 + string as u32;
            add_pluck_at(sr, &mut signal, start, hz, peak, 1.5, vibrato_cents, seed);
        }
    }
    (signal, notes.iter().map(|n| n.0).collect())
}

/// The onsets heard in `signal` at `sr`, as times in seconds of the attack sample each reports.
fn onset_times(signal: &[f32], sr: f32) -> Vec<f32> {
    let mut detector = OnsetDetector::new(sr);
    let mut times = Vec::new();
    for (b, block) in signal.chunks(BLOCK).enumerate() {
        let frame = detector.process(block);
        assert!(frame.odf.is_finite());
        assert!(
            frame.change.is_none(),
            "{sr} Hz: no legato change in picked notes"
        );
        if let Some(onset) = frame.onset {
            assert!((onset.offset as usize) < BLOCK);
            times.push((b * BLOCK + onset.offset as usize) as f32 / sr);
        }
    }
    times
}

#[test]
fn every_attack_and_nothing_else_is_heard_at_every_common_sample_rate() {
    for sr in RATES {
        let (signal, attacks) = phrase(sr);
        let heard = onset_times(&signal, sr);
        assert_eq!(
            heard.len(),
            attacks.len(),
            "{sr} Hz: heard {heard:?}, played {attacks:?}"
        );
        for (h, a) in heard.iter().zip(&attacks) {
            // the attack sample reported lies within 7 ms of the pluck (a strum's first string, not a later one)
            assert!(
                (h - a).abs() < 0.007,
                "{sr} Hz: attack at {a} s reported at {h} s"
            );
        }
    }
}

#[test]
fn an_attack_is_reported_in_the_block_that_completes_its_native_block() {
    // at 96 kHz the detector hears 48 kHz blocks of two input blocks: an attack early in a pair is reported at the
    // end of the pair, at most one 64-sample input block (0.7 ms) after the 48 kHz detector would hear it
    for sr in [48_000.0f32, 96_000.0] {
        for start_ms in [100.0f32, 100.3, 100.6, 101.0] {
            let mut signal = vec![0.0; (0.4 * sr) as usize];
            let start = (start_ms / 1000.0 * sr) as usize;
            add_pluck_at(sr, &mut signal, start, 196.0, 0.5, 1.0, 0.0, 3);
            let mut detector = OnsetDetector::new(sr);
            let reported = signal
                .chunks(BLOCK)
                .enumerate()
                .find_map(|(b, block)| detector.process(block).onset.map(|_| (b + 1) * BLOCK))
                .expect("the pluck is heard");
            let delay_ms = (reported - start) as f32 / sr * 1000.0;
            let limit = BLOCK as f32 / 48.0
                + if sr > 48_000.0 {
                    BLOCK as f32 / 96.0
                } else {
                    0.0
                };
            assert!(
                (0.0..=limit + 0.01).contains(&delay_ms),
                "{sr} Hz, pluck at {start_ms} ms: {delay_ms} ms"
            );
        }
    }
}
