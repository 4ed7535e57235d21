//! Files through the file system server (tmpfs): `open`, `stat`, `mkdir`, `unlink`,
//! `rename`, `link`, `chmod`, `truncate`, `mkfifo`, and on descriptors `lseek`,
//! `ftruncate`, `fstat`, directory reading, `mmap`; POSIX shared memory (`shm_open`,
//! `shm_unlink`) over `/dev/shm`.
//!
//! Paths are absolute; a relative path is taken from `/` (there is no working directory
//! yet). The process's umask (default 0o022, see [`umask`]) is applied to the modes of
//! created files here, before the request leaves.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use courier_abi::fs::{
    DIRECTORY_ENTRY_HEADER, FileStat, FsRequest, NAME_MAX, OPENED_FIFO, OPENED_FILE, PATH_MAX,
};
use courier_abi::io::{IoRequest, O_ACCMODE, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use courier_abi::ipc::{Lease, MessageDescriptor};
use courier_abi::memory::{MAP_READ, MAP_WRITE};
use courier_abi::pipe::PipeRequest;
use courier_abi::service::SERVICE_TMPFS;
use courier_abi::{Errno, Handle};

use crate::fd::{self, Fd, Target};
use crate::ipc::Endpoint;
use crate::memory::{Mapping, MemoryObject};

pub use courier_abi::fs::{O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, SEEK_CUR, SEEK_END, SEEK_SET};
pub use courier_abi::fs::{S_IFDIR, S_IFIFO, S_IFMT, S_IFREG};

static UMASK: AtomicU32 = AtomicU32::new(0o022);

/// `umask(mask)`: sets the file-creation mask; returns the old one.
pub fn umask(mask: u32) -> u32 {
    UMASK.swap(mask & 0o777, Ordering::Relaxed)
}

fn created_mode(mode: u32) -> u32 {
    mode & 0o7777 & !UMASK.load(Ordering::Relaxed)
}

fn check_path(path: &str) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::Enoent);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::Enametoolong);
    }
    if path.split('/').any(|component| component.len() > NAME_MAX) {
        return Err(Errno::Enametoolong);
    }
    Ok(())
}

/// Sends a path request to the file system server; the answer's words and the handle it
/// carries, if any.
fn path_call(request: FsRequest, leases: &[Lease]) -> Result<([u64; 4], Option<Handle>), Errno> {
    let server = crate::service::connect(SERVICE_TMPFS)?;
    let (label, words) = request.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    descriptor.leases[..leases.len()].copy_from_slice(leases);
    descriptor.lease_count = leases.len() as u32;
    let answer = Endpoint(server).call_with(&mut descriptor).map_err(Errno::from)?;
    let handle = (descriptor.received_handle_count > 0).then_some(descriptor.received_handles[0]);
    if answer.label != 0 {
        if let Some(handle) = handle {
            let _ = crate::handle::close(handle);
        }
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    Ok((answer.words, handle))
}

/// `open(path, flags, mode)`: returns the lowest free descriptor. Opening a FIFO completes
/// at the pipe server (and may block there, as on Linux).
///
/// # Errors
///
/// `ENOENT`, `EEXIST`, `EISDIR`, `ENOTDIR`, `EACCES`, `ENAMETOOLONG`, `ENOSPC`, `ENXIO`
/// (a FIFO with no reader, `O_WRONLY | O_NONBLOCK`), `EMFILE`, `EINTR`.
pub fn open(path: &str, flags: u64, mode: u32) -> Result<Fd, Errno> {
    check_path(path)?;
    let request = FsRequest::Open { flags: flags & !O_CLOEXEC, mode: created_mode(mode) };
    let (words, handle) = path_call(request, &[crate::ipc::lend(path.as_bytes())])?;
    let handle = handle.ok_or(Errno::Eio)?;
    let reference = match words[0] {
        OPENED_FILE => handle,
        OPENED_FIFO => {
            let opened = open_fifo(handle, flags & (O_ACCMODE | O_NONBLOCK));
            let _ = crate::handle::close(handle);
            opened?
        }
        _ => {
            let _ = crate::handle::close(handle);
            return Err(Errno::Eio);
        }
    };
    fd::install(reference, flags & O_CLOEXEC != 0)
}

/// Opens a FIFO through its capability at the pipe server.
/// A signal that interrupts the wait for the other side restarts it as Linux's
/// `fifo_open` does (always if no handler ran, after `SA_RESTART` handlers).
fn open_fifo(capability: Handle, flags: u64) -> Result<Handle, Errno> {
    let (label, words) = PipeRequest::OpenFifo { flags }.to_message();
    loop {
        crate::signal::begin_call();
        match crate::pipe::call_for_handles(capability, label, words, 1) {
            Ok((handles, _)) => return Ok(handles[0]),
            Err(Errno::Eintr) if crate::signal::restart_after_interruption(true) => {}
            Err(error) => return Err(error),
        }
    }
}

/// `creat(path, mode)`.
///
/// # Errors
///
/// As [`open`].
pub fn creat(path: &str, mode: u32) -> Result<Fd, Errno> {
    open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)
}

