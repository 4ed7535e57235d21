//! The signal state a Courier process keeps in libsys: handlers, mask, pending sets and the
//! real-time queue, with Linux's semantics and no system calls.
//!
//! proc decides what a signal does to a process as a whole and posts the signals a process
//! must see as upcalls; libsys feeds each one to [`SignalState::receive`], and at every
//! point where a handler may run it asks [`SignalState::next_delivery`] what to do. This
//! crate is the bookkeeping between the two, written after Linux's `kernel/signal.c` and
//! tested on the host.
//!
//! # The state
//!
//! - One [`Action`] per signal (`struct k_sigaction`): a [`Handler`] (`SIG_DFL`,
//!   `SIG_IGN` or a handler of the caller's type `H`), the `SA_*` flags as given, and the
//!   mask added while the handler runs.
//! - The mask (`blocked`). SIGKILL and SIGSTOP are never in it, nor in any action's mask.
//! - Two pending sets, as Linux keeps them: one directed at the thread (`tkill`, faults)
//!   and one at the process (`kill`, `sigqueue`). A Courier process has one thread, so the
//!   difference is only the order of delivery: the thread's set first. A standard signal
//!   (below [`SIGNAL_REALTIME_MIN`]) is pending at most once per set and keeps the
//!   information of its first instance; a real-time signal queues every instance with its
//!   information, in arrival order, up to [`REALTIME_QUEUE_LIMIT`] instances in both sets
//!   together.
//!
//! # The rules
//!
//! - [`SignalState::set_action`] is `do_sigaction`: no signal number outside
//!   `1..=SIGNAL_MAX`, no new action at all for SIGKILL or SIGSTOP (even `SIG_DFL`), the
//!   action's mask loses SIGKILL and SIGSTOP, and an action under which the signal is
//!   ignored discards its pending instances from both sets, blocked or not (POSIX 3.3.1.3).
//!   A signal is ignored when its handler is [`Handler::Ignore`], or [`Handler::Default`]
//!   with a default action of Ignore or Continue (SIGCHLD, SIGURG, SIGWINCH, SIGCONT:
//!   Linux's `sig_handler_ignored`).
//! - [`SignalState::set_mask`] is `sigprocmask`; [`SignalState::replace_mask`] is what
//!   `sigsuspend` does and [`SignalState::finish_handler`] what `rt_sigreturn` does.
//! - [`SignalState::receive`] is `prepare_signal` and `__send_signal_locked`: a stop signal
//!   discards a pending SIGCONT and SIGCONT discards pending stop signals, from both sets,
//!   whatever becomes of the signal itself; then an ignored signal that is not blocked is
//!   discarded (`sig_ignored`: a blocked signal is never ignored, as its action may change
//!   before it is unblocked), a standard signal already pending in its set coalesces
//!   (`legacy_queue`), and a real-time signal finds the queue full or joins it.
//! - [`SignalState::next_delivery`] is `dequeue_signal` and `get_signal`: the thread's set
//!   first, then the process's; within a set the synchronous signals first (SIGSEGV,
//!   SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS: `SYNCHRONOUS_MASK`), and otherwise the
//!   lowest-numbered pending signal that is not blocked; of a real-time signal, its oldest
//!   instance. Ignored signals are consumed and the search goes on. A handler is entered as
//!   `signal_delivered` enters it: the mask gains the action's mask and, without
//!   `SA_NODEFER`, the signal; with `SA_RESETHAND` the handler becomes `SIG_DFL`, the
//!   action's flags and mask staying as they were (as `get_signal` does for `SA_ONESHOT`).
//!   A default action that ends or stops the process is handed to the caller, who asks
//!   proc to carry it out.
//!
//! [`SignalState::pending`] is the union of both sets, blocked signals or not; Linux's
//! `sigpending` reports only the blocked ones (`pending().intersection(mask())`).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use core::mem;

use courier_abi::Errno;
use courier_abi::signal::{
    DefaultAction, SA_NODEFER, SA_RESETHAND, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGBUS, SIGCONT,
    SIGFPE, SIGILL, SIGNAL_MAX, SIGNAL_REALTIME_MIN, SIGSEGV, SIGSYS, SIGTRAP, default_action,
    is_realtime, is_signal,
};

pub use courier_abi::signal::{SignalInfo, SignalSet};

#[cfg(test)]
mod model;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

/// The most real-time signal instances pending at once, in both sets together; one more is
/// refused with [`Receipt::QueueFull`] (Linux's limit is `RLIMIT_SIGPENDING`).
pub const REALTIME_QUEUE_LIMIT: usize = 1024;

