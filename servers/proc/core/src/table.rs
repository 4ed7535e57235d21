//! The process table: every process (live or zombie), its family, group, session and
//! credentials, the stored waiters, and the pid allocator.
//!
//! Processes live in a map ordered by pid; each keeps its children in the order they
//! became its children. Two counters per number (members of the group with that id,
//! members of the session with that id) make "is this number in use" a lookup, which pid
//! allocation asks for every candidate. Stored waiters are one queue in arrival order.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::proc::WAIT_NO_HANG;
use courier_abi::signal::{SIGCONT, SIGNAL_MAX};

use crate::{
    Answer, Credentials, ExitOutcome, INIT, KillOutcome, PID_MAX, Pid, ProcessInfo, RESERVED_PIDS,
    SpawnOptions, WaitOutcome,
};

/// `WUNTRACED`: also report stopped children (none ever stops yet).
const WAIT_UNTRACED: u32 = 2;
/// `WCONTINUED`: also report continued children (none ever stops yet).
const WAIT_CONTINUED: u32 = 8;
/// `__WNOTHREAD`: only the calling thread's children (processes have one thread here).
const WAIT_NO_THREAD: u32 = 0x2000_0000;
/// `__WALL`: children of every kind.
const WAIT_ALL: u32 = 0x4000_0000;
/// `__WCLONE`: only "clone" children, the ones that do not report their end with
/// `SIGCHLD`; every Courier child reports with `SIGCHLD`, so alone it matches none.
const WAIT_CLONE: u32 = 0x8000_0000;
/// The option bits Linux's `wait4` accepts.
const WAIT_VALID_OPTIONS: u32 =
    WAIT_NO_HANG as u32 | WAIT_UNTRACED | WAIT_CONTINUED | WAIT_NO_THREAD | WAIT_ALL | WAIT_CLONE;

/// One process.
#[derive(Clone, Debug)]
struct Process {
    /// The parent (0 for [`INIT`]).
    parent: Pid,
    /// The process group id.
    group: Pid,
    /// The session id.
    session: Pid,
    /// User and group ids.
    credentials: Credentials,
    /// `Some(wait status)` once the process has ended (a zombie).
    exit_status: Option<u32>,
    /// Children, in the order they became children.
    children: Vec<Pid>,
}

impl Process {
    const fn is_zombie(&self) -> bool {
        self.exit_status.is_some()
    }
}

/// Which children a wait is for, resolved when the wait is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selector {
    /// One child.
    Child(Pid),
    /// Any child.
    AnyChild,
    /// Any child in this process group (for selector 0, the caller's group when it
    /// waited).
    Group(Pid),
}

impl Selector {
    /// Whether a child with this pid and this process group is one the wait is for.
    fn matches(self, pid: Pid, group: Pid) -> bool {
        match self {
            Selector::Child(wanted) => pid == wanted,
            Selector::AnyChild => true,
            Selector::Group(wanted) => group == wanted,
        }
    }
}

/// A wait that could not be answered when it was made.
#[derive(Clone, Debug)]
struct StoredWaiter<W> {
    caller: Pid,
    selector: Selector,
    waiter: W,
}

/// What the children of a waiter hold for its selector.
enum Search {
    /// The oldest matching child that has ended.
    Zombie(Pid),
    /// Matching children, none ended.
    Running,
    /// No matching child.
    Nothing,
}

/// Every process and every stored wait. `W` is the server's token for a stored waiter
/// (its pending reply).
#[derive(Clone, Debug)]
pub struct ProcessTable<W> {
    processes: BTreeMap<Pid, Process>,
    /// Number of processes (zombies included) in each process group, by group id.
    group_members: BTreeMap<Pid, usize>,
    /// Number of processes (zombies included) in each session, by session id.
    session_members: BTreeMap<Pid, usize>,
    /// Stored waiters, oldest first.
    waiters: Vec<StoredWaiter<W>>,
    /// Where the next pid search starts (Linux's idr cursor: the last pid given plus 1).
    next_pid: Pid,
}

impl<W: Clone + PartialEq> Default for ProcessTable<W> {
    fn default() -> Self {
        ProcessTable::new()
    }
}

