//! Pipes through the pipe server: `pipe`, `pipe2`, and the capacity commands.

use courier_abi::io::{F_GETPIPE_SZ, F_SETPIPE_SZ, O_CLOEXEC, O_NONBLOCK};
use courier_abi::ipc::MessageDescriptor;
use courier_abi::pipe::PipeRequest;
use courier_abi::service::SERVICE_PIPE;
use courier_abi::{Errno, Handle};

use crate::fd::{self, Fd};
use crate::ipc::Endpoint;

/// Sends `request` through `server`, expecting `count` handles in the answer.
pub(crate) fn call_for_handles(
    server: Handle,
    label: u32,
    words: [u64; courier_abi::ipc::MESSAGE_WORDS],
    count: usize,
) -> Result<([Handle; 2], [u64; 4]), Errno> {
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    let answer = Endpoint(server).call_with(&mut descriptor).map_err(Errno::from)?;
    let received = descriptor.received_handle_count as usize;
    if answer.label != 0 {
        for &handle in
            &descriptor.received_handles[..received.min(descriptor.received_handles.len())]
        {
            let _ = crate::handle::close(handle);
        }
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    if received != count {
        for &handle in
            &descriptor.received_handles[..received.min(descriptor.received_handles.len())]
        {
            let _ = crate::handle::close(handle);
        }
        return Err(Errno::Eio);
    }
    let mut handles = [Handle::NONE; 2];
    handles[..count].copy_from_slice(&descriptor.received_handles[..count]);
    Ok((handles, answer.words))
}

/// `pipe()`: a new pipe; returns (read end, write end).
///
/// # Errors
///
/// `EMFILE`, `ENFILE`, `ENOMEM`, `ENOSYS` without the pipe server.
pub fn pipe() -> Result<(Fd, Fd), Errno> {
    pipe2(0)
}

/// `pipe2(flags)`: as [`pipe`], with `O_NONBLOCK` (both ends) and `O_CLOEXEC`.
///
/// # Errors
///
/// `EINVAL` for other flags; as [`pipe`].
pub fn pipe2(flags: u64) -> Result<(Fd, Fd), Errno> {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::Einval);
    }
    let server = crate::service::connect(SERVICE_PIPE)?;
    let (label, words) = PipeRequest::CreatePipe { flags: flags & O_NONBLOCK }.to_message();
    let ([read_end, write_end], _) = call_for_handles(server, label, words, 2)?;
    let close_on_spawn = flags & O_CLOEXEC != 0;
    let reader = match fd::install(read_end, close_on_spawn) {
        Ok(reader) => reader,
        Err(error) => {
            let _ = crate::handle::close(write_end);
            return Err(error);
        }
    };
    match fd::install(write_end, close_on_spawn) {
        Ok(writer) => Ok((reader, writer)),
        Err(error) => {
            let _ = fd::close(reader);
            Err(error)
        }
    }
}

/// `fcntl(fd, F_GETPIPE_SZ)`: the pipe's capacity.
///
/// # Errors
///
/// `EBADF`, `EINVAL` (not a pipe).
pub fn capacity(descriptor: Fd) -> Result<usize, Errno> {
    fd::fcntl(descriptor, F_GETPIPE_SZ, 0).map(|size| size as usize)
}

/// `fcntl(fd, F_SETPIPE_SZ, size)`: sets the capacity (rounded up as Linux does); returns
/// it.
///
/// # Errors
///
/// `EBUSY` (the data does not fit), `EPERM` (above the limit, unprivileged), `EINVAL`.
pub fn set_capacity(descriptor: Fd, size: usize) -> Result<usize, Errno> {
    fd::fcntl(descriptor, F_SETPIPE_SZ, size as u64).map(|size| size as usize)
}
