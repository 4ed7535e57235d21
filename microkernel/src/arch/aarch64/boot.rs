//! aarch64 entry points: QEMU's direct boot (MMU off) and Limine's entry (MMU on).
//!
//! Direct boot: QEMU enters `_start` at its physical address, at EL1 (or EL2 with
//! `virtualization=on`, which the stub leaves for EL1), with the MMU off. The stub zeroes
//! `.bss`, builds early page tables with 1 GiB blocks (an identity map of the first 4 GiB
//! for the switch-over; the direct map of the first 512 GiB at
//! [`super::DIRECT_MAP_BASE`], block 0 as device memory, the rest normal; and the GiB
//! holding the kernel at `0xffffffff80000000`), turns the MMU on and jumps to the virtual
//! address of [`direct_boot_main`], which finds the device tree and builds the `BootInfo`.
//!
//! Limine: `limine_entry` runs at EL1 on the bootloader's page tables; it switches to the
//! kernel's boot stack and calls `crate::boot::limine`.

use core::sync::atomic::Ordering;

use crate::boot::{self, BootError, KernelImage, device_tree};
use crate::mm::kernel_space;

use super::registers;

/// Where QEMU's direct boot loads the kernel (`KERNEL_PHYSICAL_BASE + KERNEL_LOAD_OFFSET`
/// in `kernel.ld`).
const KERNEL_LOAD_ADDRESS: u64 = 0x4020_0000;

/// How much physical memory the early direct map covers.
const EARLY_MAPPED_MEMORY: u64 = 512 << 30;

/// Early block descriptor for normal memory: valid block, attribute index 0, inner
/// shareable, access flag, not executable at EL0.
const EARLY_NORMAL_BLOCK: u64 = 0x1 | (0b11 << 8) | (1 << 10) | (1 << 54);
/// Early block descriptor for device memory: attribute index 1, access flag, never
/// executable.
const EARLY_DEVICE_BLOCK: u64 = 0x1 | (1 << 2) | (1 << 10) | (1 << 53) | (1 << 54);

