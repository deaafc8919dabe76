//! Work the audio thread may not do, run in the server's asynchronous command stages (`fDoAsynchronousCommand`).
//!
//! The stages, and the threads they run on (sc-plugin-facts.md §5):
//! - stage 2, [`Job::non_real_time`]: the server's non-real-time thread. May allocate, block, map memory, print.
//! - stage 3, [`Job::real_time`]: the real-time thread *between* blocks, never while a unit's `next` runs. No
//!   allocation; this is where prepared state is swapped in (see [`super::handoff`]).
//! - stage 4, [`Job::finish`]: non-real-time again: free what stage 3 swapped out, report.
//! - cleanup: real-time; drops the (by then empty) job and frees its memory from the server's RT pool.
//!
//! A stage returning `false` skips the stages after it (the cleanup still runs).

use super::bindings::World;
use super::table::table;
use std::ffi::{c_void, CStr};
use std::ptr;

/// Proof, handed to [`Job::real_time`], that the code runs in stage 3: between blocks, on the RT thread.
pub struct RealTimeStage(());

/// An asynchronous task in three stages. Its fields carry what one stage prepares for the next.
pub trait Job: Send + Sized + 'static {
    fn non_real_time(&mut self) -> bool {
        true
    }
    fn real_time(&mut self, _stage: &RealTimeStage) -> bool {
        true
    }
    /// Must leave the job owning no heap memory: the cleanup drops it on the real-time thread.
    fn finish(&mut self) -> bool {
        true
    }
}

/// A handle to the running server, for starting jobs. Cheap to copy; valid while the server runs.
#[derive(Clone, Copy)]
pub struct Server {
    world: *mut World,
}

// SAFETY: `World` is the server's process-wide state; the handle only passes the pointer back to the server's
// own functions (`fRTAlloc`, `fDoAsynchronousCommand`), which are safe to call from any of its threads.
unsafe impl Send for Server {}

impl Server {
    pub(super) fn new(world: *mut World) -> Self {
        Self { world }
    }

    /// The server's sample rate.
    pub fn sample_rate(&self) -> f64 {
        // SAFETY: the World outlives every unit and command that holds a handle.
        unsafe { self.world.as_ref() }.map_or(0.0, |w| w.mSampleRate)
    }

    /// Starts `job`; `name` (if any) is the command name the client gets in `/done name`.
    /// Call only from a plugin command (the server's own real-time thread): the queue of asynchronous
    /// commands has a single producer, and constructors and `next` may run on DSP helper threads.
    ///
    /// # Errors
    /// Gives the job back if the server's real-time memory is exhausted or the server is not there.
    pub fn spawn<J: Job>(&self, name: Option<&'static CStr>, job: J) -> Result<(), J> {
        let Some(t) = table() else { return Err(job) };
        let (Some(rt_alloc), Some(run)) = (t.fRTAlloc, t.fDoAsynchronousCommand) else { return Err(job) };
        // Over-allocate so the box can be aligned whatever the pool's alignment.
        let size = size_of::<JobBox<J>>() + align_of::<JobBox<J>>();
        // SAFETY: `world` is the running server's World; RTAlloc is safe on its RT and DSP threads.
        let raw = unsafe { rt_alloc(self.world, size) }.cast::<u8>();
        if raw.is_null() {
            return Err(job);
        }
        let data = raw.wrapping_add(raw.align_offset(align_of::<JobBox<J>>())).cast::<JobBox<J>>();
        // SAFETY: `data` is aligned for `JobBox<J>` and has room for it inside the allocation (see `size`).
        unsafe { data.write(JobBox { job, allocation: raw.cast(), world: self.world }) };
        let name = name.map_or(ptr::null(), CStr::as_ptr);
        // SAFETY: the stage functions match `J`; the server owns `data` until `cleanup::<J>` frees it.
        unsafe {
            run(self.world, ptr::null_mut(), name, data.cast(), Some(stage2::<J>), Some(stage3::<J>),
                Some(stage4::<J>), Some(cleanup::<J>), 0, ptr::null_mut())
        };
        Ok(())
    }
}

struct JobBox<J> {
    job: J,
    allocation: *mut c_void,
    world: *mut World,
}

/// Runs a stage of the job in `data`, guarded against panics (a panicking stage ends the job).
fn stage<J: Job>(data: *mut c_void, f: impl FnOnce(&mut J) -> bool) -> bool {
    // SAFETY: `data` is the `JobBox<J>` written in `spawn`; the server runs one stage of a job at a time.
    let job = unsafe { &mut (*data.cast::<JobBox<J>>()).job };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(job))).unwrap_or_else(|payload| {
        std::mem::forget(payload);
        super::print_line(format_args!("Performia: an asynchronous command panicked and was abandoned"));
        false
    })
}

unsafe extern "C" fn stage2<J: Job>(_world: *mut World, data: *mut c_void) -> bool {
    stage::<J>(data, J::non_real_time)
}

unsafe extern "C" fn stage3<J: Job>(_world: *mut World, data: *mut c_void) -> bool {
    stage::<J>(data, |job| job.real_time(&RealTimeStage(())))
}

unsafe extern "C" fn stage4<J: Job>(_world: *mut World, data: *mut c_void) -> bool {
    stage::<J>(data, J::finish)
}

unsafe extern "C" fn cleanup<J: Job>(_world: *mut World, data: *mut c_void) {
    let boxed = data.cast::<JobBox<J>>();
    // SAFETY: `data` is the `JobBox<J>` from `spawn`, used by no stage any more.
    let (allocation, world) = unsafe { ((*boxed).allocation, (*boxed).world) };
    // SAFETY: as above; dropped once, here.
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { ptr::drop_in_place(boxed) }));
    if let Err(payload) = dropped {
        std::mem::forget(payload);
    }
    if let Some(rt_free) = table().and_then(|t| t.fRTFree) {
        // SAFETY: `allocation` came from `fRTAlloc` on the same World.
        unsafe { rt_free(world, allocation) };
    }
}
