//! `performia demo`: the main job on an embedded default. Makes a guitar take of its own (strummed chords,
//! then a melody, plucked Karplus-Strong strings at 100 bpm), renders it through the band's listener in
//! supernova and prints what the listener heard. Until the band plays along, hearing is the job.

use crate::analyze;
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::PathBuf;

/// Write the demo take, listen to it with PerfListen (and SuperCollider's own detectors), print a summary.
#[derive(clap::Args)]
pub struct Args {
    /// Folder for demo_take.wav, demo_take.json (what PerfListen heard) and sc/demo_take.json.
    #[arg(short, long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Folder holding the installed `Performia` extension (default: SuperCollider's user extension folder).
    #[arg(long, value_name = "DIR")]
    extensions: Option<PathBuf>,
}

pub const SAMPLE_RATE: u32 = 48_000;
const BPM: f64 = 100.0;

/// Open-position voicings (MIDI notes, low string first): G, D, Em, C.
const CHORDS: [&[u8]; 4] = [&[43, 47, 50, 55, 59, 67], &[50, 57, 62, 66], &[40, 47, 52, 55, 59, 64], &[48, 52, 55, 60, 64]];
/// The melody of bars 5–8, in eighth notes (MIDI notes; 0 = rest).
const MELODY: [u8; 32] = [
    67, 69, 71, 74, 71, 69, 67, 0, 66, 67, 69, 74, 69, 66, 62, 0, 64, 66, 67, 71, 67, 66, 64, 0, 60, 64, 67, 72,
    71, 67, 64, 0,
];

/// A plucked string (Karplus-Strong), added into `out` from sample `start`.
fn pluck(out: &mut [f32], start: usize, midi: u8, velocity: f32, seed: &mut u32) {
    let hz = 440.0 * 2f32.powf((f32::from(midi) - 69.0) / 12.0);
    let period = (SAMPLE_RATE as f32 / hz).round().max(2.0) as usize;
    let mut line: Vec<f32> = (0..period)
        .map(|_| {
            // xorshift: a fixed seed, so the take is the same every time.
            *seed ^= *seed << 13;
            *seed ^= *seed >> 17;
            *seed ^= *seed << 5;
            (*seed as f32 / u32::MAX as f32 * 2.0 - 1.0) * velocity
        })
        .collect();
    let length = (SAMPLE_RATE as usize * 2).min(out.len().saturating_sub(start));
    for i in 0..length {
        let j = i % period;
        let next = line[(j + 1) % period];
        out[start + i] += line[j] * 0.5;
        line[j] = 0.5 * (line[j] + next) * 0.996;
    }
}

/// The demo take: 4 bars of strummed chords (a strum on every beat, strings 8 ms apart), 4 bars of melody.
pub fn demo_take() -> Vec<f32> {
    let beat = (60.0 / BPM * f64::from(SAMPLE_RATE)) as usize;
    let lead_in = SAMPLE_RATE as usize / 2;
    let mut out = vec![0.0f32; lead_in + beat * 34];
    let mut seed = 0x1234_5678;
    for (bar, chord) in CHORDS.iter().enumerate() {
        for b in 0..4 {
            let start = lead_in + (bar * 4 + b) * beat;
            let accent = if b == 0 { 0.9 } else { 0.6 };
            for (string, &midi) in chord.iter().enumerate() {
                pluck(&mut out, start + string * SAMPLE_RATE as usize * 8 / 1000, midi, accent, &mut seed);
            }
        }
    }
    for (i, &midi) in MELODY.iter().enumerate() {
        if midi != 0 {
            pluck(&mut out, lead_in + 16 * beat + i * beat / 2, midi, 0.8, &mut seed);
        }
    }
    let peak = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    out.iter_mut().for_each(|x| *x *= 0.5 / peak);
    out
}

pub fn run(args: &Args) -> Result<()> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let take_path = args.out.join("demo_take.wav");
    let spec = hound::WavSpec { channels: 1, sample_rate: SAMPLE_RATE, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut writer = hound::WavWriter::create(&take_path, spec)?;
    for x in demo_take() {
        writer.write_sample(x)?;
    }
    writer.finalize()?;
    println!("wrote {} (G D Em C strummed at {BPM} bpm, then a melody)", take_path.display());

    analyze::run(&analyze::Args::new(vec![take_path], Some(args.out.clone()), args.extensions.clone(), true))?;
    for (who, path) in [("PerfListen", args.out.join("demo_take.json")), ("SuperCollider", args.out.join("sc/demo_take.json"))] {
        let heard: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let list = |key: &str| heard[key].as_array().map_or(0, Vec::len);
        let beats: Vec<f64> = heard["beats"].as_array().map_or(vec![], |b| b.iter().filter_map(Value::as_f64).collect());
        let tempo = median_tempo(&beats);
        let chords: Vec<(f64, &str)> = heard["chords"]
            .as_array()
            .map_or(vec![], |c| c.iter().filter_map(|c| Some((c[0].as_f64()?, c[1].as_str()?))).collect());
        let played = CHORDS.len() * 4 + MELODY.iter().filter(|&&m| m != 0).count();
        println!("{who:>13}: {} onsets ({played} played), {} beats, tempo {tempo:.0} bpm (played {BPM})", list("onsets"), beats.len());
        if !chords.is_empty() {
            let bars: Vec<&str> = (0..CHORDS.len()).map(|bar| longest_label(&chords, bar)).collect();
            println!("{:>13}  chord of bars 1-4: {} (played G:maj D:maj E:min C:maj)", "", bars.join(" "));
        }
    }
    Ok(())
}

/// The label held longest during `bar` (0-based, 4 beats) of the take.
fn longest_label<'a>(chords: &[(f64, &'a str)], bar: usize) -> &'a str {
    let beat = 60.0 / BPM;
    let (start, end) = (0.5 + bar as f64 * 4.0 * beat, 0.5 + (bar + 1) as f64 * 4.0 * beat);
    let mut best = ("N", 0.0);
    for (i, &(from, label)) in chords.iter().enumerate() {
        let to = chords.get(i + 1).map_or(f64::INFINITY, |c| c.0);
        let held = to.min(end) - from.max(start);
        if held > best.1 {
            best = (label, held);
        }
    }
    best.0
}

fn median_tempo(beats: &[f64]) -> f64 {
    let mut gaps: Vec<f64> = beats.windows(2).map(|w| w[1] - w[0]).filter(|g| *g > 0.2).collect();
    gaps.sort_by(f64::total_cmp);
    gaps.get(gaps.len() / 2).map_or(0.0, |g| 60.0 / g)
}