impl<W: Clone + PartialEq> ProcessTable<W> {
    /// An empty table.
    pub const fn new() -> Self {
        ProcessTable {
            processes: BTreeMap::new(),
            group_members: BTreeMap::new(),
            session_members: BTreeMap::new(),
            waiters: Vec::new(),
            next_pid: 0,
        }
    }

    /// Creates the first process: pid [`INIT`], no parent, leader of group 1 and session 1,
    /// [`Credentials::ROOT`]. If [`INIT`] exists already (live or zombie), returns it and
    /// changes nothing.
    pub fn create_init(&mut self) -> Pid {
        if !self.processes.contains_key(&INIT) {
            self.insert(
                INIT,
                Process {
                    parent: 0,
                    group: INIT,
                    session: INIT,
                    credentials: Credentials::ROOT,
                    exit_status: None,
                    children: Vec::new(),
                },
            );
            self.next_pid = self.next_pid.max(INIT + 1);
        }
        INIT
    }

    /// Creates a child of `parent`, which must be live (else `ESRCH`). The child inherits
    /// the parent's group, session and credentials, then applies `options` as it would
    /// itself before starting its image: `setsid()` first, then `setpgid(0, group)`.
    ///
    /// Fails with `EAGAIN` when every pid is in use, or with the error of `setsid` or
    /// `setpgid` (`EPERM`: a group that is not in the child's session, or both options,
    /// since a session leader cannot change its group; `EINVAL`: a group above
    /// `i32::MAX`). On failure no process is left behind; as on Linux, the pid that the
    /// failed child held is not given again next.
    pub fn create(&mut self, parent: Pid, options: SpawnOptions) -> Result<Pid, Errno> {
        let parent_process = self.live(parent)?;
        let child = Process {
            parent,
            group: parent_process.group,
            session: parent_process.session,
            credentials: parent_process.credentials,
            exit_status: None,
            children: Vec::new(),
        };
        let pid = self.allocate()?;
        self.insert(pid, child);
        if let Some(parent_process) = self.processes.get_mut(&parent) {
            parent_process.children.push(pid);
        }
        let applied = self.apply_spawn_options(pid, options);
        if let Err(error) = applied {
            self.forget(pid);
            return Err(error);
        }
        Ok(pid)
    }

    /// Forgets a process that was just created and never started (its start failed in
    /// the kernel): no zombie, no answers. Does nothing for an unknown pid, a zombie, or a
    /// process that has children (none of which can be a process that never started).
    pub fn abandon(&mut self, pid: Pid) {
        let Some(process) = self.processes.get(&pid) else { return };
        if process.is_zombie() || !process.children.is_empty() {
            return;
        }
        self.waiters.retain(|stored| stored.caller != pid);
        self.forget(pid);
    }

    /// Records that `pid` ended with wait status `status` (Linux's encoding, as
    /// `courier_abi::process::ExitStatus::to_word` gives it).
    ///
    /// The process becomes a zombie of its parent, its own stored waiters are dropped, and
    /// its children (zombies too) become children of [`INIT`]. Then, as on Linux, the stored
    /// waiters of its parent that wait for it, and those of [`INIT`] that wait for a zombie
    /// that just arrived, wake up and look again, oldest first: each reaps the oldest
    /// matching zombie (an [`Answer`] with the pid and status), or fails with `ECHILD` if no
    /// matching child remains (another waiter took it), or goes on waiting.
    ///
    /// When `pid` is [`INIT`], `init_exited` is set; its zombie is kept and its children
    /// stay where they are, since nobody is left to adopt them. An unknown pid or a zombie
    /// gives an empty outcome.
    pub fn exited(&mut self, pid: Pid, status: u32) -> ExitOutcome<W> {
        let mut outcome = ExitOutcome::nothing();
        let Some(process) = self.processes.get_mut(&pid) else { return outcome };
        if process.is_zombie() {
            return outcome;
        }
        process.exit_status = Some(status);
        let parent = process.parent;
        let ended = (pid, process.group);
        let orphans = if pid == INIT { Vec::new() } else { core::mem::take(&mut process.children) };
        outcome.init_exited = pid == INIT;

        let waiters = core::mem::take(&mut self.waiters);
        for stored in waiters {
            if stored.caller == pid {
                outcome.dropped_waiters.push(stored.waiter);
            } else {
                self.waiters.push(stored);
            }
        }

        // Zombies that init receives, as (pid, group): each wakes init's waiters for it.
        let mut arrived_at_init = Vec::new();
        for orphan in orphans {
            if let Some(orphan_process) = self.processes.get_mut(&orphan) {
                orphan_process.parent = INIT;
                if orphan_process.is_zombie() {
                    arrived_at_init.push((orphan, orphan_process.group));
                }
            }
            if let Some(init) = self.processes.get_mut(&INIT) {
                init.children.push(orphan);
            }
            outcome.reparented.push(orphan);
        }

        if parent == INIT {
            arrived_at_init.insert(0, ended);
        } else if self.processes.contains_key(&parent) {
            self.answer_waiters(parent, &[ended], &mut outcome.answers);
        }
        if !arrived_at_init.is_empty() {
            self.answer_waiters(INIT, &arrived_at_init, &mut outcome.answers);
        }
        outcome
    }

