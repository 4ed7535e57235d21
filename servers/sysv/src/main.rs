//! sysv: the System V IPC server's main loop. It decodes requests
//! (`courier_abi::sysv::SystemVRequest`), asks the pure core (`courier_sysv_core`) what
//! they mean, and turns the answers into replies, lease copies and memory object handles.
//!
//! - A process first asks for a session through its connection (badged with its pid);
//!   the answer is a reference badged `SESSION_BADGE | pid`, through which every other
//!   request comes, so the caller is known without trusting the message, and its
//!   credentials are read from proc once (again on `Refresh`). When the process ends, the
//!   reference's last handle closes and the server hears `Released`: `SEM_UNDO`
//!   adjustments are applied and its shared memory attachments counted down.
//! - `msgsnd`, `msgrcv` and `semop` that must wait are held as deferred replies and
//!   answered when another request (or an exit, or `IPC_RMID`) lets them finish. A
//!   message body is read from the sender's lease when `msgsnd` arrives and written into
//!   the receiver's lease when it is answered. `semtimedop` deadlines are the receive
//!   timeout. A cancel notice (a signal, or the caller's death) answers `EINTR` and puts
//!   the counts back.
//! - A shared memory segment is a kernel memory object the server creates at `shmget`;
//!   `shmat` answers with a copy of its handle (with `WRITE` unless `SHM_RDONLY`) and the
//!   client maps it; the server closes its own handle when the segment is destroyed, and
//!   client mappings keep the frames alive until they are unmapped.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use courier_sysv_core::Credentials;
use courier_sysv_core::ipc::{Permissions, SLOTS};
use courier_sysv_core::msg::{
    MSGMAX, MessageAnswer, MessageOutcome, MessageQueueStatus, MessageQueues, MessageReply,
};
use courier_sysv_core::sem::{
    OperateOutcome, SEMOPM, SemaphoreAnswer, SemaphoreOperation, SemaphoreSetStatus, Semaphores,
};
use courier_sysv_core::shm::{SegmentStatus, SharedMemory};
use libsys::abi::ipc::{
    HandleTransfer, MESSAGE_WORDS, MessageDescriptor, RECEIVED_EXTENDED, ReceiveDescriptor,
    Received, ReceivedKind, TRANSFER_MOVE,
};
use libsys::abi::service::SERVICE_SYSTEM_V;
use libsys::abi::sysv::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, INLINE_BODY, INLINE_LENGTH_SHIFT, INLINE_RECEIVE_MAX,
    INLINE_SEND_MAX, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, MSG_INFO, MSG_STAT, MSG_STAT_ANY,
    NO_SEMAPHORE_TIMEOUT, SEM_INFO, SEM_STAT, SEM_STAT_ANY, SEMBUF_SIZE, SETALL, SETVAL, SHM_INFO,
    SHM_LOCK, SHM_RDONLY, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, STATUS_CGID, STATUS_CUID, STATUS_GID,
    STATUS_KEY, STATUS_MESSAGE_FIELDS, STATUS_MODE, STATUS_SEGMENT_FIELDS, STATUS_SEMAPHORE_FIELDS,
    STATUS_SEQUENCE, STATUS_UID, STATUS_WORDS, SystemVRequest, status_from_bytes, status_to_bytes,
    unpack_inline_operation,
};
use libsys::abi::{Errno, Handle, KernelError, NO_TIMEOUT, Rights};
use libsys::ipc::{Endpoint, ReplyId, lease_read, lease_write, reply, reply_receive, reply_with};
use libsys::memory::MemoryObject;

libsys::main!(main);

/// The badge of session references (the low 32 bits are the pid).
const SESSION_BADGE: u64 = 1 << 62;

/// A reply to send: label (0 or an errno) and words.
type Reply = (u32, [u64; MESSAGE_WORDS]);

fn success(values: &[u64]) -> Reply {
    let mut words = [0; MESSAGE_WORDS];
    words[..values.len()].copy_from_slice(values);
    (0, words)
}

fn failure(errno: Errno) -> Reply {
    (errno.number() as u32, [0; MESSAGE_WORDS])
}

fn outcome(result: Result<Reply, Errno>) -> Reply {
    result.unwrap_or_else(failure)
}

/// How stale the seconds [`SecondsClock`] gives may be, in nanoseconds.
const CLOCK_REFRESH: u64 = 10_000_000;

