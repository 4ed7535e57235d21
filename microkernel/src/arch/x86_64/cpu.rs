//! x86_64 processor setup: features, GDT, TSS, per-CPU data and the syscall MSRs.
//!
//! Segments: 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code (the order
//! `sysret` requires), 0x28 the TSS. The TSS holds `RSP0`, which always points one past the
//! current thread's saved [`super::context::Registers`], so an interrupt from user mode
//! saves its frame straight into the thread (as in seL4); and one interrupt stack for
//! NMI, double fault and machine check.
//!
//! `GS` (through `swapgs`) points at [`PerCpu`] while in the kernel; the syscall entry uses
//! it to find the kernel stack and the current context.

use core::cell::UnsafeCell;
use core::fmt;

use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, SFMask, Star,
};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;

/// Selector of the kernel code segment.
pub const KERNEL_CODE_SELECTOR: u16 = 0x08;
/// Selector of the user data segment (RPL 3).
pub const USER_DATA_SELECTOR: u16 = 0x18 | 3;
/// Selector of the user code segment (RPL 3).
pub const USER_CODE_SELECTOR: u16 = 0x20 | 3;

/// Interrupt-stack-table slot (1-based, as the IDT counts) for NMI, #DF and #MC.
pub const FATAL_INTERRUPT_STACK: u16 = 1;

/// Per-CPU data the assembly entry paths reach through `GS`.
#[repr(C)]
pub struct PerCpu {
    /// Top of this CPU's kernel stack.
    pub kernel_stack_top: u64,
    /// The user stack pointer, saved by the syscall entry before switching stacks.
    pub user_stack_scratch: u64,
    /// Address of the current thread's saved context.
    pub current_context: u64,
    /// One past the end of the current thread's saved context (also `TSS.RSP0`).
    pub current_context_end: u64,
}

/// Byte offsets of [`PerCpu`] fields, for the assembly.
pub mod per_cpu_offset {
    /// [`super::PerCpu::kernel_stack_top`].
    pub const KERNEL_STACK_TOP: usize = core::mem::offset_of!(super::PerCpu, kernel_stack_top);
    /// [`super::PerCpu::user_stack_scratch`].
    pub const USER_STACK_SCRATCH: usize = core::mem::offset_of!(super::PerCpu, user_stack_scratch);
    /// [`super::PerCpu::current_context`].
    pub const CURRENT_CONTEXT: usize = core::mem::offset_of!(super::PerCpu, current_context);
    /// [`super::PerCpu::current_context_end`].
    pub const CURRENT_CONTEXT_END: usize =
        core::mem::offset_of!(super::PerCpu, current_context_end);
}

/// This CPU's tables and per-CPU data. Courier runs on the boot CPU only, with interrupts
/// disabled whenever kernel code touches these.
struct CpuState {
    per_cpu: UnsafeCell<PerCpu>,
    task_state: UnsafeCell<TaskStateSegment>,
    descriptors: UnsafeCell<GlobalDescriptorTable>,
}

// SAFETY: one CPU, and the kernel runs with interrupts disabled except while idle, when it
// touches none of this; so accesses never overlap.
unsafe impl Sync for CpuState {}

static CPU: CpuState = CpuState {
    per_cpu: UnsafeCell::new(PerCpu {
        kernel_stack_top: 0,
        user_stack_scratch: 0,
        current_context: 0,
        current_context_end: 0,
    }),
    task_state: UnsafeCell::new(TaskStateSegment::new()),
    descriptors: UnsafeCell::new(GlobalDescriptorTable::new()),
};

/// The stack for NMI, double fault and machine check.
#[repr(C, align(16))]
struct FatalStack([u8; 16 * 1024]);

static mut FATAL_STACK: FatalStack = FatalStack([0; 16 * 1024]);

unsafe extern "C" {
    static __kernel_stack_top: u8;
}

/// Processor features Courier uses or reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    /// No-execute pages (EFER.NXE).
    pub no_execute: bool,
    /// 1 GiB pages.
    pub gigabyte_pages: bool,
    /// Supervisor-mode execution prevention.
    pub smep: bool,
    /// Supervisor-mode access prevention.
    pub smap: bool,
    /// User-mode instruction prevention.
    pub umip: bool,
    /// Global pages.
    pub global_pages: bool,
}

fn cpuid(leaf: u32, subleaf: u32) -> core::arch::x86_64::CpuidResult {
    core::arch::x86_64::__cpuid_count(leaf, subleaf)
}

/// Reads the features from CPUID.
pub fn features() -> Features {
    let basic = cpuid(0, 0);
    let extended = cpuid(0x8000_0000, 0).eax;
    let leaf1 = cpuid(1, 0);
    let leaf7 = if basic.eax >= 7 { cpuid(7, 0) } else { cpuid(0, 0) };
    let extended1 = if extended >= 0x8000_0001 { cpuid(0x8000_0001, 0).edx } else { 0 };
    Features {
        no_execute: extended1 & (1 << 20) != 0,
        gigabyte_pages: extended1 & (1 << 26) != 0,
        smep: basic.eax >= 7 && leaf7.ebx & (1 << 7) != 0,
        smap: basic.eax >= 7 && leaf7.ebx & (1 << 20) != 0,
        umip: basic.eax >= 7 && leaf7.ecx & (1 << 2) != 0,
        global_pages: leaf1.edx & (1 << 13) != 0,
    }
}

/// The processor's brand string (or vendor), for the boot banner.
pub struct Description {
    text: [u8; 48],
    length: usize,
}

