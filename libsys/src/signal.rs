//! Signals in a program: `sigaction`, `sigprocmask`, `sigpending`, `sigsuspend`, `pause`,
//! `raise`, `sigqueue`, `alarm`, the upcall dispatcher that runs handlers, and the rule
//! that decides whether a call interrupted by a signal restarts.
//!
//! # How a signal arrives
//!
//! proc decides what a signal does to the process as a whole (SIGKILL ends it, ignored
//! signals are dropped, a stopped process holds them); everything else arrives as an
//! upcall carrying the [`SignalInfo`]. The kernel diverts the thread to libsys's upcall
//! entry, which lands in [`dispatch`]: the signal joins the pending sets of the process's
//! [`SignalState`] (the pure, host-tested core in `courier-signal`), then every pending
//! signal the mask lets through is delivered, lowest number first: handlers run here, on
//! the thread's own stack, with the mask `sigaction` asked for; a default action that
//! terminates or stops is carried out by proc (`DefaultAction`), which also holds a
//! stopped process until SIGCONT. When the dispatcher returns, the kernel restores the
//! interrupted context exactly.
//!
//! # Reentrancy
//!
//! Programs have one thread, but an upcall can arrive whenever the thread enters and
//! leaves the kernel, including while libsys holds the signal state's lock. The dispatcher
//! never waits for that lock: it parks the signal in a small lock-free array and returns;
//! whoever holds the lock moves parked signals in before releasing it and then delivers.
//!
//! # Interrupted calls
//!
//! A signal posted while the thread waits in a server call makes the server answer
//! `EINTR` (or the partial count of a transfer under way); a signal that arrives while
//! it sleeps or waits ends the wait with `Interrupted`. Linux restarts such a call unless
//! a handler ran, and also after a handler with `SA_RESTART` for the calls it restarts
//! (pipe and FIFO I/O, `waitpid`, FIFO `open`). The dispatcher records what happened to
//! the interrupted call ([`begin_call`] clears the record, [`restart_after_interruption`]
//! reads it) so the wrappers in libsys can do the same.

use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use courier_abi::proc::ProcRequest;
use courier_abi::process::{UPCALL_RUNNING, UpcallInfo};
use courier_abi::signal::{
    DefaultAction, Disposition, SA_FLAGS, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_RESETHAND, SA_RESTART,
    SI_USER, SIGCHLD, SIGCONT, SIGKILL, SIGNAL_MAX, SIGSTOP, is_signal,
};
pub use courier_abi::signal::{SignalInfo, SignalSet};
use courier_abi::{Errno, KernelError, NO_TIMEOUT};
use courier_signal::{Action, Delivery, Receipt, SignalState, Target};

use crate::ipc::Notification;

/// A signal handler as `sigaction` takes it. (Handlers do not compare: function
/// addresses are not unique. [`Handler::disposition`] and [`Handler::is`] do.)
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    /// `SIG_DFL`.
    Default,
    /// `SIG_IGN`.
    Ignore,
    /// `sa_handler`: called with the signal number.
    Simple(fn(u32)),
    /// `sa_sigaction` (with `SA_SIGINFO`): called with the number and the information.
    Information(fn(u32, &SignalInfo)),
}

impl Handler {
    /// Default, ignore or catch.
    pub const fn disposition(&self) -> Disposition {
        match self {
            Handler::Default => Disposition::Default,
            Handler::Ignore => Disposition::Ignore,
            Handler::Simple(_) | Handler::Information(_) => Disposition::Catch,
        }
    }

    /// Whether this is `function` (by address, which is as good as a C program's check).
    pub fn is(&self, function: fn(u32)) -> bool {
        matches!(self, Handler::Simple(own) if core::ptr::fn_addr_eq(*own, function))
    }
}

/// A handler function, as the core stores it.
#[derive(Clone, Copy, Debug)]
enum Function {
    Simple(fn(u32)),
    Information(fn(u32, &SignalInfo)),
}

/// `struct sigaction`.
#[derive(Clone, Copy, Debug)]
pub struct SigAction {
    /// What to do.
    pub handler: Handler,
    /// `SA_*` flags.
    pub flags: u64,
    /// Signals blocked while the handler runs (besides the signal itself, unless
    /// `SA_NODEFER`).
    pub mask: SignalSet,
}

impl SigAction {
    /// An action with no flags and an empty mask.
    pub const fn new(handler: Handler) -> SigAction {
        SigAction { handler, flags: 0, mask: SignalSet::EMPTY }
    }
}

