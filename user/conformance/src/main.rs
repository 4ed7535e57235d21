//! conformance: the conformance suite, checking Courier against the POSIX and Linux
//! behaviour of pipes, FIFOs, tmpfs, POSIX shared memory, the three System V families,
//! signals and processes (docs/conformance.md lists what it covers and what it does not).
//!
//! `conformance [NAME ...]` runs every case (or those named, or every case of an area when
//! a NAME is an area such as `pipe`) and prints one line per case, `conformance: ok NAME`
//! or `conformance: FAIL NAME: reason`, then `conformance: N passed, N failed`; the exit
//! status is the number of failures (at most 255).
//!
//! # Isolation
//!
//! Each case runs in a process of its own (`conformance case NAME`), in a new process
//! group, so a case that crashes fails alone and a case that hangs is ended: the driver
//! waits for it until [`CASE_DEADLINE`], then kills its whole group with SIGKILL and
//! reports `FAIL NAME: no answer within ...`. Cases that need helper processes spawn
//! `conformance child MODE ARGUMENT...` (see [`framework::Child`]); each area module
//! answers the modes it defines in its `child` function.
//!
//! The expected values, errno included, come from the Linux man pages and the behaviour of
//! Linux 6.1; where Courier knowingly differs, the case is absent and docs/conformance.md
//! says so.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod fifos;
mod files;
mod framework;
mod message_queues;
mod pipes;
mod posix_shm;
mod processes;
mod semaphores;
mod signals;
mod sysv_shm;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use framework::{Case, PROGRAM};
use libsys::abi::signal::SIGKILL;
use libsys::proc::{self, SpawnAttributes, WNOHANG};
use libsys::time;

libsys::main!(main);

/// How long one case may take before the driver ends it.
const CASE_DEADLINE: Duration = Duration::from_secs(30);

/// An area of the suite: its name (the first part of each case's name), its cases, and the
/// child modes it answers.
struct Area {
    name: &'static str,
    cases: &'static [Case],
    child: fn(&str, &[&str]) -> Option<i32>,
}

/// Every area, in the order the suite runs them.
const AREAS: [Area; 9] = [
    Area { name: "pipe", cases: pipes::CASES, child: pipes::child },
    Area { name: "fifo", cases: fifos::CASES, child: fifos::child },
    Area { name: "tmpfs", cases: files::CASES, child: files::child },
    Area { name: "posix-shm", cases: posix_shm::CASES, child: posix_shm::child },
    Area { name: "msg", cases: message_queues::CASES, child: message_queues::child },
    Area { name: "sem", cases: semaphores::CASES, child: semaphores::child },
    Area { name: "shm", cases: sysv_shm::CASES, child: sysv_shm::child },
    Area { name: "signal", cases: signals::CASES, child: signals::child },
    Area { name: "process", cases: processes::CASES, child: processes::child },
];

/// The full name of a case: `area/case`.
fn full_name(area: &Area, case: &Case) -> String {
    format!("{}/{}", area.name, case.name)
}

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    match arguments.first().copied() {
        Some("case") => run_one(arguments.get(1).copied().unwrap_or("")),
        Some("child") => run_child(&arguments[1..]),
        _ => run_all(&arguments),
    }
}

/// `conformance case NAME`: runs one case in this process; prints its line only when it
/// fails (the driver prints the `ok`).
fn run_one(name: &str) -> i32 {
    for area in &AREAS {
        for case in area.cases {
            if full_name(area, case) == name {
                return match (case.run)() {
                    Ok(()) => 0,
                    Err(reason) => {
                        libsys::println!("{PROGRAM}: FAIL {name}: {reason}");
                        1
                    }
                };
            }
        }
    }
    libsys::eprintln!("{PROGRAM}: no case {name:?}");
    2
}

/// `conformance child MODE ARGUMENT...`: a helper process of some case.
fn run_child(arguments: &[&str]) -> i32 {
    let Some((&mode, rest)) = arguments.split_first() else {
        libsys::eprintln!("{PROGRAM}: child: no mode");
        return 2;
    };
    for area in &AREAS {
        if let Some(status) = (area.child)(mode, rest) {
            return status;
        }
    }
    libsys::eprintln!("{PROGRAM}: child: no mode {mode:?}");
    2
}

/// Whether `name` was asked for by `selection` (everything when it is empty).
fn selected(selection: &[&str], area: &Area, name: &str) -> bool {
    selection.is_empty() || selection.iter().any(|&wanted| wanted == name || wanted == area.name)
}

/// Runs the selected cases, each in a process of its own.
fn run_all(selection: &[&str]) -> i32 {
    let (mut passed, mut failed) = (0u32, 0u32);
    for area in &AREAS {
        for case in area.cases {
            let name = full_name(area, case);
            if !selected(selection, area, &name) {
                continue;
            }
            match run_isolated(&name) {
                Ok(()) => {
                    passed += 1;
                    libsys::println!("{PROGRAM}: ok {name}");
                }
                Err(Some(reason)) => {
                    failed += 1;
                    libsys::println!("{PROGRAM}: FAIL {name}: {reason}");
                }
                // The case printed its own reason.
                Err(None) => failed += 1,
            }
        }
    }
    if passed + failed == 0 {
        libsys::println!("{PROGRAM}: no case matches {selection:?}");
        return 1;
    }
    libsys::println!("{PROGRAM}: {passed} passed, {failed} failed");
    failed.min(255) as i32
}

/// Runs `conformance case NAME` and judges it: `Err(None)` when the case failed and said
/// why, `Err(Some(reason))` when it could not say (it crashed, hung or never started).
fn run_isolated(name: &str) -> Result<(), Option<String>> {
    let attributes = SpawnAttributes { process_group: Some(0), new_session: false };
    let pid = proc::spawn(PROGRAM, &[PROGRAM, "case", name], &[], &[], &attributes)
        .map_err(|error| Some(format!("cannot start the case: {}", error.name())))?;
    let deadline = time::monotonic() + CASE_DEADLINE;
    loop {
        match proc::waitpid(pid, WNOHANG) {
            Ok((0, _)) => {}
            Ok((_, status)) => {
                // Whatever the case left behind in its group goes with it.
                let _ = proc::kill(-pid, SIGKILL);
                return judge(status);
            }
            Err(error) => return Err(Some(format!("waitpid: {}", error.name()))),
        }
        if time::monotonic() >= deadline {
            let _ = proc::kill(-pid, SIGKILL);
            let _ = proc::waitpid(pid, 0);
            return Err(Some(format!("no answer within {} s", CASE_DEADLINE.as_secs())));
        }
        let _ = time::nanosleep(Duration::from_millis(5));
    }
}

/// A case process's wait status as a verdict.
fn judge(status: i32) -> Result<(), Option<String>> {
    if proc::exited(status) {
        match proc::exit_status(status) {
            0 => Ok(()),
            1 => Err(None),
            code => Err(Some(format!("the case process exited with {code}"))),
        }
    } else {
        Err(Some(format!("the case process was {}", framework::describe(status))))
    }
}