/// Seconds since boot, for the times System V reports (`msg_stime`, `sem_otime`, ...),
/// without a system call per request: the kernel's clock is read again only when the
/// architecture's counter (read in user mode) has advanced by about [`CLOCK_REFRESH`]
/// since the last read, so the answer is at most that stale. How many counter ticks make
/// that much time is learnt from the first reads.
struct SecondsClock {
    /// Counter and nanoseconds at the first read.
    first: (u64, u64),
    /// Counter ticks per [`CLOCK_REFRESH`], once known.
    refresh_ticks: Option<u64>,
    /// Counter and seconds at the last read.
    last: (u64, u64),
}

impl SecondsClock {
    fn new() -> Self {
        let counter = libsys::time::counter();
        let nanoseconds = now_nanoseconds();
        SecondsClock {
            first: (counter, nanoseconds),
            refresh_ticks: None,
            last: (counter, nanoseconds / 1_000_000_000),
        }
    }

    fn seconds(&mut self) -> u64 {
        let counter = libsys::time::counter();
        let fresh =
            self.refresh_ticks.is_some_and(|ticks| counter.wrapping_sub(self.last.0) < ticks);
        if fresh {
            return self.last.1;
        }
        let nanoseconds = now_nanoseconds();
        let elapsed = nanoseconds.saturating_sub(self.first.1);
        if self.refresh_ticks.is_none() && elapsed >= CLOCK_REFRESH {
            let ticks = u128::from(counter.wrapping_sub(self.first.0)) * u128::from(CLOCK_REFRESH)
                / u128::from(elapsed);
            self.refresh_ticks = Some(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        }
        self.last = (counter, nanoseconds / 1_000_000_000);
        self.last.1
    }
}

/// Monotonic nanoseconds, for `semtimedop` deadlines.
fn now_nanoseconds() -> u64 {
    u64::try_from(libsys::time::monotonic().as_nanos()).unwrap_or(u64::MAX)
}

/// A process with a session.
struct Session {
    credentials: Credentials,
    /// Session references it holds (one, unless it asked twice).
    references: usize,
}

/// The server's state.
struct Server {
    endpoint: Endpoint,
    messages: MessageQueues<u32>,
    semaphores: Semaphores<u32>,
    segments: SharedMemory<Handle>,
    sessions: BTreeMap<u32, Session>,
    /// `semtimedop` deadlines by waiter.
    deadlines: BTreeMap<u32, u64>,
    /// Held `msgrcv`s that asked for the body in the answer's words.
    inline_receivers: BTreeSet<u32>,
    /// The seconds for the times the objects record.
    clock: SecondsClock,
}

fn main() -> Result<(), Errno> {
    let endpoint = Endpoint::create().map_err(Errno::from)?;
    let mut server = Server {
        endpoint,
        messages: MessageQueues::new(),
        semaphores: Semaphores::new(),
        segments: SharedMemory::new(),
        sessions: BTreeMap::new(),
        deadlines: BTreeMap::new(),
        inline_receivers: BTreeSet::new(),
        clock: SecondsClock::new(),
    };
    libsys::service::register(SERVICE_SYSTEM_V, &server.endpoint)?;
    let mut descriptor = ReceiveDescriptor::default();
    let mut pending: Option<(u32, Reply)> = None;
    loop {
        let timeout = server.timeout();
        let received = match pending.take() {
            // The answer and the next receive in one kernel entry, when no deadline waits.
            Some((reply_id, (label, words))) if timeout == NO_TIMEOUT => reply_receive(
                Some(ReplyId(reply_id)),
                label,
                words,
                &server.endpoint,
                Some(&mut descriptor),
            ),
            Some((reply_id, (label, words))) => {
                let _ = reply(ReplyId(reply_id), label, words);
                server.endpoint.receive(Some(&mut descriptor), timeout)
            }
            None => server.endpoint.receive(Some(&mut descriptor), timeout),
        };
        // Deadlines are also checked while requests keep the receive from timing out.
        if !server.deadlines.is_empty() {
            server.expire();
        }
        let received = match received {
            Ok(received) => received,
            Err(KernelError::Interrupted) => continue,
            Err(KernelError::Timeout) => {
                server.expire();
                continue;
            }
            Err(error) => return Err(Errno::from(error)),
        };
        match received.kind {
            ReceivedKind::Message => {
                let extended = received.flags & RECEIVED_EXTENDED != 0;
                if extended {
                    // Handles sent to sysv are not used: close them.
                    libsys::ipc::close_received_handles(&descriptor);
                }
                let lease = (extended && descriptor.lease_count > 0)
                    .then(|| descriptor.leases[0].length as usize);
                pending = server.message(&received, lease).map(|answer| (received.reply, answer));
            }
            ReceivedKind::Released => server.released(received.badge),
            ReceivedKind::Cancel => server.cancelled(received.reply),
            ReceivedKind::Death | ReceivedKind::Notification => {}
        }
    }
}

fn permission_words(permissions: &Permissions) -> [u64; STATUS_WORDS] {
    let mut words = [0u64; STATUS_WORDS];
    words[STATUS_KEY] = u64::from(permissions.key as u32);
    words[STATUS_UID] = u64::from(permissions.uid);
    words[STATUS_GID] = u64::from(permissions.gid);
    words[STATUS_CUID] = u64::from(permissions.cuid);
    words[STATUS_CGID] = u64::from(permissions.cgid);
    words[STATUS_MODE] = u64::from(permissions.mode);
    words[STATUS_SEQUENCE] = u64::from(permissions.sequence);
    words
}

fn message_status_words(status: &MessageQueueStatus) -> [u64; STATUS_WORDS] {
    let mut words = permission_words(&status.permissions);
    let fields = [
        status.stime,
        status.rtime,
        status.ctime,
        status.cbytes,
        status.qnum,
        status.qbytes,
        u64::from(status.lspid),
        u64::from(status.lrpid),
    ];
    words[STATUS_MESSAGE_FIELDS..STATUS_MESSAGE_FIELDS + fields.len()].copy_from_slice(&fields);
    words
}

fn semaphore_status_words(status: &SemaphoreSetStatus) -> [u64; STATUS_WORDS] {
    let mut words = permission_words(&status.permissions);
    let fields = [status.otime, status.ctime, status.nsems];
    words[STATUS_SEMAPHORE_FIELDS..STATUS_SEMAPHORE_FIELDS + fields.len()].copy_from_slice(&fields);
    words
}

fn segment_status_words(status: &SegmentStatus) -> [u64; STATUS_WORDS] {
    let mut words = permission_words(&status.permissions);
    let fields = [
        status.size,
        status.atime,
        status.dtime,
        status.ctime,
        u64::from(status.cpid),
        u64::from(status.lpid),
        status.nattch,
    ];
    words[STATUS_SEGMENT_FIELDS..STATUS_SEGMENT_FIELDS + fields.len()].copy_from_slice(&fields);
    words
}

/// Information words from a list of fields.
fn info_words(fields: &[u64]) -> [u64; STATUS_WORDS] {
    let mut words = [0u64; STATUS_WORDS];
    let count = fields.len().min(STATUS_WORDS);
    words[..count].copy_from_slice(&fields[..count]);
    words
}

/// `MSG_STAT`, `SEM_STAT`, `SHM_STAT` and their `_ANY` forms: the object in slot `index`
/// (modulo the slots, as Linux's idr lookup takes it); the `_ANY` forms skip the read
/// permission check. Writes its status and answers its full id.
fn stat_by_slot<S>(
    reply_id: u32,
    index: i32,
    any: bool,
    credentials: &Credentials,
    lookup: impl FnOnce(usize, &Credentials) -> Result<(i32, S), Errno>,
    words: impl FnOnce(&S) -> [u64; STATUS_WORDS],
) -> Result<Reply, Errno> {
    let slot = usize::try_from(index).map_err(|_| Errno::Einval)? % SLOTS;
    let privileged = Credentials { euid: 0, ..*credentials };
    let (full_id, status) = lookup(slot, if any { &privileged } else { credentials })?;
    write_status(reply_id, &words(&status))?;
    Ok(success(&[u64::from(full_id as u32)]))
}

/// Writes status words into lease 0 of `reply_id`.
fn write_status(reply_id: u32, words: &[u64; STATUS_WORDS]) -> Result<(), Errno> {
    let bytes = status_to_bytes(words);
    lease_write(ReplyId(reply_id), 0, 0, &bytes).map_err(|_| Errno::Efault)?;
    Ok(())
}

/// Reads status words from lease 0 of `reply_id` (`IPC_SET`).
fn read_status(reply_id: u32) -> Result<[u64; STATUS_WORDS], Errno> {
    let mut bytes = [0u8; STATUS_WORDS * 8];
    let count = lease_read(ReplyId(reply_id), 0, 0, &mut bytes).map_err(|_| Errno::Efault)?;
    if count != bytes.len() {
        return Err(Errno::Efault);
    }
    Ok(status_from_bytes(&bytes))
}

/// The owner ids and mode an `IPC_SET` asks for.
fn set_fields(words: &[u64; STATUS_WORDS]) -> (u32, u32, u32) {
    (words[STATUS_UID] as u32, words[STATUS_GID] as u32, words[STATUS_MODE] as u32)
}

/// The inline length in a flags word.
fn inline_length(flags: u64) -> usize {
    ((flags >> INLINE_LENGTH_SHIFT) & 0x1f) as usize
}

/// A received message for the receiver: into its lease, or in the answer's words 2 and 3
/// when it asked for an inline answer; the reply's words.
fn deliver_message(waiter: u32, mtype: i64, body: &[u8], inline: bool) -> Reply {
    if inline {
        let mut bytes = [0u8; INLINE_RECEIVE_MAX];
        let length = body.len().min(INLINE_RECEIVE_MAX);
        bytes[..length].copy_from_slice(&body[..length]);
        let (low, high) = bytes.split_at(8);
        let low = u64::from_le_bytes(low.try_into().unwrap_or([0; 8]));
        let high = u64::from_le_bytes(high.try_into().unwrap_or([0; 8]));
        return success(&[length as u64, mtype as u64, low, high]);
    }
    if !body.is_empty() && lease_write(ReplyId(waiter), 0, 0, body) != Ok(body.len()) {
        return failure(Errno::Efault);
    }
    success(&[body.len() as u64, mtype as u64])
}

fn answer_semaphore(answer: SemaphoreAnswer<u32>) {
    let (label, words) = match answer.result {
        Ok(()) => success(&[]),
        Err(errno) => failure(errno),
    };
    let _ = reply(ReplyId(answer.waiter), label, words);
}

impl Server {
    /// How long the next receive may wait: until the earliest `semtimedop` deadline.
    fn timeout(&self) -> u64 {
        let Some(&earliest) = self.deadlines.values().min() else { return NO_TIMEOUT };
        earliest.saturating_sub(now_nanoseconds())
    }

