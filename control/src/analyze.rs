//! `performia analyze`: renders takes through `PerfListen` in supernova's non-real-time mode (the same unit
//! as live) and writes what it heard as detection JSON for `guitar-dev/score.py`; with `--compare-sc`, the
//! same render also runs SuperCollider's `Onsets`, `Pitch` and `BeatTrack` on the same input. With `--offline`
//! the listener's DSP runs in this process instead ([`crate::offline`]), for tuning without a server.

use crate::detections::{self as det, Detections};
use crate::nrt::{Render, Score};
use crate::pool;
use crate::sclang;
use crate::take::Take;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rosc::OscType;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Render takes through PerfListen and write detection JSON.
#[derive(clap::Args)]
pub struct Args {
    /// WAV files to analyse (any sample rate and channel count; several channels are mixed to mono).
    #[arg(required = true, value_name = "TAKE.wav")]
    takes: Vec<PathBuf>,
    /// Output folder for <stem>.json (default: the current folder), or a .json file when there is one take.
    #[arg(short, long, value_name = "OUT")]
    out: Option<PathBuf>,
    /// Folder holding the installed `Performia` extension (default: SuperCollider's user extension folder).
    #[arg(long, value_name = "DIR")]
    extensions: Option<PathBuf>,
    /// Also run SuperCollider's Onsets, Pitch and BeatTrack in the same render; writes OUT/sc/<stem>.json.
    #[arg(long)]
    compare_sc: bool,
    /// Threshold of SuperCollider's `Onsets` (rcomplex) for --compare-sc.
    #[arg(long, value_name = "T", default_value_t = 0.5)]
    sc_onset_threshold: f32,
    /// Tempo prior for PerfListen in bpm (0: none).
    #[arg(long, value_name = "BPM", default_value_t = 0.0)]
    tempo_prior: f32,
    /// Takes rendered at once, each by its own supernova (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Keep the work files (the take as the server reads it, score, render, logs) in DIR.
    #[arg(long, value_name = "DIR")]
    keep_work: Option<PathBuf>,
    /// Run the listener's DSP in this process, without supernova: the same code and blocks, for tuning.
    #[arg(long, conflicts_with_all = ["compare_sc", "extensions", "keep_work"])]
    offline: bool,
}

/// The rendered channels: PerfListen's nine outputs in order, the input as the synth played it, then
/// SuperCollider's detectors when compared.
mod channel {
    pub const ONSET: usize = 0;
    pub const PITCH: usize = 2;
    pub const CHORD_ROOT: usize = 4;
    pub const CHORD_QUALITY: usize = 5;
    pub const BEAT: usize = 6;
    pub const INPUT: usize = 9;
    pub const SC_ONSET: usize = 10;
    pub const SC_PITCH: usize = 11;
    pub const SC_BEAT: usize = 12;
    pub const LISTEN_ONLY: usize = 10;
    pub const WITH_SC: usize = 13;
}

/// The synths, written by sclang: the take played from buffer `buf` into PerfListen (and SC's detectors).
/// Triggers of control-rate detectors go through T2A (a trigger at the first sample of the block that fired),
/// values through K2A, so both keep their block.
const SYNTHDEFS: &str = r#"
SynthDef(\performia_analyze, { |buf = 0, tempoPrior = 0|
    var in = PlayBuf.ar(1, buf, BufRateScale.kr(buf));
    Out.ar(0, PerfListen.ar(in, tempoPrior) ++ [in]);
}).writeDefFile(~dir);
SynthDef(\performia_analyze_sc, { |buf = 0, tempoPrior = 0, threshold = 0.5|
    var in = PlayBuf.ar(1, buf, BufRateScale.kr(buf));
    var onsets = Onsets.kr(FFT(LocalBuf(512), in), threshold, \rcomplex);
    var pitch = Pitch.kr(in);
    var beat = BeatTrack.kr(FFT(LocalBuf(1024), in))[0];
    Out.ar(0, PerfListen.ar(in, tempoPrior) ++ [in, T2A.ar(onsets), K2A.ar(pitch[0] * (pitch[1] >= 0.5)), T2A.ar(beat)]);
}).writeDefFile(~dir);
"#;

impl Args {
    /// The arguments `performia analyze TAKES -o OUT [--extensions DIR] [--compare-sc]` would give.
    pub fn new(
        takes: Vec<PathBuf>,
        out: Option<PathBuf>,
        extensions: Option<PathBuf>,
        compare_sc: bool,
    ) -> Self {
        Self {
            takes,
            out,
            extensions,
            compare_sc,
            sc_onset_threshold: 0.5,
            tempo_prior: 0.0,
            jobs: None,
            keep_work: None,
            offline: false,
        }
    }
}

/// What one take's analysis writes.
struct Job {
    take: Take,
    json: PathBuf,
    sc_json: Option<PathBuf>,
    work: PathBuf,
    /// Frames of the take itself before its tail, which the render must hold.
    take_frames: usize,
    frames_done: AtomicU64,
}

impl Job {
    /// Frames the render will have: the take with its tail.
    fn frames(&self) -> u64 {
        self.take.samples.len() as u64
    }
}

