//! The aarch64 architecture: QEMU direct boot and Limine entry at EL1, stage-1 paging with
//! TTBR0/TTBR1, the exception vectors, `svc`, the generic timer, GICv2/GICv3, the PL011
//! console, and semihosting or PSCI to power off.

mod boot;
mod cache;
mod console;
mod context;
mod cpu;
mod exception;
mod gic;
mod paging;
mod power;
mod registers;
mod timer;

use core::arch::asm;
use core::fmt;

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTKCTL_EL1, CPACR_EL1, Writeable};
use core::sync::atomic::{AtomicU64, Ordering};

use super::Platform;
use crate::boot::BootInfo;
use crate::boot::device_tree::DeviceTree;
use crate::mm::kernel_space;
use crate::mm::page_table::Caching;

pub use cache::{synchronize_instruction_cache, zero_page};
pub use context::{Registers, UserContext, flush_floating_point, forget_floating_point};
pub use exception::resume_user;
pub use paging::{
    Paging, activate_kernel_only, activate_kernel_root, activate_user_root, current_root,
    flush_everything, flush_page, initialize_user_root,
};
pub use power::{halt_forever, power_off};

/// The architecture's name, as `uname -m` spells it.
pub const NAME: &str = "aarch64";

/// ELF `e_machine` of programs this kernel runs.
pub const ELF_MACHINE: u16 = elf::abi::EM_AARCH64;

/// Where the kernel's direct map of physical memory starts (the bottom of TTBR1's range).
pub const DIRECT_MAP_BASE: u64 = 0xffff_0000_0000_0000;

/// Where the kernel heap starts (TTBR1 root entry 510; the kernel image is in 511).
pub const KERNEL_HEAP_BASE: u64 = 0xffff_ff00_0000_0000;

/// Root-table entries of the kernel half the kernel must create before any user address
/// space exists: none (TTBR1 is shared).
pub const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = paging::KERNEL_ROOT_ENTRIES;

/// Kernel virtual address minus physical address of the kernel image.
static KERNEL_VIRTUAL_OFFSET: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" {
    static __kernel_stack_top: u8;
}

/// Per-CPU set-up run by both entry paths before any Rust code that may fault: the vector
/// table, the per-CPU pointer, FP/SIMD access for programs, EL0 counter access.
extern "C" fn prepare_cpu() {
    exception::install_vectors();
    cpu::initialize((&raw const __kernel_stack_top) as u64);
    timer::initialize();
    // Programs may use FP/SIMD (the kernel itself is built without it) and read the virtual
    // counter.
    CPACR_EL1.write(CPACR_EL1::FPEN::TrapNothing);
    CNTKCTL_EL1.write(CNTKCTL_EL1::EL0VCTEN::SET);
    barrier::isb(barrier::SY);
}

/// Writes to the console.
pub fn console_write(bytes: &[u8]) {
    console::write_bytes(bytes);
}

/// Writes to the console from the fatal path, ignoring its lock.
pub fn console_write_emergency(bytes: &[u8]) {
    console::write_bytes_emergency(bytes);
}

/// A byte received on the console, if any.
pub fn console_read_byte() -> Option<u8> {
    console::read_byte()
}

/// Processor setup before the kernel builds its page tables (nothing on aarch64).
pub fn early_initialize() {}

/// Called as soon as the kernel's own page tables are active: maps the console UART as
/// device memory and moves the driver there (the loader's mapping is gone).
///
/// # Errors
///
/// A message when the UART cannot be mapped.
pub fn kernel_tables_active() -> Result<(), &'static str> {
    let uart = console::physical_base();
    if uart != 0 {
        let mapped = kernel_space::map_physical(uart, 0x1000, Caching::Device)
            .map_err(|_| "cannot map the console UART")?;
        // SAFETY: `mapped` is the device mapping just made of the UART's registers.
        unsafe { console::relocate(mapped) };
    }
    Ok(())
}

/// The processor, for the boot banner.
pub fn processor_description() -> impl fmt::Display {
    cpu::description()
}

/// Device-tree interrupt cells to an INTID: type 0 = SPI (32 + n), 1 = PPI (16 + n).
fn intid_from_cells(kind: u32, number: u32) -> u32 {
    if kind == 1 { 16 + number } else { 32 + number }
}

