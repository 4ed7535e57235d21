//! The calling process: exit and yield.

use courier_abi::Syscall;

use crate::arch;

/// Ends the calling process with `status` (the low 8 bits are kept, as on Linux).
pub fn exit(status: i32) -> ! {
    // The status travels as the bits of an i32 in a machine word.
    let word = status as u32 as usize;
    loop {
        // ProcessExit does not return; the loop satisfies the type checker and would only
        // repeat if the kernel were to refuse the call.
        let _ = arch::syscall(Syscall::ProcessExit.number(), [word, 0, 0, 0, 0, 0]);
    }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    let _ = arch::syscall(Syscall::ThreadYield.number(), [0; 6]);
}

/// Issues a raw system call by number, for tests of the kernel's argument checking.
pub fn raw_syscall(number: usize, arguments: [usize; 6]) -> arch::SyscallReturn {
    arch::syscall(number, arguments)
}
