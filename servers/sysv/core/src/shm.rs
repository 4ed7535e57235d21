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
//!   process has no attachment of is `EINVAL` and an exiting process detaches everything.
//! - `IPC_RMID` destroys a segment nobody has attached; otherwise it marks it [`SHM_DEST`]
//!   and forgets its key (Linux's `ipc_set_key_private`), and the last detach destroys it.
//!   Until then its id still works for everything, `shmat` included, as on Linux (see
//!   `shmctl(2)`, NOTES).
//! - The attach address (`SHM_RND`, `SHM_REMAP` and their `EINVAL`s) is the server's to
//!   check before [`SharedMemory::attach`]: the core never sees addresses.
//! - Times are the `now` each call is given, in seconds; pids are the callers'.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
pub use courier_abi::sysv::{SHM_EXEC, SHM_RDONLY, SHM_REMAP, SHM_RND};

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

/// What `shmctl(IPC_INFO)` and `shmctl(SHM_INFO)` report: the fields of `struct
/// shminfo64`, and the counts of `struct shm_info` that the core knows.
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
    /// Segments in use (`shm_info.used_ids`).
    pub segments_in_use: u64,
    /// Pages of every segment, each size rounded up (`shm_info.shm_tot`).
    pub total_pages: u64,
}

impl SharedMemoryInfo {
    /// `IPC_INFO` (`usage` false): the fields of `struct shminfo64` in C order. `SHM_INFO`
    /// (`usage` true): those of `struct shm_info`, with resident and swapped pages 0 (the
    /// memory objects fault their pages in; the core does not see them) and no swap
    /// attempts, as Linux has none.
    pub fn fields(&self, usage: bool) -> [u64; 6] {
        if usage {
            [self.segments_in_use, self.total_pages, 0, 0, 0, 0]
        } else {
            [self.shmmax, self.shmmin, self.shmmni, self.shmseg, self.shmall, 0]
        }
    }
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
        let requested =
            READ | if writable { WRITE } else { 0 } | if executable { EXECUTE } else { 0 };
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

    /// `shmctl(IPC_INFO)` and `shmctl(SHM_INFO)`: the limits and the counts (see
    /// [`SharedMemoryInfo::fields`]), and the highest slot in use (`shmctl` returns it, or 0
    /// when `None`).
    pub fn info(&self) -> (SharedMemoryInfo, Option<usize>) {
        let limit = u64::try_from(SHMMNI).unwrap_or(u64::MAX);
        let info = SharedMemoryInfo {
            shmmax: SHMMAX,
            shmmin: SHMMIN,
            shmmni: limit,
            shmseg: limit,
            shmall: SHMALL,
            segments_in_use: u64::try_from(self.table.len()).unwrap_or(u64::MAX),
            total_pages: self.total_pages,
        };
        (info, self.table.highest_slot())
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

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};

    const ROOT: Credentials = Credentials { pid: 1, uid: 0, euid: 0, gid: 0, egid: 0 };
    const OWNER: Credentials = Credentials { pid: 10, uid: 1000, euid: 1000, gid: 100, egid: 100 };
    const OTHER: Credentials = Credentials { pid: 11, uid: 1001, euid: 1001, gid: 101, egid: 101 };
    const MEMBER: Credentials = Credentials { pid: 12, uid: 1002, euid: 1002, gid: 100, egid: 100 };

    /// Memory objects are numbered by their byte size, which the tests check.
    type Segments = SharedMemory<u64>;

    fn get(segments: &mut Segments, key: Key, size: u64, flags: i32) -> Result<Id, Errno> {
        segments.get(key, size, flags, &OWNER, 50, Ok)
    }

    #[test]
    fn a_new_segment_keeps_its_size_and_gets_whole_pages() {
        let mut segments = Segments::new();
        let mut asked = None;
        let id = segments
            .get(IPC_PRIVATE, 5000, 0o640, &OWNER, 50, |bytes| {
                asked = Some(bytes);
                Ok(bytes)
            })
            .unwrap();
        assert_eq!(asked, Some(2 * PAGE_SIZE));
        assert_eq!(
            segments.status(id, &OWNER),
            Ok(SegmentStatus {
                permissions: Permissions {
                    key: IPC_PRIVATE,
                    uid: 1000,
                    gid: 100,
                    cuid: 1000,
                    cgid: 100,
                    mode: 0o640,
                    sequence: 0,
                },
                size: 5000,
                atime: 0,
                dtime: 0,
                ctime: 50,
                cpid: 10,
                lpid: 0,
                nattch: 0,
            })
        );
        assert_eq!(segments.status(id, &MEMBER).map(|status| status.size), Ok(5000));
        assert_eq!(segments.status(id, &OTHER), Err(Errno::Eacces));
        assert_eq!(segments.status(id + 1, &OWNER), Err(Errno::Einval));
        assert_eq!(segments.info().0.total_pages, 2);
        assert_eq!(segments.len(), 1);
    }

