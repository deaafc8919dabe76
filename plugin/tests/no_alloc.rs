//! The unit callbacks never allocate: constructor, every block and destructor, counted by a global allocator.
//!
//! The test plays the server's part in-process (a `World`, a `Graph`, wires and buffers built here) because a
//! counting allocator only works in a test binary: inside the loaded `.so` the first thread-local touch itself
//! allocates (sc-plugin-facts.md §6). The units are placed both 64-byte aligned (supernova) and only 4-byte
//! aligned (scsynth), with garbage in the unit memory as scsynth leaves it.

use performia_plugin::sys::bindings::{calc_BufRate, calc_FullRate, Graph, Unit, Wire, World};
use performia_plugin::sys::testing::{callbacks, Callbacks};
use performia_plugin::listeners::PrepareJob;
use performia_plugin::ugen::Job;
use performia_plugin::ugens::{PerfListen, PerfPeak, PerfRing};
use std::ptr::{addr_of_mut, write_unaligned};

/// The workspace's one counting allocator (per thread; counts allocations, reallocations and frees).
#[path = "../../agents/tests/common/mod.rs"]
mod common;

/// A pretend server holding one unit: its inputs (audio or control rate) and outputs, at the unit's rate.
struct FakeServer {
    world: Box<World>,
    graph: Box<Graph>,
    // Kept alive: the unit reads these wires through `wire_ptrs`.
    _wires: Vec<Wire>,
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
    wire_ptrs: Vec<*mut Wire>,
    in_bufs: Vec<*mut f32>,
    out_bufs: Vec<*mut f32>,
    memory: Vec<u64>,
    offset: usize,
    audio_rate: bool,
}

impl FakeServer {
    /// `audio_inputs[i]` says whether input i is audio rate; outputs are audio rate if `audio_rate`.
    fn new(alloc_size: usize, offset: usize, audio_inputs: &[bool], outputs: usize, audio_rate: bool) -> Self {
        let mut world = Box::new(World::default());
        world.mSampleRate = 48_000.0;
        world.mBufLength = 64;
        world.mFullRate.mBufLength = 64;
        let mut graph = Box::new(Graph::default());
        graph.mNode.mID = 1000;
        let mut inputs: Vec<Vec<f32>> = audio_inputs.iter().map(|&a| vec![0.0; if a { 64 } else { 1 }]).collect();
        let out_len = if audio_rate { 64 } else { 1 };
        let mut outputs: Vec<Vec<f32>> = (0..outputs).map(|_| vec![0.0; out_len]).collect();
        let mut wires: Vec<Wire> = audio_inputs
            .iter()
            .zip(&mut inputs)
            .map(|(&audio, buf)| Wire {
                mCalcRate: if audio { calc_FullRate as i32 } else { calc_BufRate as i32 },
                mBuffer: buf.as_mut_ptr(),
                ..Wire::default()
            })
            .collect();
        let wire_ptrs = wires.iter_mut().map(|w| w as *mut Wire).collect();
        let in_bufs = inputs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let out_bufs = outputs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        // Garbage, as scsynth leaves unit memory (it does not zero it).
        let memory = vec![0xA5A5_A5A5_A5A5_A5A5u64; (alloc_size + offset) / 8 + 2];
        Self { world, graph, _wires: wires, inputs, outputs, wire_ptrs, in_bufs, out_bufs, memory, offset, audio_rate }
    }

    fn unit(&mut self) -> *mut Unit {
        self.memory.as_mut_ptr().cast::<u8>().wrapping_add(self.offset).cast()
    }

