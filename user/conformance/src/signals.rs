//! Conformance cases for signals (signal(7), sigaction(2), sigprocmask(2), sigpending(2),
//! sigsuspend(2), pause(2), alarm(2), kill(2), sigqueue(3), waitpid(2)'s stop and continue
//! reports).
//!
//! Each case runs in a fresh process, so it starts with every action the default, an
//! empty mask and nothing pending. Handlers record what they saw in a lock-free static
//! ([`LOG`], a [`SignalLog`]); children that must have their handlers or ids in place
//! before anything is sent to them start with [`Child::spawn_ready`].

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use core::time::Duration;

use libsys::Errno;
use libsys::abi::signal::{
    CLD_EXITED, CLD_KILLED, CLD_STOPPED, SA_NOCLDSTOP, SA_NODEFER, SA_RESETHAND, SA_RESTART,
    SA_SIGINFO, SI_QUEUE, SI_USER, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGALRM, SIGCHLD, SIGCONT,
    SIGINT, SIGKILL, SIGNAL_MAX, SIGNAL_REALTIME_MIN, SIGQUIT, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN,
    SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGWINCH,
};
use libsys::fd::{self, Fd};
use libsys::pipe;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes, WCONTINUED, WNOHANG, WUNTRACED};
use libsys::signal::{self, Handler, SigAction, SignalInfo, SignalSet};
use libsys::time;

use courier_test_support::{SignalLog, set_of};

use crate::framework::{
    CHILD_TIMEOUT, Case, Check, Child, OTHER_USER, SETTLE, SETUP_FAILED, become_user, describe,
    ensure, equals, eventually, fails_with, number_argument, outcome_code, signal_name, sleep,
    sleep_forever, step, tell_ready,
};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "sigaction-invalid-signal-einval", run: sigaction_invalid_signal_einval },
    Case { name: "sigaction-kill-stop-einval", run: sigaction_kill_stop_einval },
    Case { name: "sigaction-returns-old-action", run: sigaction_returns_old_action },
    Case { name: "sigprocmask-invalid-how-einval", run: sigprocmask_invalid_how_einval },
    Case { name: "sigprocmask-block-unblock-setmask", run: sigprocmask_block_unblock_setmask },
    Case { name: "sigprocmask-kill-stop-not-blocked", run: sigprocmask_kill_stop_not_blocked },
    Case { name: "sigpending-blocked-signal", run: sigpending_blocked_signal },
    Case { name: "standard-signal-coalesces", run: standard_signal_coalesces },
    Case { name: "realtime-signals-queue-in-order", run: realtime_signals_queue_in_order },
    Case { name: "pending-lowest-number-first", run: pending_lowest_number_first },
    Case { name: "handler-sa-mask-blocks", run: handler_sa_mask_blocks },
    Case { name: "handler-defers-own-signal", run: handler_defers_own_signal },
    Case { name: "sa-nodefer-nests", run: sa_nodefer_nests },
    Case { name: "sa-resethand-restores-default", run: sa_resethand_restores_default },
    Case { name: "siginfo-kill-si-user", run: siginfo_kill_si_user },
    Case { name: "siginfo-sigqueue-si-queue", run: siginfo_sigqueue_si_queue },
    Case { name: "kill-signal-zero-esrch", run: kill_signal_zero_esrch },
    Case { name: "kill-invalid-signal-einval", run: kill_invalid_signal_einval },
    Case { name: "kill-other-user-eperm", run: kill_other_user_eperm },
    Case { name: "kill-zero-reaches-group", run: kill_zero_reaches_group },
    Case { name: "default-action-terminates", run: default_action_terminates },
    Case { name: "default-action-ignores", run: default_action_ignores },
    Case { name: "stop-and-continue-reported", run: stop_and_continue_reported },
    Case { name: "sigchld-reports-stop-and-death", run: sigchld_reports_stop_and_death },
    Case { name: "sigchld-nocldstop", run: sigchld_nocldstop },
    Case { name: "spawn-keeps-ignored-resets-caught", run: spawn_keeps_ignored_resets_caught },
    Case { name: "spawn-inherits-mask-not-pending", run: spawn_inherits_mask_not_pending },
    Case { name: "alarm-and-pause", run: alarm_and_pause },
    Case { name: "sigsuspend-restores-mask", run: sigsuspend_restores_mask },
    Case { name: "pipe-read-eintr-without-restart", run: pipe_read_eintr_without_restart },
    Case { name: "pipe-read-restarts-with-sa-restart", run: pipe_read_restarts_with_sa_restart },
    Case { name: "ignore-discards-pending", run: ignore_discards_pending },
    Case { name: "kill-negative-pid-reaches-group", run: kill_negative_pid_reaches_group },
    Case { name: "stop-signals-stop-by-default", run: stop_signals_stop_by_default },
    Case { name: "sigchld-exit-cld-exited", run: sigchld_exit_cld_exited },
    Case { name: "sigchld-ignored-no-zombies", run: sigchld_ignored_no_zombies },
    Case { name: "nanosleep-eintr-reports-remaining", run: nanosleep_eintr_reports_remaining },
    Case { name: "sigaction-drops-unknown-flags", run: sigaction_drops_unknown_flags },
    Case { name: "realtime-kill-queues-each", run: realtime_kill_queues_each },
    Case { name: "kill-zombie-succeeds", run: kill_zombie_succeeds },
    Case { name: "spawn-does-not-inherit-alarm", run: spawn_does_not_inherit_alarm },
    Case { name: "sigcont-discards-pending-stop", run: sigcont_discards_pending_stop },
    Case { name: "sigsuspend-delivers-pending-at-once", run: sigsuspend_delivers_pending_at_once },
    Case { name: "stop-reported-once", run: stop_reported_once },
    Case { name: "handler-mask-change-undone", run: handler_mask_change_undone },
];