/// How many standard signals there are (1 to `SIGNAL_REALTIME_MIN - 1`).
const STANDARD_COUNT: usize = (SIGNAL_REALTIME_MIN - 1) as usize;
/// How many real-time signals there are (`SIGNAL_REALTIME_MIN` to `SIGNAL_MAX`).
const REALTIME_COUNT: usize = (SIGNAL_MAX - SIGNAL_REALTIME_MIN + 1) as usize;

/// The signals a fault raises, taken before any other in a set (Linux's `SYNCHRONOUS_MASK`).
const SYNCHRONOUS: SignalSet = SignalSet::EMPTY
    .with(SIGSEGV)
    .with(SIGBUS)
    .with(SIGILL)
    .with(SIGTRAP)
    .with(SIGFPE)
    .with(SIGSYS);

/// What a signal's action does with it (`sa_handler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handler<H> {
    /// `SIG_DFL`: the signal's default action ([`default_action`]).
    Default,
    /// `SIG_IGN`: the signal is discarded.
    Ignore,
    /// A handler to run, of the caller's choosing.
    Catch(H),
}

/// A signal's action (`struct sigaction` without the restorer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action<H> {
    /// What the signal does.
    pub handler: Handler<H>,
    /// The `SA_*` flags, as given to [`SignalState::set_action`].
    pub flags: u64,
    /// The signals added to the mask while the handler runs (`sa_mask`); never SIGKILL or
    /// SIGSTOP once stored.
    pub mask: SignalSet,
}

impl<H> Action<H> {
    /// The action every signal starts with: [`Handler::Default`], no flags, empty mask.
    pub const DEFAULT: Action<H> =
        Action { handler: Handler::Default, flags: 0, mask: SignalSet::EMPTY };
}

impl<H> Default for Action<H> {
    fn default() -> Self {
        Action::DEFAULT
    }
}

/// Where a signal is directed: which of the two pending sets it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The process as a whole (`kill`, `sigqueue`, proc's own signals): the set taken
    /// second.
    Process,
    /// The thread (`tkill`, `tgkill`, faults): the set taken first.
    Thread,
}

/// What [`SignalState::receive`] did with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// The signal is pending (a new standard signal, or one more real-time instance).
    Pending,
    /// The standard signal was already pending in its set; the first instance's
    /// information is kept and this one is dropped.
    Coalesced,
    /// The signal was dropped: not a signal number, or ignored and not blocked.
    Discarded,
    /// The real-time signal was dropped: [`REALTIME_QUEUE_LIMIT`] instances are pending.
    QueueFull,
}

/// What to do next with a pending signal, from [`SignalState::next_delivery`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery<H> {
    /// Run the handler: the mask is already `handler_mask`; after the handler returns call
    /// [`SignalState::finish_handler`] with `saved_mask`.
    Handler {
        /// The signal's information.
        info: SignalInfo,
        /// The handler to run.
        handler: H,
        /// The action's `SA_*` flags as they were when the signal was taken (before
        /// `SA_RESETHAND` reset the handler).
        flags: u64,
        /// The mask while the handler runs (already in force).
        handler_mask: SignalSet,
        /// The mask before, to restore when the handler returns.
        saved_mask: SignalSet,
    },
    /// The default action Terminate, CoreDump or Stop is due (Ignore and Continue defaults
    /// are consumed silently and never returned).
    Default {
        /// The signal's information.
        info: SignalInfo,
        /// The default action to carry out.
        action: DefaultAction,
    },
}

/// One pending set (`struct sigpending`): which signals are pending, the information of
/// each pending standard signal, and the queued instances of each real-time signal.
///
/// A real-time signal is in `signals` exactly when its queue holds an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PendingSet {
    /// The pending signals.
    signals: SignalSet,
    /// The information of standard signal `n` at `n - 1`, meaningful while it is pending.
    standard: [SignalInfo; STANDARD_COUNT],
    /// The instances of real-time signal `n` at `n - SIGNAL_REALTIME_MIN`, oldest first.
    realtime: [VecDeque<SignalInfo>; REALTIME_COUNT],
}

impl PendingSet {
    fn new() -> Self {
        PendingSet {
            signals: SignalSet::EMPTY,
            standard: [SignalInfo::default(); STANDARD_COUNT],
            realtime: core::array::from_fn(|_| VecDeque::new()),
        }
    }

    /// How many real-time instances the set holds.
    fn realtime_count(&self) -> usize {
        self.realtime.iter().map(VecDeque::len).sum()
    }

    /// Adds an instance of `info.signal` (a signal number): false when a standard signal is
    /// already pending. The caller checks the real-time limit.
    fn add(&mut self, info: SignalInfo) -> bool {
        let signal = info.signal;
        if is_realtime(signal) {
            self.realtime[realtime_index(signal)].push_back(info);
        } else if self.signals.contains(signal) {
            return false;
        } else {
            self.standard[standard_index(signal)] = info;
        }
        self.signals = self.signals.with(signal);
        true
    }

