//! aarch64 system call stubs, program entry and deliberate-fault primitives.
//!
//! Slots to registers (see `docs/abi.md`): number in `x8`; `a0`..`a7` in `x0`..`x7`;
//! status `r0` back in `x0`, results `r1`..`r7` in `x1`..`x7`. `svc #0` traps to the
//! kernel.

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

/// Issues system call `number` with argument slots `a0`..`a7`.
#[inline(always)]
pub fn syscall(number: usize, arguments: [usize; 8]) -> SyscallReturn {
    let status: usize;
    let results: [usize; 7];
    // SAFETY: `svc #0` transfers to the kernel, which reads only the registers named here,
    // writes only the listed outputs, never touches this program's stack, and returns to
    // the next instruction. Memory the call reads or writes is named by the arguments and
    // checked by the kernel; `options` keeps the compiler from assuming it is untouched.
    unsafe {
        let (r1, r2, r3, r4, r5, r6, r7);
        core::arch::asm!(
            "svc #0",
            in("x8") number,
            inlateout("x0") arguments[0] => status,
            inlateout("x1") arguments[1] => r1,
            inlateout("x2") arguments[2] => r2,
            inlateout("x3") arguments[3] => r3,
            inlateout("x4") arguments[4] => r4,
            inlateout("x5") arguments[5] => r5,
            inlateout("x6") arguments[6] => r6,
            inlateout("x7") arguments[7] => r7,
            options(nostack),
        );
        results = [r1, r2, r3, r4, r5, r6, r7];
    }
    SyscallReturn { status, results }
}

/// Reads the virtual counter (`CNTVCT_EL0`; under QEMU's `-icount shift=0` one tick per
/// instruction with `-cpu max`, whose counter runs at 1 GHz).
pub fn read_counter() -> u64 {
    let value: u64;
    // SAFETY: reading CNTVCT_EL0 at EL0 is allowed (the kernel sets CNTKCTL_EL1.EL0VCTEN)
    // and has no side effect; the isb keeps it in program order.
    unsafe { core::arch::asm!("isb", "mrs {value}, cntvct_el0", value = out(reg) value, options(nomem, nostack)) };
    value
}

/// The counter's frequency (`CNTFRQ_EL0`), to turn ticks into instructions or time.
pub fn counter_frequency() -> u64 {
    let value: u64;
    // SAFETY: reading CNTFRQ_EL0 at EL0 has no side effect.
    unsafe { core::arch::asm!("mrs {value}, cntfrq_el0", value = out(reg) value, options(nomem, nostack)) };
    value
}

/// Instructions `ticks` of [`read_counter`] stand for under `-icount shift=0`: one tick
/// is `1e9 / CNTFRQ` instructions (one with `-cpu max`, sixteen with Cortex-A72).
pub fn counter_ticks_to_instructions(ticks: u64) -> u64 {
    let frequency = counter_frequency().max(1);
    (u128::from(ticks) * 1_000_000_000 / u128::from(frequency)) as u64
}

core::arch::global_asm!(
    // Upcall entry: the kernel enters with x0 = info, x1 = frame, sp 16-byte aligned. The
    // handler never returns: it ends with UpcallReturn.
    ".section .text.upcall, \"ax\"",
    ".global courier_upcall_entry",
    "courier_upcall_entry:",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    bl {dispatch}",
    "    udf #1",
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
        core::arch::asm!("ldr {value}, [{address}]", address = in(reg) address, value = out(reg) value, options(nostack, readonly));
    }
    value
}

/// Writes the 64-bit word at `address` with a volatile access (shared memory).
pub fn write_word_at(address: usize, value: u64) {
    // SAFETY: as for `read_word_at`.
    unsafe {
        core::arch::asm!("str {value}, [{address}]", address = in(reg) address, value = in(reg) value, options(nostack));
    }
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