/// `SIGRTMIN` as programs number it.
const SIGRTMIN: u32 = SIGNAL_REALTIME_MIN;
/// `signal-block-tstp`: SIGTSTP never became pending.
const STOP_NEVER_PENDING: i32 = 202;
/// `signal-block-tstp`: SIGTSTP stayed pending.
const STOP_STILL_PENDING: i32 = 203;
/// Added to a `signal-read-pipe` child's exit code when its handler ran.
const HANDLER_RAN: i32 = 100;

// ----- What handlers saw -----------------------------------------------------------------

/// How many signals the event log keeps.
const EVENT_SLOTS: usize = 32;
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

/// A handler distinct from [`on_signal`].
fn on_signal_other(signal: u32) {
    on_signal(signal);
}

/// The signal numbers handled so far, in order.
fn handled_numbers() -> Vec<u32> {
    LOG.events().iter().map(|info| info.signal).collect()
}

// ----- Small helpers ---------------------------------------------------------------------

fn install(signal: u32, handler: Handler, flags: u64, mask: SignalSet) -> Check {
    let what = format!("sigaction({})", signal_name(signal));
    step(&what, signal::sigaction(signal, Some(SigAction { handler, flags, mask }))).map(|_| ())
}

/// Catches `signal` with [`on_signal`], no flags.
fn catch(signal: u32) -> Check {
    install(signal, Handler::Simple(on_signal), 0, SignalSet::EMPTY)
}

/// Catches `signal` with [`on_signal_with_info`] (`SA_SIGINFO`).
fn catch_with_info(signal: u32) -> Check {
    install(signal, Handler::Information(on_signal_with_info), SA_SIGINFO, SignalSet::EMPTY)
}

fn mask(how: u32, set: SignalSet) -> Result<SignalSet, String> {
    step(&format!("sigprocmask({how}, {set:?})"), signal::sigprocmask(how, Some(set)))
}

fn current_mask() -> Result<SignalSet, String> {
    step("sigprocmask(query)", signal::sigprocmask(SIG_BLOCK, None))
}

fn raise(signal: u32) -> Check {
    step(&format!("raise({})", signal_name(signal)), signal::raise(signal))
}

fn own_pid() -> Result<Pid, String> {
    step("getpid", proc::getpid())
}

fn is_default(action: &SigAction) -> bool {
    matches!(action.handler, Handler::Default)
}

/// Polls `waitpid(child, options | WNOHANG)` until it reports something; the status.
fn wait_report(child: &Child, options: u64) -> Result<i32, String> {
    let mut reported = None;
    eventually(|| match proc::waitpid(child.pid, options | WNOHANG) {
        Ok((0, _)) | Err(Errno::Eintr) => {
            Ok(Some(format!("waitpid({}) reported nothing", child.pid)))
        }
        Ok((_, status)) => {
            reported = Some(status);
            Ok(None)
        }
        Err(error) => Err(format!("waitpid({}): {}", child.pid, error.name())),
    })?;
    reported.ok_or_else(|| String::from("no report"))
}

/// A `signal-wait` child, ready.
fn waiting_child() -> Result<Child, String> {
    Child::spawn_ready("signal-wait", &[])
}

// ----- Child modes -----------------------------------------------------------------------

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `signal-wait`: says it is ready and sleeps until a signal ends it;
/// - `signal-exit CODE`: exits with CODE;
/// - `signal-block-tstp`: blocks SIGTSTP, says it is ready, waits until SIGTSTP is
///   pending, then until it no longer is; exits 0 then, [`STOP_NEVER_PENDING`] or
///   [`STOP_STILL_PENDING`] when a wait ran out;
/// - `signal-report-alarm`: exits with what `alarm(0)` returns (the seconds left of an
///   alarm it started with);
/// - `signal-send-after MS SIGNAL PID`: sleeps MS milliseconds, sends SIGNAL to PID, exits 0;
/// - `signal-kill-as-other PID SIGNAL`: becomes user 1000, says it is ready and exits with
///   the outcome of `kill(PID, SIGNAL)`;
/// - `signal-report-inherited`: exits with a bit for each way its start differs from what
///   `spawn-keeps-ignored-resets-caught` and `spawn-inherits-mask-not-pending` set up
///   (1: SIGUSR2 not ignored, 2: SIGINT not default, 4: SIGUSR1 not blocked, 8: something
///   pending);
/// - `signal-read-pipe restart|no-restart`: catches SIGUSR1 (with or without `SA_RESTART`),
///   says it is ready and reads descriptor 0 once; exits with 0 for data or the errno, plus
///   [`HANDLER_RAN`] if the handler ran.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    let code = match mode {
        "signal-wait" => {
            tell_ready();
            sleep_forever()
        }
        "signal-exit" => number_argument(arguments, 0)?,
        "signal-report-alarm" => signal::alarm(0) as i32,
        "signal-block-tstp" => block_tstp(),
        "signal-send-after" => {
            let milliseconds: u64 = number_argument(arguments, 0)?;
            let number: u32 = number_argument(arguments, 1)?;
            let pid: Pid = number_argument(arguments, 2)?;
            sleep(Duration::from_millis(milliseconds));
            outcome_code(proc::kill(pid, number))
        }
        "signal-kill-as-other" => {
            let pid: Pid = number_argument(arguments, 0)?;
            let number: u32 = number_argument(arguments, 1)?;
            if !become_user(OTHER_USER) {
                return Some(SETUP_FAILED);
            }
            outcome_code(proc::kill(pid, number))
        }
        "signal-report-inherited" => report_inherited(),
        "signal-read-pipe" => {
            let flags = match arguments.first().copied() {
                Some("restart") => SA_RESTART,
                Some("no-restart") => 0,
                _ => return None,
            };
            if install(SIGUSR1, Handler::Simple(on_signal), flags, SignalSet::EMPTY).is_err() {
                return Some(SETUP_FAILED);
            }
            tell_ready();
            let mut buffer = [0u8; 16];
            let outcome = match fd::read(0, &mut buffer) {
                Ok(0) => SETUP_FAILED,
                Ok(_) => 0,
                Err(error) => error.number(),
            };
            outcome + if LOG.handled(SIGUSR1) > 0 { HANDLER_RAN } else { 0 }
        }
        _ => return None,
    };
    Some(code)
}

