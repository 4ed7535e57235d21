//! Conformance cases for tmpfs (open(2), read(2), write(2), lseek(2), ftruncate(2),
//! fstat(2), mkdir(2), rmdir(2), unlink(2), rename(2), link(2), chmod(2), getdents(2)).
//!
//! Each case works in its own directory `/tmp/conformance-tmpfs-CASE`, which a
//! [`Scratch`] guard removes with everything in it, whatever the outcome.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use libsys::Errno;
use libsys::abi::io::{O_APPEND, O_RDONLY, O_RDWR, O_WRONLY};
use libsys::fd::{self, Fd};
use libsys::fs::{self, O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, SEEK_CUR, SEEK_END, SEEK_SET};
use libsys::proc;

use crate::framework::{Case, Check, Child, ensure, equals, fails_with, step};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "create-exclusive-existing-eexist", run: create_exclusive_existing_eexist },
    Case { name: "open-missing-enoent", run: open_missing_enoent },
    Case { name: "path-through-file-enotdir", run: path_through_file_enotdir },
    Case { name: "open-directory-for-writing-eisdir", run: open_directory_for_writing_eisdir },
    Case { name: "open-directory-flag-on-file-enotdir", run: open_directory_flag_on_file },
    Case { name: "truncate-flag-empties-file", run: truncate_flag_empties_file },
    Case { name: "append-writes-at-end", run: append_writes_at_end },
    Case { name: "lseek-set-current-end", run: lseek_set_current_end },
    Case { name: "lseek-negative-or-bad-whence-einval", run: lseek_negative_einval },
    Case { name: "write-past-end-leaves-zero-hole", run: write_past_end_leaves_zero_hole },
    Case { name: "ftruncate-grows-and-shrinks", run: ftruncate_grows_and_shrinks },
    Case { name: "ftruncate-errors", run: ftruncate_errors },
    Case { name: "read-write-wrong-access-mode-ebadf", run: wrong_access_mode_ebadf },
    Case { name: "closed-descriptor-ebadf", run: closed_descriptor_ebadf },
    Case { name: "create-mode-less-umask", run: create_mode_less_umask },
    Case { name: "chmod-owner-only-eperm", run: chmod_owner_only_eperm },
    Case { name: "directory-link-count", run: directory_link_count },
    Case { name: "mkdir-existing-eexist", run: mkdir_existing_eexist },
    Case { name: "rmdir-non-empty-enotempty", run: rmdir_non_empty_enotempty },
    Case { name: "rmdir-dot-einval", run: rmdir_dot_einval },
    Case { name: "unlink-directory-eisdir-rmdir-file-enotdir", run: unlink_rmdir_wrong_type },
    Case { name: "rename-replaces-file", run: rename_replaces_file },
    Case { name: "rename-directory-into-itself-einval", run: rename_into_itself_einval },
    Case { name: "rename-onto-non-empty-directory-enotempty", run: rename_onto_non_empty },
    Case { name: "link-counts", run: link_counts },
    Case { name: "unlinked-open-file-stays-readable", run: unlinked_open_file_stays_readable },
    Case { name: "read-directory-lists-entries", run: read_directory_lists_entries },
    Case { name: "permission-denied-other-user-eacces", run: permission_denied_eacces },
    Case { name: "name-too-long-enametoolong", run: name_too_long },
    Case { name: "size-limit-enospc", run: size_limit_enospc },
];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `tmpfs-open-as UID PATH FLAGS`: sets its user id to UID, opens PATH with FLAGS (mode
///   0644), and exits 0 on success or with the errno;
/// - `tmpfs-chmod-as UID PATH MODE`: sets its user id to UID, changes PATH's mode to MODE
///   (octal), and exits 0 on success or with the errno.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    if mode == "tmpfs-chmod-as" {
        return Some(child_chmod_as(arguments));
    }
    if mode != "tmpfs-open-as" {
        return None;
    }
    let (Some(uid), Some(path), Some(flags)) = (
        arguments.first().and_then(|text| text.parse::<u32>().ok()),
        arguments.get(1),
        arguments.get(2).and_then(|text| text.parse::<u64>().ok()),
    ) else {
        return Some(2);
    };
    if proc::setuid(uid).is_err() {
        return Some(3);
    }
    Some(match fs::open(path, flags, 0o644) {
        Ok(descriptor) => {
            let _ = fd::close(descriptor);
            0
        }
        Err(error) => error.number(),
    })
}

