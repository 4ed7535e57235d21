//! Courier's ABI: every number that crosses the user/kernel or client/server boundary.
//!
//! The kernel, libsys and the servers all depend on this crate and on nothing else for
//! these numbers; no syscall number, error code, right or layout constant is written
//! anywhere else. The crate is `no_std` and has no dependencies so that every side,
//! including host-side tests, can use it.
//!
//! The calling convention is described once in abstract argument slots here and in
//! `docs/abi.md`; only the architecture code of the kernel and libsys's syscall stubs
//! know which register holds which slot.

#![no_std]

pub mod errno;
pub mod error;
pub mod fs;
pub mod handle;
pub mod io;
pub mod ipc;
pub mod layout;
pub mod memory;
pub mod pipe;
pub mod proc;
pub mod process;
pub mod service;
pub mod signal;
pub mod start;
pub mod syscall;
pub mod sysv;

pub use errno::Errno;
pub use error::KernelError;
pub use handle::{Handle, HandleKind, Rights};
pub use syscall::{NO_TIMEOUT, Syscall};
