//! The I/O protocol every server that owns open files speaks (pipes, tmpfs, test servers),
//! and the POSIX flag values that cross to those servers.
//!
//! A client's file descriptor names a server (an endpoint handle) and an *object*: the
//! server's id for one open file description. Requests carry the object in word 0; data
//! travels in lease 0 (written by the server for `Read`, read by it for `Write`). The
//! answer's label is 0 or a Linux errno; its words are the results below.

use crate::ipc::MESSAGE_WORDS;

/// Operations an I/O server answers.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoOperation {
    /// Read into lease 0 (at most its length). Answer: bytes read (0 at end of file).
    Read = 0x100,
    /// Write lease 0. Answer: bytes written.
    Write = 0x101,
    /// Drop one reference to the open file description.
    Close = 0x102,
    /// Take one more reference to the open file description (for a descriptor a child
    /// inherits or a duplicate in another process). Answer: nothing.
    Retain = 0x103,
    /// Answer: the description's status flags (`O_ACCMODE` bits, `O_APPEND`, `O_NONBLOCK`).
    GetStatusFlags = 0x104,
    /// Set the changeable status flags (`O_APPEND`, `O_NONBLOCK`) to word 1.
    SetStatusFlags = 0x105,
}

impl IoOperation {
    /// The operation a label names.
    pub const fn from_label(label: u32) -> Option<IoOperation> {
        Some(match label {
            0x100 => IoOperation::Read,
            0x101 => IoOperation::Write,
            0x102 => IoOperation::Close,
            0x103 => IoOperation::Retain,
            0x104 => IoOperation::GetStatusFlags,
            0x105 => IoOperation::SetStatusFlags,
            _ => return None,
        })
    }
}

/// A request to an I/O server (`Read` and `Write` also carry lease 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoRequest {
    /// Read from `object` into lease 0.
    Read {
        /// The open file description.
        object: u64,
    },
    /// Write lease 0 to `object`.
    Write {
        /// The open file description.
        object: u64,
    },
    /// Drop a reference.
    Close {
        /// The open file description.
        object: u64,
    },
    /// Take a reference.
    Retain {
        /// The open file description.
        object: u64,
    },
    /// Read the status flags.
    GetStatusFlags {
        /// The open file description.
        object: u64,
    },
    /// Set the status flags.
    SetStatusFlags {
        /// The open file description.
        object: u64,
        /// The new flags (only the changeable ones are taken).
        flags: u64,
    },
}

impl IoRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        let (operation, words) = match self {
            IoRequest::Read { object } => (IoOperation::Read, [object, 0, 0, 0]),
            IoRequest::Write { object } => (IoOperation::Write, [object, 0, 0, 0]),
            IoRequest::Close { object } => (IoOperation::Close, [object, 0, 0, 0]),
            IoRequest::Retain { object } => (IoOperation::Retain, [object, 0, 0, 0]),
            IoRequest::GetStatusFlags { object } => {
                (IoOperation::GetStatusFlags, [object, 0, 0, 0])
            }
            IoRequest::SetStatusFlags { object, flags } => {
                (IoOperation::SetStatusFlags, [object, flags, 0, 0])
            }
        };
        (operation as u32, words)
    }

    /// Decodes a request; `None` for a label that is not an I/O operation.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<IoRequest> {
        let Some(operation) = IoOperation::from_label(label) else { return None };
        let object = words[0];
        Some(match operation {
            IoOperation::Read => IoRequest::Read { object },
            IoOperation::Write => IoRequest::Write { object },
            IoOperation::Close => IoRequest::Close { object },
            IoOperation::Retain => IoRequest::Retain { object },
            IoOperation::GetStatusFlags => IoRequest::GetStatusFlags { object },
            IoOperation::SetStatusFlags => IoRequest::SetStatusFlags { object, flags: words[1] },
        })
    }
}

/// Open for reading only (`O_RDONLY`).
pub const O_RDONLY: u64 = 0;
/// Open for writing only (`O_WRONLY`).
pub const O_WRONLY: u64 = 0o1;
/// Open for reading and writing (`O_RDWR`).
pub const O_RDWR: u64 = 0o2;
/// The access-mode bits (`O_ACCMODE`).
pub const O_ACCMODE: u64 = 0o3;
/// Append on each write (`O_APPEND`).
pub const O_APPEND: u64 = 0o2000;
/// Non-blocking I/O (`O_NONBLOCK`).
pub const O_NONBLOCK: u64 = 0o4000;
/// Close the descriptor in a spawned child (`O_CLOEXEC`, as an open flag).
pub const O_CLOEXEC: u64 = 0o2000000;
/// Status flags `F_SETFL` may change.
pub const O_CHANGEABLE: u64 = O_APPEND | O_NONBLOCK;

/// `fcntl`: duplicate to the lowest free descriptor at or above the argument.
pub const F_DUPFD: u32 = 0;
/// `fcntl`: read the descriptor flags.
pub const F_GETFD: u32 = 1;
/// `fcntl`: set the descriptor flags.
pub const F_SETFD: u32 = 2;
/// `fcntl`: read the status flags.
pub const F_GETFL: u32 = 3;
/// `fcntl`: set the status flags.
pub const F_SETFL: u32 = 4;
/// `fcntl`: as `F_DUPFD`, with `FD_CLOEXEC` set on the new descriptor.
pub const F_DUPFD_CLOEXEC: u32 = 1030;
/// Descriptor flag: close in a spawned child.
pub const FD_CLOEXEC: u32 = 1;

/// Most descriptors a process may have open (`RLIMIT_NOFILE`'s usual soft limit).
pub const OPEN_MAX: u32 = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_flags_are_linux() {
        let requests = [
            IoRequest::Read { object: 1 },
            IoRequest::Write { object: 2 },
            IoRequest::Close { object: 3 },
            IoRequest::Retain { object: 4 },
            IoRequest::GetStatusFlags { object: 5 },
            IoRequest::SetStatusFlags { object: 6, flags: O_NONBLOCK },
        ];
        for request in requests {
            let (label, words) = request.to_message();
            assert_eq!(IoRequest::from_message(label, words), Some(request));
        }
        assert_eq!(IoRequest::from_message(1, [0; 4]), None);
        assert_eq!((O_NONBLOCK, O_APPEND, O_CLOEXEC), (2048, 1024, 524288));
    }
}
