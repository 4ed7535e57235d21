//! The process table: every process (live or zombie), its family, group, session,
//! credentials, signal dispositions and stop state, the stored waiters, and the pid
//! allocator.
//!
//! Processes live in a map ordered by pid; each keeps its children in the order they
//! became its children. Two counters per number (members of the group with that id,
//! members of the session with that id) make "is this number in use" a lookup, which pid
//! allocation asks for every candidate. Stored waiters are one queue in arrival order.
//!
//! Every signal to one process goes through one function, `send`, Linux's
//! `prepare_signal` and `sig_ignored` in one place: `SIGCONT` first continues a stopped
//! process, then an ignored signal is discarded, `SIGKILL` ends the process, a stopped
//! process holds the signal, and anything else is posted. A process keeps one unreported
//! state change for `waitpid` (stopped, or continued), as Linux's `SIGNAL_STOP_STOPPED` and
//! `SIGNAL_STOP_CONTINUED` flags: a continue replaces an unreported stop, a stop an
//! unreported continue.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::proc::{
    PROCESS_NAME_BYTES, WAIT_CONTINUED as CONTINUED_OPTION, WAIT_NO_HANG,
    WAIT_UNTRACED as UNTRACED_OPTION,
};
use courier_abi::signal::{
    CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, DefaultAction, Disposition,
    SA_NOCLDSTOP, SA_NOCLDWAIT, SI_KERNEL, SI_QUEUE, SI_USER, SIGCHLD, SIGCONT, SIGHUP, SIGKILL,
    SIGNAL_MAX, SIGSTOP, SignalInfo, SignalSet, default_action, is_realtime, is_signal,
};

use crate::{
    Answer, Credentials, ExitOutcome, INIT, KillOutcome, PID_MAX, Pid, ProcessInfo, RESERVED_PIDS,
    Signalling, SpawnOptions, StopOutcome, WaitOutcome,
};

/// `WUNTRACED`: also report stopped children.
const WAIT_UNTRACED: u32 = UNTRACED_OPTION as u32;
/// `WCONTINUED`: also report continued children.
const WAIT_CONTINUED: u32 = CONTINUED_OPTION as u32;
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
/// The option bits that choose what a wait reports besides ends (kept with stored waiters).
const WAIT_REPORTS: u32 = WAIT_UNTRACED | WAIT_CONTINUED;

/// The low byte of the wait status of a stopped child (`WIFSTOPPED`; the signal is above).
const STATUS_STOPPED: u32 = 0x7f;
/// The wait status of a continued child (`WIFCONTINUED`).
const STATUS_CONTINUED: u32 = 0xffff;
/// The core-dump bit of the wait status of a child killed by a signal (`WCOREDUMP`).
const STATUS_CORE_DUMPED: u32 = 0x80;
/// The signal bits of a wait status (`WTERMSIG`).
const STATUS_SIGNAL: u32 = 0x7f;

/// How many signals a stopped process holds before real-time signals, too, are held only
/// once each (as Linux keeps only the pending bit of a signal it has no queue entry left
/// for), so that no sender can make proc's memory grow without bound.
pub(crate) const HELD_SIGNALS_MAX: usize = 256;

/// What a process does with each signal, as far as proc needs to know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Dispositions {
    /// Signals set to `SIG_IGN`.
    ignored: SignalSet,
    /// Signals with a handler.
    caught: SignalSet,
    /// `SA_NOCLDSTOP` and `SA_NOCLDWAIT` of `SIGCHLD`'s `sigaction`.
    child_flags: u64,
}

impl Dispositions {
    /// Whether `signal` sent to process `pid` is discarded: Linux's `sig_ignored` (set to
    /// `SIG_IGN`, or `SIG_DFL` with "ignore" as default action), and for [`INIT`] every
    /// signal it has no handler for (`SIGKILL` and `SIGSTOP` included).
    fn discards(self, pid: Pid, signal: u32) -> bool {
        if pid == INIT {
            return !self.caught.contains(signal);
        }
        self.ignored.contains(signal)
            || (!self.caught.contains(signal)
                && default_action(signal) == Some(DefaultAction::Ignore))
    }

    /// The dispositions a new image starts with (Linux's `flush_signal_handlers` at
    /// `execve`): handlers back to the default, ignored signals still ignored, no flags.
    fn for_new_image(self) -> Dispositions {
        Dispositions { ignored: self.ignored, caught: SignalSet::EMPTY, child_flags: 0 }
    }

    /// Whether ended children are reaped at once, never zombies (Linux's
    /// `do_notify_parent`: `SIGCHLD` set to `SIG_IGN`, or `SA_NOCLDWAIT`).
    fn reaps_children_at_once(self) -> bool {
        self.ignored.contains(SIGCHLD) || self.child_flags & SA_NOCLDWAIT != 0
    }

    /// Whether a child's stop or continue may send `SIGCHLD` (no `SA_NOCLDSTOP`).
    fn wants_stop_notices(self) -> bool {
        self.child_flags & SA_NOCLDSTOP == 0
    }
}

