//! Conformance cases for System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2)).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
