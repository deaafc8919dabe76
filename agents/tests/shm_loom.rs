//! Model checks of the ring's algorithm with loom: run with
//! `RUSTFLAGS="--cfg loom" cargo test -p performia-agents --release --test shm_loom`.
//! Tiny rings (2 slots) and few events, so that lapping and torn slots happen inside the explored schedules.
//! (The state page uses the same seqlock protocol over 15 words a section; loom cannot explore that many
//! relaxed loads in reasonable time, so it is tested with threads in `shm_state.rs`.)
#![cfg(loom)]

use agents::shm::loom::zeroed_words;
use agents::shm::ring::words_for;
use agents::shm::{Event, EventRing, Note, NoteLog, Read, kind};
use loom::sync::Arc;

fn event_for(seq: u64) -> Event {
    Event {
        seq: 0,
        agent: seq as u16,
        kind: kind::NOTE,
        pitch: seq as f32,
        velocity: 0.5,
        time: seq * 10,
    }
}

/// Explores schedules with at most `preemptions` forced switches (loom's bound keeps runs short).
fn model(preemptions: usize, body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.check(body);
}

#[test]
fn a_reader_racing_the_writer_gets_each_event_once_in_order_untorn_or_counts_it_lost() {
    model(4, || {
        let words = Arc::new(zeroed_words(words_for(2)));
        let writer_words = words.clone();
        let writer = loom::thread::spawn(move || {
            let ring = EventRing::new(&writer_words).unwrap();
            let mut writer = ring.writer(1, |_| false).unwrap();
            for seq in 1..=3 {
                writer.push(&event_for(seq));
            }
        });
        let ring = EventRing::new(&words).unwrap();
        let mut cursor = ring.cursor_from_oldest();
        let (mut next, mut read) = (1u64, 0u64);
        let mut check = |got: Read<Event>| match got {
            Read::Item(event) => {
                assert_eq!(
                    event,
                    Event {
                        seq: next,
                        ..event_for(next)
                    },
                    "in order and untorn"
                );
                next += 1;
                read += 1;
                true
            }
            Read::Lost(lost) => {
                next += lost;
                true
            }
            Read::Empty => false,
        };
        for _ in 0..2 {
            check(ring.read(&mut cursor));
        }
        writer.join().unwrap();
        while check(ring.read(&mut cursor)) {}
        assert_eq!(cursor.next_seq(), 4);
        assert_eq!(read + cursor.lost(), 3, "every event read or counted lost");
        assert!(
            read >= 2,
            "after the writer is done, the last lap is all there"
        );
    });
}

#[test]
fn two_shared_writers_and_a_reader_never_see_a_torn_note() {
    model(3, || {
        let words = Arc::new(zeroed_words(words_for(2)));
        let writers: Vec<_> = (1..=2u16)
            .map(|agent| {
                let words = words.clone();
                loom::thread::spawn(move || {
                    let log = NoteLog::new(&words).unwrap();
                    let note = Note {
                        time: u64::from(agent),
                        agent,
                        pitch: f32::from(agent),
                        velocity: 0.5,
                        duration: 7,
                        seq: 0,
                    };
                    log.push(&note).is_some()
                })
            })
            .collect();
        let log = NoteLog::new(&words).unwrap();
        let mut cursor = log.cursor_from_oldest();
        let mut seen = Vec::new();
        let mut check = |got: Read<Note>| {
            if let Read::Item(note) = got {
                assert_eq!(
                    (note.time, note.pitch),
                    (u64::from(note.agent), f32::from(note.agent)),
                    "untorn"
                );
                seen.push(note.seq);
            }
        };
        check(log.read(&mut cursor));
        let pushed = writers
            .into_iter()
            .map(|w| w.join().unwrap())
            .filter(|&ok| ok)
            .count();
        for _ in 0..3 {
            check(log.read(&mut cursor));
        }
        assert_eq!(
            pushed, 2,
            "with room in the ring, shared writers never drop"
        );
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
        assert_eq!(seen.len() as u64 + cursor.lost(), 2);
    });
}
