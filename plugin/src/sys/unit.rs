//! The generic `extern "C"` callbacks that turn a server `Unit` into a call of a safe [`UGen`].
//!
//! Memory: the server allocates `alloc_size::<U>()` bytes per unit and hands us the `Unit` at its start. The
//! unit's state (a [`Slot`]) sits right after the `Unit`, aligned by hand, because scsynth packs units only
//! 4-byte aligned and does not zero them, while supernova 64-aligns and zeroes (sc-plugin-facts.md §4, trap 11).
//! For the same reason every `Unit` field is read with `read_unaligned`.
//!
//! Every callback opens the same way: check the pointer, find the slot, run the safe code inside
//! `catch_unwind`. A panic marks the unit failed, prints one line naming it, and from then on the unit outputs 0.

use super::bindings::{calc_BufRate, calc_DemandRate, calc_FullRate, Graph, Unit, Wire, World};
use super::print_line;
use crate::ugen::{Context, Io, Rate, UGen, MAX_IO};
use std::any::Any;
use std::ffi::c_int;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::{self, addr_of, addr_of_mut};

/// Whether the slot holds a live state. Zeroed memory (supernova) reads as `Empty`.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Empty = 0,
    Live = 1,
    /// The constructor refused or something panicked: the state, if any, is never touched again (leaked).
    Failed = 2,
}

#[repr(C)]
struct Slot<U> {
    status: Status,
    state: MaybeUninit<U>,
}

/// Bytes the server must allocate per unit: the `Unit`, room to align the slot, and the slot.
pub(super) fn alloc_size<U: UGen>() -> usize {
    const { assert!(U::INPUTS.len() <= MAX_IO && U::OUTPUTS <= MAX_IO, "raise ugen::MAX_IO") };
    size_of::<Unit>() + align_of::<Slot<U>>() - 1 + size_of::<Slot<U>>()
}

/// The slot of `unit`: the first address after the `Unit` aligned for `Slot<U>`.
fn slot<U>(unit: *mut Unit) -> *mut Slot<U> {
    let after = unit as usize + size_of::<Unit>();
    let aligned = after.next_multiple_of(align_of::<Slot<U>>());
    // Same provenance as `unit`; stays inside the allocation because `alloc_size` reserved the padding.
    unit.cast::<u8>().wrapping_add(aligned - unit as usize).cast()
}

/// Reads a field of the (possibly only 4-byte aligned) `Unit`.
macro_rules! field {
    ($unit:expr, $name:ident) => {
        // SAFETY: callers pass a `Unit` pointer from the server, valid for the duration of the callback;
        // `read_unaligned` because scsynth does not align units to 8 bytes.
        unsafe { ptr::read_unaligned(addr_of!((*$unit).$name)) }
    };
}

fn rate_of(calc_rate: i32) -> Rate {
    match calc_rate as u32 {
        r if r == calc_BufRate => Rate::Control,
        r if r == calc_FullRate => Rate::Audio,
        r if r == calc_DemandRate => Rate::Demand,
        _ => Rate::Scalar,
    }
}

fn world(unit: *mut Unit) -> &'static World {
    let world: *mut World = field!(unit, mWorld);
    // SAFETY: every unit points at the server's World, which outlives all units.
    unsafe { &*world }
}

fn node_id(unit: *mut Unit) -> i32 {
    let graph: *mut Graph = field!(unit, mParent);
    // SAFETY: a unit's parent graph outlives it; the graph is allocated with its natural alignment.
    unsafe { graph.as_ref() }.map_or(-1, |g| g.mNode.mID)
}

/// The calc rate of input `index` (`index < mNumInputs`).
fn input_rate(unit: *mut Unit, index: usize) -> Rate {
    let wires: *mut *mut Wire = field!(unit, mInput);
    // SAFETY: the server gives `mNumInputs` wire pointers; `index` is below it (checked by callers).
    let wire = unsafe { ptr::read_unaligned(wires.add(index)) };
    // SAFETY: each wire lives as long as the graph that owns the unit.
    rate_of(unsafe { (*wire).mCalcRate })
}

