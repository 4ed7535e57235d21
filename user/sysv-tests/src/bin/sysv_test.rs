//! sysv-test: the tests of System V IPC, run as init's program (`init=sysv-test`; with
//! `init.args=NAME,NAME` only the cases named). Each case prints `sysv-test: ok NAME` or
//! `sysv-test: FAIL NAME: reason`; the last line is `sysv-test: N passed, N failed`, and
//! the exit status is the number of failures. The expected results, errno included, are
//! Linux's (msgget(2), msgop(2), msgctl(2), semget(2), semop(2), semctl(2), shmget(2),
//! shmop(2), shmctl(2), ftok(3)), with Linux's default limits (`MSGMNB` 16384, `MSGMAX`
//! 8192, `SEMMSL` 32000, `SEMOPM` 500, `SEMVMX` 32767).
//!
//! # How the cases work
//!
//! Every object a case makes is held by a guard ([`Queue`], [`SemaphoreSet`],
//! [`Segment`]) that removes it when dropped, so a failed case leaves nothing behind;
//! keyed objects use keys from [`KEY_BASE`] on, and a case first removes whatever an
//! earlier run left under its key.
//!
//! Children are `sysv-child` in one of its modes, or the demo programs. [`Child::start`]
//! waits until a `sysv-child` says it is ready (just before its call under test, or once
//! it holds what it holds) before a case goes on, can give a child a pipe as standard
//! input or output, and a [`Child`] that is dropped unreaped is killed with SIGKILL and
//! reaped. A child that is to block is given [`SETTLE`] to get there; a case that can see
//! the waiter (`GETNCNT`, `GETZCNT`) polls for it instead.
//!
//! # Deadlines
//!
//! No case can hang on a missed wake-up: waits for children poll `waitpid(WNOHANG)` until
//! a deadline, so a child whose blocked call is never answered fails the case (and is
//! killed); the only call this program makes that blocks, `semtimedop`, runs under a
//! [`Watchdog`], a child that sends [`DEADLINE_SIGNAL`] (caught without `SA_RESTART`, so
//! it ends the call with `EINTR`) once the deadline has passed.
//!
//! # Exit-time work
//!
//! On Linux a process's `SEM_UNDO` adjustments are applied and its shared memory
//! attachments counted down before its parent can reap it, and the cases check the result
//! as soon as `waitpid` has returned. (Here the sysv server does that work when it hears
//! that the process's session reference was released; the kernel delivers that notice
//! before any later call.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use courier_sysv_tests::child::{HANDLER_RAN, READY_DESCRIPTOR, SURVIVED};
use courier_sysv_tests::{message_service, shared_buffer};
use courier_test_support::sysv_objects::{
    LAST_PID, MESSAGE_CBYTES, MESSAGE_LRPID, MESSAGE_LSPID, MESSAGE_QBYTES, MESSAGE_QNUM, MSGMAX,
    MSGMNB, Queue, SEGMENT_CPID, SEGMENT_LPID, SEGMENT_NATTCH, SEGMENT_SIZE, SEMAPHORE_NSEMS,
    SEMMSL, SEMOPM, SEMVMX, SHM_DEST, Segment, SemaphoreSet, VALUE, WAITING_FOR_INCREASE,
    WAITING_FOR_ZERO, empty_status, operation, remove_all_under,
};
use courier_test_support::{
    CHILD_TIMEOUT, Check, describe, ensure, errno_name, fails_with, kill_and_reap, pause_briefly,
    read_byte_within, signal_name, sleep, step,
};
use libsys::abi::io::O_NONBLOCK;
use libsys::abi::signal::{SIGKILL, SIGNAL_MAX, SIGSEGV, SIGURG, SIGUSR1};
use libsys::fd::Fd;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::signal::{self, Handler, SigAction, SignalSet};
use libsys::sysv::{
    self, GETVAL, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT,
    MSG_EXCEPT, MSG_NOERROR, SEM_UNDO, SETALL, SETVAL, SHM_RDONLY, SHMLBA, STATUS_CGID,
    STATUS_CUID, STATUS_GID, STATUS_KEY, STATUS_MODE, STATUS_UID,
};
use libsys::{Errno, fd, fs, pipe, time};

libsys::main!(main);

/// A named test case.
type Case = (&'static str, fn() -> Check);

/// The program the cases spawn.
const CHILD: &str = "sysv-child";
/// How long a child is given to get into a call that blocks.
const SETTLE: Duration = Duration::from_millis(100);
/// The signal a [`Watchdog`] sends when its deadline passes (`SIGRTMAX`).
const DEADLINE_SIGNAL: u32 = SIGNAL_MAX;
/// The first key of this suite's keyed objects (`"VT"` in ASCII, then a case number).
const KEY_BASE: i32 = 0x5654_0000;
/// The user (and group) id children take to be someone else.
const OTHER_USER: u32 = 1000;

// ----- Small helpers ---------------------------------------------------------------------

fn own_pid() -> Result<Pid, String> {
    step("getpid", proc::getpid())
}

/// The key of case number `case`, cleared of whatever objects an earlier run left under it.
fn fresh_key(case: i32) -> i32 {
    let key = KEY_BASE + case;
    remove_all_under(key);
    key
}

// ----- Children --------------------------------------------------------------------------

/// How to start a child.
#[derive(Clone, Copy, Default)]
struct Start<'a> {
    /// Wait for its readiness byte (`sysv-child` modes).
    ready: bool,
    /// A descriptor to give it as standard input.
    input: Option<Fd>,
    /// A descriptor to give it as standard output.
    output: Option<Fd>,
    /// Descriptors of this process it must not inherit.
    close: &'a [Fd],
}

/// A child process, killed with SIGKILL and reaped when dropped unreaped.
struct Child {
    pid: Pid,
    name: String,
    reaped: bool,
}

/// Reads a non-blocking pipe until end of file (every writer gone), for up to
/// [`CHILD_TIMEOUT`], then closes it.
fn collect(descriptor: Fd) -> Result<String, String> {
    let deadline = time::monotonic() + CHILD_TIMEOUT;
    let mut contents = Vec::new();
    let mut chunk = [0u8; 256];
    let outcome = loop {
        match fd::read(descriptor, &mut chunk) {
            Ok(0) => break Ok(()),
            Ok(count) => contents.extend_from_slice(&chunk[..count]),
            Err(Errno::Eagain | Errno::Eintr) => {
                if time::monotonic() >= deadline {
                    break Err(format!("output still open after {CHILD_TIMEOUT:?}"));
                }
                pause_briefly();
            }
            Err(error) => break Err(format!("read output: {error}")),
        }
    };
    let _ = fd::close(descriptor);
    outcome.map(|()| String::from_utf8_lossy(&contents).into_owned())
}

/// A pipe whose ends are both non-blocking.
fn nonblocking_pipe() -> Result<(Fd, Fd), String> {
    step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))
}

impl Child {
    /// Starts `program` with `arguments` (after the program name) as `start` says.
    fn start(program: &str, arguments: &[&str], start: Start<'_>) -> Result<Child, String> {
        let ready_pipe = if start.ready { Some(nonblocking_pipe()?) } else { None };
        // Redirections: standard input and output first, descriptor 3 last, so that a
        // source that happens to be 3 is copied before 3 is replaced.
        let mut moves: Vec<(Fd, Fd)> = Vec::new();
        if let Some(input) = start.input {
            moves.push((input, 0));
        }
        if let Some(output) = start.output {
            moves.push((output, 1));
        }
        if let Some((_, writer)) = ready_pipe {
            moves.push((writer, READY_DESCRIPTOR));
        }
        let targets: Vec<Fd> = moves.iter().map(|&(_, target)| target).collect();
        let mut actions: Vec<FileAction> =
            moves.iter().map(|&(source, target)| FileAction::Dup2(source, target)).collect();
        let mut closed: Vec<Fd> = moves.iter().map(|&(source, _)| source).collect();
        closed.extend(start.close);
        if let Some((reader, _)) = ready_pipe {
            closed.push(reader);
        }
        closed.retain(|descriptor| !targets.contains(descriptor));
        closed.sort_unstable();
        closed.dedup();
        actions.extend(closed.into_iter().map(FileAction::Close));
        let mut argv = Vec::from([program]);
        argv.extend_from_slice(arguments);
        let spawned = proc::spawn(program, &argv, &[], &actions, &SpawnAttributes::default());
        let name = format!("{program} {}", arguments.join(" "));
        let Some((reader, writer)) = ready_pipe else {
            let pid = step(&format!("spawn {name}"), spawned)?;
            return Ok(Child { pid, name, reaped: false });
        };
        let _ = fd::close(writer);
        let pid = match spawned {
            Ok(pid) => pid,
            Err(error) => {
                let _ = fd::close(reader);
                return Err(format!("spawn {name}: {}", error.name()));
            }
        };
        let mut child = Child { pid, name, reaped: false };
        let ready = read_byte_within(reader, CHILD_TIMEOUT);
        let _ = fd::close(reader);
        match ready {
            Ok(Some(_)) => Ok(child),
            Ok(None) => {
                let status = child.end().map_or_else(|error| error, describe_child_status);
                Err(format!("{} ended before it was ready: {status}", child.name()))
            }
            Err(error) => Err(format!("{} never got ready: {error}", child.name())),
        }
    }

