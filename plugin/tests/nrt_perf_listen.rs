//! `PerfListen` in non-real-time renders on supernova: a take made here, fed through `/b_allocRead` and
//! `PlayBuf` (supernova NRT ignores the input file), reaches the listener sample-exactly, and the listener's
//! onsets and pitches come out where the plucks are.

mod support;

use support::{block_peaks, extension_dir, kr_values, read_channels, render, sclang, scratch, Server, BLOCK};

const SR: f32 = 48_000.0;
/// (start sample, Hz) of each pluck of the take.
const PLUCKS: [(usize, f32); 3] = [(14_400, 110.0), (38_400, 164.81), (62_400, 220.0)];
const LENGTH: usize = 96_000;

/// Samples each pluck lasts; its last 30 ms are a damping fade (a cut-off would itself be an attack).
const NOTE: usize = 21_000;
const DAMP: usize = 1_440;

/// A plucked string: decaying harmonics with a sharp attack at `start`, damped at the end.
fn take() -> Vec<f32> {
    let mut samples = vec![0.0f32; LENGTH];
    for (start, hz) in PLUCKS {
        for (i, x) in samples[start..(start + NOTE).min(LENGTH)].iter_mut().enumerate() {
            let t = i as f32 / SR;
            let damp = ((NOTE - i) as f32 / DAMP as f32).min(1.0);
            let tone: f32 = (1..=8)
                .map(|h| (2.0 * std::f32::consts::PI * hz * h as f32 * t).sin() * (-t * (3.0 + h as f32)).exp() / h as f32)
                .sum();
            *x += 0.3 * damp * tone;
        }
    }
    samples
}

const SCORE: &str = r#"
~def = SynthDef(\listen, {
    var in = PlayBuf.ar(1, 0, BufRateScale.kr(0));
    Out.ar(0, [in, K2A.ar(PerfPeak.kr(in))] ++ PerfListen.ar(in));
});
Score([
    [0.0, [\b_allocRead, 0, ~dir +/+ "take.wav"]],
    [0.0, [\d_recv, ~def.asBytes]],
    [0.0, [\cmd, \performiaPrepare, 1]],
    [0.0, [\s_new, \listen, 1000, 0, 0]],
    [2.0, [\c_set, 0, 0]]
]).writeOSCFile(~dir +/+ "score.osc");
"#;

#[test]
fn the_take_reaches_perf_listen_intact_and_its_plucks_are_heard() {
    let dir = scratch("nrt_perf_listen");
    let samples = take();
    let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut writer = hound::WavWriter::create(dir.join("take.wav"), spec).unwrap();
    samples.iter().for_each(|&x| writer.write_sample(x).unwrap());
    writer.finalize().unwrap();
    sclang(SCORE, &[extension_dir()], &dir).expect_success("sclang writing the score");

    let out = dir.join("supernova.wav");
    let output = render(Server::Supernova, &dir.join("score.osc"), &out, 11, &[extension_dir()]);
    let output = output.expect_success("NRT render");
    assert!(!output.log.contains("PerfListen ("), "PerfListen complained:\n{}", output.log);
    let ch = read_channels(&out);

    // PlayBuf hands the take over sample for sample from sample 0, and the plugin sees exactly that.
    assert_eq!(&ch[0][..LENGTH.min(ch[0].len())], &samples[..LENGTH.min(ch[0].len())]);
    let peaks = kr_values(&ch[1]);
    assert_eq!(&peaks[..], &block_peaks(&samples)[..peaks.len()]);

    // One onset per pluck, at most 3 ms from the attack, and nothing else.
    let onsets: Vec<usize> = (0..ch[2].len()).filter(|&i| ch[2][i] == 1.0).collect();
    assert_eq!(onsets.len(), PLUCKS.len(), "onsets at {onsets:?}");
    for ((start, _), onset) in PLUCKS.iter().zip(&onsets) {
        assert!(onset.abs_diff(*start) <= 144, "onset at {onset}, pluck at {start}");
    }
    // The pitch 150 ms into each note is the pluck's, within 30 cents; silence before the first is unvoiced.
    let pitch = &ch[4];
    assert_eq!(pitch[PLUCKS[0].0 - 4_800], 0.0, "pitch before the first note");
    for (start, hz) in PLUCKS {
        let heard = pitch[start + 7_200];
        let cents = 1200.0 * (heard / hz).log2();
        assert!(cents.abs() < 30.0, "pitch {heard} Hz for a {hz} Hz pluck");
    }
    // Level follows the take: loud in a note, zero in the silence before it.
    assert!(ch[3][PLUCKS[0].0 + 2_400] > 0.05 && ch[3][BLOCK * 10] == 0.0);
}
