//! `PerfListen`: hears the guitar — onset, level, pitch, chord, beat and tempo — and publishes it for the
//! agents (the in-process blackboard) and, when attached, to the shared-memory state page.
//!
//! The DSP is `agents::listen::Listener`; this adapter feeds it 64-sample blocks and spreads what it heard over
//! the outputs: at audio rate the onset and beat triggers fall on their exact samples, at control rate they are
//! 1 for the block. The listener comes from a pool built off the audio thread (see `crate::listeners`).

use crate::listeners::{self, Owned};
use crate::shared::with_segment;
use crate::ugen::{Context, Io, Rate, UGen};
use agents::blackboard::Blackboard;
use agents::listen::{Heard, BLOCK};
use agents::shm::ListenerState;
use std::ffi::CStr;

/// What the listener heard, for the agents of this server.
pub static BLACKBOARD: Blackboard = Blackboard::new();

/// `PerfListen.ar(in, tempoPrior)` / `.kr(...)`; nine outputs: onset, level, pitch, confidence, chordRoot,
/// chordQuality, beat, beatPhase, tempo (the order of `sc-classes/HelpSource/Classes/PerfListen.schelp`).
pub struct PerfListen {
    listener: Option<Owned>,
    audio_rate: bool,
    onset_count: u64,
    last_onset_time: u64,
    beat_count: u64,
}

impl PerfListen {
    const IN: usize = 0;
    const TEMPO_PRIOR: usize = 1;
    const ONSET: usize = 0;
    const BEAT: usize = 6;

    /// The held (non-trigger) outputs of a block, in output order from 1 to 8 (6 is the beat trigger).
    fn held(heard: &Heard) -> [(usize, f32); 7] {
        [
            (1, heard.level),
            (2, heard.pitch_hz),
            (3, heard.pitch_confidence),
            (4, f32::from(heard.chord.root)),
            (5, heard.chord.quality as u8 as f32),
            (7, heard.beat.phase),
            (8, heard.beat.tempo_bpm),
        ]
    }

    /// Writes a trigger at `offset` (audio rate) or for the whole block (control rate).
    fn trigger(&self, io: &mut Io<'_>, output: usize, offset: usize) {
        let out = io.output(output);
        if self.audio_rate {
            if let Some(x) = out.get_mut(offset) {
                *x = 1.0;
            }
        } else {
            out.fill(1.0);
        }
    }

    fn publish(&mut self, sample_time: u64, heard: &Heard) {
        if let Some(onset) = heard.onset {
            self.onset_count += 1;
            self.last_onset_time = sample_time + u64::from(onset.offset);
        }
        if heard.beat.beat.is_some() {
            self.beat_count += 1;
        }
        BLACKBOARD.write(sample_time, heard);
        let state = ListenerState {
            onset_count: self.onset_count,
            last_onset_time: self.last_onset_time,
            level: heard.level,
            pitch_hz: heard.pitch_hz,
            confidence: heard.pitch_confidence,
            chord_root: heard.chord.root,
            chord_quality: heard.chord.quality as u8,
            tempo_bpm: heard.beat.tempo_bpm,
            beat_phase: heard.beat.phase,
            beat_count: self.beat_count,
        };
        with_segment(|segment| {
            if let Some(segment) = segment {
                segment.state().write_listener(&state);
            }
        });
    }
}

impl UGen for PerfListen {
    const NAME: &'static CStr = c"PerfListen";
    const INPUTS: &'static [&'static str] = &["in", "tempoPrior"];
    const OUTPUTS: usize = 9;

    fn new(ctx: &Context) -> Result<Self, &'static str> {
        if ctx.input_rate(Self::IN) != Rate::Audio {
            return Err("input 'in' must be audio rate");
        }
        if !ctx.block_size.is_multiple_of(BLOCK) {
            return Err("needs a server block size that is a multiple of 64 (e.g. -z 64)");
        }
        // No job is started from here: a constructor may run on a DSP helper thread, and the server's queue of
        // asynchronous commands takes one producer only (an extra one corrupted other units' renders).
        let listener = listeners::take();
        if listener.is_none() {
            crate::sys::print_line(format_args!(
                "PerfListen (node {}): no listener ready; send /cmd performiaPrepare first (silent until then)",
                ctx.node_id
            ));
        }
        Ok(Self { listener, audio_rate: ctx.rate == Rate::Audio, onset_count: 0, last_onset_time: 0, beat_count: 0 })
    }

    fn next(&mut self, io: &mut Io<'_>) {
        io.clear();
        if self.listener.is_none() {
            // Still being built off the audio thread; `take` is lock-free.
            self.listener = listeners::take();
        }
        // Out of `self` for the block, so that `self` can be borrowed while the listener is.
        let Some(mut owned) = self.listener.take() else { return };
        let prior = io.value(Self::TEMPO_PRIOR).max(0.0);
        let input_len = io.input(Self::IN).len();
        // Audio-rate outputs have a sample per input sample; control-rate outputs one per server block.
        let per_sample = io.output(Self::ONSET).len() == input_len;
        for start in (0..input_len).step_by(BLOCK) {
            let Some(block) = io.input(Self::IN).get(start..start + BLOCK) else { break };
            let heard = owned.listener().process(block, prior);
            let at = |offset: u32| if per_sample { start + offset as usize } else { 0 };
            if let Some(onset) = heard.onset {
                self.trigger(io, Self::ONSET, at(onset.offset));
            }
            if let Some(beat) = heard.beat.beat {
                self.trigger(io, Self::BEAT, at(beat));
            }
            for (output, value) in Self::held(&heard) {
                let from = if per_sample { start } else { 0 };
                io.output(output)[from..].fill(value);
            }
            self.publish(io.sample_time + start as u64, &heard);
        }
        self.listener = Some(owned);
    }
}
