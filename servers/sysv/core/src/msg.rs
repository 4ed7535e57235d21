//! Message queues: `msgget`, `msgsnd`, `msgrcv` and `msgctl`, with the results and errno of
//! Linux's `ipc/msg.c`.
//!
//! - A queue holds its messages in arrival order, with the callers blocked on it: receivers
//!   (each with its size, type selector and `MSG_NOERROR`) and senders (each with its whole
//!   message), both in arrival order, each with the waiter token `W` the server chose.
//! - `msgsnd` first needs room (Linux's `msg_fits_inqueue`: the bytes and the message count
//!   both within `qbytes`), then hands the message to the first waiting receiver whose
//!   selector accepts it (`pipelined_send`): a receiver too small for it without
//!   `MSG_NOERROR` is answered `E2BIG` on the way, and the search goes on. Only when no
//!   receiver takes it is the message queued. A full queue is `EAGAIN` with `IPC_NOWAIT`;
//!   otherwise the sender waits with its message.
//! - `msgrcv` takes the first message its selector accepts (`msgtyp` 0: any; positive: that
//!   type, or with `MSG_EXCEPT` any other; negative: the first of the lowest type not above
//!   `|msgtyp|`). Too long without `MSG_NOERROR` is `E2BIG` and the message stays; with it
//!   the body is cut. Nothing there is `ENOMSG` with `IPC_NOWAIT`; otherwise the receiver
//!   waits. A message taken frees room, and the senders waiting are retried as Linux's
//!   `ss_wakeup` wakes them: every sender whose message fits at that moment, in arrival
//!   order, checks its permission again and sends if its message still fits; the others
//!   keep waiting, those never woken first.
//! - `IPC_SET` retries every waiting receiver (Linux wakes them with `EAGAIN` so that a
//!   receiver who lost read permission fails with `EACCES`) and then the senders (a larger
//!   `qbytes` may let them in). `IPC_RMID` answers every waiter `EIDRM`.
//! - `MSG_COPY` is refused as Linux refuses it without `CONFIG_CHECKPOINT_RESTORE`:
//!   `EINVAL` with `MSG_EXCEPT` or without `IPC_NOWAIT`, otherwise `ENOSYS`.
//! - Times are the `now` each call is given, in seconds; pids are the callers'
//!   [`Credentials::pid`].

use alloc::collections::VecDeque;
use alloc::vec::Vec;
pub use courier_abi::sysv::{MSG_COPY, MSG_EXCEPT, MSG_NOERROR};

use courier_abi::Errno;

use crate::Credentials;
use crate::ipc::{
    IPC_NOWAIT, Id, IdTable, Key, Permissions, READ, SLOTS, WRITE, may_control, permitted,
    set_permissions,
};

/// Most queues (Linux's `MSGMNI`, `msg_ctlmni`).
pub const MSGMNI: usize = 32000;
/// Longest message body in bytes (Linux's `MSGMAX`, `msg_ctlmax`).
pub const MSGMAX: usize = 8192;
/// A new queue's `qbytes`, and the most an unprivileged `IPC_SET` may give (Linux's
/// `MSGMNB`, `msg_ctlmnb`).
pub const MSGMNB: usize = 16384;
/// `IPC_INFO`'s `msgpool`: the size of the message pool in KiB (Linux's `MSGPOOL`).
pub const MSGPOOL: i32 = (MSGMNI * MSGMNB / 1024) as i32;
/// `IPC_INFO`'s `msgmap` (Linux's `MSGMAP`).
pub const MSGMAP: i32 = MSGMNB as i32;
/// `IPC_INFO`'s `msgtql` (Linux's `MSGTQL`).
pub const MSGTQL: i32 = MSGMNB as i32;
/// `msgssz`: the message segment size (Linux's `MSGSSZ`).
pub const MSGSSZ: i32 = 16;
/// `msgseg`: the number of segments, capped to what the field holds (Linux's `MSGSEG`).
pub const MSGSEG: u16 = 0xffff;

/// What `msgctl(IPC_STAT)` and `MSG_STAT` report (`struct msqid64_ds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageQueueStatus {
    /// Owner, creator, mode and key.
    pub permissions: Permissions,
    /// Time of the last successful `msgsnd` (0 if none).
    pub stime: u64,
    /// Time of the last message received (0 if none).
    pub rtime: u64,
    /// Time of creation or of the last `IPC_SET`.
    pub ctime: u64,
    /// Bytes of the messages in the queue.
    pub cbytes: u64,
    /// Messages in the queue.
    pub qnum: u64,
    /// Most bytes (and most messages) the queue holds.
    pub qbytes: u64,
    /// Pid of the last sender (0 if none).
    pub lspid: u32,
    /// Pid of the last receiver (0 if none).
    pub lrpid: u32,
}

/// What `msgctl(IPC_INFO)` and `msgctl(MSG_INFO)` report: the fields of `struct msginfo`
/// as `IPC_INFO` fills them, and the counts `MSG_INFO` puts in three of them instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// [`MSGPOOL`].
    pub msgpool: i32,
    /// [`MSGMAP`].
    pub msgmap: i32,
    /// [`MSGMAX`].
    pub msgmax: i32,
    /// [`MSGMNB`].
    pub msgmnb: i32,
    /// [`MSGMNI`].
    pub msgmni: i32,
    /// [`MSGSSZ`].
    pub msgssz: i32,
    /// [`MSGTQL`].
    pub msgtql: i32,
    /// [`MSGSEG`].
    pub msgseg: u16,
    /// Queues in use (`MSG_INFO`'s `msgpool`).
    pub queues_in_use: i32,
    /// Messages queued in every queue (`MSG_INFO`'s `msgmap`).
    pub messages_queued: i32,
    /// Bytes queued in every queue (`MSG_INFO`'s `msgtql`).
    pub bytes_queued: i32,
}

impl MessageInfo {
    /// The fields of `struct msginfo` in C order, as `IPC_INFO` (`usage` false) or
    /// `MSG_INFO` (`usage` true) fills them.
    pub fn fields(&self, usage: bool) -> [u64; 8] {
        let word = |value: i32| u64::try_from(value).unwrap_or(0);
        let (pool, map, total) = if usage {
            (self.queues_in_use, self.messages_queued, self.bytes_queued)
        } else {
            (self.msgpool, self.msgmap, self.msgtql)
        };
        [
            word(pool),
            word(map),
            word(self.msgmax),
            word(self.msgmnb),
            word(self.msgmni),
            word(self.msgssz),
            word(total),
            u64::from(self.msgseg),
        ]
    }
}