/// A stopped process's held stop request.
#[derive(Clone, Debug)]
struct Stop<W> {
    /// The token the request is held with.
    waiter: W,
}

/// A state change a wait has not reported yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// Stopped by this signal (`WUNTRACED`).
    Stopped(u32),
    /// Continued (`WCONTINUED`).
    Continued,
}

/// A process's signal state as the tests compare it.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignalState {
    /// The continue generation.
    pub(crate) continue_generation: u32,
    /// The state change not reported yet.
    pub(crate) unreported: Option<Report>,
    /// Whether it is stopped.
    pub(crate) stopped: bool,
    /// The signals it holds.
    pub(crate) held: Vec<SignalInfo>,
}

/// One process.
#[derive(Clone, Debug)]
struct Process<W> {
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
    /// What it does with each signal.
    dispositions: Dispositions,
    /// `Some` while it is stopped.
    stop: Option<Stop<W>>,
    /// Counts the `SIGCONT`s it received (wrapping); a stop request carries the count its
    /// stop signal was posted with, and is void if the count moved on.
    continue_generation: u32,
    /// The state change a wait has not reported yet.
    unreported: Option<Report>,
    /// Signals that came while it was stopped, in arrival order, posted when it continues.
    held: Vec<SignalInfo>,
    /// The name it was started under (its image name, cut to `PROCESS_NAME_BYTES`).
    name: String,
}

impl<W> Process<W> {
    /// A new running process with no children.
    const fn new(
        parent: Pid,
        group: Pid,
        session: Pid,
        credentials: Credentials,
        dispositions: Dispositions,
    ) -> Self {
        Process {
            parent,
            group,
            session,
            credentials,
            exit_status: None,
            children: Vec::new(),
            dispositions,
            stop: None,
            continue_generation: 0,
            unreported: None,
            held: Vec::new(),
            name: String::new(),
        }
    }

    const fn is_zombie(&self) -> bool {
        self.exit_status.is_some()
    }

    /// Holds a signal that came while the process is stopped. As Linux's `legacy_queue`, a
    /// standard signal already held is not held again (the first information is kept);
    /// real-time signals queue, up to [`HELD_SIGNALS_MAX`].
    fn hold(&mut self, info: SignalInfo) {
        let already_held = self.held.iter().any(|held| held.signal == info.signal);
        let queues = is_realtime(info.signal) && self.held.len() < HELD_SIGNALS_MAX;
        if !already_held || queues {
            self.held.push(info);
        }
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

/// What [`ProcessTable::group_links`] finds about one process group.
#[derive(Clone, Copy, Debug, Default)]
struct GroupLinks {
    /// Live members whose parent (not [`INIT`]) is in another group of the same session.
    outside: usize,
    /// Whether a member is stopped.
    stopped: bool,
}

/// A wait that could not be answered when it was made.
#[derive(Clone, Debug)]
struct StoredWaiter<W> {
    caller: Pid,
    selector: Selector,
    /// `WUNTRACED` and `WCONTINUED` as the wait asked.
    reports: u32,
    waiter: W,
}

/// What the children of a waiter hold for its selector and options.
enum Search {
    /// The first matching child (in the order of the children) that is a zombie or has a
    /// stop or continue to report that the wait asked for.
    Found(Pid),
    /// Matching children, none with anything to report.
    Running,
    /// No matching child.
    Nothing,
}

/// Every process and every stored wait. `W` is the server's token for a stored waiter
/// (its pending reply).
#[derive(Clone, Debug)]
pub struct ProcessTable<W> {
    processes: BTreeMap<Pid, Process<W>>,
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
            let dispositions = Dispositions::default();
            self.insert(INIT, Process::new(0, INIT, INIT, Credentials::ROOT, dispositions));
            self.next_pid = self.next_pid.max(INIT + 1);
        }
        INIT
    }

