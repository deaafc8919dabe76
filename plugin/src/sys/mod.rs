//! The one place that touches the server's raw interface: the bindgen bindings, the exported entry points,
//! and the thin layer that turns the server's raw pointers into the safe types of [`crate::ugen`].
//!
//! **Invariant:** all of the plugin's `unsafe` lives under this module; every UGen above it is safe code.
//! Each `unsafe` block says why it holds in a `// SAFETY:` comment.

pub mod bindings;
pub mod command;
mod exports;
pub mod handoff;
pub mod job;
mod table;
pub(crate) mod unit;

pub(crate) use table::print_line;


use bindings::{SndBuf, Unit, World};

// The layouts the server was compiled with (docs/sc-plugin-facts.md §3). A build for the wrong server would read
// buffers and buses at the wrong offsets without any error, so the two flavours are pinned here.
#[cfg(feature = "supernova")]
const _: () = assert!(size_of::<World>() == 384 && size_of::<SndBuf>() == 64);
#[cfg(not(feature = "supernova"))]
const _: () = assert!(size_of::<World>() == 368 && size_of::<SndBuf>() == 56);
const _: () = assert!(size_of::<Unit>() == 104);

/// The value `server_type()` returns: supernova refuses a plugin that says 0, scsynth one that says 1.
pub const SERVER_TYPE: i32 = if cfg!(feature = "supernova") {
    bindings::SC_ServerType_sc_server_supernova as i32
} else {
    bindings::SC_ServerType_sc_server_scsynth as i32
};

/// The raw callbacks of a UGen, for in-process tests that play the server's part (e.g. counting allocations).
#[doc(hidden)]
pub mod testing {
    use super::bindings::Unit;
    use crate::ugen::UGen;

    /// What the server gets from `fDefineUnit`; the calc function is set by the constructor in `mCalcFunc`.
    pub struct Callbacks {
        pub alloc_size: usize,
        pub ctor: unsafe extern "C" fn(*mut Unit),
        pub dtor: unsafe extern "C" fn(*mut Unit),
    }

    pub fn callbacks<U: UGen>() -> Callbacks {
        Callbacks { alloc_size: super::unit::alloc_size::<U>(), ctor: super::unit::ctor::<U>, dtor: super::unit::dtor::<U> }
    }
}
