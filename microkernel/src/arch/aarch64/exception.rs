//! aarch64 exceptions: the vector table, the entry and exit paths, the saved user
//! context, and decoding of the exception syndrome.
//!
//! While a thread runs in EL0, `SP_EL1` points at its [`super::context::UserContext`], so an exception
//! from EL0 stores the registers straight into the thread (as seL4 does), then moves to
//! the kernel stack (from the per-CPU data in `TPIDR_EL1`) and calls [`trap_from_user`].
//! [`return_to_user`] restores whichever context is current and leaves `SP_EL1` pointing
//! at it. Exceptions taken at EL1 (interrupts while idle, or kernel faults) save a frame
//! of the same layout on the kernel stack and call [`trap_from_kernel`].

use core::arch::global_asm;

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{VBAR_EL1, Writeable};

use super::context::Registers;
use super::cpu::{self, per_cpu_offset};
use crate::trap::{AccessKind, FaultKind, Interrupt, UserFault, UserTrap};

/// `kind`: synchronous exception.
const KIND_SYNCHRONOUS: u64 = 0;
/// `kind`: IRQ.
const KIND_INTERRUPT: u64 = 1;
/// `kind`: FIQ.
const KIND_FAST_INTERRUPT: u64 = 2;
/// `kind`: SError.
const KIND_SYSTEM_ERROR: u64 = 3;

macro_rules! save_registers {
    () => {
        concat!(
            "stp x0, x1, [sp, #0]\n",
            "stp x2, x3, [sp, #16]\n",
            "stp x4, x5, [sp, #32]\n",
            "stp x6, x7, [sp, #48]\n",
            "stp x8, x9, [sp, #64]\n",
            "stp x10, x11, [sp, #80]\n",
            "stp x12, x13, [sp, #96]\n",
            "stp x14, x15, [sp, #112]\n",
            "stp x16, x17, [sp, #128]\n",
            "stp x18, x19, [sp, #144]\n",
            "stp x20, x21, [sp, #160]\n",
            "stp x22, x23, [sp, #176]\n",
            "stp x24, x25, [sp, #192]\n",
            "stp x26, x27, [sp, #208]\n",
            "stp x28, x29, [sp, #224]\n",
            "mrs x0, sp_el0\n",
            "stp x30, x0, [sp, #240]\n",
            "mrs x0, elr_el1\n",
            "mrs x1, spsr_el1\n",
            "stp x0, x1, [sp, #256]\n",
            "mrs x0, esr_el1\n",
            "mrs x1, far_el1\n",
            "stp x0, x1, [sp, #272]\n",
            "mrs x0, tpidr_el0\n",
            "str x0, [sp, #288]\n",
        )
    };
}

macro_rules! restore_registers {
    () => {
        concat!(
            "ldp x0, x1, [sp, #256]\n",
            "msr elr_el1, x0\n",
            "msr spsr_el1, x1\n",
            "ldr x0, [sp, #248]\n",
            "msr sp_el0, x0\n",
            "ldr x0, [sp, #288]\n",
            "msr tpidr_el0, x0\n",
            "ldp x2, x3, [sp, #16]\n",
            "ldp x4, x5, [sp, #32]\n",
            "ldp x6, x7, [sp, #48]\n",
            "ldp x8, x9, [sp, #64]\n",
            "ldp x10, x11, [sp, #80]\n",
            "ldp x12, x13, [sp, #96]\n",
            "ldp x14, x15, [sp, #112]\n",
            "ldp x16, x17, [sp, #128]\n",
            "ldp x18, x19, [sp, #144]\n",
            "ldp x20, x21, [sp, #160]\n",
            "ldp x22, x23, [sp, #176]\n",
            "ldp x24, x25, [sp, #192]\n",
            "ldp x26, x27, [sp, #208]\n",
            "ldp x28, x29, [sp, #224]\n",
            "ldr x30, [sp, #240]\n",
            "ldp x0, x1, [sp, #0]\n",
        )
    };
}

