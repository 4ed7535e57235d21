//! signal-child: what signal-test spawns. The first argument selects the mode:
//!
//! - `wait-forever`: installs nothing and sleeps in a loop until a signal ends it;
//! - `exit CODE`: exits with CODE;
//! - `sleep-exit MS CODE`: sleeps MS milliseconds, then exits with CODE;
//! - `send-after MS SIGNAL PID`: sleeps MS milliseconds, sends SIGNAL to PID and exits;
//! - `watchdog PID MS SIGNAL`: sleeps MS milliseconds, then sends SIGNAL to PID every
//!   500 ms until PID is gone (signal-test's deadline for calls that block);
//! - `signal-flood PID SIGNAL`: sends SIGNAL to PID as fast as it can until PID is gone
//!   (or this child is killed);
//! - `read-pipe restart|no-restart`: catches SIGUSR1 (with or without `SA_RESTART`), then
//!   reads descriptor 0 (a pipe) once;
//! - `open-fifo PATH restart|no-restart`: catches SIGUSR1 likewise, then opens the FIFO
//!   PATH for reading (which blocks until a writer comes) and reads it once;
//! - `resethand`: catches SIGUSR1 with `SA_RESETHAND` by a handler that raises SIGUSR1
//!   again and then writes `reset` (or `not-reset`, if the action was not back to the
//!   default inside the handler) to descriptor 1; then raises SIGUSR1: the instance raised
//!   inside the handler must end the process after the handler returns;
//! - `ignore-all`: ignores every signal it can (SIGKILL and SIGSTOP must be refused),
//!   blocks every signal, and sleeps;
//! - `block-tstp`: blocks SIGTSTP, reads one byte from descriptor 0, checks that SIGTSTP is
//!   pending, writes one byte to descriptor 1, reads another byte from 0 (signal-test sends
//!   SIGCONT in between), checks that SIGTSTP is no longer pending, unblocks it and exits;
//! - `kill-as UID TARGET SIGNAL`: sets its user id to UID, then `kill(TARGET, SIGNAL)`;
//! - `setuid-wait UID`: sets its user id to UID, then sleeps like `wait-forever`;
//! - `group-kill`: (started as the leader of a new process group) starts two
//!   `wait-forever` children in its group, catches SIGUSR1 and sends it with `kill(0, ..)`:
//!   its own handler must run and both children must die by it;
//! - `report-inherited`: checks what it inherited from signal-test, which blocked SIGUSR1
//!   (and left one pending), ignored SIGUSR2 and caught SIGINT;
//! - `write-closed-pipe`: writes to a pipe whose only reader it closed (SIGPIPE, default
//!   action).
//!
//! # Readiness
//!
//! Every mode writes one byte to descriptor 3 and closes it once it is ready (handlers and
//! mask in place, user id set). signal-test waits for that byte before it sends anything:
//! a signal sent earlier would meet the program's start-up state instead of the one the
//! case is about.
//!
//! # Exit codes
//!
//! [`USAGE`] for bad arguments, [`SETUP`] when a step before the one under test failed;
//! otherwise as each mode says. The `read-pipe` and `open-fifo` modes exit with the
//! outcome ([`OUTCOME_EINTR`], [`OUTCOME_DATA`], [`OUTCOME_OTHER`]) plus [`HANDLER_RAN`]
//! if the SIGUSR1 handler ran.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use courier_test_support::{sleep, sleep_forever, tell_ready};
use libsys::abi::io::O_RDONLY;
use libsys::abi::signal::{
    SA_RESETHAND, SA_RESTART, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGINT, SIGNAL_MAX, SIGPIPE,
    SIGTSTP, SIGUSR1, SIGUSR2,
};
use libsys::fd::Fd;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::signal::{self, Handler, SigAction, SignalSet};
use libsys::{Errno, env, fd, fs, pipe, time};

libsys::main!(main);

/// The descriptor on which the child says it is ready.
const READY: Fd = 3;

