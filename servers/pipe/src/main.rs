//! pipe: the pipe server's main loop. It decodes requests, asks the pure core
//! (`courier_pipe_core`) what they mean, and turns the answers into kernel calls.
//!
//! init starts it; it offers `SERVICE_PIPE` through proc and then serves:
//!
//! - through a connection (badge: the caller's pid): `CreatePipe`, answered with two
//!   references (read end, write end), and `CreateFifo`, answered with a FIFO capability;
//! - through a FIFO capability: `OpenFifo`, answered (perhaps much later: the open
//!   rendezvous) with a reference to the new end;
//! - through an end's reference: the I/O protocol (`courier_abi::io`). Data moves by lease:
//!   the kernel copies between the client's buffer and the pipe's buffer, once each way;
//! - `Released` notices (an end's or a capability's last handle closed, or its holders
//!   died): the end closes, so waiting peers see end of file or `EPIPE` at once;
//! - `Cancel` notices (a waiting caller was interrupted or died): answered `EINTR` (or a
//!   partial count).
//!
//! Calls that block are held as deferred replies; the core hands back their answers when
//! another call unblocks them.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use courier_pipe_core::{Access, Answer, EndId, Errno, FifoId, Leases, Outcome, PipeServer};
use libsys::abi::fs::{FileStat, S_IFIFO, TimeStamp};
use libsys::abi::io::{F_GETPIPE_SZ, F_SETPIPE_SZ, IoRequest, O_NONBLOCK, REFERENCE_BADGE};
use libsys::abi::ipc::{
    HandleTransfer, MESSAGE_WORDS, MessageDescriptor, RECEIVED_EXTENDED, ReceiveDescriptor,
    Received, ReceivedKind, TRANSFER_MOVE,
};
use libsys::abi::pipe::{PIPE_MAX_CAPACITY, PipeRequest};
use libsys::abi::service::SERVICE_PIPE;
use libsys::abi::{Handle, KernelError, NO_TIMEOUT, Rights};
use libsys::ipc::{Endpoint, ReplyId, lease_read, lease_write, reply, reply_receive, reply_with};

libsys::main!(main);

/// Set (with [`REFERENCE_BADGE`]) in the badge of a FIFO capability; the rest is the
/// FIFO's id. An end's badge is [`REFERENCE_BADGE`] and its id.
const FIFO_BADGE: u64 = 1 << 62;

/// The id bits of a badge.
const ID_MASK: u64 = FIFO_BADGE - 1;

/// What a reference's badge names.
enum Target {
    /// An open end.
    End(EndId),
    /// A FIFO node's capability.
    Fifo(FifoId),
}

impl Target {
    fn from_badge(badge: u64) -> Option<Target> {
        if badge & REFERENCE_BADGE == 0 {
            return None;
        }
        let id = badge & ID_MASK;
        Some(if badge & FIFO_BADGE != 0 { Target::Fifo(id) } else { Target::End(id) })
    }
}

/// The core's view of callers' buffers: lease 0 of the caller's pending reply.
struct LeaseCopier;

impl Leases<u32> for LeaseCopier {
    fn take(&mut self, waiter: &u32, offset: usize, into: &mut [u8]) -> Result<usize, Errno> {
        lease_read(ReplyId(*waiter), 0, offset, into).map_err(lease_error)
    }

    fn give(&mut self, waiter: &u32, offset: usize, bytes: &[u8]) -> Result<usize, Errno> {
        lease_write(ReplyId(*waiter), 0, offset, bytes).map_err(lease_error)
    }
}

/// A lease copy that failed: the caller's buffer was bad (or the caller is gone).
fn lease_error(_: KernelError) -> Errno {
    Errno::Efault
}

/// A reply to send: label (0 or an errno) and words.
type Reply = (u32, [u64; MESSAGE_WORDS]);

fn success(value: u64) -> Reply {
    (0, [value, 0, 0, 0])
}

fn failure(errno: Errno) -> Reply {
    (errno.number() as u32, [0; MESSAGE_WORDS])
}

