//! tmpfs: the file system server's main loop. It decodes requests, asks the pure core
//! (`courier_tmpfs_core`) what they mean, and turns the answers into kernel calls.
//!
//! init starts it after the pipe server; it offers `SERVICE_TMPFS` through proc and
//! serves:
//!
//! - path requests through a connection (badge: the caller's pid; proc tells the caller's
//!   credentials): open, stat, mkdir, mkfifo, rmdir, unlink, rename, link, chmod,
//!   truncate (`courier_abi::fs`). `Open` answers with a reference to the new open file
//!   description, or for a FIFO node with the FIFO's capability at the pipe server (made
//!   there on the node's first open, dropped when the node's last link goes);
//! - the I/O protocol (`courier_abi::io`) through a description's reference, `Map`
//!   included: the answer carries the file's memory object;
//! - `Released` notices: the description closes (an unlinked file's contents go with its
//!   last description).
//!
//! File contents live in kernel memory objects, one per regular file, each mapped into
//! this server so that `read` and `write` copy through the mapping and every client's
//! `mmap` of the file sees the same pages. The file system's size limit is
//! `tmpfs.size=` on the kernel command line (bytes, with an optional `K`, `M` or `G`, or
//! a percentage of the memory free at start), half of the free memory by default, as
//! Linux's tmpfs.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use courier_tmpfs_core::{
    Credentials, DataId, Errno, FileSystem, FileType, InodeNumber, OpenId, Opened, Stat, Storage,
    Time,
};
use libsys::abi::fs::{
    DIRECTORY_ENTRY_HEADER, FileStat, FsRequest, OPENED_FIFO, OPENED_FILE, PATH_MAX, S_IFDIR,
    S_IFIFO, S_IFREG, SEEK_CUR, SEEK_SET, TimeStamp,
};
use libsys::abi::io::{
    F_GETPIPE_SZ, F_SETPIPE_SZ, IoRequest, O_ACCMODE, O_RDONLY, O_RDWR, REFERENCE_BADGE,
};
use libsys::abi::ipc::{
    HandleTransfer, MESSAGE_WORDS, MessageDescriptor, RECEIVED_EXTENDED, ReceiveDescriptor,
    Received, ReceivedKind, TRANSFER_COPY, TRANSFER_MOVE,
};
use libsys::abi::layout::PAGE_SIZE;
use libsys::abi::memory::MAX_MEMORY_OBJECT;
use libsys::abi::pipe::PipeRequest;
use libsys::abi::service::{SERVICE_PIPE, SERVICE_TMPFS};
use libsys::abi::{Handle, KernelError, NO_TIMEOUT, Rights};
use libsys::ipc::{Endpoint, ReplyId, lease_read, lease_write, reply, reply_receive, reply_with};
use libsys::memory::{MAP_READ, MAP_WRITE, Mapping, MemoryObject};

libsys::main!(main);

/// Bytes moved through the server's buffer per step of a large read or write.
const CHUNK: usize = 64 * 1024;

/// The smallest window of a file's memory object mapped into the server.
const MINIMUM_WINDOW: usize = 64 * 1024;

/// A file's contents: its memory object and the server's mapping of it.
struct Store {
    object: MemoryObject,
    /// The server's view, `window` bytes long (past the object's end while the file is
    /// smaller: those pages are never touched).
    mapping: Option<Mapping>,
    window: usize,
    size: u64,
}

/// [`Storage`] over memory objects.
#[derive(Default)]
struct ObjectStorage {
    stores: BTreeMap<DataId, Store>,
    next: DataId,
}

fn page_ceiling(size: u64) -> u64 {
    size.div_ceil(PAGE_SIZE as u64) * PAGE_SIZE as u64
}

fn kernel_to_errno(error: KernelError) -> Errno {
    match error {
        KernelError::OutOfMemory | KernelError::LimitReached => Errno::Enospc,
        KernelError::InvalidArgument => Errno::Efbig,
        other => Errno::from(other),
    }
}

impl Store {
    /// Zeroes `[from, to)` through the mapping.
    fn zero(&self, from: u64, to: u64) -> Result<(), Errno> {
        if from >= to {
            return Ok(());
        }
        let mapping = self.mapping.as_ref().ok_or(Errno::Eio)?;
        let zeros = [0u8; 512];
        let mut at = from as usize;
        while at < to as usize {
            let count = (to as usize - at).min(zeros.len());
            if !mapping.write_bytes(at, &zeros[..count]) {
                return Err(Errno::Eio);
            }
            at += count;
        }
        Ok(())
    }