    /// The signal to take next among those not in `blocked`: the lowest synchronous one,
    /// else the lowest one (`next_signal`).
    fn next(&self, blocked: SignalSet) -> Option<u32> {
        let candidates = self.signals.difference(blocked);
        let synchronous = candidates.intersection(SYNCHRONOUS);
        if synchronous.is_empty() { candidates.lowest() } else { synchronous.lowest() }
    }

    /// Removes one instance of pending `signal` (its oldest, for a real-time signal) and
    /// returns its information (`collect_signal`).
    fn take(&mut self, signal: u32) -> SignalInfo {
        if is_realtime(signal) {
            let queue = &mut self.realtime[realtime_index(signal)];
            let info = queue.pop_front().unwrap_or(SignalInfo { signal, ..SignalInfo::default() });
            if queue.is_empty() {
                self.signals = self.signals.without(signal);
            }
            info
        } else {
            self.signals = self.signals.without(signal);
            self.standard[standard_index(signal)]
        }
    }

    /// Removes every instance of the signals in `signals` (`flush_sigqueue_mask`).
    fn remove(&mut self, signals: SignalSet) {
        for signal in SIGNAL_REALTIME_MIN..=SIGNAL_MAX {
            if signals.contains(signal) {
                self.realtime[realtime_index(signal)].clear();
            }
        }
        self.signals = self.signals.difference(signals);
    }
}

/// The index of standard signal `signal` in [`PendingSet::standard`].
fn standard_index(signal: u32) -> usize {
    (signal - 1) as usize
}

/// The index of real-time signal `signal` in [`PendingSet::realtime`].
fn realtime_index(signal: u32) -> usize {
    (signal - SIGNAL_REALTIME_MIN) as usize
}

/// The signal state of one process (one thread): actions, mask and pending signals.
///
/// `H` is what a caught signal's handler is to the caller (an entry point, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalState<H> {
    /// The action of signal `n` at `n - 1`.
    actions: [Action<H>; SIGNAL_MAX as usize],
    /// The blocked signals; never SIGKILL or SIGSTOP.
    mask: SignalSet,
    /// The signals directed at the thread.
    thread: PendingSet,
    /// The signals directed at the process.
    process: PendingSet,
}

impl<H: Copy> SignalState<H> {
    /// A state with every action the default, an empty mask and nothing pending (a new
    /// process's, after `execve`).
    pub fn new() -> Self {
        SignalState {
            actions: [Action::DEFAULT; SIGNAL_MAX as usize],
            mask: SignalSet::EMPTY,
            thread: PendingSet::new(),
            process: PendingSet::new(),
        }
    }

    /// The action of `signal`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `signal` is not a signal number.
    pub fn action(&self, signal: u32) -> Result<Action<H>, Errno> {
        if !is_signal(signal) {
            return Err(Errno::Einval);
        }
        Ok(self.actions[(signal - 1) as usize])
    }

    /// Sets the action of `signal` (`sigaction` with a new action) and returns the old one.
    ///
    /// The stored mask loses SIGKILL and SIGSTOP; the flags are stored as given. If the
    /// signal is now ignored, its pending instances are discarded from both sets, blocked
    /// or not.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `signal` is not a signal number, or is SIGKILL or SIGSTOP (whatever the
    /// action, the default included); nothing changes.
    pub fn set_action(&mut self, signal: u32, action: Action<H>) -> Result<Action<H>, Errno> {
        if !is_signal(signal) || SignalSet::UNBLOCKABLE.contains(signal) {
            return Err(Errno::Einval);
        }
        let stored = Action { mask: action.mask.difference(SignalSet::UNBLOCKABLE), ..action };
        let old = mem::replace(&mut self.actions[(signal - 1) as usize], stored);
        if self.is_ignored(signal) {
            self.discard(SignalSet::of(signal));
        }
        Ok(old)
    }

    /// The mask: the blocked signals.
    pub fn mask(&self) -> SignalSet {
        self.mask
    }

    /// Changes the mask as `sigprocmask` does and returns the old one: `SIG_BLOCK` adds
    /// `set`, `SIG_UNBLOCK` removes it, `SIG_SETMASK` makes it the mask. SIGKILL and SIGSTOP
    /// are never blocked.
    ///
    /// # Errors
    ///
    /// `EINVAL` if `how` is none of the three; the mask does not change.
    pub fn set_mask(&mut self, how: u32, set: SignalSet) -> Result<SignalSet, Errno> {
        let mask = match how {
            SIG_BLOCK => self.mask.union(set),
            SIG_UNBLOCK => self.mask.difference(set),
            SIG_SETMASK => set,
            _ => return Err(Errno::Einval),
        };
        Ok(self.replace_mask(mask))
    }