    /// Starts `sysv-child` with `arguments` and waits until it is ready.
    fn spawn(arguments: &[&str]) -> Result<Child, String> {
        Child::start(CHILD, arguments, Start { ready: true, ..Start::default() })
    }

    /// As [`Child::spawn`], with standard output on a pipe: the child and the pipe's
    /// reading end.
    fn spawn_reporting(arguments: &[&str]) -> Result<(Child, Fd), String> {
        let (reader, writer) = nonblocking_pipe()?;
        let start =
            Start { ready: true, output: Some(writer), close: &[reader], ..Start::default() };
        let child = Child::start(CHILD, arguments, start);
        let _ = fd::close(writer);
        match child {
            Ok(child) => Ok((child, reader)),
            Err(error) => {
                let _ = fd::close(reader);
                Err(error)
            }
        }
    }

    fn name(&self) -> String {
        format!("{} (pid {})", self.name, self.pid)
    }

    fn signal(&self, signal: u32) -> Check {
        let what = format!("kill({}, {})", self.pid, signal_name(signal));
        step(&what, proc::kill(self.pid, signal))
    }

    /// One `waitpid(pid, WNOHANG)`: the status, if the child has ended.
    fn poll(&mut self) -> Result<Option<i32>, String> {
        loop {
            match proc::waitpid(self.pid, proc::WNOHANG) {
                Ok((pid, status)) if pid == self.pid => {
                    self.reaped = true;
                    return Ok(Some(status));
                }
                Ok((0, _)) => return Ok(None),
                Ok((other, _)) => {
                    return Err(format!("waitpid({}) reported pid {other}", self.pid));
                }
                Err(Errno::Eintr) => {}
                Err(error) => return Err(format!("waitpid({}): {error}", self.pid)),
            }
        }
    }

    /// Waits for the child to end (for up to [`CHILD_TIMEOUT`]) and reaps it.
    fn end(&mut self) -> Result<i32, String> {
        let deadline = time::monotonic() + CHILD_TIMEOUT;
        loop {
            if let Some(status) = self.poll()? {
                return Ok(status);
            }
            if time::monotonic() >= deadline {
                return Err(format!("{} still running after {CHILD_TIMEOUT:?}", self.name()));
            }
            pause_briefly();
        }
    }

    fn exits_with(&mut self, code: i32) -> Check {
        let status = self.end()?;
        ensure(proc::exited(status) && proc::exit_status(status) == code, || {
            format!("{}: {}, expected exit {code}", self.name(), describe_child_status(status))
        })
    }

    /// Expects a mode that reports one call's outcome to end with `expected`.
    fn returns(&mut self, expected: Result<(), Errno>) -> Check {
        let code = expected.err().map_or(0, Errno::number);
        let status = self.end()?;
        ensure(proc::exited(status) && proc::exit_status(status) == code, || {
            format!(
                "{}: its call gave {}, expected {}",
                self.name(),
                describe_child_status(status),
                errno_name(code)
            )
        })
    }

    fn killed_by(&mut self, signal: u32) -> Check {
        let status = self.end()?;
        ensure(proc::signaled(status) && proc::terminating_signal(status) as u32 == signal, || {
            format!(
                "{}: {}, expected killed by {}",
                self.name(),
                describe(status),
                signal_name(signal)
            )
        })
    }

    /// Kills the child with SIGKILL and reaps it.
    fn kill(&mut self) -> Check {
        self.signal(SIGKILL)?;
        self.killed_by(SIGKILL)
    }

    /// Checks that the child has not ended (after `settle`).
    fn keeps_running(&mut self, settle: Duration) -> Check {
        sleep(settle);
        match self.poll()? {
            None => Ok(()),
            Some(status) => Err(format!(
                "{}: {}, expected it to stay blocked",
                self.name(),
                describe_child_status(status)
            )),
        }
    }
}

/// A wait status in words, naming an exit code that is an errno.
fn describe_child_status(status: i32) -> String {
    if proc::exited(status) && proc::exit_status(status) != 0 {
        let code = proc::exit_status(status);
        format!("exited with {code} ({})", errno_name(code & !HANDLER_RAN))
    } else {
        describe(status)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            kill_and_reap(self.pid);
        }
    }
}

// ----- Deadlines -------------------------------------------------------------------------

/// Set by [`DEADLINE_SIGNAL`]'s handler.
static DEADLINE_PASSED: AtomicBool = AtomicBool::new(false);

fn on_deadline(_signal: u32) {
    DEADLINE_PASSED.store(true, Ordering::Relaxed);
}

/// A child that sends [`DEADLINE_SIGNAL`] when the deadline passes (see the module
/// documentation).
struct Watchdog {
    child: Option<Child>,
}

impl Watchdog {
    fn start(timeout: Duration) -> Result<Watchdog, String> {
        DEADLINE_PASSED.store(false, Ordering::Relaxed);
        let action =
            SigAction { handler: Handler::Simple(on_deadline), flags: 0, mask: SignalSet::EMPTY };
        step("sigaction", signal::sigaction(DEADLINE_SIGNAL, Some(action)))?;
        let me = own_pid()?.to_string();
        let milliseconds = timeout.as_millis().to_string();
        let child = Child::spawn(&["watchdog", &me, &milliseconds, &DEADLINE_SIGNAL.to_string()])?;
        Ok(Watchdog { child: Some(child) })
    }

    fn passed(&self) -> bool {
        DEADLINE_PASSED.load(Ordering::Relaxed)
    }

    fn check(&self) -> Check {
        ensure(!self.passed(), || {
            String::from("the deadline passed: a blocking call outlived the signal meant to end it")
        })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.child.take());
        // Ignoring discards an instance still pending.
        let _ = signal::sigaction(DEADLINE_SIGNAL, Some(SigAction::new(Handler::Ignore)));
        let _ = signal::sigaction(DEADLINE_SIGNAL, Some(SigAction::new(Handler::Default)));
    }
}

// ----- Message queues --------------------------------------------------------------------

