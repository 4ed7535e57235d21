//! The pure core of Courier's process server: pids, parents, process groups, sessions,
//! credentials, exit, wait, and what signals do to processes, with Linux's semantics.
//!
//! Nothing here makes a system call. The server's main loop decodes a request, calls one
//! method of [`ProcessTable`] with the caller's pid (the badge of its send handle), and
//! replies with the result; results that come later (a blocked `wait` answered when a child
//! ends, a stop request answered when the process continues) are handed back as
//! [`Answer`]s or [`Signalling::Resume`]s naming the waiter token the server chose (its
//! pending reply), and signals as [`Signalling`] actions, so the core never needs to know
//! how replies are sent or upcalls posted.
//!
//! # The rules, all Linux's
//!
//! - Pids are allocated as Linux's `alloc_pid` does: the number after the last one given,
//!   below [`PID_MAX`], wrapping to [`RESERVED_PIDS`], skipping every number still in use as
//!   the pid, the process group id or the session id of any process (zombies included).
//!   Nothing else frees a number, so a group id is never reused while the group has a
//!   member, and a session id while the session has one.
//! - A process that ends becomes a zombie of its parent and its children go to [`INIT`]
//!   (Courier has no subreapers), zombies included. When a child ends, Linux wakes those
//!   waiters of its parent that wait for that child (its pid, its group, or any child; the
//!   wake-up is keyed by the child), and init's waiters for each zombie it adopts. The
//!   woken waiters look again, here in arrival order: one that finds a matching zombie
//!   reaps it, one that finds no matching child at all fails with `ECHILD`, the others
//!   wait on. A `wait` that reaps synchronously, or a child that changes group, wakes
//!   nobody, exactly as on Linux.
//! - Children are searched in the order they became children (creation order, re-parented
//!   children appended), which is the order of Linux's `children` list.
//! - Every process was started from an image, so for `setpgid` every child has "already
//!   called exec" and a parent can never move its children (`EACCES`); only the options of
//!   spawn (`POSIX_SPAWN_SETSID`, then `POSIX_SPAWN_SETPGROUP`, in glibc's order) move a
//!   child, as the child itself before exec.
//! - `kill` checks permission as Linux's `check_kill_permission` does (signal number first,
//!   then the credentials, then the `SIGCONT`-within-the-session rule) and combines the
//!   results of a group or of every process as `kill_something_info` does, including its
//!   quirk that `kill(-1, sig)` succeeds when every attempt failed with `EPERM`.
//! - Signals: proc decides what a signal does to a process as a whole (Linux's
//!   `prepare_signal`, `sig_ignored` and `do_notify_parent*`); the process's own libsys keeps
//!   handlers, masks and pending sets. Each process tells proc its dispositions
//!   ([`ProcessTable::set_disposition`]); proc discards signals the target ignores (init
//!   ignores every signal it does not catch, `SIGKILL` and `SIGSTOP` included), answers
//!   `SIGKILL` with [`Signalling::Kill`], and posts everything else as an upcall
//!   ([`Signalling::Post`]) carrying the target's continue generation. A stop signal's
//!   default action comes back as a stop request ([`ProcessTable::stop`]) echoing that
//!   generation: if a `SIGCONT` came in between (the generation moved on) the stop is void;
//!   otherwise the process stops and its request is held until a `SIGCONT`
//!   ([`Signalling::Resume`]) or its end. Signals sent to a stopped process are held and
//!   posted when it continues (stop signals excepted: `SIGCONT` flushes them, as Linux's
//!   `prepare_signal` does).
//! - Stops and continues are reported to the parent as Linux does: `SIGCHLD` with
//!   `CLD_STOPPED` or `CLD_CONTINUED` unless the parent set `SA_NOCLDSTOP`, and `waitpid`
//!   with `WUNTRACED` or `WCONTINUED` reports each once. A child's end posts `SIGCHLD`
//!   (`CLD_EXITED`, `CLD_KILLED`, `CLD_DUMPED`); with `SIGCHLD` ignored or `SA_NOCLDWAIT` the
//!   child is reaped at once (Linux's auto-reap). Deaths by a signal whose default action
//!   dumps core carry the core bit (no core file is written).
//! - Orphaned process groups (no member has a parent, other than init, in another group of
//!   the same session) are treated as Linux treats them: `SIGTSTP`, `SIGTTIN` and `SIGTTOU`
//!   do not stop their members (`get_signal`), and a group that becomes orphaned by an end
//!   while it has stopped members gets `SIGHUP` then `SIGCONT` (`kill_orphaned_pgrp`).
//! - Spawned children start a new image: caught signals return to the default, ignored ones
//!   stay ignored, as across Linux's `execve`.
//! - There are no threads, terminals, ptrace or subreapers yet. Zombies that [`INIT`]
//!   adopts are never reaped automatically, whatever init does with `SIGCHLD` (Linux would
//!   reap them at once when init ignores it).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod table;

#[cfg(test)]
mod model;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

pub use courier_abi::Errno;
pub use courier_abi::signal::SignalInfo;
pub use table::ProcessTable;

/// A process id (positive; 0 stands for "none" or "the caller", as in Linux's calls).
pub type Pid = u32;

/// The first process, the reaper of every orphan.
pub const INIT: Pid = 1;

/// One more than the largest pid: pids are `1..PID_MAX` (Linux's default `pid_max`).
pub const PID_MAX: Pid = 32768;

/// Where pid allocation starts again after wrapping past [`PID_MAX`] (Linux's
/// `RESERVED_PIDS`: the low numbers stay with the daemons that took them at boot).
pub const RESERVED_PIDS: Pid = 300;

