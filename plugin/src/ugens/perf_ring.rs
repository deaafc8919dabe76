//! `PerfRing`: plays the events of the shared-memory event ring that match its filter, sample-accurately.
//!
//! Each unit keeps its own cursor into the ring. An event with a sample `time` inside the current block
//! triggers at exactly that sample; `time` 0 triggers at the block's first sample; a time already past (late)
//! triggers at once and is counted. An event for a later block waits in the unit until its block comes.

use crate::shared::{publish_clock, segment_generation, with_segment};
use crate::ugen::{Context, Io, Rate, UGen};
use agents::shm::{agent, Clock, Cursor, Event, Read, Segment};
use std::ffi::CStr;

/// `PerfRing.ar(agent, type)`; outputs: trigger, pitch, velocity, late count, lost count.
pub struct PerfRing {
    cursor: Cursor,
    /// The segment `cursor` belongs to (see `segment_generation`).
    segment: usize,
    /// The next matching event, read but not yet due.
    pending: Option<Event>,
    pitch: f32,
    velocity: f32,
    late: u64,
    lost: u64,
    sample_rate: f64,
}

impl PerfRing {
    const AGENT: usize = 0;
    const TYPE: usize = 1;
    const TRIGGER: usize = 0;
    const PITCH: usize = 1;
    const VELOCITY: usize = 2;
    const LATE: usize = 3;
    const LOST: usize = 4;

    /// Whether `event` is for this unit: its agent (agent 0 means every agent) and kind; -1 matches any.
    fn matches(event: &Event, agent_filter: f32, kind_filter: f32) -> bool {
        let agent_ok = agent_filter < 0.0 || event.agent == agent::ALL || f32::from(event.agent) == agent_filter;
        let kind_ok = kind_filter < 0.0 || f32::from(event.kind) == kind_filter;
        agent_ok && kind_ok
    }

    /// The next matching event of the ring, counting lost ones.
    fn next_event(&mut self, segment: &Segment, agent_filter: f32, kind_filter: f32) -> Option<Event> {
        let ring = segment.events();
        // Bounded: at most one ring's worth of events per block, so a flood cannot stall the audio thread.
        for _ in 0..ring.capacity() {
            match ring.read(&mut self.cursor) {
                Read::Item(event) if Self::matches(&event, agent_filter, kind_filter) => return Some(event),
                Read::Item(_) => {}
                Read::Lost(n) => self.lost += n,
                Read::Empty => return None,
            }
        }
        None
    }

    fn play(&mut self, io: &mut Io<'_>, segment: Option<&Segment>, block_start: u64, len: usize) {
        let (agent_filter, kind_filter) = (io.value(Self::AGENT), io.value(Self::TYPE));
        let Some(segment) = segment else {
            self.pending = None;
            return self.hold(io, 0, len);
        };
        if segment_generation() != self.segment {
            // A new segment: read what it holds from the oldest event on.
            self.segment = segment_generation();
            self.cursor = segment.events().cursor_from_oldest();
            self.pending = None;
        }
        let mut from = 0;
        loop {
            let event = match self.pending.take() {
                Some(event) => event,
                None => match self.next_event(segment, agent_filter, kind_filter) {
                    Some(event) => event,
                    None => break,
                },
            };
            let offset = match event.time {
                0 => 0,
                t if t < block_start => {
                    self.late += 1;
                    0
                }
                t if t - block_start < len as u64 => (t - block_start) as usize,
                _ => {
                    self.pending = Some(event);
                    break;
                }
            };
            let offset = offset.max(from);
            self.hold(io, from, offset);
            io.output(Self::TRIGGER)[offset] = 1.0;
            self.pitch = event.pitch;
            self.velocity = event.velocity;
            from = offset;
        }
        self.hold(io, from, len);
    }

    /// Writes the held pitch and velocity over `from..to` of their outputs.
    fn hold(&self, io: &mut Io<'_>, from: usize, to: usize) {
        io.output(Self::PITCH)[from..to].fill(self.pitch);
        io.output(Self::VELOCITY)[from..to].fill(self.velocity);
    }
}

impl UGen for PerfRing {
    const NAME: &'static CStr = c"PerfRing";
    const INPUTS: &'static [&'static str] = &["agent", "type"];
    const OUTPUTS: usize = 5;

    fn new(ctx: &Context) -> Result<Self, &'static str> {
        if ctx.rate != Rate::Audio {
            return Err("PerfRing runs at audio rate only (PerfRing.ar)");
        }
        Ok(Self {
            cursor: Cursor::default(),
            segment: 0,
            pending: None,
            pitch: 0.0,
            velocity: 0.0,
            late: 0,
            lost: 0,
            sample_rate: ctx.sample_rate,
        })
    }

    fn next(&mut self, io: &mut Io<'_>) {
        let len = io.output(Self::TRIGGER).len();
        let block_start = io.sample_time;
        io.output(Self::TRIGGER).fill(0.0);
        with_segment(|segment| {
            if let Some(segment) = segment {
                let clock = Clock {
                    sample_time: block_start,
                    wall_ns: agents::shm::map::now_ns(),
                    sample_rate: self.sample_rate,
                    block_size: len as u32,
                };
                publish_clock(segment, &clock);
            }
            self.play(io, segment, block_start, len);
        });
        io.output(Self::LATE).fill(self.late as f32);
        io.output(Self::LOST).fill(self.lost as f32);
    }
}