fn child_chmod_as(arguments: &[&str]) -> i32 {
    let (Some(uid), Some(path), Some(mode)) = (
        arguments.first().and_then(|text| text.parse::<u32>().ok()),
        arguments.get(1),
        arguments.get(2).and_then(|text| u32::from_str_radix(text, 8).ok()),
    ) else {
        return 2;
    };
    if proc::setuid(uid).is_err() {
        return 3;
    }
    match fs::chmod(path, mode) {
        Ok(()) => 0,
        Err(error) => error.number(),
    }
}

/// A directory made for one case, removed with its contents when dropped.
struct Scratch {
    path: String,
}

impl Scratch {
    /// Makes `/tmp/conformance-tmpfs-NAME` (mode 0755), removing what an earlier run left.
    fn new(name: &str) -> Result<Scratch, String> {
        let previous = fs::umask(0);
        let _ = fs::mkdir("/tmp", 0o1777);
        fs::umask(previous);
        let path = format!("/tmp/conformance-tmpfs-{name}");
        remove_tree(&path);
        step(&format!("mkdir({path})"), fs::mkdir(&path, 0o755))?;
        Ok(Scratch { path })
    }

    /// The path of `name` inside the directory.
    fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Creates file `name` holding `contents`.
    fn file(&self, name: &str, contents: &[u8]) -> Result<String, String> {
        let path = self.at(name);
        let file = step(&format!("create {path}"), fs::open(&path, O_CREAT | O_WRONLY, 0o644))?;
        if !contents.is_empty() {
            equals("write", fd::write(file, contents), contents.len())?;
        }
        step("close", fd::close(file))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        remove_tree(&self.path);
    }
}

/// Removes `path` and, for a directory, everything below it (errors ignored).
fn remove_tree(path: &str) {
    if let Ok(entries) = fs::list_directory(path) {
        for entry in entries {
            if entry.name != "." && entry.name != ".." {
                remove_tree(&format!("{path}/{}", entry.name));
            }
        }
        let _ = fs::rmdir(path);
    } else {
        let _ = fs::unlink(path);
    }
}

/// The whole contents of `path`.
fn contents_of(path: &str) -> Result<Vec<u8>, String> {
    step(&format!("read {path}"), fs::read_to_end(path))
}

/// Reads exactly `length` bytes at the descriptor's offset.
fn read_exactly(descriptor: Fd, length: usize) -> Result<Vec<u8>, String> {
    let mut buffer = vec![0u8; length];
    equals(&format!("read({length})"), fd::read(descriptor, &mut buffer), length)?;
    Ok(buffer)
}

/// open with O_CREAT | O_EXCL fails with EEXIST when the name exists (a file or a
/// directory), and creates the file when it does not.
fn create_exclusive_existing_eexist() -> Check {
    let scratch = Scratch::new("exclusive")?;
    let path = scratch.at("file");
    let file =
        step("open(O_CREAT | O_EXCL) new", fs::open(&path, O_CREAT | O_EXCL | O_RDWR, 0o644))?;
    step("close", fd::close(file))?;
    fails_with(
        "open(O_CREAT | O_EXCL) existing file",
        fs::open(&path, O_CREAT | O_EXCL | O_RDWR, 0o644),
        Errno::Eexist,
    )?;
    fails_with(
        "open(O_CREAT | O_EXCL) existing directory",
        fs::open(&scratch.path, O_CREAT | O_EXCL | O_RDONLY, 0o644),
        Errno::Eexist,
    )
}

/// open of a name that does not exist fails with ENOENT, and so does O_CREAT in a
/// directory that does not exist.
fn open_missing_enoent() -> Check {
    let scratch = Scratch::new("missing")?;
    fails_with("open(missing)", fs::open(&scratch.at("missing"), O_RDONLY, 0), Errno::Enoent)?;
    fails_with(
        "open(missing/new, O_CREAT)",
        fs::open(&scratch.at("missing/new"), O_CREAT | O_WRONLY, 0o644),
        Errno::Enoent,
    )?;
    fails_with("stat(missing)", fs::stat(&scratch.at("missing")), Errno::Enoent)
}

