//! The layout of a user address space, the same on every architecture.
//!
//! User space is the lower half of a 47-bit virtual address space on both x86_64 and
//! aarch64 (aarch64 could give 48 bits; using 47 keeps one layout for both). Programs are
//! linked at [`PROGRAM_BASE`] and get a stack just below [`STACK_TOP`] with an unmapped
//! guard page underneath it.

/// Size of a page, in bytes.
pub const PAGE_SIZE: usize = 4096;

/// Lowest address a user mapping may start at; page 0 stays unmapped so that null
/// pointers fault.
pub const USER_SPACE_START: usize = PAGE_SIZE;

/// One past the highest user address.
pub const USER_SPACE_END: usize = 0x0000_8000_0000_0000;

/// Address programs are linked at (the start of their first loadable segment).
pub const PROGRAM_BASE: usize = 0x0040_0000;

/// One past the highest byte of the initial thread's stack (16-byte aligned).
pub const STACK_TOP: usize = 0x0000_7fff_ffff_0000;

/// Size of the initial thread's stack, in bytes.
pub const STACK_SIZE: usize = 256 * 1024;

/// Lowest address of the initial thread's stack. The page below it is the guard page:
/// never mapped, so a stack overflow faults instead of overwriting other memory.
pub const STACK_BOTTOM: usize = STACK_TOP - STACK_SIZE;

/// Whether `[start, start + length)` lies entirely inside user space.
pub const fn is_user_range(start: usize, length: usize) -> bool {
    match start.checked_add(length) {
        Some(end) => start >= USER_SPACE_START && end <= USER_SPACE_END,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_is_page_aligned_and_inside_user_space() {
        assert_eq!(STACK_TOP % PAGE_SIZE, 0);
        assert_eq!(STACK_BOTTOM % PAGE_SIZE, 0);
        assert!(is_user_range(STACK_BOTTOM - PAGE_SIZE, STACK_SIZE + PAGE_SIZE));
    }

    #[test]
    fn user_range_checks_overflow_and_bounds() {
        assert!(is_user_range(PROGRAM_BASE, PAGE_SIZE));
        assert!(!is_user_range(0, 1));
        assert!(!is_user_range(USER_SPACE_END - 1, 2));
        assert!(!is_user_range(usize::MAX, 2));
        assert!(is_user_range(USER_SPACE_END - 1, 1));
    }
}
