//! Cache operations: zeroing pages a cache block at a time, and making code the kernel
//! wrote through the direct map visible to instruction fetch.
//!
//! `DC ZVA` zeroes a whole block (`4 << DCZID_EL0.BS` bytes, 64 on Cortex-A53, A72 and
//! QEMU's `max`) per instruction, where a store loop needs three instructions per eight
//! bytes: a page is 64 instructions instead of about 1,500. When `DCZID_EL0.DZP` forbids
//! it, pages are zeroed with stores.
//!
//! Arm's instruction cache does not see data writes (unless `CTR_EL0` says so): after the
//! kernel copies a program's code into frames, each line must be cleaned from the data
//! cache to the point of unification (`DC CVAU`, skipped when `CTR_EL0.IDC` is set) and
//! invalidated in the instruction cache (`IC IVAU`, skipped when `CTR_EL0.DIC` is set),
//! with barriers between and after. An instruction cache that is VIPT and may alias
//! (`CTR_EL0.L1Ip` = 0b10) cannot be cleaned through the kernel's address of a frame for a
//! program that runs it at another address, so it is invalidated whole (`IC IALLUIS`),
//! as Linux does. Under QEMU's TCG none of this is needed (it watches code pages), but
//! Cortex-A53 and A72 hardware needs both steps.

use core::arch::asm;

/// `CTR_EL0.IDC`: no data cache clean needed for instruction-to-data coherence.
const IDC: u64 = 1 << 28;
/// `CTR_EL0.DIC`: no instruction cache invalidation needed.
const DIC: u64 = 1 << 29;
/// `CTR_EL0.L1Ip` value for a VIPT instruction cache (which may alias).
const L1IP_VIPT: u64 = 0b10;

/// `DCZID_EL0.DZP`: `DC ZVA` is prohibited.
const DZP: u64 = 1 << 4;
/// The size of a page.
const PAGE_BYTES: u64 = 4096;

/// Zeroes the 4 KiB page at kernel address `address`.
///
/// # Safety
///
/// `address` must be page-aligned and map (as normal memory) a page that nothing else
/// uses while it is zeroed.
pub unsafe fn zero_page(address: u64) {
    let identification: u64;
    // SAFETY: reading DCZID_EL0 has no side effects and is allowed at EL1.
    unsafe {
        asm!("mrs {value}, dczid_el0", value = out(reg) identification, options(nomem, nostack));
    }
    let block = 4u64 << (identification & 0xf);
    if identification & DZP != 0 || block > PAGE_BYTES {
        // SAFETY: the caller gives a page-aligned, exclusively owned page.
        unsafe { (address as *mut u8).write_bytes(0, PAGE_BYTES as usize) };
        return;
    }
    let mut current = address;
    while current < address + PAGE_BYTES {
        // SAFETY: `current` lies in the caller's page (blocks divide the page, and the page
        // is aligned to them), which nothing else uses.
        unsafe { asm!("dc zva, {block}", block = in(reg) current, options(nostack)) };
        current += block;
    }
}

/// Makes `length` bytes written at kernel address `address` visible to instruction fetch
/// everywhere they are mapped.
pub fn synchronize_instruction_cache(address: u64, length: usize) {
    if length == 0 {
        return;
    }
    let cache_type: u64;
    // SAFETY: reading CTR_EL0 has no side effects and is allowed at EL1.
    unsafe { asm!("mrs {value}, ctr_el0", value = out(reg) cache_type, options(nomem, nostack)) };
    let end = address + length as u64;
    if cache_type & IDC == 0 {
        let line = 4u64 << ((cache_type >> 16) & 0xf);
        let mut current = address & !(line - 1);
        while current < end {
            // SAFETY: `current` lies in the direct map of a frame the kernel owns (the caller
            // just wrote it); cleaning a line writes it back and changes no data.
            unsafe { asm!("dc cvau, {line}", line = in(reg) current, options(nostack)) };
            current += line;
        }
    }
    // SAFETY: barriers only order the maintenance above before what follows.
    unsafe { asm!("dsb ish", options(nostack)) };
    if cache_type & DIC == 0 {
        if (cache_type >> 14) & 0b11 == L1IP_VIPT {
            // SAFETY: invalidating the instruction cache only drops cached instructions,
            // which are fetched again from memory.
            unsafe { asm!("ic ialluis", options(nostack)) };
        } else {
            let line = 4u64 << (cache_type & 0xf);
            let mut current = address & !(line - 1);
            while current < end {
                // SAFETY: as above; the address is mapped in the kernel's direct map.
                unsafe { asm!("ic ivau, {line}", line = in(reg) current, options(nostack)) };
                current += line;
            }
        }
        // SAFETY: as for the barrier above.
        unsafe { asm!("dsb ish", options(nostack)) };
    }
    // SAFETY: an instruction barrier only flushes this processor's pipeline.
    unsafe { asm!("isb", options(nostack)) };
}
