//! The kernel heap: the global allocator, growing on demand.
//!
//! The heap occupies a dedicated range of kernel virtual addresses,
//! `arch::KERNEL_HEAP_BASE` up to 512 GiB, whose root page-table entry is created at boot
//! so that every address space shares it. It starts empty; when an allocation does not
//! fit, frames are mapped at its end (at least 64 KiB at a time) and the allocator is
//! told. It never shrinks. An allocation that cannot be satisfied returns null, which the
//! kernel's fallible paths (`try_reserve`, `try_box`) turn into an error for the caller.
//! The allocator itself is the `linked_list_allocator` crate.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use linked_list_allocator::Heap;

use crate::arch;
use crate::mm::PAGE_SIZE;
use crate::mm::frame::Frame;
use crate::mm::kernel_space;

/// Most the heap may grow to.
const HEAP_LIMIT: u64 = 512 << 30;
/// Smallest growth step.
const GROWTH_STEP: u64 = 64 << 10;

/// Frames the heap has taken from the frame allocator.
static HEAP_FRAMES: AtomicU64 = AtomicU64::new(0);

/// The global allocator.
pub struct KernelAllocator {
    heap: spin::Mutex<Heap>,
}

#[global_allocator]
static ALLOCATOR: KernelAllocator = KernelAllocator { heap: spin::Mutex::new(Heap::empty()) };

/// Frames the heap holds (they never return to the frame allocator).
pub fn heap_frames() -> u64 {
    HEAP_FRAMES.load(Ordering::Relaxed)
}

/// Maps at least `bytes` more at the heap's end; `false` when memory ran out.
fn grow(heap: &mut Heap, bytes: u64) -> bool {
    let current = heap.size() as u64;
    let step = bytes.max(GROWTH_STEP).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if current + step > HEAP_LIMIT {
        return false;
    }
    let start = arch::KERNEL_HEAP_BASE + current;
    let mut mapped = 0;
    while mapped < step {
        let Some(frame) = kernel_space::allocate_frame() else { break };
        let address = frame.address();
        if kernel_space::map_kernel_page(start + mapped, address).is_err() {
            // SAFETY: the frame was just allocated and is referenced by nothing.
            kernel_space::free_frame(unsafe { Frame::from_address(address) });
            break;
        }
        let _ = frame.into_address();
        HEAP_FRAMES.fetch_add(1, Ordering::Relaxed);
        mapped += PAGE_SIZE;
    }
    if mapped == 0 {
        return false;
    }
    // SAFETY: `[start, start + mapped)` is now mapped read-write for the kernel, follows
    // the heap's current end directly, and is used by nothing else.
    unsafe {
        if current == 0 {
            heap.init(start as *mut u8, mapped as usize);
        } else {
            heap.extend(mapped as usize);
        }
    }
    true
}

// SAFETY: allocation and deallocation go through the locked `Heap`, which hands out
// non-overlapping blocks of the requested layout from memory the heap owns; growing maps
// fresh frames only at the heap's end.
unsafe impl GlobalAlloc for KernelAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        loop {
            if let Ok(block) = heap.allocate_first_fit(layout) {
                return block.as_ptr();
            }
            let needed = (layout.size() + layout.align()) as u64 + PAGE_SIZE;
            if !grow(&mut heap, needed) {
                return core::ptr::null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        if let Some(pointer) = NonNull::new(pointer) {
            // SAFETY: the caller (GlobalAlloc's contract) passes a block this allocator
            // returned for the same layout.
            unsafe { self.heap.lock().deallocate(pointer, layout) };
        }
    }
}
