//! What the three System V families share: keys, ids with sequence numbers, and the
//! `kern_ipc_perm` permission rules, as Linux's `ipc/util.c` has them.
//!
//! - An [`IdTable`] holds one family's objects in slots. A new object takes the next free
//!   slot after the last one given (Linux's `idr_alloc_cyclic`), below a window of one and
//!   a half times the objects in use but at least [`MINIMUM_CYCLE`], and the table's sequence
//!   number advances whenever allocation wraps to a slot at or below the last one. An
//!   object's id is `sequence << SEQUENCE_SHIFT | slot`, so an id that names a removed
//!   object whose slot was reused fails with `EINVAL`, as Linux's `ipc_checkid` does.
//! - Keys are found through a `BTreeMap`, and ids through the slot index they contain:
//!   both logarithmic or constant, however many objects exist.
//! - [`IdTable::get_or_create`] is Linux's `ipcget`: `IPC_PRIVATE` always creates; an
//!   existing key with `IPC_CREAT | IPC_EXCL` is `EEXIST`; otherwise the family's own
//!   check (`more_checks`) comes first, then the permission check (`EACCES`); a missing
//!   key without `IPC_CREAT` is `ENOENT`; a full table is `ENOSPC`, after the family's
//!   own creation checks (Linux's `ipc_addid` comes last).
//! - [`permitted`] is `ipcperms`: the owner's, group's or others' bits of the mode,
//!   chosen by the caller's effective ids against the owner's and the creator's, with
//!   effective uid 0 (Courier's `CAP_IPC_OWNER`) allowed everything.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
pub use courier_abi::sysv::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE};

use courier_abi::Errno;

use crate::Credentials;

/// A System V key (`key_t`).
pub type Key = i32;

/// An object's id as the system calls return it.
pub type Id = i32;

/// The permission bits of a mode (`S_IRWXUGO`).
pub const MODE_BITS: u32 = 0o777;
/// What reading asks of [`permitted`] (`S_IRUGO`).
pub const READ: u32 = 0o444;
/// What writing (or altering) asks of [`permitted`] (`S_IWUGO`).
pub const WRITE: u32 = 0o222;

/// Most slots of a table (Linux's `IPCMNI`).
pub const SLOTS: usize = 32768;
/// Where the sequence number starts in an id (Linux's `IPCMNI_SHIFT`).
pub const SEQUENCE_SHIFT: u32 = 15;
/// Sequence numbers wrap to 0 here (Linux's `ipcid_seq_max`: `INT_MAX >> 15`).
pub const SEQUENCE_LIMIT: u32 = (i32::MAX as u32) >> SEQUENCE_SHIFT;
/// Slots are given cyclically below at least this many (Linux's `ipc_min_cycle`,
/// `RADIX_TREE_MAP_SIZE`), so that a few objects made and removed in turn reuse low slots
/// with a new sequence number, as on Linux.
pub const MINIMUM_CYCLE: usize = 64;
/// A user or group id Linux cannot represent (`(uid_t) -1`, which `make_kuid` refuses).
const INVALID_OWNER: u32 = u32::MAX;

/// `struct kern_ipc_perm`: who owns and who created an object, and its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// The key it was created with ([`IPC_PRIVATE`] for private ones).
    pub key: Key,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// Permission bits (low 9) and the family's state bits above them (`SHM_DEST`, ...).
    pub mode: u32,
    /// The sequence number in its id.
    pub sequence: u32,
}

/// Linux's `ipcperms`: whether `credentials` may do what `requested` asks (mode bits in
/// any of the three positions, as [`READ`], [`WRITE`] or a `*get` flag's low 9 bits).
pub fn permitted(permissions: &Permissions, credentials: &Credentials, requested: u32) -> bool {
    let requested = (requested >> 6 | requested >> 3 | requested) & 0o7;
    let granted = if credentials.euid == permissions.cuid || credentials.euid == permissions.uid {
        permissions.mode >> 6
    } else if credentials.egid == permissions.cgid || credentials.egid == permissions.gid {
        permissions.mode >> 3
    } else {
        permissions.mode
    };
    requested & !granted & 0o7 == 0 || credentials.is_privileged()
}

