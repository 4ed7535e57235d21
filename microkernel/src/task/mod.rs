//! Program images and the scheduler's run queues (portable, host-tested).
//!
//! [`image`] checks and describes the ELF program images embedded in the kernel;
//! [`scheduler`] holds the ready threads by priority. Processes and threads themselves
//! live in [`crate::executive`].

pub mod image;
pub mod scheduler;
