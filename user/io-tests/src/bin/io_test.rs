//! io-test: the tests of pipes, FIFOs, tmpfs and POSIX shared memory, run as init's
//! program (`init=io-test`). Each case prints `io-test: ok NAME` or `io-test: FAIL NAME:
//! reason`; the last line is `io-test: N passed, N failed`, and the exit status is the
//! number of failures.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use courier_test_support::strerror::{fails_with, step, write_all};
use courier_test_support::{Check, ensure};
use libsys::abi::Handle;
use libsys::abi::fs::{FsRequest, PATH_MAX};
use libsys::abi::fs::{O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC, SEEK_CUR, SEEK_END, SEEK_SET};
use libsys::abi::io::IoRequest;
use libsys::abi::io::{
    F_GETFD, F_GETFL, F_SETFL, FD_CLOEXEC, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR,
    O_WRONLY,
};
use libsys::abi::ipc::{LEASE_WRITE, Lease, MessageDescriptor};
use libsys::abi::pipe::{PIPE_BUF, PIPE_DEFAULT_CAPACITY, PipeRequest};
use libsys::abi::service::{SERVICE_PIPE, SERVICE_TMPFS};
use libsys::abi::signal::{SIGBUS, SIGPIPE};
use libsys::fd::Fd;
use libsys::fd::Target;
use libsys::fs::{self, PROT_READ, PROT_WRITE};
use libsys::ipc::{Endpoint, lend, lend_mut};
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::{Errno, fd, pipe};

libsys::main!(main);

