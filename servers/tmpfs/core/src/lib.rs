//! The pure core of Courier's tmpfs server: an in-memory file system of directories,
//! regular files and FIFO nodes, with `/dev/shm` for `shm_open`, and Linux tmpfs's
//! semantics (Linux 6.18 was the reference).
//!
//! Nothing here makes a system call. The server's main loop decodes a request, calls one
//! method of [`FileSystem`] with the caller's credentials, and replies with the result.
//! File contents live in kernel memory objects, so that files can be mapped and shared;
//! the core reaches them only through [`Storage`], which the main loop implements over
//! memory-object mappings and the tests over `Vec`s ([`VecStorage`]).
//!
//! # The rules, all Linux's
//!
//! - Paths are resolved as Linux's `link_path_walk` does: from `/` (a relative path too),
//!   repeated slashes ignored, `.` and `..` as components (`..` of `/` is `/`), search
//!   permission checked on every directory a component is looked up in, a component that
//!   is not a directory ending the walk with `ENOTDIR`, a component over [`NAME_MAX`]
//!   bytes with `ENAMETOOLONG` when it is looked up, a path of [`PATH_MAX`] bytes or more
//!   with `ENAMETOOLONG`, and an empty path with `ENOENT`. A trailing slash asks for a
//!   directory. There are no symbolic links. A NUL byte in a path is `EINVAL` (a C path
//!   would end there; Rust's standard library refuses such paths too).
//! - Every call checks its arguments in the order Linux's does, so that a call with several
//!   mistakes fails with Linux's errno (for example `open` with `O_CREAT` and a trailing
//!   slash is `EISDIR` before the name is looked up, and `rename` checks `EBUSY` for `.`
//!   and `..` before it looks either name up).
//! - Permissions are Linux's `generic_permission` for the caller's file-system ids,
//!   without supplementary groups: the owner's bits if the caller owns the inode, else the
//!   group's bits if the caller's group is the inode's, else the others' bits. Root (uid
//!   0) may read and write anything and search any directory. The sticky bit of a
//!   directory lets only the owner of an entry, the owner of the directory or root remove or
//!   replace the entry (`EPERM`). Hard links are protected as with Linux's
//!   `fs.protected_hardlinks = 1` (the usual setting): a caller that neither owns the file
//!   nor is root may link only to a regular file it can read and write that is neither
//!   set-user-id nor executable set-group-id. New inodes belong to the caller, with the
//!   group of a set-group-id parent (a new directory inherits the bit). `O_NOATIME` needs
//!   the owner or root (`EPERM`). Writes and truncations by a caller other than root clear
//!   set-user-id, and set-group-id when group-executable, as Linux's `file_remove_privs`
//!   does; the caller of `write` and `ftruncate` is taken to be the one that opened the
//!   description (Linux asks the writing task; the core does not see it).
//! - Times: a read updates the access time (on every read, as `strictatime`; `O_NOATIME`
//!   descriptions never do; reading a directory counts), a write of at least one byte the
//!   modification and change times, `ftruncate` and `O_TRUNC` both of those always,
//!   `truncate` both only when the size changes, `chmod`, `link`, `unlink` and `rename`
//!   the change time; a directory's modification and change times follow its entries.
//! - A directory's link count is 2 plus its subdirectories (0 once removed), and its size
//!   is Linux tmpfs's `BOGO_DIRENT_SIZE` (20) for `.`, `..` and each entry.
//! - Directory listings are Linux tmpfs's (its "stable directory offsets"): `.` and `..`
//!   first, then the entries newest first (a renamed entry counts as new), and each entry
//!   has a cookie from its directory's counter (3, 4, ...; a rename that replaces an entry
//!   takes over the replaced entry's cookie). The cookie after an entry is the next
//!   entry's, [`END_OF_DIRECTORY`] after the last; reading at a cookie starts at the
//!   entry with the largest cookie at most it, so entries removed or added during a
//!   listing are skipped or left out as on Linux, and seeking back to 0 starts again.
//!   Reading a removed directory fails with `ENOENT`.
//! - A regular file's storage is freed when its last link and its last open description
//!   are gone; a FIFO node has no storage and no descriptions here (the pipe server owns
//!   its buffer).
//!
//! # Where Courier differs
//!
//! - Space is counted in bytes of file size, not in pages actually allocated: a file's
//!   size counts whole even where it is sparse. A write that would grow the file system
//!   past its size limit writes what fits and returns the count, or fails with `ENOSPC`
//!   when nothing fits (Linux stops at a page boundary, and a sparse file costs only its
//!   pages); `ftruncate` and `truncate` past the limit fail with `ENOSPC` (Linux allows
//!   any sparse size).
//! - The largest file is [`MAX_FILE_SIZE`], Linux's `MAX_LFS_FILESIZE` on 64-bit machines,
//!   so `EFBIG` comes where Linux's; in practice the size limit comes first.
//! - `SEEK_DATA` and `SEEK_HOLE` see the whole file as data (Linux tmpfs reports the holes
//!   of sparse files).
//! - Inode numbers count up from 1 (the root) and are never reused; Linux's are global.
//! - `O_PATH` is refused with `EINVAL` and `O_TMPFILE` with `EOPNOTSUPP`; the other flags
//!   that have no meaning here (`O_CLOEXEC`, `O_NOCTTY`, `O_NOFOLLOW`, `O_SYNC`, ...) are
//!   ignored. A description keeps the access mode, `O_APPEND`, `O_NONBLOCK` and
//!   `O_NOATIME` as its status flags (Linux also keeps `O_LARGEFILE` and the like).
//!   The open flags are the x86_64 (asm-generic) numbers on every architecture, as
//!   Courier's ABI has them (Linux's aarch64 numbers `O_DIRECTORY` and `O_NOFOLLOW`
//!   differently).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod directory;
mod file_system;
mod path;
mod storage;

