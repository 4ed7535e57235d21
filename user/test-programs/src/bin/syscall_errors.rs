//! syscall-errors: bad system call arguments get error codes, never a crash.
//!
//! Each case issues a call with a bad argument and checks the error the kernel returns;
//! the program prints one line per case and `N passed, N failed`, and exits with 0 only
//! when every case passed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::KernelError;
use libsys::abi::layout::{PAGE_SIZE, STACK_BOTTOM, USER_SPACE_END};
use libsys::console;
use libsys::process::raw_syscall;

libsys::main!(main);

/// An address in the kernel half of every address space.
const KERNEL_ADDRESS: usize = 0xffff_ffff_8020_0000;

struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn check(&mut self, name: &str, got: Result<usize, KernelError>, want: KernelError) {
        if got == Err(want) {
            self.passed += 1;
            libsys::println!("syscall-errors: ok   {name}: {want}");
        } else {
            self.failed += 1;
            libsys::println!("syscall-errors: FAIL {name}: got {got:?}, want Err({want:?})");
        }
    }
}

fn main() -> i32 {
    let mut tally = Tally { passed: 0, failed: 0 };
    tally.check("write from null", console::write_raw(0, 8), KernelError::BadAddress);
    tally.check(
        "write from kernel memory",
        console::write_raw(KERNEL_ADDRESS, 8),
        KernelError::BadAddress,
    );
    tally.check(
        "write from the stack guard page",
        console::write_raw(STACK_BOTTOM - PAGE_SIZE, 8),
        KernelError::BadAddress,
    );
    tally.check(
        "write across the end of user space",
        console::write_raw(USER_SPACE_END - 4, 8),
        KernelError::BadAddress,
    );
    tally.check(
        "write with an overflowing length",
        console::write_raw(0x40_0000, usize::MAX),
        KernelError::BadAddress,
    );
    let unknown = raw_syscall(0xdead, [0; 8]).into_result().map(|results| results[0]);
    tally.check("unknown system call number", unknown, KernelError::UnknownSyscall);
    let zero = raw_syscall(0, [0; 8]).into_result().map(|results| results[0]);
    tally.check("system call number 0", zero, KernelError::UnknownSyscall);
    libsys::println!("syscall-errors: {} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 { 0 } else { 1 }
}
