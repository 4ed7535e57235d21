//! Differential test: the same sequences of `msgget`, `msgsnd`, `msgrcv` and `msgctl`
//! (`IPC_STAT`, `IPC_SET`, `IPC_RMID`, and in a fresh namespace `IPC_INFO`, `MSG_INFO` and
//! `MSG_STAT`) applied to the host's Linux kernel through the C library and to
//! [`MessageQueues`] must give the same results and errno, the same messages in the same
//! order with the same bytes, and the same status of every queue.
//!
//! Every call passes `IPC_NOWAIT`, so neither side ever has a waiter (waiting is the unit
//! and property tests' business). Root raising `qbytes` above `MSGMNB` is compared only
//! when root has `CAP_SYS_RESOURCE` here. Callers play several users (see `host`); every host
//! object is removed at the end by a guard, even when a comparison fails. `MSG_COPY` is
//! compared only where it is `EINVAL` on both sides: the host may have
//! `CONFIG_CHECKPOINT_RESTORE`, which the core does not model. Ids are compared through a
//! mapping, and equal outright in a fresh namespace.

#![cfg(target_os = "linux")]

mod host;

use std::ffi::{c_int, c_long, c_void};

use courier_sysv_core::Errno;
use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, Id, Key};
use courier_sysv_core::msg::{
    MSG_COPY, MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB, MessageOutcome, MessageQueueStatus,
    MessageQueues, MessageReply,
};
use host::{CAP_IPC_OWNER, CAP_SYS_ADMIN, Host, Who, now, result_of, same_time};
use proptest::prelude::*;

/// The capability that lets root raise a queue's `qbytes` above `MSGMNB`
/// (`linux/capability.h`).
const CAP_SYS_RESOURCE: u32 = 24;

/// `msgctl` commands the C library's crate does not name.
const MSG_STAT: c_int = 11;
const MSG_INFO: c_int = 12;

/// One step, applied to both sides.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `msgget` of no key (0) or of one of the test's three keys.
    Get {
        key: usize,
        create: bool,
        exclusive: bool,
        mode: u32,
        who: Who,
    },
    Send {
        queue: usize,
        mtype: i64,
        length: usize,
        who: Who,
    },
    Receive {
        queue: usize,
        size: usize,
        mtype: i64,
        flags: i32,
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
    /// `IPC_INFO`, `MSG_INFO` and `MSG_STAT` of every slot up to the highest (compared in a
    /// fresh namespace only, where the host has nothing else).
    Info,
}

/// A zeroed `struct msqid_ds`.
fn empty_status() -> libc::msqid_ds {
    // SAFETY: `msqid_ds` is plain integers, for which all zero bits is a value.
    unsafe { std::mem::zeroed() }
}

/// The host's side: its queues are removed when it is dropped.
struct HostQueues {
    host: Host,
    created: Vec<c_int>,
}

