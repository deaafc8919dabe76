//! The lossy broadcast ring: order, lapping and loss counting (proptest against a model), garbage slots,
//! writer claims, and the note log's many writers.

use agents::shm::loom::{AtomicU64, Ordering, zeroed_words};
use agents::shm::ring::words_for;
use agents::shm::{Cursor, Event, EventRing, Note, NoteLog, NoteReader, Read, kind};
use proptest::prelude::*;

/// An event whose every field derives from `seq`, so a torn or misplaced read shows.
fn event_for(seq: u64) -> Event {
    Event {
        seq: 0,
        agent: (seq % 5) as u16,
        kind: kind::NOTE,
        pitch: seq as f32,
        velocity: 0.5,
        time: seq * 7,
    }
}

fn check_payload(event: &Event) {
    assert_eq!(
        event.pitch, event.seq as f32,
        "pitch belongs to event {}",
        event.seq
    );
    assert_eq!(
        event.time,
        event.seq * 7,
        "time belongs to event {}",
        event.seq
    );
    assert_eq!(event.agent, (event.seq % 5) as u16);
}

#[derive(Clone, Debug)]
enum Op {
    Push(u64),
    Read { reader: usize, times: usize },
    NewReader { from_oldest: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..12).prop_map(Op::Push),
        4 => (0usize..3, 1usize..12).prop_map(|(reader, times)| Op::Read { reader, times }),
        1 => any::<bool>().prop_map(|from_oldest| Op::NewReader { from_oldest }),
    ]
}