/// `stat(path)`.
///
/// # Errors
///
/// `ENOENT`, `ENOTDIR`, `EACCES`, `ENAMETOOLONG`.
pub fn stat(path: &str) -> Result<FileStat, Errno> {
    check_path(path)?;
    let mut bytes = [0u8; FileStat::SIZE];
    path_call(
        FsRequest::Stat,
        &[crate::ipc::lend(path.as_bytes()), crate::ipc::lend_for_writing(&mut bytes)],
    )?;
    Ok(FileStat::from_bytes(&bytes))
}

fn simple(request: FsRequest, path: &str) -> Result<(), Errno> {
    check_path(path)?;
    path_call(request, &[crate::ipc::lend(path.as_bytes())]).map(|_| ())
}

fn two_paths(request: FsRequest, first: &str, second: &str) -> Result<(), Errno> {
    check_path(first)?;
    check_path(second)?;
    path_call(request, &[crate::ipc::lend(first.as_bytes()), crate::ipc::lend(second.as_bytes())])
        .map(|_| ())
}

/// `mkdir(path, mode)`.
///
/// # Errors
///
/// `EEXIST`, `ENOENT`, `ENOTDIR`, `EACCES`, `ENOSPC`, `ENAMETOOLONG`.
pub fn mkdir(path: &str, mode: u32) -> Result<(), Errno> {
    simple(FsRequest::MakeDirectory { mode: created_mode(mode) }, path)
}

/// `mkfifo(path, mode)`.
///
/// # Errors
///
/// As [`mkdir`].
pub fn mkfifo(path: &str, mode: u32) -> Result<(), Errno> {
    simple(FsRequest::MakeFifo { mode: created_mode(mode) }, path)
}

/// `rmdir(path)`.
///
/// # Errors
///
/// `ENOTEMPTY`, `ENOTDIR`, `ENOENT`, `EACCES`, `EBUSY`, `EINVAL`.
pub fn rmdir(path: &str) -> Result<(), Errno> {
    simple(FsRequest::RemoveDirectory, path)
}

/// `unlink(path)`.
///
/// # Errors
///
/// `ENOENT`, `EISDIR`, `ENOTDIR`, `EACCES`, `EPERM`.
pub fn unlink(path: &str) -> Result<(), Errno> {
    simple(FsRequest::Unlink, path)
}

/// `rename(from, to)`.
///
/// # Errors
///
/// `ENOENT`, `EISDIR`, `ENOTDIR`, `ENOTEMPTY`, `EINVAL`, `EACCES`, `EPERM`.
pub fn rename(from: &str, to: &str) -> Result<(), Errno> {
    two_paths(FsRequest::Rename, from, to)
}

/// `link(existing, new)`.
///
/// # Errors
///
/// `EEXIST`, `ENOENT`, `EPERM` (a directory), `EACCES`.
pub fn link(existing: &str, new: &str) -> Result<(), Errno> {
    two_paths(FsRequest::Link, existing, new)
}

/// `chmod(path, mode)`.
///
/// # Errors
///
/// `EPERM` (not the owner), `ENOENT`, `EACCES`.
pub fn chmod(path: &str, mode: u32) -> Result<(), Errno> {
    simple(FsRequest::ChangeMode { mode }, path)
}

