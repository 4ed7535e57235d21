//! A second, deliberately naive statement of the signal rules, for the property tests:
//! a vector of actions, a vector of blocked signal numbers, and each pending set as one
//! list of signal instances in arrival order (Linux's `sigqueue` list), searched by
//! scanning.
//!
//! It is written from the rules in the crate's documentation (Linux's `do_sigaction`,
//! `sigprocmask`, `prepare_signal`, `sig_ignored`, `__send_signal_locked`, `next_signal`,
//! `collect_signal`, `get_signal`, `signal_delivered`) rather than from the crate's code,
//! so that the two can disagree.

use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::signal::{
    DefaultAction, SA_NODEFER, SA_RESETHAND, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGILL, SIGKILL,
    SIGSEGV, SIGSTOP, SIGSYS, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH, default_action,
};

use crate::{
    Action, Delivery, Handler, REALTIME_QUEUE_LIMIT, Receipt, SignalInfo, SignalSet, Target,
};

const SYNCHRONOUS: [u32; 6] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS];
const IGNORED_BY_DEFAULT: [u32; 4] = [SIGCHLD, SIGURG, SIGWINCH, SIGCONT];
const STOPS: [u32; 4] = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU];

/// The model's signal state.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    /// `actions[n]` is signal `n`'s action (index 0 unused).
    actions: Vec<Action<u8>>,
    /// The blocked signals, in no order, each once.
    blocked: Vec<u32>,
    /// The thread's pending instances, oldest first.
    thread: Vec<SignalInfo>,
    /// The process's pending instances, oldest first.
    process: Vec<SignalInfo>,
}

fn valid(signal: u32) -> bool {
    (1..=64).contains(&signal)
}

fn realtime(signal: u32) -> bool {
    (34..=64).contains(&signal)
}

fn to_list(set: SignalSet) -> Vec<u32> {
    (1..=64).filter(|&signal| set.0 >> (signal - 1) & 1 == 1).collect()
}

fn to_set(list: &[u32]) -> SignalSet {
    SignalSet(list.iter().fold(0, |bits, &signal| bits | 1 << (signal - 1)))
}

fn without_unblockable(list: Vec<u32>) -> Vec<u32> {
    list.into_iter().filter(|&signal| signal != SIGKILL && signal != SIGSTOP).collect()
}

impl Model {
    pub(crate) fn new() -> Self {
        Model {
            actions: (0..=64)
                .map(|_| Action { handler: Handler::Default, flags: 0, mask: SignalSet(0) })
                .collect(),
            blocked: Vec::new(),
            thread: Vec::new(),
            process: Vec::new(),
        }
    }

    pub(crate) fn action(&self, signal: u32) -> Result<Action<u8>, Errno> {
        if valid(signal) { Ok(self.actions[signal as usize]) } else { Err(Errno::Einval) }
    }

    pub(crate) fn set_action(
        &mut self,
        signal: u32,
        action: Action<u8>,
    ) -> Result<Action<u8>, Errno> {
        if !valid(signal) || signal == SIGKILL || signal == SIGSTOP {
            return Err(Errno::Einval);
        }
        let old = self.actions[signal as usize];
        let mask = to_set(&without_unblockable(to_list(action.mask)));
        self.actions[signal as usize] =
            Action { handler: action.handler, flags: action.flags, mask };
        if self.ignored(signal) {
            self.drop_instances(&[signal]);
        }
        Ok(old)
    }

    pub(crate) fn mask(&self) -> SignalSet {
        to_set(&self.blocked)
    }

    pub(crate) fn set_mask(&mut self, how: u32, set: SignalSet) -> Result<SignalSet, Errno> {
        let old = self.mask();
        let given = to_list(set);
        let mut new: Vec<u32> = match how {
            0 => {
                let mut new = self.blocked.clone();
                new.extend(given.iter().filter(|signal| !self.blocked.contains(signal)));
                new
            }
            1 => self.blocked.iter().copied().filter(|signal| !given.contains(signal)).collect(),
            2 => given,
            _ => return Err(Errno::Einval),
        };
        new = without_unblockable(new);
        self.blocked = new;
        Ok(old)
    }

    pub(crate) fn replace_mask(&mut self, set: SignalSet) -> SignalSet {
        let old = self.mask();
        self.blocked = without_unblockable(to_list(set));
        old
    }