/// A path that goes through a regular file as if it were a directory fails with ENOTDIR
/// (open, stat, mkdir).
fn path_through_file_enotdir() -> Check {
    let scratch = Scratch::new("through-file")?;
    let file = scratch.file("file", b"x")?;
    let below = format!("{file}/below");
    fails_with("open(file/below)", fs::open(&below, O_RDONLY, 0), Errno::Enotdir)?;
    fails_with("stat(file/below)", fs::stat(&below), Errno::Enotdir)?;
    fails_with("mkdir(file/below)", fs::mkdir(&below, 0o755), Errno::Enotdir)?;
    fails_with("open(file/)", fs::open(&format!("{file}/"), O_RDONLY, 0), Errno::Enotdir)
}

/// A directory opens read-only, but opening it for writing fails with EISDIR.
fn open_directory_for_writing_eisdir() -> Check {
    let scratch = Scratch::new("directory-write")?;
    let directory = step("open(directory, O_RDONLY)", fs::open(&scratch.path, O_RDONLY, 0))?;
    step("close", fd::close(directory))?;
    fails_with("open(directory, O_WRONLY)", fs::open(&scratch.path, O_WRONLY, 0), Errno::Eisdir)?;
    fails_with("open(directory, O_RDWR)", fs::open(&scratch.path, O_RDWR, 0), Errno::Eisdir)
}

/// open with O_DIRECTORY of a regular file fails with ENOTDIR; of a directory it works.
fn open_directory_flag_on_file() -> Check {
    let scratch = Scratch::new("directory-flag")?;
    let file = scratch.file("file", b"x")?;
    fails_with(
        "open(file, O_DIRECTORY)",
        fs::open(&file, O_RDONLY | O_DIRECTORY, 0),
        Errno::Enotdir,
    )?;
    let directory =
        step("open(directory, O_DIRECTORY)", fs::open(&scratch.path, O_RDONLY | O_DIRECTORY, 0))?;
    step("close", fd::close(directory))
}

/// O_TRUNC on a file opened for writing empties it; the size is then 0.
fn truncate_flag_empties_file() -> Check {
    let scratch = Scratch::new("truncate-flag")?;
    let path = scratch.file("file", b"some contents")?;
    let file = step("open(O_WRONLY | O_TRUNC)", fs::open(&path, O_WRONLY | O_TRUNC, 0))?;
    let status = step("fstat", fs::fstat(file))?;
    ensure(status.size == 0, || format!("size {} after O_TRUNC", status.size))?;
    step("close", fd::close(file))?;
    equals("contents", fs::read_to_end(&path), Vec::new())
}

/// With O_APPEND every write goes to the end of the file, whatever the offset was set to.
fn append_writes_at_end() -> Check {
    let scratch = Scratch::new("append")?;
    let path = scratch.file("file", b"first")?;
    let file = step("open(O_RDWR | O_APPEND)", fs::open(&path, O_RDWR | O_APPEND, 0))?;
    equals("lseek(0, SEEK_SET)", fs::lseek(file, 0, SEEK_SET), 0)?;
    equals("write", fd::write(file, b"-second"), 7)?;
    equals("offset after the write", fs::lseek(file, 0, SEEK_CUR), 12)?;
    step("close", fd::close(file))?;
    equals("contents", fs::read_to_end(&path), b"first-second".to_vec())
}

/// lseek gives the new offset for SEEK_SET, SEEK_CUR and SEEK_END, and reads continue
/// from it.
fn lseek_set_current_end() -> Check {
    let scratch = Scratch::new("lseek")?;
    let path = scratch.file("file", b"0123456789")?;
    let file = step("open", fs::open(&path, O_RDONLY, 0))?;
    equals("lseek(4, SEEK_SET)", fs::lseek(file, 4, SEEK_SET), 4)?;
    let bytes = read_exactly(file, 2)?;
    ensure(bytes == b"45", || format!("read {bytes:?} at 4"))?;
    equals("lseek(1, SEEK_CUR)", fs::lseek(file, 1, SEEK_CUR), 7)?;
    let bytes = read_exactly(file, 2)?;
    ensure(bytes == b"78", || format!("read {bytes:?} at 7"))?;
    equals("lseek(-3, SEEK_END)", fs::lseek(file, -3, SEEK_END), 7)?;
    equals("lseek(5, SEEK_END)", fs::lseek(file, 5, SEEK_END), 15)?;
    equals("read past the end", fd::read(file, &mut [0u8; 4]), 0)
}

