//! The shared-memory protocol: event ring, state page, note log, and the one view of a mapped segment.
//!
//! One segment per performer session (default name [`DEFAULT_NAME`]), laid out as `docs/shared-memory.md`
//! describes: a header, the event ring (control process → UGens), the state page (UGens → monitor and control
//! process), the note log (UGens → recorder). All of it is safe Rust over `&[AtomicU64]`, so it runs the same
//! over a mapping, over heap words in tests and benches, and under loom.
//!
//! # Using it from the server (the plugin)
//! - Off the audio thread: [`Segment::create_or_open`] maps and validates, giving an owned, `Send + Sync`
//!   [`Segment`]; hand it to the audio thread (and drop it off the audio thread again when detaching).
//! - On the audio thread, every call below is wait-free, allocation-free and makes no system call:
//!   `segment.events().read(&mut cursor)` with a [`Cursor`] kept in the unit (`events().cursor_from_oldest()`
//!   or `cursor_from_now()` taken when it attaches); `segment.state().write_clock(..)` / `write_listener(..)` /
//!   `write_agent(..)`; `segment.notes().push(&note)`.
//!
//! # Examples
//! ```
//! use agents::shm::{Event, EventReader, Read, Segment, kind};
//! let name = format!("performia-doc-{}", std::process::id());
//! let segment = Segment::create_or_open(&name).unwrap();
//! let mut writer = segment.event_writer().unwrap();
//! let mut reader = EventReader::new(segment.events());
//! writer.push(&Event { agent: 1, kind: kind::NOTE, pitch: 60.0, velocity: 0.8, time: 0, seq: 0 });
//! assert!(matches!(reader.read(), Read::Item(Event { seq: 1, agent: 1, .. })));
//! assert_eq!(reader.read(), Read::Empty);
//! drop(writer);
//! Segment::remove(&name).unwrap();
//! ```

pub mod event;
pub mod layout;
pub mod loom;
#[cfg(not(loom))]
pub mod map;
pub mod notelog;
pub mod ring;
pub mod state;

pub use event::{Event, EventReader, EventRing, EventWriter, WriterBusy, agent, kind};
pub use layout::{Header, Layout, LayoutError};
#[cfg(not(loom))]
pub use map::{DEFAULT_NAME, Segment, SegmentConfig, ShmError};
pub use notelog::{Note, NoteLog, NoteReader};
pub use ring::{Cursor, Read, Reader, Ring};
pub use state::{AgentState, Clock, ListenerState, StatePage, StateSnapshot};

/// A float read from shared memory, made safe to output: NaN, infinities and subnormals become 0.
pub(crate) fn finite(value: f32) -> f32 {
    if value.is_normal() { value } else { 0.0 }
}
