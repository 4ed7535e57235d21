//! Conformance cases for POSIX shared memory (shm_open(3), shm_unlink(3), ftruncate(2),
//! mmap(2) and munmap(2) of a shared memory object).
//!
//! Each case names its object `/conformance-posix-shm-CASE` and removes it, whatever the
//! outcome, through an [`Object`] guard. The name rules checked are glibc's (which makes
//! `shm_open` an `open` under `/dev/shm`).

use alloc::format;
use alloc::string::String;

use libsys::Errno;
use libsys::abi::io::{F_GETFD, FD_CLOEXEC, O_RDONLY, O_RDWR};
use libsys::abi::signal::SIGBUS;
use libsys::fd::{self, Fd};
use libsys::fs::{self, O_CREAT, O_EXCL, PROT_READ, PROT_WRITE};

use crate::framework::{Case, Check, Child, ensure, equals, fails_with, step};

/// A page.
const PAGE: usize = 4096;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "create-exclusive-existing-eexist", run: create_exclusive_existing_eexist },
    Case { name: "open-missing-enoent", run: open_missing_enoent },
    Case { name: "new-object-empty-regular-file", run: new_object_empty_regular_file },
    Case { name: "name-rules", run: name_rules },
    Case { name: "descriptor-close-on-exec", run: descriptor_close_on_exec },
    Case { name: "two-mappings-share-bytes", run: two_mappings_share_bytes },
    Case { name: "descriptor-and-mapping-share-bytes", run: descriptor_and_mapping_share_bytes },
    Case { name: "child-sees-parent-writes", run: child_sees_parent_writes },
    Case { name: "unlink-keeps-mapping", run: unlink_keeps_mapping },
    Case { name: "access-past-end-sigbus", run: access_past_end_sigbus },
    Case { name: "read-only-descriptor-writable-mapping-eacces", run: read_only_eacces },
    Case { name: "mmap-bad-length-or-offset-einval", run: mmap_bad_arguments_einval },
    Case { name: "shrink-then-grow-reads-zeros", run: shrink_then_grow_reads_zeros },
    Case { name: "munmap-then-map-again-keeps-data", run: munmap_then_map_again },
];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `posix-shm-check NAME EXPECTED ANSWER`: opens object NAME read-write, maps its first
///   page, and exits 0 if its first word is EXPECTED (3 if not), after writing ANSWER to
///   its second word;
/// - `posix-shm-past-end NAME`: maps three pages of object NAME (one page long) and reads
///   the third (SIGBUS must end it; exit 4 if it survives).
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    match mode {
        "posix-shm-check" => Some(child_check(arguments)),
        "posix-shm-past-end" => Some(child_past_end(arguments)),
        _ => None,
    }
}

fn child_check(arguments: &[&str]) -> i32 {
    let (Some(name), Some(expected), Some(answer)) = (
        arguments.first(),
        arguments.get(1).and_then(|text| text.parse::<u64>().ok()),
        arguments.get(2).and_then(|text| text.parse::<u64>().ok()),
    ) else {
        return 2;
    };
    let Ok(object) = fs::shm_open(name, O_RDWR, 0) else { return 5 };
    let Ok(mapping) = fs::mmap(PAGE, PROT_READ | PROT_WRITE, object, 0) else { return 6 };
    mapping.write_word(8, answer);
    if mapping.read_word(0) == Some(expected) { 0 } else { 3 }
}

fn child_past_end(arguments: &[&str]) -> i32 {
    let Some(name) = arguments.first() else { return 2 };
    let Ok(object) = fs::shm_open(name, O_RDWR, 0) else { return 5 };
    let Ok(mapping) = fs::mmap(3 * PAGE, PROT_READ | PROT_WRITE, object, 0) else { return 6 };
    let _ = mapping.read_word(2 * PAGE);
    4
}

/// A shared memory object made for one case, unlinked when dropped.
struct Object {
    name: String,
}

impl Object {
    /// The name `/conformance-posix-shm-CASE`, freed of what an earlier run left.
    fn name(case: &str) -> Object {
        let name = format!("/conformance-posix-shm-{case}");
        let _ = fs::shm_unlink(&name);
        Object { name }
    }

    /// Creates the object read-write with `size` bytes; its descriptor.
    fn create(case: &str, size: usize) -> Result<(Object, Fd), String> {
        let object = Object::name(case);
        let descriptor = step(
            "shm_open(O_CREAT | O_EXCL | O_RDWR)",
            fs::shm_open(&object.name, O_CREAT | O_EXCL | O_RDWR, 0o600),
        )?;
        step(&format!("ftruncate({size})"), fs::ftruncate(descriptor, size as i64))?;
        Ok((object, descriptor))
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        let _ = fs::shm_unlink(&self.name);
    }
}

