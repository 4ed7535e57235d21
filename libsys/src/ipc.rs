//! Kernel IPC: endpoints, calls, receives, replies, leases, notifications, death watches.
//!
//! A server creates an [`Endpoint`], hands clients send-only (usually badged) handles to
//! it, and loops on [`Endpoint::receive`] / [`reply_receive`]. A client calls with
//! [`Endpoint::call`] (label and four words in registers) or [`Endpoint::call_with`]
//! (leases and handles in a [`MessageDescriptor`]). Replies can be deferred: the server
//! keeps the [`ReplyId`] of a received call and answers it later, in any order.

use courier_abi::ipc::{
    LEASE_READ, LEASE_WRITE, Lease, MessageDescriptor, ReceiveDescriptor, Received,
};
use courier_abi::{Handle, KernelError, NO_TIMEOUT, Rights, Syscall};

use crate::arch;

pub use courier_abi::ipc::{MESSAGE_WORDS, ReceivedKind};

/// Issues `call` with `arguments` and returns the results on success.
#[inline]
pub(crate) fn invoke(call: Syscall, arguments: [usize; 8]) -> Result<[usize; 7], KernelError> {
    arch::syscall(call.number(), arguments).into_result()
}

/// Arguments from the first few values, the rest zero.
#[inline]
pub(crate) fn arguments(values: &[usize]) -> [usize; 8] {
    let mut all = [0usize; 8];
    all[..values.len()].copy_from_slice(values);
    all
}

/// An outstanding call a server may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplyId(pub u32);

/// A reply: a label and words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The label.
    pub label: u32,
    /// The words.
    pub words: [u64; MESSAGE_WORDS],
}

/// A handle to an IPC endpoint.
#[derive(Debug, PartialEq, Eq)]
pub struct Endpoint(pub Handle);

#[inline]
fn answer_from(results: [usize; 7]) -> Answer {
    Answer {
        label: results[0] as u32,
        words: [results[1] as u64, results[2] as u64, results[3] as u64, results[4] as u64],
    }
}

#[inline]
fn received_from(results: [usize; 7]) -> Result<Received, KernelError> {
    let slots = results.map(|value| value as u64);
    Received::from_slots(slots).ok_or(KernelError::InvalidArgument)
}

impl Endpoint {
    /// Creates an endpoint (the handle has every right).
    ///
    /// # Errors
    ///
    /// `LimitReached`, `OutOfMemory`.
    pub fn create() -> Result<Endpoint, KernelError> {
        let results = invoke(Syscall::EndpointCreate, [0; 8])?;
        Ok(Endpoint(Handle(results[0] as u32)))
    }

    /// A new handle to this endpoint whose messages carry `badge`, with `rights`.
    ///
    /// # Errors
    ///
    /// `InsufficientRights` without the mint right.
    pub fn mint(&self, badge: u64, rights: Rights) -> Result<Endpoint, KernelError> {
        let results = invoke(
            Syscall::EndpointMint,
            arguments(&[self.0.0 as usize, badge as usize, rights.0 as usize]),
        )?;
        Ok(Endpoint(Handle(results[0] as u32)))
    }

