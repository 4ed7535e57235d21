//! sysv-child: what sysv-test spawns. The first argument selects the mode:
//!
//! - `watchdog PID MS SIGNAL`: sleeps MS milliseconds, then sends SIGNAL to PID every
//!   500 ms until PID is gone (sysv-test's deadline for calls that block);
//! - `msg-access KEY UID`: sets its group and user ids to UID, then tries what another
//!   user may do to the queue of KEY and prints one line of `call=outcome` words
//!   (`ok` or the errno's name): `msgget(0600)` (asking for read and write),
//!   `msgget(0)` (asking for nothing), then on that id `msgsnd` and `msgrcv` (both
//!   `IPC_NOWAIT`), `IPC_STAT`, `IPC_SET` and `IPC_RMID`;
//! - `msg-qbytes-as UID`: sets its group and user ids to UID, makes a private queue and
//!   prints the outcome of `IPC_SET` with `msg_qbytes` above the limit (16385), lowered
//!   (1000) and back at the limit (16384), the `msg_qbytes` `IPC_STAT` then reports, and
//!   `IPC_RMID`;
//! - `msg-receive ID TYPE FLAGS`: `msgrcv(ID, 256 bytes, TYPE, FLAGS)`; prints `TYPE BODY`
//!   of the message received;
//! - `msg-send ID TYPE SIZE`: `msgsnd(ID, TYPE, SIZE bytes of 'x', 0)`;
//! - `sem-op ID NUMBER OPERATION FLAGS`: `semop(ID, {NUMBER, OPERATION, FLAGS})`;
//! - `sem-timed-op ID NUMBER OPERATION MS`: the same by `semtimedop` with an MS
//!   millisecond timeout;
//! - `sem-hold ID NUMBER OPERATION FLAGS`: the same `semop`, and only then says it is
//!   ready and sleeps until a signal ends it;
//! - `sem-eintr ID restart|no-restart`: catches SIGUSR1 (with or without `SA_RESTART`),
//!   then waits to decrement semaphore 0 of ID;
//! - `shm-write-readonly ID`: attaches segment ID with `SHM_RDONLY`, reads its first
//!   word, then writes it (which must end the process with SIGSEGV);
//! - `shm-attach ID MS`: attaches segment ID, writes its pid into the first word, then
//!   sleeps MS milliseconds (0: until a signal ends it) and exits without detaching.
//!
//! # Readiness
//!
//! Every mode writes one byte to descriptor 3 and closes it once it is
//! ready: just before the call under test, or (`sem-hold`, `shm-*`) once what it holds is
//! held. sysv-test waits for that byte before it goes on.
//!
//! # Exit codes
//!
//! Modes that make one call under test exit with its errno, or 0 when it succeeded;
//! `sem-eintr` adds `HANDLER_RAN` when its handler ran; the reporting modes exit 0 after
//! printing; see `courier_sysv_tests::child` for the rest.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use courier_sysv_tests::child::{HANDLER_RAN, READY_DESCRIPTOR, SETUP, SURVIVED, USAGE};
use courier_test_support::{become_user, outcome_code, sleep, sleep_forever, tell_ready};
use libsys::abi::signal::{SA_RESTART, SIGUSR1};
use libsys::proc::{self, Pid};
use libsys::signal::{self, Handler, SigAction, SignalSet};
use libsys::sysv::{
    self, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, SHM_RDONLY, STATUS_GID,
    STATUS_MESSAGE_FIELDS, STATUS_MODE, STATUS_UID, STATUS_WORDS, SemaphoreOperation, Status,
};
use libsys::{Errno, env};

libsys::main!(main);

/// Position of `msg_qbytes` in a message queue's status.
const QBYTES: usize = STATUS_MESSAGE_FIELDS + 5;

/// How many times the SIGUSR1 handler ran.
static HANDLED: AtomicU32 = AtomicU32::new(0);

fn count_signal(_signal: u32) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// `ok` or the errno's name.
fn outcome<T>(result: &Result<T, Errno>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.name(),
    }
}

