//! Conformance cases for FIFOs (mkfifo(3), fifo(7), open(2) on a FIFO).
//!
//! Each case works on `/tmp/conformance-fifo-CASE` and removes it, whatever the outcome,
//! through a [`Scratch`] guard.

use alloc::format;
use alloc::string::String;

use libsys::Errno;
use libsys::abi::io::{O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use libsys::fd::{self, Fd};
use libsys::fs;

use crate::framework::{Case, Check, Child, SETTLE, ensure, equals, fails_with, step};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "mkfifo-creates-fifo-node", run: mkfifo_creates_fifo_node },
    Case { name: "mkfifo-existing-eexist", run: mkfifo_existing_eexist },
    Case { name: "mkfifo-missing-directory-enoent", run: mkfifo_missing_directory_enoent },
    Case { name: "open-read-nonblocking-without-writer", run: open_read_nonblocking },
    Case { name: "open-write-nonblocking-without-reader-enxio", run: open_write_nonblocking_enxio },
    Case { name: "open-write-nonblocking-with-reader", run: open_write_nonblocking_with_reader },
    Case { name: "open-read-write-does-not-block", run: open_read_write_does_not_block },
    Case { name: "blocking-write-open-waits-for-reader", run: write_open_waits_for_reader },
    Case { name: "blocking-read-open-waits-for-writer", run: read_open_waits_for_writer },
    Case { name: "unlink-while-open-keeps-working", run: unlink_while_open_keeps_working },
    Case { name: "data-gone-after-last-close", run: data_gone_after_last_close },
    Case { name: "writer-close-gives-eof", run: writer_close_gives_eof },
    Case { name: "lseek-espipe", run: lseek_espipe },
    Case { name: "fstat-open-fifo", run: fstat_open_fifo },
    Case { name: "open-exclusive-existing-eexist", run: open_exclusive_existing_eexist },
];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `fifo-write PATH TEXT`: opens PATH write-only (blocking) and writes TEXT; exits 0,
///   or the errno;
/// - `fifo-read PATH TEXT`: opens PATH read-only (blocking), reads until end of file and
///   exits 0 if it read TEXT, 3 if not, or the errno.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    let (Some(path), Some(text)) = (arguments.first(), arguments.get(1)) else {
        return matches!(mode, "fifo-write" | "fifo-read").then_some(2);
    };
    match mode {
        "fifo-write" => Some(errno_code(child_write(path, text))),
        "fifo-read" => Some(match child_read(path) {
            Ok(contents) if contents == *text => 0,
            Ok(_) => 3,
            Err(error) => error.number(),
        }),
        _ => None,
    }
}

fn errno_code(result: Result<(), Errno>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(error) => error.number(),
    }
}

fn child_write(path: &str, text: &str) -> Result<(), Errno> {
    let writer = fs::open(path, O_WRONLY, 0)?;
    let written = fd::write(writer, text.as_bytes())?;
    if written != text.len() {
        return Err(Errno::Eio);
    }
    fd::close(writer)
}

fn child_read(path: &str) -> Result<String, Errno> {
    let reader = fs::open(path, O_RDONLY, 0)?;
    read_until_end(reader)
}

/// Makes `/tmp` (mode 1777, as on Linux) if it is not there yet.
fn make_tmp() {
    let previous = fs::umask(0);
    let _ = fs::mkdir("/tmp", 0o1777);
    fs::umask(previous);
}

/// A FIFO made for one case, removed when dropped.
struct Scratch {
    path: String,
}

impl Scratch {
    /// Makes `/tmp/conformance-fifo-NAME` (mode 0600), removing what an earlier run left.
    fn new(name: &str) -> Result<Scratch, String> {
        make_tmp();
        let path = format!("/tmp/conformance-fifo-{name}");
        let _ = fs::unlink(&path);
        step(&format!("mkfifo({path})"), fs::mkfifo(&path, 0o600))?;
        Ok(Scratch { path })
    }

