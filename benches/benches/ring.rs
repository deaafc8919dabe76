//! Push + pop of one 32-byte event: Performia's event ring beside `rtrb` (same capacity, same run).
//!
//! Both rings hold 1024 events on the heap and are driven from one thread, so this measures the per-event cost
//! of the algorithms themselves (Performia's adds a seqlock stamp per slot and float sanitising on read).

use agents::shm::loom::zeroed_words;
use agents::shm::ring::words_for;
use agents::shm::{Event, EventRing, Read, kind};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

/// Capacity of both rings.
const CAPACITY: usize = 1024;

const _: () = assert!(
    size_of::<Event>() == 32,
    "the compared records are both 32 bytes"
);

fn event() -> Event {
    Event {
        seq: 0,
        agent: 1,
        kind: kind::NOTE,
        pitch: 60.0,
        velocity: 0.8,
        time: 48_000,
    }
}

fn ring(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring");

    let words = zeroed_words(words_for(CAPACITY));
    let performia = EventRing::new(&words).unwrap();
    let mut writer = performia.writer(1, |_| false).unwrap();
    let mut cursor = performia.cursor_from_oldest();
    group.bench_function("performia", |b| {
        b.iter(|| {
            writer.push(black_box(&event()));
            match performia.read(&mut cursor) {
                Read::Item(event) => black_box(event),
                other => panic!("push then read gave {other:?}"),
            }
        })
    });

    let (mut producer, mut consumer) = rtrb::RingBuffer::<Event>::new(CAPACITY);
    group.bench_function("rtrb", |b| {
        b.iter(|| {
            producer.push(black_box(event())).unwrap();
            black_box(consumer.pop().unwrap())
        })
    });

    group.finish();
}

criterion_group!(benches, ring);
criterion_main!(benches);
