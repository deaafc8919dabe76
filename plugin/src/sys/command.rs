//! Plugin commands (`/cmd name args…`): registration, and a bounds-checked reader of their OSC arguments.

use super::bindings::{sc_msg_iter, World};
use super::job::Server;
use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A plugin command. `run` is called on the server's real-time thread between blocks: no allocation, no I/O;
/// start a [`super::job::Job`] for anything else.
pub trait PluginCommand: 'static {
    const NAME: &'static CStr;
    fn run(server: Server, args: &mut Args<'_>);
}

/// The arguments of one OSC message after the command name. Malformed messages read as missing arguments.
pub struct Args<'a> {
    tags: &'a [u8],
    data: &'a [u8],
}

impl<'a> Args<'a> {
    /// Arguments from raw OSC parts: type tags (without ',') and the argument bytes. Used by tests.
    pub fn new(tags: &'a [u8], data: &'a [u8]) -> Self {
        Self { tags, data }
    }

    /// Whether no argument is left.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    fn next_tag(&mut self) -> Option<u8> {
        let (&tag, rest) = self.tags.split_first()?;
        self.tags = rest;
        Some(tag)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            self.data = &[];
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn word(&mut self) -> Option<[u8; 4]> {
        self.take(4).map(|w| [w[0], w[1], w[2], w[3]])
    }

    /// The next argument as a string (`s` tag), or `None`.
    pub fn string(&mut self) -> Option<&'a str> {
        match self.next_tag()? {
            b's' => {
                let end = self.data.iter().position(|&b| b == 0)?;
                let text = std::str::from_utf8(&self.data[..end]).ok();
                self.take((end + 4) & !3)?;
                text
            }
            other => {
                self.skip(other);
                None
            }
        }
    }

    /// The next argument as a number (`i` or `f` tag), or `None`.
    pub fn float(&mut self) -> Option<f32> {
        match self.next_tag()? {
            b'i' => self.word().map(|w| i32::from_be_bytes(w) as f32),
            b'f' => self.word().map(f32::from_be_bytes),
            other => {
                self.skip(other);
                None
            }
        }
    }

    fn skip(&mut self, tag: u8) {
        match tag {
            b'i' | b'f' => drop(self.word()),
            b's' => {
                let end = self.data.iter().position(|&b| b == 0).unwrap_or(self.data.len());
                let _ = self.take((end + 4) & !3);
            }
            b'b' => {
                let size = self.word().map_or(0, |w| i32::from_be_bytes(w).max(0) as usize);
                let _ = self.take((size + 3) & !3);
            }
            _ => self.data = &[],
        }
    }
}

/// The server-facing function of command `C`.
pub(super) unsafe extern "C" fn trampoline<C: PluginCommand>(
    world: *mut World,
    _user_data: *mut c_void,
    msg: *mut sc_msg_iter,
    _reply: *mut c_void,
) {
    if world.is_null() {
        return;
    }
    // SAFETY: the server passes a valid iterator over the message, positioned after the command name.
    let mut args = unsafe { msg.as_ref() }.map_or(Args::new(&[], &[]), |m| unsafe { args_of(m) });
    let result = catch_unwind(AssertUnwindSafe(|| C::run(Server::new(world), &mut args)));
    if let Err(payload) = result {
        std::mem::forget(payload);
        super::print_line(format_args!("{}: panicked; command ignored", C::NAME.to_string_lossy()));
    }
}

/// The remaining arguments of `msg`.
///
/// # Safety
/// `msg` must describe a message whose bytes from `data` to `endpos` are readable and whose tag string (if
/// any) is NUL-terminated, as the server's iterator does for the duration of the command.
unsafe fn args_of<'a>(msg: &sc_msg_iter) -> Args<'a> {
    let (start, end) = (msg.rdpos as usize, msg.endpos as usize);
    let data: &[u8] = if msg.rdpos.is_null() || end < start {
        &[]
    } else {
        // SAFETY: `rdpos..endpos` lies inside the message (see `# Safety`).
        unsafe { std::slice::from_raw_parts(msg.rdpos.cast::<u8>(), end - start) }
    };
    let tags: &[u8] = if msg.tags.is_null() {
        &[]
    } else {
        // SAFETY: the tag string is NUL-terminated; `count` tags of it were consumed already.
        let all = unsafe { CStr::from_ptr(msg.tags as *const c_char) }.to_bytes();
        all.get(msg.count.max(0) as usize..).unwrap_or(&[])
    };
    Args::new(tags, data)
}
