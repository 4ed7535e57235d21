//! Differential test: the same random sequence of file operations applied to a
//! `FileSystem` and to a fresh directory of the host's real file system, which must give
//! the same results and the same errno at every step.
//!
//! The host directory is made in `/dev/shm` when that is a tmpfs (else in the temporary
//! directory), and the core's `/w` stands for it: a path `p` of the sequence is `/w/p` in
//! the core and `<directory>/p` on the host. Paths are made of a few components from a
//! tiny alphabet (`a`, `b`, `c`, `.`, `..`, and a name one byte too long) so that names
//! collide; `..` never climbs above the directory. The caller is root on the host when the
//! test runs as root (as in CI) and is modelled as uid 0, gid 0; otherwise the caller is
//! modelled with the test's own ids (the directory and everything in it are the test's).
//!
//! Compared: the result or errno of open (random flag combinations), close, read (the
//! bytes), write (the count), lseek, ftruncate, truncate, unlink, rename, mkdir, mkfifo,
//! rmdir, link, chmod, stat and fstat (type, size, link count, mode bits, owner; inode
//! numbers through a bijection built as they are seen), fcntl's F_GETFL and F_SETFL; and
//! on tmpfs also directory sizes and getdents64 listings (names, inodes, types and the
//! d_off cookies, read in chunks of random size). Times are not compared (the core's
//! clock is the caller's). A FIFO is opened on the host with O_RDWR | O_NONBLOCK so that
//! the open never blocks (the core hands FIFOs to the pipe server, which applies the
//! access mode); ops on closed descriptors are checked against Linux's answer for a bad
//! descriptor, since the host may have reused the number.

#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::ffi::{CString, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use courier_tmpfs_core::{
    Credentials, Errno, FileSystem, FileType, InodeNumber, OpenId, Opened, Stat, Time, VecStorage,
};
use proptest::prelude::*;

// The core's flag values: Courier's ABI numbers (Linux's asm-generic and x86_64 ones).
/// `O_WRONLY`.
const O_WRONLY: u64 = 0o1;
/// `O_RDWR`.
const O_RDWR: u64 = 0o2;
/// `O_ACCMODE`.
const O_ACCMODE: u64 = 0o3;
/// `O_CREAT`.
const O_CREAT: u64 = 0o100;
/// `O_EXCL`.
const O_EXCL: u64 = 0o200;
/// `O_TRUNC`.
const O_TRUNC: u64 = 0o1000;
/// `O_APPEND`.
const O_APPEND: u64 = 0o2000;
/// `O_NONBLOCK`.
const O_NONBLOCK: u64 = 0o4000;
/// `O_DIRECTORY`.
const O_DIRECTORY: u64 = 0o200000;
/// `O_CLOEXEC`.
const O_CLOEXEC: u64 = 0o2000000;

/// Linux tmpfs's `statfs` magic.
const TMPFS_MAGIC: i64 = 0x0102_1994;

const NOW: Time = Time { seconds: 1, nanoseconds: 0 };
const LONG_NAME_LENGTH: usize = 256;
/// Writes starting past this offset are left out (see `Operation::Write`).
const SPARSE_BOUND: u64 = 1 << 20;
/// `SEEK_CUR`.
const SEEK_CUR: u32 = 1;

#[derive(Clone, Debug)]
struct TestPath {
    components: Vec<u8>,
    trailing_slash: bool,
    double_slashes: bool,
}

impl TestPath {
    fn text(&self) -> String {
        let mut depth = 0_usize;
        let mut names = Vec::new();
        for &component in &self.components {
            let name = match component % 7 {
                0 | 5 => "a".to_string(),
                1 => "b".to_string(),
                2 => "c".to_string(),
                4 if depth > 0 => "..".to_string(),
                3 | 4 => ".".to_string(),
                _ => "x".repeat(LONG_NAME_LENGTH),
            };
            match name.as_str() {
                "." => {}
                ".." => depth -= 1,
                _ => depth += 1,
            }
            names.push(name);
        }
        let separator = if self.double_slashes { "//" } else { "/" };
        let mut text = names.join(separator);
        if self.trailing_slash {
            text.push('/');
        }
        text
    }
}