/// The `signal-report-inherited` mode's checks.
fn report_inherited() -> i32 {
    let mut problems = 0;
    if !matches!(signal::sigaction(SIGUSR2, None).map(|action| action.handler), Ok(Handler::Ignore))
    {
        problems |= 1;
    }
    if !signal::sigaction(SIGINT, None).is_ok_and(|action| is_default(&action)) {
        problems |= 2;
    }
    if !signal::sigprocmask(SIG_BLOCK, None).is_ok_and(|mask| mask.contains(SIGUSR1)) {
        problems |= 4;
    }
    if !signal::sigpending().is_empty() {
        problems |= 8;
    }
    problems
}

// ----- sigaction -------------------------------------------------------------------------

/// `sigaction` of 0 or of a number above `SIGRTMAX` fails with `EINVAL`, to set or to
/// query.
fn sigaction_invalid_signal_einval() -> Check {
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

/// No action may be set for SIGKILL or SIGSTOP (`EINVAL`, even `SIG_DFL`), but their
/// action can be queried and is the default.
fn sigaction_kill_stop_einval() -> Check {
    for number in [SIGKILL, SIGSTOP] {
        for handler in [Handler::Default, Handler::Ignore, Handler::Simple(on_signal)] {
            fails_with(
                &format!("sigaction({}, {handler:?})", signal_name(number)),
                signal::sigaction(number, Some(SigAction::new(handler))),
                Errno::Einval,
            )?;
        }
        let current = step("sigaction query", signal::sigaction(number, None))?;
        ensure(is_default(&current), || format!("{} has action {current:?}", signal_name(number)))?;
    }
    Ok(())
}

/// `sigaction` returns the action it replaces: the default first, then the handler, flags
/// and mask installed before; the new handler is the one that runs.
fn sigaction_returns_old_action() -> Check {
    let first = SigAction {
        handler: Handler::Simple(on_signal),
        flags: SA_RESTART,
        mask: SignalSet::of(SIGUSR2),
    };
    let old = step("sigaction(first)", signal::sigaction(SIGUSR1, Some(first)))?;
    ensure(is_default(&old) && old.flags == 0 && old.mask.is_empty(), || {
        format!("the first sigaction returned {old:?}, expected the default action")
    })?;
    let second = SigAction::new(Handler::Simple(on_signal_other));
    let old = step("sigaction(second)", signal::sigaction(SIGUSR1, Some(second)))?;
    ensure(
        old.handler.is(on_signal) && old.flags == SA_RESTART && old.mask == SignalSet::of(SIGUSR2),
        || format!("the second sigaction returned {old:?}, expected the first action"),
    )?;
    let current = step("sigaction query", signal::sigaction(SIGUSR1, None))?;
    ensure(current.handler.is(on_signal_other) && current.flags == 0, || {
        format!("the query returned {current:?}, expected the second action")
    })?;
    raise(SIGUSR1)?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)
}

// ----- sigprocmask and sigpending --------------------------------------------------------

/// `sigprocmask` with an unknown `how` fails with `EINVAL` and leaves the mask alone.
fn sigprocmask_invalid_how_einval() -> Check {
    mask(SIG_SETMASK, SignalSet::of(SIGINT))?;
    fails_with(
        "sigprocmask(3)",
        signal::sigprocmask(3, Some(SignalSet::of(SIGUSR1))),
        Errno::Einval,
    )?;
    equals("the mask", current_mask().map_err(|_| Errno::Eio), SignalSet::of(SIGINT))
}

/// `SIG_BLOCK` adds, `SIG_UNBLOCK` removes, `SIG_SETMASK` replaces; each returns the mask
/// it found.
fn sigprocmask_block_unblock_setmask() -> Check {
    let old = mask(SIG_BLOCK, set_of(&[SIGUSR1, SIGUSR2]))?;
    ensure(old.is_empty(), || format!("first SIG_BLOCK returned {old:?}, expected empty"))?;
    let old = mask(SIG_BLOCK, SignalSet::of(SIGINT))?;
    ensure(old == set_of(&[SIGUSR1, SIGUSR2]), || format!("SIG_BLOCK returned {old:?}"))?;
    let old = mask(SIG_UNBLOCK, SignalSet::of(SIGUSR1))?;
    ensure(old == set_of(&[SIGUSR1, SIGUSR2, SIGINT]), || format!("SIG_UNBLOCK returned {old:?}"))?;
    let old = mask(SIG_SETMASK, SignalSet::of(SIGTERM))?;
    ensure(old == set_of(&[SIGUSR2, SIGINT]), || format!("SIG_SETMASK returned {old:?}"))?;
    let now = current_mask()?;
    ensure(now == SignalSet::of(SIGTERM), || format!("mask {now:?}, expected SIGTERM only"))
}

/// Asking to block SIGKILL and SIGSTOP is not an error, but they stay unblocked.
fn sigprocmask_kill_stop_not_blocked() -> Check {
    mask(SIG_BLOCK, set_of(&[SIGKILL, SIGSTOP, SIGUSR2]))?;
    let now = current_mask()?;
    ensure(now == SignalSet::of(SIGUSR2), || format!("mask {now:?}, expected SIGUSR2 only"))?;
    mask(SIG_SETMASK, SignalSet::FULL)?;
    let now = current_mask()?;
    ensure(now == SignalSet::FULL.difference(SignalSet::UNBLOCKABLE), || {
        format!("mask {now:?} after SIG_SETMASK of every signal")
    })
}

/// A blocked signal stays pending (`sigpending`) without its handler running; unblocking
/// runs the handler before `sigprocmask` returns and clears it from `sigpending`.
fn sigpending_blocked_signal() -> Check {
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    raise(SIGUSR1)?;
    let pending = signal::sigpending();
    ensure(pending == SignalSet::of(SIGUSR1), || {
        format!("sigpending {pending:?}, expected SIGUSR1")
    })?;
    equals("SIGUSR1 handled while blocked", Ok(LOG.handled(SIGUSR1)), 0)?;
    mask(SIG_UNBLOCK, SignalSet::of(SIGUSR1))?;
    equals("SIGUSR1 handled after unblocking", Ok(LOG.handled(SIGUSR1)), 1)?;
    let pending = signal::sigpending();
    ensure(pending.is_empty(), || format!("sigpending {pending:?} after delivery"))
}