/// lseek to a negative offset, or with an unknown whence, fails with EINVAL and leaves the
/// offset alone.
fn lseek_negative_einval() -> Check {
    let scratch = Scratch::new("lseek-negative")?;
    let path = scratch.file("file", b"0123456789")?;
    let file = step("open", fs::open(&path, O_RDONLY, 0))?;
    equals("lseek(3, SEEK_SET)", fs::lseek(file, 3, SEEK_SET), 3)?;
    fails_with("lseek(-1, SEEK_SET)", fs::lseek(file, -1, SEEK_SET), Errno::Einval)?;
    fails_with("lseek(-4, SEEK_CUR)", fs::lseek(file, -4, SEEK_CUR), Errno::Einval)?;
    fails_with("lseek(-11, SEEK_END)", fs::lseek(file, -11, SEEK_END), Errno::Einval)?;
    fails_with("lseek(0, whence 7)", fs::lseek(file, 0, 7), Errno::Einval)?;
    equals("offset after the failures", fs::lseek(file, 0, SEEK_CUR), 3)
}

/// A write after seeking past the end extends the file; the gap reads as zeros.
fn write_past_end_leaves_zero_hole() -> Check {
    let scratch = Scratch::new("hole")?;
    let path = scratch.file("file", b"ab")?;
    let file = step("open", fs::open(&path, O_RDWR, 0))?;
    equals("lseek(10000, SEEK_SET)", fs::lseek(file, 10000, SEEK_SET), 10000)?;
    equals("write", fd::write(file, b"z"), 1)?;
    let status = step("fstat", fs::fstat(file))?;
    ensure(status.size == 10001, || format!("size {}, expected 10001", status.size))?;
    step("close", fd::close(file))?;
    let contents = contents_of(&path)?;
    ensure(contents.len() == 10001, || format!("{} bytes read", contents.len()))?;
    ensure(&contents[..2] == b"ab" && contents[10000] == b'z', || {
        "the written bytes moved".into()
    })?;
    ensure(contents[2..10000].iter().all(|&byte| byte == 0), || "the hole is not zeros".into())
}

/// ftruncate grows a file with zeros and shrinks it, dropping the bytes cut off (they read
/// as zeros if it grows again).
fn ftruncate_grows_and_shrinks() -> Check {
    let scratch = Scratch::new("ftruncate")?;
    let path = scratch.file("file", b"abcdef")?;
    let file = step("open", fs::open(&path, O_RDWR, 0))?;
    step("ftruncate(8192)", fs::ftruncate(file, 8192))?;
    let status = step("fstat", fs::fstat(file))?;
    ensure(status.size == 8192, || format!("size {} after growing", status.size))?;
    let contents = contents_of(&path)?;
    ensure(&contents[..6] == b"abcdef" && contents[6..].iter().all(|&byte| byte == 0), || {
        "grown file is not the old bytes then zeros".into()
    })?;
    step("ftruncate(3)", fs::ftruncate(file, 3))?;
    equals("contents after shrinking", fs::read_to_end(&path), b"abc".to_vec())?;
    step("ftruncate(6)", fs::ftruncate(file, 6))?;
    equals("contents after growing again", fs::read_to_end(&path), b"abc\0\0\0".to_vec())
}

