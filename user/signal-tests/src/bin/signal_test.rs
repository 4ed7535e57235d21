//! signal-test: the tests of signals, run as init's program (`init=signal-test`; with
//! `init.args=NAME,NAME` only the cases named). Each case prints `signal-test: ok NAME` or
//! `signal-test: FAIL NAME: reason`; the last line is `signal-test: N passed, N failed`,
//! and the exit status is the number of failures. The expected results are Linux's
//! (signal(7), sigaction(2), wait(2), kill(2)).
//!
//! # How the cases work
//!
//! Handlers talk to the cases through static atomics only (they may interrupt anything,
//! an allocation included): every handler of this program records the signal's
//! information in a small event log and counts it per signal ([`LOG`], a [`SignalLog`]).
//!
//! Children are `signal-child` in one of its modes. [`Child::spawn_with`] waits until the
//! child says it is ready (its handlers, mask and user id in place) before a case sends it
//! anything, and a [`Child`] that is dropped unreaped is killed with SIGKILL and reaped, so
//! a failed case leaves nothing behind.
//!
//! # Deadlines
//!
//! No case can hang on a missed signal: waits for children poll `waitpid(WNOHANG)` until a
//! deadline, and a case that blocks in a call (`sigsuspend`, `pause`, `waitpid`, a FIFO
//! `open`) first starts a [`Watchdog`], a child that sends [`DEADLINE_SIGNAL`] (caught
//! without `SA_RESTART`, so it ends any blocking call with `EINTR`) once the deadline has
//! passed, and again every half second until it is killed.
//!
//! After each case the signal state is put back ([`reset_signals`]): no alarm, every action
//! the default (pending signals discarded), an empty mask.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use core::time::Duration;

use courier_test_support::strerror::{fails_with, step, write_all};
use courier_test_support::{
    CHILD_TIMEOUT, Check, SignalLog, ensure, kill_and_reap, pause_briefly, read_byte_within,
    set_of, signal_name, sleep,
};
use libsys::abi::io::{F_GETFL, O_NONBLOCK, O_WRONLY};
use libsys::abi::signal::{
    CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SA_NOCLDSTOP, SA_NOCLDWAIT,
    SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SI_KERNEL, SI_QUEUE, SI_USER, SIG_BLOCK,
    SIG_SETMASK, SIG_UNBLOCK, SIGALRM, SIGCHLD, SIGCONT, SIGINT, SIGKILL, SIGNAL_MAX,
    SIGNAL_REALTIME_MIN, SIGPIPE, SIGQUIT, SIGSEGV, SIGSTOP, SIGTERM, SIGTSTP, SIGURG, SIGUSR1,
    SIGUSR2,
};
use libsys::fd::Fd;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::signal::{self, Handler, SigAction, SignalInfo, SignalSet};
use libsys::{Errno, fd, fs, pipe, time};

libsys::main!(main);

