//! The pipe server's protocol: creating pipes and FIFOs, and opening FIFOs.
//!
//! Through a connection (`courier_abi::service::SERVICE_PIPE`): [`PipeRequest::CreatePipe`]
//! answers with two references, the read end then the write end; [`PipeRequest::CreateFifo`]
//! (used by the file system server for a FIFO node) answers with a FIFO capability, a
//! reference through which [`PipeRequest::OpenFifo`] opens the FIFO. The ends are then used
//! through the I/O protocol (`courier_abi::io`), including `F_GETPIPE_SZ` and
//! `F_SETPIPE_SZ` as `Control` commands. Answers' labels are 0 or a Linux errno.

use crate::ipc::MESSAGE_WORDS;

/// Most bytes one write moves atomically (`PIPE_BUF`).
pub const PIPE_BUF: usize = 4096;
/// A new pipe's capacity (16 pages).
pub const PIPE_DEFAULT_CAPACITY: usize = 65536;
/// Largest capacity an unprivileged process may set (`/proc/sys/fs/pipe-max-size`).
pub const PIPE_MAX_CAPACITY: usize = 1 << 20;

/// Operations of the pipe server beyond the I/O protocol.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipeOperation {
    /// `pipe2(flags)`: word 0 the flags (`O_NONBLOCK`; `O_CLOEXEC` stays with the client).
    CreatePipe = 0x200,
    /// Create a FIFO; the answer carries its capability.
    CreateFifo = 0x201,
    /// Through a FIFO capability: open it with word 0's flags (`O_ACCMODE` bits and
    /// `O_NONBLOCK`); the answer carries the end's reference.
    OpenFifo = 0x202,
}

/// A request to the pipe server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeRequest {
    /// Create a pipe.
    CreatePipe {
        /// `O_NONBLOCK` (and `O_CLOEXEC`, ignored by the server).
        flags: u64,
    },
    /// Create a FIFO.
    CreateFifo,
    /// Open a FIFO.
    OpenFifo {
        /// Access mode and `O_NONBLOCK`.
        flags: u64,
    },
}

impl PipeRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        match self {
            PipeRequest::CreatePipe { flags } => {
                (PipeOperation::CreatePipe as u32, [flags, 0, 0, 0])
            }
            PipeRequest::CreateFifo => (PipeOperation::CreateFifo as u32, [0; MESSAGE_WORDS]),
            PipeRequest::OpenFifo { flags } => (PipeOperation::OpenFifo as u32, [flags, 0, 0, 0]),
        }
    }

    /// Decodes a request; `None` for another label.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<PipeRequest> {
        match label {
            0x200 => Some(PipeRequest::CreatePipe { flags: words[0] }),
            0x201 => Some(PipeRequest::CreateFifo),
            0x202 => Some(PipeRequest::OpenFifo { flags: words[0] }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        for request in [
            PipeRequest::CreatePipe { flags: 0o4000 },
            PipeRequest::CreateFifo,
            PipeRequest::OpenFifo { flags: 1 },
        ] {
            let (label, words) = request.to_message();
            assert_eq!(PipeRequest::from_message(label, words), Some(request));
        }
        assert_eq!(PipeRequest::from_message(0x100, [0; 4]), None);
    }
}