/// `msgget`: `IPC_PRIVATE` always makes a new queue; `IPC_CREAT | IPC_EXCL` on an existing
/// key is `EEXIST`; a missing key is `ENOENT`; another user needs the mode's permission
/// (`EACCES`) and cannot control the queue (`EPERM`).
fn msgget_keys() -> Check {
    let first = Queue::private()?;
    // IPC_PRIVATE makes a queue even without IPC_CREAT.
    let second = Queue::create(IPC_PRIVATE, 0o600)?;
    ensure(first.0 != second.0, || format!("two IPC_PRIVATE queues share id {}", first.0))?;

    let key = fresh_key(1);
    fails_with("msgget of a missing key", sysv::msgget(key, 0o600), Errno::Enoent)?;
    let queue = Queue::create(key, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "msgget(IPC_CREAT | IPC_EXCL) of an existing key",
        sysv::msgget(key, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )?;
    for flags in [IPC_CREAT | 0o600, 0o600, 0] {
        let id = step(&format!("msgget(key, {flags:#o})"), sysv::msgget(key, flags))?;
        ensure(id == queue.0, || format!("msgget(key, {flags:#o}) gave {id}, not {}", queue.0))?;
    }
    let status = queue.status()?;
    ensure(
        status[STATUS_KEY] as u32 == key as u32
            && status[STATUS_MODE] & 0o777 == 0o600
            && status[STATUS_UID] == 0
            && status[STATUS_CUID] == 0
            && status[STATUS_GID] == 0
            && status[STATUS_CGID] == 0,
        || format!("IPC_STAT gave key, uid, gid, cuid, cgid, mode {:?}", &status[..6]),
    )?;

    // Another user: no permission in mode 0600.
    let key_text = key.to_string();
    let other = OTHER_USER.to_string();
    let denied = "msgget(0600)=EACCES msgget(0)=ok msgsnd=EACCES msgrcv=EACCES IPC_STAT=EACCES \
                  IPC_SET=EPERM IPC_RMID=EPERM";
    expect_report(&["msg-access", &key_text, &other], denied)?;
    queue.holds(0, 0)?;
    // With mode 0666 it may use the queue, still not control it.
    let mut status = queue.status()?;
    status[STATUS_MODE] = 0o666;
    step("msgctl(IPC_SET, mode 0666)", sysv::msgctl(queue.0, IPC_SET, &mut status))?;
    let allowed = "msgget(0600)=ok msgget(0)=ok msgsnd=ok msgrcv=ok IPC_STAT=ok IPC_SET=EPERM \
                   IPC_RMID=EPERM";
    expect_report(&["msg-access", &key_text, &other], allowed)?;

    step("msgctl(IPC_RMID)", sysv::msgctl(queue.0, IPC_RMID, &mut empty_status()))?;
    fails_with("msgget of a removed key", sysv::msgget(key, 0), Errno::Enoent)
}

/// Runs a reporting `sysv-child` mode and compares its line with `expected`.
fn expect_report(arguments: &[&str], expected: &str) -> Check {
    let (mut child, output) = Child::spawn_reporting(arguments)?;
    let ended = child.exits_with(0);
    let report = collect(output)?;
    ended?;
    ensure(report.trim_end() == expected, || {
        format!("{}: reported {:?}, expected {expected:?}", child.name(), report.trim_end())
    })
}

/// `msgrcv`'s selection by type (0: the first; > 0: the first of that type, or with
/// `MSG_EXCEPT` the first of another; < 0: the first of the lowest type up to its
/// absolute value), `E2BIG` and `MSG_NOERROR` for long messages, `ENOMSG` with
/// `IPC_NOWAIT`, and `msgsnd`'s `EINVAL` for bad types and sizes.
fn msg_order_and_types() -> Check {
    let queue = Queue::private()?;
    for (message_type, body) in [(1, "a"), (2, "b"), (3, "c"), (1, "d"), (2, "e")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.holds(5, 5)?;
    queue.expect(0, 0, (1, "a"))?;
    queue.expect(2, 0, (2, "b"))?;
    // Left: c (3), d (1), e (2). The lowest type up to 2 is d's.
    queue.expect(-2, 0, (1, "d"))?;
    queue.expect(3, MSG_EXCEPT, (2, "e"))?;
    fails_with("msgrcv(msgtyp 2) with none of type 2", queue.receive(64, 2, 0), Errno::Enomsg)?;
    fails_with("msgrcv(msgtyp -2) with only type 3", queue.receive(64, -2, 0), Errno::Enomsg)?;
    queue.expect(0, 0, (3, "c"))?;
    fails_with("msgrcv from an empty queue", queue.receive(64, 0, 0), Errno::Enomsg)?;
    queue.holds(0, 0)?;

    // Among messages of the lowest type, the first sent comes first.
    for (message_type, body) in [(5, "five"), (4, "four-a"), (9, "nine"), (4, "four-b")] {
        queue.send(message_type, body.as_bytes())?;
    }
    queue.expect(-4, 0, (4, "four-a"))?;
    queue.expect(-9, 0, (4, "four-b"))?;
    fails_with("msgrcv(msgtyp -4) with types 5 and 9", queue.receive(64, -4, 0), Errno::Enomsg)?;
    queue.expect(5, MSG_EXCEPT, (9, "nine"))?;
    queue.expect(0, 0, (5, "five"))?;

    // Types must be positive; sizes at most MSGMAX; an empty message is a message.
    for bad_type in [0, -1] {
        fails_with(
            &format!("msgsnd(type {bad_type})"),
            sysv::msgsnd(queue.0, bad_type, b"x", IPC_NOWAIT),
            Errno::Einval,
        )?;
    }
    let too_long = vec![0u8; MSGMAX + 1];
    fails_with(
        "msgsnd of MSGMAX + 1 bytes",
        sysv::msgsnd(queue.0, 1, &too_long, 0),
        Errno::Einval,
    )?;
    let largest: Vec<u8> = (0..MSGMAX).map(|index| (index % 251) as u8).collect();
    queue.send(7, &largest)?;
    queue.send(8, b"")?;
    queue.holds(2, MSGMAX as u64)?;
    let (received_type, body) = step("msgrcv of MSGMAX bytes", queue.receive(MSGMAX, 0, 0))?;
    ensure(received_type == 7 && body == largest, || {
        format!("received type {received_type} and {} bytes, not the MSGMAX message", body.len())
    })?;
    let (received_type, body) = step("msgrcv of an empty message", queue.receive(16, 0, 0))?;
    ensure(received_type == 8 && body.is_empty(), || {
        format!(
            "received type {received_type} and {} bytes, expected the empty message",
            body.len()
        )
    })?;

    // Too long for the buffer: E2BIG leaves the message; MSG_NOERROR truncates it.
    queue.send(1, b"0123456789")?;
    fails_with("msgrcv of 10 bytes into 4", queue.receive(4, 0, 0), Errno::E2big)?;
    queue.holds(1, 10)?;
    let (received_type, body) =
        step("msgrcv(MSG_NOERROR) of 10 bytes into 4", queue.receive(4, 0, MSG_NOERROR))?;
    ensure(received_type == 1 && body == b"0123", || {
        format!("MSG_NOERROR gave type {received_type} {:?}", String::from_utf8_lossy(&body))
    })?;
    queue.holds(0, 0)?;

    // Ids that name no queue.
    let removed = Queue::private()?;
    let removed_id = removed.0;
    drop(removed);
    for (what, id) in [("a removed queue", removed_id), ("id -1", -1)] {
        fails_with(
            &format!("msgsnd to {what}"),
            sysv::msgsnd(id, 1, b"x", IPC_NOWAIT),
            Errno::Einval,
        )?;
        let mut buffer = [0u8; 8];
        fails_with(
            &format!("msgrcv from {what}"),
            sysv::msgrcv(id, &mut buffer, 0, IPC_NOWAIT),
            Errno::Einval,
        )?;
    }
    Ok(())
}

/// A child blocked in `msgrcv` gets what the parent sends (of the type it waits for
/// only); a child blocked in `msgsnd` on a full queue goes on once a message is taken;
/// `IPC_NOWAIT` on a full queue is `EAGAIN`.
fn msg_blocking() -> Check {
    let queue = Queue::private()?;
    let id = queue.0.to_string();

    let (mut receiver, output) = Child::spawn_reporting(&["msg-receive", &id, "0", "0"])?;
    receiver.keeps_running(SETTLE)?;
    queue.send(5, b"hello")?;
    let received = receiver.returns(Ok(()));
    let report = collect(output)?;
    received?;
    ensure(report.trim_end() == "5 hello", || {
        format!("the blocked receiver got {:?}, expected \"5 hello\"", report.trim_end())
    })?;

    // A receiver waiting for type 7 lets type 3 pass.
    let (mut receiver, output) = Child::spawn_reporting(&["msg-receive", &id, "7", "0"])?;
    receiver.keeps_running(SETTLE)?;
    queue.send(3, b"three")?;
    receiver.keeps_running(SETTLE)?;
    queue.send(7, b"seven")?;
    let received = receiver.returns(Ok(()));
    let report = collect(output)?;
    received?;
    ensure(report.trim_end() == "7 seven", || {
        format!("the receiver of type 7 got {:?}, expected \"7 seven\"", report.trim_end())
    })?;
    queue.holds(1, 5)?;
    queue.expect(0, 0, (3, "three"))?;

    // A full queue: two MSGMAX messages fill MSGMNB bytes.
    let large = vec![b'z'; MSGMAX];
    queue.send(1, &large)?;
    queue.send(2, &large)?;
    fails_with(
        "msgsnd(IPC_NOWAIT) to a full queue",
        sysv::msgsnd(queue.0, 3, b"x", IPC_NOWAIT),
        Errno::Eagain,
    )?;
    let mut sender = Child::spawn(&["msg-send", &id, "3", "100"])?;
    sender.keeps_running(SETTLE)?;
    queue.holds(2, 2 * MSGMAX as u64)?;
    let (received_type, _) = step("msgrcv", queue.receive(MSGMAX, 0, 0))?;
    ensure(received_type == 1, || format!("received type {received_type}, expected 1"))?;
    sender.returns(Ok(()))?;
    queue.holds(2, MSGMAX as u64 + 100)
}

/// `IPC_STAT` counts messages and bytes and records the last sender and receiver;
/// `IPC_SET` changes the mode and `msg_qbytes` (lowering it makes a send that no longer
/// fits wait); only a privileged process may raise `msg_qbytes` above `MSGMNB`.
fn msg_stat_set() -> Check {
    let me = own_pid()? as u64;
    let queue = Queue::create(IPC_PRIVATE, IPC_CREAT | 0o640)?;
    let id = queue.0.to_string();
    let status = queue.status()?;
    ensure(
        status[STATUS_KEY] == 0
            && status[STATUS_MODE] & 0o777 == 0o640
            && status[MESSAGE_QNUM] == 0
            && status[MESSAGE_CBYTES] == 0
            && status[MESSAGE_QBYTES] == MSGMNB
            && status[MESSAGE_LSPID] == 0
            && status[MESSAGE_LRPID] == 0,
        || {
            format!(
                "a new queue: key {:#x}, mode {:#o}, qnum {}, cbytes {}, qbytes {}, lspid {}, \
                 lrpid {}; expected key 0, mode 0640, qbytes {MSGMNB}, the rest 0",
                status[STATUS_KEY],
                status[STATUS_MODE],
                status[MESSAGE_QNUM],
                status[MESSAGE_CBYTES],
                status[MESSAGE_QBYTES],
                status[MESSAGE_LSPID],
                status[MESSAGE_LRPID]
            )
        },
    )?;
    let pids = |expected_sender: u64, expected_receiver: u64| -> Check {
        let status = queue.status()?;
        ensure(
            status[MESSAGE_LSPID] == expected_sender && status[MESSAGE_LRPID] == expected_receiver,
            || {
                format!(
                    "msg_lspid {} and msg_lrpid {}, expected {expected_sender} and \
                     {expected_receiver}",
                    status[MESSAGE_LSPID], status[MESSAGE_LRPID]
                )
            },
        )
    };

    queue.send(1, b"12345")?;
    queue.send(1, b"1234567")?;
    queue.holds(2, 12)?;
    pids(me, 0)?;
    let mut sender = Child::spawn(&["msg-send", &id, "2", "3"])?;
    sender.returns(Ok(()))?;
    queue.holds(3, 15)?;
    pids(sender.pid as u64, 0)?;
    queue.expect(1, 0, (1, "12345"))?;
    queue.holds(2, 10)?;
    pids(sender.pid as u64, me)?;
    let (mut receiver, output) = Child::spawn_reporting(&["msg-receive", &id, "1", "0"])?;
    let received = receiver.returns(Ok(()));
    let _ = collect(output);
    received?;
    queue.holds(1, 3)?;
    pids(sender.pid as u64, receiver.pid as u64)?;

    // IPC_SET: a new mode and a smaller msg_qbytes.
    let mut status = queue.status()?;
    status[STATUS_MODE] = 0o600;
    status[MESSAGE_QBYTES] = 100;
    step("msgctl(IPC_SET, mode 0600, qbytes 100)", sysv::msgctl(queue.0, IPC_SET, &mut status))?;
    let status = queue.status()?;
    ensure(status[STATUS_MODE] & 0o777 == 0o600 && status[MESSAGE_QBYTES] == 100, || {
        format!(
            "after IPC_SET: mode {:#o}, qbytes {}; expected 0600 and 100",
            status[STATUS_MODE], status[MESSAGE_QBYTES]
        )
    })?;
    // 3 bytes are queued: 98 more do not fit, 97 do.
    fails_with(
        "msgsnd(IPC_NOWAIT) of 98 bytes past msg_qbytes",
        sysv::msgsnd(queue.0, 1, &[b'y'; 98], IPC_NOWAIT),
        Errno::Eagain,
    )?;
    queue.send(1, &[b'y'; 97])?;
    queue.holds(2, 100)?;

    // Root may raise msg_qbytes above MSGMNB.
    let mut status = queue.status()?;
    status[MESSAGE_QBYTES] = 2 * MSGMNB;
    step(
        "msgctl(IPC_SET, qbytes 2 * MSGMNB) as root",
        sysv::msgctl(queue.0, IPC_SET, &mut status),
    )?;
    let qbytes = queue.status()?[MESSAGE_QBYTES];
    ensure(qbytes == 2 * MSGMNB, || format!("msg_qbytes {qbytes}, expected {}", 2 * MSGMNB))?;
    // Another user may not, even on its own queue.
    expect_report(
        &["msg-qbytes-as", &OTHER_USER.to_string()],
        "raise-above-limit=EPERM lower=ok raise-to-limit=ok qbytes=16384 IPC_RMID=ok",
    )
}

/// `IPC_RMID` wakes a blocked `msgrcv` and a blocked `msgsnd` with `EIDRM`; the removed
/// id is then `EINVAL`.
fn msg_rmid_wakes() -> Check {
    let queue = Queue::private()?;
    let id = queue.0.to_string();
    let mut receiver = Child::spawn(&["msg-receive", &id, "99", "0"])?;
    let large = vec![b'z'; MSGMAX];
    queue.send(1, &large)?;
    queue.send(1, &large)?;
    let mut sender = Child::spawn(&["msg-send", &id, "2", "100"])?;
    receiver.keeps_running(SETTLE)?;
    sender.keeps_running(Duration::ZERO)?;
    step("msgctl(IPC_RMID)", sysv::msgctl(queue.0, IPC_RMID, &mut empty_status()))?;
    receiver.returns(Err(Errno::Eidrm))?;
    sender.returns(Err(Errno::Eidrm))?;
    fails_with(
        "msgsnd to the removed id",
        sysv::msgsnd(queue.0, 1, b"x", IPC_NOWAIT),
        Errno::Einval,
    )?;
    fails_with("msgrcv from the removed id", queue.receive(64, 0, 0), Errno::Einval)?;
    fails_with("IPC_STAT of the removed id", queue.status_raw(), Errno::Einval)?;
    fails_with(
        "IPC_RMID of the removed id",
        sysv::msgctl(queue.0, IPC_RMID, &mut empty_status()),
        Errno::Einval,
    )
}

/// The message queue demo: `msgq-server` answers four `msgq-client`s at once on its
/// well-known key, each reply typed with its client's pid; the server removes its queue
/// when done.
fn msg_client_server() -> Check {
    let key = message_service::DEFAULT_KEY;
    remove_all_under(key);
    let mut server =
        Child::start("msgq-server", &["--count=4"], Start { ready: false, ..Start::default() })?;
    let (reader, writer) = nonblocking_pipe()?;
    let requests: [&[&str]; 4] = [&["alpha"], &["beta"], &["gamma", "ray"], &["delta"]];
    let started: Result<Vec<Child>, String> = requests
        .iter()
        .map(|words| {
            let start = Start { output: Some(writer), close: &[reader], ..Start::default() };
            Child::start("msgq-client", words, start)
        })
        .collect();
    let _ = fd::close(writer);
    let mut clients = match started {
        Ok(clients) => clients,
        Err(error) => {
            let _ = fd::close(reader);
            return Err(error);
        }
    };
    let ended: Check = clients.iter_mut().try_for_each(|client| client.exits_with(0));
    let output = collect(reader);
    ended?;
    let output = output?;
    server.exits_with(0)?;
    for words in requests {
        let text = words.join(" ");
        let line = format!("msgq-client: {text} -> {}\n", text.to_uppercase());
        ensure(output.contains(&line), || {
            format!("the clients printed {output:?}, without {line:?}")
        })?;
    }
    fails_with("msgget of the server's key after it ended", sysv::msgget(key, 0), Errno::Enoent)
}

// ----- Semaphores ------------------------------------------------------------------------

/// `semget`'s `EINVAL` rules; `SETVAL`/`GETVAL`/`SETALL`/`GETALL` with `ERANGE` above
/// `SEMVMX`; `semop`'s `EFBIG`, `E2BIG`, `ERANGE` and `EAGAIN`, and all-or-nothing
/// operation lists.
fn sem_basics() -> Check {
    let me = i64::from(own_pid()?);
    for (count, what) in [(0, "no semaphores"), (-1, "-1 semaphores"), (SEMMSL + 1, "SEMMSL + 1")] {
        fails_with(
            &format!("semget(IPC_PRIVATE, {what})"),
            sysv::semget(IPC_PRIVATE, count, IPC_CREAT | 0o600),
            Errno::Einval,
        )?;
    }
    let largest = SemaphoreSet::private(SEMMSL)?;
    let nsems = {
        let mut status = empty_status();
        step("semctl(IPC_STAT)", sysv::semctl_status(largest.0, IPC_STAT, &mut status))?;
        status[SEMAPHORE_NSEMS]
    };
    ensure(nsems == SEMMSL as u64, || format!("a set of SEMMSL semaphores has sem_nsems {nsems}"))?;
    drop(largest);

    let key = fresh_key(2);
    fails_with("semget of a missing key", sysv::semget(key, 3, 0o600), Errno::Enoent)?;
    let set = SemaphoreSet::create(key, 3, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "semget(IPC_CREAT | IPC_EXCL) of an existing key",
        sysv::semget(key, 3, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )?;
    fails_with(
        "semget of an existing key with more semaphores",
        sysv::semget(key, 4, 0),
        Errno::Einval,
    )?;
    for count in [3, 2, 0] {
        let id = step(&format!("semget(key, {count})"), sysv::semget(key, count, 0))?;
        ensure(id == set.0, || format!("semget(key, {count}) gave {id}, not {}", set.0))?;
    }
    let mut status = empty_status();
    step("semctl(IPC_STAT)", sysv::semctl_status(set.0, IPC_STAT, &mut status))?;
    ensure(status[SEMAPHORE_NSEMS] == 3 && status[STATUS_MODE] & 0o777 == 0o600, || {
        format!("sem_nsems {}, mode {:#o}", status[SEMAPHORE_NSEMS], status[STATUS_MODE])
    })?;
    let values = set.values(3)?;
    ensure(values == [0, 0, 0], || format!("a new set holds {values:?}"))?;
    set.expect(0, LAST_PID, 0)?;

    // Values: 0 to SEMVMX.
    set.set_value(0, 5)?;
    set.expect(0, VALUE, 5)?;
    set.set_value(1, SEMVMX)?;
    for bad in [SEMVMX + 1, -1] {
        fails_with(&format!("SETVAL({bad})"), set.control(1, SETVAL, bad), Errno::Erange)?;
    }
    set.expect(1, VALUE, i64::from(SEMVMX))?;
    for number in [3, -1] {
        fails_with(&format!("GETVAL({number})"), set.control(number, GETVAL, 0), Errno::Einval)?;
    }
    let mut values = [1, 2, 3];
    step("SETALL", sysv::semctl_values(set.0, SETALL, &mut values))?;
    let values = set.values(3)?;
    ensure(values == [1, 2, 3], || format!("after SETALL [1, 2, 3]: {values:?}"))?;
    let mut values = [4, 40000, 6];
    fails_with(
        "SETALL with 40000",
        sysv::semctl_values(set.0, SETALL, &mut values),
        Errno::Erange,
    )?;
    let values = set.values(3)?;
    ensure(values == [1, 2, 3], || format!("a refused SETALL left {values:?}"))?;
    fails_with("semctl(99)", set.control(0, 99, 0), Errno::Einval)?;

    // semop's limits.
    fails_with("semop on semaphore 3 of 3", set.operate(&[operation(3, 1, 0)]), Errno::Efbig)?;
    fails_with("semop of no operations", set.operate(&[]), Errno::Einval)?;
    let too_many = vec![operation(0, 0, IPC_NOWAIT as i16); SEMOPM + 1];
    fails_with("semop of SEMOPM + 1 operations", set.operate(&too_many), Errno::E2big)?;
    let most = vec![operation(2, 1, 0); SEMOPM];
    step("semop of SEMOPM operations", set.operate(&most))?;
    set.expect(2, VALUE, 3 + SEMOPM as i64)?;
    set.expect(2, LAST_PID, me)?;
    set.set_value(2, SEMVMX)?;
    fails_with("semop past SEMVMX", set.operate(&[operation(2, 1, 0)]), Errno::Erange)?;
    set.expect(2, VALUE, i64::from(SEMVMX))?;

    // All or nothing.
    let mut values = [1, 0, 0];
    step("SETALL", sysv::semctl_values(set.0, SETALL, &mut values))?;
    let nowait = IPC_NOWAIT as i16;
    fails_with(
        "semop [0 -= 1, 1 -= 1] with semaphore 1 at 0",
        set.operate(&[operation(0, -1, nowait), operation(1, -1, nowait)]),
        Errno::Eagain,
    )?;
    let values = set.values(3)?;
    ensure(values == [1, 0, 0], || format!("a refused semop left {values:?}, expected [1, 0, 0]"))?;
    set.set_value(2, SEMVMX)?;
    fails_with(
        "semop [0 -= 1, 2 += 1] with semaphore 2 at SEMVMX",
        set.operate(&[operation(0, -1, 0), operation(2, 1, 0)]),
        Errno::Erange,
    )?;
    set.expect(0, VALUE, 1)?;
    step("semop [0 -= 1, 1 += 2]", set.operate(&[operation(0, -1, 0), operation(1, 2, 0)]))?;
    let values = set.values(3)?;
    ensure(values[..2] == [0, 2], || format!("after [0 -= 1, 1 += 2]: {values:?}"))?;
    // Operations on one semaphore apply in order.
    step("semop [1 -= 2, 1 += 1]", set.operate(&[operation(1, -2, 0), operation(1, 1, 0)]))?;
    set.expect(1, VALUE, 1)?;
    fails_with("semop 0 -= 1 at 0", set.operate(&[operation(0, -1, nowait)]), Errno::Eagain)?;
    fails_with("semop wait-for-zero at 1", set.operate(&[operation(1, 0, nowait)]), Errno::Eagain)?;
    step("semop wait-for-zero at 0", set.operate(&[operation(0, 0, 0)]))?;
    set.expect(0, WAITING_FOR_INCREASE, 0)?;
    set.expect(0, WAITING_FOR_ZERO, 0)?;

    // Ids that name no set.
    let removed = set.0;
    step("semctl(IPC_RMID)", set.control(0, IPC_RMID, 0))?;
    fails_with(
        "semop on a removed set",
        sysv::semop(removed, &[operation(0, 1, 0)]),
        Errno::Einval,
    )?;
    fails_with("GETVAL of a removed set", sysv::semctl(removed, 0, GETVAL, 0), Errno::Einval)?;
    fails_with("semget of a removed key", sysv::semget(key, 0, 0), Errno::Enoent)
}

/// A child waiting to decrement is counted by `GETNCNT` and woken by an increment; a
/// child waiting for zero is counted by `GETZCNT` and woken when the value reaches 0; one
/// increment of 2 wakes two waiters.
fn sem_wait_and_wake() -> Check {
    let set = SemaphoreSet::private(2)?;
    let id = set.0.to_string();
    let mut waiter = Child::spawn(&["sem-op", &id, "0", "-1", "0"])?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    waiter.keeps_running(Duration::ZERO)?;
    step("semop 0 += 1", set.operate(&[operation(0, 1, 0)]))?;
    waiter.returns(Ok(()))?;
    set.expect(0, VALUE, 0)?;
    set.expect(0, WAITING_FOR_INCREASE, 0)?;
    // The last operation on semaphore 0 was the waiter's.
    set.expect(0, LAST_PID, i64::from(waiter.pid))?;

    set.set_value(1, 2)?;
    let mut waiter = Child::spawn(&["sem-op", &id, "1", "0", "0"])?;
    set.becomes(1, WAITING_FOR_ZERO, 1)?;
    step("semop 1 -= 1", set.operate(&[operation(1, -1, 0)]))?;
    waiter.keeps_running(SETTLE)?;
    set.expect(1, WAITING_FOR_ZERO, 1)?;
    step("semop 1 -= 1", set.operate(&[operation(1, -1, 0)]))?;
    waiter.returns(Ok(()))?;
    set.expect(1, WAITING_FOR_ZERO, 0)?;

    let mut first = Child::spawn(&["sem-op", &id, "0", "-1", "0"])?;
    let mut second = Child::spawn(&["sem-op", &id, "0", "-1", "0"])?;
    set.becomes(0, WAITING_FOR_INCREASE, 2)?;
    step("semop 0 += 2", set.operate(&[operation(0, 2, 0)]))?;
    first.returns(Ok(()))?;
    second.returns(Ok(()))?;
    set.expect(0, VALUE, 0)?;
    set.expect(0, WAITING_FOR_INCREASE, 0)
}

/// `SEM_UNDO` adjustments of a process killed by SIGKILL are applied: a decrement comes
/// back, an increment goes away, a value the adjustment would make negative stops at 0;
/// `SETVAL` clears the adjustments of its semaphore.
fn sem_undo_on_kill() -> Check {
    let set = SemaphoreSet::private(1)?;
    let id = set.0.to_string();
    let undo = SEM_UNDO.to_string();

    set.set_value(0, 1)?;
    let mut holder = Child::spawn(&["sem-hold", &id, "0", "-1", &undo])?;
    set.expect(0, VALUE, 0)?;
    set.expect(0, LAST_PID, i64::from(holder.pid))?;
    holder.kill()?;
    set.expect(0, VALUE, 1)?;

    let mut holder = Child::spawn(&["sem-hold", &id, "0", "2", &undo])?;
    set.expect(0, VALUE, 3)?;
    holder.kill()?;
    set.expect(0, VALUE, 1)?;

    // The undo of +2 would take 1 to -1: Linux stops at 0.
    let mut holder = Child::spawn(&["sem-hold", &id, "0", "2", &undo])?;
    step("semop 0 -= 2", set.operate(&[operation(0, -2, 0)]))?;
    holder.kill()?;
    set.expect(0, VALUE, 0)?;

    set.set_value(0, 1)?;
    let mut holder = Child::spawn(&["sem-hold", &id, "0", "-1", &undo])?;
    set.set_value(0, 5)?;
    holder.kill()?;
    set.expect(0, VALUE, 5)
}

/// `SEM_UNDO` adjustments of a process that exits normally are applied; operations
/// without it stay.
fn sem_undo_on_exit() -> Check {
    let set = SemaphoreSet::private(1)?;
    let id = set.0.to_string();
    let undo = SEM_UNDO.to_string();
    set.set_value(0, 1)?;
    let mut child = Child::spawn(&["sem-op", &id, "0", "-1", &undo])?;
    child.returns(Ok(()))?;
    set.expect(0, VALUE, 1)?;
    let mut child = Child::spawn(&["sem-op", &id, "0", "3", &undo])?;
    child.returns(Ok(()))?;
    set.expect(0, VALUE, 1)?;
    let mut child = Child::spawn(&["sem-op", &id, "0", "-1", "0"])?;
    child.returns(Ok(()))?;
    set.expect(0, VALUE, 0)
}

/// `semtimedop` fails with `EAGAIN` once its timeout has passed (not before, and not
/// much after), at once with a zero timeout, and not at all when the operation can go on
/// before then.
fn semtimedop_timeout() -> Check {
    const TIMEOUT: Duration = Duration::from_millis(200);
    const LATENESS: Duration = Duration::from_millis(800);
    let set = SemaphoreSet::private(1)?;
    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    let start = time::monotonic();
    let result = sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(TIMEOUT));
    let waited = time::monotonic() - start;
    watchdog.check()?;
    fails_with("semtimedop(200 ms) of 0 -= 1 at 0", result, Errno::Eagain)?;
    ensure(waited >= TIMEOUT && waited < TIMEOUT + LATENESS, || {
        format!("semtimedop(200 ms) gave EAGAIN after {waited:?}")
    })?;
    set.expect(0, WAITING_FOR_INCREASE, 0)?;

    let start = time::monotonic();
    let result = sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(Duration::ZERO));
    let waited = time::monotonic() - start;
    watchdog.check()?;
    fails_with("semtimedop(0) of 0 -= 1 at 0", result, Errno::Eagain)?;
    ensure(waited < LATENESS, || format!("semtimedop(0) gave EAGAIN after {waited:?}"))?;

    set.set_value(0, 1)?;
    step(
        "semtimedop(200 ms) of 0 -= 1 at 1",
        sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(TIMEOUT)),
    )?;
    set.expect(0, VALUE, 0)?;
    drop(watchdog);

    // Woken before its timeout.
    let mut waiter = Child::spawn(&["sem-timed-op", &set.0.to_string(), "0", "-1", "5000"])?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    let start = time::monotonic();
    step("semop 0 += 1", set.operate(&[operation(0, 1, 0)]))?;
    waiter.returns(Ok(()))?;
    let waited = time::monotonic() - start;
    ensure(waited < Duration::from_secs(2), || {
        format!("the timed waiter took {waited:?} to end after the increment")
    })?;
    set.expect(0, VALUE, 0)
}