#[cfg(test)]
mod model;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

pub use courier_abi::Errno;
pub use file_system::FileSystem;
pub use storage::VecStorage;

/// An inode number (`st_ino`): never 0; the root is 1.
pub type InodeNumber = u64;

/// An open file description (never 0).
pub type OpenId = u64;

/// A regular file's storage, as [`Storage`] names it (never 0).
pub type DataId = u64;

/// The root directory's inode number.
pub const ROOT: InodeNumber = 1;

/// The largest file size: Linux's `MAX_LFS_FILESIZE` on 64-bit machines. A write that
/// starts there fails with `EFBIG`, and one that would pass it is shortened.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// The longest file name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// Paths must be shorter than this (`PATH_MAX`, which counts C's terminating NUL).
pub const PATH_MAX: usize = 4096;

/// The directory-listing cookie after the last entry (Linux tmpfs's `DIR_OFFSET_EOD`).
pub const END_OF_DIRECTORY: u64 = 0x7fff_ffff;

/// The size Linux tmpfs gives each directory entry, `.` and `..` included
/// (`BOGO_DIRENT_SIZE`).
pub const DIRECTORY_ENTRY_SIZE: u64 = 20;

/// Open for reading only (`O_RDONLY`).
pub(crate) const O_RDONLY: u64 = courier_abi::io::O_RDONLY;
/// Open for writing only (`O_WRONLY`).
pub(crate) const O_WRONLY: u64 = courier_abi::io::O_WRONLY;
/// Open for reading and writing (`O_RDWR`).
pub(crate) const O_RDWR: u64 = courier_abi::io::O_RDWR;
/// The access-mode bits (`O_ACCMODE`); the value 3 opens for neither (Linux's
/// ioctl-only mode, which still needs read and write permission).
pub(crate) const O_ACCMODE: u64 = courier_abi::io::O_ACCMODE;
/// Create the file if it does not exist (`O_CREAT`, Linux's 0o100).
pub(crate) const O_CREAT: u64 = 0o100;
/// With `O_CREAT`, fail if the file exists (`O_EXCL`, Linux's 0o200).
pub(crate) const O_EXCL: u64 = 0o200;
/// Truncate a regular file to 0 (`O_TRUNC`, Linux's 0o1000); needs write permission.
pub(crate) const O_TRUNC: u64 = 0o1000;
/// Write at the end of the file (`O_APPEND`).
pub(crate) const O_APPEND: u64 = courier_abi::io::O_APPEND;
/// Non-blocking I/O (`O_NONBLOCK`).
pub(crate) const O_NONBLOCK: u64 = courier_abi::io::O_NONBLOCK;
/// Fail unless the path names a directory (`O_DIRECTORY`, Linux's x86_64 0o200000).
pub(crate) const O_DIRECTORY: u64 = 0o200000;
/// Reads do not update the access time (`O_NOATIME`, Linux's 0o1000000).
pub(crate) const O_NOATIME: u64 = 0o1000000;
/// A path-only descriptor (`O_PATH`, Linux's 0o10000000); refused here.
pub(crate) const O_PATH: u64 = 0o10000000;
/// The bit that with `O_DIRECTORY` makes `O_TMPFILE` (`__O_TMPFILE`, Linux's 0o20000000).
pub(crate) const O_TMPFILE_BIT: u64 = 0o20000000;
/// The status flags `F_SETFL` changes.
pub(crate) const O_CHANGEABLE: u64 = courier_abi::io::O_CHANGEABLE;
/// The status flags a description keeps.
pub(crate) const O_KEPT: u64 = O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME;