    /// Makes the server's window cover `size` bytes.
    fn cover(&mut self, size: u64) -> Result<(), Errno> {
        if size as usize <= self.window {
            return Ok(());
        }
        let window = (size as usize).next_power_of_two().max(MINIMUM_WINDOW);
        let window = window.min(MAX_MEMORY_OBJECT as usize);
        let mapping =
            self.object.map(0, 0, window, MAP_READ | MAP_WRITE).map_err(kernel_to_errno)?;
        if let Some(old) = self.mapping.replace(mapping) {
            let _ = libsys::memory::unmap(old);
        }
        self.window = window;
        Ok(())
    }
}

impl ObjectStorage {
    fn store(&mut self, data: DataId) -> Result<&mut Store, Errno> {
        self.stores.get_mut(&data).ok_or(Errno::Eio)
    }

    /// A copy of the handle to `data`'s memory object with `rights`, for a client's `mmap`.
    fn object(&self, data: DataId) -> Option<Handle> {
        self.stores.get(&data).map(|store| store.object.0)
    }
}

impl Storage for ObjectStorage {
    fn create(&mut self) -> Result<DataId, Errno> {
        let object = MemoryObject::create(0).map_err(kernel_to_errno)?;
        self.next += 1;
        let data = self.next;
        self.stores.insert(data, Store { object, mapping: None, window: 0, size: 0 });
        Ok(data)
    }

    fn read(&mut self, data: DataId, offset: u64, into: &mut [u8]) -> Result<(), Errno> {
        let store = self.store(data)?;
        let mapping = store.mapping.as_ref().ok_or(Errno::Eio)?;
        if mapping.read_bytes(offset as usize, into) { Ok(()) } else { Err(Errno::Eio) }
    }

    fn write(&mut self, data: DataId, offset: u64, bytes: &[u8]) -> Result<(), Errno> {
        let store = self.store(data)?;
        let mapping = store.mapping.as_ref().ok_or(Errno::Eio)?;
        if mapping.write_bytes(offset as usize, bytes) { Ok(()) } else { Err(Errno::Eio) }
    }

    fn resize(&mut self, data: DataId, size: u64) -> Result<(), Errno> {
        if size > MAX_MEMORY_OBJECT {
            return Err(Errno::Efbig);
        }
        let store = self.store(data)?;
        let old = store.size;
        if size > old {
            store.object.resize(page_ceiling(size) as usize).map_err(kernel_to_errno)?;
            if let Err(error) = store.cover(size) {
                let _ = store.object.resize(page_ceiling(old) as usize);
                return Err(error);
            }
            // Bytes a mapping wrote past the old end, in its last page, are not the file's.
            store.zero(old, size.min(page_ceiling(old)))?;
        } else if size < old {
            // The rest of the new last page reads as zeros if the file grows again.
            store.zero(size, page_ceiling(size).min(old))?;
            store.object.resize(page_ceiling(size) as usize).map_err(kernel_to_errno)?;
        }
        store.size = size;
        Ok(())
    }

    fn destroy(&mut self, data: DataId) {
        if let Some(store) = self.stores.remove(&data) {
            if let Some(mapping) = store.mapping {
                let _ = libsys::memory::unmap(mapping);
            }
            // Clients' mappings keep the object alive until they unmap.
            let _ = libsys::handle::close(store.object.0);
        }
    }
}

/// A reply to send: label (0 or an errno) and words.
type Reply = (u32, [u64; MESSAGE_WORDS]);

fn success(value: u64) -> Reply {
    (0, [value, 0, 0, 0])
}

fn failure(errno: Errno) -> Reply {
    (errno.number() as u32, [0; MESSAGE_WORDS])
}

fn result_reply(result: Result<u64, Errno>) -> Reply {
    match result {
        Ok(value) => success(value),
        Err(errno) => failure(errno),
    }
}

/// Now, for time stamps: there is no real-time clock yet, so time counts from boot.
fn now() -> Time {
    let now = libsys::time::monotonic();
    Time { seconds: now.as_secs() as i64, nanoseconds: now.subsec_nanos() }
}