/// A named test case.
type Case = (&'static str, fn() -> Check);

fn spawn_program(program: &str, arguments: &[&str], actions: &[FileAction]) -> Result<Pid, String> {
    let mut argv = Vec::with_capacity(arguments.len() + 1);
    argv.push(program);
    argv.extend_from_slice(arguments);
    proc::spawn(program, &argv, &[], actions, &SpawnAttributes::default())
        .map_err(|error| format!("spawn {program} {arguments:?}: {error}"))
}

fn spawn_child(arguments: &[&str], actions: &[FileAction]) -> Result<Pid, String> {
    spawn_program("io-child", arguments, actions)
}

fn wait_for(pid: Pid) -> Result<i32, String> {
    match proc::waitpid(pid, 0) {
        Ok((reaped, status)) if reaped == pid => Ok(status),
        Ok((other, _)) => Err(format!("waitpid({pid}) reaped {other}")),
        Err(error) => Err(format!("waitpid({pid}): {error}")),
    }
}

fn exits_with(pid: Pid, expected: i32) -> Check {
    let status = wait_for(pid)?;
    ensure(proc::exited(status) && proc::exit_status(status) == expected, || {
        format!("pid {pid}: status {status:#x}, expected exit {expected}")
    })
}

fn killed_by(pid: Pid, signal: u32) -> Check {
    let status = wait_for(pid)?;
    ensure(proc::signaled(status) && proc::terminating_signal(status) == signal as i32, || {
        format!("pid {pid}: status {status:#x}, expected killed by signal {signal}")
    })
}

fn read_to_end(descriptor: Fd) -> Result<Vec<u8>, String> {
    let mut contents = Vec::new();
    let mut chunk = vec![0u8; 8192];
    loop {
        match fd::read(descriptor, &mut chunk) {
            Ok(0) => return Ok(contents),
            Ok(count) => contents.extend_from_slice(&chunk[..count]),
            Err(error) => return Err(format!("read: {error}")),
        }
    }
}

fn close_all(descriptors: &[Fd]) {
    for &descriptor in descriptors {
        let _ = fd::close(descriptor);
    }
}

/// The classic demo: a child writes into a pipe, the parent reads to end of file; then
/// the other way round.
fn pipe_parent_child() -> Check {
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let child = spawn_child(&["echo", "hello through a pipe"], &[FileAction::Dup2(writer, 1)])?;
    step("close writer", fd::close(writer))?;
    let received = read_to_end(reader)?;
    step("close reader", fd::close(reader))?;
    exits_with(child, 0)?;
    ensure(received == b"hello through a pipe", || format!("read {received:?}"))?;

    // Parent to child: 300 KiB through the pipe, the child reports the count on another.
    let (to_child, from_parent) = step("pipe", pipe::pipe())?;
    let (from_child, to_parent) = step("pipe", pipe::pipe())?;
    let child = spawn_child(
        &["drain"],
        &[
            FileAction::Dup2(to_child, 0),
            FileAction::Dup2(to_parent, 1),
            FileAction::Close(from_parent),
            FileAction::Close(from_child),
        ],
    )?;
    close_all(&[to_child, to_parent]);
    let block = vec![0x5au8; 300 * 1024];
    write_all(from_parent, &block)?;
    step("close", fd::close(from_parent))?;
    let count = read_to_end(from_child)?;
    step("close", fd::close(from_child))?;
    exits_with(child, 0)?;
    ensure(count == format!("{}", block.len()).as_bytes(), || {
        format!("child counted {:?}", String::from_utf8_lossy(&count))
    })
}

/// End of file and broken pipes, on close and on process exit.
fn eof_and_epipe() -> Check {
    // No writer: end of file at once, however often.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    write_all(writer, b"tail")?;
    step("close writer", fd::close(writer))?;
    let mut buffer = [0u8; 16];
    let count = step("read", fd::read(reader, &mut buffer))?;
    ensure(&buffer[..count] == b"tail", || format!("read {:?}", &buffer[..count]))?;
    ensure(fd::read(reader, &mut buffer) == Ok(0), || String::from("no EOF after the data"))?;
    ensure(fd::read(reader, &mut buffer) == Ok(0), || String::from("EOF not sticky"))?;
    step("close reader", fd::close(reader))?;

    // A blocked reader sees end of file when the last writer's process exits.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let holder = spawn_child(&["hold", "30"], &[FileAction::Dup2(writer, 5)])?;
    step("close writer", fd::close(writer))?;
    ensure(fd::read(reader, &mut buffer) == Ok(0), || {
        String::from("no EOF after the writer exited")
    })?;
    step("close reader", fd::close(reader))?;
    exits_with(holder, 0)?;

    // Writing with no reader: EPIPE and SIGPIPE, which ends the writer (checked in children,
    // since the signal's default action is to terminate).
    let child = spawn_child(&["write-to-closed-pipe"], &[])?;
    killed_by(child, SIGPIPE)?;
    let child = spawn_child(&["write-after-reader-exit"], &[])?;
    killed_by(child, SIGPIPE)?;

    // A writer blocked on a full pipe gets EPIPE (SIGPIPE) when the last reader closes.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    // The child must not inherit the read end, or it would keep the pipe open itself.
    let child = spawn_child(
        &["writer", "65", "100", "4096"],
        &[FileAction::Dup2(writer, 1), FileAction::Close(reader)],
    )?;
    step("close writer", fd::close(writer))?;
    // Let it fill the pipe and block, then take one record and close.
    let mut record = vec![0u8; 4096];
    let count = step("read", fd::read(reader, &mut record))?;
    ensure(count == 4096 && record.iter().all(|&byte| byte == 65), || {
        format!("first read: {count} bytes")
    })?;
    step("close reader", fd::close(reader))?;
    killed_by(child, SIGPIPE)
}

/// Two writers of `PIPE_BUF`-sized records: every record arrives whole.
fn pipe_buf_atomicity() -> Check {
    const RECORDS: usize = 200;
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let count = format!("{RECORDS}");
    let size = format!("{PIPE_BUF}");
    let first = spawn_child(&["writer", "65", &count, &size], &[FileAction::Dup2(writer, 1)])?;
    let second = spawn_child(&["writer", "66", &count, &size], &[FileAction::Dup2(writer, 1)])?;
    step("close writer", fd::close(writer))?;
    let received = read_to_end(reader)?;
    step("close reader", fd::close(reader))?;
    exits_with(first, 0)?;
    exits_with(second, 0)?;
    ensure(received.len() == 2 * RECORDS * PIPE_BUF, || format!("{} bytes", received.len()))?;
    let (mut from_first, mut from_second) = (0, 0);
    for (index, record) in received.chunks(PIPE_BUF).enumerate() {
        let byte = record[0];
        ensure(record.iter().all(|&other| other == byte), || {
            format!("record {index} is interleaved")
        })?;
        match byte {
            65 => from_first += 1,
            66 => from_second += 1,
            other => return Err(format!("record {index} holds byte {other}")),
        }
    }
    ensure(from_first == RECORDS && from_second == RECORDS, || {
        format!("{from_first} and {from_second} records")
    })?;

    // Writes larger than the capacity block until all is written.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let child = spawn_child(&["writer", "67", "4", "200000"], &[FileAction::Dup2(writer, 1)])?;
    step("close writer", fd::close(writer))?;
    let received = read_to_end(reader)?;
    step("close reader", fd::close(reader))?;
    exits_with(child, 0)?;
    ensure(received.len() == 800_000 && received.iter().all(|&byte| byte == 67), || {
        format!("{} bytes of large writes", received.len())
    })
}

/// `O_NONBLOCK`, `pipe2`'s flags, and the capacity commands.
fn non_blocking() -> Check {
    fails_with("pipe2(O_APPEND)", pipe::pipe2(O_APPEND), Errno::Einval)?;
    let (reader, writer) = step("pipe2", pipe::pipe2(O_NONBLOCK | O_CLOEXEC))?;
    for descriptor in [reader, writer] {
        let flags = step("F_GETFD", fd::fcntl(descriptor, F_GETFD, 0))?;
        ensure(flags == u64::from(FD_CLOEXEC), || format!("F_GETFD {flags}"))?;
    }
    let status = step("F_GETFL", fd::fcntl(reader, F_GETFL, 0))?;
    ensure(status == O_RDONLY | O_NONBLOCK, || format!("reader F_GETFL {status:#o}"))?;
    let status = step("F_GETFL", fd::fcntl(writer, F_GETFL, 0))?;
    ensure(status == O_WRONLY | O_NONBLOCK, || format!("writer F_GETFL {status:#o}"))?;

    let mut buffer = vec![0u8; 2 * PIPE_DEFAULT_CAPACITY];
    fails_with("read of an empty pipe", fd::read(reader, &mut buffer), Errno::Eagain)?;
    let capacity = step("F_GETPIPE_SZ", pipe::capacity(writer))?;
    ensure(capacity == PIPE_DEFAULT_CAPACITY, || format!("capacity {capacity}"))?;

    // Fill it: a large non-blocking write is partial, then EAGAIN.
    let written = step("write", fd::write(writer, &buffer[..PIPE_DEFAULT_CAPACITY + 100]))?;
    ensure(written == PIPE_DEFAULT_CAPACITY, || format!("wrote {written} into an empty pipe"))?;
    fails_with("write to a full pipe", fd::write(writer, b"x"), Errno::Eagain)?;
    fails_with("shrinking below the contents", pipe::set_capacity(writer, 4096), Errno::Ebusy)?;

    // With 100 bytes free, a PIPE_BUF write is all or nothing; a larger one is partial.
    let count = step("read", fd::read(reader, &mut buffer[..100]))?;
    ensure(count == 100, || format!("read {count}"))?;
    fails_with("atomic write without room", fd::write(writer, &buffer[..PIPE_BUF]), Errno::Eagain)?;
    let count = step("read", fd::read(reader, &mut buffer[..PIPE_BUF]))?;
    ensure(count == PIPE_BUF, || format!("read {count}"))?;
    let written = step("write", fd::write(writer, &buffer[..PIPE_BUF]))?;
    ensure(written == PIPE_BUF, || format!("atomic write with room wrote {written}"))?;

    // Drain and resize: sizes round up to a power-of-two number of pages.
    let mut total = 0;
    loop {
        match fd::read(reader, &mut buffer) {
            Ok(count) => total += count,
            Err(Errno::Eagain) => break,
            Err(error) => return Err(format!("drain: {error}")),
        }
    }
    ensure(total == PIPE_DEFAULT_CAPACITY - 100, || format!("drained {total}"))?;
    let size = step("F_SETPIPE_SZ", pipe::set_capacity(writer, 4097))?;
    ensure(size == 8192, || format!("F_SETPIPE_SZ(4097) gave {size}"))?;
    let size = step("F_SETPIPE_SZ", pipe::set_capacity(reader, 3 * 4096))?;
    ensure(size == 16384 && pipe::capacity(writer) == Ok(16384), || format!("capacity {size}"))?;
    fails_with("F_SETPIPE_SZ too large", pipe::set_capacity(writer, (1 << 31) + 1), Errno::Einval)?;
    let written = step("write", fd::write(writer, &buffer[..PIPE_DEFAULT_CAPACITY]))?;
    ensure(written == 16384, || format!("wrote {written} into a 16 KiB pipe"))?;

    // Clearing O_NONBLOCK with F_SETFL; end of file without writers even when non-blocking.
    step("F_SETFL", fd::fcntl(reader, F_SETFL, 0))?;
    let status = step("F_GETFL", fd::fcntl(reader, F_GETFL, 0))?;
    ensure(status == O_RDONLY, || format!("F_GETFL after F_SETFL(0): {status:#o}"))?;
    step("F_SETFL", fd::fcntl(reader, F_SETFL, O_NONBLOCK))?;
    step("close writer", fd::close(writer))?;
    let count = step("read", fd::read(reader, &mut buffer))?;
    ensure(count == 16384, || format!("read {count}"))?;
    ensure(fd::read(reader, &mut buffer) == Ok(0), || String::from("no EOF when non-blocking"))?;
    step("close reader", fd::close(reader))?;

    // Descriptors of other kinds reject the pipe commands (EBADF, as Linux).
    fails_with("F_GETPIPE_SZ on the console", pipe::capacity(1), Errno::Ebadf)
}

/// FIFO nodes: open rendezvous, the `O_NONBLOCK` rules, and a client/server pair started as
/// separate programs.
fn fifo_client_server() -> Check {
    let _ = fs::mkdir("/fifo", 0o755);
    step("mkfifo", fs::mkfifo("/fifo/probe", 0o600))?;
    fails_with("mkfifo again", fs::mkfifo("/fifo/probe", 0o600), Errno::Eexist)?;
    let stat = step("stat", fs::stat("/fifo/probe"))?;
    ensure(fs::is_fifo(stat.mode) && stat.mode & 0o777 == 0o600, || {
        format!("mode {:#o}", stat.mode)
    })?;

    // Non-blocking: write-only without a reader is ENXIO; read-only succeeds.
    fails_with(
        "O_WRONLY|O_NONBLOCK",
        fs::open("/fifo/probe", O_WRONLY | O_NONBLOCK, 0),
        Errno::Enxio,
    )?;
    let reader = step("O_RDONLY|O_NONBLOCK", fs::open("/fifo/probe", O_RDONLY | O_NONBLOCK, 0))?;
    let mut buffer = [0u8; 64];
    ensure(fd::read(reader, &mut buffer) == Ok(0), || String::from("no EOF before any writer"))?;
    let writer = step(
        "O_WRONLY|O_NONBLOCK with a reader",
        fs::open("/fifo/probe", O_WRONLY | O_NONBLOCK, 0),
    )?;
    write_all(writer, b"ping")?;
    let count = step("read", fd::read(reader, &mut buffer))?;
    ensure(&buffer[..count] == b"ping", || format!("read {:?}", &buffer[..count]))?;
    close_all(&[reader, writer]);

    // O_RDWR never blocks; the data is gone once both sides have closed.
    let both = step("O_RDWR", fs::open("/fifo/probe", O_RDWR, 0))?;
    write_all(both, b"lost")?;
    step("close", fd::close(both))?;
    let both = step("O_RDWR|O_NONBLOCK", fs::open("/fifo/probe", O_RDWR | O_NONBLOCK, 0))?;
    fails_with("read after both sides closed", fd::read(both, &mut buffer), Errno::Eagain)?;
    step("close", fd::close(both))?;

    // A blocking open for reading waits for a writer (a child opens one later).
    let child = spawn_child(&["fifo-write-later", "/fifo/probe", "30", "late"], &[])?;
    let reader = step("blocking O_RDONLY", fs::open("/fifo/probe", O_RDONLY, 0))?;
    let received = read_to_end(reader)?;
    step("close", fd::close(reader))?;
    exits_with(child, 0)?;
    ensure(received == b"late", || format!("read {received:?}"))?;
    step("unlink", fs::unlink("/fifo/probe"))?;

    // The pair: a server answering three clients through a well-known FIFO.
    step("mkfifo", fs::mkfifo("/fifo/requests", 0o622))?;
    let server = spawn_program("fifo-server", &["/fifo/requests", "3"], &[])?;
    let clients: Vec<Pid> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|word| spawn_program("fifo-client", &["/fifo/requests", word], &[]))
        .collect::<Result<_, _>>()?;
    for client in clients {
        exits_with(client, 0)?;
    }
    exits_with(server, 3)?;
    step("unlink", fs::unlink("/fifo/requests"))?;
    step("rmdir", fs::rmdir("/fifo"))
}

