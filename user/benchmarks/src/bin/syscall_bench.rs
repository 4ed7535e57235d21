//! syscall-bench: the cheapest calls for `make bench`, run as init's program
//! (`init=syscall-bench`) under QEMU's `-icount shift=0,sleep=off`:
//!
//! - `getppid()`, Linux's usual null system call. On Courier the parent is proc's to know,
//!   so it is a call to proc and its answer: one IPC round trip with proc's work;
//! - the cheapest kernel entry, `ThreadYield` with nothing else to run (the kernel's own
//!   null system call).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::{Errno, bench};

libsys::main!(main);

/// Operations measured (after as many to warm up).
const OPERATIONS: u64 = 2000;

fn main() -> Result<(), Errno> {
    for _ in 0..OPERATIONS {
        libsys::proc::getppid()?;
    }
    let measured = bench::measure(|| {
        for _ in 0..OPERATIONS {
            libsys::proc::getppid()?;
        }
        Ok(())
    })?;
    bench::report("syscall-bench", "null system call (getppid)", OPERATIONS, "calls", &measured);
    let measured = bench::measure(|| {
        for _ in 0..OPERATIONS {
            libsys::process::yield_now();
        }
        Ok(())
    })?;
    bench::report("syscall-bench", "kernel entry (ThreadYield)", OPERATIONS, "calls", &measured);
    Ok(())
}
