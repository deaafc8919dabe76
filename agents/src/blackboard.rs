//! What the listener heard, for the agents in the same server: one writer, any number of readers, no locks.
//!
//! A seqlock over atomics: the writer makes the sequence odd, stores the fields, makes it even; a reader
//! retries while the sequence is odd or changed under it. Neither side ever waits for the other. A second
//! writer that finds a write in progress skips its write instead of waiting (it is the same information one
//! block later).

use crate::listen::{ChordQuality, Heard};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

/// A snapshot of the blackboard: what was heard in the latest block and when.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Sample time of the block's first sample.
    pub sample_time: u64,
    pub heard: Heard,
}

const FIELDS: usize = 10;

/// The in-process blackboard. `const`-constructible, so it can be a `static`.
pub struct Blackboard {
    seq: AtomicU64,
    sample_time: AtomicU64,
    fields: [AtomicU32; FIELDS],
}

impl Default for Blackboard {
    fn default() -> Self {
        Self::new()
    }
}

fn encode(h: &Heard) -> [u32; FIELDS] {
    let onset = h.onset.map_or(u32::MAX, |o| o.offset);
    let beat = h.beat.beat.unwrap_or(u32::MAX);
    [
        onset,
        h.level.to_bits(),
        h.pitch_hz.to_bits(),
        h.pitch_confidence.to_bits(),
        u32::from(h.chord.root),
        h.chord.quality as u32,
        beat,
        h.beat.phase.to_bits(),
        h.beat.tempo_bpm.to_bits(),
        h.onset.map_or(0, |o| o.strength.to_bits()),
    ]
}

fn decode(w: [u32; FIELDS]) -> Heard {
    use crate::listen::{BeatFrame, Chord, Onset};
    let finite = |bits: u32| Some(f32::from_bits(bits)).filter(|x| x.is_finite()).unwrap_or(0.0);
    let quality = match w[5] {
        1 => ChordQuality::Major,
        2 => ChordQuality::Minor,
        3 => ChordQuality::Dominant7,
        4 => ChordQuality::Major7,
        5 => ChordQuality::Minor7,
        6 => ChordQuality::Sus4,
        7 => ChordQuality::Power,
        _ => ChordQuality::None,
    };
    Heard {
        onset: (w[0] != u32::MAX).then(|| Onset { offset: w[0], strength: finite(w[9]) }),
        level: finite(w[1]),
        pitch_hz: finite(w[2]),
        pitch_confidence: finite(w[3]),
        chord: Chord { root: (w[4] % 12) as u8, quality },
        beat: BeatFrame { beat: (w[6] != u32::MAX).then_some(w[6]), phase: finite(w[7]), tempo_bpm: finite(w[8]) },
    }
}

impl Blackboard {
    pub const fn new() -> Self {
        Self { seq: AtomicU64::new(0), sample_time: AtomicU64::new(0), fields: [const { AtomicU32::new(0) }; FIELDS] }
    }

    /// Publishes one block. Wait-free; skipped if another writer is in the middle of a write.
    pub fn write(&self, sample_time: u64, heard: &Heard) {
        let seq = self.seq.load(Ordering::Relaxed);
        // Claim the write by making the sequence odd; Acquire keeps the field stores after the claim.
        if seq % 2 == 1 || self.seq.compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return;
        }
        // The fence orders the odd sequence before the field stores for readers (seqlock write side).
        fence(Ordering::Release);
        self.sample_time.store(sample_time, Ordering::Relaxed);
        for (field, value) in self.fields.iter().zip(encode(heard)) {
            field.store(value, Ordering::Relaxed);
        }
        // Release: a reader that sees the even sequence sees all the fields.
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// The latest complete block, or `None` if nothing was written yet or a write kept racing the reader.
    pub fn read(&self) -> Option<Snapshot> {
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before == 0 {
                return None;
            }
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let sample_time = self.sample_time.load(Ordering::Relaxed);
            let words: [u32; FIELDS] = std::array::from_fn(|i| self.fields[i].load(Ordering::Relaxed));
            // Acquire fence: the field loads above happen before the re-check of the sequence.
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                return Some(Snapshot { sample_time, heard: decode(words) });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listen::{BeatFrame, Chord, Onset};

    #[test]
    fn a_written_block_reads_back_whole() {
        let board = Blackboard::new();
        assert_eq!(board.read(), None);
        let heard = Heard {
            onset: Some(Onset { offset: 17, strength: 3.5 }),
            level: 0.25,
            pitch_hz: 110.0,
            pitch_confidence: 0.9,
            chord: Chord { root: 9, quality: ChordQuality::Minor },
            beat: BeatFrame { beat: Some(40), phase: 0.1, tempo_bpm: 120.0 },
        };
        board.write(6400, &heard);
        assert_eq!(board.read(), Some(Snapshot { sample_time: 6400, heard }));
    }

    #[test]
    fn readers_on_other_threads_never_see_a_torn_block() {
        let board = std::sync::Arc::new(Blackboard::new());
        let writer = {
            let board = board.clone();
            std::thread::spawn(move || {
                for i in 1..200_000u64 {
                    let x = i as f32;
                    let heard = Heard { level: x, pitch_hz: x, pitch_confidence: x, ..Heard::default() };
                    board.write(i, &heard);
                }
            })
        };
        while !writer.is_finished() {
            if let Some(h) = board.read() {
                let x = h.sample_time as f32;
                assert_eq!((h.heard.level, h.heard.pitch_hz, h.heard.pitch_confidence), (x, x, x));
            }
        }
        writer.join().unwrap();
        // The writer may finish before this thread first looks; the last block must then read back whole.
        let last = board.read().expect("the last block");
        assert_eq!((last.sample_time, last.heard.level), (199_999, 199_999.0));
    }
}
