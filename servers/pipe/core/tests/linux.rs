//! Differential test: the same sequences of non-blocking reads and writes of many sizes
//! (below, at and above `PIPE_BUF`, straddling page boundaries), `F_SETPIPE_SZ` and
//! `F_GETPIPE_SZ`, `F_GETFL`/`F_SETFL`, `FIONREAD` and closing ends, applied to a real
//! `pipe2(O_NONBLOCK)` of the host's Linux kernel and to a [`PipeServer`]; every step must
//! give the same count or errno, and every read the same bytes.
//!
//! `F_SETPIPE_SZ` goes through the raw `fcntl` system call with a full 64-bit argument, so
//! that Linux's truncation of the argument to an `unsigned int` is compared too. Whether
//! growing above `pipe-max-size` is allowed depends on `CAP_SYS_RESOURCE`, so the server is
//! told the test's real privilege (read from `/proc/self/status`): as root with every
//! capability both sides grow, without it both refuse with `EPERM`.
//!
//! The real pipe's assumptions are checked first (4 KiB pages, a 64 KiB default capacity,
//! the default `pipe-max-size`); if the host differs, the test says so and skips.

#![cfg(target_os = "linux")]

use std::ffi::{c_int, c_ulong, c_void};

use courier_pipe_core::{
    Answer, DEFAULT_CAPACITY, EndId, Errno, Leases, MAX_CAPACITY, Outcome, PipeServer, SLOT_SIZE,
};
use proptest::prelude::*;

/// One step, applied to both pipes.
#[derive(Clone, Copy, Debug)]
enum Step {
    Write(usize),
    Read(usize),
    /// `F_SETPIPE_SZ` through the write end (the read end once the write end is closed).
    SetSize(u64),
    /// `F_GETPIPE_SZ`, `F_GETFL` and `FIONREAD` on every open end.
    Inspect,
    /// `F_SETFL` on the write end: `O_NONBLOCK`, with `O_APPEND` or not.
    SetAppend(bool),
    CloseRead,
    CloseWrite,
}

/// The current caller's buffers for the server.
#[derive(Default)]
struct Caller {
    source: Vec<u8>,
    sink: Vec<u8>,
}

impl Leases<u32> for Caller {
    fn take(&mut self, _: &u32, offset: usize, into: &mut [u8]) -> Result<usize, Errno> {
        let available = self.source.get(offset..).unwrap_or_default();
        let count = available.len().min(into.len());
        into[..count].copy_from_slice(&available[..count]);
        Ok(count)
    }

    fn give(&mut self, _: &u32, offset: usize, bytes: &[u8]) -> Result<usize, Errno> {
        let end = self.sink.len();
        let room = self.sink.get_mut(offset..end).unwrap_or_default();
        let count = room.len().min(bytes.len());
        room[..count].copy_from_slice(&bytes[..count]);
        Ok(count)
    }
}

fn last_errno() -> Errno {
    let number = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    Errno::from_number(number).unwrap_or_else(|| panic!("errno {number} is not a Linux errno"))
}

/// A system call's return value as the server reports results.
fn result_of(value: i64) -> Result<u64, Errno> {
    u64::try_from(value).map_err(|_| last_errno())
}

/// The real pipe; its open descriptors are closed on drop.
struct RealPipe {
    read: Option<c_int>,
    write: Option<c_int>,
}

impl RealPipe {
    fn new() -> RealPipe {
        let mut fds = [0 as c_int; 2];
        // SAFETY: `fds` is valid for writes of two `int`s for the duration of the call.
        let status = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
        assert_eq!(status, 0, "pipe2: {}", std::io::Error::last_os_error());
        RealPipe { read: Some(fds[0]), write: Some(fds[1]) }
    }

    fn write(fd: c_int, data: &[u8]) -> Result<u64, Errno> {
        // SAFETY: `data` is valid for reads of `data.len()` bytes for the duration of the
        // call.
        let count = unsafe { libc::write(fd, data.as_ptr().cast::<c_void>(), data.len()) };
        result_of(count as i64)
    }

    fn read(fd: c_int, buffer: &mut [u8]) -> Result<u64, Errno> {
        // SAFETY: `buffer` is valid for writes of `buffer.len()` bytes for the duration of
        // the call, and borrowed mutably for it.
        let count = unsafe { libc::read(fd, buffer.as_mut_ptr().cast::<c_void>(), buffer.len()) };
        result_of(count as i64)
    }

