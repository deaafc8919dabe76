//! Ready-made listeners. A `Listener` allocates (FFT plans, buffers) when built, which the audio thread must
//! not do, so listeners are built by a job on the non-real-time thread and kept in a pool; a `PerfListen` unit
//! takes one in its constructor and gives it back to be freed off the audio thread when it goes.
//!
//! `/cmd performiaPrepare [n]` builds `n` (default 1) ahead of time; a score or the `Performia` class sends it
//! before `PerfListen`s start, so that they hear from the very first block. A unit that finds none waits
//! (silent) and takes one as soon as a later `performiaPrepare` has built it.

use crate::sys::handoff::Pool;
use crate::ugen::{Args, Job, PluginCommand, Server};
use agents::listen::Listener;
use std::ffi::CStr;

/// Listeners ready for units (built for the server's sample rate).
static READY: Pool<Listener, 16> = Pool::new();
/// Listeners given up by units, waiting to be freed by the next job.
static RETIRED: Pool<Listener, 16> = Pool::new();

/// A listener owned by a unit. Dropping it on the audio thread does not free it: it goes to `RETIRED`.
pub struct Owned(Option<Box<Listener>>);

impl Owned {
    pub fn listener(&mut self) -> &mut Listener {
        // Present from `take` until drop.
        self.0.as_deref_mut().expect("an Owned listener is present until dropped")
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(listener) = self.0.take()
            && let Err(listener) = RETIRED.put(listener)
        {
            // Never free on the audio thread; 16 retirements without a job in between is not expected.
            std::mem::forget(listener);
        }
    }
}

/// Takes a ready listener, if any.
pub fn take() -> Option<Owned> {
    READY.take().map(|l| Owned(Some(l)))
}

/// Builds `count` listeners for the server's sample rate and frees retired ones, off the audio thread.
pub struct PrepareJob {
    pub count: usize,
    pub sample_rate: f64,
}

impl Job for PrepareJob {
    fn non_real_time(&mut self) -> bool {
        while let Some(old) = RETIRED.take() {
            drop(old);
        }
        for _ in 0..self.count.min(16) {
            if READY.len() >= 16 {
                break;
            }
            let listener = Box::new(Listener::new(self.sample_rate as f32));
            if READY.put(listener).is_err() {
                break;
            }
        }
        true
    }
}

/// `/cmd performiaPrepare [n]`: builds `n` listeners (default 1) so that `PerfListen` units start at once.
/// Replies `/done performiaPrepare`.
pub struct Prepare;

impl PluginCommand for Prepare {
    const NAME: &'static CStr = c"performiaPrepare";
    fn run(server: Server, args: &mut Args<'_>) {
        let count = args.float().map_or(1, |n| n.clamp(0.0, 16.0) as usize);
        let job = PrepareJob { count, sample_rate: server.sample_rate() };
        if server.spawn(Some(Self::NAME), job).is_err() {
            crate::sys::print_line(format_args!("performiaPrepare: out of real-time memory; try again"));
        }
    }
}
