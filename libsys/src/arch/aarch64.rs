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
    unsafe {
        core::arch::asm!("isb", "mrs {value}, cntvct_el0", value = out(reg) value, options(nomem, nostack));
    }
    value
}

/// The counter's frequency (`CNTFRQ_EL0`), to turn ticks into instructions or time.
pub fn counter_frequency() -> u64 {
    let value: u64;
    // SAFETY: reading CNTFRQ_EL0 at EL0 has no side effect.
    unsafe {
        core::arch::asm!("mrs {value}, cntfrq_el0", value = out(reg) value, options(nomem, nostack));
    }
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

/// Loads a known pattern into x1..x28 (but x18) and v0..v31, waits until the byte at
/// `flag` becomes non-zero (an upcall handler sets it), then checks every register still
/// holds the pattern. Returns whether they all did: the kernel must restore a thread's
/// registers, FP/SIMD included, exactly after an upcall.
pub fn registers_survive_upcall(flag: &core::sync::atomic::AtomicU8) -> bool {
    let intact: u64;
    // SAFETY: the asm saves and restores x19 and x29 itself (the compiler reserves them),
    // declares every other register it changes as clobbered, reads only the byte at `flag`
    // (a live AtomicU8) and uses the stack only for its own pair of saved registers.
    unsafe {
        core::arch::asm!(
            "stp x19, x29, [sp, #-16]!",
            "movz x1, #0x0101, lsl #48", "movk x1, #0x0101, lsl #32", "movk x1, #0x0101, lsl #16", "movk x1, #0x0101",
            "movz x2, #0x0202, lsl #48", "movk x2, #0x0202, lsl #32", "movk x2, #0x0202, lsl #16", "movk x2, #0x0202",
            "movz x3, #0x0303, lsl #48", "movk x3, #0x0303, lsl #32", "movk x3, #0x0303, lsl #16", "movk x3, #0x0303",
            "movz x4, #0x0404, lsl #48", "movk x4, #0x0404, lsl #32", "movk x4, #0x0404, lsl #16", "movk x4, #0x0404",
            "movz x5, #0x0505, lsl #48", "movk x5, #0x0505, lsl #32", "movk x5, #0x0505, lsl #16", "movk x5, #0x0505",
            "movz x6, #0x0606, lsl #48", "movk x6, #0x0606, lsl #32", "movk x6, #0x0606, lsl #16", "movk x6, #0x0606",
            "movz x7, #0x0707, lsl #48", "movk x7, #0x0707, lsl #32", "movk x7, #0x0707, lsl #16", "movk x7, #0x0707",
            "movz x8, #0x0808, lsl #48", "movk x8, #0x0808, lsl #32", "movk x8, #0x0808, lsl #16", "movk x8, #0x0808",
            "movz x9, #0x0909, lsl #48", "movk x9, #0x0909, lsl #32", "movk x9, #0x0909, lsl #16", "movk x9, #0x0909",
            "movz x10, #0x0a0a, lsl #48", "movk x10, #0x0a0a, lsl #32", "movk x10, #0x0a0a, lsl #16", "movk x10, #0x0a0a",
            "movz x11, #0x0b0b, lsl #48", "movk x11, #0x0b0b, lsl #32", "movk x11, #0x0b0b, lsl #16", "movk x11, #0x0b0b",
            "movz x12, #0x0c0c, lsl #48", "movk x12, #0x0c0c, lsl #32", "movk x12, #0x0c0c, lsl #16", "movk x12, #0x0c0c",
            "movz x13, #0x0d0d, lsl #48", "movk x13, #0x0d0d, lsl #32", "movk x13, #0x0d0d, lsl #16", "movk x13, #0x0d0d",
            "movz x14, #0x0e0e, lsl #48", "movk x14, #0x0e0e, lsl #32", "movk x14, #0x0e0e, lsl #16", "movk x14, #0x0e0e",
            "movz x15, #0x0f0f, lsl #48", "movk x15, #0x0f0f, lsl #32", "movk x15, #0x0f0f, lsl #16", "movk x15, #0x0f0f",
            "movz x16, #0x1010, lsl #48", "movk x16, #0x1010, lsl #32", "movk x16, #0x1010, lsl #16", "movk x16, #0x1010",
            "movz x17, #0x1111, lsl #48", "movk x17, #0x1111, lsl #32", "movk x17, #0x1111, lsl #16", "movk x17, #0x1111",
            "movz x19, #0x1313, lsl #48", "movk x19, #0x1313, lsl #32", "movk x19, #0x1313, lsl #16", "movk x19, #0x1313",
            "movz x20, #0x1414, lsl #48", "movk x20, #0x1414, lsl #32", "movk x20, #0x1414, lsl #16", "movk x20, #0x1414",
            "movz x21, #0x1515, lsl #48", "movk x21, #0x1515, lsl #32", "movk x21, #0x1515, lsl #16", "movk x21, #0x1515",
            "movz x22, #0x1616, lsl #48", "movk x22, #0x1616, lsl #32", "movk x22, #0x1616, lsl #16", "movk x22, #0x1616",
            "movz x23, #0x1717, lsl #48", "movk x23, #0x1717, lsl #32", "movk x23, #0x1717, lsl #16", "movk x23, #0x1717",
            "movz x24, #0x1818, lsl #48", "movk x24, #0x1818, lsl #32", "movk x24, #0x1818, lsl #16", "movk x24, #0x1818",
            "movz x25, #0x1919, lsl #48", "movk x25, #0x1919, lsl #32", "movk x25, #0x1919, lsl #16", "movk x25, #0x1919",
            "movz x26, #0x1a1a, lsl #48", "movk x26, #0x1a1a, lsl #32", "movk x26, #0x1a1a, lsl #16", "movk x26, #0x1a1a",
            "movz x27, #0x1b1b, lsl #48", "movk x27, #0x1b1b, lsl #32", "movk x27, #0x1b1b, lsl #16", "movk x27, #0x1b1b",
            "movz x28, #0x1c1c, lsl #48", "movk x28, #0x1c1c, lsl #32", "movk x28, #0x1c1c, lsl #16", "movk x28, #0x1c1c",
            "fmov d0, x1",
            "fmov d1, x2",
            "fmov d2, x3",
            "fmov d3, x4",
            "fmov d4, x5",
            "fmov d5, x6",
            "fmov d6, x7",
            "fmov d7, x8",
            "fmov d8, x9",
            "fmov d9, x10",
            "fmov d10, x11",
            "fmov d11, x12",
            "fmov d12, x13",
            "fmov d13, x14",
            "fmov d14, x15",
            "fmov d15, x16",
            "fmov d16, x17",
            "fmov d17, x19",
            "fmov d18, x20",
            "fmov d19, x21",
            "fmov d20, x22",
            "fmov d21, x23",
            "fmov d22, x24",
            "fmov d23, x25",
            "fmov d24, x26",
            "fmov d25, x27",
            "fmov d26, x28",
            "fmov d27, x1",
            "fmov d28, x2",
            "fmov d29, x3",
            "fmov d30, x4",
            "fmov d31, x5",
            "2:",
            "ldrb w29, [x0]",
            "cbz w29, 2b",
            "mov x0, #0",
            "movz x29, #0x0101, lsl #48", "movk x29, #0x0101, lsl #32", "movk x29, #0x0101, lsl #16", "movk x29, #0x0101", "cmp x1, x29", "b.ne 3f",
            "movz x29, #0x0202, lsl #48", "movk x29, #0x0202, lsl #32", "movk x29, #0x0202, lsl #16", "movk x29, #0x0202", "cmp x2, x29", "b.ne 3f",
            "movz x29, #0x0303, lsl #48", "movk x29, #0x0303, lsl #32", "movk x29, #0x0303, lsl #16", "movk x29, #0x0303", "cmp x3, x29", "b.ne 3f",
            "movz x29, #0x0404, lsl #48", "movk x29, #0x0404, lsl #32", "movk x29, #0x0404, lsl #16", "movk x29, #0x0404", "cmp x4, x29", "b.ne 3f",
            "movz x29, #0x0505, lsl #48", "movk x29, #0x0505, lsl #32", "movk x29, #0x0505, lsl #16", "movk x29, #0x0505", "cmp x5, x29", "b.ne 3f",
            "movz x29, #0x0606, lsl #48", "movk x29, #0x0606, lsl #32", "movk x29, #0x0606, lsl #16", "movk x29, #0x0606", "cmp x6, x29", "b.ne 3f",
            "movz x29, #0x0707, lsl #48", "movk x29, #0x0707, lsl #32", "movk x29, #0x0707, lsl #16", "movk x29, #0x0707", "cmp x7, x29", "b.ne 3f",
            "movz x29, #0x0808, lsl #48", "movk x29, #0x0808, lsl #32", "movk x29, #0x0808, lsl #16", "movk x29, #0x0808", "cmp x8, x29", "b.ne 3f",
            "movz x29, #0x0909, lsl #48", "movk x29, #0x0909, lsl #32", "movk x29, #0x0909, lsl #16", "movk x29, #0x0909", "cmp x9, x29", "b.ne 3f",
            "movz x29, #0x0a0a, lsl #48", "movk x29, #0x0a0a, lsl #32", "movk x29, #0x0a0a, lsl #16", "movk x29, #0x0a0a", "cmp x10, x29", "b.ne 3f",
            "movz x29, #0x0b0b, lsl #48", "movk x29, #0x0b0b, lsl #32", "movk x29, #0x0b0b, lsl #16", "movk x29, #0x0b0b", "cmp x11, x29", "b.ne 3f",
            "movz x29, #0x0c0c, lsl #48", "movk x29, #0x0c0c, lsl #32", "movk x29, #0x0c0c, lsl #16", "movk x29, #0x0c0c", "cmp x12, x29", "b.ne 3f",
            "movz x29, #0x0d0d, lsl #48", "movk x29, #0x0d0d, lsl #32", "movk x29, #0x0d0d, lsl #16", "movk x29, #0x0d0d", "cmp x13, x29", "b.ne 3f",
            "movz x29, #0x0e0e, lsl #48", "movk x29, #0x0e0e, lsl #32", "movk x29, #0x0e0e, lsl #16", "movk x29, #0x0e0e", "cmp x14, x29", "b.ne 3f",
            "movz x29, #0x0f0f, lsl #48", "movk x29, #0x0f0f, lsl #32", "movk x29, #0x0f0f, lsl #16", "movk x29, #0x0f0f", "cmp x15, x29", "b.ne 3f",
            "movz x29, #0x1010, lsl #48", "movk x29, #0x1010, lsl #32", "movk x29, #0x1010, lsl #16", "movk x29, #0x1010", "cmp x16, x29", "b.ne 3f",
            "movz x29, #0x1111, lsl #48", "movk x29, #0x1111, lsl #32", "movk x29, #0x1111, lsl #16", "movk x29, #0x1111", "cmp x17, x29", "b.ne 3f",
            "movz x29, #0x1313, lsl #48", "movk x29, #0x1313, lsl #32", "movk x29, #0x1313, lsl #16", "movk x29, #0x1313", "cmp x19, x29", "b.ne 3f",
            "movz x29, #0x1414, lsl #48", "movk x29, #0x1414, lsl #32", "movk x29, #0x1414, lsl #16", "movk x29, #0x1414", "cmp x20, x29", "b.ne 3f",
            "movz x29, #0x1515, lsl #48", "movk x29, #0x1515, lsl #32", "movk x29, #0x1515, lsl #16", "movk x29, #0x1515", "cmp x21, x29", "b.ne 3f",
            "movz x29, #0x1616, lsl #48", "movk x29, #0x1616, lsl #32", "movk x29, #0x1616, lsl #16", "movk x29, #0x1616", "cmp x22, x29", "b.ne 3f",
            "movz x29, #0x1717, lsl #48", "movk x29, #0x1717, lsl #32", "movk x29, #0x1717, lsl #16", "movk x29, #0x1717", "cmp x23, x29", "b.ne 3f",
            "movz x29, #0x1818, lsl #48", "movk x29, #0x1818, lsl #32", "movk x29, #0x1818, lsl #16", "movk x29, #0x1818", "cmp x24, x29", "b.ne 3f",
            "movz x29, #0x1919, lsl #48", "movk x29, #0x1919, lsl #32", "movk x29, #0x1919, lsl #16", "movk x29, #0x1919", "cmp x25, x29", "b.ne 3f",
            "movz x29, #0x1a1a, lsl #48", "movk x29, #0x1a1a, lsl #32", "movk x29, #0x1a1a, lsl #16", "movk x29, #0x1a1a", "cmp x26, x29", "b.ne 3f",
            "movz x29, #0x1b1b, lsl #48", "movk x29, #0x1b1b, lsl #32", "movk x29, #0x1b1b, lsl #16", "movk x29, #0x1b1b", "cmp x27, x29", "b.ne 3f",
            "movz x29, #0x1c1c, lsl #48", "movk x29, #0x1c1c, lsl #32", "movk x29, #0x1c1c, lsl #16", "movk x29, #0x1c1c", "cmp x28, x29", "b.ne 3f",
            "fmov x29, d0", "cmp x29, x1", "b.ne 3f",
            "fmov x29, d1", "cmp x29, x2", "b.ne 3f",
            "fmov x29, d2", "cmp x29, x3", "b.ne 3f",
            "fmov x29, d3", "cmp x29, x4", "b.ne 3f",
            "fmov x29, d4", "cmp x29, x5", "b.ne 3f",
            "fmov x29, d5", "cmp x29, x6", "b.ne 3f",
            "fmov x29, d6", "cmp x29, x7", "b.ne 3f",
            "fmov x29, d7", "cmp x29, x8", "b.ne 3f",
            "fmov x29, d8", "cmp x29, x9", "b.ne 3f",
            "fmov x29, d9", "cmp x29, x10", "b.ne 3f",
            "fmov x29, d10", "cmp x29, x11", "b.ne 3f",
            "fmov x29, d11", "cmp x29, x12", "b.ne 3f",
            "fmov x29, d12", "cmp x29, x13", "b.ne 3f",
            "fmov x29, d13", "cmp x29, x14", "b.ne 3f",
            "fmov x29, d14", "cmp x29, x15", "b.ne 3f",
            "fmov x29, d15", "cmp x29, x16", "b.ne 3f",
            "fmov x29, d16", "cmp x29, x17", "b.ne 3f",
            "fmov x29, d17", "cmp x29, x19", "b.ne 3f",
            "fmov x29, d18", "cmp x29, x20", "b.ne 3f",
            "fmov x29, d19", "cmp x29, x21", "b.ne 3f",
            "fmov x29, d20", "cmp x29, x22", "b.ne 3f",
            "fmov x29, d21", "cmp x29, x23", "b.ne 3f",
            "fmov x29, d22", "cmp x29, x24", "b.ne 3f",
            "fmov x29, d23", "cmp x29, x25", "b.ne 3f",
            "fmov x29, d24", "cmp x29, x26", "b.ne 3f",
            "fmov x29, d25", "cmp x29, x27", "b.ne 3f",
            "fmov x29, d26", "cmp x29, x28", "b.ne 3f",
            "fmov x29, d27", "cmp x29, x1", "b.ne 3f",
            "fmov x29, d28", "cmp x29, x2", "b.ne 3f",
            "fmov x29, d29", "cmp x29, x3", "b.ne 3f",
            "fmov x29, d30", "cmp x29, x4", "b.ne 3f",
            "fmov x29, d31", "cmp x29, x5", "b.ne 3f",
            "mov x0, #1",
            "3:",
            "ldp x19, x29, [sp], #16",
            inout("x0") core::ptr::from_ref(flag) as u64 => intact,
            out("x1") _, out("x2") _, out("x3") _, out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _, out("x20") _, out("x21") _, out("x22") _, out("x23") _, out("x24") _, out("x25") _, out("x26") _, out("x27") _, out("x28") _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _, out("v4") _, out("v5") _, out("v6") _, out("v7") _, out("v8") _, out("v9") _, out("v10") _, out("v11") _, out("v12") _, out("v13") _, out("v14") _, out("v15") _, out("v16") _, out("v17") _, out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _, out("v24") _, out("v25") _, out("v26") _, out("v27") _, out("v28") _, out("v29") _, out("v30") _, out("v31") _,
        );
    }
    intact == 1
}

/// Overwrites x0..x17, x20..x28 and v0..v31 with garbage (an upcall handler calls this so
/// that a kernel that failed to restore them would be caught).
pub fn clobber_registers() {
    // SAFETY: only registers declared clobbered change; no memory is touched.
    unsafe {
        core::arch::asm!(
            "movz x0, #0xdead, lsl #48",
            "mov x1, x0",
            "mov x2, x0",
            "mov x3, x0",
            "mov x4, x0",
            "mov x5, x0",
            "mov x6, x0",
            "mov x7, x0",
            "mov x8, x0",
            "mov x9, x0",
            "mov x10, x0",
            "mov x11, x0",
            "mov x12, x0",
            "mov x13, x0",
            "mov x14, x0",
            "mov x15, x0",
            "mov x16, x0",
            "mov x17, x0",
            "mov x20, x0",
            "mov x21, x0",
            "mov x22, x0",
            "mov x23, x0",
            "mov x24, x0",
            "mov x25, x0",
            "mov x26, x0",
            "mov x27, x0",
            "mov x28, x0",
            "fmov d0, x0",
            "fmov d1, x0",
            "fmov d2, x0",
            "fmov d3, x0",
            "fmov d4, x0",
            "fmov d5, x0",
            "fmov d6, x0",
            "fmov d7, x0",
            "fmov d8, x0",
            "fmov d9, x0",
            "fmov d10, x0",
            "fmov d11, x0",
            "fmov d12, x0",
            "fmov d13, x0",
            "fmov d14, x0",
            "fmov d15, x0",
            "fmov d16, x0",
            "fmov d17, x0",
            "fmov d18, x0",
            "fmov d19, x0",
            "fmov d20, x0",
            "fmov d21, x0",
            "fmov d22, x0",
            "fmov d23, x0",
            "fmov d24, x0",
            "fmov d25, x0",
            "fmov d26, x0",
            "fmov d27, x0",
            "fmov d28, x0",
            "fmov d29, x0",
            "fmov d30, x0",
            "fmov d31, x0",
            out("x0") _, out("x1") _, out("x2") _, out("x3") _, out("x4") _, out("x5") _, out("x6") _, out("x7") _, out("x8") _, out("x9") _, out("x10") _, out("x11") _, out("x12") _, out("x13") _, out("x14") _, out("x15") _, out("x16") _, out("x17") _, out("x20") _, out("x21") _, out("x22") _, out("x23") _, out("x24") _, out("x25") _, out("x26") _, out("x27") _, out("x28") _,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _, out("v4") _, out("v5") _, out("v6") _, out("v7") _, out("v8") _, out("v9") _, out("v10") _, out("v11") _, out("v12") _, out("v13") _, out("v14") _, out("v15") _, out("v16") _, out("v17") _, out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _, out("v24") _, out("v25") _, out("v26") _, out("v27") _, out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            options(nomem, nostack),
        );
    }
}
