//! `performia demo`, the README's main job: it writes its take, renders it through supernova and reports what
//! the listener heard: the onsets, the tempo it played at and the chords of its first four bars.

#[path = "../../plugin/tests/support/mod.rs"]
mod support;

use std::process::Command;
use support::{extension_dir, scratch};

#[test]
fn the_demo_hears_its_own_take() {
    let dir = scratch("performia_demo");
    let output = Command::new(env!("CARGO_BIN_EXE_performia"))
        .args(["demo", "--out", dir.to_str().unwrap(), "--extensions", extension_dir().to_str().unwrap()])
        .output()
        .expect("run performia demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "demo failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.join("demo_take.wav").exists() && dir.join("demo_take.json").exists());
    let line = stdout.lines().find(|l| l.trim_start().starts_with("PerfListen:")).expect("no PerfListen line");
    // "PerfListen: N onsets (44 played), B beats, tempo T bpm (played 100)"
    let number_after = |text: &str, key: &str| -> f64 {
        let at = text.find(key).unwrap_or_else(|| panic!("no {key:?} in {text:?}")) + key.len();
        text[at..].split_whitespace().next().unwrap().parse().unwrap()
    };
    let onsets = number_after(line, "PerfListen: ");
    assert!((40.0..=48.0).contains(&onsets), "{line}");
    let tempo = number_after(line, "tempo ");
    assert!((97.0..=103.0).contains(&tempo), "{line}");
    let chords = stdout.lines().find(|l| l.contains("chord of bars 1-4:")).expect("no chord line");
    let labels = &chords[chords.find("1-4:").unwrap() + 4..];
    let roots: Vec<&str> = labels.split_whitespace().take(4).map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(roots, ["G", "D", "E", "C"], "{chords}");
}
