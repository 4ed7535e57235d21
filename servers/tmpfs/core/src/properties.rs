//! Property tests: random sequences of operations applied to the file system and to the
//! naive model in `model.rs`, comparing every outcome, and checking after every step the
//! structure's invariants (link counts, directory sizes, cookies, storage matching sizes,
//! `used_bytes` equal to the sum of the sizes of the files that exist, the inode charge)
//! and, at the end, that closing and removing everything leaves no storage behind.

use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::model::{Facts, Model};
use crate::{
    Credentials, FileSystem, FileType, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDWR, O_TRUNC,
    O_WRONLY, OpenId, Opened, SEEK_CUR, SEEK_END, SEEK_SET, Stat, Time, VecStorage,
};

const SIZE_LIMIT: u64 = 48;
const INODE_LIMIT: u64 = 14;
const NOW: Time = Time { seconds: 5, nanoseconds: 0 };
const ROOT: Credentials = Credentials::ROOT;
const NAMES: [&[u8]; 3] = [b"a", b"b", b"c"];

/// A path of one or two names.
#[derive(Clone, Debug)]
struct TestPath(Vec<usize>);

impl TestPath {
    fn names(&self) -> Vec<&'static [u8]> {
        self.0.iter().map(|&index| NAMES[index % NAMES.len()]).collect()
    }

    fn text(&self) -> Vec<u8> {
        let mut text = Vec::new();
        for name in self.names() {
            text.push(b'/');
            text.extend_from_slice(name);
        }
        text
    }
}

#[derive(Clone, Debug)]
enum Operation {
    Open { path: TestPath, flags: u64 },
    Close { slot: usize },
    Read { slot: usize, length: usize },
    Write { slot: usize, length: usize, fill: u8 },
    Seek { slot: usize, offset: i64, whence: u32 },
    Truncate { slot: usize, length: i64 },
    Mkdir { path: TestPath },
    Mkfifo { path: TestPath },
    Unlink { path: TestPath },
    Rmdir { path: TestPath },
    Rename { from: TestPath, to: TestPath },
    Link { existing: TestPath, new: TestPath },
    Stat { path: TestPath },
    StatOpen { slot: usize },
}

fn test_path() -> impl Strategy<Value = TestPath> {
    prop::collection::vec(0_usize..3, 1..=2).prop_map(TestPath)
}

fn operation() -> impl Strategy<Value = Operation> {
    let flags = (
        prop::sample::select(vec![0_u64, O_WRONLY, O_RDWR]),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(access, create, exclusive, truncate, append)| {
            let mut flags = access;
            for (chosen, flag) in
                [(create, O_CREAT), (exclusive, O_EXCL), (truncate, O_TRUNC), (append, O_APPEND)]
            {
                if chosen {
                    flags |= flag;
                }
            }
            flags
        });
    prop_oneof![
        20 => (test_path(), flags).prop_map(|(path, flags)| Operation::Open { path, flags }),
        6 => any::<usize>().prop_map(|slot| Operation::Close { slot }),
        10 => (any::<usize>(), 0_usize..20)
            .prop_map(|(slot, length)| Operation::Read { slot, length }),
        14 => (any::<usize>(), 0_usize..20, any::<u8>())
            .prop_map(|(slot, length, fill)| Operation::Write { slot, length, fill }),
        6 => (any::<usize>(), -3_i64..30, 0_u32..3)
            .prop_map(|(slot, offset, whence)| Operation::Seek { slot, offset, whence }),
        5 => (any::<usize>(), -1_i64..40)
            .prop_map(|(slot, length)| Operation::Truncate { slot, length }),
        6 => test_path().prop_map(|path| Operation::Mkdir { path }),
        2 => test_path().prop_map(|path| Operation::Mkfifo { path }),
        8 => test_path().prop_map(|path| Operation::Unlink { path }),
        4 => test_path().prop_map(|path| Operation::Rmdir { path }),
        8 => (test_path(), test_path()).prop_map(|(from, to)| Operation::Rename { from, to }),
        4 => (test_path(), test_path())
            .prop_map(|(existing, new)| Operation::Link { existing, new }),
        5 => test_path().prop_map(|path| Operation::Stat { path }),
        3 => any::<usize>().prop_map(|slot| Operation::StatOpen { slot }),
    ]
}

fn facts(stat: Stat) -> Facts {
    Facts { inode: stat.inode, file_type: stat.file_type, links: stat.links, size: stat.size }
}

/// The description at `index`, wrapping; `None` when none was ever opened.
fn pick(slots: &[OpenId], index: usize) -> Option<OpenId> {
    (!slots.is_empty()).then(|| slots[index % slots.len()])
}

struct Run {
    fs: FileSystem,
    storage: VecStorage,
    model: Model,
    /// Every description ever opened (closed ones included, to test EBADF).
    slots: Vec<OpenId>,
}