/// What a read must give: the model of the ring is just `head` and the capacity.
fn expected_read(head: u64, capacity: u64, next: &mut u64) -> Read<u64> {
    if *next > head {
        Read::Empty
    } else if *next + capacity <= head {
        let oldest = head - capacity + 1;
        let lost = oldest - *next;
        *next = oldest;
        Read::Lost(lost)
    } else {
        *next += 1;
        Read::Item(*next - 1)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_interleaving_reads_each_event_once_in_order_or_counts_it_lost(
        ops in proptest::collection::vec(op(), 1..80),
        log2_capacity in 1u32..4,
    ) {
        let capacity = 1usize << log2_capacity;
        let words = zeroed_words(words_for(capacity));
        let ring = EventRing::new(&words).unwrap();
        let mut writer = ring.writer(1, |_| false).unwrap();
        let mut head = 0u64;
        let mut readers: Vec<(Cursor, u64, u64)> = vec![(ring.cursor_from_oldest(), 1, 1)];
        let mut delivered = vec![0u64; 0];
        for op in ops {
            match op {
                Op::Push(count) => for _ in 0..count {
                    head += 1;
                    prop_assert_eq!(writer.push(&event_for(head)), head);
                },
                Op::NewReader { from_oldest } => {
                    let cursor = if from_oldest { ring.cursor_from_oldest() } else { ring.cursor_from_now() };
                    let start = if from_oldest { head.saturating_sub(capacity as u64 - 1).max(1) } else { head + 1 };
                    prop_assert_eq!(cursor.next_seq(), start);
                    readers.push((cursor, start, start));
                }
                Op::Read { reader, times } => {
                    let index = reader % readers.len();
                    let (cursor, model_next, _) = &mut readers[index];
                    for _ in 0..times {
                        let got = ring.read(cursor);
                        let want = expected_read(head, capacity as u64, model_next);
                        match (got, want) {
                            (Read::Item(event), Read::Item(seq)) => {
                                prop_assert_eq!(event.seq, seq);
                                check_payload(&event);
                                delivered.push(seq);
                            }
                            (got, want) => prop_assert_eq!(format!("{got:?}"), format!("{want:?}")),
                        }
                        prop_assert_eq!(cursor.next_seq(), *model_next);
                    }
                }
            }
        }
        // Exact totals: from its start, every reader has read or counted lost each event it moved past.
        for (cursor, _, start) in &readers {
            let (mut cursor, mut read) = (*cursor, 0u64);
            let before = cursor.next_seq();
            while let Read::Item(_) | Read::Lost(_) = ring.read(&mut cursor) {
                read += 1;
            }
            prop_assert_eq!(cursor.next_seq(), head.max(start - 1) + 1);
            prop_assert!(read <= head + 1 - before.min(head + 1));
            prop_assert!(cursor.lost() <= cursor.next_seq() - start);
        }
    }
}

#[test]
fn a_reader_lapped_by_three_rings_counts_exactly_what_it_missed() {
    let words = zeroed_words(words_for(1024));
    let ring = EventRing::new(&words).unwrap();
    let mut writer = ring.writer(7, |_| false).unwrap();
    let mut cursor = ring.cursor_from_oldest();
    for seq in 1..=3 * 1024 + 10 {
        writer.push(&event_for(seq));
    }
    assert_eq!(ring.read(&mut cursor), Read::Lost(2 * 1024 + 10));
    let mut read = 0;
    while let Read::Item(event) = ring.read(&mut cursor) {
        assert_eq!(event.seq, 2 * 1024 + 11 + read);
        check_payload(&event);
        read += 1;
    }
    assert_eq!((read, cursor.lost()), (1024, 2 * 1024 + 10));
}

#[test]
fn a_slot_left_busy_by_a_dead_writer_is_never_returned() {
    let words = zeroed_words(words_for(2));
    let ring = EventRing::new(&words).unwrap();
    let mut cursor = ring.cursor_from_oldest();
    // A writer died after marking the slot of event 1 busy and writing half its payload.
    let slot = 16 + 4;
    words[slot].store(1 << 1 | 1, Ordering::Relaxed);
    words[slot + 1].store(u64::MAX, Ordering::Relaxed);
    words[0].store(0, Ordering::Relaxed);
    assert_eq!(ring.read(&mut cursor), Read::Empty);
    // A new writer takes over from `head` and rewrites that slot whole.
    let mut writer = ring.writer(2, |_| false).unwrap();
    writer.push(&event_for(1));
    assert!(matches!(
        ring.read(&mut cursor),
        Read::Item(Event {
            seq: 1,
            pitch: 1.0,
            ..
        })
    ));
}

#[test]
fn a_stale_busy_slot_behind_a_moving_ring_counts_as_lost_not_stuck() {
    let words = zeroed_words(words_for(2));
    let ring = EventRing::new(&words).unwrap();
    let mut cursor = ring.cursor_from_oldest();
    words[16 + 4].store(1 << 1 | 1, Ordering::Relaxed);
    words[0].store(5, Ordering::Relaxed);
    // head says 5 events were written since: the reader at 1 is lapped, the busy slot not trusted.
    assert_eq!(ring.read(&mut cursor), Read::Lost(3));
    assert_eq!(cursor.next_seq(), 4);
}

#[test]
fn garbage_in_every_word_never_panics_and_floats_come_out_finite() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..200 {
        let words = zeroed_words(words_for(4));
        let ring = EventRing::new(&words).unwrap();
        for word in words.iter() {
            word.store(next(), Ordering::Relaxed);
        }
        if round % 2 == 0 {
            // Stamps that look right, payloads of garbage (NaN, inf, subnormal bit patterns included).
            for seq in 1..=4u64 {
                words[16 + 4 * (seq as usize % 4)].store(seq << 1, Ordering::Relaxed);
            }
            words[0].store(4, Ordering::Relaxed);
        }
        let mut cursor = Cursor::default();
        for _ in 0..20 {
            if let Read::Item(event) = ring.read(&mut cursor) {
                assert!(event.pitch.is_finite() && event.velocity.is_finite());
            }
        }
        let mut cursor = ring.cursor_from_oldest();
        let _ = ring.read(&mut cursor);
        let _ = ring.cursor_from_now();
    }
}

