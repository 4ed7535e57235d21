//! x86_64 traps: the IDT, the entry and exit paths, and the saved user context.
//!
//! Entry from user mode saves registers straight into the current thread's
//! [`super::context::UserContext`]: for an interrupt or exception the processor pushes its frame at
//! `TSS.RSP0` (one past the context) and the stub pushes the rest below it; the `syscall`
//! entry switches to the same place by hand and builds the same frame. Then the stub moves
//! to the kernel stack and calls [`trap_from_user`]. Whatever thread the kernel decides to
//! run next, [`return_to_user`] restores the context the per-CPU data points at, with
//! `sysretq` when it was saved by `syscall` and `iretq` otherwise.
//!
//! The kernel itself runs with interrupts disabled, except in [`super::wait_for_interrupt`];
//! an interrupt there, or an exception anywhere in the kernel, arrives on the current
//! kernel stack and goes to [`trap_from_kernel`]. NMI, double fault and machine check use
//! their own stack and are always fatal.

use core::arch::global_asm;

use super::context::{Registers, SYSCALL_VECTOR};
use super::cpu::{self, per_cpu_offset};
use crate::trap::{AccessKind, FaultKind, Interrupt, UserFault, UserTrap};

/// First vector used for device interrupts.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of the serial port's receive interrupt (routed by the I/O APIC).
pub const SERIAL_VECTOR: u8 = 0x24;
/// The local APIC's spurious-interrupt vector.
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// Registers saved by an exception or interrupt taken in kernel mode.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KernelFrame {
    /// The same layout as a user context's registers.
    pub registers: Registers,
}

global_asm!(
    // 256 stubs of 16 bytes each: push a dummy error code where the processor pushes none,
    // push the vector, and jump to the common path.
    // The general registers, in the order of UserContext (r15 at the lowest address).
    ".macro push_general_registers",
    "    push rax; push rbx; push rcx; push rdx; push rsi; push rdi; push rbp",
    "    push r8; push r9; push r10; push r11; push r12; push r13; push r14; push r15",
    ".endm",
    ".macro pop_general_registers",
    "    pop r15; pop r14; pop r13; pop r12; pop r11; pop r10; pop r9; pop r8",
    "    pop rbp; pop rdi; pop rsi; pop rdx; pop rcx; pop rbx; pop rax",
    ".endm",
    ".section .text.traps, \"ax\"",
    ".balign 16",
    ".global trap_stubs",
    "trap_stubs:",
    ".set trap_vector, 0",
    ".rept 256",
    ".balign 16",
    ".if (trap_vector == 8) || (trap_vector >= 10 && trap_vector <= 14) || (trap_vector == 17) || (trap_vector == 21) || (trap_vector == 29) || (trap_vector == 30)",
    ".else",
    "    push 0",
    ".endif",
    "    push trap_vector",
    ".if (trap_vector == 2) || (trap_vector == 8) || (trap_vector == 18)",
    "    jmp trap_fatal_common",
    ".else",
    "    jmp trap_common",
    ".endif",
    ".set trap_vector, trap_vector + 1",
    ".endr",

    "trap_common:",
    // Saved CS is at +24 (vector, error code, rip, cs): user mode if its RPL is 3.
    "    test byte ptr [rsp + 24], 3",
    "    jz .Ltrap_in_kernel",
    "    swapgs",
    "    push_general_registers",
    "    mov rsp, gs:[{kernel_stack_top}]",
    "    cld",
    "    call {trap_from_user}",
    "    jmp return_to_user",
    ".Ltrap_in_kernel:",
    "    push_general_registers",
    "    mov rdi, rsp",
    "    cld",
    "    call {trap_from_kernel}",
    "    pop_general_registers",
    "    add rsp, 16",
    "    iretq",

    // NMI, double fault, machine check: on their own stack, never resumed.
    "trap_fatal_common:",
    "    push_general_registers",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    cld",
    "    call {trap_fatal}",
    "    ud2",

    // The syscall instruction: rcx = user rip, r11 = user rflags, still on the user stack.
    ".global syscall_entry",
    "syscall_entry:",
    "    swapgs",
    "    mov gs:[{user_stack_scratch}], rsp",
    "    mov rsp, gs:[{current_context_end}]",
    "    push {user_data}",
    "    push gs:[{user_stack_scratch}]",
    "    push r11",
    "    push {user_code}",
    "    push rcx",
    "    push 0",
    "    push {syscall_vector}",
    "    push_general_registers",
    "    mov rsp, gs:[{kernel_stack_top}]",
    "    cld",
    "    call {trap_from_user}",
    // Fall through.

    // Restores the current thread's context and returns to user mode.
    ".global return_to_user",
    "return_to_user:",
    "    mov rsp, gs:[{current_context}]",
    "    pop_general_registers",
    "    cmp qword ptr [rsp], {syscall_vector}",
    "    jne .Lreturn_with_iret",
    "    mov rcx, [rsp + 16]",
    "    mov r11, [rsp + 32]",
    "    mov rsp, [rsp + 40]",
    "    swapgs",
    "    sysretq",
    ".Lreturn_with_iret:",
    "    add rsp, 16",
    "    swapgs",
    "    iretq",
    ".text",
    kernel_stack_top = const per_cpu_offset::KERNEL_STACK_TOP,
    user_stack_scratch = const per_cpu_offset::USER_STACK_SCRATCH,
    current_context = const per_cpu_offset::CURRENT_CONTEXT,
    current_context_end = const per_cpu_offset::CURRENT_CONTEXT_END,
    user_data = const cpu::USER_DATA_SELECTOR,
    user_code = const cpu::USER_CODE_SELECTOR,
    syscall_vector = const SYSCALL_VECTOR,
    trap_from_user = sym trap_from_user,
    trap_from_kernel = sym trap_from_kernel,
    trap_fatal = sym trap_fatal,
);

