//! Device registers: a block of memory-mapped registers reached through the kernel's
//! device mapping.
//!
//! Every driver keeps its registers in a [`RegisterBlock`] set once when the device is
//! mapped; reads and writes are volatile, at fixed offsets checked against the block's
//! size, so the unsafe part (trusting the mapping) is stated once, in [`RegisterBlock::map`].

use core::sync::atomic::{AtomicU64, Ordering};

/// A block of device registers: its virtual address (0 until mapped) and size.
pub struct RegisterBlock {
    base: AtomicU64,
    size: AtomicU64,
}

impl RegisterBlock {
    /// A block not mapped yet; accesses before [`RegisterBlock::map`] read 0 and write
    /// nothing.
    pub const fn unmapped() -> Self {
        RegisterBlock { base: AtomicU64::new(0), size: AtomicU64::new(0) }
    }

    /// Uses `size` bytes of registers at virtual address `base` from now on.
    ///
    /// # Safety
    ///
    /// `[base, base + size)` must be mapped as device memory for as long as the block is
    /// used (mappings of devices are never removed), and must be the registers of the one
    /// device this block's driver owns.
    pub unsafe fn map(&self, base: u64, size: u64) {
        self.size.store(size, Ordering::Relaxed);
        self.base.store(base, Ordering::Relaxed);
    }

    /// Whether [`RegisterBlock::map`] has been called.
    pub fn is_mapped(&self) -> bool {
        self.base.load(Ordering::Relaxed) != 0
    }

    /// The register at `offset` of width `width`, if the block is mapped and holds it.
    fn address(&self, offset: u64, width: u64) -> Option<u64> {
        let base = self.base.load(Ordering::Relaxed);
        let inside =
            offset.checked_add(width).is_some_and(|end| end <= self.size.load(Ordering::Relaxed));
        (base != 0 && inside && offset.is_multiple_of(width)).then_some(base + offset)
    }

    /// Reads the 32-bit register at `offset`.
    pub fn read32(&self, offset: u64) -> u32 {
        match self.address(offset, 4) {
            // SAFETY: `map`'s contract: the address is inside the mapped register block,
            // aligned, and device memory, where a volatile read is the access the device
            // expects.
            Some(address) => unsafe { (address as *const u32).read_volatile() },
            None => 0,
        }
    }

    /// Writes the 32-bit register at `offset`.
    pub fn write32(&self, offset: u64, value: u32) {
        if let Some(address) = self.address(offset, 4) {
            // SAFETY: as for `read32`.
            unsafe { (address as *mut u32).write_volatile(value) }
        }
    }

    /// Reads the 64-bit register at `offset`.
    pub fn read64(&self, offset: u64) -> u64 {
        match self.address(offset, 8) {
            // SAFETY: as for `read32`.
            Some(address) => unsafe { (address as *const u64).read_volatile() },
            None => 0,
        }
    }

    /// Writes the 64-bit register at `offset`.
    pub fn write64(&self, offset: u64, value: u64) {
        if let Some(address) = self.address(offset, 8) {
            // SAFETY: as for `read32`.
            unsafe { (address as *mut u64).write_volatile(value) }
        }
    }

    /// Writes the 8-bit register at `offset`.
    pub fn write8(&self, offset: u64, value: u8) {
        if let Some(address) = self.address(offset, 1) {
            // SAFETY: as for `read32`.
            unsafe { (address as *mut u8).write_volatile(value) }
        }
    }
}
