//! Conformance cases for tmpfs files and directories (open(2), read(2), write(2), lseek(2), stat(2), mkdir(2), unlink(2), rename(2), ...).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
