//! System call stubs and the instruction-level helpers: the only unsafe code in libsys.
//!
//! [`syscall`] issues a system call with the abstract slots of `courier_abi::syscall`
//! (eight argument slots, a status and seven result slots); each architecture module maps
//! the slots to registers as `docs/abi.md` describes. The module also holds the program
//! entry point `_start`, the upcall entry point, the counter read by benchmarks, the
//! deliberate-fault primitives used by [`crate::fault`], the program's global allocator
//! (over a region [`crate::heap`] reserves) and byte copies into and out of shared
//! mappings.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("libsys supports x86_64 and aarch64 only");

/// What a system call returned: the status slot `r0` and the result slots `r1`..`r7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallReturn {
    /// 0 on success, otherwise a `courier_abi::KernelError` code.
    pub status: usize,
    /// Result slots `r1`..`r7`.
    pub results: [usize; 7],
}

impl SyscallReturn {
    /// The result slots on success, or the decoded error.
    #[inline]
    pub fn into_result(self) -> Result<[usize; 7], courier_abi::KernelError> {
        match self.status {
            0 => Ok(self.results),
            code => Err(courier_abi::KernelError::from_code(code)
                .unwrap_or(courier_abi::KernelError::InvalidArgument)),
        }
    }
}

/// The program heap: `linked_list_allocator`'s first-fit heap over a region of a memory
/// object, reserved by [`crate::heap::reserve`] at the first allocation (a program that
/// never allocates never pays for it).
pub struct ProgramAllocator {
    heap: spin::Mutex<linked_list_allocator::Heap>,
}

#[global_allocator]
static ALLOCATOR: ProgramAllocator =
    ProgramAllocator { heap: spin::Mutex::new(linked_list_allocator::Heap::empty()) };

// SAFETY: every block comes from the locked `Heap`, which hands out non-overlapping blocks
// of the requested layout inside the region it was given; the region is a private mapping
// of a memory object this program created and never unmaps or shares.
unsafe impl core::alloc::GlobalAlloc for ProgramAllocator {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        if heap.size() == 0 {
            let Some((address, length)) = crate::heap::reserve() else {
                return core::ptr::null_mut();
            };
            // SAFETY: `[address, address + length)` is a fresh read-write mapping that
            // nothing else uses (see `heap::reserve`), and the heap is empty.
            unsafe { heap.init(address as *mut u8, length) };
        }
        heap.allocate_first_fit(layout).map_or(core::ptr::null_mut(), core::ptr::NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: core::alloc::Layout) {
        if let Some(pointer) = core::ptr::NonNull::new(pointer) {
            // SAFETY: GlobalAlloc's contract: `pointer` came from `alloc` with `layout`.
            unsafe { self.heap.lock().deallocate(pointer, layout) };
        }
    }
}

/// Copies `buffer.len()` bytes from `address` (inside a mapping made by
/// `memory::MemoryObject::map`, checked by the caller) into `buffer`, with volatile reads.
pub fn read_bytes_at(address: usize, buffer: &mut [u8]) {
    for (offset, byte) in buffer.iter_mut().enumerate() {
        // SAFETY: the caller (`memory::Mapping`) checked the range lies inside a live
        // mapping of a memory object, which no Rust object aliases; a byte read has no
        // alignment requirement. Another process may change the memory meanwhile, which
        // volatile reads tolerate.
        *byte = unsafe { core::ptr::read_volatile((address + offset) as *const u8) };
    }
}

/// Copies `bytes` to `address` (inside a mapping made by `memory::MemoryObject::map`,
/// checked by the caller), with volatile writes.
pub fn write_bytes_at(address: usize, bytes: &[u8]) {
    for (offset, &byte) in bytes.iter().enumerate() {
        // SAFETY: as for `read_bytes_at`, on a mapping the caller checked is writable.
        unsafe { core::ptr::write_volatile((address + offset) as *mut u8, byte) };
    }
}