/// `truncate(path, length)`.
///
/// # Errors
///
/// `EINVAL`, `EISDIR`, `EACCES`, `ENOENT`, `ENOSPC`.
pub fn truncate(path: &str, length: i64) -> Result<(), Errno> {
    simple(FsRequest::Truncate { length }, path)
}

/// Sends an I/O request through `descriptor`'s reference.
fn file_call(
    descriptor: Fd,
    request: IoRequest,
    leases: &[Lease],
) -> Result<([u64; 4], Option<Handle>), Errno> {
    let Target::Server { reference } = fd::target(descriptor)? else { return Err(Errno::Espipe) };
    let (label, words) = request.to_message();
    let mut message = MessageDescriptor::new(label);
    message.words = words;
    message.leases[..leases.len()].copy_from_slice(leases);
    message.lease_count = leases.len() as u32;
    let answer = Endpoint(reference).call_with(&mut message).map_err(Errno::from)?;
    let handle = (message.received_handle_count > 0).then_some(message.received_handles[0]);
    if answer.label != 0 {
        if let Some(handle) = handle {
            let _ = crate::handle::close(handle);
        }
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    Ok((answer.words, handle))
}

/// `lseek(fd, offset, whence)`: returns the new offset.
///
/// # Errors
///
/// `EBADF`, `EINVAL`, `ESPIPE` (a pipe or the console).
pub fn lseek(descriptor: Fd, offset: i64, whence: u32) -> Result<u64, Errno> {
    file_call(descriptor, IoRequest::Seek { offset, whence }, &[]).map(|(words, _)| words[0])
}

/// `ftruncate(fd, length)`.
///
/// # Errors
///
/// `EBADF`, `EINVAL`, `ENOSPC`.
pub fn ftruncate(descriptor: Fd, length: i64) -> Result<(), Errno> {
    file_call(descriptor, IoRequest::Truncate { length }, &[]).map(|_| ())
}

/// `fstat(fd)`.
///
/// # Errors
///
/// `EBADF`.
pub fn fstat(descriptor: Fd) -> Result<FileStat, Errno> {
    let mut bytes = [0u8; FileStat::SIZE];
    file_call(descriptor, IoRequest::Stat, &[crate::ipc::lend_for_writing(&mut bytes)])?;
    Ok(FileStat::from_bytes(&bytes))
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Its inode number.
    pub inode: u64,
    /// Its type (`S_IFREG`, `S_IFDIR`, `S_IFIFO`).
    pub file_type: u32,
    /// Its name.
    pub name: String,
}

/// The next entry of the directory open at `fd` (`readdir`), `None` at the end.
///
/// # Errors
///
/// `EBADF`, `ENOTDIR`.
pub fn read_directory(descriptor: Fd) -> Result<Option<DirectoryEntry>, Errno> {
    let mut bytes = [0u8; DIRECTORY_ENTRY_HEADER + NAME_MAX];
    let (words, _) = file_call(
        descriptor,
        IoRequest::ReadDirectory,
        &[crate::ipc::lend_for_writing(&mut bytes)],
    )?;
    if words[0] == 0 {
        return Ok(None);
    }
    let mut inode = [0u8; 8];
    inode.copy_from_slice(&bytes[..8]);
    let length = usize::from(bytes[9]);
    let name = &bytes[DIRECTORY_ENTRY_HEADER..DIRECTORY_ENTRY_HEADER + length];
    Ok(Some(DirectoryEntry {
        inode: u64::from_le_bytes(inode),
        file_type: u32::from(bytes[8]) << 12,
        name: String::from_utf8_lossy(name).into_owned(),
    }))
}

/// Every entry of directory `path` (opened and closed here).
///
/// # Errors
///
/// As [`open`] and [`read_directory`].
pub fn list_directory(path: &str) -> Result<Vec<DirectoryEntry>, Errno> {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut entries = Vec::new();
    let result = loop {
        match read_directory(descriptor) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => break Ok(entries),
            Err(error) => break Err(error),
        }
    };
    let _ = fd::close(descriptor);
    result
}

/// `PROT_READ`.
pub const PROT_READ: u32 = 1;
/// `PROT_WRITE`.
pub const PROT_WRITE: u32 = 2;

