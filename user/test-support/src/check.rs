//! Checks that turn a call's result into a [`Check`] whose reason names the step and, for
//! an error, the errno by name (`msgget(0x434f0101, 0o600): ENOENT`).

use alloc::format;
use alloc::string::String;
use core::fmt::Debug;

use libsys::Errno;

/// What a case (or a step of one) returns: `Err` holds the reason it failed.
pub type Check = Result<(), String>;

/// `Err(what())` unless `condition`.
pub fn ensure(condition: bool, what: impl FnOnce() -> String) -> Check {
    if condition { Ok(()) } else { Err(what()) }
}

/// Turns a libsys error into a reason naming the step: `what: ENAME`.
pub fn step<T>(what: &str, result: Result<T, Errno>) -> Result<T, String> {
    result.map_err(|error| format!("{what}: {}", error.name()))
}

/// Expects `result` to fail with `expected`.
pub fn fails_with<T: Debug>(what: &str, result: Result<T, Errno>, expected: Errno) -> Check {
    match result {
        Err(error) if error == expected => Ok(()),
        Err(error) => Err(format!("{what}: {}, expected {}", error.name(), expected.name())),
        Ok(value) => Err(format!("{what}: succeeded ({value:?}), expected {}", expected.name())),
    }
}

/// Expects `result` to succeed with `expected`.
pub fn equals<T: Debug + PartialEq>(what: &str, result: Result<T, Errno>, expected: T) -> Check {
    match result {
        Ok(value) if value == expected => Ok(()),
        Ok(value) => Err(format!("{what}: gave {value:?}, expected {expected:?}")),
        Err(error) => Err(format!("{what}: {}, expected {expected:?}", error.name())),
    }
}
