//! Unit tests: one or more per rule of the file system, each named after the rule.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::{
    Credentials, DataId, DirectoryEntry, END_OF_DIRECTORY, Errno, FileSystem, FileType,
    InodeNumber, MAX_FILE_SIZE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NONBLOCK,
    O_PATH, O_RDONLY, O_RDWR, O_TMPFILE_BIT, O_TRUNC, O_WRONLY, OpenId, Opened, ROOT, SEEK_CUR,
    SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET, Stat, Storage, Time, VecStorage,
};

const T0: Time = Time { seconds: 100, nanoseconds: 0 };
const ROOT_USER: Credentials = Credentials::ROOT;
const ALICE: Credentials = Credentials { uid: 1000, gid: 1000 };
const BOB: Credentials = Credentials { uid: 1001, gid: 1001 };
/// Not Alice, but in Alice's group.
const CAROL: Credentials = Credentials { uid: 1002, gid: 1000 };
const LIMIT: u64 = 1 << 20;

fn at(seconds: i64) -> Time {
    Time { seconds, nanoseconds: 0 }
}

struct Fixture {
    fs: FileSystem,
    storage: VecStorage,
}

impl Fixture {
    fn new() -> Self {
        Fixture::with_limit(LIMIT)
    }

    /// A file system whose root anyone may write in (so that users can make files there).
    fn writable_root() -> Self {
        let mut fixture = Fixture::new();
        fixture.chmod(ROOT_USER, "/", 0o777).expect("chmod");
        fixture
    }

    fn with_limit(limit: u64) -> Self {
        Fixture { fs: FileSystem::new(limit, T0), storage: VecStorage::new() }
    }

    fn open(
        &mut self,
        who: Credentials,
        path: &str,
        flags: u64,
        mode: u32,
    ) -> Result<Opened, Errno> {
        self.open_at(who, path, flags, mode, T0)
    }

    fn open_at(
        &mut self,
        who: Credentials,
        path: &str,
        flags: u64,
        mode: u32,
        now: Time,
    ) -> Result<Opened, Errno> {
        let opened = self.fs.open(who, path.as_bytes(), flags, mode, now, &mut self.storage);
        self.check();
        opened
    }

    /// Opens a regular file or directory, which must succeed.
    fn file(&mut self, who: Credentials, path: &str, flags: u64) -> OpenId {
        match self.open(who, path, flags, 0o644) {
            Ok(Opened::File(open)) => open,
            other => panic!("open {path}: {other:?}"),
        }
    }

    /// Creates (or truncates) a regular file as `who` with `mode`, writes `contents`, and
    /// closes it.
    fn make_file(&mut self, who: Credentials, path: &str, mode: u32, contents: &[u8]) {
        let open = match self.open(who, path, O_CREAT | O_WRONLY | O_TRUNC, mode) {
            Ok(Opened::File(open)) => open,
            other => panic!("create {path}: {other:?}"),
        };
        assert_eq!(self.write(open, contents), Ok(contents.len()));
        self.close(open);
    }

    fn mkdir(&mut self, who: Credentials, path: &str, mode: u32) -> Result<(), Errno> {
        let made = self.fs.mkdir(who, path.as_bytes(), mode, T0);
        self.check();
        made
    }

    fn mkfifo(&mut self, who: Credentials, path: &str, mode: u32) -> Result<InodeNumber, Errno> {
        let made = self.fs.mknod_fifo(who, path.as_bytes(), mode, T0);
        self.check();
        made
    }

    fn write(&mut self, open: OpenId, bytes: &[u8]) -> Result<usize, Errno> {
        self.write_at(open, bytes, T0)
    }

    fn write_at(&mut self, open: OpenId, bytes: &[u8], now: Time) -> Result<usize, Errno> {
        let written = self.fs.write(open, bytes, now, &mut self.storage);
        self.check();
        written
    }

    fn read(&mut self, open: OpenId, length: usize) -> Result<Vec<u8>, Errno> {
        self.read_at(open, length, T0)
    }

    fn read_at(&mut self, open: OpenId, length: usize, now: Time) -> Result<Vec<u8>, Errno> {
        let mut into = Vec::new();
        self.fs.read(open, length, now, &mut self.storage, &mut into)?;
        self.check();
        Ok(into)
    }

    fn stat(&self, path: &str) -> Result<Stat, Errno> {
        self.fs.stat_path(ROOT_USER, path.as_bytes())
    }

    fn stat_as(&self, who: Credentials, path: &str) -> Result<Stat, Errno> {
        self.fs.stat_path(who, path.as_bytes())
    }

    fn unlink(&mut self, who: Credentials, path: &str) -> Result<Option<InodeNumber>, Errno> {
        let unlinked = self.fs.unlink(who, path.as_bytes(), T0, &mut self.storage);
        self.check();
        unlinked
    }

    fn rmdir(&mut self, who: Credentials, path: &str) -> Result<(), Errno> {
        let removed = self.fs.rmdir(who, path.as_bytes(), T0);
        self.check();
        removed
    }

    fn rename(&mut self, who: Credentials, from: &str, to: &str) -> Result<(), Errno> {
        let renamed = self.fs.rename(who, from.as_bytes(), to.as_bytes(), T0, &mut self.storage);
        self.check();
        renamed
    }

    fn link(&mut self, who: Credentials, existing: &str, new: &str) -> Result<(), Errno> {
        let linked = self.fs.link(who, existing.as_bytes(), new.as_bytes(), T0);
        self.check();
        linked
    }

    fn chmod(&mut self, who: Credentials, path: &str, mode: u32) -> Result<(), Errno> {
        let changed = self.fs.chmod(who, path.as_bytes(), mode, T0);
        self.check();
        changed
    }

    fn close(&mut self, open: OpenId) {
        self.fs.close(open, &mut self.storage);
        self.check();
    }

    fn list(&mut self, open: OpenId) -> Vec<(Vec<u8>, u64)> {
        let mut names = Vec::new();
        while let Some(entry) = self.fs.read_directory(open, true, T0).expect("a directory") {
            names.push((entry.name, entry.next));
        }
        names
    }

    fn names(&mut self, path: &str) -> Vec<Vec<u8>> {
        let open = self.file(ROOT_USER, path, O_RDONLY | O_DIRECTORY);
        let names = self.list(open).into_iter().map(|(name, _)| name).collect();
        self.close(open);
        names
    }

    fn mode(&self, path: &str) -> u32 {
        self.stat(path).expect("exists").mode
    }

    fn check(&self) {
        self.fs.check_invariants(&self.storage);
    }
}

fn names(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|name| name.as_bytes().to_vec()).collect()
}

// The initial tree.

#[test]
fn new_file_system_has_root_dev_and_dev_shm() {
    let fixture = Fixture::new();
    let root = fixture.stat("/").expect("root");
    assert_eq!(
        root,
        Stat {
            inode: ROOT,
            file_type: FileType::Directory,
            mode: 0o755,
            links: 3,
            uid: 0,
            gid: 0,
            size: 60,
            accessed: T0,
            modified: T0,
            changed: T0,
        }
    );
    let dev = fixture.stat("/dev").expect("dev");
    assert_eq!((dev.inode, dev.mode, dev.links, dev.size), (2, 0o755, 3, 60));
    let shm = fixture.stat("/dev/shm").expect("shm");
    assert_eq!((shm.inode, shm.mode, shm.links, shm.size), (3, 0o1777, 2, 40));
    assert_eq!((shm.uid, shm.gid), (0, 0));
    assert_eq!(fixture.fs.inode_count(), 3);
    assert_eq!(fixture.fs.open_count(), 0);
    assert_eq!(fixture.fs.used_bytes(), 0);
    assert_eq!(fixture.fs.size_limit(), LIMIT);
    fixture.check();
}

// Paths.

#[test]
fn an_empty_path_is_enoent() {
    let mut fixture = Fixture::new();
    assert_eq!(fixture.stat(""), Err(Errno::Enoent));
    assert_eq!(fixture.open(ROOT_USER, "", O_CREAT | O_RDWR, 0o644), Err(Errno::Enoent));
    assert_eq!(fixture.mkdir(ROOT_USER, "", 0o755), Err(Errno::Enoent));
}

#[test]
fn a_path_of_path_max_bytes_is_enametoolong() {
    let fixture = Fixture::new();
    let long = "/".repeat(4096);
    assert_eq!(fixture.stat(&long), Err(Errno::Enametoolong));
    let just_fits = "/".repeat(4095);
    assert_eq!(fixture.stat(&just_fits).map(|stat| stat.inode), Ok(ROOT));
}

#[test]
fn a_component_over_name_max_is_enametoolong_when_looked_up() {
    let mut fixture = Fixture::new();
    let long = "x".repeat(256);
    let longest = "x".repeat(255);
    assert_eq!(fixture.stat(&format!("/{long}")), Err(Errno::Enametoolong));
    assert_eq!(fixture.stat(&format!("/{long}/a")), Err(Errno::Enametoolong));
    assert_eq!(fixture.stat(&format!("/missing/{long}")), Err(Errno::Enoent));
    assert_eq!(fixture.stat(&format!("/{longest}")), Err(Errno::Enoent));
    assert_eq!(
        fixture.open(ROOT_USER, &format!("/{long}"), O_CREAT | O_RDWR, 0o644),
        Err(Errno::Enametoolong)
    );
    assert_eq!(fixture.mkdir(ROOT_USER, &format!("/{long}"), 0o755), Err(Errno::Enametoolong));
    assert_eq!(fixture.mkdir(ROOT_USER, &format!("/{longest}"), 0o755), Ok(()));
}

