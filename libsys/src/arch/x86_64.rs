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

/// Loads a known pattern into every general register the compiler lets asm own and
/// into xmm0..xmm15, waits until the byte at `flag` becomes non-zero (an upcall handler
/// sets it), then checks every register still holds the pattern. Returns whether they all
/// did: the kernel must restore a thread's registers exactly after an upcall.
pub fn registers_survive_upcall(flag: &core::sync::atomic::AtomicU8) -> bool {
    let intact: u64;
    // SAFETY: the asm saves and restores rbx and rbp itself, declares every other register
    // it changes as clobbered, reads only the byte at `flag` (a live AtomicU8) and keeps
    // the stack untouched. SSE instructions are available to user mode (the kernel sets
    // CR4.OSFXSR and saves the SSE state per thread).
    unsafe {
        core::arch::asm!(
            "push rbx",
            "push rbp",
            "mov rax, 0x1111111111111111",
            "mov rbx, 0x2222222222222222",
            "mov rcx, 0x3333333333333333",
            "mov rdx, 0x4444444444444444",
            "mov rsi, 0x5555555555555555",
            "mov rbp, 0x6666666666666666",
            "mov r8,  0x8888888888888888",
            "mov r9,  0x9999999999999999",
            "mov r10, 0xaaaaaaaaaaaaaaaa",
            "mov r11, 0xbbbbbbbbbbbbbbbb",
            "mov r12, 0xcccccccccccccccc",
            "mov r13, 0xdddddddddddddddd",
            "mov r14, 0xeeeeeeeeeeeeeeee",
            "mov r15, 0xffffffffffffffff",
            "movq xmm0, rax", "movq xmm1, rbx", "movq xmm2, rcx", "movq xmm3, rdx",
            "movq xmm4, rsi", "movq xmm5, rbp", "movq xmm6, r8", "movq xmm7, r9",
            "movq xmm8, r10", "movq xmm9, r11", "movq xmm10, r12", "movq xmm11, r13",
            "movq xmm12, r14", "movq xmm13, r15", "movq xmm14, rax", "movq xmm15, rbx",
            "2:",
            "cmp byte ptr [rdi], 0",
            "je 2b",
            "mov rdi, 0x1111111111111111", "cmp rax, rdi", "jne 3f",
            "mov rdi, 0x2222222222222222", "cmp rbx, rdi", "jne 3f",
            "mov rdi, 0x3333333333333333", "cmp rcx, rdi", "jne 3f",
            "mov rdi, 0x4444444444444444", "cmp rdx, rdi", "jne 3f",
            "mov rdi, 0x5555555555555555", "cmp rsi, rdi", "jne 3f",
            "mov rdi, 0x6666666666666666", "cmp rbp, rdi", "jne 3f",
            "mov rdi, 0x8888888888888888", "cmp r8, rdi", "jne 3f",
            "mov rdi, 0x9999999999999999", "cmp r9, rdi", "jne 3f",
            "mov rdi, 0xaaaaaaaaaaaaaaaa", "cmp r10, rdi", "jne 3f",
            "mov rdi, 0xbbbbbbbbbbbbbbbb", "cmp r11, rdi", "jne 3f",
            "mov rdi, 0xcccccccccccccccc", "cmp r12, rdi", "jne 3f",
            "mov rdi, 0xdddddddddddddddd", "cmp r13, rdi", "jne 3f",
            "mov rdi, 0xeeeeeeeeeeeeeeee", "cmp r14, rdi", "jne 3f",
            "mov rdi, 0xffffffffffffffff", "cmp r15, rdi", "jne 3f",
            "movq rdi, xmm0", "cmp rdi, rax", "jne 3f",
            "movq rdi, xmm1", "cmp rdi, rbx", "jne 3f",
            "movq rdi, xmm2", "cmp rdi, rcx", "jne 3f",
            "movq rdi, xmm3", "cmp rdi, rdx", "jne 3f",
            "movq rdi, xmm4", "cmp rdi, rsi", "jne 3f",
            "movq rdi, xmm5", "cmp rdi, rbp", "jne 3f",
            "movq rdi, xmm6", "cmp rdi, r8", "jne 3f",
            "movq rdi, xmm7", "cmp rdi, r9", "jne 3f",
            "movq rdi, xmm8", "cmp rdi, r10", "jne 3f",
            "movq rdi, xmm9", "cmp rdi, r11", "jne 3f",
            "movq rdi, xmm10", "cmp rdi, r12", "jne 3f",
            "movq rdi, xmm11", "cmp rdi, r13", "jne 3f",
            "movq rdi, xmm12", "cmp rdi, r14", "jne 3f",
            "movq rdi, xmm13", "cmp rdi, r15", "jne 3f",
            "movq rdi, xmm14", "cmp rdi, rax", "jne 3f",
            "movq rdi, xmm15", "cmp rdi, rbx", "jne 3f",
            "mov rdi, 1",
            "3:",
            "pop rbp",
            "pop rbx",
            inout("rdi") core::ptr::from_ref(flag) as u64 => intact,
            out("rax") _, out("rcx") _, out("rdx") _, out("rsi") _,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            out("r12") _, out("r13") _, out("r14") _, out("r15") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    intact == 1
}

/// Overwrites every general register asm may own and xmm0..xmm15 with garbage (an upcall
/// handler calls this so that a kernel that failed to restore them would be caught).
pub fn clobber_registers() {
    // SAFETY: only registers declared clobbered change; no memory is touched.
    unsafe {
        core::arch::asm!(
            "mov rax, 0xdeadbeefdeadbeef",
            "mov rcx, rax", "mov rdx, rax", "mov rsi, rax", "mov rdi, rax",
            "mov r8, rax", "mov r9, rax", "mov r10, rax", "mov r11, rax",
            "mov r12, rax", "mov r13, rax", "mov r14, rax", "mov r15, rax",
            "movq xmm0, rax", "movq xmm1, rax", "movq xmm2, rax", "movq xmm3, rax",
            "movq xmm4, rax", "movq xmm5, rax", "movq xmm6, rax", "movq xmm7, rax",
            "movq xmm8, rax", "movq xmm9, rax", "movq xmm10, rax", "movq xmm11, rax",
            "movq xmm12, rax", "movq xmm13, rax", "movq xmm14, rax", "movq xmm15, rax",
            out("rax") _, out("rcx") _, out("rdx") _, out("rsi") _, out("rdi") _,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            out("r12") _, out("r13") _, out("r14") _, out("r15") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            options(nomem, nostack),
        );
    }
}
