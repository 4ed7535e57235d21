//! signal-demo: signal handlers, masks, pending signals, queued values and SIGCHLD
//! reaping, in three short acts.
//!
//! `signal-demo` (no arguments) runs:
//!
//! 1. A SIGUSR1 handler installed with `sigaction` and `SA_SIGINFO`; SIGUSR1 blocked with
//!    `sigprocmask` and raised twice; `sigpending` shows it pending and the handler has
//!    not run; unblocking runs the handler once (a standard signal is pending at most
//!    once), before `sigprocmask` returns, with `si_pid` the sender and `si_code`
//!    `SI_USER`.
//! 2. The same with `sigqueue` and the real-time signal SIGRTMIN: three values queued
//!    while it is blocked are delivered three times, in order, with `si_code` `SI_QUEUE`.
//! 3. A SIGCHLD handler that reaps every ended child with `waitpid(-1, WNOHANG)` in a
//!    loop; SIGCHLD blocked while three children (this program, `signal-demo --child=STATUS`)
//!    are spawned, then `sigsuspend` with SIGCHLD unblocked until the handler has reaped
//!    them all (an alarm after 10 s ends the wait if it never does).
//!
//! The last line is `signal-demo: SIGUSR1 handled once after unblocking, 3 queued values
//! delivered in order, 3 children reaped by the SIGCHLD handler`.
//!
//! Handlers record what they saw in static atomics only (they may interrupt anything,
//! printing included); the main flow prints it.
//!
//! Exit status: 0 when everything happened as described; 1 otherwise; 2 for a bad
//! argument.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;

use libsys::abi::signal::{
    SA_SIGINFO, SI_QUEUE, SI_USER, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGALRM, SIGCHLD,
    SIGNAL_REALTIME_MIN, SIGUSR1,
};
use libsys::proc::{self, Pid, SpawnAttributes};
use libsys::signal::{self, Handler, SigAction, SignalInfo, SignalSet};
use libsys::{Errno, time};

libsys::main!(main);

/// The image the demo spawns as its children: this program.
const IMAGE: &str = "signal-demo";
/// The option that makes this program a child that exits with the status given.
const CHILD_OPTION: &str = "--child=";
/// The usage message.
const USAGE: &str = "usage: signal-demo";
/// `SIGRTMIN` as programs number it.
const SIGRTMIN: u32 = SIGNAL_REALTIME_MIN;
/// The values queued with SIGRTMIN.
const QUEUED_VALUES: [u64; 3] = [100, 200, 300];
/// The exit statuses of the children, one child each.
const CHILD_STATUSES: [i32; 3] = [0, 7, 42];
/// How long the demo waits for its children.
const TIMEOUT_SECONDS: u32 = 10;

// ----- What the handlers record --------------------------------------------------------

/// How many times the SIGUSR1 handler ran.
static USR1_COUNT: AtomicU32 = AtomicU32::new(0);
/// `si_pid` of the latest SIGUSR1.
static USR1_PID: AtomicU32 = AtomicU32::new(0);
/// `si_code` of the latest SIGUSR1.
static USR1_CODE: AtomicI32 = AtomicI32::new(i32::MIN);

/// How many SIGRTMIN values arrived.
static QUEUED_COUNT: AtomicUsize = AtomicUsize::new(0);
/// The SIGRTMIN values, in arrival order.
static QUEUED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
/// Whether every SIGRTMIN carried `si_code` `SI_QUEUE`.
static QUEUED_ALL_SI_QUEUE: AtomicBool = AtomicBool::new(true);

/// How many times the SIGCHLD handler ran.
static CHILD_SIGNALS: AtomicU32 = AtomicU32::new(0);
/// How many children the SIGCHLD handler reaped.
static REAPED_COUNT: AtomicUsize = AtomicUsize::new(0);
/// The reaped children's pids, in reaping order.
static REAPED_PIDS: [AtomicI32; 8] = [const { AtomicI32::new(0) }; 8];
/// The reaped children's wait statuses.
static REAPED_STATUSES: [AtomicI32; 8] = [const { AtomicI32::new(0) }; 8];

/// Whether the alarm went off.
static TIMED_OUT: AtomicBool = AtomicBool::new(false);

