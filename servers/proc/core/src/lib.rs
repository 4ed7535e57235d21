//! The pure core of Courier's process server: pids, parents, process groups, sessions,
//! credentials, exit, wait and the target rules of kill, with Linux's semantics.
//!
//! Nothing here makes a system call. The server's main loop decodes a request, calls one
//! method of [`ProcessTable`] with the caller's pid (the badge of its send handle), and
//! replies with the result; results that come later (a blocked `wait` answered when a child
//! ends) are handed back as [`Answer`]s naming the waiter token the server chose (its
//! pending reply), so the core never needs to know how replies are sent.
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
//! - There are no threads, stopped processes, signal dispositions, terminals or
//!   subreapers yet: `WUNTRACED` and `WCONTINUED` are accepted and change nothing, a child
//!   never stops, `SIGCHLD` is never ignored (so children never reap themselves), and no
//!   orphaned-group `SIGHUP` is ever due.

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
    /// The user and group ids.
    pub credentials: Credentials,
}

/// What a call to [`ProcessTable::wait`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// A child was reaped: answer its pid and wait status.
    Reaped {
        /// The child.
        pid: Pid,
        /// Its wait status word (Linux's encoding).
        status: u32,
    },
    /// `WNOHANG` and no matching child has ended: answer pid 0.
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
    /// The reaped child and its wait status, or `ECHILD` when nothing the waiter waits
    /// for remains.
    pub result: Result<(Pid, u32), Errno>,
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
}

impl<W> ExitOutcome<W> {
    /// An outcome in which nothing happened.
    pub const fn nothing() -> Self {
        ExitOutcome {
            answers: Vec::new(),
            dropped_waiters: Vec::new(),
            reparented: Vec::new(),
            init_exited: false,
        }
    }
}

impl<W> Default for ExitOutcome<W> {
    fn default() -> Self {
        ExitOutcome::nothing()
    }
}

/// What a successful `kill` must do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KillOutcome {
    /// The live processes the signal must be delivered to, in ascending pid order. Empty
    /// for signal 0; never holds zombies or [`INIT`] (which, having no handlers yet,
    /// ignores every signal as Linux's init ignores signals it does not handle).
    pub deliver_to: Vec<Pid>,
}
