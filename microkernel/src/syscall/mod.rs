//! The system call dispatcher: decode the number, call one function per system call,
//! write the result back in one place.
//!
//! Each handler returns `Result<Outcome, KernelError>`; [`dispatch`] turns that into the
//! status and result slots (see `courier_abi::syscall`). A bad number or argument is an
//! error code for the caller, never a kernel panic.

use courier_abi::layout::is_user_range;
use courier_abi::{KernelError, Syscall};

use crate::{arch, kernel};

/// Most bytes one `ConsoleWrite` copies; larger writes return a short count (libsys loops).
pub const CONSOLE_WRITE_MAX: usize = 4096;

/// What a system call does when it succeeds.
enum Outcome {
    /// Return these result slots to the caller.
    Return([usize; 5]),
}

/// Handles the system call in the current thread's saved context.
pub fn dispatch() {
    let Some((number, arguments)) = kernel::with_current_context(|context| {
        (context.syscall_number(), context.syscall_arguments())
    }) else {
        return;
    };
    let result = Syscall::try_from(number).and_then(|call| match call {
        Syscall::ConsoleWrite => console_write(arguments[0], arguments[1]),
        Syscall::ProcessExit => process_exit(arguments[0]),
        Syscall::ThreadYield => Ok(Outcome::Return([0; 5])),
        Syscall::ClockMonotonic => clock_monotonic(),
    });
    let (status, results) = match result {
        Ok(Outcome::Return(results)) => (0, results),
        Err(error) => (error.code(), [0; 5]),
    };
    kernel::with_current_context(|context| context.set_syscall_return(status, results));
}

fn console_write(address: usize, length: usize) -> Result<Outcome, KernelError> {
    if !is_user_range(address, length) && length != 0 {
        return Err(KernelError::BadAddress);
    }
    let length = length.min(CONSOLE_WRITE_MAX);
    let mut buffer = [0u8; CONSOLE_WRITE_MAX];
    let buffer = &mut buffer[..length];
    if !kernel::read_current_user_memory(address as u64, buffer) {
        return Err(KernelError::BadAddress);
    }
    crate::console::write_program_output(buffer);
    Ok(Outcome::Return([length, 0, 0, 0, 0]))
}

fn process_exit(status: usize) -> Result<Outcome, KernelError> {
    // Linux keeps the low 8 bits of the status.
    kernel::exit_current_process((status & 0xff) as u8)
}

fn clock_monotonic() -> Result<Outcome, KernelError> {
    Ok(Outcome::Return([arch::monotonic_nanoseconds() as usize, 0, 0, 0, 0]))
}