/// Seconds rendered after the end of a take (at its resting level), so that events in its last blocks come out.
const TAIL: f64 = 0.1;

pub fn run(args: &Args) -> Result<()> {
    let takes = args
        .takes
        .iter()
        .map(|path| Take::read(path))
        .collect::<Result<Vec<_>>>()?;
    let temp;
    let work = match &args.keep_work {
        Some(dir) => {
            fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("performia-analyze-")
                .tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let jobs = plan(takes, args, &work)?;
    let server = if args.offline {
        None
    } else {
        Some(Server::prepare(args, &work)?)
    };

    let total: u64 = jobs.iter().map(Job::frames).sum();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "rendering {msg} [{bar:32}] {percent:>3}% {elapsed} eta {eta}",
        )?
        .progress_chars("=> "),
    );
    bar.set_message(if jobs.len() == 1 {
        jobs[0].take.stem.clone()
    } else {
        format!("{} takes", jobs.len())
    });
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let results = pool::run_all(
        &jobs,
        threads,
        |job| {
            let summary = match &server {
                Some(server) => analyze(job, args, server),
                None => analyze_offline(job, args),
            }?;
            // Above the bar on a terminal, plainly otherwise.
            bar.suspend(|| eprintln!("{summary}"));
            Ok(())
        },
        || {
            bar.set_position(
                jobs.iter()
                    .map(|job| job.frames_done.load(Ordering::Relaxed).min(job.frames()))
                    .sum(),
            )
        },
    );
    bar.finish_and_clear();
    let errors: Vec<String> = results
        .into_iter()
        .zip(&jobs)
        .filter_map(|(result, job)| {
            let error = result.err()?;
            Some(format!("{}: {error:#}", job.take.path.display()))
        })
        .collect();
    match errors.len() {
        0 => Ok(()),
        1 => bail!("{}", errors[0]),
        n => bail!("{n} takes failed; {}", errors.join("; ")),
    }
}

/// What every render needs: the installed extension and the synth definition sclang wrote.
struct Server {
    extensions: PathBuf,
    def: Vec<u8>,
    def_name: &'static str,
}

impl Server {
    fn prepare(args: &Args, work: &Path) -> Result<Self> {
        let extensions = extension_dir(args.extensions.as_deref())?;
        sclang::run(SYNTHDEFS, &extensions, work).context("writing the synth definitions")?;
        let def_name = if args.compare_sc {
            "performia_analyze_sc"
        } else {
            "performia_analyze"
        };
        let def = fs::read(work.join(format!("{def_name}.scsyndef")))
            .context("read the synth definition")?;
        Ok(Self {
            extensions,
            def,
            def_name,
        })
    }
}

/// The installed extension folder: `--extensions` or SuperCollider's user folder, checked for our classes.
fn extension_dir(given: Option<&Path>) -> Result<PathBuf> {
    let dir = match given {
        Some(dir) => dir.to_path_buf(),
        None => {
            crate::sclang::user_extension_dir().context("HOME is not set; pass --extensions DIR")?
        }
    };
    if !dir.join("Performia/Classes").is_dir() || !dir.join("Performia/plugins").is_dir() {
        bail!(
            "no Performia extension in {}; install it (cmake -S . -B build && cmake --build build && \
             cmake --install build) or pass --extensions DIR",
            dir.display()
        );
    }
    fs::canonicalize(&dir).with_context(|| format!("resolve {}", dir.display()))
}

/// Where each take's detections go, and its work folder.
fn plan(takes: Vec<Take>, args: &Args, work: &Path) -> Result<Vec<Job>> {
    let single_file = args
        .out
        .as_ref()
        .filter(|out| out.extension().is_some_and(|e| e == "json"));
    if single_file.is_some() && takes.len() != 1 {
        bail!(
            "-o FILE.json names the output of one take; give a folder for {} takes",
            takes.len()
        );
    }
    let out_dir = match (single_file, &args.out) {
        (Some(file), _) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
        (None, Some(dir)) => dir.clone(),
        (None, None) => PathBuf::new(),
    };
    let mut stems: Vec<&str> = takes.iter().map(|take| take.stem.as_str()).collect();
    stems.sort_unstable();
    if let Some(pair) = stems.windows(2).find(|pair| pair[0] == pair[1]) {
        bail!(
            "two takes are named {}; their detections would overwrite each other",
            pair[0]
        );
    }
    let mut jobs = Vec::new();
    for (index, mut take) in takes.into_iter().enumerate() {
        let json = single_file
            .cloned()
            .unwrap_or_else(|| out_dir.join(format!("{}.json", take.stem)));
        let sc_json = args
            .compare_sc
            .then(|| out_dir.join("sc").join(format!("{}.json", take.stem)));
        let take_frames = take.samples.len();
        take.ring_out(TAIL);
        let work = work.join(format!("{index:03}-{}", take.stem));
        jobs.push(Job {
            take,
            json,
            sc_json,
            work,
            take_frames,
            frames_done: AtomicU64::new(0),
        });
    }
    Ok(jobs)
}

