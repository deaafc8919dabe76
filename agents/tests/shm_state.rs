//! The state page's seqlock: snapshots taken while a writer hammers it are always consistent.

use agents::shm::loom::{Ordering, zeroed_words};
use agents::shm::state::STATE_WORDS;
use agents::shm::{AgentState, Clock, ListenerState, StatePage};
use std::sync::atomic::AtomicBool;

/// A listener state whose every field derives from `k`, so a torn snapshot shows.
fn listener_for(k: u64) -> ListenerState {
    ListenerState {
        onset_count: k,
        last_onset_time: k * 64,
        level: (k % 1000) as f32,
        pitch_hz: (k % 1000) as f32 + 1.0,
        confidence: (k % 1000) as f32 + 2.0,
        chord_root: (k % 12) as u8,
        chord_quality: (k % 8) as u8,
        tempo_bpm: (k % 1000) as f32 + 3.0,
        beat_phase: (k % 1000) as f32 + 4.0,
        beat_count: k * 3,
    }
}

#[test]
fn snapshots_under_a_hammering_writer_are_never_torn_and_never_go_back() {
    let words = zeroed_words(STATE_WORDS);
    let page = StatePage::new(&words).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for k in 1..=400_000u64 {
                page.write_listener(&listener_for(k));
                page.write_clock(&Clock {
                    sample_time: k * 64,
                    wall_ns: k,
                    sample_rate: 48_000.0,
                    block_size: 64,
                });
            }
            done.store(true, Ordering::Release);
        });
        let (mut last, mut consistent) = (0u64, 0u64);
        while !done.load(Ordering::Acquire) || consistent == 0 {
            let snapshot = page.snapshot();
            if let Some(listener) = snapshot.listener {
                assert_eq!(
                    listener,
                    listener_for(listener.onset_count),
                    "a torn snapshot"
                );
                assert!(
                    listener.onset_count >= last,
                    "snapshots never go back in time"
                );
                last = listener.onset_count;
                consistent += 1;
            }
            if let Some(clock) = snapshot.clock {
                assert_eq!(clock.sample_time, clock.wall_ns * 64);
            }
        }
        assert!(consistent > 0);
    });
    assert_eq!(page.listener().map(|l| l.onset_count), Some(400_000));
}

#[test]
fn sections_never_written_read_as_none() {
    let words = zeroed_words(STATE_WORDS);
    let page = StatePage::new(&words).unwrap();
    assert_eq!(page.snapshot(), Default::default());
    assert!(page.write_agent(
        2,
        &AgentState {
            notes_played: 5,
            ..AgentState::default()
        }
    ));
    let snapshot = page.snapshot();
    assert_eq!(snapshot.agents[1].map(|a| a.notes_played), Some(5));
    assert_eq!((snapshot.agents[0], snapshot.clock), (None, None));
}

#[test]
fn agents_outside_one_to_four_are_refused() {
    let words = zeroed_words(STATE_WORDS);
    let page = StatePage::new(&words).unwrap();
    assert!(!page.write_agent(0, &AgentState::default()));
    assert!(!page.write_agent(5, &AgentState::default()));
    assert_eq!((page.agent(0), page.agent(5)), (None, None));
}

#[test]
fn a_writer_that_died_mid_write_gives_none_until_the_next_writer_finishes() {
    let words = zeroed_words(STATE_WORDS);
    let page = StatePage::new(&words).unwrap();
    page.write_listener(&listener_for(3));
    // Section 1 (the listener) left with an odd counter: its writer died mid-write.
    words[16].fetch_add(1, Ordering::Relaxed);
    assert_eq!(page.listener(), None);
    page.write_listener(&listener_for(4));
    assert_eq!(page.listener(), Some(listener_for(4)));
}

#[test]
fn garbage_fields_read_as_finite_numbers() {
    let words = zeroed_words(STATE_WORDS);
    let page = StatePage::new(&words).unwrap();
    for (i, word) in words.iter().enumerate() {
        // Even counters, version 1, and NaN bit patterns everywhere else.
        let value = match i % 16 {
            0 => 2,
            1 => 1,
            _ => 0x7FC0_0001_7F80_0000,
        };
        word.store(value, Ordering::Relaxed);
    }
    let snapshot = page.snapshot();
    let listener = snapshot.listener.unwrap();
    assert!(
        [listener.level, listener.pitch_hz, listener.tempo_bpm]
            .iter()
            .all(|x| x.is_finite())
    );
    assert!(snapshot.clock.unwrap().sample_rate.is_finite());
}

#[test]
fn a_page_of_the_wrong_size_is_refused() {
    assert!(StatePage::new(&zeroed_words(STATE_WORDS - 1)).is_err());
    assert!(StatePage::new(&zeroed_words(STATE_WORDS + 16)).is_err());
}
