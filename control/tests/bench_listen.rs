//! `performia bench listen`: every block of a take is timed, attacks included, and the summary adds up.

#[path = "../../plugin/tests/support/mod.rs"]
mod support;

use serde_json::Value;
use std::process::Command;
use support::{plucked_take, scratch, write_float_wav};

#[test]
fn every_block_of_a_take_is_timed_and_the_blocks_with_attacks_are_among_them() {
    let dir = scratch("performia_bench_listen");
    let length = 96_000;
    write_float_wav(
        &dir.join("take.wav"),
        &plucked_take(&[(12_000, 220.0), (48_000, 146.83)], length, 24_000),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_performia"))
        .args(["bench", "listen", "take.wav"])
        .current_dir(&dir)
        .output()
        .expect("run performia bench listen");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value =
        serde_json::from_str(stdout.lines().last().unwrap()).expect("last line is JSON");
    assert_eq!(summary["blocks"], length / 64, "{summary}");
    let us = |key: &str| {
        summary[key]
            .as_f64()
            .unwrap_or_else(|| panic!("no {key} in {summary}"))
    };
    // Order statistics of one set of positive costs, and blocks with an attack were found and timed.
    assert!(
        0.0 < us("p50_us") && us("p50_us") <= us("p99_us") && us("p99_us") <= us("p999_us"),
        "{summary}"
    );
    assert!(
        us("p999_us") <= us("max_us") && us("mean_us") <= us("max_us"),
        "{summary}"
    );
    assert!(
        us("onset_block_p50_us") > 0.0,
        "no block with an onset was timed: {summary}"
    );

    let missing = Command::new(env!("CARGO_BIN_EXE_performia"))
        .args(["bench", "listen", "missing.wav"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success() && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot read missing.wav")
            && stderr.trim_end().ends_with("give a WAV file"),
        "{stderr}"
    );
}