fn to_core(action: SigAction) -> Action<Function> {
    let handler = match action.handler {
        Handler::Default => courier_signal::Handler::Default,
        Handler::Ignore => courier_signal::Handler::Ignore,
        Handler::Simple(function) => courier_signal::Handler::Catch(Function::Simple(function)),
        Handler::Information(function) => {
            courier_signal::Handler::Catch(Function::Information(function))
        }
    };
    Action { handler, flags: action.flags, mask: action.mask }
}

fn from_core(action: Action<Function>) -> SigAction {
    let handler = match action.handler {
        courier_signal::Handler::Default => Handler::Default,
        courier_signal::Handler::Ignore => Handler::Ignore,
        courier_signal::Handler::Catch(Function::Simple(function)) => Handler::Simple(function),
        courier_signal::Handler::Catch(Function::Information(function)) => {
            Handler::Information(function)
        }
    };
    SigAction { handler, flags: action.flags, mask: action.mask }
}

fn disposition_of(action: &Action<Function>) -> Disposition {
    match action.handler {
        courier_signal::Handler::Default => Disposition::Default,
        courier_signal::Handler::Ignore => Disposition::Ignore,
        courier_signal::Handler::Catch(_) => Disposition::Catch,
    }
}

/// The process's signal state.
static STATE: spin::Mutex<Option<SignalState<Function>>> = spin::Mutex::new(None);

/// The continue generation of the latest signal proc posted (echoed by stop requests).
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// Signals that arrived while the state was locked, waiting to join it.
const PARKED_SLOTS: usize = 32;
static PARKED: [[AtomicU64; 4]; PARKED_SLOTS] =
    [const { [const { AtomicU64::new(0) }; 4] }; PARKED_SLOTS];
static PARKED_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Handlers run so far (`sigsuspend` waits for this to change).
static HANDLERS_RUN: AtomicU64 = AtomicU64::new(0);
/// Whether `sigsuspend` or `pause` is waiting (handlers then wake it).
static SUSPENDED: AtomicBool = AtomicBool::new(false);
/// The notification `sigsuspend` waits on (0 until first needed).
static WAKE: spin::Once<Option<Notification>> = spin::Once::new();

/// What happened to the call an upcall interrupted (bits of [`INTERRUPTION`]).
const INTERRUPTED: u8 = 1;
const HANDLER_RAN: u8 = 2;
const HANDLER_WITHOUT_RESTART: u8 = 4;
static INTERRUPTION: AtomicU8 = AtomicU8::new(0);

/// Runs `body` on the signal state, then moves in the signals parked meanwhile and, if
/// there were any, delivers what can be delivered.
fn with_state<R>(body: impl FnOnce(&mut SignalState<Function>) -> R) -> R {
    let (result, took_parked) = with_state_only(body);
    if took_parked || parked() {
        deliver_pending();
    }
    result
}

/// [`with_state`] without the delivery; also says whether parked signals were taken.
///
/// Parked signals are taken before `body` too, so that `body` sees every signal that
/// arrived before it ran. One can still be parked after the last take and before the
/// lock is released: callers that must not miss it look at [`parked`] afterwards.
fn with_state_only<R>(body: impl FnOnce(&mut SignalState<Function>) -> R) -> (R, bool) {
    let mut guard = STATE.lock();
    let state = guard.get_or_insert_with(SignalState::new);
    let took_before = take_parked(state);
    let result = body(state);
    let took_after = take_parked(state);
    drop(guard);
    (result, took_before || took_after)
}

/// Whether signals wait in the parked array.
fn parked() -> bool {
    PARKED_COUNT.load(Ordering::Acquire) != 0
}

/// Moves parked signals into the state, oldest first; whether there were any.
fn take_parked(state: &mut SignalState<Function>) -> bool {
    // Only a nested upcall adds, at the end, and it finishes before this code runs on:
    // read what is there, then reset the count unless more came meanwhile.
    let mut taken = 0;
    loop {
        let count = PARKED_COUNT.load(Ordering::Acquire);
        if count == 0 {
            return false;
        }
        for slot in &PARKED[taken..count] {
            let words = [0, 1, 2, 3].map(|index| slot[index].load(Ordering::Relaxed));
            let (info, generation) = SignalInfo::from_upcall_words(words);
            note_generation(generation);
            receive(state, info);
        }
        if PARKED_COUNT.compare_exchange(count, 0, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            return count > 0;
        }
        taken = count;
    }
}

