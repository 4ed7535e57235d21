//! Reading physical memory through a direct map.

use crate::boot::PhysicalMemoryReader;

/// Reads physical memory below `limit` at `address + offset`, where a direct map of all of
/// it is known to be present (the loader's early one, or the kernel's own).
#[derive(Clone, Copy, Debug)]
pub struct DirectMapReader {
    offset: u64,
    limit: u64,
}

impl DirectMapReader {
    /// A reader for a direct map at `offset` covering physical `[0, limit)`.
    ///
    /// # Safety
    ///
    /// Every physical address below `limit` must be mapped readable at `address + offset`
    /// for as long as the reader is used.
    pub const unsafe fn new(offset: u64, limit: u64) -> Self {
        DirectMapReader { offset, limit }
    }
}

impl PhysicalMemoryReader for DirectMapReader {
    fn read(&self, address: u64, buffer: &mut [u8]) -> bool {
        let Some(end) = address.checked_add(buffer.len() as u64) else {
            return false;
        };
        if end > self.limit {
            return false;
        }
        let source = (address + self.offset) as *const u8;
        for (index, byte) in buffer.iter_mut().enumerate() {
            // SAFETY: `[address, end)` lies below `limit`, which the creator of this reader
            // guarantees is mapped readable at `offset`; byte-wise volatile reads need no
            // alignment and are not assumed stable by the compiler.
            *byte = unsafe { source.add(index).read_volatile() };
        }
        true
    }
}
