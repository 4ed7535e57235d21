//! Conformance cases for System V semaphores (semget(2), semop(2), semtimedop(2), semctl(2)).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
