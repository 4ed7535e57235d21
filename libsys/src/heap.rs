//! The program heap's memory: one memory object, mapped once, pages allocated by the
//! kernel as they are first touched.
//!
//! The global allocator (in [`crate::arch`], the only module with unsafe code) asks for the
//! region at the first allocation. Reserving [`HEAP_RESERVE`] bytes of address space costs
//! nothing until pages are used; the frames return to the kernel when the process ends.

use courier_abi::memory::{MAP_READ, MAP_WRITE};

use crate::memory::MemoryObject;

/// Bytes of address space the heap may use.
pub const HEAP_RESERVE: usize = 256 << 20;

/// Creates and maps the heap's memory object; `(address, length)` of the region, or `None`
/// when the kernel refuses (the allocation then fails).
pub fn reserve() -> Option<(usize, usize)> {
    let object = MemoryObject::create(HEAP_RESERVE).ok()?;
    let mapping = object.map(0, 0, HEAP_RESERVE, MAP_READ | MAP_WRITE).ok()?;
    // The handle can go: the mapping keeps the object alive for the life of the process.
    let _ = crate::handle::close(object.0);
    Some((mapping.address(), mapping.length()))
}
