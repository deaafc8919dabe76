//! `PerfTestPanic`: panics on purpose in `next` once its input is positive. Built only with the `test-panic`
//! feature, for the test that proves a panicking unit is silenced while the server and other synths go on.

use crate::ugen::{Context, Io, UGen};
use std::ffi::CStr;

/// `PerfTestPanic.kr(trig)`: outputs 1 until `trig > 0`, then panics.
pub struct PerfTestPanic;

impl UGen for PerfTestPanic {
    const NAME: &'static CStr = c"PerfTestPanic";
    const INPUTS: &'static [&'static str] = &["trig"];
    const OUTPUTS: usize = 1;

    fn new(_ctx: &Context) -> Result<Self, &'static str> {
        Ok(Self)
    }

    fn next(&mut self, io: &mut Io<'_>) {
        if io.value(0) > 0.0 {
            panic!("PerfTestPanic was told to panic");
        }
        io.output(0).fill(1.0);
    }
}