    /// Calls with `label` and `words`; waits for the reply.
    ///
    /// An upcall (a signal) that arrives while the call still waits for the server to take
    /// it makes the kernel hand the call back undelivered; the upcall's handler has run by
    /// then, and the call is sent again, as if the signal had come just before it (a
    /// call the server holds is the server's to answer, `EINTR` included).
    ///
    /// # Errors
    ///
    /// `PeerGone` when nobody can receive, handle errors.
    #[inline]
    pub fn call(&self, label: u32, words: [u64; MESSAGE_WORDS]) -> Result<Answer, KernelError> {
        loop {
            let outcome = invoke(
                Syscall::Call,
                arguments(&[
                    self.0.0 as usize,
                    label as usize,
                    words[0] as usize,
                    words[1] as usize,
                    words[2] as usize,
                    words[3] as usize,
                ]),
            );
            match outcome {
                Ok(results) => return Ok(answer_from(results)),
                Err(KernelError::Interrupted) => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Calls with `label` and `words`, giving up after `timeout` nanoseconds in total
    /// (queued and waiting for the answer); a server that holds the call when the time
    /// runs out gets a cancel notice and its answer ends the call.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::call`], plus `Timeout`.
    pub fn call_timeout(
        &self,
        label: u32,
        words: [u64; MESSAGE_WORDS],
        timeout: u64,
    ) -> Result<Answer, KernelError> {
        let mut descriptor = MessageDescriptor::new(label);
        descriptor.words = words;
        descriptor.timeout = timeout;
        self.call_with(&mut descriptor)
    }

    /// Calls with the leases, handles and timeout of `descriptor`; handles in the reply
    /// are written back into it.
    ///
    /// A call handed back undelivered because of an upcall is sent again, as
    /// [`Endpoint::call`] does, unless it moved handles (`TRANSFER_MOVE`): those went
    /// with the undelivered message, so the call fails with `Interrupted` and the caller
    /// decides (copying handles and closing them after the call avoids this).
    ///
    /// # Errors
    ///
    /// As [`Endpoint::call`], plus `InvalidArgument` for a bad lease or transfer and
    /// `Timeout`.
    pub fn call_with(&self, descriptor: &mut MessageDescriptor) -> Result<Answer, KernelError> {
        let address = core::ptr::from_mut(descriptor) as usize;
        loop {
            match invoke(Syscall::CallWith, arguments(&[self.0.0 as usize, address])) {
                Ok(results) => return Ok(answer_from(results)),
                Err(KernelError::Interrupted) if !moves_handles(descriptor) => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Receives the next message or event, waiting at most `timeout` nanoseconds
    /// ([`NO_TIMEOUT`] waits forever, 0 polls). Lease and handle details of extended
    /// messages go into `descriptor`.
    ///
    /// # Errors
    ///
    /// `Timeout`, `Interrupted`, handle errors.
    pub fn receive(
        &self,
        descriptor: Option<&mut ReceiveDescriptor>,
        timeout: u64,
    ) -> Result<Received, KernelError> {
        let address = descriptor.map_or(0, |descriptor| core::ptr::from_mut(descriptor) as usize);
        let results =
            invoke(Syscall::Receive, arguments(&[self.0.0 as usize, address, timeout as usize]))?;
        received_from(results)
    }

    /// Receives, waiting forever.
    ///
    /// # Errors
    ///
    /// As [`Endpoint::receive`].
    pub fn receive_forever(
        &self,
        descriptor: Option<&mut ReceiveDescriptor>,
    ) -> Result<Received, KernelError> {
        self.receive(descriptor, NO_TIMEOUT)
    }

    /// Creates a reference to this endpoint with `badge` (needs `MINT`): a send handle
    /// whose calls carry the badge and whose last close this endpoint hears about
    /// (`ReceivedKind::Released`).
    ///
    /// # Errors
    ///
    /// Handle errors, `LimitReached`.
    pub fn create_reference(&self, badge: u64) -> Result<Handle, KernelError> {
        let results =
            invoke(Syscall::ReferenceCreate, arguments(&[self.0.0 as usize, badge as usize]))?;
        Ok(Handle(results[0] as u32))
    }

    /// Delivers notification `notification`'s bits through this endpoint's receive.
    ///
    /// # Errors
    ///
    /// Handle errors; `AddressInUse` if it is bound to another endpoint.
    pub fn bind(&self, notification: &Notification) -> Result<(), KernelError> {
        invoke(
            Syscall::EndpointBindNotification,
            arguments(&[self.0.0 as usize, notification.0.0 as usize]),
        )?;
        Ok(())
    }

    /// Asks to be told through this endpoint when the process with client id `client`
    /// dies; the notice carries `badge`. Returns the watch id.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` if it is already gone.
    pub fn watch_death(&self, client: u32, badge: u64) -> Result<u32, KernelError> {
        let results = invoke(
            Syscall::DeathWatch,
            arguments(&[self.0.0 as usize, client as usize, badge as usize]),
        )?;
        Ok(results[0] as u32)
    }
}

/// Answers `reply`.
///
/// # Errors
///
/// `NoSuchReply` if it was answered or its caller is gone.
pub fn reply(reply: ReplyId, label: u32, words: [u64; MESSAGE_WORDS]) -> Result<(), KernelError> {
    invoke(
        Syscall::Reply,
        arguments(&[
            reply.0 as usize,
            label as usize,
            words[0] as usize,
            words[1] as usize,
            words[2] as usize,
            words[3] as usize,
        ]),
    )?;
    Ok(())
}

/// Answers `reply` with the label, words and handles of `descriptor` (leases are not
/// allowed in replies).
///
/// # Errors
///
/// `NoSuchReply`, `InvalidArgument`, handle errors.
pub fn reply_with(reply: ReplyId, descriptor: &MessageDescriptor) -> Result<(), KernelError> {
    let address = core::ptr::from_ref(descriptor) as usize;
    invoke(Syscall::ReplyWith, arguments(&[reply.0 as usize, address]))?;
    Ok(())
}

/// Answers `reply` (if any; a failed answer is ignored) and receives on `endpoint`,
/// waiting forever: a server's loop in one system call.
///
/// # Errors
///
/// As [`Endpoint::receive`].
#[inline]
pub fn reply_receive(
    reply: Option<ReplyId>,
    label: u32,
    words: [u64; MESSAGE_WORDS],
    endpoint: &Endpoint,
    descriptor: Option<&mut ReceiveDescriptor>,
) -> Result<Received, KernelError> {
    let address = descriptor.map_or(0, |descriptor| core::ptr::from_mut(descriptor) as usize);
    let results = invoke(
        Syscall::ReplyReceive,
        [
            reply.map_or(0, |reply| reply.0 as usize),
            label as usize,
            words[0] as usize,
            words[1] as usize,
            words[2] as usize,
            words[3] as usize,
            endpoint.0.0 as usize,
            address,
        ],
    )?;
    received_from(results)
}

/// Copies from lease `index` of `reply`, from `offset`, into `buffer`; returns the bytes
/// copied (fewer at the lease's end).
///
/// # Errors
///
/// `LeaseViolation` for a bad index, offset or right; `NoSuchReply`.
pub fn lease_read(
    reply: ReplyId,
    index: usize,
    offset: usize,
    buffer: &mut [u8],
) -> Result<usize, KernelError> {
    let results = invoke(
        Syscall::LeaseRead,
        arguments(&[reply.0 as usize, index, offset, buffer.as_mut_ptr() as usize, buffer.len()]),
    )?;
    Ok(results[0])
}

/// Copies `bytes` into lease `index` of `reply` at `offset`; returns the bytes copied.
///
/// # Errors
///
/// As [`lease_read`].
pub fn lease_write(
    reply: ReplyId,
    index: usize,
    offset: usize,
    bytes: &[u8],
) -> Result<usize, KernelError> {
    let results = invoke(
        Syscall::LeaseWrite,
        arguments(&[reply.0 as usize, index, offset, bytes.as_ptr() as usize, bytes.len()]),
    )?;
    Ok(results[0])
}

/// Copies `length` bytes from lease `index` of `reply`, from `offset`, straight into
/// `mapping` at `at` (one copy, by the kernel; a server keeps file data in mapped memory
/// objects). Returns the bytes copied (fewer at the lease's end).
///
/// # Errors
///
/// `InvalidArgument` when the range is outside the mapping; as [`lease_read`].
pub fn lease_read_into_mapping(
    reply: ReplyId,
    index: usize,
    offset: usize,
    mapping: &crate::memory::Mapping,
    at: usize,
    length: usize,
) -> Result<usize, KernelError> {
    let address = mapping.range_address(at, length).ok_or(KernelError::InvalidArgument)?;
    let results =
        invoke(Syscall::LeaseRead, arguments(&[reply.0 as usize, index, offset, address, length]))?;
    Ok(results[0])
}

/// Copies `length` bytes of `mapping` from `at` into lease `index` of `reply` at `offset`
/// (one copy, by the kernel). Returns the bytes copied.
///
/// # Errors
///
/// As [`lease_read_into_mapping`].
pub fn lease_write_from_mapping(
    reply: ReplyId,
    index: usize,
    offset: usize,
    mapping: &crate::memory::Mapping,
    at: usize,
    length: usize,
) -> Result<usize, KernelError> {
    let address = mapping.range_address(at, length).ok_or(KernelError::InvalidArgument)?;
    let results = invoke(
        Syscall::LeaseWrite,
        arguments(&[reply.0 as usize, index, offset, address, length]),
    )?;
    Ok(results[0])
}

/// A lease lending `buffer` for reading by the server.
pub fn lend(buffer: &[u8]) -> Lease {
    Lease {
        address: buffer.as_ptr() as u64,
        length: buffer.len() as u64,
        rights: LEASE_READ,
        reserved: 0,
    }
}

/// A lease lending `buffer` for writing only by the server (what a read fills).
pub fn lend_for_writing(buffer: &mut [u8]) -> Lease {
    Lease {
        address: buffer.as_mut_ptr() as u64,
        length: buffer.len() as u64,
        rights: LEASE_WRITE,
        reserved: 0,
    }
}

/// A lease lending `buffer` for writing (and reading) by the server.
pub fn lend_mut(buffer: &mut [u8]) -> Lease {
    Lease {
        address: buffer.as_mut_ptr() as u64,
        length: buffer.len() as u64,
        rights: LEASE_READ | LEASE_WRITE,
        reserved: 0,
    }
}

/// A notification handle.
#[derive(Debug, PartialEq, Eq)]
pub struct Notification(pub Handle);

impl Notification {
    /// Creates a notification.
    ///
    /// # Errors
    ///
    /// `LimitReached`, `OutOfMemory`.
    pub fn create() -> Result<Notification, KernelError> {
        let results = invoke(Syscall::NotificationCreate, [0; 8])?;
        Ok(Notification(Handle(results[0] as u32)))
    }

    /// ORs `bits` in, waking a waiter.
    ///
    /// # Errors
    ///
    /// Handle errors.
    pub fn signal(&self, bits: u64) -> Result<(), KernelError> {
        invoke(Syscall::NotificationSignal, arguments(&[self.0.0 as usize, bits as usize]))?;
        Ok(())
    }

    /// Waits up to `timeout` nanoseconds for bits; returns them (cleared).
    ///
    /// # Errors
    ///
    /// `Timeout`, `Interrupted`, handle errors.
    pub fn wait(&self, timeout: u64) -> Result<u64, KernelError> {
        let results =
            invoke(Syscall::NotificationWait, arguments(&[self.0.0 as usize, timeout as usize]))?;
        Ok(results[0] as u64)
    }
}

/// Whether `descriptor` moves handles (`TRANSFER_MOVE`): such a call, once handed back
/// undelivered, cannot be sent again.
fn moves_handles(descriptor: &MessageDescriptor) -> bool {
    let count = (descriptor.handle_count as usize).min(descriptor.handles.len());
    descriptor.handles[..count]
        .iter()
        .any(|transfer| transfer.mode == courier_abi::ipc::TRANSFER_MOVE)
}

/// Closes the handles a received message carried, for a server that takes none (a
/// client cannot make it hold them).
pub fn close_received_handles(descriptor: &ReceiveDescriptor) {
    let count = (descriptor.handle_count as usize).min(descriptor.handles.len());
    for &handle in &descriptor.handles[..count] {
        let _ = crate::handle::close(handle);
    }
}
