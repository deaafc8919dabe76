//! The pitch tracker in a room: a damped note's reverberation (the room sounding the note it was fed, a few dB under
//! the direct sound, dying at 60 dB per reverberation time and fading unevenly as the reflections beat) is the end
//! of the note, not the note going on; a note left to ring in the same room stays voiced.

use agents::listen::BLOCK;

mod pitch_support;

use pitch_support::*;

/// `signal` heard in a small room: the direct sound plus a reverberation of `rt60` seconds (seeded noise under an
/// exponential envelope, after an 8 ms pre-delay) whose energy is `db_under` dB below the direct sound's.
fn in_room(signal: &[f32], rt60: f32, db_under: f32, seed: u32) -> Vec<f32> {
    let mut rng = Rng(seed);
    let taps = (0.4 * RATE) as usize;
    let pre_delay = (0.008 * RATE) as usize;
    let mut ir: Vec<f32> = (0..taps)
        .map(|i| {
            let t = i as f32 / RATE;
            if i < pre_delay {
                0.0
            } else {
                rng.noise() * (-6.91 * t / rt60).exp()
            }
        })
        .collect();
    let energy: f32 = ir.iter().map(|x| x * x).sum();
    let gain = 10.0f32.powf(-db_under / 20.0) / energy.sqrt().max(1.0e-9);
    ir.iter_mut().for_each(|x| *x *= gain);
    let mut out = signal.to_vec();
    for (i, &x) in signal.iter().enumerate() {
        if x == 0.0 {
            continue;
        }
        for (o, h) in out[i..].iter_mut().zip(&ir) {
            *o += x * h;
        }
    }
    out
}

/// A note of `hz` picked after 0.1 s of silence and, if `damp_after` is some, damped (30 ms) that long after its
/// attack; then 0.6 s more. Returns the signal and the sample of the damping (or of the end).
fn note(hz: f32, damp_after: Option<f32>, seed: u32) -> (Vec<f32>, usize) {
    let lead_in = 4800;
    let mut signal = vec![0.0; lead_in];
    signal.extend(pluck(hz, &guitar_harmonics(), 1.2, 0.5, seed));
    let damp = lead_in + (damp_after.unwrap_or(1.2) * RATE) as usize;
    if damp_after.is_some() {
        signal = damped(signal, damp, 0.03);
    }
    (signal, damp)
}

#[test]
fn a_note_damped_in_a_room_is_unvoiced_while_the_room_still_sounds_it() {
    let mut voiced_after = Vec::new();
    for (k, hz) in [82.41f32, 146.83, 220.0, 329.63, 440.0]
        .into_iter()
        .enumerate()
    {
        let (dry, damp) = note(hz, Some(0.5), 80 + k as u32);
        let signal = in_room(&dry, 0.5, 8.0, 90 + k as u32);
        let frames = track(&signal, &[4800]);
        let ringing = frames[(4800 + 2400) / BLOCK..damp / BLOCK]
            .iter()
            .filter(|f| f.hz > 0.0 && (f.hz / hz - 1.0).abs() < 0.03)
            .count() as f32
            / ((damp - 7200) / BLOCK) as f32;
        assert!(
            ringing >= 0.95,
            "{hz} Hz: {ringing} of the ringing note right"
        );
        // The score's grace after a damping is 100 ms; the room's tail is about 25 dB down by 0.15 s.
        let from = (damp + (0.15 * RATE) as usize) / BLOCK;
        voiced_after.push(frames[from..].iter().filter(|f| f.hz > 0.0).count());
    }
    let total: usize = voiced_after.iter().sum();
    // Before the longer fall was heard (a room's damping falls about 10 dB in 50 ms, short of a dry damping's 12),
    // these five tails kept 361 blocks voiced; now 243, most of them before the room's tail, having held for a
    // moment, is heard falling on.
    assert!(
        total <= 300,
        "blocks voiced from 150 ms after the damping, per note: {voiced_after:?}"
    );
}

#[test]
fn a_note_left_to_ring_in_a_room_stays_voiced() {
    for (k, hz) in [110.0f32, 246.94, 392.0].into_iter().enumerate() {
        let (dry, end) = note(hz, None, 70 + k as u32);
        let signal = in_room(&dry, 0.5, 8.0, 60 + k as u32);
        let frames = track(&signal, &[4800]);
        let right = right(&frames, 4800 + 2400..end - 2400, hz);
        assert!(right >= 0.97, "{hz} Hz: only {right} of its blocks right");
    }
}

