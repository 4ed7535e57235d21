//! Conformance cases for System V message queues (msgget(2), msgsnd(2), msgrcv(2), msgctl(2)).
//!
//! Keyed queues use keys `0x434f_0100 + n` ("CO", then the case's number), cleared of an
//! earlier run's leftovers first; every queue a case makes is removed when its guard drops.
//! Children that block say so through [`Child::spawn_ready`]; those that play another
//! user take user and group id 1000.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use core::sync::atomic::{AtomicU32, Ordering};

use courier_test_support::sysv_objects::{
    Family, MESSAGE_CBYTES, MESSAGE_LRPID, MESSAGE_LSPID, MESSAGE_QBYTES, MESSAGE_QNUM, MSGMAX,
    MSGMNB, Queue, empty_status,
};
use libsys::Errno;
use libsys::abi::signal::{SA_RESTART, SIGUSR1};
use libsys::proc;
use libsys::signal::{self, Handler, SigAction, SignalSet};
use libsys::sysv::{
    self, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT,
    MSG_EXCEPT, MSG_NOERROR, STATUS_CGID, STATUS_CUID, STATUS_GID, STATUS_KEY, STATUS_MODE,
    STATUS_UID,
};

use crate::framework::{
    Case, Check, Child, OTHER_USER, SETTLE, SETUP_FAILED, become_user, ensure, equals, fails_with,
    number_argument, outcome_code, step, tell_ready,
};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "msgget-private-always-new", run: msgget_private_always_new },
    Case { name: "msgget-missing-key-enoent", run: msgget_missing_key_enoent },
    Case { name: "msgget-create-exclusive-eexist", run: msgget_create_exclusive_eexist },
    Case { name: "msgget-existing-key-same-id", run: msgget_existing_key_same_id },
    Case { name: "msgget-other-user-eacces", run: msgget_other_user_eacces },
    Case { name: "msgsnd-type-below-one-einval", run: msgsnd_type_below_one_einval },
    Case { name: "msgsnd-too-big-einval", run: msgsnd_too_big_einval },
    Case { name: "msgsnd-full-queue-nowait-eagain", run: msgsnd_full_queue_nowait_eagain },
    Case { name: "msgrcv-empty-nowait-enomsg", run: msgrcv_empty_nowait_enomsg },
    Case { name: "msgrcv-too-long-e2big", run: msgrcv_too_long_e2big },
    Case { name: "msgrcv-noerror-truncates", run: msgrcv_noerror_truncates },
    Case { name: "msgrcv-type-zero-in-order", run: msgrcv_type_zero_in_order },
    Case { name: "msgrcv-positive-type", run: msgrcv_positive_type },
    Case { name: "msgrcv-negative-type-lowest", run: msgrcv_negative_type_lowest },
    Case { name: "msgrcv-except-type", run: msgrcv_except_type },
    Case { name: "msgctl-stat-fields", run: msgctl_stat_fields },
    Case { name: "msgctl-set-mode-and-qbytes", run: msgctl_set_mode_and_qbytes },
    Case { name: "msgctl-other-user-eperm", run: msgctl_other_user_eperm },
    Case { name: "msgctl-raise-qbytes-eperm", run: msgctl_raise_qbytes_eperm },
    Case { name: "msgrcv-blocked-receiver-woken", run: msgrcv_blocked_receiver_woken },
    Case { name: "msgctl-rmid-wakes-waiters-eidrm", run: msgctl_rmid_wakes_waiters_eidrm },
    Case { name: "msg-removed-id-einval", run: msg_removed_id_einval },
    Case { name: "msgctl-invalid-command-einval", run: msgctl_invalid_command_einval },
    Case { name: "msgsnd-message-count-limit-eagain", run: msgsnd_message_count_limit_eagain },
    Case { name: "msgrcv-except-needs-positive-type", run: msgrcv_except_needs_positive_type },
    Case { name: "msgrcv-empty-buffer", run: msgrcv_empty_buffer },
    Case { name: "msgctl-ipc-info-limits", run: msgctl_ipc_info_limits },
    Case { name: "msgctl-set-owner-grants-control", run: msgctl_set_owner_grants_control },
    Case { name: "msgrcv-most-negative-type", run: msgrcv_most_negative_type },
    Case { name: "msgsnd-blocked-sender-woken", run: msgsnd_blocked_sender_woken },
    Case { name: "msgrcv-eintr-despite-sa-restart", run: msgrcv_eintr_despite_sa_restart },
    Case { name: "msg-key-reused-new-id", run: msg_key_reused_new_id },
];

