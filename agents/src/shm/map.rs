//! Mapping a named shared-memory segment, and the one `unsafe` view of its bytes as atomics.
//!
//! Everything here runs off the audio thread (it makes system calls and allocates). What it hands out — a
//! validated [`Segment`] — is then read and written through `&` references, allocation- and syscall-free.

use core::fmt;
use core::mem::{align_of, size_of};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared_memory::{Shmem, ShmemConf, ShmemError};

use super::event::{EventRing, EventWriter};
use super::layout::{self, DEFAULT_CAPACITY, Header, Layout, LayoutError};
use super::loom::AtomicU64;
use super::notelog::NoteLog;
use super::ring::Ring;
use super::state::StatePage;

/// Segment name used when none is given.
pub const DEFAULT_NAME: &str = "performia";
/// How long `open` waits for a creator that is still writing the header: tries × pause.
const OPEN_TRIES: u32 = 50;
const OPEN_PAUSE: Duration = Duration::from_millis(10);
/// `errno` values `shared_memory` reports for a missing segment and for mapping a still-empty one.
const ENOENT: u32 = 2;
const EINVAL: u32 = 22;

/// Ring capacities of a segment this side creates (ignored when it opens an existing one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentConfig {
    pub event_capacity: usize,
    pub note_capacity: usize,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        Self {
            event_capacity: DEFAULT_CAPACITY,
            note_capacity: DEFAULT_CAPACITY,
        }
    }
}

/// Why a segment could not be created, opened or used. Each message is one line saying what to do.
#[derive(Debug)]
pub enum ShmError {
    /// The name cannot be a segment name.
    BadName { name: String },
    /// No segment has that name.
    NotFound { name: String },
    /// The operating system refused.
    Os {
        name: String,
        action: &'static str,
        detail: String,
    },
    /// The segment exists but cannot be trusted; `creator_alive` tells whether its creator still runs.
    Invalid {
        name: String,
        error: LayoutError,
        creator_alive: bool,
    },
    /// Another live process is the event ring's writer.
    WriterBusy { name: String, pid: u64 },
}

impl fmt::Display for ShmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadName { name } => write!(
                f,
                "segment name {name:?} is not usable: use 1 to 200 letters, digits, '.', '_' or '-', not starting with '.'"
            ),
            Self::NotFound { name } => write!(
                f,
                "no shared memory segment '{name}': start the server or `performia` first, or check --segment"
            ),
            Self::Os {
                name,
                action,
                detail,
            } => write!(
                f,
                "could not {action} shared memory segment '{name}' ({detail}): check that /dev/shm exists and is writable by you"
            ),
            Self::Invalid {
                name,
                error,
                creator_alive,
            } => {
                write!(
                    f,
                    "shared memory segment '{name}' cannot be used: {error}; "
                )?;
                match error {
                    LayoutError::BadMagic { .. } => write!(
                        f,
                        "it belongs to something else: choose another --segment name"
                    ),
                    LayoutError::WrongVersion { creator_pid, .. } if *creator_alive => write!(
                        f,
                        "its creator (pid {creator_pid}) is another Performia version and still runs: stop it or choose another --segment name"
                    ),
                    _ => write!(f, "remove it (`rm /dev/shm/{name}`) and start again"),
                }
            }
            Self::WriterBusy { name, pid } => write!(
                f,
                "the event ring of segment '{name}' already has a writer (pid {pid}): stop it, or send events through it"
            ),
        }
    }
}

impl std::error::Error for ShmError {}

/// A mapped, validated segment: one per performer session. Cheap views of its regions come from
/// [`Segment::events`], [`Segment::state`], [`Segment::notes`]; they borrow the segment, which stays mapped until
/// dropped. Dropping unmaps but does not remove the segment (see [`Segment::remove`]).
pub struct Segment {
    name: String,
    layout: Layout,
    created: bool,
    shmem: Shmem,
}

// `Shmem` is not `Send`/`Sync` only because it holds the mapping's raw pointer. These two impls are allowed
// beside the one view function; they let a segment mapped off the audio thread be handed to it.
// SAFETY: the mapping is process-wide memory, valid on any thread until `Shmem`'s drop unmaps it (munmap and
// close work from any thread). `Segment` reaches the memory only through `&[AtomicU64]` (atomics are `Sync`)
// and never exposes `Shmem` or a `&mut` to the bytes, so sharing or moving it between threads adds no race.
#[allow(unsafe_code)]
unsafe impl Send for Segment {}
// SAFETY: as for `Send` above: every access through `&Segment` is an atomic operation.
#[allow(unsafe_code)]
unsafe impl Sync for Segment {}