/// ftruncate to a negative length, or on a descriptor not open for writing, fails with
/// EINVAL; truncate of a directory fails with EISDIR.
fn ftruncate_errors() -> Check {
    let scratch = Scratch::new("ftruncate-errors")?;
    let path = scratch.file("file", b"abc")?;
    let writable = step("open(O_RDWR)", fs::open(&path, O_RDWR, 0))?;
    fails_with("ftruncate(-1)", fs::ftruncate(writable, -1), Errno::Einval)?;
    let read_only = step("open(O_RDONLY)", fs::open(&path, O_RDONLY, 0))?;
    fails_with("ftruncate(read-only descriptor, 0)", fs::ftruncate(read_only, 0), Errno::Einval)?;
    fails_with("truncate(directory, 0)", fs::truncate(&scratch.path, 0), Errno::Eisdir)?;
    equals("contents", fs::read_to_end(&path), b"abc".to_vec())
}

/// A write through a read-only descriptor and a read through a write-only one fail with
/// EBADF.
fn wrong_access_mode_ebadf() -> Check {
    let scratch = Scratch::new("access-mode")?;
    let path = scratch.file("file", b"abc")?;
    let read_only = step("open(O_RDONLY)", fs::open(&path, O_RDONLY, 0))?;
    fails_with("write(O_RDONLY descriptor)", fd::write(read_only, b"x"), Errno::Ebadf)?;
    let write_only = step("open(O_WRONLY)", fs::open(&path, O_WRONLY, 0))?;
    fails_with("read(O_WRONLY descriptor)", fd::read(write_only, &mut [0u8; 4]), Errno::Ebadf)?;
    equals("contents", fs::read_to_end(&path), b"abc".to_vec())
}

/// read, write, lseek, fstat and close on a closed descriptor fail with EBADF.
fn closed_descriptor_ebadf() -> Check {
    let scratch = Scratch::new("closed")?;
    let path = scratch.file("file", b"abc")?;
    let file = step("open", fs::open(&path, O_RDWR, 0))?;
    step("close", fd::close(file))?;
    fails_with("read(closed)", fd::read(file, &mut [0u8; 4]), Errno::Ebadf)?;
    fails_with("write(closed)", fd::write(file, b"x"), Errno::Ebadf)?;
    fails_with("lseek(closed)", fs::lseek(file, 0, SEEK_SET), Errno::Ebadf)?;
    fails_with("fstat(closed)", fs::fstat(file), Errno::Ebadf)?;
    fails_with("close(closed)", fd::close(file), Errno::Ebadf)
}

/// A file created with O_CREAT gets the mode asked for less the umask, belongs to the
/// creator, and is a regular file of size 0.
fn create_mode_less_umask() -> Check {
    let scratch = Scratch::new("create-mode")?;
    fs::umask(0o077);
    let path = scratch.at("file");
    let file = step("open(O_CREAT, 0666)", fs::open(&path, O_CREAT | O_WRONLY, 0o666))?;
    step("close", fd::close(file))?;
    let status = step("stat", fs::stat(&path))?;
    ensure(fs::is_regular(status.mode) && status.mode & 0o7777 == 0o600, || {
        format!("mode {:#o}, expected a regular file 0600", status.mode)
    })?;
    let uid = step("geteuid", proc::geteuid())?;
    ensure(status.uid == uid && status.size == 0, || {
        format!("owner {} size {}, expected owner {uid} size 0", status.uid, status.size)
    })
}

/// chmod changes the permission bits (stat shows them); a process that does not own the
/// file gets EPERM, and the mode stays.
fn chmod_owner_only_eperm() -> Check {
    let scratch = Scratch::new("chmod")?;
    let path = scratch.file("file", b"")?;
    step("chmod(0640)", fs::chmod(&path, 0o640))?;
    let status = step("stat", fs::stat(&path))?;
    ensure(status.mode & 0o7777 == 0o640, || format!("mode {:#o} after chmod", status.mode))?;
    let mut child = Child::spawn("tmpfs-chmod-as", &["1000", &path, "777"])?;
    child.exits_with(Errno::Eperm.number()).map_err(|error| format!("uid 1000 chmod: {error}"))?;
    let status = step("stat", fs::stat(&path))?;
    ensure(status.mode & 0o7777 == 0o640, || format!("mode {:#o} after refused chmod", status.mode))
}