unsafe extern "C" {
    static trap_stubs: u8;
    fn syscall_entry();
    fn return_to_user() -> !;
}

/// Address of the `syscall` entry point, for `LSTAR`.
pub fn syscall_entry_address() -> u64 {
    syscall_entry as *const () as u64
}

/// Resumes the current thread in user mode.
pub fn resume_user() -> ! {
    // SAFETY: the per-CPU current-context pointer names a valid, fully initialised
    // UserContext (the kernel sets it before resuming), with user-mode CS/SS that iretq
    // or sysretq can load; return_to_user never returns.
    unsafe { return_to_user() }
}

/// The IDT: 256 gates, one per stub.
static INTERRUPT_DESCRIPTOR_TABLE: spin::Once<x86_64::structures::idt::InterruptDescriptorTable> =
    spin::Once::new();

/// Fills and loads the IDT.
pub fn initialize() {
    let stubs = (&raw const trap_stubs) as u64;
    let table = INTERRUPT_DESCRIPTOR_TABLE.call_once(|| {
        let mut table = x86_64::structures::idt::InterruptDescriptorTable::new();
        let address = |vector: u64| x86_64::VirtAddr::new(stubs + 16 * vector);
        // SAFETY: every gate points at its stub in `trap_stubs` (16 bytes per vector),
        // which saves the registers and calls the kernel's handlers as this module
        // describes; the interrupt stack index names the TSS slot `cpu` fills.
        unsafe {
            table.divide_error.set_handler_addr(address(0));
            table.debug.set_handler_addr(address(1));
            table
                .non_maskable_interrupt
                .set_handler_addr(address(2))
                .set_stack_index(cpu::FATAL_INTERRUPT_STACK - 1);
            table.breakpoint.set_handler_addr(address(3));
            table.overflow.set_handler_addr(address(4));
            table.bound_range_exceeded.set_handler_addr(address(5));
            table.invalid_opcode.set_handler_addr(address(6));
            table.device_not_available.set_handler_addr(address(7));
            table
                .double_fault
                .set_handler_addr(address(8))
                .set_stack_index(cpu::FATAL_INTERRUPT_STACK - 1);
            table.invalid_tss.set_handler_addr(address(10));
            table.segment_not_present.set_handler_addr(address(11));
            table.stack_segment_fault.set_handler_addr(address(12));
            table.general_protection_fault.set_handler_addr(address(13));
            table.page_fault.set_handler_addr(address(14));
            table.x87_floating_point.set_handler_addr(address(16));
            table.alignment_check.set_handler_addr(address(17));
            table
                .machine_check
                .set_handler_addr(address(18))
                .set_stack_index(cpu::FATAL_INTERRUPT_STACK - 1);
            table.simd_floating_point.set_handler_addr(address(19));
            table.virtualization.set_handler_addr(address(20));
            table.cp_protection_exception.set_handler_addr(address(21));
            table.hv_injection_exception.set_handler_addr(address(28));
            table.vmm_communication_exception.set_handler_addr(address(29));
            table.security_exception.set_handler_addr(address(30));
            for vector in 32..=255u8 {
                table[vector].set_handler_addr(address(u64::from(vector)));
            }
        }
        table
    });
    table.load();
}