/// The SIGUSR1 handler (`sa_sigaction`): counts the signal and keeps its information.
fn on_usr1(_signal: u32, info: &SignalInfo) {
    USR1_PID.store(info.pid, Ordering::Relaxed);
    USR1_CODE.store(info.code, Ordering::Relaxed);
    USR1_COUNT.fetch_add(1, Ordering::Release);
}

/// The SIGRTMIN handler: keeps the value it carries.
fn on_realtime(_signal: u32, info: &SignalInfo) {
    if info.code != SI_QUEUE {
        QUEUED_ALL_SI_QUEUE.store(false, Ordering::Relaxed);
    }
    let index = QUEUED_COUNT.load(Ordering::Relaxed);
    if let Some(slot) = QUEUED.get(index) {
        slot.store(info.value, Ordering::Relaxed);
    }
    QUEUED_COUNT.store(index + 1, Ordering::Release);
}

/// The SIGCHLD handler: reaps every child that has ended (one SIGCHLD may stand for
/// several), without blocking.
fn on_child(_signal: u32) {
    CHILD_SIGNALS.fetch_add(1, Ordering::Relaxed);
    loop {
        match proc::waitpid(-1, proc::WNOHANG) {
            Ok((0, _)) | Err(Errno::Echild) => return,
            Ok((pid, status)) => {
                let index = REAPED_COUNT.load(Ordering::Relaxed);
                if let (Some(slot_pid), Some(slot_status)) =
                    (REAPED_PIDS.get(index), REAPED_STATUSES.get(index))
                {
                    slot_pid.store(pid, Ordering::Relaxed);
                    slot_status.store(status, Ordering::Relaxed);
                }
                REAPED_COUNT.store(index + 1, Ordering::Release);
            }
            Err(Errno::Eintr) => {}
            Err(_) => return,
        }
    }
}

/// The SIGALRM handler: the children took too long.
fn on_alarm(_signal: u32) {
    TIMED_OUT.store(true, Ordering::Release);
}

// ----- The demo ------------------------------------------------------------------------

/// A failed step: what went wrong.
type Failure = String;

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    if let [argument] = arguments.as_slice()
        && let Some(status) = argument.strip_prefix(CHILD_OPTION)
    {
        return child(status);
    }
    if let Some(argument) = arguments.first() {
        libsys::eprintln!("signal-demo: unexpected argument {argument}; {USAGE}");
        return 2;
    }
    let pid = match proc::getpid() {
        Ok(pid) => pid,
        Err(error) => {
            libsys::eprintln!("signal-demo: getpid: {error}");
            return 1;
        }
    };
    let result =
        blocked_signal(pid).and_then(|()| queued_values(pid)).and_then(|()| reap_children(pid));
    match result {
        Ok(()) => {
            libsys::println!(
                "signal-demo: SIGUSR1 handled once after unblocking, {} queued values delivered in order, {} children reaped by the SIGCHLD handler",
                QUEUED_VALUES.len(),
                CHILD_STATUSES.len()
            );
            0
        }
        Err(failure) => {
            libsys::eprintln!("signal-demo: {failure}");
            1
        }
    }
}

/// A child: sleeps a little (longer for a higher status, so the children end one by one)
/// and exits with `status`.
fn child(status: &str) -> i32 {
    let Ok(status) = status.parse::<i32>() else {
        libsys::eprintln!("signal-demo: bad child status {status}; {USAGE}");
        return 2;
    };
    let _ = time::nanosleep(Duration::from_millis(20 + status.clamp(0, 255) as u64));
    status
}

/// Wraps a call's error with the call's name.
fn failed(what: &str) -> impl FnOnce(Errno) -> Failure + '_ {
    move |error| format!("{what}: {error}")
}

/// The name of `signal` (`SIGUSR1`, `SIGRTMIN+1`).
fn signal_name(signal: u32) -> String {
    match libsys::abi::signal::name(signal) {
        Some(name) => String::from(name),
        None if signal == SIGRTMIN => String::from("SIGRTMIN"),
        None if signal > SIGRTMIN => format!("SIGRTMIN+{}", signal - SIGRTMIN),
        None => format!("signal {signal}"),
    }
}