global_asm!(
    ".section .text.vectors, \"ax\"",
    ".balign 2048",
    ".global exception_vectors",
    "exception_vectors:",
    // Current EL with SP_EL0: never used (the kernel runs on SP_EL1).
    ".balign 128", "b kernel_entry_sync",
    ".balign 128", "b kernel_entry_sync",
    ".balign 128", "b kernel_entry_sync",
    ".balign 128", "b kernel_entry_sync",
    // Current EL with SP_ELx: kernel faults and interrupts while idle.
    ".balign 128", "b kernel_entry_sync",
    ".balign 128", "b kernel_entry_interrupt",
    ".balign 128", "b kernel_entry_sync",
    ".balign 128", "b kernel_entry_sync",
    // Lower EL, AArch64.
    ".balign 128", "b user_entry_sync",
    ".balign 128", "b user_entry_interrupt",
    ".balign 128", "b user_entry_fast_interrupt",
    ".balign 128", "b user_entry_system_error",
    // Lower EL, AArch32 (never run): treated as faults of the current thread.
    ".balign 128", "b user_entry_sync",
    ".balign 128", "b user_entry_interrupt",
    ".balign 128", "b user_entry_fast_interrupt",
    ".balign 128", "b user_entry_system_error",

    "user_entry_sync:",
    save_registers!(),
    "mov x0, #{synchronous}",
    "b user_entry_common",
    "user_entry_interrupt:",
    save_registers!(),
    "mov x0, #{interrupt}",
    "b user_entry_common",
    "user_entry_fast_interrupt:",
    save_registers!(),
    "mov x0, #{fast_interrupt}",
    "b user_entry_common",
    "user_entry_system_error:",
    save_registers!(),
    "mov x0, #{system_error}",
    "user_entry_common:",
    "str x0, [sp, #296]",
    "mrs x1, tpidr_el1",
    "ldr x1, [x1, #{kernel_stack_top}]",
    "mov sp, x1",
    "mov x29, xzr",
    "bl {trap_from_user}",
    ".global return_to_user",
    "return_to_user:",
    "mrs x1, tpidr_el1",
    "ldr x1, [x1, #{current_context}]",
    "mov sp, x1",
    restore_registers!(),
    "eret",

    "kernel_entry_sync:",
    "sub sp, sp, #{context_size}",
    save_registers!(),
    "mov x0, #{synchronous}",
    "b kernel_entry_common",
    "kernel_entry_interrupt:",
    "sub sp, sp, #{context_size}",
    save_registers!(),
    "mov x0, #{interrupt}",
    "kernel_entry_common:",
    "str x0, [sp, #296]",
    // The frame's sp slot: the kernel stack pointer before the frame.
    "add x1, sp, #{context_size}",
    "str x1, [sp, #248]",
    "mov x0, sp",
    "bl {trap_from_kernel}",
    restore_registers!(),
    "add sp, sp, #{context_size}",
    "eret",
    ".text",
    synchronous = const KIND_SYNCHRONOUS,
    interrupt = const KIND_INTERRUPT,
    fast_interrupt = const KIND_FAST_INTERRUPT,
    system_error = const KIND_SYSTEM_ERROR,
    kernel_stack_top = const per_cpu_offset::KERNEL_STACK_TOP,
    current_context = const per_cpu_offset::CURRENT_CONTEXT,
    context_size = const size_of::<Registers>(),
    trap_from_user = sym trap_from_user,
    trap_from_kernel = sym trap_from_kernel,
);

unsafe extern "C" {
    static exception_vectors: u8;
    fn return_to_user() -> !;
}

/// Installs the vector table.
pub fn install_vectors() {
    VBAR_EL1.set((&raw const exception_vectors) as u64);
    barrier::isb(barrier::SY);
}