fn result_reply(result: Result<u64, Errno>) -> Reply {
    match result {
        Ok(value) => success(value),
        Err(errno) => failure(errno),
    }
}

/// The server's state.
struct Server {
    endpoint: Endpoint,
    core: PipeServer<u32>,
    /// Waiting callers whose answer is a new end (FIFO opens), by reply id.
    opening: BTreeSet<u32>,
    /// Answers the core produced for waiting callers, to send before the next receive.
    answers: Vec<Answer<u32>>,
}

fn main() -> Result<(), Errno> {
    let endpoint = Endpoint::create().map_err(Errno::from)?;
    libsys::service::register(SERVICE_PIPE, &endpoint)?;
    let mut server =
        Server { endpoint, core: PipeServer::new(), opening: BTreeSet::new(), answers: Vec::new() };
    let mut descriptor = ReceiveDescriptor::default();
    let mut pending: Option<(ReplyId, Reply)> = None;
    loop {
        let received = match pending.take() {
            Some((id, (label, words))) => {
                reply_receive(Some(id), label, words, &server.endpoint, Some(&mut descriptor))
            }
            None => server.endpoint.receive(Some(&mut descriptor), NO_TIMEOUT),
        };
        let received = match received {
            Ok(received) => received,
            Err(KernelError::Interrupted) => continue,
            Err(error) => return Err(Errno::from(error)),
        };
        match received.kind {
            ReceivedKind::Message => {
                let extended = received.flags & RECEIVED_EXTENDED != 0;
                if extended {
                    // Handles sent to the pipe server are not used: close them.
                    libsys::ipc::close_received_handles(&descriptor);
                }
                let lease_length = if extended && descriptor.lease_count > 0 {
                    descriptor.leases[0].length as usize
                } else {
                    0
                };
                let id = ReplyId(received.reply);
                if let Some(answer) = server.message(&received, lease_length) {
                    pending = Some((id, answer));
                }
            }
            ReceivedKind::Released => server.released(received.badge),
            ReceivedKind::Cancel => {
                // The answer (EINTR, or a partial count) comes back through `answers`; a
                // call that is no longer waiting was answered already.
                server.core.cancel(&received.reply, false, &mut server.answers);
            }
            ReceivedKind::Death | ReceivedKind::Notification => {}
        }
        server.send_answers();
    }
}

impl Server {
    /// Serves one message; `Some` is the answer to send now, `None` when the call waits
    /// (or was answered with handles already).
    fn message(&mut self, received: &Received, lease_length: usize) -> Option<Reply> {
        let reply_id = received.reply;
        match Target::from_badge(received.badge) {
            None => self.connection(received, reply_id),
            Some(Target::Fifo(fifo)) => {
                match PipeRequest::from_message(received.label, received.words) {
                    Some(PipeRequest::OpenFifo { flags }) => self.open_fifo(fifo, flags, reply_id),
                    _ => Some(failure(Errno::Enosys)),
                }
            }
            Some(Target::End(end)) => {
                let Some(request) = IoRequest::from_message(received.label, received.words) else {
                    return Some(failure(Errno::Enosys));
                };
                self.io(end, request, reply_id, lease_length, received.client)
            }
        }
    }

    /// A request through a connection.
    fn connection(&mut self, received: &Received, reply_id: u32) -> Option<Reply> {
        match PipeRequest::from_message(received.label, received.words) {
            Some(PipeRequest::CreatePipe { flags }) => {
                let (read_end, write_end) = match self.core.create_pipe(flags) {
                    Ok(ends) => ends,
                    Err(errno) => return Some(failure(errno)),
                };
                let references =
                    self.references(&[REFERENCE_BADGE | read_end, REFERENCE_BADGE | write_end]);
                match references {
                    Ok(handles) => {
                        self.answer_with_handles(reply_id, &handles, 0);
                        None
                    }
                    Err(errno) => {
                        self.core.release(read_end, &mut LeaseCopier, &mut self.answers);
                        self.core.release(write_end, &mut LeaseCopier, &mut self.answers);
                        Some(failure(errno))
                    }
                }
            }
            Some(PipeRequest::CreateFifo) => {
                let fifo = self.core.create_fifo();
                match self.references(&[REFERENCE_BADGE | FIFO_BADGE | fifo]) {
                    Ok(handles) => {
                        self.answer_with_handles(reply_id, &handles, 0);
                        None
                    }
                    Err(errno) => {
                        let answers = self.core.remove_fifo(fifo);
                        self.answers.extend(answers);
                        Some(failure(errno))
                    }
                }
            }
            Some(PipeRequest::OpenFifo { .. }) | None => Some(failure(Errno::Enosys)),
        }
    }