impl Run {
    fn apply(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        let storage = &mut self.storage;
        match operation {
            Operation::Open { path, flags } => {
                let opened = self.fs.open(ROOT, &path.text(), *flags, 0o644, NOW, storage);
                prop_assert_eq!(&opened, &self.model.open(&path.names(), *flags));
                if let Ok(Opened::File(open)) = opened {
                    self.slots.push(open);
                }
            }
            Operation::Close { slot } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    self.fs.close(open, storage);
                    self.model.close(open);
                }
            }
            Operation::Read { slot, length } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    let mut into = Vec::new();
                    let read = self.fs.read(open, *length, NOW, storage, &mut into).map(|()| into);
                    prop_assert_eq!(read, self.model.read(open, *length));
                }
            }
            Operation::Write { slot, length, fill } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    let bytes = vec![*fill; *length];
                    let written = self.fs.write(open, &bytes, NOW, storage);
                    prop_assert_eq!(written, self.model.write(open, &bytes));
                }
            }
            Operation::Seek { slot, offset, whence } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    let whence = [SEEK_SET, SEEK_CUR, SEEK_END][*whence as usize % 3];
                    let sought = self.fs.seek(open, *offset, whence);
                    prop_assert_eq!(sought, self.model.seek(open, *offset, whence));
                }
            }
            Operation::Truncate { slot, length } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    let truncated = self.fs.truncate_open(open, *length, NOW, storage);
                    prop_assert_eq!(truncated, self.model.truncate(open, *length));
                }
            }
            Operation::Mkdir { path } => {
                let made = self.fs.mkdir(ROOT, &path.text(), 0o755, NOW);
                prop_assert_eq!(made, self.model.mkdir(&path.names()));
            }
            Operation::Mkfifo { path } => {
                let made = self.fs.mknod_fifo(ROOT, &path.text(), 0o644, NOW);
                prop_assert_eq!(made, self.model.mkfifo(&path.names()));
            }
            Operation::Unlink { path } => {
                let unlinked = self.fs.unlink(ROOT, &path.text(), NOW, storage);
                prop_assert_eq!(unlinked, self.model.unlink(&path.names()));
            }
            Operation::Rmdir { path } => {
                let removed = self.fs.rmdir(ROOT, &path.text(), NOW);
                prop_assert_eq!(removed, self.model.rmdir(&path.names()));
            }
            Operation::Rename { from, to } => {
                let renamed = self.fs.rename(ROOT, &from.text(), &to.text(), NOW, storage);
                prop_assert_eq!(renamed, self.model.rename(&from.names(), &to.names()));
                let _ = self.fs.take_unlinked_fifos();
            }
            Operation::Link { existing, new } => {
                let linked = self.fs.link(ROOT, &existing.text(), &new.text(), NOW);
                prop_assert_eq!(linked, self.model.link(&existing.names(), &new.names()));
            }
            Operation::Stat { path } => {
                let stat = self.fs.stat_path(ROOT, &path.text()).map(facts);
                prop_assert_eq!(stat, self.model.stat(&path.names()));
            }
            Operation::StatOpen { slot } => {
                if let Some(open) = pick(&self.slots, *slot) {
                    let stat = self.fs.stat_open(open).map(facts);
                    prop_assert_eq!(stat, self.model.stat_open(open));
                }
            }
        }
        self.check()
    }

    fn check(&self) -> Result<(), TestCaseError> {
        self.fs.check_invariants(&self.storage);
        prop_assert_eq!(self.fs.used_bytes(), self.model.used_bytes());
        prop_assert!(self.fs.used_bytes() <= SIZE_LIMIT);
        prop_assert_eq!(self.fs.inode_count(), self.model.inode_count());
        prop_assert_eq!(self.fs.open_count(), self.model.open_ids().len());
        Ok(())
    }

    /// Removes `path` and everything under it, listing directories with read_directory.
    fn remove_tree(&mut self, path: &[u8]) -> Result<(), TestCaseError> {
        match self.fs.stat_path(ROOT, path) {
            Ok(stat) if stat.file_type == FileType::Directory => {}
            Ok(_) => {
                prop_assert!(self.fs.unlink(ROOT, path, NOW, &mut self.storage).is_ok());
                return Ok(());
            }
            Err(_) => return Ok(()),
        }
        let Ok(Opened::File(open)) =
            self.fs.open(ROOT, path, O_DIRECTORY, 0, NOW, &mut self.storage)
        else {
            return Err(TestCaseError::fail("open a directory"));
        };
        let mut names = Vec::new();
        while let Some(entry) = self
            .fs
            .read_directory(open, true, NOW)
            .map_err(|error| TestCaseError::fail(alloc::format!("read_directory: {error:?}")))?
        {
            if entry.name != b"." && entry.name != b".." {
                names.push(entry.name);
            }
        }
        self.fs.close(open, &mut self.storage);
        for name in names {
            self.remove_tree(&[path, b"/", &name].concat())?;
        }
        prop_assert_eq!(self.fs.rmdir(ROOT, path, NOW), Ok(()));
        Ok(())
    }

    /// Closes every description and removes every name: nothing may be left.
    fn clean_up(&mut self) -> Result<(), TestCaseError> {
        for open in self.model.open_ids() {
            self.fs.close(open, &mut self.storage);
            self.model.close(open);
        }
        for name in NAMES {
            self.remove_tree(&[b"/", name].concat())?;
        }
        self.fs.check_invariants(&self.storage);
        prop_assert!(self.storage.is_empty(), "storage left: {:?}", self.storage.ids());
        prop_assert_eq!(self.fs.used_bytes(), 0);
        prop_assert_eq!(self.fs.inode_count(), 3);
        prop_assert_eq!(self.fs.open_count(), 0);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn the_file_system_matches_the_model(operations in prop::collection::vec(operation(), 1..80)) {
        let fs = FileSystem::new(SIZE_LIMIT, NOW).with_inode_limit(INODE_LIMIT);
        let mut run = Run {
            fs,
            storage: VecStorage::new(),
            model: Model::new(SIZE_LIMIT, INODE_LIMIT),
            slots: Vec::new(),
        };
        for (step, operation) in operations.iter().enumerate() {
            run.apply(operation).map_err(|error| {
                TestCaseError::fail(alloc::format!("step {step}: {operation:?}: {error}"))
            })?;
        }
        run.clean_up()?;
    }
}