/// This area's first key.
const KEY_BASE: i32 = 0x434f_0100;

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `msg-receive ID TYPE BODY`: says it is ready, then `msgrcv(ID, 64 bytes, TYPE, 0)`;
///   exits 0 when it got BODY, [`WRONG_BODY`] for another body, or the errno;
/// - `msg-receive-with-handler ID`: catches SIGUSR1 with `SA_RESTART`, says it is ready,
///   then `msgrcv(ID, 64 bytes, 0, 0)`; exits 0 or the errno, plus [`HANDLER_RAN`] if the
///   handler ran;
/// - `msg-send ID SIZE`: says it is ready, then `msgsnd(ID, type 1, SIZE bytes, 0)`; exits
///   0 or the errno;
/// - `msg-as-other KEY ACTION`: becomes user 1000 and exits with the outcome of ACTION on
///   the queue of KEY: `get` (`msgget(KEY, 0600)`), `set` (`IPC_SET`), `remove`
///   (`IPC_RMID`); or, with KEY 0, `raise-qbytes`: `IPC_SET` of `msg_qbytes` above
///   `MSGMNB` on a private queue of its own.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    let id: Option<i32> = number_argument(arguments, 0);
    let code = match (mode, id) {
        ("msg-receive", Some(id)) => {
            let message_type: i64 = number_argument(arguments, 1)?;
            let expected = arguments.get(2)?;
            tell_ready();
            let mut buffer = [0u8; 64];
            match sysv::msgrcv(id, &mut buffer, message_type, 0) {
                Ok((length, _)) if &buffer[..length] == expected.as_bytes() => 0,
                Ok(_) => WRONG_BODY,
                Err(error) => error.number(),
            }
        }
        ("msg-receive-with-handler", Some(id)) => {
            let action = SigAction {
                handler: Handler::Simple(count_signal),
                flags: SA_RESTART,
                mask: SignalSet::EMPTY,
            };
            if signal::sigaction(SIGUSR1, Some(action)).is_err() {
                return Some(SETUP_FAILED);
            }
            tell_ready();
            let outcome = outcome_code(sysv::msgrcv(id, &mut [0u8; 64], 0, 0));
            outcome + if SIGNALS_HANDLED.load(Ordering::Relaxed) > 0 { HANDLER_RAN } else { 0 }
        }
        ("msg-send", Some(id)) => {
            let size: usize = number_argument(arguments, 1)?;
            tell_ready();
            outcome_code(sysv::msgsnd(id, 1, &vec![b'm'; size], 0))
        }
        ("msg-as-other", Some(key)) => {
            if !become_user(OTHER_USER) {
                return Some(SETUP_FAILED);
            }
            as_other_user(key, arguments.get(1).copied().unwrap_or(""))
        }
        _ => return None,
    };
    Some(code)
}

/// Exit code of `msg-receive` for a message with another body.
const WRONG_BODY: i32 = 200;
/// Added to `msg-receive-with-handler`'s exit code when its handler ran.
const HANDLER_RAN: i32 = 100;

/// How many signals `msg-receive-with-handler` handled.
static SIGNALS_HANDLED: AtomicU32 = AtomicU32::new(0);