#[test]
fn a_nul_byte_in_a_path_is_einval() {
    let fixture = Fixture::new();
    assert_eq!(fixture.fs.stat_path(ROOT_USER, b"/dev\0/shm",), Err(Errno::Einval));
}

#[test]
fn relative_paths_repeated_slashes_dot_and_dot_dot_resolve_as_on_linux() {
    let fixture = Fixture::new();
    let shm = fixture.stat("/dev/shm").expect("shm").inode;
    let dev = fixture.stat("/dev").expect("dev").inode;
    assert_eq!(fixture.stat("dev/shm").map(|stat| stat.inode), Ok(shm));
    assert_eq!(fixture.stat("//dev///shm//").map(|stat| stat.inode), Ok(shm));
    assert_eq!(fixture.stat("/dev/./shm/../shm/.").map(|stat| stat.inode), Ok(shm));
    assert_eq!(fixture.stat("/dev/shm/..").map(|stat| stat.inode), Ok(dev));
    assert_eq!(fixture.stat("/..").map(|stat| stat.inode), Ok(ROOT));
    assert_eq!(fixture.stat("/../../dev/..").map(|stat| stat.inode), Ok(ROOT));
    assert_eq!(fixture.stat(".").map(|stat| stat.inode), Ok(ROOT));
    assert_eq!(fixture.stat("/").map(|stat| stat.inode), Ok(ROOT));
}

#[test]
fn a_non_directory_component_is_enotdir() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.stat("/f/x"), Err(Errno::Enotdir));
    assert_eq!(fixture.stat("/f/."), Err(Errno::Enotdir));
    assert_eq!(fixture.stat("/f/.."), Err(Errno::Enotdir));
    assert_eq!(fixture.mkdir(ROOT_USER, "/f/d", 0o755), Err(Errno::Enotdir));
    assert_eq!(fixture.stat("/missing/.."), Err(Errno::Enoent));
}

#[test]
fn a_trailing_slash_asks_for_a_directory() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    fixture.mkfifo(ROOT_USER, "/p", 0o644).expect("mkfifo");
    assert_eq!(fixture.stat("/f/"), Err(Errno::Enotdir));
    assert_eq!(fixture.stat("/p/"), Err(Errno::Enotdir));
    assert_eq!(fixture.stat("/f//"), Err(Errno::Enotdir));
    assert!(fixture.stat("/dev/").is_ok());
    assert_eq!(fixture.open(ROOT_USER, "/f/", O_RDONLY, 0), Err(Errno::Enotdir));
}

#[test]
fn search_permission_is_needed_on_every_directory_looked_in() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/home", 0o755).expect("mkdir");
    fixture.chmod(ROOT_USER, "/home", 0o777).expect("chmod");
    fixture.mkdir(ALICE, "/home/alice", 0o750).expect("mkdir");
    fixture.make_file(ALICE, "/home/alice/notes", 0o644, b"hello");
    assert_eq!(fixture.stat_as(BOB, "/home/alice/notes"), Err(Errno::Eacces));
    assert_eq!(fixture.stat_as(BOB, "/home/alice/missing"), Err(Errno::Eacces));
    assert_eq!(fixture.stat_as(BOB, "/home/alice/../alice/notes"), Err(Errno::Eacces));
    assert!(fixture.stat_as(BOB, "/home/alice").is_ok(), "the last component needs nothing");
    assert!(fixture.stat_as(CAROL, "/home/alice/notes").is_ok(), "group search");
    assert!(fixture.stat_as(ROOT_USER, "/home/alice/notes").is_ok(), "root searches anything");
    fixture.chmod(ALICE, "/home/alice", 0o640).expect("chmod");
    assert_eq!(fixture.stat_as(CAROL, "/home/alice/notes"), Err(Errno::Eacces));
    assert_eq!(fixture.stat_as(ALICE, "/home/alice/notes"), Err(Errno::Eacces), "owner bits");
    assert!(fixture.stat_as(ROOT_USER, "/home/alice/notes").is_ok());
}

#[test]
fn permissions_take_the_owner_bits_then_the_group_bits_then_the_others() {
    let mut fixture = Fixture::writable_root();
    // Owner may not read, group may, others may: the owner is refused.
    fixture.make_file(ALICE, "/f", 0o044, b"x");
    assert_eq!(fixture.open(ALICE, "/f", O_RDONLY, 0), Err(Errno::Eacces));
    assert!(fixture.open(CAROL, "/f", O_RDONLY, 0).is_ok());
    assert!(fixture.open(BOB, "/f", O_RDONLY, 0).is_ok());
    fixture.chmod(ALICE, "/f", 0o404).expect("chmod");
    assert_eq!(fixture.open(CAROL, "/f", O_RDONLY, 0), Err(Errno::Eacces), "group bits rule");
    assert!(fixture.open(BOB, "/f", O_RDONLY, 0).is_ok());
    fixture.chmod(ALICE, "/f", 0).expect("chmod");
    assert!(fixture.open(ROOT_USER, "/f", O_RDWR, 0).is_ok(), "root reads and writes anything");
}

// Open.

#[test]
fn open_creates_a_regular_file_with_the_mode_bits_and_the_callers_ids() {
    let mut fixture = Fixture::new();
    let opened = fixture.open_at(ALICE, "/dev/shm/x", O_CREAT | O_RDWR, 0o100644, at(7));
    let Ok(Opened::File(open)) = opened else { panic!("{opened:?}") };
    let stat = fixture.fs.stat_open(open).expect("open");
    assert_eq!(stat.file_type, FileType::Regular);
    assert_eq!((stat.mode, stat.uid, stat.gid, stat.links, stat.size), (0o644, 1000, 1000, 1, 0));
    assert_eq!((stat.accessed, stat.modified, stat.changed), (at(7), at(7), at(7)));
    let shm = fixture.stat("/dev/shm").expect("shm");
    assert_eq!((shm.modified, shm.changed, shm.size, shm.links), (at(7), at(7), 60, 2));
    assert_eq!(fixture.fs.open_count(), 1);
    assert_eq!(fixture.fs.inode_count(), 4);
    assert_eq!(fixture.stat("/dev/shm/x").map(|stat| stat.inode), Ok(stat.inode));
}

#[test]
fn open_without_o_creat_of_a_missing_name_is_enoent() {
    let mut fixture = Fixture::new();
    assert_eq!(fixture.open(ROOT_USER, "/nothing", O_RDWR, 0), Err(Errno::Enoent));
    assert_eq!(fixture.open(ROOT_USER, "/nothing/", O_RDWR, 0), Err(Errno::Enoent));
}

#[test]
fn open_o_creat_o_excl_of_an_existing_name_is_eexist() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.open(ROOT_USER, "/f", O_CREAT | O_EXCL | O_RDWR, 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.open(ROOT_USER, "/dev", O_CREAT | O_EXCL, 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.open(ROOT_USER, "/", O_CREAT | O_EXCL, 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.open(ROOT_USER, "/dev/.", O_CREAT | O_EXCL, 0o644), Err(Errno::Eexist));
    // Without O_EXCL an existing file just opens.
    assert!(matches!(fixture.open(ROOT_USER, "/f", O_CREAT | O_RDWR, 0o600), Ok(Opened::File(_))));
    assert_eq!(fixture.mode("/f"), 0o644, "the mode is only for a new file");
}

#[test]
fn open_o_creat_with_a_trailing_slash_or_on_a_directory_is_eisdir() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.open(ROOT_USER, "/new/", O_CREAT | O_RDWR, 0o644), Err(Errno::Eisdir));
    assert_eq!(fixture.open(ROOT_USER, "/f/", O_CREAT | O_RDWR, 0o644), Err(Errno::Eisdir));
    assert_eq!(fixture.open(ROOT_USER, "/dev/", O_CREAT, 0o644), Err(Errno::Eisdir));
    assert_eq!(fixture.open(ROOT_USER, "/dev", O_CREAT, 0o644), Err(Errno::Eisdir));
    assert_eq!(fixture.open(ROOT_USER, "/dev/..", O_CREAT, 0o644), Err(Errno::Eisdir));
    assert_eq!(fixture.stat("/new"), Err(Errno::Enoent));
}

#[test]
fn opening_a_directory_for_writing_or_truncation_is_eisdir() {
    let mut fixture = Fixture::new();
    for flags in [O_WRONLY, O_RDWR, 3, O_RDONLY | O_TRUNC] {
        assert_eq!(fixture.open(ROOT_USER, "/dev", flags, 0), Err(Errno::Eisdir), "{flags:o}");
    }
    let open = fixture.file(ROOT_USER, "/dev", O_RDONLY);
    assert_eq!(fixture.read(open, 10), Err(Errno::Eisdir));
    assert_eq!(fixture.read(open, 0), Err(Errno::Eisdir));
    assert_eq!(fixture.write(open, b"x"), Err(Errno::Ebadf));
}

#[test]
fn open_o_directory_needs_a_directory() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    fixture.mkfifo(ROOT_USER, "/p", 0o666).expect("mkfifo");
    assert_eq!(fixture.open(ROOT_USER, "/f", O_RDONLY | O_DIRECTORY, 0), Err(Errno::Enotdir));
    assert_eq!(fixture.open(ROOT_USER, "/p", O_RDONLY | O_DIRECTORY, 0), Err(Errno::Enotdir));
    assert!(fixture.open(ROOT_USER, "/dev", O_RDONLY | O_DIRECTORY, 0).is_ok());
    // ENOTDIR comes before the permission check.
    fixture.chmod(ROOT_USER, "/f", 0).expect("chmod");
    assert_eq!(fixture.open(BOB, "/f", O_RDONLY | O_DIRECTORY, 0), Err(Errno::Enotdir));
}

