//! Shared memory segments: the bookkeeping of `shmget`, `shmat`, `shmdt` and `shmctl`, with
//! the results and errno of Linux's `ipc/shm.c`.
//!
//! - A segment's memory is a kernel memory object the server owns; the core keeps an opaque
//!   token `O` for it. [`SharedMemory::get`] asks the caller to make one (the size rounded up
//!   to whole pages) when a segment is created, and the calls that end a segment hand the
//!   token back so that the server destroys the object. The server maps and unmaps the
//!   object; the core only counts attachments.
//! - `shmget` follows Linux's `newseg` and `shm_more_checks`: a new segment needs a size from
//!   [`SHMMIN`] to [`SHMMAX`] (`EINVAL`) and room in [`SHMALL`] pages over every segment
//!   (`ENOSPC`); an existing key asked for more than its size is `EINVAL`, before the
//!   permission check (size 0 is fine). `shm_segsz` keeps the requested size.
//! - Attachments are counted per process and segment, so that `shmdt` of a segment the
//!   process has no attachment of is `EINVAL`, an exiting process detaches everything, and
//!   a forked child inherits its parent's attachments (Linux's `shm_open` from `fork`).
//! - `IPC_RMID` destroys a segment nobody has attached; otherwise it marks it [`SHM_DEST`]
//!   and forgets its key (Linux's `ipc_set_key_private`), and the last detach destroys it.
//!   Until then its id still works for everything, `shmat` included, as on Linux (see
//!   `shmctl(2)`, NOTES).
//! - The attach address (`SHM_RND`, `SHM_REMAP` and their `EINVAL`s) is the server's to
//!   check before [`SharedMemory::attach`]: the core never sees addresses.
//! - Times are the `now` each call is given, in seconds; pids are the callers'.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use courier_abi::Errno;

use crate::Credentials;
use crate::ipc::{
    Id, IdTable, Key, Permissions, READ, SLOTS, WRITE, may_control, permitted, set_permissions,
};

/// Most segments (Linux's `SHMMNI`, `shm_ctlmni`).
pub const SHMMNI: usize = 4096;
/// Smallest segment in bytes (Linux's `SHMMIN`).
pub const SHMMIN: u64 = 1;
/// Largest segment in bytes (Linux's `SHMMAX`, `shm_ctlmax`).
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// Most pages over every segment (Linux's `SHMALL`, `shm_ctlall`).
pub const SHMALL: u64 = u64::MAX - (1 << 24);
/// The page size segments are rounded up to.
pub const PAGE_SIZE: u64 = 4096;
/// `shmat` flag: attach for reading only.
pub const SHM_RDONLY: i32 = 0o10000;
/// `shmat` flag: round the address down to `SHMLBA`.
pub const SHM_RND: i32 = 0o20000;
/// `shmat` flag: replace any mapping at the address.
pub const SHM_REMAP: i32 = 0o40000;
/// `shmat` flag: allow execution (asks for execute permission too).
pub const SHM_EXEC: i32 = 0o100000;
/// Mode bit: the segment goes at its last detach (set by `IPC_RMID`).
pub const SHM_DEST: u32 = 0o1000;
/// Mode bit: the segment is locked in memory (`SHM_LOCK`).
pub const SHM_LOCKED: u32 = 0o2000;

/// What `shmat` with [`SHM_EXEC`] asks of the permissions (`S_IXUGO`).
const EXECUTE: u32 = 0o111;

/// What `shmctl(IPC_STAT)` and `SHM_STAT` report (`struct shmid64_ds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentStatus {
    /// Owner, creator, mode (with [`SHM_DEST`] and [`SHM_LOCKED`]) and key.
    pub permissions: Permissions,
    /// The size asked for at creation, in bytes (`shm_segsz`).
    pub size: u64,
    /// Time of the last attach (0 if none).
    pub atime: u64,
    /// Time of the last detach (0 if none).
    pub dtime: u64,
    /// Time of creation or of the last `IPC_SET`.
    pub ctime: u64,
    /// Pid of the creator.
    pub cpid: u32,
    /// Pid of the last attach or detach (0 if none).
    pub lpid: u32,
    /// Attachments.
    pub nattch: u64,
}