/// A standard signal sent three times while blocked is handled once.
fn standard_signal_coalesces() -> Check {
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    let me = own_pid()?;
    for _ in 0..3 {
        step("kill(self, SIGUSR1)", proc::kill(me, SIGUSR1))?;
    }
    mask(SIG_UNBLOCK, SignalSet::of(SIGUSR1))?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)
}

/// Real-time signals queue: each `sigqueue` is delivered once, lowest number first, each
/// number's instances in the order sent, with their values and `SI_QUEUE`.
fn realtime_signals_queue_in_order() -> Check {
    let (low, high) = (SIGRTMIN, SIGRTMIN + 2);
    catch_with_info(low)?;
    catch_with_info(high)?;
    let me = own_pid()?;
    mask(SIG_BLOCK, set_of(&[low, high]))?;
    for (number, value) in [(high, 1), (low, 2), (high, 3), (low, 4), (low, 5)] {
        step("sigqueue", signal::sigqueue(me, number, value))?;
    }
    ensure(LOG.events().is_empty(), || String::from("a blocked signal was handled"))?;
    mask(SIG_UNBLOCK, set_of(&[low, high]))?;
    let seen: Vec<(u32, u64, i32)> =
        LOG.events().iter().map(|info| (info.signal, info.value, info.code)).collect();
    let expected = [
        (low, 2, SI_QUEUE),
        (low, 4, SI_QUEUE),
        (low, 5, SI_QUEUE),
        (high, 1, SI_QUEUE),
        (high, 3, SI_QUEUE),
    ];
    ensure(seen == expected, || {
        format!("delivered (signal, value, code) {seen:?}, expected {expected:?}")
    })
}

/// Pending standard signals are delivered lowest number first, whatever the order sent.
fn pending_lowest_number_first() -> Check {
    let signals = [SIGINT, SIGUSR1, SIGUSR2, SIGTERM];
    for number in signals {
        catch(number)?;
    }
    mask(SIG_BLOCK, set_of(&signals))?;
    for number in [SIGUSR2, SIGTERM, SIGINT, SIGUSR1] {
        raise(number)?;
    }
    mask(SIG_UNBLOCK, set_of(&signals))?;
    let seen = handled_numbers();
    ensure(seen == signals, || format!("delivered {seen:?}, expected {signals:?}"))
}

// ----- Handlers --------------------------------------------------------------------------

/// The mask while the SIGUSR1 handler of [`handler_sa_mask_blocks`] ran.
static MASK_INSIDE: AtomicU64 = AtomicU64::new(0);
/// How often SIGUSR2 was handled before that handler returned.
static SECOND_INSIDE: AtomicU32 = AtomicU32::new(0);

fn raise_second_inside(signal: u32) {
    let inside = signal::sigprocmask(SIG_BLOCK, None).unwrap_or(SignalSet::FULL);
    MASK_INSIDE.store(inside.0, Ordering::Relaxed);
    let _ = signal::raise(SIGUSR2);
    SECOND_INSIDE.store(LOG.handled(SIGUSR2), Ordering::Relaxed);
    on_signal(signal);
}

/// While a handler runs, its signal and its `sa_mask` are blocked: a signal of the mask
/// raised inside waits until the handler returns; the mask is restored afterwards.
fn handler_sa_mask_blocks() -> Check {
    install(SIGUSR1, Handler::Simple(raise_second_inside), 0, SignalSet::of(SIGUSR2))?;
    catch(SIGUSR2)?;
    raise(SIGUSR1)?;
    let inside = SignalSet(MASK_INSIDE.load(Ordering::Relaxed));
    ensure(inside == set_of(&[SIGUSR1, SIGUSR2]), || {
        format!("mask inside the handler {inside:?}, expected SIGUSR1 and SIGUSR2")
    })?;
    equals(
        "SIGUSR2 handled inside the SIGUSR1 handler",
        Ok(SECOND_INSIDE.load(Ordering::Relaxed)),
        0,
    )?;
    let seen = handled_numbers();
    ensure(seen == [SIGUSR1, SIGUSR2], || {
        format!("handled {seen:?}, expected SIGUSR1 then SIGUSR2")
    })?;
    let now = current_mask()?;
    ensure(now.is_empty(), || format!("mask {now:?} after the handlers"))
}

static DEPTH: AtomicU32 = AtomicU32::new(0);
static DEEPEST: AtomicU32 = AtomicU32::new(0);
static ENTERED: AtomicU32 = AtomicU32::new(0);

/// A handler that raises its own signal once from inside.
fn raise_again_once(signal: u32) {
    let depth = DEPTH.fetch_add(1, Ordering::Relaxed) + 1;
    DEEPEST.fetch_max(depth, Ordering::Relaxed);
    if ENTERED.fetch_add(1, Ordering::Relaxed) == 0 {
        let _ = signal::raise(signal);
    }
    DEPTH.fetch_sub(1, Ordering::Relaxed);
}

/// Runs [`raise_again_once`] for SIGUSR1 with `flags`: (runs, deepest nesting).
fn raise_again_with(flags: u64) -> Result<(u32, u32), String> {
    install(SIGUSR1, Handler::Simple(raise_again_once), flags, SignalSet::EMPTY)?;
    raise(SIGUSR1)?;
    Ok((ENTERED.load(Ordering::Relaxed), DEEPEST.load(Ordering::Relaxed)))
}

/// Without `SA_NODEFER` a handler's own signal raised inside it waits until it returns,
/// then runs (two runs, never nested).
fn handler_defers_own_signal() -> Check {
    let (runs, deepest) = raise_again_with(0)?;
    ensure(runs == 2 && deepest == 1, || {
        format!("{runs} runs, nested {deepest} deep; expected 2 runs, one after the other")
    })
}

