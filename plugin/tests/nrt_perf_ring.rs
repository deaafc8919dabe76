//! `PerfRing` in a non-real-time render: events written into a real shared-memory segment before the render
//! come out at exactly their sample times, filtered by agent and type, with late events counted.

mod support;

use agents::shm::{agent, kind, Event, Segment};
use support::{extension_dir, read_channels, render, sclang, scratch, Server};

/// Attaches the segment (the async command completes before the first block in NRT), starts a bass-notes
/// PerfRing at 0 and another at 0.1 s (4800 samples), so that events before then are late for it.
const SCORE: &str = r#"
~def = SynthDef(\ring, { |agent = 2, type = 1, out = 0|
    Out.ar(out, PerfRing.ar(agent, type));
});
Score([
    [0.0, [\d_recv, ~def.asBytes]],
    [0.0, [\cmd, \performiaAttach, ~segment]],
    [0.0, [\s_new, \ring, 1000, 0, 0, \out, 0]],
    [0.1, [\s_new, \ring, 1001, 0, 0, \out, 5]],
    [0.2, [\c_set, 0, 0]]
]).writeOSCFile(~dir +/+ "score.osc");
"#;

/// Removes the test's segment from the system when the test ends, passed or failed.
struct RemoveOnDrop(String);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = Segment::remove(&self.0);
    }
}

fn note(agent: u16, pitch: f32, velocity: f32, time: u64) -> Event {
    Event { seq: 0, agent, kind: kind::NOTE, pitch, velocity, time }
}

#[test]
fn events_come_out_of_perf_ring_at_exactly_their_sample_times() {
    let dir = scratch("nrt_perf_ring");
    let name = format!("performia-test-ring-{}", std::process::id());
    let _remove = RemoveOnDrop(name.clone());
    let segment = Segment::create_or_open(&name).expect("create the segment");
    {
        let mut writer = segment.event_writer().expect("the only writer");
        writer.push(&note(agent::BASS, 40.0, 0.9, 1000));
        writer.push(&note(agent::DRUMS, 36.0, 0.5, 1500)); // another agent: filtered out
        writer.push(&Event { kind: kind::PEDAL, ..note(agent::BASS, 1.0, 1.0, 1600) }); // another type
        writer.push(&note(agent::ALL, 43.0, 0.7, 5000)); // for every agent
        writer.push(&note(agent::BASS, 45.0, 0.6, 5001)); // the very next sample
        writer.push(&note(agent::BASS, 47.0, 0.5, 7000));
    }
    let code = format!("~segment = {name:?};\n{SCORE}");
    sclang(&code, &[extension_dir()], &dir).expect_success("sclang writing the score");

    for server in Server::BOTH {
        let out = dir.join(format!("{}.wav", server.program()));
        let output = render(server, &dir.join("score.osc"), &out, 10, &[extension_dir()]);
        let output = output.expect_success("NRT render");
        assert!(output.log.contains(&format!("attached to shared memory '{name}'")), "{server:?}:\n{}", output.log);
        let ch = read_channels(&out);
        let triggers = |c: usize| -> Vec<usize> { (0..ch[c].len()).filter(|&i| ch[c][i] != 0.0).collect() };

        // The unit started at 0 plays the four matching events at their exact samples.
        assert_eq!(triggers(0), vec![1000, 5000, 5001, 7000], "{server:?} triggers");
        assert_eq!((ch[1][999], ch[1][1000], ch[1][4999]), (0.0, 40.0, 40.0), "{server:?} pitch held");
        assert_eq!((ch[1][5000], ch[1][5001], ch[1][7000]), (43.0, 45.0, 47.0), "{server:?} pitches");
        assert_eq!((ch[2][1000], ch[2][5001]), (0.9, 0.6), "{server:?} velocities");
        assert!(ch[3].iter().all(|&x| x == 0.0) && ch[4].iter().all(|&x| x == 0.0), "{server:?}: late/lost");

        // The unit started at 0.1 s (sample 4800; the servers start it at the block boundary at or just after
        // it) gets the event at 1000 late, at its first sample, and counts it.
        let started = ch[8].iter().position(|&late| late != 0.0).expect("the late unit never counted");
        assert!(started % 64 == 0 && (4800..=4864).contains(&started), "{server:?} started at {started}");
        assert_eq!(ch[8][started], 1.0, "{server:?} late count");
        assert_eq!(triggers(5), vec![started, 5000, 5001, 7000], "{server:?} late unit triggers");
    }
}

/// A segment full of garbage, and an attach command with a number for a name: each gets one line saying what
/// is wrong, nothing is attached, and the server renders to the end.
const BAD_SCORE: &str = r#"
~def = SynthDef(\ring, { Out.ar(0, PerfRing.ar(-1, -1)) });
Score([
    [0.0, [\d_recv, ~def.asBytes]],
    [0.0, [\cmd, \performiaAttach, ~segment]],
    [0.0, [\cmd, \performiaAttach, 42]],
    [0.0, [\s_new, \ring, 1000, 0, 0]],
    [0.1, [\c_set, 0, 0]]
]).writeOSCFile(~dir +/+ "score.osc");
"#;

#[test]
fn a_garbage_segment_and_a_bad_attach_message_are_refused_with_one_line_each() {
    let dir = scratch("nrt_perf_ring_bad");
    let name = format!("performia-test-garbage-{}", std::process::id());
    let _remove = RemoveOnDrop(name.clone());
    let garbage: Vec<u8> = (0..65_536u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(format!("/dev/shm/{name}"), garbage).unwrap();
    let code = format!("~segment = {name:?};\n{BAD_SCORE}");
    sclang(&code, &[extension_dir()], &dir).expect_success("sclang writing the score");
    for server in Server::BOTH {
        let out = dir.join(format!("{}.wav", server.program()));
        let output = render(server, &dir.join("score.osc"), &out, 5, &[extension_dir()]);
        let output = output.expect_success("NRT render with a garbage segment");
        let refused = output.log.lines().filter(|l| l.starts_with(&format!("performiaAttach {name}: "))).count();
        assert_eq!(refused, 1, "{server:?}: no one-line refusal of the garbage segment:\n{}", output.log);
        assert!(output.log.contains("performiaAttach: the segment name must be a string"), "{}", output.log);
        assert!(!output.log.contains("attached to shared memory"), "{server:?} attached garbage:\n{}", output.log);
        let ch = read_channels(&out);
        assert!(ch[0].len() >= 4_800 - 64 && ch[0].iter().all(|&x| x == 0.0), "{server:?}: triggers from garbage");
    }
}