/// Renders one take and writes its detections; returns a one-line summary.
fn analyze(job: &Job, args: &Args, server: &Server) -> Result<String> {
    let (extensions, def, def_name) = (&server.extensions, &server.def, server.def_name);
    let take = &job.take;
    fs::create_dir_all(&job.work)?;
    let input = job.work.join("take.wav");
    take.write_mono_float(&input)
        .context("write the take for the server")?;
    let score_path = job.work.join("score.osc");
    let input_str = input.to_str().context("work path is not UTF-8")?.to_owned();
    let mut score = Score::default();
    score
        .at(0.0, "/d_recv", vec![OscType::Blob(def.to_vec())])
        .at(
            0.0,
            "/b_allocRead",
            vec![
                OscType::Int(0),
                OscType::String(input_str),
                OscType::Int(0),
                OscType::Int(0),
            ],
        )
        // The listener is built off the audio thread: ask for it before the synth, so it hears block 0.
        .at(
            0.0,
            "/cmd",
            vec![OscType::String("performiaPrepare".into()), OscType::Int(1)],
        )
        .at(
            0.0,
            "/s_new",
            vec![
                OscType::String(def_name.into()),
                OscType::Int(1000),
                OscType::Int(0),
                OscType::Int(0),
                OscType::String("buf".into()),
                OscType::Int(0),
                OscType::String("tempoPrior".into()),
                OscType::Float(args.tempo_prior),
                OscType::String("threshold".into()),
                OscType::Float(args.sc_onset_threshold),
            ],
        )
        .at(
            take.duration(),
            "/c_set",
            vec![OscType::Int(0), OscType::Int(0)],
        );
    score.write(&score_path)?;

    let channels = if args.compare_sc {
        channel::WITH_SC
    } else {
        channel::LISTEN_ONLY
    };
    let out = job.work.join("render.wav");
    let plugin_dirs = [extensions.to_path_buf()];
    let render = Render {
        score: &score_path,
        out: &out,
        sample_rate: take.sample_rate,
        channels,
        plugin_dirs: &plugin_dirs,
        timeout: Duration::from_secs_f64(120.0 + 20.0 * take.duration()),
    };
    let log = render.run(&job.frames_done)?;
    if !log.contains("PerfListen") && !log.contains("Performia") {
        // The plugin prints its name when it loads; without it nothing of ours ran.
        bail!(
            "supernova did not load the Performia plugin from {}",
            extensions.display()
        );
    }
    let rendered = crate::nrt::read_blocks(&out)?;
    if rendered.len() != channels || rendered[channel::INPUT].frames() < job.take_frames {
        bail!(
            "the render holds {} channels of {} frames, not the whole take",
            rendered.len(),
            rendered.first().map_or(0, |c| c.frames())
        );
    }
    job.frames_done.store(job.frames(), Ordering::Relaxed);

    let rate = take.sample_rate;
    let heard = Detections {
        onsets: Some(rendered[channel::ONSET].trigger_times(rate)),
        pitch: Some(det::pitch_track(
            &rendered[channel::PITCH].audio_rate_values(),
            rate,
        )),
        chords: Some(det::chord_track(
            &rendered[channel::CHORD_ROOT].audio_rate_values(),
            &rendered[channel::CHORD_QUALITY].audio_rate_values(),
            rate,
        )),
        beats: Some(rendered[channel::BEAT].trigger_times(rate)),
    };
    write_json(&job.json, &heard)?;
    let mut summary = format!("{}: {}", job.json.display(), counts(&heard));
    if let Some(sc_json) = &job.sc_json {
        let sc = Detections {
            onsets: Some(rendered[channel::SC_ONSET].trigger_times(rate)),
            pitch: Some(det::pitch_track(
                &rendered[channel::SC_PITCH].control_rate_values(),
                rate,
            )),
            chords: None,
            beats: Some(rendered[channel::SC_BEAT].trigger_times(rate)),
        };
        write_json(sc_json, &sc)?;
        summary += &format!("; SuperCollider: {}", counts(&sc));
    }
    if args.keep_work.is_none() {
        let _ = fs::remove_file(&out); // the largest file; the temporary folder goes at the end anyway
    }
    Ok(summary)
}

/// Listens to one take in this process and writes its detections; returns a one-line summary.
fn analyze_offline(job: &Job, args: &Args) -> Result<String> {
    let take = &job.take;
    let heard = crate::offline::listen(
        &take.samples,
        take.sample_rate,
        args.tempo_prior,
        &job.frames_done,
    );
    write_json(&job.json, &heard)?;
    Ok(format!("{}: {}", job.json.display(), counts(&heard)))
}

fn counts(detections: &Detections) -> String {
    let onsets = detections.onsets.as_ref().map_or(0, Vec::len);
    let beats = detections.beats.as_ref().map_or(0, Vec::len);
    format!("{onsets} onsets, {beats} beats")
}

fn write_json(path: &Path, detections: &Detections) -> Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let text = serde_json::to_string(&detections.to_json())?;
    fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))
}