/// Views a mapping as words: the one unsafe function of `agents` (DESIGN.md, "Where `unsafe` lives").
///
/// # Errors
/// [`LayoutError::Misaligned`] if the mapping is not 8-byte aligned.
#[allow(unsafe_code)]
fn view_words(shmem: &Shmem) -> Result<&[AtomicU64], LayoutError> {
    let start = shmem.as_ptr();
    if start.is_null() || start as usize & (align_of::<AtomicU64>() - 1) != 0 {
        return Err(LayoutError::Misaligned {
            address: start as usize,
        });
    }
    let words = shmem.len() / size_of::<AtomicU64>();
    // SAFETY: `start` is non-null and 8-byte aligned (checked above) and `shmem` maps `shmem.len()` bytes
    // read-write from there, of which we view the whole words only; the mapping lives as long as `shmem`,
    // and the returned slice borrows `shmem`. `AtomicU64` has the size of `u64` and every bit pattern is a
    // valid value, so garbage is just numbers. Other processes write this memory concurrently; that is not a
    // data race because every access through the slice is atomic, and no `&mut` to it is ever made.
    Ok(unsafe { core::slice::from_raw_parts(start.cast::<AtomicU64>(), words) })
}

fn os_id(name: &str) -> String {
    format!("/{name}")
}

fn check_name(name: &str) -> Result<(), ShmError> {
    let usable = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=200).contains(&name.len()) && !name.starts_with('.') && name.chars().all(usable) {
        Ok(())
    } else {
        Err(ShmError::BadName {
            name: name.to_owned(),
        })
    }
}

/// Nanoseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

