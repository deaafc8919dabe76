//! A UGen that panics goes silent and says so once; the server keeps rendering and other synths keep sounding.
//! Uses the `test-panic` build, which adds `PerfTestPanic` (panics once its input is positive).

mod support;

use support::{panic_extension_dir, read_channels, render, sclang, scratch, Server, BLOCK, SAMPLE_RATE};

/// Synth 1000 panics at 0.1 s; synth 1001 (a sine) runs throughout; synth 1002 starts after the panic.
/// All three sit in a ParGroup, so supernova runs them on its DSP threads side by side.
const SCORE: &str = r#"
var panicky = SynthDef(\panicky, { Out.ar(0, K2A.ar(PerfTestPanic.kr(Line.kr(-1, 1, 0.2)))) });
var sine = SynthDef(\sine, { Out.ar(1, SinOsc.ar(375, 0, 0.5)) });
var late = SynthDef(\late, { Out.ar(2, DC.ar(0.25)) });
Score([
    [0.0, [\d_recv, panicky.asBytes]], [0.0, [\d_recv, sine.asBytes]], [0.0, [\d_recv, late.asBytes]],
    [0.0, [\p_new, 2, 0, 0]],
    [0.0, [\s_new, \panicky, 1000, 0, 2]],
    [0.0, [\s_new, \sine, 1001, 0, 2]],
    [0.15, [\s_new, \late, 1002, 0, 2]],
    [0.3, [\c_set, 0, 0]]
]).writeOSCFile(~dir +/+ "score.osc");
"#;

#[test]
fn a_panicking_unit_is_silenced_while_the_server_and_other_synths_go_on() {
    let dir = scratch("panic_guard");
    sclang(SCORE, &[panic_extension_dir()], &dir).expect_success("sclang writing the score");
    for server in Server::BOTH {
        let out = dir.join(format!("{}.wav", server.program()));
        let output = render(server, &dir.join("score.osc"), &out, 3, &[panic_extension_dir()]);
        // The server finished the render and exited normally.
        let output = output.expect_success("NRT render with a panicking unit");
        let line = "PerfTestPanic (node 1000): panicked in next: PerfTestPanic was told to panic; \
                    the unit is silent from now on";
        assert_eq!(output.log.matches(line).count(), 1, "{server:?} log:\n{}", output.log);

        let channels = read_channels(&out);
        let [panicky, sine, late] = [&channels[0], &channels[1], &channels[2]];
        // Line crosses 0 at 0.1 s: the unit outputs 1 before, then nothing ever again.
        let cross = SAMPLE_RATE as usize / 10;
        assert!(panicky[BLOCK..cross - 2 * BLOCK].iter().all(|&x| x == 1.0), "{server:?}: not 1 before the panic");
        assert!(panicky[cross + 2 * BLOCK..].iter().all(|&x| x == 0.0), "{server:?}: not silent after the panic");
        // The sine sounds to the end of the render.
        let end = sine.len();
        assert!(end >= SAMPLE_RATE as usize * 3 / 10 - BLOCK, "{server:?}: render cut short at {end}");
        let last_period = &sine[end - 128..];
        assert!(last_period.iter().fold(0.0f32, |m, x| m.max(x.abs())) > 0.49, "{server:?}: sine stopped");
        // A synth created after the panic is built and runs.
        let start = SAMPLE_RATE as usize * 15 / 100 + BLOCK;
        assert!(late[start..].iter().all(|&x| x == 0.25), "{server:?}: the late synth did not run");
    }
}