/// The EL1 virtual timer's PPI, when the device tree does not say (INTID 27).
const DEFAULT_VIRTUAL_TIMER_INTID: u32 = 27;

/// Sets up the console mapping, the interrupt controller and the timer from the device
/// tree. Runs once, after the kernel's page tables and frame allocator exist.
///
/// # Errors
///
/// A message when there is no device tree or no usable interrupt controller.
pub fn initialize(boot: &BootInfo) -> Result<Platform, &'static str> {
    let address =
        boot.firmware.device_tree.ok_or("no device tree (Courier's aarch64 port needs one)")?;
    let pointer = kernel_space::direct_map(address) as *const u8;
    // SAFETY: the blob lies in RAM, which the kernel's direct map covers, and is reserved
    // from the frame allocator; the header is read first and its size capped at 8 MiB.
    let header = unsafe { core::slice::from_raw_parts(pointer, 8) };
    let size = crate::boot::device_tree::blob_size(header).ok_or("the device tree is corrupt")?;
    // SAFETY: as above.
    let blob = unsafe { core::slice::from_raw_parts(pointer, size) };
    let tree = DeviceTree::parse(blob).map_err(|_| "the device tree is corrupt")?;

    power::set_psci_method(tree.psci_method());
    let controller = gic::initialize(&tree)?;
    let timer_intid = tree
        .find_compatible(&["arm,armv8-timer", "arm,armv7-timer"])
        .and_then(|timer| match timer.interrupts() {
            [_, _, _, _, _, _, kind, number, ..] => Some(intid_from_cells(*kind, *number)),
            _ => None,
        })
        .unwrap_or(DEFAULT_VIRTUAL_TIMER_INTID);
    let console_intid =
        console::interrupt().map(|(kind, number, _)| intid_from_cells(kind, number));
    gic::set_known_interrupts(timer_intid, console_intid);
    Ok(Platform {
        processor_count: u32::try_from(tree.processor_count()).unwrap_or(1).max(1),
        interrupt_controller: controller,
        counter_frequency: timer::frequency(),
    })
}

/// Routes the console's receive interrupt to the kernel. Returns `false` if it cannot.
pub fn enable_console_input_interrupt() -> bool {
    let Some((kind, number, flags)) = console::interrupt() else {
        return false;
    };
    // Flags 1 and 2 are edge-triggered in the GIC binding, 4 and 8 level.
    gic::enable(intid_from_cells(kind, number), flags & 0b11 != 0);
    console::enable_receive_interrupt();
    true
}

/// Starts the periodic timer interrupt at `frequency` Hz.
pub fn start_timer(frequency: u32) {
    timer::start(frequency);
    gic::enable(gic_timer_intid(), false);
}

fn gic_timer_intid() -> u32 {
    // The INTID recorded by `initialize`.
    gic::timer_intid()
}

/// Nanoseconds since the clocks were initialised.
pub fn monotonic_nanoseconds() -> u64 {
    timer::monotonic_nanoseconds()
}

/// The counter user benchmarks read (`CNTVCT_EL0`).
pub fn read_counter() -> u64 {
    timer::counter()
}

/// Waits for an interrupt, takes it, and masks interrupts again.
pub fn wait_for_interrupt() {
    // SAFETY: `wfi` wakes on a pending interrupt even while masked, so unmasking after it
    // cannot miss one; the interrupt is handled at EL1 on this stack by
    // `trap_from_kernel`, which preserves every register.
    unsafe { asm!("wfi", "msr daifclr, #2", "isb", "msr daifset, #2", options(nomem, nostack)) };
}

/// Makes `context` the one the next exception from EL0 saves into and [`resume_user`]
/// restores, and loads its FP/SIMD state if another thread's is live.
///
/// # Safety
///
/// `context` must point at a live context that stays put until the next switch (threads
/// live in the kernel's arenas, which never move objects); the kernel calls
/// [`forget_floating_point`] before freeing a context.
pub unsafe fn set_current_context(context: *mut UserContext) {
    cpu::set_current_context(context as u64);
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

/// Kernel virtual address minus physical address of the kernel image.
pub fn kernel_virtual_offset() -> u64 {
    KERNEL_VIRTUAL_OFFSET.load(Ordering::Relaxed)
}