/// What a `msgsnd` or `msgrcv` that succeeded returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageReply {
    /// `msgsnd` returned 0.
    Sent,
    /// `msgrcv` returned `body.len()` bytes of a message of type `mtype` (the body is cut to
    /// the caller's size when `MSG_NOERROR` allowed it).
    Received {
        /// The message's type.
        mtype: i64,
        /// The bytes to copy to the caller.
        body: Vec<u8>,
    },
}

/// The answer to a caller that was waiting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageAnswer<W> {
    /// The token given when it started waiting.
    pub waiter: W,
    /// What its call returns.
    pub result: Result<MessageReply, Errno>,
}

/// What a `msgsnd` or `msgrcv` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageOutcome<W> {
    /// It succeeded; `answers` are for waiting callers it completed.
    Done {
        /// The caller's result.
        reply: MessageReply,
        /// Waiters to answer now.
        answers: Vec<MessageAnswer<W>>,
    },
    /// The caller waits; it is answered later through a [`MessageAnswer`].
    Blocked,
    /// It failed and changed nothing.
    Failed(Errno),
}

/// One message.
#[derive(Clone, Debug)]
struct Message {
    mtype: i64,
    body: Vec<u8>,
}

/// Which messages a receive accepts (Linux's `SEARCH_*` modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selector {
    /// `msgtyp == 0`.
    Any,
    /// `msgtyp > 0`.
    Equal(i64),
    /// `msgtyp > 0` with `MSG_EXCEPT`.
    NotEqual(i64),
    /// `msgtyp < 0`: types up to `|msgtyp|`, the lowest first.
    AtMost(i64),
}

impl Selector {
    /// Linux's `convert_mode`.
    fn new(mtype: i64, flags: i32) -> Selector {
        if mtype == 0 {
            Selector::Any
        } else if mtype < 0 {
            Selector::AtMost(mtype.checked_neg().unwrap_or(i64::MAX))
        } else if flags & MSG_EXCEPT != 0 {
            Selector::NotEqual(mtype)
        } else {
            Selector::Equal(mtype)
        }
    }

    /// Linux's `testmsg`.
    fn accepts(self, mtype: i64) -> bool {
        match self {
            Selector::Any => true,
            Selector::Equal(wanted) => mtype == wanted,
            Selector::NotEqual(unwanted) => mtype != unwanted,
            Selector::AtMost(bound) => mtype <= bound,
        }
    }

    /// Linux's `find_msg`: the index of the message a receive takes.
    fn find(self, messages: &VecDeque<Message>) -> Option<usize> {
        let Selector::AtMost(mut bound) = self else {
            return messages.iter().position(|message| self.accepts(message.mtype));
        };
        let mut found = None;
        for (index, message) in messages.iter().enumerate() {
            if message.mtype <= bound {
                if message.mtype == 1 {
                    return Some(index);
                }
                found = Some(index);
                bound = message.mtype - 1;
            }
        }
        found
    }
}

/// What a receive asks for.
#[derive(Clone, Copy, Debug)]
struct Request {
    /// The caller's buffer size (`msgsz`).
    size: usize,
    selector: Selector,
    /// `MSG_NOERROR`.
    no_error: bool,
}

impl Request {
    /// Whether a message of `length` bytes is too long for it (`E2BIG`).
    fn refuses(&self, length: usize) -> bool {
        length > self.size && !self.no_error
    }

    /// The reply that delivers `message`, cut to the size.
    fn reply(&self, mut message: Message) -> MessageReply {
        message.body.truncate(self.size);
        MessageReply::Received { mtype: message.mtype, body: message.body }
    }
}

/// A caller waiting in `msgrcv`.
#[derive(Clone, Debug)]
struct Receiver<W> {
    waiter: W,
    credentials: Credentials,
    request: Request,
}

/// A caller waiting in `msgsnd`, with its message.
#[derive(Clone, Debug)]
struct Sender<W> {
    waiter: W,
    credentials: Credentials,
    message: Message,
}

/// One queue (Linux's `struct msg_queue`).
#[derive(Clone, Debug)]
struct Queue<W> {
    stime: u64,
    rtime: u64,
    ctime: u64,
    cbytes: u64,
    qbytes: u64,
    lspid: u32,
    lrpid: u32,
    messages: VecDeque<Message>,
    receivers: VecDeque<Receiver<W>>,
    senders: VecDeque<Sender<W>>,
}

/// A byte count as the status reports it.
fn count(length: usize) -> u64 {
    u64::try_from(length).unwrap_or(u64::MAX)
}

impl<W: Clone + PartialEq> Queue<W> {
    fn new(now: u64) -> Self {
        Queue {
            stime: 0,
            rtime: 0,
            ctime: now,
            cbytes: 0,
            qbytes: count(MSGMNB),
            lspid: 0,
            lrpid: 0,
            messages: VecDeque::new(),
            receivers: VecDeque::new(),
            senders: VecDeque::new(),
        }
    }

    /// Linux's `msg_fits_inqueue`.
    fn fits(&self, length: usize) -> bool {
        count(length).saturating_add(self.cbytes) <= self.qbytes
            && count(self.messages.len()).saturating_add(1) <= self.qbytes
    }

    /// A message with room for it, from `pid`: to the first waiting receiver that takes it
    /// (`pipelined_send`), or to the end of the queue.
    fn deliver(
        &mut self,
        message: Message,
        pid: u32,
        now: u64,
        answers: &mut Vec<MessageAnswer<W>>,
    ) {
        self.lspid = pid;
        self.stime = now;
        let mut index = 0;
        while index < self.receivers.len() {
            if !self.receivers[index].request.selector.accepts(message.mtype) {
                index += 1;
                continue;
            }
            let Some(receiver) = self.receivers.remove(index) else { break };
            if receiver.request.refuses(message.body.len()) {
                answers.push(MessageAnswer { waiter: receiver.waiter, result: Err(Errno::E2big) });
                continue;
            }
            self.lrpid = receiver.credentials.pid;
            self.rtime = now;
            let reply = receiver.request.reply(message);
            answers.push(MessageAnswer { waiter: receiver.waiter, result: Ok(reply) });
            return;
        }
        self.cbytes += count(message.body.len());
        self.messages.push_back(message);
    }