/// `lseek` from the start (`SEEK_SET`).
pub(crate) const SEEK_SET: u32 = 0;
/// `lseek` from the current offset (`SEEK_CUR`).
pub(crate) const SEEK_CUR: u32 = 1;
/// `lseek` from the end (`SEEK_END`).
pub(crate) const SEEK_END: u32 = 2;
/// `lseek` to the next data at or after the offset (`SEEK_DATA`).
pub(crate) const SEEK_DATA: u32 = 3;
/// `lseek` to the next hole at or after the offset (`SEEK_HOLE`).
pub(crate) const SEEK_HOLE: u32 = 4;

/// Set-user-id (`S_ISUID`).
pub(crate) const S_ISUID: u32 = 0o4000;
/// Set-group-id (`S_ISGID`).
pub(crate) const S_ISGID: u32 = 0o2000;
/// The sticky bit (`S_ISVTX`).
pub(crate) const S_ISVTX: u32 = 0o1000;
/// Group execute (`S_IXGRP`).
pub(crate) const S_IXGRP: u32 = 0o010;
/// Every permission bit (`S_IALLUGO`).
pub(crate) const S_IALLUGO: u32 = 0o7777;

/// The caller's effective (file-system) user and group ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The user id (0 is root).
    pub uid: u32,
    /// The group id.
    pub gid: u32,
}

impl Credentials {
    /// The superuser.
    pub const ROOT: Credentials = Credentials { uid: 0, gid: 0 };
}

/// A time stamp: seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Time {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds, below 1 000 000 000.
    pub nanoseconds: u32,
}

/// Where file contents live: memory objects in the server, `Vec`s in tests.
///
/// The core calls `read` and `write` only for ranges inside the size it last gave
/// `resize` (a new store has size 0).
pub trait Storage {
    /// Makes an empty store (`ENOSPC` or `ENOMEM` when none can be made).
    fn create(&mut self) -> Result<DataId, Errno>;
    /// Copies `into.len()` bytes at `offset` into `into`.
    fn read(&mut self, data: DataId, offset: u64, into: &mut [u8]) -> Result<(), Errno>;
    /// Copies `bytes` to `offset`.
    fn write(&mut self, data: DataId, offset: u64, bytes: &[u8]) -> Result<(), Errno>;
    /// Changes the size: new bytes read as zero, shrinking discards the tail.
    fn resize(&mut self, data: DataId, size: u64) -> Result<(), Errno>;
    /// Frees the store.
    fn destroy(&mut self, data: DataId);
}

/// The type of an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A FIFO node (named pipe).
    Fifo,
}

/// What `stat` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The inode number.
    pub inode: InodeNumber,
    /// The type.
    pub file_type: FileType,
    /// The permission bits with set-user-id, set-group-id and sticky (`0o7777`).
    pub mode: u32,
    /// The number of links (names; a directory's `.` and its subdirectories' `..` count).
    pub links: u32,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
    /// The size in bytes (20 per entry for a directory, 0 for a FIFO).
    pub size: u64,
    /// Last access.
    pub accessed: Time,
    /// Last change of the contents.
    pub modified: Time,
    /// Last change of the inode.
    pub changed: Time,
}

/// What `open` opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A regular file or a directory: a new open file description.
    File(OpenId),
    /// A FIFO node: the main loop hands the caller to the pipe server (nothing was
    /// opened here).
    Fifo(InodeNumber),
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// The name (`.` and `..` included).
    pub name: Vec<u8>,
    /// The inode the name refers to.
    pub inode: InodeNumber,
    /// Its type.
    pub file_type: FileType,
    /// The cookie to read the entry after this one (Linux's `d_off`).
    pub next: u64,
}
