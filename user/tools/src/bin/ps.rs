//! ps: every process proc knows, with its pid, parent, process group, session, state and
//! name (the image it was started from, as `/proc/<pid>/comm`).
//!
//! `ps` takes no arguments. The states are those of Linux's `ps` STAT column: `R` running
//! (or ready, or blocked in a call), `T` stopped, `Z` ended and not reaped yet.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::proc;
use libsys::{eprintln, println};

libsys::main!(main);

fn main() -> i32 {
    if libsys::env::args().count() > 1 {
        eprintln!("usage: ps");
        return 2;
    }
    println!("{:>5} {:>5} {:>5} {:>5} S COMMAND", "PID", "PPID", "PGID", "SID");
    let mut pid = 0;
    while let Ok(next) = proc::next_process(pid) {
        pid = next;
        // A process may end between the two calls.
        let Ok(info) = proc::process_info(pid) else { continue };
        let state = if info.zombie {
            'Z'
        } else if info.stopped {
            'T'
        } else {
            'R'
        };
        let name = proc::process_name(pid).unwrap_or_default();
        // As Linux's ps marks a zombie.
        let defunct = if info.zombie { " <defunct>" } else { "" };
        println!(
            "{pid:>5} {:>5} {:>5} {:>5} {state} {name}{defunct}",
            info.parent, info.process_group, info.session
        );
    }
    0
}