/// `msg-access`: see the module documentation.
fn message_access(key: i32, uid: u32) -> i32 {
    if !become_user(uid) {
        return SETUP;
    }
    tell_ready(READY_DESCRIPTOR);
    let mut report = Vec::new();
    let asking = sysv::msgget(key, 0o600);
    report.push(format!("msgget(0600)={}", outcome(&asking)));
    let id = sysv::msgget(key, 0);
    report.push(format!("msgget(0)={}", outcome(&id)));
    if let Ok(id) = id {
        let sent = sysv::msgsnd(id, 1, b"from another user", IPC_NOWAIT);
        report.push(format!("msgsnd={}", outcome(&sent)));
        let mut buffer = [0u8; 64];
        let received = sysv::msgrcv(id, &mut buffer, 0, IPC_NOWAIT);
        report.push(format!("msgrcv={}", outcome(&received)));
        let mut status: Status = [0; STATUS_WORDS];
        let stat = sysv::msgctl(id, IPC_STAT, &mut status);
        report.push(format!("IPC_STAT={}", outcome(&stat)));
        let mut wanted: Status = [0; STATUS_WORDS];
        wanted[STATUS_UID] = u64::from(uid);
        wanted[STATUS_GID] = u64::from(uid);
        wanted[STATUS_MODE] = 0o666;
        wanted[QBYTES] = 16384;
        let set = sysv::msgctl(id, IPC_SET, &mut wanted);
        report.push(format!("IPC_SET={}", outcome(&set)));
        let removed = sysv::msgctl(id, IPC_RMID, &mut status);
        report.push(format!("IPC_RMID={}", outcome(&removed)));
    }
    libsys::println!("{}", report.join(" "));
    0
}

/// `msg-qbytes-as`: see the module documentation.
fn message_queue_bytes(uid: u32) -> i32 {
    if !become_user(uid) {
        return SETUP;
    }
    tell_ready(READY_DESCRIPTOR);
    let Ok(id) = sysv::msgget(IPC_PRIVATE, 0o600) else { return SETUP };
    let mut status: Status = [0; STATUS_WORDS];
    if sysv::msgctl(id, IPC_STAT, &mut status).is_err() {
        return SETUP;
    }
    let mut report = Vec::new();
    for (what, qbytes) in [("raise-above-limit", 16385), ("lower", 1000), ("raise-to-limit", 16384)]
    {
        let mut wanted = status;
        wanted[QBYTES] = qbytes;
        report.push(format!("{what}={}", outcome(&sysv::msgctl(id, IPC_SET, &mut wanted))));
    }
    let mut now: Status = [0; STATUS_WORDS];
    match sysv::msgctl(id, IPC_STAT, &mut now) {
        Ok(_) => report.push(format!("qbytes={}", now[QBYTES])),
        Err(error) => report.push(format!("IPC_STAT={}", error.name())),
    }
    report.push(format!("IPC_RMID={}", outcome(&sysv::msgctl(id, IPC_RMID, &mut now))));
    libsys::println!("{}", report.join(" "));
    0
}

