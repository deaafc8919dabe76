//! `PerfListen` in non-real-time renders on supernova: a take made here, fed through `/b_allocRead` and
//! `PlayBuf` (supernova NRT ignores the input file), reaches the listener sample-exactly, and the listener's
//! onsets and pitches come out where the plucks are.

mod support;

use support::{
    block_peaks, extension_dir, kr_values, plucked_take, read_channels, render, sclang, scratch, write_float_wav,
    Server, BLOCK,
};

/// (start sample, Hz) of each pluck of the take.
const PLUCKS: [(usize, f32); 3] = [(14_400, 110.0), (38_400, 164.81), (62_400, 220.0)];
const LENGTH: usize = 96_000;
const NOTE: usize = 21_000;

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
    let samples = plucked_take(&PLUCKS, LENGTH, NOTE);
    write_float_wav(&dir.join("take.wav"), &samples);
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