    #[test]
    fn shmget_checks_sizes_as_newseg_and_shm_more_checks() {
        let mut segments = Segments::new();
        assert_eq!(get(&mut segments, IPC_PRIVATE, 0, 0o600), Err(Errno::Einval));
        assert_eq!(get(&mut segments, 3, SHMMAX + 1, IPC_CREAT), Err(Errno::Einval));
        assert_eq!(get(&mut segments, 3, 100, 0), Err(Errno::Enoent));
        let refused = segments.get(4, 1, IPC_CREAT, &OWNER, 50, |_| Err(Errno::Enomem));
        assert_eq!(refused, Err(Errno::Enomem));
        assert!(segments.is_empty());
        let id = get(&mut segments, 3, 100, IPC_CREAT | 0o600).unwrap();
        assert_eq!(get(&mut segments, 3, 100, 0), Ok(id));
        assert_eq!(get(&mut segments, 3, 0, 0), Ok(id));
        assert_eq!(get(&mut segments, 3, 101, 0), Err(Errno::Einval));
        assert_eq!(get(&mut segments, 3, 1, IPC_CREAT | IPC_EXCL), Err(Errno::Eexist));
        // The size check comes before the permission check.
        assert_eq!(segments.get(3, 101, 0o400, &OTHER, 50, Ok), Err(Errno::Einval));
        assert_eq!(segments.get(3, 100, 0o400, &OTHER, 50, Ok), Err(Errno::Eacces));
        assert_eq!(segments.get(3, 100, 0, &OTHER, 50, Ok), Ok(id));
    }

    #[test]
    fn shmget_counts_pages_against_shmall() {
        let mut segments = Segments::new();
        // SHMMAX is not a whole number of pages: its object is one byte larger.
        let pages = SHMMAX.div_ceil(PAGE_SIZE);
        let huge = get(&mut segments, IPC_PRIVATE, SHMMAX, 0o600).unwrap();
        assert_eq!(segments.info().0.total_pages, pages);
        assert_eq!(segments.remove(huge, &OWNER), Ok(Some(SHMMAX + 1)));
        assert_eq!(segments.info().0.total_pages, 0);
        // 4095 of them fit in SHMALL pages, a 4096th does not.
        for _ in 1..SHMMNI {
            get(&mut segments, IPC_PRIVATE, SHMMAX, 0o600).unwrap();
        }
        assert_eq!(get(&mut segments, IPC_PRIVATE, SHMMAX, 0o600), Err(Errno::Enospc));
        assert_eq!(get(&mut segments, IPC_PRIVATE, 1, 0o600).map(|_| ()), Ok(()));
        assert_eq!(segments.info().0.total_pages, (SHMMNI as u64 - 1) * pages + 1);
    }

    #[test]
    fn shmget_refuses_beyond_shmmni_after_the_size_check() {
        let mut segments = Segments::new();
        for _ in 0..SHMMNI {
            get(&mut segments, IPC_PRIVATE, 1, 0o600).unwrap();
        }
        assert_eq!(get(&mut segments, IPC_PRIVATE, 1, 0o600), Err(Errno::Enospc));
        assert_eq!(get(&mut segments, IPC_PRIVATE, 0, 0o600), Err(Errno::Einval));
        assert_eq!(segments.info().0.total_pages, SHMMNI as u64);
    }