fn test_path() -> impl Strategy<Value = TestPath> {
    let component = prop_oneof![20 => 0_u8..3, 3 => Just(3_u8), 4 => Just(4_u8), 1 => Just(6_u8)];
    let components = prop_oneof![
        6 => prop::collection::vec(component.clone(), 1..=1),
        3 => prop::collection::vec(component.clone(), 2..=2),
        1 => prop::collection::vec(component, 3..=3),
    ];
    (components, prop::bool::weighted(0.15), prop::bool::weighted(0.1)).prop_map(
        |(components, trailing_slash, double_slashes)| TestPath {
            components,
            trailing_slash,
            double_slashes,
        },
    )
}

#[derive(Clone, Debug)]
enum Operation {
    Open { path: TestPath, flags: u64, mode: u32 },
    Close { slot: usize },
    Read { slot: usize, length: usize },
    Write { slot: usize, length: usize, fill: u8 },
    Seek { slot: usize, offset: i64, whence: u32 },
    Truncate { slot: usize, length: i64 },
    TruncatePath { path: TestPath, length: i64 },
    Unlink { path: TestPath },
    Rmdir { path: TestPath },
    Mkdir { path: TestPath, mode: u32 },
    Mkfifo { path: TestPath, mode: u32 },
    Rename { from: TestPath, to: TestPath },
    Link { existing: TestPath, new: TestPath },
    Chmod { path: TestPath, mode: u32 },
    Stat { path: TestPath },
    StatOpen { slot: usize },
    GetFlags { slot: usize },
    SetFlags { slot: usize, flags: u64 },
    ReadDirectory { slot: usize, buffer: usize },
}

fn open_flags() -> impl Strategy<Value = u64> {
    let optional = [O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY, O_CLOEXEC];
    let chances = [0.5, 0.2, 0.2, 0.25, 0.2, 0.15, 0.2];
    let access =
        prop_oneof![3 => Just(0_u64), 2 => Just(O_WRONLY), 4 => Just(O_RDWR), 1 => Just(3_u64)];
    (access, chances.map(prop::bool::weighted)).prop_map(move |(access, chosen)| {
        optional
            .iter()
            .zip(chosen)
            .filter(|(_, chosen)| *chosen)
            .fold(access, |flags, (flag, _)| flags | flag)
    })
}

fn modes() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![0o644_u32, 0o755, 0o600, 0o777, 0o4755, 0o2755, 0o1777, 0o7777, 0])
}

fn lengths() -> impl Strategy<Value = i64> {
    prop::sample::select(vec![0_i64, 1, 3, 7, 20, 100, 5000, -1, i64::MIN])
}

