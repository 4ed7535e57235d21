//! Conformance cases for pipes (pipe(2), pipe(7), read(2), write(2), fcntl(2) on a pipe).
//!
//! A pipe's buffer is 16 page-sized slots on Linux and Courier alike; the cases that count
//! bytes up to "full" write whole pages, or say which slot a write lands in, so the
//! expected counts are those Linux gives.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use libsys::Errno;
use libsys::abi::io::{F_GETFD, F_GETFL, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_APPEND, O_CLOEXEC};
use libsys::abi::io::{O_NONBLOCK, O_RDONLY, O_WRONLY};
use libsys::abi::signal::SIGPIPE;
use libsys::fd::{self, Fd};
use libsys::fs;
use libsys::pipe;
use libsys::proc::{self, FileAction, SpawnAttributes};
use libsys::signal::{self, Handler};

use crate::framework::{Case, Check, Child, SETTLE, ensure, equals, fails_with, step};

/// A page: one slot of a pipe's buffer, and `PIPE_BUF`.
const PAGE: usize = 4096;

/// A new pipe's capacity.
const DEFAULT_CAPACITY: usize = 65536;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "write-read-close-eof", run: write_read_close_eof },
    Case { name: "read-empty-nonblocking-eagain", run: read_empty_nonblocking_eagain },
    Case { name: "read-returns-what-is-there", run: read_returns_what_is_there },
    Case { name: "nonblocking-set-by-fcntl", run: nonblocking_set_by_fcntl },
    Case { name: "capacity-full-at-65536-bytes", run: capacity_full_at_65536_bytes },
    Case { name: "nonblocking-write-partial-above-pipe-buf", run: nonblocking_partial_write },
    Case { name: "nonblocking-write-pipe-buf-all-or-nothing", run: nonblocking_all_or_nothing },
    Case { name: "pipe-buf-writes-not-interleaved", run: pipe_buf_writes_not_interleaved },
    Case { name: "write-closed-read-end-sigpipe", run: write_closed_read_end_sigpipe },
    Case { name: "write-closed-read-end-epipe-ignored", run: write_closed_read_end_epipe },
    Case { name: "blocked-writer-sigpipe-when-reader-closes", run: blocked_writer_sigpipe },
    Case { name: "full-pipe-blocks-writer-until-read", run: full_pipe_blocks_writer },
    Case { name: "blocked-reader-eof-when-writer-exits", run: blocked_reader_eof },
    Case { name: "get-pipe-size-default", run: get_pipe_size_default },
    Case { name: "set-pipe-size-rounds-up", run: set_pipe_size_rounds_up },
    Case { name: "set-pipe-size-too-large-einval", run: set_pipe_size_too_large_einval },
    Case { name: "set-pipe-size-above-max-unprivileged-eperm", run: set_pipe_size_eperm },
    Case { name: "set-pipe-size-below-content-ebusy", run: set_pipe_size_ebusy },
    Case { name: "pipe2-cloexec", run: pipe2_cloexec },
    Case { name: "pipe2-nonblock-and-access-modes", run: pipe2_nonblock_and_access_modes },
    Case { name: "pipe2-invalid-flags-einval", run: pipe2_invalid_flags_einval },
    Case { name: "write-read-end-ebadf", run: write_read_end_ebadf },
    Case { name: "closed-descriptor-ebadf", run: closed_descriptor_ebadf },
    Case { name: "fstat-fifo-type", run: fstat_fifo_type },
    Case { name: "lseek-espipe", run: lseek_espipe },
    Case { name: "zero-length-read-write", run: zero_length_read_write },
    Case { name: "dup-keeps-write-end-open", run: dup_keeps_write_end_open },
    Case { name: "parent-child-transfer", run: parent_child_transfer },
];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `pipe-write-closed`: makes a pipe, closes its read end and writes (SIGPIPE must end
///   it; exit 4 if it survives);
/// - `pipe-write STYLE COUNT BYTE`: writes COUNT bytes of BYTE to descriptor 1, in one
///   write (`STYLE` = `once`) or in records of `PIPE_BUF` bytes (`records`); exits 0, or 3
///   for a short write, or the errno;
/// - `pipe-hold [MILLISECONDS]`: holds its inherited descriptors that long (60 s by
///   default), then exits 0.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    match mode {
        "pipe-write-closed" => Some(child_write_closed()),
        "pipe-write" => Some(child_write(arguments)),
        "pipe-hold" => {
            let milliseconds =
                arguments.first().and_then(|text| text.parse().ok()).unwrap_or(60_000);
            crate::framework::sleep(core::time::Duration::from_millis(milliseconds));
            Some(0)
        }
        _ => None,
    }
}

