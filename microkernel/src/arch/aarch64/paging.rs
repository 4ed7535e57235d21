//! aarch64 stage-1 translation (4 KiB granule, 48-bit addresses), address-space
//! switching and TLB maintenance.
//!
//! User address spaces live in TTBR0 (tagged with an ASID), the kernel in TTBR1, so a
//! user root has no kernel entries to copy. Descriptor bits used: valid (0), table/page
//! (1), attribute index (4:2, see [`super::registers::MAIR`]), AP (7:6: bit 6 = EL0
//! access, bit 7 = read-only), shareability (9:8), access flag (10), not-global (11),
//! privileged execute-never (53), unprivileged execute-never (54).

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use aarch64_cpu::registers::{ID_AA64MMFR0_EL1, Readable, TTBR0_EL1};

use super::registers::{ATTRIBUTE_DEVICE, ATTRIBUTE_NORMAL, MAIR, TCR};
use crate::mm::page_table::{Access, Attributes, Caching, PageTableFormat, Table};

const VALID: u64 = 1 << 0;
const TABLE_OR_PAGE: u64 = 1 << 1;
const USER_ACCESS: u64 = 1 << 6;
const READ_ONLY: u64 = 1 << 7;
const INNER_SHAREABLE: u64 = 0b11 << 8;
const ACCESS_FLAG: u64 = 1 << 10;
const NOT_GLOBAL: u64 = 1 << 11;
const PRIVILEGED_EXECUTE_NEVER: u64 = 1 << 53;
const USER_EXECUTE_NEVER: u64 = 1 << 54;
const ADDRESS_MASK: u64 = 0x0000_ffff_ffff_f000;

/// The aarch64 descriptor format.
pub struct Paging;

impl PageTableFormat for Paging {
    fn supports_leaf(level: usize) -> bool {
        level <= 2
    }

    fn table_entry(table: u64, _user: bool) -> u64 {
        (table & ADDRESS_MASK) | VALID | TABLE_OR_PAGE
    }

    fn table_allows_user(_entry: u64) -> bool {
        true
    }

    fn leaf_entry(address: u64, attributes: Attributes, level: usize) -> u64 {
        let mut entry = (address & ADDRESS_MASK) | VALID | ACCESS_FLAG;
        if level == 0 {
            entry |= TABLE_OR_PAGE;
        }
        match attributes.caching {
            Caching::Normal => entry |= (ATTRIBUTE_NORMAL << 2) | INNER_SHAREABLE,
            Caching::Device => entry |= ATTRIBUTE_DEVICE << 2,
        }
        let access = attributes.access;
        if !access.write {
            entry |= READ_ONLY;
        }
        if access.user {
            entry |= USER_ACCESS | PRIVILEGED_EXECUTE_NEVER;
            if !access.execute {
                entry |= USER_EXECUTE_NEVER;
            }
        } else {
            entry |= USER_EXECUTE_NEVER;
            if !access.execute || attributes.caching == Caching::Device {
                entry |= PRIVILEGED_EXECUTE_NEVER;
            }
        }
        if !attributes.global {
            entry |= NOT_GLOBAL;
        }
        entry
    }

    fn is_valid(entry: u64) -> bool {
        entry & VALID != 0
    }

    fn is_table(entry: u64, level: usize) -> bool {
        level > 0 && entry & TABLE_OR_PAGE != 0
    }

    fn address(entry: u64, _level: usize) -> u64 {
        entry & ADDRESS_MASK
    }

    fn attributes(entry: u64, _level: usize) -> Attributes {
        let user = entry & USER_ACCESS != 0;
        let execute = if user {
            entry & USER_EXECUTE_NEVER == 0
        } else {
            entry & PRIVILEGED_EXECUTE_NEVER == 0
        };
        Attributes {
            access: Access { write: entry & READ_ONLY == 0, execute, user },
            caching: if (entry >> 2) & 0b111 == ATTRIBUTE_DEVICE {
                Caching::Device
            } else {
                Caching::Normal
            },
            global: entry & NOT_GLOBAL == 0,
        }
    }
}

/// Prepares a new user root: nothing to copy, the kernel is in TTBR1.
pub fn initialize_user_root(_user_root: &mut Table, _kernel_root: &Table) {}

/// Root entries of the kernel half the kernel must create up front: none need sharing,
/// since every address space uses the same TTBR1 root.
pub const KERNEL_ROOT_ENTRIES: core::ops::Range<usize> = 0..0;

/// Physical address of an all-invalid table used as TTBR0 when no process runs.
static EMPTY_TABLE_PHYSICAL: AtomicU64 = AtomicU64::new(0);

