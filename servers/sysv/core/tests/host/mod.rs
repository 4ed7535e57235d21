//! What the Linux differential tests of the System V core share: the host's callers and
//! their credentials, a fresh IPC namespace when the test may make one, keys, times and
//! errno.
//!
//! - As root, each test case first moves its thread into a new IPC namespace
//!   (`unshare(CLONE_NEWIPC)` changes only the calling thread), so that the host's ids
//!   start as a fresh Linux's do and can be compared with the core's exactly, and its
//!   limits are Linux's defaults whatever the host's sysctls say. Without that privilege the
//!   host's own namespace is used: ids are compared through a mapping, and keys are chosen
//!   at random among those the host does not use.
//! - As root, the thread also drops its supplementary groups and then switches its
//!   effective user and group ids per call with the raw `setresuid` and `setresgid` system
//!   calls, which (unlike the C library's wrappers) change only the calling thread. Its real
//!   and saved user ids stay 0, so it can always switch back, and an effective uid other
//!   than 0 has no capabilities, which is what the core's [`Credentials::is_privileged`]
//!   models. Without root every caller is the test's own user.

use std::ffi::c_long;
use std::time::{SystemTime, UNIX_EPOCH};

use courier_sysv_core::Credentials;
use courier_sysv_core::Errno;
use courier_sysv_core::ipc::Key;

/// Who makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Effective uid and gid 0: privileged.
    Root,
    /// uid 1000, gid 100: creates most objects.
    Owner,
    /// uid 1001, gid 101: neither owner nor group.
    Other,
    /// uid 1002, gid 100: in the owner's group.
    Member,
}

impl Who {
    /// Effective user and group ids as root plays them.
    const fn ids(self) -> (u32, u32) {
        match self {
            Who::Root => (0, 0),
            Who::Owner => (1000, 100),
            Who::Other => (1001, 101),
            Who::Member => (1002, 100),
        }
    }
}

/// The test thread's situation on the host.
pub struct Host {
    /// Whether this thread is in an IPC namespace of its own, made for this case.
    pub fresh_namespace: bool,
    /// Whether the test runs as root and can play every [`Who`].
    pub privileged: bool,
    /// Root's effective capabilities here (some sandboxes withhold a few).
    capabilities: u64,
    pid: u32,
    own_ids: (u32, u32),
}

/// The current thread's last errno.
pub fn last_errno() -> Errno {
    let number = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    Errno::from_number(number).unwrap_or_else(|| panic!("errno {number} is not a Linux errno"))
}

/// A system call's return value, or its errno.
pub fn result_of(value: c_long) -> Result<c_long, Errno> {
    if value < 0 { Err(last_errno()) } else { Ok(value) }
}

/// The time in seconds, as the core is told it.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Whether a time the host reports agrees with the core's: both unset, or at most a second
/// apart (the core is given the time just before the host's call, and the kernel's coarse
/// clock may lag it by a tick or the second may change in between).
pub fn same_time(host: u64, core: u64) -> bool {
    (host == 0) == (core == 0) && host.abs_diff(core) <= 1
}

/// Capabilities the core assumes root has (`linux/capability.h`): bypassing System V
/// permission checks (`CAP_IPC_OWNER`).
pub const CAP_IPC_OWNER: u32 = 15;
/// `CAP_SYS_ADMIN`: `IPC_SET` and `IPC_RMID` of others' objects.
pub const CAP_SYS_ADMIN: u32 = 21;

/// This thread's effective capabilities (`CapEff` in `/proc/thread-self/status`).
fn effective_capabilities() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    let effective = status.lines().find_map(|line| line.strip_prefix("CapEff:"));
    effective.and_then(|value| u64::from_str_radix(value.trim(), 16).ok()).unwrap_or(0)
}

/// A raw system call with three integer arguments on this thread only.
fn thread_call(number: c_long, first: c_long, second: c_long, third: c_long) -> Result<(), Errno> {
    // SAFETY: `setresuid`, `setresgid` and `setgroups` with a null list take integers only;
    // made raw, they change the credentials of this thread alone.
    let value = unsafe { libc::syscall(number, first, second, third) };
    result_of(value).map(|_| ())
}

