//! The real-time path: supernova on JACK's dummy backend loads the plugin and runs `PerfPeak` live.

mod support;

use rosc::OscType;
use std::time::Duration;
use support::realtime::RealTimeServer;
use support::{extension_dir, sclang, scratch, CORE_PLUGINS};

#[test]
fn perf_peak_runs_in_real_time_supernova_and_everything_shuts_down() {
    let dir = scratch("rt_smoke");
    let def = r#"SynthDef(\rt_peak, { Out.kr(3, PerfPeak.kr(SinOsc.ar(375, 0, 0.5))) }).writeDefFile(~dir);"#;
    sclang(def, &[extension_dir()], &dir).expect_success("sclang writing the SynthDef");
    let def_bytes = std::fs::read(dir.join("rt_peak.scsyndef")).unwrap();

    let plugin_path = format!("{CORE_PLUGINS}:{}", extension_dir().display());
    let server = RealTimeServer::boot(&plugin_path, &dir);
    server.send("/d_recv", vec![OscType::Blob(def_bytes)]);
    assert!(server.receive("/done", Duration::from_secs(5)).is_some(), "no /done for /d_recv");
    // Raw supernova has no default group 1: add to the root group 0 (facts trap 5).
    server.send("/s_new", vec!["rt_peak".into(), OscType::Int(1000), OscType::Int(0), OscType::Int(0)]);
    std::thread::sleep(Duration::from_millis(300));
    server.send("/c_get", vec![OscType::Int(3)]);
    let reply = server.receive("/c_set", Duration::from_secs(5)).expect("no /c_set reply to /c_get");
    let value = match reply.as_slice() {
        [OscType::Int(3), OscType::Float(v)] => *v,
        other => panic!("unexpected /c_set reply {other:?}"),
    };
    assert!((value - 0.5).abs() < 1e-4, "PerfPeak of a 0.5 sine read {value} in real time");

    let log_path = dir.join("supernova.log");
    assert!(server.quit(), "supernova did not exit cleanly after /quit");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(log.contains("UGens loaded (supernova build)"), "plugin not loaded:\n{log}");
    assert!(!log.contains("not installed") && !log.contains("panicked"), "errors in log:\n{log}");
}
