//! The file system: inodes, the name space, open file descriptions, and every call.
//!
//! Each public method follows the Linux code path of its system call (named in its
//! documentation) so that the checks come in Linux's order; the crate documentation lists
//! the rules and where Courier differs.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::directory::Directory;
use crate::path::{Component, Path};
use crate::{
    Credentials, DIRECTORY_ENTRY_SIZE, DataId, DirectoryEntry, Errno, FileType, InodeNumber,
    MAX_FILE_SIZE, NAME_MAX, O_ACCMODE, O_APPEND, O_CHANGEABLE, O_CREAT, O_DIRECTORY, O_EXCL,
    O_KEPT, O_NOATIME, O_PATH, O_RDONLY, O_RDWR, O_TMPFILE_BIT, O_TRUNC, O_WRONLY, OpenId, Opened,
    ROOT, S_IALLUGO, S_ISGID, S_ISUID, S_ISVTX, S_IXGRP, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE,
    SEEK_SET, Stat, Storage, Time,
};

/// Permission to execute a file or search a directory (`MAY_EXEC`).
const MAY_EXEC: u32 = 1;
/// Permission to write (`MAY_WRITE`).
const MAY_WRITE: u32 = 2;
/// Permission to read (`MAY_READ`).
const MAY_READ: u32 = 4;

/// The most bytes one read or write moves (Linux's `MAX_RW_COUNT`, `INT_MAX` rounded down
/// to a page).
const MAX_READ_WRITE: usize = 0x7fff_f000;

/// The permission bits `mkdir` keeps (`S_IRWXUGO | S_ISVTX`).
const DIRECTORY_MODE_BITS: u32 = 0o1777;

/// What an inode is.
#[derive(Debug)]
enum Kind {
    Regular { data: DataId, size: u64 },
    Directory(Directory),
    Fifo,
}

/// One inode.
#[derive(Debug)]
struct Inode {
    kind: Kind,
    /// The permission bits (`0o7777`).
    mode: u32,
    links: u32,
    uid: u32,
    gid: u32,
    accessed: Time,
    modified: Time,
    changed: Time,
    /// How many open file descriptions refer to it.
    opens: usize,
}

impl Inode {
    fn file_type(&self) -> FileType {
        match self.kind {
            Kind::Regular { .. } => FileType::Regular,
            Kind::Directory(_) => FileType::Directory,
            Kind::Fifo => FileType::Fifo,
        }
    }

    fn is_directory(&self) -> bool {
        matches!(self.kind, Kind::Directory(_))
    }

    fn directory(&self) -> Option<&Directory> {
        match &self.kind {
            Kind::Directory(directory) => Some(directory),
            _ => None,
        }
    }

    fn directory_mut(&mut self) -> Option<&mut Directory> {
        match &mut self.kind {
            Kind::Directory(directory) => Some(directory),
            _ => None,
        }
    }

    fn size(&self) -> u64 {
        match &self.kind {
            Kind::Regular { size, .. } => *size,
            Kind::Directory(directory) => DIRECTORY_ENTRY_SIZE * (2 + directory.len() as u64),
            Kind::Fifo => 0,
        }
    }

    /// Linux's `generic_permission` for `who` and `mask` (`MAY_*` bits).
    fn permits(&self, who: Credentials, mask: u32) -> bool {
        let bits = if who.uid == self.uid {
            self.mode >> 6
        } else if who.gid == self.gid {
            self.mode >> 3
        } else {
            self.mode
        } & 0o7;
        if mask & !bits == 0 {
            return true;
        }
        // CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: everything but executing a file that
        // nobody may execute.
        who.uid == 0 && (self.is_directory() || mask & MAY_EXEC == 0 || self.mode & 0o111 != 0)
    }

    /// Linux's `inode_owner_or_capable`: the owner, or root (`CAP_FOWNER`).
    fn owned_by(&self, who: Credentials) -> bool {
        who.uid == 0 || who.uid == self.uid
    }

    /// Linux's `file_remove_privs` / `ATTR_KILL_*` on a write or truncation by `who`.
    fn remove_privileges(&mut self, who: Credentials, now: Time) {
        if who.uid == 0 || !matches!(self.kind, Kind::Regular { .. }) {
            return;
        }
        let mut mode = self.mode & !S_ISUID;
        if mode & S_ISGID != 0 && (mode & S_IXGRP != 0 || who.gid != self.gid) {
            mode &= !S_ISGID;
        }
        if mode != self.mode {
            self.mode = mode;
            self.changed = now;
        }
    }

    fn stat(&self, inode: InodeNumber) -> Stat {
        Stat {
            inode,
            file_type: self.file_type(),
            mode: self.mode,
            links: self.links,
            uid: self.uid,
            gid: self.gid,
            size: self.size(),
            accessed: self.accessed,
            modified: self.modified,
            changed: self.changed,
        }
    }

    fn touch_modified(&mut self, now: Time) {
        self.modified = now;
        self.changed = now;
    }
}

/// An open file description.
#[derive(Clone, Copy, Debug)]
struct Description {
    inode: InodeNumber,
    /// The status flags ([`O_KEPT`] bits).
    flags: u64,
    /// The file offset, or a directory's listing cookie.
    offset: u64,
    /// Who opened it: the caller that `write` and `ftruncate` are taken to come from.
    opener: Credentials,
}

impl Description {
    fn readable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    fn writable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }
}

/// The last component of a path, once the walk to its directory is done (Linux's
/// `last_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Last<'a> {
    /// The path has no component: `/`.
    Root,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// A name.
    Name(&'a [u8]),
}

/// A path walked up to its last component (Linux's `filename_parentat`).
#[derive(Clone, Copy, Debug)]
struct Parent<'a> {
    directory: InodeNumber,
    last: Last<'a>,
    trailing_slash: bool,
}

/// What a new inode is to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NewKind {
    Regular,
    Directory,
    Fifo,
}

/// The file system.
#[derive(Debug)]
pub struct FileSystem {
    inodes: BTreeMap<InodeNumber, Inode>,
    descriptions: BTreeMap<OpenId, Description>,
    next_inode: InodeNumber,
    next_open: OpenId,
    size_limit: u64,
    used_bytes: u64,
    /// The most inodes plus extra hard links (Linux's `nr_inodes`).
    inode_limit: u64,
    /// Inodes plus extra hard links of non-directories, as Linux tmpfs counts them.
    inode_charge: u64,
    /// FIFO nodes whose last link a `rename` removed, for the pipe server.
    unlinked_fifos: Vec<InodeNumber>,
}