impl Host {
    /// Prepares the current thread for one test case: a fresh IPC namespace if possible,
    /// and no supplementary groups as root. `None` (after saying why) when the host has no
    /// System V IPC, or when root lacks one of the `required` capabilities, which the core
    /// gives effective uid 0.
    pub fn enter(required: &[u32]) -> Option<Host> {
        // SAFETY: `geteuid`, `getegid` and `getpid` only read the caller's ids.
        let (euid, egid, pid) = unsafe { (libc::geteuid(), libc::getegid(), libc::getpid()) };
        // The probe is made before the new namespace, whose ids must start fresh.
        // SAFETY: `msgget` takes integers only.
        let probe = unsafe { libc::msgget(libc::IPC_PRIVATE, 0o600) };
        if probe < 0 {
            let error = last_errno();
            if error == Errno::Enosys {
                eprintln!("skipped: the host has no System V IPC (msgget: ENOSYS)");
                return None;
            }
            panic!("msgget: {error:?}");
        }
        // SAFETY: `IPC_RMID` reads no buffer.
        unsafe { libc::msgctl(probe, libc::IPC_RMID, std::ptr::null_mut()) };
        let fresh_namespace = euid == 0 && {
            // SAFETY: `unshare(CLONE_NEWIPC)` moves this thread alone into a new IPC
            // namespace; no memory is passed.
            unsafe { libc::unshare(libc::CLONE_NEWIPC) == 0 }
        };
        let privileged = euid == 0 && thread_call(libc::SYS_setgroups, 0, 0, 0).is_ok();
        let capabilities = if privileged { effective_capabilities() } else { 0 };
        let host = Host {
            fresh_namespace,
            privileged,
            capabilities,
            pid: pid as u32,
            own_ids: (euid, egid),
        };
        let missing = required.iter().find(|&&capability| !host.root_has(capability));
        if let Some(missing) = missing.filter(|_| privileged) {
            eprintln!("skipped: root has no capability {missing} here, which the core assumes");
            return None;
        }
        Some(host)
    }

    /// Whether root here has `capability` (false without root).
    pub fn root_has(&self, capability: u32) -> bool {
        self.capabilities & 1 << capability != 0
    }

    /// The effective ids `who` has here.
    fn ids(&self, who: Who) -> (u32, u32) {
        if self.privileged { who.ids() } else { self.own_ids }
    }

    /// The core's credentials for `who`: every caller is this process.
    pub fn credentials(&self, who: Who) -> Credentials {
        let (uid, gid) = self.ids(who);
        Credentials { pid: self.pid, uid, euid: uid, gid, egid: gid }
    }

    /// Makes this thread's effective ids those of `who`.
    pub fn become_caller(&self, who: Who) {
        if !self.privileged {
            return;
        }
        let (uid, gid) = who.ids();
        thread_call(libc::SYS_setresuid, -1, 0, -1).expect("setresuid to root");
        thread_call(libc::SYS_setresgid, -1, c_long::from(gid), -1).expect("setresgid");
        thread_call(libc::SYS_setresuid, -1, c_long::from(uid), -1).expect("setresuid");
    }

    /// Makes this thread root again (or leaves it as it was without privilege).
    pub fn restore(&self) {
        self.become_caller(Who::Root);
    }

    /// Three keys for the test: small ones in a fresh namespace, otherwise random ones the
    /// host does not use.
    pub fn keys(&self, seed: u64) -> [Key; 3] {
        if self.fresh_namespace {
            return [1, 2, 3];
        }
        let mut state = seed ^ u64::from(self.pid) << 20 ^ now();
        loop {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let base = (state >> 33) as Key & 0x3fff_fff0 | 0x4000_0000;
            let keys = [base + 1, base + 2, base + 3];
            let unused = keys.iter().all(|&key| {
                // SAFETY: `msgget` and `shmget` without `IPC_CREAT` take integers only and
                // create nothing.
                let (queue, segment) = unsafe { (libc::msgget(key, 0), libc::shmget(key, 0, 0)) };
                queue < 0 && segment < 0
            });
            if unused {
                return keys;
            }
        }
    }
}

/// Checks that every object the core knows agrees with the host's: `pairs` gives each
/// object's core id and host id, `host` and `core` read their status (as root), and
/// `compare` compares two statuses. An object gone on both sides (`EINVAL`) agrees.
///
/// # Errors
///
/// The first disagreement, naming the `kind` of object and its core id.
pub fn same_objects<H, C>(
    kind: &str,
    pairs: impl IntoIterator<Item = (courier_sysv_core::ipc::Id, std::ffi::c_int)>,
    host: impl Fn(std::ffi::c_int) -> Result<H, Errno>,
    core: impl Fn(courier_sysv_core::ipc::Id) -> Result<C, Errno>,
    compare: impl Fn(&H, &C) -> Result<(), String>,
) -> Result<(), String> {
    for (core_id, host_id) in pairs {
        match (host(host_id), core(core_id)) {
            (Ok(host), Ok(core)) => {
                compare(&host, &core).map_err(|error| format!("{kind} {core_id}: {error}"))?;
            }
            (Err(Errno::Einval), Err(Errno::Einval)) => {}
            (expected, result) => {
                let expected = expected.map(|_| ());
                let result = result.map(|_| ());
                return Err(format!("{kind} {core_id}: host {expected:?}, core {result:?}"));
            }
        }
    }
    Ok(())
}

/// Runs a differential comparison and panics with its message when it fails.
pub fn run(comparison: Result<(), String>) {
    if let Err(error) = comparison {
        panic!("{error}");
    }
}
