//! ps: the processes proc knows: pid, parent, process group, session and state.
//!
//! proc keeps no process names (`ProcessInfo` has none), so there is no name column.
//! There is no call that lists pids either: `ps` asks about every pid from 1 to its own
//! plus a margin (pids are handed out in increasing order).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::println;
use libsys::proc;

libsys::main!(main);

/// Pids above the caller's that are still asked about (children of earlier processes).
const MARGIN: i32 = 64;

fn main() -> i32 {
    let own = proc::getpid().unwrap_or(1);
    println!("{:>5} {:>5} {:>5} {:>5} STATE", "PID", "PPID", "PGID", "SID");
    for pid in 1..=own + MARGIN {
        if let Ok(info) = proc::process_info(pid) {
            let state = if info.zombie {
                "zombie"
            } else if info.stopped {
                "stopped"
            } else {
                "running"
            };
            println!(
                "{pid:>5} {:>5} {:>5} {:>5} {state}",
                info.parent, info.process_group, info.session
            );
        }
    }
    0
}