/// Resumes the current thread in EL0.
pub fn resume_user() -> ! {
    // SAFETY: the per-CPU current-context pointer names a valid UserContext whose pstate
    // selects EL0 (the kernel only ever stores user PSTATE values there).
    unsafe { return_to_user() }
}

/// Exception classes (ESR_EL1.EC) Courier distinguishes.
mod class {
    pub const UNKNOWN: u64 = 0x00;
    pub const TRAPPED_WAIT: u64 = 0x01;
    pub const FLOATING_POINT_ACCESS: u64 = 0x07;
    pub const ILLEGAL_STATE: u64 = 0x0e;
    pub const SUPERVISOR_CALL: u64 = 0x15;
    pub const SYSTEM_REGISTER: u64 = 0x18;
    pub const INSTRUCTION_ABORT_LOWER: u64 = 0x20;
    pub const INSTRUCTION_ABORT_SAME: u64 = 0x21;
    pub const PC_ALIGNMENT: u64 = 0x22;
    pub const DATA_ABORT_LOWER: u64 = 0x24;
    pub const DATA_ABORT_SAME: u64 = 0x25;
    pub const SP_ALIGNMENT: u64 = 0x26;
    pub const FLOATING_POINT: u64 = 0x2c;
    pub const SYSTEM_ERROR: u64 = 0x2f;
    pub const BREAKPOINT_LOWER: u64 = 0x30;
    pub const SOFTWARE_STEP_LOWER: u64 = 0x32;
    pub const WATCHPOINT_LOWER: u64 = 0x34;
    pub const BREAK_INSTRUCTION: u64 = 0x3c;
}

fn class_name(class: u64) -> &'static str {
    match class {
        class::UNKNOWN => "unknown reason (undefined instruction)",
        class::TRAPPED_WAIT => "trapped WFI/WFE",
        class::FLOATING_POINT_ACCESS => "FP/SIMD access trap",
        class::ILLEGAL_STATE => "illegal execution state",
        class::SUPERVISOR_CALL => "supervisor call",
        class::SYSTEM_REGISTER => "trapped system register access",
        class::INSTRUCTION_ABORT_LOWER | class::INSTRUCTION_ABORT_SAME => "instruction abort",
        class::PC_ALIGNMENT => "PC alignment fault",
        class::DATA_ABORT_LOWER | class::DATA_ABORT_SAME => "data abort",
        class::SP_ALIGNMENT => "SP alignment fault",
        class::FLOATING_POINT => "floating-point exception",
        class::SYSTEM_ERROR => "SError",
        class::BREAKPOINT_LOWER | class::SOFTWARE_STEP_LOWER | class::WATCHPOINT_LOWER => {
            "debug exception"
        }
        class::BREAK_INSTRUCTION => "BRK instruction",
        _ => "unexpected exception class",
    }
}

/// Whether the A64 instruction `word` is an MRS/MSR of a register EL0 may not touch
/// (op0 = 3 with op1 other than 3, or any op0 = 2 debug register).
fn is_privileged_system_register_access(word: u32) -> bool {
    let is_move = word & 0xffd0_0000 == 0xd510_0000;
    let op0 = (word >> 19) & 0b11;
    let op1 = (word >> 16) & 0b111;
    is_move && (op0 == 2 || (op0 == 3 && op1 != 3))
}

fn decode_abort(context: &Registers, access: AccessKind) -> (FaultKind, Option<u64>) {
    let status = context.syndrome & 0x3f;
    let access = if access == AccessKind::Execute {
        AccessKind::Execute
    } else if context.syndrome & (1 << 6) != 0 {
        AccessKind::Write
    } else {
        AccessKind::Read
    };
    let kind = match status >> 2 {
        0b0001 | 0b0000 => FaultKind::NotMapped(access),
        0b0011 | 0b0010 => FaultKind::ProtectionViolation(access),
        _ if status == 0b10_0001 => FaultKind::Alignment,
        _ => FaultKind::Other("external or other abort"),
    };
    (kind, Some(context.fault_address))
}

