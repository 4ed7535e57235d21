//! The pure core of Courier's System V IPC server: message queues ([`msg`]), semaphore
//! sets ([`sem`]) and shared memory segments ([`shm`]), each over the common key, id and
//! permission rules of [`ipc`], with the results and errno of Linux's `ipc/msg.c`,
//! `ipc/sem.c` and `ipc/shm.c`.
//!
//! Nothing here makes a system call. The server's main loop decodes a request, calls the
//! family's method with the caller's [`Credentials`] and the time, and replies; an
//! operation that must wait (`msgsnd` on a full queue, `msgrcv` with nothing to take,
//! `semop` that cannot proceed) is stored with the waiter token `W` the server chose (its
//! pending reply) and comes back later as an answer, so the core never blocks and never
//! needs to know how replies are sent. Lookups by key and by id are logarithmic (a
//! `BTreeMap` from key to slot, and the slot index inside the id).

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ipc;
pub mod msg;
pub mod sem;
pub mod shm;

pub use courier_abi::Errno;

/// Who is asking: the caller's pid and its user and group ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The caller's pid (recorded as `lspid`, `lrpid`, `sempid`, `shm_lpid` ...).
    pub pid: u32,
    /// Real user id.
    pub uid: u32,
    /// Effective user id (permission checks and ownership use it).
    pub euid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
}

impl Credentials {
    /// Whether the caller has Linux's `CAP_IPC_OWNER` / `CAP_SYS_ADMIN`: Courier gives
    /// them to effective uid 0.
    pub const fn is_privileged(&self) -> bool {
        self.euid == 0
    }
}