fn note_generation(generation: u32) {
    GENERATION.store(generation, Ordering::Relaxed);
}

fn receive(state: &mut SignalState<Function>, info: SignalInfo) {
    // A full real-time queue drops the signal (`Receipt::QueueFull`); proc's sigqueue
    // already refused what the kernel could not hold.
    let _: Receipt = state.receive(info, Target::Process);
}

/// Sets the state a program starts with: the mask and ignored signals its parent passed.
pub(crate) fn set_inherited(mask: SignalSet, ignored: SignalSet) {
    with_state(|state| {
        let _ = state.replace_mask(mask);
        for signal in (1..=SIGNAL_MAX).filter(|&signal| ignored.contains(signal)) {
            let ignore = Action { handler: courier_signal::Handler::Ignore, ..Action::DEFAULT };
            // SIGKILL and SIGSTOP are refused, as they should be.
            let _ = state.set_action(signal, ignore);
        }
    });
}

/// The mask and ignored signals a child started now inherits.
pub(crate) fn inherited_for_child() -> (SignalSet, SignalSet) {
    with_state(|state| {
        let mut ignored = SignalSet::EMPTY;
        for signal in 1..=SIGNAL_MAX {
            if state
                .action(signal)
                .is_ok_and(|action| matches!(action.handler, courier_signal::Handler::Ignore))
            {
                ignored = ignored.with(signal);
            }
        }
        (state.mask(), ignored)
    })
}

/// Makes libsys's dispatcher this process's upcall handler (at program start).
pub(crate) fn install() {
    let _ = crate::upcall::register(dispatch);
}

/// The upcall handler: takes the signal in and delivers what the mask allows.
fn dispatch(upcall: &UpcallInfo) {
    let (info, generation) = SignalInfo::from_upcall_words(upcall.words);
    let interrupted = upcall.interrupted != UPCALL_RUNNING;
    if interrupted {
        INTERRUPTION.fetch_or(INTERRUPTED, Ordering::Relaxed);
    }
    match STATE.try_lock() {
        Some(mut guard) => {
            note_generation(generation);
            let state = guard.get_or_insert_with(SignalState::new);
            receive(state, info);
            let _ = take_parked(state);
        }
        None => {
            // The interrupted code holds the state; it takes this in when it lets go.
            let count = PARKED_COUNT.load(Ordering::Acquire);
            if count < PARKED_SLOTS {
                for (index, word) in upcall.words.iter().enumerate() {
                    PARKED[count][index].store(*word, Ordering::Relaxed);
                }
                PARKED_COUNT.store(count + 1, Ordering::Release);
            }
            return;
        }
    }
    deliver_pending();
}

/// Delivers every pending signal the mask lets through.
fn deliver_pending() {
    loop {
        let (delivery, _) = with_state_only(SignalState::next_delivery);
        let Some(delivery) = delivery else {
            // A signal parked while the lock was about to be released is taken in by the
            // next round; without this it would wait for some later call.
            if parked() {
                continue;
            }
            return;
        };
        match delivery {
            Delivery::Handler { info, handler, flags, saved_mask, .. } => {
                if flags & SA_RESETHAND != 0 {
                    tell_proc(info.signal, Disposition::Default, 0);
                }
                let mut record = INTERRUPTION.load(Ordering::Relaxed) | HANDLER_RAN;
                if flags & SA_RESTART == 0 {
                    record |= HANDLER_WITHOUT_RESTART;
                }
                match handler {
                    Function::Simple(function) => function(info.signal),
                    Function::Information(function) => function(info.signal, &info),
                }
                // The handler's own calls used the record; the interrupted call's is this.
                INTERRUPTION.store(record, Ordering::Relaxed);
                let _ = with_state_only(|state| state.finish_handler(saved_mask));
                HANDLERS_RUN.fetch_add(1, Ordering::Release);
                if SUSPENDED.load(Ordering::Acquire)
                    && let Some(Some(wake)) = WAKE.get()
                {
                    let _ = wake.signal(1);
                }
            }
            Delivery::Default { info, action } => default_action_now(info.signal, action),
        }
    }
}