/// A directory's link count is 2 plus one per subdirectory (each one's ".."), and drops
/// when a subdirectory goes.
fn directory_link_count() -> Check {
    let scratch = Scratch::new("directory-links")?;
    let links = |what: &str| step(what, fs::stat(&scratch.path)).map(|status| status.links);
    equals("links of an empty directory", Ok::<_, Errno>(links("stat")?), 2)?;
    step("mkdir(a)", fs::mkdir(&scratch.at("a"), 0o755))?;
    step("mkdir(b)", fs::mkdir(&scratch.at("b"), 0o755))?;
    scratch.file("file", b"")?;
    equals("links with two subdirectories and a file", Ok::<_, Errno>(links("stat")?), 4)?;
    step("rmdir(a)", fs::rmdir(&scratch.at("a")))?;
    equals("links after rmdir", Ok::<_, Errno>(links("stat")?), 3)
}

/// mkdir of an existing name (a directory or a file) fails with EEXIST; a new directory
/// has the mode asked for less the umask.
fn mkdir_existing_eexist() -> Check {
    let scratch = Scratch::new("mkdir")?;
    fs::umask(0o022);
    let directory = scratch.at("directory");
    step("mkdir(0777)", fs::mkdir(&directory, 0o777))?;
    let status = step("stat", fs::stat(&directory))?;
    ensure(fs::is_directory(status.mode) && status.mode & 0o7777 == 0o755, || {
        format!("new directory mode {:#o}, expected directory 0755", status.mode)
    })?;
    fails_with("mkdir(existing directory)", fs::mkdir(&directory, 0o755), Errno::Eexist)?;
    let file = scratch.file("file", b"")?;
    fails_with("mkdir(existing file)", fs::mkdir(&file, 0o755), Errno::Eexist)
}

/// rmdir of a directory that holds an entry fails with ENOTEMPTY; once emptied it goes.
fn rmdir_non_empty_enotempty() -> Check {
    let scratch = Scratch::new("rmdir")?;
    let directory = scratch.at("directory");
    step("mkdir", fs::mkdir(&directory, 0o755))?;
    let file = scratch.file("directory/file", b"")?;
    fails_with("rmdir(non-empty)", fs::rmdir(&directory), Errno::Enotempty)?;
    step("unlink", fs::unlink(&file))?;
    step("rmdir(empty)", fs::rmdir(&directory))?;
    fails_with("stat after rmdir", fs::stat(&directory), Errno::Enoent)
}

/// rmdir of a path ending in "." fails with EINVAL (and one ending in ".." with
/// ENOTEMPTY, as Linux).
fn rmdir_dot_einval() -> Check {
    let scratch = Scratch::new("rmdir-dot")?;
    let directory = scratch.at("directory");
    step("mkdir", fs::mkdir(&directory, 0o755))?;
    fails_with("rmdir(directory/.)", fs::rmdir(&format!("{directory}/.")), Errno::Einval)?;
    fails_with("rmdir(directory/..)", fs::rmdir(&format!("{directory}/..")), Errno::Enotempty)?;
    step("stat(directory)", fs::stat(&directory)).map(|_| ())
}

/// unlink of a directory fails with EISDIR; rmdir of a regular file with ENOTDIR.
fn unlink_rmdir_wrong_type() -> Check {
    let scratch = Scratch::new("wrong-type")?;
    let directory = scratch.at("directory");
    step("mkdir", fs::mkdir(&directory, 0o755))?;
    fails_with("unlink(directory)", fs::unlink(&directory), Errno::Eisdir)?;
    let file = scratch.file("file", b"")?;
    fails_with("rmdir(file)", fs::rmdir(&file), Errno::Enotdir)
}

/// rename onto an existing file replaces it: the new name has the renamed file's contents
/// and inode, the old name is gone; rename of a file onto a directory fails with EISDIR.
fn rename_replaces_file() -> Check {
    let scratch = Scratch::new("rename")?;
    let source = scratch.file("source", b"new contents")?;
    let target = scratch.file("target", b"old")?;
    let inode = step("stat(source)", fs::stat(&source))?.inode;
    step("rename", fs::rename(&source, &target))?;
    fails_with("stat(source) after rename", fs::stat(&source), Errno::Enoent)?;
    let status = step("stat(target)", fs::stat(&target))?;
    ensure(status.inode == inode, || "the target is not the renamed inode".into())?;
    equals("contents", fs::read_to_end(&target), b"new contents".to_vec())?;
    let directory = scratch.at("directory");
    step("mkdir", fs::mkdir(&directory, 0o755))?;
    fails_with("rename(file, directory)", fs::rename(&target, &directory), Errno::Eisdir)
}

