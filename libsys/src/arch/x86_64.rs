//! x86_64 system call stubs, program entry and deliberate-fault primitives.
//!
//! Slots to registers (see `docs/abi.md`): number in `rax`; `a0`..`a5` in `rdi`, `rsi`,
//! `rdx`, `r10`, `r8`, `r9`; status `r0` back in `rax`, results `r1`..`r5` in `rdi`, `rsi`,
//! `rdx`, `r10`, `r8`. The `syscall` instruction itself clobbers `rcx` and `r11`.

use super::SyscallReturn;

core::arch::global_asm!(
    ".section .text.entry, \"ax\"",
    ".global _start",
    "_start:",
    "    xor ebp, ebp",
    "    and rsp, -16",
    "    call {start}",
    "    ud2",
    start = sym crate::runtime::start,
);

/// Issues system call `number` with argument slots `a0`..`a5`.
#[inline(always)]
pub fn syscall(number: usize, arguments: [usize; 6]) -> SyscallReturn {
    let status: usize;
    let results: [usize; 5];
    // SAFETY: the `syscall` instruction transfers to the kernel, which reads only the
    // registers named here, writes only the output registers listed (plus rcx and r11,
    // declared clobbered), never touches this program's stack, and returns to the next
    // instruction. A call that would write user memory (none do so far) is checked by
    // the kernel against this address space's page tables.
    unsafe {
        let (r1, r2, r3, r4, r5);
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") arguments[0] => r1,
            inlateout("rsi") arguments[1] => r2,
            inlateout("rdx") arguments[2] => r3,
            inlateout("r10") arguments[3] => r4,
            inlateout("r8") arguments[4] => r5,
            in("r9") arguments[5],
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
        results = [r1, r2, r3, r4, r5];
    }
    SyscallReturn { status, results }
}

/// Reads one byte at `address` without any check, to provoke a fault on purpose.
pub fn read_byte_at(address: usize) -> u8 {
    let value: u8;
    // SAFETY: this deliberately performs an access the program may not be allowed to do.
    // The asm reads one byte and touches no other state; if the address is not readable
    // the kernel ends the program, which is the purpose of this function.
    unsafe {
        core::arch::asm!("mov {value}, byte ptr [{address}]", address = in(reg) address,
            value = out(reg_byte) value, options(nostack, readonly));
    }
    value
}

/// Writes one byte at `address` without any check, to provoke a fault on purpose.
pub fn write_byte_at(address: usize, value: u8) {
    // SAFETY: as for `read_byte_at`: a deliberate, possibly faulting, one-byte store that
    // the compiler is told nothing about; callers use it only on addresses they do not
    // otherwise use, so no Rust-visible memory changes behind the compiler's back.
    unsafe {
        core::arch::asm!("mov byte ptr [{address}], {value}", address = in(reg) address,
            value = in(reg_byte) value, options(nostack));
    }
}

/// Jumps to `address`, to provoke an instruction-fetch fault on purpose.
pub fn jump_to(address: usize) -> ! {
    // SAFETY: control never comes back: either the fetch faults and the kernel ends the
    // program, or (if the caller chose a valid address) execution continues there, which
    // is what was asked for.
    unsafe { core::arch::asm!("jmp {address}", address = in(reg) address, options(noreturn)) }
}

/// Executes an instruction that only the kernel may execute (`hlt`).
pub fn execute_privileged_instruction() {
    // SAFETY: in user mode `hlt` raises a general-protection fault and does nothing else;
    // the kernel ends the program.
    unsafe { core::arch::asm!("hlt", options(nomem, nostack)) }
}