fn operation() -> impl Strategy<Value = Operation> {
    let slot = any::<usize>;
    prop_oneof![
        30 => (test_path(), open_flags(), modes())
            .prop_map(|(path, flags, mode)| Operation::Open { path, flags, mode }),
        6 => test_path().prop_map(|path| Operation::Open { path, flags: O_DIRECTORY, mode: 0 }),
        6 => slot().prop_map(|slot| Operation::Close { slot }),
        12 => (slot(), prop::sample::select(vec![0_usize, 1, 5, 17, 100]))
            .prop_map(|(slot, length)| Operation::Read { slot, length }),
        14 => (slot(), prop::sample::select(vec![0_usize, 1, 4, 13, 40]), any::<u8>())
            .prop_map(|(slot, length, fill)| Operation::Write { slot, length, fill }),
        8 => (
            slot(),
            prop::sample::select(vec![0_i64, 1, 3, -1, -4, 10, 100, 4096, i64::MAX, i64::MIN]),
            prop_oneof![10 => 0_u32..3, 1 => Just(7_u32)],
        )
            .prop_map(|(slot, offset, whence)| Operation::Seek { slot, offset, whence }),
        6 => (slot(), lengths()).prop_map(|(slot, length)| Operation::Truncate { slot, length }),
        3 => (test_path(), lengths())
            .prop_map(|(path, length)| Operation::TruncatePath { path, length }),
        8 => test_path().prop_map(|path| Operation::Unlink { path }),
        6 => test_path().prop_map(|path| Operation::Rmdir { path }),
        10 => (test_path(), modes()).prop_map(|(path, mode)| Operation::Mkdir { path, mode }),
        3 => (test_path(), modes()).prop_map(|(path, mode)| Operation::Mkfifo { path, mode }),
        10 => (test_path(), test_path()).prop_map(|(from, to)| Operation::Rename { from, to }),
        5 => (test_path(), test_path())
            .prop_map(|(existing, new)| Operation::Link { existing, new }),
        4 => (test_path(), modes()).prop_map(|(path, mode)| Operation::Chmod { path, mode }),
        10 => test_path().prop_map(|path| Operation::Stat { path }),
        4 => slot().prop_map(|slot| Operation::StatOpen { slot }),
        3 => slot().prop_map(|slot| Operation::GetFlags { slot }),
        2 => (slot(), prop::sample::select(vec![0_u64, O_APPEND, O_NONBLOCK, O_APPEND | O_NONBLOCK]))
            .prop_map(|(slot, flags)| Operation::SetFlags { slot, flags }),
        6 => (slot(), prop::sample::select(vec![280_usize, 600, 4096]))
            .prop_map(|(slot, buffer)| Operation::ReadDirectory { slot, buffer }),
    ]
}

/// The host's errno after a failed call.
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn number(error: Errno) -> i32 {
    error.number()
}

/// A host result: the value, or the errno.
fn host<T: PartialOrd + Default>(value: T) -> Result<T, i32> {
    if value < T::default() { Err(errno()) } else { Ok(value) }
}

fn host_flags(flags: u64) -> c_int {
    let mut host = match flags & O_ACCMODE {
        0 => libc::O_RDONLY,
        O_WRONLY => libc::O_WRONLY,
        O_RDWR => libc::O_RDWR,
        _ => libc::O_ACCMODE,
    };
    let pairs = [
        (O_CREAT, libc::O_CREAT),
        (O_EXCL, libc::O_EXCL),
        (O_TRUNC, libc::O_TRUNC),
        (O_APPEND, libc::O_APPEND),
        (O_NONBLOCK, libc::O_NONBLOCK),
        (O_DIRECTORY, libc::O_DIRECTORY),
        (O_CLOEXEC, libc::O_CLOEXEC),
    ];
    for (core, linux) in pairs {
        if flags & core != 0 {
            host |= linux;
        }
    }
    host
}

/// The core flags a host `F_GETFL` answer stands for (access mode, append, nonblock).
fn core_status(host: c_int) -> u64 {
    let mut flags = match host & libc::O_ACCMODE {
        libc::O_WRONLY => O_WRONLY,
        libc::O_RDWR => O_RDWR,
        libc::O_RDONLY => 0,
        _ => O_ACCMODE,
    };
    if host & libc::O_APPEND != 0 {
        flags |= O_APPEND;
    }
    if host & libc::O_NONBLOCK != 0 {
        flags |= O_NONBLOCK;
    }
    flags
}

/// A file description open on both sides; `host` is `None` once closed.
struct Slot {
    core: OpenId,
    host: Option<c_int>,
}

/// The comparable part of a `stat`.
#[derive(Debug, PartialEq, Eq)]
struct Facts {
    file_type: FileType,
    mode: u32,
    links: u64,
    uid: u32,
    gid: u32,
    size: Option<u64>,
}

/// One run: the core, the host directory, and the open descriptions.
struct Run {
    core: FileSystem,
    storage: VecStorage,
    who: Credentials,
    directory: PathBuf,
    tmpfs: bool,
    slots: Vec<Slot>,
    /// Core inode numbers to host ones and back.
    inodes: BTreeMap<InodeNumber, u64>,
    host_inodes: BTreeMap<u64, InodeNumber>,
}

