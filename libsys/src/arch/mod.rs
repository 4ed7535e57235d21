//! System call stubs and the instruction-level helpers: the only unsafe code in libsys.
//!
//! [`syscall`] issues a system call with the abstract slots of `courier_abi::syscall`
//! (eight argument slots, a status and seven result slots); each architecture module maps
//! the slots to registers as `docs/abi.md` describes. The module also holds the program
//! entry point `_start`, the upcall entry point, the counter read by benchmarks, and the
//! deliberate-fault primitives used by [`crate::fault`].

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("libsys supports x86_64 and aarch64 only");

/// What a system call returned: the status slot `r0` and the result slots `r1`..`r7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallReturn {
    /// 0 on success, otherwise a `courier_abi::KernelError` code.
    pub status: usize,
    /// Result slots `r1`..`r7`.
    pub results: [usize; 7],
}

impl SyscallReturn {
    /// The result slots on success, or the decoded error.
    #[inline]
    pub fn into_result(self) -> Result<[usize; 7], courier_abi::KernelError> {
        match self.status {
            0 => Ok(self.results),
            code => Err(courier_abi::KernelError::from_code(code)
                .unwrap_or(courier_abi::KernelError::InvalidArgument)),
        }
    }
}