fn count_signal(_signal: u32) {
    SIGNALS_HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// What `msg-as-other` does once it is user 1000.
fn as_other_user(key: i32, action: &str) -> i32 {
    let mut status = empty_status();
    if action == "raise-qbytes" {
        let Ok(own) = sysv::msgget(IPC_PRIVATE, IPC_CREAT | 0o600) else { return SETUP_FAILED };
        let outcome = sysv::msgctl(own, IPC_STAT, &mut status).and_then(|_| {
            status[MESSAGE_QBYTES] = MSGMNB + 1;
            sysv::msgctl(own, IPC_SET, &mut status)
        });
        let _ = sysv::msgctl(own, IPC_RMID, &mut empty_status());
        return outcome_code(outcome);
    }
    if action == "get" {
        return outcome_code(sysv::msgget(key, 0o600));
    }
    let Ok(id) = sysv::msgget(key, 0) else { return SETUP_FAILED };
    match action {
        "set" => {
            status[STATUS_UID] = u64::from(OTHER_USER);
            status[STATUS_GID] = u64::from(OTHER_USER);
            status[STATUS_MODE] = 0o666;
            status[MESSAGE_QBYTES] = MSGMNB;
            outcome_code(sysv::msgctl(id, IPC_SET, &mut status))
        }
        "remove" => outcome_code(sysv::msgctl(id, IPC_RMID, &mut status)),
        _ => SETUP_FAILED,
    }
}

/// The key of case number `case`, cleared of an earlier run's queue.
fn fresh_key(case: i32) -> i32 {
    Family::MessageQueue.fresh_key(KEY_BASE + case)
}

fn own_pid() -> Result<u64, String> {
    step("getpid", proc::getpid()).map(|pid| pid as u64)
}

/// `IPC_PRIVATE` makes a new queue every time, with or without `IPC_CREAT`.
fn msgget_private_always_new() -> Check {
    let first = Queue::private()?;
    let second = Queue::private()?;
    let third = Queue::create(IPC_PRIVATE, 0o600)?;
    ensure(first.0 != second.0 && second.0 != third.0 && first.0 != third.0, || {
        format!("IPC_PRIVATE gave ids {}, {}, {}", first.0, second.0, third.0)
    })
}

/// `msgget` of a key with no queue, without `IPC_CREAT`, fails with `ENOENT`.
fn msgget_missing_key_enoent() -> Check {
    let key = fresh_key(2);
    fails_with("msgget(missing key, 0600)", sysv::msgget(key, 0o600), Errno::Enoent)
}

/// `IPC_CREAT | IPC_EXCL` on a key that has a queue fails with `EEXIST`.
fn msgget_create_exclusive_eexist() -> Check {
    let key = fresh_key(3);
    let _queue = Queue::create(key, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "msgget(existing key, IPC_CREAT | IPC_EXCL)",
        sysv::msgget(key, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )
}

/// `msgget` of an existing key gives its queue's id (with `IPC_CREAT` or without, and with
/// no permission asked for); `IPC_STAT` shows the key, the creator and the mode.
fn msgget_existing_key_same_id() -> Check {
    let key = fresh_key(4);
    let queue = Queue::create(key, IPC_CREAT | 0o640)?;
    for flags in [IPC_CREAT | 0o600, 0o600, 0] {
        equals(&format!("msgget(key, {flags:#o})"), sysv::msgget(key, flags), queue.0)?;
    }
    let status = queue.status()?;
    ensure(
        status[STATUS_KEY] as u32 == key as u32
            && status[STATUS_MODE] & 0o777 == 0o640
            && status[STATUS_UID] == 0
            && status[STATUS_CUID] == 0
            && status[STATUS_GID] == 0
            && status[STATUS_CGID] == 0,
        || format!("IPC_STAT: key, uid, gid, cuid, cgid, mode {:?}", &status[..6]),
    )
}

/// Another user asking for read and write on a mode-0600 queue gets `EACCES`.
fn msgget_other_user_eacces() -> Check {
    let key = fresh_key(5);
    let _queue = Queue::create(key, IPC_CREAT | 0o600)?;
    Child::spawn("msg-as-other", &[&key.to_string(), "get"])?.returns(Err(Errno::Eacces))
}

/// `msgsnd` with a type below 1 (0, -1) fails with `EINVAL` and queues nothing.
fn msgsnd_type_below_one_einval() -> Check {
    let queue = Queue::private()?;
    for bad_type in [0, -1] {
        fails_with(
            &format!("msgsnd(type {bad_type})"),
            sysv::msgsnd(queue.0, bad_type, b"x", IPC_NOWAIT),
            Errno::Einval,
        )?;
    }
    queue.holds(0, 0)
}

/// A message of `MSGMAX` + 1 bytes fails with `EINVAL`; one of `MSGMAX` bytes and an
/// empty one are accepted.
fn msgsnd_too_big_einval() -> Check {
    let queue = Queue::private()?;
    fails_with(
        "msgsnd of MSGMAX + 1 bytes",
        sysv::msgsnd(queue.0, 1, &vec![1u8; MSGMAX + 1], IPC_NOWAIT),
        Errno::Einval,
    )?;
    queue.send(1, &vec![2u8; MSGMAX])?;
    queue.send(2, b"")?;
    queue.holds(2, MSGMAX as u64)
}

/// With `IPC_NOWAIT`, a message that does not fit in `msg_qbytes` fails with `EAGAIN`
/// (two `MSGMAX` messages fill a new queue).
fn msgsnd_full_queue_nowait_eagain() -> Check {
    let queue = Queue::private()?;
    queue.send(1, &vec![b'z'; MSGMAX])?;
    queue.send(1, &vec![b'z'; MSGMAX])?;
    fails_with(
        "msgsnd(IPC_NOWAIT) to a full queue",
        sysv::msgsnd(queue.0, 1, b"x", IPC_NOWAIT),
        Errno::Eagain,
    )?;
    queue.holds(2, 2 * MSGMAX as u64)
}

/// `msgrcv` with `IPC_NOWAIT` and no matching message fails with `ENOMSG`.
fn msgrcv_empty_nowait_enomsg() -> Check {
    let queue = Queue::private()?;
    fails_with("msgrcv from an empty queue", queue.receive(64, 0, 0), Errno::Enomsg)?;
    queue.send(1, b"one")?;
    fails_with("msgrcv(msgtyp 2) with only type 1", queue.receive(64, 2, 0), Errno::Enomsg)
}

/// A message longer than the buffer fails with `E2BIG` and stays queued.
fn msgrcv_too_long_e2big() -> Check {
    let queue = Queue::private()?;
    queue.send(1, b"0123456789")?;
    fails_with("msgrcv of 10 bytes into 4", queue.receive(4, 0, 0), Errno::E2big)?;
    queue.holds(1, 10)?;
    queue.expect(0, 0, (1, "0123456789"))
}

/// With `MSG_NOERROR` a message longer than the buffer is truncated and removed.
fn msgrcv_noerror_truncates() -> Check {
    let queue = Queue::private()?;
    queue.send(3, b"0123456789")?;
    equals(
        "msgrcv(MSG_NOERROR) of 10 bytes into 4",
        queue.receive(4, 0, MSG_NOERROR),
        (3, Vec::from(*b"0123")),
    )?;
    queue.holds(0, 0)
}

/// Type 0 takes messages in the order they were sent, whatever their types.
fn msgrcv_type_zero_in_order() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(3, "c"), (1, "a"), (2, "b")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(0, 0, (3, "c"))?;
    queue.expect(0, 0, (1, "a"))?;
    queue.expect(0, 0, (2, "b"))
}

/// A positive type takes the first message of that type, passing others.
fn msgrcv_positive_type() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(1, "a"), (2, "b"), (1, "c"), (2, "d")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(2, 0, (2, "b"))?;
    queue.expect(2, 0, (2, "d"))?;
    queue.holds(2, 2)
}

