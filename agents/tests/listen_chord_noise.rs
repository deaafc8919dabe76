//! Tests of the chord tracker on noise that starts suddenly (a burst of hiss, a scrape, a cable touched): no chord.

use agents::listen::ChordQuality;

mod chord_support;

use chord_support::*;

/// Bursts of white noise at `level`, each 0.3 s long and told to the tracker as an attack, one every 1.2 s (longer
/// than a chord's hold over silence), each with its own seed; how many were labelled a chord at any block.
fn bursts_named(level: f32, bursts: usize) -> usize {
    let mut signal = vec![0.0f32; (1.2 * bursts as f32 * RATE) as usize];
    let mut onsets = Vec::new();
    for k in 0..bursts {
        let start = (1.2 * k as f32 * RATE) as usize;
        let mut rng = XorShift(0x9e37_79b9 ^ (k as u32 * 7919 + 1));
        for y in signal.iter_mut().skip(start).take((0.3 * RATE) as usize) {
            *y = level * rng.next();
        }
        onsets.push(start / agents::listen::BLOCK);
    }
    let labels = track_with_onsets(&signal, &onsets);
    let per_burst = labels.len() / bursts;
    labels
        .chunks(per_burst.max(1))
        .filter(|burst| burst.iter().any(|c| c.quality != ChordQuality::None))
        .count()
}

#[test]
fn bursts_of_white_noise_are_no_chord() {
    for level in [0.3, 0.03] {
        let named = bursts_named(level, 24);
        assert_eq!(named, 0, "{named} of 24 bursts at {level} named a chord");
    }
}