/// Builds the safe view of the unit's buffers. `len` is the length of the unit's own outputs (the server's
/// `inNumSamples`); audio-rate inputs get `audio_len` samples, control and scalar inputs one.
///
/// Sound because the unit was registered with `kUnitDef_CantAliasInputsToOutputs`: no output buffer shares
/// memory with an input buffer or with another output, so shared input slices and exclusive output slices may
/// exist together for the duration of the callback.
fn io<'a>(unit: *mut Unit, len: usize, audio_len: usize) -> Io<'a> {
    let num_inputs = (field!(unit, mNumInputs) as usize).min(MAX_IO);
    let num_outputs = (field!(unit, mNumOutputs) as usize).min(MAX_IO);
    let in_bufs: *mut *mut f32 = field!(unit, mInBuf);
    let out_bufs: *mut *mut f32 = field!(unit, mOutBuf);
    let inputs: [&[f32]; MAX_IO] = std::array::from_fn(|i| {
        if i >= num_inputs {
            return &[][..];
        }
        let n = if input_rate(unit, i) == Rate::Audio { audio_len } else { 1 };
        // SAFETY: input i's buffer holds a full block for audio rate and at least one sample otherwise, and is
        // not written while this unit runs (see the aliasing note above).
        unsafe { std::slice::from_raw_parts(ptr::read_unaligned(in_bufs.add(i)).cast_const(), n) }
    });
    let outputs: [&mut [f32]; MAX_IO] = std::array::from_fn(|i| {
        if i >= num_outputs {
            return &mut [][..];
        }
        // SAFETY: output i's buffer holds `len` samples for the unit's rate and belongs to this unit alone.
        unsafe { std::slice::from_raw_parts_mut(ptr::read_unaligned(out_bufs.add(i)), len) }
    });
    let mut io = Io::new(inputs, outputs, num_inputs, num_outputs);
    let world = world(unit);
    // `mBufCounter` while block n (from 0) is computed: supernova has counted it already (n + 1), scsynth
    // not yet (n). Measured by the PerfRing NRT test on both servers.
    let block = if cfg!(feature = "supernova") { world.mBufCounter.max(1) - 1 } else { world.mBufCounter.max(0) };
    io.sample_time = block as u64 * world.mBufLength.max(0) as u64;
    io
}

fn context(unit: *mut Unit) -> Context {
    let world = world(unit);
    let num_inputs = (field!(unit, mNumInputs) as usize).min(MAX_IO);
    let mut ctx = Context {
        sample_rate: world.mSampleRate,
        block_size: world.mBufLength.max(1) as usize,
        rate: rate_of(i32::from(field!(unit, mCalcRate))),
        node_id: node_id(unit),
        num_inputs,
        ..Context::default()
    };
    let first = io(unit, 1, 1);
    for i in 0..num_inputs {
        ctx.input_rates[i] = input_rate(unit, i);
        ctx.input_values[i] = first.value(i);
    }
    ctx
}

/// Outputs 0: the calc function of a failed unit.
unsafe extern "C" fn silence(unit: *mut Unit, num_samples: c_int) {
    if !unit.is_null() {
        io(unit, num_samples.max(0) as usize, 0).clear();
    }
}

fn set_calc(unit: *mut Unit, calc: unsafe extern "C" fn(*mut Unit, c_int)) {
    // SAFETY: as in `field!`; the server reads `mCalcFunc` only between callbacks.
    unsafe { ptr::write_unaligned(addr_of_mut!((*unit).mCalcFunc), Some(calc)) };
}

fn set_status<U>(unit: *mut Unit, status: Status) {
    // SAFETY: the slot lies inside the unit's allocation (`alloc_size`); `Status` is a byte, so any address
    // is aligned for it, and the server calls one callback of a unit at a time.
    unsafe { ptr::write(addr_of_mut!((*slot::<U>(unit)).status), status) };
}

fn status<U>(unit: *mut Unit) -> Status {
    // SAFETY: as in `set_status`; the constructor writes the status before anything reads it.
    unsafe { ptr::read(addr_of!((*slot::<U>(unit)).status)) }
}

/// The state of a live unit.
fn state<'a, U>(unit: *mut Unit) -> &'a mut U {
    // SAFETY: only called when the status is `Live`, i.e. after the constructor wrote the state; the server
    // runs one callback of a unit at a time, so this is the only reference.
    unsafe { (*slot::<U>(unit)).state.assume_init_mut() }
}