/// With `SA_NODEFER` a handler's own signal raised inside it runs at once, nested.
fn sa_nodefer_nests() -> Check {
    let (runs, deepest) = raise_again_with(SA_NODEFER)?;
    ensure(runs == 2 && deepest == 2, || {
        format!("{runs} runs, nested {deepest} deep; expected 2 runs, nested")
    })
}

/// With `SA_RESETHAND` the handler runs once and the action is then the default.
fn sa_resethand_restores_default() -> Check {
    install(SIGUSR2, Handler::Simple(on_signal), SA_RESETHAND, SignalSet::EMPTY)?;
    raise(SIGUSR2)?;
    equals("SIGUSR2 handled", Ok(LOG.handled(SIGUSR2)), 1)?;
    let after = step("sigaction query", signal::sigaction(SIGUSR2, None))?;
    ensure(is_default(&after), || format!("after the handler ran, the action is {after:?}"))
}

/// `kill` of the caller itself runs an `SA_SIGINFO` handler before it returns, with
/// `si_signo`, `si_code` `SI_USER`, the sender's pid and real user id.
fn siginfo_kill_si_user() -> Check {
    catch_with_info(SIGUSR1)?;
    let me = own_pid()?;
    let uid = step("getuid", proc::getuid())?;
    step("kill(self, SIGUSR1)", proc::kill(me, SIGUSR1))?;
    let seen = LOG.events();
    let expected =
        SignalInfo { signal: SIGUSR1, code: SI_USER, pid: me as u32, uid, ..SignalInfo::default() };
    ensure(seen.len() == 1 && seen[0] == expected, || {
        format!("handled {seen:?}, expected {expected:?}")
    })
}

/// `sigqueue` delivers its value with `si_code` `SI_QUEUE` and the sender's pid, to a
/// standard signal too; signal 0 only checks the target.
fn siginfo_sigqueue_si_queue() -> Check {
    const VALUE: u64 = 0x1234_5678_9abc_def0;
    catch_with_info(SIGUSR2)?;
    let me = own_pid()?;
    let uid = step("getuid", proc::getuid())?;
    step("sigqueue(self, SIGUSR2)", signal::sigqueue(me, SIGUSR2, VALUE))?;
    step("sigqueue(self, 0)", signal::sigqueue(me, 0, 1))?;
    let seen = LOG.events();
    let expected = SignalInfo {
        signal: SIGUSR2,
        code: SI_QUEUE,
        pid: me as u32,
        uid,
        value: VALUE,
        status: 0,
    };
    ensure(seen.len() == 1 && seen[0] == expected, || {
        format!("handled {seen:?}, expected {expected:?}")
    })
}

// ----- kill ------------------------------------------------------------------------------

/// `kill(pid, 0)` succeeds for a live process and fails with `ESRCH` once it is reaped,
/// as does `kill(-pgid, 0)` for a group with no members.
fn kill_signal_zero_esrch() -> Check {
    step("kill(self, 0)", proc::kill(own_pid()?, 0))?;
    let mut child = waiting_child()?;
    let pid = child.pid;
    step("kill(child, 0)", proc::kill(pid, 0))?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL)?;
    fails_with("kill(reaped child, 0)", proc::kill(pid, 0), Errno::Esrch)?;
    fails_with("kill(reaped child, SIGTERM)", proc::kill(pid, SIGTERM), Errno::Esrch)?;
    fails_with("kill(-reaped child, 0)", proc::kill(-pid, 0), Errno::Esrch)
}

/// `kill` with a number that is not a signal fails with `EINVAL` and sends nothing.
fn kill_invalid_signal_einval() -> Check {
    let mut child = waiting_child()?;
    fails_with("kill(child, 65)", proc::kill(child.pid, SIGNAL_MAX + 1), Errno::Einval)?;
    fails_with(
        "sigqueue(child, 65)",
        signal::sigqueue(child.pid, SIGNAL_MAX + 1, 0),
        Errno::Einval,
    )?;
    child.keeps_running(SETTLE)
}

/// An unprivileged process may not signal a process of another user (`EPERM`, for
/// signal 0 too); the target is untouched.
fn kill_other_user_eperm() -> Check {
    catch(SIGUSR1)?;
    let me = own_pid()?.to_string();
    Child::spawn("signal-kill-as-other", &[&me, &SIGUSR1.to_string()])?
        .returns(Err(Errno::Eperm))?;
    Child::spawn("signal-kill-as-other", &[&me, "0"])?.returns(Err(Errno::Eperm))?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 0)
}

/// `kill(0, sig)` reaches every process of the sender's group, the sender included.
fn kill_zero_reaches_group() -> Check {
    catch(SIGUSR1)?;
    let mut first = waiting_child()?;
    let mut second = waiting_child()?;
    step("kill(0, SIGUSR1)", proc::kill(0, SIGUSR1))?;
    first.killed_by(SIGUSR1)?;
    second.killed_by(SIGUSR1)?;
    eventually(|| {
        Ok((LOG.handled(SIGUSR1) != 1)
            .then(|| format!("SIGUSR1 handled {} times", LOG.handled(SIGUSR1))))
    })
}

// ----- Default actions, stop and continue ------------------------------------------------

/// Signals whose default action is to terminate (or to dump core) end the child with
/// that signal as the wait status says.
fn default_action_terminates() -> Check {
    for number in [SIGTERM, SIGUSR1, SIGALRM, SIGQUIT, SIGRTMIN] {
        let mut child = waiting_child()?;
        child.signal(number)?;
        child.killed_by(number)?;
    }
    Ok(())
}

/// SIGCHLD, SIGURG, SIGWINCH and SIGCONT are ignored by default: the child keeps running.
fn default_action_ignores() -> Check {
    let mut child = waiting_child()?;
    for number in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT] {
        child.signal(number)?;
    }
    child.keeps_running(SETTLE)?;
    child.signal(SIGTERM)?;
    child.killed_by(SIGTERM)
}