    fn open(&self, flags: u64) -> Result<Fd, Errno> {
        fs::open(&self.path, flags, 0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::unlink(&self.path);
    }
}

/// mkfifo makes a node that stat reports as a FIFO, with the mode asked for less the
/// umask, of size 0.
fn mkfifo_creates_fifo_node() -> Check {
    make_tmp();
    let path = "/tmp/conformance-fifo-node";
    let _ = fs::unlink(path);
    fs::umask(0o027);
    let made = step("mkfifo(0666)", fs::mkfifo(path, 0o666));
    let status = made.and_then(|()| step("stat", fs::stat(path)));
    let _ = fs::unlink(path);
    let status = status?;
    ensure(fs::is_fifo(status.mode), || format!("mode {:#o} is not a FIFO", status.mode))?;
    ensure(status.mode & 0o7777 == 0o640, || format!("mode {:#o}, expected 0640", status.mode))?;
    ensure(status.size == 0, || format!("size {}", status.size))
}

/// mkfifo on a path that exists (a FIFO or a directory) fails with EEXIST.
fn mkfifo_existing_eexist() -> Check {
    let scratch = Scratch::new("eexist")?;
    fails_with("mkfifo(existing FIFO)", fs::mkfifo(&scratch.path, 0o600), Errno::Eexist)?;
    fails_with("mkfifo(/tmp)", fs::mkfifo("/tmp", 0o600), Errno::Eexist)
}

/// mkfifo in a directory that does not exist fails with ENOENT.
fn mkfifo_missing_directory_enoent() -> Check {
    fails_with(
        "mkfifo(/tmp/conformance-fifo-missing/fifo)",
        fs::mkfifo("/tmp/conformance-fifo-missing/fifo", 0o600),
        Errno::Enoent,
    )
}

/// A non-blocking read-only open succeeds with no writer, and a read then gives end of
/// file (0), there being no writer.
fn open_read_nonblocking() -> Check {
    let scratch = Scratch::new("read-nonblocking")?;
    let reader = step("open(O_RDONLY | O_NONBLOCK)", scratch.open(O_RDONLY | O_NONBLOCK))?;
    equals("read with no writer", fd::read(reader, &mut [0u8; 8]), 0)
}

/// A non-blocking write-only open with no reader fails with ENXIO.
fn open_write_nonblocking_enxio() -> Check {
    let scratch = Scratch::new("write-nonblocking")?;
    fails_with("open(O_WRONLY | O_NONBLOCK)", scratch.open(O_WRONLY | O_NONBLOCK), Errno::Enxio)
}

/// With a reader open, a non-blocking write-only open succeeds and its bytes reach the
/// reader.
fn open_write_nonblocking_with_reader() -> Check {
    let scratch = Scratch::new("write-with-reader")?;
    let reader = step("open(O_RDONLY | O_NONBLOCK)", scratch.open(O_RDONLY | O_NONBLOCK))?;
    let writer = step("open(O_WRONLY | O_NONBLOCK)", scratch.open(O_WRONLY | O_NONBLOCK))?;
    equals("write", fd::write(writer, b"fifo"), 4)?;
    let mut buffer = [0u8; 8];
    equals("read", fd::read(reader, &mut buffer), 4)?;
    ensure(&buffer[..4] == b"fifo", || format!("read {:?}", &buffer[..4]))
}

/// An O_RDWR open never waits (it is its own reader and writer); what it writes it reads
/// back.
fn open_read_write_does_not_block() -> Check {
    let scratch = Scratch::new("read-write")?;
    let both = step("open(O_RDWR)", scratch.open(O_RDWR))?;
    equals("write", fd::write(both, b"loop"), 4)?;
    let mut buffer = [0u8; 8];
    equals("read", fd::read(both, &mut buffer), 4)?;
    ensure(&buffer[..4] == b"loop", || format!("read {:?}", &buffer[..4]))
}

/// A blocking write-only open waits while there is no reader and completes when a reader
/// opens; the data then flows.
fn write_open_waits_for_reader() -> Check {
    let scratch = Scratch::new("write-waits")?;
    let mut child = Child::spawn("fifo-write", &[&scratch.path, "rendezvous"])?;
    child.keeps_running(SETTLE)?;
    let reader = step("open(O_RDONLY)", scratch.open(O_RDONLY))?;
    let contents = step("read", read_until_end(reader))?;
    child.exits_with(0)?;
    ensure(contents == "rendezvous", || format!("read {contents:?}"))
}

/// A blocking read-only open waits while there is no writer and completes when a writer
/// opens; the reader then sees the data and end of file.
fn read_open_waits_for_writer() -> Check {
    let scratch = Scratch::new("read-waits")?;
    let mut child = Child::spawn("fifo-read", &[&scratch.path, "hello reader"])?;
    child.keeps_running(SETTLE)?;
    let writer = step("open(O_WRONLY)", scratch.open(O_WRONLY))?;
    equals("write", fd::write(writer, b"hello reader"), 12)?;
    step("close(writer)", fd::close(writer))?;
    child.exits_with(0)
}

/// Removing the FIFO's name leaves its open ends working; the name is gone (ENOENT).
fn unlink_while_open_keeps_working() -> Check {
    let scratch = Scratch::new("unlink-open")?;
    let reader = step("open(O_RDONLY | O_NONBLOCK)", scratch.open(O_RDONLY | O_NONBLOCK))?;
    let writer = step("open(O_WRONLY)", scratch.open(O_WRONLY))?;
    step("unlink", fs::unlink(&scratch.path))?;
    fails_with("stat after unlink", fs::stat(&scratch.path), Errno::Enoent)?;
    equals("write", fd::write(writer, b"still"), 5)?;
    let mut buffer = [0u8; 8];
    equals("read", fd::read(reader, &mut buffer), 5)?;
    ensure(&buffer[..5] == b"still", || format!("read {:?}", &buffer[..5]))
}

/// Bytes left in a FIFO when its last end closes are discarded: the next open finds it
/// empty.
fn data_gone_after_last_close() -> Check {
    let scratch = Scratch::new("data-gone")?;
    let both = step("open(O_RDWR)", scratch.open(O_RDWR))?;
    equals("write", fd::write(both, b"lost"), 4)?;
    step("close", fd::close(both))?;
    let both = step("open(O_RDWR | O_NONBLOCK) again", scratch.open(O_RDWR | O_NONBLOCK))?;
    fails_with("read after reopening", fd::read(both, &mut [0u8; 8]), Errno::Eagain)
}

/// When the last writer closes, a reader gets the bytes left, then end of file (0).
fn writer_close_gives_eof() -> Check {
    let scratch = Scratch::new("writer-close")?;
    let reader = step("open(O_RDONLY | O_NONBLOCK)", scratch.open(O_RDONLY | O_NONBLOCK))?;
    let writer = step("open(O_WRONLY)", scratch.open(O_WRONLY))?;
    equals("write", fd::write(writer, b"end"), 3)?;
    step("close(writer)", fd::close(writer))?;
    equals("read", fd::read(reader, &mut [0u8; 8]), 3)?;
    equals("read after the writer closed", fd::read(reader, &mut [0u8; 8]), 0)
}

/// lseek on an open FIFO fails with ESPIPE.
fn lseek_espipe() -> Check {
    let scratch = Scratch::new("lseek")?;
    let both = step("open(O_RDWR)", scratch.open(O_RDWR))?;
    fails_with("lseek(0, SEEK_SET)", fs::lseek(both, 0, fs::SEEK_SET), Errno::Espipe)
}

/// fstat on an open FIFO reports a FIFO (S_IFIFO).
fn fstat_open_fifo() -> Check {
    let scratch = Scratch::new("fstat")?;
    let both = step("open(O_RDWR)", scratch.open(O_RDWR))?;
    let status = step("fstat", fs::fstat(both))?;
    ensure(fs::is_fifo(status.mode), || format!("mode {:#o} is not a FIFO", status.mode))
}

/// open with O_CREAT | O_EXCL of an existing FIFO fails with EEXIST (no end is opened).
fn open_exclusive_existing_eexist() -> Check {
    let scratch = Scratch::new("exclusive")?;
    fails_with(
        "open(FIFO, O_CREAT | O_EXCL | O_RDWR)",
        fs::open(&scratch.path, fs::O_CREAT | fs::O_EXCL | O_RDWR, 0o600),
        Errno::Eexist,
    )
}

/// Reads `descriptor` until end of file, as text.
fn read_until_end(descriptor: Fd) -> Result<String, Errno> {
    let mut contents = alloc::vec::Vec::new();
    let mut chunk = [0u8; 256];
    loop {
        match fd::read(descriptor, &mut chunk)? {
            0 => return Ok(String::from_utf8_lossy(&contents).into_owned()),
            count => contents.extend_from_slice(&chunk[..count]),
        }
    }
}
