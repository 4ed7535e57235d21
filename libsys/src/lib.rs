//! libsys: what a Courier program links against.
//!
//! It provides the program entry point and panic handler ([`runtime`]), console output
//! ([`print!`], [`println!`], [`eprintln!`]), process exit, time, and typed wrappers over
//! every kernel system call that return `Result<T, KernelError>`.
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

pub mod arch;
pub mod console;
pub mod fault;
pub mod handle;
pub mod ipc;
pub mod memory;
pub mod process;
pub mod runtime;
pub mod time;
pub mod upcall;

pub use courier_abi as abi;
pub use courier_abi::KernelError;
