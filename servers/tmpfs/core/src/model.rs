//! A naive model of the file system for the property tests: whole-file `Vec`s, a map of
//! names per directory, and the rules written out plainly for root and for paths made of
//! names only (the path and permission rules have their own unit tests and the Linux
//! differential test). Inode numbers are given as the file system gives them (counting up
//! from the root's 1, never reused) so that they can be compared directly.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::{
    Errno, FileType, InodeNumber, O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC,
    O_WRONLY, OpenId, Opened, SEEK_CUR, SEEK_END, SEEK_SET,
};

#[derive(Clone, Debug)]
enum Kind {
    File(Vec<u8>),
    Directory { entries: BTreeMap<Vec<u8>, InodeNumber>, parent: InodeNumber },
    Fifo,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    links: u32,
    opens: usize,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    inode: InodeNumber,
    flags: u64,
    offset: u64,
}

/// What the model says `stat` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) inode: InodeNumber,
    pub(crate) file_type: FileType,
    pub(crate) links: u32,
    pub(crate) size: u64,
}

/// The model.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    nodes: BTreeMap<InodeNumber, Node>,
    opens: BTreeMap<OpenId, Open>,
    next_inode: InodeNumber,
    next_open: OpenId,
    size_limit: u64,
    inode_limit: u64,
}

const ROOT: InodeNumber = 1;

impl Model {
    /// The model of `FileSystem::new(size_limit, _).with_inode_limit(inode_limit)`.
    pub(crate) fn new(size_limit: u64, inode_limit: u64) -> Model {
        let mut model = Model {
            nodes: BTreeMap::new(),
            opens: BTreeMap::new(),
            next_inode: 1,
            next_open: 1,
            size_limit,
            inode_limit,
        };
        let directory = |parent| Kind::Directory { entries: BTreeMap::new(), parent };
        model.add(directory(ROOT));
        model.mkdir(&[b"dev"]).expect("dev");
        model.mkdir(&[b"dev", b"shm"]).expect("shm");
        model
    }

    fn add(&mut self, kind: Kind) -> InodeNumber {
        let inode = self.next_inode;
        self.next_inode += 1;
        let links = if matches!(kind, Kind::Directory { .. }) { 2 } else { 1 };
        self.nodes.insert(inode, Node { kind, links, opens: 0 });
        inode
    }

    fn used(&self) -> u64 {
        self.nodes
            .values()
            .map(|node| match &node.kind {
                Kind::File(contents) => contents.len() as u64,
                _ => 0,
            })
            .sum()
    }

    fn charge(&self) -> u64 {
        self.nodes
            .values()
            .map(|node| match node.kind {
                Kind::Directory { .. } => 1,
                _ => 1 + u64::from(node.links.saturating_sub(1)),
            })
            .sum()
    }

    fn entries(&self, inode: InodeNumber) -> Option<&BTreeMap<Vec<u8>, InodeNumber>> {
        match &self.nodes[&inode].kind {
            Kind::Directory { entries, .. } => Some(entries),
            _ => None,
        }
    }

    fn entries_mut(&mut self, inode: InodeNumber) -> &mut BTreeMap<Vec<u8>, InodeNumber> {
        match &mut self.nodes.get_mut(&inode).expect("exists").kind {
            Kind::Directory { entries, .. } => entries,
            _ => panic!("not a directory"),
        }
    }

    fn is_directory(&self, inode: InodeNumber) -> bool {
        self.entries(inode).is_some()
    }

    /// The directory of the last name, and the inode of the last name if it exists.
    fn walk(&self, path: &[&[u8]]) -> Result<(InodeNumber, Option<InodeNumber>), Errno> {
        let (last, walked) = path.split_last().expect("paths have a name");
        let mut directory = ROOT;
        for name in walked {
            directory =
                *self.entries(directory).expect("checked").get(*name).ok_or(Errno::Enoent)?;
            if !self.is_directory(directory) {
                return Err(Errno::Enotdir);
            }
        }
        Ok((directory, self.entries(directory).expect("checked").get(*last).copied()))
    }

