//! Conformance cases for FIFOs (mkfifo(3), fifo(7), open(2) on a FIFO).

use crate::framework::Case;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}
