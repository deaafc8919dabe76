//! What the server tests share: building and installing the extension with CMake, running headless sclang,
//! rendering non-real-time scores with supernova and scsynth, and reading the rendered audio.
#![allow(dead_code)] // each test binary uses part of it

pub mod process;
pub mod realtime;

use process::{Output, run};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The core plugins, which `-U` replaces unless listed (sc-plugin-facts.md trap 3).
pub const CORE_PLUGINS: &str = "/usr/lib/SuperCollider/plugins";
pub const SAMPLE_RATE: u32 = 48_000;
pub const BLOCK: usize = 64;

/// The two servers, each loading its own build of the plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Supernova,
    Scsynth,
}

impl Server {
    pub const BOTH: [Server; 2] = [Server::Supernova, Server::Scsynth];

    pub fn program(self) -> &'static str {
        match self {
            Server::Supernova => "supernova",
            Server::Scsynth => "scsynth",
        }
    }

    /// What the plugin prints when this server loaded it.
    pub fn load_line(self) -> &'static str {
        match self {
            Server::Supernova => "UGens loaded (supernova build)",
            Server::Scsynth => "UGens loaded (scsynth build)",
        }
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("plugin/ has a parent")
        .to_path_buf()
}

/// A scratch directory under `target/` for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = repo_root().join("target/server-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Builds both plugin flavours and installs the extension with the project's own CMake (the way a user does),
/// once per test process; a file lock keeps test binaries from building at the same time.
pub fn extension_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = repo_root();
        let build = root.join("target/cmake-tests");
        let ext = root.join("target/test-extensions");
        fs::create_dir_all(&build).expect("create cmake build dir");
        let lock = File::create(root.join("target/cmake-tests.lock")).expect("create lock file");
        lock.lock().expect("lock the cmake build");
        let ext_arg = format!("-DSC_EXTENSIONS_DIR={}", ext.display());
        let steps: [&[&str]; 3] = [
            &[
                "-S",
                root.to_str().unwrap(),
                "-B",
                build.to_str().unwrap(),
                &ext_arg,
            ],
            &["--build", build.to_str().unwrap()],
            &["--install", build.to_str().unwrap()],
        ];
        for args in steps {
            run("cmake", args, &root, Duration::from_secs(900)).expect_success("cmake");
        }
        ext
    })
}

/// A second extension folder whose plugin also registers `PerfTestPanic` (feature `test-panic`), with the
/// test-only class beside it. Used alone (not with `extension_dir`), or the two copies would clash.
pub fn panic_extension_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = repo_root();
        let installed = extension_dir().join("Performia");
        let ext = root.join("target/test-panic-extensions/PerformiaTestPanic");
        let _ = fs::remove_dir_all(&ext);
        fs::create_dir_all(ext.join("plugins")).unwrap();
        fs::create_dir_all(ext.join("Classes")).unwrap();
        for (features, dir, name) in [
            (
                "supernova,test-panic",
                "cargo-test-panic-supernova",
                "Performia_supernova.so",
            ),
            ("test-panic", "cargo-test-panic-scsynth", "Performia.so"),
        ] {
            let target_dir = root.join("target").join(dir);
            let args = [
                "build",
                "--release",
                "-p",
                "performia-plugin",
                "--features",
                features,
                "--target-dir",
            ];
            let mut args: Vec<&str> = args.to_vec();
            args.push(target_dir.to_str().unwrap());
            run("cargo", &args, &root, Duration::from_secs(900))
                .expect_success("cargo build (test-panic)");
            fs::copy(
                target_dir.join("release/libperformia_plugin.so"),
                ext.join("plugins").join(name),
            )
            .unwrap();
        }
        for entry in fs::read_dir(installed.join("Classes")).unwrap() {
            let path = entry.unwrap().path();
            fs::copy(&path, ext.join("Classes").join(path.file_name().unwrap())).unwrap();
        }
        fs::copy(
            root.join("plugin/tests/classes/PerfTestPanic.sc"),
            ext.join("Classes/PerfTestPanic.sc"),
        )
        .unwrap();
        ext.parent().unwrap().to_path_buf()
    })
}