    /// One attempt to receive for `pid`: the message taken, `E2BIG`, or `None` when no
    /// message is accepted.
    fn attempt(
        &mut self,
        request: &Request,
        pid: u32,
        now: u64,
    ) -> Option<Result<MessageReply, Errno>> {
        let index = request.selector.find(&self.messages)?;
        if request.refuses(self.messages[index].body.len()) {
            return Some(Err(Errno::E2big));
        }
        let message = self.messages.remove(index)?;
        self.cbytes -= count(message.body.len());
        self.rtime = now;
        self.lrpid = pid;
        Some(Ok(request.reply(message)))
    }

    /// Linux's `ss_wakeup` and what the woken senders do: every sender whose message fits
    /// now is woken, in arrival order; each checks its permission again and sends if its
    /// message still fits. The others keep waiting, those not woken first.
    fn wake_senders(
        &mut self,
        permissions: &Permissions,
        now: u64,
        answers: &mut Vec<MessageAnswer<W>>,
    ) {
        if self.senders.is_empty() {
            return;
        }
        let senders = core::mem::take(&mut self.senders);
        let (woken, mut waiting): (VecDeque<_>, VecDeque<_>) =
            senders.into_iter().partition(|sender| self.fits(sender.message.body.len()));
        for sender in woken {
            if !permitted(permissions, &sender.credentials, WRITE) {
                answers.push(MessageAnswer { waiter: sender.waiter, result: Err(Errno::Eacces) });
            } else if self.fits(sender.message.body.len()) {
                answers
                    .push(MessageAnswer { waiter: sender.waiter, result: Ok(MessageReply::Sent) });
                self.deliver(sender.message, sender.credentials.pid, now, answers);
            } else {
                waiting.push_back(sender);
            }
        }
        self.senders = waiting;
    }

    /// Every waiting receiver tries again (after `IPC_SET`, which wakes them with
    /// `EAGAIN`): without read permission now it fails with `EACCES`.
    fn retry_receivers(
        &mut self,
        permissions: &Permissions,
        now: u64,
        answers: &mut Vec<MessageAnswer<W>>,
    ) {
        for receiver in core::mem::take(&mut self.receivers) {
            if !permitted(permissions, &receiver.credentials, READ) {
                answers.push(MessageAnswer { waiter: receiver.waiter, result: Err(Errno::Eacces) });
                continue;
            }
            match self.attempt(&receiver.request, receiver.credentials.pid, now) {
                Some(result) => answers.push(MessageAnswer { waiter: receiver.waiter, result }),
                None => self.receivers.push_back(receiver),
            }
        }
    }

    /// Every waiter, answered `result`: receivers first, as Linux's `freeque`.
    fn answer_all(&mut self, result: &Result<MessageReply, Errno>) -> Vec<MessageAnswer<W>> {
        let receivers = self.receivers.drain(..).map(|receiver| receiver.waiter);
        let senders = self.senders.drain(..).map(|sender| sender.waiter);
        receivers
            .chain(senders)
            .map(|waiter| MessageAnswer { waiter, result: result.clone() })
            .collect()
    }

    fn status(&self, permissions: &Permissions) -> MessageQueueStatus {
        MessageQueueStatus {
            permissions: *permissions,
            stime: self.stime,
            rtime: self.rtime,
            ctime: self.ctime,
            cbytes: self.cbytes,
            qnum: count(self.messages.len()),
            qbytes: self.qbytes,
            lspid: self.lspid,
            lrpid: self.lrpid,
        }
    }
}