    fn free_if_unused(&mut self, inode: InodeNumber) {
        let node = &self.nodes[&inode];
        if node.links == 0 && node.opens == 0 {
            self.nodes.remove(&inode);
        }
    }

    /// Drops the entry `name` of `directory`.
    fn detach(&mut self, directory: InodeNumber, name: &[u8]) {
        let inode = self.entries_mut(directory).remove(name).expect("exists");
        let node = self.nodes.get_mut(&inode).expect("exists");
        if matches!(node.kind, Kind::Directory { .. }) {
            node.links = 0;
            self.nodes.get_mut(&directory).expect("exists").links -= 1;
        } else {
            node.links -= 1;
        }
        self.free_if_unused(inode);
    }

    pub(crate) fn open(&mut self, path: &[&[u8]], flags: u64) -> Result<Opened, Errno> {
        let (directory, found) = self.walk(path)?;
        let inode = match found {
            Some(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::Eexist),
            Some(inode) => {
                let writes = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
                match &mut self.nodes.get_mut(&inode).expect("exists").kind {
                    Kind::Directory { .. } if flags & O_CREAT != 0 || writes => {
                        return Err(Errno::Eisdir);
                    }
                    Kind::Fifo => return Ok(Opened::Fifo(inode)),
                    Kind::File(contents) if flags & O_TRUNC != 0 => contents.clear(),
                    _ => {}
                }
                inode
            }
            None if flags & O_CREAT == 0 => return Err(Errno::Enoent),
            None => {
                if self.charge() >= self.inode_limit {
                    return Err(Errno::Enospc);
                }
                let inode = self.add(Kind::File(Vec::new()));
                let name = path.last().expect("a name").to_vec();
                self.entries_mut(directory).insert(name, inode);
                inode
            }
        };
        let open = self.next_open;
        self.next_open += 1;
        self.opens.insert(open, Open { inode, flags, offset: 0 });
        self.nodes.get_mut(&inode).expect("exists").opens += 1;
        Ok(Opened::File(open))
    }

    pub(crate) fn close(&mut self, open: OpenId) {
        if let Some(description) = self.opens.remove(&open) {
            self.nodes.get_mut(&description.inode).expect("exists").opens -= 1;
            self.free_if_unused(description.inode);
        }
    }

    fn description(&self, open: OpenId) -> Result<Open, Errno> {
        self.opens.get(&open).copied().ok_or(Errno::Ebadf)
    }

    pub(crate) fn read(&mut self, open: OpenId, length: usize) -> Result<Vec<u8>, Errno> {
        let description = self.description(open)?;
        if !matches!(description.flags & O_ACCMODE, O_RDONLY | O_RDWR) {
            return Err(Errno::Ebadf);
        }
        let Kind::File(contents) = &self.nodes[&description.inode].kind else {
            return Err(Errno::Eisdir);
        };
        let start = usize::try_from(description.offset).unwrap_or(usize::MAX).min(contents.len());
        let end = start.saturating_add(length).min(contents.len());
        let bytes = contents[start..end].to_vec();
        self.opens.get_mut(&open).expect("open").offset += bytes.len() as u64;
        Ok(bytes)
    }

    pub(crate) fn write(&mut self, open: OpenId, bytes: &[u8]) -> Result<usize, Errno> {
        let description = self.description(open)?;
        if !matches!(description.flags & O_ACCMODE, O_WRONLY | O_RDWR) {
            return Err(Errno::Ebadf);
        }
        let available = self.size_limit - self.used();
        let Kind::File(contents) =
            &mut self.nodes.get_mut(&description.inode).expect("exists").kind
        else {
            return Err(Errno::Ebadf);
        };
        if bytes.is_empty() {
            return Ok(0);
        }
        let size = contents.len();
        let position = if description.flags & O_APPEND != 0 {
            size
        } else {
            usize::try_from(description.offset).expect("small offsets")
        };
        let most = size + usize::try_from(available).expect("small");
        if most <= position {
            return Err(Errno::Enospc);
        }
        let count = bytes.len().min(most - position);
        if contents.len() < position + count {
            contents.resize(position + count, 0);
        }
        contents[position..position + count].copy_from_slice(&bytes[..count]);
        self.opens.get_mut(&open).expect("open").offset = (position + count) as u64;
        Ok(count)
    }