fn child_write_closed() -> i32 {
    let Ok((read_end, write_end)) = pipe::pipe() else { return 2 };
    let _ = fd::close(read_end);
    let _ = fd::write(write_end, b"x");
    4
}

fn child_write(arguments: &[&str]) -> i32 {
    let (Some(&style), Some(count), Some(byte)) = (
        arguments.first(),
        arguments.get(1).and_then(|text| text.parse::<usize>().ok()),
        arguments.get(2).and_then(|text| text.parse::<u8>().ok()),
    ) else {
        return 2;
    };
    let record = if style == "records" { PAGE } else { count };
    let bytes = vec![byte; record];
    let mut left = count;
    while left > 0 {
        let length = left.min(record);
        match fd::write(1, &bytes[..length]) {
            Ok(written) if written == length => left -= length,
            Ok(_) => return 3,
            Err(error) => return error.number(),
        }
    }
    0
}

/// Reads `descriptor` until end of file.
fn read_to_end(descriptor: Fd) -> Result<Vec<u8>, alloc::string::String> {
    let mut contents = Vec::new();
    let mut chunk = [0u8; PAGE];
    loop {
        match step("read", fd::read(descriptor, &mut chunk))? {
            0 => return Ok(contents),
            count => contents.extend_from_slice(&chunk[..count]),
        }
    }
}

/// Fills a non-blocking write end with whole pages until `EAGAIN`; the bytes written.
fn fill_with_pages(write_end: Fd) -> Result<usize, alloc::string::String> {
    let page = [0x5au8; PAGE];
    let mut total = 0;
    loop {
        match fd::write(write_end, &page) {
            Ok(written) => total += written,
            Err(Errno::Eagain) => return Ok(total),
            Err(error) => return Err(format!("write after {total} bytes: {}", error.name())),
        }
        ensure(total <= 16 * DEFAULT_CAPACITY, || "the pipe never fills".into())?;
    }
}

/// Ignores SIGPIPE in this (case) process.
fn ignore_sigpipe() -> Check {
    step("signal(SIGPIPE, SIG_IGN)", signal::signal(SIGPIPE, Handler::Ignore)).map(|_| ())
}

/// Bytes written to the write end come out of the read end in order; once the write end
/// is closed and the pipe is empty, read gives 0 (end of file), and a read on the write
/// end fails with EBADF.
fn write_read_close_eof() -> Check {
    let (read_end, write_end): (Fd, Fd) = step("pipe", pipe::pipe())?;
    fails_with("read(write end)", fd::read(write_end, &mut [0u8; 4]), Errno::Ebadf)?;
    equals("write(\"courier\")", fd::write(write_end, b"courier"), 7)?;
    let mut buffer = [0u8; 16];
    equals("read", fd::read(read_end, &mut buffer), 7)?;
    step("close(write end)", fd::close(write_end))?;
    equals("read after close", fd::read(read_end, &mut buffer), 0)?;
    step("close(read end)", fd::close(read_end))
}

/// A read from an empty non-blocking pipe whose writer is open fails with EAGAIN.
fn read_empty_nonblocking_eagain() -> Check {
    let (read_end, _write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    fails_with("read(empty)", fd::read(read_end, &mut [0u8; 8]), Errno::Eagain)
}

/// A read asking for more than the pipe holds returns at once with what is there (a
/// short count), in the order written across several writes.
fn read_returns_what_is_there() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    equals("write(\"abc\")", fd::write(write_end, b"abc"), 3)?;
    equals("write(\"de\")", fd::write(write_end, b"de"), 2)?;
    let mut buffer = [0u8; 100];
    equals("read(100)", fd::read(read_end, &mut buffer), 5)?;
    ensure(&buffer[..5] == b"abcde", || format!("read {:?}", &buffer[..5]))?;
    equals("write(\"fgh\")", fd::write(write_end, b"fgh"), 3)?;
    equals("read(2)", fd::read(read_end, &mut buffer[..2]), 2)?;
    equals("read(100) of the rest", fd::read(read_end, &mut buffer), 1)?;
    ensure(buffer[0] == b'h', || format!("read {:?} last", buffer[0] as char))
}

