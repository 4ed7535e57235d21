//! Memory objects and mappings.

/// Map readable.
pub const MAP_READ: u64 = 1 << 0;
/// Map writable.
pub const MAP_WRITE: u64 = 1 << 1;
/// Map executable.
pub const MAP_EXECUTE: u64 = 1 << 2;
/// Map exactly at the given address (fail if it is taken) rather than treating it as a
/// hint.
pub const MAP_FIXED: u64 = 1 << 3;

/// Largest memory object, in bytes.
pub const MAX_MEMORY_OBJECT: u64 = 1 << 36;

/// Where the kernel places mappings it chooses the address for (below the stack).
pub const MAP_AREA_START: usize = 0x0000_1000_0000_0000;
/// One past the end of that area.
pub const MAP_AREA_END: usize = 0x0000_7000_0000_0000;
