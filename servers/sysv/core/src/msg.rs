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
/// `msgrcv` flag: cut a message longer than the buffer instead of failing with `E2BIG`.
pub const MSG_NOERROR: i32 = 0o10000;
/// `msgrcv` flag: with a positive `msgtyp`, take the first message of any other type.
pub const MSG_EXCEPT: i32 = 0o20000;
/// `msgrcv` flag: copy the message at an index without taking it (refused, see the notes).
pub const MSG_COPY: i32 = 0o40000;
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

/// What `msgctl(IPC_INFO)` and `msgctl(MSG_INFO)` report (`struct msginfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// `IPC_INFO`: [`MSGPOOL`]; `MSG_INFO`: the queues in use.
    pub msgpool: i32,
    /// `IPC_INFO`: [`MSGMAP`]; `MSG_INFO`: the messages queued in all queues.
    pub msgmap: i32,
    /// [`MSGMAX`].
    pub msgmax: i32,
    /// [`MSGMNB`].
    pub msgmnb: i32,
    /// [`MSGMNI`].
    pub msgmni: i32,
    /// [`MSGSSZ`].
    pub msgssz: i32,
    /// `IPC_INFO`: [`MSGTQL`]; `MSG_INFO`: the bytes queued in all queues.
    pub msgtql: i32,
    /// [`MSGSEG`].
    pub msgseg: u16,
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
        if !may_control(permissions, credentials) {
            return Err(Errno::Eperm);
        }
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

    /// `msgctl(IPC_INFO)`: the limits, and the highest slot in use (`msgctl` returns it, or
    /// 0 when `None`).
    pub fn info(&self) -> (MessageInfo, Option<usize>) {
        let info = MessageInfo {
            msgpool: MSGPOOL,
            msgmap: MSGMAP,
            msgmax: info_field(MSGMAX),
            msgmnb: info_field(MSGMNB),
            msgmni: info_field(MSGMNI),
            msgssz: MSGSSZ,
            msgtql: MSGTQL,
            msgseg: MSGSEG,
        };
        (info, self.table.highest_slot())
    }

    /// `msgctl(MSG_INFO)`: as [`MessageQueues::info`], with the queues in use, the messages
    /// queued and their bytes in `msgpool`, `msgmap` and `msgtql`.
    pub fn usage(&self) -> (MessageInfo, Option<usize>) {
        let (mut info, highest) = self.info();
        let (messages, bytes) =
            self.table.iter().fold((0, 0), |(messages, bytes), (_, _, queue)| {
                (messages + queue.messages.len(), bytes + queue.cbytes)
            });
        info.msgpool = info_field(self.table.len());
        info.msgmap = info_field(messages);
        info.msgtql = i32::try_from(bytes).unwrap_or(i32::MAX);
        (info, highest)
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
