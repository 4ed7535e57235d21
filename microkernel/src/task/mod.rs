//! Processes and the programs they run.
//!
//! [`image`] checks and describes the ELF program images embedded in the kernel (portable,
//! host-tested). The process objects themselves live in the kernel build.

pub mod image;
pub mod scheduler;

#[cfg(target_os = "none")]
pub mod process;
