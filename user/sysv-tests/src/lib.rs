//! Shared by the System V test programs: what the driver, its child and the demo pairs
//! agree on.
//!
//! - [`shared_buffer`]: the shared memory ring buffer and semaphores of `sysv-producer`
//!   and `sysv-consumer`;
//! - [`message_service`]: the request and reply messages of `msgq-server` and
//!   `msgq-client`;
//! - [`child`]: the readiness descriptor and exit codes of `sysv-child`;
//! - [`options`]: the `--name=value` options both pairs take.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod child;
pub mod message_service;
pub mod options;
pub mod shared_buffer;