#[test]
fn unsupported_open_flags_are_refused_before_the_path_is_looked_at() {
    let mut fixture = Fixture::new();
    let both = O_CREAT | O_DIRECTORY;
    assert_eq!(fixture.open(ROOT_USER, "/missing/x", both, 0o644), Err(Errno::Einval));
    assert_eq!(fixture.open(ROOT_USER, "/dev", O_PATH, 0), Err(Errno::Einval));
    let tmpfile = O_TMPFILE_BIT | O_DIRECTORY;
    assert_eq!(fixture.open(ROOT_USER, "/dev", tmpfile | O_RDWR, 0o600), Err(Errno::Eopnotsupp));
    assert_eq!(fixture.open(ROOT_USER, "/dev", tmpfile, 0o600), Err(Errno::Einval));
    assert_eq!(fixture.open(ROOT_USER, "/dev", O_TMPFILE_BIT | O_RDWR, 0o600), Err(Errno::Einval));
    // Flags without meaning here are ignored (O_CLOEXEC, O_NOCTTY, O_SYNC, O_LARGEFILE).
    let ignored = 0o2000000 | 0o400 | 0o4010000 | 0o100000;
    assert!(fixture.open(ROOT_USER, "/f", O_CREAT | O_RDWR | ignored, 0o644).is_ok());
}

#[test]
fn open_checks_the_permissions_of_the_access_mode() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o640, b"x");
    assert!(fixture.open(ALICE, "/f", O_RDWR, 0).is_ok());
    assert!(fixture.open(CAROL, "/f", O_RDONLY, 0).is_ok());
    assert_eq!(fixture.open(CAROL, "/f", O_WRONLY, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(CAROL, "/f", O_RDWR, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(CAROL, "/f", O_RDONLY | O_TRUNC, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(BOB, "/f", O_RDONLY, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(CAROL, "/f", O_CREAT | O_WRONLY, 0o666), Err(Errno::Eacces));
    assert_eq!(fixture.stat("/f").map(|stat| stat.size), Ok(1), "nothing truncated");
}

#[test]
fn open_o_creat_needs_write_and_search_permission_on_the_directory() {
    let mut fixture = Fixture::writable_root();
    fixture.mkdir(ALICE, "/d", 0o755).expect("mkdir");
    fixture.make_file(ALICE, "/d/existing", 0o666, b"");
    assert_eq!(fixture.open(BOB, "/d/new", O_CREAT | O_RDWR, 0o644), Err(Errno::Eacces));
    assert!(fixture.open(BOB, "/d/existing", O_CREAT | O_RDWR, 0o644).is_ok(), "exists");
    assert_eq!(
        fixture.open(BOB, "/d/existing", O_CREAT | O_EXCL | O_RDWR, 0o644),
        Err(Errno::Eexist),
        "EEXIST before EACCES"
    );
    assert!(fixture.open(ALICE, "/d/new", O_CREAT | O_RDWR, 0o644).is_ok());
    assert!(fixture.open(ROOT_USER, "/d/root", O_CREAT | O_RDWR, 0o644).is_ok());
}

#[test]
fn a_created_file_opens_with_any_access_whatever_its_mode() {
    let mut fixture = Fixture::new();
    let open = match fixture.open(ALICE, "/dev/shm/x", O_CREAT | O_RDWR, 0) {
        Ok(Opened::File(open)) => open,
        other => panic!("{other:?}"),
    };
    assert_eq!(fixture.write(open, b"data"), Ok(4));
    assert_eq!(fixture.open(ALICE, "/dev/shm/x", O_RDWR, 0), Err(Errno::Eacces));
}

#[test]
fn o_trunc_empties_a_regular_file_and_updates_its_times_even_when_empty() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"hello");
    assert!(fixture.open_at(ROOT_USER, "/f", O_RDONLY | O_TRUNC, 0, at(5)).is_ok());
    let stat = fixture.stat("/f").expect("f");
    assert_eq!((stat.size, stat.modified, stat.changed), (0, at(5), at(5)));
    assert_eq!(fixture.fs.used_bytes(), 0);
    assert!(fixture.open_at(ROOT_USER, "/f", O_WRONLY | O_TRUNC, 0, at(6)).is_ok());
    assert_eq!(fixture.stat("/f").map(|stat| stat.modified), Ok(at(6)));
    // A file created by this open is not truncated (and needs no write permission).
    assert!(fixture.open_at(ROOT_USER, "/g", O_CREAT | O_TRUNC | O_RDONLY, 0o444, at(8)).is_ok());
}

#[test]
fn opening_a_fifo_node_hands_it_to_the_pipe_server() {
    let mut fixture = Fixture::writable_root();
    let fifo = fixture.mkfifo(ALICE, "/p", 0o620).expect("mkfifo");
    assert_eq!(fixture.open(ALICE, "/p", O_RDONLY, 0), Ok(Opened::Fifo(fifo)));
    assert_eq!(fixture.open(CAROL, "/p", O_WRONLY | O_TRUNC, 0), Ok(Opened::Fifo(fifo)));
    assert_eq!(fixture.open(CAROL, "/p", O_RDONLY, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(BOB, "/p", O_WRONLY, 0), Err(Errno::Eacces));
    assert_eq!(fixture.open(ALICE, "/p", O_CREAT | O_RDWR, 0o644), Ok(Opened::Fifo(fifo)));
    assert_eq!(fixture.open(ALICE, "/p", O_CREAT | O_EXCL | O_RDWR, 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.fs.open_count(), 0, "no description here");
    assert_eq!(fixture.stat("/p").map(|stat| (stat.file_type, stat.size)), Ok((FileType::Fifo, 0)));
}

#[test]
fn access_mode_three_needs_read_and_write_permission_and_allows_neither() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o644, b"abc");
    assert_eq!(fixture.open(BOB, "/f", 3, 0), Err(Errno::Eacces));
    let open = fixture.file(ALICE, "/f", 3);
    assert_eq!(fixture.read(open, 1), Err(Errno::Ebadf));
    assert_eq!(fixture.write(open, b"x"), Err(Errno::Ebadf));
    assert_eq!(fixture.fs.status_flags(open), Ok(3));
    assert_eq!(fixture.fs.truncate_open(open, 0, T0, &mut fixture.storage), Err(Errno::Einval));
}

#[test]
fn o_noatime_needs_the_owner_or_root_and_keeps_the_access_time() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o644, b"abc");
    assert_eq!(fixture.open(BOB, "/f", O_RDONLY | O_NOATIME, 0), Err(Errno::Eperm));
    assert!(fixture.open(ROOT_USER, "/f", O_RDONLY | O_NOATIME, 0).is_ok());
    let open = fixture.file(ALICE, "/f", O_RDONLY | O_NOATIME);
    assert_eq!(fixture.fs.status_flags(open), Ok(O_NOATIME));
    assert_eq!(fixture.read_at(open, 3, at(50)), Ok(b"abc".to_vec()));
    assert_eq!(fixture.stat("/f").map(|stat| stat.accessed), Ok(T0));
}

#[test]
fn new_inodes_in_a_set_group_id_directory_take_its_group() {
    let mut fixture = Fixture::writable_root();
    fixture.mkdir(ALICE, "/shared", 0o777).expect("mkdir");
    fixture.chmod(ALICE, "/shared", 0o2777).expect("chmod");
    assert_eq!(fixture.mode("/shared"), 0o2777);
    fixture.mkdir(BOB, "/shared/sub", 0o755).expect("mkdir");
    let sub = fixture.stat("/shared/sub").expect("sub");
    assert_eq!((sub.uid, sub.gid, sub.mode), (1001, 1000, 0o2755), "directories inherit the bit");
    fixture.make_file(BOB, "/shared/plain", 0o2755, b"");
    let plain = fixture.stat("/shared/plain").expect("plain");
    assert_eq!((plain.gid, plain.mode), (1000, 0o755), "not in the group: the bit goes");
    fixture.make_file(CAROL, "/shared/kept", 0o2755, b"");
    assert_eq!(fixture.mode("/shared/kept"), 0o2755, "in the group: the bit stays");
    fixture.make_file(BOB, "/shared/not-executable", 0o2644, b"");
    assert_eq!(fixture.mode("/shared/not-executable"), 0o2644);
    fixture.mkfifo(BOB, "/shared/fifo", 0o2770).expect("mkfifo");
    assert_eq!(fixture.mode("/shared/fifo"), 0o770);
    fixture.make_file(BOB, "/dev/shm/elsewhere", 0o2755, b"");
    assert_eq!(fixture.stat("/dev/shm/elsewhere").map(|s| (s.gid, s.mode)), Ok((1001, 0o2755)));
}

// Read and write.

#[test]
fn writes_and_reads_move_the_offset() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    assert_eq!(fixture.write(open, b"hello "), Ok(6));
    assert_eq!(fixture.write(open, b"world"), Ok(5));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(11));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_SET), Ok(0));
    assert_eq!(fixture.read(open, 5), Ok(b"hello".to_vec()));
    assert_eq!(fixture.read(open, 100), Ok(b" world".to_vec()));
    assert_eq!(fixture.read(open, 100), Ok(Vec::new()), "end of file");
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.size), Ok(11));
    assert_eq!(fixture.fs.used_bytes(), 11);
    // Reads append to the buffer given.
    fixture.fs.seek(open, 6, SEEK_SET).expect("seek");
    let mut into = b">".to_vec();
    fixture.fs.read(open, 3, T0, &mut fixture.storage, &mut into).expect("read");
    assert_eq!(into, b">wor".to_vec());
}

