//! Criterion bench of the listener: one 64-sample block of `Listener::process` in steady state, beside the onset
//! detector alone and the level meter alone (the onset + level share of the budget).

use agents::listen::level::LevelMeter;
use agents::listen::onset::OnsetDetector;
use agents::listen::{BLOCK, Listener};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use std::f32::consts::TAU;

const SR: f32 = 48_000.0;

/// Four seconds of strummed chords (four strings, 8 ms apart, twice a second) over hiss: a realistic load, with
/// onsets, ringing notes and changing chords.
fn guitar_signal() -> Vec<f32> {
    let len = (4.0 * SR) as usize;
    let mut seed = 0x9e37_79b9u32;
    let mut signal: Vec<f32> = (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32 - 0.5) * 0.003
        })
        .collect();
    let chords = [
        [110.0, 164.8, 220.0, 261.6],
        [98.0, 146.8, 196.0, 246.9],
        [87.3, 130.8, 174.6, 220.0],
    ];
    for (n, start) in (0..len).step_by(24_000).enumerate() {
        for (string, hz) in chords[n % chords.len()].into_iter().enumerate() {
            let onset = start + string * 384;
            for (i, s) in signal.iter_mut().skip(onset).enumerate() {
                let t = i as f32 / SR;
                let mut v = 0.0;
                for k in 1..8 {
                    let h = k as f32;
                    v += (TAU * hz * h * t).sin() / h * (-t * h.sqrt() / 0.7).exp();
                }
                *s += 0.08 * v;
            }
        }
    }
    signal
}

fn bench_listen(c: &mut Criterion) {
    let signal = guitar_signal();
    let blocks: Vec<&[f32]> = signal.chunks_exact(BLOCK).collect();
    let mut group = c.benchmark_group("listen");

    let mut listener = Listener::new(SR);
    for block in &blocks {
        listener.process(block, 0.0);
    }
    let mut next = 0;
    group.bench_function("block", |b| {
        b.iter(|| {
            next = (next + 1) % blocks.len();
            black_box(listener.process(black_box(blocks[next]), 0.0))
        })
    });

    let mut onset = OnsetDetector::new(SR);
    let mut level = LevelMeter::new(SR);
    for block in &blocks {
        onset.process(block);
    }
    group.bench_function("onset_and_level", |b| {
        b.iter(|| {
            next = (next + 1) % blocks.len();
            let block = black_box(blocks[next]);
            black_box((onset.process(block), level.process(block)))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_listen);
criterion_main!(benches);
