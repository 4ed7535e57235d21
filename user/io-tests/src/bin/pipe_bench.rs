//! pipe-bench: pipe costs for `make bench`, run as init's program (`init=pipe-bench`) under
//! QEMU's `-icount shift=0,sleep=off`, where the counter counts instructions (of every
//! process and the kernel: the pipe server's work is included). It measures:
//!
//! - a 1-byte round trip between two processes over two pipes (write, the peer reads and
//!   writes it back, read);
//! - throughput with 4 KiB and 64 KiB writes into a pipe a child drains with 64 KiB reads.
//!
//! Each prints one line the harness reads, for example:
//!
//! ```text
//! pipe-bench: 1-byte round trip: 2000 round trips, 12345.67 instructions, 8.00 kernel entries, 4.00 address-space switches each
//! pipe-bench: throughput, 4 KiB writes: 4096 writes, 5678.00 instructions, 2.00 kernel entries, 1.00 address-space switches each, 721.35 MB/s at one instruction per nanosecond
//! ```
//!
//! The same program is its own peer: `pipe-bench echo` copies descriptor 0 to 1 a byte at
//! a time; `pipe-bench sink` reads descriptor 0 to end of file and writes the byte count to
//! descriptor 1.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use libsys::bench::{self, measure};
use libsys::fd::Fd;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::{Errno, fd, pipe};

libsys::main!(main);

/// Round trips measured (after as many to warm up).
const ROUND_TRIPS: u64 = 2000;
/// Bytes moved per throughput measurement.
const THROUGHPUT_BYTES: usize = 16 << 20;

fn spawn_peer(role: &str, input: Fd, output: Fd, close: &[Fd]) -> Result<Pid, Errno> {
    let mut actions = vec![FileAction::Dup2(input, 0), FileAction::Dup2(output, 1)];
    actions.extend(close.iter().map(|&descriptor| FileAction::Close(descriptor)));
    proc::spawn("pipe-bench", &["pipe-bench", role], &[], &actions, &SpawnAttributes::default())
}

fn reap(pid: Pid) -> Result<(), Errno> {
    let (_, status) = proc::waitpid(pid, 0)?;
    if proc::exited(status) && proc::exit_status(status) == 0 { Ok(()) } else { Err(Errno::Echild) }
}

fn round_trip(to_peer: Fd, from_peer: Fd) -> Result<(), Errno> {
    let mut byte = [0u8; 1];
    if fd::write(to_peer, b"x")? != 1 || fd::read(from_peer, &mut byte)? != 1 {
        return Err(Errno::Eio);
    }
    Ok(())
}

fn round_trips() -> Result<(), Errno> {
    let (peer_input, to_peer) = pipe::pipe()?;
    let (from_peer, peer_output) = pipe::pipe()?;
    let peer = spawn_peer("echo", peer_input, peer_output, &[to_peer, from_peer])?;
    fd::close(peer_input)?;
    fd::close(peer_output)?;
    for _ in 0..ROUND_TRIPS {
        round_trip(to_peer, from_peer)?;
    }
    let measured = measure(|| {
        for _ in 0..ROUND_TRIPS {
            round_trip(to_peer, from_peer)?;
        }
        Ok(())
    })?;
    fd::close(to_peer)?;
    fd::close(from_peer)?;
    reap(peer)?;
    bench::report("pipe-bench", "1-byte round trip", ROUND_TRIPS, "round trips", &measured);
    Ok(())
}

fn throughput(write_size: usize, label: &str) -> Result<(), Errno> {
    let (peer_input, to_peer) = pipe::pipe()?;
    let (from_peer, peer_output) = pipe::pipe()?;
    let peer = spawn_peer("sink", peer_input, peer_output, &[to_peer, from_peer])?;
    fd::close(peer_input)?;
    fd::close(peer_output)?;
    let block = vec![0x42u8; write_size];
    let writes = THROUGHPUT_BYTES / write_size;
    let mut report = [0u8; 32];
    let mut reported = 0;
    let measured = measure(|| {
        for _ in 0..writes {
            let mut rest = block.as_slice();
            while !rest.is_empty() {
                let written = fd::write(to_peer, rest)?;
                rest = &rest[written..];
            }
        }
        fd::close(to_peer)?;
        // The peer has read everything when it reports.
        reported = fd::read(from_peer, &mut report)?;
        Ok(())
    })?;
    fd::close(from_peer)?;
    reap(peer)?;
    if report[..reported] != *format!("{THROUGHPUT_BYTES}").as_bytes() {
        return Err(Errno::Eio);
    }
    bench::report_throughput(
        "pipe-bench",
        &format!("throughput, {label} writes"),
        writes as u64,
        "writes",
        &measured,
        THROUGHPUT_BYTES as u64,
    );
    Ok(())
}

/// `pipe-bench echo`: copy 0 to 1 a byte at a time until end of file.
fn echo() -> Result<(), Errno> {
    let mut byte = [0u8; 1];
    while fd::read(0, &mut byte)? == 1 {
        fd::write(1, &byte)?;
    }
    Ok(())
}

/// `pipe-bench sink`: read 0 to end of file, write the count to 1.
fn sink() -> Result<(), Errno> {
    let mut buffer = vec![0u8; 65536];
    let mut total = 0usize;
    loop {
        match fd::read(0, &mut buffer)? {
            0 => break,
            count => total += count,
        }
    }
    fd::write(1, format!("{total}").as_bytes())?;
    Ok(())
}

fn main() -> Result<(), Errno> {
    let arguments: Vec<&str> = libsys::env::args().collect();
    match arguments.get(1).copied() {
        Some("echo") => echo(),
        Some("sink") => sink(),
        Some(_) => Err(Errno::Einval),
        None => {
            round_trips()?;
            throughput(4096, "4 KiB")?;
            throughput(65536, "64 KiB")
        }
    }
}
