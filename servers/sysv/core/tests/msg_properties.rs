//! Property test: random sequences of `msgget`, `msgsnd`, `msgrcv` (waiting or not),
//! `msgctl` and interrupted or dead waiters, applied to [`MessageQueues`] and to a plain
//! reference model written from the rules of Linux's `ipc/msg.c`, must give the same
//! results, the same answers to waiters in the same order, and the same status of every
//! queue after every step.
//!
//! The model keeps each queue's messages and waiters in plain vectors and finds messages
//! by scanning (the lowest acceptable type first, then the first of that type); its ids
//! are the ones the core returns, checked to be new. Beyond agreement, every waiter must be
//! answered at most once, and only while it waits.

use courier_sysv_core::Errno;
use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, Id, Key, Permissions};
use courier_sysv_core::msg::{
    MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB, MessageAnswer, MessageOutcome, MessageQueueStatus,
    MessageQueues, MessageReply,
};
use model::{Who, allowed, controls, who};
use proptest::prelude::*;

mod model;

#[derive(Clone, Debug)]
enum Operation {
    Get {
        key: Key,
        create: bool,
        exclusive: bool,
        mode: u32,
        who: Who,
    },
    Send {
        queue: usize,
        mtype: i64,
        length: usize,
        wait: bool,
        who: Who,
    },
    Receive {
        queue: usize,
        size: usize,
        mtype: i64,
        except: bool,
        no_error: bool,
        wait: bool,
        who: Who,
    },
    Status {
        queue: usize,
        who: Who,
    },
    Set {
        queue: usize,
        who: Who,
        owner: Who,
        mode: u32,
        qbytes: u64,
    },
    Remove {
        queue: usize,
        who: Who,
    },
    Cancel {
        waiter: usize,
    },
    Forget {
        waiter: usize,
    },
}

#[derive(Clone, Debug)]
struct ModelReceiver {
    waiter: u32,
    who: Who,
    size: usize,
    mtype: i64,
    flags: i32,
}

#[derive(Clone, Debug)]
struct ModelSender {
    waiter: u32,
    who: Who,
    mtype: i64,
    body: Vec<u8>,
}

#[derive(Clone, Debug)]
struct ModelQueue {
    id: Id,
    permissions: Permissions,
    stime: u64,
    rtime: u64,
    ctime: u64,
    qbytes: u64,
    lspid: u32,
    lrpid: u32,
    messages: Vec<(i64, Vec<u8>)>,
    receivers: Vec<ModelReceiver>,
    senders: Vec<ModelSender>,
}

type Answers = Vec<MessageAnswer<u32>>;

/// Whether a receive for `mtype` with `flags` accepts a message of type `message`.
fn accepts(mtype: i64, flags: i32, message: i64) -> bool {
    if mtype == 0 {
        true
    } else if mtype < 0 {
        message <= mtype.checked_abs().unwrap_or(i64::MAX)
    } else if flags & MSG_EXCEPT != 0 {
        message != mtype
    } else {
        message == mtype
    }
}

/// The message a receive takes: for a negative type, the first of the lowest acceptable
/// type; otherwise the first acceptable one.
fn pick(messages: &[(i64, Vec<u8>)], mtype: i64, flags: i32) -> Option<usize> {
    let acceptable = messages
        .iter()
        .map(|(message, _)| *message)
        .filter(|&message| accepts(mtype, flags, message));
    if mtype < 0 {
        let lowest = acceptable.min()?;
        return messages.iter().position(|(message, _)| *message == lowest);
    }
    messages.iter().position(|(message, _)| accepts(mtype, flags, *message))
}

fn received(mtype: i64, body: &[u8], size: usize) -> MessageReply {
    MessageReply::Received { mtype, body: body[..body.len().min(size)].to_vec() }
}

impl ModelQueue {
    fn cbytes(&self) -> u64 {
        self.messages.iter().map(|(_, body)| body.len() as u64).sum()
    }

