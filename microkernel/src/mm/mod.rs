//! Memory management: physical frames, page tables, the kernel's address space and user
//! address spaces.
//!
//! [`frame`] and [`page_table`] are portable and tested on the host (the page-table
//! walker runs over simulated memory there). The rest uses the architecture's paging
//! format and the kernel's direct map and exists only in the kernel build.

pub mod frame;
pub mod page_table;

#[cfg(target_os = "none")]
pub mod address_space;
#[cfg(target_os = "none")]
pub mod device;
#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
pub mod kernel_space;
#[cfg(target_os = "none")]
pub mod physical;

/// Size of a page and of a frame.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `value` down to a multiple of `alignment` (a power of two).
pub const fn align_down(value: u64, alignment: u64) -> u64 {
    value & !(alignment - 1)
}

/// Rounds `value` up to a multiple of `alignment` (a power of two); `None` on overflow.
pub const fn align_up(value: u64, alignment: u64) -> Option<u64> {
    match value.checked_add(alignment - 1) {
        Some(sum) => Some(sum & !(alignment - 1)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment() {
        assert_eq!(align_down(0x1fff, PAGE_SIZE), 0x1000);
        assert_eq!(align_up(0x1001, PAGE_SIZE), Some(0x2000));
        assert_eq!(align_up(0x1000, PAGE_SIZE), Some(0x1000));
        assert_eq!(align_up(u64::MAX, PAGE_SIZE), None);
    }
}