    /// `fcntl(fd, F_SETPIPE_SZ, argument)` with the whole 64-bit argument in its register.
    fn set_size(fd: c_int, argument: u64) -> Result<u64, Errno> {
        let argument = c_ulong::try_from(argument).expect("a 64-bit long");
        // SAFETY: `fcntl` with `F_SETPIPE_SZ` takes its argument by value; no memory is
        // passed.
        let value = unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_SETPIPE_SZ, argument) };
        result_of(value)
    }

    fn fcntl(fd: c_int, command: c_int, argument: c_int) -> Result<u64, Errno> {
        // SAFETY: `F_GETPIPE_SZ`, `F_GETFL` and `F_SETFL` take an integer argument; no
        // memory is passed.
        let value = unsafe { libc::fcntl(fd, command, argument) };
        result_of(i64::from(value))
    }

    fn unread(fd: c_int) -> Result<u64, Errno> {
        let mut count: c_int = 0;
        // SAFETY: `FIONREAD` writes one `int` through its pointer, which points to `count`
        // for the duration of the call.
        let status = unsafe { libc::ioctl(fd, libc::FIONREAD, &raw mut count) };
        result_of(i64::from(status))?;
        Ok(u64::try_from(count).expect("a count"))
    }

    fn close(fd: &mut Option<c_int>) {
        if let Some(fd) = fd.take() {
            // SAFETY: `fd` is a descriptor this test opened and has not closed; it is
            // forgotten here so it is closed once.
            unsafe { libc::close(fd) };
        }
    }
}

impl Drop for RealPipe {
    fn drop(&mut self) {
        RealPipe::close(&mut self.read);
        RealPipe::close(&mut self.write);
    }
}

/// The server's side: one pipe of the server, and the test's caller.
struct Mirror {
    server: PipeServer<u32>,
    read: Option<EndId>,
    write: Option<EndId>,
    caller: Caller,
    token: u32,
    answers: Vec<Answer<u32>>,
}

impl Mirror {
    fn new() -> Mirror {
        let mut server = PipeServer::new();
        let flags = courier_abi::io::O_NONBLOCK | courier_abi::io::O_CLOEXEC;
        let (read, write) = server.create_pipe(flags).expect("pipe2");
        Mirror {
            server,
            read: Some(read),
            write: Some(write),
            caller: Caller::default(),
            token: 0,
            answers: Vec::new(),
        }
    }

    fn done(&mut self, outcome: Outcome) -> Result<u64, Errno> {
        assert!(self.answers.is_empty(), "a non-blocking pipe has no waiter to answer");
        match outcome {
            Outcome::Done(result) => result,
            Outcome::Blocked => panic!("a non-blocking call blocked"),
        }
    }
}

/// What the host must be like for the comparison to mean anything.
struct Host {
    /// Whether the test may grow a pipe above `pipe-max-size` (`CAP_SYS_RESOURCE`).
    privileged: bool,
}

impl Host {
    fn check() -> Option<Host> {
        // SAFETY: `sysconf` only reads a configuration value.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if usize::try_from(page_size).ok() != Some(SLOT_SIZE) {
            eprintln!("skipped: the host's pages are {page_size} bytes, not {SLOT_SIZE}");
            return None;
        }
        let maximum = std::fs::read_to_string("/proc/sys/fs/pipe-max-size").ok()?;
        if maximum.trim().parse::<usize>().ok() != Some(MAX_CAPACITY) {
            eprintln!("skipped: pipe-max-size is {}, not {MAX_CAPACITY}", maximum.trim());
            return None;
        }
        let pipe = RealPipe::new();
        let capacity = RealPipe::fcntl(pipe.read?, libc::F_GETPIPE_SZ, 0);
        if capacity != Ok(DEFAULT_CAPACITY as u64) {
            eprintln!("skipped: a new pipe holds {capacity:?}, not {DEFAULT_CAPACITY} bytes");
            return None;
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let effective = status.lines().find_map(|line| line.strip_prefix("CapEff:"))?;
        let effective = u64::from_str_radix(effective.trim(), 16).ok()?;
        let privileged = effective & (1 << CAP_SYS_RESOURCE) != 0;
        Some(Host { privileged })
    }
}

/// Recognisable data for write number `index`.
fn data(index: u32, length: usize) -> Vec<u8> {
    let seed = index.to_le_bytes();
    (0..length).map(|offset| seed[0].wrapping_mul(37) ^ (offset % 251) as u8).collect()
}