    /// `waitpid(selector, options)` by `caller`, as Linux's `wait4`.
    ///
    /// `options` is read as Linux reads its `int` argument (the low 32 bits); bits other
    /// than `WNOHANG`, `WUNTRACED`, `WCONTINUED`, `__WNOTHREAD`, `__WALL` and `__WCLONE`
    /// fail with `EINVAL`, and `__WCLONE` without `__WALL` matches no child. `selector`
    /// `i32::MIN` fails with `ESRCH`. `selector` > 0 is that child, -1 any child, 0 any
    /// child in the caller's current group, < -1 any child in group `-selector`. The oldest
    /// matching zombie is reaped; with none, `WNOHANG` gives [`WaitOutcome::NothingYet`]
    /// and otherwise `waiter` is stored ([`WaitOutcome::Blocked`]); with no matching child
    /// at all the call fails with `ECHILD`. An unknown or ended caller gets `ESRCH`.
    pub fn wait(&mut self, caller: Pid, selector: i32, options: u64, waiter: W) -> WaitOutcome {
        // Linux's wait4 takes an `int`: only the low 32 bits reach it.
        let options = options as u32;
        if options & !WAIT_VALID_OPTIONS != 0 {
            return WaitOutcome::Failed(Errno::Einval);
        }
        if selector == i32::MIN {
            return WaitOutcome::Failed(Errno::Esrch);
        }
        let caller_group = match self.live(caller) {
            Ok(process) => process.group,
            Err(error) => return WaitOutcome::Failed(error),
        };
        if options & WAIT_CLONE != 0 && options & WAIT_ALL == 0 {
            return WaitOutcome::Failed(Errno::Echild);
        }
        let selector = match selector {
            -1 => Selector::AnyChild,
            0 => Selector::Group(caller_group),
            negative if negative < 0 => Selector::Group(negative.unsigned_abs()),
            positive => Selector::Child(positive.unsigned_abs()),
        };
        match self.search(caller, selector) {
            Search::Zombie(child) => {
                let status = self.reap(child);
                WaitOutcome::Reaped { pid: child, status }
            }
            Search::Running if options & WAIT_NO_HANG as u32 != 0 => WaitOutcome::NothingYet,
            Search::Running => {
                self.waiters.push(StoredWaiter { caller, selector, waiter });
                WaitOutcome::Blocked
            }
            Search::Nothing => WaitOutcome::Failed(Errno::Echild),
        }
    }

    /// Removes a stored waiter (its caller was interrupted). Returns whether it was found.
    pub fn cancel_wait(&mut self, waiter: &W) -> bool {
        let Some(index) = self.waiters.iter().position(|stored| stored.waiter == *waiter) else {
            return false;
        };
        self.waiters.remove(index);
        true
    }

