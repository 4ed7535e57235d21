//! Conformance cases for System V message queues (msgget(2), msgsnd(2), msgrcv(2), msgctl(2)).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