/// Renaming a directory into its own subdirectory fails with EINVAL.
fn rename_into_itself_einval() -> Check {
    let scratch = Scratch::new("rename-itself")?;
    let directory = scratch.at("directory");
    step("mkdir", fs::mkdir(&directory, 0o755))?;
    step("mkdir(sub)", fs::mkdir(&format!("{directory}/sub"), 0o755))?;
    fails_with(
        "rename(directory, directory/sub/moved)",
        fs::rename(&directory, &format!("{directory}/sub/moved")),
        Errno::Einval,
    )?;
    fails_with(
        "rename(directory, directory/moved)",
        fs::rename(&directory, &format!("{directory}/moved")),
        Errno::Einval,
    )
}

/// Renaming a directory onto a non-empty directory fails with ENOTEMPTY; onto an empty
/// one it replaces it; onto a file with ENOTDIR.
fn rename_onto_non_empty() -> Check {
    let scratch = Scratch::new("rename-directory")?;
    let source = scratch.at("source");
    let full = scratch.at("full");
    let empty = scratch.at("empty");
    for directory in [&source, &full, &empty] {
        step(&format!("mkdir({directory})"), fs::mkdir(directory, 0o755))?;
    }
    scratch.file("full/file", b"")?;
    fails_with("rename(source, full)", fs::rename(&source, &full), Errno::Enotempty)?;
    let file = scratch.file("file", b"")?;
    fails_with("rename(source, file)", fs::rename(&source, &file), Errno::Enotdir)?;
    step("rename(source, empty)", fs::rename(&source, &empty))?;
    fails_with("stat(source)", fs::stat(&source), Errno::Enoent)
}

/// link adds a name to a file (both names show 2 links and one inode); unlink drops one;
/// link to an existing name is EEXIST, link of a directory EPERM.
fn link_counts() -> Check {
    let scratch = Scratch::new("link")?;
    let first = scratch.file("first", b"shared")?;
    let second = scratch.at("second");
    step("link", fs::link(&first, &second))?;
    let (one, two) =
        (step("stat(first)", fs::stat(&first))?, step("stat(second)", fs::stat(&second))?);
    ensure(one.links == 2 && two.links == 2, || format!("links {} and {}", one.links, two.links))?;
    ensure(one.inode == two.inode, || "the names are different inodes".into())?;
    fails_with("link(first, second) again", fs::link(&first, &second), Errno::Eexist)?;
    fails_with(
        "link(directory, ...)",
        fs::link(&scratch.path, &scratch.at("directory")),
        Errno::Eperm,
    )?;
    step("unlink(first)", fs::unlink(&first))?;
    let status = step("stat(second)", fs::stat(&second))?;
    ensure(status.links == 1, || format!("links {} after unlink", status.links))?;
    equals("contents", fs::read_to_end(&second), b"shared".to_vec())
}

/// A file unlinked while open stays readable and writable through the descriptor; fstat
/// shows 0 links.
fn unlinked_open_file_stays_readable() -> Check {
    let scratch = Scratch::new("unlink-open")?;
    let path = scratch.file("file", b"survives")?;
    let file = step("open", fs::open(&path, O_RDWR, 0))?;
    step("unlink", fs::unlink(&path))?;
    fails_with("stat after unlink", fs::stat(&path), Errno::Enoent)?;
    let status = step("fstat", fs::fstat(file))?;
    ensure(status.links == 0, || format!("links {} after unlink", status.links))?;
    let bytes = read_exactly(file, 8)?;
    ensure(bytes == b"survives", || format!("read {bytes:?}"))?;
    equals("write", fd::write(file, b"!"), 1)?;
    equals("size", fs::fstat(file).map(|status| status.size), 9)
}

