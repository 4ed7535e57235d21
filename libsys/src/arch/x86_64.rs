//! x86_64 system call stubs, program entry and deliberate-fault primitives.
//!
//! Slots to registers (see `docs/abi.md`): number in `rax`; `a0`..`a7` in `rdi`, `rsi`,
//! `rdx`, `r10`, `r8`, `r9`, `r12`, `r13`; status `r0` back in `rax`, results `r1`..`r7`
//! in `rdi`, `rsi`, `rdx`, `r10`, `r8`, `r9`, `r12`. The `syscall` instruction itself
//! clobbers `rcx` and `r11`.

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

/// Issues system call `number` with argument slots `a0`..`a7`.
#[inline(always)]
pub fn syscall(number: usize, arguments: [usize; 8]) -> SyscallReturn {
    let status: usize;
    let results: [usize; 7];
    // SAFETY: the `syscall` instruction transfers to the kernel, which reads only the
    // registers named here, writes only the output registers listed (plus rcx and r11,
    // declared clobbered), never touches this program's stack, and returns to the next
    // instruction. Memory the call reads or writes is named by the arguments and checked
    // by the kernel against this address space's page tables; `options` keeps the
    // compiler from assuming memory is untouched.
    unsafe {
        let (r1, r2, r3, r4, r5, r6, r7);
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") arguments[0] => r1,
            inlateout("rsi") arguments[1] => r2,
            inlateout("rdx") arguments[2] => r3,
            inlateout("r10") arguments[3] => r4,
            inlateout("r8") arguments[4] => r5,
            inlateout("r9") arguments[5] => r6,
            inlateout("r12") arguments[6] => r7,
            in("r13") arguments[7],
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
        results = [r1, r2, r3, r4, r5, r6, r7];
    }
    SyscallReturn { status, results }
}

/// Reads the time-stamp counter (instructions under QEMU's `-icount shift=0`).
pub fn read_counter() -> u64 {
    let low: u32;
    let high: u32;
    // SAFETY: rdtsc reads the counter into edx:eax and has no other effect (CR4.TSD is
    // clear, so it is allowed in user mode).
    unsafe { core::arch::asm!("rdtsc", out("eax") low, out("edx") high, options(nomem, nostack)) };
    (u64::from(high) << 32) | u64::from(low)
}

/// Instructions `ticks` of [`read_counter`] stand for under `-icount shift=0`: the TSC
/// advances once per instruction.
pub fn counter_ticks_to_instructions(ticks: u64) -> u64 {
    ticks
}

core::arch::global_asm!(
    // Upcall entry: the kernel enters with rdi = info, rsi = frame, rsp 16-byte aligned
    // minus 8 (as after a call). The handler never returns: it ends with UpcallReturn.
    ".section .text.upcall, \"ax\"",
    ".global courier_upcall_entry",
    "courier_upcall_entry:",
    "    and rsp, -16",
    "    call {dispatch}",
    "    ud2",
    ".text",
    dispatch = sym crate::upcall::dispatch,
);

unsafe extern "C" {
    fn courier_upcall_entry();
}

/// Address of the upcall entry point to register with the kernel.
pub fn upcall_entry_address() -> usize {
    courier_upcall_entry as *const () as usize
}

/// Reads the upcall info block the kernel wrote at `address`.
pub fn read_upcall_info(address: usize) -> courier_abi::process::UpcallInfo {
    // SAFETY: the kernel passes the address of an UpcallInfo it has just written on this
    // thread's stack, inside the frame it built, suitably aligned; it stays valid until
    // the handler returns with UpcallReturn.
    unsafe { (address as *const courier_abi::process::UpcallInfo).read() }
}

/// Reads the 64-bit word at `address` with a volatile access (shared memory).
pub fn read_word_at(address: usize) -> u64 {
    let value: u64;
    // SAFETY: callers pass addresses inside a mapping of a memory object they created
    // through `memory::MemoryObject::map` (the `Mapping` type guarantees it), which no
    // Rust object aliases; the access is aligned (checked by `Mapping`). If the mapping was
    // since removed, the kernel ends the program on the fault, which is not undefined
    // behaviour of this program.
    unsafe {
        core::arch::asm!("mov {value}, qword ptr [{address}]", address = in(reg) address, value = out(reg) value, options(nostack, readonly));
    }
    value
}

/// Writes the 64-bit word at `address` with a volatile access (shared memory).
pub fn write_word_at(address: usize, value: u64) {
    // SAFETY: as for `read_word_at`.
    unsafe {
        core::arch::asm!("mov qword ptr [{address}], {value}", address = in(reg) address, value = in(reg) value, options(nostack));
    }
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