fn decode_user_fault(context: &Registers) -> UserFault {
    let class = context.syndrome >> 26;
    let (kind, address) = match class {
        class::INSTRUCTION_ABORT_LOWER => decode_abort(context, AccessKind::Execute),
        class::DATA_ABORT_LOWER => decode_abort(context, AccessKind::Read),
        class::UNKNOWN => {
            let mut bytes = [0u8; 4];
            let privileged = crate::trap::read_user_instruction(context.pc, &mut bytes)
                && is_privileged_system_register_access(u32::from_le_bytes(bytes));
            if privileged {
                (FaultKind::PrivilegedInstruction, None)
            } else {
                (FaultKind::UndefinedInstruction, None)
            }
        }
        class::SYSTEM_REGISTER | class::TRAPPED_WAIT => (FaultKind::PrivilegedInstruction, None),
        class::PC_ALIGNMENT => (FaultKind::Alignment, Some(context.fault_address)),
        class::SP_ALIGNMENT => (FaultKind::Alignment, Some(context.sp)),
        class::FLOATING_POINT => (FaultKind::Arithmetic("floating-point exception"), None),
        class::BREAKPOINT_LOWER
        | class::SOFTWARE_STEP_LOWER
        | class::WATCHPOINT_LOWER
        | class::BREAK_INSTRUCTION => (FaultKind::Breakpoint, None),
        class::ILLEGAL_STATE => (FaultKind::Other("illegal execution state"), None),
        other => (FaultKind::Other(class_name(other)), None),
    };
    UserFault { kind, address, instruction_pointer: context.pc, code: context.syndrome }
}

/// The current thread's saved registers.
///
/// # Safety
///
/// Only while handling a trap from that thread, with no mutable reference alive.
unsafe fn current_registers<'context>() -> &'context Registers {
    // SAFETY: the per-CPU pointer names the running thread's context, registers first.
    unsafe { &*(cpu::current_context() as *const Registers) }
}

/// Called from the vectors for every exception from EL0, on the kernel stack.
extern "C" fn trap_from_user() {
    // SAFETY: the borrow ends before the portable handler runs.
    let context = unsafe { current_registers() };
    let trap = match context.kind {
        KIND_SYNCHRONOUS if context.syndrome >> 26 == class::SUPERVISOR_CALL => UserTrap::Syscall,
        KIND_SYNCHRONOUS => UserTrap::Fault(decode_user_fault(context)),
        KIND_INTERRUPT => match super::gic::acknowledge() {
            Some(interrupt) => UserTrap::Interrupt(interrupt),
            None => UserTrap::Interrupt(Interrupt::Spurious),
        },
        _ => UserTrap::Fault(UserFault {
            kind: FaultKind::Other("SError or FIQ"),
            address: None,
            instruction_pointer: context.pc,
            code: context.syndrome,
        }),
    };
    crate::trap::user_trap(trap);
}

/// Called for exceptions taken at EL1.
extern "C" fn trap_from_kernel(frame: &mut Registers) {
    if frame.kind == KIND_INTERRUPT {
        if let Some(interrupt) = super::gic::acknowledge() {
            crate::trap::kernel_interrupt(interrupt);
        }
        return;
    }
    let class = frame.syndrome >> 26;
    if class == class::UNKNOWN && super::power::skip_failed_semihosting_call(frame.pc) {
        frame.pc += 4;
        return;
    }
    let address = matches!(class, class::DATA_ABORT_SAME | class::INSTRUCTION_ABORT_SAME)
        .then_some(frame.fault_address);
    crate::trap::kernel_fault(&crate::trap::KernelFaultReport {
        cause: class_name(class),
        address,
        instruction_pointer: frame.pc,
        code: frame.syndrome,
        registers: frame,
    });
}
