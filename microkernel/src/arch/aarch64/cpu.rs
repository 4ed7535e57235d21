//! aarch64 per-CPU data (reached through `TPIDR_EL1`) and the processor description.

use core::cell::UnsafeCell;
use core::fmt;

use aarch64_cpu::registers::{MIDR_EL1, Readable, TPIDR_EL1, Writeable};

/// Per-CPU data the exception vectors read.
#[repr(C)]
pub struct PerCpu {
    /// Top of the kernel stack.
    pub kernel_stack_top: u64,
    /// Address of the current thread's saved context (`SP_EL1` while it runs in EL0).
    pub current_context: u64,
}

/// Byte offsets of [`PerCpu`] fields, for the assembly.
pub mod per_cpu_offset {
    /// [`super::PerCpu::kernel_stack_top`].
    pub const KERNEL_STACK_TOP: usize = core::mem::offset_of!(super::PerCpu, kernel_stack_top);
    /// [`super::PerCpu::current_context`].
    pub const CURRENT_CONTEXT: usize = core::mem::offset_of!(super::PerCpu, current_context);
}

struct PerCpuCell(UnsafeCell<PerCpu>);

// SAFETY: one CPU; the kernel touches this with interrupts masked, and the vectors only
// read it on exception entry, which cannot interleave with kernel writes.
unsafe impl Sync for PerCpuCell {}

static PER_CPU: PerCpuCell =
    PerCpuCell(UnsafeCell::new(PerCpu { kernel_stack_top: 0, current_context: 0 }));

/// Points `TPIDR_EL1` at the per-CPU data with `kernel_stack_top`.
pub fn initialize(kernel_stack_top: u64) {
    // SAFETY: called once at boot before any exception can use the data.
    unsafe { (*PER_CPU.0.get()).kernel_stack_top = kernel_stack_top };
    // TPIDR_EL1 is reserved for the kernel's per-CPU pointer.
    TPIDR_EL1.set(PER_CPU.0.get() as u64);
}

/// Makes `context` the thread context the vectors save into and restore.
pub fn set_current_context(context: u64) {
    // SAFETY: interrupts are masked in the kernel, so the vectors cannot read it meanwhile.
    unsafe { (*PER_CPU.0.get()).current_context = context };
}

/// Address of the current thread's context.
pub fn current_context() -> u64 {
    // SAFETY: a plain read of a field only the kernel writes, with interrupts masked.
    unsafe { (*PER_CPU.0.get()).current_context }
}

/// The processor, from MIDR_EL1.
pub struct Description {
    main_id: u64,
}

/// Reads MIDR_EL1.
pub fn description() -> Description {
    Description { main_id: MIDR_EL1.get() }
}

impl fmt::Display for Description {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let implementer = (self.main_id >> 24) & 0xff;
        let part = (self.main_id >> 4) & 0xfff;
        let name = match (implementer, part) {
            (0x41, 0xd03) => Some("Arm Cortex-A53"),
            (0x41, 0xd04) => Some("Arm Cortex-A35"),
            (0x41, 0xd05) => Some("Arm Cortex-A55"),
            (0x41, 0xd07) => Some("Arm Cortex-A57"),
            (0x41, 0xd08) => Some("Arm Cortex-A72"),
            (0x41, 0xd09) => Some("Arm Cortex-A73"),
            (0x41, 0xd0b) => Some("Arm Cortex-A76"),
            (0x41, 0xd0c) => Some("Arm Neoverse-N1"),
            (0x41, 0xd40) => Some("Arm Neoverse-V1"),
            (0x41, 0xd49) => Some("Arm Neoverse-N2"),
            (0x41, 0xd4f) => Some("Arm Neoverse-V2"),
            (0x41, 0xd8e) => Some("Arm Neoverse-N3"),
            (0x00, 0x051) => Some("QEMU 'max' CPU"),
            _ => None,
        };
        match name {
            Some(name) => write!(formatter, "{name} (MIDR {:#010x})", self.main_id),
            None => write!(
                formatter,
                "implementer {implementer:#04x} part {part:#05x} (MIDR {:#010x})",
                self.main_id
            ),
        }
    }
}
