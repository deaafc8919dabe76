//! Writer and reader in two processes over a real segment: every event arrives once, in order, or is counted
//! lost. The reader process is this test binary run again with `CHILD_SEGMENT` set.

use agents::shm::{AgentState, Event, EventReader, Read, Segment, SegmentConfig, kind};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child: the segment to read.
const CHILD_SEGMENT: &str = "PERFORMIA_SHM_TEST_CHILD_SEGMENT";
const EVENTS: u64 = 400_000;

fn event_for(seq: u64) -> Event {
    Event {
        seq: 0,
        agent: (seq % 5) as u16,
        kind: kind::NOTE,
        pitch: (seq % 128) as f32,
        velocity: 0.25,
        time: seq * 3,
    }
}

/// Pushes `EVENTS` events. In the first half the writer paces itself by the reader's published progress
/// (so nothing may be lost); in the second it goes flat out (the reader is lapped, and must count it).
fn write_all(segment: &Segment) {
    let mut writer = segment.event_writer().unwrap();
    let capacity = segment.events().capacity() as u64;
    // Paced until the last event that could overwrite one of the first half has been written.
    let paced_until = EVENTS / 2 + capacity;
    let deadline = Instant::now() + Duration::from_secs(60);
    for seq in 1..=EVENTS {
        while seq <= paced_until && seq >= progress(segment) + capacity / 2 {
            assert!(
                Instant::now() < deadline,
                "the reader stopped at {}",
                progress(segment)
            );
            std::hint::spin_loop();
        }
        assert_eq!(writer.push(&event_for(seq)), seq);
    }
}

/// The reader's cursor, which it publishes in agent 1's section of the state page (a test-only channel).
fn progress(segment: &Segment) -> u64 {
    segment
        .state()
        .agent(1)
        .map_or(0, |state| state.notes_played)
}

/// Reads until the cursor is past the last event, checking order and payload; returns (read, lost, lost in
/// the paced first half).
fn read_all(segment: &Segment, mut reader: EventReader<'_>) -> (u64, u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut read, mut expected, mut lost_paced) = (0, 1, 0);
    while reader.cursor().next_seq() <= EVENTS {
        match reader.read() {
            Read::Item(event) => {
                assert_eq!(event.seq, expected, "events arrive in order, none twice");
                assert_eq!(
                    event,
                    Event {
                        seq: expected,
                        ..event_for(expected)
                    },
                    "an event is never torn"
                );
                read += 1;
                expected += 1;
                if expected % 64 == 0 {
                    segment.state().write_agent(
                        1,
                        &AgentState {
                            notes_played: expected,
                            ..AgentState::default()
                        },
                    );
                }
            }
            Read::Lost(lost) => {
                if expected <= EVENTS / 2 {
                    lost_paced += lost;
                }
                expected += lost;
            }
            Read::Empty => {
                assert!(
                    Instant::now() < deadline,
                    "the writer went quiet at {expected}"
                );
                std::hint::spin_loop();
            }
        }
    }
    assert_eq!(segment.events().head(), EVENTS);
    (read, reader.lost(), lost_paced)
}

#[test]
fn events_cross_the_process_boundary_once_in_order_or_counted_lost() {
    let name = format!("performia-test-xproc-{}", std::process::id());
    Segment::remove(&name).unwrap();
    let config = SegmentConfig {
        event_capacity: 1024,
        note_capacity: 1024,
    };
    let segment = Segment::create_or_open_with(&name, config).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_reader_role_reads_everything_a_writer_pushes",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_SEGMENT, &name)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("READY"));
    assert!(ready.is_some(), "the reader process started");
    write_all(&segment);
    // Read every line (dropping the pipe early would break the child's last prints).
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let result = rest.iter().find_map(|line| {
        // libtest may print "test name ... " on the same line first.
        let (_, rest) = line.split_once("RESULT ")?;
        let mut numbers = rest.split(' ').map(|n| n.parse::<u64>().unwrap());
        Some((numbers.next()?, numbers.next()?, numbers.next()?))
    });
    let status = child.wait().unwrap();
    Segment::remove(&name).unwrap();
    assert!(status.success(), "the reader process found no fault");
    let (read, lost, lost_paced) = result.expect("the reader process reported");
    assert_eq!(read + lost, EVENTS, "read {read} + lost {lost}");
    assert_eq!(
        lost_paced, 0,
        "nothing is lost while the reader is not lapped"
    );
    println!("cross-process: read {read}, lost {lost} of {EVENTS}");
}

/// In the child: the reader role over the segment named in `CHILD_SEGMENT`. Run directly: the same role
/// against a writer thread in this process, over a real segment.
#[test]
fn the_reader_role_reads_everything_a_writer_pushes() {
    if let Ok(name) = std::env::var(CHILD_SEGMENT) {
        let segment = Segment::open(&name).unwrap();
        let reader = EventReader::new(segment.events());
        println!("READY");
        let (read, lost, lost_paced) = read_all(&segment, reader);
        println!("RESULT {read} {lost} {lost_paced}");
        assert_eq!(read + lost, EVENTS);
        return;
    }
    let name = format!("performia-test-xthread-{}", std::process::id());
    Segment::remove(&name).unwrap();
    let segment = Segment::create_or_open(&name).unwrap();
    let (read, lost, lost_paced) = std::thread::scope(|scope| {
        let reader = EventReader::new(segment.events());
        scope.spawn(|| write_all(&segment));
        read_all(&segment, reader)
    });
    Segment::remove(&name).unwrap();
    assert_eq!((read + lost, lost_paced), (EVENTS, 0));
}
