//! `performia analyze --offline`: the listener's DSP run in this process, block by block, without a server.
//!
//! The same Rust code `PerfListen` runs, fed the take's samples in the same 64-sample blocks from sample 0 and
//! followed by the same tail, so it reports what the server would (a test checks that the two agree to the
//! block). It is for tuning the detectors: a whole folder of takes takes seconds and needs no SuperCollider.

use crate::detections::{self as det, Detections};
use agents::listen::{BLOCK, Listener};
use std::sync::atomic::{AtomicU64, Ordering};

/// Listens to `samples` in whole blocks only (as a non-real-time render stops at the last whole block);
/// `frames_done` counts progress.
pub fn listen(
    samples: &[f32],
    sample_rate: u32,
    tempo_prior_bpm: f32,
    frames_done: &AtomicU64,
) -> Detections {
    let mut listener = Listener::new(sample_rate as f32);
    let blocks = samples.len() / BLOCK;
    let mut onsets = Vec::new();
    let mut beats = Vec::new();
    let mut pitch = Vec::with_capacity(blocks);
    let mut roots = Vec::with_capacity(blocks);
    let mut qualities = Vec::with_capacity(blocks);
    let mut block = [0.0f32; BLOCK];
    for b in 0..blocks {
        block.fill(0.0);
        let start = (b * BLOCK).min(samples.len());
        let end = (start + BLOCK).min(samples.len());
        block[..end - start].copy_from_slice(&samples[start..end]);
        let heard = listener.process(&block, tempo_prior_bpm);
        if heard.onset.is_some() {
            onsets.push(det::block_end(b, sample_rate));
        }
        if heard.beat.beat.is_some() {
            beats.push(det::block_end(b, sample_rate));
        }
        pitch.push(heard.pitch_hz);
        roots.push(f32::from(heard.chord.root));
        qualities.push(f32::from(heard.chord.quality as u8));
        frames_done.fetch_add(BLOCK as u64, Ordering::Relaxed);
    }
    Detections {
        onsets: Some(onsets),
        pitch: Some(det::pitch_track(&pitch, sample_rate)),
        chords: Some(det::chord_track(&roots, &qualities, sample_rate)),
        beats: Some(beats),
    }
}
