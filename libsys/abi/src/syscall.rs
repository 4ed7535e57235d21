//! System call numbers and the abstract argument slots each call uses.
//!
//! A system call passes its number in the *number* slot and up to eight machine words in
//! the argument slots `a0`..`a7`. It returns a status in `r0` (0 for success, otherwise a
//! [`crate::KernelError`] code) and up to seven result words in `r1`..`r7`. The register
//! that holds each slot is given per architecture in `docs/abi.md`; every register that is
//! not a result slot (or clobbered by the instruction itself) keeps its value.

/// Number of argument slots.
pub const ARGUMENT_SLOTS: usize = 8;
/// Number of result slots after the status.
pub const RESULT_SLOTS: usize = 7;

/// A timeout argument meaning "wait as long as it takes".
pub const NO_TIMEOUT: u64 = u64::MAX;

macro_rules! system_calls {
    ($($(#[$documentation:meta])* $name:ident = $number:literal,)*) => {
        /// The system calls the kernel implements.
        ///
        /// The discriminant is the number user code places in the number slot. Numbers are
        /// never reused: a retired call keeps its number reserved.
        #[repr(usize)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Syscall {
            $($(#[$documentation])* $name = $number,)*
        }

        impl Syscall {
            /// Every system call, in number order.
            pub const ALL: &'static [Syscall] = &[$(Syscall::$name,)*];
        }

        impl TryFrom<usize> for Syscall {
            type Error = crate::KernelError;

            /// Decodes a number from the number slot; unknown numbers are
            /// [`crate::KernelError::UnknownSyscall`].
            fn try_from(number: usize) -> Result<Self, Self::Error> {
                match number {
                    $($number => Ok(Syscall::$name),)*
                    _ => Err(crate::KernelError::UnknownSyscall),
                }
            }
        }
    };
}

system_calls! {
    /// Write bytes to the kernel console. `a0` address, `a1` length; `r1` bytes written
    /// (at most 4096 per call). The whole range must be mapped readable.
    ConsoleWrite = 1,
    /// End the calling process. `a0` status (the low 8 bits are kept). Does not return.
    ProcessExit = 2,
    /// Give up the rest of the time slice.
    ThreadYield = 3,
    /// `r1` = nanoseconds since boot on the monotonic clock.
    ClockMonotonic = 4,
    /// Sleep for `a0` nanoseconds. Fails with `Interrupted` when an upcall is posted to the
    /// thread; `r1` = nanoseconds left then.
    Sleep = 5,
    /// Read console input without blocking: `a0` address, `a1` length; `r1` bytes read.
    ConsoleRead = 6,

    /// Close handle `a0`.
    HandleClose = 10,
    /// A new handle to the object of handle `a0` with rights `a1` (a subset; `r1` = handle).
    HandleDuplicate = 11,
    /// `r1` = the kind of handle `a0` (a `HandleKind`), `r2` = its rights, `r3` = its badge.
    HandleInfo = 12,

    /// Create an endpoint; `r1` = a handle with every endpoint right.
    EndpointCreate = 20,
    /// A new handle to endpoint `a0` with badge `a1` and rights `a2` (a subset); `r1` =
    /// handle. Messages sent through it carry the badge.
    EndpointMint = 21,
    /// Call endpoint `a0` with label `a1` and words `a2`..`a5`; wait for the reply.
    /// `r1` = reply label, `r2`..`r5` = reply words.
    Call = 22,
    /// Call endpoint `a0` with the `MessageDescriptor` at `a1` (words, leases, handles,
    /// timeout); results as for `Call`; handles in the reply are written back into the
    /// descriptor.
    CallWith = 23,
    /// Receive on endpoint `a0`, with a `ReceiveDescriptor` at `a1` (or 0) and a timeout of
    /// `a2` nanoseconds (`NO_TIMEOUT` to wait forever). Results as described in
    /// [`crate::ipc::Received`].
    Receive = 24,
    /// Reply to reply `a0` with label `a1` and words `a2`..`a5`.
    Reply = 25,
    /// Reply to reply `a0` with the `MessageDescriptor` at `a1` (handles in replies).
    ReplyWith = 26,
    /// Reply to `a0` (label `a1`, words `a2`..`a5`; reply 0 = none) then receive on
    /// endpoint `a6` with the `ReceiveDescriptor` at `a7`, waiting forever.
    ReplyReceive = 27,
    /// Copy from lease `a1` of reply `a0`, starting at offset `a2`, into this process's
    /// memory at `a3`, `a4` bytes; `r1` = bytes copied (short at the lease's end).
    LeaseRead = 28,
    /// Copy `a4` bytes from this process's memory at `a3` into lease `a1` of reply `a0` at
    /// offset `a2`; `r1` = bytes copied (short at the lease's end).
    LeaseWrite = 29,
    /// Deliver notification `a1` through endpoint `a0`'s receive (0 unbinds).
    EndpointBindNotification = 30,
    /// Tell endpoint `a0`'s receivers when process `a1` (a client id) dies; the notice
    /// carries badge `a2`. `r1` = a watch id for `DeathUnwatch`.
    DeathWatch = 31,
    /// Cancel death watch `a0`.
    DeathUnwatch = 32,
    /// Create a reference to endpoint `a0` (needs `MINT`) with badge `a1`: `r1` = a handle
    /// (`SEND`, `DUPLICATE`, `TRANSFER`). Calls through it arrive with that badge; when its
    /// last handle closes, the endpoint receives a `Released` notice with the badge.
    ReferenceCreate = 33,

    /// Create a notification; `r1` = handle.
    NotificationCreate = 40,
    /// OR bits `a1` into notification `a0`, waking a waiter.
    NotificationSignal = 41,
    /// Wait on notification `a0` for up to `a1` nanoseconds; `r1` = the bits (cleared).
    NotificationWait = 42,

    /// Create a memory object of `a0` bytes (rounded up to pages); `r1` = handle.
    MemoryCreate = 50,
    /// Map `a3` bytes of memory object `a0` from offset `a2` at address `a1` (0 = the
    /// kernel chooses), with `MapFlags` `a4`; `r1` = the address.
    MemoryMap = 51,
    /// Unmap `[a0, a0 + a1)` of this address space.
    MemoryUnmap = 52,
    /// Resize memory object `a0` to `a1` bytes (pages past the end are freed and unmapped
    /// everywhere; accesses there fault).
    MemoryResize = 53,
    /// `r1` = the size of memory object `a0` in bytes.
    MemoryInfo = 54,

    /// Start the program image named by `a0`/`a1` (address, length) with the handles listed
    /// at `a2` (`a3` of them, each a `u32`, copied to the child as handles 1, 2, ...) and
    /// argument word `a4`; with `a5` an endpoint (0: none), a death watch on the child with
    /// badge `a6` is set before it can run. `r1` = a control handle, `r2` = the child's
    /// client id, `r3` = the watch id (0 without one).
    ProcessSpawn = 60,
    /// End the process of control handle `a0` at once with status `a1` (an `ExitStatus`).
    ProcessKill = 61,
    /// `r1` = this process's client id, `r2` = the calling thread's id.
    ProcessIdentify = 62,
    /// Start a thread in this process at `a0` with stack pointer `a1` and argument `a2`;
    /// `r1` = a thread handle.
    ThreadCreate = 63,
    /// End the calling thread (the process ends with its last thread, status 0).
    ThreadExit = 64,
    /// Set the priority of thread handle `a0` (0 = the calling thread) to `a1`, at most
    /// the caller's own.
    ThreadSetPriority = 65,

    /// Register this process's upcall entry point `a0` (0 disables upcalls).
    UpcallRegister = 70,
    /// Post an upcall with info words `a2`..`a5` to the process of control handle `a0`
    /// (its first thread) or to thread handle `a0`; `a1` is an `UpcallKind`.
    UpcallPost = 71,
    /// Return from an upcall: restore the context saved in the frame at `a0`.
    UpcallReturn = 72,

    /// `r1` free frames, `r2` processes, `r3` threads, `r4` endpoints, `r5` memory objects,
    /// `r6` kernel entries, `r7` address-space switches.
    KernelStatistics = 80,
    /// Copy the kernel command line (as the loader gave it) to `a0`, at most `a1` bytes;
    /// `r1` = its full length.
    KernelCommandLine = 81,
}

impl Syscall {
    /// The number placed in the number slot for this call.
    pub const fn number(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for &call in Syscall::ALL {
            assert_eq!(Syscall::try_from(call.number()), Ok(call));
        }
    }

    #[test]
    fn numbers_are_unique_and_ascending() {
        for pair in Syscall::ALL.windows(2) {
            assert!(pair[0].number() < pair[1].number());
        }
    }

    #[test]
    fn unknown_numbers_are_rejected() {
        for number in [0, 7, 1000, usize::MAX] {
            assert_eq!(Syscall::try_from(number), Err(crate::KernelError::UnknownSyscall));
        }
    }
}
