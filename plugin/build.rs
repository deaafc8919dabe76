//! Generates the bindings to SuperCollider's plugin headers, for scsynth or (feature `supernova`) supernova.

use std::env;
use std::path::PathBuf;

/// Where Debian's `supercollider-dev` puts the headers; override with `SC_INCLUDE_DIR`.
const DEFAULT_SC_INCLUDE_DIR: &str = "/usr/include/SuperCollider";

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-env-changed=SC_INCLUDE_DIR");
    let include = env::var("SC_INCLUDE_DIR").unwrap_or_else(|_| DEFAULT_SC_INCLUDE_DIR.to_owned());
    if !PathBuf::from(&include).join("plugin_interface/SC_Unit.h").exists() {
        panic!(
            "SuperCollider plugin headers not found in {include}: install them with \
             `apt-get install supercollider-dev` or set SC_INCLUDE_DIR"
        );
    }
    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        // The headers are C++ (e.g. `SC_Unit_Extensions` used without `struct`, a constructor in `FifoMsg`).
        .clang_args(["-x", "c++", "-std=c++17"])
        .clang_arg(format!("-I{include}/plugin_interface"))
        .clang_arg(format!("-I{include}/common"))
        .allowlist_type(
            "World|Unit|InterfaceTable|SndBuf|SndBufUpdates|Wire|Rate|Graph|Node|RGen|sc_msg_iter|FifoMsg|\
             ScopeBufferHnd|SC_ServerType",
        )
        .allowlist_var("sc_api_version|kUnitDef_CantAliasInputsToOutputs|calc_.*")
        .opaque_type("rw_spinlock")
        .opaque_type("std::.*")
        // Every SC helper function is a C++ inline: declaring one would leave an undefined symbol that makes
        // the server's dlopen fail (silently in supernova).
        .blocklist_function(".*")
        .derive_default(true)
        .layout_tests(true);
    if env::var_os("CARGO_FEATURE_SUPERNOVA").is_some() {
        // Changes the layout of World and SndBuf.
        builder = builder.clang_arg("-DSUPERNOVA");
    }
    let bindings = builder.generate().expect("bindgen could not read the SuperCollider headers");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bindings.rs");
    bindings.write_to_file(out).expect("could not write bindings.rs");
}