/// Exit code: bad arguments.
const USAGE: i32 = 99;
/// Exit code: a step before the one under test failed.
const SETUP: i32 = 98;

/// Outcome of a blocking call: it failed with `EINTR`.
const OUTCOME_EINTR: i32 = 1;
/// Outcome of a blocking call: it returned the data signal-test wrote (`data`).
const OUTCOME_DATA: i32 = 2;
/// Outcome of a blocking call: anything else.
const OUTCOME_OTHER: i32 = 3;
/// Added to an outcome when the SIGUSR1 handler ran.
const HANDLER_RAN: i32 = 0x10;

/// How many times the SIGUSR1 handler ran.
static HANDLED: AtomicU32 = AtomicU32::new(0);

fn count_signal(_signal: u32) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

fn handler_bit() -> i32 {
    if HANDLED.load(Ordering::Relaxed) > 0 { HANDLER_RAN } else { 0 }
}

fn install(signal: u32, handler: Handler, flags: u64) -> bool {
    signal::sigaction(signal, Some(SigAction { handler, flags, mask: SignalSet::EMPTY })).is_ok()
}

/// `SA_RESTART` for `restart`, 0 for `no-restart`.
fn restart_flags(mode: &str) -> Option<u64> {
    match mode {
        "restart" => Some(SA_RESTART),
        "no-restart" => Some(0),
        _ => None,
    }
}

/// Reads `descriptor` once and says what came of it.
fn read_outcome(descriptor: Fd) -> i32 {
    let mut buffer = [0u8; 16];
    match fd::read(descriptor, &mut buffer) {
        Err(Errno::Eintr) => OUTCOME_EINTR,
        Ok(count) if &buffer[..count] == b"data" => OUTCOME_DATA,
        _ => OUTCOME_OTHER,
    }
}

fn read_byte(descriptor: Fd) -> bool {
    let mut byte = [0u8; 1];
    fd::read(descriptor, &mut byte) == Ok(1)
}

/// Starts `signal-child` with `arguments` and waits until it is ready.
fn spawn_ready(arguments: &[&str]) -> Result<Pid, Errno> {
    let (reader, writer) = pipe::pipe()?;
    let mut actions = Vec::from([FileAction::Dup2(writer, READY)]);
    actions.extend([reader, writer].into_iter().filter(|&end| end != READY).map(FileAction::Close));
    let mut argv = Vec::from(["signal-child"]);
    argv.extend_from_slice(arguments);
    let spawned = proc::spawn("signal-child", &argv, &[], &actions, &SpawnAttributes::default());
    let _ = fd::close(writer);
    let ready = spawned.is_ok() && read_byte(reader);
    let _ = fd::close(reader);
    match (spawned, ready) {
        (Ok(pid), true) => Ok(pid),
        (Ok(_), false) => Err(Errno::Eio),
        (Err(error), _) => Err(error),
    }
}

/// Waits up to `timeout` for `pid` to end; kills it with SIGKILL if it does not.
fn wait_with_deadline(pid: Pid, timeout: Duration) -> Option<i32> {
    let deadline = time::monotonic() + timeout;
    while time::monotonic() < deadline {
        match proc::waitpid(pid, proc::WNOHANG) {
            Ok((reaped, status)) if reaped == pid => return Some(status),
            Ok(_) | Err(Errno::Eintr) => {}
            Err(_) => return None,
        }
        let _ = time::nanosleep(Duration::from_millis(2));
    }
    let _ = proc::kill(pid, libsys::abi::signal::SIGKILL);
    let _ = proc::waitpid(pid, 0);
    None
}

/// The `resethand` handler: see the module documentation.
fn reraise_after_reset(signal: u32) {
    let reset =
        matches!(signal::sigaction(signal, None), Ok(SigAction { handler: Handler::Default, .. }));
    // SIGUSR1 is blocked while its handler runs (no SA_NODEFER): this instance waits.
    let _ = signal::raise(signal);
    let _ = fd::write(1, if reset { b"reset" } else { b"not-reset" });
}