    /// `OpenFifo` through FIFO `fifo`'s capability.
    fn open_fifo(&mut self, fifo: FifoId, flags: u64, reply_id: u32) -> Option<Reply> {
        let Some(access) = Access::from_flags(flags) else {
            return Some(failure(Errno::Einval));
        };
        let nonblocking = flags & O_NONBLOCK != 0;
        let outcome = self.core.open_fifo(
            fifo,
            access,
            nonblocking,
            reply_id,
            &mut LeaseCopier,
            &mut self.answers,
        );
        match outcome {
            Outcome::Done(Ok(end)) => {
                self.answer_open(reply_id, end);
                None
            }
            Outcome::Done(Err(errno)) => Some(failure(errno)),
            Outcome::Blocked => {
                self.opening.insert(reply_id);
                None
            }
        }
    }

    /// The I/O protocol through end `end`.
    fn io(
        &mut self,
        end: EndId,
        request: IoRequest,
        reply_id: u32,
        lease_length: usize,
        client: u32,
    ) -> Option<Reply> {
        let outcome = match request {
            IoRequest::Read => {
                self.core.read(end, reply_id, lease_length, &mut LeaseCopier, &mut self.answers)
            }
            IoRequest::Write => {
                self.core.write(end, reply_id, lease_length, &mut LeaseCopier, &mut self.answers)
            }
            IoRequest::GetStatusFlags => Outcome::Done(self.core.status_flags(end)),
            IoRequest::SetStatusFlags { flags } => {
                Outcome::Done(self.core.set_status_flags(end, flags).map(|()| 0))
            }
            IoRequest::Control { command: F_GETPIPE_SZ, .. } => {
                Outcome::Done(self.core.capacity(end).map(|size| size as u64))
            }
            IoRequest::Control { command: F_SETPIPE_SZ, argument } => {
                // Only growing past the unprivileged limit needs to know who asks.
                let privileged = (argument as u32 as usize) > PIPE_MAX_CAPACITY
                    && libsys::proc::client_credentials(client)
                        .is_ok_and(|(_, credentials)| credentials.euid == 0);
                Outcome::Done(
                    self.core
                        .set_capacity(
                            end,
                            argument,
                            privileged,
                            &mut LeaseCopier,
                            &mut self.answers,
                        )
                        .map(|size| size as u64),
                )
            }
            IoRequest::Control { .. } => Outcome::Done(Err(Errno::Einval)),
            IoRequest::Seek { .. } => Outcome::Done(self.known(end).and(Err(Errno::Espipe))),
            IoRequest::Truncate { .. } => Outcome::Done(self.known(end).and(Err(Errno::Einval))),
            IoRequest::ReadDirectory => Outcome::Done(self.known(end).and(Err(Errno::Enotdir))),
            IoRequest::Map => Outcome::Done(self.known(end).and(Err(Errno::Enodev))),
            IoRequest::Stat => Outcome::Done(self.stat(end, reply_id, client)),
        };
        match outcome {
            Outcome::Done(result) => Some(result_reply(result)),
            Outcome::Blocked => None,
        }
    }

    /// `Ok` for an open end, else `EBADF`.
    fn known(&self, end: EndId) -> Result<u64, Errno> {
        self.core.status_flags(end).map(|_| 0)
    }

