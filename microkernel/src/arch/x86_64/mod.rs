//! The x86_64 architecture: PVH and Limine entry, 4-level paging, GDT/IDT/TSS,
//! `syscall`/`sysretq`, the local APIC timer, the I/O APIC and the 16550 console.

mod acpi;
mod apic;
mod boot;
mod context;
mod cpu;
mod io_apic;
mod paging;
mod power;
mod serial;
mod trap;

use core::fmt;

use super::Platform;
use crate::boot::BootInfo;
use crate::mm::kernel_space;
use crate::mm::page_table::Caching;

pub use context::{Registers, UserContext, flush_floating_point, forget_floating_point};
pub use paging::{
    Paging, activate_kernel_only, activate_kernel_root, activate_user_root, current_root,
    flush_everything, flush_page, initialize_user_root,
};
pub use power::{halt_forever, power_off};
pub use trap::resume_user;

/// The architecture's name, as `uname -m` spells it.
pub const NAME: &str = "x86_64";

/// ELF `e_machine` of programs this kernel runs.
pub const ELF_MACHINE: u16 = elf::abi::EM_X86_64;

/// Where the kernel's direct map of physical memory starts (root entry 256).
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;

/// Where the kernel heap starts (root entry 510; the kernel image is in 511).
pub const KERNEL_HEAP_BASE: u64 = 0xffff_ff00_0000_0000;

/// Root-table entries of the kernel half that the kernel must create before the first user
/// address space exists.
pub const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = paging::KERNEL_ROOT_ENTRIES;

/// Zeroes the 4 KiB page at kernel address `address` (`rep stos` through `write_bytes`).
///
/// # Safety
///
/// `address` must be page-aligned and map a page that nothing else uses while it is
/// zeroed.
pub unsafe fn zero_page(address: u64) {
    // SAFETY: the caller gives a page-aligned, exclusively owned page.
    unsafe { (address as *mut u8).write_bytes(0, 4096) };
}

/// Makes code the kernel wrote visible to instruction fetch: nothing to do, since x86's
/// instruction fetch sees every data write (the pipeline is resynchronized by the return
/// to user mode).
pub fn synchronize_instruction_cache(_address: u64, _length: usize) {}

/// Writes to the console.
pub fn console_write(bytes: &[u8]) {
    serial::write_bytes(bytes);
}

/// Writes to the console from the fatal path, ignoring its lock.
pub fn console_write_emergency(bytes: &[u8]) {
    serial::write_bytes_emergency(bytes);
}

/// A byte received on the console, if any.
pub fn console_read_byte() -> Option<u8> {
    serial::read_byte()
}

/// Processor setup that must happen before the kernel builds its page tables.
pub fn early_initialize() {
    cpu::enable_features(&cpu::features());
}

/// Called as soon as the kernel's own page tables are active (nothing to move on x86_64:
/// the console uses I/O ports).
///
/// # Errors
///
/// Never on x86_64.
pub fn kernel_tables_active() -> Result<(), &'static str> {
    Ok(())
}

/// The processor, for the boot banner.
pub fn processor_description() -> impl fmt::Display {
    cpu::description()
}