/// A negative type takes the first message of the lowest type not above its absolute
/// value.
fn msgrcv_negative_type_lowest() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(5, "five"), (4, "four-a"), (9, "nine"), (4, "four-b")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(-5, 0, (4, "four-a"))?;
    queue.expect(-9, 0, (4, "four-b"))?;
    fails_with("msgrcv(msgtyp -4) with types 5 and 9", queue.receive(64, -4, 0), Errno::Enomsg)?;
    queue.expect(-100, 0, (5, "five"))
}

/// `MSG_EXCEPT` with a positive type takes the first message of any other type.
fn msgrcv_except_type() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(1, "a"), (1, "b"), (2, "c"), (3, "d")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(1, MSG_EXCEPT, (2, "c"))?;
    queue.expect(1, MSG_EXCEPT, (3, "d"))?;
    fails_with(
        "msgrcv(1, MSG_EXCEPT) with only type 1",
        queue.receive(64, 1, MSG_EXCEPT),
        Errno::Enomsg,
    )
}

/// `IPC_STAT` of a new queue: no messages, `msg_qbytes` `MSGMNB`; after sends and a
/// receive: `msg_qnum`, `msg_cbytes`, `msg_lspid` and `msg_lrpid` follow.
fn msgctl_stat_fields() -> Check {
    let me = own_pid()?;
    let queue = Queue::private()?;
    let status = queue.status()?;
    ensure(
        status[MESSAGE_QNUM] == 0
            && status[MESSAGE_CBYTES] == 0
            && status[MESSAGE_QBYTES] == MSGMNB
            && status[MESSAGE_LSPID] == 0
            && status[MESSAGE_LRPID] == 0,
        || {
            format!(
                "new queue: qnum {}, cbytes {}, qbytes {}, lspid {}, lrpid {}; expected 0, 0, \
                 {MSGMNB}, 0, 0",
                status[MESSAGE_QNUM],
                status[MESSAGE_CBYTES],
                status[MESSAGE_QBYTES],
                status[MESSAGE_LSPID],
                status[MESSAGE_LRPID]
            )
        },
    )?;
    queue.send(1, b"12345")?;
    queue.send(2, b"1234567")?;
    queue.holds(2, 12)?;
    let status = queue.status()?;
    ensure(status[MESSAGE_LSPID] == me && status[MESSAGE_LRPID] == 0, || {
        format!(
            "after msgsnd: lspid {}, lrpid {}; expected {me}, 0",
            status[MESSAGE_LSPID], status[MESSAGE_LRPID]
        )
    })?;
    queue.expect(0, 0, (1, "12345"))?;
    queue.holds(1, 7)?;
    let status = queue.status()?;
    ensure(status[MESSAGE_LRPID] == me, || {
        format!("after msgrcv: lrpid {}, expected {me}", status[MESSAGE_LRPID])
    })
}