impl Drop for HostQueues {
    fn drop(&mut self) {
        self.host.restore();
        for &id in &self.created {
            // SAFETY: `IPC_RMID` reads no buffer.
            unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

impl HostQueues {
    fn get(&mut self, key: Key, flags: i32) -> Result<Id, Errno> {
        // SAFETY: `msgget` takes integers only.
        let id = result_of(c_long::from(unsafe { libc::msgget(key, flags) }))? as Id;
        if !self.created.contains(&id) {
            self.created.push(id);
        }
        Ok(id)
    }

    fn send(id: Id, mtype: i64, body: &[u8], flags: i32) -> Result<(), Errno> {
        let mut buffer = mtype.to_ne_bytes().to_vec();
        buffer.extend_from_slice(body);
        // SAFETY: `buffer` holds a `long` type and `body.len()` bytes, valid for reads for the
        // duration of the call.
        let value =
            unsafe { libc::msgsnd(id, buffer.as_ptr().cast::<c_void>(), body.len(), flags) };
        result_of(c_long::from(value)).map(|_| ())
    }

    fn receive(id: Id, size: usize, mtype: i64, flags: i32) -> Result<(i64, Vec<u8>), Errno> {
        let mut buffer = vec![0_u8; 8 + size];
        // SAFETY: `buffer` has room for a `long` and `size` bytes, valid for writes and
        // borrowed mutably for the duration of the call.
        let count = unsafe {
            libc::msgrcv(id, buffer.as_mut_ptr().cast::<c_void>(), size, mtype as c_long, flags)
        };
        let count = result_of(count as c_long)? as usize;
        let mtype = i64::from_ne_bytes(buffer[..8].try_into().expect("eight bytes"));
        Ok((mtype, buffer[8..8 + count].to_vec()))
    }

    fn control(id: c_int, command: c_int, status: &mut libc::msqid_ds) -> Result<c_int, Errno> {
        // SAFETY: `status` is a whole `msqid_ds` (larger than `msginfo` too), valid for reads
        // and writes and borrowed mutably for the duration of the call.
        let value = unsafe { libc::msgctl(id, command, status) };
        result_of(c_long::from(value)).map(|value| value as c_int)
    }

    fn status(id: Id) -> Result<libc::msqid_ds, Errno> {
        let mut status = empty_status();
        HostQueues::control(id, libc::IPC_STAT, &mut status).map(|_| status)
    }

    fn set(id: Id, uid: u32, gid: u32, mode: u32, qbytes: u64) -> Result<(), Errno> {
        let mut status = empty_status();
        status.msg_perm.uid = uid;
        status.msg_perm.gid = gid;
        status.msg_perm.mode = mode as u16;
        status.msg_qbytes = qbytes;
        HostQueues::control(id, libc::IPC_SET, &mut status).map(|_| ())
    }

    fn remove(id: Id) -> Result<(), Errno> {
        HostQueues::control(id, libc::IPC_RMID, &mut empty_status()).map(|_| ())
    }

    /// `IPC_INFO` or `MSG_INFO`: the highest slot and the fields.
    fn info(command: c_int) -> Result<(c_int, [u64; 8]), Errno> {
        let mut status = empty_status();
        let highest = HostQueues::control(0, command, &mut status)?;
        let pointer = (&raw const status).cast::<libc::msginfo>();
        // SAFETY: the kernel wrote a `struct msginfo` at the start of `status`, which is
        // larger and at least as aligned; `read_unaligned` needs no alignment anyway.
        let info = unsafe { pointer.read_unaligned() };
        let word = |value: c_int| u64::try_from(value).expect("a count");
        let fields = [
            word(info.msgpool),
            word(info.msgmap),
            word(info.msgmax),
            word(info.msgmnb),
            word(info.msgmni),
            word(info.msgssz),
            word(info.msgtql),
            u64::from(info.msgseg),
        ];
        Ok((highest, fields))
    }
}

/// The first difference between the host's status and the core's.
fn compare_status(
    host: &libc::msqid_ds,
    core: &MessageQueueStatus,
    sequences: bool,
) -> Result<(), String> {
    let permissions = &core.permissions;
    let fields = [
        ("key", i64::from(host.msg_perm.__key), i64::from(permissions.key)),
        ("uid", i64::from(host.msg_perm.uid), i64::from(permissions.uid)),
        ("gid", i64::from(host.msg_perm.gid), i64::from(permissions.gid)),
        ("cuid", i64::from(host.msg_perm.cuid), i64::from(permissions.cuid)),
        ("cgid", i64::from(host.msg_perm.cgid), i64::from(permissions.cgid)),
        ("mode", i64::from(host.msg_perm.mode), i64::from(permissions.mode)),
        ("cbytes", host.__msg_cbytes as i64, core.cbytes as i64),
        ("qnum", host.msg_qnum as i64, core.qnum as i64),
        ("qbytes", host.msg_qbytes as i64, core.qbytes as i64),
        ("lspid", i64::from(host.msg_lspid), i64::from(core.lspid)),
        ("lrpid", i64::from(host.msg_lrpid), i64::from(core.lrpid)),
    ];
    for (name, host, core) in fields {
        if host != core {
            return Err(format!("{name}: host {host}, core {core}"));
        }
    }
    if sequences && u32::from(host.msg_perm.__seq) != permissions.sequence {
        return Err(format!(
            "sequence: host {}, core {}",
            host.msg_perm.__seq, permissions.sequence
        ));
    }
    let times = [
        ("stime", host.msg_stime as u64, core.stime),
        ("rtime", host.msg_rtime as u64, core.rtime),
        ("ctime", host.msg_ctime as u64, core.ctime),
    ];
    for (name, host, core) in times {
        if !same_time(host, core) {
            return Err(format!("{name}: host {host}, core {core}"));
        }
    }
    Ok(())
}

/// Recognisable bytes for step `step`.
fn body(step: usize, length: usize) -> Vec<u8> {
    (0..length).map(|index| (step * 37 + index * 11) as u8).collect()
}

/// The core's result of a call made with `IPC_NOWAIT`.
fn finished(outcome: MessageOutcome<u32>) -> Result<Result<MessageReply, Errno>, String> {
    match outcome {
        MessageOutcome::Done { reply, answers } if answers.is_empty() => Ok(Ok(reply)),
        MessageOutcome::Done { answers, .. } => {
            Err(format!("answers without waiters: {answers:?}"))
        }
        MessageOutcome::Failed(error) => Ok(Err(error)),
        MessageOutcome::Blocked => Err("a call with IPC_NOWAIT blocked".into()),
    }
}

/// Applies `steps` to the host and the core; the first difference is an error naming the
/// step.
fn compare(steps: &[Step], seed: u64) -> Result<(), String> {
    let Some(host) = Host::enter(&[CAP_IPC_OWNER, CAP_SYS_ADMIN]) else { return Ok(()) };
    let keys = host.keys(seed);
    let mut side = HostQueues { host, created: Vec::new() };
    let mut core = MessageQueues::<u32>::new();
    // Every (core id, host id) made, removed ones included.
    let mut pairs: Vec<(Id, Id)> = Vec::new();
    for (index, &step) in steps.iter().enumerate() {
        let fail = |message: String| format!("step {index} {step:?}: {message}");
        let pair = |queue: usize| pairs.get(queue % (pairs.len() + 1)).copied().unwrap_or((-1, -1));
        let time = now();
        match step {
            Step::Get { key, create, exclusive, mode, who } => {
                let key = if key == 0 { IPC_PRIVATE } else { keys[(key - 1) % keys.len()] };
                let flags = mode as i32
                    | if create { IPC_CREAT } else { 0 }
                    | if exclusive { IPC_EXCL } else { 0 };
                side.host.become_caller(who);
                let expected = side.get(key, flags);
                side.host.restore();
                let result = core.get(key, flags, &side.host.credentials(who), time);
                match (expected, result) {
                    (Ok(host_id), Ok(core_id)) => {
                        if side.host.fresh_namespace && host_id != core_id {
                            return Err(fail(format!("ids: host {host_id}, core {core_id}")));
                        }
                        match pairs.iter().find(|(core, _)| *core == core_id) {
                            Some(&(_, known)) if known != host_id => {
                                return Err(fail(format!("host {host_id} for core {core_id}")));
                            }
                            Some(_) => {}
                            None => pairs.push((core_id, host_id)),
                        }
                    }
                    (expected, result) if expected.err() == result.err() => {}
                    (expected, result) => {
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Send { queue, mtype, length, who } => {
                let (core_id, host_id) = pair(queue);
                let message = body(index, length);
                side.host.become_caller(who);
                let expected = HostQueues::send(host_id, mtype, &message, IPC_NOWAIT);
                side.host.restore();
                let credentials = side.host.credentials(who);
                let outcome = core.send(core_id, mtype, message, IPC_NOWAIT, &credentials, time, 0);
                let result = finished(outcome).map_err(&fail)?;
                let expected = expected.map(|()| MessageReply::Sent);
                if result != expected {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Receive { queue, size, mtype, flags, who } => {
                let (core_id, host_id) = pair(queue);
                side.host.become_caller(who);
                let expected = HostQueues::receive(host_id, size, mtype, flags);
                side.host.restore();
                let credentials = side.host.credentials(who);
                let outcome = core.receive(core_id, size, mtype, flags, &credentials, time, 0);
                let result = finished(outcome).map_err(&fail)?;
                let expected = expected.map(|(mtype, body)| MessageReply::Received { mtype, body });
                if result != expected {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Status { queue, who } => {
                let (core_id, host_id) = pair(queue);
                side.host.become_caller(who);
                let expected = HostQueues::status(host_id);
                side.host.restore();
                match (expected, core.status(core_id, &side.host.credentials(who))) {
                    (Ok(host), Ok(core)) => {
                        compare_status(&host, &core, side.host.fresh_namespace).map_err(&fail)?;
                    }
                    (Err(expected), Err(error)) if expected == error => {}
                    (expected, result) => {
                        let expected = expected.map(|_| ());
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Set { queue, who, owner, mode, qbytes } => {
                let raises = who == Who::Root && qbytes > MSGMNB as u64;
                if raises && !side.host.root_has(CAP_SYS_RESOURCE) {
                    continue;
                }
                let (core_id, host_id) = pair(queue);
                let owner = side.host.credentials(owner);
                side.host.become_caller(who);
                let expected = HostQueues::set(host_id, owner.uid, owner.gid, mode, qbytes);
                side.host.restore();
                let credentials = side.host.credentials(who);
                let result =
                    core.set(core_id, &credentials, owner.uid, owner.gid, mode, qbytes, time);
                if result.as_ref().is_ok_and(|answers| !answers.is_empty()) {
                    return Err(fail("answers without waiters".into()));
                }
                let result = result.map(|_| ());
                if result != expected {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Remove { queue, who } => {
                let (core_id, host_id) = pair(queue);
                side.host.become_caller(who);
                let expected = HostQueues::remove(host_id);
                side.host.restore();
                let result = core.remove(core_id, &side.host.credentials(who));
                if result.as_ref().is_ok_and(|answers| !answers.is_empty()) {
                    return Err(fail("answers without waiters".into()));
                }
                let result = result.map(|_| ());
                if result != expected {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Info => {
                if !side.host.fresh_namespace {
                    continue;
                }
                let (info, highest) = core.info();
                let highest = highest.unwrap_or(0) as c_int;
                for (command, usage) in [(libc::IPC_INFO, false), (MSG_INFO, true)] {
                    let expected =
                        HostQueues::info(command).map_err(|error| fail(format!("{error:?}")))?;
                    if expected != (highest, info.fields(usage)) {
                        let core = (highest, info.fields(usage));
                        return Err(fail(format!(
                            "info {command}: host {expected:?}, core {core:?}"
                        )));
                    }
                }
                for slot in 0..=highest as usize + 1 {
                    let root = side.host.credentials(Who::Root);
                    let mut status = empty_status();
                    let expected = HostQueues::control(slot as c_int, MSG_STAT, &mut status);
                    match (expected, core.status_by_slot(slot, &root)) {
                        (Ok(host_id), Ok((core_id, core))) if host_id == core_id => {
                            compare_status(&status, &core, true).map_err(&fail)?;
                        }
                        (Err(expected), Err(error)) if expected == error => {}
                        (expected, result) => {
                            let result = result.map(|(id, _)| id);
                            return Err(fail(format!(
                                "slot {slot}: host {expected:?}, core {result:?}"
                            )));
                        }
                    }
                }
            }
        }
        // Every queue the core knows agrees with the host's, as root sees it.
        let root = side.host.credentials(Who::Root);
        let sequences = side.host.fresh_namespace;
        host::same_objects(
            "queue",
            pairs.iter().copied(),
            HostQueues::status,
            |id| core.status(id, &root),
            |host, core| compare_status(host, core, sequences),
        )
        .map_err(fail)?;
    }
    Ok(())
}

fn run(steps: &[Step]) {
    host::run(compare(steps, 0));
}

#[test]
fn sizes_and_queue_limits_match_linux() {
    let who = Who::Owner;
    let send = |mtype, length| Step::Send { queue: 0, mtype, length, who };
    let receive = |size, mtype, flags| Step::Receive {
        queue: 0,
        size,
        mtype,
        flags: flags | IPC_NOWAIT,
        who,
    };
    let set = |qbytes, who| Step::Set { queue: 0, who, owner: Who::Owner, mode: 0o600, qbytes };
    run(&[
        Step::Get { key: 0, create: true, exclusive: false, mode: 0o600, who },
        send(1, MSGMAX),
        send(1, MSGMAX + 1),
        send(0, 1),
        send(-3, 1),
        send(i64::MAX, MSGMAX),
        send(2, 1),
        send(2, 0),
        Step::Status { queue: 0, who },
        receive(MSGMAX - 1, 0, 0),
        receive(MSGMAX - 1, 0, MSG_NOERROR),
        receive(0, i64::MAX, 0),
        receive(MSGMAX, i64::MAX, 0),
        receive(0, 2, 0),
        receive(0, 2, 0),
        receive(0, 0, 0),
        set(3, who),
        send(1, 0),
        send(1, 0),
        send(1, 0),
        send(1, 0),
        set(MSGMNB as u64 + 1, who),
        set(MSGMNB as u64 + 1, Who::Root),
        set(100_000, Who::Root),
        set(0, who),
        send(1, 0),
        receive(10, 0, 0),
        set(10, who),
        send(1, 9),
        send(1, 2),
        Step::Status { queue: 0, who },
        Step::Info,
        Step::Remove { queue: 0, who },
        send(1, 1),
        receive(1, 0, 0),
        Step::Status { queue: 0, who },
        Step::Remove { queue: 0, who },
        Step::Info,
    ]);
}

#[test]
fn selectors_match_linux() {
    let who = Who::Owner;
    let mut steps = vec![Step::Get { key: 0, create: true, exclusive: false, mode: 0o600, who }];
    for mtype in [4, 2, 3, 2, 7, 1, 1, 9, 2, i64::MAX] {
        steps.push(Step::Send { queue: 0, mtype, length: mtype.unsigned_abs() as usize % 50, who });
    }
    for (mtype, flags) in [
        (-3, 0),
        (-3, MSG_EXCEPT),
        (3, MSG_EXCEPT),
        (2, 0),
        (-1, 0),
        (-1, 0),
        (i64::MIN, 0),
        (1, MSG_EXCEPT),
        (i64::MAX, MSG_EXCEPT),
        (5, 0),
        (0, MSG_EXCEPT),
        (0, 0),
        (-i64::MAX, 0),
        (0, 0),
        (0, MSG_COPY | MSG_EXCEPT),
        (0, MSG_COPY),
    ] {
        let flags = if flags & MSG_COPY != 0 && flags & MSG_EXCEPT == 0 {
            flags
        } else {
            flags | IPC_NOWAIT
        };
        steps.push(Step::Receive { queue: 0, size: 100, mtype, flags, who });
    }
    steps.push(Step::Remove { queue: 0, who });
    run(&steps);
}

#[test]
fn keys_and_permissions_match_linux() {
    let get = |key, create, exclusive, mode, who| Step::Get { key, create, exclusive, mode, who };
    let mut steps = vec![
        get(1, false, false, 0o600, Who::Owner),
        get(1, true, false, 0o640, Who::Owner),
        get(1, true, true, 0o640, Who::Owner),
        get(1, false, false, 0o640, Who::Member),
        get(1, false, false, 0o660, Who::Member),
        get(1, false, false, 0, Who::Other),
        get(1, false, false, 0o004, Who::Other),
        get(1, true, false, 0o777, Who::Root),
    ];
    for who in [Who::Root, Who::Owner, Who::Other, Who::Member] {
        steps.extend([
            Step::Send { queue: 0, mtype: 1, length: 3, who },
            Step::Receive { queue: 0, size: 10, mtype: 0, flags: IPC_NOWAIT, who },
            Step::Status { queue: 0, who },
            Step::Set { queue: 0, who, owner: Who::Other, mode: 0o602, qbytes: 100 },
        ]);
    }
    steps.extend([
        Step::Set { queue: 0, who: Who::Owner, owner: Who::Member, mode: 0o406, qbytes: 100 },
        Step::Send { queue: 0, mtype: 1, length: 3, who: Who::Member },
        Step::Send { queue: 0, mtype: 1, length: 3, who: Who::Other },
        Step::Receive { queue: 0, size: 10, mtype: 0, flags: IPC_NOWAIT, who: Who::Member },
        Step::Receive { queue: 0, size: 10, mtype: 0, flags: IPC_NOWAIT, who: Who::Other },
        Step::Remove { queue: 0, who: Who::Other },
        Step::Remove { queue: 0, who: Who::Owner },
        get(1, false, false, 0, Who::Owner),
        get(1, true, true, 0o600, Who::Other),
        get(2, true, false, 0o600, Who::Other),
        Step::Info,
        Step::Remove { queue: 1, who: Who::Member },
        Step::Remove { queue: 2, who: Who::Root },
        Step::Remove { queue: 1, who: Who::Root },
        Step::Info,
    ]);
    run(&steps);
}

#[test]
fn ids_cycle_and_reuse_slots_as_on_linux() {
    let mut steps = Vec::new();
    for round in 0..70 {
        steps.push(Step::Get {
            key: 0,
            create: true,
            exclusive: false,
            mode: 0o600,
            who: Who::Owner,
        });
        if round % 3 != 0 {
            steps.push(Step::Remove { queue: round, who: Who::Owner });
        }
    }
    steps.push(Step::Info);
    run(&steps);
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![3 => Just(Who::Owner), 1 => Just(Who::Root), 1 => Just(Who::Other), 1 => Just(Who::Member)]
}

fn step() -> impl Strategy<Value = Step> {
    let mode =
        prop::sample::select(vec![0o600, 0o644, 0o660, 0o666, 0o640, 0o000, 0o622, 0o606, 0o604]);
    let mtype = prop::sample::select(vec![-1, 0, 1, 1, 2, 2, 3, 7, i64::MAX]);
    let length =
        prop::sample::select(vec![0, 1, 7, 100, 4095, 4096, 8191, MSGMAX, MSGMAX + 1, 16384]);
    let size = prop::sample::select(vec![0, 1, 6, 7, 100, 8191, MSGMAX, 20000]);
    let selector =
        prop::sample::select(vec![0, 0, 1, 2, 3, 7, -1, -2, -3, -7, i64::MIN, i64::MAX, -i64::MAX]);
    let flags = prop::sample::select(vec![
        IPC_NOWAIT,
        IPC_NOWAIT,
        IPC_NOWAIT | MSG_EXCEPT,
        IPC_NOWAIT | MSG_NOERROR,
        IPC_NOWAIT | MSG_EXCEPT | MSG_NOERROR,
        IPC_NOWAIT | MSG_COPY | MSG_EXCEPT,
        MSG_COPY,
    ]);
    let qbytes = prop::sample::select(vec![0_u64, 1, 5, 100, 8192, 16383, 16384, 16385, 100_000]);
    prop_oneof![
        3 => (0..4_usize, any::<bool>(), any::<bool>(), mode.clone(), who()).prop_map(|(key, create, exclusive, mode, who)| Step::Get { key, create: create || key == 0, exclusive, mode, who }),
        8 => (any::<usize>(), mtype, length, who()).prop_map(|(queue, mtype, length, who)| Step::Send { queue, mtype, length, who }),
        8 => (any::<usize>(), size, selector, flags, who()).prop_map(|(queue, size, mtype, flags, who)| Step::Receive { queue, size, mtype, flags, who }),
        2 => (any::<usize>(), who()).prop_map(|(queue, who)| Step::Status { queue, who }),
        3 => (any::<usize>(), who(), who(), mode, qbytes).prop_map(|(queue, who, owner, mode, qbytes)| Step::Set { queue, who, owner, mode, qbytes }),
        1 => (any::<usize>(), who()).prop_map(|(queue, who)| Step::Remove { queue, who }),
        1 => Just(Step::Info),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_match_linux(steps in prop::collection::vec(step(), 1..60), seed in any::<u64>()) {
        compare(&steps, seed).map_err(TestCaseError::fail)?;
    }
}