/// shm_open with O_CREAT | O_EXCL creates a new object, and fails with EEXIST when the
/// name exists; without O_EXCL it opens the existing object.
fn create_exclusive_existing_eexist() -> Check {
    let object = Object::name("exclusive");
    let first = step(
        "shm_open(O_CREAT | O_EXCL)",
        fs::shm_open(&object.name, O_CREAT | O_EXCL | O_RDWR, 0o600),
    )?;
    fails_with(
        "shm_open(O_CREAT | O_EXCL) again",
        fs::shm_open(&object.name, O_CREAT | O_EXCL | O_RDWR, 0o600),
        Errno::Eexist,
    )?;
    let second =
        step("shm_open(O_CREAT) existing", fs::shm_open(&object.name, O_CREAT | O_RDWR, 0o600))?;
    let (one, two) = (step("fstat", fs::fstat(first))?, step("fstat", fs::fstat(second))?);
    ensure(one.inode == two.inode, || "the two opens name different objects".into())
}

/// shm_open without O_CREAT of a name that does not exist fails with ENOENT, and so does
/// shm_unlink.
fn open_missing_enoent() -> Check {
    let object = Object::name("missing");
    fails_with("shm_open(missing, O_RDWR)", fs::shm_open(&object.name, O_RDWR, 0), Errno::Enoent)?;
    fails_with("shm_unlink(missing)", fs::shm_unlink(&object.name), Errno::Enoent)
}

/// A new object is an empty regular file (size 0) with the mode asked for less the umask.
fn new_object_empty_regular_file() -> Check {
    let object = Object::name("new");
    fs::umask(0o027);
    let descriptor =
        step("shm_open(O_CREAT, 0666)", fs::shm_open(&object.name, O_CREAT | O_RDWR, 0o666))?;
    let status = step("fstat", fs::fstat(descriptor))?;
    ensure(fs::is_regular(status.mode), || {
        format!("mode {:#o} is not a regular file", status.mode)
    })?;
    ensure(status.mode & 0o7777 == 0o640, || format!("mode {:#o}, expected 0640", status.mode))?;
    ensure(status.size == 0, || format!("size {}", status.size))
}

/// Names as glibc takes them: leading slashes are optional, "/" alone or a slash inside
/// the name is EINVAL, a name longer than NAME_MAX is ENAMETOOLONG.
fn name_rules() -> Check {
    let object = Object::name("rules");
    let bare = object.name.trim_start_matches('/');
    step("shm_open(name without slash)", fs::shm_open(bare, O_CREAT | O_EXCL | O_RDWR, 0o600))?;
    fails_with(
        "shm_open(/name, O_EXCL) after creating name",
        fs::shm_open(&object.name, O_CREAT | O_EXCL | O_RDWR, 0o600),
        Errno::Eexist,
    )?;
    fails_with("shm_open(/)", fs::shm_open("/", O_CREAT | O_RDWR, 0o600), Errno::Einval)?;
    fails_with(
        "shm_open(/conformance/inner)",
        fs::shm_open("/conformance/inner", O_CREAT | O_RDWR, 0o600),
        Errno::Einval,
    )?;
    let long = format!("/{}", "n".repeat(256));
    fails_with(
        "shm_open(256-byte name)",
        fs::shm_open(&long, O_CREAT | O_RDWR, 0o600),
        Errno::Enametoolong,
    )
}

/// A descriptor from shm_open has FD_CLOEXEC set, as POSIX requires.
fn descriptor_close_on_exec() -> Check {
    let (_object, descriptor) = Object::create("cloexec", 0)?;
    let flags = step("fcntl(F_GETFD)", fd::fcntl(descriptor, F_GETFD, 0))?;
    ensure(flags & u64::from(FD_CLOEXEC) != 0, || format!("F_GETFD {flags:#x}"))
}