    /// `fstat` of an end: a FIFO owned by the caller, mode 0600, size 0 (as Linux's pipefs
    /// reports an anonymous pipe).
    fn stat(&self, end: EndId, reply_id: u32, client: u32) -> Result<u64, Errno> {
        self.known(end)?;
        let (uid, gid) = libsys::proc::client_credentials(client)
            .map_or((0, 0), |(_, credentials)| (credentials.euid, credentials.egid));
        let now = libsys::time::monotonic();
        let time = TimeStamp { seconds: now.as_secs() as i64, nanoseconds: now.subsec_nanos() };
        let stat = FileStat {
            inode: end,
            mode: S_IFIFO | 0o600,
            links: 1,
            uid,
            gid,
            size: 0,
            accessed: time,
            modified: time,
            changed: time,
        };
        lease_write(ReplyId(reply_id), 0, 0, &stat.to_bytes()).map_err(lease_error)?;
        Ok(0)
    }

    /// The last handle to a reference closed.
    fn released(&mut self, badge: u64) {
        match Target::from_badge(badge) {
            Some(Target::End(end)) => self.core.release(end, &mut LeaseCopier, &mut self.answers),
            Some(Target::Fifo(fifo)) => {
                let answers = self.core.remove_fifo(fifo);
                self.answers.extend(answers);
            }
            None => {}
        }
    }

    /// Creates references with `badges`; on failure none is left.
    fn references(&self, badges: &[u64]) -> Result<Vec<Handle>, Errno> {
        let mut handles = Vec::with_capacity(badges.len());
        for &badge in badges {
            match self.endpoint.create_reference(badge) {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    for &handle in &handles {
                        // Closing a fresh reference sends a Released notice we ignore
                        // (the caller releases the core's state itself).
                        let _ = libsys::handle::close(handle);
                    }
                    return Err(match error {
                        KernelError::OutOfMemory | KernelError::LimitReached => Errno::Enfile,
                        other => Errno::from(other),
                    });
                }
            }
        }
        Ok(handles)
    }

    /// Answers `reply_id` with word 0 `value` and `handles` (moved to the caller). If the
    /// caller is gone the handles are closed, which releases what they name.
    fn answer_with_handles(&self, reply_id: u32, handles: &[Handle], value: u64) {
        let mut descriptor = MessageDescriptor::new(0);
        descriptor.words[0] = value;
        for (slot, &handle) in descriptor.handles.iter_mut().zip(handles) {
            *slot =
                HandleTransfer { handle, mode: TRANSFER_MOVE, rights: Rights::ALL.0, reserved: 0 };
        }
        descriptor.handle_count = handles.len() as u32;
        if reply_with(ReplyId(reply_id), &descriptor).is_err() {
            for &handle in handles {
                let _ = libsys::handle::close(handle);
            }
        }
    }

    /// A FIFO open succeeded with `end`: answer with its reference.
    fn answer_open(&mut self, reply_id: u32, end: EndId) {
        match self.references(&[REFERENCE_BADGE | end]) {
            Ok(handles) => self.answer_with_handles(reply_id, &handles, 0),
            Err(errno) => {
                self.core.release(end, &mut LeaseCopier, &mut self.answers);
                let (label, words) = failure(errno);
                let _ = reply(ReplyId(reply_id), label, words);
            }
        }
    }

    /// Sends the answers of waiting callers the last event produced.
    fn send_answers(&mut self) {
        while !self.answers.is_empty() {
            let answers = core::mem::take(&mut self.answers);
            for answer in answers {
                self.send_answer(answer);
            }
        }
    }

    /// Answers one waiting caller: a FIFO open with its end's reference, anything else
    /// with the count or errno. A caller that died meanwhile cannot be answered (its
    /// reply is gone); nothing to do then.
    fn send_answer(&mut self, Answer { waiter, result }: Answer<u32>) {
        match (self.opening.remove(&waiter), result) {
            (true, Ok(end)) => self.answer_open(waiter, end),
            (_, result) => {
                let (label, words) = result_reply(result);
                let _ = reply(ReplyId(waiter), label, words);
            }
        }
    }
}
