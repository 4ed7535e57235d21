//! shm-bench: POSIX shared memory's cost for `make bench`, run as init's program
//! (`init=shm-bench`) under QEMU's `-icount shift=0,sleep=off`: one cycle is `shm_open`
//! (create), `ftruncate` to a page, `mmap`, a write to the page, `munmap`, `close` and
//! `shm_unlink`, the same cycle as Linux's side of the comparison. The tmpfs server's work
//! and the kernel's are counted.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::abi::fs::{O_CREAT, O_EXCL};
use libsys::abi::io::O_RDWR;
use libsys::fs::{self, PROT_READ, PROT_WRITE};
use libsys::{Errno, bench, fd};

libsys::main!(main);

/// Cycles measured (after as many to warm up).
const OPERATIONS: u64 = 2000;

/// The object's name.
const NAME: &str = "/shm-bench";

/// A page.
const PAGE: usize = 4096;

fn cycle() -> Result<(), Errno> {
    let descriptor = fs::shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0o600)?;
    fs::ftruncate(descriptor, PAGE as i64)?;
    let mapping = fs::mmap(PAGE, PROT_READ | PROT_WRITE, descriptor, 0)?;
    if !mapping.write_bytes(0, &[1]) {
        return Err(Errno::Efault);
    }
    fs::munmap(mapping)?;
    fd::close(descriptor)?;
    fs::shm_unlink(NAME)
}

fn main() -> Result<(), Errno> {
    for _ in 0..OPERATIONS {
        cycle()?;
    }
    let measured = bench::measure(|| {
        for _ in 0..OPERATIONS {
            cycle()?;
        }
        Ok(())
    })?;
    bench::report("shm-bench", "shm_open+mmap+munmap+unlink", OPERATIONS, "cycles", &measured);
    Ok(())
}