    /// `kill(target, signal)` by `sender`, as Linux's `kill`: which processes to signal, or
    /// why not.
    ///
    /// `target` > 0 is that process (`ESRCH` if missing); 0 the sender's group and < -1
    /// group `-target` (`ESRCH` without members; success if the signal was allowed for any
    /// member, else the error); -1 every process above [`INIT`] except the sender (`ESRCH`
    /// if none; success even when every one refused with `EPERM`, as on Linux);
    /// `i32::MIN` fails with `ESRCH`. For each process, a signal above `SIGNAL_MAX` fails
    /// with `EINVAL`, then it is allowed to the sender itself, to a sender with effective
    /// uid 0, to one whose real or effective uid equals the target's real or saved uid, and
    /// `SIGCONT` within the sender's session; other attempts fail with `EPERM`. Zombies
    /// count as targets but receive nothing. An unknown or ended sender gets `ESRCH`.
    pub fn kill(&self, sender: Pid, target: i32, signal: u32) -> Result<KillOutcome, Errno> {
        let sender_process = self.live(sender)?;
        let mut outcome = KillOutcome::default();
        if target > 0 {
            let pid = target.unsigned_abs();
            let Some(process) = self.processes.get(&pid) else { return Err(Errno::Esrch) };
            Self::may_signal(sender, sender_process, pid, process, signal)?;
            if Self::receives(pid, process, signal) {
                outcome.deliver_to.push(pid);
            }
            return Ok(outcome);
        }
        if target == i32::MIN {
            return Err(Errno::Esrch);
        }
        if target == -1 {
            let mut attempts = 0_usize;
            let mut error = None;
            for (&pid, process) in &self.processes {
                if pid <= INIT || pid == sender {
                    continue;
                }
                attempts += 1;
                // As Linux: the result is the last one other than EPERM.
                match Self::may_signal(sender, sender_process, pid, process, signal) {
                    Ok(()) => {
                        error = None;
                        if Self::receives(pid, process, signal) {
                            outcome.deliver_to.push(pid);
                        }
                    }
                    Err(Errno::Eperm) => {}
                    Err(other) => error = Some(other),
                }
            }
            return match (attempts, error) {
                (0, _) => Err(Errno::Esrch),
                (_, Some(error)) => Err(error),
                (_, None) => Ok(outcome),
            };
        }
        let group = if target == 0 { sender_process.group } else { target.unsigned_abs() };
        let mut any_allowed = false;
        let mut last_error = Errno::Esrch;
        for (&pid, process) in self.processes.iter().filter(|(_, process)| process.group == group) {
            match Self::may_signal(sender, sender_process, pid, process, signal) {
                Ok(()) => {
                    any_allowed = true;
                    if Self::receives(pid, process, signal) {
                        outcome.deliver_to.push(pid);
                    }
                }
                Err(error) => last_error = error,
            }
        }
        if any_allowed { Ok(outcome) } else { Err(last_error) }
    }

    /// `setpgid(pid, group)` by `caller`, with Linux's checks in Linux's order: `pid` 0 is
    /// the caller and `group` 0 is `pid`; a group above `i32::MAX` (negative for Linux)
    /// fails with `EINVAL`; a `pid` that is neither the caller nor a child of it fails with
    /// `ESRCH`; a child in another session with `EPERM`, any other child with `EACCES`
    /// (every child has started an image); a session leader with `EPERM`; a group other
    /// than `pid` that has no member in the caller's session with `EPERM`.
    pub fn set_process_group(&mut self, caller: Pid, pid: Pid, group: Pid) -> Result<(), Errno> {
        let caller_process = self.live(caller)?;
        let pid = if pid == 0 { caller } else { pid };
        let group = if group == 0 { pid } else { group };
        if i32::try_from(group).is_err() {
            return Err(Errno::Einval);
        }
        let Some(target) = self.processes.get(&pid) else { return Err(Errno::Esrch) };
        if target.parent == caller {
            if target.session != caller_process.session {
                return Err(Errno::Eperm);
            }
            return Err(Errno::Eacces);
        }
        if pid != caller {
            return Err(Errno::Esrch);
        }
        if target.session == pid {
            return Err(Errno::Eperm);
        }
        if group != pid && !self.group_in_session(group, caller_process.session) {
            return Err(Errno::Eperm);
        }
        self.move_to_group(pid, group);
        Ok(())
    }

    /// `getpgid(pid)` by `caller` (`pid` 0: the caller): `ESRCH` for no such process.
    pub fn process_group(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let pid = if pid == 0 { caller } else { pid };
        self.processes.get(&pid).map(|process| process.group).ok_or(Errno::Esrch)
    }

    /// `setsid()` by `caller`: `EPERM` when it leads a session already or when its pid is
    /// the id of a process group (it leads one, or led one that still has members);
    /// otherwise it leads a new session and a new group, both named by its pid, which is
    /// returned.
    pub fn create_session(&mut self, caller: Pid) -> Result<Pid, Errno> {
        let caller_process = self.live(caller)?;
        if caller_process.session == caller || self.group_members.contains_key(&caller) {
            return Err(Errno::Eperm);
        }
        self.move_to_session(caller, caller);
        self.move_to_group(caller, caller);
        Ok(caller)
    }

