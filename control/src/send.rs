//! `performia send`: writes one event into the event ring of a segment (creating the segment if none exists).

use agents::shm::{DEFAULT_NAME, Event, Segment, kind};
use anyhow::{Result, bail};

/// Write one event into the event ring.
#[derive(clap::Args)]
pub struct Args {
    /// Agent: 0 all, 1 drums, 2 bass, 3 harmony, 4 melody.
    #[arg(long, default_value_t = 0)]
    agent: u16,
    /// Kind: note, pedal, mode, tap, param, pattern, or a number.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_kind)]
    kind: u16,
    /// MIDI note number for notes (the kind's first value otherwise).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pitch: f32,
    /// Velocity 0..1 for notes (the kind's second value otherwise).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    velocity: f32,
    /// Server sample time to play it at; 0 (the default) means as soon as possible.
    #[arg(long = "at", value_name = "SAMPLE", default_value_t = 0)]
    time: u64,
    /// Shared memory segment name.
    #[arg(long, default_value = DEFAULT_NAME)]
    segment: String,
}

fn parse_kind(text: &str) -> Result<u16, String> {
    kind::parse(text).ok_or_else(|| {
        let names: Vec<&str> = kind::NAMES.iter().map(|(name, _)| *name).collect();
        format!(
            "unknown type '{text}': use one of {} or a number 0-65535",
            names.join(", ")
        )
    })
}

pub fn run(args: &Args) -> Result<()> {
    if !args.pitch.is_finite() || !args.velocity.is_finite() {
        bail!("--pitch and --velocity must be finite numbers");
    }
    let segment = Segment::create_or_open(&args.segment)?;
    let mut writer = segment.event_writer()?;
    let event = Event {
        seq: 0,
        agent: args.agent,
        kind: args.kind,
        pitch: args.pitch,
        velocity: args.velocity,
        time: args.time,
    };
    let seq = writer.push(&event);
    segment.header().beat(agents::shm::map::now_ns());
    let name = match kind::name(args.kind) {
        "" => args.kind.to_string(),
        name => name.to_owned(),
    };
    let when = if args.time == 0 {
        "now".to_owned()
    } else {
        format!("at sample {}", args.time)
    };
    println!(
        "sent event {seq} ({name}, agent {}, pitch {}, velocity {}, {when}) to segment '{}'",
        args.agent, args.pitch, args.velocity, args.segment
    );
    Ok(())
}