/// `group-kill`: see the module documentation. Exit code: 0, or bit 1 if `kill(0, ..)`
/// failed, 2 if its own handler did not run once, 4 and 8 if the first or second child was
/// not killed by SIGUSR1.
fn group_kill() -> i32 {
    if !install(SIGUSR1, Handler::Simple(count_signal), 0) {
        return SETUP;
    }
    let mut members = Vec::new();
    for _ in 0..2 {
        match spawn_ready(&["wait-forever"]) {
            Ok(pid) => members.push(pid),
            Err(_) => return SETUP,
        }
    }
    let mut code = 0;
    if proc::kill(0, SIGUSR1).is_err() {
        code |= 1;
    }
    if HANDLED.load(Ordering::Relaxed) != 1 {
        code |= 2;
    }
    for (index, &member) in members.iter().enumerate() {
        match wait_with_deadline(member, Duration::from_secs(10)) {
            Some(status)
                if proc::signaled(status) && proc::terminating_signal(status) == SIGUSR1 as i32 => {
            }
            _ => code |= 4 << index,
        }
    }
    code
}

/// `report-inherited`: exit code with bit 1 if the mask is exactly SIGUSR1, 2 if SIGUSR2 is
/// ignored, 4 if SIGINT has its default action, 8 if nothing is pending at the start, 16 if
/// raising the ignored SIGUSR2 did nothing, 32 if a raised SIGUSR1 stays pending.
fn report_inherited() -> i32 {
    let mut code = 0;
    if signal::sigprocmask(SIG_BLOCK, None) == Ok(SignalSet::of(SIGUSR1)) {
        code |= 1;
    }
    if matches!(signal::sigaction(SIGUSR2, None), Ok(SigAction { handler: Handler::Ignore, .. })) {
        code |= 2;
    }
    if matches!(signal::sigaction(SIGINT, None), Ok(SigAction { handler: Handler::Default, .. })) {
        code |= 4;
    }
    if signal::sigpending().is_empty() {
        code |= 8;
    }
    // If SIGUSR2 were not ignored, its default action would end the process here.
    if signal::raise(SIGUSR2).is_ok() {
        code |= 16;
    }
    if signal::raise(SIGUSR1).is_ok() && signal::sigpending().contains(SIGUSR1) {
        code |= 32;
    }
    code
}

/// `block-tstp`: exit code 0, or bit 1 if SIGTSTP was not pending after the first byte, 2
/// if it was still pending after the second (see the module documentation).
fn block_tstp() -> i32 {
    if signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGTSTP))).is_err() {
        return SETUP;
    }
    tell_ready(READY);
    let mut code = 0;
    if !read_byte(0) {
        return SETUP;
    }
    if !signal::sigpending().contains(SIGTSTP) {
        code |= 1;
    }
    // signal-test sends SIGCONT only after this.
    if fd::write(1, b"c") != Ok(1) {
        return SETUP;
    }
    if !read_byte(0) {
        return SETUP;
    }
    if signal::sigpending().contains(SIGTSTP) {
        code |= 2;
    }
    // A SIGTSTP still pending would stop the process here.
    let _ = signal::sigprocmask(SIG_UNBLOCK, Some(SignalSet::of(SIGTSTP)));
    sleep(Duration::from_millis(20));
    code
}

