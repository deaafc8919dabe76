//! Headless sclang: runs a piece of SuperCollider code with the classes of the Performia extension and tells
//! whether it finished.
//!
//! sclang exits with 0 whatever happens, and an uncaught error leaves it waiting forever, so the code runs
//! inside a `.try` guard that prints a marker and exits; success is read from the marker, and a timeout ends
//! a run that hangs anyway.

use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Printed by the guard after the code ran to its end.
const DONE: &str = "PERFORMIA-SCLANG-DONE";
/// Printed by the guard when the code threw.
const FAILED: &str = "PERFORMIA-SCLANG-ERROR";
/// Compiling the class library takes a few seconds; a minute means something is wrong.
const TIMEOUT: Duration = Duration::from_secs(120);

/// SuperCollider's user extension folder (`Platform.userExtensionDir`), which sclang always compiles.
pub fn user_extension_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))?;
    Some(data.join("SuperCollider/Extensions"))
}

/// A private sclang config that compiles the Performia classes of `extensions` exactly once: added when they
/// are not in the user extension folder, with any other Performia copy there excluded (two copies of a class
/// stop sclang).
fn class_config(extensions: &Path) -> String {
    let user = user_extension_dir().and_then(|dir| fs::canonicalize(dir).ok());
    let ours = fs::canonicalize(extensions).unwrap_or_else(|_| extensions.to_path_buf());
    let (include, exclude) = match &user {
        Some(user) if *user == ours => (String::new(), String::new()),
        Some(user) => (ours.join("Performia/Classes").display().to_string(), user.join("Performia").display().to_string()),
        None => (ours.join("Performia/Classes").display().to_string(), String::new()),
    };
    let list = |path: String| if path.is_empty() { "    []\n".to_owned() } else { format!("    - {path}\n") };
    format!("includePaths:\n{}excludePaths:\n{}postInlineWarnings: false\n", list(include), list(exclude))
}

/// Runs `code` in headless sclang, with the classes of `<extensions>/Performia/Classes` on its class path,
/// in `workdir` (which also receives the config, the script and the log). `~dir` holds `workdir`'s absolute
/// path inside the code. Errors quote the end of sclang's log.
pub fn run(code: &str, extensions: &Path, workdir: &Path) -> Result<()> {
    let workdir = fs::canonicalize(workdir).context("work directory")?;
    // A private config: the default class library plus ours, whatever the user's own config says.
    let conf = class_config(extensions);
    let conf_path = workdir.join("sclang_conf.yaml");
    fs::write(&conf_path, conf).context("write the sclang config")?;
    let script = workdir.join("script.scd");
    let guarded = format!(
        "~dir = {dir:?};\n{{\n{code}\n\"{DONE}\".postln;\n}}.try {{ |error| error.reportError; \
         \"{FAILED}\".postln; 1.exit }};\n0.exit;\n",
        dir = workdir.to_str().context("work directory is not UTF-8")?,
    );
    fs::write(&script, guarded).context("write the sclang script")?;
    let log_path = workdir.join("sclang.log");
    let log = File::create(&log_path).context("create the sclang log")?;
    let mut child = Command::new("sclang")
        .arg("-l")
        .arg(&conf_path)
        .arg(&script)
        .env("QTWEBENGINE_DISABLE_SANDBOX", "1")
        .env("QT_QPA_PLATFORM", "offscreen")
        .current_dir(&workdir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("cannot start sclang; install SuperCollider (sclang on PATH)")?;
    let start = Instant::now();
    let finished = loop {
        if child.try_wait()?.is_some() {
            break true;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    if finished && log.contains(DONE) && !log.contains(FAILED) {
        return Ok(());
    }
    let why = if finished {
        "failed"
    } else {
        "hung and was stopped"
    };
    bail!(
        "sclang {why} (log {}): {}",
        log_path.display(),
        last_error(&log)
    );
}

/// The most telling line of a failed run's log: the first `ERROR` line, or else the last non-empty line.
fn last_error(log: &str) -> String {
    let mut lines = log.lines().map(str::trim).filter(|line| !line.is_empty());
    let error = lines.clone().find(|line| line.starts_with("ERROR"));
    error
        .or_else(|| lines.next_back())
        .unwrap_or("no output")
        .to_owned()
}
