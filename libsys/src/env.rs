//! The program's arguments and environment, as its parent passed them in the start block.
//!
//! A program started by proc gets the `argv` and `envp` its parent gave to
//! [`crate::proc::spawn`]; one started by the kernel directly (`courier.run=`) gets its
//! image name as the only argument and an empty environment.

use alloc::string::String;
use alloc::vec::Vec;

static ARGUMENTS: spin::Once<Vec<String>> = spin::Once::new();
static ENVIRONMENT: spin::Once<Vec<String>> = spin::Once::new();

/// Records the arguments and environment (once, at start-up; later calls do nothing).
pub(crate) fn set(arguments: Vec<String>, environment: Vec<String>) {
    ARGUMENTS.call_once(|| arguments);
    ENVIRONMENT.call_once(|| environment);
}

/// The arguments (`argv`), the program name first.
pub fn args() -> impl Iterator<Item = &'static str> {
    ARGUMENTS.get().into_iter().flatten().map(String::as_str)
}

/// The environment as `NAME=value` strings.
pub fn vars() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENVIRONMENT
        .get()
        .into_iter()
        .flatten()
        .map(|entry| entry.split_once('=').unwrap_or((entry.as_str(), "")))
}

/// The value of environment variable `name`.
pub fn var(name: &str) -> Option<&'static str> {
    vars().find(|&(key, _)| key == name).map(|(_, value)| value)
}

/// The environment strings as they were passed (`NAME=value`).
pub fn raw_environment() -> impl Iterator<Item = &'static str> {
    ENVIRONMENT.get().into_iter().flatten().map(String::as_str)
}
