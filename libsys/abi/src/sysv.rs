//! The System V IPC server's protocol: message queues, semaphore sets and shared memory
//! segments, with Linux's constants.
//!
//! A program connects to `courier_abi::service::SERVICE_SYSTEM_V` (a send handle badged
//! with its pid) and asks once for a [`SystemVRequest::Session`]: the answer carries a
//! reference the server made for this process. Every other request goes through that
//! reference; when the process ends, its last handle to the reference closes and the
//! server hears it (`Released`), which is when `SEM_UNDO` adjustments are applied and
//! shared memory attachments counted down. [`SystemVRequest::Refresh`] tells the server
//! the process's credentials changed (after `setuid`, `setgid`).
//!
//! Answers' labels are 0 or a Linux errno. Status structures (`IPC_STAT`, `IPC_SET`,
//! `IPC_INFO` and the `*_STAT`/`*_INFO` commands) travel in lease 0 as
//! [`STATUS_WORDS`] little-endian `u64` words laid out as the `STATUS_*` and `INFO_*`
//! positions say.

use crate::ipc::MESSAGE_WORDS;

/// `IPC_PRIVATE`.
pub const IPC_PRIVATE: i32 = 0;
/// `IPC_CREAT`.
pub const IPC_CREAT: i32 = 0o1000;
/// `IPC_EXCL`.
pub const IPC_EXCL: i32 = 0o2000;
/// `IPC_NOWAIT`.
pub const IPC_NOWAIT: i32 = 0o4000;
/// `IPC_RMID`.
pub const IPC_RMID: i32 = 0;
/// `IPC_SET`.
pub const IPC_SET: i32 = 1;
/// `IPC_STAT`.
pub const IPC_STAT: i32 = 2;
/// `IPC_INFO`.
pub const IPC_INFO: i32 = 3;

/// `msgrcv`: truncate a message longer than the buffer instead of failing with `E2BIG`.
pub const MSG_NOERROR: i32 = 0o10000;
/// `msgrcv`: with a positive type, take the first message not of that type.
pub const MSG_EXCEPT: i32 = 0o20000;
/// `msgrcv`: copy without removing (needs `CONFIG_CHECKPOINT_RESTORE` on Linux).
pub const MSG_COPY: i32 = 0o40000;
/// `msgctl`: `IPC_STAT` by slot index.
pub const MSG_STAT: i32 = 11;
/// `msgctl`: usage information.
pub const MSG_INFO: i32 = 12;
/// `msgctl`: `MSG_STAT` without the read-permission check.
pub const MSG_STAT_ANY: i32 = 13;

/// `semop` flag: undo the operation when the process ends.
pub const SEM_UNDO: i16 = 0x1000;
/// `semctl`: the pid of the last operation.
pub const GETPID: i32 = 11;
/// `semctl`: a semaphore's value.
pub const GETVAL: i32 = 12;
/// `semctl`: every value.
pub const GETALL: i32 = 13;
/// `semctl`: processes waiting for an increase.
pub const GETNCNT: i32 = 14;
/// `semctl`: processes waiting for zero.
pub const GETZCNT: i32 = 15;
/// `semctl`: set a value.
pub const SETVAL: i32 = 16;
/// `semctl`: set every value.
pub const SETALL: i32 = 17;
/// `semctl`: `IPC_STAT` by slot index.
pub const SEM_STAT: i32 = 18;
/// `semctl`: usage information.
pub const SEM_INFO: i32 = 19;
/// `semctl`: `SEM_STAT` without the read-permission check.
pub const SEM_STAT_ANY: i32 = 20;