/// `mmap(NULL, length, protection, MAP_SHARED, fd, offset)`: maps the file so every
/// mapping of it, in any process, sees the same bytes. Access past the file's end faults
/// (`SIGBUS`), as on Linux.
///
/// # Errors
///
/// `EACCES` (the descriptor's access mode forbids the protection, or not a regular file),
/// `EINVAL` (zero length, unaligned offset), `EBADF`, `ENOMEM`.
pub fn mmap(
    length: usize,
    protection: u32,
    descriptor: Fd,
    offset: usize,
) -> Result<Mapping, Errno> {
    if length == 0 || !offset.is_multiple_of(courier_abi::layout::PAGE_SIZE) {
        return Err(Errno::Einval);
    }
    let status = fd::fcntl(descriptor, courier_abi::io::F_GETFL, 0)?;
    let access = status & O_ACCMODE;
    if access == O_WRONLY || (protection & PROT_WRITE != 0 && access != O_RDWR) {
        return Err(Errno::Eacces);
    }
    let (_, handle) = file_call(descriptor, IoRequest::Map, &[])?;
    let object = MemoryObject(handle.ok_or(Errno::Eio)?);
    let mut flags = MAP_READ;
    if protection & PROT_WRITE != 0 {
        flags |= MAP_WRITE;
    }
    let mapped = object.map(0, offset, length, flags).map_err(Errno::from);
    // The mapping keeps the object alive; the handle can go.
    let _ = crate::handle::close(object.0);
    mapped
}

/// `munmap`.
///
/// # Errors
///
/// `EINVAL`.
pub fn munmap(mapping: Mapping) -> Result<(), Errno> {
    crate::memory::unmap(mapping).map_err(Errno::from)
}

/// The `/dev/shm` path of POSIX shared memory object `name` ("/name", one component).
fn shared_memory_path(name: &str) -> Result<String, Errno> {
    let stripped = name.trim_start_matches('/');
    if stripped.is_empty() || stripped.contains('/') || stripped == "." || stripped == ".." {
        return Err(Errno::Einval);
    }
    if stripped.len() > NAME_MAX {
        return Err(Errno::Enametoolong);
    }
    let mut path = String::from("/dev/shm/");
    path.push_str(stripped);
    Ok(path)
}

/// `shm_open(name, flags, mode)`: opens (or creates) a shared memory object; the
/// descriptor is close-on-exec, as POSIX requires.
///
/// # Errors
///
/// `EINVAL` (a bad name), as [`open`].
pub fn shm_open(name: &str, flags: u64, mode: u32) -> Result<Fd, Errno> {
    open(&shared_memory_path(name)?, flags | O_CLOEXEC, mode)
}

/// `shm_unlink(name)`.
///
/// # Errors
///
/// `ENOENT`, `EINVAL`, `EACCES`.
pub fn shm_unlink(name: &str) -> Result<(), Errno> {
    unlink(&shared_memory_path(name)?)
}

/// Whether `mode` describes a directory (`S_ISDIR`).
pub const fn is_directory(mode: u32) -> bool {
    mode & S_IFMT == S_IFDIR
}

/// Whether `mode` describes a FIFO (`S_ISFIFO`).
pub const fn is_fifo(mode: u32) -> bool {
    mode & S_IFMT == S_IFIFO
}

/// Whether `mode` describes a regular file (`S_ISREG`).
pub const fn is_regular(mode: u32) -> bool {
    mode & S_IFMT == S_IFREG
}

/// Opens `path` for reading and returns everything in it.
///
/// # Errors
///
/// As [`open`] and [`fd::read`].
pub fn read_to_end(path: &str) -> Result<Vec<u8>, Errno> {
    let descriptor = open(path, O_RDONLY, 0)?;
    let mut contents = Vec::new();
    let mut chunk = [0u8; 512];
    let result = loop {
        match fd::read(descriptor, &mut chunk) {
            Ok(0) => break Ok(contents),
            Ok(count) => contents.extend_from_slice(&chunk[..count]),
            Err(error) => break Err(error),
        }
    };
    let _ = fd::close(descriptor);
    result
}