/// SIGSTOP stops the child (reported with `WUNTRACED`), SIGCONT continues it (reported
/// with `WCONTINUED`); a SIGTERM sent while stopped waits for the SIGCONT.
fn stop_and_continue_reported() -> Check {
    let mut child = waiting_child()?;
    child.signal(SIGSTOP)?;
    let status = wait_report(&child, WUNTRACED)?;
    ensure(proc::stopped(status) && proc::stopping_signal(status) as u32 == SIGSTOP, || {
        format!("waitpid(WUNTRACED): {}, expected stopped by SIGSTOP", describe(status))
    })?;
    child.signal(SIGTERM)?;
    sleep(SETTLE);
    equals("waitpid(WNOHANG) of the stopped child", proc::waitpid(child.pid, WNOHANG), (0, 0))?;
    child.signal(SIGCONT)?;
    child.killed_by(SIGTERM)
}

/// The parent's SIGCHLD handler hears of a child's stop (`CLD_STOPPED`) and of its death
/// by a signal (`CLD_KILLED`), with the child's pid and the signal as `si_status`.
fn sigchld_reports_stop_and_death() -> Check {
    catch_with_info(SIGCHLD)?;
    let mut child = waiting_child()?;
    let pid = child.pid as u32;
    child.signal(SIGSTOP)?;
    let status = wait_report(&child, WUNTRACED)?;
    ensure(proc::stopped(status), || format!("waitpid(WUNTRACED): {}", describe(status)))?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL)?;
    eventually(|| {
        Ok((LOG.handled(SIGCHLD) < 2)
            .then(|| format!("SIGCHLD handled {} times", LOG.handled(SIGCHLD))))
    })?;
    let seen: Vec<(i32, u32, i32)> =
        LOG.events().iter().map(|info| (info.code, info.pid, info.status)).collect();
    let expected = [(CLD_STOPPED, pid, SIGSTOP as i32), (CLD_KILLED, pid, SIGKILL as i32)];
    ensure(seen == expected, || {
        format!("SIGCHLD (code, pid, status) {seen:?}, expected {expected:?}")
    })
}

/// With `SA_NOCLDSTOP` a child's stop sends no SIGCHLD; its death still does.
fn sigchld_nocldstop() -> Check {
    install(
        SIGCHLD,
        Handler::Information(on_signal_with_info),
        SA_SIGINFO | SA_NOCLDSTOP,
        SignalSet::EMPTY,
    )?;
    let mut child = waiting_child()?;
    child.signal(SIGSTOP)?;
    let status = wait_report(&child, WUNTRACED)?;
    ensure(proc::stopped(status), || format!("waitpid(WUNTRACED): {}", describe(status)))?;
    child.signal(SIGCONT)?;
    let status = wait_report(&child, WCONTINUED)?;
    ensure(proc::continued(status), || format!("waitpid(WCONTINUED): {}", describe(status)))?;
    sleep(SETTLE);
    equals("SIGCHLD handled for stop and continue", Ok(LOG.handled(SIGCHLD)), 0)?;
    child.signal(SIGTERM)?;
    child.killed_by(SIGTERM)?;
    eventually(|| {
        Ok((LOG.handled(SIGCHLD) != 1)
            .then(|| format!("SIGCHLD handled {} times", LOG.handled(SIGCHLD))))
    })
}

// ----- Inheritance -----------------------------------------------------------------------

/// A spawned child keeps the signals its parent ignores and has caught ones back at the
/// default.
fn spawn_keeps_ignored_resets_caught() -> Check {
    install(SIGUSR2, Handler::Ignore, 0, SignalSet::EMPTY)?;
    catch(SIGINT)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    Child::spawn("signal-report-inherited", &[])?.exits_with(0)
}

/// A spawned child starts with its parent's mask, but none of its pending signals.
fn spawn_inherits_mask_not_pending() -> Check {
    install(SIGUSR2, Handler::Ignore, 0, SignalSet::EMPTY)?;
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    raise(SIGUSR1)?;
    ensure(signal::sigpending().contains(SIGUSR1), || String::from("SIGUSR1 not pending"))?;
    Child::spawn("signal-report-inherited", &[])?.exits_with(0)
}

// ----- Waiting for signals ---------------------------------------------------------------

/// `alarm` returns what was left of the previous alarm (0 for none); `pause` returns
/// `EINTR` once the SIGALRM handler has run, about a second after `alarm(1)`.
fn alarm_and_pause() -> Check {
    catch(SIGALRM)?;
    equals("alarm(5) with no alarm", Ok(signal::alarm(5)), 0)?;
    let left = signal::alarm(1);
    ensure((4..=5).contains(&left), || {
        format!("alarm(1) after alarm(5) returned {left}, expected 5")
    })?;
    let start = time::monotonic();
    let result = signal::pause();
    let waited = time::monotonic() - start;
    equals("pause", Ok(result), Errno::Eintr)?;
    equals("SIGALRM handled", Ok(LOG.handled(SIGALRM)), 1)?;
    ensure(waited >= Duration::from_millis(900) && waited < CHILD_TIMEOUT, || {
        format!("pause returned after {waited:?}, expected about 1 s")
    })?;
    equals("alarm(0) with no alarm left", Ok(signal::alarm(0)), 0)
}

/// `sigsuspend` waits with a temporary mask until a handler has run, returns `EINTR` and
/// puts the old mask back.
fn sigsuspend_restores_mask() -> Check {
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, set_of(&[SIGUSR1, SIGUSR2]))?;
    let me = own_pid()?.to_string();
    // SIGUSR1 is blocked until sigsuspend unblocks it: it cannot come too early.
    let mut sender = Child::spawn("signal-send-after", &["100", &SIGUSR1.to_string(), &me])?;
    let result = signal::sigsuspend(SignalSet::of(SIGUSR2));
    equals("sigsuspend", Ok(result), Errno::Eintr)?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)?;
    sender.exits_with(0)?;
    let now = current_mask()?;
    ensure(now == set_of(&[SIGUSR1, SIGUSR2]), || {
        format!("mask after sigsuspend {now:?}, expected SIGUSR1 and SIGUSR2")
    })
}

// ----- Interrupted calls -----------------------------------------------------------------