#[test]
fn reads_update_the_access_time_and_writes_the_modification_time() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    fixture.write_at(open, b"abc", at(10)).expect("write");
    let stat = fixture.fs.stat_open(open).expect("stat");
    assert_eq!((stat.accessed, stat.modified, stat.changed), (T0, at(10), at(10)));
    fixture.read_at(open, 10, at(20)).expect("read");
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.accessed), Ok(at(20)));
    fixture.read_at(open, 10, at(30)).expect("read at the end");
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.accessed), Ok(at(30)));
    assert_eq!(fixture.write_at(open, b"", at(40)), Ok(0));
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.modified), Ok(at(10)), "empty write");
}

#[test]
fn reading_needs_a_description_open_for_reading_and_writing_one_for_writing() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"abc");
    let read_only = fixture.file(ROOT_USER, "/f", O_RDONLY);
    let write_only = fixture.file(ROOT_USER, "/f", O_WRONLY);
    assert_eq!(fixture.write(read_only, b"x"), Err(Errno::Ebadf));
    assert_eq!(fixture.write(read_only, b""), Err(Errno::Ebadf));
    assert_eq!(fixture.read(write_only, 1), Err(Errno::Ebadf));
    assert_eq!(fixture.read(99, 1), Err(Errno::Ebadf));
    assert_eq!(fixture.write(99, b"x"), Err(Errno::Ebadf));
}

#[test]
fn writing_past_the_end_leaves_a_zero_filled_gap() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    fixture.fs.seek(open, 4, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"xy"), Ok(2));
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.read(open, 10), Ok(b"\0\0\0\0xy".to_vec()));
    assert_eq!(fixture.fs.used_bytes(), 6);
}

#[test]
fn o_append_writes_at_the_end_and_can_be_switched() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"abc");
    let open = fixture.file(ROOT_USER, "/f", O_RDWR | O_APPEND);
    assert_eq!(fixture.write(open, b"de"), Ok(2));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(5));
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"f"), Ok(1));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(6));
    fixture.fs.set_status_flags(open, O_RDONLY).expect("setfl");
    assert_eq!(fixture.fs.status_flags(open), Ok(O_RDWR), "the access mode stays");
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"A"), Ok(1));
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.read(open, 10), Ok(b"Abcdef".to_vec()));
}

#[test]
fn an_offset_past_the_largest_is_einval() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    assert_eq!(fixture.fs.seek(open, i64::MAX, SEEK_SET), Ok(MAX_FILE_SIZE));
    assert_eq!(fixture.read(open, 1), Err(Errno::Einval));
    assert_eq!(fixture.read(open, 0), Ok(Vec::new()));
    assert_eq!(fixture.write(open, b"x"), Err(Errno::Einval));
    assert_eq!(fixture.write(open, b""), Ok(0));
    fixture.fs.seek(open, i64::MAX - 1, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"xy"), Err(Errno::Einval));
}

/// A storage that keeps sizes only, so that huge sparse files can be tested.
#[derive(Default)]
struct SizesOnly {
    sizes: Vec<u64>,
}

impl Storage for SizesOnly {
    fn create(&mut self) -> Result<DataId, Errno> {
        self.sizes.push(0);
        Ok(self.sizes.len() as DataId)
    }

    fn read(&mut self, _: DataId, _: u64, into: &mut [u8]) -> Result<(), Errno> {
        into.fill(0);
        Ok(())
    }

    fn write(&mut self, _: DataId, _: u64, _: &[u8]) -> Result<(), Errno> {
        Ok(())
    }

    fn resize(&mut self, data: DataId, size: u64) -> Result<(), Errno> {
        self.sizes[usize::try_from(data).expect("small") - 1] = size;
        Ok(())
    }

    fn destroy(&mut self, _: DataId) {}
}

#[test]
fn writing_at_the_largest_file_size_is_efbig() {
    let mut fs = FileSystem::new(u64::MAX, T0);
    let mut storage = SizesOnly::default();
    let Ok(Opened::File(open)) =
        fs.open(ROOT_USER, b"/f", O_CREAT | O_RDWR | O_APPEND, 0o644, T0, &mut storage)
    else {
        panic!("open");
    };
    assert_eq!(fs.truncate_open(open, i64::MAX, T0, &mut storage), Ok(()));
    assert_eq!(fs.write(open, b"x", T0, &mut storage), Err(Errno::Efbig));
    assert_eq!(fs.truncate_open(open, i64::MAX - 1, T0, &mut storage), Ok(()));
    assert_eq!(fs.write(open, b"xyz", T0, &mut storage), Ok(1), "shortened to the largest size");
    assert_eq!(fs.stat_open(open).map(|stat| stat.size), Ok(MAX_FILE_SIZE));
    assert_eq!(storage.sizes, vec![MAX_FILE_SIZE]);
}

#[test]
fn a_write_past_the_size_limit_writes_what_fits_then_fails_with_enospc() {
    let mut fixture = Fixture::with_limit(10);
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    assert_eq!(fixture.write(open, b"123456"), Ok(6));
    assert_eq!(fixture.write(open, b"789abc"), Ok(4));
    assert_eq!(fixture.write(open, b"x"), Err(Errno::Enospc));
    assert_eq!(fixture.fs.used_bytes(), 10);
    fixture.fs.seek(open, 2, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"AB"), Ok(2), "overwriting needs no space");
    let other = fixture.file(ROOT_USER, "/g", O_CREAT | O_RDWR);
    assert_eq!(fixture.write(other, b"x"), Err(Errno::Enospc));
    assert_eq!(fixture.fs.truncate_open(open, 4, T0, &mut fixture.storage), Ok(()));
    assert_eq!(fixture.write(other, b"xxxxxxxx"), Ok(6));
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.read(open, 10), Ok(b"12AB".to_vec()));
}

#[test]
fn a_sparse_write_counts_its_gap_against_the_limit() {
    let mut fixture = Fixture::with_limit(10);
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    fixture.fs.seek(open, 10, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"x"), Err(Errno::Enospc));
    fixture.fs.seek(open, 8, SEEK_SET).expect("seek");
    assert_eq!(fixture.write(open, b"xyz"), Ok(2));
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.size), Ok(10));
}

#[test]
fn writes_and_truncations_by_others_than_root_clear_set_user_id_and_set_group_id() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o6775, b"x");
    assert_eq!(fixture.mode("/f"), 0o775, "Alice's own write cleared both");
    fixture.chmod(ALICE, "/f", 0o6775).expect("chmod");
    let by_root = fixture.file(ROOT_USER, "/f", O_WRONLY);
    fixture.write(by_root, b"x").expect("write");
    assert_eq!(fixture.mode("/f"), 0o6775, "root keeps them");
    fixture.chmod(ALICE, "/f", 0o2664).expect("chmod");
    let by_alice = fixture.file(ALICE, "/f", O_WRONLY);
    fixture.write(by_alice, b"x").expect("write");
    assert_eq!(fixture.mode("/f"), 0o2664, "set-group-id without group execute, in the group");
    let by_carol = fixture.file(CAROL, "/f", O_WRONLY);
    fixture.fs.truncate_open(by_carol, 0, T0, &mut fixture.storage).expect("ftruncate");
    assert_eq!(fixture.mode("/f"), 0o2664, "Carol is in the group");
    fixture.chmod(ROOT_USER, "/f", 0o2666).expect("chmod");
    fixture.fs.truncate_path(BOB, b"/f", 0, T0, &mut fixture.storage).expect("truncate");
    assert_eq!(fixture.mode("/f"), 0o666, "Bob is not in the group");
}

#[test]
fn a_failing_storage_leaves_everything_as_it_was() {
    let mut fixture =
        Fixture { fs: FileSystem::new(LIMIT, T0), storage: VecStorage::with_limit(0) };
    assert_eq!(fixture.open(ROOT_USER, "/f", O_CREAT | O_RDWR, 0o644), Err(Errno::Enomem));
    assert_eq!(fixture.stat("/f"), Err(Errno::Enoent));
    assert_eq!(fixture.fs.inode_count(), 3);
    let mut fixture =
        Fixture { fs: FileSystem::new(LIMIT, T0), storage: VecStorage::with_limit(4) };
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    assert_eq!(fixture.write(open, b"1234"), Ok(4));
    assert_eq!(fixture.write(open, b"5"), Err(Errno::Enomem));
    assert_eq!(fixture.fs.truncate_open(open, 5, T0, &mut fixture.storage), Err(Errno::Enomem));
    assert_eq!(fixture.fs.stat_open(open).map(|stat| stat.size), Ok(4));
    assert_eq!(fixture.fs.used_bytes(), 4);
    fixture.check();
}

// Seek.

#[test]
fn seek_set_cur_and_end() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"0123456789");
    let open = fixture.file(ROOT_USER, "/f", O_RDONLY);
    assert_eq!(fixture.fs.seek(open, 3, SEEK_SET), Ok(3));
    assert_eq!(fixture.fs.seek(open, 2, SEEK_CUR), Ok(5));
    assert_eq!(fixture.fs.seek(open, -1, SEEK_CUR), Ok(4));
    assert_eq!(fixture.fs.seek(open, -2, SEEK_END), Ok(8));
    assert_eq!(fixture.fs.seek(open, 5, SEEK_END), Ok(15), "past the end is allowed");
    assert_eq!(fixture.read(open, 1), Ok(Vec::new()));
    assert_eq!(fixture.fs.seek(open, -1, SEEK_SET), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, -16, SEEK_CUR), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, -11, SEEK_END), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, i64::MAX, SEEK_END), Err(Errno::Einval), "overflow");
    assert_eq!(fixture.fs.seek(open, i64::MAX, SEEK_CUR), Err(Errno::Einval), "overflow");
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(15), "failures leave the offset");
    assert_eq!(fixture.fs.seek(open, 0, 5), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(99, 0, SEEK_SET), Err(Errno::Ebadf));
    assert_eq!(fixture.fs.seek(99, 0, 5), Err(Errno::Ebadf), "EBADF first");
}