/// A child blocked in `semop` that runs a SIGUSR1 handler fails with `EINTR`, with or
/// without `SA_RESTART` (Linux never restarts `semop`), and is no longer counted by
/// `GETNCNT`; a signal with no handler (SIGURG, ignored by default) does not end the wait.
fn sem_eintr() -> Check {
    let set = SemaphoreSet::private(1)?;
    let id = set.0.to_string();
    for flags in ["no-restart", "restart"] {
        let mut child = Child::spawn(&["sem-eintr", &id, flags])?;
        set.becomes(0, WAITING_FOR_INCREASE, 1)?;
        child.signal(SIGURG)?;
        child.keeps_running(SETTLE)?;
        set.expect(0, WAITING_FOR_INCREASE, 1)?;
        child.signal(SIGUSR1)?;
        let status = child.end()?;
        let expected = Errno::Eintr.number() | HANDLER_RAN;
        ensure(proc::exited(status) && proc::exit_status(status) == expected, || {
            let got = if proc::exited(status) {
                let code = proc::exit_status(status);
                let handler = if code & HANDLER_RAN != 0 { "ran" } else { "did not run" };
                format!("semop gave {}, the handler {handler}", errno_name(code & !HANDLER_RAN))
            } else {
                describe(status)
            };
            format!("with {flags}: {got}; expected EINTR after the handler")
        })?;
        set.expect(0, WAITING_FOR_INCREASE, 0)?;
        set.expect(0, VALUE, 0)?;
    }
    Ok(())
}

