//! aarch64 system call stubs, program entry and deliberate-fault primitives.
//!
//! Slots to registers (see `docs/abi.md`): number in `x8`; `a0`..`a5` in `x0`..`x5`;
//! status `r0` back in `x0`, results `r1`..`r5` in `x1`..`x5`. `svc #0` traps to the kernel.

use super::SyscallReturn;

core::arch::global_asm!(
    ".section .text.entry, \"ax\"",
    ".global _start",
    "_start:",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    bl {start}",
    "    udf #0",
    start = sym crate::runtime::start,
);

/// Issues system call `number` with argument slots `a0`..`a5`.
#[inline(always)]
pub fn syscall(number: usize, arguments: [usize; 6]) -> SyscallReturn {
    let status: usize;
    let results: [usize; 5];
    // SAFETY: `svc #0` transfers to the kernel, which reads only the registers named here,
    // writes only the listed outputs, never touches this program's stack, and returns to
    // the next instruction.
    unsafe {
        let (r1, r2, r3, r4, r5);
        core::arch::asm!(
            "svc #0",
            in("x8") number,
            inlateout("x0") arguments[0] => status,
            inlateout("x1") arguments[1] => r1,
            inlateout("x2") arguments[2] => r2,
            inlateout("x3") arguments[3] => r3,
            inlateout("x4") arguments[4] => r4,
            inlateout("x5") arguments[5] => r5,
            options(nostack),
        );
        results = [r1, r2, r3, r4, r5];
    }
    SyscallReturn { status, results }
}

/// Reads one byte at `address` without any check, to provoke a fault on purpose.
pub fn read_byte_at(address: usize) -> u8 {
    let value: u32;
    // SAFETY: this deliberately performs an access the program may not be allowed to do.
    // The asm reads one byte and touches no other state; if the address is not readable
    // the kernel ends the program, which is the purpose of this function.
    unsafe {
        core::arch::asm!("ldrb {value:w}, [{address}]", address = in(reg) address,
            value = out(reg) value, options(nostack, readonly));
    }
    value as u8
}

/// Writes one byte at `address` without any check, to provoke a fault on purpose.
pub fn write_byte_at(address: usize, value: u8) {
    // SAFETY: as for `read_byte_at`: a deliberate, possibly faulting, one-byte store that
    // the compiler is told nothing about; callers use it only on addresses they do not
    // otherwise use, so no Rust-visible memory changes behind the compiler's back.
    unsafe {
        core::arch::asm!("strb {value:w}, [{address}]", address = in(reg) address,
            value = in(reg) u32::from(value), options(nostack));
    }
}

/// Jumps to `address`, to provoke an instruction-fetch fault on purpose.
pub fn jump_to(address: usize) -> ! {
    // SAFETY: control never comes back: either the fetch faults and the kernel ends the
    // program, or (if the caller chose a valid address) execution continues there, which
    // is what was asked for.
    unsafe { core::arch::asm!("br {address}", address = in(reg) address, options(noreturn)) }
}

/// Executes an instruction that only the kernel may execute (a read of `TTBR1_EL1`).
pub fn execute_privileged_instruction() {
    // SAFETY: at EL0 reading TTBR1_EL1 is undefined and traps to the kernel, which ends
    // the program; the destination register is a declared output.
    unsafe {
        core::arch::asm!("mrs {scratch}, ttbr1_el1", scratch = out(reg) _, options(nomem, nostack));
    }
}