#[test]
fn seek_data_and_hole_see_the_whole_file_as_data() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"0123456789");
    let open = fixture.file(ROOT_USER, "/f", O_RDONLY);
    assert_eq!(fixture.fs.seek(open, 4, SEEK_DATA), Ok(4));
    assert_eq!(fixture.fs.seek(open, 4, SEEK_HOLE), Ok(10));
    assert_eq!(fixture.fs.seek(open, 10, SEEK_DATA), Err(Errno::Enxio));
    assert_eq!(fixture.fs.seek(open, 10, SEEK_HOLE), Err(Errno::Enxio));
    assert_eq!(fixture.fs.seek(open, -1, SEEK_DATA), Err(Errno::Enxio));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(10));
}

#[test]
fn seeking_a_directory_moves_its_listing_cookie() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/", O_RDONLY);
    assert_eq!(fixture.fs.seek(open, 5, SEEK_SET), Ok(5));
    assert_eq!(fixture.fs.seek(open, -2, SEEK_CUR), Ok(3));
    assert_eq!(fixture.fs.seek(open, -4, SEEK_CUR), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_END), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_DATA), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, -1, SEEK_SET), Err(Errno::Einval));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_SET), Ok(0));
    let entry = fixture.fs.read_directory(open, true, T0).expect("read").expect("an entry");
    assert_eq!(entry.name, b".".to_vec(), "back at the start");
}

// Truncation.

#[test]
fn ftruncate_needs_a_regular_file_open_for_writing() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"abc");
    let read_only = fixture.file(ROOT_USER, "/f", O_RDONLY);
    let directory = fixture.file(ROOT_USER, "/dev", O_RDONLY);
    let storage = &mut fixture.storage;
    assert_eq!(fixture.fs.truncate_open(99, -1, T0, storage), Err(Errno::Einval), "before EBADF");
    assert_eq!(fixture.fs.truncate_open(99, 0, T0, storage), Err(Errno::Ebadf));
    assert_eq!(fixture.fs.truncate_open(read_only, 0, T0, storage), Err(Errno::Einval));
    assert_eq!(fixture.fs.truncate_open(directory, 0, T0, storage), Err(Errno::Einval));
}

#[test]
fn ftruncate_grows_with_zeros_shrinks_and_always_updates_the_times() {
    let mut fixture = Fixture::with_limit(100);
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    fixture.write(open, b"abc").expect("write");
    assert_eq!(fixture.fs.truncate_open(open, 6, at(10), &mut fixture.storage), Ok(()));
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(fixture.read(open, 10), Ok(b"abc\0\0\0".to_vec()));
    assert_eq!(fixture.fs.truncate_open(open, 2, at(11), &mut fixture.storage), Ok(()));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(6), "the offset stays");
    assert_eq!(fixture.fs.used_bytes(), 2);
    assert_eq!(fixture.fs.truncate_open(open, 2, at(12), &mut fixture.storage), Ok(()));
    let stat = fixture.fs.stat_open(open).expect("stat");
    assert_eq!((stat.size, stat.modified, stat.changed), (2, at(12), at(12)));
    assert_eq!(fixture.fs.truncate_open(open, 101, T0, &mut fixture.storage), Err(Errno::Enospc));
    assert_eq!(fixture.fs.truncate_open(open, 100, T0, &mut fixture.storage), Ok(()));
    fixture.check();
}

#[test]
fn truncate_by_path_follows_linux_vfs_truncate() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o644, b"abcdef");
    fixture.mkfifo(ROOT_USER, "/p", 0o666).expect("mkfifo");
    let storage = &mut fixture.storage;
    let fs = &mut fixture.fs;
    assert_eq!(fs.truncate_path(ROOT_USER, b"/missing", -1, T0, storage), Err(Errno::Einval));
    assert_eq!(fs.truncate_path(ROOT_USER, b"/missing", 0, T0, storage), Err(Errno::Enoent));
    assert_eq!(fs.truncate_path(ROOT_USER, b"/dev", 0, T0, storage), Err(Errno::Eisdir));
    assert_eq!(fs.truncate_path(ROOT_USER, b"/p", 0, T0, storage), Err(Errno::Einval));
    assert_eq!(fs.truncate_path(ROOT_USER, b"/f/", 0, T0, storage), Err(Errno::Enotdir));
    assert_eq!(fs.truncate_path(BOB, b"/f", 0, T0, storage), Err(Errno::Eacces));
    assert_eq!(fs.truncate_path(ALICE, b"/f", 6, at(5), storage), Ok(()));
    assert_eq!(fs.stat_path(ROOT_USER, b"/f").map(|s| s.modified), Ok(T0), "same size: no times");
    assert_eq!(fs.truncate_path(ALICE, b"/f", 2, at(6), storage), Ok(()));
    let stat = fs.stat_path(ROOT_USER, b"/f").expect("f");
    assert_eq!((stat.size, stat.modified, stat.changed), (2, at(6), at(6)));
    fixture.check();
}

// Directories.

#[test]
fn mkdir_makes_a_directory_and_counts_it_in_its_parent() {
    let mut fixture = Fixture::new();
    assert_eq!(fixture.fs.mkdir(ALICE, b"/dev/shm/d/", 0o7777, at(3)), Ok(()));
    let stat = fixture.stat("/dev/shm/d").expect("d");
    assert_eq!(stat.file_type, FileType::Directory);
    assert_eq!((stat.mode, stat.links, stat.size, stat.uid), (0o1777, 2, 40, 1000));
    let shm = fixture.stat("/dev/shm").expect("shm");
    assert_eq!((shm.links, shm.size, shm.modified, shm.changed), (3, 60, at(3), at(3)));
    fixture.check();
}

#[test]
fn mkdir_of_an_existing_name_or_dot_names_is_eexist() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    for path in ["/dev", "/f", "/f/", "/", "/dev/.", "/dev/..", "."] {
        assert_eq!(fixture.mkdir(ROOT_USER, path, 0o755), Err(Errno::Eexist), "{path}");
    }
    assert_eq!(fixture.mkdir(BOB, "/dev", 0o755), Err(Errno::Eexist), "before EACCES");
    assert_eq!(fixture.mkdir(BOB, "/new", 0o755), Err(Errno::Eacces));
    assert_eq!(fixture.mkdir(ROOT_USER, "/a/b", 0o755), Err(Errno::Enoent));
}

#[test]
fn mkfifo_makes_a_fifo_node_with_every_mode_bit() {
    let mut fixture = Fixture::new();
    let fifo = fixture.mkfifo(ALICE, "/dev/shm/p", 0o7777).expect("mkfifo");
    let stat = fixture.stat("/dev/shm/p").expect("p");
    assert_eq!(
        (stat.inode, stat.file_type, stat.mode, stat.links),
        (fifo, FileType::Fifo, 0o7777, 1)
    );
    assert_eq!(fixture.mkfifo(ALICE, "/dev/shm/p", 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.mkfifo(ALICE, "/dev/shm/q/", 0o644), Err(Errno::Enoent));
    assert_eq!(fixture.mkfifo(ALICE, "/dev/shm/p/", 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.mkfifo(ALICE, "/dev/shm/.", 0o644), Err(Errno::Eexist));
    assert_eq!(fixture.mkfifo(ALICE, "/dev/q", 0o644), Err(Errno::Eacces));
}

#[test]
fn rmdir_removes_an_empty_directory() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    assert_eq!(fixture.stat("/").map(|stat| stat.links), Ok(4));
    assert_eq!(fixture.fs.rmdir(ROOT_USER, b"/d/", at(9)), Ok(()));
    assert_eq!(fixture.stat("/d"), Err(Errno::Enoent));
    let root = fixture.stat("/").expect("root");
    assert_eq!((root.links, root.size, root.modified), (3, 60, at(9)));
    assert_eq!(fixture.fs.inode_count(), 3);
    fixture.check();
}

#[test]
fn rmdir_errors_follow_linux_do_rmdir() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.rmdir(ROOT_USER, "/"), Err(Errno::Ebusy));
    assert_eq!(fixture.rmdir(ROOT_USER, "/dev/."), Err(Errno::Einval));
    assert_eq!(fixture.rmdir(ROOT_USER, "/dev/shm/.."), Err(Errno::Enotempty));
    assert_eq!(fixture.rmdir(ROOT_USER, "/dev"), Err(Errno::Enotempty));
    assert_eq!(fixture.rmdir(ROOT_USER, "/f"), Err(Errno::Enotdir));
    assert_eq!(fixture.rmdir(ROOT_USER, "/missing"), Err(Errno::Enoent));
    assert_eq!(fixture.rmdir(ROOT_USER, "/missing/.."), Err(Errno::Enoent));
    assert_eq!(fixture.rmdir(BOB, "/dev/shm"), Err(Errno::Eacces));
    assert_eq!(fixture.rmdir(BOB, "/dev/."), Err(Errno::Einval), "before permissions");
}

