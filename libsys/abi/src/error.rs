//! Error codes the kernel returns in the status slot of a system call.
//!
//! 0 in the status slot means success and is never an error code, so [`KernelError`]
//! starts at 1. These are kernel errors, not POSIX errno values: libsys maps them to
//! errno where a POSIX call is built on a kernel call.

use core::fmt;

/// A kernel system call failure.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelError {
    /// The number slot held no known system call.
    UnknownSyscall = 1,
    /// An argument was out of range or malformed.
    InvalidArgument = 2,
    /// A user address range was not mapped with the access the call needs.
    BadAddress = 3,
    /// The kernel could not allocate memory for the request.
    OutOfMemory = 4,
}

impl KernelError {
    /// Every error code, in number order.
    pub const ALL: [KernelError; 4] = [
        KernelError::UnknownSyscall,
        KernelError::InvalidArgument,
        KernelError::BadAddress,
        KernelError::OutOfMemory,
    ];

    /// The value placed in the status slot.
    pub const fn code(self) -> usize {
        self as usize
    }

    /// Decodes a status slot value; `None` for 0 (success) and for unknown codes.
    pub const fn from_code(code: usize) -> Option<KernelError> {
        match code {
            1 => Some(KernelError::UnknownSyscall),
            2 => Some(KernelError::InvalidArgument),
            3 => Some(KernelError::BadAddress),
            4 => Some(KernelError::OutOfMemory),
            _ => None,
        }
    }

    /// A short description, for messages.
    pub const fn description(self) -> &'static str {
        match self {
            KernelError::UnknownSyscall => "unknown system call",
            KernelError::InvalidArgument => "invalid argument",
            KernelError::BadAddress => "bad address",
            KernelError::OutOfMemory => "out of memory",
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_start_at_one() {
        for (index, error) in KernelError::ALL.into_iter().enumerate() {
            assert_eq!(error.code(), index + 1);
            assert_eq!(KernelError::from_code(error.code()), Some(error));
        }
        assert_eq!(KernelError::from_code(0), None);
        assert_eq!(KernelError::from_code(KernelError::ALL.len() + 1), None);
    }
}
