//! The pitch tracker on a take recorded very quietly (float samples, no noise floor): a note is a note however far
//! its tail falls, as long as it is periodic.

use agents::listen::BLOCK;

mod pitch_support;

use pitch_support::*;

#[test]
fn a_note_recorded_forty_db_down_is_heard_to_the_end_of_its_tail() {
    // Peaks at -50 dBFS: 40 dB under guitar-dev's loud notes. The tails fell under the -100 dBFS level below which
    // nothing was voiced after about a second (voiced right 0.55 to 0.7 of the last two seconds); in a float
    // file without hiss they are still the note.
    for (k, hz) in [146.83f32, 246.94, 392.0].into_iter().enumerate() {
        let lead_in = (0.2 * RATE) as usize;
        let note = pluck(hz, &guitar_harmonics(), 3.0, 0.003, 90 + k as u32);
        let mut signal = vec![0.0f32; lead_in];
        signal.extend(&note);
        let frames = track(&signal, &[lead_in]);
        let right = right(&frames, lead_in + RATE as usize..frames.len() * BLOCK, hz);
        assert!(
            right >= 0.95,
            "{hz} Hz: right {right} of its last two seconds"
        );
    }
}

#[test]
fn a_faint_tone_never_attacked_is_not_a_note() {
    // A 16-bit take's last bits can hold a periodic trace with no note played (a resampler's pre-echo of the first
    // note, a second before it, at -90 dBFS broadband, -105 dBFS in the tracker's band). Tails of attacked notes are
    // voiced down to -130 dBFS; a pitch heard without an attack only from -100 dBFS.
    for hz in [330.0f32, 440.0, 660.0] {
        let amplitude = 10.0f32.powf(-105.0 / 20.0) * std::f32::consts::SQRT_2;
        let tone: Vec<f32> = (0..(2.0 * RATE) as usize)
            .map(|i| amplitude * (std::f32::consts::TAU * hz * i as f32 / RATE).sin())
            .collect();
        let voiced = track(&tone, &[]).iter().filter(|f| f.hz > 0.0).count();
        assert_eq!(voiced, 0, "{hz} Hz at -105 dBFS: {voiced} blocks voiced");
    }
}