    pub(crate) fn seek(&mut self, open: OpenId, offset: i64, whence: u32) -> Result<u64, Errno> {
        let description = self.description(open)?;
        let base = match (whence, &self.nodes[&description.inode].kind) {
            (SEEK_SET, _) => 0,
            (SEEK_CUR, _) => i64::try_from(description.offset).expect("small"),
            (SEEK_END, Kind::File(contents)) => i64::try_from(contents.len()).expect("small"),
            _ => return Err(Errno::Einval),
        };
        let position = u64::try_from(base + offset).map_err(|_| Errno::Einval)?;
        self.opens.get_mut(&open).expect("open").offset = position;
        Ok(position)
    }

    pub(crate) fn truncate(&mut self, open: OpenId, length: i64) -> Result<(), Errno> {
        let length = usize::try_from(length).map_err(|_| Errno::Einval)?;
        let description = self.description(open)?;
        let available = self.size_limit - self.used();
        let writable = matches!(description.flags & O_ACCMODE, O_WRONLY | O_RDWR);
        match &mut self.nodes.get_mut(&description.inode).expect("exists").kind {
            Kind::File(contents) if writable => {
                if length > contents.len() && (length - contents.len()) as u64 > available {
                    return Err(Errno::Enospc);
                }
                contents.resize(length, 0);
                Ok(())
            }
            _ => Err(Errno::Einval),
        }
    }

    pub(crate) fn mkdir(&mut self, path: &[&[u8]]) -> Result<(), Errno> {
        let (directory, found) = self.walk(path)?;
        if found.is_some() {
            return Err(Errno::Eexist);
        }
        if self.charge() >= self.inode_limit {
            return Err(Errno::Enospc);
        }
        let inode = self.add(Kind::Directory { entries: BTreeMap::new(), parent: directory });
        self.entries_mut(directory).insert(path.last().expect("a name").to_vec(), inode);
        self.nodes.get_mut(&directory).expect("exists").links += 1;
        Ok(())
    }

    pub(crate) fn mkfifo(&mut self, path: &[&[u8]]) -> Result<InodeNumber, Errno> {
        let (directory, found) = self.walk(path)?;
        if found.is_some() {
            return Err(Errno::Eexist);
        }
        if self.charge() >= self.inode_limit {
            return Err(Errno::Enospc);
        }
        let inode = self.add(Kind::Fifo);
        self.entries_mut(directory).insert(path.last().expect("a name").to_vec(), inode);
        Ok(inode)
    }

    pub(crate) fn unlink(&mut self, path: &[&[u8]]) -> Result<Option<InodeNumber>, Errno> {
        let (directory, found) = self.walk(path)?;
        let inode = found.ok_or(Errno::Enoent)?;
        if self.is_directory(inode) {
            return Err(Errno::Eisdir);
        }
        let node = &self.nodes[&inode];
        let last_fifo_link = matches!(node.kind, Kind::Fifo) && node.links == 1;
        self.detach(directory, path.last().expect("a name"));
        Ok(last_fifo_link.then_some(inode))
    }

    pub(crate) fn rmdir(&mut self, path: &[&[u8]]) -> Result<(), Errno> {
        let (directory, found) = self.walk(path)?;
        let inode = found.ok_or(Errno::Enoent)?;
        match self.entries(inode) {
            None => Err(Errno::Enotdir),
            Some(entries) if !entries.is_empty() => Err(Errno::Enotempty),
            Some(_) => {
                self.detach(directory, path.last().expect("a name"));
                Ok(())
            }
        }
    }