/// Files and directories on tmpfs.
fn tmpfs_files() -> Check {
    step("mkdir", fs::mkdir("/files", 0o755))?;
    fails_with("mkdir again", fs::mkdir("/files", 0o755), Errno::Eexist)?;
    let file = step("create", fs::open("/files/a", O_CREAT | O_EXCL | O_RDWR, 0o640))?;
    fails_with(
        "O_EXCL again",
        fs::open("/files/a", O_CREAT | O_EXCL | O_RDWR, 0o640),
        Errno::Eexist,
    )?;
    write_all(file, b"hello, world")?;
    ensure(fs::lseek(file, 0, SEEK_CUR) == Ok(12), || String::from("offset after write"))?;
    ensure(fs::lseek(file, 7, SEEK_SET) == Ok(7), || String::from("SEEK_SET"))?;
    let mut buffer = [0u8; 32];
    let count = step("read", fd::read(file, &mut buffer))?;
    ensure(&buffer[..count] == b"world", || format!("read {:?}", &buffer[..count]))?;
    ensure(fd::read(file, &mut buffer) == Ok(0), || String::from("no EOF at the end"))?;
    fails_with("seek before the start", fs::lseek(file, -100, SEEK_CUR), Errno::Einval)?;

    // A hole reads as zeros; ftruncate grows and shrinks.
    ensure(fs::lseek(file, 20, SEEK_END) == Ok(32), || String::from("SEEK_END"))?;
    write_all(file, b"!")?;
    let stat = step("fstat", fs::fstat(file))?;
    ensure(stat.size == 33 && fs::is_regular(stat.mode) && stat.mode & 0o777 == 0o640, || {
        format!("size {} mode {:#o}", stat.size, stat.mode)
    })?;
    step("seek", fs::lseek(file, 12, SEEK_SET))?;
    let count = step("read", fd::read(file, &mut buffer))?;
    ensure(
        count == 21 && buffer[..20].iter().all(|&byte| byte == 0) && buffer[20] == b'!',
        || format!("hole read {:?}", &buffer[..count]),
    )?;
    step("ftruncate", fs::ftruncate(file, 5))?;
    ensure(fs::stat("/files/a").map(|stat| stat.size) == Ok(5), || {
        String::from("size after shrink")
    })?;
    step("ftruncate", fs::ftruncate(file, 4096 * 3))?;
    step("seek", fs::lseek(file, 0, SEEK_SET))?;
    let contents = read_to_end(file)?;
    ensure(
        contents.len() == 4096 * 3
            && &contents[..5] == b"hello"
            && contents[5..].iter().all(|&b| b == 0),
        || String::from("contents after shrink and grow"),
    )?;
    fails_with("ftruncate negative", fs::ftruncate(file, -1), Errno::Einval)?;
    step("close", fd::close(file))?;

    // O_APPEND, O_TRUNC, access modes.
    let appender = step("open O_APPEND", fs::open("/files/a", O_WRONLY | O_APPEND | O_TRUNC, 0))?;
    write_all(appender, b"one")?;
    step("seek", fs::lseek(appender, 0, SEEK_SET))?;
    write_all(appender, b"two")?;
    let mut reading = [0u8; 8];
    fails_with("read of a write-only file", fd::read(appender, &mut reading), Errno::Ebadf)?;
    step("close", fd::close(appender))?;
    ensure(fs::read_to_end("/files/a").as_deref() == Ok(b"onetwo".as_slice()), || {
        String::from("O_APPEND contents")
    })?;
    let reader = step("open", fs::open("/files/a", O_RDONLY, 0))?;
    fails_with("write of a read-only file", fd::write(reader, b"x"), Errno::Ebadf)?;
    step("close", fd::close(reader))?;

    // Links, renames, directory listings.
    let before = step("stat", fs::stat("/files/a"))?;
    step("link", fs::link("/files/a", "/files/b"))?;
    let after = step("stat", fs::stat("/files/b"))?;
    ensure(after.inode == before.inode && after.links == 2, || {
        format!("link: inode {} vs {}, links {}", after.inode, before.inode, after.links)
    })?;
    step("mkdir", fs::mkdir("/files/sub", 0o700))?;
    step("rename", fs::rename("/files/b", "/files/sub/c"))?;
    fails_with("stat renamed", fs::stat("/files/b"), Errno::Enoent)?;
    let mut names: Vec<String> =
        step("list", fs::list_directory("/files"))?.into_iter().map(|entry| entry.name).collect();
    names.sort();
    ensure(names == [".", "..", "a", "sub"], || format!("listing {names:?}"))?;
    let directory = step("stat", fs::stat("/files"))?;
    ensure(fs::is_directory(directory.mode) && directory.links == 3, || {
        format!("directory mode {:#o} links {}", directory.mode, directory.links)
    })?;

    // The errors.
    fails_with("rmdir non-empty", fs::rmdir("/files/sub"), Errno::Enotempty)?;
    fails_with("open missing", fs::open("/files/missing", O_RDONLY, 0), Errno::Enoent)?;
    fails_with("path through a file", fs::open("/files/a/x", O_RDONLY, 0), Errno::Enotdir)?;
    fails_with(
        "O_DIRECTORY on a file",
        fs::open("/files/a", O_RDONLY | O_DIRECTORY, 0),
        Errno::Enotdir,
    )?;
    fails_with("write-open a directory", fs::open("/files", O_WRONLY, 0), Errno::Eisdir)?;
    fails_with("unlink a directory", fs::unlink("/files/sub"), Errno::Eisdir)?;
    fails_with("rmdir a file", fs::rmdir("/files/a"), Errno::Enotdir)?;
    let long = "n".repeat(256);
    fails_with(
        "long name",
        fs::open(&format!("/files/{long}"), O_CREAT | O_RDWR, 0o600),
        Errno::Enametoolong,
    )?;
    fails_with("rename into itself", fs::rename("/files", "/files/sub/x"), Errno::Einval)?;

    // Unlinked while open: still readable until closed.
    let open_file = step("open", fs::open("/files/sub/c", O_RDONLY, 0))?;
    step("unlink", fs::unlink("/files/sub/c"))?;
    step("unlink", fs::unlink("/files/a"))?;
    let contents = read_to_end(open_file)?;
    ensure(contents == b"onetwo", || format!("unlinked file read {contents:?}"))?;
    let stat = step("fstat", fs::fstat(open_file))?;
    ensure(stat.links == 0, || format!("links {}", stat.links))?;
    step("close", fd::close(open_file))?;
    step("rmdir", fs::rmdir("/files/sub"))?;
    step("rmdir", fs::rmdir("/files"))?;
    fails_with("stat removed", fs::stat("/files"), Errno::Enoent)
}

