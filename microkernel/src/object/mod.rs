//! Kernel objects: where they live ([`arena`]) and how processes name them ([`handle`]).
//!
//! Every kernel object (process, thread, endpoint, notification, memory object, reply,
//! death watch) lives in a generational arena and is named inside the kernel by an
//! [`arena::Id`]: a slot index and a generation. A slot reused for a new object gets a
//! new generation, so an old id no longer finds anything: this is how a recycled process
//! id or a stale reply is detected. Processes name objects through their handle tables,
//! which add rights and a badge.

pub mod arena;
pub mod handle;
pub mod memory;
pub mod queue;

pub use arena::{Arena, Id};

/// An allocation the kernel needed could not be made (a limit or memory ran out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted;