/// `shmat`: attach read-only.
pub const SHM_RDONLY: i32 = 0o10000;
/// `shmat`: round the address down to [`SHMLBA`].
pub const SHM_RND: i32 = 0o20000;
/// `shmat`: replace a mapping already at the address.
pub const SHM_REMAP: i32 = 0o40000;
/// `shmat`: map the segment executable too (needs execute permission).
pub const SHM_EXEC: i32 = 0o100000;
/// `shmctl`: lock the segment in memory.
pub const SHM_LOCK: i32 = 11;
/// `shmctl`: unlock it.
pub const SHM_UNLOCK: i32 = 12;
/// `shmctl`: `IPC_STAT` by slot index.
pub const SHM_STAT: i32 = 13;
/// `shmctl`: usage information.
pub const SHM_INFO: i32 = 14;
/// `shmctl`: `SHM_STAT` without the read-permission check.
pub const SHM_STAT_ANY: i32 = 15;
/// Attach addresses are multiples of this (a page on both architectures here).
pub const SHMLBA: u64 = 4096;

/// Bytes of one `struct sembuf` in a `SemaphoreOperate` lease: `u16` number, `i16`
/// operation, `i16` flags, little-endian.
pub const SEMBUF_SIZE: usize = 6;
/// No `semtimedop` timeout.
pub const NO_SEMAPHORE_TIMEOUT: u64 = u64::MAX;

/// In a `MessageSend` or `MessageReceive` flags word (above the 32 flag bits): the body
/// travels in the message, not a lease. For a send, bits 32..36 are its length (at most
/// [`INLINE_SEND_MAX`]) and word 3 holds it; for a receive, bits 32..37 are the buffer's
/// size (at most [`INLINE_RECEIVE_MAX`]) and the answer's words 2 and 3 hold the body.
pub const INLINE_BODY: u64 = 1 << 40;
/// Longest body a send carries in the message.
pub const INLINE_SEND_MAX: usize = 8;
/// Largest buffer a receive has answered in the message.
pub const INLINE_RECEIVE_MAX: usize = 16;
/// Where an inline length sits in a flags word.
pub const INLINE_LENGTH_SHIFT: u32 = 32;

/// Marks a `SemaphoreOperate` whose single operation travels in the message.
pub const INLINE_OPERATION: u64 = 1 << 63;

/// One `struct sembuf` packed into a message word: number, operation and flags in the
/// low 48 bits, with [`INLINE_OPERATION`].
pub const fn inline_operation(number: u16, operation: i16, flags: i16) -> u64 {
    INLINE_OPERATION | number as u64 | (operation as u16 as u64) << 16 | (flags as u16 as u64) << 32
}

/// Unpacks [`inline_operation`]: `None` without the mark.
pub const fn unpack_inline_operation(word: u64) -> Option<(u16, i16, i16)> {
    if word & INLINE_OPERATION == 0 {
        return None;
    }
    Some((word as u16, (word >> 16) as u16 as i16, (word >> 32) as u16 as i16))
}

/// Words of a status structure in a lease.
pub const STATUS_WORDS: usize = 16;
/// Status position: the key.
pub const STATUS_KEY: usize = 0;
/// Status position: owner uid.
pub const STATUS_UID: usize = 1;
/// Status position: owner gid.
pub const STATUS_GID: usize = 2;
/// Status position: creator uid.
pub const STATUS_CUID: usize = 3;
/// Status position: creator gid.
pub const STATUS_CGID: usize = 4;
/// Status position: mode.
pub const STATUS_MODE: usize = 5;
/// Status position: sequence number.
pub const STATUS_SEQUENCE: usize = 6;
/// Message queue status: `msg_stime`, `msg_rtime`, `msg_ctime`, `msg_cbytes`,
/// `msg_qnum`, `msg_qbytes`, `msg_lspid`, `msg_lrpid` from this position on.
pub const STATUS_MESSAGE_FIELDS: usize = 7;
/// Semaphore set status: `sem_otime`, `sem_ctime`, `sem_nsems` from this position on.
pub const STATUS_SEMAPHORE_FIELDS: usize = 7;
/// Segment status: `shm_segsz`, `shm_atime`, `shm_dtime`, `shm_ctime`, `shm_cpid`,
/// `shm_lpid`, `shm_nattch` from this position on.
pub const STATUS_SEGMENT_FIELDS: usize = 7;
/// Information (`IPC_INFO`/`*_INFO`): the fields of `struct msginfo`, `seminfo` or
/// `shminfo` in their C order from position 0.
pub const INFO_FIELDS: usize = 0;

