//! Running a child process with a hard timeout and keeping what it printed.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// What a finished (or killed) process printed, and how it ended.
pub struct Output {
    pub what: String,
    pub success: bool,
    pub log: String,
}

impl Output {
    /// Panics with the log if the process failed.
    pub fn expect_success(self, what: &str) -> Self {
        assert!(self.success, "{what} ({}) failed:\n{}", self.what, self.log);
        self
    }
}

/// A command builder that runs with a timeout.
pub struct Command(std::process::Command);

impl Command {
    pub fn new(program: &str) -> Self {
        Self(std::process::Command::new(program))
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.0.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.0.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.0.current_dir(dir);
        self
    }

    /// Runs to the end, or kills the process after `timeout`. stdout and stderr are merged into `log`.
    pub fn run(mut self, timeout: Duration) -> Output {
        let what = format!("{:?}", self.0);
        let mut child = match self
            .0
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                return Output {
                    what,
                    success: false,
                    log: format!("could not start: {e}"),
                };
            }
        };
        let readers = [
            spawn_reader(child.stdout.take()),
            spawn_reader(child.stderr.take()),
        ];
        let (success, killed) = wait(&mut child, timeout);
        let mut log: String = readers
            .into_iter()
            .map(|r| r.join().unwrap_or_default())
            .collect();
        if killed {
            log += &format!("\n[killed after {timeout:?}]");
        }
        Output { what, success, log }
    }
}

fn spawn_reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `child` up to `timeout`; returns (exited successfully, was killed).
pub fn wait(child: &mut Child, timeout: Duration) -> (bool, bool) {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (status.success(), false),
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, true);
            }
        }
    }
}

/// Runs `program args` in `dir` with a timeout.
pub fn run(program: &str, args: &[&str], dir: &Path, timeout: Duration) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .run(timeout)
}
