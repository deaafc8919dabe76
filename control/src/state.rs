//! `performia state`: prints a snapshot of a segment's state page (and where its rings are) as one JSON object.

use agents::shm::{AgentState, Clock, DEFAULT_NAME, ListenerState, Segment, layout};
use anyhow::Result;
use serde::Serialize;

/// Print a snapshot of the state page as JSON.
#[derive(clap::Args)]
pub struct Args {
    /// Shared memory segment name.
    #[arg(long, default_value = DEFAULT_NAME)]
    segment: String,
}

/// The printed object; sections never written (or kept busy by a dead writer) are `null`.
#[derive(Serialize)]
pub struct StateJson {
    segment: String,
    layout_version: u64,
    creator_pid: u64,
    created_ns: u64,
    heartbeat_ns: u64,
    events: RingJson,
    notes: RingJson,
    clock: Option<ClockJson>,
    listener: Option<ListenerJson>,
    /// Agents 1 to 4: drums, bass, harmony, melody.
    agents: [Option<AgentJson>; 4],
}

#[derive(Serialize)]
struct RingJson {
    capacity: usize,
    head: u64,
}

#[derive(Serialize)]
struct ClockJson {
    sample_time: u64,
    wall_ns: u64,
    sample_rate: f64,
    block_size: u32,
}

#[derive(Serialize)]
struct ListenerJson {
    onset_count: u64,
    last_onset_time: u64,
    level: f32,
    pitch_hz: f32,
    confidence: f32,
    chord_root: u8,
    chord_quality: u8,
    tempo_bpm: f32,
    beat_phase: f32,
    beat_count: u64,
}

#[derive(Serialize)]
struct AgentJson {
    mode: u32,
    notes_played: u64,
    last_note_time: u64,
    last_pitch: f32,
    last_velocity: f32,
    intensity: f32,
    density: f32,
}

impl From<&Clock> for ClockJson {
    fn from(c: &Clock) -> Self {
        Self {
            sample_time: c.sample_time,
            wall_ns: c.wall_ns,
            sample_rate: c.sample_rate,
            block_size: c.block_size,
        }
    }
}

impl From<&ListenerState> for ListenerJson {
    fn from(l: &ListenerState) -> Self {
        Self {
            onset_count: l.onset_count,
            last_onset_time: l.last_onset_time,
            level: l.level,
            pitch_hz: l.pitch_hz,
            confidence: l.confidence,
            chord_root: l.chord_root,
            chord_quality: l.chord_quality,
            tempo_bpm: l.tempo_bpm,
            beat_phase: l.beat_phase,
            beat_count: l.beat_count,
        }
    }
}

impl From<&AgentState> for AgentJson {
    fn from(a: &AgentState) -> Self {
        Self {
            mode: a.mode,
            notes_played: a.notes_played,
            last_note_time: a.last_note_time,
            last_pitch: a.last_pitch,
            last_velocity: a.last_velocity,
            intensity: a.intensity,
            density: a.density,
        }
    }
}

/// A consistent snapshot of each section of `segment`, with its header's live fields.
pub fn snapshot(segment: &Segment) -> StateJson {
    let state = segment.state().snapshot();
    let header = segment.header();
    let ring = |capacity, head| RingJson { capacity, head };
    StateJson {
        segment: segment.name().to_owned(),
        layout_version: layout::VERSION,
        creator_pid: header.creator_pid(),
        created_ns: header.created_ns(),
        heartbeat_ns: header.heartbeat_ns(),
        events: ring(segment.events().capacity(), segment.events().head()),
        notes: ring(segment.notes().capacity(), segment.notes().head()),
        clock: state.clock.as_ref().map(ClockJson::from),
        listener: state.listener.as_ref().map(ListenerJson::from),
        agents: state
            .agents
            .map(|agent| agent.as_ref().map(AgentJson::from)),
    }
}

pub fn run(args: &Args) -> Result<()> {
    let segment = Segment::open(&args.segment)?;
    println!("{}", serde_json::to_string_pretty(&snapshot(&segment))?);
    Ok(())
}