/// Operations of the System V server (message labels).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemVOperation {
    /// Through the connection: start this process's session. The answer carries the
    /// session reference.
    Session = 0x400,
    /// The caller's credentials changed: the server reads them again from proc.
    Refresh = 0x401,
    /// `msgget(key, flags)`. Answer: the id.
    MessageGet = 0x402,
    /// `msgsnd(id, {type, lease 0}, flags)`.
    MessageSend = 0x403,
    /// `msgrcv(id, lease 0, type, flags)` (the size is the lease's length). Answer: the
    /// bytes received and the message's type.
    MessageReceive = 0x404,
    /// `msgctl(id, command, lease 0)`. Answer: the call's result.
    MessageControl = 0x405,
    /// `semget(key, nsems, flags)`. Answer: the id.
    SemaphoreGet = 0x406,
    /// `semtimedop(id, lease 0 of [`SEMBUF_SIZE`]-byte operations, count, timeout)`.
    SemaphoreOperate = 0x407,
    /// `semctl(id, number, command, value or lease 0)`. Answer: the call's result.
    SemaphoreControl = 0x408,
    /// `shmget(key, size, flags)`. Answer: the id.
    SegmentGet = 0x409,
    /// `shmat(id, flags)`: the answer carries the memory object (with `WRITE` unless
    /// `SHM_RDONLY`) and its size; the client maps it.
    SegmentAttach = 0x40a,
    /// `shmdt`: the client unmapped an attachment of `id`.
    SegmentDetach = 0x40b,
    /// `shmctl(id, command, lease 0)`. Answer: the call's result.
    SegmentControl = 0x40c,
}

/// A request to the System V server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemVRequest {
    /// Start a session.
    Session,
    /// Credentials changed.
    Refresh,
    /// `msgget`.
    MessageGet {
        /// The key.
        key: i32,
        /// `IPC_CREAT`, `IPC_EXCL` and mode bits.
        flags: i32,
    },
    /// `msgsnd`.
    MessageSend {
        /// The queue.
        id: i32,
        /// `mtype`.
        message_type: i64,
        /// `IPC_NOWAIT` (low 32 bits), and [`INLINE_BODY`] with the length above.
        flags: u64,
        /// An inline body (little-endian), or 0.
        inline: u64,
    },
    /// `msgrcv`.
    MessageReceive {
        /// The queue.
        id: i32,
        /// `msgtyp`.
        message_type: i64,
        /// `IPC_NOWAIT`, `MSG_NOERROR`, `MSG_EXCEPT`, `MSG_COPY` (low 32 bits), and
        /// [`INLINE_BODY`] with the buffer size above.
        flags: u64,
    },
    /// `msgctl`.
    MessageControl {
        /// The queue (a slot index for `MSG_STAT`).
        id: i32,
        /// The command.
        command: i32,
    },
    /// `semget`.
    SemaphoreGet {
        /// The key.
        key: i32,
        /// Semaphores in the set.
        count: i32,
        /// `IPC_CREAT`, `IPC_EXCL` and mode bits.
        flags: i32,
    },
    /// `semop` / `semtimedop`.
    SemaphoreOperate {
        /// The set.
        id: i32,
        /// Operations in lease 0.
        count: u64,
        /// Nanoseconds, or [`NO_SEMAPHORE_TIMEOUT`].
        timeout: u64,
        /// A single operation carried in the message instead of a lease (see
        /// [`inline_operation`]), or 0.
        inline: u64,
    },
    /// `semctl`.
    SemaphoreControl {
        /// The set (a slot index for `SEM_STAT`).
        id: i32,
        /// The semaphore.
        number: i32,
        /// The command.
        command: i32,
        /// `SETVAL`'s value.
        value: i32,
    },
    /// `shmget`.
    SegmentGet {
        /// The key.
        key: i32,
        /// Bytes.
        size: u64,
        /// `IPC_CREAT`, `IPC_EXCL` and mode bits.
        flags: i32,
    },
    /// `shmat`.
    SegmentAttach {
        /// The segment.
        id: i32,
        /// `SHM_RDONLY` (address flags stay with the client).
        flags: i32,
    },
    /// `shmdt`.
    SegmentDetach {
        /// The segment.
        id: i32,
    },
    /// `shmctl`.
    SegmentControl {
        /// The segment (a slot index for `SHM_STAT`).
        id: i32,
        /// The command.
        command: i32,
    },
}

