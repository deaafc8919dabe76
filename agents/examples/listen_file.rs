//! Offline harness: runs the [`Listener`] over WAV files block by block and writes score.py's detection JSON.
//!
//! `listen_file OUT_DIR WAV...` writes `OUT_DIR/<stem>.json` for each WAV with the onsets, the pitch track, the
//! chord label changes and the beats, each stamped with the time the listener knew it: the end of the block in
//! which it was reported, `(b + 1) * BLOCK / sample_rate` (never back-dated, as /work/shared/guitar-dev/README.md
//! demands).

use agents::listen::{BLOCK, Chord, ChordQuality, Listener};
use serde_json::json;
use std::path::Path;

/// Root names as score.py accepts them, C = 0.
const ROOT_NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// The score.py label of a chord: `Root:quality`, or `N` for no chord.
fn chord_label(chord: Chord) -> String {
    let quality = match chord.quality {
        ChordQuality::None => return "N".to_string(),
        ChordQuality::Major => "maj",
        ChordQuality::Minor => "min",
        ChordQuality::Dominant7 => "7",
        ChordQuality::Major7 => "maj7",
        ChordQuality::Minor7 => "min7",
        ChordQuality::Sus4 => "sus4",
        ChordQuality::Power => "5",
    };
    format!("{}:{}", ROOT_NAMES[usize::from(chord.root % 12)], quality)
}

/// Reads channel 0 of a WAV file as f32 samples in -1..1, with its sample rate.
fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), hound::Error> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.saturating_sub(1))) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()?
        }
    };
    let mono = interleaved.iter().step_by(channels).copied().collect();
    Ok((mono, spec.sample_rate))
}

/// Listens to one file and returns its detection JSON.
fn listen(samples: &[f32], sample_rate: u32) -> serde_json::Value {
    let sr = sample_rate as f32;
    let mut listener = Listener::new(sr);
    let mut onsets = Vec::new();
    let mut pitch = Vec::new();
    let mut chords = Vec::new();
    let mut beats = Vec::new();
    let mut last_hz = f32::NAN;
    let mut last_label = String::new();
    let mut block = [0.0f32; BLOCK];
    for (b, chunk) in samples.chunks(BLOCK).enumerate() {
        block.fill(0.0);
        block[..chunk.len()].copy_from_slice(chunk);
        let heard = listener.process(&block, 0.0);
        let t = ((b + 1) * BLOCK) as f64 / f64::from(sample_rate);
        if heard.onset.is_some() {
            onsets.push(t);
        }
        let hz = if heard.pitch_hz > 0.0 {
            heard.pitch_hz
        } else {
            0.0
        };
        if hz != last_hz {
            pitch.push(json!([t, hz]));
            last_hz = hz;
        }
        let label = chord_label(heard.chord);
        if label != last_label {
            chords.push(json!([t, label]));
            last_label = label;
        }
        if heard.beat.beat.is_some() {
            beats.push(t);
        }
    }
    json!({"onsets": onsets, "pitch": pitch, "chords": chords, "beats": beats})
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out_dir, wavs)) = args.split_first() else {
        eprintln!("usage: listen_file OUT_DIR WAV...");
        std::process::exit(2);
    };
    std::fs::create_dir_all(out_dir)?;
    for wav in wavs {
        let path = Path::new(wav);
        let (samples, sample_rate) = read_wav(path)?;
        let detections = listen(&samples, sample_rate);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
        let out = Path::new(out_dir).join(format!("{stem}.json"));
        std::fs::write(&out, serde_json::to_string(&detections)?)?;
        eprintln!("{} -> {}", wav, out.display());
    }
    Ok(())
}