    fn fits(&self, length: usize) -> bool {
        length as u64 + self.cbytes() <= self.qbytes && (self.messages.len() as u64) < self.qbytes
    }

    fn deliver(&mut self, mtype: i64, body: Vec<u8>, pid: u32, now: u64, answers: &mut Answers) {
        self.lspid = pid;
        self.stime = now;
        let mut index = 0;
        while index < self.receivers.len() {
            let receiver = &self.receivers[index];
            if !accepts(receiver.mtype, receiver.flags, mtype) {
                index += 1;
                continue;
            }
            let receiver = self.receivers.remove(index);
            if body.len() > receiver.size && receiver.flags & MSG_NOERROR == 0 {
                answers.push(MessageAnswer { waiter: receiver.waiter, result: Err(Errno::E2big) });
                continue;
            }
            self.lrpid = receiver.who.credentials().pid;
            self.rtime = now;
            let reply = received(mtype, &body, receiver.size);
            answers.push(MessageAnswer { waiter: receiver.waiter, result: Ok(reply) });
            return;
        }
        self.messages.push((mtype, body));
    }

    /// A receive's attempt: `None` when nothing is accepted.
    fn take(
        &mut self,
        size: usize,
        mtype: i64,
        flags: i32,
        pid: u32,
        now: u64,
    ) -> Option<Result<MessageReply, Errno>> {
        let index = pick(&self.messages, mtype, flags)?;
        if self.messages[index].1.len() > size && flags & MSG_NOERROR == 0 {
            return Some(Err(Errno::E2big));
        }
        let (mtype, body) = self.messages.remove(index);
        self.rtime = now;
        self.lrpid = pid;
        Some(Ok(received(mtype, &body, size)))
    }

    fn wake_senders(&mut self, now: u64, answers: &mut Answers) {
        let senders = std::mem::take(&mut self.senders);
        let woken: Vec<bool> = senders.iter().map(|sender| self.fits(sender.body.len())).collect();
        let mut kept = Vec::new();
        for (sender, woken) in senders.into_iter().zip(woken) {
            if !woken {
                self.senders.push(sender);
            } else if !allowed(&self.permissions, sender.who, 0o222) {
                answers.push(MessageAnswer { waiter: sender.waiter, result: Err(Errno::Eacces) });
            } else if self.fits(sender.body.len()) {
                answers
                    .push(MessageAnswer { waiter: sender.waiter, result: Ok(MessageReply::Sent) });
                self.deliver(sender.mtype, sender.body, sender.who.credentials().pid, now, answers);
            } else {
                kept.push(sender);
            }
        }
        self.senders.extend(kept);
    }

    fn status(&self) -> MessageQueueStatus {
        MessageQueueStatus {
            permissions: self.permissions,
            stime: self.stime,
            rtime: self.rtime,
            ctime: self.ctime,
            cbytes: self.cbytes(),
            qnum: self.messages.len() as u64,
            qbytes: self.qbytes,
            lspid: self.lspid,
            lrpid: self.lrpid,
        }
    }
}

#[derive(Default)]
struct Model {
    queues: Vec<ModelQueue>,
    /// Every id the core returned, live or removed.
    ids: Vec<Id>,
    /// Every waiter that blocked, answered or not.
    waiters: Vec<u32>,
}

impl Model {
    fn id(&self, queue: usize) -> Id {
        if self.ids.is_empty() {
            -1
        } else {
            self.ids.get(queue % (self.ids.len() + 1)).copied().unwrap_or(-1)
        }
    }

    fn queue(&mut self, id: Id) -> Option<&mut ModelQueue> {
        self.queues.iter_mut().find(|queue| queue.id == id)
    }

    fn waiting(&self, waiter: u32) -> bool {
        self.queues.iter().any(|queue| {
            queue.receivers.iter().any(|receiver| receiver.waiter == waiter)
                || queue.senders.iter().any(|sender| sender.waiter == waiter)
        })
    }

