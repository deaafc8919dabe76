//! The `performia` command: one module per subcommand, this file only dispatches.

mod analyze;
mod bench_listen;
mod bench_ring;
mod demo;
mod detections;
mod nrt;
mod offline;
mod pool;
mod sclang;
mod send;
mod state;
mod take;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Performia: a band that listens.
#[derive(Parser)]
#[command(name = "performia", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write one event into the event ring.
    Send(send::Args),
    /// Print a snapshot of the state page as JSON.
    State(state::Args),
    /// Render WAV takes through PerfListen (supernova, non-real-time) and write detection JSON.
    Analyze(analyze::Args),
    /// The main job on an embedded default: make a demo take, listen to it in supernova, say what was heard.
    Demo(demo::Args),
    /// Measurements.
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Subcommand)]
enum Bench {
    /// Cross-process write→read latency of the event ring, with a spinning reader in a child process.
    Ring(bench_ring::Args),
    /// Cost of each block of the listener (mean, tail and worst) on whole takes.
    Listen(bench_listen::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Send(args) => send::run(&args),
        Command::State(args) => state::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Bench(Bench::Ring(args)) => bench_ring::run(&args),
        Command::Bench(Bench::Listen(args)) => bench_listen::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: each error says what to do; `:#` joins any context on the same line.
            eprintln!("performia: {error:#}");
            ExitCode::FAILURE
        }
    }
}
