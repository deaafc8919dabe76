//! `PerfPeak` in non-real-time renders on the real supernova and scsynth, checked sample by sample.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use support::{block_peaks, extension_dir, kr_values, read_channels, render, sclang, scratch, Server, BLOCK};

/// The sample at which the step input jumps from 0 to 0.75: inside block 15 (samples 960..1023).
const STEP_AT: usize = 1000;
const STEP_BLOCK: usize = STEP_AT / BLOCK;

/// One score, rendered once per server, with a channel per case (see `CHANNELS`):
/// a 0.5 sine at 375 Hz (128-sample period, so sample 32 of each block is a crest), a step, silence, and a
/// sine with NaN and infinity spliced in, each followed by its PerfPeak as K2A.
const SCORE: &str = r#"
var def = SynthDef(\perf_peak_cases, {
    var n = Phasor.ar(0, 1, 0, 1e9);
    var sine = SinOsc.ar(375, 0, 0.5);
    var step = (n >= 1000) * 0.75;
    var silence = DC.ar(0);
    var bad = Select.ar((n % 640 >= 320) + (n % 1280 >= 960), [sine, DC.ar(inf), DC.ar(0) * inf]);
    Out.ar(0, [sine, K2A.ar(PerfPeak.kr(sine)), step, K2A.ar(PerfPeak.kr(step)),
        K2A.ar(PerfPeak.kr(silence)), bad, K2A.ar(PerfPeak.kr(bad))]);
});
Score([
    [0.0, [\d_recv, def.asBytes]],
    [0.0, [\s_new, \perf_peak_cases, 1000, 0, 0]],
    [0.25, [\c_set, 0, 0]]
]).writeOSCFile(~dir +/+ "score.osc");
"#;
const CHANNELS: usize = 7;
const SINE: usize = 0;
const SINE_PEAK: usize = 1;
const STEP: usize = 2;
const STEP_PEAK: usize = 3;
const SILENCE_PEAK: usize = 4;
const BAD: usize = 5;
const BAD_PEAK: usize = 6;

struct Render {
    channels: Vec<Vec<f32>>,
    log: String,
}

fn score() -> &'static PathBuf {
    static SCORE_FILE: OnceLock<PathBuf> = OnceLock::new();
    SCORE_FILE.get_or_init(|| {
        let dir = scratch("nrt_perf_peak");
        sclang(SCORE, &[extension_dir()], &dir).expect_success("sclang writing the score");
        dir.join("score.osc")
    })
}

fn rendered(server: Server) -> &'static Render {
    static RENDERS: [OnceLock<Render>; 2] = [OnceLock::new(), OnceLock::new()];
    RENDERS[server as usize].get_or_init(|| {
        let score = score();
        let out = score.with_file_name(format!("{}.wav", server.program()));
        let output = render(server, score, &out, CHANNELS, &[extension_dir()]).expect_success("NRT render");
        Render { channels: read_channels(&out), log: output.log }
    })
}

#[test]
fn both_servers_load_the_plugin_and_render_without_errors() {
    for server in Server::BOTH {
        let render = rendered(server);
        assert!(render.log.contains(server.load_line()), "{server:?} did not load Performia:\n{}", render.log);
        for bad in ["skipped", "failed", "not installed", "ERROR", "panicked"] {
            assert!(!render.log.contains(bad), "{server:?} printed {bad:?}:\n{}", render.log);
        }
        // 0.25 s = 12000 frames: supernova stops at the last whole block before the last bundle, scsynth
        // renders one block more (facts trap 13).
        assert!(render.channels[0].len() >= 12_000 - BLOCK, "{server:?} rendered {} frames", render.channels[0].len());
    }
}

#[test]
fn peak_of_a_half_amplitude_sine_is_half_in_every_full_block() {
    for server in Server::BOTH {
        let peaks = kr_values(&rendered(server).channels[SINE_PEAK]);
        assert!(peaks.len() > 100);
        for (block, peak) in peaks.iter().enumerate() {
            assert!((peak - 0.5).abs() < 1e-4, "{server:?} block {block}: peak {peak}");
        }
    }
}

#[test]
fn peak_is_exactly_the_largest_absolute_input_sample_of_each_block() {
    for server in Server::BOTH {
        let render = rendered(server);
        let expected = block_peaks(&render.channels[SINE]);
        let got = kr_values(&render.channels[SINE_PEAK]);
        for (block, (want, got)) in expected.iter().zip(&got).enumerate() {
            assert_eq!(want, got, "{server:?} block {block}");
        }
    }
}

#[test]
fn peak_follows_a_step_from_the_block_that_contains_it() {
    for server in Server::BOTH {
        let render = rendered(server);
        // The input itself steps where the score says it does.
        assert_eq!(render.channels[STEP][STEP_AT - 1], 0.0);
        assert_eq!(render.channels[STEP][STEP_AT], 0.75);
        let peaks = kr_values(&render.channels[STEP_PEAK]);
        for (block, &peak) in peaks.iter().enumerate() {
            let want = if block < STEP_BLOCK { 0.0 } else { 0.75 };
            assert_eq!(peak, want, "{server:?} block {block}");
        }
    }
}

#[test]
fn peak_of_silence_is_zero() {
    for server in Server::BOTH {
        let peaks = kr_values(&rendered(server).channels[SILENCE_PEAK]);
        assert!(peaks.len() > 100 && peaks.iter().all(|&p| p == 0.0), "{server:?}: {peaks:?}");
    }
}

#[test]
fn nan_and_infinite_input_give_a_finite_peak_of_the_finite_samples() {
    for server in Server::BOTH {
        let render = rendered(server);
        let bad = &render.channels[BAD];
        assert!(bad.iter().any(|x| x.is_nan()) && bad.iter().any(|x| x.is_infinite()), "input lacks NaN/inf");
        let peaks = kr_values(&render.channels[BAD_PEAK]);
        for (block, chunk) in bad.chunks_exact(BLOCK).enumerate().take(peaks.len()) {
            let want = chunk.iter().filter(|x| x.is_finite()).fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(peaks[block].is_finite(), "{server:?} block {block} is not finite");
            assert_eq!(peaks[block], want, "{server:?} block {block}");
        }
    }
}

#[test]
fn the_class_refuses_a_control_rate_input_with_a_clear_message() {
    let dir = scratch("perf_peak_class_check");
    let output = sclang("SynthDef(\\bad_peak, { Out.kr(0, PerfPeak.kr(DC.kr(1))) }).asBytes;", &[extension_dir()], &dir);
    assert!(!output.success, "sclang accepted a control-rate input:\n{}", output.log);
    assert!(output.log.contains("input 'in' is not audio rate"), "no clear message:\n{}", output.log);
}