impl SystemVRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        const fn word(value: i32) -> u64 {
            value as u32 as u64
        }
        let (operation, words) = match self {
            SystemVRequest::Session => (SystemVOperation::Session, [0; MESSAGE_WORDS]),
            SystemVRequest::Refresh => (SystemVOperation::Refresh, [0; MESSAGE_WORDS]),
            SystemVRequest::MessageGet { key, flags } => {
                (SystemVOperation::MessageGet, [word(key), word(flags), 0, 0])
            }
            SystemVRequest::MessageSend { id, message_type, flags, inline } => {
                (SystemVOperation::MessageSend, [word(id), message_type as u64, flags, inline])
            }
            SystemVRequest::MessageReceive { id, message_type, flags } => {
                (SystemVOperation::MessageReceive, [word(id), message_type as u64, flags, 0])
            }
            SystemVRequest::MessageControl { id, command } => {
                (SystemVOperation::MessageControl, [word(id), word(command), 0, 0])
            }
            SystemVRequest::SemaphoreGet { key, count, flags } => {
                (SystemVOperation::SemaphoreGet, [word(key), word(count), word(flags), 0])
            }
            SystemVRequest::SemaphoreOperate { id, count, timeout, inline } => {
                (SystemVOperation::SemaphoreOperate, [word(id), count, timeout, inline])
            }
            SystemVRequest::SemaphoreControl { id, number, command, value } => (
                SystemVOperation::SemaphoreControl,
                [word(id), word(number), word(command), word(value)],
            ),
            SystemVRequest::SegmentGet { key, size, flags } => {
                (SystemVOperation::SegmentGet, [word(key), size, word(flags), 0])
            }
            SystemVRequest::SegmentAttach { id, flags } => {
                (SystemVOperation::SegmentAttach, [word(id), word(flags), 0, 0])
            }
            SystemVRequest::SegmentDetach { id } => {
                (SystemVOperation::SegmentDetach, [word(id), 0, 0, 0])
            }
            SystemVRequest::SegmentControl { id, command } => {
                (SystemVOperation::SegmentControl, [word(id), word(command), 0, 0])
            }
        };
        (operation as u32, words)
    }

    /// Decodes a request; `None` for another label.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<SystemVRequest> {
        const fn value(word: u64) -> i32 {
            word as u32 as i32
        }
        Some(match label {
            0x400 => SystemVRequest::Session,
            0x401 => SystemVRequest::Refresh,
            0x402 => SystemVRequest::MessageGet { key: value(words[0]), flags: value(words[1]) },
            0x403 => SystemVRequest::MessageSend {
                id: value(words[0]),
                message_type: words[1] as i64,
                flags: words[2],
                inline: words[3],
            },
            0x404 => SystemVRequest::MessageReceive {
                id: value(words[0]),
                message_type: words[1] as i64,
                flags: words[2],
            },
            0x405 => {
                SystemVRequest::MessageControl { id: value(words[0]), command: value(words[1]) }
            }
            0x406 => SystemVRequest::SemaphoreGet {
                key: value(words[0]),
                count: value(words[1]),
                flags: value(words[2]),
            },
            0x407 => SystemVRequest::SemaphoreOperate {
                id: value(words[0]),
                count: words[1],
                timeout: words[2],
                inline: words[3],
            },
            0x408 => SystemVRequest::SemaphoreControl {
                id: value(words[0]),
                number: value(words[1]),
                command: value(words[2]),
                value: value(words[3]),
            },
            0x409 => SystemVRequest::SegmentGet {
                key: value(words[0]),
                size: words[1],
                flags: value(words[2]),
            },
            0x40a => SystemVRequest::SegmentAttach { id: value(words[0]), flags: value(words[1]) },
            0x40b => SystemVRequest::SegmentDetach { id: value(words[0]) },
            0x40c => {
                SystemVRequest::SegmentControl { id: value(words[0]), command: value(words[1]) }
            }
            _ => return None,
        })
    }
}