/// `IPC_RMID` wakes every waiter of a set with `EIDRM`; the removed id is then `EINVAL`.
fn sem_rmid_wakes() -> Check {
    let set = SemaphoreSet::private(2)?;
    let id = set.0.to_string();
    set.set_value(1, 1)?;
    let mut decrementer = Child::spawn(&["sem-op", &id, "0", "-1", "0"])?;
    let mut zero_waiter = Child::spawn(&["sem-op", &id, "1", "0", "0"])?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    set.becomes(1, WAITING_FOR_ZERO, 1)?;
    step("semctl(IPC_RMID)", set.control(0, IPC_RMID, 0))?;
    decrementer.returns(Err(Errno::Eidrm))?;
    zero_waiter.returns(Err(Errno::Eidrm))?;
    fails_with("semop on the removed id", set.operate(&[operation(0, 1, 0)]), Errno::Einval)?;
    fails_with("GETVAL of the removed id", set.control(0, GETVAL, 0), Errno::Einval)?;
    fails_with("IPC_RMID of the removed id", set.control(0, IPC_RMID, 0), Errno::Einval)
}

// ----- Shared memory ---------------------------------------------------------------------

/// `shmget`'s size rules (`EINVAL` for 0 and for more than an existing segment has);
/// `IPC_STAT`'s `shm_segsz`, `shm_cpid`, `shm_lpid` and `shm_nattch`; two attachments
/// share the memory; `SHM_RDONLY` attachments cannot be written (SIGSEGV).
fn shm_basics() -> Check {
    let me = own_pid()? as u64;
    fails_with(
        "shmget(IPC_PRIVATE, 0 bytes)",
        sysv::shmget(IPC_PRIVATE, 0, IPC_CREAT | 0o600),
        Errno::Einval,
    )?;
    let key = fresh_key(3);
    fails_with("shmget of a missing key", sysv::shmget(key, 10000, 0o600), Errno::Enoent)?;
    let segment = Segment::create(key, 10000, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "shmget(IPC_CREAT | IPC_EXCL) of an existing key",
        sysv::shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )?;
    fails_with("shmget of an existing key, larger", sysv::shmget(key, 10001, 0), Errno::Einval)?;
    for size in [10000, 5000, 0] {
        let id = step(&format!("shmget(key, {size})"), sysv::shmget(key, size, 0))?;
        ensure(id == segment.0, || format!("shmget(key, {size}) gave {id}, not {}", segment.0))?;
    }
    let status = segment.status()?;
    ensure(
        status[SEGMENT_SIZE] == 10000
            && status[SEGMENT_CPID] == me
            && status[SEGMENT_LPID] == 0
            && status[SEGMENT_NATTCH] == 0
            && status[STATUS_KEY] as u32 == key as u32
            && status[STATUS_MODE] & 0o777 == 0o600,
        || {
            format!(
                "a new segment: segsz {}, cpid {}, lpid {}, nattch {}, key {:#x}, mode {:#o}; \
                 expected 10000, {me}, 0, 0, {key:#x}, 0600",
                status[SEGMENT_SIZE],
                status[SEGMENT_CPID],
                status[SEGMENT_LPID],
                status[SEGMENT_NATTCH],
                status[STATUS_KEY],
                status[STATUS_MODE]
            )
        },
    )?;

    let first = step("shmat", sysv::shmat(segment.0, None, 0))?;
    ensure(first.length() >= 10000, || format!("an attachment of {} bytes", first.length()))?;
    ensure(first.read_word(0) == Some(0) && first.read_word(9984) == Some(0), || {
        String::from("a new segment is not zero-filled")
    })?;
    segment.expect_attachments(1)?;
    let second = step("shmat again", sysv::shmat(segment.0, None, 0))?;
    segment.expect_attachments(2)?;
    let lpid = segment.status()?[SEGMENT_LPID];
    ensure(lpid == me, || format!("shm_lpid {lpid} after shmat, expected {me}"))?;
    ensure(first.address() != second.address(), || {
        String::from("both attachments at one address")
    })?;
    first.write_word(0, 0x5359_5356_0000_0001);
    first.write_bytes(9990, b"last bytes");
    let mut tail = [0u8; 10];
    second.read_bytes(9990, &mut tail);
    ensure(second.read_word(0) == Some(0x5359_5356_0000_0001) && &tail == b"last bytes", || {
        format!("the second attachment reads {:?} and {tail:?}", second.read_word(0))
    })?;
    step("shmdt", sysv::shmdt(first))?;
    segment.expect_attachments(1)?;
    step("shmdt", sysv::shmdt(second))?;
    segment.expect_attachments(0)?;

    // Attach addresses must be multiples of SHMLBA unless SHM_RND.
    fails_with(
        "shmat at an address that is not a multiple of SHMLBA",
        sysv::shmat(segment.0, Some(SHMLBA as usize * 4096 + 8), 0),
        Errno::Einval,
    )?;
    // IPC_SET changes the mode.
    let mut status = segment.status()?;
    status[STATUS_MODE] = 0o640;
    step("shmctl(IPC_SET, mode 0640)", sysv::shmctl(segment.0, IPC_SET, &mut status))?;
    let mode = segment.status()?[STATUS_MODE];
    ensure(mode & 0o777 == 0o640, || format!("mode {mode:#o} after IPC_SET 0640"))?;

    // A read-only attachment: reading works, writing faults.
    let mut reader = Child::spawn(&["shm-write-readonly", &segment.0.to_string()])?;
    let status = reader.end()?;
    ensure(proc::signaled(status) && proc::terminating_signal(status) as u32 == SIGSEGV, || {
        let got = if proc::exited(status) && proc::exit_status(status) == SURVIVED {
            String::from("its write went through")
        } else {
            describe(status)
        };
        format!("a write to a SHM_RDONLY attachment: {got}, expected SIGSEGV")
    })?;
    segment.expect_attachments(0)?;

    let removed = segment.0;
    step("shmctl(IPC_RMID)", sysv::shmctl(removed, IPC_RMID, &mut empty_status()))?;
    fails_with("shmat of a removed segment", sysv::shmat(removed, None, 0), Errno::Einval)?;
    fails_with("shmat of id -1", sysv::shmat(-1, None, SHM_RDONLY), Errno::Einval)?;
    fails_with("shmget of a removed key", sysv::shmget(key, 0, 0), Errno::Enoent)
}