/// Marks the unit failed and silent, and says so once.
fn fail<U: UGen>(unit: *mut Unit, during: &str, payload: Box<dyn Any + Send>, num_samples: usize) {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    print_line(format_args!(
        "{} (node {}): panicked in {during}: {message}; the unit is silent from now on",
        U::NAME.to_string_lossy(),
        node_id(unit)
    ));
    // Dropping the payload could panic again outside any guard (rust-lang/rust#86027).
    std::mem::forget(payload);
    set_status::<U>(unit, Status::Failed);
    set_calc(unit, silence);
    io(unit, num_samples, 0).clear();
}

fn construct<U: UGen>(unit: *mut Unit) {
    let (inputs, outputs) = (field!(unit, mNumInputs) as usize, field!(unit, mNumOutputs) as usize);
    if inputs != U::INPUTS.len() || outputs != U::OUTPUTS {
        print_line(format_args!(
            "{} (node {}): expected {} inputs and {} outputs, got {inputs} and {outputs}; \
             rebuild the SynthDef with the installed class; the unit is silent",
            U::NAME.to_string_lossy(),
            node_id(unit),
            U::INPUTS.len(),
            U::OUTPUTS,
        ));
        set_status::<U>(unit, Status::Failed);
        return;
    }
    match U::new(&context(unit)) {
        Ok(new_state) => {
            // SAFETY: the slot lies inside the unit's allocation and is aligned for `Slot<U>` (see `slot`).
            unsafe { (*slot::<U>(unit)).state.write(new_state) };
            set_status::<U>(unit, Status::Live);
            set_calc(unit, next::<U>);
            let mut io = io(unit, 1, 1);
            state::<U>(unit).prime(&mut io);
            io.make_finite();
        }
        Err(reason) => {
            print_line(format_args!(
                "{} (node {}): {reason}; the unit is silent",
                U::NAME.to_string_lossy(),
                node_id(unit)
            ));
            set_status::<U>(unit, Status::Failed);
        }
    }
}

/// The unit's constructor (`UnitCtorFunc`).
///
/// # Safety
/// `unit` must be a unit the server allocated with `alloc_size::<U>()` bytes.
pub(super) unsafe extern "C" fn ctor<U: UGen>(unit: *mut Unit) {
    if unit.is_null() {
        return;
    }
    // scsynth does not zero unit memory: nothing may be read before it is written here.
    set_status::<U>(unit, Status::Empty);
    set_calc(unit, silence);
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| construct::<U>(unit))) {
        fail::<U>(unit, "its constructor", payload, 1);
    }
    if status::<U>(unit) != Status::Live {
        io(unit, 1, 1).clear();
    }
}

/// The unit's calc function (`UnitCalcFunc`), once per control block.
unsafe extern "C" fn next<U: UGen>(unit: *mut Unit, num_samples: c_int) {
    if unit.is_null() {
        return;
    }
    let len = num_samples.max(0) as usize;
    if status::<U>(unit) != Status::Live {
        io(unit, len, 0).clear();
        return;
    }
    let audio_len = world(unit).mBufLength.max(0) as usize;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut io = io(unit, len, audio_len);
        state::<U>(unit).next(&mut io);
        io.make_finite();
    }));
    if let Err(payload) = result {
        fail::<U>(unit, "next", payload, len);
    }
}

/// The unit's destructor (`UnitDtorFunc`): drops a live state.
///
/// # Safety
/// `unit` must be a unit whose constructor was `ctor::<U>`.
pub(super) unsafe extern "C" fn dtor<U: UGen>(unit: *mut Unit) {
    if unit.is_null() || status::<U>(unit) != Status::Live {
        return;
    }
    set_status::<U>(unit, Status::Empty);
    // SAFETY: the status was `Live`, so the state is initialised, and nothing uses it after this.
    let drop_state = || unsafe { (*slot::<U>(unit)).state.assume_init_drop() };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(drop_state)) {
        print_line(format_args!("{}: panicked while being freed", U::NAME.to_string_lossy()));
        std::mem::forget(payload);
    }
}
