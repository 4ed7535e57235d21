//! Error codes the kernel returns in the status slot of a system call.
//!
//! 0 in the status slot means success and is never an error code, so [`KernelError`]
//! starts at 1. These are kernel errors, not POSIX errno values: libsys maps them to
//! errno where a POSIX call is built on a kernel call.

use core::fmt;

macro_rules! kernel_errors {
    ($($(#[$documentation:meta])* $name:ident = $code:literal => $text:literal,)*) => {
        /// A kernel system call failure.
        #[repr(usize)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum KernelError {
            $($(#[$documentation])* $name = $code,)*
        }

        impl KernelError {
            /// Every error code, in number order.
            pub const ALL: &'static [KernelError] = &[$(KernelError::$name,)*];

            /// Decodes a status slot value; `None` for 0 (success) and unknown codes.
            pub const fn from_code(code: usize) -> Option<KernelError> {
                match code {
                    $($code => Some(KernelError::$name),)*
                    _ => None,
                }
            }

            /// A short description, for messages.
            pub const fn description(self) -> &'static str {
                match self {
                    $(KernelError::$name => $text,)*
                }
            }
        }
    };
}

kernel_errors! {
    /// The number slot held no known system call.
    UnknownSyscall = 1 => "unknown system call",
    /// An argument was out of range or malformed.
    InvalidArgument = 2 => "invalid argument",
    /// A user range was not mapped with the access the call needs.
    BadAddress = 3 => "bad address",
    /// The kernel could not allocate memory for the request.
    OutOfMemory = 4 => "out of memory",
    /// The handle does not name a live object in this process.
    InvalidHandle = 5 => "invalid handle",
    /// The handle names an object of another kind.
    WrongHandleKind = 6 => "wrong kind of handle",
    /// The handle lacks a right the call needs.
    InsufficientRights = 7 => "insufficient rights",
    /// The timeout passed.
    Timeout = 8 => "timed out",
    /// An upcall was posted to the thread while it waited.
    Interrupted = 9 => "interrupted",
    /// Nobody can receive on the endpoint any more (its receivers are gone).
    PeerGone = 10 => "the peer is gone",
    /// The reply does not exist any more (answered, or its caller is gone).
    NoSuchReply = 11 => "no such reply",
    /// The lease index, range or rights do not allow the copy.
    LeaseViolation = 12 => "lease violation",
    /// No program image has that name.
    NoSuchImage = 13 => "no such program image",
    /// The program image is not a valid executable.
    BadImage = 14 => "bad program image",
    /// A kernel limit was reached (objects, handles, mappings).
    LimitReached = 15 => "limit reached",
    /// The address range is already in use.
    AddressInUse = 16 => "address range in use",
    /// Nothing is mapped there.
    NotMapped = 17 => "not mapped",
    /// The operation would have to wait and the caller asked it not to.
    WouldBlock = 18 => "would block",
    /// No such process (it ended, or the id was never valid).
    NoSuchProcess = 19 => "no such process",
}

impl KernelError {
    /// The value placed in the status slot.
    pub const fn code(self) -> usize {
        self as usize
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
        for (index, &error) in KernelError::ALL.iter().enumerate() {
            assert_eq!(error.code(), index + 1);
            assert_eq!(KernelError::from_code(error.code()), Some(error));
        }
        assert_eq!(KernelError::from_code(0), None);
        assert_eq!(KernelError::from_code(KernelError::ALL.len() + 1), None);
    }
}
