//! The Courier microkernel: traps, scheduling, page mapping and synchronous IPC.
//!
//! The crate is a library so that its portable parts (boot-protocol parsers, the frame
//! allocator, the page-table walker, the ELF loader's checks, the command line) build and
//! run their tests on the host with `cargo test -p microkernel`. Everything that touches
//! hardware is compiled only for the bare-metal targets (`target_os = "none"`): the
//! architecture layer in `arch` (the only place with `cfg(target_arch)`), the kernel's
//! global state and the boot sequence in `kernel`.
//!
//! Reading order: `arch::<architecture>::boot` (entry from each loader) → [`boot`]
//! (one `BootInfo`) → `kernel::boot` (memory, interrupts, timer, programs) → `trap` (how
//! user code enters the kernel) → [`executive`] (every object and system call, portable
//! and host-tested) → `machine` (the executive's view of the real hardware).

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod boot;
pub mod executive;
pub mod mm;
pub mod object;
pub mod task;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
pub mod kernel;
#[cfg(target_os = "none")]
pub mod machine;
#[cfg(target_os = "none")]
pub mod selftest;
#[cfg(target_os = "none")]
pub mod trap;