/// Reading a directory lists "." and ".." first, then each entry once with its type.
fn read_directory_lists_entries() -> Check {
    let scratch = Scratch::new("readdir")?;
    scratch.file("file", b"")?;
    step("mkdir", fs::mkdir(&scratch.at("directory"), 0o755))?;
    step("mkfifo", fs::mkfifo(&scratch.at("fifo"), 0o600))?;
    let entries = step("list", fs::list_directory(&scratch.path))?;
    let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
    ensure(names.len() == 5 && names[0] == "." && names[1] == "..", || {
        format!("listed {names:?}")
    })?;
    for (name, kind) in [("file", fs::S_IFREG), ("directory", fs::S_IFDIR), ("fifo", fs::S_IFIFO)] {
        let found = entries.iter().filter(|entry| entry.name == name).collect::<Vec<_>>();
        ensure(found.len() == 1 && found[0].file_type == kind, || {
            format!("{name}: listed {found:?}")
        })?;
    }
    Ok(())
}

/// A process with another user id is refused (EACCES) what the mode bits deny it: reading
/// a 0600 file, writing a 0644 one, creating in a 0755 directory; it may read a 0644 file.
fn permission_denied_eacces() -> Check {
    let scratch = Scratch::new("permissions")?;
    fs::umask(0);
    let secret = scratch.file("secret", b"")?;
    step("chmod(0600)", fs::chmod(&secret, 0o600))?;
    let public = scratch.file("public", b"")?;
    let new = scratch.at("new");
    let attempts: [(&str, u64, Errno); 3] = [
        (&secret, O_RDONLY, Errno::Eacces),
        (&public, O_WRONLY, Errno::Eacces),
        (&new, O_CREAT | O_WRONLY, Errno::Eacces),
    ];
    for (path, flags, expected) in attempts {
        let mut child = Child::spawn("tmpfs-open-as", &["1000", path, &format!("{flags}")])?;
        child
            .exits_with(expected.number())
            .map_err(|error| format!("uid 1000 open({path}, {flags:#o}): {error}"))?;
    }
    let mut child = Child::spawn("tmpfs-open-as", &["1000", &public, &format!("{O_RDONLY}")])?;
    child.exits_with(0).map_err(|error| format!("uid 1000 open({public}, O_RDONLY): {error}"))?;
    fails_with("stat(new)", fs::stat(&new), Errno::Enoent)
}

/// A name of 256 bytes fails with ENAMETOOLONG; one of 255 bytes is fine.
fn name_too_long() -> Check {
    let scratch = Scratch::new("name-length")?;
    let longest = scratch.at(&"n".repeat(255));
    let file = step("create(255-byte name)", fs::open(&longest, O_CREAT | O_WRONLY, 0o644))?;
    step("close", fd::close(file))?;
    let too_long = scratch.at(&"n".repeat(256));
    fails_with(
        "create(256-byte name)",
        fs::open(&too_long, O_CREAT | O_WRONLY, 0o644),
        Errno::Enametoolong,
    )?;
    fails_with("mkdir(256-byte name)", fs::mkdir(&too_long, 0o755), Errno::Enametoolong)
}

/// Writes past the file system's size limit (8 MiB in the suite's boot) fail with
/// ENOSPC; removing the file gives the space back.
fn size_limit_enospc() -> Check {
    let scratch = Scratch::new("enospc")?;
    let path = scratch.at("big");
    let chunk = vec![0xa5u8; 1 << 20];
    let file = step("create", fs::open(&path, O_CREAT | O_WRONLY, 0o644))?;
    let mut written = 0usize;
    let outcome = loop {
        match fd::write(file, &chunk) {
            Ok(count) => written += count,
            Err(error) => break error,
        }
        if written > 64 << 20 {
            break Errno::Efbig;
        }
    };
    let _ = fd::close(file);
    let _ = fs::unlink(&path);
    ensure(outcome == Errno::Enospc, || format!("after {written} bytes: {}", outcome.name()))?;
    ensure(written > 0 && written <= 8 << 20, || format!("wrote {written} bytes before ENOSPC"))?;
    let file = step("create again", fs::open(&path, O_CREAT | O_WRONLY, 0o644))?;
    equals("write(1 MiB) after unlink", fd::write(file, &chunk), chunk.len())?;
    step("close", fd::close(file))
}
