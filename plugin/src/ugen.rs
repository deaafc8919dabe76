//! The safe UGen layer: a UGen is a plain Rust type with a constructor and a per-block `next`.
//!
//! Who calls what (docs/sc-plugin-facts.md §5):
//! - [`UGen::new`] and [`UGen::prime`] run in the unit's constructor: in supernova on whichever DSP thread first
//!   runs the synth, possibly while other synths' `next` run on other threads. No allocation, lock or I/O.
//! - [`UGen::next`] runs once per control block on a DSP thread. No allocation, lock, system call or I/O.
//! - `Drop` runs in the unit's destructor on a real-time thread. Nothing to free if nothing was allocated.
//!
//! The layer under this one (`crate::sys::unit`) guards every call: a panic silences the unit, prints one line
//! naming it and never reaches the server; outputs are made finite after every call; a SynthDef whose input or
//! output count does not match [`UGen::INPUTS`] / [`UGen::OUTPUTS`] gets a silent unit and one line saying so.

pub use crate::sys::command::{Args, PluginCommand};
pub use crate::sys::job::{Job, RealTimeStage, Server};
use std::ffi::CStr;

/// At most this many inputs and outputs per unit; checked when the unit is registered.
pub const MAX_IO: usize = 16;

/// A unit generator implemented in safe Rust.
pub trait UGen: Sized + 'static {
    /// The name registered with the server: the sclang class name.
    const NAME: &'static CStr;
    /// Input names in server order, the same as the sclang class's `multiNew` arguments.
    const INPUTS: &'static [&'static str];
    /// The number of outputs.
    const OUTPUTS: usize;

    /// Builds the unit's state. `Err` names what is wrong; the unit is then silent.
    fn new(ctx: &Context) -> Result<Self, &'static str>;

    /// Computes one block: inputs and outputs are slices of the block's length for their rate.
    fn next(&mut self, io: &mut Io<'_>);

    /// Computes the first output sample in the constructor, so that units reading this one start from a
    /// valid value. The inputs are one sample long here. The default outputs 0.
    fn prime(&mut self, io: &mut Io<'_>) {
        io.clear();
    }
}

/// Visits every UGen and command of the plugin: the server registration and the tidy tests walk one list.
pub trait Registry {
    fn unit<U: UGen>(&mut self);
    fn command<C: PluginCommand>(&mut self) {}
}

/// The rate a unit or an input is computed at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rate {
    #[default]
    Scalar,
    Control,
    Audio,
    Demand,
}

/// What a constructor may know: the server's rates, the unit's own rate, its inputs' rates and first values.
#[derive(Clone, Copy)]
pub struct Context {
    pub sample_rate: f64,
    /// Samples per control block (`-z`).
    pub block_size: usize,
    pub rate: Rate,
    pub node_id: i32,
    pub input_rates: [Rate; MAX_IO],
    /// The first sample of every input at construction time (the value of scalar and control inputs).
    pub input_values: [f32; MAX_IO],
    pub num_inputs: usize,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            sample_rate: 48_000.0,
            block_size: 64,
            rate: Rate::Control,
            node_id: -1,
            input_rates: [Rate::Scalar; MAX_IO],
            input_values: [0.0; MAX_IO],
            num_inputs: 0,
        }
    }
}

impl Context {
    /// The rate of input `index`, `Scalar` if there is no such input.
    pub fn input_rate(&self, index: usize) -> Rate {
        self.input_rates.get(index).copied().unwrap_or_default()
    }
}

/// The unit's input and output buffers for one call.
pub struct Io<'a> {
    /// The server's sample time of this block's first sample (samples since the server started).
    pub sample_time: u64,
    inputs: [&'a [f32]; MAX_IO],
    outputs: [&'a mut [f32]; MAX_IO],
    num_inputs: usize,
    num_outputs: usize,
}

impl<'a> Io<'a> {
    /// Wraps buffers the server owns; used by `crate::sys::unit` and by in-process tests.
    pub fn new(inputs: [&'a [f32]; MAX_IO], outputs: [&'a mut [f32]; MAX_IO], num_inputs: usize, num_outputs: usize) -> Self {
        Self {
            sample_time: 0,
            inputs,
            outputs,
            num_inputs: num_inputs.min(MAX_IO),
            num_outputs: num_outputs.min(MAX_IO),
        }
    }

    /// Input `index` (audio-rate: one block; control or scalar: one sample); empty if there is no such input.
    pub fn input(&self, index: usize) -> &[f32] {
        if index < self.num_inputs { self.inputs[index] } else { &[] }
    }

    /// The current value of a control or scalar input (its first sample), 0 if absent.
    pub fn value(&self, index: usize) -> f32 {
        self.input(index).first().copied().unwrap_or(0.0)
    }

    /// Output `index`; empty if there is no such output.
    pub fn output(&mut self, index: usize) -> &mut [f32] {
        if index < self.num_outputs { &mut *self.outputs[index] } else { &mut [] }
    }

    /// All inputs and all outputs at once, for units that read and write in one loop.
    pub fn split(&mut self) -> (&[&'a [f32]], &mut [&'a mut [f32]]) {
        (&self.inputs[..self.num_inputs], &mut self.outputs[..self.num_outputs])
    }

    /// Writes 0 to every output.
    pub fn clear(&mut self) {
        for out in &mut self.outputs[..self.num_outputs] {
            out.fill(0.0);
        }
    }

    /// Replaces NaN, infinities and denormals in every output by 0: the server must only see finite numbers.
    pub fn make_finite(&mut self) {
        for out in &mut self.outputs[..self.num_outputs] {
            for x in out.iter_mut() {
                if !x.is_finite() || x.abs() < f32::MIN_POSITIVE {
                    *x = 0.0;
                }
            }
        }
    }
}