#[test]
fn a_removed_directory_stays_open_with_no_links_and_cannot_be_listed() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    let open = fixture.file(ROOT_USER, "/d", O_RDONLY | O_DIRECTORY);
    fixture.rmdir(ROOT_USER, "/d").expect("rmdir");
    let stat = fixture.fs.stat_open(open).expect("still open");
    assert_eq!((stat.links, stat.size), (0, 40));
    assert_eq!(fixture.fs.read_directory(open, true, T0), Err(Errno::Enoent));
    assert_eq!(fixture.fs.inode_count(), 4);
    fixture.close(open);
    assert_eq!(fixture.fs.inode_count(), 3);
}

#[test]
fn the_sticky_bit_lets_only_owners_and_root_remove_entries() {
    let mut fixture = Fixture::new();
    fixture.make_file(ALICE, "/dev/shm/alice", 0o666, b"");
    fixture.mkdir(ALICE, "/dev/shm/alice-dir", 0o777).expect("mkdir");
    assert_eq!(fixture.unlink(BOB, "/dev/shm/alice"), Err(Errno::Eperm));
    assert_eq!(fixture.rmdir(BOB, "/dev/shm/alice-dir"), Err(Errno::Eperm));
    assert_eq!(fixture.rename(BOB, "/dev/shm/alice", "/dev/shm/mine"), Err(Errno::Eperm));
    fixture.make_file(BOB, "/dev/shm/bob", 0o666, b"");
    assert_eq!(fixture.rename(BOB, "/dev/shm/bob", "/dev/shm/alice"), Err(Errno::Eperm));
    assert_eq!(fixture.rename(ALICE, "/dev/shm/alice", "/dev/shm/bob"), Err(Errno::Eperm));
    // Without the sticky bit anyone with write permission may.
    fixture.mkdir(ALICE, "/dev/shm/open", 0o777).expect("mkdir");
    fixture.make_file(ALICE, "/dev/shm/open/x", 0o600, b"");
    assert_eq!(fixture.rename(BOB, "/dev/shm/open/x", "/dev/shm/open/y"), Ok(()));
    // The directory's owner and root may.
    fixture.chmod(ALICE, "/dev/shm/open", 0o1777).expect("chmod");
    fixture.make_file(BOB, "/dev/shm/open/bob", 0o600, b"");
    assert_eq!(fixture.unlink(ALICE, "/dev/shm/open/bob"), Ok(None));
    assert_eq!(fixture.unlink(ROOT_USER, "/dev/shm/alice"), Ok(None));
    assert_eq!(fixture.unlink(BOB, "/dev/shm/bob"), Ok(None));
}

#[test]
fn unlink_removes_a_name_and_frees_storage_after_the_last_close() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/dev/shm/f", O_CREAT | O_RDWR);
    fixture.write(open, b"abc").expect("write");
    assert_eq!(fixture.fs.unlink(ROOT_USER, b"/dev/shm/f", at(4), &mut fixture.storage), Ok(None));
    fixture.check();
    assert_eq!(fixture.stat("/dev/shm/f"), Err(Errno::Enoent));
    let stat = fixture.fs.stat_open(open).expect("still open");
    assert_eq!((stat.links, stat.size, stat.changed), (0, 3, at(4)));
    let shm = fixture.stat("/dev/shm").expect("shm");
    assert_eq!((shm.size, shm.modified), (40, at(4)));
    assert_eq!(fixture.storage.len(), 1);
    assert_eq!(fixture.write(open, b"de"), Ok(2), "an unlinked file still works");
    assert_eq!(fixture.fs.used_bytes(), 5);
    fixture.close(open);
    assert!(fixture.storage.is_empty());
    assert_eq!(fixture.fs.used_bytes(), 0);
    assert_eq!(fixture.fs.inode_count(), 3);
}

#[test]
fn unlink_errors_follow_linux_do_unlinkat() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.unlink(ROOT_USER, "/dev"), Err(Errno::Eisdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/dev/"), Err(Errno::Eisdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/"), Err(Errno::Eisdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/dev/."), Err(Errno::Eisdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/dev/.."), Err(Errno::Eisdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/f/"), Err(Errno::Enotdir));
    assert_eq!(fixture.unlink(ROOT_USER, "/missing"), Err(Errno::Enoent));
    assert_eq!(fixture.unlink(ROOT_USER, "/missing/"), Err(Errno::Enoent));
    assert_eq!(fixture.unlink(BOB, "/f"), Err(Errno::Eacces));
    assert_eq!(fixture.unlink(BOB, "/dev"), Err(Errno::Eacces), "permission before type");
}

#[test]
fn unlinking_the_last_link_of_a_fifo_reports_it() {
    let mut fixture = Fixture::new();
    let fifo = fixture.mkfifo(ROOT_USER, "/p", 0o644).expect("mkfifo");
    fixture.link(ROOT_USER, "/p", "/q").expect("link");
    assert_eq!(fixture.stat("/q").map(|stat| stat.links), Ok(2));
    assert_eq!(fixture.unlink(ROOT_USER, "/p"), Ok(None));
    assert_eq!(fixture.unlink(ROOT_USER, "/q"), Ok(Some(fifo)));
    assert_eq!(fixture.fs.inode_count(), 3);
    // A FIFO replaced by rename is reported through take_unlinked_fifos.
    let replaced = fixture.mkfifo(ROOT_USER, "/p", 0o644).expect("mkfifo");
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    fixture.rename(ROOT_USER, "/f", "/p").expect("rename");
    assert_eq!(fixture.fs.take_unlinked_fifos(), vec![replaced]);
    assert_eq!(fixture.fs.take_unlinked_fifos(), Vec::new());
}

// Rename.

#[test]
fn rename_moves_a_name_and_updates_times_and_link_counts() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/a", 0o755).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/a/sub", 0o755).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/b", 0o755).expect("mkdir");
    fixture.make_file(ROOT_USER, "/a/f", 0o644, b"x");
    let storage = &mut fixture.storage;
    assert_eq!(fixture.fs.rename(ROOT_USER, b"/a/sub", b"/b/moved/", at(7), storage), Ok(()));
    assert_eq!(fixture.fs.rename(ROOT_USER, b"/a/f", b"/b/g", at(8), storage), Ok(()));
    fixture.check();
    let (a, b) = (fixture.stat("/a").expect("a"), fixture.stat("/b").expect("b"));
    assert_eq!((a.links, a.size, a.modified), (2, 40, at(8)));
    assert_eq!((b.links, b.size, b.modified), (3, 80, at(8)));
    assert_eq!(fixture.stat("/b/moved").map(|stat| stat.changed), Ok(at(7)));
    assert_eq!(fixture.stat("/b/moved/..").map(|stat| stat.inode), Ok(b.inode));
    assert_eq!(fixture.stat("/a/f"), Err(Errno::Enoent));
}

#[test]
fn rename_replaces_a_file_and_frees_it() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/a", 0o644, b"aaa");
    fixture.make_file(ROOT_USER, "/b", 0o644, b"bb");
    let a = fixture.stat("/a").expect("a").inode;
    assert_eq!(fixture.rename(ROOT_USER, "/a", "/b"), Ok(()));
    assert_eq!(fixture.stat("/b").map(|stat| (stat.inode, stat.size)), Ok((a, 3)));
    assert_eq!(fixture.fs.used_bytes(), 3);
    assert_eq!(fixture.storage.len(), 1);
}

#[test]
fn rename_replaces_an_empty_directory_only() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/a", 0o755).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/b", 0o755).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/b/c", 0o755).expect("mkdir");
    assert_eq!(fixture.rename(ROOT_USER, "/a", "/b"), Err(Errno::Enotempty));
    fixture.rmdir(ROOT_USER, "/b/c").expect("rmdir");
    assert_eq!(fixture.rename(ROOT_USER, "/a", "/b"), Ok(()));
    assert_eq!(fixture.stat("/").map(|stat| stat.links), Ok(4));
    assert_eq!(fixture.stat("/a"), Err(Errno::Enoent));
}

#[test]
fn rename_type_mismatches_are_eisdir_and_enotdir() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    assert_eq!(fixture.rename(ROOT_USER, "/f", "/d"), Err(Errno::Eisdir));
    assert_eq!(fixture.rename(ROOT_USER, "/d", "/f"), Err(Errno::Enotdir));
    assert_eq!(fixture.rename(ROOT_USER, "/f", "/g/"), Err(Errno::Enotdir));
    assert_eq!(fixture.rename(ROOT_USER, "/f/", "/g"), Err(Errno::Enotdir));
    assert_eq!(fixture.rename(ROOT_USER, "/d/", "/e/"), Ok(()));
}

#[test]
fn rename_of_dot_names_is_ebusy_and_into_its_own_subtree_einval() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/d/e", 0o755).expect("mkdir");
    assert_eq!(fixture.rename(ROOT_USER, "/", "/x"), Err(Errno::Ebusy));
    assert_eq!(fixture.rename(ROOT_USER, "/d/.", "/x"), Err(Errno::Ebusy));
    assert_eq!(fixture.rename(ROOT_USER, "/d/e/..", "/x"), Err(Errno::Ebusy));
    assert_eq!(fixture.rename(ROOT_USER, "/missing", "/d/."), Err(Errno::Ebusy));
    assert_eq!(fixture.rename(ROOT_USER, "/missing", "/nowhere/x"), Err(Errno::Enoent));
    assert_eq!(fixture.rename(ROOT_USER, "/d", "/d/x"), Err(Errno::Einval));
    assert_eq!(fixture.rename(ROOT_USER, "/d", "/d/e/x"), Err(Errno::Einval));
    assert_eq!(fixture.rename(ROOT_USER, "/d/e", "/d"), Err(Errno::Enotempty));
    fixture.make_file(ROOT_USER, "/d/e/f", 0o644, b"");
    assert_eq!(fixture.rename(ROOT_USER, "/d/e/f", "/d"), Err(Errno::Enotempty), "before EISDIR");
    assert_eq!(fixture.rename(ROOT_USER, "/d/e", "/d/e"), Ok(()));
}

