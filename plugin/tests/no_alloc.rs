//! The unit callbacks never allocate: constructor, every block and destructor, counted by a global allocator.
//!
//! The test plays the server's part in-process (a `World`, a `Graph`, wires and buffers built here) because a
//! counting allocator only works in a test binary: inside the loaded `.so` the first thread-local touch itself
//! allocates (sc-plugin-facts.md §6). The units are placed both 64-byte aligned (supernova) and only 4-byte
//! aligned (scsynth), with garbage in the unit memory as scsynth leaves it.

use performia_plugin::sys::bindings::{calc_BufRate, calc_FullRate, Graph, Unit, Wire, World};
use performia_plugin::sys::testing::{callbacks, Callbacks};
use performia_plugin::ugens::PerfPeak;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::{addr_of_mut, write_unaligned};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts allocations made by threads that have switched counting on (other test threads are not counted).
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator unchanged; counting touches only a const-initialised thread-local.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations (and frees) made by this thread while running `f`.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// A pretend server holding one control-rate unit with one audio-rate input and one output.
struct FakeServer {
    world: Box<World>,
    graph: Box<Graph>,
    wire: Box<Wire>,
    input: Box<[f32; 64]>,
    output: Box<[f32; 1]>,
    wires: Box<[*mut Wire; 1]>,
    in_bufs: Box<[*mut f32; 1]>,
    out_bufs: Box<[*mut f32; 1]>,
    memory: Vec<u64>,
    offset: usize,
}

impl FakeServer {
    fn new(alloc_size: usize, offset: usize) -> Self {
        let mut world = Box::new(World::default());
        world.mSampleRate = 48_000.0;
        world.mBufLength = 64;
        world.mFullRate.mBufLength = 64;
        let mut graph = Box::new(Graph::default());
        graph.mNode.mID = 1000;
        let mut input = Box::new([0.0f32; 64]);
        let mut output = Box::new([0.0f32; 1]);
        let mut wire = Box::new(Wire::default());
        wire.mCalcRate = calc_FullRate as i32;
        wire.mBuffer = input.as_mut_ptr();
        let wires = Box::new([&mut *wire as *mut Wire]);
        let in_bufs = Box::new([input.as_mut_ptr()]);
        let out_bufs = Box::new([output.as_mut_ptr()]);
        // Garbage, as scsynth leaves unit memory (it does not zero it).
        let memory = vec![0xA5A5_A5A5_A5A5_A5A5u64; (alloc_size + offset) / 8 + 2];
        Self { world, graph, wire, input, output, wires, in_bufs, out_bufs, memory, offset }
    }

    fn unit(&mut self) -> *mut Unit {
        self.memory.as_mut_ptr().cast::<u8>().wrapping_add(self.offset).cast()
    }

    /// Writes the fields the server sets before calling the constructor.
    fn prepare_unit(&mut self) {
        let unit = self.unit();
        // SAFETY: `unit` points into `memory`, which holds `alloc_size` bytes past it; unaligned writes because
        // the offset may be 4 (scsynth's packing).
        unsafe {
            write_unaligned(addr_of_mut!((*unit).mWorld), &mut *self.world as *mut World);
            write_unaligned(addr_of_mut!((*unit).mParent), &mut *self.graph as *mut Graph);
            write_unaligned(addr_of_mut!((*unit).mNumInputs), 1);
            write_unaligned(addr_of_mut!((*unit).mNumOutputs), 1);
            write_unaligned(addr_of_mut!((*unit).mCalcRate), calc_BufRate as i16);
            write_unaligned(addr_of_mut!((*unit).mInput), self.wires.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mInBuf), self.in_bufs.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mOutBuf), self.out_bufs.as_mut_ptr());
            write_unaligned(addr_of_mut!((*unit).mBufLength), 1);
        }
    }

    fn calc(&mut self) {
        let unit = self.unit();
        // SAFETY: the constructor has set `mCalcFunc`; the unit is valid (see `prepare_unit`).
        unsafe {
            let calc = std::ptr::read_unaligned(addr_of_mut!((*unit).mCalcFunc)).expect("calc function set");
            calc(unit, 1);
        }
    }
}

fn run_peak_unit(offset: usize) -> (usize, Vec<f32>) {
    let Callbacks { alloc_size, ctor, dtor } = callbacks::<PerfPeak>();
    let mut server = FakeServer::new(alloc_size, offset);
    server.prepare_unit();
    let mut peaks = Vec::with_capacity(100);
    let allocations = allocations_in(|| {
        // SAFETY: the unit was prepared as the server prepares one.
        unsafe { ctor(server.unit()) };
        for block in 0..100 {
            for (i, x) in server.input.iter_mut().enumerate() {
                *x = ((block * 64 + i) as f32 * 0.05).sin() * (block as f32 / 100.0);
            }
            server.input[7] = if block % 10 == 3 { f32::NAN } else { server.input[7] };
            server.calc();
            // Pushing into a pre-sized Vec does not allocate.
            peaks.push(server.output[0]);
        }
        // SAFETY: the unit was constructed above and is not used afterwards.
        unsafe { dtor(server.unit()) };
    });
    (allocations, peaks)
}

#[test]
fn perf_peak_callbacks_never_allocate_in_either_servers_memory_layout() {
    for offset in [0, 4] {
        let (allocations, peaks) = run_peak_unit(offset);
        assert_eq!(allocations, 0, "unit at offset {offset} allocated");
        // It really computed: the peaks grow with the input's envelope and stay finite.
        assert!(peaks.iter().all(|p| p.is_finite()));
        assert!(peaks[99] > 0.9 && peaks[99] <= 1.0 && peaks[10] < 0.2, "peaks {:?}", &peaks[..12]);
    }
}

#[test]
fn the_counting_allocator_sees_allocations() {
    // The check above could not fail if counting were broken: prove it counts.
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 16])));
    assert_eq!(n, 2);
}