/// Starts `signal-read-pipe MODE` reading a pipe; returns it and the pipe's write end.
fn pipe_reader(mode: &str) -> Result<(Child, Fd), String> {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let actions =
        [FileAction::Dup2(read_end, 0), FileAction::Close(read_end), FileAction::Close(write_end)];
    let child = Child::spawn_ready_with("signal-read-pipe", &[mode], &actions);
    let _ = fd::close(read_end);
    match child {
        Ok(child) => Ok((child, write_end)),
        Err(error) => {
            let _ = fd::close(write_end);
            Err(error)
        }
    }
}

/// A read of an empty pipe interrupted by a handler installed without `SA_RESTART` fails
/// with `EINTR`.
fn pipe_read_eintr_without_restart() -> Check {
    let (mut child, write_end) = pipe_reader("no-restart")?;
    let outcome = (|| {
        child.keeps_running(SETTLE)?;
        child.signal(SIGUSR1)?;
        child.exits_with(HANDLER_RAN + Errno::Eintr.number())
    })();
    let _ = fd::close(write_end);
    outcome
}

/// A read of an empty pipe interrupted by a handler installed with `SA_RESTART` goes on
/// and returns the data written afterwards.
fn pipe_read_restarts_with_sa_restart() -> Check {
    let (mut child, write_end) = pipe_reader("restart")?;
    let outcome = (|| {
        child.keeps_running(SETTLE)?;
        child.signal(SIGUSR1)?;
        child.keeps_running(SETTLE)?;
        equals("write", fd::write(write_end, b"data"), 4)?;
        child.exits_with(HANDLER_RAN)
    })();
    let _ = fd::close(write_end);
    outcome
}

// ----- More dispositions and process groups ----------------------------------------------

/// Setting `SIG_IGN` discards a pending instance of the signal: a handler installed and
/// unblocked afterwards never runs.
fn ignore_discards_pending() -> Check {
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    raise(SIGUSR1)?;
    install(SIGUSR1, Handler::Ignore, 0, SignalSet::EMPTY)?;
    let pending = signal::sigpending();
    ensure(pending.is_empty(), || format!("sigpending {pending:?} after SIG_IGN"))?;
    catch(SIGUSR1)?;
    mask(SIG_UNBLOCK, SignalSet::of(SIGUSR1))?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 0)
}

/// `kill(-pgid, sig)` reaches the members of group `pgid`; a pid that leads no group is
/// `ESRCH` as a group.
fn kill_negative_pid_reaches_group() -> Check {
    let attributes = SpawnAttributes { process_group: Some(0), new_session: false };
    let mut leader = Child::spawn_with("signal-wait", &[], &[], &attributes)?;
    let mut member = waiting_child()?;
    fails_with("kill(-member of our group, 0)", proc::kill(-member.pid, 0), Errno::Esrch)?;
    eventually(|| {
        let group = step("getpgid(leader)", proc::getpgid(leader.pid))?;
        Ok((group != leader.pid).then(|| format!("the leader's group is {group}")))
    })?;
    step("kill(-leader, SIGTERM)", proc::kill(-leader.pid, SIGTERM))?;
    leader.killed_by(SIGTERM)?;
    member.keeps_running(SETTLE)
}

/// SIGTSTP, SIGTTIN and SIGTTOU stop a process by default (its group is not orphaned), as
/// `waitpid(WUNTRACED)` reports.
fn stop_signals_stop_by_default() -> Check {
    let mut child = waiting_child()?;
    for number in [SIGTSTP, SIGTTIN, SIGTTOU] {
        child.signal(number)?;
        let status = wait_report(&child, WUNTRACED)?;
        ensure(proc::stopped(status) && proc::stopping_signal(status) as u32 == number, || {
            format!("after {}: {}", signal_name(number), describe(status))
        })?;
        child.signal(SIGCONT)?;
        let status = wait_report(&child, WCONTINUED)?;
        ensure(proc::continued(status), || format!("after SIGCONT: {}", describe(status)))?;
    }
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL)
}

/// A child's exit sends SIGCHLD with `CLD_EXITED`, its pid, and its exit code as
/// `si_status`.
fn sigchld_exit_cld_exited() -> Check {
    catch_with_info(SIGCHLD)?;
    let mut child = Child::spawn("signal-exit", &["7"])?;
    let pid = child.pid as u32;
    child.exits_with(7)?;
    eventually(|| Ok((LOG.handled(SIGCHLD) < 1).then(|| String::from("no SIGCHLD"))))?;
    let seen: Vec<(u32, i32, u32, i32)> =
        LOG.events().iter().map(|info| (info.signal, info.code, info.pid, info.status)).collect();
    let expected = [(SIGCHLD, CLD_EXITED, pid, 7)];
    ensure(seen == expected, || {
        format!("SIGCHLD (signal, code, pid, status) {seen:?}, expected {expected:?}")
    })
}

/// With SIGCHLD ignored, children leave no zombie: once the child has ended, `waitpid`
/// fails with `ECHILD`.
fn sigchld_ignored_no_zombies() -> Check {
    install(SIGCHLD, Handler::Ignore, 0, SignalSet::EMPTY)?;
    let child = Child::spawn("signal-exit", &["3"])?;
    let pid = child.pid;
    eventually(|| match proc::waitpid(pid, WNOHANG) {
        Ok((0, _)) => Ok(Some(String::from("waitpid(WNOHANG) still finds the child running"))),
        Err(Errno::Echild) => Ok(None),
        Ok((_, status)) => {
            Err(format!("waitpid reaped the child ({}), expected ECHILD", describe(status)))
        }
        Err(error) => Err(format!("waitpid: {}, expected ECHILD", error.name())),
    })
}