fn encode_stat(stat: &Stat) -> FileStat {
    let type_bits = match stat.file_type {
        FileType::Regular => S_IFREG,
        FileType::Directory => S_IFDIR,
        FileType::Fifo => S_IFIFO,
    };
    let time = |time: Time| TimeStamp { seconds: time.seconds, nanoseconds: time.nanoseconds };
    FileStat {
        inode: stat.inode,
        mode: type_bits | stat.mode,
        links: stat.links,
        uid: stat.uid,
        gid: stat.gid,
        size: stat.size,
        accessed: time(stat.accessed),
        modified: time(stat.modified),
        changed: time(stat.changed),
    }
}

/// Reads `size=` style sizes: bytes with an optional `K`, `M` or `G`, or a percentage of
/// `memory`.
fn parse_size(text: &str, memory: u64) -> Option<u64> {
    if let Some(percent) = text.strip_suffix('%') {
        let percent: u64 = percent.parse().ok()?;
        return (1..=100).contains(&percent).then(|| memory / 100 * percent);
    }
    let (digits, shift) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 10),
        b'm' | b'M' => (&text[..text.len() - 1], 20),
        b'g' | b'G' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    let value: u64 = digits.parse().ok()?;
    value.checked_mul(1 << shift).filter(|&size| size > 0)
}

/// The size limit from the kernel command line, or half the free memory.
fn size_limit() -> u64 {
    let free = libsys::process::kernel_statistics().free_frames * PAGE_SIZE as u64;
    let line = libsys::process::kernel_command_line().unwrap_or_default();
    for word in line.split_whitespace() {
        if let Some(value) = word.strip_prefix("tmpfs.size=") {
            match parse_size(value, free) {
                Some(size) => return size,
                None => {
                    libsys::eprintln!("tmpfs: ignoring {word:?} (expected bytes, K, M, G or %)");
                }
            }
        }
    }
    free / 2
}

/// The server's state.
struct Server {
    endpoint: Endpoint,
    files: FileSystem,
    storage: ObjectStorage,
    /// FIFO nodes' capabilities at the pipe server, made on first open.
    fifos: BTreeMap<InodeNumber, Handle>,
    /// The server's buffer for data and paths.
    buffer: Vec<u8>,
}

fn main() -> Result<(), Errno> {
    let endpoint = Endpoint::create().map_err(Errno::from)?;
    let limit = size_limit();
    let mut server = Server {
        endpoint,
        files: FileSystem::new(limit, now()),
        storage: ObjectStorage::default(),
        fifos: BTreeMap::new(),
        buffer: vec![0; CHUNK],
    };
    libsys::service::register(SERVICE_TMPFS, &server.endpoint)?;
    let mut descriptor = ReceiveDescriptor::default();
    let mut pending: Option<(ReplyId, Reply)> = None;
    loop {
        let received = match pending.take() {
            Some((id, (label, words))) => {
                reply_receive(Some(id), label, words, &server.endpoint, Some(&mut descriptor))
            }
            None => server.endpoint.receive(Some(&mut descriptor), NO_TIMEOUT),
        };
        let received = match received {
            Ok(received) => received,
            Err(KernelError::Interrupted) => continue,
            Err(error) => return Err(Errno::from(error)),
        };
        match received.kind {
            ReceivedKind::Message => {
                let extended = received.flags & RECEIVED_EXTENDED != 0;
                if extended {
                    // Handles sent to tmpfs are not used: close them.
                    libsys::ipc::close_received_handles(&descriptor);
                }
                let leases: Vec<usize> = if extended {
                    let count = (descriptor.lease_count as usize).min(descriptor.leases.len());
                    descriptor.leases[..count].iter().map(|lease| lease.length as usize).collect()
                } else {
                    Vec::new()
                };
                if let Some(answer) = server.message(&received, &leases) {
                    pending = Some((ReplyId(received.reply), answer));
                }
            }
            ReceivedKind::Released => {
                if received.badge & REFERENCE_BADGE != 0 {
                    server.files.close(received.badge & !REFERENCE_BADGE, &mut server.storage);
                }
            }
            // Every call is answered at once: there is nothing to cancel.
            ReceivedKind::Cancel | ReceivedKind::Death | ReceivedKind::Notification => {}
        }
    }
}