/// The shared memory demo: three `sysv-producer`s (two with numbers as arguments, one
/// reading its standard input from a pipe) and one `sysv-consumer` share the ring buffer;
/// the consumer prints the sum and removes the semaphore set and the segment.
fn shm_shared_counter() -> Check {
    let key = shared_buffer::DEFAULT_KEY;
    remove_all_under(key);
    let (output_reader, output_writer) = nonblocking_pipe()?;
    let consumer = Child::start(
        "sysv-consumer",
        &["--producers=3"],
        Start { output: Some(output_writer), close: &[output_reader], ..Start::default() },
    );
    let _ = fd::close(output_writer);
    let mut consumer = match consumer {
        Ok(consumer) => consumer,
        Err(error) => {
            let _ = fd::close(output_reader);
            return Err(error);
        }
    };
    let outcome = (|| {
        let numbers: Vec<String> = (1..=50).map(|number| number.to_string()).collect();
        let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let mut producers = vec![Child::start(
            "sysv-producer",
            &numbers,
            Start { close: &[output_reader], ..Start::default() },
        )?];
        producers.push(Child::start(
            "sysv-producer",
            &["100", "200", "300"],
            Start { close: &[output_reader], ..Start::default() },
        )?);
        // The third reads "7 8", "9" and end of file from a pipe.
        let (input_reader, input_writer) = step("pipe", pipe::pipe())?;
        let written = fd::write(input_writer, b"7 8\n9");
        let _ = fd::close(input_writer);
        step("write", written)?;
        let third = Child::start(
            "sysv-producer",
            &[],
            Start { input: Some(input_reader), close: &[output_reader], ..Start::default() },
        );
        let _ = fd::close(input_reader);
        producers.push(third?);
        for producer in &mut producers {
            producer.exits_with(0)?;
        }
        consumer.exits_with(0)
    })();
    let output = collect(output_reader);
    outcome?;
    let output = output?;
    let expected = "sysv-consumer: 56 numbers from 3 producers, sum 1899\n";
    ensure(output == expected, || {
        format!("the consumer printed {output:?}, expected {expected:?}")
    })?;
    fails_with("semget of the demo's key after it ended", sysv::semget(key, 0, 0), Errno::Enoent)?;
    fails_with("shmget of the demo's key after it ended", sysv::shmget(key, 0, 0), Errno::Enoent)
}