impl Drop for Run {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(fd) = slot.host {
                // SAFETY: `fd` is a descriptor this run opened and has not closed.
                unsafe { libc::close(fd) };
            }
        }
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn new_directory() -> (PathBuf, bool) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let shm = PathBuf::from("/dev/shm");
    let base = if is_tmpfs(&shm) { shm } else { std::env::temp_dir() };
    let name = format!(
        "courier-tmpfs-core-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let directory = base.join(name);
    std::fs::create_dir(&directory).expect("make the host directory");
    let tmpfs = is_tmpfs(&directory);
    (directory, tmpfs)
}

fn is_tmpfs(path: &std::path::Path) -> bool {
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: an all-zero statfs is a valid value of that plain C struct.
    let mut facts: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `facts` outlives the call.
    let result = unsafe { libc::statfs(path.as_ptr(), &raw mut facts) };
    #[allow(clippy::unnecessary_cast)] // reason: f_type's width differs between libcs
    let magic = facts.f_type as i64;
    result == 0 && magic == TMPFS_MAGIC
}

impl Run {
    fn new() -> Run {
        let (directory, tmpfs) = new_directory();
        // SAFETY: geteuid and getegid only read the caller's ids.
        let who = unsafe { Credentials { uid: libc::geteuid(), gid: libc::getegid() } };
        let mut core = FileSystem::new(1 << 30, NOW);
        if who.uid != 0 {
            // A user's directory inside a directory the user may write in.
            core.chmod(Credentials::ROOT, b"/", 0o777, NOW).expect("chmod /");
        }
        core.mkdir(who, b"/w", 0o755, NOW).expect("make /w");
        let run = Run {
            core,
            storage: VecStorage::new(),
            who,
            directory,
            tmpfs,
            slots: Vec::new(),
            inodes: BTreeMap::new(),
            host_inodes: BTreeMap::new(),
        };
        let path = run.host_path("");
        // SAFETY: `path` is NUL-terminated.
        let changed = unsafe { libc::chmod(path.as_ptr(), 0o755) };
        assert_eq!(changed, 0, "chmod the host directory");
        run
    }

    fn core_path(&self, path: &str) -> Vec<u8> {
        format!("/w/{path}").into_bytes()
    }

    fn host_path(&self, path: &str) -> CString {
        let mut full = self.directory.as_os_str().as_bytes().to_vec();
        full.push(b'/');
        full.extend_from_slice(path.as_bytes());
        CString::new(full).expect("no NUL")
    }

    /// Records that core inode `core` is host inode `host`, or checks it.
    fn same_inode(&mut self, core: InodeNumber, host: u64) -> Result<(), TestCaseError> {
        let known = self.inodes.insert(core, host);
        prop_assert!(
            known.is_none_or(|known| known == host),
            "core inode {} was {:?}, now {}",
            core,
            known,
            host
        );
        let known = self.host_inodes.insert(host, core);
        prop_assert!(
            known.is_none_or(|known| known == core),
            "host inode {} was {:?}, now {}",
            host,
            known,
            core
        );
        Ok(())
    }

    fn core_facts(&mut self, stat: Stat) -> Facts {
        Facts {
            file_type: stat.file_type,
            mode: stat.mode,
            links: u64::from(stat.links),
            uid: stat.uid,
            gid: stat.gid,
            size: (stat.file_type == FileType::Regular || self.tmpfs).then_some(stat.size),
        }
    }