    /// Fails every `semtimedop` whose deadline passed with `EAGAIN`.
    fn expire(&mut self) {
        let now = now_nanoseconds();
        let due: Vec<u32> = self
            .deadlines
            .iter()
            .filter(|&(_, &deadline)| deadline <= now)
            .map(|(&waiter, _)| waiter)
            .collect();
        for waiter in due {
            self.deadlines.remove(&waiter);
            if let Some(answer) = self.semaphores.time_out(&waiter) {
                answer_semaphore(answer);
            }
        }
    }

    /// Answers a message waiter (a held `msgsnd` or `msgrcv`).
    fn answer_message(&mut self, answer: MessageAnswer<u32>) {
        let inline = self.inline_receivers.remove(&answer.waiter);
        let (label, words) = match answer.result {
            Ok(MessageReply::Sent) => success(&[]),
            Ok(MessageReply::Received { mtype, body }) => {
                deliver_message(answer.waiter, mtype, &body, inline)
            }
            Err(errno) => failure(errno),
        };
        let _ = reply(ReplyId(answer.waiter), label, words);
    }

    fn answer_semaphores(&mut self, answers: Vec<SemaphoreAnswer<u32>>) {
        for answer in answers {
            self.deadlines.remove(&answer.waiter);
            answer_semaphore(answer);
        }
    }

