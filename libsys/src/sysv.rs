//! System V IPC through the sysv server: `ftok`, `msgget`/`msgsnd`/`msgrcv`/`msgctl`,
//! `semget`/`semop`/`semtimedop`/`semctl`, `shmget`/`shmat`/`shmdt`/`shmctl`.
//!
//! The first call opens this process's session with the server (see
//! `courier_abi::sysv`): a reference the server made for this process, whose release at
//! exit is when the server applies `SEM_UNDO` and counts attachments down. Blocking calls
//! (`msgsnd`, `msgrcv`, `semop`) are held by the server; a signal makes them fail with
//! `EINTR` after a handler ran, whatever `SA_RESTART` says (Linux never restarts them),
//! and restarts them if no handler ran (Linux would not have been interrupted).

use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use courier_abi::ipc::{Lease, MessageDescriptor};
use courier_abi::memory::{MAP_FIXED, MAP_READ, MAP_WRITE};
use courier_abi::service::SERVICE_SYSTEM_V;
pub use courier_abi::sysv::*;
use courier_abi::{Errno, Handle};

use crate::ipc::Endpoint;
use crate::memory::{Mapping, MemoryObject};

/// The session reference (0 until opened).
static SESSION: spin::Mutex<Option<Handle>> = spin::Mutex::new(None);

/// This process's attachments: address and segment id.
static ATTACHMENTS: spin::Mutex<Vec<(usize, i32)>> = spin::Mutex::new(Vec::new());