    /// Whether `ancestor` is `inode` or one of its ancestors.
    fn contains(&self, ancestor: InodeNumber, mut inode: InodeNumber) -> bool {
        loop {
            if inode == ancestor {
                return true;
            }
            match &self.nodes[&inode].kind {
                Kind::Directory { parent, .. } if inode != ROOT => inode = *parent,
                _ => return false,
            }
        }
    }

    pub(crate) fn rename(&mut self, from: &[&[u8]], to: &[&[u8]]) -> Result<(), Errno> {
        let (old_directory, source) = self.walk(from)?;
        let (new_directory, target) = self.walk(to)?;
        let source = source.ok_or(Errno::Enoent)?;
        let moving_directory = self.is_directory(source);
        if old_directory != new_directory {
            // Linux's lock_rename traps.
            if moving_directory && self.contains(source, new_directory) {
                return Err(Errno::Einval);
            }
            if let Some(target) = target
                && self.is_directory(target)
                && self.contains(target, old_directory)
            {
                return Err(Errno::Enotempty);
            }
        }
        if target == Some(source) {
            return Ok(());
        }
        if let Some(target) = target {
            match (moving_directory, self.entries(target)) {
                (true, None) => return Err(Errno::Enotdir),
                (false, Some(_)) => return Err(Errno::Eisdir),
                (true, Some(entries)) if !entries.is_empty() => return Err(Errno::Enotempty),
                _ => {}
            }
            self.detach(new_directory, to.last().expect("a name"));
        }
        self.entries_mut(old_directory).remove(*from.last().expect("a name"));
        self.entries_mut(new_directory).insert(to.last().expect("a name").to_vec(), source);
        if moving_directory && old_directory != new_directory {
            self.nodes.get_mut(&old_directory).expect("exists").links -= 1;
            self.nodes.get_mut(&new_directory).expect("exists").links += 1;
            if let Kind::Directory { parent, .. } =
                &mut self.nodes.get_mut(&source).expect("exists").kind
            {
                *parent = new_directory;
            }
        }
        Ok(())
    }

    pub(crate) fn link(&mut self, existing: &[&[u8]], new: &[&[u8]]) -> Result<(), Errno> {
        let (_, source) = self.walk(existing)?;
        let source = source.ok_or(Errno::Enoent)?;
        let (directory, found) = self.walk(new)?;
        if found.is_some() {
            return Err(Errno::Eexist);
        }
        if self.is_directory(source) {
            return Err(Errno::Eperm);
        }
        if self.charge() >= self.inode_limit {
            return Err(Errno::Enospc);
        }
        self.entries_mut(directory).insert(new.last().expect("a name").to_vec(), source);
        self.nodes.get_mut(&source).expect("exists").links += 1;
        Ok(())
    }

    fn facts(&self, inode: InodeNumber) -> Facts {
        let node = &self.nodes[&inode];
        let (file_type, size) = match &node.kind {
            Kind::File(contents) => (FileType::Regular, contents.len() as u64),
            Kind::Directory { entries, .. } => {
                (FileType::Directory, 40 + 20 * entries.len() as u64)
            }
            Kind::Fifo => (FileType::Fifo, 0),
        };
        Facts { inode, file_type, links: node.links, size }
    }

    pub(crate) fn stat(&self, path: &[&[u8]]) -> Result<Facts, Errno> {
        let (_, found) = self.walk(path)?;
        Ok(self.facts(found.ok_or(Errno::Enoent)?))
    }

    pub(crate) fn stat_open(&self, open: OpenId) -> Result<Facts, Errno> {
        Ok(self.facts(self.description(open)?.inode))
    }

    /// The bytes in use (the sum of the sizes of existing files).
    pub(crate) fn used_bytes(&self) -> u64 {
        self.used()
    }

    /// How many inodes exist.
    pub(crate) fn inode_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every open description.
    pub(crate) fn open_ids(&self) -> Vec<OpenId> {
        self.opens.keys().copied().collect()
    }
}