    /// Creates a child of `parent`, which must be live (else `ESRCH`). The child inherits
    /// the parent's group, session and credentials, and the signals it ignores (as across
    /// `execve`, handlers do not survive the new image: caught signals are back to the
    /// default, and `SIGCHLD`'s flags are cleared); then it applies `options` as it would
    /// itself before starting its image: `setsid()` first, then `setpgid(0, group)`.
    ///
    /// Fails with `EAGAIN` when every pid is in use, or with the error of `setsid` or
    /// `setpgid` (`EPERM`: a group that is not in the child's session, or both options,
    /// since a session leader cannot change its group; `EINVAL`: a group above
    /// `i32::MAX`). On failure no process is left behind; as on Linux, the pid that the
    /// failed child held is not given again next.
    pub fn create(&mut self, parent: Pid, options: SpawnOptions) -> Result<Pid, Errno> {
        let parent_process = self.live(parent)?;
        let child = Process::new(
            parent,
            parent_process.group,
            parent_process.session,
            parent_process.credentials,
            parent_process.dispositions.for_new_image(),
        );
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
    /// A status "killed by signal `s`" whose default action dumps core gets the core bit
    /// (`0x80`), as Linux reports it when the core size limit allows a dump (Courier
    /// writes no file). The process becomes a zombie of its parent, its own stored waiters
    /// are dropped (then its held stop request, if it was stopped, and its held signals),
    /// and its children (zombies too) become children of [`INIT`], which gets a `SIGCHLD`
    /// for each zombie among them (Linux's `reparent_leader`; those stay zombies). A process
    /// group of a child, or the process's own group, that this end leaves orphaned while
    /// it has stopped members gets `SIGHUP` then `SIGCONT` from the system (`SI_KERNEL`;
    /// Linux's `kill_orphaned_pgrp`; the ending process gets neither), with all their
    /// effects. Then the parent gets `SIGCHLD` (`CLD_EXITED` with the exit code,
    /// `CLD_KILLED` or `CLD_DUMPED` with the signal; the child's pid and real uid) unless
    /// it discards it. A parent with `SIGCHLD` set to `SIG_IGN` (no signal then) or with
    /// `SA_NOCLDWAIT` takes no zombie: the process is removed at once and its number freed
    /// (Linux's auto-reap).
    ///
    /// Then, as on Linux, the stored waiters of the parent that wait for the process, and
    /// those of [`INIT`] that wait for a zombie that just arrived, wake up and look again,
    /// oldest first: each takes the first matching child with something to report (a
    /// zombie it reaps, or a stop or continue its options ask for: an [`Answer`] with the
    /// pid and status), or fails with `ECHILD` if no matching child remains (another waiter
    /// took it, or it was reaped at once), or goes on waiting.
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
        let status = with_core_bit(status);
        // It becomes a zombie once its children are gone (below), as on Linux, where the
        // exit state is set after `forget_original_parent` and `kill_orphaned_pgrp`.
        process.held = Vec::new();
        process.unreported = None;
        let stop = process.stop.take();
        let (parent, group, session) = (process.parent, process.group, process.session);
        let ended = (pid, group);
        let notice = exit_notice(pid, process.credentials.uid, status);
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
        if let Some(stop) = stop {
            outcome.dropped_waiters.push(stop.waiter);
        }

        // Linux's forget_original_parent: the children go to init, which hears of each
        // zombie among them; a child's group, in the same session but not the ended
        // process's group, may lose its last link outside (reparent_leader and
        // kill_orphaned_pgrp). The links are counted once, before any child moves.
        let linked_groups: Vec<Pid> = orphans
            .iter()
            .filter_map(|orphan| self.processes.get(orphan))
            .filter(|orphan| orphan.group != group && orphan.session == session)
            .map(|orphan| orphan.group)
            .collect();
        let mut links = self.group_links(&linked_groups, None);
        // Zombies that init receives, as (pid, group): each wakes init's waiters for it.
        let mut arrived_at_init = Vec::new();
        for orphan in orphans {
            let mut orphan_notice = None;
            let mut orphan_group = None;
            if let Some(orphan_process) = self.processes.get_mut(&orphan) {
                orphan_process.parent = INIT;
                if let Some(orphan_status) = orphan_process.exit_status {
                    arrived_at_init.push((orphan, orphan_process.group));
                    let uid = orphan_process.credentials.uid;
                    orphan_notice = Some(exit_notice(orphan, uid, orphan_status));
                }
                orphan_group = Some((orphan_process.group, orphan_process.is_zombie()));
            }
            if let Some(init) = self.processes.get_mut(&INIT) {
                init.children.push(orphan);
            }
            outcome.reparented.push(orphan);
            if let Some(orphan_notice) = orphan_notice {
                self.send(INIT, orphan_notice, &mut outcome.signals, &mut outcome.answers);
            }
            let Some((orphan_group, zombie)) = orphan_group else { continue };
            let Some(group_links) = links.get_mut(&orphan_group) else { continue };
            if !zombie {
                // Its parent was a link outside the group; init is none.
                group_links.outside = group_links.outside.saturating_sub(1);
            }
            if group_links.outside == 0 && group_links.stopped {
                group_links.stopped = false;
                let signals = &mut outcome.signals;
                self.hang_up_group(orphan_group, None, signals, &mut outcome.answers);
            }
        }

        // Linux's kill_orphaned_pgrp for the ended process's own group: it was a link
        // outside its group if its parent is in another group of the same session.
        if let Some(parent_process) = self.processes.get(&parent)
            && parent_process.group != group
            && parent_process.session == session
        {
            let own = self.group_links(&[group], Some(pid)).remove(&group).unwrap_or_default();
            if own.outside == 0 && own.stopped {
                self.hang_up_group(group, Some(pid), &mut outcome.signals, &mut outcome.answers);
            }
        }
        if let Some(process) = self.processes.get_mut(&pid) {
            process.exit_status = Some(status);
        }

        // Linux's do_notify_parent: SIGCHLD (unless discarded), and perhaps no zombie.
        if let Some(parent_process) = self.processes.get(&parent) {
            let reaps_at_once = parent_process.dispositions.reaps_children_at_once();
            self.send(parent, notice, &mut outcome.signals, &mut outcome.answers);
            if reaps_at_once {
                self.forget(pid);
            }
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
    /// fail with `EINVAL` (so does Linux's `WNOWAIT`, not supported), and `__WCLONE`
    /// without `__WALL` matches no child. `selector` `i32::MIN` fails with `ESRCH`.
    /// `selector` > 0 is that child, -1 any child, 0 any child in the caller's current
    /// group, < -1 any child in group `-selector`.
    ///
    /// The matching children are examined in order, and the first with something to
    /// report answers (Linux's `wait_consider_task`): a zombie is reaped; else, with
    /// `WUNTRACED`, an unreported stop by signal `s` is reported with status
    /// `(s << 8) | 0x7f`; else, with `WCONTINUED`, an unreported continue is reported with
    /// status `0xffff` (a report is given once; the child stays). With nothing to report,
    /// `WNOHANG` gives [`WaitOutcome::NothingYet`] and otherwise `waiter` is stored with
    /// its options ([`WaitOutcome::Blocked`]); with no matching child at all the call fails
    /// with `ECHILD`. An unknown or ended caller gets `ESRCH`.
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
        let reports = options & WAIT_REPORTS;
        match self.search(caller, selector, reports) {
            Search::Found(child) => WaitOutcome::Reaped { pid: child, status: self.collect(child) },
            Search::Running if options & WAIT_NO_HANG as u32 != 0 => WaitOutcome::NothingYet,
            Search::Running => {
                self.waiters.push(StoredWaiter { caller, selector, reports, waiter });
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

    /// `sigaction(signal, ...)` by `pid`: records what it now does with `signal`; `flags`
    /// matter only for `SIGCHLD` (`SA_NOCLDSTOP`, `SA_NOCLDWAIT`; other bits are ignored).
    ///
    /// `EINVAL` for a number that is not a signal (`1..=SIGNAL_MAX`) and for `SIGKILL` or
    /// `SIGSTOP` with anything but [`Disposition::Default`]; `ESRCH` for an unknown or ended
    /// process. As Linux's `do_sigaction`, a signal that becomes ignored is dropped from the
    /// signals the process holds. Setting `SIGCHLD` to `SIG_IGN` does not reap the zombies
    /// already there (nor does Linux).
    pub fn set_disposition(
        &mut self,
        pid: Pid,
        signal: u32,
        disposition: Disposition,
        flags: u64,
    ) -> Result<(), Errno> {
        let unchangeable = SignalSet::UNBLOCKABLE.contains(signal);
        if !is_signal(signal) || (unchangeable && disposition != Disposition::Default) {
            return Err(Errno::Einval);
        }
        let process = self.live_mut(pid)?;
        let dispositions = &mut process.dispositions;
        dispositions.ignored = dispositions.ignored.without(signal);
        dispositions.caught = dispositions.caught.without(signal);
        match disposition {
            Disposition::Default => {}
            Disposition::Ignore => dispositions.ignored = dispositions.ignored.with(signal),
            Disposition::Catch => dispositions.caught = dispositions.caught.with(signal),
        }
        if signal == SIGCHLD {
            dispositions.child_flags = flags & (SA_NOCLDSTOP | SA_NOCLDWAIT);
        }
        if dispositions.discards(pid, signal) {
            process.held.retain(|held| held.signal != signal);
        }
        Ok(())
    }

    /// `kill(target, signal)` by `sender`, as Linux's `kill`: which processes to signal, or
    /// why not, and what the signal does to each.
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
    ///
    /// Each allowed target, in ascending pid order, then receives the signal with
    /// information `SI_USER`, the sender's pid and real uid:
    ///
    /// - Signal 0 does nothing.
    /// - `SIGCONT` moves the target's continue generation on (voiding a stop still in
    ///   flight). A stopped target runs again ([`Signalling::Resume`]), its continue is
    ///   reported to its parent's waiters with `WCONTINUED` (the first that matches takes
    ///   it) and by `SIGCHLD` (`CLD_CONTINUED`, unless the parent has `SA_NOCLDSTOP` or
    ///   discards it), and the signals it held are posted in order (stop signals excepted:
    ///   `SIGCONT` flushes them). Then `SIGCONT` itself is posted unless the target ignores
    ///   it (its libsys drops its pending stop signals).
    /// - A signal the target ignores (`SIG_IGN`, or `SIG_DFL` with "ignore" as default
    ///   action; for [`INIT`], every signal it does not catch) is discarded.
    /// - `SIGKILL` ends the target ([`Signalling::Kill`]).
    /// - A stopped target holds the signal (a standard signal once) until it continues.
    /// - Anything else is posted ([`Signalling::Post`]) with the target's continue
    ///   generation; a stop signal comes back as a stop request ([`ProcessTable::stop`]).
    pub fn kill(&mut self, sender: Pid, target: i32, signal: u32) -> Result<KillOutcome<W>, Errno> {
        let targets = self.kill_targets(sender, target, signal)?;
        let uid = self.live(sender)?.credentials.uid;
        let info = SignalInfo { signal, code: SI_USER, pid: sender, uid, value: 0, status: 0 };
        Ok(self.send_to_each(&targets, info))
    }

    /// `sigqueue(pid, signal, value)` by `sender`: as [`ProcessTable::kill`] of one process
    /// (`ESRCH` for no such process, pid 0 included; the same permission rule; a zombie
    /// receives nothing), with information `SI_QUEUE` and `value`.
    pub fn queue(
        &mut self,
        sender: Pid,
        pid: Pid,
        signal: u32,
        value: u64,
    ) -> Result<KillOutcome<W>, Errno> {
        let sender_process = self.live(sender)?;
        let Some(process) = self.processes.get(&pid) else { return Err(Errno::Esrch) };
        Self::may_signal(sender, sender_process, pid, process, signal)?;
        let uid = sender_process.credentials.uid;
        let info = SignalInfo { signal, code: SI_QUEUE, pid: sender, uid, value, status: 0 };
        Ok(self.send_to_each(&[pid], info))
    }

    /// A signal proc sends on the system's behalf (an alarm: `SIGALRM` with `SI_KERNEL`):
    /// no permission check, sender pid 0 and uid 0, the effects of [`ProcessTable::kill`].
    /// Nothing happens for an unknown or ended process or a number that is not a signal.
    pub fn system_signal(&mut self, pid: Pid, signal: u32, code: i32) -> KillOutcome<W> {
        let info = SignalInfo { signal, code, pid: 0, uid: 0, value: 0, status: 0 };
        self.send_to_each(&[pid], info)
    }

    /// The libsys of `pid` found stop signal `signal` (posted with continue generation
    /// `generation`) deliverable with its default action and asks to stop, `waiter` being
    /// its pending request.
    ///
    /// `EINVAL` for a signal that is not a stop signal; `ESRCH` for an unknown or ended
    /// process; `EPERM` for [`INIT`] (which never receives a stop signal it does not catch,
    /// so never has a stop to make). If a `SIGCONT` came after the stop signal (the
    /// generation moved on), [`StopOutcome::Continued`]: the request is answered at once.
    /// A process already stopped has its request held already: `EBUSY`. As Linux's
    /// `get_signal`, `SIGTSTP`, `SIGTTIN` and `SIGTTOU` do nothing in an orphaned process
    /// group (no member has a parent, other than init, in another group of the same
    /// session; nobody is left to continue it): [`StopOutcome::Continued`]. Otherwise the
    /// process is stopped, holding `waiter` until a `SIGCONT` ([`Signalling::Resume`]) or
    /// its end (`dropped_waiters`); its stop is reported to its parent's waiters with
    /// `WUNTRACED` (the first that matches takes it) and by `SIGCHLD` (`CLD_STOPPED` with
    /// the signal, unless the parent has `SA_NOCLDSTOP` or discards it).
    pub fn stop(&mut self, pid: Pid, signal: u32, generation: u32, waiter: W) -> StopOutcome<W> {
        if !SignalSet::STOP.contains(signal) {
            return StopOutcome::Failed(Errno::Einval);
        }
        let process = match self.live_mut(pid) {
            Ok(process) => process,
            Err(error) => return StopOutcome::Failed(error),
        };
        if pid == INIT {
            return StopOutcome::Failed(Errno::Eperm);
        }
        if generation != process.continue_generation {
            return StopOutcome::Continued;
        }
        if process.stop.is_some() {
            return StopOutcome::Failed(Errno::Ebusy);
        }
        let group = process.group;
        if signal != SIGSTOP
            && self.group_links(&[group], None).get(&group).is_none_or(|links| links.outside == 0)
        {
            return StopOutcome::Continued;
        }
        let Some(process) = self.processes.get_mut(&pid) else {
            return StopOutcome::Failed(Errno::Esrch);
        };
        process.stop = Some(Stop { waiter });
        process.unreported = Some(Report::Stopped(signal));
        let (parent, key) = (process.parent, (pid, process.group));
        let mut answers = Vec::new();
        let mut signals = Vec::new();
        self.notify_parent_of_change(pid, CLD_STOPPED, signal, &mut signals, &mut answers);
        self.answer_waiters(parent, &[key], &mut answers);
        StopOutcome::Stopped { answers, signals }
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

    /// Names `pid` (its image name), cut to [`PROCESS_NAME_BYTES`] bytes at a character
    /// boundary. Does nothing for no such process.
    pub fn set_name(&mut self, pid: Pid, name: &str) {
        if let Some(process) = self.processes.get_mut(&pid) {
            let mut end = name.len().min(PROCESS_NAME_BYTES);
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            process.name = String::from(&name[..end]);
        }
    }

    /// The name of `pid` (empty if it was never named); `None` for no such process.
    pub fn name(&self, pid: Pid) -> Option<&str> {
        self.processes.get(&pid).map(|process| process.name.as_str())
    }

    /// The smallest pid above `after` in the table (zombies included), for listing.
    pub fn next_pid(&self, after: Pid) -> Option<Pid> {
        self.processes.range(after.saturating_add(1)..).next().map(|(&pid, _)| pid)
    }

    /// Facts about `pid`; `None` for no such process.
    pub fn info(&self, pid: Pid) -> Option<ProcessInfo> {
        self.processes.get(&pid).map(|process| ProcessInfo {
            parent: process.parent,
            process_group: process.group,
            session: process.session,
            zombie: process.is_zombie(),
            stopped: process.stop.is_some(),
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

    /// The `WUNTRACED` and `WCONTINUED` bits of each stored waiter, oldest first.
    #[cfg(test)]
    pub(crate) fn stored_waiter_reports(&self) -> Vec<u32> {
        self.waiters.iter().map(|stored| stored.reports).collect()
    }

    /// The signal state of `pid`: its continue generation, the state change not reported
    /// yet, whether it is stopped, and the signals it holds; `None` for no such
    /// process.
    #[cfg(test)]
    pub(crate) fn signal_state(&self, pid: Pid) -> Option<SignalState> {
        self.processes.get(&pid).map(|process| SignalState {
            continue_generation: process.continue_generation,
            unreported: process.unreported,
            stopped: process.stop.is_some(),
            held: process.held.clone(),
        })
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
            if process.is_zombie() {
                assert!(process.stop.is_none(), "zombie {pid} is not stopped");
                assert!(process.unreported.is_none(), "zombie {pid} has no report");
            }
            if process.stop.is_none() {
                assert!(process.held.is_empty(), "{pid} holds signals only while stopped");
                assert!(
                    !matches!(process.unreported, Some(Report::Stopped(_))),
                    "{pid} has an unreported stop only while stopped"
                );
            } else {
                assert_ne!(pid, INIT, "init never stops");
                assert_ne!(process.unreported, Some(Report::Continued), "stopped {pid}");
            }
            let disjoint = process.dispositions.ignored.intersection(process.dispositions.caught);
            assert!(disjoint.is_empty(), "{pid}: no signal both ignored and caught");
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
    fn live(&self, pid: Pid) -> Result<&Process<W>, Errno> {
        match self.processes.get(&pid) {
            Some(process) if !process.is_zombie() => Ok(process),
            _ => Err(Errno::Esrch),
        }
    }

    /// The live process `pid`, or `ESRCH`.
    fn live_mut(&mut self, pid: Pid) -> Result<&mut Process<W>, Errno> {
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
    fn insert(&mut self, pid: Pid, process: Process<W>) {
        count_in(&mut self.group_members, process.group);
        count_in(&mut self.session_members, process.session);
        self.processes.insert(pid, process);
    }

    /// Removes a process (from its parent's children too) and uncounts its group and
    /// session; returns it.
    fn forget(&mut self, pid: Pid) -> Option<Process<W>> {
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

    /// What the children of `caller` hold for `selector` and the `reports` options
    /// (`WUNTRACED`, `WCONTINUED`), examined in order as Linux's `wait_consider_task`
    /// does: the first that is a zombie or has a report the options ask for, or whether
    /// any child matches.
    fn search(&self, caller: Pid, selector: Selector, reports: u32) -> Search {
        let Some(caller_process) = self.processes.get(&caller) else { return Search::Nothing };
        let mut running = false;
        for &child in &caller_process.children {
            let Some(child_process) = self.processes.get(&child) else { continue };
            if !selector.matches(child, child_process.group) {
                continue;
            }
            let reportable = match child_process.unreported {
                Some(Report::Stopped(_)) => reports & WAIT_UNTRACED != 0,
                Some(Report::Continued) => reports & WAIT_CONTINUED != 0,
                None => false,
            };
            if child_process.is_zombie() || reportable {
                return Search::Found(child);
            }
            running = true;
        }
        if running { Search::Running } else { Search::Nothing }
    }

    /// Takes what `search` found in `child`: reaps a zombie, or consumes its unreported
    /// stop or continue; returns the wait status.
    fn collect(&mut self, child: Pid) -> u32 {
        let Some(process) = self.processes.get_mut(&child) else { return 0 };
        if process.is_zombie() {
            return self.reap(child);
        }
        match process.unreported.take() {
            Some(Report::Stopped(signal)) => signal << 8 | STATUS_STOPPED,
            Some(Report::Continued) => STATUS_CONTINUED,
            None => 0,
        }
    }

    /// Wakes the stored waiters of `parent` that wait for one of the `changed` children
    /// (pid, group): it ended, stopped or continued, as Linux's wake-up of `wait_chldexit`
    /// with the child as key (whatever the waiters' options). Then each woken waiter,
    /// oldest first, looks again: it takes the first matching child with something to
    /// report, fails with `ECHILD` if no child matches any more, or goes on waiting.
    fn answer_waiters(
        &mut self,
        parent: Pid,
        changed: &[(Pid, Pid)],
        answers: &mut Vec<Answer<W>>,
    ) {
        let waiters = core::mem::take(&mut self.waiters);
        for stored in waiters {
            let woken = stored.caller == parent
                && changed.iter().any(|&(child, group)| stored.selector.matches(child, group));
            if !woken {
                self.waiters.push(stored);
                continue;
            }
            let result = match self.search(parent, stored.selector, stored.reports) {
                Search::Running => {
                    self.waiters.push(stored);
                    continue;
                }
                Search::Found(child) => Ok((child, self.collect(child))),
                Search::Nothing => Err(Errno::Echild),
            };
            answers.push(Answer { waiter: stored.waiter, result });
        }
    }

    /// For each of `groups`, Linux's `will_become_orphaned_pgrp` (with `ignored` left out)
    /// and `has_stopped_jobs` in one pass over the processes: how many live members have a
    /// parent other than [`INIT`] in another group of the same session (none: the group is
    /// orphaned), and whether a member is stopped.
    fn group_links(&self, groups: &[Pid], ignored: Option<Pid>) -> BTreeMap<Pid, GroupLinks> {
        let mut links: BTreeMap<Pid, GroupLinks> =
            groups.iter().map(|&group| (group, GroupLinks::default())).collect();
        if links.is_empty() {
            return links;
        }
        for (&pid, process) in &self.processes {
            let Some(group_links) = links.get_mut(&process.group) else { continue };
            group_links.stopped |= process.stop.is_some();
            if process.is_zombie() || process.parent == INIT || Some(pid) == ignored {
                continue;
            }
            let Some(parent) = self.processes.get(&process.parent) else { continue };
            if parent.group != process.group && parent.session == process.session {
                group_links.outside += 1;
            }
        }
        links
    }

    /// Sends `SIGHUP`, then `SIGCONT`, to every member of `group` but `except` (the
    /// process that is ending), in ascending pid order, from the system, as Linux's
    /// `kill_orphaned_pgrp` does to a group that becomes orphaned with stopped members.
    fn hang_up_group(
        &mut self,
        group: Pid,
        except: Option<Pid>,
        signals: &mut Vec<Signalling<W>>,
        answers: &mut Vec<Answer<W>>,
    ) {
        let members: Vec<Pid> = self
            .processes
            .iter()
            .filter(|&(&pid, process)| process.group == group && Some(pid) != except)
            .map(|(&pid, _)| pid)
            .collect();
        for signal in [SIGHUP, SIGCONT] {
            let info = SignalInfo { signal, code: SI_KERNEL, pid: 0, uid: 0, value: 0, status: 0 };
            for &pid in &members {
                self.send(pid, info, signals, answers);
            }
        }
    }

    /// The processes `kill(target, signal)` by `sender` reaches, in ascending pid order
    /// (zombies and [`INIT`] included), or why it fails: the rules of
    /// [`ProcessTable::kill`].
    fn kill_targets(&self, sender: Pid, target: i32, signal: u32) -> Result<Vec<Pid>, Errno> {
        let sender_process = self.live(sender)?;
        if target > 0 {
            let pid = target.unsigned_abs();
            let Some(process) = self.processes.get(&pid) else { return Err(Errno::Esrch) };
            Self::may_signal(sender, sender_process, pid, process, signal)?;
            return Ok(Vec::from([pid]));
        }
        if target == i32::MIN {
            return Err(Errno::Esrch);
        }
        let mut targets = Vec::new();
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
                        targets.push(pid);
                    }
                    Err(Errno::Eperm) => {}
                    Err(other) => error = Some(other),
                }
            }
            return match (attempts, error) {
                (0, _) => Err(Errno::Esrch),
                (_, Some(error)) => Err(error),
                (_, None) => Ok(targets),
            };
        }
        let group = if target == 0 { sender_process.group } else { target.unsigned_abs() };
        let mut last_error = Errno::Esrch;
        for (&pid, process) in self.processes.iter().filter(|(_, process)| process.group == group) {
            match Self::may_signal(sender, sender_process, pid, process, signal) {
                Ok(()) => targets.push(pid),
                Err(error) => last_error = error,
            }
        }
        if targets.is_empty() { Err(last_error) } else { Ok(targets) }
    }

    /// Sends `info` to each of `targets` in turn.
    fn send_to_each(&mut self, targets: &[Pid], info: SignalInfo) -> KillOutcome<W> {
        let mut outcome = KillOutcome::nothing();
        for &pid in targets {
            self.send(pid, info, &mut outcome.signals, &mut outcome.answers);
        }
        outcome
    }

    /// What signal `info` does to process `pid` (allowed already), Linux's
    /// `prepare_signal` then `sig_ignored`: nothing for a zombie, an unknown process or
    /// signal 0; `SIGCONT` continues the process first; then a discarded signal does
    /// nothing more, `SIGKILL` ends the process, a stopped process holds the signal, and
    /// anything else is posted with the continue generation.
    fn send(
        &mut self,
        pid: Pid,
        info: SignalInfo,
        signals: &mut Vec<Signalling<W>>,
        answers: &mut Vec<Answer<W>>,
    ) {
        let signal = info.signal;
        match self.processes.get(&pid) {
            Some(process) if !process.is_zombie() && is_signal(signal) => {}
            _ => return,
        }
        if signal == SIGCONT {
            self.continue_process(pid, signals, answers);
        }
        let Some(process) = self.processes.get_mut(&pid) else { return };
        if process.dispositions.discards(pid, signal) {
            return;
        }
        if signal == SIGKILL {
            signals.push(Signalling::Kill { pid, signal });
        } else if process.stop.is_some() {
            process.hold(info);
        } else {
            signals.push(Signalling::Post { pid, info, generation: process.continue_generation });
        }
    }

    /// The `SIGCONT` part of Linux's `prepare_signal` for live process `pid`: the continue
    /// generation moves on, and a stopped process runs again (its request answered), has
    /// an unreported continue (for its parent's `WCONTINUED` waiters, who are woken), sends
    /// `SIGCHLD` to its parent, and gets the signals it held, stop signals excepted.
    fn continue_process(
        &mut self,
        pid: Pid,
        signals: &mut Vec<Signalling<W>>,
        answers: &mut Vec<Answer<W>>,
    ) {
        let Some(process) = self.processes.get_mut(&pid) else { return };
        process.continue_generation = process.continue_generation.wrapping_add(1);
        let Some(stop) = process.stop.take() else { return };
        process.unreported = Some(Report::Continued);
        let held = core::mem::take(&mut process.held);
        let generation = process.continue_generation;
        let (parent, key) = (process.parent, (pid, process.group));
        signals.push(Signalling::Resume { pid, waiter: stop.waiter });
        self.notify_parent_of_change(pid, CLD_CONTINUED, SIGCONT, signals, answers);
        self.answer_waiters(parent, &[key], answers);
        for info in held {
            if !SignalSet::STOP.contains(info.signal) {
                signals.push(Signalling::Post { pid, info, generation });
            }
        }
    }

    /// Linux's `do_notify_parent_cldstop`: `SIGCHLD` with `code` (`CLD_STOPPED` or
    /// `CLD_CONTINUED`) and `status` (the signal) from `child` to its parent, unless the
    /// parent has `SA_NOCLDSTOP` (or discards it).
    fn notify_parent_of_change(
        &mut self,
        child: Pid,
        code: i32,
        status: u32,
        signals: &mut Vec<Signalling<W>>,
        answers: &mut Vec<Answer<W>>,
    ) {
        let Some(process) = self.processes.get(&child) else { return };
        let (parent, uid) = (process.parent, process.credentials.uid);
        let Some(parent_process) = self.processes.get(&parent) else { return };
        if !parent_process.dispositions.wants_stop_notices() {
            return;
        }
        let status = status as i32;
        let info = SignalInfo { signal: SIGCHLD, code, pid: child, uid, value: 0, status };
        self.send(parent, info, signals, answers);
    }

    /// Linux's `check_kill_permission` for one target.
    fn may_signal(
        sender: Pid,
        sender_process: &Process<W>,
        target: Pid,
        target_process: &Process<W>,
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
}

/// `status` with the core bit set when it is "killed by signal `s`" and `s` dumps core by
/// default (Linux sets it when the dump succeeds; Courier reports it as with a core size
/// limit that allows dumps, and writes no file).
fn with_core_bit(status: u32) -> u32 {
    let signal = status & STATUS_SIGNAL;
    let killed = signal != 0 && signal != STATUS_STOPPED;
    if killed && default_action(signal) == Some(DefaultAction::CoreDump) {
        status | STATUS_CORE_DUMPED
    } else {
        status
    }
}

/// The `SIGCHLD` information for `child` (real uid `uid`) that ended with wait status
/// `status`: `CLD_EXITED` with the exit code, or `CLD_KILLED` / `CLD_DUMPED` with the
/// signal.
fn exit_notice(child: Pid, uid: u32, status: u32) -> SignalInfo {
    let signal = status & STATUS_SIGNAL;
    let (code, detail) = if signal == 0 {
        (CLD_EXITED, (status >> 8) & 0xff)
    } else if status & STATUS_CORE_DUMPED != 0 {
        (CLD_DUMPED, signal)
    } else {
        (CLD_KILLED, signal)
    };
    SignalInfo { signal: SIGCHLD, code, pid: child, uid, value: 0, status: detail as i32 }
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