    /// Writes the fields the server sets before calling the constructor.
    fn prepare_unit(&mut self) {
        let unit = self.unit();
        let rate = if self.audio_rate { calc_FullRate } else { calc_BufRate } as i16;
        let len = if self.audio_rate { 64 } else { 1 };
        // SAFETY: `unit` points into `memory`, which holds `alloc_size` bytes past it; unaligned writes because
        // the offset may be 4 (scsynth's packing).
        unsafe {
            write_unaligned(addr_of_mut!((*unit).mWorld), &mut *self.world as *mut World);
            write_unaligned(addr_of_mut!((*unit).mParent), &mut *self.graph as *mut Graph);
            write_unaligned(addr_of_mut!((*unit).mNumInputs), self.inputs.len() as u32);
            write_unaligned(addr_of_mut!((*unit).mNumOutputs), self.outputs.len() as u32);
            write_unaligned(addr_of_mut!((*unit).mCalcRate), rate);
            write_unaligned(addr_of_mut!((*unit).mInput), self.wire_ptrs.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mInBuf), self.in_bufs.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mOutBuf), self.out_bufs.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mBufLength), len);
        }
    }

    fn calc(&mut self) {
        let unit = self.unit();
        let len = if self.audio_rate { 64 } else { 1 };
        self.world.mBufCounter += 1;
        // SAFETY: the constructor has set `mCalcFunc`; the unit is valid (see `prepare_unit`).
        unsafe {
            let calc = std::ptr::read_unaligned(addr_of_mut!((*unit).mCalcFunc)).expect("calc function set");
            calc(unit, len);
        }
    }

    /// Runs constructor, `blocks` blocks (filling input 0 with `signal` first) and destructor, counting
    /// allocations; returns the count and output 0's first sample of every block.
    fn run(&mut self, callbacks: &Callbacks, blocks: usize, signal: impl Fn(usize, usize) -> f32) -> (u64, Vec<f32>) {
        self.prepare_unit();
        let mut first = Vec::with_capacity(blocks);
        let (allocations, ()) = common::allocations_in(|| {
            // SAFETY: the unit was prepared as the server prepares one.
            unsafe { (callbacks.ctor)(self.unit()) };
            for block in 0..blocks {
                let n = self.inputs[0].len();
                for (i, x) in self.inputs[0].iter_mut().enumerate() {
                    *x = signal(block, i * 64 / n);
                }
                self.calc();
                // Pushing into a pre-sized Vec does not allocate.
                first.push(self.outputs[0].iter().fold(0.0f32, |m, x| m.max(*x)));
            }
            // SAFETY: the unit was constructed above and is not used afterwards.
            unsafe { (callbacks.dtor)(self.unit()) };
        });
        (allocations, first)
    }
}

/// A 110 Hz pluck every 0.25 s (every 187.5 blocks).
fn plucks(block: usize, i: usize) -> f32 {
    let t = ((block * 64 + i) % 12_000) as f32 / 48_000.0;
    (t * 110.0 * std::f32::consts::TAU).sin() * (-t * 8.0).exp() * 0.5
}

#[test]
fn perf_peak_callbacks_never_allocate_in_either_servers_memory_layout() {
    for offset in [0, 4] {
        let callbacks = callbacks::<PerfPeak>();
        let mut server = FakeServer::new(callbacks.alloc_size, offset, &[true], 1, false);
        let (allocations, peaks) = server.run(&callbacks, 100, |block, i| {
            ((block * 64 + i) as f32 * 0.05).sin() * (block as f32 / 100.0)
        });
        assert_eq!(allocations, 0, "unit at offset {offset} allocated");
        // It really computed: the peaks grow with the input's envelope and stay finite.
        assert!(peaks.iter().all(|p| p.is_finite()));
        assert!(peaks[99] > 0.9 && peaks[99] <= 1.0 && peaks[10] < 0.2, "peaks {:?}", &peaks[..12]);
    }
}

#[test]
fn perf_ring_callbacks_never_allocate_while_detached() {
    let callbacks = callbacks::<PerfRing>();
    let mut server = FakeServer::new(callbacks.alloc_size, 4, &[false, false], 5, true);
    let (allocations, triggers) = server.run(&callbacks, 200, |_, _| 2.0);
    assert_eq!(allocations, 0);
    assert!(triggers.iter().all(|&t| t == 0.0), "no segment, no events");
}

#[test]
fn perf_listen_callbacks_never_allocate_and_hear_the_plucks() {
    // What `/cmd performiaPrepare 1` does off the audio thread, done here before counting starts.
    PrepareJob { count: 1, sample_rate: 48_000.0 }.non_real_time();
    let callbacks = callbacks::<PerfListen>();
    let mut server = FakeServer::new(callbacks.alloc_size, 4, &[true, false], 9, true);
    let (allocations, onsets) = server.run(&callbacks, 1_500, plucks);
    assert_eq!(allocations, 0);
    // Plucks start every 187.5 blocks; the first, at sample 0, falls in the listener's start-up hold.
    let heard: Vec<usize> = (0..onsets.len()).filter(|&b| onsets[b] == 1.0).collect();
    for pluck in 1..8 {
        let block = pluck * 12_000 / 64;
        assert!(heard.iter().any(|&b| b.abs_diff(block) <= 1), "pluck {pluck} (block {block}) not heard: {heard:?}");
    }
}
#[test]
fn the_counting_allocator_sees_allocations() {
    // The check above could not fail if counting were broken: prove it counts.
    let (n, ()) = common::allocations_in(|| drop(std::hint::black_box(vec![1u8; 16])));
    assert_eq!(n, 2);
}
