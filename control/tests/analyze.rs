//! `performia analyze` end to end: a take made here is rendered through `PerfListen` by the real supernova and
//! the detection JSON says where its plucks are and what they play.

#[path = "../../plugin/tests/support/mod.rs"]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{extension_dir, plucked_take, read_channels, scratch, write_float_wav};

const SR: u32 = 48_000;
const BLOCK: usize = 64;
/// (start sample, Hz) of each pluck. The first starts on the take's very first sample, so only a listener that
/// hears sample 0 (buffer read in time, listener built before the first block) reports it in block 0.
const PLUCKS: [(usize, f32); 3] = [(0, 220.0), (26_000, 329.63), (55_000, 146.83)];
const LENGTH: usize = 84_000;
/// Samples each pluck lasts.
const NOTE: usize = 24_000;

fn take() -> Vec<f32> {
    plucked_take(&PLUCKS, LENGTH, NOTE)
}

/// The same take as 16-bit stereo, both channels equal: what a recorder writes.
fn write_stereo_16(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &x in samples {
        let pcm = (x * 32_767.0).round() as i16;
        writer.write_sample(pcm).unwrap();
        writer.write_sample(pcm).unwrap();
    }
    writer.finalize().unwrap();
}

/// Runs `performia args...` in `dir`; returns (succeeded, stderr).
fn performia(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_performia"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ext() -> &'static str {
    extension_dir().to_str().unwrap()
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn times(json: &Value, key: &str) -> Vec<f64> {
    json[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        .iter()
        .map(|t| t.as_f64().unwrap())
        .collect()
}

/// The pitch a `[[t, hz], ...]` track holds at `t`.
fn pitch_at(json: &Value, t: f64) -> f64 {
    let track = json["pitch"].as_array().expect("a pitch track");
    let held = track
        .iter()
        .take_while(|point| point[0].as_f64().unwrap() <= t)
        .last();
    held.map_or(0.0, |point| point[1].as_f64().unwrap())
}

/// Analyses the float take alone with `--keep-work`, once for the tests that read it.
fn analysed() -> &'static (Value, PathBuf) {
    static RESULT: std::sync::OnceLock<(Value, PathBuf)> = std::sync::OnceLock::new();
    RESULT.get_or_init(|| {
        let dir = scratch("control_analyze");
        write_float_wav(&dir.join("take.wav"), &take());
        let (ok, stderr) = performia(
            &dir,
            &[
                "analyze",
                "take.wav",
                "-o",
                "out.json",
                "--extensions",
                ext(),
                "--keep-work",
                "work",
            ],
        );
        assert!(ok, "performia analyze failed:\n{stderr}");
        (read_json(&dir.join("out.json")), dir)
    })
}

#[test]
fn every_pluck_is_one_onset_reported_at_the_end_of_its_block_a_few_ms_after_it() {
    let (json, _) = analysed();
    let onsets = times(json, "onsets");
    let after = |onset: f64, start: usize| onset - start as f64 / f64::from(SR);
    for onset in &onsets {
        // Reported at a block end, never inside a block, and only just after a pluck.
        let samples = onset * f64::from(SR);
        assert!(
            (samples / BLOCK as f64 - (samples / BLOCK as f64).round()).abs() < 1e-6,
            "onset at {samples} samples"
        );
        assert!(
            PLUCKS
                .iter()
                .any(|&(start, _)| (0.0..=0.006).contains(&after(*onset, start))),
            "stray onset {onset}"
        );
    }
    // The onset detector starts inside its 50 ms refractory time (agents/src/listen/onset.rs), so a pluck on
    // the very first sample is not required to be an onset; every later pluck is exactly one.
    for (start, _) in &PLUCKS[1..] {
        let heard: Vec<&f64> = onsets
            .iter()
            .filter(|&&t| after(t, *start) > 0.0 && after(t, *start) <= 0.006)
            .collect();
        assert_eq!(heard.len(), 1, "pluck at {start}: onsets {onsets:?}");
    }
}

#[test]
fn the_first_sample_of_the_take_reaches_the_listener_intact_in_block_zero() {
    let (_, dir) = analysed();
    let render = std::fs::read_dir(dir.join("work"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let channels = read_channels(&render.join("render.wav"));
    assert_eq!(channels.len(), 10);
    // The input as the synth played it is the take, sample for sample, from sample 0.
    let samples = take();
    assert_eq!(&channels[9][..LENGTH], &samples[..]);
    // PerfListen's level (output 1) of block 0 is the RMS of the take's first 64 samples (its meter takes a
    // block's RMS at once): zero if the listener were not built by then, another value if the take were late.
    let rms = (samples[..BLOCK].iter().map(|x| x * x).sum::<f32>() / BLOCK as f32).sqrt();
    assert!(rms > 0.01, "the take does not start with a pluck");
    let level = channels[1][BLOCK - 1];
    assert!(
        (level - rms).abs() <= 1e-4 * rms,
        "level of block 0 is {level}, the take's first block has RMS {rms}"
    );
}

#[test]
fn the_pitch_track_holds_each_plucks_frequency_and_chords_and_beats_are_reported() {
    let (json, _) = analysed();
    for (start, hz) in PLUCKS {
        let heard = pitch_at(json, (start + 7_200) as f64 / f64::from(SR));
        let cents = 1200.0 * (heard / f64::from(hz)).log2();
        assert!(
            cents.abs() < 30.0,
            "pluck of {hz} Hz at {start}: heard {heard} Hz"
        );
    }
    assert!(
        json["chords"].is_array() && json["beats"].is_array(),
        "chords and beats are reported: {json}"
    );
}

#[test]
fn offline_analysis_reports_what_the_server_reports_to_the_block() {
    let (served, dir) = analysed();
    let (ok, stderr) = performia(
        dir,
        &["analyze", "take.wav", "-o", "offline.json", "--offline"],
    );
    assert!(ok, "performia analyze --offline failed:\n{stderr}");
    let offline = read_json(&dir.join("offline.json"));
    // The same DSP on the same blocks from sample 0: every detection at the same block end, every value equal.
    for key in ["onsets", "pitch", "chords", "beats"] {
        assert_eq!(offline[key], served[key], "{key} differ");
    }
    assert!(
        !times(&offline, "onsets").is_empty(),
        "nothing was heard: {offline}"
    );
}

#[test]
fn a_take_recorded_at_96_khz_is_heard_on_the_server_as_offline_each_pluck_once() {
    // The take's samples declared at 96 kHz: plucks an octave higher at half the times. The server renders at the
    // take's rate and PerfListen hears it decimated to 48 kHz (agents/src/listen/onset/rate.rs).
    const RATE: u32 = 2 * SR;
    let dir = scratch("control_analyze_96k");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(dir.join("take96.wav"), spec).unwrap();
    take().iter().for_each(|&x| writer.write_sample(x).unwrap());
    writer.finalize().unwrap();
    let (ok, stderr) = performia(
        &dir,
        &[
            "analyze",
            "take96.wav",
            "-o",
            "served.json",
            "--extensions",
            ext(),
        ],
    );
    assert!(ok, "performia analyze at 96 kHz failed:\n{stderr}");
    let (ok, stderr) = performia(
        &dir,
        &["analyze", "take96.wav", "-o", "offline.json", "--offline"],
    );
    assert!(
        ok,
        "performia analyze --offline at 96 kHz failed:\n{stderr}"
    );
    let (served, offline) = (
        read_json(&dir.join("served.json")),
        read_json(&dir.join("offline.json")),
    );
    for key in ["onsets", "pitch", "chords", "beats"] {
        assert_eq!(offline[key], served[key], "{key} differ at 96 kHz");
    }
    let onsets = times(&served, "onsets");
    for (start, hz) in &PLUCKS[1..] {
        let at = *start as f64 / f64::from(RATE);
        let heard = onsets
            .iter()
            .filter(|&&t| (0.0..=0.004).contains(&(t - at)))
            .count();
        assert_eq!(heard, 1, "pluck at {at} s: onsets {onsets:?}");
        let pitch = pitch_at(&served, at + 0.075);
        let cents = 1200.0 * (pitch / f64::from(2.0 * hz)).log2();
        assert!(
            cents.abs() < 30.0,
            "pluck of {} Hz at {at} s: heard {pitch} Hz",
            2.0 * hz
        );
    }
    assert!(onsets.len() <= PLUCKS.len(), "stray onsets: {onsets:?}");
}

#[test]
fn a_take_with_a_dc_offset_makes_no_onset_where_it_ends() {
    // Rendered past its end, a take whose samples sit on an offset (a cheap interface's) would step down to zero:
    // a click every detector hears. The render goes on at the take's resting level instead.
    let dir = scratch("control_analyze_dc");
    let offset: Vec<f32> = take().iter().map(|x| x + 0.02).collect();
    write_float_wav(&dir.join("offset.wav"), &offset);
    let (ok, stderr) = performia(
        &dir,
        &[
            "analyze",
            "offset.wav",
            "-o",
            "offset.json",
            "--extensions",
            ext(),
        ],
    );
    assert!(ok, "performia analyze failed:\n{stderr}");
    let onsets = times(&read_json(&dir.join("offset.json")), "onsets");
    let last_pluck = PLUCKS[PLUCKS.len() - 1].0 as f64 / f64::from(SR);
    assert!(
        onsets.iter().any(|&t| t > last_pluck),
        "the last pluck is heard: {onsets:?}"
    );
    assert!(
        onsets.iter().all(|&t| t < last_pluck + 0.05),
        "an onset after the last pluck: {onsets:?}"
    );
}

#[test]
fn compare_sc_writes_supercollider_detections_beside_ours_for_every_take() {
    let dir = scratch("control_analyze_compare_sc");
    let samples = take();
    write_float_wav(&dir.join("float.wav"), &samples);
    write_stereo_16(&dir.join("stereo.wav"), &samples);
    let args = [
        "analyze",
        "float.wav",
        "stereo.wav",
        "-o",
        "det",
        "--compare-sc",
        "--jobs",
        "2",
        "--extensions",
        ext(),
    ];
    let (ok, stderr) = performia(&dir, &args);
    assert!(ok, "performia analyze --compare-sc failed:\n{stderr}");

    let ours = times(&read_json(&dir.join("det/float.json")), "onsets");
    // A 16-bit stereo copy is mixed to the same mono take: the same onsets, within a block.
    let stereo = times(&read_json(&dir.join("det/stereo.json")), "onsets");
    assert_eq!(
        ours.len(),
        stereo.len(),
        "float {ours:?}, stereo {stereo:?}"
    );
    assert!(
        ours.iter()
            .zip(&stereo)
            .all(|(a, b)| (a - b).abs() <= BLOCK as f64 / f64::from(SR) + 1e-9)
    );

    for stem in ["float", "stereo"] {
        let sc = read_json(&dir.join(format!("det/sc/{stem}.json")));
        let onsets = times(&sc, "onsets");
        assert!(
            !onsets.is_empty(),
            "SuperCollider's Onsets found nothing in {stem}: {sc}"
        );
        for onset in &onsets {
            let after_a_pluck = PLUCKS
                .iter()
                .any(|&(start, _)| (0.0..0.05).contains(&(onset - start as f64 / f64::from(SR))));
            assert!(
                after_a_pluck,
                "SC onset at {onset} s is not just after a pluck ({stem})"
            );
        }
        assert!(
            sc["pitch"].is_array() && sc["beats"].is_array(),
            "SC pitch and beats missing: {sc}"
        );
        assert!(
            sc.get("chords").is_none(),
            "SC has no chord detector, yet chords were written: {sc}"
        );
    }
}

#[test]
fn a_file_that_is_not_audio_gives_one_line_that_says_so_and_fails() {
    let dir = scratch("control_analyze_garbage");
    std::fs::write(
        dir.join("garbage.wav"),
        "these are not the samples you are looking for",
    )
    .unwrap();
    for file in ["garbage.wav", "missing.wav"] {
        let (ok, stderr) = performia(&dir, &["analyze", file, "--extensions", "/nonexistent"]);
        assert!(!ok, "analyze accepted {file}");
        assert_eq!(stderr.lines().count(), 1, "not one line:\n{stderr}");
        let start = format!("performia: cannot read {file}: ");
        assert!(
            stderr.starts_with(&start) && stderr.trim_end().ends_with("; give a WAV file"),
            "{stderr}"
        );
    }
    assert!(!dir.join("garbage.json").exists() && !dir.join("missing.json").exists());
}

#[test]
fn a_take_cut_short_by_a_crashed_recorder_is_heard_as_far_as_it_goes_with_a_warning() {
    let dir = scratch("control_analyze_cut");
    write_stereo_16(&dir.join("whole.wav"), &take());
    let bytes = std::fs::read(dir.join("whole.wav")).unwrap();
    // The header still promises the whole take; the data stops after the second pluck, mid-frame.
    let kept = 44 + 4 * 40_000 + 3;
    std::fs::write(dir.join("cut.wav"), &bytes[..kept]).unwrap();
    let (ok, stderr) = performia(
        &dir,
        &[
            "analyze",
            "cut.wav",
            "-o",
            "cut.json",
            "--extensions",
            ext(),
        ],
    );
    assert!(ok, "performia analyze refused the cut take:\n{stderr}");
    assert!(
        stderr.contains("cut.wav ends early (0.8 s of the 1.8 s its header says)"),
        "no warning: {stderr}"
    );
    let onsets = times(&read_json(&dir.join("cut.json")), "onsets");
    // (a pluck on the very first sample need not be an onset: see the first test)
    let second = PLUCKS[1].0 as f64 / f64::from(SR);
    assert!(
        onsets.iter().any(|&o| o > second && o < second + 0.01),
        "the pluck before the cut is not heard: {onsets:?}"
    );
    assert!(
        onsets.iter().all(|&o| o < 0.85),
        "onsets after the cut: {onsets:?}"
    );
}