/// Permission checks by uid, gid and mode (children switch to uid 1000).
fn tmpfs_permissions() -> Check {
    let previous = fs::umask(0);
    let result = (|| {
        step("mkdir", fs::mkdir("/private", 0o700))?;
        step("mkdir", fs::mkdir("/shared", 0o777))?;
        for (path, mode) in
            [("/shared/secret", 0o600), ("/shared/public", 0o644), ("/shared/open", 0o666)]
        {
            let file = step("create", fs::open(path, O_CREAT | O_WRONLY, mode))?;
            step("close", fd::close(file))?;
        }
        let cases: [(&str, u64, i32); 7] = [
            ("/shared/secret", O_RDONLY, Errno::Eacces.number()),
            ("/shared/public", O_RDONLY, 0),
            ("/shared/public", O_WRONLY, Errno::Eacces.number()),
            ("/shared/open", O_RDWR, 0),
            ("/private/x", O_RDONLY, Errno::Eacces.number()),
            ("/shared/new", O_CREAT | O_WRONLY, 0),
            ("/private/new", O_CREAT | O_WRONLY, Errno::Eacces.number()),
        ];
        for (path, flags, expected) in cases {
            let flags_text = format!("{flags}");
            let child = spawn_child(&["open-as", "1000", path, &flags_text], &[])?;
            exits_with(child, expected)
                .map_err(|error| format!("open-as 1000 {path} {flags:#o}: {error}"))?;
        }
        // The file the child created is the child's.
        let stat = step("stat", fs::stat("/shared/new"))?;
        ensure(stat.uid == 1000, || format!("created by uid {}", stat.uid))?;
        // Root passes every permission check.
        step("chmod", fs::chmod("/shared/secret", 0))?;
        let file = step("open as root", fs::open("/shared/secret", O_RDWR, 0))?;
        step("close", fd::close(file))?;
        let stat = step("stat", fs::stat("/shared/secret"))?;
        ensure(stat.mode & 0o7777 == 0, || format!("mode after chmod {:#o}", stat.mode))?;
        Ok(())
    })();
    fs::umask(previous);
    for path in ["/shared/secret", "/shared/public", "/shared/open", "/shared/new"] {
        let _ = fs::unlink(path);
    }
    let _ = fs::rmdir("/shared");
    let _ = fs::rmdir("/private");
    result
}

