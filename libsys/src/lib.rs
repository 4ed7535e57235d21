//! libsys: what a Courier program links against.
//!
//! It provides the program entry point and panic handler ([`runtime`]), the arguments and
//! environment ([`mod@env`]), the heap allocator, output ([`print!`], [`println!`],
//! [`eprintln!`] to descriptors 1 and 2), the file descriptor table ([`fd`]), processes
//! through the process server ([`proc`]: `spawn`, `waitpid`, `kill`, process groups,
//! credentials), signals ([`signal`]: `sigaction`, `sigprocmask`, `sigsuspend`, `alarm`;
//! the dispatcher that runs handlers), time ([`time`]: `nanosleep`, `clock_gettime`), all returning
//! `Result<T, Errno>`; and typed wrappers over every kernel system call, returning
//! `Result<T, KernelError>`.
//!
//! The only unsafe code is in [`arch`]: the system call instructions and the few
//! instruction-level helpers (such as [`fault`]'s deliberate faults) that cannot be written
//! in safe Rust. Programs are written in safe Rust against this crate and
//! `#![forbid(unsafe_code)]`.
//!
//! A program names its main function with [`main!`]:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! #![forbid(unsafe_code)]
//! libsys::main!(main);
//! fn main() -> i32 {
//!     libsys::println!("hello");
//!     0
//! }
//! ```

#![no_std]

extern crate alloc;

pub mod arch;
pub mod bench;
pub mod console;
pub mod env;
pub mod fault;
pub mod fd;
pub mod fs;
pub mod handle;
pub mod heap;
pub mod ipc;
pub mod memory;
pub mod pipe;
pub mod proc;
pub mod process;
pub mod runtime;
pub mod service;
pub mod signal;
pub mod sysv;
pub mod time;
pub mod upcall;

pub use courier_abi as abi;
pub use courier_abi::{Errno, KernelError};