/// Blocks voiced from 0.1 s after the damping on, per note of `hz`, for notes damped 0.4 s after their attack in a
/// room of `rt60` seconds.
fn voiced_in_tails(hz: &[f32], rt60: f32) -> Vec<usize> {
    hz.iter()
        .copied()
        .enumerate()
        .map(|(k, hz)| {
            let (dry, damp) = note(hz, Some(0.4), 40 + k as u32);
            let signal = in_room(&dry, rt60, 8.0, 50 + k as u32);
            let frames = track(&signal, &[4800]);
            let start = (damp + 4800) / BLOCK;
            frames[start..].iter().filter(|f| f.hz > 0.0).count()
        })
        .collect()
}

#[test]
fn a_note_damped_in_a_room_is_not_voiced_again_when_the_rooms_tail_holds_for_a_moment() {
    // Once the damping was heard and over (the room's tail holding for a moment as its reflections beat), the
    // tail read again at the note's pitch or a partial of it was taken for a new note: 220 blocks voiced in the
    // 0.5 s room, 408 in the 0.8 s one; now 100 and 143.
    let hz = [110.0f32, 196.0, 261.63];
    let voiced: Vec<Vec<usize>> = [0.5f32, 0.8]
        .into_iter()
        .map(|rt60| voiced_in_tails(&hz, rt60))
        .collect();
    let total: usize = voiced.iter().flatten().sum();
    assert!(
        total <= 400,
        "blocks voiced from 0.1 s after the damping, per note: {voiced:?}"
    );
}

#[test]
fn a_high_note_damped_in_a_room_is_heard_damped_though_the_room_holds_its_fall_to_the_rooms_rate() {
    // The room's tail sounds G4 and C5 about as loud as their direct sound, so their level falls about 13 dB in
    // 0.1 s after the damping, short of a dry damping's 16: they were voiced 76 and 197 blocks from 0.1 s after it.
    // Their fall over 0.15 s, at the room's rate, is a damping; a free string falls far slower.
    let voiced = voiced_in_tails(&[392.0, 523.25], 0.5);
    assert!(
        voiced.iter().sum::<usize>() <= 100,
        "blocks voiced from 0.1 s after the damping, per note: {voiced:?}"
    );
}

#[test]
fn notes_damped_in_a_hall_are_heard_damped_though_the_hall_falls_slowly() {
    // In a hall of 1 s the tail falls 6 dB in 0.1 s, short of every faster fall that is a damping: these five
    // notes were voiced 669 blocks in all from 0.1 s after their damping. Their fall over 0.3 s at the hall's rate
    // is a damping; a free string, past its first moments, falls far slower.
    let voiced = voiced_in_tails(&[110.0, 196.0, 261.63, 392.0, 523.25], 1.0);
    assert!(
        voiced.iter().sum::<usize>() <= 450,
        "blocks voiced from 0.1 s after the damping, per note: {voiced:?}"
    );
}

#[test]
fn a_soft_note_picked_as_a_loud_one_is_damped_in_a_room_is_heard() {
    // A loud note damped just as one 18 dB softer is picked (its attack heard): the loud note's falling room
    // tail hides the soft note's level, so it too may be heard damped, but it then falls like a string, far slower
    // than a room, and is a note whatever its pitch.
    for (k, (loud_hz, soft_hz)) in [(220.0f32, 246.94f32), (185.0, 247.0), (329.63, 392.0)]
        .into_iter()
        .enumerate()
    {
        let lead_in = 4800;
        let damp = lead_in + 14_400;
        let mut dry = vec![0.0; lead_in];
        dry.extend(pluck(loud_hz, &guitar_harmonics(), 1.0, 0.5, 20 + k as u32));
        dry = damped(dry, damp, 0.03);
        let soft = pluck(
            soft_hz,
            &guitar_harmonics(),
            0.6,
            0.5 * 0.126,
            30 + k as u32,
        );
        for (x, s) in dry[damp..].iter_mut().zip(&soft) {
            *x += s;
        }
        let signal = in_room(&dry, 0.5, 8.0, 35 + k as u32);
        let frames = track(&signal, &[lead_in, damp]);
        let right = right(&frames, damp + 4800..damp + 26_400, soft_hz);
        assert!(
            right >= 0.9,
            "{loud_hz} -> {soft_hz} Hz: only {right} of the soft note right"
        );
    }
}
