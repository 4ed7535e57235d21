//! What `sysv-test` and `sysv-child` agree on: the readiness descriptor and the exit
//! codes of the child's modes (see `sysv-child`'s documentation for the modes).
//!
//! A mode that makes one System V call exits with the call's errno, or 0 when it
//! succeeded; Linux's errno numbers are below [`HANDLER_RAN`].

/// The descriptor on which a child says it is ready: it writes one byte and closes it.
pub const READY_DESCRIPTOR: i32 = 3;

/// Exit code: bad arguments.
pub const USAGE: i32 = 200;
/// Exit code: a step before the one under test failed.
pub const SETUP: i32 = 201;
/// Exit code of `shm-write-readonly` when its write did not fault.
pub const SURVIVED: i32 = 202;
/// Added to the errno of `sem-eintr` when its SIGUSR1 handler ran.
pub const HANDLER_RAN: i32 = 0x80;