impl Server {
    /// Serves one message; `Some` is the answer to send now, `None` when it was answered
    /// with a handle already.
    fn message(&mut self, received: &Received, leases: &[usize]) -> Option<Reply> {
        let reply_id = ReplyId(received.reply);
        if received.badge & REFERENCE_BADGE != 0 {
            let open = received.badge & !REFERENCE_BADGE;
            let Some(request) = IoRequest::from_message(received.label, received.words) else {
                return Some(failure(Errno::Enosys));
            };
            return self.io(open, request, reply_id, leases);
        }
        let Some(request) = FsRequest::from_message(received.label, received.words) else {
            return Some(failure(Errno::Enosys));
        };
        let who = match libsys::proc::credentials_of(received.badge as i32) {
            Ok(credentials) => Credentials { uid: credentials.euid, gid: credentials.egid },
            Err(errno) => return Some(failure(errno)),
        };
        let path = match self.path(reply_id, 0, leases) {
            Ok(path) => path,
            Err(errno) => return Some(failure(errno)),
        };
        self.path_request(request, who, &path, reply_id, leases)
    }

    /// The path in lease `index`.
    fn path(&self, reply_id: ReplyId, index: usize, leases: &[usize]) -> Result<Vec<u8>, Errno> {
        let length = *leases.get(index).ok_or(Errno::Efault)?;
        if length >= PATH_MAX {
            return Err(Errno::Enametoolong);
        }
        let mut path = vec![0; length];
        let copied = lease_read(reply_id, index, 0, &mut path).map_err(|_| Errno::Efault)?;
        if copied != length {
            return Err(Errno::Efault);
        }
        Ok(path)
    }

    fn path_request(
        &mut self,
        request: FsRequest,
        who: Credentials,
        path: &[u8],
        reply_id: ReplyId,
        leases: &[usize],
    ) -> Option<Reply> {
        let now = now();
        let result = match request {
            FsRequest::Open { flags, mode } => {
                match self.files.open(who, path, flags, mode, now, &mut self.storage) {
                    Ok(Opened::File(open)) => {
                        self.answer_open(reply_id, open);
                        return None;
                    }
                    Ok(Opened::Fifo(inode)) => {
                        return self.answer_fifo(reply_id, inode).err().map(failure);
                    }
                    Err(errno) => Err(errno),
                }
            }
            FsRequest::Stat => self.files.stat_path(who, path).and_then(|stat| {
                let bytes = encode_stat(&stat).to_bytes();
                write_lease(reply_id, 1, &bytes, leases)
            }),
            FsRequest::MakeDirectory { mode } => self.files.mkdir(who, path, mode, now).map(|()| 0),
            FsRequest::MakeFifo { mode } => self.files.mknod_fifo(who, path, mode, now).map(|_| 0),
            FsRequest::RemoveDirectory => self.files.rmdir(who, path, now).map(|()| 0),
            FsRequest::Unlink => {
                let removed = self.files.unlink(who, path, now, &mut self.storage);
                if let Ok(Some(inode)) = removed {
                    self.drop_fifo(inode);
                }
                removed.map(|_| 0)
            }
            FsRequest::Rename | FsRequest::Link => {
                let second = match self.path(reply_id, 1, leases) {
                    Ok(second) => second,
                    Err(errno) => return Some(failure(errno)),
                };
                let result = if request == FsRequest::Rename {
                    self.files.rename(who, path, &second, now, &mut self.storage)
                } else {
                    self.files.link(who, path, &second, now)
                };
                for inode in self.files.take_unlinked_fifos() {
                    self.drop_fifo(inode);
                }
                result.map(|()| 0)
            }
            FsRequest::ChangeMode { mode } => self.files.chmod(who, path, mode, now).map(|()| 0),
            FsRequest::Truncate { length } => {
                self.files.truncate_path(who, path, length, now, &mut self.storage).map(|()| 0)
            }
        };
        Some(result_reply(result))
    }