    /// Serves one message; `Some` is the answer to send now, `None` when it was sent
    /// already or waits.
    fn message(&mut self, received: &Received, lease: Option<usize>) -> Option<Reply> {
        let Some(request) = SystemVRequest::from_message(received.label, received.words) else {
            return Some(failure(Errno::Enosys));
        };
        if received.badge & SESSION_BADGE == 0 {
            // Through the connection: only a session may be asked for.
            return match request {
                SystemVRequest::Session => self.open_session(received),
                _ => Some(failure(Errno::Ebadf)),
            };
        }
        let pid = received.badge as u32;
        let Some(credentials) = self.sessions.get(&pid).map(|session| session.credentials) else {
            return Some(failure(Errno::Ebadf));
        };
        let reply_id = received.reply;
        let now = self.clock.seconds();
        match request {
            SystemVRequest::Session => self.open_session(received),
            SystemVRequest::Refresh => {
                if let Ok(fresh) = read_credentials(pid)
                    && let Some(session) = self.sessions.get_mut(&pid)
                {
                    session.credentials = fresh;
                }
                Some(success(&[]))
            }
            SystemVRequest::MessageGet { key, flags } => Some(outcome(
                self.messages
                    .get(key, flags, &credentials, now)
                    .map(|id| success(&[u64::from(id as u32)])),
            )),
            SystemVRequest::MessageSend { id, message_type, flags, inline } => {
                let body = if flags & INLINE_BODY != 0 {
                    let length = inline_length(flags).min(INLINE_SEND_MAX);
                    inline.to_le_bytes()[..length].to_vec()
                } else {
                    let length = lease.unwrap_or(0);
                    if length > MSGMAX {
                        return Some(failure(Errno::Einval));
                    }
                    let mut body = vec![0u8; length];
                    if length > 0 && lease_read(ReplyId(reply_id), 0, 0, &mut body) != Ok(length) {
                        return Some(failure(Errno::Efault));
                    }
                    body
                };
                let flags = flags as u32 as i32;
                let result =
                    self.messages.send(id, message_type, body, flags, &credentials, now, reply_id);
                self.message_outcome(reply_id, result, false)
            }
            SystemVRequest::MessageReceive { id, message_type, flags } => {
                let inline = flags & INLINE_BODY != 0;
                let size = if inline {
                    inline_length(flags).min(INLINE_RECEIVE_MAX)
                } else {
                    lease.unwrap_or(0)
                };
                let result = self.messages.receive(
                    id,
                    size,
                    message_type,
                    flags as u32 as i32,
                    &credentials,
                    now,
                    reply_id,
                );
                if inline && matches!(result, MessageOutcome::Blocked) {
                    self.inline_receivers.insert(reply_id);
                }
                self.message_outcome(reply_id, result, inline)
            }
            SystemVRequest::MessageControl { id, command } => {
                Some(outcome(self.message_control(reply_id, id, command, &credentials, now)))
            }
            SystemVRequest::SemaphoreGet { key, count, flags } => Some(outcome(
                self.semaphores
                    .get(key, count, flags, &credentials, now)
                    .map(|id| success(&[u64::from(id as u32)])),
            )),
            SystemVRequest::SemaphoreOperate { id, count, timeout, inline } => {
                self.semaphore_operate(reply_id, id, count, timeout, inline, &credentials, now)
            }
            SystemVRequest::SemaphoreControl { id, number, command, value } => Some(outcome(
                self.semaphore_control(reply_id, id, number, command, value, &credentials, now),
            )),
            SystemVRequest::SegmentGet { key, size, flags } => {
                let created = self.segments.get(key, size, flags, &credentials, now, |bytes| {
                    let bytes = usize::try_from(bytes).map_err(|_| Errno::Enomem)?;
                    MemoryObject::create(bytes).map(|object| object.0).map_err(
                        |error| match error {
                            KernelError::OutOfMemory | KernelError::LimitReached => Errno::Enomem,
                            KernelError::InvalidArgument => Errno::Einval,
                            other => Errno::from(other),
                        },
                    )
                });
                Some(outcome(created.map(|id| success(&[u64::from(id as u32)]))))
            }
            SystemVRequest::SegmentAttach { id, flags } => {
                self.attach(reply_id, id, flags, pid, &credentials, now)
            }
            SystemVRequest::SegmentDetach { id } => {
                Some(outcome(self.segments.detach(id, pid, now).map(|destroyed| {
                    if let Some(object) = destroyed {
                        let _ = libsys::handle::close(object);
                    }
                    success(&[])
                })))
            }
            SystemVRequest::SegmentControl { id, command } => {
                Some(outcome(self.segment_control(reply_id, id, command, &credentials, now)))
            }
        }
    }

