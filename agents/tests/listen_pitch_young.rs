//! The pitch tracker's first readings of a note, from windows too young to test twice its period: a reading clean
//! enough is trusted at once, without waiting a block for a second one to agree.

mod pitch_support;

use agents::listen::BLOCK;
use pitch_support::*;

/// Blocks from the one holding sample `attack` until the first whose pitch is within 30 cents of `hz`.
fn blocks_to_first(
    frames: &[agents::listen::pitch::PitchFrame],
    attack: usize,
    hz: f32,
) -> Option<usize> {
    let first = attack / BLOCK;
    frames[first..]
        .iter()
        .position(|f| f.hz > 0.0 && (1200.0 * (f.hz / hz).log2()).abs() <= 30.0)
}

#[test]
fn a_clean_note_already_sounding_when_its_attack_is_reported_is_named_from_its_first_reading() {
    // The onset detector reports some notes late: the window then starts in the clean, steady note, and its first
    // reading (16 pairs of samples beyond one period, at 12 kHz) is already right.
    let mut late = vec![];
    for (i, &hz) in [392.0f32, 440.0, 587.33, 659.26, 783.99, 880.0]
        .iter()
        .enumerate()
    {
        for offset in (0..64).step_by(4) {
            let lead_in = 4800 + offset;
            let reported = lead_in + 144;
            let note = pluck(hz, &[1.0, 0.5, 0.25, 0.12], 0.3, 0.5, 60 + i as u32);
            let mut signal = vec![0.0; lead_in];
            signal.extend_from_slice(&note);
            let frames = track(&signal, &[reported]);
            let blocks = blocks_to_first(&frames, reported, hz).unwrap_or(usize::MAX);
            // the block whose end first holds 16 pairs at the period (4 input samples per analysed one)
            let pairs_in =
                (reported % BLOCK + (4.0 * (12_000.0 / hz + 16.0)) as usize).div_ceil(BLOCK) - 1;
            if blocks > pairs_in {
                late.push((hz, offset, blocks, pairs_in));
            }
        }
    }
    // without trusting a clean first reading, about half of them came a block later (46 of 96)
    assert!(
        late.len() <= 8,
        "{} of 96 named later than the block that held 16 pairs: {late:?}",
        late.len()
    );
}