core::arch::global_asm!(
    // Early tables: identity L0 and L1, high L0, direct-map L1, kernel L1.
    ".section .bss.early_page_tables, \"aw\", @nobits",
    ".balign 4096",
    "early_page_tables:",
    ".skip 5 * 4096",

    ".section .text.boot, \"ax\"",
    ".global _start",
    "_start:",
    "    mov x19, x0",
    "    mrs x1, CurrentEL",
    "    lsr x1, x1, #2",
    "    cmp x1, #2",
    "    b.ne .Lat_el1",
    // EL2: run EL1 in AArch64, give it the timers and counters, drop to EL1h with all
    // interrupts masked.
    "    mov x1, #(1 << 31)",
    "    msr hcr_el2, x1",
    "    mov x1, #3",
    "    msr cnthctl_el2, x1",
    "    msr cntvoff_el2, xzr",
    "    ldr x1, ={sctlr_off}",
    "    msr sctlr_el1, x1",
    "    mov x1, #0x3c5",
    "    msr spsr_el2, x1",
    "    adr x1, .Lat_el1",
    "    msr elr_el2, x1",
    "    eret",
    ".Lat_el1:",
    "    msr daifset, #0xf",
    "    msr spsel, #1",
    // Zero .bss (addresses from adrp are physical here: the MMU is off).
    "    adrp x1, __bss_start",
    "    add x1, x1, :lo12:__bss_start",
    "    adrp x2, __bss_end",
    "    add x2, x2, :lo12:__bss_end",
    ".Lzero_bss:",
    "    cmp x1, x2",
    "    b.hs .Lzero_bss_done",
    "    stp xzr, xzr, [x1], #16",
    "    b .Lzero_bss",
    ".Lzero_bss_done:",
    "    adrp x20, early_page_tables",
    // Identity: L0[0] -> L1 (x20 + 0x1000); L1[0] device, L1[1..4] normal.
    "    add x1, x20, #0x1000",
    "    orr x2, x1, #3",
    "    str x2, [x20]",
    "    ldr x3, ={device_block}",
    "    str x3, [x1]",
    "    ldr x3, ={normal_block}",
    "    mov x4, #1",
    ".Lidentity:",
    "    orr x5, x3, x4, lsl #30",
    "    str x5, [x1, x4, lsl #3]",
    "    add x4, x4, #1",
    "    cmp x4, #4",
    "    b.lo .Lidentity",
    // High: L0 (x20 + 0x2000); L0[0] -> direct L1 (x20 + 0x3000); L0[511] -> kernel L1
    // (x20 + 0x4000).
    "    add x6, x20, #0x2000",
    "    add x1, x20, #0x3000",
    "    orr x2, x1, #3",
    "    str x2, [x6]",
    "    ldr x3, ={device_block}",
    "    str x3, [x1]",
    "    ldr x3, ={normal_block}",
    "    mov x4, #1",
    ".Ldirect:",
    "    orr x5, x3, x4, lsl #30",
    "    str x5, [x1, x4, lsl #3]",
    "    add x4, x4, #1",
    "    cmp x4, #512",
    "    b.lo .Ldirect",
    "    add x1, x20, #0x4000",
    "    orr x2, x1, #3",
    "    str x2, [x6, #511 * 8]",
    // Kernel L1[510] = the GiB holding the kernel.
    "    adr x4, _start",
    "    and x4, x4, #~((1 << 30) - 1)",
    "    orr x5, x3, x4",
    "    str x5, [x1, #510 * 8]",
    // Memory attributes, translation control, tables, then the MMU.
    "    ldr x1, ={mair}",
    "    msr mair_el1, x1",
    "    mrs x1, id_aa64mmfr0_el1",
    "    and x2, x1, #0xf",
    "    ubfx x3, x1, #4, #4",
    "    ldr x1, ={tcr}",
    "    bfi x1, x2, #32, #3",
    "    cmp x3, #2",
    "    b.ne .Lasid8",
    "    orr x1, x1, #(1 << 36)",
    ".Lasid8:",
    "    msr tcr_el1, x1",
    "    msr ttbr0_el1, x20",
    "    msr ttbr1_el1, x6",
    "    isb",
    "    tlbi vmalle1",
    "    dsb nsh",
    "    isb",
    "    ldr x1, ={sctlr_on}",
    "    msr sctlr_el1, x1",
    "    isb",
    "    ldr x1, =.Lhigh",
    "    br x1",
    ".Lhigh:",
    "    adrp x1, __kernel_stack_top",
    "    add x1, x1, :lo12:__kernel_stack_top",
    "    mov sp, x1",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    bl {prepare_cpu}",
    "    mov x0, x19",
    "    bl {direct_boot_main}",
    "    b .",

    ".global limine_entry",
    "limine_entry:",
    "    msr daifset, #0xf",
    // Limine may enter with SP_EL0 selected; the kernel runs on SP_EL1.
    "    msr spsel, #1",
    "    adrp x1, __kernel_stack_top",
    "    add x1, x1, :lo12:__kernel_stack_top",
    "    mov sp, x1",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    bl {prepare_cpu}",
    "    bl {limine_main}",
    "    b .",
    ".text",
    sctlr_off = const registers::SCTLR_MMU_OFF,
    sctlr_on = const registers::SCTLR_MMU_ON,
    mair = const registers::MAIR,
    tcr = const registers::TCR,
    normal_block = const EARLY_NORMAL_BLOCK,
    device_block = const EARLY_DEVICE_BLOCK,
    prepare_cpu = sym super::prepare_cpu,
    direct_boot_main = sym direct_boot_main,
    limine_main = sym limine_main,
);

