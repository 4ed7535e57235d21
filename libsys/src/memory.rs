//! Memory objects: create, map, unmap, resize.

use courier_abi::{Handle, KernelError, Syscall};

use crate::ipc::{arguments, invoke};

pub use courier_abi::memory::{MAP_EXECUTE, MAP_FIXED, MAP_READ, MAP_WRITE};

/// A memory-object handle.
#[derive(Debug, PartialEq, Eq)]
pub struct MemoryObject(pub Handle);

impl MemoryObject {
    /// Creates an object of `size` bytes (rounded up to pages, zero-filled).
    ///
    /// # Errors
    ///
    /// `InvalidArgument` past the size limit, `LimitReached`, `OutOfMemory`.
    pub fn create(size: usize) -> Result<MemoryObject, KernelError> {
        let results = invoke(Syscall::MemoryCreate, arguments(&[size]))?;
        Ok(MemoryObject(Handle(results[0] as u32)))
    }

    /// Maps `length` bytes from `offset` at `address` (0: the kernel chooses) with `flags`
    /// ([`MAP_READ`], [`MAP_WRITE`], ...).
    ///
    /// # Errors
    ///
    /// `InsufficientRights` for rights the handle lacks, `AddressInUse`,
    /// `InvalidArgument`.
    pub fn map(
        &self,
        address: usize,
        offset: usize,
        length: usize,
        flags: u64,
    ) -> Result<Mapping, KernelError> {
        let results = invoke(
            Syscall::MemoryMap,
            arguments(&[self.0.0 as usize, address, offset, length, flags as usize]),
        )?;
        Ok(Mapping { address: results[0], length })
    }

    /// Changes the size (pages cut off are freed and unmapped everywhere).
    ///
    /// # Errors
    ///
    /// `InsufficientRights`, `InvalidArgument`.
    pub fn resize(&self, size: usize) -> Result<(), KernelError> {
        invoke(Syscall::MemoryResize, arguments(&[self.0.0 as usize, size]))?;
        Ok(())
    }

    /// The size in bytes and the pages allocated so far.
    ///
    /// # Errors
    ///
    /// Handle errors.
    pub fn info(&self) -> Result<(usize, usize), KernelError> {
        let results = invoke(Syscall::MemoryInfo, arguments(&[self.0.0 as usize]))?;
        Ok((results[0], results[1]))
    }
}

/// Unmaps `mapping`.
///
/// # Errors
///
/// `InvalidArgument` for a misaligned or out-of-range request (never for a mapping made
/// by [`MemoryObject::map`]).
pub fn unmap(mapping: Mapping) -> Result<(), KernelError> {
    invoke(Syscall::MemoryUnmap, arguments(&[mapping.address, mapping.length]))?;
    Ok(())
}

/// A mapping of a memory object, made by [`MemoryObject::map`]: reads and writes are
/// volatile word accesses (safe Rust cannot hold a slice into memory another process
/// changes).
#[derive(Debug, PartialEq, Eq)]
pub struct Mapping {
    address: usize,
    length: usize,
}

impl Mapping {
    /// The length in bytes.
    pub const fn length(&self) -> usize {
        self.length
    }

    /// The start address.
    pub const fn address(&self) -> usize {
        self.address
    }

    /// The address of `[offset, offset + length)` when the range lies inside the view.
    pub(crate) fn range_address(&self, offset: usize, length: usize) -> Option<usize> {
        (offset.checked_add(length)? <= self.length).then_some(self.address + offset)
    }

    /// Reads the 64-bit word at byte `offset` (aligned); `None` outside the view.
    pub fn read_word(&self, offset: usize) -> Option<u64> {
        (offset.is_multiple_of(8) && offset.checked_add(8)? <= self.length)
            .then(|| crate::arch::read_word_at(self.address + offset))
    }

    /// Copies bytes from `offset` into `buffer`; `false` (nothing copied) when the range is
    /// outside the view.
    pub fn read_bytes(&self, offset: usize, buffer: &mut [u8]) -> bool {
        let inside = offset.checked_add(buffer.len()).is_some_and(|end| end <= self.length);
        if inside {
            crate::arch::read_bytes_at(self.address + offset, buffer);
        }
        inside
    }

    /// Copies `bytes` to `offset`; `false` (nothing copied) when the range is outside the
    /// view. The mapping must be writable (else the program faults).
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) -> bool {
        let inside = offset.checked_add(bytes.len()).is_some_and(|end| end <= self.length);
        if inside {
            crate::arch::write_bytes_at(self.address + offset, bytes);
        }
        inside
    }

    /// Writes the 64-bit word at byte `offset` (aligned); `false` outside the view.
    pub fn write_word(&self, offset: usize, value: u64) -> bool {
        let inside =
            offset.is_multiple_of(8) && offset.checked_add(8).is_some_and(|end| end <= self.length);
        if inside {
            crate::arch::write_word_at(self.address + offset, value);
        }
        inside
    }
}