#[test]
fn rename_between_two_names_of_one_inode_does_nothing() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/a", 0o644, b"");
    fixture.link(ROOT_USER, "/a", "/b").expect("link");
    assert_eq!(fixture.rename(ROOT_USER, "/a", "/b"), Ok(()));
    assert!(fixture.stat("/a").is_ok());
    assert_eq!(fixture.stat("/b").map(|stat| stat.links), Ok(2));
}

#[test]
fn rename_needs_write_permission_on_both_directories_and_on_a_moved_directory() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/mine", 0o777).expect("mkdir");
    fixture.mkdir(ROOT_USER, "/theirs", 0o755).expect("mkdir");
    fixture.make_file(BOB, "/mine/f", 0o644, b"");
    assert_eq!(fixture.rename(BOB, "/mine/f", "/theirs/f"), Err(Errno::Eacces));
    assert_eq!(fixture.rename(BOB, "/theirs", "/mine/x"), Err(Errno::Eacces));
    fixture.mkdir(ROOT_USER, "/mine/locked", 0o555).expect("mkdir");
    fixture.mkdir(BOB, "/mine/other", 0o755).expect("mkdir");
    assert_eq!(fixture.rename(BOB, "/mine/locked", "/mine/renamed"), Ok(()), "same parent");
    assert_eq!(fixture.rename(BOB, "/mine/renamed", "/mine/other/x"), Err(Errno::Eacces));
}

// Link.

#[test]
fn link_adds_a_name_and_counts_it() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"abc");
    assert_eq!(fixture.fs.link(ROOT_USER, b"/f", b"/dev/g", at(6)), Ok(()));
    let stat = fixture.stat("/dev/g").expect("g");
    assert_eq!((stat.links, stat.changed, stat.size), (2, at(6), 3));
    let dev = fixture.stat("/dev").expect("dev");
    assert_eq!((dev.size, dev.modified), (80, at(6)));
    fixture.unlink(ROOT_USER, "/f").expect("unlink");
    assert_eq!(fixture.stat("/dev/g").map(|stat| stat.links), Ok(1));
    assert_eq!(fixture.fs.used_bytes(), 3);
}

#[test]
fn link_errors_follow_linux_do_linkat() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    assert_eq!(fixture.link(ROOT_USER, "/dev", "/d2"), Err(Errno::Eperm));
    assert_eq!(fixture.link(ROOT_USER, "/dev/", "/f"), Err(Errno::Eexist));
    assert_eq!(fixture.link(ROOT_USER, "/f", "/dev"), Err(Errno::Eexist));
    assert_eq!(fixture.link(ROOT_USER, "/f", "/"), Err(Errno::Eexist));
    assert_eq!(fixture.link(ROOT_USER, "/f", "/dev/."), Err(Errno::Eexist));
    assert_eq!(fixture.link(ROOT_USER, "/f", "/g/"), Err(Errno::Enoent));
    assert_eq!(fixture.link(ROOT_USER, "/f/", "/g"), Err(Errno::Enotdir));
    assert_eq!(fixture.link(ROOT_USER, "/missing", "/g"), Err(Errno::Enoent));
    assert_eq!(fixture.link(BOB, "/f", "/dev/shm/g"), Err(Errno::Eperm), "protected hardlinks");
    assert_eq!(fixture.link(BOB, "/f", "/g"), Err(Errno::Eperm), "EPERM before EACCES");
}

#[test]
fn protected_hardlinks_allow_only_safe_sources_to_others() {
    let mut fixture = Fixture::new();
    fixture.make_file(ALICE, "/dev/shm/rw", 0o666, b"");
    fixture.make_file(ALICE, "/dev/shm/suid", 0o666, b"");
    fixture.chmod(ALICE, "/dev/shm/suid", 0o4666).expect("chmod");
    fixture.make_file(ALICE, "/dev/shm/sgid", 0o666, b"");
    fixture.chmod(ALICE, "/dev/shm/sgid", 0o2676).expect("chmod");
    fixture.mkfifo(ALICE, "/dev/shm/fifo", 0o666).expect("mkfifo");
    assert_eq!(fixture.link(BOB, "/dev/shm/rw", "/dev/shm/1"), Ok(()));
    assert_eq!(fixture.link(BOB, "/dev/shm/suid", "/dev/shm/2"), Err(Errno::Eperm));
    assert_eq!(fixture.link(BOB, "/dev/shm/sgid", "/dev/shm/3"), Err(Errno::Eperm));
    assert_eq!(fixture.link(BOB, "/dev/shm/fifo", "/dev/shm/4"), Err(Errno::Eperm));
    assert_eq!(fixture.link(ALICE, "/dev/shm/suid", "/dev/shm/5"), Ok(()), "the owner may");
    assert_eq!(fixture.link(ROOT_USER, "/dev/shm/fifo", "/dev/shm/6"), Ok(()), "root may");
    fixture.chmod(ALICE, "/dev/shm/rw", 0o644).expect("chmod");
    assert_eq!(fixture.link(BOB, "/dev/shm/rw", "/dev/shm/7"), Err(Errno::Eperm), "not writable");
}

// Chmod.

#[test]
fn chmod_is_for_the_owner_or_root_and_updates_the_change_time() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o644, b"");
    assert_eq!(fixture.chmod(BOB, "/f", 0o777), Err(Errno::Eperm));
    assert_eq!(fixture.chmod(CAROL, "/f", 0o777), Err(Errno::Eperm));
    assert_eq!(fixture.fs.chmod(ALICE, b"/f", 0o170600, at(3)), Ok(()));
    let stat = fixture.stat("/f").expect("f");
    assert_eq!((stat.mode, stat.changed, stat.modified), (0o600, at(3), T0));
    assert_eq!(fixture.chmod(ROOT_USER, "/f", 0o7777), Ok(()));
    assert_eq!(fixture.mode("/f"), 0o7777);
    assert_eq!(fixture.chmod(ROOT_USER, "/missing", 0o7777), Err(Errno::Enoent));
    assert_eq!(fixture.chmod(ROOT_USER, "/f/", 0o7777), Err(Errno::Enotdir));
}

#[test]
fn chmod_by_a_non_member_of_the_group_clears_set_group_id() {
    let mut fixture = Fixture::writable_root();
    fixture.make_file(ALICE, "/f", 0o644, b"");
    fixture.chmod(ROOT_USER, "/f", 0o644).expect("chmod");
    assert_eq!(fixture.chmod(ALICE, "/f", 0o2755), Ok(()));
    assert_eq!(fixture.mode("/f"), 0o2755, "Alice is in her group");
    // Give the file another group: only root can (chown), so build it: root creates it in
    // a set-group-id directory of group 1001.
    fixture.mkdir(BOB, "/bob", 0o777).expect("mkdir");
    fixture.chmod(BOB, "/bob", 0o2777).expect("chmod");
    fixture.make_file(ALICE, "/bob/f", 0o644, b"");
    assert_eq!(fixture.stat("/bob/f").map(|stat| (stat.uid, stat.gid)), Ok((1000, 1001)));
    assert_eq!(fixture.chmod(ALICE, "/bob/f", 0o6755), Ok(()));
    assert_eq!(fixture.mode("/bob/f"), 0o4755, "set-group-id cleared");
    assert_eq!(fixture.chmod(ROOT_USER, "/bob/f", 0o6755), Ok(()));
    assert_eq!(fixture.mode("/bob/f"), 0o6755, "root keeps it");
}

// Directory listings.

fn entry(name: &str, inode: InodeNumber, file_type: FileType, next: u64) -> DirectoryEntry {
    DirectoryEntry { name: name.as_bytes().to_vec(), inode, file_type, next }
}

#[test]
fn a_listing_gives_dot_dot_dot_then_the_entries_newest_first_with_cookies() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    fixture.make_file(ROOT_USER, "/d/a", 0o644, b"");
    fixture.make_file(ROOT_USER, "/d/b", 0o644, b"");
    fixture.mkdir(ROOT_USER, "/d/c", 0o755).expect("mkdir");
    let d = fixture.stat("/d").expect("d").inode;
    let (a, b, c) = (d + 1, d + 2, d + 3);
    let open = fixture.file(ROOT_USER, "/d", O_RDONLY | O_DIRECTORY);
    let mut listing = Vec::new();
    while let Some(entry) = fixture.fs.read_directory(open, true, at(4)).expect("read") {
        listing.push(entry);
    }
    assert_eq!(
        listing,
        vec![
            entry(".", d, FileType::Directory, 1),
            entry("..", ROOT, FileType::Directory, 5),
            entry("c", c, FileType::Directory, 4),
            entry("b", b, FileType::Regular, 3),
            entry("a", a, FileType::Regular, END_OF_DIRECTORY),
        ]
    );
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(END_OF_DIRECTORY));
    assert_eq!(fixture.fs.read_directory(open, true, T0), Ok(None));
    assert_eq!(fixture.stat("/d").map(|stat| stat.accessed), Ok(T0), "the last read at T0");
    assert_eq!(fixture.names("/"), names(&[".", "..", "d", "dev"]));
    assert_eq!(fixture.names("/dev/shm"), names(&[".", ".."]));
}