/// Whether process `pid` still runs. Where this cannot be known, assume it does (never steal from the living).
pub fn process_alive(pid: u64) -> bool {
    if cfg!(target_os = "linux") {
        pid != 0 && std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

impl Segment {
    /// Opens segment `name`, or creates it (owner-only permissions, default capacities) if it does not exist.
    ///
    /// # Errors
    /// See [`ShmError`]; a stale segment of another layout version is [`ShmError::Invalid`] saying so.
    pub fn create_or_open(name: &str) -> Result<Self, ShmError> {
        Self::create_or_open_with(name, SegmentConfig::default())
    }

    /// Like [`Segment::create_or_open`], with the capacities to use if this side creates it.
    ///
    /// # Errors
    /// See [`ShmError`].
    pub fn create_or_open_with(name: &str, config: SegmentConfig) -> Result<Self, ShmError> {
        check_name(name)?;
        let layout = Layout::new(config.event_capacity, config.note_capacity).map_err(|error| {
            ShmError::Invalid {
                name: name.to_owned(),
                error,
                creator_alive: false,
            }
        })?;
        match ShmemConf::new()
            .os_id(os_id(name))
            .size(layout.total_bytes())
            .create()
        {
            Ok(mut shmem) => {
                // The segment outlives this handle: it belongs to the session, removed by `Segment::remove`.
                shmem.set_owner(false);
                let words = view_words(&shmem).map_err(|error| invalid(name, error))?;
                let pid = u64::from(std::process::id());
                layout
                    .initialize(words, pid, now_ns())
                    .map_err(|error| invalid(name, error))?;
                Ok(Self {
                    name: name.to_owned(),
                    layout,
                    created: true,
                    shmem,
                })
            }
            Err(ShmemError::MappingIdExists) => Self::open(name),
            Err(error) => Err(os_error(name, "create", &error)),
        }
    }

    /// Opens an existing segment and validates it, waiting up to half a second for a creator that is still
    /// writing its header.
    ///
    /// # Errors
    /// [`ShmError::NotFound`] if there is none; [`ShmError::Invalid`] if it cannot be trusted.
    pub fn open(name: &str) -> Result<Self, ShmError> {
        check_name(name)?;
        let mut tries = 0;
        loop {
            tries += 1;
            match Self::open_once(name) {
                Err(error) if tries < OPEN_TRIES && is_transient(&error) => {
                    std::thread::sleep(OPEN_PAUSE)
                }
                result => return result,
            }
        }
    }

    fn open_once(name: &str) -> Result<Self, ShmError> {
        let shmem = match ShmemConf::new().os_id(os_id(name)).open() {
            Ok(shmem) => shmem,
            Err(ShmemError::MapOpenFailed(ENOENT)) => {
                return Err(ShmError::NotFound {
                    name: name.to_owned(),
                });
            }
            // Mapping a segment of size 0: its creator has not sized it yet (or died before it could).
            Err(ShmemError::MapOpenFailed(EINVAL)) => {
                return Err(invalid(name, LayoutError::Truncated { len: 0, need: 128 }));
            }
            Err(error) => return Err(os_error(name, "open", &error)),
        };
        let (len, need) = (shmem.len() as u64, layout::HEADER_WORDS as u64 * 8);
        if len < need {
            return Err(invalid(name, LayoutError::Truncated { len, need }));
        }
        let words = view_words(&shmem).map_err(|error| invalid(name, error))?;
        let layout = Layout::validate(words).map_err(|error| invalid(name, error))?;
        Ok(Self {
            name: name.to_owned(),
            layout,
            created: false,
            shmem,
        })
    }

    /// Removes segment `name` from the system (processes that have it mapped keep their mapping).
    /// Returns whether there was one.
    ///
    /// # Errors
    /// [`ShmError::Os`] if it exists and could not be removed.
    pub fn remove(name: &str) -> Result<bool, ShmError> {
        check_name(name)?;
        match ShmemConf::new().os_id(os_id(name)).open() {
            Ok(mut shmem) => {
                // Taking ownership makes `shared_memory` unlink it when dropped.
                shmem.set_owner(true);
                Ok(true)
            }
            Err(ShmemError::MapOpenFailed(ENOENT)) => Ok(false),
            // A segment that cannot be mapped (size 0): remove its file where the OS keeps it.
            Err(error) => match std::fs::remove_file(std::path::Path::new("/dev/shm").join(name)) {
                Ok(()) => Ok(true),
                Err(_) => Err(os_error(name, "remove", &error)),
            },
        }
    }

    /// The segment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this handle created the segment (false: it opened one that existed).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Where each region is.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// All of the segment's words.
    pub fn words(&self) -> &[AtomicU64] {
        view_words(&self.shmem).unwrap_or(&[])
    }

    fn region(&self, words: &core::ops::Range<usize>) -> &[AtomicU64] {
        self.words().get(words.clone()).unwrap_or(&[])
    }

    /// The header's live fields (creator pid, heartbeat).
    pub fn header(&self) -> Header<'_> {
        Header {
            words: self.region(&(0..super::layout::HEADER_WORDS)),
        }
    }

    /// The event ring. Cheap, allocation-free: call it wherever a `&Segment` is at hand.
    pub fn events(&self) -> EventRing<'_> {
        Ring::from_validated(self.region(&self.layout.events), self.layout.event_capacity)
    }

    /// Becomes the event ring's one writer, as this process (a writer left by a dead process is replaced).
    ///
    /// # Errors
    /// [`ShmError::WriterBusy`] if another live process (or another writer in this one) holds it.
    pub fn event_writer(&self) -> Result<EventWriter<'_>, ShmError> {
        let pid = u64::from(std::process::id());
        self.events()
            .writer(pid, |holder| !process_alive(holder))
            .map_err(|busy| ShmError::WriterBusy {
                name: self.name.clone(),
                pid: busy.holder,
            })
    }

    /// The state page.
    pub fn state(&self) -> StatePage<'_> {
        StatePage::from_validated(self.region(&self.layout.state))
    }

    /// The note log.
    pub fn notes(&self) -> NoteLog<'_> {
        Ring::from_validated(self.region(&self.layout.notes), self.layout.note_capacity)
    }
}

fn invalid(name: &str, error: LayoutError) -> ShmError {
    let creator_alive = match error {
        LayoutError::WrongVersion { creator_pid, .. } => process_alive(creator_pid),
        _ => false,
    };
    ShmError::Invalid {
        name: name.to_owned(),
        error,
        creator_alive,
    }
}

fn os_error(name: &str, action: &'static str, error: &ShmemError) -> ShmError {
    ShmError::Os {
        name: name.to_owned(),
        action,
        detail: error.to_string(),
    }
}

fn is_transient(error: &ShmError) -> bool {
    matches!(
        error,
        ShmError::Invalid {
            error: LayoutError::NotInitialized | LayoutError::Truncated { len: 0, .. },
            ..
        }
    )
}
