//! Real segments: creation with owner-only permissions, opening, and refusing bad ones with a clear message.

use agents::shm::layout::{MAGIC, VERSION, field};
use agents::shm::{Event, Layout, LayoutError, Segment, SegmentConfig, ShmError, kind};
use std::os::unix::fs::PermissionsExt;

/// A segment name of this test process, removed before and after `body`.
fn with_segment_name(tag: &str, body: impl FnOnce(&str)) {
    let name = format!("performia-test-{tag}-{}", std::process::id());
    Segment::remove(&name).unwrap();
    body(&name);
    Segment::remove(&name).unwrap();
}

fn dev_shm(name: &str) -> std::path::PathBuf {
    std::path::Path::new("/dev/shm").join(name)
}

/// Writes `bytes` as the whole content of segment `name` (on Linux a segment is a file in /dev/shm).
fn plant(name: &str, bytes: &[u8]) {
    std::fs::write(dev_shm(name), bytes).unwrap();
    std::fs::set_permissions(dev_shm(name), std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The bytes of a good segment of the default layout, made by this process.
fn good_bytes() -> Vec<u8> {
    let layout = Layout::new(1024, 1024).unwrap();
    let words = agents::shm::loom::zeroed_words(layout.total_words());
    layout
        .initialize(&words, u64::from(std::process::id()), 1)
        .unwrap();
    words
        .iter()
        .flat_map(|w| w.load(std::sync::atomic::Ordering::Relaxed).to_le_bytes())
        .collect()
}

fn set_word(bytes: &mut [u8], index: usize, value: u64) {
    bytes[index * 8..index * 8 + 8].copy_from_slice(&value.to_le_bytes());
}

fn open_error(name: &str) -> ShmError {
    match Segment::open(name) {
        Ok(_) => panic!("segment {name} should have been refused"),
        Err(error) => error,
    }
}

#[test]
fn the_first_side_creates_with_owner_only_permissions_and_the_second_opens_it() {
    with_segment_name("create", |name| {
        let first = Segment::create_or_open(name).unwrap();
        let mode = std::fs::metadata(dev_shm(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = Segment::create_or_open(name).unwrap();
        assert!(first.created() && !second.created());
        assert_eq!(first.layout(), second.layout());
        assert_eq!(second.header().creator_pid(), u64::from(std::process::id()));

        let mut writer = first.event_writer().unwrap();
        let mut reader = agents::shm::EventReader::new(second.events());
        writer.push(&Event {
            agent: 1,
            kind: kind::NOTE,
            pitch: 60.0,
            velocity: 0.8,
            time: 480,
            seq: 0,
        });
        let event = reader.pop().unwrap();
        assert_eq!((event.seq, event.pitch, event.time), (1, 60.0, 480));
        assert!(
            matches!(second.event_writer(), Err(ShmError::WriterBusy { .. })),
            "one writer per ring"
        );

        first.header().beat(42);
        assert_eq!(second.header().heartbeat_ns(), 42);
        first.state().write_clock(&agents::shm::Clock {
            sample_time: 64,
            ..Default::default()
        });
        assert_eq!(second.state().clock().map(|c| c.sample_time), Some(64));
        first.notes().push(&agents::shm::Note {
            pitch: 40.0,
            ..Default::default()
        });
        assert_eq!(
            agents::shm::NoteReader::new(second.notes())
                .pop()
                .map(|n| n.pitch),
            Some(40.0)
        );
    });
}

#[test]
fn a_segment_made_with_other_capacities_is_opened_with_its_own() {
    with_segment_name("capacities", |name| {
        let config = SegmentConfig {
            event_capacity: 2048,
            note_capacity: 1024,
        };
        let _made = Segment::create_or_open_with(name, config).unwrap();
        let opened = Segment::create_or_open(name).unwrap();
        assert_eq!(
            (opened.events().capacity(), opened.notes().capacity()),
            (2048, 1024)
        );
    });
}

#[test]
fn garbage_truncated_and_foreign_segments_are_refused_with_a_clear_message() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut garbage = vec![0u8; 70_000];
    for byte in garbage.iter_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *byte = seed as u8;
    }
    let good = good_bytes();
    let mut wrong_capacity = good.clone();
    set_word(&mut wrong_capacity, field::EVENTS_CAPACITY, 1000);
    let mut wrong_offset = good.clone();
    set_word(&mut wrong_offset, field::STATE_OFFSET, 8);
    let mut huge_capacity = good.clone();
    set_word(&mut huge_capacity, field::NOTES_CAPACITY, 1 << 40);
    let cases: [(&str, Vec<u8>, &str); 7] = [
        ("garbage", garbage, "not a Performia segment"),
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        ("tiny", vec![1, 2, 3], "truncated"),
        ("blank", vec![0; 4096], "never finished"),
        ("capacity", wrong_capacity, "capacity 1000"),
        ("offset", wrong_offset, "state page offset"),
        ("huge", huge_capacity, "note log capacity"),
    ];
    for (tag, bytes, expected) in cases {
        with_segment_name(tag, |name| {
            plant(name, &bytes);
            let message = open_error(name).to_string();
            assert!(message.contains(expected), "{tag}: {message}");
            assert!(
                message.contains(name) && !message.contains('\n'),
                "{tag}: {message}"
            );
            assert!(
                Segment::create_or_open(name).is_err(),
                "{tag}: create_or_open refuses it too"
            );
        });
    }
}

#[test]
fn an_empty_segment_file_is_refused_not_waited_for_forever() {
    with_segment_name("empty", |name| {
        plant(name, &[]);
        let started = std::time::Instant::now();
        let message = open_error(name).to_string();
        assert!(message.contains("remove it"), "{message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
    });
}

#[test]
fn a_stale_segment_of_another_version_from_a_dead_creator_says_to_remove_it() {
    with_segment_name("stale", |name| {
        let mut bytes = good_bytes();
        set_word(&mut bytes, field::VERSION, VERSION + 1);
        // A pid that cannot be running: above the kernel's pid_max (at most 2^22).
        set_word(&mut bytes, field::CREATOR_PID, 1 << 30);
        plant(name, &bytes);
        let error = open_error(name);
        assert!(
            matches!(
                error,
                ShmError::Invalid {
                    error: LayoutError::WrongVersion { .. },
                    creator_alive: false,
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("layout version {}", VERSION + 1)),
            "{message}"
        );
        assert!(
            message.contains(&format!("rm /dev/shm/{name}")),
            "{message}"
        );
    });
}

#[test]
fn another_version_whose_creator_still_runs_says_to_stop_it() {
    with_segment_name("live", |name| {
        let mut bytes = good_bytes();
        set_word(&mut bytes, field::VERSION, 0);
        plant(name, &bytes);
        let message = open_error(name).to_string();
        assert!(message.contains("still runs"), "{message}");
    });
}

#[test]
fn the_magic_alone_is_not_enough() {
    let mut bytes = good_bytes();
    set_word(&mut bytes, field::MAGIC, MAGIC ^ 1);
    with_segment_name("magic", |name| {
        plant(name, &bytes);
        assert!(matches!(
            open_error(name),
            ShmError::Invalid {
                error: LayoutError::BadMagic { .. },
                ..
            }
        ));
    });
}

#[test]
fn missing_segments_and_bad_names_say_what_to_do() {
    let missing = format!("performia-test-missing-{}", std::process::id());
    let message = open_error(&missing).to_string();
    assert!(message.contains("start the server"), "{message}");
    assert!(!Segment::remove(&missing).unwrap());
    for bad in ["", "a/b", ".hidden", "sp ace"] {
        assert!(
            matches!(Segment::create_or_open(bad), Err(ShmError::BadName { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn a_writer_left_by_a_dead_process_is_replaced() {
    with_segment_name("deadwriter", |name| {
        let segment = Segment::create_or_open(name).unwrap();
        // The owner word of the event ring (ring header word 8) names a process that cannot exist.
        let owner = segment.layout().events.start + 8;
        segment.words()[owner].store(1 << 30, std::sync::atomic::Ordering::Relaxed);
        let mut writer = segment.event_writer().unwrap();
        assert_eq!(writer.push(&Event::default()), 1);
    });
}