/// Exception names, by vector.
fn exception_name(vector: u64) -> &'static str {
    match vector {
        0 => "divide error (#DE)",
        1 => "debug (#DB)",
        2 => "non-maskable interrupt",
        3 => "breakpoint (#BP)",
        4 => "overflow (#OF)",
        5 => "bound range exceeded (#BR)",
        6 => "invalid opcode (#UD)",
        7 => "device not available (#NM)",
        8 => "double fault (#DF)",
        10 => "invalid TSS (#TS)",
        11 => "segment not present (#NP)",
        12 => "stack-segment fault (#SS)",
        13 => "general protection fault (#GP)",
        14 => "page fault (#PF)",
        16 => "x87 floating-point error (#MF)",
        17 => "alignment check (#AC)",
        18 => "machine check (#MC)",
        19 => "SIMD floating-point error (#XM)",
        20 => "virtualization exception (#VE)",
        21 => "control protection (#CP)",
        _ => "reserved exception",
    }
}

fn read_fault_address() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

/// Whether `bytes` (the start of a faulting user instruction) is a kernel-only instruction.
fn is_privileged_instruction(bytes: &[u8]) -> bool {
    match bytes {
        // hlt, cli, sti, in/out (immediate and dx forms), int1/int3 excluded.
        [0xf4, ..] | [0xfa, ..] | [0xfb, ..] | [0xe4..=0xe7, ..] | [0xec..=0xef, ..] => true,
        // lgdt/lidt/lmsw/invlpg..., mov to/from control and debug registers, wrmsr, rdmsr,
        // clts, wbinvd, invd.
        [0x0f, 0x01, ..]
        | [0x0f, 0x20..=0x23, ..]
        | [0x0f, 0x30, ..]
        | [0x0f, 0x32, ..]
        | [0x0f, 0x06, ..]
        | [0x0f, 0x08, ..]
        | [0x0f, 0x09, ..] => true,
        _ => false,
    }
}