    /// `getsid(pid)` by `caller` (`pid` 0: the caller): `ESRCH` for no such process.
    pub fn session(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let pid = if pid == 0 { caller } else { pid };
        self.processes.get(&pid).map(|process| process.session).ok_or(Errno::Esrch)
    }

    /// The parent of `pid` (0 for [`INIT`]); `None` for no such process.
    pub fn parent(&self, pid: Pid) -> Option<Pid> {
        self.processes.get(&pid).map(|process| process.parent)
    }

    /// The credentials of `pid`; `None` for no such process.
    pub fn credentials(&self, pid: Pid) -> Option<Credentials> {
        self.processes.get(&pid).map(|process| process.credentials)
    }

    /// `setuid(uid)` by `caller`: `EINVAL` for `u32::MAX` (Linux's invalid id); with
    /// effective uid 0 the real, effective and saved uids all become `uid`; otherwise
    /// only the effective uid changes, and only to the real or the saved uid (else
    /// `EPERM`).
    pub fn set_user_id(&mut self, caller: Pid, uid: u32) -> Result<(), Errno> {
        let credentials = &mut self.live_mut(caller)?.credentials;
        if uid == u32::MAX {
            return Err(Errno::Einval);
        }
        if credentials.euid == 0 {
            credentials.uid = uid;
            credentials.saved_uid = uid;
        } else if uid != credentials.uid && uid != credentials.saved_uid {
            return Err(Errno::Eperm);
        }
        credentials.euid = uid;
        Ok(())
    }

    /// `setgid(gid)` by `caller`: as [`ProcessTable::set_user_id`] on the group ids; the
    /// privilege is still effective uid 0.
    pub fn set_group_id(&mut self, caller: Pid, gid: u32) -> Result<(), Errno> {
        let credentials = &mut self.live_mut(caller)?.credentials;
        if gid == u32::MAX {
            return Err(Errno::Einval);
        }
        if credentials.euid == 0 {
            credentials.gid = gid;
            credentials.saved_gid = gid;
        } else if gid != credentials.gid && gid != credentials.saved_gid {
            return Err(Errno::Eperm);
        }
        credentials.egid = gid;
        Ok(())
    }