static CONSOLE_LINE: spin::Once<(u32, io_apic::LineMode)> = spin::Once::new();
static APIC_ID: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Sets up traps, system calls and interrupt controllers, and measures the clocks. Runs
/// once, after the kernel's page tables and frame allocator exist.
///
/// # Errors
///
/// A message when a required device cannot be mapped.
pub fn initialize(boot: &BootInfo) -> Result<Platform, &'static str> {
    cpu::initialize(trap::syscall_entry_address());
    context::initialize_floating_point();
    trap::initialize();
    disable_legacy_interrupt_controller();

    let platform = match boot.firmware.acpi_rsdp {
        Some(rsdp) => acpi::read_platform(rsdp).unwrap_or_else(|problem| {
            log::warn!("ACPI: {problem}; assuming the standard PC interrupt controllers");
            acpi::Platform::default()
        }),
        None => {
            log::warn!("no ACPI RSDP; assuming the standard PC interrupt controllers");
            acpi::Platform::default()
        }
    };
    let local_apic_physical = platform.local_apic_address.unwrap_or_else(apic::physical_base);
    let local_apic = kernel_space::map_physical(local_apic_physical, 4096, Caching::Device)
        .map_err(|_| "cannot map the local APIC")?;
    // SAFETY: `local_apic` is the device mapping just made of the APIC's register page.
    let (apic_id, counter_frequency) = unsafe { apic::initialize(local_apic) };
    APIC_ID.store(apic_id, core::sync::atomic::Ordering::Relaxed);

    let io_apic = platform
        .io_apics
        .first()
        .copied()
        .unwrap_or(acpi::IoApic { address: 0xfec0_0000, first_line: 0 });
    let io_apic_base = kernel_space::map_physical(io_apic.address, 4096, Caching::Device)
        .map_err(|_| "cannot map the I/O APIC")?;
    // SAFETY: `io_apic_base` is the device mapping just made of the I/O APIC's registers.
    let lines = unsafe { io_apic::initialize(io_apic_base, io_apic.first_line) };
    log::debug!("I/O APIC at {:#x}: {lines} lines from {}", io_apic.address, io_apic.first_line);

    // COM1's line, after any override (MPS INTI flags: polarity 3 = active low, trigger
    // 3 = level).
    let (line, mode) = platform
        .overrides
        .iter()
        .find(|entry| entry.isa_line == serial::ISA_LINE)
        .map(|entry| {
            (
                entry.line,
                io_apic::LineMode {
                    active_low: entry.flags & 0b11 == 0b11,
                    level_triggered: (entry.flags >> 2) & 0b11 == 0b11,
                },
            )
        })
        .unwrap_or((
            u32::from(serial::ISA_LINE),
            io_apic::LineMode { active_low: false, level_triggered: false },
        ));
    CONSOLE_LINE.call_once(|| (line, mode));

    Ok(Platform {
        processor_count: platform.processor_count.max(1),
        interrupt_controller: "local APIC + I/O APIC",
        counter_frequency,
    })
}

/// Masks every line of the legacy 8259 PICs (the APICs replace them).
fn disable_legacy_interrupt_controller() {
    use x86_64::instructions::port::Port;
    let mut primary: Port<u8> = Port::new(0x21);
    let mut secondary: Port<u8> = Port::new(0xa1);
    // SAFETY: 0x21 and 0xa1 are the 8259 data ports; writing 0xff masks all their lines,
    // which only stops interrupts Courier does not use.
    unsafe {
        primary.write(0xff);
        secondary.write(0xff);
    }
}

/// Routes the console's receive interrupt to the kernel. Returns `false` if it cannot.
pub fn enable_console_input_interrupt() -> bool {
    let Some(&(line, mode)) = CONSOLE_LINE.get() else {
        return false;
    };
    let apic_id = APIC_ID.load(core::sync::atomic::Ordering::Relaxed);
    io_apic::route(line, trap::SERIAL_VECTOR, mode, apic_id)
}

/// Starts the periodic timer interrupt at `frequency` Hz.
pub fn start_timer(frequency: u32) {
    apic::start_periodic_timer(frequency);
}

/// Nanoseconds since the clocks were calibrated.
pub fn monotonic_nanoseconds() -> u64 {
    apic::monotonic_nanoseconds()
}

/// The instruction-or-cycle counter user benchmarks read (the TSC).
pub fn read_counter() -> u64 {
    apic::read_time_stamp_counter()
}

/// Enables interrupts, halts until one has been handled, and disables them again.
pub fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` takes no interrupt between the two instructions (sti's shadow),
    // so an interrupt cannot be missed; kernel-mode interrupts are handled on this stack by
    // `trap_from_kernel`, which preserves every register.
    unsafe { core::arch::asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// Makes `context` the one the next entry from user mode saves into and
/// [`resume_user`] restores, and loads its floating-point state if another thread's is
/// live.
///
/// # Safety
///
/// `context` must point at a live context that stays put until the next switch (threads
/// live in the kernel's arenas, which never move objects); the kernel calls
/// [`forget_floating_point`] before freeing a context.
pub unsafe fn set_current_context(context: *mut UserContext) {
    cpu::set_current_context(context as u64, size_of::<Registers>() as u64);
    // SAFETY: the caller's contract.
    unsafe { context::switch_floating_point(context) };
}

/// Reads an address the kernel never maps, to test the kernel-fault path.
pub fn provoke_kernel_fault() -> ! {
    let address = 0xffff_ff7f_dead_b000u64 as *const u64;
    // SAFETY: deliberately unsound: the address is unmapped, so the read faults and the
    // kernel-fault handler stops the machine; this function never returns.
    let value = unsafe { address.read_volatile() };
    panic!("read {value:#x} from an unmapped kernel address without a fault");
}