fn main() -> i32 {
    let arguments: Vec<String> = env::args().map(String::from).collect();
    let argument = |index: usize| arguments.get(index).map_or("", String::as_str);
    let number = |index: usize| argument(index).parse::<i64>().ok();
    let id = || number(2).map(|id| id as i32);
    match argument(1) {
        "watchdog" => {
            let (Some(pid), Some(milliseconds), Some(signal)) = (number(2), number(3), number(4))
            else {
                return USAGE;
            };
            tell_ready(READY_DESCRIPTOR);
            sleep(Duration::from_millis(milliseconds as u64));
            // Again and again: one that comes just before a blocking call does not end it.
            while proc::kill(pid as Pid, signal as u32).is_ok() {
                sleep(Duration::from_millis(500));
            }
            0
        }
        "msg-access" => {
            let (Some(key), Some(uid)) = (number(2), number(3)) else { return USAGE };
            message_access(key as i32, uid as u32)
        }
        "msg-qbytes-as" => {
            let Some(uid) = number(2) else { return USAGE };
            message_queue_bytes(uid as u32)
        }
        "msg-receive" => {
            let (Some(id), Some(message_type), Some(flags)) = (id(), number(3), number(4)) else {
                return USAGE;
            };
            tell_ready(READY_DESCRIPTOR);
            let mut buffer = [0u8; 256];
            let received = sysv::msgrcv(id, &mut buffer, message_type, flags as i32);
            if let Ok((length, message_type)) = received {
                let body = String::from_utf8_lossy(&buffer[..length]);
                libsys::println!("{message_type} {body}");
            }
            outcome_code(received)
        }
        "msg-send" => {
            let (Some(id), Some(message_type), Some(size)) = (id(), number(3), number(4)) else {
                return USAGE;
            };
            let body = vec![b'x'; size as usize];
            tell_ready(READY_DESCRIPTOR);
            outcome_code(sysv::msgsnd(id, message_type, &body, 0))
        }
        mode @ ("sem-op" | "sem-timed-op" | "sem-hold") => {
            let (Some(id), Some(semaphore), Some(operation), Some(last)) =
                (id(), number(3), number(4), number(5))
            else {
                return USAGE;
            };
            let flags = if mode == "sem-timed-op" { 0 } else { last as i16 };
            let operations = [SemaphoreOperation {
                number: semaphore as u16,
                operation: operation as i16,
                flags,
            }];
            if mode == "sem-hold" {
                let held = sysv::semop(id, &operations);
                if held.is_err() {
                    return outcome_code(held);
                }
                tell_ready(READY_DESCRIPTOR);
                sleep_forever()
            }
            tell_ready(READY_DESCRIPTOR);
            if mode == "sem-timed-op" {
                let timeout = Duration::from_millis(last as u64);
                outcome_code(sysv::semtimedop(id, &operations, Some(timeout)))
            } else {
                outcome_code(sysv::semop(id, &operations))
            }
        }
        "sem-eintr" => {
            let Some(id) = id() else { return USAGE };
            let flags = match argument(3) {
                "restart" => SA_RESTART,
                "no-restart" => 0,
                _ => return USAGE,
            };
            let action =
                SigAction { handler: Handler::Simple(count_signal), flags, mask: SignalSet::EMPTY };
            if signal::sigaction(SIGUSR1, Some(action)).is_err() {
                return SETUP;
            }
            tell_ready(READY_DESCRIPTOR);
            let operation = SemaphoreOperation { number: 0, operation: -1, flags: 0 };
            let code = outcome_code(sysv::semop(id, &[operation]));
            if HANDLED.load(Ordering::Relaxed) > 0 { code | HANDLER_RAN } else { code }
        }
        "shm-write-readonly" => {
            let Some(id) = id() else { return USAGE };
            let Ok(mapping) = sysv::shmat(id, None, SHM_RDONLY) else { return SETUP };
            let Some(value) = mapping.read_word(0) else { return SETUP };
            tell_ready(READY_DESCRIPTOR);
            // The page tables refuse this: the process ends with SIGSEGV here.
            mapping.write_word(0, value.wrapping_add(1));
            SURVIVED
        }
        "shm-attach" => {
            let (Some(id), Some(milliseconds)) = (id(), number(3)) else { return USAGE };
            let Ok(mapping) = sysv::shmat(id, None, 0) else { return SETUP };
            let Ok(pid) = proc::getpid() else { return SETUP };
            mapping.write_word(0, pid as u64);
            tell_ready(READY_DESCRIPTOR);
            if milliseconds == 0 {
                sleep_forever()
            }
            sleep(Duration::from_millis(milliseconds as u64));
            // Exit still attached: the exit detaches.
            0
        }
        other => {
            libsys::eprintln!("sysv-child: unknown mode {other:?}");
            USAGE
        }
    }
}