    pub(crate) fn pending(&self) -> SignalSet {
        let signals: Vec<u32> =
            self.thread.iter().chain(self.process.iter()).map(|info| info.signal).collect();
        to_set(&signals)
    }

    /// The model's pending list for `target`, for the invariant checks.
    pub(crate) fn list(&self, target: Target) -> &[SignalInfo] {
        match target {
            Target::Thread => &self.thread,
            Target::Process => &self.process,
        }
    }

    pub(crate) fn receive(&mut self, info: SignalInfo, target: Target) -> Receipt {
        let signal = info.signal;
        if !valid(signal) {
            return Receipt::Discarded;
        }
        if STOPS.contains(&signal) {
            self.drop_instances(&[SIGCONT]);
        }
        if signal == SIGCONT {
            self.drop_instances(&STOPS);
        }
        if !self.blocked.contains(&signal) && self.ignored(signal) {
            return Receipt::Discarded;
        }
        let list = match target {
            Target::Thread => &self.thread,
            Target::Process => &self.process,
        };
        if !realtime(signal) && list.iter().any(|queued| queued.signal == signal) {
            return Receipt::Coalesced;
        }
        if realtime(signal) {
            let queued = self
                .thread
                .iter()
                .chain(self.process.iter())
                .filter(|queued| realtime(queued.signal))
                .count();
            if queued >= REALTIME_QUEUE_LIMIT {
                return Receipt::QueueFull;
            }
        }
        match target {
            Target::Thread => self.thread.push(info),
            Target::Process => self.process.push(info),
        }
        Receipt::Pending
    }

    pub(crate) fn has_deliverable(&self) -> bool {
        self.thread
            .iter()
            .chain(self.process.iter())
            .any(|info| !self.blocked.contains(&info.signal) && !self.ignored(info.signal))
    }

    pub(crate) fn next_delivery(&mut self) -> Option<Delivery<u8>> {
        loop {
            let info = self.take_next()?;
            let signal = info.signal;
            let action = self.actions[signal as usize];
            match action.handler {
                Handler::Ignore => continue,
                Handler::Default => {
                    if IGNORED_BY_DEFAULT.contains(&signal) {
                        continue;
                    }
                    let action = default_action(signal).unwrap();
                    assert!(!matches!(action, DefaultAction::Ignore | DefaultAction::Continue));
                    return Some(Delivery::Default { info, action });
                }
                Handler::Catch(handler) => {
                    let saved_mask = self.mask();
                    let mut new = self.blocked.clone();
                    new.extend(to_list(action.mask));
                    if action.flags & SA_NODEFER == 0 {
                        new.push(signal);
                    }
                    new.sort_unstable();
                    new.dedup();
                    self.blocked = without_unblockable(new);
                    if action.flags & SA_RESETHAND != 0 {
                        self.actions[signal as usize].handler = Handler::Default;
                    }
                    return Some(Delivery::Handler {
                        info,
                        handler,
                        flags: action.flags,
                        handler_mask: self.mask(),
                        saved_mask,
                    });
                }
            }
        }
    }

    pub(crate) fn discard(&mut self, set: SignalSet) {
        self.drop_instances(&to_list(set));
    }

    fn ignored(&self, signal: u32) -> bool {
        match self.actions[signal as usize].handler {
            Handler::Ignore => true,
            Handler::Default => IGNORED_BY_DEFAULT.contains(&signal),
            Handler::Catch(_) => false,
        }
    }

    fn drop_instances(&mut self, signals: &[u32]) {
        self.thread.retain(|info| !signals.contains(&info.signal));
        self.process.retain(|info| !signals.contains(&info.signal));
    }

    /// Removes the instance to deliver next: the first list with an unblocked instance; in
    /// it the lowest synchronous signal, else the lowest signal; its first instance.
    fn take_next(&mut self) -> Option<SignalInfo> {
        let blocked = self.blocked.clone();
        for list in [&mut self.thread, &mut self.process] {
            let candidates: Vec<u32> = list
                .iter()
                .map(|info| info.signal)
                .filter(|signal| !blocked.contains(signal))
                .collect();
            let synchronous =
                candidates.iter().copied().filter(|signal| SYNCHRONOUS.contains(signal)).min();
            if let Some(signal) = synchronous.or_else(|| candidates.iter().copied().min()) {
                let position = list.iter().position(|info| info.signal == signal).unwrap();
                return Some(list.remove(position));
            }
        }
        None
    }
}