    /// The I/O protocol through description `open`'s reference.
    fn io(
        &mut self,
        open: OpenId,
        request: IoRequest,
        reply_id: ReplyId,
        leases: &[usize],
    ) -> Option<Reply> {
        let now = now();
        let result = match request {
            IoRequest::Read => self.read(open, reply_id, leases.first().copied().unwrap_or(0), now),
            IoRequest::Write => {
                self.write(open, reply_id, leases.first().copied().unwrap_or(0), now)
            }
            IoRequest::GetStatusFlags => self.files.status_flags(open),
            IoRequest::SetStatusFlags { flags } => {
                self.files.set_status_flags(open, flags).map(|()| 0)
            }
            // As Linux: the pipe commands on a file that is not a pipe are EBADF.
            IoRequest::Control { command: F_GETPIPE_SZ | F_SETPIPE_SZ, .. } => {
                self.files.status_flags(open).and(Err(Errno::Ebadf))
            }
            IoRequest::Control { .. } => self.files.status_flags(open).and(Err(Errno::Einval)),
            IoRequest::Seek { offset, whence } => self.files.seek(open, offset, whence),
            IoRequest::Truncate { length } => {
                self.files.truncate_open(open, length, now, &mut self.storage).map(|()| 0)
            }
            IoRequest::Stat => self
                .files
                .stat_open(open)
                .and_then(|stat| write_lease(reply_id, 0, &encode_stat(&stat).to_bytes(), leases)),
            IoRequest::ReadDirectory => self.read_directory(open, reply_id, leases, now),
            IoRequest::Map => match self.map(open, reply_id) {
                Ok(()) => return None,
                Err(errno) => Err(errno),
            },
        };
        Some(result_reply(result))
    }

    /// `read`: in steps of [`CHUNK`] bytes through the server's buffer into lease 0.
    fn read(
        &mut self,
        open: OpenId,
        reply_id: ReplyId,
        length: usize,
        now: Time,
    ) -> Result<u64, Errno> {
        let mut done = 0;
        loop {
            let step = (length - done).min(CHUNK);
            self.buffer.clear();
            self.files.read(open, step, now, &mut self.storage, &mut self.buffer)?;
            let got = self.buffer.len();
            if got > 0 && lease_write(reply_id, 0, done, &self.buffer) != Ok(got) {
                // The caller's buffer is bad: the bytes not delivered stay unread (the
                // offset moves back over them); what was delivered counts, as Linux.
                self.files.seek(open, -(got as i64), SEEK_CUR)?;
                return if done > 0 { Ok(done as u64) } else { Err(Errno::Efault) };
            }
            done += got;
            if got < step || done == length {
                return Ok(done as u64);
            }
        }
    }

