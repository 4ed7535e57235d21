//! System call numbers and the abstract argument slots each call uses.
//!
//! A system call passes its number in the *number* slot and up to six machine words in
//! the argument slots `a0`..`a5`. It returns a status in `r0` (0 for success, otherwise a
//! [`crate::KernelError`] code) and up to five result words in `r1`..`r5`. The register
//! that holds each slot is given per architecture in `docs/abi.md`.

/// The system calls the kernel implements.
///
/// The discriminant is the number user code places in the number slot. Numbers are never
/// reused: a retired call keeps its number reserved.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// Write bytes to the kernel console.
    ///
    /// `a0` = address of the bytes, `a1` = length. Returns `r1` = bytes written.
    /// The whole range must be mapped readable in the caller's address space, or the call
    /// fails with [`crate::KernelError::BadAddress`] and writes nothing.
    ConsoleWrite = 1,
    /// End the calling process with an exit status.
    ///
    /// `a0` = status; the low 8 bits are kept, as on Linux. Does not return.
    ProcessExit = 2,
    /// Give up the rest of the time slice. No arguments, no results.
    ThreadYield = 3,
    /// Read the monotonic clock. Returns `r1` = nanoseconds since boot.
    ClockMonotonic = 4,
}

impl Syscall {
    /// Every system call, in number order.
    pub const ALL: [Syscall; 4] = [
        Syscall::ConsoleWrite,
        Syscall::ProcessExit,
        Syscall::ThreadYield,
        Syscall::ClockMonotonic,
    ];

    /// The number placed in the number slot for this call.
    pub const fn number(self) -> usize {
        self as usize
    }
}

impl TryFrom<usize> for Syscall {
    type Error = crate::KernelError;

    /// Decodes a number from the number slot; unknown numbers are
    /// [`crate::KernelError::UnknownSyscall`].
    fn try_from(number: usize) -> Result<Self, Self::Error> {
        match number {
            1 => Ok(Syscall::ConsoleWrite),
            2 => Ok(Syscall::ProcessExit),
            3 => Ok(Syscall::ThreadYield),
            4 => Ok(Syscall::ClockMonotonic),
            _ => Err(crate::KernelError::UnknownSyscall),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for call in Syscall::ALL {
            assert_eq!(Syscall::try_from(call.number()), Ok(call));
        }
    }

    #[test]
    fn unknown_numbers_are_rejected() {
        for number in [0, 5, 1000, usize::MAX] {
            assert_eq!(Syscall::try_from(number), Err(crate::KernelError::UnknownSyscall));
        }
    }
}
