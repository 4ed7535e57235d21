//! signal-bench: signal costs for `make bench`, run as init's program
//! (`init=signal-bench`) under QEMU's `-icount shift=0,sleep=off`, where the counter counts
//! instructions (of every process and the kernel: proc's and the pipe server's work is
//! included). It measures:
//!
//! - `kill(getpid(), SIGUSR1)` with a handler installed. A caught signal a process sends
//!   itself changes nothing proc keeps, so libsys delivers it without leaving the process
//!   (no kernel entry);
//! - `sigqueue(getpid(), SIGUSR1, value)`: the same signal through proc and the kernel's
//!   upcall (the request to proc, the upcall, the handler, the return to the interrupted
//!   code), which is the path every signal from another process takes;
//! - a signal to another process blocked in a pipe read: `kill(child, SIGUSR1)`; the
//!   child's read is interrupted, its handler writes one byte to a second pipe, the read
//!   restarts (`SA_RESTART`); the parent reads that byte, so one operation is a full
//!   round trip.
//!
//! Each prints one line the harness reads, for example:
//!
//! ```text
//! signal-bench: kill(self) -> handler -> return: 2000 signals, 4567.89 instructions, 4.00 kernel entries, 2.00 address-space switches each
//! ```
//!
//! `signal-bench blocked-reader` is the child: it blocks reading descriptor 0 and answers
//! each SIGUSR1 with a byte on descriptor 1.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libsys::abi::signal::{SA_RESTART, SIGUSR1};
use libsys::bench::{self, Measured, measure};
use libsys::proc::{self, FileAction, SpawnAttributes};
use libsys::signal::{self, Handler, SigAction, SignalSet};
use libsys::{Errno, fd, pipe};

libsys::main!(main);

/// Operations measured (after as many to warm up).
const OPERATIONS: u64 = 2000;

fn report(name: &str, unit: &str, measured: &Measured) {
    bench::report("signal-bench", name, OPERATIONS, unit, measured);
}

/// Handler runs seen by the parent.
static CAUGHT: AtomicU64 = AtomicU64::new(0);

fn count(_signal: u32) {
    CAUGHT.fetch_add(1, Ordering::Relaxed);
}

fn self_signals() -> Result<(), Errno> {
    let action = SigAction { handler: Handler::Simple(count), flags: 0, mask: SignalSet::EMPTY };
    signal::sigaction(SIGUSR1, Some(action))?;
    let pid = proc::getpid()?;
    for _ in 0..OPERATIONS {
        proc::kill(pid, SIGUSR1)?;
    }
    let before = CAUGHT.load(Ordering::Relaxed);
    let measured = measure(|| {
        for _ in 0..OPERATIONS {
            proc::kill(pid, SIGUSR1)?;
        }
        Ok(())
    })?;
    // Every signal ran the handler before kill returned.
    if CAUGHT.load(Ordering::Relaxed) - before != OPERATIONS {
        return Err(Errno::Eio);
    }
    report("kill(self) -> handler -> return", "signals", &measured);
    let before = CAUGHT.load(Ordering::Relaxed);
    let measured = measure(|| {
        for value in 0..OPERATIONS {
            signal::sigqueue(pid, SIGUSR1, value)?;
        }
        Ok(())
    })?;
    if CAUGHT.load(Ordering::Relaxed) - before != OPERATIONS {
        return Err(Errno::Eio);
    }
    report("sigqueue(self) through proc and an upcall -> handler -> return", "signals", &measured);
    Ok(())
}

fn blocked_reader_round_trips() -> Result<(), Errno> {
    let (child_input, to_child) = pipe::pipe()?;
    let (from_child, child_output) = pipe::pipe()?;
    let actions = vec![
        FileAction::Dup2(child_input, 0),
        FileAction::Dup2(child_output, 1),
        FileAction::Close(to_child),
        FileAction::Close(from_child),
    ];
    let child = proc::spawn(
        "signal-bench",
        &["signal-bench", "blocked-reader"],
        &[],
        &actions,
        &SpawnAttributes::default(),
    )?;
    fd::close(child_input)?;
    fd::close(child_output)?;
    // The child says it is ready (handler installed) with one byte.
    let mut byte = [0u8; 1];
    if fd::read(from_child, &mut byte)? != 1 {
        return Err(Errno::Eio);
    }
    let round_trip = || -> Result<(), Errno> {
        proc::kill(child, SIGUSR1)?;
        if fd::read(from_child, &mut [0u8; 1])? != 1 {
            return Err(Errno::Eio);
        }
        Ok(())
    };
    for _ in 0..OPERATIONS {
        round_trip()?;
    }
    let measured = measure(|| {
        for _ in 0..OPERATIONS {
            round_trip()?;
        }
        Ok(())
    })?;
    // End of file on its input ends the child.
    fd::close(to_child)?;
    let (_, status) = proc::waitpid(child, 0)?;
    fd::close(from_child)?;
    if !(proc::exited(status) && proc::exit_status(status) == 0) {
        return Err(Errno::Echild);
    }
    report(
        "signal to a process blocked in a pipe read, answered by a pipe write",
        "signals",
        &measured,
    );
    Ok(())
}

fn answer(_signal: u32) {
    // A full pipe or a closed reader ends the benchmark; the parent notices.
    let _ = fd::write(1, b"!");
}

/// `signal-bench blocked-reader`.
fn blocked_reader() -> Result<(), Errno> {
    let action =
        SigAction { handler: Handler::Simple(answer), flags: SA_RESTART, mask: SignalSet::EMPTY };
    signal::sigaction(SIGUSR1, Some(action))?;
    fd::write(1, b"r")?;
    let mut buffer = [0u8; 16];
    // Restarted after every handler; returns 0 when the parent closes its end.
    while fd::read(0, &mut buffer)? != 0 {}
    Ok(())
}

fn main() -> Result<(), Errno> {
    let arguments: Vec<&str> = libsys::env::args().collect();
    match arguments.get(1).copied() {
        Some("blocked-reader") => blocked_reader(),
        Some(_) => Err(Errno::Einval),
        None => {
            self_signals()?;
            blocked_reader_round_trips()
        }
    }
}