    /// `write`: in steps of [`CHUNK`] bytes from lease 0 through the server's buffer. The
    /// server handles one request at a time, so a write is never interleaved with another.
    fn write(
        &mut self,
        open: OpenId,
        reply_id: ReplyId,
        length: usize,
        now: Time,
    ) -> Result<u64, Errno> {
        if length == 0 {
            return self.files.write(open, &[], now, &mut self.storage).map(|count| count as u64);
        }
        let mut done = 0;
        while done < length {
            let step = (length - done).min(CHUNK);
            self.buffer.resize(step, 0);
            let copied =
                lease_read(reply_id, 0, done, &mut self.buffer[..step]).map_err(|_| Errno::Efault);
            let copied = match copied {
                Ok(copied) if copied == step => copied,
                // A bad buffer: what was written so far counts, as Linux.
                _ if done > 0 => break,
                _ => return Err(Errno::Efault),
            };
            match self.files.write(open, &self.buffer[..copied], now, &mut self.storage) {
                Ok(written) => {
                    done += written;
                    if written < copied {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(errno) => return Err(errno),
            }
        }
        self.buffer.resize(CHUNK, 0);
        Ok(done as u64)
    }

    /// The next directory entry into lease 0: 1 with an entry, 0 at the end.
    fn read_directory(
        &mut self,
        open: OpenId,
        reply_id: ReplyId,
        leases: &[usize],
        now: Time,
    ) -> Result<u64, Errno> {
        let Some(entry) = self.files.read_directory(open, false, now)? else {
            return Ok(0);
        };
        let type_bits = match entry.file_type {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::Fifo => S_IFIFO,
        };
        let mut bytes = Vec::with_capacity(DIRECTORY_ENTRY_HEADER + entry.name.len());
        bytes.extend_from_slice(&entry.inode.to_le_bytes());
        bytes.push((type_bits >> 12) as u8);
        bytes.push(entry.name.len() as u8);
        bytes.extend_from_slice(&entry.name);
        if leases.first().copied().unwrap_or(0) < bytes.len() {
            return Err(Errno::Einval);
        }
        write_lease(reply_id, 0, &bytes, leases)?;
        // The entry was delivered: move past it.
        self.files.seek(open, entry.next as i64, SEEK_SET)?;
        Ok(1)
    }

    /// `mmap`: answers with the file's memory object, writable only for a description
    /// open for reading and writing.
    fn map(&mut self, open: OpenId, reply_id: ReplyId) -> Result<(), Errno> {
        let (data, size, access) = self.files.data_of(open)?;
        if access & O_ACCMODE != O_RDONLY && access & O_ACCMODE != O_RDWR {
            return Err(Errno::Eacces);
        }
        let object = self.storage.object(data).ok_or(Errno::Eio)?;
        let mut rights = Rights::READ;
        if access & O_ACCMODE == O_RDWR {
            rights = rights.union(Rights::WRITE);
        }
        let mut descriptor = MessageDescriptor::new(0);
        descriptor.words[0] = size;
        descriptor.handles[0] =
            HandleTransfer { handle: object, mode: TRANSFER_COPY, rights: rights.0, reserved: 0 };
        descriptor.handle_count = 1;
        // A caller that died meanwhile cannot be answered; nothing to do.
        let _ = reply_with(reply_id, &descriptor);
        Ok(())
    }

    /// Answers an `Open` with a reference to description `open`.
    fn answer_open(&mut self, reply_id: ReplyId, open: OpenId) {
        match self.endpoint.create_reference(REFERENCE_BADGE | open) {
            Ok(reference) => {
                let mut descriptor = MessageDescriptor::new(0);
                descriptor.words[0] = OPENED_FILE;
                descriptor.handles[0] = HandleTransfer {
                    handle: reference,
                    mode: TRANSFER_MOVE,
                    rights: Rights::ALL.0,
                    reserved: 0,
                };
                descriptor.handle_count = 1;
                if reply_with(reply_id, &descriptor).is_err() {
                    // The caller is gone: closing the reference releases the description.
                    let _ = libsys::handle::close(reference);
                }
            }
            Err(error) => {
                self.files.close(open, &mut self.storage);
                let errno = match error {
                    KernelError::OutOfMemory | KernelError::LimitReached => Errno::Enfile,
                    other => Errno::from(other),
                };
                let (label, words) = failure(errno);
                let _ = reply(reply_id, label, words);
            }
        }
    }

    /// Answers an `Open` of FIFO node `inode` with a copy of its capability.
    fn answer_fifo(&mut self, reply_id: ReplyId, inode: InodeNumber) -> Result<(), Errno> {
        let capability = match self.fifos.get(&inode) {
            Some(&capability) => capability,
            None => {
                let capability = create_fifo()?;
                self.fifos.insert(inode, capability);
                capability
            }
        };
        let mut descriptor = MessageDescriptor::new(0);
        descriptor.words[0] = OPENED_FIFO;
        descriptor.handles[0] = HandleTransfer {
            handle: capability,
            mode: TRANSFER_COPY,
            rights: Rights::SEND.0,
            reserved: 0,
        };
        descriptor.handle_count = 1;
        let _ = reply_with(reply_id, &descriptor);
        Ok(())
    }

    /// FIFO node `inode` lost its last link: drop its capability (the pipe server then
    /// forgets the node; open ends keep working).
    fn drop_fifo(&mut self, inode: InodeNumber) {
        if let Some(capability) = self.fifos.remove(&inode) {
            let _ = libsys::handle::close(capability);
        }
    }
}

/// Asks the pipe server for a new FIFO; returns its capability.
fn create_fifo() -> Result<Handle, Errno> {
    let server = libsys::service::connect(SERVICE_PIPE)?;
    let (label, words) = PipeRequest::CreateFifo.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    let answer = Endpoint(server).call_with(&mut descriptor).map_err(Errno::from)?;
    let received =
        (descriptor.received_handle_count as usize).min(descriptor.received_handles.len());
    if answer.label != 0 || received != 1 {
        for &handle in &descriptor.received_handles[..received] {
            let _ = libsys::handle::close(handle);
        }
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    Ok(descriptor.received_handles[0])
}

/// Writes `bytes` into lease `index`; 0 on success.
fn write_lease(
    reply_id: ReplyId,
    index: usize,
    bytes: &[u8],
    leases: &[usize],
) -> Result<u64, Errno> {
    if leases.get(index).copied().unwrap_or(0) < bytes.len() {
        return Err(Errno::Efault);
    }
    match lease_write(reply_id, index, 0, bytes) {
        Ok(copied) if copied == bytes.len() => Ok(0),
        _ => Err(Errno::Efault),
    }
}
