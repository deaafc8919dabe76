//! A take to analyse: read from any PCM or float WAV file, mixed to mono, written back as the mono float WAV
//! the server plays.

use anyhow::{Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// A take, mixed to mono, at its own sample rate.
pub struct Take {
    /// The file it came from.
    pub path: PathBuf,
    /// The file name without its extension, for naming what is written about it.
    pub stem: String,
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

impl Take {
    /// Reads `path`; every failure is one sentence naming the file and saying to give a WAV file. A file cut short is
    /// read as far as it goes, with a warning.
    pub fn read(path: &Path) -> Result<Take> {
        let name = path.display();
        let samples_and_rate = read_mono(path)
            .map_err(|reason| anyhow!("cannot read {name}: {reason}; give a WAV file"))?;
        let (samples, sample_rate, cut) = samples_and_rate;
        if samples.is_empty() {
            bail!("cannot read {name}: it holds no audio; give a WAV file");
        }
        if let Some(Cut { read, promised }) = cut {
            let seconds = |frames: usize| frames as f64 / f64::from(sample_rate.max(1));
            eprintln!(
                "performia: {name} ends early ({:.1} s of the {:.1} s its header says): listening to what is there",
                seconds(read),
                seconds(promised)
            );
        }
        let stem = path
            .file_stem()
            .map_or_else(|| "take".to_owned(), |s| s.to_string_lossy().into_owned());
        Ok(Take {
            path: path.to_path_buf(),
            stem,
            sample_rate,
            samples,
        })
    }

    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }

    /// Appends `seconds` of the take's resting level: the mean of its last 50 ms, its DC offset (zero for most
    /// takes). Rendering on past the end of a take with an offset, the step down to zero would be heard as an
    /// attack; an input that goes on does not stop there.
    pub fn ring_out(&mut self, seconds: f64) {
        let recent = ((0.05 * f64::from(self.sample_rate)) as usize).clamp(1, self.samples.len());
        let tail = &self.samples[self.samples.len() - recent..];
        let resting = tail.iter().map(|&x| f64::from(x)).sum::<f64>() / recent as f64;
        let length = self.samples.len() + (seconds * f64::from(self.sample_rate)) as usize;
        self.samples.resize(length, resting as f32);
    }

    /// Writes the take as a mono 32-bit float WAV at its sample rate: the file the server reads.
    pub fn write_mono_float(&self, path: &Path) -> Result<()> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(path, spec)?;
        for &sample in &self.samples {
            writer.write_sample(sample)?;
        }
        writer.finalize()?;
        Ok(())
    }
}

/// The samples of `path` averaged over its channels, and its sample rate. A file that ends before its header says
/// (a recorder stopped by a crash or a full disk) is read as far as it goes; `Cut` says how far.
fn read_mono(path: &Path) -> Result<(Vec<f32>, u32, Option<Cut>), hound::Error> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let promised = reader.len() as usize;
    let mut interleaved = Vec::with_capacity(promised);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            read_until_cut(reader.samples::<f32>(), |s| s, &mut interleaved)?
        }
        hound::SampleFormat::Int => {
            // Full scale of a signed integer of this width is 2^(bits-1).
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            read_until_cut(
                reader.samples::<i32>(),
                |s| s as f32 * scale,
                &mut interleaved,
            )?
        }
    };
    let cut = (interleaved.len() < promised).then(|| Cut {
        read: interleaved.len() / channels,
        promised: promised / channels,
    });
    let mono = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((mono, spec.sample_rate, cut))
}

/// How much of a file that ends early was there: frames read, and frames its header promised.
struct Cut {
    read: usize,
    promised: usize,
}

/// Appends samples to `out` until the file ends; an error before the first sample is the file's error.
fn read_until_cut<T>(
    samples: impl Iterator<Item = Result<T, hound::Error>>,
    convert: impl Fn(T) -> f32,
    out: &mut Vec<f32>,
) -> Result<(), hound::Error> {
    for sample in samples {
        match sample {
            Ok(sample) => out.push(convert(sample)),
            Err(_) if !out.is_empty() => break,
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