/// O_NONBLOCK set with fcntl(F_SETFL) on a blocking pipe makes an empty read fail with
/// EAGAIN; F_GETFL then shows it, on a duplicate too (it belongs to the description).
fn nonblocking_set_by_fcntl() -> Check {
    let (read_end, _write_end) = step("pipe", pipe::pipe())?;
    let duplicate = step("dup(read end)", fd::dup(read_end))?;
    step("fcntl(F_SETFL, O_NONBLOCK)", fd::fcntl(read_end, F_SETFL, O_NONBLOCK))?;
    let flags = step("fcntl(duplicate, F_GETFL)", fd::fcntl(duplicate, F_GETFL, 0))?;
    ensure(flags & O_NONBLOCK != 0, || format!("duplicate's F_GETFL {flags:#o}"))?;
    fails_with(
        "read(duplicate) of an empty pipe",
        fd::read(duplicate, &mut [0u8; 4]),
        Errno::Eagain,
    )
}

/// A new pipe takes exactly 65536 bytes of page-sized writes; the next write, even of one
/// byte, fails with EAGAIN on a non-blocking end, and one page read makes room again.
fn capacity_full_at_65536_bytes() -> Check {
    let (read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    let total = fill_with_pages(write_end)?;
    ensure(total == DEFAULT_CAPACITY, || format!("the pipe took {total} bytes, expected 65536"))?;
    fails_with("write(1 byte) to a full pipe", fd::write(write_end, b"x"), Errno::Eagain)?;
    equals("read(one page)", fd::read(read_end, &mut [0u8; PAGE]), PAGE)?;
    equals("write(one page) after a read", fd::write(write_end, &[1u8; PAGE]), PAGE)
}

/// A non-blocking write of more than PIPE_BUF bytes with room for only part of it writes
/// what fits (one free page of two asked) and returns that count.
fn nonblocking_partial_write() -> Check {
    let (_read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    for index in 0..15 {
        equals(&format!("write(page {index})"), fd::write(write_end, &[0u8; PAGE]), PAGE)?;
    }
    equals("write(2 pages) with 1 page free", fd::write(write_end, &[1u8; 2 * PAGE]), PAGE)?;
    fails_with(
        "write(2 pages) to a full pipe",
        fd::write(write_end, &[1u8; 2 * PAGE]),
        Errno::Eagain,
    )
}

/// A non-blocking write of at most PIPE_BUF bytes is all or nothing: with 96 bytes free
/// behind the last page's data and no free page, 200 bytes fail with EAGAIN (nothing is
/// written) while 96 bytes fit.
fn nonblocking_all_or_nothing() -> Check {
    let (read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    for index in 0..15 {
        equals(&format!("write(page {index})"), fd::write(write_end, &[0u8; PAGE]), PAGE)?;
    }
    equals("write(4000)", fd::write(write_end, &[1u8; 4000]), 4000)?;
    fails_with("write(200) with 96 bytes free", fd::write(write_end, &[2u8; 200]), Errno::Eagain)?;
    equals("write(96)", fd::write(write_end, &[3u8; 96]), 96)?;
    // Everything but the refused 200 bytes comes out.
    step("close(write end)", fd::close(write_end))?;
    step("fcntl(F_SETFL, 0)", fd::fcntl(read_end, F_SETFL, 0))?;
    let contents = read_to_end(read_end)?;
    ensure(contents.len() == 15 * PAGE + 4096, || format!("{} bytes came out", contents.len()))?;
    ensure(!contents.contains(&2), || "bytes of the refused write came out".into())
}

/// Two writers writing PIPE_BUF-sized records at once: every record comes out whole,
/// never interleaved with the other writer's bytes.
fn pipe_buf_writes_not_interleaved() -> Check {
    const RECORDS: usize = 64;
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let total = format!("{}", RECORDS * PAGE);
    let actions = [FileAction::Dup2(write_end, 1), FileAction::Close(read_end)];
    let attributes = SpawnAttributes::default();
    let mut first =
        Child::spawn_with("pipe-write", &["records", &total, "65"], &actions, &attributes)?;
    let mut second =
        Child::spawn_with("pipe-write", &["records", &total, "66"], &actions, &attributes)?;
    step("close(write end)", fd::close(write_end))?;
    let contents = read_to_end(read_end)?;
    first.exits_with(0)?;
    second.exits_with(0)?;
    ensure(contents.len() == 2 * RECORDS * PAGE, || format!("{} bytes came out", contents.len()))?;
    for (index, record) in contents.chunks(PAGE).enumerate() {
        ensure(record.iter().all(|&byte| byte == record[0]), || {
            format!("record {index} mixes the writers' bytes")
        })?;
    }
    Ok(())
}

/// A write to a pipe whose read end is closed raises SIGPIPE, whose default action ends
/// the writer.
fn write_closed_read_end_sigpipe() -> Check {
    let mut child = Child::spawn("pipe-write-closed", &[])?;
    child.killed_by(SIGPIPE)
}

/// With SIGPIPE ignored, a write to a pipe whose read end is closed fails with EPIPE.
fn write_closed_read_end_epipe() -> Check {
    ignore_sigpipe()?;
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    step("close(read end)", fd::close(read_end))?;
    fails_with("write with no reader", fd::write(write_end, b"x"), Errno::Epipe)
}

/// A writer blocked on a full pipe is woken when the last reader closes: having written
/// nothing, it gets SIGPIPE (and dies of it).
fn blocked_writer_sigpipe() -> Check {
    let (read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    fill_with_pages(write_end)?;
    step("fcntl(F_SETFL, 0)", fd::fcntl(write_end, F_SETFL, 0))?;
    let actions = [FileAction::Dup2(write_end, 1), FileAction::Close(read_end)];
    let mut child = Child::spawn_with(
        "pipe-write",
        &["once", "8192", "1"],
        &actions,
        &SpawnAttributes::default(),
    )?;
    step("close(write end)", fd::close(write_end))?;
    child.keeps_running(SETTLE)?;
    step("close(read end)", fd::close(read_end))?;
    child.killed_by(SIGPIPE)
}

/// A blocking write larger than the room left waits until a reader takes data, then
/// completes in full.
fn full_pipe_blocks_writer() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let count = DEFAULT_CAPACITY + 3 * PAGE;
    let actions = [FileAction::Dup2(write_end, 1), FileAction::Close(read_end)];
    let mut child = Child::spawn_with(
        "pipe-write",
        &["once", &format!("{count}"), "7"],
        &actions,
        &SpawnAttributes::default(),
    )?;
    step("close(write end)", fd::close(write_end))?;
    child.keeps_running(SETTLE)?;
    let contents = read_to_end(read_end)?;
    child.exits_with(0)?;
    ensure(contents.len() == count, || {
        format!("{} bytes came out, expected {count}", contents.len())
    })?;
    ensure(contents.iter().all(|&byte| byte == 7), || "wrong bytes came out".into())
}

/// A reader blocked on an empty pipe gets end of file (0) when the process holding the
/// only write end exits.
fn blocked_reader_eof() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let actions = [FileAction::Close(read_end)];
    let mut child =
        Child::spawn_with("pipe-hold", &["300"], &actions, &SpawnAttributes::default())?;
    step("close(write end)", fd::close(write_end))?;
    // The read blocks until the child ends.
    equals("read until the writer ended", fd::read(read_end, &mut [0u8; 8]), 0)?;
    child.exits_with(0)
}

/// F_GETPIPE_SZ gives 65536 for both ends of a new pipe.
fn get_pipe_size_default() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    equals("F_GETPIPE_SZ(read end)", pipe::capacity(read_end), DEFAULT_CAPACITY)?;
    equals("F_GETPIPE_SZ(write end)", pipe::capacity(write_end), DEFAULT_CAPACITY)
}

/// F_SETPIPE_SZ rounds up to a power of two of at least a page (0 and 1 give 4096, 5000
/// gives 8192); the new size is what F_GETPIPE_SZ then gives through either end.
fn set_pipe_size_rounds_up() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    equals("F_SETPIPE_SZ(5000)", pipe::set_capacity(write_end, 5000), 8192)?;
    equals("F_GETPIPE_SZ(read end)", pipe::capacity(read_end), 8192)?;
    equals("F_SETPIPE_SZ(1)", pipe::set_capacity(read_end, 1), PAGE)?;
    equals("F_SETPIPE_SZ(0)", pipe::set_capacity(read_end, 0), PAGE)?;
    equals("F_SETPIPE_SZ(65537)", pipe::set_capacity(read_end, 65537), 131072)?;
    equals("F_GETPIPE_SZ(write end)", pipe::capacity(write_end), 131072)
}

