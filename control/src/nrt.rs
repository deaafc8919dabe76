//! Non-real-time rendering with supernova: write a score of timed OSC commands, run the server over it, read
//! the rendered channels back.
//!
//! Supernova's NRT mode ignores its input file (sc-plugin-facts.md trap 15), so a take is fed by
//! `/b_allocRead` at time 0 and played with `PlayBuf` inside the synth; it stops at the time of the last
//! bundle, so a score ends with a bundle at the length it should render.

use crate::detections::BlockValues;
use anyhow::{Context, Result, bail};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};
use std::fs::{self, File};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The core plugins, which `-U` replaces unless listed (sc-plugin-facts.md trap 3).
pub const CORE_PLUGINS: &str = "/usr/lib/SuperCollider/plugins";
/// The server's control block: triggers and control-rate values are known at the end of a block.
pub const BLOCK: usize = 64;
/// Lines of a server log that mean the render is not what the score asked for.
const FAILURE_SIGNS: [&str; 5] = ["not installed", "ERROR", "FAILURE", "panicked", "not found"];

/// Timed OSC commands, played in time order (commands at the same time in the order they were added).
#[derive(Default)]
pub struct Score {
    commands: Vec<(f64, OscMessage)>,
}

impl Score {
    /// Adds the command `address args` at `time` seconds.
    pub fn at(&mut self, time: f64, address: &str, args: Vec<OscType>) -> &mut Self {
        self.commands.push((
            time,
            OscMessage {
                addr: address.to_owned(),
                args,
            },
        ));
        self
    }

    /// Writes the score in the NRT file format: each bundle preceded by its length as a big-endian i32.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut commands: Vec<&(f64, OscMessage)> = self.commands.iter().collect();
        commands.sort_by(|a, b| a.0.total_cmp(&b.0)); // stable: same-time commands keep their order
        let mut bytes = Vec::new();
        for (time, message) in commands {
            let bundle = OscPacket::Bundle(OscBundle {
                timetag: time_tag(*time),
                content: vec![OscPacket::Message(message.clone())],
            });
            let encoded = encoder::encode(&bundle).context("encode an OSC bundle")?;
            bytes.extend_from_slice(&(encoded.len() as i32).to_be_bytes());
            bytes.extend_from_slice(&encoded);
        }
        fs::write(path, bytes).with_context(|| format!("write the score {}", path.display()))
    }
}

/// NRT time tags count seconds from the start of the render in 32.32 fixed point.
fn time_tag(seconds: f64) -> OscTime {
    let seconds = seconds.max(0.0);
    let whole = seconds.floor();
    OscTime {
        seconds: whole as u32,
        fractional: ((seconds - whole) * 4_294_967_296.0) as u32,
    }
}

/// One supernova NRT run.
pub struct Render<'a> {
    pub score: &'a Path,
    /// The float WAV file to write.
    pub out: &'a Path,
    pub sample_rate: u32,
    pub channels: usize,
    /// Folders whose plugins the server loads besides the core ones (e.g. the extension folder).
    pub plugin_dirs: &'a [PathBuf],
    /// How long the render may take before it is stopped.
    pub timeout: Duration,
}

impl Render<'_> {
    /// Runs the server and returns its log. While it runs, `frames_done` follows the frames written so far
    /// (from the size of the growing output file), for a progress display.
    pub fn run(&self, frames_done: &AtomicU64) -> Result<String> {
        let mut plugin_path = CORE_PLUGINS.to_owned();
        for dir in self.plugin_dirs {
            plugin_path.push(':');
            plugin_path.push_str(dir.to_str().context("plugin folder path is not UTF-8")?);
        }
        let log_path = self.out.with_extension("log");
        let log = File::create(&log_path).context("create the server log")?;
        let _ = fs::remove_file(self.out);
        // Supernova names its shared memory after its UDP port even in NRT mode, and two servers with the same
        // name fail (boost::interprocess::bad_alloc). Holding a free port of the OS's choosing for the whole
        // render gives each server, ours or another program's, its own name; NRT mode never binds the port.
        let port_holder =
            UdpSocket::bind(("127.0.0.1", 0)).context("reserve a port number for supernova")?;
        let port = port_holder.local_addr()?.port().to_string();
        // Exactly six tokens after -N: score, input file ("_": none), output, rate, header, sample format.
        let mut child = Command::new("supernova")
            .arg("-N")
            .arg(self.score)
            .arg("_")
            .arg(self.out)
            .args([
                &self.sample_rate.to_string(),
                "WAV",
                "float",
                "-o",
                &self.channels.to_string(),
            ])
            .args(["-u", &port, "-U", &plugin_path])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start supernova; install SuperCollider (supernova on PATH)")?;
        let frame_bytes = (self.channels * 4) as u64;
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            // The WAV header is under 100 bytes; close enough for a progress display.
            let size = fs::metadata(self.out).map(|m| m.len()).unwrap_or(0);
            frames_done.store(size.saturating_sub(100) / frame_bytes, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        };
        drop(port_holder);
        let log = fs::read_to_string(&log_path).unwrap_or_default();
        let Some(status) = status else {
            bail!(
                "supernova took longer than {:?} and was stopped (log {})",
                self.timeout,
                log_path.display()
            );
        };
        let sign = log
            .lines()
            .find(|line| FAILURE_SIGNS.iter().any(|sign| line.contains(sign)));
        if !status.success() || sign.is_some() {
            let why = sign.map_or_else(|| format!("exit status {status}"), str::to_owned);
            bail!(
                "supernova failed (log {}): {}",
                log_path.display(),
                why.trim()
            );
        }
        Ok(log)
    }
}

/// The channels of a float WAV file, each read block by block as it streams in (see [`BlockValues`]).
pub fn read_blocks(path: &Path) -> Result<Vec<BlockValues>> {
    let mut reader = hound::WavReader::open(path)
        .with_context(|| format!("read the render {}", path.display()))?;
    let count = usize::from(reader.spec().channels);
    let mut channels: Vec<BlockValues> = (0..count).map(|_| BlockValues::default()).collect();
    for (i, sample) in reader.samples::<f32>().enumerate() {
        channels[i % count]
            .push(sample.with_context(|| format!("read the render {}", path.display()))?);
    }
    Ok(channels)
}