/// Applies `steps` to a fresh real pipe and a fresh server pipe; the first difference is
/// an error naming the step.
fn compare(host: &Host, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut real = RealPipe::new();
    let mut mirror = Mirror::new();
    for (index, &step) in steps.iter().enumerate() {
        mirror.token += 1;
        let token = mirror.token;
        match step {
            Step::Write(length) => {
                let (Some(fd), Some(end)) = (real.write, mirror.write) else { continue };
                mirror.caller.source = data(token, length);
                let expected = RealPipe::write(fd, &mirror.caller.source);
                let outcome = mirror.server.write(
                    end,
                    token,
                    length,
                    &mut mirror.caller,
                    &mut mirror.answers,
                );
                let result = mirror.done(outcome);
                prop_assert_eq!(result, expected, "step {}: {:?}", index, step);
            }
            Step::Read(length) => {
                let (Some(fd), Some(end)) = (real.read, mirror.read) else { continue };
                let mut buffer = vec![0; length];
                let expected = RealPipe::read(fd, &mut buffer);
                mirror.caller.sink = vec![0; length];
                let outcome =
                    mirror.server.read(end, token, length, &mut mirror.caller, &mut mirror.answers);
                let result = mirror.done(outcome);
                prop_assert_eq!(result, expected, "step {}: {:?}", index, step);
                if let Ok(count) = expected {
                    let count = usize::try_from(count).expect("a count");
                    prop_assert!(
                        mirror.caller.sink[..count] == buffer[..count],
                        "step {}: {:?}: different bytes",
                        index,
                        step
                    );
                }
            }
            Step::SetSize(size) => {
                let ((Some(fd), Some(end), _, _) | (None, None, Some(fd), Some(end))) =
                    (real.write, mirror.write, real.read, mirror.read)
                else {
                    continue;
                };
                let expected = RealPipe::set_size(fd, size);
                let result = mirror.server.set_capacity(
                    end,
                    size,
                    host.privileged,
                    &mut mirror.caller,
                    &mut mirror.answers,
                );
                prop_assert!(mirror.answers.is_empty());
                prop_assert_eq!(
                    result.map(|size| size as u64),
                    expected,
                    "step {}: {:?}",
                    index,
                    step
                );
            }
            Step::Inspect => {
                for (fd, end) in [(real.read, mirror.read), (real.write, mirror.write)] {
                    let (Some(fd), Some(end)) = (fd, end) else { continue };
                    let capacity = mirror.server.capacity(end).map(|size| size as u64);
                    let flags = mirror.server.status_flags(end);
                    let unread = mirror.server.buffered(end).map(|count| count as u64);
                    prop_assert_eq!(capacity, RealPipe::fcntl(fd, libc::F_GETPIPE_SZ, 0));
                    prop_assert_eq!(flags, RealPipe::fcntl(fd, libc::F_GETFL, 0));
                    prop_assert_eq!(unread, RealPipe::unread(fd), "step {}: FIONREAD", index);
                }
            }
            Step::SetAppend(append) => {
                let (Some(fd), Some(end)) = (real.write, mirror.write) else { continue };
                let flags = libc::O_NONBLOCK | if append { libc::O_APPEND } else { 0 };
                let expected = RealPipe::fcntl(fd, libc::F_SETFL, flags);
                let flags = u64::try_from(flags).expect("flags");
                let result = mirror.server.set_status_flags(end, flags).map(|()| 0);
                prop_assert_eq!(result, expected, "step {}: {:?}", index, step);
            }
            Step::CloseRead => {
                let Some(end) = mirror.read.take() else { continue };
                RealPipe::close(&mut real.read);
                mirror.server.release(end, &mut mirror.caller, &mut mirror.answers);
                prop_assert!(mirror.answers.is_empty());
            }
            Step::CloseWrite => {
                let Some(end) = mirror.write.take() else { continue };
                RealPipe::close(&mut real.write);
                mirror.server.release(end, &mut mirror.caller, &mut mirror.answers);
                prop_assert!(mirror.answers.is_empty());
            }
        }
    }
    for end in [mirror.read.take(), mirror.write.take()].into_iter().flatten() {
        mirror.server.release(end, &mut mirror.caller, &mut mirror.answers);
    }
    prop_assert_eq!(mirror.server.end_count(), 0);
    prop_assert_eq!(mirror.server.pipe_count(), 0);
    Ok(())
}

fn run(steps: &[Step]) {
    // Writing to a pipe without reader raises SIGPIPE; the test wants the EPIPE.
    // SAFETY: ignoring SIGPIPE installs no handler code; it is what Rust's runtime does at
    // start-up anyway.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let Some(host) = Host::check() else { return };
    if let Err(error) = compare(&host, steps) {
        panic!("{error}");
    }
}

const PAGE: usize = SLOT_SIZE;