    fn host_facts(&self, stat: &libc::stat) -> Facts {
        let file_type = match stat.st_mode & libc::S_IFMT {
            libc::S_IFDIR => FileType::Directory,
            libc::S_IFIFO => FileType::Fifo,
            _ => FileType::Regular,
        };
        #[allow(clippy::unnecessary_cast)] // reason: st_nlink's width differs between arches
        let links = stat.st_nlink as u64;
        Facts {
            file_type,
            mode: stat.st_mode & 0o7777,
            links,
            uid: stat.st_uid,
            gid: stat.st_gid,
            size: (file_type == FileType::Regular || self.tmpfs)
                .then_some(u64::try_from(stat.st_size).unwrap_or(u64::MAX)),
        }
    }

    /// Compares a core `stat` result with a host one.
    fn compare_stat(
        &mut self,
        core: Result<Stat, Errno>,
        host: Result<libc::stat, i32>,
    ) -> Result<(), TestCaseError> {
        match (core, host) {
            (Ok(core), Ok(host)) => {
                self.same_inode(core.inode, host.st_ino)?;
                let core = self.core_facts(core);
                prop_assert_eq!(core, self.host_facts(&host));
            }
            (core, host) => {
                prop_assert_eq!(core.map(|_| ()).map_err(number), host.map(|_| ()));
            }
        }
        Ok(())
    }

    fn host_stat(&self, path: &CString) -> Result<libc::stat, i32> {
        // SAFETY: an all-zero stat is a valid value of that plain C struct.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `path` is NUL-terminated and `stat` outlives the call.
        host(unsafe { libc::stat(path.as_ptr(), &raw mut stat) }).map(|_| stat)
    }

    fn host_fstat(fd: c_int) -> Result<libc::stat, i32> {
        // SAFETY: an all-zero stat is a valid value of that plain C struct.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `stat` outlives the call; a bad descriptor only makes it fail.
        host(unsafe { libc::fstat(fd, &raw mut stat) }).map(|_| stat)
    }

    fn slot(&self, index: usize) -> Option<(usize, OpenId, Option<c_int>)> {
        if self.slots.is_empty() {
            return None;
        }
        let index = index % self.slots.len();
        let slot = &self.slots[index];
        Some((index, slot.core, slot.host))
    }