/// The size limit: writes past it fail with `ENOSPC`, and removing a file frees its space.
fn tmpfs_no_space() -> Check {
    let file = step("create", fs::open("/big", O_CREAT | O_RDWR | O_TRUNC, 0o600))?;
    let chunk = vec![0xa5u8; 1 << 20];
    let mut written = 0usize;
    let outcome = loop {
        match fd::write(file, &chunk) {
            Ok(count) => written += count,
            Err(error) => break error,
        }
        if written > (1 << 30) {
            break Errno::Efbig;
        }
    };
    step("close", fd::close(file))?;
    step("unlink", fs::unlink("/big"))?;
    ensure(outcome == Errno::Enospc, || format!("after {written} bytes: {outcome}"))?;
    // The space is free again.
    let file = step("create", fs::open("/big", O_CREAT | O_RDWR, 0o600))?;
    write_all(file, &chunk)?;
    step("close", fd::close(file))?;
    step("unlink", fs::unlink("/big"))
}

/// POSIX shared memory: two processes add to one counter under a pipe-token lock.
fn shared_memory_counter() -> Check {
    const NAME: &str = "/courier-counter";
    const ITERATIONS: &str = "5000";
    let _ = fs::shm_unlink(NAME);
    let object = step("shm_open", fs::shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0o600))?;
    ensure(fd::fcntl(object, F_GETFD, 0) == Ok(u64::from(FD_CLOEXEC)), || {
        String::from("shm_open's descriptor is not close-on-exec")
    })?;
    step("ftruncate", fs::ftruncate(object, 4096))?;
    let mapping = step("mmap", fs::mmap(4096, PROT_READ | PROT_WRITE, object, 0))?;
    let (token_reader, token_writer) = step("pipe", pipe::pipe())?;
    let actions = [FileAction::Dup2(token_reader, 3), FileAction::Dup2(token_writer, 4)];
    let first = spawn_child(&["shm-counter", NAME, ITERATIONS], &actions)?;
    let second = spawn_child(&["shm-counter", NAME, ITERATIONS], &actions)?;
    write_all(token_writer, b"T")?;
    exits_with(first, 0)?;
    exits_with(second, 0)?;
    close_all(&[token_reader, token_writer]);
    let value = mapping.read_word(0);
    ensure(value == Some(10_000), || format!("counter {value:?}"))?;

    // Unlinked while mapped: the bytes stay until the last unmap.
    step("shm_unlink", fs::shm_unlink(NAME))?;
    fails_with("shm_open after unlink", fs::shm_open(NAME, O_RDWR, 0), Errno::Enoent)?;
    ensure(mapping.write_word(8, 77) && mapping.read_word(8) == Some(77), || {
        String::from("mapping after unlink")
    })?;
    step("close", fd::close(object))?;
    ensure(mapping.read_word(0) == Some(10_000), || String::from("mapping after close"))?;
    step("munmap", fs::munmap(mapping))?;
    fails_with("shm_unlink again", fs::shm_unlink(NAME), Errno::Enoent)?;
    fails_with("bad name", fs::shm_open("/a/b", O_RDWR | O_CREAT, 0o600), Errno::Einval)
}

