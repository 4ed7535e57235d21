//! Wait statuses, signals and exit codes in words, and the exit code a helper child gives
//! for the outcome of the call it reports.

use alloc::format;
use alloc::string::String;

use libsys::Errno;
use libsys::proc;

/// A signal by name and number: `SIGSEGV (11)` (`signal 99` for a number with no name).
pub fn signal_name(signal: u32) -> String {
    match libsys::abi::signal::name(signal) {
        Some(name) => format!("{name} ({signal})"),
        None => format!("signal {signal}"),
    }
}

/// A wait status in words: `exited with 3`, `killed by SIGKILL (9)`, `stopped by SIGSTOP
/// (19)`, or `status 0x...` for anything else.
pub fn describe(status: i32) -> String {
    if proc::exited(status) {
        format!("exited with {}", proc::exit_status(status))
    } else if proc::signaled(status) {
        format!("killed by {}", signal_name(proc::terminating_signal(status) as u32))
    } else if proc::stopped(status) {
        format!("stopped by {}", signal_name(proc::stopping_signal(status) as u32))
    } else {
        format!("status {status:#x}")
    }
}

/// A child's exit code for the outcome of the call it reports: 0, or the errno.
pub fn outcome_code<T>(result: Result<T, Errno>) -> i32 {
    match result {
        Ok(_) => 0,
        Err(error) => error.number(),
    }
}

/// An [`outcome_code`] in words: `success`, the errno's name, or `exit N` for a code that
/// is no errno.
pub fn errno_name(code: i32) -> String {
    match code {
        0 => String::from("success"),
        code => Errno::from_number(code)
            .map_or_else(|| format!("exit {code}"), |error| String::from(error.name())),
    }
}
