//! The server's interface table: kept once at `load`, used to register units and to print.

use super::bindings::{kUnitDef_CantAliasInputsToOutputs, InterfaceTable, Unit};
use super::unit;
use super::command::{self, PluginCommand};
use crate::ugen::{Registry, UGen};
use std::ffi::c_char;
use std::fmt::{self, Write};
use std::sync::atomic::{AtomicPtr, Ordering};

/// Set once in `load` on the main thread before any DSP thread exists; read-only afterwards.
static TABLE: AtomicPtr<InterfaceTable> = AtomicPtr::new(std::ptr::null_mut());

/// # Safety
/// `table` must stay valid for the life of the process.
pub(super) unsafe fn install(table: *mut InterfaceTable) {
    // Release pairs with the Acquire in `table()`: the table's contents are visible to whoever sees the pointer.
    TABLE.store(table, Ordering::Release);
}

pub(super) fn table() -> Option<&'static InterfaceTable> {
    let table = TABLE.load(Ordering::Acquire);
    // SAFETY: either null (not loaded, e.g. in-process tests) or the server's table, valid for the process's
    // life and never written by the server after `load` (see `install`).
    unsafe { table.as_ref() }
}

/// A fixed buffer that `fmt::Write` fills without allocating; longer text is cut.
struct LineBuf {
    bytes: [u8; 256],
    len: usize,
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            // Keep room for "\n\0"; a NUL inside the text would cut it, so drop those.
            if self.len + 2 < self.bytes.len() && b != 0 {
                self.bytes[self.len] = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Prints one line through the server's `Print` (its post window / stdout), without allocating.
///
/// Safe from any thread the server runs plugin code on (supernova's `Print` takes a spin lock); meant for rare
/// events (load, a unit that fails), never for every block. Does nothing outside a server.
pub(crate) fn print_line(args: fmt::Arguments<'_>) {
    let Some(print) = table().and_then(|t| t.fPrint) else { return };
    let mut line = LineBuf { bytes: [0; 256], len: 0 };
    let _ = line.write_fmt(args);
    line.bytes[line.len] = b'\n';
    line.bytes[line.len + 1] = 0;
    // SAFETY: "%s" with one NUL-terminated string that lives until the call returns.
    unsafe { print(c"%s".as_ptr(), line.bytes.as_ptr() as *const c_char) };
}

/// Registers units with the server during `load`.
#[derive(Default)]
pub(crate) struct Registrar {
    count: usize,
}

impl Registrar {
    pub(crate) fn count(&self) -> usize {
        self.count
    }
}

impl Registry for Registrar {
    fn unit<U: UGen>(&mut self) {
        let Some(define) = table().and_then(|t| t.fDefineUnit) else { return };
        // Inputs and outputs must not share memory: the safe layer hands out `&[f32]` inputs and `&mut [f32]`
        // outputs at the same time.
        let flags = kUnitDef_CantAliasInputsToOutputs;
        // SAFETY: the name is NUL-terminated and static; the functions match the server's signatures and the
        // allocation size covers the `Unit` plus the unit's state (see `unit::alloc_size`).
        let ok = unsafe {
            define(
                U::NAME.as_ptr(),
                unit::alloc_size::<U>(),
                Some(unit::ctor::<U> as unsafe extern "C" fn(*mut Unit)),
                Some(unit::dtor::<U> as unsafe extern "C" fn(*mut Unit)),
                flags,
            )
        };
        if ok {
            self.count += 1;
        } else {
            print_line(format_args!("Performia: the server refused to register {}", U::NAME.to_string_lossy()));
        }
    }

    fn command<C: PluginCommand>(&mut self) {
        let Some(define) = table().and_then(|t| t.fDefinePlugInCmd) else { return };
        // SAFETY: static NUL-terminated name; the trampoline matches `PlugInCmdFunc`.
        let ok = unsafe { define(C::NAME.as_ptr(), Some(command::trampoline::<C>), std::ptr::null_mut()) };
        if !ok {
            print_line(format_args!("Performia: the server refused the command {}", C::NAME.to_string_lossy()));
        }
    }
}
