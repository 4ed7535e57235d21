//! The file system server's protocol (tmpfs), and the POSIX file-system values it shares
//! with clients: open flags, file types and modes, `stat` and directory entries.
//!
//! Path operations go through a connection (`courier_abi::service::SERVICE_TMPFS`), the
//! path in lease 0 (and a second path in lease 1 for `Rename` and `Link`); proc tells the
//! server the caller's credentials. `Open` answers with a reference to the new open file
//! description, or, for a FIFO node, with the FIFO's capability at the pipe server
//! (`courier_abi::pipe::PipeRequest::OpenFifo` completes the open there). Open files are
//! used through the I/O protocol (`courier_abi::io`). Answers' labels are 0 or a Linux
//! errno.

use crate::ipc::MESSAGE_WORDS;

/// Create the file if it does not exist (`O_CREAT`).
pub const O_CREAT: u64 = 0o100;
/// With `O_CREAT`, fail if it exists (`O_EXCL`).
pub const O_EXCL: u64 = 0o200;
/// Truncate a regular file opened for writing (`O_TRUNC`).
pub const O_TRUNC: u64 = 0o1000;
/// Fail unless the path names a directory (`O_DIRECTORY`).
pub const O_DIRECTORY: u64 = 0o200000;

/// The file-type bits of a mode (`S_IFMT`).
pub const S_IFMT: u32 = 0o170000;
/// A FIFO (`S_IFIFO`).
pub const S_IFIFO: u32 = 0o010000;
/// A directory (`S_IFDIR`).
pub const S_IFDIR: u32 = 0o040000;
/// A regular file (`S_IFREG`).
pub const S_IFREG: u32 = 0o100000;

/// `lseek` from the start (`SEEK_SET`).
pub const SEEK_SET: u32 = 0;
/// `lseek` from the current offset (`SEEK_CUR`).
pub const SEEK_CUR: u32 = 1;
/// `lseek` from the end (`SEEK_END`).
pub const SEEK_END: u32 = 2;

/// Longest file name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Longest path, with its terminating NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// `Open`'s answer word 0: the answer carries a reference to an open file.
pub const OPENED_FILE: u64 = 1;
/// `Open`'s answer word 0: the answer carries a FIFO capability.
pub const OPENED_FIFO: u64 = 2;

/// Path operations of the file system server.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FsOperation {
    /// `open(path, flags, mode)`.
    Open = 0x300,
    /// `stat(path)`: lease 1 receives a [`FileStat`].
    Stat = 0x301,
    /// `mkdir(path, mode)`.
    MakeDirectory = 0x302,
    /// `mkfifo(path, mode)`.
    MakeFifo = 0x303,
    /// `rmdir(path)`.
    RemoveDirectory = 0x304,
    /// `unlink(path)`.
    Unlink = 0x305,
    /// `rename(from, to)`.
    Rename = 0x306,
    /// `link(existing, new)`.
    Link = 0x307,
    /// `chmod(path, mode)`.
    ChangeMode = 0x308,
    /// `truncate(path, length)`.
    Truncate = 0x309,
}

/// A path request (the paths travel in leases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsRequest {
    /// Open.
    Open {
        /// `O_*` flags.
        flags: u64,
        /// Mode for a created file (after the client's umask).
        mode: u32,
    },
    /// Stat.
    Stat,
    /// Make a directory.
    MakeDirectory {
        /// Its mode.
        mode: u32,
    },
    /// Make a FIFO.
    MakeFifo {
        /// Its mode.
        mode: u32,
    },
    /// Remove a directory.
    RemoveDirectory,
    /// Remove a name.
    Unlink,
    /// Rename.
    Rename,
    /// Add a name.
    Link,
    /// Change the mode.
    ChangeMode {
        /// The new mode.
        mode: u32,
    },
    /// Truncate.
    Truncate {
        /// The new length.
        length: i64,
    },
}

