//! The pure core of Courier's pipe server: anonymous pipes and FIFOs with Linux's semantics.
//!
//! Nothing here makes a system call. The server's main loop decodes a request, calls one
//! method of [`PipeServer`] with the open file description the call came through (an
//! [`EndId`], the badge of the reference) and a waiter token of its choosing (its pending
//! reply), and replies with the [`Outcome`]. Calls that block come back later as
//! [`Answer`]s naming their token, pushed onto the `answers` vector of whichever call
//! unblocked them. Data moves through [`Leases`]: the core asks for the bytes of a writer's
//! buffer, or hands bytes to a reader's buffer, whether that caller is the current one or
//! one that waits.
//!
//! # The buffer
//!
//! A pipe's buffer is shaped as Linux's (`fs/pipe.c`): a ring of page-sized slots, as many
//! as the capacity holds pages ([`DEFAULT_CAPACITY`] is 16 of them). A write that starts
//! on a non-empty pipe first merges the part of its data that does not fill whole pages
//! (its length modulo the page size) into the last slot, if all of that part fits behind
//! the slot's data; then it fills fresh slots one page at a time. A write that waited
//! never merges: it goes on with fresh slots. Reads take from the oldest slot, spanning
//! slots, and a slot is free again only once all of its bytes were read. So free slots,
//! not free bytes, decide what a write can move, and that is what makes a write of at most
//! [`PIPE_BUF`] bytes atomic: it fits in one merge or one fresh slot, or it moves nothing.
//!
//! Bytes are copied once on the way in and once on the way out, by the leases, straight
//! between the caller's buffer and the slots: a write's [`Leases::take`] fills the free
//! tail of the last slot, then one fresh slot's page at a time; a read's [`Leases::give`]
//! copies each slot's unread bytes in turn, at their offset in the reader's buffer. A
//! write's bytes join the pipe only once every take of it succeeded in full (the last
//! slot's length grows, the fresh slots stay), and a read's bytes leave it only once every
//! give did; until then the pipe is as before. A slot freed by a read gives its page back
//! to a pool the server's pipes share, which keeps up to [`DEFAULT_CAPACITY`] bytes of
//! pages for the next fresh slots (so does a pipe that goes), so reading and writing a
//! pipe that exists allocates nothing once the pool and the pipe's queues have grown to
//! their working size.
//!
//! # The rules
//!
//! - Read: a length of 0 answers 0; data present: at once `min(length, buffered)`; empty
//!   with no writer: 0 (end of file); empty otherwise: `EAGAIN` when the end is
//!   non-blocking, else the reader waits. Write: a length of 0 answers 0; no reader:
//!   `EPIPE` (the client raises `SIGPIPE`); otherwise the write moves what it may; a write
//!   that is not done answers the count moved (or `EAGAIN` if none) when the end is
//!   non-blocking, else the writer waits with its count so far. A read through a write-only
//!   end, or a write through a read-only one, is `EBADF`.
//! - Waiters are served in arrival order, readers first, then writers, repeated while
//!   either makes progress: the oldest reader takes what is buffered (up to its length) and
//!   is answered; the oldest writer moves what the free slots hold and is answered when its
//!   last byte is in, or waits on and holds back every writer behind it. A writer that
//!   moved bytes but is not done and whose end became non-blocking meanwhile is answered
//!   its count, as a Linux writer that wakes re-checks `O_NONBLOCK`. When the last writer
//!   is gone waiting readers get 0; when the last reader is gone waiting writers get their
//!   count, or `EPIPE` if they moved nothing.
//! - A write that starts merges into the last slot even while writers wait (they wait for
//!   a free slot, and a Linux writer that sleeps cannot take the merge room either).
//! - An interrupted waiter ([`PipeServer::cancel`]) is answered `EINTR`, or for a writer
//!   that moved bytes its count. A blocked call keeps its end open, as Linux's system call
//!   keeps its file: when the last reference to an end is released while calls through it
//!   wait, the end closes when the last of them is answered or cancelled.
//! - `F_SETPIPE_SZ` ([`PipeServer::set_capacity`]) is Linux's `pipe_set_size`: the
//!   argument is taken as a 32-bit unsigned number; above 2^31 it is `EINVAL`; it is
//!   rounded up to a power of two of at least one page; growing above [`MAX_CAPACITY`]
//!   without privilege is `EPERM`; fewer slots than hold data is `EBUSY`.
//! - FIFOs follow Linux's `fifo_open`: an end waiting in its open already counts as a
//!   reader or writer. A read-only open waits until there is a writer (non-blocking: it
//!   does not wait); a write-only open waits until there is a reader (non-blocking and no
//!   reader: `ENXIO`); a read-write open never waits; every open completes the waiting opens
//!   of the other side. A FIFO's pipe, with its data and capacity, lives while any of its
//!   ends is open; the next open after that starts a fresh, empty pipe.
//!
//! # Where Courier differs
//!
//! `pipe2` refuses `O_DIRECT` (packet mode) and `O_NOTIFICATION_PIPE` with `EINVAL`; no
//! per-user page accounting (`pipe-user-pages-soft`) is done; a removed FIFO fails its
//! waiting opens with `ENOENT`, since nobody can open it any more. A lease that fails for
//! the current caller fails the call (`EFAULT` when a copy comes up short) and changes
//! nothing, even if copies of other slots before it succeeded (Linux keeps those and
//! answers their count); one that fails for a waiting caller answers it with its count so
//! far (a writer's bytes of earlier moves) or the error, leaves the pipe as it was, and the
//! next waiter is served.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod ring;
mod server;