/// `IPC_RMID` of an attached segment frees its key at once (`shm_perm.key` becomes
/// `IPC_PRIVATE`, the mode shows `SHM_DEST`) while the id keeps working (Linux even lets
/// it be attached again) until the last detach, after which it is `EINVAL`.
fn shm_rmid_deferred() -> Check {
    let key = fresh_key(4);
    let segment = Segment::create(key, 4096, IPC_CREAT | IPC_EXCL | 0o600)?;
    let first = step("shmat", sysv::shmat(segment.0, None, 0))?;
    first.write_word(8, 0xfeed);
    step(
        "shmctl(IPC_RMID) while attached",
        sysv::shmctl(segment.0, IPC_RMID, &mut empty_status()),
    )?;
    fails_with("shmget of the key after IPC_RMID", sysv::shmget(key, 0, 0), Errno::Enoent)?;
    let status = segment.status()?;
    ensure(
        status[STATUS_KEY] == 0
            && status[STATUS_MODE] & SHM_DEST != 0
            && status[SEGMENT_NATTCH] == 1,
        || {
            format!(
                "after IPC_RMID: key {:#x}, mode {:#o}, nattch {}; expected key 0, SHM_DEST \
                 (01000) in the mode, nattch 1",
                status[STATUS_KEY], status[STATUS_MODE], status[SEGMENT_NATTCH]
            )
        },
    )?;
    let second = step("shmat of the removed, attached segment", sysv::shmat(segment.0, None, 0))?;
    segment.expect_attachments(2)?;
    ensure(second.read_word(8) == Some(0xfeed), || {
        format!("the new attachment reads {:?}, expected 0xfeed", second.read_word(8))
    })?;
    // The key is free for a new segment.
    let replacement = Segment::create(key, 4096, IPC_CREAT | IPC_EXCL | 0o600)?;
    ensure(replacement.0 != segment.0, || String::from("the new segment has the old id"))?;
    drop(replacement);
    step("shmdt", sysv::shmdt(first))?;
    segment.expect_attachments(1)?;
    step("shmdt of the last attachment", sysv::shmdt(second))?;
    fails_with("IPC_STAT after the last detach", segment.status_raw(), Errno::Einval)?;
    fails_with("shmat after the last detach", sysv::shmat(segment.0, None, 0), Errno::Einval)?;
    fails_with(
        "IPC_RMID after the last detach",
        sysv::shmctl(segment.0, IPC_RMID, &mut empty_status()),
        Errno::Einval,
    )
}

