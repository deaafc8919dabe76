//! The attached shared-memory segment: `/cmd performiaAttach [name]` maps it off the audio thread and hands it
//! to the units; `/cmd performiaDetach` takes it away. While nothing is attached, units run on their own state.
//!
//! The segment is swapped only in stage 3 of a job (between blocks) and unmapped in stage 4 (non-real-time),
//! so a unit that reads it during `next` through [`with_segment`] never sees it go away under it.

use crate::sys::handoff::Handoff;
use crate::ugen::{Args, Job, PluginCommand, RealTimeStage, Server};
use agents::shm::{Clock, Segment, ShmError, DEFAULT_NAME};
use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};

static SEGMENT: Handoff<Segment> = Handoff::new();

/// Runs `f` with the attached segment, if any; see the module docs for why the reference is safe to use.
pub fn with_segment<R>(f: impl FnOnce(Option<&Segment>) -> R) -> R {
    SEGMENT.with(f)
}

/// Changes whenever a segment is attached or detached: units keep it to notice a new segment.
pub fn segment_generation() -> usize {
    SEGMENT.generation()
}

/// The block whose clock was last written: units on several DSP threads may try in the same block; one wins.
static CLOCK_WRITTEN_FOR: AtomicU64 = AtomicU64::new(u64::MAX);

/// Writes the server clock for the block starting at `sample_time` to the state page, once per block.
pub fn publish_clock(segment: &Segment, clock: &Clock) {
    let previous = CLOCK_WRITTEN_FOR.load(Ordering::Relaxed);
    // Relaxed: the CAS only elects one writer per block; the state page's own seqlock orders the data.
    if previous != clock.sample_time
        && CLOCK_WRITTEN_FOR
            .compare_exchange(previous, clock.sample_time, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        segment.state().write_clock(clock);
    }
}

/// Longest segment name accepted (the job is built on the real-time thread, so the name is copied into a
/// fixed buffer).
const MAX_NAME: usize = 200;

/// Attaches (or, with `name: None`, detaches) a segment.
struct AttachJob {
    name: [u8; MAX_NAME],
    name_len: usize,
    attach: bool,
    opened: Option<Result<Box<Segment>, ShmError>>,
    replaced: Option<Box<Segment>>,
}

impl AttachJob {
    fn name(&self) -> &str {
        std::str::from_utf8(&self.name[..self.name_len]).unwrap_or(DEFAULT_NAME)
    }
}

impl Job for AttachJob {
    fn non_real_time(&mut self) -> bool {
        if self.attach {
            self.opened = Some(Segment::create_or_open(self.name()).map(Box::new));
        }
        true
    }

    fn real_time(&mut self, stage: &RealTimeStage) -> bool {
        let new = match self.opened.take() {
            Some(Ok(segment)) => Some(segment),
            Some(Err(error)) => {
                self.opened = Some(Err(error));
                return true; // keep what is attached; report in stage 4
            }
            None => None,
        };
        self.replaced = SEGMENT.replace(new, stage);
        true
    }

    fn finish(&mut self) -> bool {
        drop(self.replaced.take());
        let error = self.opened.take().and_then(Result::err);
        match (self.attach, error) {
            (true, Some(error)) => {
                crate::sys::print_line(format_args!("performiaAttach {}: {error}", self.name()));
                false
            }
            (true, None) => {
                crate::sys::print_line(format_args!("Performia: attached to shared memory '{}'", self.name()));
                true
            }
            (false, _) => {
                crate::sys::print_line(format_args!("Performia: detached from shared memory"));
                true
            }
        }
    }
}

fn start(server: Server, command: &'static CStr, name: &str, attach: bool) {
    let mut job = AttachJob { name: [0; MAX_NAME], name_len: 0, attach, opened: None, replaced: None };
    let bytes = name.as_bytes();
    if bytes.len() > MAX_NAME {
        crate::sys::print_line(format_args!("performiaAttach: segment name longer than {MAX_NAME} bytes"));
        return;
    }
    job.name[..bytes.len()].copy_from_slice(bytes);
    job.name_len = bytes.len();
    if server.spawn(Some(command), job).is_err() {
        crate::sys::print_line(format_args!("performiaAttach: out of real-time memory; try again"));
    }
}

/// `/cmd performiaAttach [name]`: map segment `name` (default `performia`), creating it if needed, and let
/// the units use it. Replies `/done performiaAttach` when attached; prints one line saying what went wrong if not.
pub struct Attach;

impl PluginCommand for Attach {
    const NAME: &'static CStr = c"performiaAttach";
    fn run(server: Server, args: &mut Args<'_>) {
        let name = if args.is_empty() { Some(DEFAULT_NAME) } else { args.string() };
        match name {
            Some(name) => start(server, Self::NAME, name, true),
            None => crate::sys::print_line(format_args!(
                "performiaAttach: the segment name must be a string, e.g. /cmd performiaAttach performia"
            )),
        }
    }
}

/// `/cmd performiaDetach`: stop using the attached segment (it stays in the system for other processes).
pub struct Detach;

impl PluginCommand for Detach {
    const NAME: &'static CStr = c"performiaDetach";
    fn run(server: Server, _args: &mut Args<'_>) {
        start(server, Self::NAME, "", false);
    }
}