#[test]
fn nan_and_subnormal_floats_are_read_as_zero() {
    let words = zeroed_words(words_for(1024));
    let ring = EventRing::new(&words).unwrap();
    let mut writer = ring.writer(1, |_| false).unwrap();
    let mut cursor = ring.cursor_from_oldest();
    writer.push(&Event {
        pitch: f32::NAN,
        velocity: 1e-40,
        ..event_for(1)
    });
    let Read::Item(event) = ring.read(&mut cursor) else {
        panic!("the event should be there")
    };
    assert_eq!((event.pitch, event.velocity), (0.0, 0.0));
}

#[test]
fn only_one_writer_at_a_time_unless_the_holder_is_gone() {
    let words = zeroed_words(words_for(1024));
    let ring = EventRing::new(&words).unwrap();
    let mut first = ring.writer(10, |_| false).unwrap();
    first.push(&event_for(1));
    assert_eq!(
        ring.writer(11, |_| false).err().map(|busy| busy.holder),
        Some(10)
    );
    assert!(
        ring.writer(10, |_| true).is_err(),
        "the same owner twice is busy, never gone"
    );
    let mut second = ring.writer(11, |holder| holder == 10).unwrap();
    assert_eq!(
        second.push(&event_for(2)),
        2,
        "a new writer goes on after head"
    );
    drop(second);
    assert!(
        ring.writer(12, |_| false).is_ok(),
        "dropping a writer releases the ring"
    );
    assert!(ring.writer(0, |_| true).is_err(), "owner 0 is refused");
}

#[test]
fn rings_of_the_wrong_size_are_refused() {
    for words in [0, 15, 16, 20, 16 + 4 * 3, 16 + 4 * 4 + 1] {
        assert!(
            EventRing::new(&zeroed_words(words)).is_err(),
            "{words} words"
        );
    }
    assert!(EventRing::new(&zeroed_words(words_for(2))).is_ok());
}

#[test]
fn four_threads_logging_notes_lose_none_when_the_log_is_large_enough() {
    let words: Vec<AtomicU64> = zeroed_words(words_for(1 << 14));
    let log = NoteLog::new(&words).unwrap();
    std::thread::scope(|scope| {
        for agent in 1..=4u16 {
            scope.spawn(move || {
                for i in 0..2000u64 {
                    let note = Note {
                        time: i,
                        agent,
                        pitch: f32::from(agent),
                        velocity: 0.5,
                        duration: i as u32,
                        seq: 0,
                    };
                    assert!(log.push(&note).is_some());
                }
            });
        }
    });
    let mut reader = NoteReader::new(log);
    let mut per_agent = [0u64; 4];
    let mut last_seq = 0;
    while let Some(note) = reader.pop() {
        assert!(note.seq > last_seq);
        last_seq = note.seq;
        assert_eq!(note.pitch, f32::from(note.agent));
        assert_eq!(note.duration as u64, note.time, "a note is never torn");
        assert_eq!(
            note.time,
            per_agent[usize::from(note.agent - 1)],
            "each agent's notes in its order"
        );
        per_agent[usize::from(note.agent - 1)] += 1;
    }
    assert_eq!((per_agent, reader.lost()), ([2000; 4], 0));
}

#[test]
fn a_reader_racing_a_fast_writer_reads_or_counts_every_event() {
    let words = zeroed_words(words_for(1024));
    let ring = EventRing::new(&words).unwrap();
    let total = 300_000u64;
    let mut cursor = ring.cursor_from_oldest();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut writer = ring.writer(1, |_| false).unwrap();
            for seq in 1..=total {
                writer.push(&event_for(seq));
            }
        });
        let (mut read, mut expected) = (0u64, 1u64);
        while cursor.next_seq() <= total {
            match ring.read(&mut cursor) {
                Read::Item(event) => {
                    assert_eq!(event.seq, expected);
                    check_payload(&event);
                    read += 1;
                    expected += 1;
                }
                Read::Lost(lost) => expected += lost,
                Read::Empty => std::hint::spin_loop(),
            }
        }
        assert_eq!(read + cursor.lost(), total);
    });
}