/// Linux's `ipcctl_obtain_check` rule for `IPC_SET` and `IPC_RMID`: the owner, the
/// creator or a privileged caller.
pub fn may_control(permissions: &Permissions, credentials: &Credentials) -> bool {
    credentials.euid == permissions.cuid
        || credentials.euid == permissions.uid
        || credentials.is_privileged()
}

/// `IPC_SET`'s change to the permissions (Linux's `ipc_update_perm`): new owner ids and
/// permission bits; `EPERM` unless [`may_control`], then `EINVAL` for a user or group id
/// of `-1`, which Linux cannot represent.
///
/// # Errors
///
/// `EPERM`, `EINVAL`.
pub fn set_permissions(
    permissions: &mut Permissions,
    credentials: &Credentials,
    uid: u32,
    gid: u32,
    mode: u32,
) -> Result<(), Errno> {
    if !may_control(permissions, credentials) {
        return Err(Errno::Eperm);
    }
    if uid == INVALID_OWNER || gid == INVALID_OWNER {
        return Err(Errno::Einval);
    }
    permissions.uid = uid;
    permissions.gid = gid;
    permissions.mode = (permissions.mode & !MODE_BITS) | (mode & MODE_BITS);
    Ok(())
}

/// One object and its permissions.
#[derive(Clone, Debug)]
struct Slot<T> {
    permissions: Permissions,
    object: T,
}

/// One family's objects by slot, with the key index.
#[derive(Clone, Debug)]
pub struct IdTable<T> {
    slots: Vec<Option<Slot<T>>>,
    keys: BTreeMap<Key, usize>,
    /// Objects in use.
    count: usize,
    /// Most objects (the family's `*MNI`, at most [`SLOTS`]).
    limit: usize,
    /// The slot given last (`None` before the first).
    last_slot: Option<usize>,
    /// The sequence number new objects get.
    sequence: u32,
}

/// The slot index inside an id.
const fn slot_of(id: Id) -> usize {
    (id as u32 & ((1 << SEQUENCE_SHIFT) - 1)) as usize
}

/// The id of `slot` with `sequence`.
const fn id_of(slot: usize, sequence: u32) -> Id {
    ((sequence << SEQUENCE_SHIFT) | slot as u32) as Id
}

impl<T> IdTable<T> {
    /// An empty table holding at most `limit` objects (capped at [`SLOTS`]).
    pub fn new(limit: usize) -> Self {
        IdTable {
            slots: Vec::new(),
            keys: BTreeMap::new(),
            count: 0,
            limit: limit.min(SLOTS),
            last_slot: None,
            sequence: 0,
        }
    }