/// A handler ends `nanosleep` early with `EINTR` and the time that was left.
fn nanosleep_eintr_reports_remaining() -> Check {
    catch(SIGUSR1)?;
    let me = own_pid()?.to_string();
    let mut sender = Child::spawn("signal-send-after", &["100", &SIGUSR1.to_string(), &me])?;
    let asked = Duration::from_secs(5);
    let result = time::nanosleep_remaining(asked);
    sender.exits_with(0)?;
    match result {
        Err((Errno::Eintr, left)) => ensure(left > Duration::from_secs(3) && left < asked, || {
            format!("nanosleep(5 s) reported {left:?} left after about 100 ms")
        }),
        Err((error, _)) => Err(format!("nanosleep: {}, expected EINTR", error.name())),
        Ok(()) => Err(String::from("nanosleep slept 5 s through the handler")),
    }?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)
}

/// Flag bits `sigaction` does not know are dropped from the stored action (Linux 5.11 on),
/// the known ones kept.
fn sigaction_drops_unknown_flags() -> Check {
    const UNKNOWN: u64 = 0x0000_0400;
    install(
        SIGUSR1,
        Handler::Simple(on_signal),
        SA_RESTART | SA_NODEFER | UNKNOWN,
        SignalSet::EMPTY,
    )?;
    let stored = step("sigaction query", signal::sigaction(SIGUSR1, None))?;
    equals("the stored flags", Ok(stored.flags), SA_RESTART | SA_NODEFER)
}

/// A real-time signal sent three times by `kill` while blocked is delivered three times,
/// with `SI_USER`.
fn realtime_kill_queues_each() -> Check {
    catch_with_info(SIGRTMIN + 1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGRTMIN + 1))?;
    let me = own_pid()?;
    for _ in 0..3 {
        step("kill(self, SIGRTMIN + 1)", proc::kill(me, SIGRTMIN + 1))?;
    }
    mask(SIG_UNBLOCK, SignalSet::of(SIGRTMIN + 1))?;
    let codes: Vec<i32> = LOG.events().iter().map(|info| info.code).collect();
    ensure(codes == [SI_USER; 3], || {
        format!("handled with si_code {codes:?}, expected SI_USER 3 times")
    })
}

/// A child that has ended but is not yet reaped (a zombie) still exists for `kill`: signal
/// 0 and SIGTERM succeed and change nothing; `waitpid` then reports its exit.
fn kill_zombie_succeeds() -> Check {
    catch(SIGCHLD)?;
    let mut child = Child::spawn("signal-exit", &["5"])?;
    eventually(|| Ok((LOG.handled(SIGCHLD) == 0).then(|| String::from("no SIGCHLD"))))?;
    step("kill(zombie, 0)", proc::kill(child.pid, 0))?;
    step("kill(zombie, SIGTERM)", proc::kill(child.pid, SIGTERM))?;
    child.exits_with(5)
}

/// A spawned program does not inherit its parent's pending alarm (as after `fork`).
fn spawn_does_not_inherit_alarm() -> Check {
    catch(SIGALRM)?;
    signal::alarm(20);
    let outcome = Child::spawn("signal-report-alarm", &[])?.exits_with(0);
    signal::alarm(0);
    outcome
}

/// The `signal-block-tstp` mode.
fn block_tstp() -> i32 {
    if signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGTSTP))).is_err() {
        return SETUP_FAILED;
    }
    tell_ready();
    let pending_is = |wanted: bool| {
        eventually(|| Ok((signal::sigpending().contains(SIGTSTP) != wanted).then(String::new)))
            .is_ok()
    };
    if !pending_is(true) {
        return STOP_NEVER_PENDING;
    }
    if !pending_is(false) {
        return STOP_STILL_PENDING;
    }
    0
}

/// SIGCONT discards a pending stop signal (here a blocked SIGTSTP).
fn sigcont_discards_pending_stop() -> Check {
    let mut child = Child::spawn_ready("signal-block-tstp", &[])?;
    child.signal(SIGTSTP)?;
    sleep(SETTLE);
    child.signal(SIGCONT)?;
    child.exits_with(0)
}

/// `sigsuspend` with a mask that unblocks an already pending signal runs its handler and
/// returns `EINTR` at once.
fn sigsuspend_delivers_pending_at_once() -> Check {
    catch(SIGUSR1)?;
    mask(SIG_BLOCK, SignalSet::of(SIGUSR1))?;
    raise(SIGUSR1)?;
    equals("sigsuspend", Ok(signal::sigsuspend(SignalSet::EMPTY)), Errno::Eintr)?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)?;
    let now = current_mask()?;
    ensure(now == SignalSet::of(SIGUSR1), || format!("mask {now:?} after sigsuspend"))
}

/// `waitpid` reports a stop once and a continue once: asked again, it has nothing.
fn stop_reported_once() -> Check {
    let mut child = waiting_child()?;
    child.signal(SIGSTOP)?;
    let status = wait_report(&child, WUNTRACED)?;
    ensure(proc::stopped(status), || format!("waitpid(WUNTRACED): {}", describe(status)))?;
    equals(
        "waitpid(WUNTRACED | WNOHANG) again",
        proc::waitpid(child.pid, WUNTRACED | WNOHANG).map(|(pid, _)| pid),
        0,
    )?;
    child.signal(SIGCONT)?;
    let status = wait_report(&child, WCONTINUED)?;
    ensure(proc::continued(status), || format!("waitpid(WCONTINUED): {}", describe(status)))?;
    equals(
        "waitpid(WCONTINUED | WNOHANG) again",
        proc::waitpid(child.pid, WCONTINUED | WNOHANG).map(|(pid, _)| pid),
        0,
    )?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL)
}

/// A handler that blocks SIGUSR2 with `sigprocmask`.
fn block_second_inside(signal: u32) {
    let _ = signal::sigprocmask(SIG_BLOCK, Some(SignalSet::of(SIGUSR2)));
    on_signal(signal);
}

/// Mask changes a handler makes are undone when it returns: the mask is the one from
/// before the signal.
fn handler_mask_change_undone() -> Check {
    install(SIGUSR1, Handler::Simple(block_second_inside), 0, SignalSet::EMPTY)?;
    raise(SIGUSR1)?;
    equals("SIGUSR1 handled", Ok(LOG.handled(SIGUSR1)), 1)?;
    let now = current_mask()?;
    ensure(now.is_empty(), || format!("mask {now:?} after the handler, expected empty"))
}