/// Two shared mappings of one object see each other's writes.
fn two_mappings_share_bytes() -> Check {
    let (_object, descriptor) = Object::create("two-mappings", 2 * PAGE)?;
    let first = step("mmap", fs::mmap(2 * PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    let second = step("mmap again", fs::mmap(2 * PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    ensure(first.address() != second.address(), || "both mappings at one address".into())?;
    first.write_word(PAGE + 8, 0x1122_3344_5566_7788);
    equals(
        "second mapping's word",
        Ok::<_, Errno>(second.read_word(PAGE + 8)),
        Some(0x1122_3344_5566_7788),
    )?;
    second.write_word(0, 42);
    equals("first mapping's word", Ok::<_, Errno>(first.read_word(0)), Some(42))
}

/// Bytes written through the descriptor appear in a mapping, and bytes stored through the
/// mapping are what read gives.
fn descriptor_and_mapping_share_bytes() -> Check {
    let (_object, descriptor) = Object::create("descriptor", PAGE)?;
    let mapping = step("mmap", fs::mmap(PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    equals("write", fd::write(descriptor, b"written"), 7)?;
    let mut bytes = [0u8; 7];
    ensure(mapping.read_bytes(0, &mut bytes) && &bytes == b"written", || {
        format!("mapping holds {bytes:?}")
    })?;
    ensure(mapping.write_bytes(100, b"stored"), || "write_bytes outside the mapping".into())?;
    equals("lseek(100)", fs::lseek(descriptor, 100, fs::SEEK_SET), 100)?;
    let mut read = [0u8; 6];
    equals("read", fd::read(descriptor, &mut read), 6)?;
    ensure(&read == b"stored", || format!("read {read:?}"))
}

/// Another process mapping the object by name sees the parent's stores, and the parent
/// sees the child's.
fn child_sees_parent_writes() -> Check {
    let (object, descriptor) = Object::create("child", PAGE)?;
    let mapping = step("mmap", fs::mmap(PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    mapping.write_word(0, 271_828);
    let mut child = Child::spawn("posix-shm-check", &[&object.name, "271828", "314159"])?;
    child.exits_with(0)?;
    equals("the child's word", Ok::<_, Errno>(mapping.read_word(8)), Some(314_159))
}

/// After shm_unlink the name is gone (ENOENT) but an existing mapping and descriptor keep
/// working on the same memory.
fn unlink_keeps_mapping() -> Check {
    let (object, descriptor) = Object::create("unlink", PAGE)?;
    let mapping = step("mmap", fs::mmap(PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    step("shm_unlink", fs::shm_unlink(&object.name))?;
    fails_with("shm_open after unlink", fs::shm_open(&object.name, O_RDWR, 0), Errno::Enoent)?;
    fails_with("shm_unlink again", fs::shm_unlink(&object.name), Errno::Enoent)?;
    mapping.write_word(0, 7);
    equals("the word", Ok::<_, Errno>(mapping.read_word(0)), Some(7))?;
    let mut bytes = [0u8; 8];
    equals("read through the descriptor", fd::read(descriptor, &mut bytes), 8)?;
    ensure(u64::from_le_bytes(bytes) == 7, || format!("read {bytes:?}"))
}

/// Touching a mapped page that lies wholly past the object's end kills the process with
/// SIGBUS.
fn access_past_end_sigbus() -> Check {
    let (object, _descriptor) = Object::create("past-end", PAGE)?;
    let mut child = Child::spawn("posix-shm-past-end", &[&object.name])?;
    child.killed_by(SIGBUS)
}

/// A writable shared mapping of a descriptor opened read-only fails with EACCES; a
/// read-only mapping of it works.
fn read_only_eacces() -> Check {
    let (object, _descriptor) = Object::create("read-only", PAGE)?;
    let read_only = step("shm_open(O_RDONLY)", fs::shm_open(&object.name, O_RDONLY, 0))?;
    fails_with(
        "mmap(PROT_READ | PROT_WRITE) of O_RDONLY",
        fs::mmap(PAGE, PROT_READ | PROT_WRITE, read_only, 0),
        Errno::Eacces,
    )?;
    let mapping = step("mmap(PROT_READ) of O_RDONLY", fs::mmap(PAGE, PROT_READ, read_only, 0))?;
    equals("the first word", Ok::<_, Errno>(mapping.read_word(0)), Some(0))
}

/// mmap of length 0, or at an offset that is not a multiple of the page size, fails with
/// EINVAL.
fn mmap_bad_arguments_einval() -> Check {
    let (_object, descriptor) = Object::create("bad-arguments", 2 * PAGE)?;
    fails_with("mmap(length 0)", fs::mmap(0, PROT_READ, descriptor, 0), Errno::Einval)?;
    fails_with("mmap(offset 100)", fs::mmap(PAGE, PROT_READ, descriptor, 100), Errno::Einval)
}

/// Shrinking an object drops the bytes cut off: grown again, they read as zeros, through
/// a mapping made before.
fn shrink_then_grow_reads_zeros() -> Check {
    let (_object, descriptor) = Object::create("shrink", 2 * PAGE)?;
    let mapping = step("mmap", fs::mmap(2 * PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    mapping.write_word(16, 1);
    mapping.write_word(PAGE + 16, 2);
    step("ftruncate(one page)", fs::ftruncate(descriptor, PAGE as i64))?;
    step("ftruncate(two pages)", fs::ftruncate(descriptor, 2 * PAGE as i64))?;
    equals("the first page's word", Ok::<_, Errno>(mapping.read_word(16)), Some(1))?;
    equals("the second page's word", Ok::<_, Errno>(mapping.read_word(PAGE + 16)), Some(0))
}

/// munmap removes a mapping but not the object: a new mapping finds the bytes stored
/// through the old one.
fn munmap_then_map_again() -> Check {
    let (_object, descriptor) = Object::create("munmap", PAGE)?;
    let mapping = step("mmap", fs::mmap(PAGE, PROT_READ | PROT_WRITE, descriptor, 0))?;
    mapping.write_word(24, 99);
    step("munmap", fs::munmap(mapping))?;
    let again = step("mmap again", fs::mmap(PAGE, PROT_READ, descriptor, 0))?;
    equals("the word", Ok::<_, Errno>(again.read_word(24)), Some(99))
}
