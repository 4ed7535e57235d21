//! What the portable kernel needs from the machine.
//!
//! [`super::Kernel`] holds every kernel object and implements every system call without
//! touching hardware: it reaches registers through [`ThreadContext`], page tables through
//! [`UserSpace`], and physical memory, time and the console through [`Platform`]. The
//! kernel build implements these over the architecture layer; the host tests implement
//! them over plain memory, so the IPC state machine, the scheduler and process lifecycle
//! are tested without QEMU.

use courier_abi::KernelError;

use crate::mm::page_table::Access;

/// Largest saved context an architecture may have, in bytes.
pub const MAX_SAVED_CONTEXT: usize = 1024;

/// A thread's saved user registers (and floating-point state), as the architecture
/// stores them.
pub trait ThreadContext: Sized {
    /// A context that starts at `entry` with the stack pointer at `stack_top` and
    /// `arguments` in the first two argument registers.
    fn new(entry: u64, stack_top: u64, arguments: [u64; 2]) -> Self;
    /// The system call number slot.
    fn syscall_number(&self) -> usize;
    /// The argument slots `a0`..`a7`.
    fn syscall_arguments(&self) -> [u64; 8];
    /// Sets the status slot and result slots `r1`..`r7`.
    fn set_syscall_result(&mut self, status: usize, results: [u64; 7]);
    /// The instruction pointer.
    fn instruction_pointer(&self) -> u64;
    /// The user stack pointer.
    fn stack_pointer(&self) -> u64;
    /// Bytes [`ThreadContext::save`] writes (at most [`MAX_SAVED_CONTEXT`]).
    const SAVED_SIZE: usize;
    /// Bytes below the stack pointer that code may use without moving it (the x86_64
    /// System V red zone); upcall frames go below them.
    const STACK_RED_ZONE: u64;
    /// Writes every register, the floating-point state included, to `buffer`
    /// (`SAVED_SIZE` bytes), for an upcall frame.
    fn save(&self, buffer: &mut [u8]);
    /// Restores registers saved by [`ThreadContext::save`] (possibly edited by the
    /// program), refusing values that would leave user mode or break the kernel's
    /// assumptions.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` for a malformed or privileged context; nothing changes then.
    fn restore(&mut self, buffer: &[u8]) -> Result<(), KernelError>;
    /// Diverts the thread to `entry` with the stack pointer at `stack_pointer` and
    /// `arguments` in the first argument registers.
    fn divert(&mut self, entry: u64, stack_pointer: u64, arguments: [u64; 2]);
}

/// A user address space's page tables.
pub trait UserSpace: Sized {
    /// What the processor needs to switch to this space (kept in each thread, so a switch
    /// needs no lookup of the process).
    type Token: Copy;
    /// The switch token.
    fn token(&self) -> Self::Token;
    /// Maps the page at `address` to the frame at `physical` with `access`.
    ///
    /// # Errors
    ///
    /// `OutOfMemory` when a page table cannot be allocated, `AddressInUse` when something
    /// is mapped there.
    fn map(&mut self, address: u64, physical: u64, access: Access) -> Result<(), KernelError>;
    /// Unmaps the page at `address` (flushing the TLB) and returns the frame it mapped.
    fn unmap(&mut self, address: u64) -> Option<u64>;
    /// Unmaps every page in `[start, end)` (flushing the TLB), calling `unmapped` with each
    /// page's frame; cheap for the unmapped parts of a large range.
    fn unmap_range(&mut self, start: u64, end: u64, unmapped: &mut dyn FnMut(u64));
    /// Changes the access of the page at `address`; `false` if nothing is mapped.
    fn protect(&mut self, address: u64, access: Access) -> bool;
    /// The frame and access of the page at `address`.
    fn translate(&self, address: u64) -> Option<(u64, Access)>;
}

/// The machine.
pub trait Platform {
    /// Saved registers.
    type Context: ThreadContext;
    /// Page tables.
    type Space: UserSpace;

    /// Nanoseconds on the monotonic clock.
    fn now(&self) -> u64;
    /// A new, empty user address space.
    ///
    /// # Errors
    ///
    /// `OutOfMemory` or `LimitReached`.
    fn new_space(&mut self) -> Result<Self::Space, KernelError>;
    /// Gives back an address space whose pages are all unmapped (its tables are freed).
    fn destroy_space(&mut self, space: Self::Space);
    /// Makes the space `token` names the current user address space.
    fn activate_space(&mut self, token: <Self::Space as UserSpace>::Token);
    /// A zeroed frame.
    fn allocate_frame(&mut self) -> Option<u64>;
    /// Gives back a frame.
    fn free_frame(&mut self, physical: u64);
    /// Frames free.
    fn free_frames(&self) -> u64;
    /// Copies from physical memory (the range lies in one frame).
    fn read_physical(&self, physical: u64, buffer: &mut [u8]);
    /// Copies into physical memory (the range lies in one frame).
    fn write_physical(&mut self, physical: u64, bytes: &[u8]);
    /// Copies `length` bytes between frames (each range inside one frame).
    fn copy_physical(&mut self, from: u64, to: u64, length: usize);
    /// Makes instructions just written to `length` bytes at `physical` (inside one frame)
    /// visible to instruction fetch: a processor whose instruction cache does not see data
    /// writes (Arm) cleans the data cache and invalidates the instruction cache for the
    /// range; one whose caches are coherent (x86) does nothing.
    fn synchronize_instruction_cache(&mut self, physical: u64, length: usize);
    /// The embedded program image called `name`.
    fn program(&self, name: &[u8]) -> Option<(&'static str, &'static [u8])>;
    /// The kernel command line.
    fn command_line(&self) -> &'static str;
    /// ELF `e_machine` programs must have.
    fn elf_machine(&self) -> u16;
    /// Writes program output to the console.
    fn console_write(&mut self, bytes: &[u8]);
    /// Takes console input bytes into `buffer`; returns how many.
    fn console_read(&mut self, buffer: &mut [u8]) -> usize;
    /// Writes the thread's live floating-point registers into its context if it owns
    /// the hardware state (lazy switching); called before the context is saved.
    fn flush_floating_point(&mut self, context: &mut Self::Context);
    /// The context's floating-point state was replaced (an upcall returned) or the context
    /// is going away: the hardware registers must not be taken as its state any more.
    fn forget_floating_point(&mut self, context: &Self::Context);
}