/// Growing and shrinking a mapped file; access past the end is `SIGBUS`.
fn shared_memory_resize() -> Check {
    const NAME: &str = "/courier-resize";
    let object = step("shm_open", fs::shm_open(NAME, O_CREAT | O_RDWR | O_TRUNC, 0o600))?;
    step("ftruncate", fs::ftruncate(object, 3 * 4096))?;
    let mapping = step("mmap", fs::mmap(3 * 4096, PROT_READ | PROT_WRITE, object, 0))?;
    ensure(mapping.write_word(2 * 4096, 0x1234), || String::from("write to the third page"))?;
    // A write through the descriptor shows in the mapping, and the other way round.
    step("seek", fs::lseek(object, 16, SEEK_SET))?;
    write_all(object, &0xfeed_u64.to_le_bytes())?;
    ensure(mapping.read_word(16) == Some(0xfeed), || {
        String::from("write() not seen by the mapping")
    })?;
    step("seek", fs::lseek(object, 2 * 4096, SEEK_SET))?;
    let mut word = [0u8; 8];
    ensure(fd::read(object, &mut word) == Ok(8) && u64::from_le_bytes(word) == 0x1234, || {
        String::from("mapping's write not seen by read()")
    })?;
    // Shrink to one page: a child touching the third page dies of SIGBUS.
    step("ftruncate", fs::ftruncate(object, 4096))?;
    let child = spawn_child(&["shm-past-end", NAME], &[])?;
    killed_by(child, SIGBUS)?;
    // Grow again: the new pages read as zeros.
    step("ftruncate", fs::ftruncate(object, 3 * 4096))?;
    ensure(mapping.read_word(2 * 4096) == Some(0), || String::from("regrown page not zero"))?;
    ensure(mapping.read_word(16) == Some(0xfeed), || String::from("first page lost"))?;
    step("munmap", fs::munmap(mapping))?;
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let mapped = fs::mmap(4096, PROT_READ, reader, 0).map(|_| ());
    close_all(&[reader, writer]);
    fails_with("mmap of a pipe", mapped, Errno::Enodev)?;
    let read_only = step("shm_open", fs::shm_open(NAME, O_RDONLY, 0))?;
    fails_with(
        "writable mmap of a read-only descriptor",
        fs::mmap(4096, PROT_READ | PROT_WRITE, read_only, 0).map(|_| ()),
        Errno::Eacces,
    )?;
    close_all(&[read_only, object]);
    step("shm_unlink", fs::shm_unlink(NAME))
}

