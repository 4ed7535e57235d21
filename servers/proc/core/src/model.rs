//! A second, deliberately naive statement of the process table's rules, for the property
//! tests: one flat vector of processes searched linearly, no counters and no child lists
//! (children are found by their parent link and ordered by when they were adopted).
//!
//! It is written from Linux's behaviour directly (the shapes of `alloc_pid`, `ksys_setpgid`,
//! `ksys_setsid`, `kill_something_info`, `do_wait`, `prepare_signal`, `sig_ignored`,
//! `do_notify_parent`, `do_notify_parent_cldstop`, `wait_task_stopped`,
//! `wait_task_continued`) rather than from the table's code, so that the two can disagree:
//! dispositions are a table of 64 entries rather than sets, and the unreported stop and
//! continue are Linux's `group_exit_code` and `SIGNAL_STOP_CONTINUED` flag.

use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::signal::{Disposition, SignalInfo};

use crate::table::{HELD_SIGNALS_MAX, Report, Selector, SignalState};
use crate::{
    Answer, Credentials, ExitOutcome, INIT, KillOutcome, PID_MAX, Pid, ProcessInfo, RESERVED_PIDS,
    Signalling, SpawnOptions, StopOutcome, WaitOutcome,
};

const SIGKILL: u32 = 9;
const SIGCHLD: u32 = 17;
const SIGCONT: u32 = 18;
const SIGSTOP: u32 = 19;
const SIGTTOU: u32 = 22;
/// Signals whose default action is "ignore" (SIGCHLD, SIGURG, SIGWINCH).
const IGNORED_BY_DEFAULT: [u32; 3] = [17, 23, 28];
/// Signals whose default action dumps core.
const DUMPS_CORE: [u32; 10] = [3, 4, 5, 6, 7, 8, 11, 24, 25, 31];
/// The first signal that queues (Courier's real-time signals start at 34).
const FIRST_QUEUED: u32 = 34;
const SA_NOCLDSTOP: u64 = 1;
const SA_NOCLDWAIT: u64 = 2;

#[derive(Clone, Debug)]
struct ModelProcess {
    pid: Pid,
    parent: Pid,
    group: Pid,
    session: Pid,
    credentials: Credentials,
    status: Option<u32>,
    /// When this process became a child of its current parent (a logical clock).
    adopted_at: u64,
    /// `sa_handler` of each signal, by number (entry 0 unused).
    handlers: [Disposition; 65],
    /// `sa_flags` of SIGCHLD.
    sigchld_flags: u64,
    /// The held stop request while stopped (`SIGNAL_STOP_STOPPED`).
    stop_request: Option<u32>,
    /// The continue generation.
    generation: u32,
    /// `group_exit_code` of a stop not reported yet (0: none).
    group_exit_code: u32,
    /// `SIGNAL_STOP_CONTINUED`.
    continued: bool,
    /// Signals pending while stopped.
    pending: Vec<SignalInfo>,
}

impl ModelProcess {
    fn new(pid: Pid, parent: Pid, credentials: Credentials, adopted_at: u64) -> ModelProcess {
        ModelProcess {
            pid,
            parent,
            group: INIT,
            session: INIT,
            credentials,
            status: None,
            adopted_at,
            handlers: [Disposition::Default; 65],
            sigchld_flags: 0,
            stop_request: None,
            generation: 0,
            group_exit_code: 0,
            continued: false,
            pending: Vec::new(),
        }
    }

