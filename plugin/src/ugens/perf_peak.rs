//! `PerfPeak`: the largest absolute sample of an audio-rate input within each control block.
//!
//! This is the tutorial for every Performia UGen: one Rust type implementing [`UGen`], one sclang class
//! (`sc-classes/Classes/PerfPeak.sc`) and one help file (`sc-classes/HelpSource/Classes/PerfPeak.schelp`), all
//! with the same name. The adapter holds no server types; `crate::sys` calls it and guards every call.

use crate::ugen::{Context, Io, Rate, UGen};
use std::ffi::CStr;

/// `PerfPeak.kr(in)`. Stateless: each block's output depends on that block alone.
pub struct PerfPeak;

impl PerfPeak {
    /// Index of the input `in` (the class's only `multiNew` argument).
    const IN: usize = 0;

    /// Largest `|x|` of the finite samples of `block`; NaN and infinities are skipped so the output stays
    /// meaningful (and finite) when a bad sample reaches the input.
    fn peak(block: &[f32]) -> f32 {
        block.iter().filter(|x| x.is_finite()).fold(0.0, |peak, x| peak.max(x.abs()))
    }
}

impl UGen for PerfPeak {
    const NAME: &'static CStr = c"PerfPeak";
    const INPUTS: &'static [&'static str] = &["in"];
    const OUTPUTS: usize = 1;

    fn new(ctx: &Context) -> Result<Self, &'static str> {
        // A control-rate input has one sample per block: its "peak" would just be its value. The class checks
        // this too; this guards SynthDefs built without the class.
        if ctx.input_rate(Self::IN) != Rate::Audio {
            return Err("input 'in' must be audio rate");
        }
        Ok(Self)
    }

    fn next(&mut self, io: &mut Io<'_>) {
        let peak = Self::peak(io.input(Self::IN));
        io.output(0).fill(peak);
    }

    fn prime(&mut self, io: &mut Io<'_>) {
        // Inputs are one sample long here, so this is |in[0]|.
        self.next(io);
    }
}