/// Sends a raw request through `handle` with `leases`; the answer's errno (0 for success)
/// and first word. Handles in the answer are closed.
fn raw_call(
    handle: Handle,
    label: u32,
    words: [u64; 4],
    leases: &[Lease],
) -> Result<(i32, u64), String> {
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    descriptor.leases[..leases.len()].copy_from_slice(leases);
    descriptor.lease_count = leases.len() as u32;
    let answer = Endpoint(handle)
        .call_with(&mut descriptor)
        .map_err(|error| format!("call {label:#x}: {error}"))?;
    let received =
        (descriptor.received_handle_count as usize).min(descriptor.received_handles.len());
    for &handle in &descriptor.received_handles[..received] {
        let _ = libsys::handle::close(handle);
    }
    Ok((answer.label as i32, answer.words[0]))
}

fn expect_errno(what: &str, outcome: Result<(i32, u64), String>, expected: Errno) -> Check {
    let (label, _) = outcome?;
    ensure(label == expected.number(), || format!("{what}: answered {label}, expected {expected}"))
}

/// Malformed requests to both servers get clear errors, and the servers go on serving.
fn bad_requests() -> Check {
    let pipes = step("connect pipe", libsys::service::connect(SERVICE_PIPE))?;
    let files = step("connect tmpfs", libsys::service::connect(SERVICE_TMPFS))?;
    expect_errno("unknown pipe operation", raw_call(pipes, 0x7777, [0; 4], &[]), Errno::Enosys)?;
    expect_errno("unknown tmpfs operation", raw_call(files, 0x7777, [0; 4], &[]), Errno::Enosys)?;
    let bad_flags = PipeRequest::CreatePipe { flags: u64::MAX }.to_message();
    expect_errno(
        "pipe2 with every flag",
        raw_call(pipes, bad_flags.0, bad_flags.1, &[]),
        Errno::Einval,
    )?;
    let (open_label, open_words) = FsRequest::Open { flags: O_RDONLY, mode: 0 }.to_message();
    expect_errno(
        "open without a path",
        raw_call(files, open_label, open_words, &[]),
        Errno::Efault,
    )?;
    let long = vec![b'a'; PATH_MAX];
    expect_errno(
        "open of a PATH_MAX path",
        raw_call(files, open_label, open_words, &[lend(&long)]),
        Errno::Enametoolong,
    )?;
    expect_errno(
        "open of a path with a NUL",
        raw_call(files, open_label, open_words, &[lend(b"/dev\0x")]),
        Errno::Einval,
    )?;
    let (stat_label, stat_words) = FsRequest::Stat.to_message();
    expect_errno(
        "stat without a result lease",
        raw_call(files, stat_label, stat_words, &[lend(b"/dev")]),
        Errno::Efault,
    )?;

    // Through a pipe end: leases without the right, and operations that make no sense.
    let (reader, writer) = step("pipe", pipe::pipe())?;
    let result = (|| {
        let Ok(Target::Server { reference: read_end }) = fd::target(reader) else {
            return Err(String::from("the read end is not a server descriptor"));
        };
        let Ok(Target::Server { reference: write_end }) = fd::target(writer) else {
            return Err(String::from("the write end is not a server descriptor"));
        };
        let read = IoRequest::Read.to_message();
        let write = IoRequest::Write.to_message();
        write_all(writer, b"data")?;
        let buffer = [0u8; 16];
        // A read into a lease the server may not write.
        expect_errno(
            "read into a read-only lease",
            raw_call(read_end, read.0, read.1, &[lend(&buffer)]),
            Errno::Efault,
        )?;
        // A write from a lease the server may not read.
        let mut source = [7u8; 16];
        let write_only = Lease { rights: LEASE_WRITE, ..lend_mut(&mut source) };
        expect_errno(
            "write from a write-only lease",
            raw_call(write_end, write.0, write.1, &[write_only]),
            Errno::Efault,
        )?;
        expect_errno(
            "read through the write end",
            raw_call(write_end, read.0, read.1, &[lend_mut(&mut source)]),
            Errno::Ebadf,
        )?;
        let seek = IoRequest::Seek { offset: 0, whence: SEEK_SET }.to_message();
        expect_errno("lseek on a pipe", raw_call(read_end, seek.0, seek.1, &[]), Errno::Espipe)?;
        expect_errno(
            "unknown I/O operation",
            raw_call(read_end, 0x1ff, [0; 4], &[]),
            Errno::Enosys,
        )?;
        // Nothing was lost: the data is still there.
        let mut received = [0u8; 16];
        let count = step("read", fd::read(reader, &mut received))?;
        ensure(&received[..count] == b"data", || {
            format!("read {:?} after the bad requests", &received[..count])
        })
    })();
    close_all(&[reader, writer]);
    result?;

    // Through a file: a read into a read-only lease changes nothing.
    let file = step("create", fs::open("/bad", O_CREAT | O_RDWR | O_TRUNC, 0o600))?;
    let result = (|| {
        write_all(file, b"contents")?;
        step("seek", fs::lseek(file, 0, SEEK_SET))?;
        let Ok(Target::Server { reference }) = fd::target(file) else {
            return Err(String::from("the file is not a server descriptor"));
        };
        let read = IoRequest::Read.to_message();
        let buffer = [0u8; 8];
        expect_errno(
            "file read into a read-only lease",
            raw_call(reference, read.0, read.1, &[lend(&buffer)]),
            Errno::Efault,
        )?;
        let contents = read_to_end(file)?;
        ensure(contents == b"contents", || format!("file holds {contents:?}"))
    })();
    let _ = fd::close(file);
    let _ = fs::unlink("/bad");
    result
}

fn main() -> i32 {
    let cases: [Case; 11] = [
        ("pipe-parent-child", pipe_parent_child),
        ("eof-and-epipe", eof_and_epipe),
        ("pipe-buf-atomicity", pipe_buf_atomicity),
        ("non-blocking", non_blocking),
        ("fifo-client-server", fifo_client_server),
        ("tmpfs-files", tmpfs_files),
        ("tmpfs-permissions", tmpfs_permissions),
        ("tmpfs-no-space", tmpfs_no_space),
        ("shared-memory-counter", shared_memory_counter),
        ("shared-memory-resize", shared_memory_resize),
        ("bad-requests", bad_requests),
    ];
    let only: Vec<&str> = libsys::env::args().skip(1).collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        match case() {
            Ok(()) => {
                passed += 1;
                libsys::println!("io-test: ok {name}");
            }
            Err(reason) => {
                failed += 1;
                libsys::println!("io-test: FAIL {name}: {reason}");
            }
        }
    }
    libsys::println!("io-test: {passed} passed, {failed} failed");
    failed
}
