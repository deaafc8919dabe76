//! The pitch tracker over mains hum: notes whose partials sit on a mains harmonic, repeated for seconds with no
//! quiet moment, leave no ghost of themselves in the learnt hum (heard as the note going on once it is over), and
//! notes heard while the hum is not learnt are still named right.

use agents::listen::BLOCK;

mod pitch_support;

use pitch_support::*;

/// One second of `mains_hz` hum alone, then `hz` picked every `step` seconds for `seconds`, each pick damped
/// (20 ms) as the next comes, the last at the end, then hum alone; returns the signal, the attacks and the end.
fn repeated_over_hum(
    mains_hz: f32,
    hz: f32,
    step: f32,
    seconds: f32,
    peak: f32,
) -> (Vec<f32>, Vec<usize>, usize) {
    let mut signal = pure_hum(mains_hz, -40.0, ((seconds + 3.0) * RATE) as usize);
    let (first, step) = (48_000 + 5, (step * RATE) as usize);
    let count = (seconds * RATE) as usize / step;
    let attacks: Vec<usize> = (0..count).map(|i| first + i * step).collect();
    for (i, &attack) in attacks.iter().enumerate() {
        let note = damped(
            pluck(hz, &guitar_harmonics(), 1.0, peak, 40 + i as u32),
            step,
            0.02,
        );
        for (x, n) in signal[attack..].iter_mut().zip(&note) {
            *x += n;
        }
    }
    (signal, attacks, first + count * step)
}

#[test]
fn a_note_on_a_mains_harmonic_repeated_for_seconds_leaves_no_ghost_in_the_hum() {
    // E5 (659.3 Hz) is 11 x 60 Hz and the 4th harmonic of E3; F4 (349.2 Hz) is 7 x 50 Hz. Over seconds of such
    // notes the hum's waveform, learnt under their quiet tails, took them in; subtracting it once they were over
    // left a ghost at their pitch, heard as the note going on.
    for (mains, hz) in [(60.0f32, 164.81f32), (50.0, 349.23), (60.0, 659.26)] {
        let (signal, attacks, end) = repeated_over_hum(mains, hz, 0.3, 3.0, 0.05);
        let frames = track(&signal, &attacks);
        let after = (end + (0.1 * RATE) as usize) / BLOCK;
        let voiced_after = frames[after..].iter().filter(|f| f.hz > 0.0).count();
        assert_eq!(
            voiced_after, 0,
            "{hz} Hz over {mains} Hz hum: blocks voiced from 100 ms after the last damping"
        );
    }
}

#[test]
fn notes_over_hum_from_the_first_sample_are_named_and_the_hum_after_them_is_unvoiced() {
    // No hum alone before the notes: the waveform cannot learn until the first quiet moment after them, and
    // what is heard meanwhile is the notes over unremoved hum. The hum read as a note once they are over must not
    // hold the learning back for good (it did: the hum was voiced to the end).
    for (mains, hz) in [(60.0f32, 220.0f32), (50.0, 329.63), (60.0, 110.0)] {
        let mut signal = pure_hum(mains, -40.0, 5 * 48_000);
        let step = (0.4 * RATE) as usize;
        let attacks: Vec<usize> = (0..5).map(|i| 3 + i * step).collect();
        for (i, &attack) in attacks.iter().enumerate() {
            let note = damped(
                pluck(
                    hz * if i % 2 == 0 { 1.0 } else { 1.5 },
                    &guitar_harmonics(),
                    1.0,
                    0.1,
                    60 + i as u32,
                ),
                step,
                0.02,
            );
            for (x, n) in signal[attack..].iter_mut().zip(&note) {
                *x += n;
            }
        }
        let frames = track(&signal, &attacks);
        for (i, &attack) in attacks.iter().enumerate() {
            let note_hz = hz * if i % 2 == 0 { 1.0 } else { 1.5 };
            let (from, to) = ((attack + 1_440) / BLOCK, (attack + step - 480) / BLOCK);
            let right = frames[from..to]
                .iter()
                .filter(|f| f.hz > 0.0 && (1200.0 * (f.hz / note_hz).log2()).abs() < 30.0)
                .count();
            assert!(
                10 * right >= 9 * (to - from),
                "{note_hz} Hz over {mains} Hz hum from the first sample: {right} of {} blocks right",
                to - from
            );
        }
        // The waveform starts learning at the latest a second after the last attack; it is subtracted soon after.
        let after = (attacks[4] + (1.3 * RATE) as usize) / BLOCK;
        let voiced_after = frames[after..].iter().filter(|f| f.hz > 0.0).count();
        assert_eq!(
            voiced_after, 0,
            "{hz} Hz over {mains} Hz hum: blocks voiced from 1.3 s after the last attack"
        );
    }
}
