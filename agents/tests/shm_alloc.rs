//! Nothing on the audio thread's side of the protocol allocates: a counting allocator watches push, read,
//! pop, state writes and snapshots, over heap words and over a real segment.

use agents::shm::loom::zeroed_words;
use agents::shm::ring::words_for;
use agents::shm::state::STATE_WORDS;
use agents::shm::{Clock, Event, EventRing, ListenerState, Note, NoteLog, Segment, StatePage};

mod common;

/// One audio block's worth of protocol work: read events, log notes, publish state, and a snapshot.
fn one_block(
    events: EventRing<'_>,
    cursor: &mut agents::shm::Cursor,
    notes: NoteLog<'_>,
    page: StatePage<'_>,
) {
    for k in 0..64u64 {
        let _ = events.read(cursor);
        notes.push(&Note {
            time: k,
            ..Note::default()
        });
        page.write_clock(&Clock {
            sample_time: k * 64,
            ..Clock::default()
        });
        page.write_listener(&ListenerState {
            onset_count: k,
            ..ListenerState::default()
        });
        let _ = page.snapshot();
    }
}

#[test]
fn push_read_and_state_writes_never_allocate_over_heap_words() {
    let (event_words, note_words, state_words) = (
        zeroed_words(words_for(1024)),
        zeroed_words(words_for(1024)),
        zeroed_words(STATE_WORDS),
    );
    let events = EventRing::new(&event_words).unwrap();
    let notes = NoteLog::new(&note_words).unwrap();
    let page = StatePage::new(&state_words).unwrap();
    let mut writer = events.writer(1, |_| false).unwrap();
    let mut cursor = events.cursor_from_oldest();
    let (counted, ()) = common::allocations_in(|| {
        for seq in 0..3000 {
            writer.push(&Event {
                time: seq,
                ..Event::default()
            });
        }
        one_block(events, &mut cursor, notes, page);
    });
    assert_eq!(counted, 0);
    assert!(
        cursor.lost() > 0,
        "the reader was lapped, and counting that did not allocate either"
    );
    assert_eq!(
        common::allocations_in(|| drop(vec![1u8; 10])).0,
        2,
        "the counter counts the allocation and the free"
    );
}

#[test]
fn the_views_of_a_mapped_segment_never_allocate() {
    let name = format!("performia-test-alloc-{}", std::process::id());
    Segment::remove(&name).unwrap();
    let segment = Segment::create_or_open(&name).unwrap();
    let mut writer = segment.event_writer().unwrap();
    let mut cursor = segment.events().cursor_from_now();
    let (counted, ()) = common::allocations_in(|| {
        for seq in 0..100 {
            writer.push(&Event {
                time: seq,
                ..Event::default()
            });
        }
        one_block(
            segment.events(),
            &mut cursor,
            segment.notes(),
            segment.state(),
        );
        segment.header().beat(1);
    });
    drop(writer);
    Segment::remove(&name).unwrap();
    assert_eq!(counted, 0);
    assert_eq!(cursor.next_seq(), 65, "64 events were read in the block");
}
