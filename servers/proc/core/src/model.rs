//! A second, deliberately naive statement of the process table's rules, for the property
//! tests: one flat vector of processes searched linearly, no counters and no child lists
//! (children are found by their parent link and ordered by when they were adopted).
//!
//! It is written from Linux's behaviour directly (the shapes of `alloc_pid`, `ksys_setpgid`,
//! `ksys_setsid`, `kill_something_info`, `do_wait`) rather than from the table's code, so
//! that the two can disagree.

use alloc::vec::Vec;

use courier_abi::Errno;

use crate::table::Selector;
use crate::{
    Answer, Credentials, ExitOutcome, INIT, KillOutcome, PID_MAX, Pid, ProcessInfo, RESERVED_PIDS,
    SpawnOptions, WaitOutcome,
};

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
            credentials: process.credentials,
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

    pub(crate) fn create_init(&mut self) -> Pid {
        if self.find(INIT).is_none() {
            let adopted_at = self.tick();
            self.processes.push(ModelProcess {
                pid: INIT,
                parent: 0,
                group: INIT,
                session: INIT,
                credentials: Credentials::ROOT,
                status: None,
                adopted_at,
            });
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
        self.processes.push(ModelProcess {
            pid,
            parent,
            group: parent_process.group,
            session: parent_process.session,
            credentials: parent_process.credentials,
            status: None,
            adopted_at,
        });
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
        process.status = Some(status);
        let parent = process.parent;
        outcome.init_exited = pid == INIT;
        outcome.dropped_waiters = self
            .waiters
            .iter()
            .filter(|waiter| waiter.caller == pid)
            .map(|waiter| waiter.token)
            .collect();
        self.waiters.retain(|waiter| waiter.caller != pid);
        let mut init_keys = Vec::new();
        if pid != INIT {
            for child in self.children(pid) {
                let adopted_at = self.tick();
                let Some(child_process) = self.find_mut(child) else { continue };
                child_process.parent = INIT;
                child_process.adopted_at = adopted_at;
                if child_process.status.is_some() {
                    init_keys.push(child_process.clone());
                }
                outcome.reparented.push(child);
            }
        }
        // do_notify_parent wakes the parent's waiters with the child as key; the
        // wake-up callback lets through only the waiters eligible for that child.
        let Some(ended) = self.find(pid).cloned() else { return outcome };
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

    /// Children of `caller` that `selector` accepts, oldest first, with their status.
    fn eligible(&self, caller: Pid, selector: ModelSelector) -> Vec<(Pid, Option<u32>)> {
        self.children(caller)
            .into_iter()
            .filter_map(|child| self.find(child))
            .filter(|child| match selector {
                ModelSelector::Pid(pid) => child.pid == pid,
                ModelSelector::Any => true,
                ModelSelector::Group(group) => child.group == group,
            })
            .map(|child| (child.pid, child.status))
            .collect()
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
            if let Some(&(child, Some(status))) =
                eligible.iter().find(|(_, status)| status.is_some())
            {
                self.processes.retain(|process| process.pid != child);
                answers.push(Answer { waiter: waiter.token, result: Ok((child, status)) });
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
        if let Some(&(child, Some(status))) = eligible.iter().find(|(_, status)| status.is_some()) {
            self.processes.retain(|process| process.pid != child);
            return WaitOutcome::Reaped { pid: child, status };
        }
        if eligible.is_empty() {
            return WaitOutcome::Failed(Errno::Echild);
        }
        if options & 1 != 0 {
            return WaitOutcome::NothingYet;
        }
        self.waiters.push(ModelWaiter { caller, selector, token });
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

    pub(crate) fn kill(&self, sender: Pid, target: i32, signal: u32) -> Result<KillOutcome, Errno> {
        let Some(sender_process) = self.find_live(sender) else { return Err(Errno::Esrch) };
        let receives =
            |process: &ModelProcess| signal != 0 && process.pid != INIT && process.status.is_none();
        let mut sorted: Vec<&ModelProcess> = self.processes.iter().collect();
        sorted.sort_by_key(|process| process.pid);
        let mut deliver_to = Vec::new();
        if target > 0 {
            let Some(process) = self.find(target.unsigned_abs()) else { return Err(Errno::Esrch) };
            self.permission(sender_process, process, signal)?;
            if receives(process) {
                deliver_to.push(process.pid);
            }
            return Ok(KillOutcome { deliver_to });
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
                    if receives(process) {
                        deliver_to.push(process.pid);
                    }
                }
            }
            return if success {
                Ok(KillOutcome { deliver_to })
            } else {
                retval.map(|()| KillOutcome::default())
            };
        }
        let mut count = 0;
        let mut retval = Ok(());
        for process in sorted.iter().filter(|process| process.pid > 1 && process.pid != sender) {
            let result = self.permission(sender_process, process, signal);
            count += 1;
            if result.is_ok() && receives(process) {
                deliver_to.push(process.pid);
            }
            if result != Err(Errno::Eperm) {
                retval = result;
            }
        }
        if count == 0 {
            return Err(Errno::Esrch);
        }
        // retval holds the last non-EPERM result; only EINVAL can be an error here.
        retval.map(|()| KillOutcome { deliver_to })
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
