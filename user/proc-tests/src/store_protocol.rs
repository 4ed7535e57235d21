//! The store server's own operation (besides the I/O protocol): opening a new object.
//! Shared by store-server and proc-test.

/// Operations of the store server that are not I/O operations.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOperation {
    /// Create an empty object with status flags in word 0. The answer carries a reference
    /// to it.
    Open = 1,
    /// Answer: how many objects are alive.
    Count = 2,
}

impl StoreOperation {
    /// The operation a label names.
    pub const fn from_label(label: u32) -> Option<StoreOperation> {
        match label {
            1 => Some(StoreOperation::Open),
            2 => Some(StoreOperation::Count),
            _ => None,
        }
    }
}
