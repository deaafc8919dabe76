//! Tests of the level meter: RMS with a short release, always finite.

use agents::listen::BLOCK;
use agents::listen::level::LevelMeter;
use std::f32::consts::TAU;

const SR: f32 = 48_000.0;

fn sine_block(amplitude: f32, b: usize) -> [f32; BLOCK] {
    std::array::from_fn(|i| amplitude * (TAU * 750.0 * (b * BLOCK + i) as f32 / SR).sin())
}

#[test]
fn level_of_a_steady_sine_is_its_rms() {
    let mut meter = LevelMeter::new(SR);
    let mut level = 0.0;
    for b in 0..200 {
        level = meter.process(&sine_block(0.5, b));
    }
    assert!((level - 0.5 / 2f32.sqrt()).abs() < 0.01, "level {level}");
}

#[test]
fn level_rises_at_once_and_falls_smoothly_after_the_sound_stops() {
    let mut meter = LevelMeter::new(SR);
    let first = meter.process(&sine_block(0.5, 0));
    assert!(first > 0.3, "attack is immediate: {first}");
    let silence = [0.0; BLOCK];
    let after_one = meter.process(&silence);
    assert!(
        after_one > 0.9 * first && after_one < first,
        "release is smooth: {after_one}"
    );
    let mut level = after_one;
    for _ in 0..((0.5 * SR) as usize / BLOCK) {
        level = meter.process(&silence);
    }
    assert!(level < 1e-3, "after half a second of silence: {level}");
    for _ in 0..100_000 {
        level = meter.process(&silence);
    }
    assert!(level == 0.0 || level.is_normal(), "no denormal: {level}");
}

#[test]
fn non_finite_input_gives_a_finite_level() {
    let mut meter = LevelMeter::new(SR);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX] {
        let level = meter.process(&[bad; BLOCK]);
        assert!(level.is_finite() && level >= 0.0, "{bad}: {level}");
    }
    assert!(meter.process(&sine_block(0.1, 0)).is_finite());
}
