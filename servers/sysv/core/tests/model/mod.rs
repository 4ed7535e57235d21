//! What the System V property tests' reference models share: the callers and Linux's
//! permission rules (`ipcperms` and the owner-or-creator check of `IPC_SET`/`IPC_RMID`),
//! written from `ipc/util.c` independently of the core.

use courier_sysv_core::Credentials;
use courier_sysv_core::ipc::Permissions;
use proptest::prelude::*;

/// Who makes a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Root,
    Owner,
    Other,
    Member,
}

/// Every caller.
#[allow(dead_code, reason = "each test binary that includes this module uses part of it")]
pub const EVERYONE: [Who; 4] = [Who::Root, Who::Owner, Who::Other, Who::Member];

impl Who {
    /// The caller's credentials: root; the owner (uid 1000, gid 100); someone else (uid
    /// 1001, gid 101); a member of the owner's group (uid 1002, gid 100).
    pub const fn credentials(self) -> Credentials {
        match self {
            Who::Root => Credentials { pid: 1, uid: 0, euid: 0, gid: 0, egid: 0 },
            Who::Owner => Credentials { pid: 10, uid: 1000, euid: 1000, gid: 100, egid: 100 },
            Who::Other => Credentials { pid: 11, uid: 1001, euid: 1001, gid: 101, egid: 101 },
            Who::Member => Credentials { pid: 12, uid: 1002, euid: 1002, gid: 100, egid: 100 },
        }
    }
}

/// `ipcperms`: `requested` in any of the three positions.
pub fn allowed(permissions: &Permissions, who: Who, requested: u32) -> bool {
    let credentials = who.credentials();
    if credentials.euid == 0 {
        return true;
    }
    let granted = if credentials.euid == permissions.uid || credentials.euid == permissions.cuid {
        permissions.mode >> 6
    } else if credentials.egid == permissions.gid || credentials.egid == permissions.cgid {
        permissions.mode >> 3
    } else {
        permissions.mode
    } & 0o7;
    let requested = (requested | requested >> 3 | requested >> 6) & 0o7;
    requested & !granted == 0
}

/// Whether `who` may change or remove the object: root, its owner or its creator.
pub fn controls(permissions: &Permissions, who: Who) -> bool {
    let euid = who.credentials().euid;
    euid == 0 || euid == permissions.uid || euid == permissions.cuid
}

/// A caller, the owner twice as likely as the others.
pub fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Root),
        Just(Who::Owner),
        Just(Who::Owner),
        Just(Who::Other),
        Just(Who::Member)
    ]
}
