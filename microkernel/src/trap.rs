//! What happens when user code traps into the kernel, and when the kernel itself faults.
//!
//! The architecture layer decodes its exception registers into the portable types here
//! ([`UserTrap`], [`UserFault`], [`Interrupt`]) and calls [`user_trap`] (on the kernel
//! stack, with the thread's registers already saved) or [`kernel_interrupt`] /
//! [`kernel_fault`]. After `user_trap` returns, the architecture resumes whatever thread
//! is current then.

use core::fmt;

use courier_abi::layout::{PAGE_SIZE, STACK_BOTTOM, USER_SPACE_END};

use crate::{arch, kernel};

/// The kind of memory access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Execute,
}

impl AccessKind {
    fn describe(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Execute => "instruction fetch",
        }
    }
}

/// Why a user program faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A page fault on an address with no mapping.
    NotMapped(AccessKind),
    /// A page fault on a mapping that does not allow the access.
    ProtectionViolation(AccessKind),
    /// An instruction only the kernel may execute.
    PrivilegedInstruction,
    /// An instruction that does not exist.
    UndefinedInstruction,
    /// A general-protection fault for another reason (a non-canonical address, say).
    GeneralProtection,
    /// An arithmetic error, described.
    Arithmetic(&'static str),
    /// A misaligned access.
    Alignment,
    /// A breakpoint or debug trap.
    Breakpoint,
    /// Anything else, named by the architecture.
    Other(&'static str),
}

/// A fault in user mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserFault {
    /// What went wrong.
    pub kind: FaultKind,
    /// The data or instruction address involved, when the processor reports one.
    pub address: Option<u64>,
    /// Where the faulting instruction is.
    pub instruction_pointer: u64,
    /// The architecture's raw code (error code on x86_64, ESR on aarch64).
    pub code: u64,
}

impl UserFault {
    /// The Linux signal the fault would raise (for the report and, later, wait status).
    pub fn signal(&self) -> (&'static str, u32) {
        match self.kind {
            FaultKind::NotMapped(_) | FaultKind::ProtectionViolation(_) => ("SIGSEGV", 11),
            FaultKind::PrivilegedInstruction | FaultKind::GeneralProtection => ("SIGSEGV", 11),
            FaultKind::UndefinedInstruction => ("SIGILL", 4),
            FaultKind::Arithmetic(_) => ("SIGFPE", 8),
            FaultKind::Alignment => ("SIGBUS", 7),
            FaultKind::Breakpoint => ("SIGTRAP", 5),
            FaultKind::Other(_) => ("SIGSEGV", 11),
        }
    }
}

impl fmt::Display for UserFault {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let address = self.address.unwrap_or(0);
        let in_kernel = address >= USER_SPACE_END as u64;
        let guard_page = (STACK_BOTTOM - PAGE_SIZE) as u64..STACK_BOTTOM as u64;
        match self.kind {
            FaultKind::NotMapped(access) | FaultKind::ProtectionViolation(access) if in_kernel => {
                write!(
                    formatter,
                    "page fault: {} of kernel memory at {address:#x}",
                    access.describe()
                )
            }
            FaultKind::NotMapped(_) if guard_page.contains(&address) => write!(
                formatter,
                "page fault: stack overflow (access to the stack guard page at {address:#x})"
            ),
            FaultKind::NotMapped(access) => write!(
                formatter,
                "page fault: {} of unmapped address {address:#x}",
                access.describe()
            ),
            FaultKind::ProtectionViolation(AccessKind::Write) => {
                write!(formatter, "page fault: write to read-only page at {address:#x}")
            }
            FaultKind::ProtectionViolation(AccessKind::Execute) => write!(
                formatter,
                "page fault: instruction fetch from non-executable page at {address:#x}"
            ),
            FaultKind::ProtectionViolation(AccessKind::Read) => {
                write!(formatter, "page fault: read of protected page at {address:#x}")
            }
            FaultKind::PrivilegedInstruction => formatter.write_str("privileged instruction"),
            FaultKind::UndefinedInstruction => formatter.write_str("undefined instruction"),
            FaultKind::GeneralProtection => formatter.write_str("general protection fault"),
            FaultKind::Arithmetic(what) => write!(formatter, "arithmetic fault: {what}"),
            FaultKind::Alignment => write!(formatter, "alignment fault at {address:#x}"),
            FaultKind::Breakpoint => formatter.write_str("breakpoint"),
            FaultKind::Other(what) => formatter.write_str(what),
        }
    }
}

/// A device interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// The periodic timer.
    Timer,
    /// The console received input.
    ConsoleInput,
    /// A spurious interrupt (no device, no acknowledgement).
    Spurious,
    /// Any other line, by the controller's number.
    Other(u32),
}

/// Why user mode entered the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserTrap {
    /// A system call; the arguments are in the current context.
    Syscall,
    /// A fault.
    Fault(UserFault),
    /// A device interrupt (already acknowledged).
    Interrupt(Interrupt),
}

/// Handles a trap from the current user thread; when it returns, the architecture
/// resumes whichever thread is current then.
pub fn user_trap(trap: UserTrap) {
    kernel::user_trap(trap);
}

/// Handles an interrupt that arrived while the kernel was idle.
pub fn kernel_interrupt(interrupt: Interrupt) {
    kernel::kernel_interrupt(interrupt);
}

/// What the architecture knows about a fault in kernel mode.
pub struct KernelFaultReport<'registers> {
    /// The exception's name.
    pub cause: &'static str,
    /// The faulting data address, when there is one.
    pub address: Option<u64>,
    /// Where the faulting instruction is.
    pub instruction_pointer: u64,
    /// The architecture's raw code (error code or ESR).
    pub code: u64,
    /// The registers at the fault.
    pub registers: &'registers arch::Registers,
}

/// A fault in the kernel itself: prints a dump and stops the machine with a failure code.
pub fn kernel_fault(report: &KernelFaultReport<'_>) -> ! {
    kernel::fatal(format_args!(
        "KERNEL FAULT: {} at instruction {:#x}{}, code {:#x}\n{}\n    running: {}",
        report.cause,
        report.instruction_pointer,
        AddressSuffix(report.address),
        report.code,
        report.registers,
        kernel::running_description(),
    ))
}

struct AddressSuffix(Option<u64>);

impl fmt::Display for AddressSuffix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(address) => write!(formatter, ", accessing {address:#x}"),
            None => Ok(()),
        }
    }
}

/// Reads the first bytes of the instruction at user address `address` of the current
/// process (for decoding faults). Returns `false` when it is not readable.
pub fn read_user_instruction(address: u64, buffer: &mut [u8]) -> bool {
    kernel::read_current_user_memory(address, buffer)
}