    /// Facts about `pid`; `None` for no such process.
    pub fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        self.processes.get(&pid).map(|process| ProcessInfo {
            parent: process.parent,
            process_group: process.group,
            session: process.session,
            zombie: process.is_zombie(),
            credentials: process.credentials,
        })
    }

    /// The children of `pid` (zombies included) in the order waits search them; empty
    /// for no such process.
    pub fn children(&self, pid: Pid) -> Vec<Pid> {
        self.processes.get(&pid).map(|process| process.children.clone()).unwrap_or_default()
    }

    /// Every live (not zombie) process, in ascending pid order.
    pub fn live_pids(&self) -> Vec<Pid> {
        self.processes
            .iter()
            .filter(|(_, process)| !process.is_zombie())
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// Whether `number` is in use as a pid, a process group id or a session id, and so
    /// cannot be given to a new process.
    pub fn is_in_use(&self, number: Pid) -> bool {
        self.processes.contains_key(&number)
            || self.group_members.contains_key(&number)
            || self.session_members.contains_key(&number)
    }

    /// The number of stored waiters.
    pub fn waiter_count(&self) -> usize {
        self.waiters.len()
    }

    /// The number of processes, zombies included.
    pub fn len(&self) -> usize {
        self.processes.len()
    }

    /// Whether the table has no process at all.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }

    /// A table whose pid search starts at `next_pid`, to reach the wrap quickly in tests.
    #[cfg(test)]
    pub(crate) fn with_next_pid(next_pid: Pid) -> Self {
        ProcessTable { next_pid, ..ProcessTable::new() }
    }

    /// Moves the pid cursor, to reach the wrap quickly in tests.
    #[cfg(test)]
    pub(crate) fn set_next_pid(&mut self, next_pid: Pid) {
        self.next_pid = next_pid;
    }

    /// Sets any credentials, as starting a set-user-id image would.
    #[cfg(test)]
    pub(crate) fn replace_credentials(&mut self, pid: Pid, credentials: Credentials) {
        if let Some(process) = self.processes.get_mut(&pid) {
            process.credentials = credentials;
        }
    }

    /// The stored waiters as (caller, selector as the table resolved it, token), oldest
    /// first.
    #[cfg(test)]
    pub(crate) fn stored_waiters(&self) -> Vec<(Pid, Selector, W)> {
        self.waiters
            .iter()
            .map(|stored| (stored.caller, stored.selector, stored.waiter.clone()))
            .collect()
    }

    /// Checks the table's own bookkeeping: member counters, child lists and parent links.
    #[cfg(test)]
    pub(crate) fn check_consistency(&self) {
        let mut groups = BTreeMap::new();
        let mut sessions = BTreeMap::new();
        for (&pid, process) in &self.processes {
            *groups.entry(process.group).or_insert(0_usize) += 1;
            *sessions.entry(process.session).or_insert(0_usize) += 1;
            if pid == INIT {
                assert_eq!(process.parent, 0, "init has no parent");
            } else {
                let parent = self.processes.get(&process.parent).unwrap_or_else(|| {
                    panic!("the parent {} of {pid} does not exist", process.parent)
                });
                let mentions = parent.children.iter().filter(|&&child| child == pid).count();
                assert_eq!(mentions, 1, "{pid} is listed once by its parent");
            }
            for child in &process.children {
                assert_eq!(
                    self.processes.get(child).map(|child| child.parent),
                    Some(pid),
                    "child {child} of {pid} names it as parent"
                );
            }
            // Every process reaches init by parent links.
            let mut walker = pid;
            let mut steps = 0;
            while walker != INIT {
                walker = self.processes[&walker].parent;
                steps += 1;
                assert!(steps <= self.processes.len(), "parent links of {pid} loop");
            }
        }
        assert_eq!(groups, self.group_members, "group member counters");
        assert_eq!(sessions, self.session_members, "session member counters");
        assert!(self.next_pid <= PID_MAX, "the pid cursor stays in range");
    }

    // Private helpers.

    /// The live process `pid`, or `ESRCH`.
    fn live(&self, pid: Pid) -> Result<&Process, Errno> {
        match self.processes.get(&pid) {
            Some(process) if !process.is_zombie() => Ok(process),
            _ => Err(Errno::Esrch),
        }
    }

    /// The live process `pid`, or `ESRCH`.
    fn live_mut(&mut self, pid: Pid) -> Result<&mut Process, Errno> {
        match self.processes.get_mut(&pid) {
            Some(process) if !process.is_zombie() => Ok(process),
            _ => Err(Errno::Esrch),
        }
    }

    /// The next free number, as Linux's `alloc_pid` (`idr_alloc_cyclic` from the last pid
    /// given plus 1, the floor raised to [`RESERVED_PIDS`] once the cursor has passed it).
    fn allocate(&mut self) -> Result<Pid, Errno> {
        let floor = if self.next_pid > RESERVED_PIDS { RESERVED_PIDS } else { 1 };
        let start = self.next_pid.max(floor);
        let found = (start..PID_MAX)
            .find(|&number| !self.is_in_use(number))
            .or_else(|| (floor..start).find(|&number| !self.is_in_use(number)));
        let pid = found.ok_or(Errno::Eagain)?;
        self.next_pid = pid + 1;
        Ok(pid)
    }

    /// `setsid()` then `setpgid(0, group)` in a new child, as `posix_spawn` does.
    fn apply_spawn_options(&mut self, child: Pid, options: SpawnOptions) -> Result<(), Errno> {
        if options.new_session {
            self.create_session(child)?;
        }
        if let Some(group) = options.process_group {
            self.set_process_group(child, 0, group)?;
        }
        Ok(())
    }

    /// Whether some process (zombies included) has group id `group` and is in `session`.
    fn group_in_session(&self, group: Pid, session: Pid) -> bool {
        self.group_members.contains_key(&group)
            && self
                .processes
                .values()
                .any(|process| process.group == group && process.session == session)
    }

    /// Adds a process and counts its group and session.
    fn insert(&mut self, pid: Pid, process: Process) {
        count_in(&mut self.group_members, process.group);
        count_in(&mut self.session_members, process.session);
        self.processes.insert(pid, process);
    }

    /// Removes a process (from its parent's children too) and uncounts its group and
    /// session; returns it.
    fn forget(&mut self, pid: Pid) -> Option<Process> {
        let process = self.processes.remove(&pid)?;
        count_out(&mut self.group_members, process.group);
        count_out(&mut self.session_members, process.session);
        if let Some(parent) = self.processes.get_mut(&process.parent) {
            parent.children.retain(|&child| child != pid);
        }
        Some(process)
    }

    /// Removes zombie `pid` and returns its wait status.
    fn reap(&mut self, pid: Pid) -> u32 {
        self.forget(pid).and_then(|process| process.exit_status).unwrap_or(0)
    }

    fn move_to_group(&mut self, pid: Pid, group: Pid) {
        let Some(process) = self.processes.get_mut(&pid) else { return };
        let old = core::mem::replace(&mut process.group, group);
        count_out(&mut self.group_members, old);
        count_in(&mut self.group_members, group);
    }

    fn move_to_session(&mut self, pid: Pid, session: Pid) {
        let Some(process) = self.processes.get_mut(&pid) else { return };
        let old = core::mem::replace(&mut process.session, session);
        count_out(&mut self.session_members, old);
        count_in(&mut self.session_members, session);
    }

    /// What the children of `caller` hold for `selector`: the oldest matching zombie,
    /// or whether any child matches.
    fn search(&self, caller: Pid, selector: Selector) -> Search {
        let Some(caller_process) = self.processes.get(&caller) else { return Search::Nothing };
        let mut running = false;
        for &child in &caller_process.children {
            let Some(child_process) = self.processes.get(&child) else { continue };
            if !selector.matches(child, child_process.group) {
                continue;
            }
            if child_process.is_zombie() {
                return Search::Zombie(child);
            }
            running = true;
        }
        if running { Search::Running } else { Search::Nothing }
    }

    /// Wakes the stored waiters of `parent` that wait for one of the `zombies` (pid,
    /// group) that just became its children, as Linux's wake-up of `wait_chldexit` with
    /// the child as key does; then each woken waiter, oldest first, looks again: it reaps
    /// the oldest matching zombie if there is one, fails with `ECHILD` if no child matches
    /// any more, or goes on waiting.
    fn answer_waiters(
        &mut self,
        parent: Pid,
        zombies: &[(Pid, Pid)],
        answers: &mut Vec<Answer<W>>,
    ) {
        let waiters = core::mem::take(&mut self.waiters);
        for stored in waiters {
            let woken = stored.caller == parent
                && zombies.iter().any(|&(zombie, group)| stored.selector.matches(zombie, group));
            if !woken {
                self.waiters.push(stored);
                continue;
            }
            let result = match self.search(parent, stored.selector) {
                Search::Running => {
                    self.waiters.push(stored);
                    continue;
                }
                Search::Zombie(child) => Ok((child, self.reap(child))),
                Search::Nothing => Err(Errno::Echild),
            };
            answers.push(Answer { waiter: stored.waiter, result });
        }
    }

    /// Linux's `check_kill_permission` for one target.
    fn may_signal(
        sender: Pid,
        sender_process: &Process,
        target: Pid,
        target_process: &Process,
        signal: u32,
    ) -> Result<(), Errno> {
        if signal > SIGNAL_MAX {
            return Err(Errno::Einval);
        }
        let from = sender_process.credentials;
        let to = target_process.credentials;
        let allowed = sender == target
            || from.euid == 0
            || from.euid == to.saved_uid
            || from.euid == to.uid
            || from.uid == to.saved_uid
            || from.uid == to.uid
            || (signal == SIGCONT && sender_process.session == target_process.session);
        if allowed { Ok(()) } else { Err(Errno::Eperm) }
    }

    /// Whether an allowed signal must actually be delivered to `pid`.
    fn receives(pid: Pid, process: &Process, signal: u32) -> bool {
        signal != 0 && pid != INIT && !process.is_zombie()
    }
}

fn count_in(counters: &mut BTreeMap<Pid, usize>, number: Pid) {
    *counters.entry(number).or_insert(0) += 1;
}

fn count_out(counters: &mut BTreeMap<Pid, usize>, number: Pid) {
    if let Some(count) = counters.get_mut(&number) {
        *count -= 1;
        if *count == 0 {
            counters.remove(&number);
        }
    }
}