/// `IPC_SET` by the owner changes the mode and lowers `msg_qbytes`; a send that no
/// longer fits then fails with `EAGAIN`.
fn msgctl_set_mode_and_qbytes() -> Check {
    let queue = Queue::private()?;
    let mut status = queue.status()?;
    status[STATUS_MODE] = 0o640;
    status[MESSAGE_QBYTES] = 100;
    step("msgctl(IPC_SET, mode 0640, qbytes 100)", sysv::msgctl(queue.0, IPC_SET, &mut status))?;
    let status = queue.status()?;
    ensure(status[STATUS_MODE] & 0o777 == 0o640 && status[MESSAGE_QBYTES] == 100, || {
        format!(
            "after IPC_SET: mode {:#o}, qbytes {}; expected 0640 and 100",
            status[STATUS_MODE] & 0o777,
            status[MESSAGE_QBYTES]
        )
    })?;
    queue.send(1, &[b'y'; 60])?;
    fails_with(
        "msgsnd(IPC_NOWAIT) of 41 bytes past msg_qbytes",
        sysv::msgsnd(queue.0, 1, &[b'y'; 41], IPC_NOWAIT),
        Errno::Eagain,
    )?;
    queue.send(1, &[b'y'; 40])?;
    queue.holds(2, 100)
}

/// Another user, even with read and write permission, may neither `IPC_SET` nor
/// `IPC_RMID` a queue it neither owns nor created (`EPERM`).
fn msgctl_other_user_eperm() -> Check {
    let key = fresh_key(18);
    let queue = Queue::create(key, IPC_CREAT | 0o666)?;
    let key = key.to_string();
    Child::spawn("msg-as-other", &[&key, "set"])?.returns(Err(Errno::Eperm))?;
    Child::spawn("msg-as-other", &[&key, "remove"])?.returns(Err(Errno::Eperm))?;
    queue.status().map(|_| ())
}

/// An unprivileged owner may not raise `msg_qbytes` above `MSGMNB` (`EPERM`).
fn msgctl_raise_qbytes_eperm() -> Check {
    Child::spawn("msg-as-other", &["0", "raise-qbytes"])?.returns(Err(Errno::Eperm))
}

/// A child blocked in `msgrcv` for type 7 lets a type-3 message pass and is woken by a
/// type-7 one.
fn msgrcv_blocked_receiver_woken() -> Check {
    let queue = Queue::private()?;
    let mut receiver = Child::spawn_ready("msg-receive", &[&queue.0.to_string(), "7", "seven"])?;
    receiver.keeps_running(SETTLE)?;
    queue.send(3, b"three")?;
    receiver.keeps_running(SETTLE)?;
    queue.send(7, b"seven")?;
    receiver.returns(Ok(()))?;
    queue.holds(1, 5)
}