fn main() -> i32 {
    let arguments: Vec<String> = env::args().map(String::from).collect();
    let argument = |index: usize| arguments.get(index).map_or("", String::as_str);
    let number = |index: usize| argument(index).parse::<i64>().ok();
    match argument(1) {
        "wait-forever" => {
            tell_ready(READY);
            sleep_forever()
        }
        "exit" => {
            tell_ready(READY);
            number(2).map_or(USAGE, |code| code as i32)
        }
        "sleep-exit" => {
            let (Some(milliseconds), Some(code)) = (number(2), number(3)) else { return USAGE };
            tell_ready(READY);
            sleep(Duration::from_millis(milliseconds as u64));
            code as i32
        }
        "send-after" => {
            let (Some(milliseconds), Some(signal), Some(pid)) = (number(2), number(3), number(4))
            else {
                return USAGE;
            };
            tell_ready(READY);
            sleep(Duration::from_millis(milliseconds as u64));
            match proc::kill(pid as Pid, signal as u32) {
                Ok(()) => 0,
                Err(error) => error.number(),
            }
        }
        "watchdog" => {
            let (Some(pid), Some(milliseconds), Some(signal)) = (number(2), number(3), number(4))
            else {
                return USAGE;
            };
            tell_ready(READY);
            sleep(Duration::from_millis(milliseconds as u64));
            // Again and again: one that comes just before a blocking call does not end it.
            while proc::kill(pid as Pid, signal as u32).is_ok() {
                sleep(Duration::from_millis(500));
            }
            0
        }
        "signal-flood" => {
            let (Some(pid), Some(signal)) = (number(2), number(3)) else { return USAGE };
            tell_ready(READY);
            while proc::kill(pid as Pid, signal as u32) != Err(Errno::Esrch) {}
            0
        }
        "read-pipe" => {
            let Some(flags) = restart_flags(argument(2)) else { return USAGE };
            if !install(SIGUSR1, Handler::Simple(count_signal), flags) {
                return SETUP;
            }
            tell_ready(READY);
            read_outcome(0) | handler_bit()
        }
        "open-fifo" => {
            let path = argument(2);
            let Some(flags) = restart_flags(argument(3)) else { return USAGE };
            if !install(SIGUSR1, Handler::Simple(count_signal), flags) {
                return SETUP;
            }
            tell_ready(READY);
            let outcome = match fs::open(path, O_RDONLY, 0) {
                Err(Errno::Eintr) => OUTCOME_EINTR,
                Ok(fifo) => read_outcome(fifo),
                Err(_) => OUTCOME_OTHER,
            };
            outcome | handler_bit()
        }
        "resethand" => {
            if !install(SIGUSR1, Handler::Simple(reraise_after_reset), SA_RESETHAND) {
                return SETUP;
            }
            tell_ready(READY);
            let _ = signal::raise(SIGUSR1);
            // Still alive: the second SIGUSR1 did not get the default action.
            4
        }
        "ignore-all" => {
            for signal in 1..=SIGNAL_MAX {
                let refused =
                    signal::sigaction(signal, Some(SigAction::new(Handler::Ignore))).is_err();
                if refused != SignalSet::UNBLOCKABLE.contains(signal) {
                    return SETUP;
                }
            }
            if signal::sigprocmask(SIG_SETMASK, Some(SignalSet::FULL)).is_err() {
                return SETUP;
            }
            tell_ready(READY);
            sleep_forever()
        }
        "block-tstp" => block_tstp(),
        "kill-as" => {
            let (Some(uid), Some(target), Some(signal)) = (number(2), number(3), number(4)) else {
                return USAGE;
            };
            if proc::setuid(uid as u32).is_err() {
                return SETUP;
            }
            tell_ready(READY);
            match proc::kill(target as Pid, signal as u32) {
                Ok(()) => 0,
                Err(error) => error.number(),
            }
        }
        "setuid-wait" => {
            let Some(uid) = number(2) else { return USAGE };
            if proc::setuid(uid as u32).is_err() {
                return SETUP;
            }
            tell_ready(READY);
            sleep_forever()
        }
        "group-kill" => {
            tell_ready(READY);
            group_kill()
        }
        "report-inherited" => {
            tell_ready(READY);
            report_inherited()
        }
        "write-closed-pipe" => {
            let Ok((reader, writer)) = pipe::pipe() else { return SETUP };
            let _ = fd::close(reader);
            tell_ready(READY);
            // SIGPIPE ends the process here; reaching the return means it did not.
            let written = fd::write(writer, b"x");
            libsys::eprintln!("signal-child: write to a closed pipe: {written:?}");
            SIGPIPE as i32 + 100
        }
        other => {
            libsys::eprintln!("signal-child: unknown mode {other:?}");
            USAGE
        }
    }
}