/// A signal set as `{SIGUSR1, SIGCHLD}`.
fn set_names(set: SignalSet) -> String {
    let names: Vec<String> = (1..=libsys::abi::signal::SIGNAL_MAX)
        .filter(|&signal| set.contains(signal))
        .map(signal_name)
        .collect();
    format!("{{{}}}", names.join(", "))
}

/// The name of an `si_code` this demo expects.
fn code_name(code: i32) -> String {
    match code {
        SI_USER => String::from("SI_USER"),
        SI_QUEUE => String::from("SI_QUEUE"),
        other => format!("{other}"),
    }
}

/// Installs `handler` for `signal` with `flags`.
fn install(signal: u32, handler: Handler, flags: u64) -> Result<(), Failure> {
    let action = SigAction { handler, flags, mask: SignalSet::EMPTY };
    signal::sigaction(signal, Some(action))
        .map(|_| ())
        .map_err(|error| format!("sigaction({}): {error}", signal_name(signal)))
}

/// Act 1: SIGUSR1 blocked, raised twice, pending, unblocked, handled once.
fn blocked_signal(pid: Pid) -> Result<(), Failure> {
    install(SIGUSR1, Handler::Information(on_usr1), SA_SIGINFO)?;
    libsys::println!("signal-demo: pid {pid}: sigaction(SIGUSR1, handler, SA_SIGINFO)");
    signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGUSR1)))
        .map_err(failed("sigprocmask(SIG_BLOCK)"))?;
    signal::raise(SIGUSR1).map_err(failed("raise(SIGUSR1)"))?;
    signal::raise(SIGUSR1).map_err(failed("raise(SIGUSR1)"))?;
    let pending = signal::sigpending();
    let ran = USR1_COUNT.load(Ordering::Acquire);
    libsys::println!(
        "signal-demo: pid {pid}: blocked SIGUSR1 and raised it twice: sigpending() = {}, handler ran {ran} times",
        set_names(pending)
    );
    if !pending.contains(SIGUSR1) || ran != 0 {
        return Err(String::from(
            "SIGUSR1 is not pending, or its handler ran while it was blocked",
        ));
    }
    signal::sigprocmask(SIG_UNBLOCK, Some(SignalSet::of(SIGUSR1)))
        .map_err(failed("sigprocmask(SIG_UNBLOCK)"))?;
    let ran = USR1_COUNT.load(Ordering::Acquire);
    let sender = USR1_PID.load(Ordering::Relaxed);
    let code = USR1_CODE.load(Ordering::Relaxed);
    libsys::println!(
        "signal-demo: pid {pid}: unblocked SIGUSR1: handler ran {ran} time{} (si_pid {sender}, si_code {}), sigpending() = {}",
        if ran == 1 { "" } else { "s" },
        code_name(code),
        set_names(signal::sigpending())
    );
    if ran != 1 || sender != pid as u32 || code != SI_USER {
        return Err(String::from("SIGUSR1's handler did not run once with si_pid and SI_USER"));
    }
    Ok(())
}

/// Act 2: three values queued with SIGRTMIN while it is blocked, delivered in order.
fn queued_values(pid: Pid) -> Result<(), Failure> {
    install(SIGRTMIN, Handler::Information(on_realtime), SA_SIGINFO)?;
    signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGRTMIN)))
        .map_err(failed("sigprocmask(SIG_BLOCK)"))?;
    for value in QUEUED_VALUES {
        signal::sigqueue(pid, SIGRTMIN, value).map_err(failed("sigqueue"))?;
    }
    let values: Vec<String> = QUEUED_VALUES.iter().map(|value| format!("{value}")).collect();
    libsys::println!(
        "signal-demo: pid {pid}: blocked SIGRTMIN, sigqueue(SIGRTMIN) with values {}: sigpending() = {}",
        values.join(", "),
        set_names(signal::sigpending())
    );
    signal::sigprocmask(SIG_UNBLOCK, Some(SignalSet::of(SIGRTMIN)))
        .map_err(failed("sigprocmask(SIG_UNBLOCK)"))?;
    let count = QUEUED_COUNT.load(Ordering::Acquire);
    let received: Vec<u64> = QUEUED[..count.min(QUEUED.len())]
        .iter()
        .map(|value| value.load(Ordering::Relaxed))
        .collect();
    let shown: Vec<String> = received.iter().map(|value| format!("{value}")).collect();
    let all_queued = QUEUED_ALL_SI_QUEUE.load(Ordering::Relaxed);
    libsys::println!(
        "signal-demo: pid {pid}: unblocked SIGRTMIN: handler ran {count} times with si_value {} (si_code {})",
        shown.join(", "),
        if all_queued { "SI_QUEUE" } else { "not always SI_QUEUE" }
    );
    if received != QUEUED_VALUES || !all_queued {
        return Err(String::from("the queued values did not all arrive, in order, as SI_QUEUE"));
    }
    Ok(())
}

