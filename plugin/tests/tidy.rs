//! Tidy checks run with the tests: every registered UGen has its class and help file with the same inputs,
//! `unsafe` stays where DESIGN.md puts it, and source files stay small.

use performia_plugin::ugen::{Registry, UGen};
use std::fs;
use std::path::{Path, PathBuf};

struct Names(Vec<(String, Vec<&'static str>)>);

impl Registry for Names {
    fn unit<U: UGen>(&mut self) {
        self.0.push((U::NAME.to_str().unwrap().to_owned(), U::INPUTS.to_vec()));
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The argument names of the first `*kr` or `*ar` class method: `*kr { |in, gate = 1|` gives `[in, gate]`.
fn class_arguments(class: &str) -> Vec<String> {
    let method = class.find("*kr").or_else(|| class.find("*ar")).expect("no *kr or *ar method");
    let rest = &class[method..];
    let open = rest.find('|').expect("no argument list") + 1;
    let close = open + rest[open..].find('|').expect("unclosed argument list");
    rest[open..close].split(',').map(|a| a.split('=').next().unwrap().trim().to_owned()).collect()
}

#[test]
fn every_registered_ugen_has_a_class_and_a_help_file_with_the_same_inputs() {
    let mut names = Names(Vec::new());
    performia_plugin::register_all(&mut names);
    assert!(!names.0.is_empty());
    for (name, inputs) in names.0 {
        let class_path = root().join(format!("sc-classes/Classes/{name}.sc"));
        let class = fs::read_to_string(&class_path).unwrap_or_else(|_| panic!("missing {}", class_path.display()));
        assert!(class.contains(&format!("{name} : ")), "{name}.sc does not define class {name}");
        assert_eq!(class_arguments(&class), inputs, "{name}: class arguments differ from the adapter's INPUTS");
        let help_path = root().join(format!("sc-classes/HelpSource/Classes/{name}.schelp"));
        let help = fs::read_to_string(&help_path).unwrap_or_else(|_| panic!("missing {}", help_path.display()));
        assert!(help.starts_with(&format!("class:: {name}")), "{name}.schelp: wrong class:: line");
        for input in inputs {
            assert!(help.contains(&format!("argument::{input}")), "{name}.schelp does not document {input}");
        }
        assert!(help.contains("examples::"), "{name}.schelp has no examples");
    }
}

/// The ways code can be unsafe (lint names such as `unsafe_code` are not).
const UNSAFE_FORMS: [&str; 5] = ["unsafe {", "unsafe fn", "unsafe impl", "unsafe extern", "unsafe("];

#[test]
fn unsafe_code_lives_only_in_plugin_sys_and_the_shared_memory_view() {
    let allowed = |path: &Path| {
        path.starts_with(root().join("plugin/src/sys")) || path.starts_with(root().join("agents/src/shm"))
    };
    let mut files = Vec::new();
    for dir in ["plugin/src", "agents/src", "control/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 5);
    for file in files.iter().filter(|f| !allowed(f)) {
        let text = fs::read_to_string(file).unwrap();
        let offending = text.lines().filter(|l| !l.trim_start().starts_with("//")).find(|l| UNSAFE_FORMS.iter().any(|form| l.contains(form)));
        assert!(offending.is_none(), "{}: `unsafe` outside plugin/src/sys: {offending:?}", file.display());
    }
}

#[test]
fn source_files_stay_small() {
    let mut files = Vec::new();
    for dir in ["plugin/src", "agents/src", "control/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    for file in files {
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= 600, "{} has {lines} lines; split it", file.display());
    }
}