impl FsRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        let (operation, words) = match self {
            FsRequest::Open { flags, mode } => (FsOperation::Open, [flags, mode as u64, 0, 0]),
            FsRequest::Stat => (FsOperation::Stat, [0; MESSAGE_WORDS]),
            FsRequest::MakeDirectory { mode } => {
                (FsOperation::MakeDirectory, [mode as u64, 0, 0, 0])
            }
            FsRequest::MakeFifo { mode } => (FsOperation::MakeFifo, [mode as u64, 0, 0, 0]),
            FsRequest::RemoveDirectory => (FsOperation::RemoveDirectory, [0; MESSAGE_WORDS]),
            FsRequest::Unlink => (FsOperation::Unlink, [0; MESSAGE_WORDS]),
            FsRequest::Rename => (FsOperation::Rename, [0; MESSAGE_WORDS]),
            FsRequest::Link => (FsOperation::Link, [0; MESSAGE_WORDS]),
            FsRequest::ChangeMode { mode } => (FsOperation::ChangeMode, [mode as u64, 0, 0, 0]),
            FsRequest::Truncate { length } => (FsOperation::Truncate, [length as u64, 0, 0, 0]),
        };
        (operation as u32, words)
    }

    /// Decodes a request; `None` for another label.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<FsRequest> {
        Some(match label {
            0x300 => FsRequest::Open { flags: words[0], mode: words[1] as u32 },
            0x301 => FsRequest::Stat,
            0x302 => FsRequest::MakeDirectory { mode: words[0] as u32 },
            0x303 => FsRequest::MakeFifo { mode: words[0] as u32 },
            0x304 => FsRequest::RemoveDirectory,
            0x305 => FsRequest::Unlink,
            0x306 => FsRequest::Rename,
            0x307 => FsRequest::Link,
            0x308 => FsRequest::ChangeMode { mode: words[0] as u32 },
            0x309 => FsRequest::Truncate { length: words[0] as i64 },
            _ => return None,
        })
    }
}

/// A time stamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeStamp {
    /// Seconds.
    pub seconds: i64,
    /// Nanoseconds (below one second).
    pub nanoseconds: u32,
}

/// What `stat` tells, as it travels (little-endian, [`FileStat::SIZE`] bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStat {
    /// Inode number.
    pub inode: u64,
    /// Type bits (`S_IF*`) and permission bits.
    pub mode: u32,
    /// Hard links.
    pub links: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Last access.
    pub accessed: TimeStamp,
    /// Last modification.
    pub modified: TimeStamp,
    /// Last status change.
    pub changed: TimeStamp,
}

impl FileStat {
    /// Bytes of the encoded form.
    pub const SIZE: usize = 8 + 4 * 4 + 8 + 3 * 12;

    /// The encoded form.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut bytes = [0u8; Self::SIZE];
        bytes[0..8].copy_from_slice(&self.inode.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.mode.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.links.to_le_bytes());
        bytes[16..20].copy_from_slice(&self.uid.to_le_bytes());
        bytes[20..24].copy_from_slice(&self.gid.to_le_bytes());
        bytes[24..32].copy_from_slice(&self.size.to_le_bytes());
        for (index, time) in [self.accessed, self.modified, self.changed].iter().enumerate() {
            let at = 32 + index * 12;
            bytes[at..at + 8].copy_from_slice(&time.seconds.to_le_bytes());
            bytes[at + 8..at + 12].copy_from_slice(&time.nanoseconds.to_le_bytes());
        }
        bytes
    }

    /// Decodes [`FileStat::to_bytes`].
    pub fn from_bytes(bytes: &[u8; Self::SIZE]) -> FileStat {
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let u64_at = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        let time =
            |at: usize| TimeStamp { seconds: u64_at(at) as i64, nanoseconds: u32_at(at + 8) };
        FileStat {
            inode: u64_at(0),
            mode: u32_at(8),
            links: u32_at(12),
            uid: u32_at(16),
            gid: u32_at(20),
            size: u64_at(24),
            accessed: time(32),
            modified: time(44),
            changed: time(56),
        }
    }
}

/// A directory entry as `ReadDirectory` writes it into lease 0: inode (8 bytes), type
/// (`S_IF*` >> 12, 1 byte), name length (1 byte), then the name.
pub const DIRECTORY_ENTRY_HEADER: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_stats_round_trip() {
        for request in [
            FsRequest::Open { flags: O_CREAT | O_EXCL, mode: 0o644 },
            FsRequest::Stat,
            FsRequest::MakeDirectory { mode: 0o755 },
            FsRequest::MakeFifo { mode: 0o600 },
            FsRequest::RemoveDirectory,
            FsRequest::Unlink,
            FsRequest::Rename,
            FsRequest::Link,
            FsRequest::ChangeMode { mode: 0o700 },
            FsRequest::Truncate { length: -1 },
        ] {
            let (label, words) = request.to_message();
            assert_eq!(FsRequest::from_message(label, words), Some(request));
        }
        let stat = FileStat {
            inode: 7,
            mode: S_IFREG | 0o644,
            links: 1,
            uid: 1000,
            gid: 100,
            size: 12345,
            accessed: TimeStamp { seconds: 1, nanoseconds: 2 },
            modified: TimeStamp { seconds: -3, nanoseconds: 4 },
            changed: TimeStamp { seconds: 5, nanoseconds: 999_999_999 },
        };
        assert_eq!(FileStat::from_bytes(&stat.to_bytes()), stat);
        assert_eq!((O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY), (64, 128, 512, 65536));
    }
}
