//! Processes: how they end (exit status), upcalls, priorities.

/// How a process ended, as one word: an exit with a status, or a termination by a signal
/// number (a fault, or `ProcessKill`). The encoding is the one Linux's `wait` status uses:
/// exit status in bits 8..16, terminating signal in bits 0..7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// `ProcessExit` (or the last thread ending, status 0).
    Exited(u8),
    /// Ended by a signal number (1..=127).
    Killed(u8),
}

impl ExitStatus {
    /// The wait-status word.
    pub const fn to_word(self) -> u64 {
        match self {
            ExitStatus::Exited(status) => (status as u64) << 8,
            ExitStatus::Killed(signal) => (signal & 0x7f) as u64,
        }
    }

    /// Decodes a wait-status word; `None` when neither form fits.
    pub const fn from_word(word: u64) -> Option<ExitStatus> {
        if word & 0x7f == 0 && word >> 16 == 0 {
            Some(ExitStatus::Exited((word >> 8) as u8))
        } else if word >> 7 == 0 {
            Some(ExitStatus::Killed(word as u8))
        } else {
            None
        }
    }
}

/// What an upcall post does.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpcallKind {
    /// Divert the thread to its process's upcall entry with the info words.
    Deliver = 1,
    /// End the process at once; the first info word is its `ExitStatus` word.
    Kill = 2,
}

impl UpcallKind {
    /// Decodes a kind number.
    pub const fn from_number(number: usize) -> Option<UpcallKind> {
        match number {
            1 => Some(UpcallKind::Deliver),
            2 => Some(UpcallKind::Kill),
            _ => None,
        }
    }
}

/// Info words an upcall carries.
pub const UPCALL_WORDS: usize = 4;

/// Most upcalls pending on one thread before posting fails with `WouldBlock`.
pub const MAX_PENDING_UPCALLS: usize = 32;

/// The upcall entry is called with `a0` = address of the [`UpcallInfo`] and `a1` = the
/// address to pass to `UpcallReturn`, on the thread's stack below the saved context.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpcallInfo {
    /// The poster's words.
    pub words: [u64; UPCALL_WORDS],
    /// The client id of the process that posted.
    pub sender: u32,
    /// Why the thread was not running: [`UPCALL_RUNNING`], [`UPCALL_INTERRUPTED_CALL`] or
    /// [`UPCALL_INTERRUPTED_WAIT`].
    pub interrupted: u32,
}

/// [`UpcallInfo::interrupted`]: the thread was running or ready.
pub const UPCALL_RUNNING: u32 = 0;
/// [`UpcallInfo::interrupted`]: the thread was in a call; the server was sent a cancel
/// notice and its answer (or `Interrupted`, if no server had taken the call) is the
/// call's result in the saved context.
pub const UPCALL_INTERRUPTED_CALL: u32 = 1;
/// [`UpcallInfo::interrupted`]: the thread was receiving, waiting for a notification or
/// sleeping; that call returns `Interrupted` in the saved context.
pub const UPCALL_INTERRUPTED_WAIT: u32 = 2;

/// Most handles one `ProcessSpawn` passes to the child.
pub const MAX_SPAWN_HANDLES: usize = 32;

/// Lowest thread priority.
pub const PRIORITY_LOWEST: u8 = 0;
/// Highest thread priority.
pub const PRIORITY_HIGHEST: u8 = 31;
/// Priority of the first thread of a spawned process.
pub const PRIORITY_DEFAULT: u8 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_words_match_linux_wait_status() {
        assert_eq!(ExitStatus::Exited(42).to_word(), 42 << 8);
        assert_eq!(ExitStatus::Killed(9).to_word(), 9);
        for status in [ExitStatus::Exited(0), ExitStatus::Exited(255), ExitStatus::Killed(11)] {
            assert_eq!(ExitStatus::from_word(status.to_word()), Some(status));
        }
        assert_eq!(ExitStatus::from_word(1 << 20), None);
    }
}