/// The capability that lets a process grow a pipe above `pipe-max-size`
/// (`linux/capability.h`).
const CAP_SYS_RESOURCE: u32 = 24;

#[test]
fn pipe_buf_writes_are_atomic_as_on_linux() {
    let mut steps = vec![Step::Write(PAGE); 15];
    steps.extend([
        Step::Write(PAGE - 10),
        Step::Write(11),
        Step::Write(PAGE),
        Step::Write(10),
        Step::Write(1),
        Step::Read(1),
        Step::Write(PAGE + 1),
        Step::Read(PAGE - 1),
        Step::Write(PAGE + 1),
        Step::Inspect,
    ]);
    run(&steps);
}

#[test]
fn merges_and_partial_writes_are_as_on_linux() {
    run(&[
        Step::Write(100),
        Step::Write(PAGE),
        Step::Write(5000),
        Step::Write(4200),
        Step::Inspect,
        Step::Write(100_000),
        Step::Write(1),
        Step::Read(5000),
        Step::Write(100_000),
        Step::Read(3000),
        Step::Write(50),
        Step::Inspect,
        Step::Read(200_000),
        Step::Read(1),
        Step::Write(4000),
        Step::Read(3000),
        Step::Write(200),
        Step::Write(50),
        Step::Inspect,
    ]);
}

#[test]
fn set_pipe_size_rounds_and_refuses_as_on_linux() {
    let mut steps: Vec<Step> = [
        0,
        1,
        4095,
        4096,
        4097,
        12288,
        65537,
        MAX_CAPACITY as u64,
        MAX_CAPACITY as u64 + 1,
        (1 << 31) + 1,
        u64::from(u32::MAX),
        3 << 30,
        (1 << 32) | 8192,
        1 << 32,
        u64::MAX,
    ]
    .into_iter()
    .flat_map(|size| [Step::SetSize(size), Step::Inspect])
    .collect();
    // EBUSY counts slots, not bytes: two slots hold 9 bytes.
    steps.extend([
        Step::SetSize(65536),
        Step::Write(3),
        Step::Write(PAGE),
        Step::Read(PAGE - 3),
        Step::Write(3),
        Step::Inspect,
        Step::SetSize(PAGE as u64),
        Step::SetSize(2 * PAGE as u64),
        Step::Read(6),
        Step::SetSize(0),
        Step::Write(1),
        Step::Write(PAGE - 3),
        Step::Inspect,
    ]);
    run(&steps);
}

#[test]
fn closed_ends_give_end_of_file_and_broken_pipe_as_on_linux() {
    run(&[
        Step::Write(10),
        Step::CloseWrite,
        Step::Read(4),
        Step::Inspect,
        Step::SetSize(4096),
        Step::Read(100),
        Step::Read(100),
    ]);
    run(&[
        Step::Write(3 * PAGE),
        Step::CloseRead,
        Step::Write(1),
        Step::Write(0),
        Step::SetSize(PAGE as u64),
        Step::SetSize(4 * PAGE as u64),
        Step::Inspect,
    ]);
    run(&[Step::Read(0), Step::Read(10), Step::Write(0), Step::SetAppend(true), Step::Inspect]);
}

fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0, 1, 10, 100, 904, 1000, 3000, PAGE - 1, PAGE, PAGE + 1, 5000, 2 * PAGE - 1,
            2 * PAGE, 2 * PAGE + 1, 3 * PAGE, 16000, 65535, 65536, 65537, 100_000, 200_000,
        ]),
        2 => 0_usize..70_000,
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let sizes = prop::sample::select(vec![
        0_u64,
        1,
        PAGE as u64,
        PAGE as u64 + 1,
        3 * PAGE as u64,
        8 * PAGE as u64,
        65536,
        262_144,
        MAX_CAPACITY as u64,
        MAX_CAPACITY as u64 + 1,
        (1 << 31) + 1,
        (1 << 32) | (2 * PAGE as u64),
    ]);
    prop_oneof![
        40 => length().prop_map(Step::Write),
        40 => length().prop_map(Step::Read),
        8 => sizes.prop_map(Step::SetSize),
        6 => Just(Step::Inspect),
        2 => any::<bool>().prop_map(Step::SetAppend),
        1 => Just(Step::CloseRead),
        1 => Just(Step::CloseWrite),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_non_blocking_sequences_match_linux(steps in prop::collection::vec(step(), 1..80)) {
        // SAFETY: see `run`.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        let Some(host) = Host::check() else { return Ok(()) };
        compare(&host, &steps)?;
    }
}