/// A named test case.
type Case = (&'static str, fn() -> Check);

/// The program the cases spawn.
const CHILD: &str = "signal-child";
/// The descriptor on which a child says it is ready (see signal-child).
const READY: Fd = 3;
/// The signal a [`Watchdog`] sends when its deadline passes (`SIGRTMAX`).
const DEADLINE_SIGNAL: u32 = SIGNAL_MAX;
/// `SIGRTMIN` as programs number it (no real-time signals are reserved for threads).
const SIGRTMIN: u32 = SIGNAL_REALTIME_MIN;
/// A pid nobody has (pids are allocated upwards from 1 and this run uses a few hundred).
const NO_SUCH_PID: Pid = 32000;

/// signal-child's exit codes for a blocking call (see its documentation).
const OUTCOME_EINTR: i32 = 1;
const OUTCOME_DATA: i32 = 2;
const HANDLER_RAN: i32 = 0x10;

// ----- What handlers record ------------------------------------------------------------

/// How many signals the event log keeps.
const EVENT_SLOTS: usize = 64;
/// What this process's handlers saw.
static LOG: SignalLog<EVENT_SLOTS> = SignalLog::new();

/// A handler (`sa_handler`) that records the signal.
fn on_signal(signal: u32) {
    LOG.record(&SignalInfo { signal, ..SignalInfo::default() });
}

/// A handler (`sa_sigaction`) that records the signal and its information.
fn on_signal_with_info(_signal: u32, info: &SignalInfo) {
    LOG.record(info);
}

/// The signal numbers of `events`, in order.
fn numbers(events: &[SignalInfo]) -> Vec<u32> {
    events.iter().map(|info| info.signal).collect()
}

// ----- Small helpers ---------------------------------------------------------------------

/// `WTERMSIG(status)` as a signal number.
fn terminating_signal(status: i32) -> u32 {
    proc::terminating_signal(status) as u32
}

/// `WSTOPSIG(status)` as a signal number.
fn stopping_signal(status: i32) -> u32 {
    proc::stopping_signal(status) as u32
}

/// A wait status in words.
fn describe(status: i32) -> String {
    if proc::exited(status) {
        format!("exited with {}", proc::exit_status(status))
    } else if proc::signaled(status) {
        let core = if proc::core_dumped(status) { " (core dumped)" } else { "" };
        format!("killed by {}{core}", signal_name(terminating_signal(status)))
    } else if proc::stopped(status) {
        format!("stopped by {}", signal_name(stopping_signal(status)))
    } else if proc::continued(status) {
        String::from("continued")
    } else {
        format!("status {status:#x}")
    }
}

/// signal-child's report of a blocking call, in words.
fn describe_outcome(code: i32) -> String {
    let outcome = match code & 0xf {
        OUTCOME_EINTR => "the call failed with EINTR",
        OUTCOME_DATA => "the call returned the data",
        _ => "the call ended otherwise",
    };
    let handler = if code & HANDLER_RAN != 0 { "the handler ran" } else { "no handler ran" };
    format!("{outcome}, {handler} (exit {code:#x})")
}

fn own_pid() -> Result<Pid, String> {
    step("getpid", proc::getpid())
}

fn install(signal: u32, handler: Handler, flags: u64, mask: SignalSet) -> Check {
    let action = SigAction { handler, flags, mask };
    step(&format!("sigaction({})", signal_name(signal)), signal::sigaction(signal, Some(action)))
        .map(|_| ())
}

/// Catches `signal` with [`on_signal`], no flags.
fn catch(signal: u32) -> Check {
    install(signal, Handler::Simple(on_signal), 0, SignalSet::EMPTY)
}

/// Catches `signal` with [`on_signal_with_info`] (`SA_SIGINFO`).
fn catch_with_info(signal: u32) -> Check {
    install(signal, Handler::Information(on_signal_with_info), SA_SIGINFO, SignalSet::EMPTY)
}

fn ignore(signal: u32) -> Check {
    install(signal, Handler::Ignore, 0, SignalSet::EMPTY)
}

fn mask(how: u32, set: SignalSet) -> Result<SignalSet, String> {
    step("sigprocmask", signal::sigprocmask(how, Some(set)))
}

fn current_mask() -> SignalSet {
    signal::sigprocmask(SIG_BLOCK, None).unwrap_or(SignalSet::FULL)
}

fn read_to_end(descriptor: Fd) -> Result<Vec<u8>, String> {
    let mut contents = Vec::new();
    let mut chunk = [0u8; 64];
    loop {
        match fd::read(descriptor, &mut chunk) {
            Ok(0) => return Ok(contents),
            Ok(count) => contents.extend_from_slice(&chunk[..count]),
            Err(Errno::Eintr) => {}
            Err(error) => return Err(format!("read: {error}")),
        }
    }
}

/// Checks one recorded signal's information.
fn expect_info(info: &SignalInfo, signal: u32, code: i32, pid: Pid, uid: u32) -> Check {
    ensure(
        info.signal == signal && info.code == code && info.pid == pid as u32 && info.uid == uid,
        || {
            format!(
                "got {info:?}, expected {} with si_code {code}, si_pid {pid}, si_uid {uid}",
                signal_name(signal)
            )
        },
    )
}

/// Puts the signal state back as a case found it: no alarm, every action the default
/// (ignoring first, which discards whatever is pending), an empty mask, no events.
fn reset_signals() {
    let _ = signal::set_alarm(0);
    let pending = signal::sigpending();
    for number in 1..=SIGNAL_MAX {
        if SignalSet::UNBLOCKABLE.contains(number) {
            continue;
        }
        let Ok(action) = signal::sigaction(number, None) else { continue };
        if is_default_action(&action) && !pending.contains(number) {
            continue;
        }
        // SIGCHLD's default is to ignore already (and SIG_IGN would reap children).
        if number != SIGCHLD {
            let _ = signal::sigaction(number, Some(SigAction::new(Handler::Ignore)));
        }
        let _ = signal::sigaction(number, Some(SigAction::new(Handler::Default)));
    }
    let _ = signal::sigprocmask(SIG_SETMASK, Some(SignalSet::EMPTY));
    LOG.clear();
}

// ----- Children --------------------------------------------------------------------------

/// A `signal-child`, killed with SIGKILL and reaped when dropped unreaped.
struct Child {
    pid: Pid,
    mode: String,
    reaped: bool,
}

impl Child {
    fn spawn(arguments: &[&str]) -> Result<Child, String> {
        Child::spawn_with(arguments, &[], &SpawnAttributes::default())
    }

    /// Spawns `signal-child` with `arguments`, the descriptor `actions` and `attributes`,
    /// and waits until it is ready.
    fn spawn_with(
        arguments: &[&str],
        actions: &[FileAction],
        attributes: &SpawnAttributes,
    ) -> Result<Child, String> {
        let (reader, writer) = step("pipe", pipe::pipe2(O_NONBLOCK))?;
        let mut all_actions = Vec::from(actions);
        all_actions.push(FileAction::Dup2(writer, READY));
        all_actions.extend(
            [reader, writer].into_iter().filter(|&end| end != READY).map(FileAction::Close),
        );
        let mut argv = Vec::from([CHILD]);
        argv.extend_from_slice(arguments);
        let spawned = proc::spawn(CHILD, &argv, &[], &all_actions, attributes);
        let _ = fd::close(writer);
        let pid = match spawned {
            Ok(pid) => pid,
            Err(error) => {
                let _ = fd::close(reader);
                return Err(format!("spawn {CHILD} {arguments:?}: {error}"));
            }
        };
        let mut child =
            Child { pid, mode: arguments.first().unwrap_or(&"").to_string(), reaped: false };
        let ready = read_byte_within(reader, CHILD_TIMEOUT);
        let _ = fd::close(reader);
        match ready {
            Ok(Some(_)) => Ok(child),
            Ok(None) => {
                let status = child.end().map_or_else(|error| error, describe);
                Err(format!("{CHILD} {arguments:?} ended before it was ready: {status}"))
            }
            Err(error) => Err(format!("{CHILD} {arguments:?} never got ready: {error}")),
        }
    }

    fn name(&self) -> String {
        format!("{} (pid {})", self.mode, self.pid)
    }

    /// Sends `signal` to the child.
    fn signal(&self, signal: u32) -> Check {
        let what = format!("kill({}, {})", self.pid, signal_name(signal));
        step(&what, proc::kill(self.pid, signal))
    }

    /// One `waitpid(pid, options | WNOHANG)`: the status, if there is something to report.
    fn poll(&mut self, options: u64) -> Result<Option<i32>, String> {
        loop {
            match proc::waitpid(self.pid, options | proc::WNOHANG) {
                Ok((pid, status)) if pid == self.pid => {
                    if proc::exited(status) || proc::signaled(status) {
                        self.reaped = true;
                    }
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

    /// Polls until `waitpid(pid, options)` reports something, for up to `timeout`.
    fn wait(&mut self, options: u64, timeout: Duration) -> Result<i32, String> {
        let deadline = time::monotonic() + timeout;
        loop {
            if let Some(status) = self.poll(options)? {
                return Ok(status);
            }
            if time::monotonic() >= deadline {
                return Err(format!("{} reported nothing within {timeout:?}", self.name()));
            }
            pause_briefly();
        }
    }

    /// Waits for the child to end and reaps it.
    fn end(&mut self) -> Result<i32, String> {
        self.wait(0, CHILD_TIMEOUT)
    }

    fn exits_with(&mut self, code: i32) -> Check {
        let status = self.end()?;
        ensure(proc::exited(status) && proc::exit_status(status) == code, || {
            format!("{}: {}, expected exit {code}", self.name(), describe(status))
        })
    }

    /// Expects a blocking-call report from `read-pipe` or `open-fifo`.
    fn reports(&mut self, expected: i32) -> Check {
        let status = self.end()?;
        ensure(proc::exited(status) && proc::exit_status(status) == expected, || {
            let got = if proc::exited(status) {
                describe_outcome(proc::exit_status(status))
            } else {
                describe(status)
            };
            format!("{}: {got}; expected: {}", self.name(), describe_outcome(expected))
        })
    }

    fn killed_by(&mut self, signal: u32, core: bool) -> Check {
        let status = self.end()?;
        ensure(
            proc::signaled(status)
                && terminating_signal(status) == signal
                && proc::core_dumped(status) == core,
            || {
                let core = if core { " with a core dump" } else { " without a core dump" };
                format!(
                    "{}: {}, expected killed by {}{core}",
                    self.name(),
                    describe(status),
                    signal_name(signal)
                )
            },
        )
    }

    fn stops_with(&mut self, signal: u32) -> Check {
        let status = self.wait(proc::WUNTRACED, CHILD_TIMEOUT)?;
        ensure(proc::stopped(status) && stopping_signal(status) == signal, || {
            format!(
                "{}: {}, expected stopped by {}",
                self.name(),
                describe(status),
                signal_name(signal)
            )
        })
    }

    fn continues(&mut self) -> Check {
        let status = self.wait(proc::WCONTINUED, CHILD_TIMEOUT)?;
        ensure(proc::continued(status), || {
            format!("{}: {}, expected continued", self.name(), describe(status))
        })
    }

    /// Checks that the child has neither ended nor stopped (after giving a signal sent
    /// to it `settle` to take effect).
    fn keeps_running(&mut self, settle: Duration) -> Check {
        sleep(settle);
        match self.poll(proc::WUNTRACED)? {
            None => Ok(()),
            Some(status) => {
                Err(format!("{}: {}, expected still running", self.name(), describe(status)))
            }
        }
    }

    /// Sends `signal` every 50 ms until the child ends; returns its status.
    fn signal_until_end(&mut self, signal: u32) -> Result<i32, String> {
        let deadline = time::monotonic() + CHILD_TIMEOUT;
        loop {
            self.signal(signal)?;
            sleep(Duration::from_millis(50));
            if let Some(status) = self.poll(0)? {
                return Ok(status);
            }
            if time::monotonic() >= deadline {
                return Err(format!(
                    "{}: still running after {} every 50 ms for {CHILD_TIMEOUT:?}",
                    self.name(),
                    signal_name(signal)
                ));
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            kill_and_reap(self.pid);
        }
    }
}

/// The events recorded for SIGCHLD from `pid`.
fn child_events(pid: Pid) -> Vec<SignalInfo> {
    LOG.events()
        .into_iter()
        .filter(|info| info.signal == SIGCHLD && info.pid == pid as u32)
        .collect()
}

/// Waits until `count` SIGCHLD events from `pid` are recorded (or [`CHILD_TIMEOUT`]
/// passes); returns those recorded.
fn wait_for_child_events(pid: Pid, count: usize) -> Vec<SignalInfo> {
    let deadline = time::monotonic() + CHILD_TIMEOUT;
    loop {
        let seen = child_events(pid);
        if seen.len() >= count || time::monotonic() >= deadline {
            return seen;
        }
        pause_briefly();
    }
}

/// Checks SIGCHLD events against (si_code, si_status) pairs.
fn expect_child_events(pid: Pid, expected: &[(i32, u32)]) -> Check {
    let seen = wait_for_child_events(pid, expected.len());
    let matches = seen.len() == expected.len()
        && seen.iter().zip(expected).all(|(info, &(code, status))| {
            info.code == code && info.status == status as i32 && info.uid == 0
        });
    ensure(matches, || {
        format!("SIGCHLD from pid {pid}: {seen:?}, expected (si_code, si_status) {expected:?}")
    })
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
        install(DEADLINE_SIGNAL, Handler::Simple(on_deadline), 0, SignalSet::EMPTY)?;
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

    /// `message`, noting the deadline if it passed.
    fn explain(&self, message: String) -> String {
        if self.passed() { format!("{message} (the deadline passed)") } else { message }
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

// ----- Cases in this process -------------------------------------------------------------

/// A second handler, distinct from [`on_signal`].
fn on_signal_other(signal: u32) {
    LOG.record(&SignalInfo { signal, value: 1, ..SignalInfo::default() });
}

fn is_simple(handler: Handler, function: fn(u32)) -> bool {
    matches!(handler, Handler::Simple(installed) if core::ptr::fn_addr_eq(installed, function))
}

/// Whether `action` is the one every signal starts with: `SIG_DFL`, no flags, no mask.
fn is_default_action(action: &SigAction) -> bool {
    matches!(action.handler, Handler::Default) && action.flags == 0 && action.mask.is_empty()
}

/// `sigaction` returns the previous action and refuses what Linux refuses.
fn sigaction_old_action() -> Check {
    let first = SigAction {
        handler: Handler::Simple(on_signal),
        flags: SA_RESTART,
        mask: SignalSet::of(SIGUSR2),
    };
    let old = step("sigaction", signal::sigaction(SIGUSR1, Some(first)))?;
    ensure(is_default_action(&old), || {
        format!("first sigaction returned {old:?}, expected the default action")
    })?;
    let second = SigAction::new(Handler::Simple(on_signal_other));
    let old = step("sigaction", signal::sigaction(SIGUSR1, Some(second)))?;
    ensure(
        is_simple(old.handler, on_signal)
            && old.flags == SA_RESTART
            && old.mask == SignalSet::of(SIGUSR2),
        || format!("second sigaction returned {old:?}, expected the first action"),
    )?;
    let current = step("sigaction query", signal::sigaction(SIGUSR1, None))?;
    ensure(is_simple(current.handler, on_signal_other) && current.flags == 0, || {
        format!("query returned {current:?}, expected the second action")
    })?;
    // The installed handler is the one that runs.
    step("raise", signal::raise(SIGUSR1))?;
    let seen = LOG.events();
    ensure(seen.len() == 1 && seen[0].value == 1, || format!("raise ran {seen:?}"))?;

    // sa_mask never holds SIGKILL or SIGSTOP.
    let full = SigAction { handler: Handler::Simple(on_signal), flags: 0, mask: SignalSet::FULL };
    step("sigaction", signal::sigaction(SIGUSR2, Some(full)))?;
    let stored = step("sigaction query", signal::sigaction(SIGUSR2, None))?;
    ensure(stored.mask == SignalSet::FULL.difference(SignalSet::UNBLOCKABLE), || {
        format!(
            "sa_mask stored as {:?}, expected every signal but SIGKILL and SIGSTOP",
            stored.mask
        )
    })?;

    // signal() returns the previous handler.
    let previous = step("signal", signal::signal(SIGUSR2, Handler::Ignore))?;
    ensure(is_simple(previous, on_signal), || format!("signal returned {previous:?}"))?;
    let previous = step("signal", signal::signal(SIGUSR2, Handler::Default))?;
    ensure(matches!(previous, Handler::Ignore), || {
        format!("signal returned {previous:?}, expected SIG_IGN")
    })?;

    // No action at all for SIGKILL and SIGSTOP, but they can be queried.
    for number in [SIGKILL, SIGSTOP] {
        for handler in [Handler::Default, Handler::Ignore, Handler::Simple(on_signal)] {
            fails_with(
                &format!("sigaction({}, {handler:?})", signal_name(number)),
                signal::sigaction(number, Some(SigAction::new(handler))),
                Errno::Einval,
            )?;
        }
        let current = step("sigaction query", signal::sigaction(number, None))?;
        ensure(is_default_action(&current), || {
            format!("{} has action {current:?}", signal_name(number))
        })?;
    }
    // Numbers that are not signals.
    for number in [0, SIGNAL_MAX + 1] {
        fails_with(
            &format!("sigaction({number}, SIG_DFL)"),
            signal::sigaction(number, Some(SigAction::new(Handler::Default))),
            Errno::Einval,
        )?;
        fails_with(
            &format!("sigaction({number}) query"),
            signal::sigaction(number, None),
            Errno::Einval,
        )?;
    }
    Ok(())
}

/// `raise` and `kill` of the caller itself run the handler before they return, with
/// `SI_USER` and the caller's pid and uid.
fn handler_runs_before_kill_returns() -> Check {
    catch_with_info(SIGUSR1)?;
    catch_with_info(SIGUSR2)?;
    let me = own_pid()?;
    let uid = step("credentials", proc::credentials())?.uid;
    step("raise", signal::raise(SIGUSR1))?;
    let seen = LOG.events();
    ensure(seen.len() == 1, || format!("after raise returned, handled {seen:?}"))?;
    expect_info(&seen[0], SIGUSR1, SI_USER, me, uid)?;
    LOG.clear();
    step("kill(self)", proc::kill(me, SIGUSR2))?;
    let seen = LOG.events();
    ensure(seen.len() == 1, || format!("after kill returned, handled {seen:?}"))?;
    expect_info(&seen[0], SIGUSR2, SI_USER, me, uid)
}

/// `sigqueue`'s value arrives with `SI_QUEUE` in an `SA_SIGINFO` handler.
fn siginfo_queue() -> Check {
    const VALUE: u64 = 0x1234_5678_9abc_def0;
    catch_with_info(SIGUSR1)?;
    catch_with_info(SIGRTMIN + 1)?;
    let me = own_pid()?;
    let uid = step("credentials", proc::credentials())?.uid;
    for (number, value) in [(SIGUSR1, VALUE), (SIGRTMIN + 1, 7)] {
        LOG.clear();
        step("sigqueue", signal::sigqueue(me, number, value))?;
        let seen = LOG.events();
        ensure(seen.len() == 1, || format!("after sigqueue returned, handled {seen:?}"))?;
        expect_info(&seen[0], number, SI_QUEUE, me, uid)?;
        ensure(seen[0].value == value, || {
            format!("si_value {:#x}, expected {value:#x}", seen[0].value)
        })?;
    }
    // Signal 0 only checks.
    LOG.clear();
    step("sigqueue(self, 0)", signal::sigqueue(me, 0, 1))?;
    ensure(LOG.events().is_empty(), || String::from("sigqueue of signal 0 ran a handler"))?;
    fails_with("sigqueue(65)", signal::sigqueue(me, SIGNAL_MAX + 1, 0), Errno::Einval)?;
    fails_with("sigqueue to no process", signal::sigqueue(NO_SUCH_PID, SIGUSR1, 0), Errno::Esrch)
}

/// A blocked signal stays pending without running its handler; unblocking runs it before
/// `sigprocmask` returns.
fn mask_and_pending() -> Check {
    catch(SIGUSR1)?;
    let old = mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    ensure(old.is_empty(), || format!("old mask {old:?}, expected empty"))?;
    step("raise", signal::raise(SIGUSR1))?;
    ensure(signal::sigpending().contains(SIGUSR1), || {
        format!("sigpending {:?} lacks the blocked SIGUSR1", signal::sigpending())
    })?;
    ensure(LOG.handled(SIGUSR1) == 0, || String::from("the handler of a blocked signal ran"))?;
    let old = mask(SIG_UNBLOCK, SignalSet::of(SIGUSR1))?;
    ensure(old == SignalSet::of(SIGUSR1), || format!("old mask {old:?}, expected SIGUSR1"))?;
    ensure(LOG.handled(SIGUSR1) == 1, || {
        format!("after unblocking, the handler ran {} times, expected once", LOG.handled(SIGUSR1))
    })?;
    ensure(!signal::sigpending().contains(SIGUSR1), || String::from("SIGUSR1 still pending"))?;

    // SIGKILL and SIGSTOP cannot be blocked; SIG_SETMASK replaces.
    mask(SIG_BLOCK, set_of(&[SIGKILL, SIGSTOP, SIGUSR2]))?;
    ensure(current_mask() == SignalSet::of(SIGUSR2), || {
        format!("mask {:?} after blocking SIGKILL, SIGSTOP and SIGUSR2", current_mask())
    })?;
    mask(SIG_SETMASK, SignalSet::of(SIGINT))?;
    ensure(current_mask() == SignalSet::of(SIGINT), || {
        format!("mask {:?} after SIG_SETMASK of SIGINT", current_mask())
    })?;
    fails_with("sigprocmask(3)", signal::sigprocmask(3, Some(SignalSet::EMPTY)), Errno::Einval)?;
    ensure(current_mask() == SignalSet::of(SIGINT), || {
        String::from("a refused sigprocmask changed the mask")
    })
}

/// A standard signal raised three times while blocked is handled once; a real-time one
/// three times.
fn standard_coalesce() -> Check {
    catch(SIGUSR1)?;
    catch(SIGRTMIN)?;
    mask(SIG_BLOCK, set_of(&[SIGUSR1, SIGRTMIN]))?;
    for _ in 0..3 {
        step("raise", signal::raise(SIGUSR1))?;
        step("raise", signal::raise(SIGRTMIN))?;
    }
    mask(SIG_UNBLOCK, set_of(&[SIGUSR1, SIGRTMIN]))?;
    ensure(LOG.handled(SIGUSR1) == 1, || {
        format!("SIGUSR1 handled {} times, expected once", LOG.handled(SIGUSR1))
    })?;
    ensure(LOG.handled(SIGRTMIN) == 3, || {
        format!("SIGRTMIN handled {} times, expected 3", LOG.handled(SIGRTMIN))
    })
}

/// Queued real-time signals are delivered lowest number first, each signal's instances in
/// the order they were sent.
fn realtime_queue_order() -> Check {
    let (low, high) = (SIGRTMIN, SIGRTMIN + 2);
    catch_with_info(low)?;
    catch_with_info(high)?;
    let me = own_pid()?;
    mask(SIG_BLOCK, set_of(&[low, high]))?;
    for (number, value) in [(high, 1), (low, 2), (high, 3), (low, 4)] {
        step("sigqueue", signal::sigqueue(me, number, value))?;
    }
    ensure(LOG.events().is_empty(), || String::from("a blocked signal was handled"))?;
    mask(SIG_UNBLOCK, set_of(&[low, high]))?;
    let seen: Vec<(u32, u64)> = LOG.events().iter().map(|info| (info.signal, info.value)).collect();
    let expected = [(low, 2), (low, 4), (high, 1), (high, 3)];
    ensure(seen == expected, || {
        format!("delivered (signal, value) {seen:?}, expected {expected:?}")
    })?;
    ensure(LOG.events().iter().all(|info| info.code == SI_QUEUE), || {
        format!("si_code of {:?}, expected SI_QUEUE", LOG.events())
    })
}

/// Pending standard signals are delivered lowest number first.
fn lowest_first() -> Check {
    let signals = [SIGINT, SIGUSR1, SIGUSR2];
    for number in signals {
        catch(number)?;
    }
    mask(SIG_BLOCK, set_of(&signals))?;
    for &number in signals.iter().rev() {
        step("raise", signal::raise(number))?;
    }
    ensure(LOG.events().is_empty(), || String::from("a blocked signal was handled"))?;
    mask(SIG_UNBLOCK, set_of(&signals))?;
    let seen = numbers(&LOG.events());
    ensure(seen == signals, || format!("delivered {seen:?}, expected {signals:?}"))
}

static DEPTH: AtomicU32 = AtomicU32::new(0);
static DEEPEST: AtomicU32 = AtomicU32::new(0);
static ENTERED: AtomicU32 = AtomicU32::new(0);
static NESTED_BEFORE_RAISE_RETURNED: AtomicBool = AtomicBool::new(false);

/// A handler that raises its own signal once from inside.
fn raise_again_once(signal: u32) {
    let depth = DEPTH.fetch_add(1, Ordering::Relaxed) + 1;
    DEEPEST.fetch_max(depth, Ordering::Relaxed);
    if ENTERED.fetch_add(1, Ordering::Relaxed) == 0 {
        let _ = signal::raise(signal);
        NESTED_BEFORE_RAISE_RETURNED.store(ENTERED.load(Ordering::Relaxed) > 1, Ordering::Relaxed);
    }
    DEPTH.fetch_sub(1, Ordering::Relaxed);
}

/// Runs [`raise_again_once`] for SIGUSR1 with `flags`: (runs, deepest nesting, whether the
/// second run came before the inner `raise` returned).
fn raise_again_with(flags: u64) -> Result<(u32, u32, bool), String> {
    DEPTH.store(0, Ordering::Relaxed);
    DEEPEST.store(0, Ordering::Relaxed);
    ENTERED.store(0, Ordering::Relaxed);
    NESTED_BEFORE_RAISE_RETURNED.store(false, Ordering::Relaxed);
    install(SIGUSR1, Handler::Simple(raise_again_once), flags, SignalSet::EMPTY)?;
    step("raise", signal::raise(SIGUSR1))?;
    Ok((
        ENTERED.load(Ordering::Relaxed),
        DEEPEST.load(Ordering::Relaxed),
        NESTED_BEFORE_RAISE_RETURNED.load(Ordering::Relaxed),
    ))
}

/// Without `SA_NODEFER` a handler's own signal waits until it returns; with it the handler
/// nests. With `SA_RESETHAND` the action is the default once the handler is entered, so
/// the instance raised inside ends the process (in a child).
fn sa_nodefer_and_resethand() -> Check {
    let (runs, deepest, nested) = raise_again_with(0)?;
    ensure(runs == 2 && deepest == 1 && !nested, || {
        format!(
            "without SA_NODEFER: {runs} runs, nesting depth {deepest}, second run before the \
             inner raise returned: {nested}; expected 2 runs, the second after the first"
        )
    })?;
    let (runs, deepest, nested) = raise_again_with(SA_NODEFER)?;
    ensure(runs == 2 && deepest == 2 && nested, || {
        format!(
            "with SA_NODEFER: {runs} runs, nesting depth {deepest}, second run before the \
             inner raise returned: {nested}; expected 2 runs, nested"
        )
    })?;

    // SA_RESETHAND here: the handler runs once and the action is back to the default.
    install(SIGUSR2, Handler::Simple(on_signal), SA_RESETHAND, SignalSet::EMPTY)?;
    step("raise", signal::raise(SIGUSR2))?;
    ensure(LOG.handled(SIGUSR2) == 1, || {
        format!("SA_RESETHAND handler ran {} times", LOG.handled(SIGUSR2))
    })?;
    let after = step("sigaction query", signal::sigaction(SIGUSR2, None))?;
    ensure(matches!(after.handler, Handler::Default), || {
        format!("after an SA_RESETHAND handler ran, the action is {after:?}")
    })?;

    // SA_RESETHAND in a child whose handler raises its signal again.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let spawned = Child::spawn_with(
        &["resethand"],
        &[FileAction::Dup2(writer, 1), FileAction::Close(reader), FileAction::Close(writer)],
        &SpawnAttributes::default(),
    );
    let _ = fd::close(writer);
    let outcome = spawned.and_then(|mut child| child.killed_by(SIGUSR1, false));
    let written = read_to_end(reader);
    let _ = fd::close(reader);
    outcome?;
    let written = written?;
    ensure(written == b"reset", || {
        format!(
            "the child's handler wrote {:?}, expected \"reset\"",
            String::from_utf8_lossy(&written)
        )
    })
}

/// The mask while the SIGUSR1 handler ran.
static MASK_INSIDE: AtomicU64 = AtomicU64::new(0);
/// How often SIGUSR2 was handled before the SIGUSR1 handler returned.
static SECOND_INSIDE: AtomicU32 = AtomicU32::new(0);

fn raise_second_inside(signal: u32) {
    let inside = signal::sigprocmask(SIG_BLOCK, None).unwrap_or(SignalSet::FULL);
    MASK_INSIDE.store(inside.0, Ordering::Relaxed);
    let _ = signal::raise(SIGUSR2);
    SECOND_INSIDE.store(LOG.handled(SIGUSR2), Ordering::Relaxed);
    on_signal(signal);
}

/// `sa_mask` blocks another signal while the handler runs.
fn sa_mask() -> Check {
    install(SIGUSR1, Handler::Simple(raise_second_inside), 0, SignalSet::of(SIGUSR2))?;
    catch(SIGUSR2)?;
    step("raise", signal::raise(SIGUSR1))?;
    let inside = SignalSet(MASK_INSIDE.load(Ordering::Relaxed));
    ensure(inside == set_of(&[SIGUSR1, SIGUSR2]), || {
        format!("mask inside the handler {inside:?}, expected SIGUSR1 and SIGUSR2")
    })?;
    ensure(SECOND_INSIDE.load(Ordering::Relaxed) == 0, || {
        String::from("SIGUSR2, in sa_mask, was handled while the SIGUSR1 handler ran")
    })?;
    let seen = numbers(&LOG.events());
    ensure(seen == [SIGUSR1, SIGUSR2], || {
        format!("handled {seen:?}, expected SIGUSR1 then SIGUSR2")
    })?;
    ensure(current_mask().is_empty(), || format!("mask {:?} after the handlers", current_mask()))
}

/// `sigsuspend` waits with a temporary mask until a handler has run, returns `EINTR` and
/// restores the mask.
fn sigsuspend() -> Check {
    catch(SIGUSR1)?;
    catch(SIGUSR2)?;
    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    let me = own_pid()?.to_string();
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    // Blocked until sigsuspend: it cannot come too early.
    let mut sender = Child::spawn(&["send-after", "100", &SIGUSR1.to_string(), &me])?;
    let result = signal::sigsuspend(SignalSet::EMPTY);
    watchdog.check()?;
    ensure(result == Errno::Eintr, || format!("sigsuspend returned {result}, expected EINTR"))?;
    ensure(LOG.handled(SIGUSR1) == 1, || {
        format!("SIGUSR1 handled {} times", LOG.handled(SIGUSR1))
    })?;
    ensure(current_mask() == SignalSet::of(SIGUSR1), || {
        format!("mask after sigsuspend {:?}, expected SIGUSR1 again", current_mask())
    })?;
    sender.exits_with(0)?;

    // A signal the temporary mask blocks does not end it; another one does.
    step("raise", signal::raise(SIGUSR1))?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR2))?;
    let mut sender = Child::spawn(&["send-after", "100", &SIGUSR2.to_string(), &me])?;
    let result = signal::sigsuspend(SignalSet::of(SIGUSR1));
    watchdog.check()?;
    ensure(result == Errno::Eintr, || format!("sigsuspend returned {result}, expected EINTR"))?;
    ensure(LOG.handled(SIGUSR2) == 1 && LOG.handled(SIGUSR1) == 1, || {
        format!(
            "during sigsuspend(SIGUSR1): SIGUSR1 handled {} more times, SIGUSR2 {} times; \
             expected 0 and 1",
            LOG.handled(SIGUSR1).saturating_sub(1),
            LOG.handled(SIGUSR2)
        )
    })?;
    ensure(current_mask() == set_of(&[SIGUSR1, SIGUSR2]), || {
        format!("mask after sigsuspend {:?}, expected SIGUSR1 and SIGUSR2", current_mask())
    })?;
    sender.exits_with(0)?;
    mask(SIG_UNBLOCK, set_of(&[SIGUSR1, SIGUSR2]))?;
    ensure(LOG.handled(SIGUSR1) == 2, || String::from("the pending SIGUSR1 was lost"))
}

/// `alarm(1)` and `pause`: the SIGALRM handler runs about a second later; `alarm` returns
/// what was left of an earlier alarm; `alarm(0)` cancels.
fn pause_and_alarm() -> Check {
    catch_with_info(SIGALRM)?;
    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    ensure(signal::alarm(1) == 0, || String::from("alarm(1) found an earlier alarm"))?;
    let start = time::monotonic();
    let result = signal::pause();
    let waited = time::monotonic() - start;
    watchdog.check()?;
    ensure(result == Errno::Eintr, || format!("pause returned {result}, expected EINTR"))?;
    let seen = LOG.events();
    ensure(seen.len() == 1 && seen[0].signal == SIGALRM, || format!("pause ended after {seen:?}"))?;
    ensure(seen[0].code == SI_KERNEL, || {
        format!("SIGALRM with {:?}, expected SI_KERNEL", seen[0])
    })?;
    ensure(waited >= Duration::from_millis(900), || format!("the alarm came after {waited:?}"))?;

    ensure(signal::alarm(10) == 0, || String::from("alarm(10) found an earlier alarm"))?;
    let left = signal::alarm(3);
    ensure((9..=10).contains(&left), || format!("alarm(3) after alarm(10) returned {left}"))?;
    let left = signal::alarm(0);
    ensure((2..=3).contains(&left), || format!("alarm(0) after alarm(3) returned {left}"))?;
    ensure(signal::alarm(0) == 0, || String::from("alarm(0) did not cancel"))?;

    // A cancelled alarm never comes.
    signal::alarm(1);
    signal::alarm(0);
    let slept = time::nanosleep(Duration::from_millis(1300));
    ensure(slept.is_ok() && LOG.handled(SIGALRM) == 1, || {
        format!(
            "a cancelled alarm came: nanosleep {slept:?}, SIGALRM handled {} times",
            LOG.handled(SIGALRM)
        )
    })
}

/// An ignored signal does nothing; setting `SIG_IGN` discards pending instances.
fn ignore_signals() -> Check {
    ignore(SIGUSR1)?;
    step("raise of an ignored signal", signal::raise(SIGUSR1))?;
    // Signals whose default is to ignore them.
    step("raise(SIGURG)", signal::raise(SIGURG))?;
    step("raise(SIGCHLD)", signal::raise(SIGCHLD))?;

    catch(SIGUSR1)?;
    catch(SIGRTMIN)?;
    let me = own_pid()?;
    mask(SIG_BLOCK, set_of(&[SIGUSR1, SIGRTMIN]))?;
    step("raise", signal::raise(SIGUSR1))?;
    for value in 0..3 {
        step("sigqueue", signal::sigqueue(me, SIGRTMIN, value))?;
    }
    let pending = signal::sigpending();
    ensure(pending.contains(SIGUSR1) && pending.contains(SIGRTMIN), || {
        format!("sigpending {pending:?}, expected SIGUSR1 and SIGRTMIN")
    })?;
    ignore(SIGUSR1)?;
    ignore(SIGRTMIN)?;
    let pending = signal::sigpending();
    ensure(!pending.contains(SIGUSR1) && !pending.contains(SIGRTMIN), || {
        format!("sigpending {pending:?} after SIG_IGN, expected neither")
    })?;
    catch(SIGUSR1)?;
    catch(SIGRTMIN)?;
    mask(SIG_UNBLOCK, set_of(&[SIGUSR1, SIGRTMIN]))?;
    ensure(LOG.events().is_empty(), || {
        format!("discarded signals were handled: {:?}", LOG.events())
    })
}

// ----- Default actions, stop and continue ------------------------------------------------

/// Default action Terminate: the child is killed by the signal, without a core dump.
fn default_terminate() -> Check {
    for number in [SIGTERM, SIGRTMIN] {
        let mut child = Child::spawn(&["wait-forever"])?;
        child.signal(number)?;
        child.killed_by(number, false)?;
    }
    Ok(())
}

/// Default action Core: the wait status has the core bit.
fn default_core() -> Check {
    for number in [SIGQUIT, SIGSEGV] {
        let mut child = Child::spawn(&["wait-forever"])?;
        child.signal(number)?;
        child.killed_by(number, true)?;
    }
    Ok(())
}

/// A child that ignores and blocks everything it can still stops on SIGSTOP, continues on
/// SIGCONT and dies by SIGKILL (even while stopped).
fn sigkill_uncatchable() -> Check {
    let mut child = Child::spawn(&["ignore-all"])?;
    for number in [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGSEGV, SIGTSTP, SIGRTMIN] {
        child.signal(number)?;
    }
    child.keeps_running(Duration::from_millis(100))?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    // SIGCONT continues a stopped process even when it is ignored and blocked.
    child.signal(SIGCONT)?;
    child.continues()?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL, false)
}

/// SIGSTOP stops (reported once with `WUNTRACED`), SIGCONT continues (`WCONTINUED`); a
/// terminating signal sent while stopped waits for the SIGCONT.
fn stop_and_continue() -> Check {
    let mut child = Child::spawn(&["wait-forever"])?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    let again = child.poll(proc::WUNTRACED)?;
    ensure(again.is_none(), || {
        format!("the stop was reported twice: {}", describe(again.unwrap_or(0)))
    })?;
    child.signal(SIGCONT)?;
    child.continues()?;
    let again = child.poll(proc::WCONTINUED)?;
    ensure(again.is_none(), || {
        format!("the continue was reported twice: {}", describe(again.unwrap_or(0)))
    })?;
    child.signal(SIGTERM)?;
    child.killed_by(SIGTERM, false)?;

    // SIGTERM to a stopped process takes effect when it continues.
    let mut child = Child::spawn(&["wait-forever"])?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    child.signal(SIGTERM)?;
    child.keeps_running(Duration::from_millis(100))?;
    child.signal(SIGCONT)?;
    child.killed_by(SIGTERM, false)
}

/// Spawn attributes for a child in a new process group (not orphaned: its parent is in
/// another group of the same session, so stop signals from the terminal family apply).
fn own_group() -> SpawnAttributes {
    SpawnAttributes { process_group: Some(0), new_session: false }
}

/// SIGTSTP with the default action stops the child.
fn sigtstp_default_stops() -> Check {
    let mut child = Child::spawn_with(&["wait-forever"], &[], &own_group())?;
    child.signal(SIGTSTP)?;
    child.stops_with(SIGTSTP)?;
    child.signal(SIGCONT)?;
    child.continues()?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL, false)
}

/// A SIGCONT discards a pending (blocked) SIGTSTP: when the child unblocks it, it does not
/// stop.
fn sigcont_discards_stop() -> Check {
    let (to_child, from_parent) = step("pipe", pipe::pipe())?;
    let (from_child, to_parent) = step("pipe", pipe::pipe2(O_NONBLOCK))?;
    let spawned = Child::spawn_with(
        &["block-tstp"],
        &[
            FileAction::Dup2(to_child, 0),
            FileAction::Dup2(to_parent, 1),
            FileAction::Close(to_child),
            FileAction::Close(from_parent),
            FileAction::Close(from_child),
            FileAction::Close(to_parent),
        ],
        &own_group(),
    );
    let _ = fd::close(to_child);
    let _ = fd::close(to_parent);
    let outcome = spawned.and_then(|mut child| {
        child.signal(SIGTSTP)?;
        write_all(from_parent, b"1")?;
        // The child has looked at its pending signals once this comes.
        let answer = read_byte_within(from_child, CHILD_TIMEOUT)
            .map_err(|error| format!("{}: no answer: {error}", child.name()))?;
        ensure(answer.is_some(), || format!("{}: ended without an answer", child.name()))?;
        child.signal(SIGCONT)?;
        write_all(from_parent, b"2")?;
        let status = child.wait(proc::WUNTRACED, CHILD_TIMEOUT)?;
        ensure(proc::exited(status) && proc::exit_status(status) == 0, || {
            let what = match (proc::exited(status), proc::exit_status(status)) {
                (true, 1) => String::from("SIGTSTP was not pending before SIGCONT"),
                (true, 2) => String::from("SIGTSTP was still pending after SIGCONT"),
                (true, 3) => String::from("SIGTSTP was not pending before SIGCONT, but after"),
                _ => describe(status),
            };
            format!("{}: {what}", child.name())
        })
    });
    let _ = fd::close(from_parent);
    let _ = fd::close(from_child);
    outcome
}

// ----- SIGCHLD ---------------------------------------------------------------------------

/// An `SA_SIGINFO` SIGCHLD handler sees `CLD_EXITED`, `CLD_KILLED` and `CLD_DUMPED` with the
/// child's pid and status.
fn sigchld_on_exit() -> Check {
    install(
        SIGCHLD,
        Handler::Information(on_signal_with_info),
        SA_SIGINFO | SA_RESTART,
        SignalSet::EMPTY,
    )?;
    let mut child = Child::spawn(&["exit", "42"])?;
    expect_child_events(child.pid, &[(CLD_EXITED, 42)])?;
    child.exits_with(42)?;
    for (number, code) in [(SIGTERM, CLD_KILLED), (SIGQUIT, CLD_DUMPED)] {
        let mut child = Child::spawn(&["wait-forever"])?;
        child.signal(number)?;
        expect_child_events(child.pid, &[(code, number)])?;
        child.killed_by(number, number == SIGQUIT)?;
    }
    Ok(())
}

/// With `SA_NOCLDSTOP` no SIGCHLD comes for a stop or a continue (but one comes for the
/// end); without it `CLD_STOPPED` and `CLD_CONTINUED` come.
fn sigchld_nocldstop() -> Check {
    let flags = SA_SIGINFO | SA_RESTART;
    let handler = Handler::Information(on_signal_with_info);
    install(SIGCHLD, handler, flags | SA_NOCLDSTOP, SignalSet::EMPTY)?;
    let mut child = Child::spawn(&["wait-forever"])?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    child.signal(SIGCONT)?;
    child.continues()?;
    sleep(Duration::from_millis(50));
    let seen = child_events(child.pid);
    ensure(seen.is_empty(), || format!("with SA_NOCLDSTOP: SIGCHLD {seen:?}"))?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL, false)?;
    expect_child_events(child.pid, &[(CLD_KILLED, SIGKILL)])?;

    install(SIGCHLD, handler, flags, SignalSet::EMPTY)?;
    let mut child = Child::spawn(&["wait-forever"])?;
    child.signal(SIGSTOP)?;
    child.stops_with(SIGSTOP)?;
    expect_child_events(child.pid, &[(CLD_STOPPED, SIGSTOP)])?;
    child.signal(SIGCONT)?;
    child.continues()?;
    expect_child_events(child.pid, &[(CLD_STOPPED, SIGSTOP), (CLD_CONTINUED, SIGCONT)])?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL, false)
}

/// With SIGCHLD ignored (or `SA_NOCLDWAIT`) children leave no zombie: `waitpid` blocks
/// until the child ends, then fails with `ECHILD`.
fn sigchld_ignore_autoreap() -> Check {
    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    for (handler, flags) in [
        (Handler::Ignore, 0),
        (Handler::Information(on_signal_with_info), SA_SIGINFO | SA_NOCLDWAIT),
    ] {
        LOG.clear();
        install(SIGCHLD, handler, flags, SignalSet::EMPTY)?;
        let mut child = Child::spawn(&["sleep-exit", "300", "5"])?;
        let start = time::monotonic();
        let result = proc::waitpid(child.pid, 0);
        let waited = time::monotonic() - start;
        child.reaped = true;
        let what = if flags == 0 { "SIGCHLD ignored" } else { "SA_NOCLDWAIT" };
        watchdog.check()?;
        ensure(result == Err(Errno::Echild), || {
            format!("{what}: waitpid returned {result:?}, expected ECHILD")
        })?;
        ensure(waited >= Duration::from_millis(200), || {
            format!("{what}: waitpid failed after {waited:?}, before the child ended")
        })?;
        // No zombie: kill finds no process (it would find a zombie).
        fails_with(
            &format!("{what}: kill(ended child, 0)"),
            proc::kill(child.pid, 0),
            Errno::Esrch,
        )?;
        if flags != 0 {
            // With a handler, SIGCHLD is still sent.
            expect_child_events(child.pid, &[(CLD_EXITED, 5)])?;
        }
    }
    Ok(())
}

// ----- SIGPIPE and interrupted calls ------------------------------------------------------

/// A pipe whose reader is closed: (the write end).
fn broken_pipe() -> Result<Fd, String> {
    let (reader, writer) = step("pipe", pipe::pipe())?;
    step("close reader", fd::close(reader))?;
    Ok(writer)
}

/// Writing to a pipe with no reader: `EPIPE` with SIGPIPE ignored, `EPIPE` after the
/// handler with one, pending while blocked, death by SIGPIPE by default.
fn sigpipe() -> Check {
    let writer = broken_pipe()?;
    let outcome = (|| {
        ignore(SIGPIPE)?;
        fails_with("write with SIGPIPE ignored", fd::write(writer, b"x"), Errno::Epipe)?;
        catch(SIGPIPE)?;
        fails_with("write with a SIGPIPE handler", fd::write(writer, b"x"), Errno::Epipe)?;
        ensure(LOG.handled(SIGPIPE) == 1, || {
            format!("the SIGPIPE handler ran {} times, expected once", LOG.handled(SIGPIPE))
        })?;
        mask(SIG_BLOCK, SignalSet::of(SIGPIPE))?;
        fails_with("write with SIGPIPE blocked", fd::write(writer, b"x"), Errno::Epipe)?;
        ensure(signal::sigpending().contains(SIGPIPE), || String::from("SIGPIPE not pending"))?;
        ignore(SIGPIPE)?;
        mask(SIG_UNBLOCK, SignalSet::of(SIGPIPE))?;
        ensure(LOG.handled(SIGPIPE) == 1, || String::from("a discarded SIGPIPE was handled"))
    })();
    let _ = fd::close(writer);
    outcome?;
    // The child would inherit SIG_IGN.
    install(SIGPIPE, Handler::Default, 0, SignalSet::EMPTY)?;
    let mut child = Child::spawn(&["write-closed-pipe"])?;
    child.killed_by(SIGPIPE, false)
}

/// A child blocked reading a pipe: a handler without `SA_RESTART` makes the read fail with
/// `EINTR`; with `SA_RESTART` the read goes on and returns the data written afterwards.
fn eintr_pipe_read() -> Check {
    for restart in [false, true] {
        let (reader, writer) = step("pipe", pipe::pipe())?;
        let mode = if restart { "restart" } else { "no-restart" };
        let spawned = Child::spawn_with(
            &["read-pipe", mode],
            &[FileAction::Dup2(reader, 0), FileAction::Close(reader), FileAction::Close(writer)],
            &SpawnAttributes::default(),
        );
        let _ = fd::close(reader);
        let outcome = spawned.and_then(|mut child| {
            if restart {
                for _ in 0..4 {
                    child.signal(SIGUSR1)?;
                    sleep(Duration::from_millis(50));
                }
                child.keeps_running(Duration::ZERO)?;
                write_all(writer, b"data")?;
                child.reports(OUTCOME_DATA | HANDLER_RAN)
            } else {
                let status = child.signal_until_end(SIGUSR1)?;
                ensure(proc::exited(status), || format!("{}: {}", child.name(), describe(status)))?;
                let code = proc::exit_status(status);
                ensure(code == OUTCOME_EINTR | HANDLER_RAN, || {
                    format!(
                        "{}: {}; expected {}",
                        child.name(),
                        describe_outcome(code),
                        describe_outcome(OUTCOME_EINTR | HANDLER_RAN)
                    )
                })
            }
        });
        let _ = fd::close(writer);
        outcome?;
    }
    Ok(())
}

/// `waitpid` interrupted by a handler without `SA_RESTART` fails with `EINTR`; with
/// `SA_RESTART` it keeps waiting.
fn eintr_waitpid() -> Check {
    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    install(SIGALRM, Handler::Simple(on_signal), 0, SignalSet::EMPTY)?;
    let child = Child::spawn(&["wait-forever"])?;
    step("set_alarm", signal::set_alarm(200_000_000))?;
    let result = proc::waitpid(child.pid, 0);
    watchdog.check()?;
    ensure(result == Err(Errno::Eintr) && LOG.handled(SIGALRM) == 1, || {
        format!(
            "without SA_RESTART: waitpid returned {result:?}, SIGALRM handled {} times; \
             expected EINTR after the handler",
            LOG.handled(SIGALRM)
        )
    })?;
    drop(child);

    install(SIGALRM, Handler::Simple(on_signal), SA_RESTART, SignalSet::EMPTY)?;
    let mut child = Child::spawn(&["sleep-exit", "600", "7"])?;
    step("set_alarm", signal::set_alarm(150_000_000))?;
    let result = proc::waitpid(child.pid, 0);
    if matches!(result, Ok((pid, _)) if pid == child.pid) {
        child.reaped = true;
    }
    let result =
        result.map_err(|error| watchdog.explain(format!("with SA_RESTART: waitpid: {error}")))?;
    watchdog.check()?;
    ensure(result == (child.pid, 7 << 8), || {
        format!("with SA_RESTART: waitpid returned {result:?}, expected the child's exit 7")
    })?;
    ensure(LOG.handled(SIGALRM) == 2, || {
        format!("SIGALRM handled {} times, expected twice", LOG.handled(SIGALRM))
    })
}

/// A handler ends `nanosleep` with `EINTR` even with `SA_RESTART`, reporting the time
/// left; a blocked signal does not end it.
fn eintr_nanosleep() -> Check {
    install(SIGALRM, Handler::Simple(on_signal), SA_RESTART, SignalSet::EMPTY)?;
    step("set_alarm", signal::set_alarm(100_000_000))?;
    let start = time::monotonic();
    let result = time::nanosleep_remaining(Duration::from_secs(3));
    let slept = time::monotonic() - start;
    match result {
        Err((Errno::Eintr, left)) => {
            ensure(left > Duration::from_millis(1500) && left < Duration::from_secs(3), || {
                format!("nanosleep(3 s) interrupted after {slept:?} reported {left:?} left")
            })?;
        }
        other => {
            return Err(format!(
                "nanosleep(3 s) returned {other:?} after {slept:?}, expected EINTR"
            ));
        }
    }
    ensure(LOG.handled(SIGALRM) == 1, || {
        format!("SIGALRM handled {} times", LOG.handled(SIGALRM))
    })?;

    mask(SIG_BLOCK, SignalSet::of(SIGALRM))?;
    step("set_alarm", signal::set_alarm(100_000_000))?;
    let start = time::monotonic();
    let result = time::nanosleep(Duration::from_millis(400));
    let slept = time::monotonic() - start;
    ensure(result.is_ok() && slept >= Duration::from_millis(400), || {
        format!("with SIGALRM blocked: nanosleep(400 ms) returned {result:?} after {slept:?}")
    })?;
    ensure(signal::sigpending().contains(SIGALRM), || {
        String::from("the blocked SIGALRM is not pending")
    })?;
    mask(SIG_UNBLOCK, SignalSet::of(SIGALRM))?;
    ensure(LOG.handled(SIGALRM) == 2, || {
        String::from("the pending SIGALRM was not handled on unblocking")
    })
}

/// Calls that do not block never fail with `EINTR`, however many signals arrive (Linux
/// restarts nothing here: it never interrupts them). A child sends SIGUSR1 as fast as it
/// can while this process calls proc (`getpid`) and the pipe server (`fcntl(F_GETFL)`).
fn nonblocking_calls_not_interrupted() -> Check {
    const ROUNDS: usize = 2000;
    install(SIGUSR1, Handler::Simple(on_signal), SA_RESTART, SignalSet::EMPTY)?;
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let outcome = (|| {
        let me = own_pid()?.to_string();
        let flood = Child::spawn(&["signal-flood", &me, &SIGUSR1.to_string()])?;
        let (mut getpid_interrupted, mut fcntl_interrupted) = (0, 0);
        for _ in 0..ROUNDS {
            match proc::getpid() {
                Err(Errno::Eintr) => getpid_interrupted += 1,
                other => {
                    step("getpid", other)?;
                }
            }
            match fd::fcntl(reader, F_GETFL, 0) {
                Err(Errno::Eintr) => fcntl_interrupted += 1,
                other => {
                    step("fcntl(F_GETFL)", other)?;
                }
            }
        }
        drop(flood);
        let arrived = LOG.handled(SIGUSR1);
        ensure(getpid_interrupted == 0 && fcntl_interrupted == 0, || {
            format!(
                "with {arrived} SIGUSR1 handled (SA_RESTART) during {ROUNDS} rounds: getpid \
                 failed with EINTR {getpid_interrupted} times, fcntl(F_GETFL) \
                 {fcntl_interrupted} times; expected never"
            )
        })?;
        ensure(arrived > 0, || String::from("no SIGUSR1 arrived during the calls"))
    })();
    let _ = fd::close(reader);
    let _ = fd::close(writer);
    outcome
}

/// The FIFO the `eintr-fifo-open` case uses.
const FIFO: &str = "/signal-test-fifo";

/// A child blocked opening a FIFO for reading: a handler without `SA_RESTART` makes the
/// open fail with `EINTR`; with `SA_RESTART` the open goes on until a writer comes.
fn eintr_fifo_open() -> Check {
    let _ = fs::unlink(FIFO);
    step("mkfifo", fs::mkfifo(FIFO, 0o600))?;
    let outcome = eintr_fifo_open_cases();
    let _ = fs::unlink(FIFO);
    outcome
}

fn eintr_fifo_open_cases() -> Check {
    let mut child = Child::spawn(&["open-fifo", FIFO, "no-restart"])?;
    let status = child.signal_until_end(SIGUSR1)?;
    let code = proc::exit_status(status);
    ensure(proc::exited(status) && code == OUTCOME_EINTR | HANDLER_RAN, || {
        let got = if proc::exited(status) { describe_outcome(code) } else { describe(status) };
        format!(
            "without SA_RESTART: {got}; expected {}",
            describe_outcome(OUTCOME_EINTR | HANDLER_RAN)
        )
    })?;

    let watchdog = Watchdog::start(CHILD_TIMEOUT)?;
    let mut child = Child::spawn(&["open-fifo", FIFO, "restart"])?;
    for _ in 0..4 {
        child.signal(SIGUSR1)?;
        sleep(Duration::from_millis(50));
    }
    child.keeps_running(Duration::ZERO)?;
    let writer = fs::open(FIFO, O_WRONLY, 0)
        .map_err(|error| watchdog.explain(format!("open the FIFO for writing: {error}")))?;
    let written = write_all(writer, b"data");
    let _ = fd::close(writer);
    written?;
    child.reports(OUTCOME_DATA | HANDLER_RAN)?;
    watchdog.check()
}

// ----- kill: permissions and groups ------------------------------------------------------

/// Runs `kill(target, signal)` in a child whose user id is 1000; returns its errno (0 for
/// success).
fn kill_as_user(target: Pid, signal: u32) -> Result<i32, String> {
    let mut child = Child::spawn(&["kill-as", "1000", &target.to_string(), &signal.to_string()])?;
    let status = child.end()?;
    ensure(proc::exited(status), || format!("{}: {}", child.name(), describe(status)))?;
    Ok(proc::exit_status(status))
}

fn expect_kill_as_user(target: Pid, signal: u32, expected: i32, what: &str) -> Check {
    let errno = kill_as_user(target, signal)?;
    ensure(errno == expected, || {
        let name = |number: i32| Errno::from_number(number).map_or("success", Errno::name);
        format!(
            "{what}: kill({target}, {signal}) as uid 1000 gave {}, expected {}",
            name(errno),
            name(expected)
        )
    })
}

/// An unprivileged process may signal processes of its own user id only (and SIGCONT
/// within its session); `kill(-1)` reaches those; root may signal anyone.
fn kill_permissions() -> Check {
    let me = own_pid()?;
    catch(SIGUSR1)?;
    catch(SIGTERM)?;
    let eperm = Errno::Eperm.number();
    expect_kill_as_user(me, SIGUSR1, eperm, "to a root process")?;
    expect_kill_as_user(me, 0, eperm, "existence check of a root process")?;
    ensure(LOG.handled(SIGUSR1) == 0, || String::from("a refused SIGUSR1 was delivered"))?;
    expect_kill_as_user(me, SIGCONT, 0, "SIGCONT within the session")?;
    expect_kill_as_user(NO_SUCH_PID, SIGUSR1, Errno::Esrch.number(), "to no process")?;

    let mut target = Child::spawn(&["setuid-wait", "1000"])?;
    expect_kill_as_user(target.pid, SIGTERM, 0, "to a process of the same user")?;
    target.killed_by(SIGTERM, false)?;

    // kill(-1): every process the sender may signal, but init and itself.
    let mut target = Child::spawn(&["setuid-wait", "1000"])?;
    expect_kill_as_user(-1, SIGTERM, 0, "to every process")?;
    target.killed_by(SIGTERM, false)?;
    ensure(LOG.handled(SIGTERM) == 0, || {
        String::from("kill(-1) by uid 1000 reached a root process")
    })?;

    // Root may signal anyone (signal 0: only the check).
    let target = Child::spawn(&["setuid-wait", "1000"])?;
    step("root: kill(uid 1000 process, 0)", proc::kill(target.pid, 0))?;
    step("root: kill(init, 0)", proc::kill(1, 0))?;
    step("root: kill(-1, 0)", proc::kill(-1, 0))?;
    fails_with("root: kill(no process, 0)", proc::kill(NO_SUCH_PID, 0), Errno::Esrch)?;
    fails_with("kill(self, 65)", proc::kill(me, SIGNAL_MAX + 1), Errno::Einval)
}

/// `kill(-pgid, sig)` reaches every member of the group; `kill(0, sig)` reaches the
/// sender's own group, the sender included.
fn kill_process_group() -> Check {
    let mut leader = Child::spawn_with(&["wait-forever"], &[], &own_group())?;
    let group = leader.pid;
    let attributes = SpawnAttributes { process_group: Some(group), new_session: false };
    let mut member = Child::spawn_with(&["wait-forever"], &[], &attributes)?;
    let info = step("process_info", proc::process_info(member.pid))?;
    ensure(info.process_group == group, || {
        format!("the member is in group {}, expected {group}", info.process_group)
    })?;
    step("kill(-group, SIGTERM)", proc::kill(-group, SIGTERM))?;
    leader.killed_by(SIGTERM, false)?;
    member.killed_by(SIGTERM, false)?;
    fails_with("kill of an empty group", proc::kill(-group, 0), Errno::Esrch)?;

    let mut child = Child::spawn_with(&["group-kill"], &[], &own_group())?;
    let status = child.end()?;
    ensure(proc::exited(status) && proc::exit_status(status) == 0, || {
        let code = proc::exit_status(status);
        let what = match (proc::exited(status), code) {
            (false, _) => describe(status),
            (true, 98) => String::from("could not set up"),
            (true, _) => format!(
                "kill(0) failed: {}, own handler not run once: {}, members not killed by it: {}",
                code & 1 != 0,
                code & 2 != 0,
                (code >> 2) & 3
            ),
        };
        format!("{}: {what}", child.name())
    })
}

/// A spawned child starts with the parent's mask and ignored signals, caught signals back
/// to the default, and nothing pending.
fn inherited_mask_and_ignore() -> Check {
    mask(SIG_SETMASK, SignalSet::of(SIGUSR1))?;
    step("raise", signal::raise(SIGUSR1))?;
    ignore(SIGUSR2)?;
    catch(SIGINT)?;
    let mut child = Child::spawn(&["report-inherited"])?;
    let status = child.end()?;
    ensure(proc::exited(status) && proc::exit_status(status) == 63, || {
        if !proc::exited(status) {
            return format!("{}: {}", child.name(), describe(status));
        }
        let code = proc::exit_status(status);
        let checks = [
            "mask is SIGUSR1",
            "SIGUSR2 ignored",
            "SIGINT default",
            "nothing pending",
            "raising SIGUSR2 harmless",
            "raised SIGUSR1 pending",
        ];
        let failed: Vec<&str> = checks
            .iter()
            .enumerate()
            .filter(|&(bit, _)| code & (1 << bit) == 0)
            .map(|(_, &check)| check)
            .collect();
        format!("{}: not true in the child: {failed:?}", child.name())
    })
}

fn main() -> i32 {
    let cases: [Case; 30] = [
        ("sigaction-old-action", sigaction_old_action),
        ("handler-runs-before-kill-returns", handler_runs_before_kill_returns),
        ("siginfo-queue", siginfo_queue),
        ("mask-and-pending", mask_and_pending),
        ("standard-coalesce", standard_coalesce),
        ("realtime-queue-order", realtime_queue_order),
        ("lowest-first", lowest_first),
        ("sa-nodefer-and-resethand", sa_nodefer_and_resethand),
        ("sa-mask", sa_mask),
        ("sigsuspend", sigsuspend),
        ("pause-and-alarm", pause_and_alarm),
        ("ignore", ignore_signals),
        ("default-terminate", default_terminate),
        ("default-core", default_core),
        ("sigkill-uncatchable", sigkill_uncatchable),
        ("stop-and-continue", stop_and_continue),
        ("sigtstp-default-stops", sigtstp_default_stops),
        ("sigcont-discards-stop", sigcont_discards_stop),
        ("sigchld-on-exit", sigchld_on_exit),
        ("sigchld-nocldstop", sigchld_nocldstop),
        ("sigchld-ignore-autoreap", sigchld_ignore_autoreap),
        ("sigpipe", sigpipe),
        ("eintr-pipe-read", eintr_pipe_read),
        ("eintr-waitpid", eintr_waitpid),
        ("eintr-nanosleep", eintr_nanosleep),
        ("eintr-fifo-open", eintr_fifo_open),
        ("nonblocking-calls-not-interrupted", nonblocking_calls_not_interrupted),
        ("kill-permissions", kill_permissions),
        ("kill-process-group", kill_process_group),
        ("inherited-mask-and-ignore", inherited_mask_and_ignore),
    ];
    let only: Vec<&str> = libsys::env::args().skip(1).collect();
    let (mut passed, mut failed) = (0, 0);
    reset_signals();
    for (name, case) in cases {
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let outcome = case();
        reset_signals();
        match outcome {
            Ok(()) => {
                passed += 1;
                libsys::println!("signal-test: ok {name}");
            }
            Err(reason) => {
                failed += 1;
                libsys::println!("signal-test: FAIL {name}: {reason}");
            }
        }
    }
    libsys::println!("signal-test: {passed} passed, {failed} failed");
    failed
}