/// The device tree blob at physical `address`, read through a direct map at `offset`.
///
/// # Safety
///
/// Physical memory from `address` on (8 MiB at most, the largest blob accepted) must be
/// mapped readable at `offset + address`.
unsafe fn device_tree_at(address: u64, offset: u64) -> Option<&'static [u8]> {
    let pointer = (offset + address) as *const u8;
    // SAFETY: the caller guarantees the mapping; the header is 8 bytes, read before its
    // size is trusted.
    let header = unsafe { core::slice::from_raw_parts(pointer, 8) };
    let size = device_tree::blob_size(header)?;
    // SAFETY: as above; `blob_size` caps `size` at 8 MiB.
    Some(unsafe { core::slice::from_raw_parts(pointer, size) })
}

/// Finds the device tree QEMU left: at `hint` (a Linux-style `x0`), else at the start of
/// the GiB the kernel was loaded into.
fn find_device_tree(hint: u64) -> Option<(u64, &'static [u8])> {
    let ram_start = KERNEL_LOAD_ADDRESS & !((1 << 30) - 1);
    [hint, ram_start]
        .into_iter()
        .filter(|&address| {
            address != 0 && address + device_tree::MAX_SIZE as u64 <= EARLY_MAPPED_MEMORY
        })
        .find_map(|address| {
            // SAFETY: the early tables map physical [0, 512 GiB) at DIRECT_MAP_BASE, and the
            // filter keeps the largest possible blob inside that.
            let blob = unsafe { device_tree_at(address, super::DIRECT_MAP_BASE) }?;
            Some((address, blob))
        })
}

/// Continues QEMU's direct boot on the early page tables.
extern "C" fn direct_boot_main(device_tree_hint: u64) -> ! {
    let entry_counter = super::read_counter();
    let (virtual_base, size) = kernel_space::kernel_image_extent();
    let kernel = KernelImage { physical_base: KERNEL_LOAD_ADDRESS, virtual_base, size };
    super::KERNEL_VIRTUAL_OFFSET.store(virtual_base - KERNEL_LOAD_ADDRESS, Ordering::Relaxed);
    let Some((address, blob)) = find_device_tree(device_tree_hint) else {
        // No console without a device tree: nothing can be reported.
        super::power::halt_forever();
    };
    // SAFETY: the early tables map the first GiB (QEMU virt's devices) at DIRECT_MAP_BASE
    // as device memory.
    unsafe { super::console::initialize_from_device_tree(blob, super::DIRECT_MAP_BASE) };
    crate::kernel::boot(
        device_tree::collect(blob, address, super::DIRECT_MAP_BASE, kernel),
        entry_counter,
    )
}

/// Continues a Limine boot on the bootloader's page tables.
extern "C" fn limine_main() -> ! {
    let entry_counter = super::read_counter();
    let (virtual_base, size) = kernel_space::kernel_image_extent();
    let result = boot::limine::collect(size).and_then(|mut info| {
        super::KERNEL_VIRTUAL_OFFSET
            .store(virtual_base - info.kernel.physical_base, Ordering::Relaxed);
        let address = info.firmware.device_tree.ok_or(BootError::MissingResponse("device tree"))?;
        // SAFETY: base revision 2's direct map covers the first 4 GiB and every memory map
        // entry, which includes the blob Limine handed over.
        let blob = unsafe { device_tree_at(address, info.direct_map_offset) }
            .ok_or(BootError::BadDeviceTree)?;
        // SAFETY: the same direct map covers QEMU virt's device registers (first 4 GiB).
        unsafe { super::console::initialize_from_device_tree(blob, info.direct_map_offset) };
        if !info.reserve(address, blob.len() as u64) {
            return Err(BootError::BadDeviceTree);
        }
        let count = device_tree::DeviceTree::parse(blob)?.processor_count();
        info.processor_count = u32::try_from(count).ok().filter(|&count| count > 0);
        Ok(info)
    });
    crate::kernel::boot(result, entry_counter)
}