impl fmt::Display for Description {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = core::str::from_utf8(&self.text[..self.length]).unwrap_or("(unreadable)");
        formatter.write_str(text.trim())
    }
}

/// Reads the brand string (CPUID 0x80000002..4), or the vendor string without it.
pub fn description() -> Description {
    let mut description = Description { text: [0; 48], length: 0 };
    if cpuid(0x8000_0000, 0).eax >= 0x8000_0004 {
        for (index, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
            let result = cpuid(leaf, 0);
            for (word_index, word) in
                [result.eax, result.ebx, result.ecx, result.edx].into_iter().enumerate()
            {
                let offset = index * 16 + word_index * 4;
                description.text[offset..offset + 4].copy_from_slice(&word.to_le_bytes());
            }
        }
        description.length = description.text.iter().position(|&byte| byte == 0).unwrap_or(48);
    } else {
        let vendor = cpuid(0, 0);
        for (index, word) in [vendor.ebx, vendor.edx, vendor.ecx].into_iter().enumerate() {
            description.text[index * 4..index * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        description.length = 12;
    }
    description
}

/// Turns on the paging-related features before the kernel builds its page tables:
/// no-execute, global pages, SMEP and SMAP (the kernel never dereferences user addresses;
/// it copies through the direct map), UMIP.
pub fn enable_features(features: &Features) {
    // SAFETY: each bit is set only when CPUID reports the feature; none changes the
    // meaning of the current page tables except NXE, which only allows a bit the early
    // tables do not use.
    unsafe {
        let mut efer = Efer::read();
        efer |= EferFlags::SYSTEM_CALL_EXTENSIONS;
        if features.no_execute {
            efer |= EferFlags::NO_EXECUTE_ENABLE;
        }
        Efer::write(efer);
        let mut cr4 = Cr4::read();
        if features.global_pages {
            cr4 |= Cr4Flags::PAGE_GLOBAL;
        }
        if features.smep {
            cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
        }
        if features.smap {
            cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
        }
        if features.umip {
            cr4 |= Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION;
        }
        Cr4::write(cr4);
        Cr0::update(|cr0| *cr0 |= Cr0Flags::WRITE_PROTECT);
    }
    super::paging::set_features(features.gigabyte_pages, features.no_execute);
}

/// Loads the GDT and TSS, points `GS` at the per-CPU data and programs `syscall`.
pub fn initialize(syscall_entry: u64) {
    let kernel_stack_top = (&raw const __kernel_stack_top) as u64;
    let fatal_stack_top = (&raw const FATAL_STACK) as u64 + size_of::<FatalStack>() as u64;
    // SAFETY: called once at boot with interrupts disabled, before anything else uses the
    // per-CPU data, the TSS or the GDT; the GDT and TSS are statics, so the addresses
    // loaded into GDTR and TR stay valid forever.
    unsafe {
        let per_cpu = &mut *CPU.per_cpu.get();
        per_cpu.kernel_stack_top = kernel_stack_top;
        let task_state = &mut *CPU.task_state.get();
        task_state.interrupt_stack_table[usize::from(FATAL_INTERRUPT_STACK - 1)] =
            VirtAddr::new(fatal_stack_top);
        task_state.privilege_stack_table[0] = VirtAddr::new(kernel_stack_top);
        task_state.iomap_base = size_of::<TaskStateSegment>() as u16;

        let descriptors = &mut *CPU.descriptors.get();
        let kernel_code = descriptors.append(Descriptor::kernel_code_segment());
        let kernel_data = descriptors.append(Descriptor::kernel_data_segment());
        let user_data = descriptors.append(Descriptor::user_data_segment());
        let user_code = descriptors.append(Descriptor::user_code_segment());
        let task = descriptors.append(Descriptor::tss_segment_unchecked(CPU.task_state.get()));
        debug_assert_eq!(kernel_code.0, KERNEL_CODE_SELECTOR);
        debug_assert_eq!(user_code.0, USER_CODE_SELECTOR);
        descriptors.load_unsafe();
        CS::set_reg(kernel_code);
        DS::set_reg(kernel_data);
        ES::set_reg(kernel_data);
        SS::set_reg(kernel_data);
        load_tss(task);

        GsBase::write(VirtAddr::new(CPU.per_cpu.get() as u64));
        KernelGsBase::write(VirtAddr::new(0));
        LStar::write(VirtAddr::new(syscall_entry));
        // The selectors are in the order sysret needs, so this cannot fail.
        let _ = Star::write(user_code, user_data, kernel_code, kernel_data);
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::ALIGNMENT_CHECK
                | RFlags::NESTED_TASK,
        );
    }
}

/// Records the thread whose context the next entry from user mode saves into:
/// `context` is the address of its saved context and `size` the size of its register
/// block (what the entry stubs push).
pub fn set_current_context(context: u64, size: u64) {
    // SAFETY: interrupts are disabled in the kernel, so neither the entry code nor an
    // interrupt reads these fields while they change.
    unsafe {
        let per_cpu = &mut *CPU.per_cpu.get();
        per_cpu.current_context = context;
        per_cpu.current_context_end = context + size;
        (*CPU.task_state.get()).privilege_stack_table[0] = VirtAddr::new(context + size);
    }
}

/// Address of the current thread's saved context (0 if none).
pub fn current_context() -> u64 {
    // SAFETY: a plain read of a field only the kernel writes, with interrupts disabled.
    unsafe { (*CPU.per_cpu.get()).current_context }
}