/// Carries out a default action that terminates or stops the process.
fn default_action_now(signal: u32, action: DefaultAction) {
    let generation = u64::from(GENERATION.load(Ordering::Relaxed));
    let answer =
        crate::proc::request(ProcRequest::DefaultAction { signal: u64::from(signal), generation });
    match (answer, action) {
        // Stopped and continued (or a SIGCONT came first): carry on.
        (Ok(_), DefaultAction::Stop) => {}
        // Without proc nothing can end the process by a signal; end it by exit, with the
        // status a shell shows for a signal death.
        (Err(Errno::Enosys), DefaultAction::Terminate | DefaultAction::CoreDump) => {
            crate::process::exit(128 + signal as i32)
        }
        _ => {}
    }
}

/// Tells proc what the process does with `signal` (proc drops ignored signals and
/// applies SIGCHLD's flags).
fn tell_proc(signal: u32, disposition: Disposition, flags: u64) {
    let _ = crate::proc::request(ProcRequest::SetDisposition {
        signal: u64::from(signal),
        disposition: disposition as u64,
        flags,
    });
}

/// `sigaction(signal, action)`: returns the old action and installs `action` if given.
///
/// # Errors
///
/// `EINVAL` for a number that is not a signal, and for SIGKILL or SIGSTOP with an action.
pub fn sigaction(signal: u32, action: Option<SigAction>) -> Result<SigAction, Errno> {
    let Some(action) = action else {
        return with_state(|state| state.action(signal)).map(from_core);
    };
    // Unknown flag bits are dropped, as Linux (5.11 on) drops them.
    let new = to_core(SigAction { flags: action.flags & SA_FLAGS, ..action });
    let old = with_state(|state| state.set_action(signal, new))?;
    let proc_flags = if signal == SIGCHLD { new.flags & (SA_NOCLDSTOP | SA_NOCLDWAIT) } else { 0 };
    let old_flags = if signal == SIGCHLD { old.flags & (SA_NOCLDSTOP | SA_NOCLDWAIT) } else { 0 };
    if disposition_of(&new) != disposition_of(&old) || proc_flags != old_flags {
        tell_proc(signal, disposition_of(&new), proc_flags);
    }
    Ok(from_core(old))
}

/// `signal(signal, handler)`: installs `handler` with `SA_RESTART` (BSD semantics, as
/// glibc's `signal`); returns the old handler.
///
/// # Errors
///
/// As [`sigaction`].
pub fn signal(signal: u32, handler: Handler) -> Result<Handler, Errno> {
    let action = SigAction { handler, flags: SA_RESTART, mask: SignalSet::EMPTY };
    sigaction(signal, Some(action)).map(|old| old.handler)
}

/// `sigprocmask(how, set)`: changes the mask (`SIG_BLOCK`, `SIG_UNBLOCK`,
/// `SIG_SETMASK`) and returns the old one; with `None` only reads it. Pending signals
/// that become unblocked are delivered before it returns.
///
/// # Errors
///
/// `EINVAL` for an unknown `how`.
pub fn sigprocmask(how: u32, set: Option<SignalSet>) -> Result<SignalSet, Errno> {
    let old = match set {
        Some(set) => with_state(|state| state.set_mask(how, set))?,
        None => with_state(|state| state.mask()),
    };
    deliver_pending();
    Ok(old)
}

/// `sigpending()`: the signals pending while blocked (Linux returns the pending set
/// intersected with the mask).
pub fn sigpending() -> SignalSet {
    with_state(|state| state.pending().intersection(state.mask()))
}

/// The notification handlers use to wake `sigsuspend`.
fn wake_notification() -> Option<&'static Notification> {
    WAKE.call_once(|| Notification::create().ok()).as_ref()
}

/// `sigsuspend(mask)`: waits with `mask` as the mask until a handler has run (or the
/// process ends), then restores the mask. Always returns `EINTR`, as Linux does.
pub fn sigsuspend(mask: SignalSet) -> Errno {
    let Some(wake) = wake_notification() else { return Errno::Enomem };
    // Clear a stale wake-up.
    let _ = wake.wait(0);
    let started = HANDLERS_RUN.load(Ordering::Acquire);
    SUSPENDED.store(true, Ordering::Release);
    let old = with_state(|state| state.replace_mask(mask));
    loop {
        deliver_pending();
        if HANDLERS_RUN.load(Ordering::Acquire) != started {
            break;
        }
        match wake.wait(NO_TIMEOUT) {
            Ok(_) | Err(KernelError::Interrupted | KernelError::Timeout) => {}
            Err(_) => break,
        }
    }
    SUSPENDED.store(false, Ordering::Release);
    let _ = with_state(|state| state.replace_mask(old));
    deliver_pending();
    Errno::Eintr
}

