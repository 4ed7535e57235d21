//! Service numbers: the servers that register with proc, and that programs reach through
//! proc's `Connect` (`courier_abi::proc`).
//!
//! A connection is a send handle to the server's endpoint badged with the caller's pid,
//! so a server knows who asks. Numbers from [`FIRST_PRIVATE_SERVICE`] on are free for
//! tests and private servers.

/// The pipe server: `pipe()`, FIFOs.
pub const SERVICE_PIPE: u64 = 1;
/// The tmpfs server: the file system and POSIX shared memory.
pub const SERVICE_TMPFS: u64 = 2;
/// The System V IPC server: message queues, semaphores, shared memory.
pub const SERVICE_SYSTEM_V: u64 = 3;
/// The first number not reserved for the system's servers.
pub const FIRST_PRIVATE_SERVICE: u64 = 1000;