/// A process's attachments end with it, whether it exits or is killed.
fn shm_exit_detaches() -> Check {
    let segment = Segment::create(IPC_PRIVATE, 4096, IPC_CREAT | 0o600)?;
    let id = segment.0.to_string();
    let watcher = step("shmat", sysv::shmat(segment.0, None, SHM_RDONLY))?;
    let mut child = Child::spawn(&["shm-attach", &id, "200"])?;
    segment.expect_attachments(2)?;
    let status = segment.status()?;
    ensure(
        status[SEGMENT_LPID] == child.pid as u64 && watcher.read_word(0) == Some(child.pid as u64),
        || {
            format!(
                "after the child attached: shm_lpid {}, first word {:?}; expected its pid {}",
                status[SEGMENT_LPID],
                watcher.read_word(0),
                child.pid
            )
        },
    )?;
    child.exits_with(0)?;
    segment.expect_attachments(1)?;
    let lpid = segment.status()?[SEGMENT_LPID];
    ensure(lpid == child.pid as u64, || {
        format!("shm_lpid {lpid} after the child's exit detached it, expected {}", child.pid)
    })?;

    let mut child = Child::spawn(&["shm-attach", &id, "0"])?;
    segment.expect_attachments(2)?;
    child.kill()?;
    segment.expect_attachments(1)?;
    step("shmdt", sysv::shmdt(watcher))?;
    segment.expect_attachments(0)
}

// ----- ftok ------------------------------------------------------------------------------

/// `ftok`: the same path and project give the same key, another project or file another
/// one; only the project's low 8 bits count; a missing path is `ENOENT`.
fn ftok() -> Check {
    const FIRST: &str = "/sysv-test-ftok-a";
    const SECOND: &str = "/sysv-test-ftok-b";
    for path in [FIRST, SECOND] {
        let descriptor = step(&format!("creat {path}"), fs::creat(path, 0o600))?;
        let _ = fd::close(descriptor);
    }
    let outcome = (|| {
        let key = step("ftok", sysv::ftok(FIRST, i32::from(b'A')))?;
        let again = step("ftok", sysv::ftok(FIRST, i32::from(b'A')))?;
        ensure(key == again, || format!("ftok gave {key:#x}, then {again:#x}"))?;
        let inode = step("stat", fs::stat(FIRST))?.inode;
        ensure(
            key as u32 >> 24 == u32::from(b'A') && u64::from(key as u32 & 0xffff) == inode & 0xffff,
            || format!("ftok gave {key:#x} for inode {inode:#x} and project 'A'"),
        )?;
        let other_project = step("ftok", sysv::ftok(FIRST, i32::from(b'B')))?;
        ensure(other_project != key, || format!("projects 'A' and 'B' both give {key:#x}"))?;
        let other_file = step("ftok", sysv::ftok(SECOND, i32::from(b'A')))?;
        ensure(other_file != key, || format!("two files both give {key:#x}"))?;
        let high_bits = step("ftok", sysv::ftok(FIRST, 0x100 | i32::from(b'A')))?;
        ensure(high_bits == key, || {
            format!("project 0x141 gives {high_bits:#x}, project 0x41 {key:#x}")
        })?;
        fails_with("ftok of a missing path", sysv::ftok("/sysv-test-missing", 1), Errno::Enoent)?;
        // The key names the same queue each time.
        remove_all_under(key);
        let queue = Queue::create(key, IPC_CREAT | IPC_EXCL | 0o600)?;
        let found = step("msgget(ftok(...), 0)", sysv::msgget(again, 0))?;
        ensure(found == queue.0, || format!("msgget of the key gave {found}, not {}", queue.0))
    })();
    for path in [FIRST, SECOND] {
        let _ = fs::unlink(path);
    }
    outcome
}

/// Whether the System V server answers at all.
fn reachable() -> Result<(), Errno> {
    let id = sysv::msgget(IPC_PRIVATE, IPC_CREAT | 0o600)?;
    sysv::msgctl(id, IPC_RMID, &mut empty_status()).map(|_| ())
}

fn main() -> i32 {
    let cases: [Case; 18] = [
        ("msgget-keys", msgget_keys),
        ("msg-order-and-types", msg_order_and_types),
        ("msg-blocking", msg_blocking),
        ("msg-stat-set", msg_stat_set),
        ("msg-rmid-wakes", msg_rmid_wakes),
        ("msg-client-server", msg_client_server),
        ("sem-basics", sem_basics),
        ("sem-wait-and-wake", sem_wait_and_wake),
        ("sem-undo-on-kill", sem_undo_on_kill),
        ("sem-undo-on-exit", sem_undo_on_exit),
        ("semtimedop-timeout", semtimedop_timeout),
        ("sem-eintr", sem_eintr),
        ("sem-rmid-wakes", sem_rmid_wakes),
        ("shm-basics", shm_basics),
        ("shm-shared-counter", shm_shared_counter),
        ("shm-rmid-deferred", shm_rmid_deferred),
        ("shm-exit-detaches", shm_exit_detaches),
        ("ftok", ftok),
    ];
    let only: Vec<&str> = libsys::env::args().skip(1).collect();
    let selected: Vec<Case> =
        cases.into_iter().filter(|(name, _)| only.is_empty() || only.contains(name)).collect();
    if let Err(error) = reachable() {
        libsys::println!("sysv-test: cannot reach the System V server: {}", error.name());
        libsys::println!("sysv-test: 0 passed, {} failed", selected.len());
        return selected.len() as i32;
    }
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in selected {
        match case() {
            Ok(()) => {
                passed += 1;
                libsys::println!("sysv-test: ok {name}");
            }
            Err(reason) => {
                failed += 1;
                libsys::println!("sysv-test: FAIL {name}: {reason}");
            }
        }
    }
    libsys::println!("sysv-test: {passed} passed, {failed} failed");
    failed
}