    fn apply(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        match operation {
            Operation::Open { path, flags, mode } => {
                let text = path.text();
                let core = self.core.open(
                    self.who,
                    &self.core_path(&text),
                    *flags,
                    *mode,
                    NOW,
                    &mut self.storage,
                );
                let host_path = self.host_path(&text);
                let fifo = self
                    .host_stat(&host_path)
                    .is_ok_and(|stat| stat.st_mode & libc::S_IFMT == libc::S_IFIFO);
                let mut linux_flags = host_flags(*flags);
                if fifo {
                    linux_flags =
                        (linux_flags & !libc::O_ACCMODE) | libc::O_RDWR | libc::O_NONBLOCK;
                }
                // SAFETY: `host_path` is NUL-terminated; the mode is a plain integer.
                let fd = host(unsafe { libc::open(host_path.as_ptr(), linux_flags, *mode) });
                match (core, fd) {
                    (Ok(opened), Ok(fd)) => {
                        let stat = Run::host_fstat(fd);
                        match opened {
                            Opened::File(open) => {
                                self.slots.push(Slot { core: open, host: Some(fd) });
                                let core = self.core.stat_open(open);
                                self.compare_stat(core, stat)?;
                            }
                            Opened::Fifo(inode) => {
                                // SAFETY: `fd` was just opened by this run.
                                unsafe { libc::close(fd) };
                                prop_assert!(fifo, "the core opened a FIFO");
                                let stat = stat.map_err(|_| TestCaseError::fail("fstat"))?;
                                self.same_inode(inode, stat.st_ino)?;
                            }
                        }
                    }
                    (Ok(opened), Err(error)) => {
                        if let Opened::File(open) = opened {
                            self.core.close(open, &mut self.storage);
                        }
                        prop_assert!(false, "core opened {:?}, host failed with {}", opened, error);
                    }
                    (Err(error), Ok(fd)) => {
                        // SAFETY: `fd` was just opened by this run.
                        unsafe { libc::close(fd) };
                        prop_assert!(false, "host opened, core failed with {:?}", error);
                    }
                    (Err(core), Err(host)) => prop_assert_eq!(number(core), host),
                }
            }
            Operation::Close { slot } => {
                if let Some((index, open, Some(fd))) = self.slot(*slot) {
                    self.core.close(open, &mut self.storage);
                    // SAFETY: `fd` is open and this run's.
                    let closed = unsafe { libc::close(fd) };
                    prop_assert_eq!(closed, 0);
                    self.slots[index].host = None;
                }
            }
            Operation::Read { slot, length } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let mut into = Vec::new();
                let core = self
                    .core
                    .read(open, *length, NOW, &mut self.storage, &mut into)
                    .map(|()| into)
                    .map_err(number);
                let linux = match fd {
                    Some(fd) => {
                        let mut buffer = vec![0_u8; *length];
                        // SAFETY: `buffer` has `length` writable bytes for the call.
                        let count = host(unsafe {
                            libc::read(fd, buffer.as_mut_ptr().cast::<c_void>(), *length)
                        });
                        count.map(|count| {
                            buffer.truncate(count.unsigned_abs());
                            buffer
                        })
                    }
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::Write { slot, length, fill } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                // Far past the end Linux tmpfs writes a sparse file, where the core, which
                // counts sizes against its limit, says ENOSPC (a documented difference):
                // such writes are left out unless they overflow (EINVAL on both).
                let position = self.core.seek(open, 0, SEEK_CUR).unwrap_or(0);
                let end = i64::try_from(position)
                    .ok()
                    .and_then(|position| position.checked_add(i64::try_from(*length).ok()?));
                if *length > 0 && position > SPARSE_BOUND && end.is_some() {
                    return Ok(());
                }
                let bytes: Vec<u8> =
                    (0..*length).map(|index| fill.wrapping_add(index as u8)).collect();
                let core = self.core.write(open, &bytes, NOW, &mut self.storage).map_err(number);
                let linux = match fd {
                    // SAFETY: `bytes` is readable for its length during the call.
                    Some(fd) => host(unsafe {
                        libc::write(fd, bytes.as_ptr().cast::<c_void>(), bytes.len())
                    })
                    .map(isize::unsigned_abs),
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::Seek { slot, offset, whence } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let core = self.core.seek(open, *offset, *whence).map_err(number);
                let linux = match fd {
                    Some(fd) => {
                        let whence = c_int::try_from(*whence).expect("small");
                        // SAFETY: lseek takes plain integers.
                        host(unsafe { libc::lseek(fd, *offset, whence) }).map(i64::unsigned_abs)
                    }
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::Truncate { slot, length } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let core =
                    self.core.truncate_open(open, *length, NOW, &mut self.storage).map_err(number);
                let linux = match fd {
                    // SAFETY: ftruncate takes plain integers.
                    Some(fd) => host(unsafe { libc::ftruncate(fd, *length) }).map(|_| ()),
                    None if *length < 0 => Err(libc::EINVAL),
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::TruncatePath { path, length } => {
                let text = path.text();
                let core = self
                    .core
                    .truncate_path(
                        self.who,
                        &self.core_path(&text),
                        *length,
                        NOW,
                        &mut self.storage,
                    )
                    .map_err(number);
                let path = self.host_path(&text);
                // SAFETY: `path` is NUL-terminated.
                let linux = host(unsafe { libc::truncate(path.as_ptr(), *length) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Unlink { path } => {
                let text = path.text();
                let core = self
                    .core
                    .unlink(self.who, &self.core_path(&text), NOW, &mut self.storage)
                    .map(|_| ())
                    .map_err(number);
                let path = self.host_path(&text);
                // SAFETY: `path` is NUL-terminated.
                let linux = host(unsafe { libc::unlink(path.as_ptr()) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Rmdir { path } => {
                let text = path.text();
                let core = self.core.rmdir(self.who, &self.core_path(&text), NOW).map_err(number);
                let path = self.host_path(&text);
                // SAFETY: `path` is NUL-terminated.
                let linux = host(unsafe { libc::rmdir(path.as_ptr()) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Mkdir { path, mode } => {
                let text = path.text();
                let core =
                    self.core.mkdir(self.who, &self.core_path(&text), *mode, NOW).map_err(number);
                let path = self.host_path(&text);
                // SAFETY: `path` is NUL-terminated.
                let linux = host(unsafe { libc::mkdir(path.as_ptr(), *mode) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Mkfifo { path, mode } => {
                let text = path.text();
                let core = self.core.mknod_fifo(self.who, &self.core_path(&text), *mode, NOW);
                let host_path = self.host_path(&text);
                // SAFETY: `host_path` is NUL-terminated.
                let linux = host(unsafe { libc::mkfifo(host_path.as_ptr(), *mode) });
                prop_assert_eq!(core.map(|_| ()).map_err(number), linux.map(|_| ()));
                if let Ok(inode) = core {
                    let stat = self.host_stat(&host_path);
                    let stat = stat.map_err(|_| TestCaseError::fail("stat the FIFO"))?;
                    self.same_inode(inode, stat.st_ino)?;
                }
            }
            Operation::Rename { from, to } => {
                let (from, to) = (from.text(), to.text());
                let (core_from, core_to) = (self.core_path(&from), self.core_path(&to));
                let core = self
                    .core
                    .rename(self.who, &core_from, &core_to, NOW, &mut self.storage)
                    .map_err(number);
                let (from, to) = (self.host_path(&from), self.host_path(&to));
                // SAFETY: both paths are NUL-terminated.
                let linux = host(unsafe { libc::rename(from.as_ptr(), to.as_ptr()) }).map(|_| ());
                prop_assert_eq!(core, linux);
                let _ = self.core.take_unlinked_fifos();
            }
            Operation::Link { existing, new } => {
                let (existing, new) = (existing.text(), new.text());
                let (core_existing, core_new) = (self.core_path(&existing), self.core_path(&new));
                let core = self.core.link(self.who, &core_existing, &core_new, NOW).map_err(number);
                let (existing, new) = (self.host_path(&existing), self.host_path(&new));
                // SAFETY: both paths are NUL-terminated.
                let linux =
                    host(unsafe { libc::link(existing.as_ptr(), new.as_ptr()) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Chmod { path, mode } => {
                let text = path.text();
                let core =
                    self.core.chmod(self.who, &self.core_path(&text), *mode, NOW).map_err(number);
                let path = self.host_path(&text);
                // SAFETY: `path` is NUL-terminated.
                let linux = host(unsafe { libc::chmod(path.as_ptr(), *mode) }).map(|_| ());
                prop_assert_eq!(core, linux);
            }
            Operation::Stat { path } => {
                let text = path.text();
                let core = self.core.stat_path(self.who, &self.core_path(&text));
                let linux = self.host_stat(&self.host_path(&text));
                self.compare_stat(core, linux)?;
            }
            Operation::StatOpen { slot } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let core = self.core.stat_open(open);
                match fd {
                    Some(fd) => self.compare_stat(core, Run::host_fstat(fd))?,
                    None => prop_assert_eq!(core.map(|_| ()).map_err(number), Err(libc::EBADF)),
                }
            }
            Operation::GetFlags { slot } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let core = self.core.status_flags(open).map_err(number);
                let linux = match fd {
                    // SAFETY: fcntl(F_GETFL) takes plain integers.
                    Some(fd) => host(unsafe { libc::fcntl(fd, libc::F_GETFL) }).map(core_status),
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::SetFlags { slot, flags } => {
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let core = self.core.set_status_flags(open, *flags).map_err(number);
                let linux = match fd {
                    Some(fd) => {
                        let linux_flags = host_flags(*flags);
                        // SAFETY: fcntl(F_SETFL) takes plain integers.
                        host(unsafe { libc::fcntl(fd, libc::F_SETFL, linux_flags) }).map(|_| ())
                    }
                    None => Err(libc::EBADF),
                };
                prop_assert_eq!(core, linux);
            }
            Operation::ReadDirectory { slot, buffer } => {
                if !self.tmpfs {
                    return Ok(());
                }
                let Some((_, open, fd)) = self.slot(*slot) else { return Ok(()) };
                let Some(fd) = fd else {
                    let core = self.core.read_directory(open, true, NOW).map(|_| ());
                    prop_assert_eq!(core.map_err(number), Err(libc::EBADF));
                    return Ok(());
                };
                self.compare_listing(open, fd, *buffer)?;
            }
        }
        Ok(())
    }

    /// One getdents64 call of `buffer` bytes against as many core reads.
    fn compare_listing(
        &mut self,
        open: OpenId,
        fd: c_int,
        buffer: usize,
    ) -> Result<(), TestCaseError> {
        let mut bytes = vec![0_u8; buffer];
        // SAFETY: `bytes` has `buffer` writable bytes for the call.
        let count = unsafe {
            libc::syscall(libc::SYS_getdents64, fd, bytes.as_mut_ptr().cast::<c_void>(), buffer)
        };
        if count < 0 {
            let error = errno();
            let core = self.core.read_directory(open, true, NOW).map(|_| ()).map_err(number);
            prop_assert_eq!(core, Err(error));
            return Ok(());
        }
        let count = usize::try_from(count).expect("not negative");
        let mut at = 0;
        while at < count {
            // struct linux_dirent64: u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, name.
            let field = |start: usize, length: usize| &bytes[at + start..at + start + length];
            let inode = u64::from_ne_bytes(field(0, 8).try_into().expect("8 bytes"));
            let next = i64::from_ne_bytes(field(8, 8).try_into().expect("8 bytes"));
            let length = usize::from(u16::from_ne_bytes(field(16, 2).try_into().expect("2")));
            let kind = field(18, 1)[0];
            let name_bytes = field(19, length - 19);
            let end = name_bytes.iter().position(|&byte| byte == 0).unwrap_or(name_bytes.len());
            let name = name_bytes[..end].to_vec();
            let file_type = match kind {
                libc::DT_DIR => FileType::Directory,
                libc::DT_FIFO => FileType::Fifo,
                _ => FileType::Regular,
            };
            let core = self.core.read_directory(open, true, NOW);
            let Ok(Some(entry)) = core else {
                prop_assert!(false, "host listed {:?}, core gave {:?}", name, core);
                return Ok(());
            };
            prop_assert_eq!(&entry.name, &name);
            prop_assert_eq!(entry.file_type, file_type);
            prop_assert_eq!(entry.next, next.unsigned_abs(), "cookie after {:?}", name);
            self.same_inode(entry.inode, inode)?;
            at += length;
        }
        if count == 0 {
            let core = self.core.read_directory(open, true, NOW);
            prop_assert_eq!(core, Ok(None));
        }
        let core = self.core.seek(open, 0, SEEK_CUR).map_err(number);
        // SAFETY: lseek takes plain integers.
        let linux = host(unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }).map(i64::unsigned_abs);
        prop_assert_eq!(core, linux, "offsets after the listing");
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_core_answers_as_linux_does(operations in prop::collection::vec(operation(), 1..120)) {
        // SAFETY: umask only sets this process's file-creation mask; the core gets modes
        // with the mask already applied, as its clients send them.
        unsafe { libc::umask(0) };
        let mut run = Run::new();
        for (step, operation) in operations.iter().enumerate() {
            run.apply(operation).map_err(|error| {
                TestCaseError::fail(format!("step {step}: {operation:?}: {error}"))
            })?;
        }
        for slot in std::mem::take(&mut run.slots) {
            run.core.close(slot.core, &mut run.storage);
            if let Some(fd) = slot.host {
                // SAFETY: `fd` is open and this run's.
                unsafe { libc::close(fd) };
            }
        }
        prop_assert_eq!(run.core.open_count(), 0);
    }
}
