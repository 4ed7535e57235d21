//! x86_64 page-table entries, address-space switching and TLB maintenance.
//!
//! Four-level paging. Bits used: present (0), writable (1), user (2), PWT (3) and PCD (4)
//! (both set = uncacheable with the power-on PAT), huge page (7) at levels 1 and 2,
//! global (8), no-execute (63). The user bit must be set on every level above a user page,
//! so table entries carry it when user mappings may lie below.
//!
//! The kernel half (root entries 256..512) is shared: every user root copies those
//! entries from the kernel root when it is created, and the kernel never adds a root entry
//! after boot ([`crate::mm::kernel_space`] creates all it will need up front).

use core::arch::asm;

use crate::mm::page_table::{Access, Attributes, Caching, PageTableFormat, Table};

const PRESENT: u64 = 1 << 0;
const WRITABLE: u64 = 1 << 1;
const USER: u64 = 1 << 2;
const WRITE_THROUGH: u64 = 1 << 3;
const CACHE_DISABLE: u64 = 1 << 4;
const HUGE: u64 = 1 << 7;
const GLOBAL: u64 = 1 << 8;
const NO_EXECUTE: u64 = 1 << 63;
const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Whether the processor has 1 GiB pages (set once at boot from CPUID).
static GIGABYTE_PAGES: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// Whether EFER.NXE is on, so the no-execute bit may be used.
static NO_EXECUTE_ENABLED: core::sync::atomic::AtomicBool =
    core::sync::atomic::AtomicBool::new(false);

/// Records the paging features found by CPUID.
pub fn set_features(gigabyte_pages: bool, no_execute: bool) {
    GIGABYTE_PAGES.store(gigabyte_pages, core::sync::atomic::Ordering::Relaxed);
    NO_EXECUTE_ENABLED.store(no_execute, core::sync::atomic::Ordering::Relaxed);
}

/// The x86_64 entry format.
pub struct Paging;

impl PageTableFormat for Paging {
    fn supports_leaf(level: usize) -> bool {
        match level {
            0 | 1 => true,
            2 => GIGABYTE_PAGES.load(core::sync::atomic::Ordering::Relaxed),
            _ => false,
        }
    }

    fn table_entry(table: u64, user: bool) -> u64 {
        (table & ADDRESS_MASK) | PRESENT | WRITABLE | if user { USER } else { 0 }
    }

    fn table_allows_user(entry: u64) -> bool {
        entry & USER != 0
    }

    fn leaf_entry(address: u64, attributes: Attributes, level: usize) -> u64 {
        let mut entry = (address & ADDRESS_MASK) | PRESENT;
        if attributes.access.write {
            entry |= WRITABLE;
        }
        if attributes.access.user {
            entry |= USER;
        }
        if !attributes.access.execute
            && NO_EXECUTE_ENABLED.load(core::sync::atomic::Ordering::Relaxed)
        {
            entry |= NO_EXECUTE;
        }
        if attributes.caching == Caching::Device {
            entry |= WRITE_THROUGH | CACHE_DISABLE;
        }
        if attributes.global {
            entry |= GLOBAL;
        }
        if level > 0 {
            entry |= HUGE;
        }
        entry
    }

    fn is_valid(entry: u64) -> bool {
        entry & PRESENT != 0
    }

    fn is_table(entry: u64, level: usize) -> bool {
        level > 0 && (level == 3 || entry & HUGE == 0)
    }

    fn address(entry: u64, level: usize) -> u64 {
        if level > 0 && entry & HUGE != 0 {
            // Bit 12 of a huge-page entry is the PAT bit, not an address bit.
            entry & ADDRESS_MASK & !((1 << (12 + 9 * level)) - 1)
        } else {
            entry & ADDRESS_MASK
        }
    }

    fn attributes(entry: u64, _level: usize) -> Attributes {
        Attributes {
            access: Access {
                write: entry & WRITABLE != 0,
                execute: entry & NO_EXECUTE == 0,
                user: entry & USER != 0,
            },
            caching: if entry & CACHE_DISABLE != 0 { Caching::Device } else { Caching::Normal },
            global: entry & GLOBAL != 0,
        }
    }
}

/// First root-table index of the kernel half.
const KERNEL_HALF_FIRST_ENTRY: usize = 256;

/// Prepares a new user root: copies the kernel-half entries of `kernel_root`.
pub fn initialize_user_root(user_root: &mut Table, kernel_root: &Table) {
    user_root[KERNEL_HALF_FIRST_ENTRY..].copy_from_slice(&kernel_root[KERNEL_HALF_FIRST_ENTRY..]);
}

/// Root-table entries of the kernel half that must exist before any user address space is
/// created (so that copies made later see every kernel mapping): all of them.
pub const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = KERNEL_HALF_FIRST_ENTRY..512;

/// Switches to the kernel's own page tables.
///
/// # Safety
///
/// `root` must be the physical address of a root table that maps the running code, the
/// current stack and everything the kernel touches next, at the same virtual addresses.
pub unsafe fn activate_kernel_root(root: u64) {
    // SAFETY: the caller guarantees the new tables map everything in use; writing CR3
    // also flushes the non-global TLB entries.
    unsafe { asm!("mov cr3, {root}", root = in(reg) root, options(nostack, preserves_flags)) };
    flush_everything();
}

/// Switches to a user address space (the kernel half is the same in every root).
///
/// # Safety
///
/// `root` must be a root table made by [`initialize_user_root`] whose user half maps only
/// memory the process owns.
pub unsafe fn activate_user_root(root: u64, _address_space_identifier: u16) {
    // SAFETY: the kernel half is identical in every root, so the running kernel code and
    // data stay mapped; the user half belongs to the process being switched to.
    unsafe { asm!("mov cr3, {root}", root = in(reg) root, options(nostack, preserves_flags)) };
}

/// Switches to the kernel's tables alone (no user half), before an address space is
/// destroyed.
///
/// # Safety
///
/// `kernel_root` must be the kernel's root table.
pub unsafe fn activate_kernel_only(kernel_root: u64) {
    // SAFETY: the kernel root maps the kernel half exactly as every user root does.
    unsafe {
        asm!("mov cr3, {root}", root = in(reg) kernel_root, options(nostack, preserves_flags));
    };
}

/// The current root table's physical address.
pub fn current_root() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe {
        asm!("mov {value}, cr3", value = out(reg) value, options(nomem, nostack, preserves_flags));
    };
    value & ADDRESS_MASK
}

/// Invalidates the TLB entry for `virtual_address` in the current address space.
pub fn flush_page(virtual_address: u64, _address_space_identifier: u16) {
    // SAFETY: invlpg only drops a cached translation.
    unsafe {
        asm!("invlpg [{address}]", address = in(reg) virtual_address, options(nostack, preserves_flags));
    };
}

/// Invalidates every TLB entry, global ones included (toggling CR4.PGE).
pub fn flush_everything() {
    // SAFETY: toggling CR4.PGE flushes the whole TLB and changes nothing else; the value
    // written back is the one read.
    unsafe {
        let cr4: u64;
        asm!("mov {cr4}, cr4", cr4 = out(reg) cr4, options(nomem, nostack, preserves_flags));
        if cr4 & (1 << 7) != 0 {
            asm!("mov cr4, {cleared}", "mov cr4, {original}", cleared = in(reg) cr4 & !(1 << 7),
                original = in(reg) cr4, options(nostack, preserves_flags));
        } else {
            asm!("mov {cr3}, cr3", "mov cr3, {cr3}", cr3 = out(reg) _, options(nostack, preserves_flags));
        }
    }
}