/// What `shmctl(IPC_INFO)` reports (`struct shminfo64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedMemoryInfo {
    /// [`SHMMAX`].
    pub shmmax: u64,
    /// [`SHMMIN`].
    pub shmmin: u64,
    /// [`SHMMNI`].
    pub shmmni: u64,
    /// Most segments per process: [`SHMMNI`], as Linux reports it.
    pub shmseg: u64,
    /// [`SHMALL`].
    pub shmall: u64,
}

/// What `shmctl(SHM_INFO)` reports that the core knows (`struct shm_info`; resident and
/// swapped pages are the memory objects' to tell, and Linux reports no swap attempts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedMemoryUsage {
    /// Segments in use.
    pub used_ids: i32,
    /// Pages of every segment, their sizes rounded up (`shm_tot`).
    pub shm_tot: u64,
}

/// What the server maps for a successful `shmat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment<O> {
    /// The segment's memory object.
    pub object: O,
    /// The segment's size in bytes; the mapping covers it rounded up to whole pages.
    pub size: u64,
    /// Whether to map it writable (no [`SHM_RDONLY`]).
    pub writable: bool,
    /// Whether to map it executable ([`SHM_EXEC`]).
    pub executable: bool,
}

/// One segment (Linux's `struct shmid_kernel`).
#[derive(Clone, Debug)]
struct Segment<O> {
    object: O,
    size: u64,
    atime: u64,
    dtime: u64,
    ctime: u64,
    cpid: u32,
    lpid: u32,
    nattch: u64,
}

impl<O> Segment<O> {
    fn status(&self, permissions: &Permissions) -> SegmentStatus {
        SegmentStatus {
            permissions: *permissions,
            size: self.size,
            atime: self.atime,
            dtime: self.dtime,
            ctime: self.ctime,
            cpid: self.cpid,
            lpid: self.lpid,
            nattch: self.nattch,
        }
    }
}

/// The pages a segment of `size` bytes takes.
const fn pages(size: u64) -> u64 {
    size.div_ceil(PAGE_SIZE)
}

/// Every shared memory segment, and who has attached which.
#[derive(Clone, Debug)]
pub struct SharedMemory<O> {
    table: IdTable<Segment<O>>,
    /// Pages of every segment (Linux's `shm_tot`).
    total_pages: u64,
    /// How many times each process has attached each segment, by (pid, id).
    attachments: BTreeMap<(u32, Id), u64>,
}

impl<O: Clone> Default for SharedMemory<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: Clone> SharedMemory<O> {
    /// No segments.
    pub fn new() -> Self {
        SharedMemory { table: IdTable::new(SHMMNI), total_pages: 0, attachments: BTreeMap::new() }
    }

    /// Segments in use (those marked [`SHM_DEST`] and still attached included).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `shmget(key, size, flags)`: the segment `key` names, or a new one of `size` bytes
    /// whose memory object `create_object` makes, given the size rounded up to pages (its
    /// error is the call's). The new segment's `ctime` is `now` and `cpid` the caller's.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a new segment's size below [`SHMMIN`] or above [`SHMMAX`], or an
    /// existing segment smaller than `size`; `ENOSPC` beyond [`SHMALL`] pages or
    /// [`SHMMNI`] segments; `EEXIST`, `ENOENT`, `EACCES` as [`IdTable::get_or_create`].
    pub fn get(
        &mut self,
        key: Key,
        size: u64,
        flags: i32,
        credentials: &Credentials,
        now: u64,
        create_object: impl FnOnce(u64) -> Result<O, Errno>,
    ) -> Result<Id, Errno> {
        let full = self.table.len() >= self.table.limit();
        let total_pages = self.total_pages;
        let mut created_pages = 0;
        let create = || {
            if !(SHMMIN..=SHMMAX).contains(&size) {
                return Err(Errno::Einval);
            }
            let pages = pages(size);
            if total_pages.checked_add(pages).is_none_or(|total| total > SHMALL) || full {
                return Err(Errno::Enospc);
            }
            let object = create_object(pages * PAGE_SIZE)?;
            created_pages = pages;
            Ok(Segment {
                object,
                size,
                atime: 0,
                dtime: 0,
                ctime: now,
                cpid: credentials.pid,
                lpid: 0,
                nattch: 0,
            })
        };
        let check_existing =
            |segment: &Segment<O>| if segment.size < size { Err(Errno::Einval) } else { Ok(()) };
        let id = self.table.get_or_create(key, flags, credentials, create, check_existing)?;
        self.total_pages += created_pages;
        Ok(id)
    }