/// A process's user and group ids (real, effective and saved), as Linux's `struct cred`
/// holds them (file-system ids follow the effective ones and are not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The real user id.
    pub uid: u32,
    /// The effective user id: the one permission checks use.
    pub euid: u32,
    /// The saved set-user-id.
    pub saved_uid: u32,
    /// The real group id.
    pub gid: u32,
    /// The effective group id.
    pub egid: u32,
    /// The saved set-group-id.
    pub saved_gid: u32,
}

impl Credentials {
    /// The superuser: every id 0.
    pub const ROOT: Credentials =
        Credentials { uid: 0, euid: 0, saved_uid: 0, gid: 0, egid: 0, saved_gid: 0 };
}

/// What a spawned child does to itself before it starts its image, as the attributes of
/// `posix_spawn` do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnOptions {
    /// `POSIX_SPAWN_SETPGROUP`: `setpgid(0, group)` in the child; `Some(0)` makes a new
    /// group led by the child.
    pub process_group: Option<Pid>,
    /// `POSIX_SPAWN_SETSID`: `setsid()` in the child (applied before `process_group`).
    pub new_session: bool,
}

/// Facts about one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The parent (0 for [`INIT`]).
    pub parent: Pid,
    /// The process group id.
    pub process_group: Pid,
    /// The session id.
    pub session: Pid,
    /// Whether the process has ended and waits to be reaped.
    pub zombie: bool,
    /// Whether the process is stopped (by a stop signal, until a `SIGCONT`).
    pub stopped: bool,
    /// The user and group ids.
    pub credentials: Credentials,
}

/// What a call to [`ProcessTable::wait`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// A child was reaped, or (with `WUNTRACED` or `WCONTINUED`) its stop or continue is
    /// reported: answer its pid and wait status.
    Reaped {
        /// The child.
        pid: Pid,
        /// Its wait status word (Linux's encoding).
        status: u32,
    },
    /// `WNOHANG` and no matching child has anything to report: answer pid 0.
    NothingYet,
    /// The waiter was stored; it comes back in an [`Answer`] (or is dropped with its
    /// caller, or removed by [`ProcessTable::cancel_wait`]).
    Blocked,
    /// The call failed.
    Failed(Errno),
}

/// A stored waiter that can be answered now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<W> {
    /// The token the waiter was stored with.
    pub waiter: W,
    /// The reaped (or stopped, or continued) child and its wait status, or `ECHILD` when
    /// nothing the waiter waits for remains.
    pub result: Result<(Pid, u32), Errno>,
}

/// What the server must do for a signal to one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signalling<W> {
    /// Post an upcall carrying `info` and the target's continue generation.
    Post {
        /// The process.
        pid: Pid,
        /// The signal and its information.
        info: SignalInfo,
        /// The target's continue generation, which a stop request echoes.
        generation: u32,
    },
    /// End the process now with this signal (SIGKILL).
    Kill {
        /// The process.
        pid: Pid,
        /// The signal that ends it.
        signal: u32,
    },
    /// Answer the stopped process's held stop request: it runs again.
    Resume {
        /// The process.
        pid: Pid,
        /// The token its stop request was held with.
        waiter: W,
    },
}

/// What the end of a process changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitOutcome<W> {
    /// Waiters to answer now, in the order they were answered.
    pub answers: Vec<Answer<W>>,
    /// The ended process's own stored waiters, in arrival order; nobody is left to answer.
    pub dropped_waiters: Vec<W>,
    /// The ended process's children, now children of [`INIT`], in their old order.
    pub reparented: Vec<Pid>,
    /// The process was [`INIT`]: the system is ending.
    pub init_exited: bool,
    /// Signals to deliver: `SIGCHLD` to [`INIT`] for each zombie it adopted, then to the
    /// parent (whichever of them does not discard it).
    pub signals: Vec<Signalling<W>>,
}

impl<W> ExitOutcome<W> {
    /// An outcome in which nothing happened.
    pub const fn nothing() -> Self {
        ExitOutcome {
            answers: Vec::new(),
            dropped_waiters: Vec::new(),
            reparented: Vec::new(),
            init_exited: false,
            signals: Vec::new(),
        }
    }
}

impl<W> Default for ExitOutcome<W> {
    fn default() -> Self {
        ExitOutcome::nothing()
    }
}

/// What a successful `kill` (or `sigqueue`, or a signal proc sends itself) must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillOutcome<W> {
    /// What to do, in order: for each target in ascending pid order, its action, and the
    /// actions it causes (a continued process's `SIGCHLD` to its parent, then its held
    /// signals). Empty for signal 0.
    pub signals: Vec<Signalling<W>>,
    /// Stored waiters answered because a target continued (`WCONTINUED`).
    pub answers: Vec<Answer<W>>,
}

impl<W> KillOutcome<W> {
    /// An outcome in which nothing happened.
    pub const fn nothing() -> Self {
        KillOutcome { signals: Vec::new(), answers: Vec::new() }
    }
}

impl<W> Default for KillOutcome<W> {
    fn default() -> Self {
        KillOutcome::nothing()
    }
}

/// What a stop request ([`ProcessTable::stop`]) produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopOutcome<W> {
    /// A `SIGCONT` came after the stop signal: answer the request at once, the process
    /// runs on.
    Continued,
    /// The process is stopped and its request held, to come back in a
    /// [`Signalling::Resume`] (or among the `dropped_waiters` of its end).
    Stopped {
        /// Stored waiters of the parent answered with the stop (`WUNTRACED`).
        answers: Vec<Answer<W>>,
        /// `SIGCHLD` to the parent, when it wants one.
        signals: Vec<Signalling<W>>,
    },
    /// The request failed: answer the error.
    Failed(Errno),
}