#[repr(C, align(4096))]
struct EmptyTable([u64; 512]);

static EMPTY_TABLE: EmptyTable = EmptyTable([0; 512]);

fn empty_table_physical() -> u64 {
    let known = EMPTY_TABLE_PHYSICAL.load(Ordering::Relaxed);
    if known != 0 {
        return known;
    }
    let physical =
        (&raw const EMPTY_TABLE) as u64 - super::KERNEL_VIRTUAL_OFFSET.load(Ordering::Relaxed);
    EMPTY_TABLE_PHYSICAL.store(physical, Ordering::Relaxed);
    physical
}

/// Switches to the kernel's own tables: sets MAIR and TCR to Courier's values, TTBR1 to
/// `root` and TTBR0 to an empty table.
///
/// # Safety
///
/// `root` must map the running code, the stack and everything the kernel uses next at the
/// same virtual addresses as the current tables.
pub unsafe fn activate_kernel_root(root: u64) {
    let empty = empty_table_physical();
    // SAFETY: the caller guarantees the new TTBR1 tables map everything in use; TTBR0 gets
    // an empty table, so no lower-half address is used afterwards; the barriers and TLB
    // invalidation make the change take effect before the next memory access.
    unsafe {
        let physical_range = ID_AA64MMFR0_EL1.read(ID_AA64MMFR0_EL1::PARange) & 0b111;
        let sixteen_bit_asids = ID_AA64MMFR0_EL1.read(ID_AA64MMFR0_EL1::ASIDBits) == 0b10;
        let tcr = TCR | (physical_range << 32) | if sixteen_bit_asids { 1 << 36 } else { 0 };
        asm!(
            "dsb ishst",
            "msr mair_el1, {mair}",
            "msr tcr_el1, {tcr}",
            "msr ttbr0_el1, {empty}",
            "msr ttbr1_el1, {root}",
            "isb",
            "tlbi vmalle1is",
            "dsb ish",
            "isb",
            mair = in(reg) MAIR,
            tcr = in(reg) tcr,
            empty = in(reg) empty,
            root = in(reg) root,
            options(nostack),
        );
    }
}

/// Switches TTBR0 to an empty table (no user address space).
///
/// # Safety
///
/// Nothing may use lower-half addresses afterwards until a user root is activated.
pub unsafe fn activate_kernel_only(_kernel_root: u64) {
    let empty = empty_table_physical();
    // SAFETY: the kernel lives in TTBR1; TTBR0 gets a table with no valid entries.
    unsafe { asm!("msr ttbr0_el1, {empty}", "isb", empty = in(reg) empty, options(nostack)) };
}

/// Switches to a user address space tagged with `address_space_identifier`.
///
/// # Safety
///
/// `root` must be a user root whose entries map only memory the process owns, and the
/// identifier must be used by no other live address space (or be flushed).
pub unsafe fn activate_user_root(root: u64, address_space_identifier: u16) {
    let value = root | (u64::from(address_space_identifier) << 48);
    // SAFETY: TTBR0 only translates lower-half addresses, which the kernel does not use;
    // ASID tagging keeps other spaces' TLB entries apart.
    unsafe { asm!("msr ttbr0_el1, {value}", "isb", value = in(reg) value, options(nostack)) };
}

/// The current user root's physical address (TTBR0 without the ASID).
pub fn current_root() -> u64 {
    TTBR0_EL1.get() & ADDRESS_MASK
}

/// Invalidates the TLB entries for the page at `virtual_address` (for the given ASID, or
/// for all ASIDs when it is 0, the kernel's).
pub fn flush_page(virtual_address: u64, address_space_identifier: u16) {
    let page = (virtual_address >> 12) & ((1 << 44) - 1);
    // SAFETY: TLB invalidation only drops cached translations; the barriers order it
    // after the table write and before later accesses.
    unsafe {
        if address_space_identifier == 0 {
            asm!("dsb ishst", "tlbi vaae1is, {page}", "dsb ish", "isb", page = in(reg) page, options(nostack));
        } else {
            let operand = page | (u64::from(address_space_identifier) << 48);
            asm!("dsb ishst", "tlbi vae1is, {operand}", "dsb ish", "isb", operand = in(reg) operand, options(nostack));
        }
    }
}

/// Invalidates every TLB entry.
pub fn flush_everything() {
    // SAFETY: as for `flush_page`.
    unsafe { asm!("dsb ishst", "tlbi vmalle1is", "dsb ish", "isb", options(nostack)) };
}