    /// `shmat(id, address, flags)` by `credentials`, once the server has checked the
    /// address: read permission, and write permission unless [`SHM_RDONLY`] (and execute
    /// permission with [`SHM_EXEC`]). The segment's `nattch` grows, `atime` becomes `now`
    /// and `lpid` the caller's pid.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no segment, `EACCES` without the permissions.
    pub fn attach(
        &mut self,
        id: Id,
        flags: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Attachment<O>, Errno> {
        let writable = flags & SHM_RDONLY == 0;
        let executable = flags & SHM_EXEC != 0;
        let requested = READ | if writable { WRITE } else { 0 } | if executable { EXECUTE } else { 0 };
        let (permissions, segment) = self.table.lookup_mut(id)?;
        if !permitted(permissions, credentials, requested) {
            return Err(Errno::Eacces);
        }
        segment.nattch += 1;
        segment.atime = now;
        segment.lpid = credentials.pid;
        *self.attachments.entry((credentials.pid, id)).or_default() += 1;
        Ok(Attachment { object: segment.object.clone(), size: segment.size, writable, executable })
    }

    /// `shmdt` of an attachment of segment `id` by process `pid`: `nattch` shrinks, `dtime`
    /// becomes `now` and `lpid` `pid`. The segment's memory object when this was the last
    /// attachment of a segment marked [`SHM_DEST`], to destroy.
    ///
    /// # Errors
    ///
    /// `EINVAL` when `pid` has no attachment of `id`.
    pub fn detach(&mut self, id: Id, pid: u32, now: u64) -> Result<Option<O>, Errno> {
        let Some(count) = self.attachments.get_mut(&(pid, id)) else {
            return Err(Errno::Einval);
        };
        let (permissions, segment) = self.table.lookup_mut(id)?;
        *count -= 1;
        if *count == 0 {
            self.attachments.remove(&(pid, id));
        }
        segment.nattch -= 1;
        segment.dtime = now;
        segment.lpid = pid;
        if segment.nattch == 0 && permissions.mode & SHM_DEST != 0 {
            return Ok(self.destroy(id));
        }
        Ok(None)
    }

    /// Process `pid` exited (or replaced its image with `exec`): every attachment it had is
    /// detached. The memory objects of the segments that went, to destroy.
    pub fn process_exit(&mut self, pid: u32, now: u64) -> Vec<O> {
        let held: Vec<(Id, u64)> = self
            .attachments
            .range((pid, Id::MIN)..=(pid, Id::MAX))
            .map(|(&(_, id), &count)| (id, count))
            .collect();
        let mut destroyed = Vec::new();
        for (id, count) in held {
            for _ in 0..count {
                if let Ok(Some(object)) = self.detach(id, pid, now) {
                    destroyed.push(object);
                }
            }
        }
        destroyed
    }

    /// Process `parent` forked `child`: the child has every attachment the parent has
    /// (Linux's `shm_open` for each copied mapping, which sets `atime` to `now` and `lpid`
    /// to the parent's pid).
    pub fn fork(&mut self, parent: u32, child: u32, now: u64) {
        let held: Vec<(Id, u64)> = self
            .attachments
            .range((parent, Id::MIN)..=(parent, Id::MAX))
            .map(|(&(_, id), &count)| (id, count))
            .collect();
        for (id, count) in held {
            let Ok((_, segment)) = self.table.lookup_mut(id) else { continue };
            segment.nattch += count;
            segment.atime = now;
            segment.lpid = parent;
            *self.attachments.entry((child, id)).or_default() += count;
        }
    }

    /// `shmctl(id, IPC_STAT)`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no segment, `EACCES` without read permission.
    pub fn status(&self, id: Id, credentials: &Credentials) -> Result<SegmentStatus, Errno> {
        let (permissions, segment) = self.table.lookup(id)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok(segment.status(permissions))
    }

    /// `shmctl(id, IPC_SET)` with the owner `uid` and `gid` and the permission bits of
    /// `mode`; `ctime` becomes `now`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no segment; `EPERM` unless the caller owns or created the
    /// segment or is privileged; `EINVAL` for a `uid` or `gid` of `-1`.
    pub fn set(
        &mut self,
        id: Id,
        credentials: &Credentials,
        uid: u32,
        gid: u32,
        mode: u32,
        now: u64,
    ) -> Result<(), Errno> {
        let (permissions, segment) = self.table.lookup_mut(id)?;
        set_permissions(permissions, credentials, uid, gid, mode)?;
        segment.ctime = now;
        Ok(())
    }

    /// `shmctl(id, IPC_RMID)`: a segment nobody has attached goes now (its memory object is
    /// returned, to destroy); otherwise it is marked [`SHM_DEST`] and its key forgotten, and
    /// it goes at its last detach.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no segment; `EPERM` unless the caller owns or created the
    /// segment or is privileged.
    pub fn remove(&mut self, id: Id, credentials: &Credentials) -> Result<Option<O>, Errno> {
        let (permissions, segment) = self.table.lookup_mut(id)?;
        if !may_control(permissions, credentials) {
            return Err(Errno::Eperm);
        }
        if segment.nattch == 0 {
            return Ok(self.destroy(id));
        }
        permissions.mode |= SHM_DEST;
        self.table.forget_key(id)?;
        Ok(None)
    }

    /// `shmctl(id, SHM_LOCK)` (`lock`) or `shmctl(id, SHM_UNLOCK)`: sets or clears
    /// [`SHM_LOCKED`]. No permission bits are asked, only ownership.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an id naming no segment; `EPERM` unless the caller owns or created the
    /// segment or is privileged (Linux's `CAP_IPC_LOCK`).
    pub fn lock(&mut self, id: Id, credentials: &Credentials, lock: bool) -> Result<(), Errno> {
        let (permissions, _) = self.table.lookup_mut(id)?;
        let owner = credentials.euid == permissions.uid || credentials.euid == permissions.cuid;
        if !owner && !credentials.is_privileged() {
            return Err(Errno::Eperm);
        }
        if lock {
            permissions.mode |= SHM_LOCKED;
        } else {
            permissions.mode &= !SHM_LOCKED;
        }
        Ok(())
    }

    /// `shmctl(IPC_INFO)`: the limits, and the highest slot in use (`shmctl` returns it, or
    /// 0 when `None`).
    pub fn info(&self) -> (SharedMemoryInfo, Option<usize>) {
        let limit = u64::try_from(SHMMNI).unwrap_or(u64::MAX);
        let info = SharedMemoryInfo {
            shmmax: SHMMAX,
            shmmin: SHMMIN,
            shmmni: limit,
            shmseg: limit,
            shmall: SHMALL,
        };
        (info, self.table.highest_slot())
    }

    /// `shmctl(SHM_INFO)`: the segments in use and their pages, and the highest slot in use.
    pub fn usage(&self) -> (SharedMemoryUsage, Option<usize>) {
        let used_ids = i32::try_from(self.table.len()).unwrap_or(i32::MAX);
        (SharedMemoryUsage { used_ids, shm_tot: self.total_pages }, self.table.highest_slot())
    }

    /// `shmctl(slot, SHM_STAT)`: the status of the segment in a slot (the low bits of
    /// `slot`, as Linux masks it), with its id.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an empty slot, `EACCES` without read permission.
    pub fn status_by_slot(
        &self,
        slot: usize,
        credentials: &Credentials,
    ) -> Result<(Id, SegmentStatus), Errno> {
        let (id, permissions, segment) = self.table.by_slot(slot % SLOTS).ok_or(Errno::Einval)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok((id, segment.status(permissions)))
    }

    /// Removes segment `id` and gives its memory object back.
    fn destroy(&mut self, id: Id) -> Option<O> {
        let (_, segment) = self.table.remove(id).ok()?;
        self.total_pages -= pages(segment.size);
        Some(segment.object)
    }
}