    /// Linux's `sig_ignored` (with init's protection) for this process.
    fn ignores(&self, signal: u32) -> bool {
        let handler = self.handlers[signal as usize];
        if self.pid == INIT {
            return handler != Disposition::Catch;
        }
        handler == Disposition::Ignore
            || (handler == Disposition::Default && IGNORED_BY_DEFAULT.contains(&signal))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModelSelector {
    Pid(Pid),
    Any,
    Group(Pid),
}

#[derive(Clone, Debug)]
struct ModelWaiter {
    caller: Pid,
    selector: ModelSelector,
    untraced: bool,
    continued: bool,
    token: u32,
}

/// The naive table.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    processes: Vec<ModelProcess>,
    waiters: Vec<ModelWaiter>,
    cursor: Pid,
    clock: u64,
}

impl Model {
    pub(crate) fn new(cursor: Pid) -> Model {
        Model { processes: Vec::new(), waiters: Vec::new(), cursor, clock: 0 }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn find(&self, pid: Pid) -> Option<&ModelProcess> {
        self.processes.iter().find(|process| process.pid == pid)
    }

    fn find_mut(&mut self, pid: Pid) -> Option<&mut ModelProcess> {
        self.processes.iter_mut().find(|process| process.pid == pid)
    }

    fn find_live(&self, pid: Pid) -> Option<&ModelProcess> {
        self.find(pid).filter(|process| process.status.is_none())
    }

    fn find_live_mut(&mut self, pid: Pid) -> Option<&mut ModelProcess> {
        self.find_mut(pid).filter(|process| process.status.is_none())
    }

    pub(crate) fn in_use(&self, number: Pid) -> bool {
        self.processes.iter().any(|process| {
            process.pid == number || process.group == number || process.session == number
        })
    }

    /// Every number in use as a pid, group or session.
    pub(crate) fn numbers(&self) -> Vec<Pid> {
        let mut numbers: Vec<Pid> = self
            .processes
            .iter()
            .flat_map(|process| [process.pid, process.group, process.session])
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    pub(crate) fn children(&self, parent: Pid) -> Vec<Pid> {
        let mut children: Vec<&ModelProcess> =
            self.processes.iter().filter(|process| process.parent == parent).collect();
        children.sort_by_key(|process| process.adopted_at);
        children.iter().map(|process| process.pid).collect()
    }

    pub(crate) fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        self.find(pid).map(|process| ProcessInfo {
            parent: process.parent,
            process_group: process.group,
            session: process.session,
            zombie: process.status.is_some(),
            stopped: process.stop_request.is_some(),
            credentials: process.credentials,
        })
    }

    pub(crate) fn signal_state(&self, pid: Pid) -> Option<SignalState> {
        self.find(pid).map(|process| SignalState {
            continue_generation: process.generation,
            unreported: if process.continued {
                Some(Report::Continued)
            } else if process.group_exit_code != 0 {
                Some(Report::Stopped(process.group_exit_code))
            } else {
                None
            },
            stopped: process.stop_request.is_some(),
            held: process.pending.clone(),
        })
    }

    pub(crate) fn live_pids(&self) -> Vec<Pid> {
        let mut pids: Vec<Pid> = self
            .processes
            .iter()
            .filter(|process| process.status.is_none())
            .map(|process| process.pid)
            .collect();
        pids.sort_unstable();
        pids
    }

    pub(crate) fn len(&self) -> usize {
        self.processes.len()
    }

    /// Stored waiters in the table's reporting form: (caller, selector, token).
    pub(crate) fn waiters(&self) -> Vec<(Pid, Selector, u32)> {
        self.waiters
            .iter()
            .map(|waiter| {
                let selector = match waiter.selector {
                    ModelSelector::Pid(pid) => Selector::Child(pid),
                    ModelSelector::Any => Selector::AnyChild,
                    ModelSelector::Group(group) => Selector::Group(group),
                };
                (waiter.caller, selector, waiter.token)
            })
            .collect()
    }

    /// The `WUNTRACED | WCONTINUED` bits of each stored waiter.
    pub(crate) fn waiter_reports(&self) -> Vec<u32> {
        self.waiters
            .iter()
            .map(|waiter| u32::from(waiter.untraced) * 2 + u32::from(waiter.continued) * 8)
            .collect()
    }

    pub(crate) fn create_init(&mut self) -> Pid {
        if self.find(INIT).is_none() {
            let adopted_at = self.tick();
            self.processes.push(ModelProcess::new(INIT, 0, Credentials::ROOT, adopted_at));
            if self.cursor < 2 {
                self.cursor = 2;
            }
        }
        INIT
    }

    pub(crate) fn create(&mut self, parent: Pid, options: SpawnOptions) -> Result<Pid, Errno> {
        let Some(parent_process) = self.find_live(parent).cloned() else {
            return Err(Errno::Esrch);
        };
        // idr_alloc_cyclic over [pid_min, pid_max), pid_min raised past RESERVED_PIDS.
        let minimum = if self.cursor > RESERVED_PIDS { RESERVED_PIDS } else { 1 };
        let first = if self.cursor < minimum { minimum } else { self.cursor };
        let mut pid = None;
        for number in (first..PID_MAX).chain(minimum..PID_MAX) {
            if !self.in_use(number) {
                pid = Some(number);
                break;
            }
        }
        let pid = pid.ok_or(Errno::Eagain)?;
        self.cursor = pid + 1;
        let adopted_at = self.tick();
        let mut child = ModelProcess::new(pid, parent, parent_process.credentials, adopted_at);
        child.group = parent_process.group;
        child.session = parent_process.session;
        // flush_signal_handlers(current, 0) at exec: SIG_IGN stays, flags go.
        for signal in 1..=64 {
            if parent_process.handlers[signal] == Disposition::Ignore {
                child.handlers[signal] = Disposition::Ignore;
            }
        }
        self.processes.push(child);
        let mut result = Ok(());
        if options.new_session {
            result = self.create_session(pid).map(|_| ());
        }
        if result.is_ok()
            && let Some(group) = options.process_group
        {
            result = self.set_process_group(pid, 0, group);
        }
        match result {
            Ok(()) => Ok(pid),
            Err(error) => {
                self.processes.retain(|process| process.pid != pid);
                Err(error)
            }
        }
    }

    pub(crate) fn abandon(&mut self, pid: Pid) {
        let Some(process) = self.find(pid) else { return };
        if process.status.is_some() || !self.children(pid).is_empty() {
            return;
        }
        self.processes.retain(|process| process.pid != pid);
        self.waiters.retain(|waiter| waiter.caller != pid);
    }

    pub(crate) fn exited(&mut self, pid: Pid, status: u32) -> ExitOutcome<u32> {
        let mut outcome = ExitOutcome::nothing();
        let Some(process) = self.find_mut(pid) else { return outcome };
        if process.status.is_some() {
            return outcome;
        }
        let signal = status & 0x7f;
        let status =
            if signal != 0x7f && DUMPS_CORE.contains(&signal) { status | 0x80 } else { status };
        let stop_request = process.stop_request.take();
        process.pending.clear();
        process.group_exit_code = 0;
        process.continued = false;
        let parent = process.parent;
        let ended_before = process.clone();
        outcome.init_exited = pid == INIT;
        outcome.dropped_waiters = self
            .waiters
            .iter()
            .filter(|waiter| waiter.caller == pid)
            .map(|waiter| waiter.token)
            .collect();
        outcome.dropped_waiters.extend(stop_request);
        self.waiters.retain(|waiter| waiter.caller != pid);
        let mut init_keys = Vec::new();
        if pid != INIT {
            // forget_original_parent: reparent_leader notifies init of each zombie.
            for child in self.children(pid) {
                let adopted_at = self.tick();
                let Some(child_process) = self.find_mut(child) else { continue };
                child_process.parent = INIT;
                child_process.adopted_at = adopted_at;
                let zombie = child_process.clone();
                outcome.reparented.push(child);
                if let Some(child_status) = zombie.status {
                    init_keys.push(zombie.clone());
                    let info = Model::child_notice(&zombie, child_status);
                    self.send_signal(INIT, info, &mut outcome.signals, &mut outcome.answers);
                }
                self.kill_orphaned_pgrp(&zombie, &ended_before, None, &mut outcome);
            }
            // kill_orphaned_pgrp(tsk, NULL): the parent of the ended process is the link.
            if let Some(parent_process) = self.find(parent).cloned() {
                self.kill_orphaned_pgrp(&ended_before, &parent_process, Some(pid), &mut outcome);
            }
        }
        // exit_state = EXIT_ZOMBIE.
        if let Some(process) = self.find_mut(pid) {
            process.status = Some(status);
        }
        let Some(ended) = self.find(pid).cloned() else { return outcome };
        // do_notify_parent.
        if let Some(parent_process) = self.find(parent).cloned() {
            let handler = parent_process.handlers[SIGCHLD as usize];
            let autoreap =
                handler == Disposition::Ignore || parent_process.sigchld_flags & SA_NOCLDWAIT != 0;
            if handler != Disposition::Ignore {
                let info = Model::child_notice(&ended, status);
                self.send_signal(parent, info, &mut outcome.signals, &mut outcome.answers);
            }
            if autoreap {
                self.processes.retain(|process| process.pid != pid);
            }
        }
        // do_notify_parent wakes the parent's waiters with the child as key; the
        // wake-up callback lets through only the waiters eligible for that child.
        if parent == INIT {
            init_keys.insert(0, ended);
        } else if self.find(parent).is_some() {
            self.wake(parent, &[ended], &mut outcome.answers);
        }
        if !init_keys.is_empty() {
            self.wake(INIT, &init_keys, &mut outcome.answers);
        }
        outcome
    }

    /// `will_become_orphaned_pgrp`.
    fn will_become_orphaned_pgrp(&self, group: Pid, ignored: Option<Pid>) -> bool {
        !self.processes.iter().any(|member| {
            if member.group != group
                || Some(member.pid) == ignored
                || member.status.is_some()
                || member.parent == INIT
            {
                return false;
            }
            self.find(member.parent)
                .is_some_and(|parent| parent.group != group && parent.session == member.session)
        })
    }

    /// `kill_orphaned_pgrp(tsk, parent)`: `tsk`'s group gets SIGHUP and SIGCONT if `parent`
    /// (its old parent, or its parent) is in another group of its session, the group is
    /// orphaned now, and a member is stopped. The `ignored` task (the one ending) is left
    /// out of the count and of the signals.
    fn kill_orphaned_pgrp(
        &mut self,
        tsk: &ModelProcess,
        parent: &ModelProcess,
        ignored: Option<Pid>,
        outcome: &mut ExitOutcome<u32>,
    ) {
        let group = tsk.group;
        let has_stopped_jobs = self
            .processes
            .iter()
            .any(|member| member.group == group && member.stop_request.is_some());
        if parent.group != group
            && parent.session == tsk.session
            && self.will_become_orphaned_pgrp(group, ignored)
            && has_stopped_jobs
        {
            let mut members: Vec<Pid> = self
                .processes
                .iter()
                .filter(|member| member.group == group && Some(member.pid) != ignored)
                .map(|member| member.pid)
                .collect();
            members.sort_unstable();
            for signal in [1, SIGCONT] {
                let info = SignalInfo { signal, code: 0x80, pid: 0, uid: 0, value: 0, status: 0 };
                for &member in &members {
                    self.send_signal(member, info, &mut outcome.signals, &mut outcome.answers);
                }
            }
        }
    }

    /// The SIGCHLD siginfo of a child that ended with `status`.
    fn child_notice(child: &ModelProcess, status: u32) -> SignalInfo {
        let (code, detail) = if status & 0x7f == 0 {
            (1, status >> 8)
        } else if status & 0x80 == 0 {
            (2, status & 0x7f)
        } else {
            (3, status & 0x7f)
        };
        SignalInfo {
            signal: SIGCHLD,
            code,
            pid: child.pid,
            uid: child.credentials.uid,
            value: 0,
            status: i32::try_from(detail).expect("small"),
        }
    }

    /// Children of `caller` that `selector` accepts, oldest first.
    fn eligible(&self, caller: Pid, selector: ModelSelector) -> Vec<Pid> {
        self.children(caller)
            .into_iter()
            .filter_map(|child| self.find(child))
            .filter(|child| match selector {
                ModelSelector::Pid(pid) => child.pid == pid,
                ModelSelector::Any => true,
                ModelSelector::Group(group) => child.group == group,
            })
            .map(|child| child.pid)
            .collect()
    }

    /// `do_wait_thread`: `wait_consider_task` for each eligible child in turn: a zombie
    /// (`wait_task_zombie`), a stop (`wait_task_stopped`, with WUNTRACED), a continue
    /// (`wait_task_continued`, with WCONTINUED). `None` when nothing is reported.
    fn consider(
        &mut self,
        eligible: &[Pid],
        untraced: bool,
        continued: bool,
    ) -> Option<(Pid, u32)> {
        for &child in eligible {
            let Some(process) = self.find_mut(child) else { continue };
            if let Some(status) = process.status {
                self.processes.retain(|process| process.pid != child);
                return Some((child, status));
            }
            if untraced && process.group_exit_code != 0 {
                let code = core::mem::take(&mut process.group_exit_code);
                return Some((child, code << 8 | 0x7f));
            }
            if continued && process.continued {
                process.continued = false;
                return Some((child, 0xffff));
            }
        }
        None
    }

    fn wake(&mut self, parent: Pid, keys: &[ModelProcess], answers: &mut Vec<Answer<u32>>) {
        let mut kept = Vec::new();
        let waiters = core::mem::take(&mut self.waiters);
        for waiter in waiters {
            let eligible_for_a_key = keys.iter().any(|key| match waiter.selector {
                ModelSelector::Pid(pid) => key.pid == pid,
                ModelSelector::Any => true,
                ModelSelector::Group(group) => key.group == group,
            });
            if waiter.caller != parent || !eligible_for_a_key {
                kept.push(waiter);
                continue;
            }
            let eligible = self.eligible(parent, waiter.selector);
            if let Some(found) = self.consider(&eligible, waiter.untraced, waiter.continued) {
                answers.push(Answer { waiter: waiter.token, result: Ok(found) });
            } else if eligible.is_empty() {
                answers.push(Answer { waiter: waiter.token, result: Err(Errno::Echild) });
            } else {
                kept.push(waiter);
            }
        }
        self.waiters = kept;
    }

    pub(crate) fn wait(
        &mut self,
        caller: Pid,
        selector: i32,
        options: u64,
        token: u32,
    ) -> WaitOutcome {
        let options = options & 0xFFFF_FFFF;
        let allowed = 1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000;
        if options & !allowed != 0 {
            return WaitOutcome::Failed(Errno::Einval);
        }
        if selector == i32::MIN {
            return WaitOutcome::Failed(Errno::Esrch);
        }
        let Some(caller_process) = self.find_live(caller) else {
            return WaitOutcome::Failed(Errno::Esrch);
        };
        let selector = if selector == -1 {
            ModelSelector::Any
        } else if selector == 0 {
            ModelSelector::Group(caller_process.group)
        } else if selector < 0 {
            ModelSelector::Group(selector.unsigned_abs())
        } else {
            ModelSelector::Pid(selector.unsigned_abs())
        };
        let clone_only = options & 0x8000_0000 != 0 && options & 0x4000_0000 == 0;
        let eligible = if clone_only { Vec::new() } else { self.eligible(caller, selector) };
        let (untraced, continued) = (options & 2 != 0, options & 8 != 0);
        if let Some((pid, status)) = self.consider(&eligible, untraced, continued) {
            return WaitOutcome::Reaped { pid, status };
        }
        if eligible.is_empty() {
            return WaitOutcome::Failed(Errno::Echild);
        }
        if options & 1 != 0 {
            return WaitOutcome::NothingYet;
        }
        self.waiters.push(ModelWaiter { caller, selector, untraced, continued, token });
        WaitOutcome::Blocked
    }

    pub(crate) fn cancel_wait(&mut self, token: u32) -> bool {
        let before = self.waiters.len();
        let mut removed = false;
        self.waiters.retain(|waiter| {
            if !removed && waiter.token == token {
                removed = true;
                false
            } else {
                true
            }
        });
        before != self.waiters.len()
    }

    /// `group_send_sig_info` minus the sending: `check_kill_permission`.
    fn permission(
        &self,
        sender: &ModelProcess,
        target: &ModelProcess,
        signal: u32,
    ) -> Result<(), Errno> {
        if signal > 64 {
            return Err(Errno::Einval);
        }
        if sender.pid == target.pid {
            return Ok(());
        }
        let (from, to) = (sender.credentials, target.credentials);
        let by_credentials =
            [from.euid, from.uid].iter().any(|&mine| mine == to.uid || mine == to.saved_uid)
                || from.euid == 0;
        if by_credentials || (signal == 18 && sender.session == target.session) {
            Ok(())
        } else {
            Err(Errno::Eperm)
        }
    }

    /// `kill_something_info`: the targets the signal is allowed to, or the error.
    fn kill_targets(&self, sender: Pid, target: i32, signal: u32) -> Result<Vec<Pid>, Errno> {
        let Some(sender_process) = self.find_live(sender) else { return Err(Errno::Esrch) };
        let mut sorted: Vec<&ModelProcess> = self.processes.iter().collect();
        sorted.sort_by_key(|process| process.pid);
        let mut allowed = Vec::new();
        if target > 0 {
            let Some(process) = self.find(target.unsigned_abs()) else { return Err(Errno::Esrch) };
            self.permission(sender_process, process, signal)?;
            return Ok(Vec::from([process.pid]));
        }
        if target == i32::MIN {
            return Err(Errno::Esrch);
        }
        if target != -1 {
            let group = if target == 0 { sender_process.group } else { target.unsigned_abs() };
            let mut success = false;
            let mut retval = Err(Errno::Esrch);
            for process in sorted.iter().filter(|process| process.group == group) {
                retval = self.permission(sender_process, process, signal);
                if retval.is_ok() {
                    success = true;
                    allowed.push(process.pid);
                }
            }
            return if success { Ok(allowed) } else { retval.map(|()| Vec::new()) };
        }
        let mut count = 0;
        let mut retval = Ok(());
        for process in sorted.iter().filter(|process| process.pid > 1 && process.pid != sender) {
            let result = self.permission(sender_process, process, signal);
            count += 1;
            if result.is_ok() {
                allowed.push(process.pid);
            }
            if result != Err(Errno::Eperm) {
                retval = result;
            }
        }
        if count == 0 {
            return Err(Errno::Esrch);
        }
        // retval holds the last non-EPERM result; only EINVAL can be an error here.
        retval.map(|()| allowed)
    }

    pub(crate) fn kill(
        &mut self,
        sender: Pid,
        target: i32,
        signal: u32,
    ) -> Result<KillOutcome<u32>, Errno> {
        let targets = self.kill_targets(sender, target, signal)?;
        let uid = self.find(sender).map_or(0, |process| process.credentials.uid);
        let info = SignalInfo { signal, code: 0, pid: sender, uid, value: 0, status: 0 };
        let mut outcome = KillOutcome::nothing();
        for pid in targets {
            self.send_signal(pid, info, &mut outcome.signals, &mut outcome.answers);
        }
        Ok(outcome)
    }

    pub(crate) fn queue(
        &mut self,
        sender: Pid,
        pid: Pid,
        signal: u32,
        value: u64,
    ) -> Result<KillOutcome<u32>, Errno> {
        let Some(sender_process) = self.find_live(sender) else { return Err(Errno::Esrch) };
        let Some(process) = self.find(pid).filter(|_| pid != 0) else { return Err(Errno::Esrch) };
        self.permission(sender_process, process, signal)?;
        let uid = sender_process.credentials.uid;
        let info = SignalInfo { signal, code: -1, pid: sender, uid, value, status: 0 };
        let mut outcome = KillOutcome::nothing();
        self.send_signal(pid, info, &mut outcome.signals, &mut outcome.answers);
        Ok(outcome)
    }

    pub(crate) fn system_signal(&mut self, pid: Pid, signal: u32, code: i32) -> KillOutcome<u32> {
        let info = SignalInfo { signal, code, pid: 0, uid: 0, value: 0, status: 0 };
        let mut outcome = KillOutcome::nothing();
        self.send_signal(pid, info, &mut outcome.signals, &mut outcome.answers);
        outcome
    }

    /// `send_signal_locked`: `prepare_signal` (SIGCONT resumes), then `sig_ignored`, then
    /// SIGKILL, pending while stopped, or the upcall.
    fn send_signal(
        &mut self,
        pid: Pid,
        info: SignalInfo,
        signals: &mut Vec<Signalling<u32>>,
        answers: &mut Vec<Answer<u32>>,
    ) {
        let signal = info.signal;
        if signal == 0 || signal > 64 || self.find_live(pid).is_none() {
            return;
        }
        if signal == SIGCONT {
            let Some(process) = self.find_live_mut(pid) else { return };
            process.generation = process.generation.wrapping_add(1);
            if let Some(token) = process.stop_request.take() {
                // Flush pending stop signals; SIGNAL_STOP_CONTINUED replaces the stop.
                process.pending.retain(|pending| !(SIGSTOP..=SIGTTOU).contains(&pending.signal));
                process.group_exit_code = 0;
                process.continued = true;
                let pending = core::mem::take(&mut process.pending);
                let generation = process.generation;
                let key = process.clone();
                signals.push(Signalling::Resume { pid, waiter: token });
                self.notify_cldstop(&key, 6, SIGCONT, signals, answers);
                self.wake(key.parent, &[key], answers);
                for info in pending {
                    signals.push(Signalling::Post { pid, info, generation });
                }
            }
        }
        let Some(process) = self.find_live_mut(pid) else { return };
        if process.ignores(signal) {
            return;
        }
        if signal == SIGKILL {
            signals.push(Signalling::Kill { pid, signal });
        } else if process.stop_request.is_some() {
            // legacy_queue: a standard signal pending already is not queued again.
            let pending = process.pending.iter().any(|pending| pending.signal == signal);
            let queued = signal >= FIRST_QUEUED && process.pending.len() < HELD_SIGNALS_MAX;
            if !pending || queued {
                process.pending.push(info);
            }
        } else {
            signals.push(Signalling::Post { pid, info, generation: process.generation });
        }
    }

    /// `do_notify_parent_cldstop`.
    fn notify_cldstop(
        &mut self,
        child: &ModelProcess,
        code: i32,
        status: u32,
        signals: &mut Vec<Signalling<u32>>,
        answers: &mut Vec<Answer<u32>>,
    ) {
        let Some(parent) = self.find(child.parent) else { return };
        let handler = parent.handlers[SIGCHLD as usize];
        if handler != Disposition::Ignore && parent.sigchld_flags & SA_NOCLDSTOP == 0 {
            let info = SignalInfo {
                signal: SIGCHLD,
                code,
                pid: child.pid,
                uid: child.credentials.uid,
                value: 0,
                status: i32::try_from(status).expect("a signal"),
            };
            self.send_signal(child.parent, info, signals, answers);
        }
    }

    pub(crate) fn stop(
        &mut self,
        pid: Pid,
        signal: u32,
        generation: u32,
        token: u32,
    ) -> StopOutcome<u32> {
        if !(SIGSTOP..=SIGTTOU).contains(&signal) {
            return StopOutcome::Failed(Errno::Einval);
        }
        let Some(process) = self.find_live_mut(pid) else {
            return StopOutcome::Failed(Errno::Esrch);
        };
        if pid == INIT {
            return StopOutcome::Failed(Errno::Eperm);
        }
        if process.generation != generation {
            return StopOutcome::Continued;
        }
        if process.stop_request.is_some() {
            return StopOutcome::Failed(Errno::Ebusy);
        }
        // get_signal: job control stops do nothing in an orphaned group.
        let group = process.group;
        if signal != SIGSTOP && self.will_become_orphaned_pgrp(group, None) {
            return StopOutcome::Continued;
        }
        let Some(process) = self.find_live_mut(pid) else {
            return StopOutcome::Failed(Errno::Esrch);
        };
        // do_signal_stop: SIGNAL_STOP_STOPPED replaces SIGNAL_STOP_CONTINUED.
        process.stop_request = Some(token);
        process.group_exit_code = signal;
        process.continued = false;
        let key = process.clone();
        let mut answers = Vec::new();
        let mut signals = Vec::new();
        self.notify_cldstop(&key, 5, signal, &mut signals, &mut answers);
        self.wake(key.parent, &[key], &mut answers);
        StopOutcome::Stopped { answers, signals }
    }

    /// `do_sigaction`.
    pub(crate) fn set_disposition(
        &mut self,
        pid: Pid,
        signal: u32,
        disposition: Disposition,
        flags: u64,
    ) -> Result<(), Errno> {
        if signal == 0 || signal > 64 {
            return Err(Errno::Einval);
        }
        if (signal == SIGKILL || signal == SIGSTOP) && disposition != Disposition::Default {
            return Err(Errno::Einval);
        }
        let Some(process) = self.find_live_mut(pid) else { return Err(Errno::Esrch) };
        process.handlers[signal as usize] = disposition;
        if signal == SIGCHLD {
            process.sigchld_flags = flags & (SA_NOCLDSTOP | SA_NOCLDWAIT);
        }
        if process.ignores(signal) {
            process.pending.retain(|pending| pending.signal != signal);
        }
        Ok(())
    }

    pub(crate) fn set_process_group(
        &mut self,
        caller: Pid,
        pid: Pid,
        group: Pid,
    ) -> Result<(), Errno> {
        let Some(caller_process) = self.find_live(caller).cloned() else {
            return Err(Errno::Esrch);
        };
        let pid = if pid == 0 { caller } else { pid };
        let group = if group == 0 { pid } else { group };
        if group > i32::MAX.unsigned_abs() {
            return Err(Errno::Einval);
        }
        let Some(process) = self.find(pid).cloned() else { return Err(Errno::Esrch) };
        if process.parent == caller {
            if process.session != caller_process.session {
                return Err(Errno::Eperm);
            }
            return Err(Errno::Eacces);
        } else if process.pid != caller {
            return Err(Errno::Esrch);
        }
        if process.session == process.pid {
            return Err(Errno::Eperm);
        }
        if group != pid {
            let first_member = self.processes.iter().find(|member| member.group == group);
            match first_member {
                Some(member) if member.session == caller_process.session => {}
                _ => return Err(Errno::Eperm),
            }
        }
        if let Some(process) = self.find_mut(pid) {
            process.group = group;
        }
        Ok(())
    }

    pub(crate) fn process_group(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let pid = if pid == 0 { caller } else { pid };
        self.find(pid).map(|process| process.group).ok_or(Errno::Esrch)
    }

    pub(crate) fn session(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let pid = if pid == 0 { caller } else { pid };
        self.find(pid).map(|process| process.session).ok_or(Errno::Esrch)
    }

    pub(crate) fn create_session(&mut self, caller: Pid) -> Result<Pid, Errno> {
        let Some(process) = self.find_live(caller) else { return Err(Errno::Esrch) };
        let leader = process.session == caller;
        let group_exists = self.processes.iter().any(|process| process.group == caller);
        if leader || group_exists {
            return Err(Errno::Eperm);
        }
        if let Some(process) = self.find_mut(caller) {
            process.session = caller;
            process.group = caller;
        }
        Ok(caller)
    }

    pub(crate) fn set_user_id(&mut self, caller: Pid, uid: u32) -> Result<(), Errno> {
        if self.find_live(caller).is_none() {
            return Err(Errno::Esrch);
        }
        let Some(process) = self.find_mut(caller) else { return Err(Errno::Esrch) };
        let old = process.credentials;
        if uid == u32::MAX {
            return Err(Errno::Einval);
        }
        if old.euid == 0 {
            process.credentials = Credentials { uid, euid: uid, saved_uid: uid, ..old };
            Ok(())
        } else if uid == old.uid || uid == old.saved_uid {
            process.credentials.euid = uid;
            Ok(())
        } else {
            Err(Errno::Eperm)
        }
    }

    pub(crate) fn set_group_id(&mut self, caller: Pid, gid: u32) -> Result<(), Errno> {
        if self.find_live(caller).is_none() {
            return Err(Errno::Esrch);
        }
        let Some(process) = self.find_mut(caller) else { return Err(Errno::Esrch) };
        let old = process.credentials;
        if gid == u32::MAX {
            return Err(Errno::Einval);
        }
        if old.euid == 0 {
            process.credentials = Credentials { gid, egid: gid, saved_gid: gid, ..old };
            Ok(())
        } else if gid == old.gid || gid == old.saved_gid {
            process.credentials.egid = gid;
            Ok(())
        } else {
            Err(Errno::Eperm)
        }
    }
}