fn decode_user_fault(context: &Registers) -> UserFault {
    let instruction_pointer = context.rip;
    let (kind, address) = match context.vector {
        14 => {
            let address = read_fault_address();
            let error = context.error_code;
            let access = if error & (1 << 4) != 0 {
                AccessKind::Execute
            } else if error & (1 << 1) != 0 {
                AccessKind::Write
            } else {
                AccessKind::Read
            };
            let kind = if error & 1 == 0 {
                FaultKind::NotMapped(access)
            } else {
                FaultKind::ProtectionViolation(access)
            };
            (kind, Some(address))
        }
        13 => {
            let mut bytes = [0u8; 3];
            let privileged = crate::trap::read_user_instruction(instruction_pointer, &mut bytes)
                && is_privileged_instruction(&bytes);
            if privileged {
                (FaultKind::PrivilegedInstruction, None)
            } else {
                (FaultKind::GeneralProtection, None)
            }
        }
        6 => (FaultKind::UndefinedInstruction, None),
        0 => (FaultKind::Arithmetic("divide error"), None),
        16 | 19 => (FaultKind::Arithmetic("floating-point error"), None),
        17 => (FaultKind::Alignment, None),
        1 | 3 => (FaultKind::Breakpoint, None),
        vector => (FaultKind::Other(exception_name(vector)), None),
    };
    UserFault { kind, address, instruction_pointer, code: context.error_code }
}

fn decode_interrupt(vector: u64) -> Interrupt {
    match vector {
        vector if vector == u64::from(TIMER_VECTOR) => Interrupt::Timer,
        vector if vector == u64::from(SERIAL_VECTOR) => Interrupt::ConsoleInput,
        vector if vector == u64::from(SPURIOUS_VECTOR) => Interrupt::Spurious,
        vector => Interrupt::Other(vector as u32),
    }
}

/// Acknowledges an interrupt at the local APIC (nothing for spurious ones).
fn end_of_interrupt(interrupt: Interrupt) {
    if interrupt != Interrupt::Spurious {
        super::apic::end_of_interrupt();
    }
}

/// The current thread's saved registers.
///
/// # Safety
///
/// Only valid while the kernel handles a trap from that thread, with no other reference to
/// the context alive.
unsafe fn current_registers<'context>() -> &'context Registers {
    let address = cpu::current_context();
    // SAFETY: the per-CPU pointer names the running thread's context, whose registers
    // come first (set whenever the kernel switches threads), and the caller holds no
    // mutable reference to it.
    unsafe { &*(address as *const Registers) }
}

/// Called by the entry stubs for every trap from user mode, on the kernel stack.
extern "C" fn trap_from_user() {
    // SAFETY: a trap from the current thread is being handled; the reference is dropped
    // before the portable handler (which may switch threads) runs.
    let vector = unsafe { current_registers() }.vector;
    let trap = if vector == SYSCALL_VECTOR {
        UserTrap::Syscall
    } else if vector < 32 {
        // SAFETY: as above; the shared borrow ends before the handler runs.
        UserTrap::Fault(decode_user_fault(unsafe { current_registers() }))
    } else {
        let interrupt = decode_interrupt(vector);
        end_of_interrupt(interrupt);
        UserTrap::Interrupt(interrupt)
    };
    crate::trap::user_trap(trap);
}

/// Called for interrupts and exceptions taken in kernel mode.
extern "C" fn trap_from_kernel(frame: &mut KernelFrame) {
    let vector = frame.registers.vector;
    if vector >= 32 {
        let interrupt = decode_interrupt(vector);
        end_of_interrupt(interrupt);
        crate::trap::kernel_interrupt(interrupt);
        return;
    }
    let address = (vector == 14).then(read_fault_address);
    crate::trap::kernel_fault(&crate::trap::KernelFaultReport {
        cause: exception_name(vector),
        address,
        instruction_pointer: frame.registers.rip,
        code: frame.registers.error_code,
        registers: &frame.registers,
    });
}

/// Called for NMI, double fault and machine check.
extern "C" fn trap_fatal(frame: &mut KernelFrame) -> ! {
    let vector = frame.registers.vector;
    let address = (vector == 8).then(read_fault_address);
    crate::trap::kernel_fault(&crate::trap::KernelFaultReport {
        cause: exception_name(vector),
        address,
        instruction_pointer: frame.registers.rip,
        code: frame.registers.error_code,
        registers: &frame.registers,
    })
}