/// `IPC_RMID` wakes a child blocked in `msgrcv` and one blocked in `msgsnd` on a full
/// queue; both fail with `EIDRM`.
fn msgctl_rmid_wakes_waiters_eidrm() -> Check {
    let queue = Queue::private()?;
    let id = queue.0.to_string();
    let mut receiver = Child::spawn_ready("msg-receive", &[&id, "99", "never"])?;
    queue.send(1, &vec![b'z'; MSGMAX])?;
    queue.send(1, &vec![b'z'; MSGMAX])?;
    let mut sender = Child::spawn_ready("msg-send", &[&id, "100"])?;
    receiver.keeps_running(SETTLE)?;
    sender.keeps_running(SETTLE)?;
    step("msgctl(IPC_RMID)", sysv::msgctl(queue.0, IPC_RMID, &mut empty_status()))?;
    receiver.returns(Err(Errno::Eidrm))?;
    sender.returns(Err(Errno::Eidrm))
}

/// Once removed, a queue's id fails with `EINVAL` in every call, and its key is free.
fn msg_removed_id_einval() -> Check {
    let key = fresh_key(22);
    let queue = Queue::create(key, IPC_CREAT | 0o600)?;
    let id = queue.0;
    step("msgctl(IPC_RMID)", sysv::msgctl(id, IPC_RMID, &mut empty_status()))?;
    fails_with("msgsnd", sysv::msgsnd(id, 1, b"x", IPC_NOWAIT), Errno::Einval)?;
    fails_with("msgrcv", sysv::msgrcv(id, &mut [0u8; 8], 0, IPC_NOWAIT), Errno::Einval)?;
    fails_with("msgctl(IPC_STAT)", sysv::msgctl(id, IPC_STAT, &mut empty_status()), Errno::Einval)?;
    fails_with("msgctl(IPC_RMID)", sysv::msgctl(id, IPC_RMID, &mut empty_status()), Errno::Einval)?;
    fails_with("msgget(removed key, 0)", sysv::msgget(key, 0), Errno::Enoent)
}

/// An unknown `msgctl` command, or an id that names nothing (-1), fails with `EINVAL`.
fn msgctl_invalid_command_einval() -> Check {
    let queue = Queue::private()?;
    fails_with(
        "msgctl(command 99)",
        sysv::msgctl(queue.0, 99, &mut empty_status()),
        Errno::Einval,
    )?;
    fails_with(
        "msgctl(-1, IPC_STAT)",
        sysv::msgctl(-1, IPC_STAT, &mut empty_status()),
        Errno::Einval,
    )?;
    fails_with("msgsnd(-1)", sysv::msgsnd(-1, 1, b"x", IPC_NOWAIT), Errno::Einval)
}

/// A queue holds at most `msg_qbytes` messages, whatever their size: with `msg_qbytes` 4,
/// a fifth empty message fails with `EAGAIN` under `IPC_NOWAIT`.
fn msgsnd_message_count_limit_eagain() -> Check {
    let queue = Queue::private()?;
    let mut status = queue.status()?;
    status[MESSAGE_QBYTES] = 4;
    step("msgctl(IPC_SET, qbytes 4)", sysv::msgctl(queue.0, IPC_SET, &mut status))?;
    for _ in 0..4 {
        queue.send(1, b"")?;
    }
    fails_with(
        "msgsnd(IPC_NOWAIT) of a fifth empty message",
        sysv::msgsnd(queue.0, 1, b"", IPC_NOWAIT),
        Errno::Eagain,
    )?;
    queue.holds(4, 0)
}

/// `MSG_EXCEPT` only changes a positive type: with type 0 it takes the first message, with
/// a negative type the first of the lowest type.
fn msgrcv_except_needs_positive_type() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(2, "b"), (1, "a"), (3, "c")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(0, MSG_EXCEPT, (2, "b"))?;
    queue.expect(-3, MSG_EXCEPT, (1, "a"))?;
    queue.expect(2, MSG_EXCEPT, (3, "c"))
}

/// An empty message fits a buffer of 0 bytes; a non-empty one fails with `E2BIG` and stays.
fn msgrcv_empty_buffer() -> Check {
    let queue = Queue::private()?;
    queue.send(4, b"")?;
    queue.send(5, b"x")?;
    equals("msgrcv of an empty message into 0 bytes", queue.receive(0, 0, 0), (4, Vec::new()))?;
    fails_with("msgrcv of 1 byte into 0", queue.receive(0, 0, 0), Errno::E2big)?;
    queue.holds(1, 1)
}