impl FileSystem {
    /// A file system holding at most `size_limit` bytes of file contents: the root `/`
    /// (0o755, owned by 0:0) containing `dev` (0o755) and `dev/shm` (0o1777, for
    /// `shm_open`), all with times `now`.
    pub fn new(size_limit: u64, now: Time) -> Self {
        let mut file_system = FileSystem {
            inodes: BTreeMap::new(),
            descriptions: BTreeMap::new(),
            next_inode: ROOT,
            next_open: 1,
            size_limit,
            used_bytes: 0,
            inode_limit: u64::MAX,
            inode_charge: 0,
            unlinked_fifos: Vec::new(),
        };
        let root = file_system.allocate_inode(
            Kind::Directory(Directory::new(ROOT)),
            0o755,
            Credentials::ROOT,
            now,
        );
        debug_assert_eq!(root, ROOT);
        let setup = [(&b"/dev"[..], 0o755), (&b"/dev/shm"[..], 0o1777)];
        for (path, mode) in setup {
            let made = file_system.mkdir(Credentials::ROOT, path, mode, now);
            debug_assert_eq!(made, Ok(()));
        }
        file_system
    }

    /// Limits the number of inodes, where each hard link past an inode's first counts as
    /// one more, as Linux tmpfs's `nr_inodes` does: creating an inode or a link past the
    /// limit fails with `ENOSPC`. The limit counts the inodes that exist already.
    pub fn with_inode_limit(mut self, inode_limit: u64) -> Self {
        self.inode_limit = inode_limit;
        self
    }

    /// Bytes of file contents in use: the sizes of every regular file that still exists
    /// (linked, or unlinked and still open).
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// The size limit given to [`FileSystem::new`].
    pub fn size_limit(&self) -> u64 {
        self.size_limit
    }

    /// How many inodes exist (unlinked ones that are still open included).
    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    /// How many open file descriptions exist.
    pub fn open_count(&self) -> usize {
        self.descriptions.len()
    }

    /// The FIFO nodes whose last link a `rename` replaced since the last call, so that
    /// the main loop can tell the pipe server (`unlink` reports its own).
    pub fn take_unlinked_fifos(&mut self) -> Vec<InodeNumber> {
        core::mem::take(&mut self.unlinked_fifos)
    }

    // Paths.

    fn node(&self, inode: InodeNumber) -> &Inode {
        &self.inodes[&inode]
    }

    fn node_mut(&mut self, inode: InodeNumber) -> &mut Inode {
        self.inodes.get_mut(&inode).expect("inode exists")
    }

    fn directory(&self, inode: InodeNumber) -> Option<&Directory> {
        self.node(inode).directory()
    }

    fn directory_mut(&mut self, inode: InodeNumber) -> &mut Directory {
        self.node_mut(inode).directory_mut().expect("a directory")
    }

    fn is_directory(&self, inode: InodeNumber) -> bool {
        self.node(inode).is_directory()
    }

    /// Looks `name` up in `directory`: `ENAMETOOLONG` past [`NAME_MAX`] (Linux's
    /// `simple_lookup`), `None` when there is no such entry.
    fn child(&self, directory: InodeNumber, name: &[u8]) -> Result<Option<InodeNumber>, Errno> {
        if name.len() > NAME_MAX {
            return Err(Errno::Enametoolong);
        }
        Ok(self.directory(directory).and_then(|entries| entries.get(name)).map(|entry| entry.inode))
    }

    fn parent_of(&self, directory: InodeNumber) -> InodeNumber {
        self.directory(directory).map_or(ROOT, |entries| entries.parent)
    }

    /// Linux's `may_lookup`: search permission on a directory a component is looked up in.
    fn may_search(&self, directory: InodeNumber, who: Credentials) -> Result<(), Errno> {
        if self.node(directory).permits(who, MAY_EXEC) { Ok(()) } else { Err(Errno::Eacces) }
    }