    /// Objects in use.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The most objects this table holds.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Linux's `ipcget`. `flags` are the `*get` flags (`IPC_CREAT`, `IPC_EXCL`, mode
    /// bits). `check_existing` is the family's check of an existing object (Linux's
    /// `more_checks`: a semaphore set with fewer semaphores, a smaller segment), made
    /// before the permission check; `create` makes a new object (its error, such as a
    /// family limit, is the call's).
    ///
    /// # Errors
    ///
    /// `EEXIST`, `ENOENT`, `EACCES`, `ENOSPC`, or the closures' errors.
    pub fn get_or_create(
        &mut self,
        key: Key,
        flags: i32,
        credentials: &Credentials,
        create: impl FnOnce() -> Result<T, Errno>,
        check_existing: impl FnOnce(&T) -> Result<(), Errno>,
    ) -> Result<Id, Errno> {
        if key != IPC_PRIVATE
            && let Some(&slot) = self.keys.get(&key)
        {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(Errno::Eexist);
            }
            let Some(Some(entry)) = self.slots.get(slot) else { return Err(Errno::Eidrm) };
            check_existing(&entry.object)?;
            if !permitted(&entry.permissions, credentials, flags as u32 & MODE_BITS) {
                return Err(Errno::Eacces);
            }
            return Ok(id_of(slot, entry.permissions.sequence));
        }
        if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
            return Err(Errno::Enoent);
        }
        // The family's creation checks come before the table's limit, as Linux's `newque`,
        // `newary` and `newseg` call `ipc_addid` last; `insert` refuses a full table.
        let object = create()?;
        let permissions = Permissions {
            key,
            uid: credentials.euid,
            gid: credentials.egid,
            cuid: credentials.euid,
            cgid: credentials.egid,
            mode: flags as u32 & MODE_BITS,
            sequence: 0,
        };
        self.insert(permissions, object)
    }

    /// Adds an object with `permissions` (its sequence is set here) in the next free slot.
    ///
    /// # Errors
    ///
    /// `ENOSPC` when the table is full.
    pub fn insert(&mut self, mut permissions: Permissions, object: T) -> Result<Id, Errno> {
        if self.count >= self.limit {
            return Err(Errno::Enospc);
        }
        let slot = self.free_slot_after_last().ok_or(Errno::Enospc)?;
        if self.last_slot.is_some_and(|last| slot <= last) {
            self.sequence += 1;
            if self.sequence >= SEQUENCE_LIMIT {
                self.sequence = 0;
            }
        }
        self.last_slot = Some(slot);
        permissions.sequence = self.sequence;
        if slot >= self.slots.len() {
            self.slots.resize_with(slot + 1, || None);
        }
        if permissions.key != IPC_PRIVATE {
            self.keys.insert(permissions.key, slot);
        }
        self.slots[slot] = Some(Slot { permissions, object });
        self.count += 1;
        Ok(id_of(slot, permissions.sequence))
    }

    /// The first free slot after the last one given, wrapping to 0 (`idr_alloc_cyclic`)
    /// within Linux's window: slots below the larger of one and a half times the objects in
    /// use and [`MINIMUM_CYCLE`], at most the limit (`ipc_idr_alloc`).
    fn free_slot_after_last(&self) -> Option<usize> {
        let window = (self.count * 3 / 2).max(MINIMUM_CYCLE).min(self.limit);
        let start = self.last_slot.map_or(0, |last| last + 1);
        let free = |slot: &usize| self.slots.get(*slot).is_none_or(Option::is_none);
        (start..window).find(free).or_else(|| (0..start.min(window)).find(free))
    }

    /// The object `id` names.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a negative id, an empty slot or a stale sequence number.
    pub fn lookup(&self, id: Id) -> Result<(&Permissions, &T), Errno> {
        if id < 0 {
            return Err(Errno::Einval);
        }
        match self.slots.get(slot_of(id)) {
            Some(Some(entry)) if entry.permissions.sequence == (id as u32) >> SEQUENCE_SHIFT => {
                Ok((&entry.permissions, &entry.object))
            }
            _ => Err(Errno::Einval),
        }
    }

    /// The object `id` names, to change.
    ///
    /// # Errors
    ///
    /// As [`IdTable::lookup`].
    pub fn lookup_mut(&mut self, id: Id) -> Result<(&mut Permissions, &mut T), Errno> {
        if id < 0 {
            return Err(Errno::Einval);
        }
        match self.slots.get_mut(slot_of(id)) {
            Some(Some(entry)) if entry.permissions.sequence == (id as u32) >> SEQUENCE_SHIFT => {
                Ok((&mut entry.permissions, &mut entry.object))
            }
            _ => Err(Errno::Einval),
        }
    }

    /// Removes the object `id` names (its key becomes free at once, as after Linux's
    /// `ipc_rmid`).
    ///
    /// # Errors
    ///
    /// As [`IdTable::lookup`].
    pub fn remove(&mut self, id: Id) -> Result<(Permissions, T), Errno> {
        self.lookup(id)?;
        let slot = slot_of(id);
        let entry = self.slots[slot].take().ok_or(Errno::Einval)?;
        if entry.permissions.key != IPC_PRIVATE {
            self.keys.remove(&entry.permissions.key);
        }
        self.count -= 1;
        Ok((entry.permissions, entry.object))
    }

    /// Forgets an object's key so that `*get` no longer finds it (`shmctl(IPC_RMID)` on a
    /// segment still attached: Linux makes it `IPC_PRIVATE`); its id still works.
    ///
    /// # Errors
    ///
    /// As [`IdTable::lookup`].
    pub fn forget_key(&mut self, id: Id) -> Result<(), Errno> {
        let (permissions, _) = self.lookup_mut(id)?;
        let key = permissions.key;
        permissions.key = IPC_PRIVATE;
        if key != IPC_PRIVATE {
            self.keys.remove(&key);
        }
        Ok(())
    }

    /// The object in slot `slot` with its id (for `MSG_STAT`, `SEM_STAT`, `SHM_STAT`,
    /// which take a slot index).
    pub fn by_slot(&self, slot: usize) -> Option<(Id, &Permissions, &T)> {
        match self.slots.get(slot) {
            Some(Some(entry)) => {
                Some((id_of(slot, entry.permissions.sequence), &entry.permissions, &entry.object))
            }
            _ => None,
        }
    }

    /// The highest slot in use (what `IPC_INFO` and `*_INFO` return), or `None`.
    pub fn highest_slot(&self) -> Option<usize> {
        self.slots.iter().rposition(Option::is_some)
    }

    /// Every object with its id, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Id, &Permissions, &T)> {
        self.slots.iter().enumerate().filter_map(|(slot, entry)| {
            entry.as_ref().map(|entry| {
                (id_of(slot, entry.permissions.sequence), &entry.permissions, &entry.object)
            })
        })
    }

    /// Every object, to change, with its id, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Id, &mut Permissions, &mut T)> {
        self.slots.iter_mut().enumerate().filter_map(|(slot, entry)| {
            entry.as_mut().map(|entry| {
                let id = id_of(slot, entry.permissions.sequence);
                (id, &mut entry.permissions, &mut entry.object)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Credentials = Credentials { pid: 1, uid: 0, euid: 0, gid: 0, egid: 0 };
    const USER: Credentials = Credentials { pid: 2, uid: 1000, euid: 1000, gid: 100, egid: 100 };
    const OTHER: Credentials = Credentials { pid: 3, uid: 1001, euid: 1001, gid: 101, egid: 101 };

    fn create(
        table: &mut IdTable<u32>,
        key: Key,
        flags: i32,
        who: &Credentials,
    ) -> Result<Id, Errno> {
        table.get_or_create(key, flags, who, || Ok(7), |_| Ok(()))
    }

    #[test]
    fn keys_create_find_and_refuse_as_ipcget_does() {
        let mut table = IdTable::new(4);
        assert_eq!(create(&mut table, 42, 0o600, &USER), Err(Errno::Enoent));
        let id = create(&mut table, 42, IPC_CREAT | 0o600, &USER).unwrap();
        assert_eq!(create(&mut table, 42, 0, &USER), Ok(id));
        assert_eq!(create(&mut table, 42, IPC_CREAT, &USER), Ok(id));
        assert_eq!(create(&mut table, 42, IPC_CREAT | IPC_EXCL, &USER), Err(Errno::Eexist));
        assert_eq!(create(&mut table, 42, 0o400, &OTHER), Err(Errno::Eacces));
        assert_eq!(create(&mut table, 42, 0, &OTHER), Ok(id));
        assert_eq!(create(&mut table, 42, 0o400, &ROOT), Ok(id));
        let private = create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
        assert_ne!(private, id);
        assert_ne!(create(&mut table, IPC_PRIVATE, 0, &USER).unwrap(), private);
        create(&mut table, 43, IPC_CREAT, &USER).unwrap();
        assert_eq!(create(&mut table, 44, IPC_CREAT, &USER), Err(Errno::Enospc));
        let (permissions, _) = table.lookup(id).unwrap();
        assert_eq!((permissions.uid, permissions.cgid, permissions.mode), (1000, 100, 0o600));
    }

    #[test]
    fn the_family_check_comes_before_the_permission_check() {
        let mut table = IdTable::new(4);
        create(&mut table, 5, IPC_CREAT, &USER).unwrap();
        let outcome = table.get_or_create(5, 0o600, &OTHER, || Ok(0), |_| Err(Errno::Einval));
        assert_eq!(outcome, Err(Errno::Einval));
    }

    #[test]
    fn ids_carry_a_sequence_so_reused_slots_are_detected() {
        let mut table = IdTable::new(3);
        let first = create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
        let second = create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
        assert_eq!((first, second), (0, 1));
        table.remove(first).unwrap();
        // Cyclic: slot 2 next, then wrapping to slot 0 with a new sequence number.
        assert_eq!(create(&mut table, IPC_PRIVATE, 0, &USER), Ok(2));
        let reused = create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
        assert_eq!(reused, 1 << SEQUENCE_SHIFT);
        assert_eq!(table.lookup(first).map(|_| ()), Err(Errno::Einval));
        assert!(table.lookup(reused).is_ok());
        assert_eq!(table.lookup(-1).map(|_| ()), Err(Errno::Einval));
        assert_eq!(table.lookup(12345).map(|_| ()), Err(Errno::Einval));
        assert_eq!(table.highest_slot(), Some(2));
        assert_eq!(table.by_slot(0).map(|(id, _, _)| id), Some(reused));
    }

    #[test]
    fn slots_cycle_below_linux_window() {
        let mut table = IdTable::new(SLOTS);
        // Made and removed in turn: slots 0 to 63, then 0 again with the next sequence.
        for expected in (0..MINIMUM_CYCLE).chain(0..3) {
            let id = create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
            assert_eq!(slot_of(id), expected);
            table.remove(id).unwrap();
        }
        assert_eq!(table.sequence, 1);
        // With 100 in use the window is 150 wide.
        let held: Vec<Id> =
            (0..100).map(|_| create(&mut table, IPC_PRIVATE, 0, &USER).unwrap()).collect();
        assert_eq!(slot_of(held[99]), 102);
    }

    #[test]
    fn creation_checks_come_before_the_table_limit() {
        let mut table = IdTable::new(1);
        create(&mut table, IPC_PRIVATE, 0, &USER).unwrap();
        let refused = table.get_or_create(IPC_PRIVATE, 0, &USER, || Err(Errno::Einval), |_| Ok(()));
        assert_eq!(refused, Err(Errno::Einval));
        assert_eq!(create(&mut table, IPC_PRIVATE, 0, &USER), Err(Errno::Enospc));
    }

    #[test]
    fn permissions_follow_ipcperms() {
        let permissions = Permissions {
            key: 1,
            uid: 1000,
            gid: 100,
            cuid: 1000,
            cgid: 100,
            mode: 0o640,
            sequence: 0,
        };
        assert!(permitted(&permissions, &USER, READ | WRITE));
        let group_member = Credentials { uid: 5, euid: 5, ..USER };
        assert!(permitted(&permissions, &group_member, READ));
        assert!(!permitted(&permissions, &group_member, WRITE));
        assert!(!permitted(&permissions, &OTHER, READ));
        assert!(permitted(&permissions, &ROOT, READ | WRITE));
        assert!(permitted(&permissions, &OTHER, 0));
    }

    #[test]
    fn only_owner_creator_or_root_may_control() {
        let mut permissions = Permissions {
            key: 1,
            uid: 1000,
            gid: 100,
            cuid: 1000,
            cgid: 100,
            mode: 0o600,
            sequence: 0,
        };
        assert_eq!(set_permissions(&mut permissions, &OTHER, 1001, 101, 0o666), Err(Errno::Eperm));
        assert_eq!(set_permissions(&mut permissions, &USER, u32::MAX, 101, 0), Err(Errno::Einval));
        assert_eq!(set_permissions(&mut permissions, &USER, 1001, u32::MAX, 0), Err(Errno::Einval));
        assert_eq!(permissions.mode, 0o600);
        set_permissions(&mut permissions, &USER, 1001, 101, 0o1644).unwrap();
        assert_eq!((permissions.uid, permissions.gid, permissions.mode), (1001, 101, 0o644));
        // The creator keeps control after giving the object away.
        assert!(may_control(&permissions, &USER));
        assert!(may_control(&permissions, &OTHER));
        assert!(may_control(&permissions, &ROOT));
    }

    #[test]
    fn a_forgotten_key_frees_the_key_and_keeps_the_id() {
        let mut table = IdTable::new(4);
        let id = create(&mut table, 9, IPC_CREAT, &USER).unwrap();
        table.forget_key(id).unwrap();
        assert!(table.lookup(id).is_ok());
        assert_ne!(create(&mut table, 9, IPC_CREAT, &USER).unwrap(), id);
    }
}