/// The session, opened on first use.
fn session() -> Result<Handle, Errno> {
    let mut session = SESSION.lock();
    if let Some(handle) = *session {
        return Ok(handle);
    }
    let connection = crate::service::connect(SERVICE_SYSTEM_V)?;
    let (label, words) = SystemVRequest::Session.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    let answer = Endpoint(connection).call_with(&mut descriptor).map_err(Errno::from)?;
    if answer.label != 0 {
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    if descriptor.received_handle_count != 1 {
        return Err(Errno::Eio);
    }
    let handle = descriptor.received_handles[0];
    *session = Some(handle);
    Ok(handle)
}

/// One call through the session; returns the answer's words and a received handle.
fn call(
    request: SystemVRequest,
    lease: Option<Lease>,
) -> Result<([u64; courier_abi::ipc::MESSAGE_WORDS], Option<Handle>), Errno> {
    let session = session()?;
    let (label, words) = request.to_message();
    if lease.is_none() && !matches!(request, SystemVRequest::SegmentAttach { .. }) {
        // Nothing lent, no handle back: the plain call (the kernel's fast path).
        let answer = Endpoint(session).call(label, words).map_err(Errno::from)?;
        if answer.label != 0 {
            return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
        }
        return Ok((answer.words, None));
    }
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    if let Some(lease) = lease {
        descriptor.leases[0] = lease;
        descriptor.lease_count = 1;
    }
    let answer = Endpoint(session).call_with(&mut descriptor).map_err(Errno::from)?;
    let handle = (descriptor.received_handle_count > 0).then(|| descriptor.received_handles[0]);
    if answer.label != 0 {
        if let Some(handle) = handle {
            let _ = crate::handle::close(handle);
        }
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    Ok((answer.words, handle))
}

/// A call that may block in the server: restarted when a signal interrupted it and no
/// handler ran; `EINTR` after a handler (never restarted, as on Linux).
fn blocking_call(
    request: SystemVRequest,
    lease: Option<Lease>,
) -> Result<[u64; courier_abi::ipc::MESSAGE_WORDS], Errno> {
    loop {
        crate::signal::begin_call();
        match call(request, lease) {
            Err(Errno::Eintr) if crate::signal::restart_after_interruption(false) => {}
            outcome => return outcome.map(|(words, _)| words),
        }
    }
}

/// The server must read this process's credentials again (after `setuid`/`setgid`).
pub(crate) fn credentials_changed() {
    if SESSION.lock().is_some() {
        let _ = call(SystemVRequest::Refresh, None);
    }
}

/// `ftok(path, project)`: a key from a file's inode, its device and the low 8 bits of
/// `project`, as glibc computes it (Courier has one file system, device 0).
///
/// # Errors
///
/// `stat`'s errors.
pub fn ftok(path: &str, project: i32) -> Result<i32, Errno> {
    let status = crate::fs::stat(path)?;
    let device = 0u32;
    let key =
        ((project as u32 & 0xff) << 24) | ((device & 0xff) << 16) | (status.inode as u32 & 0xffff);
    Ok(key as i32)
}

/// A status or information structure (`struct msqid_ds`, `semid_ds`, `shmid_ds`,
/// `msginfo`, `seminfo`, `shminfo`) as words; see `courier_abi::sysv` for positions.
pub type Status = [u64; STATUS_WORDS];

fn control(request: SystemVRequest, status: &mut Status) -> Result<i64, Errno> {
    let mut bytes = status_to_bytes(status);
    let (words, _) = call(request, Some(crate::ipc::lend_mut(&mut bytes)))?;
    *status = status_from_bytes(&bytes);
    Ok(words[0] as i64)
}

/// `msgget(key, flags)`.
///
/// # Errors
///
/// `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC`.
pub fn msgget(key: i32, flags: i32) -> Result<i32, Errno> {
    call(SystemVRequest::MessageGet { key, flags }, None).map(|(words, _)| words[0] as i32)
}

/// `msgsnd(id, {message_type, body}, flags)`.
///
/// # Errors
///
/// `EINVAL`, `EACCES`, `EAGAIN` (`IPC_NOWAIT`), `EIDRM`, `EINTR`.
pub fn msgsnd(id: i32, message_type: i64, body: &[u8], flags: i32) -> Result<(), Errno> {
    let flags = u64::from(flags as u32);
    if body.len() <= INLINE_SEND_MAX {
        // A short body travels in the message: no lease, the kernel's fast path.
        let mut inline = [0u8; 8];
        inline[..body.len()].copy_from_slice(body);
        let flags = flags | INLINE_BODY | (body.len() as u64) << INLINE_LENGTH_SHIFT;
        let inline = u64::from_le_bytes(inline);
        let request = SystemVRequest::MessageSend { id, message_type, flags, inline };
        return blocking_call(request, None).map(|_| ());
    }
    let request = SystemVRequest::MessageSend { id, message_type, flags, inline: 0 };
    blocking_call(request, Some(crate::ipc::lend(body))).map(|_| ())
}

/// `msgrcv(id, buffer, message_type, flags)`: returns the bytes received and the
/// message's type.
///
/// # Errors
///
/// `EINVAL`, `EACCES`, `E2BIG`, `ENOMSG` (`IPC_NOWAIT`), `EIDRM`, `EINTR`, `ENOSYS`
/// (`MSG_COPY`).
pub fn msgrcv(
    id: i32,
    buffer: &mut [u8],
    message_type: i64,
    flags: i32,
) -> Result<(usize, i64), Errno> {
    let flags = u64::from(flags as u32);
    if buffer.len() <= INLINE_RECEIVE_MAX {
        // A short buffer is answered in the message.
        let flags = flags | INLINE_BODY | (buffer.len() as u64) << INLINE_LENGTH_SHIFT;
        let words =
            blocking_call(SystemVRequest::MessageReceive { id, message_type, flags }, None)?;
        let length = (words[0] as usize).min(buffer.len());
        let mut body = [0u8; 16];
        body[..8].copy_from_slice(&words[2].to_le_bytes());
        body[8..].copy_from_slice(&words[3].to_le_bytes());
        buffer[..length].copy_from_slice(&body[..length]);
        return Ok((length, words[1] as i64));
    }
    let lease = crate::ipc::lend_for_writing(buffer);
    blocking_call(SystemVRequest::MessageReceive { id, message_type, flags }, Some(lease))
        .map(|words| (words[0] as usize, words[1] as i64))
}

/// `msgctl(id, command, status)`: `IPC_STAT`, `IPC_SET`, `IPC_RMID`, `IPC_INFO`,
/// `MSG_INFO`, `MSG_STAT`, `MSG_STAT_ANY`; returns the call's result.
///
/// # Errors
///
/// `EINVAL`, `EACCES`, `EPERM`, `EIDRM`.
pub fn msgctl(id: i32, command: i32, status: &mut Status) -> Result<i64, Errno> {
    control(SystemVRequest::MessageControl { id, command }, status)
}

/// `semget(key, count, flags)`.
///
/// # Errors
///
/// `EINVAL`, `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC`.
pub fn semget(key: i32, count: i32, flags: i32) -> Result<i32, Errno> {
    call(SystemVRequest::SemaphoreGet { key, count, flags }, None).map(|(words, _)| words[0] as i32)
}

/// One `struct sembuf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreOperation {
    /// `sem_num`.
    pub number: u16,
    /// `sem_op`.
    pub operation: i16,
    /// `sem_flg`: `IPC_NOWAIT`, `SEM_UNDO`.
    pub flags: i16,
}

fn encode_operations(operations: &[SemaphoreOperation]) -> Vec<u8> {
    let mut bytes = vec![0u8; operations.len() * SEMBUF_SIZE];
    for (chunk, operation) in bytes.as_chunks_mut::<SEMBUF_SIZE>().0.iter_mut().zip(operations) {
        chunk[0..2].copy_from_slice(&operation.number.to_le_bytes());
        chunk[2..4].copy_from_slice(&operation.operation.to_le_bytes());
        chunk[4..6].copy_from_slice(&operation.flags.to_le_bytes());
    }
    bytes
}

/// `semop(id, operations)`.
///
/// # Errors
///
/// `EINVAL`, `E2BIG`, `EFBIG`, `EACCES`, `ERANGE`, `EAGAIN`, `EIDRM`, `EINTR`.
pub fn semop(id: i32, operations: &[SemaphoreOperation]) -> Result<(), Errno> {
    semtimedop(id, operations, None)
}

/// `semtimedop(id, operations, timeout)`: as [`semop`], failing with `EAGAIN` when
/// `timeout` passes first.
///
/// # Errors
///
/// As [`semop`].
pub fn semtimedop(
    id: i32,
    operations: &[SemaphoreOperation],
    timeout: Option<Duration>,
) -> Result<(), Errno> {
    let bytes = encode_operations(operations);
    let deadline = timeout.map(|timeout| crate::time::monotonic().saturating_add(timeout));
    loop {
        let left = deadline.map_or(NO_SEMAPHORE_TIMEOUT, |deadline| {
            let left = deadline.saturating_sub(crate::time::monotonic());
            u64::try_from(left.as_nanos()).unwrap_or(NO_SEMAPHORE_TIMEOUT - 1)
        });
        // One operation (the usual P or V) travels in the message, with no lease.
        let (inline, lease) = match operations {
            [single] => (inline_operation(single.number, single.operation, single.flags), None),
            _ => (0, Some(crate::ipc::lend(&bytes))),
        };
        let request = SystemVRequest::SemaphoreOperate {
            id,
            count: operations.len() as u64,
            timeout: left,
            inline,
        };
        crate::signal::begin_call();
        match call(request, lease) {
            // Restarted with the time left when no handler ran.
            Err(Errno::Eintr) if crate::signal::restart_after_interruption(false) => {}
            outcome => return outcome.map(|_| ()),
        }
    }
}

/// `semctl(id, number, command, value)` for the commands with a plain result (`GETVAL`,
/// `SETVAL`, `GETPID`, `GETNCNT`, `GETZCNT`, `IPC_RMID`); the others take a status or
/// value array: [`semctl_status`], [`semctl_values`].
///
/// # Errors
///
/// `EINVAL`, `EACCES`, `EPERM`, `ERANGE`, `EIDRM`.
pub fn semctl(id: i32, number: i32, command: i32, value: i32) -> Result<i64, Errno> {
    call(SystemVRequest::SemaphoreControl { id, number, command, value }, None)
        .map(|(words, _)| words[0] as i64)
}

/// `semctl(id, 0, command, status)` for `IPC_STAT`, `IPC_SET`, `IPC_INFO`, `SEM_INFO`,
/// `SEM_STAT`, `SEM_STAT_ANY`.
///
/// # Errors
///
/// As [`semctl`].
pub fn semctl_status(id: i32, command: i32, status: &mut Status) -> Result<i64, Errno> {
    control(SystemVRequest::SemaphoreControl { id, number: 0, command, value: 0 }, status)
}

/// `semctl(id, 0, GETALL or SETALL, values)`: `values` must hold one entry per
/// semaphore.
///
/// # Errors
///
/// As [`semctl`].
pub fn semctl_values(id: i32, command: i32, values: &mut [u16]) -> Result<i64, Errno> {
    let mut bytes: Vec<u8> = values.iter().flat_map(|value| value.to_le_bytes()).collect();
    let lease = crate::ipc::lend_mut(&mut bytes);
    let (words, _) =
        call(SystemVRequest::SemaphoreControl { id, number: 0, command, value: 0 }, Some(lease))?;
    for (value, chunk) in values.iter_mut().zip(bytes.as_chunks::<2>().0) {
        *value = u16::from_le_bytes(*chunk);
    }
    Ok(words[0] as i64)
}

/// `shmget(key, size, flags)`.
///
/// # Errors
///
/// `EINVAL`, `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC`, `ENOMEM`.
pub fn shmget(key: i32, size: u64, flags: i32) -> Result<i32, Errno> {
    call(SystemVRequest::SegmentGet { key, size, flags }, None).map(|(words, _)| words[0] as i32)
}

/// `shmat(id, address, flags)`: maps the segment (at `address`, rounded down to
/// [`SHMLBA`] with `SHM_RND`, or where the kernel chooses with `None`), read-only with
/// `SHM_RDONLY` (the page tables enforce it).
///
/// # Errors
///
/// `EINVAL` (bad id, unaligned address without `SHM_RND`), `EACCES`, `EIDRM`, `ENOMEM`.
pub fn shmat(id: i32, address: Option<usize>, flags: i32) -> Result<Mapping, Errno> {
    let address = match address {
        Some(address) if flags & SHM_RND != 0 => Some(address & !(SHMLBA as usize - 1)),
        Some(address) if address % SHMLBA as usize != 0 => return Err(Errno::Einval),
        other => other,
    };
    let (words, handle) =
        call(SystemVRequest::SegmentAttach { id, flags: flags & SHM_RDONLY }, None)?;
    let object = MemoryObject(handle.ok_or(Errno::Eio)?);
    let size = words[0] as usize;
    let mut map_flags = MAP_READ;
    if flags & SHM_RDONLY == 0 {
        map_flags |= MAP_WRITE;
    }
    if address.is_some() {
        map_flags |= MAP_FIXED;
    }
    let mapped = object.map(address.unwrap_or(0), 0, size, map_flags).map_err(Errno::from);
    let _ = crate::handle::close(object.0);
    match mapped {
        Ok(mapping) => {
            ATTACHMENTS.lock().push((mapping.address(), id));
            Ok(mapping)
        }
        Err(error) => {
            let _ = call(SystemVRequest::SegmentDetach { id }, None);
            Err(error)
        }
    }
}

/// `shmdt(mapping)`: unmaps an attachment made by [`shmat`].
///
/// # Errors
///
/// `EINVAL` when it is not one.
pub fn shmdt(mapping: Mapping) -> Result<(), Errno> {
    let id = {
        let mut attachments = ATTACHMENTS.lock();
        let position = attachments
            .iter()
            .position(|&(address, _)| address == mapping.address())
            .ok_or(Errno::Einval)?;
        attachments.swap_remove(position).1
    };
    crate::memory::unmap(mapping).map_err(Errno::from)?;
    call(SystemVRequest::SegmentDetach { id }, None).map(|_| ())
}

/// `shmctl(id, command, status)`: `IPC_STAT`, `IPC_SET`, `IPC_RMID`, `IPC_INFO`,
/// `SHM_INFO`, `SHM_STAT`, `SHM_STAT_ANY`, `SHM_LOCK`, `SHM_UNLOCK`.
///
/// # Errors
///
/// `EINVAL`, `EACCES`, `EPERM`, `EIDRM`.
pub fn shmctl(id: i32, command: i32, status: &mut Status) -> Result<i64, Errno> {
    control(SystemVRequest::SegmentControl { id, command }, status)
}