    #[test]
    fn shmat_asks_read_write_and_execute_permission() {
        let mut segments = Segments::new();
        let id = get(&mut segments, IPC_PRIVATE, 10, 0o640).unwrap();
        let attachment = segments.attach(id, 0, &OWNER, 60).unwrap();
        let expected =
            Attachment { object: PAGE_SIZE, size: 10, writable: true, executable: false };
        assert_eq!(attachment, expected);
        assert_eq!(segments.attach(id, 0, &MEMBER, 61), Err(Errno::Eacces));
        let read_only = segments.attach(id, SHM_RDONLY, &MEMBER, 62).unwrap();
        assert!(!read_only.writable);
        assert_eq!(segments.attach(id, SHM_RDONLY, &OTHER, 63), Err(Errno::Eacces));
        assert_eq!(segments.attach(id, SHM_EXEC, &OWNER, 63), Err(Errno::Eacces));
        assert!(segments.attach(id, SHM_EXEC, &ROOT, 64).unwrap().executable);
        assert_eq!(segments.attach(id + 1, 0, &OWNER, 63), Err(Errno::Einval));
        assert_eq!(segments.attach(-1, 0, &OWNER, 63), Err(Errno::Einval));
        let status = segments.status(id, &OWNER).unwrap();
        assert_eq!((status.nattch, status.atime, status.lpid, status.dtime), (3, 64, 1, 0));
        segments.set(id, &OWNER, 1000, 100, 0o750, 65).unwrap();
        assert!(segments.attach(id, SHM_EXEC | SHM_RDONLY, &MEMBER, 66).unwrap().executable);
    }

    #[test]
    fn shmdt_counts_attachments_per_process() {
        let mut segments = Segments::new();
        let id = get(&mut segments, IPC_PRIVATE, 10, 0o666).unwrap();
        segments.attach(id, 0, &OWNER, 60).unwrap();
        segments.attach(id, 0, &OWNER, 61).unwrap();
        segments.attach(id, 0, &OTHER, 62).unwrap();
        assert_eq!(segments.detach(id, MEMBER.pid, 70), Err(Errno::Einval));
        assert_eq!(segments.detach(id + 1, OWNER.pid, 70), Err(Errno::Einval));
        assert_eq!(segments.detach(id, OTHER.pid, 70), Ok(None));
        assert_eq!(segments.detach(id, OTHER.pid, 71), Err(Errno::Einval));
        let status = segments.status(id, &OWNER).unwrap();
        assert_eq!((status.nattch, status.dtime, status.lpid, status.atime), (2, 70, 11, 62));
        assert_eq!(segments.detach(id, OWNER.pid, 72), Ok(None));
        assert_eq!(segments.detach(id, OWNER.pid, 73), Ok(None));
        assert_eq!(segments.detach(id, OWNER.pid, 74), Err(Errno::Einval));
        // Without IPC_RMID, a segment nobody has attached stays.
        assert_eq!(segments.status(id, &OWNER).map(|status| status.nattch), Ok(0));
    }

    #[test]
    fn ipc_rmid_of_an_attached_segment_waits_for_the_last_detach() {
        let mut segments = Segments::new();
        let id = get(&mut segments, 8, 10, IPC_CREAT | 0o666).unwrap();
        segments.attach(id, 0, &OWNER, 60).unwrap();
        assert_eq!(segments.remove(id, &OTHER), Err(Errno::Eperm));
        assert_eq!(segments.remove(id, &OWNER), Ok(None));
        let status = segments.status(id, &OWNER).unwrap();
        assert_eq!(
            (status.permissions.key, status.permissions.mode),
            (IPC_PRIVATE, 0o666 | SHM_DEST)
        );
        // The key is free; the id still works for everything.
        assert_eq!(get(&mut segments, 8, 10, 0), Err(Errno::Enoent));
        let other = get(&mut segments, 8, 10, IPC_CREAT | 0o600).unwrap();
        assert_ne!(other, id);
        segments.attach(id, 0, &OTHER, 61).unwrap();
        segments.set(id, &OWNER, 1000, 100, 0o600, 62).unwrap();
        assert_eq!(segments.status(id, &OWNER).unwrap().permissions.mode, 0o600 | SHM_DEST);
        assert_eq!(segments.remove(id, &OWNER), Ok(None));
        assert_eq!(segments.detach(id, OWNER.pid, 63), Ok(None));
        assert_eq!(segments.detach(id, OTHER.pid, 64), Ok(Some(PAGE_SIZE)));
        assert_eq!(segments.status(id, &OWNER), Err(Errno::Einval));
        assert_eq!(segments.attach(id, 0, &OWNER, 65), Err(Errno::Einval));
        assert_eq!(segments.info().0.total_pages, 1);
        assert_eq!(segments.remove(other, &ROOT), Ok(Some(PAGE_SIZE)));
        assert!(segments.is_empty());
    }

