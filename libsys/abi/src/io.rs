//! The I/O protocol every server that owns open files speaks (pipes, tmpfs, test servers),
//! and the POSIX flag values that cross to those servers.
//!
//! A client's file descriptor holds a *reference* (`HandleKind::Reference`): a send
//! handle to the server's endpoint whose badge names one open file description. Calls
//! through it arrive with that badge, so requests carry no object id; when the last
//! handle to the reference closes (every descriptor closed, or the holders died), the
//! server receives a `Released` notice and drops the description. Data travels in lease 0
//! (written by the server for `Read`, read by it for `Write`). The answer's label is 0 or
//! a Linux errno; its words are the results below.

use crate::ipc::MESSAGE_WORDS;

/// Set in the badge of every reference a server creates, so a server can tell a call
/// through a reference (an open file description) from a call through a connection
/// (whose badge proc sets to the caller's pid, always below `1 << 32`).
pub const REFERENCE_BADGE: u64 = 1 << 63;

/// Operations an I/O server answers.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoOperation {
    /// Read into lease 0 (at most its length). Answer: bytes read (0 at end of file).
    Read = 0x100,
    /// Write lease 0. Answer: bytes written.
    Write = 0x101,
    /// Answer: the description's status flags (`O_ACCMODE` bits, `O_APPEND`, `O_NONBLOCK`).
    GetStatusFlags = 0x104,
    /// Set the changeable status flags (`O_APPEND`, `O_NONBLOCK`) to word 0.
    SetStatusFlags = 0x105,
    /// A server-specific `fcntl` command (word 0) with an argument (word 1), such as
    /// `F_GETPIPE_SZ`. Answer: the command's result; `EINVAL` for a command the server does
    /// not know.
    Control = 0x106,
    /// `lseek`: word 0 the offset (as `i64`), word 1 the whence. Answer: the new offset.
    /// `ESPIPE` on a pipe.
    Seek = 0x107,
    /// `ftruncate`: word 0 the length (as `i64`).
    Truncate = 0x108,
    /// `fstat`: lease 0 receives a `courier_abi::fs::FileStat`.
    Stat = 0x109,
    /// The next directory entry into lease 0 (`courier_abi::fs::DIRECTORY_ENTRY_HEADER`).
    /// Answer: 1 with an entry, 0 at the end.
    ReadDirectory = 0x10a,
    /// Map the file: the answer carries a handle to its memory object (with the rights the
    /// description's access mode allows) and word 0 its size.
    Map = 0x10b,
}

impl IoOperation {
    /// The operation a label names.
    pub const fn from_label(label: u32) -> Option<IoOperation> {
        Some(match label {
            0x100 => IoOperation::Read,
            0x101 => IoOperation::Write,
            0x104 => IoOperation::GetStatusFlags,
            0x105 => IoOperation::SetStatusFlags,
            0x106 => IoOperation::Control,
            0x107 => IoOperation::Seek,
            0x108 => IoOperation::Truncate,
            0x109 => IoOperation::Stat,
            0x10a => IoOperation::ReadDirectory,
            0x10b => IoOperation::Map,
            _ => return None,
        })
    }
}

/// A request to an I/O server (`Read` and `Write` also carry lease 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoRequest {
    /// Read into lease 0.
    Read,
    /// Write lease 0.
    Write,
    /// Read the status flags.
    GetStatusFlags,
    /// Set the status flags (only the changeable ones are taken).
    SetStatusFlags {
        /// The new flags.
        flags: u64,
    },
    /// A server-specific `fcntl` command.
    Control {
        /// The command (`F_*`).
        command: u32,
        /// Its argument.
        argument: u64,
    },
    /// `lseek`.
    Seek {
        /// The offset.
        offset: i64,
        /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
        whence: u32,
    },
    /// `ftruncate`.
    Truncate {
        /// The new length.
        length: i64,
    },
    /// `fstat`.
    Stat,
    /// The next directory entry.
    ReadDirectory,
    /// Map the file.
    Map,
}

impl IoRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        let (operation, words) = match self {
            IoRequest::Read => (IoOperation::Read, [0; MESSAGE_WORDS]),
            IoRequest::Write => (IoOperation::Write, [0; MESSAGE_WORDS]),
            IoRequest::GetStatusFlags => (IoOperation::GetStatusFlags, [0; MESSAGE_WORDS]),
            IoRequest::SetStatusFlags { flags } => (IoOperation::SetStatusFlags, [flags, 0, 0, 0]),
            IoRequest::Control { command, argument } => {
                (IoOperation::Control, [command as u64, argument, 0, 0])
            }
            IoRequest::Seek { offset, whence } => {
                (IoOperation::Seek, [offset as u64, whence as u64, 0, 0])
            }
            IoRequest::Truncate { length } => (IoOperation::Truncate, [length as u64, 0, 0, 0]),
            IoRequest::Stat => (IoOperation::Stat, [0; MESSAGE_WORDS]),
            IoRequest::ReadDirectory => (IoOperation::ReadDirectory, [0; MESSAGE_WORDS]),
            IoRequest::Map => (IoOperation::Map, [0; MESSAGE_WORDS]),
        };
        (operation as u32, words)
    }

    /// Decodes a request; `None` for a label that is not an I/O operation.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<IoRequest> {
        let Some(operation) = IoOperation::from_label(label) else { return None };
        Some(match operation {
            IoOperation::Read => IoRequest::Read,
            IoOperation::Write => IoRequest::Write,
            IoOperation::GetStatusFlags => IoRequest::GetStatusFlags,
            IoOperation::SetStatusFlags => IoRequest::SetStatusFlags { flags: words[0] },
            IoOperation::Control => {
                IoRequest::Control { command: words[0] as u32, argument: words[1] }
            }
            IoOperation::Seek => {
                IoRequest::Seek { offset: words[0] as i64, whence: words[1] as u32 }
            }
            IoOperation::Truncate => IoRequest::Truncate { length: words[0] as i64 },
            IoOperation::Stat => IoRequest::Stat,
            IoOperation::ReadDirectory => IoRequest::ReadDirectory,
            IoOperation::Map => IoRequest::Map,
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
/// `fcntl`: set a pipe's capacity.
pub const F_SETPIPE_SZ: u32 = 1031;
/// `fcntl`: read a pipe's capacity.
pub const F_GETPIPE_SZ: u32 = 1032;
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
            IoRequest::Read,
            IoRequest::Write,
            IoRequest::GetStatusFlags,
            IoRequest::SetStatusFlags { flags: O_NONBLOCK },
            IoRequest::Control { command: F_GETPIPE_SZ, argument: 0 },
            IoRequest::Seek { offset: -5, whence: 2 },
            IoRequest::Truncate { length: 4096 },
            IoRequest::Stat,
            IoRequest::ReadDirectory,
            IoRequest::Map,
        ];
        for request in requests {
            let (label, words) = request.to_message();
            assert_eq!(IoRequest::from_message(label, words), Some(request));
        }
        assert_eq!(IoRequest::from_message(1, [0; 4]), None);
        assert_eq!((O_NONBLOCK, O_APPEND, O_CLOEXEC), (2048, 1024, 524288));
    }
}