/// `pause()`: waits until a handler has run. Always returns `EINTR`.
pub fn pause() -> Errno {
    let mask = with_state(|state| state.mask());
    sigsuspend(mask)
}

/// `raise(signal)`: sends `signal` to the calling process; a handler runs before this
/// returns.
///
/// # Errors
///
/// `EINVAL` for a bad signal number.
pub fn raise(signal: u32) -> Result<(), Errno> {
    if !is_signal(signal) {
        return Err(Errno::Einval);
    }
    match crate::proc::getpid() {
        Ok(pid) => crate::proc::kill(pid, signal),
        // Without proc there is nobody else to signal: deliver it here.
        Err(Errno::Enosys) => {
            let info = SignalInfo { signal, code: SI_USER, ..SignalInfo::default() };
            if signal == SIGKILL || signal == SIGSTOP {
                crate::process::exit(128 + signal as i32);
            }
            with_state(|state| receive(state, info));
            deliver_pending();
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// `kill(own pid, signal)` without proc when nothing proc keeps changes: the signal is
/// caught or ignored (not SIGKILL, SIGSTOP, SIGCONT or a stop signal's default). Returns
/// whether it was handled here (a handler has run before this returns, if unblocked).
///
/// # Errors
///
/// `ENOSYS` without proc (the uid is proc's).
pub(crate) fn send_to_self(pid: crate::proc::Pid, signal: u32) -> Result<bool, Errno> {
    if !is_signal(signal) || signal == SIGKILL || signal == SIGSTOP || signal == SIGCONT {
        return Ok(false);
    }
    let local = with_state(|state| {
        state.action(signal).is_ok_and(|action| {
            matches!(
                action.handler,
                courier_signal::Handler::Catch(_) | courier_signal::Handler::Ignore
            )
        })
    });
    if !local {
        return Ok(false);
    }
    let uid = crate::proc::own_real_uid()?;
    let info = SignalInfo { signal, code: SI_USER, pid: pid as u32, uid, ..SignalInfo::default() };
    with_state(|state| receive(state, info));
    deliver_pending();
    Ok(true)
}

/// `sigqueue(pid, signal, value)`: sends `signal` with `value` to process `pid`
/// (`si_code` `SI_QUEUE`); real-time signals queue, one per call.
///
/// # Errors
///
/// `EINVAL`, `ESRCH`, `EPERM`, `EAGAIN` (the target has too many signals waiting).
pub fn sigqueue(pid: crate::proc::Pid, signal: u32, value: u64) -> Result<(), Errno> {
    if pid <= 0 {
        return Err(Errno::Esrch);
    }
    crate::proc::request(ProcRequest::Queue { pid: pid as u64, signal: u64::from(signal), value })
        .map(|_| ())
}

/// `alarm(seconds)`: SIGALRM after `seconds` (0 cancels); returns the seconds that were
/// left on the previous alarm, rounded up as Linux rounds them (0 if none).
pub fn alarm(seconds: u32) -> u32 {
    let left = set_alarm(u64::from(seconds) * 1_000_000_000).unwrap_or(0);
    // Linux rounds a remainder to the nearest second, and never reports 0 for an alarm
    // still pending.
    let seconds = (left + 500_000_000) / 1_000_000_000;
    if left > 0 && seconds == 0 { 1 } else { seconds as u32 }
}

/// Sets the alarm to `nanoseconds` from now (0 cancels); returns what was left.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn set_alarm(nanoseconds: u64) -> Result<u64, Errno> {
    crate::proc::request(ProcRequest::Alarm { nanoseconds }).map(|words| words[0])
}

/// Clears the record of what happened to the next interrupted call. Blocking wrappers
/// call it before their call.
pub fn begin_call() {
    INTERRUPTION.store(0, Ordering::Relaxed);
}

/// After a call failed with `EINTR` (or transferred less because a signal came):
/// whether to restart it. No handler ran: always (Linux would not have interrupted it).
/// A handler ran: only a `restartable` call, and only if every handler that ran had
/// `SA_RESTART`. With no upcall recorded at all, never.
pub fn restart_after_interruption(restartable: bool) -> bool {
    let record = INTERRUPTION.swap(0, Ordering::Relaxed);
    if record & INTERRUPTED == 0 {
        return false;
    }
    if record & HANDLER_RAN == 0 {
        return true;
    }
    restartable && record & HANDLER_WITHOUT_RESTART == 0
}
