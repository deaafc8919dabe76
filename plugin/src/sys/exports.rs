//! The C symbols the server looks up after `dlopen`: `api_version`, `server_type`, `load`, `unload`.

use super::bindings::{sc_api_version, InterfaceTable};
use super::table;
use std::ffi::c_int;

/// Checked by both servers before anything else; a mismatch is reported and the file skipped.
#[unsafe(no_mangle)]
pub extern "C" fn api_version() -> c_int {
    sc_api_version
}

/// Supernova silently skips a plugin without this symbol or with 0; scsynth skips one that returns 1.
#[unsafe(no_mangle)]
pub extern "C" fn server_type() -> c_int {
    super::SERVER_TYPE
}

/// Called once on the server's main thread before any audio thread starts.
///
/// # Safety
/// `table` must be the server's interface table, valid for the life of the process (the server guarantees it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn load(table: *mut InterfaceTable) {
    // A panic must not unwind into C; nothing here should panic, but the guard costs nothing on this thread.
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the server passes its interface table, which outlives the plugin (see `# Safety`).
        unsafe { table::install(table) };
        crate::quiet_panic_messages();
        let mut registrar = table::Registrar::default();
        crate::register_all(&mut registrar);
        table::print_line(format_args!(
            "Performia: {} UGens loaded ({} build)",
            registrar.count(),
            if cfg!(feature = "supernova") { "supernova" } else { "scsynth" }
        ));
    });
}

/// Called at server shutdown on the main thread. Nothing to release: units free their own state.
#[unsafe(no_mangle)]
pub extern "C" fn unload() {}