    #[test]
    fn an_exiting_process_detaches_everything() {
        let mut segments = Segments::new();
        let kept = get(&mut segments, IPC_PRIVATE, 10, 0o666).unwrap();
        let doomed = get(&mut segments, IPC_PRIVATE, 3 * PAGE_SIZE, 0o666).unwrap();
        for _ in 0..3 {
            segments.attach(kept, 0, &OWNER, 60).unwrap();
            segments.attach(doomed, 0, &OWNER, 60).unwrap();
        }
        segments.attach(kept, 0, &OTHER, 61).unwrap();
        assert_eq!(segments.remove(doomed, &OWNER), Ok(None));
        assert_eq!(segments.process_exit(OWNER.pid, 70), vec![3 * PAGE_SIZE]);
        let status = segments.status(kept, &OWNER).unwrap();
        assert_eq!((status.nattch, status.dtime, status.lpid), (1, 70, 10));
        assert_eq!(segments.process_exit(OWNER.pid, 71), vec![]);
        assert_eq!(segments.detach(kept, OWNER.pid, 72), Err(Errno::Einval));
        assert_eq!(segments.len(), 1);
    }

    #[test]
    fn ipc_set_follows_shmctl_down() {
        let mut segments = Segments::new();
        let id = get(&mut segments, IPC_PRIVATE, 10, 0o600).unwrap();
        assert_eq!(segments.set(id, &OTHER, 1001, 101, 0o666, 60), Err(Errno::Eperm));
        assert_eq!(segments.set(id, &OWNER, 1001, u32::MAX, 0o666, 60), Err(Errno::Einval));
        assert_eq!(segments.set(id + 1, &OWNER, 1001, 101, 0o666, 60), Err(Errno::Einval));
        segments.lock(id, &OWNER, true).unwrap();
        assert_eq!(segments.set(id, &OWNER, 1001, 101, 0o7644, 61), Ok(()));
        let status = segments.status(id, &OTHER).unwrap();
        let permissions = status.permissions;
        assert_eq!(
            (permissions.uid, permissions.gid, permissions.mode),
            (1001, 101, 0o644 | SHM_LOCKED)
        );
        assert_eq!(status.ctime, 61);
        // The creator keeps control.
        assert_eq!(segments.set(id, &OWNER, 1000, 100, 0o600, 62), Ok(()));
    }

    #[test]
    fn shm_lock_asks_ownership_not_permission() {
        let mut segments = Segments::new();
        let id = get(&mut segments, IPC_PRIVATE, 10, 0o666).unwrap();
        assert_eq!(segments.lock(id, &OTHER, true), Err(Errno::Eperm));
        assert_eq!(segments.lock(id + 1, &OWNER, true), Err(Errno::Einval));
        segments.set(id, &OWNER, 1001, 101, 0o000, 60).unwrap();
        assert_eq!(segments.lock(id, &OTHER, true), Ok(()));
        assert_eq!(segments.lock(id, &OWNER, true), Ok(()));
        assert_eq!(segments.status(id, &ROOT).unwrap().permissions.mode, SHM_LOCKED);
        assert_eq!(segments.lock(id, &MEMBER, false), Err(Errno::Eperm));
        assert_eq!(segments.lock(id, &ROOT, false), Ok(()));
        assert_eq!(segments.lock(id, &ROOT, false), Ok(()));
        assert_eq!(segments.status(id, &ROOT).unwrap().permissions.mode, 0);
    }

    #[test]
    fn info_and_shm_stat_report_as_linux() {
        let mut segments = Segments::new();
        let (info, highest) = segments.info();
        assert_eq!(highest, None);
        assert_eq!(info.fields(false), [SHMMAX, 1, 4096, 4096, SHMALL, 0]);
        assert_eq!(info.fields(true), [0, 0, 0, 0, 0, 0]);
        let first = get(&mut segments, IPC_PRIVATE, 1, 0o600).unwrap();
        let second = get(&mut segments, IPC_PRIVATE, 5000, 0o000).unwrap();
        let (info, highest) = segments.info();
        assert_eq!((info.fields(true), highest), ([2, 3, 0, 0, 0, 0], Some(1)));
        assert_eq!(segments.status_by_slot(0, &OWNER).map(|(id, _)| id), Ok(first));
        assert_eq!(segments.status_by_slot(1, &OWNER), Err(Errno::Eacces));
        let (id, status) = segments.status_by_slot(SLOTS + 1, &ROOT).unwrap();
        assert_eq!((id, status.size), (second, 5000));
        assert_eq!(segments.status_by_slot(2, &ROOT), Err(Errno::Einval));
    }
}