/// A count as a `struct msginfo` field.
fn info_field(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Every message queue, with the callers waiting on them.
#[derive(Clone, Debug)]
pub struct MessageQueues<W> {
    table: IdTable<Queue<W>>,
}

impl<W: Clone + PartialEq> Default for MessageQueues<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Clone + PartialEq> MessageQueues<W> {
    /// No queues.
    pub fn new() -> Self {
        MessageQueues { table: IdTable::new(MSGMNI) }
    }

    /// Queues in use.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `msgget(key, flags)`: the queue `key` names, or a new one (its `ctime` is `now`,
    /// its `qbytes` [`MSGMNB`]).
    ///
    /// # Errors
    ///
    /// As [`IdTable::get_or_create`]: `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC` beyond
    /// [`MSGMNI`] queues.
    pub fn get(
        &mut self,
        key: Key,
        flags: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Id, Errno> {
        self.table.get_or_create(key, flags, credentials, || Ok(Queue::new(now)), |_| Ok(()))
    }

    /// `msgsnd(id, {mtype, body}, body.len(), flags)` by `credentials`; `waiter` is kept if
    /// the caller must wait.
    #[expect(clippy::too_many_arguments, reason = "msgsnd's arguments and the caller's")]
    pub fn send(
        &mut self,
        id: Id,
        mtype: i64,
        body: Vec<u8>,
        flags: i32,
        credentials: &Credentials,
        now: u64,
        waiter: W,
    ) -> MessageOutcome<W> {
        if body.len() > MSGMAX || id < 0 || mtype < 1 {
            return MessageOutcome::Failed(Errno::Einval);
        }
        let (permissions, queue) = match self.table.lookup_mut(id) {
            Ok(found) => found,
            Err(error) => return MessageOutcome::Failed(error),
        };
        if !permitted(permissions, credentials, WRITE) {
            return MessageOutcome::Failed(Errno::Eacces);
        }
        let message = Message { mtype, body };
        if !queue.fits(message.body.len()) {
            if flags & IPC_NOWAIT != 0 {
                return MessageOutcome::Failed(Errno::Eagain);
            }
            queue.senders.push_back(Sender { waiter, credentials: *credentials, message });
            return MessageOutcome::Blocked;
        }
        let mut answers = Vec::new();
        queue.deliver(message, credentials.pid, now, &mut answers);
        MessageOutcome::Done { reply: MessageReply::Sent, answers }
    }

    /// `msgrcv(id, buffer of size bytes, mtype, flags)` by `credentials`; `waiter` is kept
    /// if the caller must wait.
    #[expect(clippy::too_many_arguments, reason = "msgrcv's arguments and the caller's")]
    pub fn receive(
        &mut self,
        id: Id,
        size: usize,
        mtype: i64,
        flags: i32,
        credentials: &Credentials,
        now: u64,
        waiter: W,
    ) -> MessageOutcome<W> {
        if id < 0 || isize::try_from(size).is_err() {
            return MessageOutcome::Failed(Errno::Einval);
        }
        if flags & MSG_COPY != 0 {
            let refused = flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0;
            return MessageOutcome::Failed(if refused { Errno::Einval } else { Errno::Enosys });
        }
        let request = Request {
            size,
            selector: Selector::new(mtype, flags),
            no_error: flags & MSG_NOERROR != 0,
        };
        let (permissions, queue) = match self.table.lookup_mut(id) {
            Ok(found) => found,
            Err(error) => return MessageOutcome::Failed(error),
        };
        if !permitted(permissions, credentials, READ) {
            return MessageOutcome::Failed(Errno::Eacces);
        }
        match queue.attempt(&request, credentials.pid, now) {
            Some(Ok(reply)) => {
                let mut answers = Vec::new();
                queue.wake_senders(permissions, now, &mut answers);
                MessageOutcome::Done { reply, answers }
            }
            Some(Err(error)) => MessageOutcome::Failed(error),
            None if flags & IPC_NOWAIT != 0 => MessageOutcome::Failed(Errno::Enomsg),
            None => {
                queue.receivers.push_back(Receiver { waiter, credentials: *credentials, request });
                MessageOutcome::Blocked
            }
        }
    }

    /// `msgctl(id, IPC_STAT)`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no queue, `EACCES` without read permission.
    pub fn status(&self, id: Id, credentials: &Credentials) -> Result<MessageQueueStatus, Errno> {
        let (permissions, queue) = self.table.lookup(id)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok(queue.status(permissions))
    }

    /// `msgctl(id, IPC_SET)` with the owner `uid` and `gid`, the permission bits of `mode`
    /// and `qbytes`; `ctime` becomes `now`. Waiting receivers without read permission now
    /// are answered `EACCES`, and waiting senders whose message now fits send it.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no queue; `EPERM` unless the caller owns or created the
    /// queue or is privileged, or when an unprivileged caller asks for more than
    /// [`MSGMNB`] bytes; `EINVAL` for a `uid` or `gid` of `-1`.
    #[expect(clippy::too_many_arguments, reason = "the fields IPC_SET changes")]
    pub fn set(
        &mut self,
        id: Id,
        credentials: &Credentials,
        uid: u32,
        gid: u32,
        mode: u32,
        qbytes: u64,
        now: u64,
    ) -> Result<Vec<MessageAnswer<W>>, Errno> {
        let (permissions, queue) = self.table.lookup_mut(id)?;
        // A caller that may not control the queue gets EPERM from `set_permissions` too;
        // raising qbytes is checked first, before the ids (Linux's `msgctl_down`).
        if qbytes > count(MSGMNB) && !credentials.is_privileged() {
            return Err(Errno::Eperm);
        }
        set_permissions(permissions, credentials, uid, gid, mode)?;
        queue.qbytes = qbytes;
        queue.ctime = now;
        let mut answers = Vec::new();
        queue.retry_receivers(permissions, now, &mut answers);
        queue.wake_senders(permissions, now, &mut answers);
        Ok(answers)
    }

    /// `msgctl(id, IPC_RMID)`: the queue and its messages go, and every waiter is answered
    /// `EIDRM`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no queue; `EPERM` unless the caller owns or created the
    /// queue or is privileged.
    pub fn remove(
        &mut self,
        id: Id,
        credentials: &Credentials,
    ) -> Result<Vec<MessageAnswer<W>>, Errno> {
        let (permissions, _) = self.table.lookup(id)?;
        if !may_control(permissions, credentials) {
            return Err(Errno::Eperm);
        }
        let (_, mut queue) = self.table.remove(id)?;
        Ok(queue.answer_all(&Err(Errno::Eidrm)))
    }

    /// A waiting caller was interrupted by a signal: it stops waiting and is answered
    /// `EINTR` (`None` if it was not waiting).
    pub fn cancel(&mut self, waiter: &W) -> Option<MessageAnswer<W>> {
        let waiter = self.take_waiter(waiter)?;
        Some(MessageAnswer { waiter, result: Err(Errno::Eintr) })
    }

    /// A waiting caller died: it stops waiting, unanswered (a waiting sender's message is
    /// dropped). Whether it was waiting.
    pub fn forget(&mut self, waiter: &W) -> bool {
        self.take_waiter(waiter).is_some()
    }

    /// Removes `waiter` from the queue it waits on.
    fn take_waiter(&mut self, waiter: &W) -> Option<W> {
        for (_, _, queue) in self.table.iter_mut() {
            if let Some(index) = queue.receivers.iter().position(|other| other.waiter == *waiter) {
                return queue.receivers.remove(index).map(|receiver| receiver.waiter);
            }
            if let Some(index) = queue.senders.iter().position(|other| other.waiter == *waiter) {
                return queue.senders.remove(index).map(|sender| sender.waiter);
            }
        }
        None
    }

    /// `msgctl(IPC_INFO)` and `msgctl(MSG_INFO)`: the limits and the counts (see
    /// [`MessageInfo::fields`]), and the highest slot in use (`msgctl` returns it, or 0 when
    /// `None`).
    pub fn info(&self) -> (MessageInfo, Option<usize>) {
        let (messages, bytes) =
            self.table.iter().fold((0, 0), |(messages, bytes), (_, _, queue)| {
                (messages + queue.messages.len(), bytes + queue.cbytes)
            });
        let info = MessageInfo {
            msgpool: MSGPOOL,
            msgmap: MSGMAP,
            msgmax: info_field(MSGMAX),
            msgmnb: info_field(MSGMNB),
            msgmni: info_field(MSGMNI),
            msgssz: MSGSSZ,
            msgtql: MSGTQL,
            msgseg: MSGSEG,
            queues_in_use: info_field(self.table.len()),
            messages_queued: info_field(messages),
            bytes_queued: i32::try_from(bytes).unwrap_or(i32::MAX),
        };
        (info, self.table.highest_slot())
    }

    /// `msgctl(slot, MSG_STAT)`: the status of the queue in a slot (the low bits of `slot`,
    /// as Linux masks it), with its id.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an empty slot, `EACCES` without read permission.
    pub fn status_by_slot(
        &self,
        slot: usize,
        credentials: &Credentials,
    ) -> Result<(Id, MessageQueueStatus), Errno> {
        let (id, permissions, queue) = self.table.by_slot(slot % SLOTS).ok_or(Errno::Einval)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok((id, queue.status(permissions)))
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};

    const ROOT: Credentials = Credentials { pid: 1, uid: 0, euid: 0, gid: 0, egid: 0 };
    const OWNER: Credentials = Credentials { pid: 10, uid: 1000, euid: 1000, gid: 100, egid: 100 };
    const OTHER: Credentials = Credentials { pid: 11, uid: 1001, euid: 1001, gid: 101, egid: 101 };
    const MEMBER: Credentials = Credentials { pid: 12, uid: 1002, euid: 1002, gid: 100, egid: 100 };

    type Queues = MessageQueues<u32>;

    fn queue(queues: &mut Queues, mode: i32) -> Id {
        queues.get(IPC_PRIVATE, mode, &OWNER, 5).unwrap()
    }

    fn send(
        queues: &mut Queues,
        id: Id,
        mtype: i64,
        body: &[u8],
        flags: i32,
    ) -> MessageOutcome<u32> {
        queues.send(id, mtype, body.to_vec(), flags, &OWNER, 7, 0)
    }

    fn sent() -> MessageOutcome<u32> {
        MessageOutcome::Done { reply: MessageReply::Sent, answers: vec![] }
    }

    fn received(mtype: i64, body: &[u8]) -> MessageReply {
        MessageReply::Received { mtype, body: body.to_vec() }
    }

    fn receive(
        queues: &mut Queues,
        id: Id,
        size: usize,
        mtype: i64,
        flags: i32,
    ) -> Result<MessageReply, Errno> {
        match queues.receive(id, size, mtype, flags | IPC_NOWAIT, &OWNER, 9, 0) {
            MessageOutcome::Done { reply, answers } => {
                assert!(answers.is_empty());
                Ok(reply)
            }
            MessageOutcome::Failed(error) => Err(error),
            MessageOutcome::Blocked => panic!("IPC_NOWAIT blocked"),
        }
    }

    fn answer(waiter: u32, result: Result<MessageReply, Errno>) -> MessageAnswer<u32> {
        MessageAnswer { waiter, result }
    }

    #[test]
    fn a_new_queue_has_linux_defaults() {
        let mut queues = Queues::new();
        assert!(queues.is_empty());
        let id = queues.get(77, IPC_CREAT | 0o640, &OWNER, 123).unwrap();
        assert_eq!(queues.get(77, 0, &OWNER, 200), Ok(id));
        assert_eq!(queues.get(77, IPC_CREAT | IPC_EXCL, &OWNER, 200), Err(Errno::Eexist));
        assert_eq!(queues.get(78, 0, &OWNER, 200), Err(Errno::Enoent));
        assert_eq!(queues.len(), 1);
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!(
            status,
            MessageQueueStatus {
                permissions: Permissions {
                    key: 77,
                    uid: 1000,
                    gid: 100,
                    cuid: 1000,
                    cgid: 100,
                    mode: 0o640,
                    sequence: 0,
                },
                stime: 0,
                rtime: 0,
                ctime: 123,
                cbytes: 0,
                qnum: 0,
                qbytes: MSGMNB as u64,
                lspid: 0,
                lrpid: 0,
            }
        );
        assert_eq!(queues.status(id, &MEMBER).map(|status| status.qnum), Ok(0));
        assert_eq!(queues.status(id, &OTHER), Err(Errno::Eacces));
        assert_eq!(queues.status(id + 1, &OWNER), Err(Errno::Einval));
        assert_eq!(queues.status(-1, &OWNER), Err(Errno::Einval));
    }

    #[test]
    fn msgget_refuses_beyond_msgmni() {
        let mut queues = Queues::new();
        for _ in 0..MSGMNI {
            queue(&mut queues, 0o600);
        }
        assert_eq!(queues.get(IPC_PRIVATE, 0o600, &OWNER, 5), Err(Errno::Enospc));
        assert_eq!(queues.get(5, IPC_CREAT | 0o600, &OWNER, 5), Err(Errno::Enospc));
        assert_eq!(queues.info().1, Some(MSGMNI - 1));
    }

    #[test]
    fn msgsnd_checks_arguments_then_the_queue_then_permission() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        assert_eq!(send(&mut queues, id, 0, b"x", 0), MessageOutcome::Failed(Errno::Einval));
        assert_eq!(send(&mut queues, id, -5, b"x", 0), MessageOutcome::Failed(Errno::Einval));
        let too_long = vec![0; MSGMAX + 1];
        assert_eq!(send(&mut queues, id, 1, &too_long, 0), MessageOutcome::Failed(Errno::Einval));
        assert_eq!(send(&mut queues, -1, 1, b"x", 0), MessageOutcome::Failed(Errno::Einval));
        assert_eq!(send(&mut queues, id + 1, 1, b"x", 0), MessageOutcome::Failed(Errno::Einval));
        let refused = queues.send(id, 1, b"x".to_vec(), 0, &OTHER, 7, 0);
        assert_eq!(refused, MessageOutcome::Failed(Errno::Eacces));
        assert_eq!(queues.send(id, 1, b"x".to_vec(), 0, &ROOT, 7, 0), sent());
        assert_eq!(send(&mut queues, id, 1, &vec![7; MSGMAX], 0), sent());
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!((status.qnum, status.cbytes), (2, MSGMAX as u64 + 1));
        assert_eq!((status.lspid, status.stime, status.lrpid, status.rtime), (10, 7, 0, 0));
    }

    #[test]
    fn msgrcv_selects_as_find_msg_does() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        for (mtype, body) in [(4, b"a"), (2, b"b"), (3, b"c"), (2, b"d"), (7, b"e"), (1, b"f")] {
            assert_eq!(send(&mut queues, id, mtype, body, 0), sent());
        }
        // The first message of the lowest type not above |msgtyp|.
        assert_eq!(receive(&mut queues, id, 10, -3, 0), Ok(received(1, b"f")));
        assert_eq!(receive(&mut queues, id, 10, -3, 0), Ok(received(2, b"b")));
        assert_eq!(receive(&mut queues, id, 10, 3, MSG_EXCEPT), Ok(received(4, b"a")));
        assert_eq!(receive(&mut queues, id, 10, 7, 0), Ok(received(7, b"e")));
        assert_eq!(receive(&mut queues, id, 10, 7, 0), Err(Errno::Enomsg));
        assert_eq!(receive(&mut queues, id, 10, 1, 0), Err(Errno::Enomsg));
        assert_eq!(receive(&mut queues, id, 10, -1, 0), Err(Errno::Enomsg));
        // MSG_EXCEPT means nothing with msgtyp 0 or below.
        assert_eq!(receive(&mut queues, id, 10, 0, MSG_EXCEPT), Ok(received(3, b"c")));
        assert_eq!(receive(&mut queues, id, 10, i64::MIN, MSG_EXCEPT), Ok(received(2, b"d")));
        assert_eq!(receive(&mut queues, id, 10, 0, 0), Err(Errno::Enomsg));
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!((status.qnum, status.cbytes, status.lrpid, status.rtime), (0, 0, 10, 9));
    }

    #[test]
    fn a_long_message_is_e2big_unless_msg_noerror_cuts_it() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        assert_eq!(send(&mut queues, id, 1, b"hello", 0), sent());
        let before = queues.status(id, &OWNER).unwrap();
        assert_eq!(receive(&mut queues, id, 4, 0, 0), Err(Errno::E2big));
        assert_eq!(queues.status(id, &OWNER), Ok(before));
        assert_eq!(receive(&mut queues, id, 5, 9, 0), Err(Errno::Enomsg));
        assert_eq!(queues.status(id, &OWNER), Ok(before));
        assert_eq!(receive(&mut queues, id, 0, 0, MSG_NOERROR), Ok(received(1, b"")));
        assert_eq!(send(&mut queues, id, 1, b"hello", 0), sent());
        assert_eq!(receive(&mut queues, id, 3, 0, MSG_NOERROR), Ok(received(1, b"hel")));
        assert_eq!(send(&mut queues, id, 1, b"hello", 0), sent());
        assert_eq!(receive(&mut queues, id, 5, 0, 0), Ok(received(1, b"hello")));
    }

    #[test]
    fn msgrcv_checks_arguments_then_the_queue_then_permission() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o620);
        assert_eq!(receive(&mut queues, -1, 1, 0, 0), Err(Errno::Einval));
        assert_eq!(receive(&mut queues, id, usize::MAX, 0, 0), Err(Errno::Einval));
        assert_eq!(receive(&mut queues, id + 1, 1, 0, 0), Err(Errno::Einval));
        let refused = queues.receive(id, 1, 0, IPC_NOWAIT, &MEMBER, 9, 0);
        assert_eq!(refused, MessageOutcome::Failed(Errno::Eacces));
        assert_eq!(queues.send(id, 1, b"m".to_vec(), 0, &MEMBER, 7, 0), sent());
    }

    #[test]
    fn msg_copy_is_refused_as_without_checkpoint_restore() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        assert_eq!(send(&mut queues, id, 1, b"m", 0), sent());
        assert_eq!(receive(&mut queues, id, 1, 0, MSG_COPY), Err(Errno::Enosys));
        assert_eq!(receive(&mut queues, id, 1, 0, MSG_COPY | MSG_EXCEPT), Err(Errno::Einval));
        let blocking = queues.receive(id, 1, 0, MSG_COPY, &OWNER, 9, 0);
        assert_eq!(blocking, MessageOutcome::Failed(Errno::Einval));
        // Before the id is looked at.
        assert_eq!(receive(&mut queues, id + 1, 1, 0, MSG_COPY), Err(Errno::Enosys));
        assert_eq!(queues.status(id, &OWNER).unwrap().qnum, 1);
    }

    #[test]
    fn a_queue_holds_qbytes_bytes_and_qbytes_messages() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        queues.set(id, &OWNER, 1000, 100, 0o600, 3, 8).unwrap();
        for _ in 0..3 {
            assert_eq!(send(&mut queues, id, 1, b"", IPC_NOWAIT), sent());
        }
        assert_eq!(
            send(&mut queues, id, 1, b"", IPC_NOWAIT),
            MessageOutcome::Failed(Errno::Eagain)
        );
        queues.set(id, &OWNER, 1000, 100, 0o600, 10, 8).unwrap();
        assert_eq!(send(&mut queues, id, 1, b"1234567890", IPC_NOWAIT), sent());
        assert_eq!(
            send(&mut queues, id, 1, b"x", IPC_NOWAIT),
            MessageOutcome::Failed(Errno::Eagain)
        );
        queues.set(id, &OWNER, 1000, 100, 0o600, 0, 8).unwrap();
        assert_eq!(receive(&mut queues, id, 100, 0, 0), Ok(received(1, b"")));
        assert_eq!(
            send(&mut queues, id, 1, b"", IPC_NOWAIT),
            MessageOutcome::Failed(Errno::Eagain)
        );
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!((status.qnum, status.cbytes, status.qbytes), (3, 10, 0));
    }

    #[test]
    fn waiting_senders_are_retried_in_order_when_room_appears() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o666);
        queues.set(id, &OWNER, 1000, 100, 0o666, 10, 8).unwrap();
        assert_eq!(send(&mut queues, id, 1, b"1234567890", 0), sent());
        let mut wait = |mtype, body: &[u8], who: &Credentials, waiter| {
            let outcome = queues.send(id, mtype, body.to_vec(), 0, who, 20, waiter);
            assert_eq!(outcome, MessageOutcome::Blocked);
        };
        wait(2, b"abcdef", &OTHER, 1);
        wait(3, b"z", &MEMBER, 2);
        wait(4, b"wxyz", &ROOT, 3);
        // Taking 10 bytes wakes every sender (all fit an empty queue); in order, 6 bytes and
        // 1 byte go in, and 4 bytes no longer fit: that sender waits on.
        let outcome = queues.receive(id, 100, 0, 0, &OWNER, 30, 4);
        let answers = vec![answer(1, Ok(MessageReply::Sent)), answer(2, Ok(MessageReply::Sent))];
        assert_eq!(outcome, MessageOutcome::Done { reply: received(1, b"1234567890"), answers });
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!((status.qnum, status.cbytes, status.lspid, status.stime), (2, 7, 12, 30));
        assert_eq!((status.lrpid, status.rtime), (10, 30));
        assert_eq!(queues.cancel(&3), Some(answer(3, Err(Errno::Eintr))));
        // A small message overtakes a large one waiting.
        assert_eq!(send(&mut queues, id, 8, b"pad", IPC_NOWAIT), sent());
        let mut wait = |mtype, body: &[u8], waiter| {
            let outcome = queues.send(id, mtype, body.to_vec(), 0, &OWNER, 31, waiter);
            assert_eq!(outcome, MessageOutcome::Blocked);
        };
        wait(5, b"large", 5);
        wait(6, b"s", 6);
        let outcome = queues.receive(id, 100, 3, 0, &OWNER, 33, 7);
        let answers = vec![answer(6, Ok(MessageReply::Sent))];
        assert_eq!(outcome, MessageOutcome::Done { reply: received(3, b"z"), answers });
        let outcome = queues.receive(id, 100, 2, 0, &OWNER, 34, 7);
        let answers = vec![answer(5, Ok(MessageReply::Sent))];
        assert_eq!(outcome, MessageOutcome::Done { reply: received(2, b"abcdef"), answers });
        assert_eq!(receive(&mut queues, id, 100, 0, 0), Ok(received(8, b"pad")));
        assert_eq!(receive(&mut queues, id, 100, 0, 0), Ok(received(6, b"s")));
        assert_eq!(receive(&mut queues, id, 100, 0, 0), Ok(received(5, b"large")));
    }

    #[test]
    fn a_woken_sender_checks_its_permission_again() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o622);
        queues.set(id, &OWNER, 1000, 100, 0o622, 1, 8).unwrap();
        assert_eq!(send(&mut queues, id, 1, b"x", 0), sent());
        assert_eq!(queues.send(id, 1, b"y".to_vec(), 0, &OTHER, 20, 1), MessageOutcome::Blocked);
        // The owner takes write permission away and makes room in one IPC_SET.
        let answers = queues.set(id, &OWNER, 1000, 100, 0o600, 2, 21).unwrap();
        assert_eq!(answers, vec![answer(1, Err(Errno::Eacces))]);
        assert_eq!(queues.status(id, &OWNER).unwrap().ctime, 21);
    }

    #[test]
    fn a_send_goes_straight_to_the_first_receiver_that_accepts_it() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o666);
        let wait = |queues: &mut Queues, size, mtype, flags, who: &Credentials, waiter| {
            queues.receive(id, size, mtype, flags, who, 3, waiter)
        };
        assert_eq!(wait(&mut queues, 10, 5, 0, &OTHER, 1), MessageOutcome::Blocked);
        assert_eq!(wait(&mut queues, 2, 0, 0, &MEMBER, 2), MessageOutcome::Blocked);
        assert_eq!(wait(&mut queues, 2, -3, MSG_NOERROR, &ROOT, 3), MessageOutcome::Blocked);
        assert_eq!(wait(&mut queues, 100, 0, 0, &OWNER, 4), MessageOutcome::Blocked);
        // Type 2, 5 bytes: receiver 1 does not accept it, receiver 2 is too small (E2BIG,
        // and the search goes on), receiver 3 takes it cut to 2 bytes.
        let outcome = queues.send(id, 2, b"hello".to_vec(), 0, &OWNER, 40, 9);
        let answers = vec![answer(2, Err(Errno::E2big)), answer(3, Ok(received(2, b"he")))];
        assert_eq!(outcome, MessageOutcome::Done { reply: MessageReply::Sent, answers });
        let status = queues.status(id, &OWNER).unwrap();
        assert_eq!(
            (status.qnum, status.lspid, status.stime, status.lrpid, status.rtime),
            (0, 10, 40, 1, 40)
        );
        let outcome = queues.send(id, 5, b"five".to_vec(), 0, &OWNER, 41, 9);
        let answers = vec![answer(1, Ok(received(5, b"five")))];
        assert_eq!(outcome, MessageOutcome::Done { reply: MessageReply::Sent, answers });
        let outcome = queues.send(id, 6, b"six".to_vec(), 0, &OWNER, 42, 9);
        let answers = vec![answer(4, Ok(received(6, b"six")))];
        assert_eq!(outcome, MessageOutcome::Done { reply: MessageReply::Sent, answers });
        assert_eq!(send(&mut queues, id, 6, b"queued", 0), sent());
        assert_eq!(queues.status(id, &OWNER).unwrap().qnum, 1);
    }

    #[test]
    fn a_full_queue_makes_a_sender_wait_even_for_a_waiting_receiver() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        queues.set(id, &OWNER, 1000, 100, 0o600, 1, 8).unwrap();
        assert_eq!(send(&mut queues, id, 1, b"x", 0), sent());
        assert_eq!(queues.receive(id, 10, 2, 0, &OWNER, 3, 1), MessageOutcome::Blocked);
        assert_eq!(
            send(&mut queues, id, 2, b"y", IPC_NOWAIT),
            MessageOutcome::Failed(Errno::Eagain)
        );
        assert_eq!(queues.send(id, 2, b"y".to_vec(), 0, &OWNER, 4, 2), MessageOutcome::Blocked);
        // Taking the first message lets the sender in, and its message goes to receiver 1.
        let outcome = queues.receive(id, 10, 1, 0, &OWNER, 5, 3);
        let answers = vec![answer(2, Ok(MessageReply::Sent)), answer(1, Ok(received(2, b"y")))];
        assert_eq!(outcome, MessageOutcome::Done { reply: received(1, b"x"), answers });
        assert_eq!(queues.status(id, &OWNER).unwrap().qnum, 0);
    }

    #[test]
    fn ipc_set_follows_msgctl_down() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o644);
        assert_eq!(queues.set(id, &OTHER, 1001, 101, 0o666, 100, 8), Err(Errno::Eperm));
        assert_eq!(
            queues.set(id, &OWNER, 1000, 100, 0o666, MSGMNB as u64 + 1, 8),
            Err(Errno::Eperm)
        );
        assert_eq!(queues.set(id, &OWNER, u32::MAX, 100, 0o666, 100, 8), Err(Errno::Einval));
        assert_eq!(queues.set(id + 1, &OWNER, 1000, 100, 0o666, 100, 8), Err(Errno::Einval));
        assert_eq!(queues.status(id, &OWNER).unwrap().ctime, 5);
        // The creator keeps control after giving the queue away; root may raise qbytes.
        assert_eq!(queues.set(id, &OWNER, 1001, 101, 0o7640, 100, 8), Ok(vec![]));
        assert_eq!(queues.set(id, &ROOT, 1001, 101, 0o640, 1 << 40, 9), Ok(vec![]));
        let status = queues.status(id, &OTHER).unwrap();
        let permissions = status.permissions;
        assert_eq!(
            (permissions.uid, permissions.gid, permissions.cuid, permissions.mode),
            (1001, 101, 1000, 0o640)
        );
        assert_eq!((status.qbytes, status.ctime), (1 << 40, 9));
    }

    #[test]
    fn ipc_set_fails_waiting_receivers_that_lost_read_permission() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o644);
        assert_eq!(queues.receive(id, 10, 0, 0, &OTHER, 3, 1), MessageOutcome::Blocked);
        assert_eq!(queues.receive(id, 10, 0, 0, &OWNER, 3, 2), MessageOutcome::Blocked);
        assert_eq!(queues.receive(id, 10, 0, 0, &MEMBER, 3, 3), MessageOutcome::Blocked);
        let answers = queues.set(id, &OWNER, 1000, 100, 0o640, 100, 8).unwrap();
        assert_eq!(answers, vec![answer(1, Err(Errno::Eacces))]);
        // The others wait on, in their order.
        let outcome = queues.send(id, 1, b"a".to_vec(), 0, &OWNER, 9, 9);
        let answers = vec![answer(2, Ok(received(1, b"a")))];
        assert_eq!(outcome, MessageOutcome::Done { reply: MessageReply::Sent, answers });
        assert!(queues.forget(&3));
        assert!(!queues.forget(&3));
        assert_eq!(queues.cancel(&3), None);
    }

    #[test]
    fn ipc_rmid_answers_every_waiter_eidrm() {
        let mut queues = Queues::new();
        let id = queues.get(9, IPC_CREAT | 0o666, &OWNER, 5).unwrap();
        queues.set(id, &OWNER, 1000, 100, 0o666, 1, 8).unwrap();
        assert_eq!(send(&mut queues, id, 1, b"x", 0), sent());
        assert_eq!(queues.send(id, 1, b"y".to_vec(), 0, &OTHER, 3, 1), MessageOutcome::Blocked);
        assert_eq!(queues.receive(id, 10, 2, 0, &MEMBER, 3, 2), MessageOutcome::Blocked);
        assert_eq!(queues.remove(id, &OTHER), Err(Errno::Eperm));
        let answers = queues.remove(id, &OWNER).unwrap();
        assert_eq!(answers, vec![answer(2, Err(Errno::Eidrm)), answer(1, Err(Errno::Eidrm))]);
        assert_eq!(queues.remove(id, &OWNER), Err(Errno::Einval));
        assert_eq!(send(&mut queues, id, 1, b"x", 0), MessageOutcome::Failed(Errno::Einval));
        assert_eq!(queues.cancel(&1), None);
        assert!(queues.is_empty());
        // The key is free again, and the new queue has a different id.
        let again = queues.get(9, IPC_CREAT | IPC_EXCL | 0o600, &OWNER, 5).unwrap();
        assert_ne!(again, id);
    }

    #[test]
    fn cancel_and_forget_remove_a_waiter_and_nothing_else() {
        let mut queues = Queues::new();
        let id = queue(&mut queues, 0o600);
        queues.set(id, &OWNER, 1000, 100, 0o600, 1, 8).unwrap();
        assert_eq!(queues.receive(id, 10, 5, 0, &OWNER, 3, 1), MessageOutcome::Blocked);
        assert_eq!(send(&mut queues, id, 1, b"x", 0), sent());
        assert_eq!(queues.send(id, 2, b"y".to_vec(), 0, &OWNER, 3, 2), MessageOutcome::Blocked);
        assert_eq!(queues.send(id, 3, b"z".to_vec(), 0, &OWNER, 3, 3), MessageOutcome::Blocked);
        let before = queues.status(id, &OWNER).unwrap();
        assert_eq!(queues.cancel(&1), Some(answer(1, Err(Errno::Eintr))));
        assert!(queues.forget(&2));
        assert_eq!(queues.status(id, &OWNER), Ok(before));
        let outcome = queues.receive(id, 10, 0, 0, &OWNER, 4, 4);
        let answers = vec![answer(3, Ok(MessageReply::Sent))];
        assert_eq!(outcome, MessageOutcome::Done { reply: received(1, b"x"), answers });
    }

    #[test]
    fn info_and_msg_stat_report_as_linux() {
        let mut queues = Queues::new();
        let (info, highest) = queues.info();
        assert_eq!(highest, None);
        assert_eq!(info.fields(false), [512_000, 16384, 8192, 16384, 32000, 16, 16384, 0xffff]);
        assert_eq!(info.fields(true), [0, 0, 8192, 16384, 32000, 16, 0, 0xffff]);
        let first = queue(&mut queues, 0o600);
        let second = queue(&mut queues, 0o600);
        let third = queue(&mut queues, 0o000);
        queues.remove(second, &OWNER).unwrap();
        assert_eq!(send(&mut queues, first, 1, b"abc", 0), sent());
        assert_eq!(send(&mut queues, first, 1, b"de", 0), sent());
        let (info, highest) = queues.info();
        assert_eq!(highest, Some(2));
        assert_eq!(info.fields(true)[..3], [2, 2, 8192]);
        assert_eq!(info.fields(true)[6], 5);
        let (id, status) = queues.status_by_slot(0, &OWNER).unwrap();
        assert_eq!((id, status.qnum), (first, 2));
        assert_eq!(queues.status_by_slot(SLOTS, &OWNER).map(|(id, _)| id), Ok(first));
        assert_eq!(queues.status_by_slot(1, &OWNER), Err(Errno::Einval));
        assert_eq!(queues.status_by_slot(2, &OWNER), Err(Errno::Eacces));
        assert_eq!(queues.status_by_slot(2, &ROOT).map(|(id, _)| id), Ok(third));
    }
}