    fn unwait(&mut self, waiter: u32) -> bool {
        for queue in &mut self.queues {
            let receivers = queue.receivers.len();
            queue.receivers.retain(|receiver| receiver.waiter != waiter);
            let senders = queue.senders.len();
            queue.senders.retain(|sender| sender.waiter != waiter);
            if receivers != queue.receivers.len() || senders != queue.senders.len() {
                return true;
            }
        }
        false
    }
}

fn body(step: usize, length: usize) -> Vec<u8> {
    (0..length).map(|index| (step * 31 + index) as u8).collect()
}

/// Applies `operations` to a core and a model; the first difference is an error.
fn compare(operations: &[Operation]) -> Result<(), TestCaseError> {
    let mut core = MessageQueues::<u32>::new();
    let mut model = Model::default();
    for (step, operation) in operations.iter().enumerate() {
        let now = 100 + step as u64;
        let waiter = step as u32;
        match *operation {
            Operation::Get { key, create, exclusive, mode, who } => {
                let flags = mode as i32
                    | if create { IPC_CREAT } else { 0 }
                    | if exclusive { IPC_EXCL } else { 0 };
                let result = core.get(key, flags, &who.credentials(), now);
                let existing = model
                    .queues
                    .iter()
                    .find(|queue| key != IPC_PRIVATE && queue.permissions.key == key);
                let expected = match existing {
                    Some(_) if create && exclusive => Err(Errno::Eexist),
                    Some(queue) if !allowed(&queue.permissions, who, mode) => Err(Errno::Eacces),
                    Some(queue) => Ok(queue.id),
                    None if key != IPC_PRIVATE && !create => Err(Errno::Enoent),
                    None => {
                        let id = result.map_err(|error| {
                            TestCaseError::fail(format!("step {step}: create failed: {error:?}"))
                        })?;
                        prop_assert!(
                            !model.queues.iter().any(|queue| queue.id == id),
                            "step {}: id {} reused",
                            step,
                            id
                        );
                        let credentials = who.credentials();
                        model.ids.push(id);
                        model.queues.push(ModelQueue {
                            id,
                            permissions: Permissions {
                                key,
                                uid: credentials.euid,
                                gid: credentials.egid,
                                cuid: credentials.euid,
                                cgid: credentials.egid,
                                mode: mode & 0o777,
                                sequence: (id as u32) >> 15,
                            },
                            stime: 0,
                            rtime: 0,
                            ctime: now,
                            qbytes: MSGMNB as u64,
                            lspid: 0,
                            lrpid: 0,
                            messages: Vec::new(),
                            receivers: Vec::new(),
                            senders: Vec::new(),
                        });
                        Ok(id)
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Send { queue, mtype, length, wait, who } => {
                let id = model.id(queue);
                let flags = if wait { 0 } else { IPC_NOWAIT };
                let message = body(step, length);
                let outcome =
                    core.send(id, mtype, message.clone(), flags, &who.credentials(), now, waiter);
                let expected = if length > MSGMAX || mtype < 1 {
                    MessageOutcome::Failed(Errno::Einval)
                } else if let Some(queue) = model.queue(id) {
                    if !allowed(&queue.permissions, who, 0o222) {
                        MessageOutcome::Failed(Errno::Eacces)
                    } else if queue.fits(length) {
                        let mut answers = Vec::new();
                        queue.deliver(mtype, message, who.credentials().pid, now, &mut answers);
                        MessageOutcome::Done { reply: MessageReply::Sent, answers }
                    } else if !wait {
                        MessageOutcome::Failed(Errno::Eagain)
                    } else {
                        queue.senders.push(ModelSender { waiter, who, mtype, body: message });
                        model.waiters.push(waiter);
                        MessageOutcome::Blocked
                    }
                } else {
                    MessageOutcome::Failed(Errno::Einval)
                };
                prop_assert_eq!(outcome, expected, "step {}: {:?}", step, operation);
            }
            Operation::Receive { queue, size, mtype, except, no_error, wait, who } => {
                let id = model.id(queue);
                let flags = if except { MSG_EXCEPT } else { 0 }
                    | if no_error { MSG_NOERROR } else { 0 }
                    | if wait { 0 } else { IPC_NOWAIT };
                let outcome = core.receive(id, size, mtype, flags, &who.credentials(), now, waiter);
                let expected = match model.queue(id) {
                    None => MessageOutcome::Failed(Errno::Einval),
                    Some(queue) if !allowed(&queue.permissions, who, 0o444) => {
                        MessageOutcome::Failed(Errno::Eacces)
                    }
                    Some(queue) => match queue.take(size, mtype, flags, who.credentials().pid, now)
                    {
                        Some(Ok(reply)) => {
                            let mut answers = Vec::new();
                            queue.wake_senders(now, &mut answers);
                            MessageOutcome::Done { reply, answers }
                        }
                        Some(Err(error)) => MessageOutcome::Failed(error),
                        None if !wait => MessageOutcome::Failed(Errno::Enomsg),
                        None => {
                            queue.receivers.push(ModelReceiver { waiter, who, size, mtype, flags });
                            model.waiters.push(waiter);
                            MessageOutcome::Blocked
                        }
                    },
                };
                prop_assert_eq!(outcome, expected, "step {}: {:?}", step, operation);
            }
            Operation::Status { queue, who } => {
                let id = model.id(queue);
                let result = core.status(id, &who.credentials());
                let expected = match model.queue(id) {
                    None => Err(Errno::Einval),
                    Some(queue) if !allowed(&queue.permissions, who, 0o444) => Err(Errno::Eacces),
                    Some(queue) => Ok(queue.status()),
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Set { queue, who, owner, mode, qbytes } => {
                let id = model.id(queue);
                let owner = owner.credentials();
                let credentials = who.credentials();
                let result = core.set(id, &credentials, owner.uid, owner.gid, mode, qbytes, now);
                let expected = match model.queue(id) {
                    None => Err(Errno::Einval),
                    Some(queue) => {
                        let permissions = &mut queue.permissions;
                        let raises = qbytes > MSGMNB as u64 && credentials.euid != 0;
                        if !controls(permissions, who) || raises {
                            Err(Errno::Eperm)
                        } else {
                            permissions.uid = owner.uid;
                            permissions.gid = owner.gid;
                            permissions.mode = mode & 0o777;
                            queue.qbytes = qbytes;
                            queue.ctime = now;
                            let mut answers = Vec::new();
                            for receiver in std::mem::take(&mut queue.receivers) {
                                if !allowed(&queue.permissions, receiver.who, 0o444) {
                                    answers.push(MessageAnswer {
                                        waiter: receiver.waiter,
                                        result: Err(Errno::Eacces),
                                    });
                                } else {
                                    prop_assert!(
                                        pick(&queue.messages, receiver.mtype, receiver.flags)
                                            .is_none()
                                    );
                                    queue.receivers.push(receiver);
                                }
                            }
                            queue.wake_senders(now, &mut answers);
                            Ok(answers)
                        }
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Remove { queue, who } => {
                let id = model.id(queue);
                let credentials = who.credentials();
                let result = core.remove(id, &credentials);
                let expected = match model.queues.iter().position(|queue| queue.id == id) {
                    None => Err(Errno::Einval),
                    Some(index) => {
                        let permissions = model.queues[index].permissions;
                        if !controls(&permissions, who) {
                            Err(Errno::Eperm)
                        } else {
                            let queue = model.queues.remove(index);
                            let receivers = queue.receivers.iter().map(|receiver| receiver.waiter);
                            let senders = queue.senders.iter().map(|sender| sender.waiter);
                            Ok(receivers
                                .chain(senders)
                                .map(|waiter| MessageAnswer { waiter, result: Err(Errno::Eidrm) })
                                .collect())
                        }
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Cancel { waiter } | Operation::Forget { waiter } => {
                let Some(&waiter) = model.waiters.get(waiter % model.waiters.len().max(1)) else {
                    continue;
                };
                let was_waiting = model.waiting(waiter);
                prop_assert_eq!(model.unwait(waiter), was_waiting);
                if let Operation::Cancel { .. } = operation {
                    let expected =
                        was_waiting.then_some(MessageAnswer { waiter, result: Err(Errno::Eintr) });
                    prop_assert_eq!(core.cancel(&waiter), expected, "step {}", step);
                } else {
                    prop_assert_eq!(core.forget(&waiter), was_waiting, "step {}", step);
                }
            }
        }
        // Every queue's status, and the totals, agree after every step.
        for queue in &model.queues {
            prop_assert_eq!(
                core.status(queue.id, &Who::Root.credentials()),
                Ok(queue.status()),
                "step {}",
                step
            );
            for receiver in &queue.receivers {
                prop_assert!(
                    pick(&queue.messages, receiver.mtype, receiver.flags).is_none(),
                    "step {}: a receiver waits beside a message it accepts",
                    step
                );
            }
        }
        let (info, highest) = core.info();
        let messages: usize = model.queues.iter().map(|queue| queue.messages.len()).sum();
        let bytes: u64 = model.queues.iter().map(ModelQueue::cbytes).sum();
        prop_assert_eq!(&info.fields(true)[..2], &[model.queues.len() as u64, messages as u64]);
        prop_assert_eq!(info.fields(true)[6], bytes);
        prop_assert_eq!(
            highest,
            model.queues.iter().map(|queue| (queue.id & 0x7fff) as usize).max()
        );
        prop_assert_eq!(core.len(), model.queues.len());
    }
    Ok(())
}

fn operation() -> impl Strategy<Value = Operation> {
    let mode = prop::sample::select(vec![0o600, 0o644, 0o660, 0o666, 0o640, 0o000, 0o622, 0o606]);
    let mtype = prop::sample::select(vec![-1, 0, 1, 1, 2, 2, 3, 5, i64::MAX]);
    let length = prop::sample::select(vec![0, 1, 3, 3, 8, 100, MSGMAX, MSGMAX + 1]);
    let size = prop::sample::select(vec![0, 1, 3, 8, 100, MSGMAX]);
    let selector = prop::sample::select(vec![0, 0, 1, 2, 3, -1, -2, -3, -5, i64::MIN, i64::MAX]);
    let qbytes = prop::sample::select(vec![
        0_u64,
        1,
        2,
        10,
        100,
        1000,
        MSGMNB as u64,
        MSGMNB as u64 + 1,
        100_000,
    ]);
    prop_oneof![
        3 => (0..4_i32, any::<bool>(), any::<bool>(), mode.clone(), who()).prop_map(|(key, create, exclusive, mode, who)| Operation::Get { key, create: create || key == 0, exclusive, mode, who }),
        8 => (any::<usize>(), mtype, length, any::<bool>(), who()).prop_map(|(queue, mtype, length, wait, who)| Operation::Send { queue, mtype, length, wait, who }),
        8 => (any::<usize>(), size, selector, any::<bool>(), any::<bool>(), any::<bool>(), who()).prop_map(|(queue, size, mtype, except, no_error, wait, who)| Operation::Receive { queue, size, mtype, except, no_error, wait, who }),
        2 => (any::<usize>(), who()).prop_map(|(queue, who)| Operation::Status { queue, who }),
        3 => (any::<usize>(), who(), who(), mode, qbytes).prop_map(|(queue, who, owner, mode, qbytes)| Operation::Set { queue, who, owner, mode, qbytes }),
        1 => (any::<usize>(), who()).prop_map(|(queue, who)| Operation::Remove { queue, who }),
        1 => any::<usize>().prop_map(|waiter| Operation::Cancel { waiter }),
        1 => any::<usize>().prop_map(|waiter| Operation::Forget { waiter }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_match_the_reference_model(operations in prop::collection::vec(operation(), 1..80)) {
        compare(&operations)?;
    }
}