/// Act 3: children spawned with SIGCHLD blocked, reaped by the SIGCHLD handler while the
/// demo waits in `sigsuspend`.
fn reap_children(pid: Pid) -> Result<(), Failure> {
    install(SIGCHLD, Handler::Simple(on_child), 0)?;
    install(SIGALRM, Handler::Simple(on_alarm), 0)?;
    // Blocked until the demo waits, so that no child can end before it is counted.
    let old_mask = signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGCHLD)))
        .map_err(failed("sigprocmask(SIG_BLOCK)"))?;
    libsys::println!(
        "signal-demo: pid {pid}: sigaction(SIGCHLD, reaper); SIGCHLD blocked while spawning"
    );
    let mut children: Vec<(Pid, i32)> = Vec::new();
    for status in CHILD_STATUSES {
        let argument = format!("{CHILD_OPTION}{status}");
        match proc::spawn(IMAGE, &[IMAGE, &argument], &[], &[], &SpawnAttributes::default()) {
            Ok(child) => {
                libsys::println!(
                    "signal-demo: pid {pid}: spawned child {child}, which will exit with status {status}"
                );
                children.push((child, status));
            }
            Err(error) => {
                let _ = signal::sigprocmask(SIG_SETMASK, Some(old_mask));
                return Err(format!("spawn {IMAGE}: {error}"));
            }
        }
    }
    libsys::println!(
        "signal-demo: pid {pid}: sigsuspend (SIGCHLD unblocked) until all {} are reaped",
        children.len()
    );
    signal::alarm(TIMEOUT_SECONDS);
    let mut printed = 0;
    let mut suspensions = 0;
    let mut failure = None;
    while printed < children.len() && !TIMED_OUT.load(Ordering::Acquire) {
        let _ = signal::sigsuspend(old_mask);
        suspensions += 1;
        let reaped = REAPED_COUNT.load(Ordering::Acquire).min(REAPED_PIDS.len());
        for index in printed..reaped {
            let child = REAPED_PIDS[index].load(Ordering::Relaxed);
            let status = REAPED_STATUSES[index].load(Ordering::Relaxed);
            let expected =
                children.iter().find(|&&(known, _)| known == child).map(|&(_, status)| status);
            let described = describe(status);
            libsys::println!(
                "signal-demo: pid {pid}: SIGCHLD handler reaped child {child}: {described}"
            );
            if expected.is_none()
                || !proc::exited(status)
                || Some(proc::exit_status(status)) != expected
            {
                failure.get_or_insert_with(|| {
                    format!("child {child} ended otherwise than expected: {described}")
                });
            }
        }
        printed = reaped;
    }
    signal::alarm(0);
    let _ = signal::sigprocmask(SIG_SETMASK, Some(old_mask));
    if TIMED_OUT.load(Ordering::Acquire) && printed < children.len() {
        return Err(format!(
            "timed out after {TIMEOUT_SECONDS} s with {printed} of {} children reaped",
            children.len()
        ));
    }
    libsys::println!(
        "signal-demo: pid {pid}: sigsuspend returned {suspensions} times; the handler ran {} times and reaped {printed} children",
        CHILD_SIGNALS.load(Ordering::Relaxed)
    );
    failure.map_or(Ok(()), Err)
}

/// A wait status in words.
fn describe(status: i32) -> String {
    if proc::exited(status) {
        format!("exited with status {}", proc::exit_status(status))
    } else if proc::signaled(status) {
        format!("killed by {}", signal_name(proc::terminating_signal(status) as u32))
    } else {
        format!("wait status {status:#x}")
    }
}