/// F_SETPIPE_SZ above 2^31 fails with EINVAL and leaves the size alone.
fn set_pipe_size_too_large_einval() -> Check {
    let (read_end, _write_end) = step("pipe", pipe::pipe())?;
    fails_with(
        "F_SETPIPE_SZ(2^31 + 1)",
        pipe::set_capacity(read_end, (1 << 31) + 1),
        Errno::Einval,
    )?;
    equals("F_GETPIPE_SZ", pipe::capacity(read_end), DEFAULT_CAPACITY)
}

/// An unprivileged process may raise a pipe's size up to 1 MiB (pipe-max-size) but not
/// beyond: EPERM.
fn set_pipe_size_eperm() -> Check {
    let (read_end, _write_end) = step("pipe", pipe::pipe())?;
    step("setuid(1000)", proc::setuid(1000))?;
    equals("F_SETPIPE_SZ(1 MiB)", pipe::set_capacity(read_end, 1 << 20), 1 << 20)?;
    fails_with("F_SETPIPE_SZ(2 MiB)", pipe::set_capacity(read_end, 2 << 20), Errno::Eperm)?;
    equals("F_GETPIPE_SZ", pipe::capacity(read_end), 1 << 20)
}

/// Shrinking a pipe below the pages its data occupies fails with EBUSY; shrinking to a
/// size that still holds them succeeds and keeps the data.
fn set_pipe_size_ebusy() -> Check {
    let (read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    for index in 0..3 {
        equals(&format!("write(page {index})"), fd::write(write_end, &[index as u8; PAGE]), PAGE)?;
    }
    fails_with(
        "F_SETPIPE_SZ(8192) holding 3 pages",
        pipe::set_capacity(write_end, 8192),
        Errno::Ebusy,
    )?;
    equals("F_SETPIPE_SZ(16384)", pipe::set_capacity(write_end, 16384), 16384)?;
    let mut page = [0u8; PAGE];
    for index in 0..3u8 {
        equals(&format!("read(page {index})"), fd::read(read_end, &mut page), PAGE)?;
        ensure(page.iter().all(|&byte| byte == index), || format!("page {index} changed"))?;
    }
    Ok(())
}

/// pipe2(O_CLOEXEC) sets FD_CLOEXEC on both descriptors; pipe() sets it on neither.
fn pipe2_cloexec() -> Check {
    let (read_end, write_end) = step("pipe2(O_CLOEXEC)", pipe::pipe2(O_CLOEXEC))?;
    for (end, descriptor) in [("read", read_end), ("write", write_end)] {
        let flags = step("fcntl(F_GETFD)", fd::fcntl(descriptor, F_GETFD, 0))?;
        ensure(flags & u64::from(FD_CLOEXEC) != 0, || format!("{end} end: F_GETFD {flags:#x}"))?;
    }
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    for (end, descriptor) in [("read", read_end), ("write", write_end)] {
        let flags = step("fcntl(F_GETFD)", fd::fcntl(descriptor, F_GETFD, 0))?;
        ensure(flags & u64::from(FD_CLOEXEC) == 0, || {
            format!("pipe() {end} end: F_GETFD {flags:#x}")
        })?;
    }
    Ok(())
}

/// pipe2(O_NONBLOCK) sets O_NONBLOCK on both ends' status flags; the read end is
/// O_RDONLY and the write end O_WRONLY; pipe() leaves O_NONBLOCK clear.
fn pipe2_nonblock_and_access_modes() -> Check {
    let (read_end, write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    let read_flags = step("fcntl(read end, F_GETFL)", fd::fcntl(read_end, F_GETFL, 0))?;
    let write_flags = step("fcntl(write end, F_GETFL)", fd::fcntl(write_end, F_GETFL, 0))?;
    ensure(read_flags & O_ACCMODE == O_RDONLY, || format!("read end F_GETFL {read_flags:#o}"))?;
    ensure(write_flags & O_ACCMODE == O_WRONLY, || format!("write end F_GETFL {write_flags:#o}"))?;
    ensure(read_flags & O_NONBLOCK != 0 && write_flags & O_NONBLOCK != 0, || {
        format!("F_GETFL {read_flags:#o} / {write_flags:#o} lacks O_NONBLOCK")
    })?;
    let (read_end, _write_end) = step("pipe", pipe::pipe())?;
    let flags = step("fcntl(F_GETFL)", fd::fcntl(read_end, F_GETFL, 0))?;
    ensure(flags & O_NONBLOCK == 0, || format!("pipe() read end F_GETFL {flags:#o}"))
}

/// pipe2 with a flag other than O_NONBLOCK, O_CLOEXEC (or O_DIRECT) fails with EINVAL.
fn pipe2_invalid_flags_einval() -> Check {
    fails_with("pipe2(O_APPEND)", pipe::pipe2(O_APPEND), Errno::Einval)?;
    fails_with("pipe2(O_WRONLY)", pipe::pipe2(O_WRONLY), Errno::Einval)?;
    fails_with("pipe2(O_CREAT)", pipe::pipe2(fs::O_CREAT), Errno::Einval)
}

/// A write through the read end fails with EBADF and puts nothing in the pipe.
fn write_read_end_ebadf() -> Check {
    let (read_end, _write_end) = step("pipe2(O_NONBLOCK)", pipe::pipe2(O_NONBLOCK))?;
    fails_with("write(read end)", fd::write(read_end, b"x"), Errno::Ebadf)?;
    fails_with("read after the refused write", fd::read(read_end, &mut [0u8; 4]), Errno::Eagain)
}

/// Calls on a closed pipe descriptor fail with EBADF (read, write, close, fcntl).
fn closed_descriptor_ebadf() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    step("close(read end)", fd::close(read_end))?;
    step("close(write end)", fd::close(write_end))?;
    fails_with("read(closed)", fd::read(read_end, &mut [0u8; 4]), Errno::Ebadf)?;
    fails_with("write(closed)", fd::write(write_end, b"x"), Errno::Ebadf)?;
    fails_with("close(closed)", fd::close(read_end), Errno::Ebadf)?;
    fails_with("F_GETPIPE_SZ(closed)", pipe::capacity(write_end), Errno::Ebadf)
}

/// fstat on either end of an empty pipe reports a FIFO (S_IFIFO) of size 0.
fn fstat_fifo_type() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    for (end, descriptor) in [("read", read_end), ("write", write_end)] {
        let status = step(&format!("fstat({end} end)"), fs::fstat(descriptor))?;
        ensure(fs::is_fifo(status.mode), || format!("{end} end: mode {:#o}", status.mode))?;
        ensure(status.size == 0, || format!("{end} end: size {}", status.size))?;
    }
    Ok(())
}