    /// Walks every component but the last (Linux's `filename_parentat`).
    fn walk<'a>(&self, who: Credentials, path: &'a [u8]) -> Result<Parent<'a>, Errno> {
        let path = Path::parse(path)?;
        let Some((last, walked)) = path.components.split_last() else {
            return Ok(Parent { directory: ROOT, last: Last::Root, trailing_slash: false });
        };
        let mut current = ROOT;
        for component in walked {
            self.may_search(current, who)?;
            current = match *component {
                Component::Dot => current,
                Component::DotDot => self.parent_of(current),
                Component::Name(name) => self.child(current, name)?.ok_or(Errno::Enoent)?,
            };
            if !self.is_directory(current) {
                return Err(Errno::Enotdir);
            }
        }
        self.may_search(current, who)?;
        let last = match *last {
            Component::Dot => Last::Dot,
            Component::DotDot => Last::DotDot,
            Component::Name(name) => Last::Name(name),
        };
        Ok(Parent { directory: current, last, trailing_slash: path.trailing_slash })
    }

    /// The inode a last component that is not a name refers to.
    fn dots(&self, parent: &Parent<'_>) -> InodeNumber {
        match parent.last {
            Last::Root => ROOT,
            Last::Dot | Last::Name(_) => parent.directory,
            Last::DotDot => self.parent_of(parent.directory),
        }
    }

    /// Resolves a whole path (Linux's `filename_lookup`): the last component must exist,
    /// and be a directory when a slash follows it.
    fn resolve(&self, who: Credentials, path: &[u8]) -> Result<InodeNumber, Errno> {
        let parent = self.walk(who, path)?;
        let inode = match parent.last {
            Last::Name(name) => self.child(parent.directory, name)?.ok_or(Errno::Enoent)?,
            _ => self.dots(&parent),
        };
        if parent.trailing_slash && !self.is_directory(inode) {
            return Err(Errno::Enotdir);
        }
        Ok(inode)
    }

    /// Linux's `may_create` for an entry that does not exist: write and search permission
    /// on the directory.
    fn may_create(&self, directory: InodeNumber, who: Credentials) -> Result<(), Errno> {
        if self.node(directory).permits(who, MAY_WRITE | MAY_EXEC) {
            Ok(())
        } else {
            Err(Errno::Eacces)
        }
    }

    /// Linux's `may_delete` up to the type checks: write and search permission on the
    /// directory, then the sticky bit.
    fn may_delete(
        &self,
        directory: InodeNumber,
        victim: InodeNumber,
        who: Credentials,
    ) -> Result<(), Errno> {
        let parent = self.node(directory);
        if !parent.permits(who, MAY_WRITE | MAY_EXEC) {
            return Err(Errno::Eacces);
        }
        if parent.mode & S_ISVTX != 0
            && who.uid != 0
            && who.uid != self.node(victim).uid
            && who.uid != parent.uid
        {
            return Err(Errno::Eperm);
        }
        Ok(())
    }

    /// The entry of `ancestor` on the way down to `descendant`, if `ancestor` is a proper
    /// ancestor of `descendant` (the `trap` of Linux's `lock_rename`).
    fn child_toward(&self, ancestor: InodeNumber, descendant: InodeNumber) -> Option<InodeNumber> {
        let mut current = descendant;
        while current != ROOT {
            let parent = self.parent_of(current);
            if parent == ancestor {
                return Some(current);
            }
            current = parent;
        }
        None
    }

    // Inodes.

    fn allocate_inode(
        &mut self,
        kind: Kind,
        mode: u32,
        owner: Credentials,
        now: Time,
    ) -> InodeNumber {
        let inode = self.next_inode;
        self.next_inode += 1;
        let links = if matches!(kind, Kind::Directory(_)) { 2 } else { 1 };
        self.inodes.insert(
            inode,
            Inode {
                kind,
                mode,
                links,
                uid: owner.uid,
                gid: owner.gid,
                accessed: now,
                modified: now,
                changed: now,
                opens: 0,
            },
        );
        self.inode_charge += 1;
        inode
    }

    /// Creates `name` in `directory` (the caller checked that it is free and that `who`
    /// may create it): Linux's `vfs_prepare_mode`, `inode_init_owner` and `shmem_mknod`.
    fn create(
        &mut self,
        who: Credentials,
        (directory, name): (InodeNumber, &[u8]),
        new: NewKind,
        mode: u32,
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<InodeNumber, Errno> {
        let parent = self.node(directory);
        let inherit_group = parent.mode & S_ISGID != 0;
        let parent_gid = parent.gid;
        let parent_links = parent.links;
        if self.inode_charge >= self.inode_limit
            || self.directory(directory).is_none_or(Directory::is_full)
        {
            return Err(Errno::Enospc);
        }
        if new == NewKind::Directory && parent_links == u32::MAX {
            return Err(Errno::Emlink);
        }
        let mut mode = if new == NewKind::Directory {
            mode & DIRECTORY_MODE_BITS
        } else {
            // mode_strip_sgid: an executable set-group-id file in a set-group-id directory
            // of a group the caller is not in loses the bit.
            let mode = mode & S_IALLUGO;
            if mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP
                && inherit_group
                && who.uid != 0
                && who.gid != parent_gid
            {
                mode & !S_ISGID
            } else {
                mode
            }
        };
        let mut owner = who;
        if inherit_group {
            owner.gid = parent_gid;
            if new == NewKind::Directory {
                mode |= S_ISGID;
            }
        }
        let kind = match new {
            NewKind::Regular => Kind::Regular { data: storage.create()?, size: 0 },
            NewKind::Directory => Kind::Directory(Directory::new(directory)),
            NewKind::Fifo => Kind::Fifo,
        };
        let inode = self.allocate_inode(kind, mode, owner, now);
        let parent = self.node_mut(directory);
        parent.touch_modified(now);
        if new == NewKind::Directory {
            parent.links += 1;
        }
        self.directory_mut(directory).insert(name, inode, None);
        Ok(inode)
    }

    /// Removes the entry `name` of `directory` (Linux's `shmem_unlink`, and for a
    /// directory `shmem_rmdir`), leaving the inode for [`FileSystem::forget`].
    fn detach(&mut self, directory: InodeNumber, name: &[u8], now: Time) -> InodeNumber {
        let entry = self.directory_mut(directory).remove(name).expect("the entry exists");
        let victim = self.node_mut(entry.inode);
        victim.changed = now;
        let was_directory = victim.is_directory();
        let extra_link = !was_directory && victim.links > 1;
        if let Some(entries) = victim.directory_mut() {
            entries.removed = true;
        }
        victim.links = if was_directory { 0 } else { victim.links - 1 };
        if extra_link {
            // The extra link's inode charge goes back.
            self.inode_charge -= 1;
        }
        let parent = self.node_mut(directory);
        parent.touch_modified(now);
        if was_directory {
            parent.links -= 1;
        }
        entry.inode
    }

    /// Frees an inode that has neither links nor open descriptions; true if it did.
    fn forget(&mut self, inode: InodeNumber, storage: &mut impl Storage) -> bool {
        let node = self.node(inode);
        if node.links != 0 || node.opens != 0 {
            return false;
        }
        let Some(node) = self.inodes.remove(&inode) else {
            return false;
        };
        if let Kind::Regular { data, size } = node.kind {
            storage.destroy(data);
            self.used_bytes -= size;
        }
        self.inode_charge -= 1;
        true
    }

    /// Sets a regular file's size (the caller checked the limits).
    fn set_size(
        &mut self,
        inode: InodeNumber,
        size: u64,
        storage: &mut impl Storage,
    ) -> Result<(), Errno> {
        let Kind::Regular { data, size: old } = self.node(inode).kind else {
            return Err(Errno::Einval);
        };
        if size == old {
            return Ok(());
        }
        storage.resize(data, size)?;
        self.used_bytes = self.used_bytes - old + size;
        if let Kind::Regular { size: current, .. } = &mut self.node_mut(inode).kind {
            *current = size;
        }
        Ok(())
    }

    /// Linux's `do_truncate` after the caller's checks: `EFBIG` past the largest file,
    /// `ENOSPC` past the size limit, privileges removed, times as `update_times` says
    /// (always for `ftruncate` and `O_TRUNC`; `truncate` only when the size changes).
    fn truncate(
        &mut self,
        inode: InodeNumber,
        length: u64,
        who: Credentials,
        always_update_times: bool,
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<(), Errno> {
        if length > MAX_FILE_SIZE {
            return Err(Errno::Efbig);
        }
        let old = self.node(inode).size();
        if length > old && length - old > self.size_limit.saturating_sub(self.used_bytes) {
            return Err(Errno::Enospc);
        }
        self.set_size(inode, length, storage)?;
        let node = self.node_mut(inode);
        node.remove_privileges(who, now);
        if always_update_times || length != old {
            node.touch_modified(now);
        }
        Ok(())
    }

    fn description(&self, open: OpenId) -> Result<Description, Errno> {
        self.descriptions.get(&open).copied().ok_or(Errno::Ebadf)
    }

    // Calls.

    /// `open(path, flags, mode)` (Linux's `do_sys_openat2`): opens or creates a regular
    /// file, opens a directory, or finds a FIFO node for the pipe server.
    ///
    /// `mode` (for `O_CREAT`) has had the caller's umask applied; its `0o7777` bits are
    /// taken. Errors: `EINVAL` for `O_CREAT | O_DIRECTORY` or `O_PATH`, `EOPNOTSUPP` for
    /// `O_TMPFILE`; the path's errors; `EISDIR` for `O_CREAT` with a trailing slash, or on
    /// a directory, or for write access or `O_TRUNC` on a directory; `EEXIST` for
    /// `O_CREAT | O_EXCL` on an existing name; `ENOENT` when the name does not exist
    /// without `O_CREAT`; `ENOTDIR` for `O_DIRECTORY` or a trailing slash on a
    /// non-directory; `EACCES` without write permission on the directory to create, or
    /// the permissions the access mode and `O_TRUNC` need; `EPERM` for `O_NOATIME` on
    /// another's file; `ENOSPC` when no inode can be made.
    pub fn open(
        &mut self,
        who: Credentials,
        path: &[u8],
        flags: u64,
        mode: u32,
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<Opened, Errno> {
        // build_open_flags.
        let mut access = match flags & O_ACCMODE {
            O_RDONLY => MAY_READ,
            O_WRONLY => MAY_WRITE,
            _ => MAY_READ | MAY_WRITE,
        };
        if flags & (O_DIRECTORY | O_CREAT) == O_DIRECTORY | O_CREAT {
            return Err(Errno::Einval);
        }
        if flags & O_TMPFILE_BIT != 0 {
            if flags & O_DIRECTORY == 0 || access & MAY_WRITE == 0 {
                return Err(Errno::Einval);
            }
            return Err(Errno::Eopnotsupp);
        }
        if flags & O_PATH != 0 {
            return Err(Errno::Einval);
        }
        if flags & O_TRUNC != 0 {
            access |= MAY_WRITE;
        }
        let create = flags & O_CREAT != 0;
        // path_openat: the walk, then open_last_lookups.
        let parent = self.walk(who, path)?;
        let mut created = false;
        let inode = match parent.last {
            Last::Name(name) => {
                if create && parent.trailing_slash {
                    return Err(Errno::Eisdir);
                }
                match self.child(parent.directory, name)? {
                    Some(inode) => inode,
                    None if create => {
                        self.may_create(parent.directory, who)?;
                        created = true;
                        let mode = mode & S_IALLUGO;
                        self.create(
                            who,
                            (parent.directory, name),
                            NewKind::Regular,
                            mode,
                            now,
                            storage,
                        )?
                    }
                    None => return Err(Errno::Enoent),
                }
            }
            _ => self.dots(&parent),
        };
        // do_open and may_open, for an inode that was not just created.
        if !created {
            let node = self.node(inode);
            if create {
                if flags & O_EXCL != 0 {
                    return Err(Errno::Eexist);
                }
                if node.is_directory() {
                    return Err(Errno::Eisdir);
                }
            }
            if (flags & O_DIRECTORY != 0 || parent.trailing_slash) && !node.is_directory() {
                return Err(Errno::Enotdir);
            }
            if node.is_directory() && access & MAY_WRITE != 0 {
                return Err(Errno::Eisdir);
            }
            if !node.permits(who, access) {
                return Err(Errno::Eacces);
            }
            if flags & O_NOATIME != 0 && !node.owned_by(who) {
                return Err(Errno::Eperm);
            }
            if flags & O_TRUNC != 0 && matches!(node.kind, Kind::Regular { .. }) {
                self.truncate(inode, 0, who, true, now, storage)?;
            }
        }
        if matches!(self.node(inode).kind, Kind::Fifo) {
            return Ok(Opened::Fifo(inode));
        }
        let open = self.next_open;
        self.next_open += 1;
        self.descriptions
            .insert(open, Description { inode, flags: flags & O_KEPT, offset: 0, opener: who });
        self.node_mut(inode).opens += 1;
        Ok(Opened::File(open))
    }

    /// `read(open, length)` (Linux's `vfs_read` and `shmem_file_read_iter`): appends up to
    /// `length` bytes from the description's offset to `into` and advances the offset.
    ///
    /// Errors: `EBADF` when the description is not open for reading, `EINVAL` when the
    /// offset plus the length passes the largest offset, `EISDIR` on a directory, or the
    /// storage's error. The access time is updated (unless `O_NOATIME`), also when nothing
    /// was read.
    pub fn read(
        &mut self,
        open: OpenId,
        length: usize,
        now: Time,
        storage: &mut impl Storage,
        into: &mut Vec<u8>,
    ) -> Result<(), Errno> {
        let description = self.description(open)?;
        if !description.readable() {
            return Err(Errno::Ebadf);
        }
        verify_area(description.offset, length)?;
        let length = length.min(MAX_READ_WRITE);
        let Kind::Regular { data, size } = self.node(description.inode).kind else {
            return Err(Errno::Eisdir);
        };
        let available = size.saturating_sub(description.offset);
        let count = usize::try_from(available).map_or(length, |available| available.min(length));
        if count > 0 {
            let start = into.len();
            into.resize(start + count, 0);
            if let Err(error) = storage.read(data, description.offset, &mut into[start..]) {
                into.truncate(start);
                return Err(error);
            }
        }
        if let Some(description) = self.descriptions.get_mut(&open) {
            description.offset += count as u64;
        }
        if description.flags & O_NOATIME == 0 {
            self.node_mut(description.inode).accessed = now;
        }
        Ok(())
    }

    /// `write(open, bytes)` (Linux's `vfs_write` and `shmem_file_write_iter`): writes at
    /// the description's offset (at the end of the file with `O_APPEND`), extends the file
    /// as needed, advances the offset, and returns the count written.
    ///
    /// Errors: `EBADF` when the description is not open for writing, `EINVAL` when the
    /// offset plus the length passes the largest offset, `EFBIG` at [`MAX_FILE_SIZE`],
    /// `ENOSPC` when not one byte fits under the size limit (a write that partly fits
    /// writes what fits), or the storage's error. A write of at least one byte updates
    /// the modification and change times and removes set-user-id and set-group-id as
    /// described in the crate documentation.
    pub fn write(
        &mut self,
        open: OpenId,
        bytes: &[u8],
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<usize, Errno> {
        let description = self.description(open)?;
        if !description.writable() {
            return Err(Errno::Ebadf);
        }
        verify_area(description.offset, bytes.len())?;
        let inode = description.inode;
        let Kind::Regular { data, size } = self.node(inode).kind else {
            return Err(Errno::Ebadf);
        };
        if bytes.is_empty() {
            return Ok(0);
        }
        // generic_write_checks.
        let position = if description.flags & O_APPEND != 0 { size } else { description.offset };
        if position >= MAX_FILE_SIZE {
            return Err(Errno::Efbig);
        }
        let mut count = (bytes.len().min(MAX_READ_WRITE) as u64).min(MAX_FILE_SIZE - position);
        let node = self.node_mut(inode);
        node.remove_privileges(description.opener, now);
        node.touch_modified(now);
        // The space check, in bytes.
        let end = position + count;
        if end > size {
            let most = size + self.size_limit.saturating_sub(self.used_bytes);
            if most <= position {
                return Err(Errno::Enospc);
            }
            count = count.min(most - position);
        }
        let end = position + count;
        let slice = &bytes[..usize::try_from(count).unwrap_or(bytes.len())];
        if end > size {
            self.set_size(inode, end, storage)?;
        }
        if let Err(error) = storage.write(data, position, slice) {
            // Give the growth back; shrinking a store does not fail.
            let _ = self.set_size(inode, size, storage);
            return Err(error);
        }
        if let Some(description) = self.descriptions.get_mut(&open) {
            description.offset = end;
        }
        Ok(slice.len())
    }

    /// `lseek(open, offset, whence)`: `SEEK_SET`, `SEEK_CUR`, `SEEK_END`, and `SEEK_DATA`
    /// and `SEEK_HOLE` with the whole file as data (`ENXIO` at or past the end or before
    /// the start). On a directory (Linux's `offset_dir_llseek`) only `SEEK_SET` and
    /// `SEEK_CUR` work and the offset is a listing cookie: 0 starts the listing again.
    ///
    /// Errors: `EBADF`, `EINVAL` for an unknown `whence` or a negative or overflowing
    /// result.
    pub fn seek(&mut self, open: OpenId, offset: i64, whence: u32) -> Result<u64, Errno> {
        let description = self.description(open)?;
        if whence > SEEK_HOLE {
            return Err(Errno::Einval);
        }
        let current = i64::try_from(description.offset).map_err(|_| Errno::Einval)?;
        let position = match &self.node(description.inode).kind {
            Kind::Directory(_) => match whence {
                SEEK_SET => offset,
                SEEK_CUR => current.checked_add(offset).ok_or(Errno::Einval)?,
                _ => return Err(Errno::Einval),
            },
            kind => {
                let end = i64::try_from(self.size_of(kind)).map_err(|_| Errno::Einval)?;
                match whence {
                    SEEK_SET => offset,
                    SEEK_CUR if offset == 0 => return Ok(description.offset),
                    SEEK_CUR => current.checked_add(offset).ok_or(Errno::Einval)?,
                    SEEK_END => end.checked_add(offset).ok_or(Errno::Einval)?,
                    _ if offset < 0 || offset >= end => return Err(Errno::Enxio),
                    SEEK_DATA => offset,
                    _ => end,
                }
            }
        };
        let position = u64::try_from(position).map_err(|_| Errno::Einval)?;
        if let Some(description) = self.descriptions.get_mut(&open) {
            description.offset = position;
        }
        Ok(position)
    }

    fn size_of(&self, kind: &Kind) -> u64 {
        match kind {
            Kind::Regular { size, .. } => *size,
            _ => 0,
        }
    }

    /// `ftruncate(open, length)` (Linux's `do_sys_ftruncate`): sets the size of a regular
    /// file open for writing, zero-filling growth.
    ///
    /// Errors, in order: `EINVAL` for a negative length, `EBADF`, `EINVAL` when the
    /// description is not a regular file open for writing, `EFBIG`, `ENOSPC`, or the
    /// storage's error. The modification and change times are always updated.
    pub fn truncate_open(
        &mut self,
        open: OpenId,
        length: i64,
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<(), Errno> {
        let length = u64::try_from(length).map_err(|_| Errno::Einval)?;
        let description = self.description(open)?;
        if !description.writable()
            || !matches!(self.node(description.inode).kind, Kind::Regular { .. })
        {
            return Err(Errno::Einval);
        }
        self.truncate(description.inode, length, description.opener, true, now, storage)
    }

    /// `truncate(path, length)` (Linux's `do_sys_truncate` and `vfs_truncate`).
    ///
    /// Errors, in order: `EINVAL` for a negative length, the path's errors, `EISDIR` for a
    /// directory, `EINVAL` for a FIFO, `EACCES` without write permission, `EFBIG`,
    /// `ENOSPC`, or the storage's error. The times change only when the size does.
    pub fn truncate_path(
        &mut self,
        who: Credentials,
        path: &[u8],
        length: i64,
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<(), Errno> {
        let length = u64::try_from(length).map_err(|_| Errno::Einval)?;
        let inode = self.resolve(who, path)?;
        let node = self.node(inode);
        match node.kind {
            Kind::Directory(_) => return Err(Errno::Eisdir),
            Kind::Fifo => return Err(Errno::Einval),
            Kind::Regular { .. } => {}
        }
        if !node.permits(who, MAY_WRITE) {
            return Err(Errno::Eacces);
        }
        self.truncate(inode, length, who, false, now, storage)
    }

    /// `fstat(open)`. Errors: `EBADF`.
    pub fn stat_open(&self, open: OpenId) -> Result<Stat, Errno> {
        let description = self.description(open)?;
        Ok(self.node(description.inode).stat(description.inode))
    }

    /// `stat(path)`. Errors: the path's.
    pub fn stat_path(&self, who: Credentials, path: &[u8]) -> Result<Stat, Errno> {
        let inode = self.resolve(who, path)?;
        Ok(self.node(inode).stat(inode))
    }

    /// `mkdir(path, mode)` (Linux's `do_mkdirat`): `mode`'s `0o1777` bits, plus
    /// set-group-id in a set-group-id directory.
    ///
    /// Errors: the path's; `EEXIST` when the last component is `.`, `..` or `/` or the
    /// name exists; `EACCES` without write permission on the directory; `ENOSPC` when no
    /// inode can be made; `EMLINK` when the parent has `u32::MAX` links.
    pub fn mkdir(
        &mut self,
        who: Credentials,
        path: &[u8],
        mode: u32,
        now: Time,
    ) -> Result<(), Errno> {
        let place = self.new_name(who, path, true)?;
        self.create(who, place, NewKind::Directory, mode, now, &mut NoStorage)?;
        Ok(())
    }

    /// `mkfifo(path, mode)` (Linux's `do_mknodat` for `S_IFIFO`): returns the new node.
    ///
    /// Errors: as [`FileSystem::mkdir`], and `ENOENT` for a new name followed by a slash.
    pub fn mknod_fifo(
        &mut self,
        who: Credentials,
        path: &[u8],
        mode: u32,
        now: Time,
    ) -> Result<InodeNumber, Errno> {
        let place = self.new_name(who, path, false)?;
        self.create(who, place, NewKind::Fifo, mode, now, &mut NoStorage)
    }

    /// Linux's `filename_create` and `may_create`: the directory and the free name a new
    /// entry is to have.
    fn new_name<'a>(
        &self,
        who: Credentials,
        path: &'a [u8],
        directory_wanted: bool,
    ) -> Result<(InodeNumber, &'a [u8]), Errno> {
        let parent = self.walk(who, path)?;
        let Last::Name(name) = parent.last else {
            return Err(Errno::Eexist);
        };
        if self.child(parent.directory, name)?.is_some() {
            return Err(Errno::Eexist);
        }
        if parent.trailing_slash && !directory_wanted {
            return Err(Errno::Enoent);
        }
        self.may_create(parent.directory, who)?;
        Ok((parent.directory, name))
    }

    /// `rmdir(path)` (Linux's `do_rmdir`).
    ///
    /// Errors, in order: the path's; `ENOTEMPTY` when the last component is `..`,
    /// `EINVAL` when it is `.`, `EBUSY` for `/`; `ENAMETOOLONG`, `ENOENT`; `EACCES`
    /// without write permission on the parent; `EPERM` under the sticky-bit rule;
    /// `ENOTDIR` for a non-directory; `ENOTEMPTY`.
    pub fn rmdir(&mut self, who: Credentials, path: &[u8], now: Time) -> Result<(), Errno> {
        let parent = self.walk(who, path)?;
        let name = match parent.last {
            Last::Name(name) => name,
            Last::DotDot => return Err(Errno::Enotempty),
            Last::Dot => return Err(Errno::Einval),
            Last::Root => return Err(Errno::Ebusy),
        };
        let victim = self.child(parent.directory, name)?.ok_or(Errno::Enoent)?;
        self.may_delete(parent.directory, victim, who)?;
        match self.directory(victim) {
            None => return Err(Errno::Enotdir),
            Some(entries) if !entries.is_empty() => return Err(Errno::Enotempty),
            Some(_) => {}
        }
        self.detach(parent.directory, name, now);
        self.forget(victim, &mut NoStorage);
        Ok(())
    }

    /// `unlink(path)` (Linux's `do_unlinkat`): removes a name of a regular file or FIFO.
    /// Returns the FIFO node when its last link went (the main loop tells the pipe
    /// server); a regular file's storage goes with its last link and last description.
    ///
    /// Errors, in order: the path's; `EISDIR` when the last component is `.`, `..` or
    /// `/`; `ENAMETOOLONG`, `ENOENT`; with a trailing slash `EISDIR` for a directory and
    /// `ENOTDIR` otherwise; `EACCES` without write permission on the parent; `EPERM` under
    /// the sticky-bit rule; `EISDIR` for a directory.
    pub fn unlink(
        &mut self,
        who: Credentials,
        path: &[u8],
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<Option<InodeNumber>, Errno> {
        let parent = self.walk(who, path)?;
        let Last::Name(name) = parent.last else {
            return Err(Errno::Eisdir);
        };
        let victim = self.child(parent.directory, name)?.ok_or(Errno::Enoent)?;
        if parent.trailing_slash {
            return Err(if self.is_directory(victim) { Errno::Eisdir } else { Errno::Enotdir });
        }
        self.may_delete(parent.directory, victim, who)?;
        if self.is_directory(victim) {
            return Err(Errno::Eisdir);
        }
        self.detach(parent.directory, name, now);
        let fifo = matches!(self.node(victim).kind, Kind::Fifo);
        if self.forget(victim, storage) && fifo {
            return Ok(Some(victim));
        }
        Ok(None)
    }

    /// `rename(from, to)` (Linux's `do_renameat2`, `vfs_rename` and `shmem_rename2`).
    /// Replaces an existing target (a file by a file, an empty directory by a directory);
    /// two names of one inode make it do nothing.
    ///
    /// Errors, in order: `from`'s walk, `to`'s walk; `EBUSY` when either last component
    /// is `.`, `..` or `/`; `ENAMETOOLONG`, `ENOENT` for `from`; `ENAMETOOLONG` for `to`;
    /// `ENOTDIR` for a trailing slash on either when `from` is not a directory; `EINVAL`
    /// for moving a directory under itself, `ENOTEMPTY` for replacing an ancestor of
    /// `from`; `EACCES` without write permission on either directory; `EPERM` under the
    /// sticky-bit rule for either entry; `ENOTDIR` for a directory onto a non-directory,
    /// `EISDIR` for a non-directory onto a directory; `EACCES` for moving a directory
    /// without write permission on it to a new parent; `ENOTEMPTY` for a non-empty
    /// target; `ENOSPC` when the directory can take no new cookie.
    pub fn rename(
        &mut self,
        who: Credentials,
        from: &[u8],
        to: &[u8],
        now: Time,
        storage: &mut impl Storage,
    ) -> Result<(), Errno> {
        let old = self.walk(who, from)?;
        let new = self.walk(who, to)?;
        let Last::Name(old_name) = old.last else {
            return Err(Errno::Ebusy);
        };
        let Last::Name(new_name) = new.last else {
            return Err(Errno::Ebusy);
        };
        let source = self.child(old.directory, old_name)?.ok_or(Errno::Enoent)?;
        let target = self.child(new.directory, new_name)?;
        let moving_directory = self.is_directory(source);
        if !moving_directory && (old.trailing_slash || new.trailing_slash) {
            return Err(Errno::Enotdir);
        }
        if old.directory != new.directory {
            if let Some(trap) = self.child_toward(old.directory, new.directory) {
                if source == trap {
                    return Err(Errno::Einval);
                }
            } else if let Some(trap) = self.child_toward(new.directory, old.directory)
                && target == Some(trap)
            {
                return Err(Errno::Enotempty);
            }
        }
        if target == Some(source) {
            return Ok(());
        }
        self.may_delete(old.directory, source, who)?;
        match target {
            None => self.may_create(new.directory, who)?,
            Some(target) => {
                self.may_delete(new.directory, target, who)?;
                match (moving_directory, self.is_directory(target)) {
                    (true, false) => return Err(Errno::Enotdir),
                    (false, true) => return Err(Errno::Eisdir),
                    _ => {}
                }
            }
        }
        let new_parent = new.directory != old.directory;
        if new_parent && moving_directory && !self.node(source).permits(who, MAY_WRITE) {
            return Err(Errno::Eacces);
        }
        if let Some(target) = target
            && self.directory(target).is_some_and(|entries| !entries.is_empty())
        {
            return Err(Errno::Enotempty);
        }
        if target.is_none() {
            if self.directory(new.directory).is_none_or(Directory::is_full) {
                return Err(Errno::Enospc);
            }
            if new_parent && moving_directory && self.node(new.directory).links == u32::MAX {
                return Err(Errno::Emlink);
            }
        }
        // Done checking: move.
        let cookie = target.and_then(|_| {
            self.directory(new.directory)
                .and_then(|entries| entries.get(new_name))
                .map(|entry| entry.cookie)
        });
        if target.is_some() {
            self.detach(new.directory, new_name, now);
        }
        self.directory_mut(old.directory).remove(old_name);
        self.directory_mut(new.directory).insert(new_name, source, cookie);
        if moving_directory && new_parent {
            self.node_mut(old.directory).links -= 1;
            self.node_mut(new.directory).links += 1;
            self.directory_mut(source).parent = new.directory;
        }
        self.node_mut(old.directory).touch_modified(now);
        self.node_mut(new.directory).touch_modified(now);
        self.node_mut(source).changed = now;
        if let Some(target) = target {
            let fifo = matches!(self.node(target).kind, Kind::Fifo);
            if self.forget(target, storage) && fifo {
                self.unlinked_fifos.push(target);
            }
        }
        Ok(())
    }

    /// `link(existing, new)` (Linux's `do_linkat` and `vfs_link`).
    ///
    /// Errors, in order: `existing`'s path errors; `new`'s walk; `EEXIST` when `new`'s
    /// last component is `.`, `..` or `/` or exists; `ENOENT` for a new name followed by
    /// a slash; `EPERM` under the protected-hardlinks rule; `EACCES` without write
    /// permission on the directory; `EPERM` for a directory; `EMLINK` at `u32::MAX`
    /// links; `ENOSPC` past the inode limit.
    pub fn link(
        &mut self,
        who: Credentials,
        existing: &[u8],
        new: &[u8],
        now: Time,
    ) -> Result<(), Errno> {
        let source = self.resolve(who, existing)?;
        let parent = self.walk(who, new)?;
        let Last::Name(name) = parent.last else {
            return Err(Errno::Eexist);
        };
        if self.child(parent.directory, name)?.is_some() {
            return Err(Errno::Eexist);
        }
        if parent.trailing_slash {
            return Err(Errno::Enoent);
        }
        // may_linkat with fs.protected_hardlinks = 1.
        let node = self.node(source);
        if !node.owned_by(who) {
            let safe = matches!(node.kind, Kind::Regular { .. })
                && node.mode & S_ISUID == 0
                && node.mode & (S_ISGID | S_IXGRP) != S_ISGID | S_IXGRP
                && node.permits(who, MAY_READ | MAY_WRITE);
            if !safe {
                return Err(Errno::Eperm);
            }
        }
        self.may_create(parent.directory, who)?;
        let node = self.node(source);
        if node.is_directory() {
            return Err(Errno::Eperm);
        }
        if node.links == u32::MAX {
            return Err(Errno::Emlink);
        }
        if self.inode_charge >= self.inode_limit
            || self.directory(parent.directory).is_none_or(Directory::is_full)
        {
            return Err(Errno::Enospc);
        }
        self.inode_charge += 1;
        self.directory_mut(parent.directory).insert(name, source, None);
        self.node_mut(parent.directory).touch_modified(now);
        let node = self.node_mut(source);
        node.links += 1;
        node.changed = now;
        Ok(())
    }

    /// `chmod(path, mode)` (Linux's `chmod_common` and `setattr_prepare`): sets the
    /// `0o7777` bits of `mode`, less set-group-id when the caller is neither root nor of
    /// the inode's group; updates the change time.
    ///
    /// Errors: the path's; `EPERM` unless the caller owns the inode or is root.
    pub fn chmod(
        &mut self,
        who: Credentials,
        path: &[u8],
        mode: u32,
        now: Time,
    ) -> Result<(), Errno> {
        let inode = self.resolve(who, path)?;
        let node = self.node_mut(inode);
        if !node.owned_by(who) {
            return Err(Errno::Eperm);
        }
        let mut mode = mode & S_IALLUGO;
        if who.uid != 0 && who.gid != node.gid {
            mode &= !S_ISGID;
        }
        node.mode = mode;
        node.changed = now;
        Ok(())
    }

    /// `getdents` one entry at a time (Linux's `iterate_dir` and `offset_readdir`): the
    /// entry at the description's offset (its cookie), or `None` at the end.
    ///
    /// With `cookie_from_offset` the read consumes the entry: the offset becomes the
    /// entry's [`DirectoryEntry::next`] (or [`crate::END_OF_DIRECTORY`] at the end), as
    /// `getdents` leaves it. Without it the offset stays (a peek: the main loop can check
    /// that the entry fits the caller's buffer, then consume it by seeking to `next`).
    /// Either way the directory's access time is updated (unless `O_NOATIME`).
    ///
    /// Errors: `EBADF`; `ENOTDIR` for a non-directory; `ENOENT` for a removed directory.
    pub fn read_directory(
        &mut self,
        open: OpenId,
        cookie_from_offset: bool,
        now: Time,
    ) -> Result<Option<DirectoryEntry>, Errno> {
        let description = self.description(open)?;
        let inode = description.inode;
        let Some(entries) = self.directory(inode) else {
            return Err(Errno::Enotdir);
        };
        if entries.removed {
            return Err(Errno::Enoent);
        }
        let (entry, next) = match description.offset {
            0 => {
                let entry = (b".".to_vec(), inode, FileType::Directory);
                (Some(entry), 1)
            }
            1 => {
                let entry = (b"..".to_vec(), entries.parent, FileType::Directory);
                (Some(entry), entries.first_cookie())
            }
            cookie => match entries.listing_at(cookie) {
                Some((name, entry, next)) => {
                    let file_type = self.node(entry.inode).file_type();
                    (Some((name.to_vec(), entry.inode, file_type)), next)
                }
                None => (None, crate::END_OF_DIRECTORY),
            },
        };
        if cookie_from_offset && let Some(description) = self.descriptions.get_mut(&open) {
            description.offset = next;
        }
        if description.flags & O_NOATIME == 0 {
            self.node_mut(inode).accessed = now;
        }
        Ok(entry.map(|(name, inode, file_type)| DirectoryEntry { name, inode, file_type, next }))
    }

    /// The last reference to a description is gone: drops it, and frees an unlinked
    /// file's storage when this was its last description. Unknown ids are ignored.
    pub fn close(&mut self, open: OpenId, storage: &mut impl Storage) {
        let Some(description) = self.descriptions.remove(&open) else {
            return;
        };
        self.node_mut(description.inode).opens -= 1;
        self.forget(description.inode, storage);
    }

    /// `fcntl(F_GETFL)`: the access mode, `O_APPEND`, `O_NONBLOCK` and `O_NOATIME`.
    /// Errors: `EBADF`.
    pub fn status_flags(&self, open: OpenId) -> Result<u64, Errno> {
        Ok(self.description(open)?.flags)
    }

    /// `fcntl(F_SETFL)`: takes `O_APPEND` and `O_NONBLOCK` from `flags`, ignores the
    /// rest. Errors: `EBADF`.
    pub fn set_status_flags(&mut self, open: OpenId, flags: u64) -> Result<(), Errno> {
        let description = self.descriptions.get_mut(&open).ok_or(Errno::Ebadf)?;
        description.flags = (description.flags & !O_CHANGEABLE) | (flags & O_CHANGEABLE);
        Ok(())
    }

    /// For `mmap`: the storage of the description's regular file, its size, and the
    /// description's access-mode bits (`O_ACCMODE`; 3 means neither reading nor writing).
    ///
    /// Errors: `EBADF`; `ENODEV` for a directory (Linux's `mmap` answer for a file
    /// without a `mmap` operation).
    pub fn data_of(&self, open: OpenId) -> Result<(DataId, u64, u64), Errno> {
        let description = self.description(open)?;
        match self.node(description.inode).kind {
            Kind::Regular { data, size } => Ok((data, size, description.flags & O_ACCMODE)),
            _ => Err(Errno::Enodev),
        }
    }

    /// Checks every invariant of the structure (for tests): link counts, sizes, storage,
    /// accounting, parents, cookies.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self, storage: &crate::VecStorage) {
        use alloc::collections::BTreeSet;
        let mut names: BTreeMap<InodeNumber, u32> = BTreeMap::new();
        let mut subdirectories: BTreeMap<InodeNumber, u32> = BTreeMap::new();
        for (&number, inode) in &self.inodes {
            if let Some(entries) = inode.directory() {
                assert!(entries.is_consistent(), "directory {number} indexes agree");
                for (_, entry) in entries.entries() {
                    *names.entry(entry.inode).or_default() += 1;
                    if self.is_directory(entry.inode) {
                        *subdirectories.entry(number).or_default() += 1;
                        assert_eq!(
                            self.parent_of(entry.inode),
                            number,
                            "parent of {}",
                            entry.inode
                        );
                        assert!(!entries.removed);
                    }
                }
            }
        }
        let mut used = 0;
        let mut data_ids = BTreeSet::new();
        let mut charge = 0;
        for (&number, inode) in &self.inodes {
            let opens = self.descriptions.values().filter(|d| d.inode == number).count();
            assert_eq!(inode.opens, opens, "open count of {number}");
            assert!(inode.links > 0 || inode.opens > 0, "inode {number} should be freed");
            assert_eq!(inode.mode & !S_IALLUGO, 0);
            charge += 1;
            match &inode.kind {
                Kind::Directory(entries) => {
                    let expected = if entries.removed {
                        0
                    } else {
                        2 + subdirectories.get(&number).copied().unwrap_or(0)
                    };
                    assert_eq!(inode.links, expected, "links of directory {number}");
                    if number == ROOT {
                        assert_eq!(entries.parent, ROOT);
                    } else if !entries.removed {
                        assert_eq!(names.get(&number), Some(&1), "one name for {number}");
                    }
                }
                Kind::Regular { data, size } => {
                    assert_eq!(inode.links, names.get(&number).copied().unwrap_or(0));
                    assert_eq!(storage.contents(*data).map(|c| c.len() as u64), Some(*size));
                    assert!(data_ids.insert(*data), "storage {data} shared");
                    used += size;
                    charge += u64::from(inode.links.saturating_sub(1));
                }
                Kind::Fifo => {
                    assert!(inode.links > 0, "a FIFO without links is freed at once");
                    assert_eq!(inode.links, names.get(&number).copied().unwrap_or(0));
                    charge += u64::from(inode.links - 1);
                }
            }
        }
        assert_eq!(self.used_bytes, used, "used bytes");
        assert!(self.used_bytes <= self.size_limit || self.size_limit == 0);
        assert_eq!(storage.ids().into_iter().collect::<BTreeSet<_>>(), data_ids, "no leak");
        assert_eq!(self.inode_charge, charge, "inode charge");
        for description in self.descriptions.values() {
            assert!(self.inodes.contains_key(&description.inode));
            assert!(!matches!(self.node(description.inode).kind, Kind::Fifo));
        }
    }
}

/// Linux's `rw_verify_area`: the count must fit `ssize_t` and the end must fit `loff_t`.
fn verify_area(offset: u64, length: usize) -> Result<(), Errno> {
    let length = i64::try_from(length).map_err(|_| Errno::Einval)?;
    let offset = i64::try_from(offset).map_err(|_| Errno::Einval)?;
    offset.checked_add(length).map(|_| ()).ok_or(Errno::Einval)
}

/// The storage of calls that make no regular file: never used.
struct NoStorage;

impl Storage for NoStorage {
    fn create(&mut self) -> Result<DataId, Errno> {
        Err(Errno::Eio)
    }

    fn read(&mut self, _: DataId, _: u64, _: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::Eio)
    }

    fn write(&mut self, _: DataId, _: u64, _: &[u8]) -> Result<(), Errno> {
        Err(Errno::Eio)
    }

    fn resize(&mut self, _: DataId, _: u64) -> Result<(), Errno> {
        Err(Errno::Eio)
    }

    fn destroy(&mut self, _: DataId) {}
}
