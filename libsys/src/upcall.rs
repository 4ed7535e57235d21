//! Upcalls: the kernel's signal mechanism, seen from a program.
//!
//! [`register`] names the function the kernel diverts a thread to when an upcall is
//! posted to it. The function gets the [`UpcallInfo`]; when it returns, libsys asks the
//! kernel to restore the thread exactly as it was (every register, FP/SIMD included).

use courier_abi::process::{ExitStatus, UpcallInfo, UpcallKind};
use courier_abi::{Handle, KernelError, Syscall};

use crate::arch;
use crate::ipc::{arguments, invoke};

static HANDLER: spin::RwLock<Option<fn(&UpcallInfo)>> = spin::RwLock::new(None);

/// Makes `handler` this process's upcall handler.
///
/// # Errors
///
/// Never in practice (the entry point is valid).
pub fn register(handler: fn(&UpcallInfo)) -> Result<(), KernelError> {
    *HANDLER.write() = Some(handler);
    invoke(Syscall::UpcallRegister, arguments(&[arch::upcall_entry_address()]))?;
    Ok(())
}

/// Called by the upcall entry point with the info block's and the frame's addresses.
pub extern "C" fn dispatch(info: usize, frame: usize) -> ! {
    let information = arch::read_upcall_info(info);
    let handler = HANDLER.try_read().and_then(|handler| *handler);
    if let Some(handler) = handler {
        handler(&information);
    }
    loop {
        // Only returns if the frame was refused, which would be a libsys bug.
        let _ = arch::syscall(Syscall::UpcallReturn.number(), arguments(&[frame]));
    }
}

/// Posts an upcall with `words` to the process (its first thread) or thread `target`
/// (a control handle).
///
/// # Errors
///
/// `InvalidArgument` if the target registered no handler, `WouldBlock` if too many are
/// pending, handle errors.
pub fn post(target: Handle, words: [u64; 4]) -> Result<(), KernelError> {
    invoke(
        Syscall::UpcallPost,
        arguments(&[
            target.0 as usize,
            UpcallKind::Deliver as usize,
            words[0] as usize,
            words[1] as usize,
            words[2] as usize,
            words[3] as usize,
        ]),
    )?;
    Ok(())
}

/// Ends the process of control handle `target` at once with `status`.
///
/// # Errors
///
/// Handle errors; `NoSuchProcess` if it already ended.
pub fn kill(target: Handle, status: ExitStatus) -> Result<(), KernelError> {
    invoke(
        Syscall::UpcallPost,
        arguments(&[target.0 as usize, UpcallKind::Kill as usize, status.to_word() as usize]),
    )?;
    Ok(())
}