/// `IPC_INFO` reports Linux's default limits: `msgmax` 8192, `msgmnb` 16384, `msgmni`
/// 32000.
fn msgctl_ipc_info_limits() -> Check {
    let _queue = Queue::private()?;
    let mut info = empty_status();
    step("msgctl(0, IPC_INFO)", sysv::msgctl(0, IPC_INFO, &mut info))?;
    let (msgmax, msgmnb, msgmni) = (info[2], info[3], info[4]);
    ensure((msgmax, msgmnb, msgmni) == (MSGMAX as u64, MSGMNB, 32000), || {
        format!("msgmax {msgmax}, msgmnb {msgmnb}, msgmni {msgmni}; expected 8192, 16384, 32000")
    })
}

/// `IPC_SET` of `msg_perm.uid` hands the queue to another user, who may then remove it;
/// the creator's ids stay.
fn msgctl_set_owner_grants_control() -> Check {
    let key = fresh_key(28);
    let queue = Queue::create(key, IPC_CREAT | 0o600)?;
    let mut status = queue.status()?;
    status[STATUS_UID] = u64::from(OTHER_USER);
    step("msgctl(IPC_SET, uid 1000)", sysv::msgctl(queue.0, IPC_SET, &mut status))?;
    let status = queue.status()?;
    ensure(status[STATUS_UID] == u64::from(OTHER_USER) && status[STATUS_CUID] == 0, || {
        format!(
            "after IPC_SET: uid {}, cuid {}; expected 1000, 0",
            status[STATUS_UID], status[STATUS_CUID]
        )
    })?;
    Child::spawn("msg-as-other", &[&key.to_string(), "remove"])?.returns(Ok(()))?;
    fails_with("msgget(key) after the new owner removed it", sysv::msgget(key, 0), Errno::Enoent)
}

/// The most negative type (`LONG_MIN`) takes the first message of the lowest type, as
/// any other negative type whose absolute value is above every type queued.
fn msgrcv_most_negative_type() -> Check {
    let queue = Queue::private()?;
    queue.send(i64::MAX, b"max")?;
    queue.send(6, b"six")?;
    queue.expect(i64::MIN, 0, (6, "six"))?;
    queue.expect(i64::MIN, 0, (i64::MAX, "max"))
}

/// A child blocked in `msgsnd` on a full queue goes on once a message is taken out.
fn msgsnd_blocked_sender_woken() -> Check {
    let queue = Queue::private()?;
    queue.send(1, &vec![b'z'; MSGMAX])?;
    queue.send(2, &vec![b'z'; MSGMAX])?;
    let mut sender = Child::spawn_ready("msg-send", &[&queue.0.to_string(), "100"])?;
    sender.keeps_running(SETTLE)?;
    queue.holds(2, 2 * MSGMAX as u64)?;
    let (received_type, _) = step("msgrcv", queue.receive(MSGMAX, 0, 0))?;
    ensure(received_type == 1, || format!("received type {received_type}, expected 1"))?;
    sender.returns(Ok(()))?;
    queue.holds(2, MSGMAX as u64 + 100)
}

/// A handler interrupts a blocked `msgrcv` with `EINTR` even when installed with
/// `SA_RESTART` (Linux never restarts it after a handler).
fn msgrcv_eintr_despite_sa_restart() -> Check {
    let queue = Queue::private()?;
    let mut receiver = Child::spawn_ready("msg-receive-with-handler", &[&queue.0.to_string()])?;
    receiver.keeps_running(SETTLE)?;
    receiver.signal(SIGUSR1)?;
    receiver.exits_with(HANDLER_RAN + Errno::Eintr.number())
}

/// A key removed and created again names a new queue: the id differs (its sequence number
/// moved on), and the old id is `EINVAL`.
fn msg_key_reused_new_id() -> Check {
    let key = fresh_key(32);
    let old = Queue::create(key, IPC_CREAT | 0o600)?;
    let old_id = old.0;
    drop(old);
    let new = Queue::create(key, IPC_CREAT | IPC_EXCL | 0o600)?;
    ensure(new.0 != old_id, || format!("the recreated queue has the old id {old_id}"))?;
    fails_with("msgsnd(old id)", sysv::msgsnd(old_id, 1, b"x", IPC_NOWAIT), Errno::Einval)
}