#[cfg(test)]
mod model;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

pub use courier_abi::Errno;
pub use server::PipeServer;

/// An open file description of one end of a pipe or FIFO (never 0).
pub type EndId = u64;

/// A FIFO node (never 0).
pub type FifoId = u64;

/// Most bytes one write moves atomically (`PIPE_BUF`, one page).
pub const PIPE_BUF: usize = courier_abi::pipe::PIPE_BUF;

/// A new pipe's capacity: 16 pages, as Linux.
pub const DEFAULT_CAPACITY: usize = courier_abi::pipe::PIPE_DEFAULT_CAPACITY;

/// The largest capacity an unprivileged caller may set (Linux's default
/// `/proc/sys/fs/pipe-max-size`, 1 MiB).
pub const MAX_CAPACITY: usize = courier_abi::pipe::PIPE_MAX_CAPACITY;

/// The size of one slot of a pipe's buffer: a page, as Linux.
pub const SLOT_SIZE: usize = courier_abi::layout::PAGE_SIZE;

/// How the core reaches a blocked or current caller's buffer (the main loop implements it
/// with lease copies; tests with vectors).
pub trait Leases<W> {
    /// Copies up to `into.len()` bytes from `waiter`'s buffer (a writer's data) starting at
    /// `offset` into `into`, which is part of one slot of the pipe; returns how many (short
    /// at its end).
    ///
    /// # Errors
    ///
    /// The error the caller's call should fail with (`EFAULT` for a buffer that cannot be
    /// read).
    fn take(&mut self, waiter: &W, offset: usize, into: &mut [u8]) -> Result<usize, Errno>;

    /// Copies `bytes`, the unread part of one slot of the pipe, into `waiter`'s buffer (a
    /// reader's) at `offset`; returns how many.
    ///
    /// # Errors
    ///
    /// The error the caller's call should fail with (`EFAULT` for a buffer that cannot be
    /// written).
    fn give(&mut self, waiter: &W, offset: usize, bytes: &[u8]) -> Result<usize, Errno>;
}

/// How an end was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// For reading only (`O_RDONLY`).
    Read,
    /// For writing only (`O_WRONLY`).
    Write,
    /// For both (`O_RDWR`, FIFOs only).
    ReadWrite,
}

impl Access {
    /// Whether the end may read.
    pub const fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    /// Whether the end may write.
    pub const fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }

    /// The access-mode bits of the status flags (`O_RDONLY`, `O_WRONLY` or `O_RDWR`).
    pub const fn mode_bits(self) -> u64 {
        match self {
            Access::Read => courier_abi::io::O_RDONLY,
            Access::Write => courier_abi::io::O_WRONLY,
            Access::ReadWrite => courier_abi::io::O_RDWR,
        }
    }

    /// The access an `open` flags word asks for (its `O_ACCMODE` bits); `None` for the
    /// invalid value 3.
    pub const fn from_flags(flags: u64) -> Option<Access> {
        match flags & courier_abi::io::O_ACCMODE {
            courier_abi::io::O_RDONLY => Some(Access::Read),
            courier_abi::io::O_WRONLY => Some(Access::Write),
            courier_abi::io::O_RDWR => Some(Access::ReadWrite),
            _ => None,
        }
    }
}

/// A stored waiter that can be answered now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<W> {
    /// The token the waiter was stored with.
    pub waiter: W,
    /// The count read or written, or the new [`EndId`] for a FIFO open; or the error.
    pub result: Result<u64, Errno>,
}

/// What a call produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The call is over: answer this now.
    Done(Result<u64, Errno>),
    /// The waiter was stored; it comes back in an [`Answer`] (or is removed by
    /// [`PipeServer::cancel`]).
    Blocked,
}