    /// Makes `mask`, without SIGKILL and SIGSTOP, the mask and returns the old one (what
    /// `sigsuspend` does on entry and on return).
    pub fn replace_mask(&mut self, mask: SignalSet) -> SignalSet {
        mem::replace(&mut self.mask, mask.difference(SignalSet::UNBLOCKABLE))
    }

    /// Restores the mask when a handler returns (what `rt_sigreturn` does): `saved_mask`,
    /// from [`Delivery::Handler`], without SIGKILL and SIGSTOP.
    pub fn finish_handler(&mut self, saved_mask: SignalSet) {
        self.replace_mask(saved_mask);
    }

    /// The pending signals, in either set, blocked or not.
    pub fn pending(&self) -> SignalSet {
        self.thread.signals.union(self.process.signals)
    }

    /// Takes a signal from proc or the process itself, its number in `info.signal`,
    /// directed at `target`, and says what became of it.
    pub fn receive(&mut self, info: SignalInfo, target: Target) -> Receipt {
        let signal = info.signal;
        if !is_signal(signal) {
            return Receipt::Discarded;
        }
        if SignalSet::STOP.contains(signal) {
            self.discard(SignalSet::of(SIGCONT));
        } else if signal == SIGCONT {
            self.discard(SignalSet::STOP);
        }
        if self.is_ignored(signal) && !self.mask.contains(signal) {
            return Receipt::Discarded;
        }
        if is_realtime(signal)
            && self.thread.realtime_count() + self.process.realtime_count() >= REALTIME_QUEUE_LIMIT
        {
            return Receipt::QueueFull;
        }
        let pending = match target {
            Target::Process => &mut self.process,
            Target::Thread => &mut self.thread,
        };
        if pending.add(info) { Receipt::Pending } else { Receipt::Coalesced }
    }

    /// Whether [`SignalState::next_delivery`] would return something: some pending signal
    /// is neither blocked nor ignored.
    pub fn has_deliverable(&self) -> bool {
        let candidates = self.pending().difference(self.mask);
        (1..=SIGNAL_MAX).any(|signal| candidates.contains(signal) && !self.is_ignored(signal))
    }

    /// Takes the next signal that is not blocked and applies its action: an ignored signal
    /// is consumed and the next one taken; a caught one enters its handler (the mask and,
    /// with `SA_RESETHAND`, the action change now); a default action that ends or stops the
    /// process is returned. `None` when no pending signal is left to deliver.
    pub fn next_delivery(&mut self) -> Option<Delivery<H>> {
        loop {
            let info = self.dequeue()?;
            let signal = info.signal;
            let index = (signal - 1) as usize;
            let action = self.actions[index];
            match action.handler {
                Handler::Ignore => {}
                Handler::Catch(handler) => {
                    let mut handler_mask = self.mask.union(action.mask);
                    if action.flags & SA_NODEFER == 0 {
                        handler_mask = handler_mask.with(signal);
                    }
                    let saved_mask = self.replace_mask(handler_mask);
                    if action.flags & SA_RESETHAND != 0 {
                        self.actions[index].handler = Handler::Default;
                    }
                    return Some(Delivery::Handler {
                        info,
                        handler,
                        flags: action.flags,
                        handler_mask: self.mask,
                        saved_mask,
                    });
                }
                Handler::Default => match default_action(signal) {
                    Some(DefaultAction::Ignore | DefaultAction::Continue) | None => {}
                    Some(action) => return Some(Delivery::Default { info, action }),
                },
            }
        }
    }

    /// Drops every pending instance of the signals in `signals`, from both sets.
    pub fn discard(&mut self, signals: SignalSet) {
        self.thread.remove(signals);
        self.process.remove(signals);
    }

    /// Whether `signal` is ignored under its action (`sig_handler_ignored`), blocked or not.
    fn is_ignored(&self, signal: u32) -> bool {
        match self.actions[(signal - 1) as usize].handler {
            Handler::Ignore => true,
            Handler::Default => matches!(
                default_action(signal),
                Some(DefaultAction::Ignore | DefaultAction::Continue)
            ),
            Handler::Catch(_) => false,
        }
    }

    /// Removes the next unblocked signal, from the thread's set first (`dequeue_signal`).
    fn dequeue(&mut self) -> Option<SignalInfo> {
        let blocked = self.mask;
        for pending in [&mut self.thread, &mut self.process] {
            if let Some(signal) = pending.next(blocked) {
                return Some(pending.take(signal));
            }
        }
        None
    }
}

impl<H: Copy> Default for SignalState<H> {
    fn default() -> Self {
        SignalState::new()
    }
}