#[test]
fn a_listing_resumes_at_the_largest_cookie_not_past_the_offset() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    for name in ["a", "b", "c"] {
        fixture.make_file(ROOT_USER, &format!("/d/{name}"), 0o644, b"");
    }
    let open = fixture.file(ROOT_USER, "/d", O_RDONLY);
    for _ in 0..3 {
        fixture.fs.read_directory(open, true, T0).expect("read");
    }
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(4), "after c: b's cookie");
    // b goes and d comes: the listing goes on with a, without d.
    fixture.unlink(ROOT_USER, "/d/b").expect("unlink");
    fixture.make_file(ROOT_USER, "/d/d", 0o644, b"");
    assert_eq!(fixture.list(open), vec![(b"a".to_vec(), END_OF_DIRECTORY)]);
    // Cookie 2 is the newest entry; a cookie past every entry starts at the largest.
    fixture.fs.seek(open, 2, SEEK_SET).expect("seek");
    assert_eq!(fixture.list(open).len(), 3);
    fixture.fs.seek(open, 1000, SEEK_SET).expect("seek");
    assert_eq!(fixture.list(open).len(), 3);
    // No cookie at most the offset: the newest entry.
    fixture.unlink(ROOT_USER, "/d/a").expect("unlink");
    fixture.fs.seek(open, 3, SEEK_SET).expect("seek");
    let names = fixture.list(open).into_iter().map(|(name, _)| name).collect::<Vec<_>>();
    assert_eq!(names, vec![b"d".to_vec(), b"c".to_vec()]);
    // An empty directory ends at once.
    fixture.unlink(ROOT_USER, "/d/c").expect("unlink");
    fixture.unlink(ROOT_USER, "/d/d").expect("unlink");
    fixture.fs.seek(open, 3, SEEK_SET).expect("seek");
    assert_eq!(fixture.fs.read_directory(open, true, T0), Ok(None));
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(END_OF_DIRECTORY));
    fixture.fs.seek(open, i64::try_from(END_OF_DIRECTORY).expect("small"), SEEK_SET).expect("seek");
    fixture.make_file(ROOT_USER, "/d/e", 0o644, b"");
    assert_eq!(fixture.fs.read_directory(open, true, T0), Ok(None), "the end stays the end");
}

#[test]
fn a_renamed_entry_lists_first_and_takes_a_replaced_entrys_cookie() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    for name in ["a", "b", "c"] {
        fixture.make_file(ROOT_USER, &format!("/d/{name}"), 0o644, b"");
    }
    fixture.rename(ROOT_USER, "/d/a", "/d/c").expect("rename over");
    let open = fixture.file(ROOT_USER, "/d", O_RDONLY);
    assert_eq!(
        fixture.list(open),
        vec![
            (b".".to_vec(), 1),
            (b"..".to_vec(), 5),
            (b"c".to_vec(), 4),
            (b"b".to_vec(), END_OF_DIRECTORY),
        ]
    );
    fixture.rename(ROOT_USER, "/d/b", "/d/z").expect("rename");
    fixture.fs.seek(open, 0, SEEK_SET).expect("seek");
    assert_eq!(
        fixture.list(open),
        vec![
            (b".".to_vec(), 1),
            (b"..".to_vec(), 6),
            (b"z".to_vec(), 5),
            (b"c".to_vec(), END_OF_DIRECTORY),
        ]
    );
}

#[test]
fn reading_a_directory_without_consuming_leaves_the_offset() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/dev", O_RDONLY);
    let peeked = fixture.fs.read_directory(open, false, T0).expect("read").expect("entry");
    assert_eq!(peeked.name, b".".to_vec());
    assert_eq!(fixture.fs.seek(open, 0, SEEK_CUR), Ok(0));
    fixture.fs.seek(open, i64::try_from(peeked.next).expect("small"), SEEK_SET).expect("seek");
    let next = fixture.fs.read_directory(open, false, T0).expect("read").expect("entry");
    assert_eq!(next.name, b"..".to_vec());
}

#[test]
fn read_directory_needs_an_open_directory() {
    let mut fixture = Fixture::new();
    fixture.make_file(ROOT_USER, "/f", 0o644, b"");
    let file = fixture.file(ROOT_USER, "/f", O_RDONLY);
    assert_eq!(fixture.fs.read_directory(file, true, T0), Err(Errno::Enotdir));
    assert_eq!(fixture.fs.read_directory(99, true, T0), Err(Errno::Ebadf));
}

#[test]
fn directory_sizes_count_twenty_bytes_an_entry() {
    let mut fixture = Fixture::new();
    fixture.mkdir(ROOT_USER, "/d", 0o755).expect("mkdir");
    assert_eq!(fixture.stat("/d").map(|stat| stat.size), Ok(40));
    fixture.make_file(ROOT_USER, "/d/a", 0o644, b"");
    fixture.mkfifo(ROOT_USER, "/d/p", 0o644).expect("mkfifo");
    fixture.link(ROOT_USER, "/d/a", "/d/b").expect("link");
    assert_eq!(fixture.stat("/d").map(|stat| stat.size), Ok(100));
    fixture.rename(ROOT_USER, "/d/a", "/d/p").expect("rename over");
    assert_eq!(fixture.stat("/d").map(|stat| stat.size), Ok(80));
}

// Descriptions.

#[test]
fn status_flags_keep_the_access_mode_append_nonblock_and_noatime() {
    let mut fixture = Fixture::new();
    let flags = O_CREAT | O_EXCL | O_TRUNC | O_WRONLY | O_APPEND | O_NONBLOCK | 0o2000000;
    let open = fixture.file(ROOT_USER, "/f", flags);
    assert_eq!(fixture.fs.status_flags(open), Ok(O_WRONLY | O_APPEND | O_NONBLOCK));
    fixture.fs.set_status_flags(open, O_RDWR | O_NOATIME).expect("setfl");
    assert_eq!(fixture.fs.status_flags(open), Ok(O_WRONLY));
    fixture.fs.set_status_flags(open, O_NONBLOCK).expect("setfl");
    assert_eq!(fixture.fs.status_flags(open), Ok(O_WRONLY | O_NONBLOCK));
    assert_eq!(fixture.fs.status_flags(99), Err(Errno::Ebadf));
    assert_eq!(fixture.fs.set_status_flags(99, 0), Err(Errno::Ebadf));
}

#[test]
fn data_of_names_a_regular_files_storage() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/dev/shm/object", O_CREAT | O_RDWR);
    fixture.fs.truncate_open(open, 4096, T0, &mut fixture.storage).expect("ftruncate");
    let (data, size, access) = fixture.fs.data_of(open).expect("data");
    assert_eq!((size, access), (4096, O_RDWR));
    assert_eq!(fixture.storage.contents(data).map(<[u8]>::len), Some(4096));
    let directory = fixture.file(ROOT_USER, "/dev", O_RDONLY);
    assert_eq!(fixture.fs.data_of(directory), Err(Errno::Enodev));
    assert_eq!(fixture.fs.data_of(99), Err(Errno::Ebadf));
}

#[test]
fn close_drops_a_description_and_ignores_unknown_ones() {
    let mut fixture = Fixture::new();
    let open = fixture.file(ROOT_USER, "/f", O_CREAT | O_RDWR);
    assert_eq!(fixture.fs.open_count(), 1);
    fixture.close(open);
    fixture.close(open);
    fixture.close(12345);
    assert_eq!(fixture.fs.open_count(), 0);
    assert_eq!(fixture.fs.stat_open(open), Err(Errno::Ebadf));
    assert!(fixture.stat("/f").is_ok(), "still linked");
}

#[test]
fn the_inode_limit_counts_inodes_and_extra_links() {
    let mut fixture =
        Fixture { fs: FileSystem::new(LIMIT, T0).with_inode_limit(6), storage: VecStorage::new() };
    fixture.make_file(ROOT_USER, "/a", 0o644, b"");
    fixture.link(ROOT_USER, "/a", "/b").expect("link");
    fixture.mkfifo(ROOT_USER, "/p", 0o644).expect("mkfifo");
    assert_eq!(fixture.mkdir(ROOT_USER, "/d", 0o755), Err(Errno::Enospc));
    assert_eq!(fixture.open(ROOT_USER, "/f", O_CREAT | O_RDWR, 0o644), Err(Errno::Enospc));
    assert_eq!(fixture.link(ROOT_USER, "/a", "/c"), Err(Errno::Enospc));
    assert_eq!(fixture.mkfifo(ROOT_USER, "/q", 0o644), Err(Errno::Enospc));
    fixture.unlink(ROOT_USER, "/b").expect("unlink");
    assert_eq!(fixture.mkdir(ROOT_USER, "/d", 0o755), Ok(()));
    assert!(fixture.storage.len() == 1);
}

#[test]
fn closing_and_unlinking_everything_frees_all_storage() {
    let mut fixture = Fixture::new();
    let mut opens = Vec::new();
    for index in 0..5 {
        let path = format!("/dev/shm/{index}");
        let open = fixture.file(ALICE, &path, O_CREAT | O_RDWR);
        fixture.write(open, &[index; 7]).expect("write");
        opens.push(open);
        fixture.unlink(ALICE, &path).expect("unlink");
    }
    assert_eq!(fixture.storage.len(), 5);
    assert_eq!(fixture.fs.used_bytes(), 35);
    for open in opens {
        fixture.close(open);
    }
    assert!(fixture.storage.is_empty());
    assert_eq!(fixture.fs.used_bytes(), 0);
    assert_eq!(fixture.fs.inode_count(), 3);
}
