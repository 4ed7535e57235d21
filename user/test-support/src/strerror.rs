//! Checks whose reasons give an error's `strerror` text (`write: Broken pipe`) rather than
//! its name: the form signal-test and io-test print.
//!
//! [`ensure`] and the rest of the crate serve both forms.

use alloc::format;
use alloc::string::String;
use core::fmt::Debug;

use libsys::Errno;
use libsys::fd::{self, Fd};

use crate::check::{Check, ensure};

/// Turns a libsys error into a reason naming the step: `what: strerror text`.
pub fn step<T>(what: &str, result: Result<T, Errno>) -> Result<T, String> {
    result.map_err(|error| format!("{what}: {error}"))
}

/// Expects `result` to fail with `expected`; the reason shows what it gave (`Ok(3)`,
/// `Err(Eagain)`) and the expected error's `strerror` text.
pub fn fails_with<T: Debug>(what: &str, result: Result<T, Errno>, expected: Errno) -> Check {
    match result {
        Err(error) if error == expected => Ok(()),
        other => Err(format!("{what}: {other:?}, expected {expected}")),
    }
}

/// Writes all of `bytes` to `descriptor`, however many writes it takes.
pub fn write_all(descriptor: Fd, mut bytes: &[u8]) -> Check {
    while !bytes.is_empty() {
        let written = step("write", fd::write(descriptor, bytes))?;
        ensure(written > 0, || String::from("write returned 0"))?;
        bytes = &bytes[written..];
    }
    Ok(())
}
