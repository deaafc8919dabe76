//! `performia bench listen`: what each block of the listener costs, on whole takes.
//!
//! Criterion's `listen` bench gives the mean cost of a block. An audio thread must also survive its dearest
//! blocks: those with an attack, where the beat tracker weighs its hypotheses and the chord tracker restarts its
//! analysis. This runs the listener (the DSP `PerfListen` runs) over takes, the demo take when none is given,
//! times every block and prints, per take, the mean, median, p99, p99.9 and largest cost of a block in µs and
//! the median over blocks with an onset; the last line is one JSON object over all blocks of all takes.

use crate::take::Take;
use agents::listen::{BLOCK, Listener};
use anyhow::Result;
use std::path::PathBuf;
use std::time::Instant;

/// Cost of each block of the listener on whole takes.
#[derive(clap::Args)]
pub struct Args {
    /// WAV takes (default: the demo take, made here).
    #[arg(value_name = "TAKE.wav")]
    takes: Vec<PathBuf>,
}

/// Costs of a set of blocks, µs; the last line printed (fields in this order).
#[derive(serde::Serialize)]
struct Summary {
    blocks: usize,
    mean_us: f64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    max_us: f64,
    onset_block_p50_us: f64,
}

impl Summary {
    /// Sorts both sets of costs in place and summarises them.
    fn of(costs: &mut [f64], onset_costs: &mut [f64]) -> Self {
        costs.sort_by(f64::total_cmp);
        onset_costs.sort_by(f64::total_cmp);
        let at = |sorted: &[f64], q: f64| {
            let index = ((sorted.len().saturating_sub(1)) as f64 * q).round() as usize;
            sorted.get(index).copied().unwrap_or(0.0)
        };
        Self {
            blocks: costs.len(),
            mean_us: costs.iter().sum::<f64>() / costs.len().max(1) as f64,
            p50_us: at(costs, 0.5),
            p99_us: at(costs, 0.99),
            p999_us: at(costs, 0.999),
            max_us: at(costs, 1.0),
            onset_block_p50_us: at(onset_costs, 0.5),
        }
    }
}

pub fn run(args: &Args) -> Result<()> {
    let takes: Vec<(String, Vec<f32>, u32)> = if args.takes.is_empty() {
        vec![(
            "demo take".to_owned(),
            crate::demo::demo_take(),
            crate::demo::SAMPLE_RATE,
        )]
    } else {
        args.takes
            .iter()
            .map(|path| Take::read(path).map(|take| (take.stem, take.samples, take.sample_rate)))
            .collect::<Result<_>>()?
    };
    let (mut all, mut all_onsets) = (Vec::new(), Vec::new());
    for (name, samples, sample_rate) in &takes {
        let (mut costs, mut onset_costs) = time_blocks(samples, *sample_rate);
        let s = Summary::of(&mut costs, &mut onset_costs);
        println!(
            "{name}: {} blocks, mean {:.2} us, p50 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2}; onset blocks p50 {:.2}",
            s.blocks, s.mean_us, s.p50_us, s.p99_us, s.p999_us, s.max_us, s.onset_block_p50_us
        );
        all.extend(costs);
        all_onsets.extend(onset_costs);
    }
    println!(
        "{}",
        serde_json::to_string(&Summary::of(&mut all, &mut all_onsets))?
    );
    Ok(())
}

/// The cost (µs) of every whole block of `samples`, and of those that reported an onset.
fn time_blocks(samples: &[f32], sample_rate: u32) -> (Vec<f64>, Vec<f64>) {
    let mut listener = Listener::new(sample_rate as f32);
    let mut costs = Vec::with_capacity(samples.len() / BLOCK);
    let mut onset_costs = Vec::new();
    for block in samples.chunks_exact(BLOCK) {
        let start = Instant::now();
        let heard = std::hint::black_box(listener.process(std::hint::black_box(block), 0.0));
        let cost = start.elapsed().as_secs_f64() * 1.0e6;
        costs.push(cost);
        if heard.onset.is_some() {
            onset_costs.push(cost);
        }
    }
    (costs, onset_costs)
}