/// Runs `code` in headless sclang with the classes of the extension folders in `extensions`; `~dir` holds the
/// absolute path of `workdir` (sclang does not resolve relative paths against its working directory).
/// The code runs inside a guard: a plain error would leave sclang waiting forever, and sclang's exit code is
/// 0 whatever happens, so success is read from the markers the guard prints.
pub fn sclang(code: &str, extensions: &[&Path], workdir: &Path) -> Output {
    let mut conf = String::from("includePaths:\n");
    for ext in extensions {
        for entry in fs::read_dir(ext).expect("read extension dir") {
            conf += &format!(
                "    - {}\n",
                entry.unwrap().path().join("Classes").display()
            );
        }
    }
    // A Performia installed in the user extension folder (always compiled) would define every class twice.
    let data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share")
    });
    let installed = data.join("SuperCollider/Extensions/Performia");
    conf += &format!("excludePaths:\n    - {}\npostInlineWarnings: false\n", installed.display());
    let conf_path = workdir.join("sclang_conf.yaml");
    fs::write(&conf_path, conf).unwrap();
    let script = workdir.join("script.scd");
    let guarded = format!(
        "~dir = {:?};\n{{\n{code}\n\"PERFORMIA-SCLANG-DONE\".postln;\n}}.try {{ |error| error.reportError; \
         \"PERFORMIA-SCLANG-ERROR\".postln; 1.exit }};\n0.exit;\n",
        workdir.to_str().unwrap()
    );
    fs::write(&script, guarded).unwrap();
    let mut output = process::Command::new("sclang")
        .args(["-l", conf_path.to_str().unwrap(), script.to_str().unwrap()])
        .env("QTWEBENGINE_DISABLE_SANDBOX", "1")
        .env("QT_QPA_PLATFORM", "offscreen")
        .current_dir(workdir)
        .run(Duration::from_secs(180));
    output.success = output.log.contains("PERFORMIA-SCLANG-DONE")
        && !output.log.contains("PERFORMIA-SCLANG-ERROR");
    output
}

/// Renders `score` with `server` in non-real-time mode; `-U` lists the core plugins and `extensions`.
pub fn render(
    server: Server,
    score: &Path,
    out: &Path,
    channels: usize,
    extensions: &[&Path],
) -> Output {
    let mut plugin_path = CORE_PLUGINS.to_owned();
    for ext in extensions {
        plugin_path += ":";
        plugin_path += ext.to_str().unwrap();
    }
    let channels = channels.to_string();
    // Even in NRT mode both servers name their shared memory after their UDP port: two renders at once on
    // the default port fail (`boost::interprocess::bad_alloc`), so each gets a port the system says is free.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map_or(0, |a| a.port())
        .to_string();
    let args = [
        "-N",
        score.to_str().unwrap(),
        "_",
        out.to_str().unwrap(),
        "48000",
        "WAV",
        "float",
        "-o",
        &channels,
        "-u",
        &port,
        "-U",
        &plugin_path,
    ];
    run(
        server.program(),
        &args,
        score.parent().unwrap(),
        Duration::from_secs(300),
    )
}

/// The channels of a float WAV file.
pub fn read_channels(path: &Path) -> Vec<Vec<f32>> {
    let mut reader =
        hound::WavReader::open(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let n = reader.spec().channels as usize;
    let mut channels = vec![Vec::new(); n];
    for (i, sample) in reader.samples::<f32>().enumerate() {
        channels[i % n].push(sample.expect("float sample"));
    }
    channels
}

/// The value a control-rate signal had in each block, from its `K2A` copy: K2A ramps from the previous value
/// to the new one across a block, so the first sample of block b+1 holds block b's value exactly.
pub fn kr_values(k2a: &[f32]) -> Vec<f32> {
    k2a.iter().skip(BLOCK).step_by(BLOCK).copied().collect()
}

/// Largest `|x|` of each full block of `signal`.
pub fn block_peaks(signal: &[f32]) -> Vec<f32> {
    signal
        .chunks_exact(BLOCK)
        .map(|b| b.iter().fold(0.0f32, |m, x| m.max(x.abs())))
        .collect()
}

/// Plucked strings for tests: at each `(start sample, Hz)`, decaying harmonics with a sharp attack, lasting
/// `note` samples of which the last 30 ms are a damping fade (a cut-off would itself be an attack).
pub fn plucked_take(plucks: &[(usize, f32)], length: usize, note: usize) -> Vec<f32> {
    const DAMP: usize = 1_440;
    let mut samples = vec![0.0f32; length];
    for &(start, hz) in plucks {
        for (i, x) in samples[start..(start + note).min(length)].iter_mut().enumerate() {
            let t = i as f32 / SAMPLE_RATE as f32;
            let damp = ((note - i) as f32 / DAMP as f32).min(1.0);
            let tone: f32 = (1..=8)
                .map(|h| {
                    let h = h as f32;
                    (2.0 * std::f32::consts::PI * hz * h * t).sin() * (-t * (3.0 + h)).exp() / h
                })
                .sum();
            *x += 0.3 * damp * tone;
        }
    }
    samples
}

/// Writes `samples` as a mono 32-bit float WAV at 48 kHz.
pub fn write_float_wav(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &x in samples {
        writer.write_sample(x).unwrap();
    }
    writer.finalize().unwrap();
}
