//! sysv-bench: System V IPC costs for `make bench`, run as init's program
//! (`init=sysv-bench`) under QEMU's `-icount shift=0,sleep=off`, where the counter counts
//! instructions (of every process, the sysv server and the kernel). It measures:
//!
//! - a semaphore ping-pong between two processes: the parent raises semaphore 0 and waits
//!   on semaphore 1, the child waits on 0 and raises 1 (one operation is a round trip);
//! - an 8-byte message ping-pong between two processes over one queue (type 1 to the
//!   child, type 2 back);
//! - `msgsnd` + `msgrcv` of 8 bytes in one process with 10 and with 10,000 queues in
//!   existence (the cost must not grow with the number of queues).
//!
//! Each prints one line the harness reads, for example:
//!
//! ```text
//! sysv-bench: semaphore ping-pong: 2000 round trips, 12345.67 instructions, 8.00 kernel entries, 4.00 address-space switches each
//! ```
//!
//! `sysv-bench semaphore-peer ID` and `sysv-bench message-peer ID` are the children.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;

use libsys::Errno;
use libsys::bench::{self, Measured, measure};
use libsys::proc::{self, SpawnAttributes};
use libsys::sysv::{
    self, IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID, STATUS_WORDS, SemaphoreOperation,
};

libsys::main!(main);

/// Operations measured (after as many to warm up).
const OPERATIONS: u64 = 2000;

fn report(name: &str, unit: &str, measured: &Measured) {
    bench::report("sysv-bench", name, OPERATIONS, unit, measured);
}

fn operation(number: u16, operation: i16) -> SemaphoreOperation {
    SemaphoreOperation { number, operation, flags: 0 }
}

fn spawn_peer(role: &str, id: i32) -> Result<proc::Pid, Errno> {
    let id = format!("{id}");
    proc::spawn("sysv-bench", &["sysv-bench", role, &id], &[], &[], &SpawnAttributes::default())
}

fn reap(pid: proc::Pid) -> Result<(), Errno> {
    let (_, status) = proc::waitpid(pid, 0)?;
    if proc::exited(status) && proc::exit_status(status) == 0 { Ok(()) } else { Err(Errno::Echild) }
}

fn semaphore_ping_pong() -> Result<(), Errno> {
    let id = sysv::semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600)?;
    let peer = spawn_peer("semaphore-peer", id)?;
    let round_trip = || -> Result<(), Errno> {
        sysv::semop(id, &[operation(0, 1)])?;
        sysv::semop(id, &[operation(1, -1)])
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
    // Semaphore 0 at -1 ends the peer: it waits for 1 and sees the set removed.
    sysv::semctl(id, 0, IPC_RMID, 0)?;
    let _ = reap(peer);
    report("semaphore ping-pong", "round trips", &measured);
    Ok(())
}

/// The semaphore peer: wait on 0, raise 1, until the set is removed.
fn semaphore_peer(id: i32) -> Result<(), Errno> {
    loop {
        match sysv::semop(id, &[operation(0, -1)]) {
            Ok(()) => sysv::semop(id, &[operation(1, 1)])?,
            Err(Errno::Eidrm | Errno::Einval) => return Ok(()),
            Err(error) => return Err(error),
        }
    }
}

fn message_ping_pong() -> Result<(), Errno> {
    let id = sysv::msgget(IPC_PRIVATE, IPC_CREAT | 0o600)?;
    let peer = spawn_peer("message-peer", id)?;
    let mut buffer = [0u8; 8];
    let mut round_trip = || -> Result<(), Errno> {
        sysv::msgsnd(id, 1, b"pingpong", 0)?;
        let (length, _) = sysv::msgrcv(id, &mut buffer, 2, 0)?;
        if length != 8 { Err(Errno::Eio) } else { Ok(()) }
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
    let mut status = [0u64; STATUS_WORDS];
    sysv::msgctl(id, IPC_RMID, &mut status)?;
    let _ = reap(peer);
    report("8-byte message ping-pong", "round trips", &measured);
    Ok(())
}

/// The message peer: receive type 1, answer with type 2, until the queue is removed.
fn message_peer(id: i32) -> Result<(), Errno> {
    let mut buffer = [0u8; 8];
    loop {
        match sysv::msgrcv(id, &mut buffer, 1, 0) {
            Ok((length, _)) => sysv::msgsnd(id, 2, &buffer[..length], 0)?,
            Err(Errno::Eidrm | Errno::Einval) => return Ok(()),
            Err(error) => return Err(error),
        }
    }
}

/// `msgsnd` + `msgrcv` in one process with `queues` queues in existence.
fn many_queues(queues: usize) -> Result<(), Errno> {
    let mut ids = Vec::with_capacity(queues);
    for _ in 0..queues {
        ids.push(sysv::msgget(IPC_PRIVATE, IPC_CREAT | 0o600)?);
    }
    // The last queue made: the slot the longest way into the table.
    let id = *ids.last().ok_or(Errno::Einval)?;
    let mut buffer = [0u8; 8];
    let mut send_and_receive = || -> Result<(), Errno> {
        sysv::msgsnd(id, 1, b"12345678", IPC_NOWAIT)?;
        sysv::msgrcv(id, &mut buffer, 0, IPC_NOWAIT).map(|_| ())
    };
    for _ in 0..OPERATIONS {
        send_and_receive()?;
    }
    let measured = measure(|| {
        for _ in 0..OPERATIONS {
            send_and_receive()?;
        }
        Ok(())
    })?;
    let mut status = [0u64; STATUS_WORDS];
    for id in ids {
        sysv::msgctl(id, IPC_RMID, &mut status)?;
    }
    report(&format!("msgsnd+msgrcv with {queues} queues"), "pairs", &measured);
    Ok(())
}

fn main() -> Result<(), Errno> {
    let arguments: Vec<&str> = libsys::env::args().collect();
    let id = || arguments.get(2).and_then(|id| id.parse().ok()).ok_or(Errno::Einval);
    match arguments.get(1).copied() {
        Some("semaphore-peer") => semaphore_peer(id()?),
        Some("message-peer") => message_peer(id()?),
        Some(_) => Err(Errno::Einval),
        None => {
            semaphore_ping_pong()?;
            message_ping_pong()?;
            many_queues(10)?;
            many_queues(10_000)?;
            Ok(())
        }
    }
}