/// Encodes status words as lease bytes.
pub fn status_to_bytes(words: &[u64; STATUS_WORDS]) -> [u8; STATUS_WORDS * 8] {
    let mut bytes = [0u8; STATUS_WORDS * 8];
    for (index, word) in words.iter().enumerate() {
        bytes[index * 8..index * 8 + 8].copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

/// Decodes lease bytes into status words.
pub fn status_from_bytes(bytes: &[u8; STATUS_WORDS * 8]) -> [u64; STATUS_WORDS] {
    let mut words = [0u64; STATUS_WORDS];
    for (index, word) in words.iter_mut().enumerate() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&bytes[index * 8..index * 8 + 8]);
        *word = u64::from_le_bytes(chunk);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let requests = [
            SystemVRequest::Session,
            SystemVRequest::Refresh,
            SystemVRequest::MessageGet { key: -5, flags: IPC_CREAT | 0o600 },
            SystemVRequest::MessageSend {
                id: 32768,
                message_type: i64::MAX,
                flags: IPC_NOWAIT as u64 | INLINE_BODY | 8 << INLINE_LENGTH_SHIFT,
                inline: u64::MAX,
            },
            SystemVRequest::MessageReceive { id: 1, message_type: -7, flags: MSG_NOERROR as u64 },
            SystemVRequest::MessageControl { id: 2, command: IPC_STAT },
            SystemVRequest::SemaphoreGet { key: 9, count: 3, flags: IPC_EXCL },
            SystemVRequest::SemaphoreOperate {
                id: 4,
                count: 2,
                timeout: NO_SEMAPHORE_TIMEOUT,
                inline: inline_operation(3, -1, SEM_UNDO),
            },
            SystemVRequest::SemaphoreControl { id: 5, number: -1, command: SETVAL, value: -3 },
            SystemVRequest::SegmentGet { key: IPC_PRIVATE, size: u64::MAX, flags: 0 },
            SystemVRequest::SegmentAttach { id: 6, flags: SHM_RDONLY },
            SystemVRequest::SegmentDetach { id: 7 },
            SystemVRequest::SegmentControl { id: 8, command: SHM_LOCK },
        ];
        for request in requests {
            let (label, words) = request.to_message();
            assert_eq!(SystemVRequest::from_message(label, words), Some(request));
        }
        assert_eq!(SystemVRequest::from_message(0x40d, [0; MESSAGE_WORDS]), None);
    }

    #[test]
    fn inline_operations_round_trip() {
        let word = inline_operation(65535, -32768, SEM_UNDO | IPC_NOWAIT as i16);
        assert_eq!(
            unpack_inline_operation(word),
            Some((65535, -32768, SEM_UNDO | IPC_NOWAIT as i16))
        );
        assert_eq!(unpack_inline_operation(0), None);
    }

    #[test]
    fn status_words_round_trip() {
        let mut words = [0u64; STATUS_WORDS];
        for (index, word) in words.iter_mut().enumerate() {
            *word = (index as u64) << 40 | 0xabc;
        }
        assert_eq!(status_from_bytes(&status_to_bytes(&words)), words);
    }
}