    /// `Session`: a reference badged with the caller's pid.
    fn open_session(&mut self, received: &Received) -> Option<Reply> {
        let pid = received.badge as u32;
        let credentials = match read_credentials(pid) {
            Ok(credentials) => credentials,
            Err(errno) => return Some(failure(errno)),
        };
        let reference = match self.endpoint.create_reference(SESSION_BADGE | u64::from(pid)) {
            Ok(reference) => reference,
            Err(error) => return Some(failure(Errno::from(error))),
        };
        let mut descriptor = MessageDescriptor::new(0);
        descriptor.handles[0] = HandleTransfer {
            handle: reference,
            mode: TRANSFER_MOVE,
            rights: Rights::SEND.0,
            reserved: 0,
        };
        descriptor.handle_count = 1;
        if let Err(error) = reply_with(ReplyId(received.reply), &descriptor) {
            let _ = libsys::handle::close(reference);
            return Some(failure(Errno::from(error)));
        }
        let session = self.sessions.entry(pid).or_insert(Session { credentials, references: 0 });
        session.credentials = credentials;
        session.references += 1;
        None
    }

    /// A session reference's last handle closed: its process ended.
    fn released(&mut self, badge: u64) {
        if badge & SESSION_BADGE == 0 {
            return;
        }
        let pid = badge as u32;
        let Some(session) = self.sessions.get_mut(&pid) else { return };
        session.references -= 1;
        if session.references > 0 {
            return;
        }
        self.sessions.remove(&pid);
        let now = self.clock.seconds();
        let answers = self.semaphores.process_exit(pid, now);
        self.answer_semaphores(answers);
        for object in self.segments.process_exit(pid, now) {
            let _ = libsys::handle::close(object);
        }
    }