/// lseek on either end of a pipe fails with ESPIPE.
fn lseek_espipe() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    fails_with(
        "lseek(read end, 0, SEEK_SET)",
        fs::lseek(read_end, 0, fs::SEEK_SET),
        Errno::Espipe,
    )?;
    fails_with(
        "lseek(write end, 0, SEEK_CUR)",
        fs::lseek(write_end, 0, fs::SEEK_CUR),
        Errno::Espipe,
    )
}

/// A zero-length read returns 0 at once on an empty blocking pipe, and a zero-length
/// write returns 0, even with no reader (no SIGPIPE).
fn zero_length_read_write() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    equals("read(0 bytes) on an empty pipe", fd::read(read_end, &mut []), 0)?;
    equals("write(0 bytes)", fd::write(write_end, &[]), 0)?;
    step("close(read end)", fd::close(read_end))?;
    equals("write(0 bytes) with no reader", fd::write(write_end, &[]), 0)
}

/// A duplicate of the write end keeps the pipe's writer alive: closing the original gives
/// no end of file; closing the duplicate does.
fn dup_keeps_write_end_open() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    step("fcntl(read end, F_SETFL, O_NONBLOCK)", fd::fcntl(read_end, F_SETFL, O_NONBLOCK))?;
    let duplicate = step("dup(write end)", fd::dup(write_end))?;
    step("close(write end)", fd::close(write_end))?;
    fails_with("read with the duplicate open", fd::read(read_end, &mut [0u8; 4]), Errno::Eagain)?;
    equals("write(duplicate)", fd::write(duplicate, b"ab"), 2)?;
    equals("read", fd::read(read_end, &mut [0u8; 4]), 2)?;
    step("close(duplicate)", fd::close(duplicate))?;
    equals("read after the last writer closed", fd::read(read_end, &mut [0u8; 4]), 0)
}

/// A child given the write end as its standard output writes; the parent, having closed
/// its own write end, reads every byte and then end of file.
fn parent_child_transfer() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let actions = [FileAction::Dup2(write_end, 1), FileAction::Close(read_end)];
    let mut child = Child::spawn_with(
        "pipe-write",
        &["once", "10000", "42"],
        &actions,
        &SpawnAttributes::default(),
    )?;
    step("close(write end)", fd::close(write_end))?;
    let contents = read_to_end(read_end)?;
    child.exits_with(0)?;
    ensure(contents.len() == 10000 && contents.iter().all(|&byte| byte == 42), || {
        format!("{} bytes came out", contents.len())
    })
}
