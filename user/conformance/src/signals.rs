//! Conformance cases for signals (sigaction(2), sigprocmask(2), kill(2), sigqueue(3), sigsuspend(2), signal(7)).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