    /// A held call was interrupted (or its caller died): `EINTR`, counts restored.
    fn cancelled(&mut self, reply_id: u32) {
        self.deadlines.remove(&reply_id);
        if let Some(answer) = self.messages.cancel(&reply_id) {
            self.answer_message(answer);
        } else if let Some(answer) = self.semaphores.cancel(&reply_id) {
            answer_semaphore(answer);
        }
    }

    fn message_outcome(
        &mut self,
        reply_id: u32,
        result: MessageOutcome<u32>,
        inline: bool,
    ) -> Option<Reply> {
        match result {
            MessageOutcome::Done { reply: answer, answers } => {
                let own = match answer {
                    MessageReply::Sent => success(&[]),
                    MessageReply::Received { mtype, body } => {
                        deliver_message(reply_id, mtype, &body, inline)
                    }
                };
                for answer in answers {
                    self.answer_message(answer);
                }
                Some(own)
            }
            MessageOutcome::Blocked => None,
            MessageOutcome::Failed(errno) => Some(failure(errno)),
        }
    }

    fn message_control(
        &mut self,
        reply_id: u32,
        id: i32,
        command: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Reply, Errno> {
        match command {
            IPC_STAT => {
                let status = self.messages.status(id, credentials)?;
                write_status(reply_id, &message_status_words(&status))?;
                Ok(success(&[0]))
            }
            MSG_STAT | MSG_STAT_ANY => stat_by_slot(
                reply_id,
                id,
                command == MSG_STAT_ANY,
                credentials,
                |slot, who| self.messages.status_by_slot(slot, who),
                message_status_words,
            ),
            IPC_SET => {
                let words = read_status(reply_id)?;
                let (uid, gid, mode) = set_fields(&words);
                let qbytes = words[STATUS_MESSAGE_FIELDS + 5];
                let answers = self.messages.set(id, credentials, uid, gid, mode, qbytes, now)?;
                for answer in answers {
                    self.answer_message(answer);
                }
                Ok(success(&[0]))
            }
            IPC_RMID => {
                for answer in self.messages.remove(id, credentials)? {
                    self.answer_message(answer);
                }
                Ok(success(&[0]))
            }
            IPC_INFO | MSG_INFO => {
                let (info, highest) = self.messages.info();
                write_status(reply_id, &info_words(&info.fields(command == MSG_INFO)))?;
                Ok(success(&[highest.unwrap_or(0) as u64]))
            }
            _ => Err(Errno::Einval),
        }
    }

    #[expect(clippy::too_many_arguments, reason = "semtimedop's own arguments plus the caller")]
    fn semaphore_operate(
        &mut self,
        reply_id: u32,
        id: i32,
        count: u64,
        timeout: u64,
        inline: u64,
        credentials: &Credentials,
        now: u64,
    ) -> Option<Reply> {
        if count == 0 {
            return Some(failure(Errno::Einval));
        }
        if count > SEMOPM as u64 {
            return Some(failure(Errno::E2big));
        }
        let single;
        let read;
        let operations: &[SemaphoreOperation] = match unpack_inline_operation(inline) {
            Some((number, operation, flags)) if count == 1 => {
                single = [SemaphoreOperation { number, operation, flags }];
                &single
            }
            _ => {
                let mut bytes = vec![0u8; count as usize * SEMBUF_SIZE];
                if lease_read(ReplyId(reply_id), 0, 0, &mut bytes) != Ok(bytes.len()) {
                    return Some(failure(Errno::Efault));
                }
                read = bytes
                    .as_chunks::<SEMBUF_SIZE>()
                    .0
                    .iter()
                    .map(|chunk| SemaphoreOperation {
                        number: u16::from_le_bytes([chunk[0], chunk[1]]),
                        operation: i16::from_le_bytes([chunk[2], chunk[3]]),
                        flags: i16::from_le_bytes([chunk[4], chunk[5]]),
                    })
                    .collect::<Vec<_>>();
                &read
            }
        };
        match self.semaphores.operate(id, operations, credentials, now, reply_id) {
            OperateOutcome::Done { answers } => {
                self.answer_semaphores(answers);
                Some(success(&[]))
            }
            OperateOutcome::Blocked => {
                if timeout != NO_SEMAPHORE_TIMEOUT {
                    self.deadlines.insert(reply_id, now_nanoseconds().saturating_add(timeout));
                }
                None
            }
            OperateOutcome::Failed(errno) => Some(failure(errno)),
        }
    }

    #[expect(clippy::too_many_arguments, reason = "semctl's own arguments plus the caller")]
    fn semaphore_control(
        &mut self,
        reply_id: u32,
        id: i32,
        number: i32,
        command: i32,
        value: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Reply, Errno> {
        match command {
            GETVAL => self.semaphores.value(id, number, credentials).map(|v| success(&[v as u64])),
            GETPID => {
                self.semaphores.last_pid(id, number, credentials).map(|v| success(&[u64::from(v)]))
            }
            GETNCNT => self
                .semaphores
                .waiting_count(id, number, credentials)
                .map(|v| success(&[u64::from(v)])),
            GETZCNT => self
                .semaphores
                .zero_waiting_count(id, number, credentials)
                .map(|v| success(&[u64::from(v)])),
            SETVAL => {
                let answers = self.semaphores.set_value(id, number, value, credentials, now)?;
                self.answer_semaphores(answers);
                Ok(success(&[0]))
            }
            GETALL => {
                let values = self.semaphores.values(id, credentials)?;
                let bytes: Vec<u8> = values.iter().flat_map(|value| value.to_le_bytes()).collect();
                lease_write(ReplyId(reply_id), 0, 0, &bytes).map_err(|_| Errno::Efault)?;
                Ok(success(&[0]))
            }
            SETALL => {
                // The count is needed to read the values; permission to alter is the
                // core's to check (write permission only, as on Linux).
                let privileged = Credentials { euid: 0, ..*credentials };
                let nsems = self.semaphores.status(id, &privileged)?.nsems as usize;
                let mut bytes = vec![0u8; nsems * 2];
                if lease_read(ReplyId(reply_id), 0, 0, &mut bytes) != Ok(bytes.len()) {
                    return Err(Errno::Efault);
                }
                let values: Vec<u16> = bytes
                    .as_chunks::<2>()
                    .0
                    .iter()
                    .map(|chunk| u16::from_le_bytes(*chunk))
                    .collect();
                let answers = self.semaphores.set_values(id, &values, credentials, now)?;
                self.answer_semaphores(answers);
                Ok(success(&[0]))
            }
            IPC_STAT => {
                let status = self.semaphores.status(id, credentials)?;
                write_status(reply_id, &semaphore_status_words(&status))?;
                Ok(success(&[0]))
            }
            SEM_STAT | SEM_STAT_ANY => stat_by_slot(
                reply_id,
                id,
                command == SEM_STAT_ANY,
                credentials,
                |slot, who| self.semaphores.status_by_slot(slot, who),
                semaphore_status_words,
            ),
            IPC_SET => {
                let words = read_status(reply_id)?;
                let (uid, gid, mode) = set_fields(&words);
                self.semaphores.set(id, credentials, uid, gid, mode, now)?;
                Ok(success(&[0]))
            }
            IPC_RMID => {
                let answers = self.semaphores.remove(id, credentials)?;
                self.answer_semaphores(answers);
                Ok(success(&[0]))
            }
            IPC_INFO | SEM_INFO => {
                let (info, highest) = if command == SEM_INFO {
                    self.semaphores.usage()
                } else {
                    self.semaphores.info()
                };
                let fields = [
                    info.semmap,
                    info.semmni,
                    info.semmns,
                    info.semmnu,
                    info.semmsl,
                    info.semopm,
                    info.semume,
                    info.semusz,
                    info.semvmx,
                    info.semaem,
                ]
                .map(|field| u64::from(field as u32));
                write_status(reply_id, &info_words(&fields))?;
                Ok(success(&[highest.unwrap_or(0) as u64]))
            }
            _ => Err(Errno::Einval),
        }
    }

    fn attach(
        &mut self,
        reply_id: u32,
        id: i32,
        flags: i32,
        pid: u32,
        credentials: &Credentials,
        now: u64,
    ) -> Option<Reply> {
        let attachment = match self.segments.attach(id, flags & SHM_RDONLY, credentials, now) {
            Ok(attachment) => attachment,
            Err(errno) => return Some(failure(errno)),
        };
        let mut rights = Rights::READ;
        if attachment.writable {
            rights = rights.union(Rights::WRITE);
        }
        // TRANSFER only to send it; the client's handle has `rights`.
        let copy =
            match libsys::handle::duplicate(attachment.object, rights.union(Rights::TRANSFER)) {
                Ok(copy) => copy,
                Err(error) => {
                    if let Ok(Some(object)) = self.segments.detach(id, pid, now) {
                        let _ = libsys::handle::close(object);
                    }
                    return Some(failure(Errno::from(error)));
                }
            };
        let mut descriptor = MessageDescriptor::new(0);
        descriptor.words[0] = attachment.size;
        descriptor.handles[0] =
            HandleTransfer { handle: copy, mode: TRANSFER_MOVE, rights: rights.0, reserved: 0 };
        descriptor.handle_count = 1;
        if let Err(error) = reply_with(ReplyId(reply_id), &descriptor) {
            let _ = libsys::handle::close(copy);
            if let Ok(Some(object)) = self.segments.detach(id, pid, now) {
                let _ = libsys::handle::close(object);
            }
            // The caller may still be there (a refused transfer): it gets the error.
            return Some(failure(Errno::from(error)));
        }
        None
    }

    fn segment_control(
        &mut self,
        reply_id: u32,
        id: i32,
        command: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Reply, Errno> {
        match command {
            IPC_STAT => {
                let status = self.segments.status(id, credentials)?;
                write_status(reply_id, &segment_status_words(&status))?;
                Ok(success(&[0]))
            }
            SHM_STAT | SHM_STAT_ANY => stat_by_slot(
                reply_id,
                id,
                command == SHM_STAT_ANY,
                credentials,
                |slot, who| self.segments.status_by_slot(slot, who),
                segment_status_words,
            ),
            IPC_SET => {
                let words = read_status(reply_id)?;
                let (uid, gid, mode) = set_fields(&words);
                self.segments.set(id, credentials, uid, gid, mode, now)?;
                Ok(success(&[0]))
            }
            IPC_RMID => {
                if let Some(object) = self.segments.remove(id, credentials)? {
                    let _ = libsys::handle::close(object);
                }
                Ok(success(&[0]))
            }
            SHM_LOCK | SHM_UNLOCK => {
                self.segments.lock(id, credentials, command == SHM_LOCK)?;
                Ok(success(&[0]))
            }
            IPC_INFO | SHM_INFO => {
                let (info, highest) = self.segments.info();
                write_status(reply_id, &info_words(&info.fields(command == SHM_INFO)))?;
                Ok(success(&[highest.unwrap_or(0) as u64]))
            }
            _ => Err(Errno::Einval),
        }
    }
}

/// A process's credentials from proc.
fn read_credentials(pid: u32) -> Result<Credentials, Errno> {
    let found = libsys::proc::credentials_of(pid as i32)?;
    Ok(Credentials { pid, uid: found.uid, euid: found.euid, gid: found.gid, egid: found.egid })
}
