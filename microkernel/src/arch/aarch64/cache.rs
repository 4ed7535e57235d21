//! Cache maintenance: making code the kernel wrote through the direct map visible to
//! instruction fetch.
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
