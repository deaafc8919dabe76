//! `performia bench ring`: cross-process write→read latency of the event ring.
//!
//! The parent makes a private segment, starts itself again as a spinning reader (`--reader SEGMENT`), waits for
//! it to say READY, then writes events whose `time` field carries the wall clock in ns at the push (the same
//! clock in both processes). The reader stamps each event as it reads it and prints, as its last line, one JSON
//! object `{"events":N,"lost":L,"p50_ns":…,"p99_ns":…,"p999_ns":…}`, which the parent repeats.
//!
//! Each event is written `--interval-us` after the reader acknowledged the previous one (it publishes the last
//! sequence number it read in agent 1's section of the bench segment's state page), so each measures one
//! write→read hand-over, not a queue built up while the reader was descheduled.

use agents::shm::map::now_ns;
use agents::shm::{AgentState, Event, EventReader, Read, Segment, kind};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The last line printed (fields in this order).
#[derive(serde::Serialize)]
struct Summary {
    events: u64,
    lost: u64,
    p50_ns: u64,
    p99_ns: u64,
    p999_ns: u64,
}

/// Cross-process write→read latency of the event ring.
#[derive(clap::Args)]
pub struct Args {
    /// Events to write.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Pause after the reader acknowledged an event before writing the next, in microseconds (spinning).
    #[arg(long, default_value_t = 2)]
    interval_us: u64,
    /// Internal: run as the reader of this segment.
    #[arg(long, hide = true, value_name = "SEGMENT")]
    reader: Option<String>,
}

pub fn run(args: &Args) -> Result<()> {
    if args.events == 0 {
        bail!("--events must be at least 1");
    }
    match &args.reader {
        Some(name) => read(name, args.events),
        None => write(args),
    }
}

fn write(args: &Args) -> Result<()> {
    let name = format!("performia-bench-{}", std::process::id());
    Segment::remove(&name)?;
    let segment = Segment::create_or_open(&name)?;
    let result = drive(args, &segment);
    Segment::remove(&name)?;
    let line = result?;
    println!("{line}");
    Ok(())
}

/// Runs the reader child over `segment`, writes the events, and returns the child's JSON line.
fn drive(args: &Args, segment: &Segment) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find this program to start the reader")?;
    let mut child = Command::new(exe)
        .args([
            "bench",
            "ring",
            "--events",
            &args.events.to_string(),
            "--reader",
            segment.name(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the reader process")?;
    let mut lines = BufReader::new(child.stdout.take().context("reader has no stdout")?).lines();
    if !lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line == "READY")
    {
        bail!(
            "the reader process did not start: run `performia bench ring --reader {}` to see why",
            segment.name()
        );
    }
    let mut writer = segment.event_writer()?;
    let interval = Duration::from_micros(args.interval_us);
    let acknowledged = || {
        segment
            .state()
            .agent(1)
            .map_or(0, |state| state.notes_played)
    };
    let deadline = Instant::now() + Duration::from_secs(60 + args.events / 10_000);
    for _ in 0..args.events {
        let seq = writer.push(&Event {
            seq: 0,
            agent: 0,
            kind: kind::NOTE,
            pitch: 60.0,
            velocity: 1.0,
            time: now_ns(),
        });
        while acknowledged() < seq {
            if Instant::now() > deadline {
                bail!(
                    "the reader stopped acknowledging at event {}: run again with fewer --events",
                    acknowledged()
                );
            }
            std::hint::spin_loop();
        }
        let pause = Instant::now();
        while pause.elapsed() < interval {
            std::hint::spin_loop();
        }
    }
    let output: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait()?;
    match output.last() {
        Some(line) if status.success() && line.starts_with('{') => Ok(line.clone()),
        _ => bail!("the reader process failed ({status}): run it again with fewer --events"),
    }
}

fn read(name: &str, events: u64) -> Result<()> {
    let segment = Segment::open(name)?;
    let mut reader = EventReader::new(segment.events());
    let mut latencies = Vec::with_capacity(usize::try_from(events)?);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "READY")?;
    stdout.flush()?;
    let deadline = Instant::now() + Duration::from_secs(60 + events / 10_000);
    let mut idle: u32 = 0;
    while reader.cursor().next_seq() <= events {
        match reader.read() {
            Read::Item(event) => {
                latencies.push(now_ns().saturating_sub(event.time));
                let ack = AgentState {
                    notes_played: event.seq,
                    ..AgentState::default()
                };
                segment.state().write_agent(1, &ack);
            }
            Read::Lost(_) => {}
            Read::Empty => {
                idle = idle.wrapping_add(1);
                if idle & 0xFFFF == 0 && Instant::now() > deadline {
                    bail!(
                        "the writer stopped after {} events",
                        reader.cursor().next_seq() - 1
                    );
                }
                std::hint::spin_loop();
            }
        }
    }
    latencies.sort_unstable();
    let percentile = |p: f64| -> u64 {
        let index = ((latencies.len().saturating_sub(1)) as f64 * p).round() as usize;
        latencies.get(index).copied().unwrap_or(0)
    };
    let summary = Summary {
        events,
        lost: reader.lost(),
        p50_ns: percentile(0.5),
        p99_ns: percentile(0.99),
        p999_ns: percentile(0.999),
    };
    writeln!(stdout, "{}", serde_json::to_string(&summary)?)?;
    Ok(())
}
