//! System V objects for the test programs (conformance, sysv-test): guards that remove
//! a message queue, semaphore set or segment when dropped, so that a failed case leaves
//! nothing behind, and what the cases read them with.
//!
//! The guards hold the object's id in a public field, for the calls a case makes itself
//! (an `IPC_RMID` under test, a wrong argument). Their helpers return a [`Check`] or a
//! reason naming the call, like the checks of [`crate::check`]; the `_raw` ones give the
//! [`Errno`] for a case that expects one. A program's keys are its own: it clears one of
//! what an earlier run left with [`Family::fresh_key`] (or [`remove_all_under`]).
//!
//! The limits and status positions are Linux's (`MSGMNB`, `SEMVMX`, ... with their
//! default values; the positions as `libsys::sysv` lays out an `IPC_STAT` buffer).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use libsys::Errno;
use libsys::memory::Mapping;
use libsys::sysv::{
    self, GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID,
    IPC_STAT, SETVAL, STATUS_MESSAGE_FIELDS, STATUS_SEGMENT_FIELDS, STATUS_SEMAPHORE_FIELDS,
    STATUS_WORDS, SemaphoreOperation, Status,
};

use crate::check::{Check, ensure, equals, step};
use crate::timing::eventually;

/// Linux's `MSGMNB`: a new queue's `msg_qbytes`, and the most an unprivileged `IPC_SET`
/// may ask for.
pub const MSGMNB: u64 = 16384;
/// Linux's `MSGMAX`: the largest message.
pub const MSGMAX: usize = 8192;
/// Linux's `SEMMSL`: the most semaphores in a set.
pub const SEMMSL: i32 = 32000;
/// Linux's `SEMOPM`: the most operations in one `semop`.
pub const SEMOPM: usize = 500;
/// Linux's `SEMVMX`: the largest semaphore value.
pub const SEMVMX: i32 = 32767;
/// `SHM_DEST` in `shm_perm.mode`: the segment goes when its last attachment does.
pub const SHM_DEST: u64 = 0o1000;

/// Status position of a message queue's `msg_cbytes`.
pub const MESSAGE_CBYTES: usize = STATUS_MESSAGE_FIELDS + 3;
/// Status position of a message queue's `msg_qnum`.
pub const MESSAGE_QNUM: usize = STATUS_MESSAGE_FIELDS + 4;
/// Status position of a message queue's `msg_qbytes`.
pub const MESSAGE_QBYTES: usize = STATUS_MESSAGE_FIELDS + 5;
/// Status position of a message queue's `msg_lspid`.
pub const MESSAGE_LSPID: usize = STATUS_MESSAGE_FIELDS + 6;
/// Status position of a message queue's `msg_lrpid`.
pub const MESSAGE_LRPID: usize = STATUS_MESSAGE_FIELDS + 7;
/// Status position of a semaphore set's `sem_nsems`.
pub const SEMAPHORE_NSEMS: usize = STATUS_SEMAPHORE_FIELDS + 2;
/// Status position of a segment's `shm_segsz`.
pub const SEGMENT_SIZE: usize = STATUS_SEGMENT_FIELDS;
/// Status position of a segment's `shm_cpid`.
pub const SEGMENT_CPID: usize = STATUS_SEGMENT_FIELDS + 4;
/// Status position of a segment's `shm_lpid`.
pub const SEGMENT_LPID: usize = STATUS_SEGMENT_FIELDS + 5;
/// Status position of a segment's `shm_nattch`.
pub const SEGMENT_NATTCH: usize = STATUS_SEGMENT_FIELDS + 6;

/// A semaphore's value, for [`SemaphoreSet::expect`] and [`SemaphoreSet::becomes`].
pub const VALUE: (i32, &str) = (GETVAL, "GETVAL");
/// How many wait for a semaphore to increase.
pub const WAITING_FOR_INCREASE: (i32, &str) = (GETNCNT, "GETNCNT");
/// How many wait for a semaphore to be zero.
pub const WAITING_FOR_ZERO: (i32, &str) = (GETZCNT, "GETZCNT");
/// The process that last operated on a semaphore.
pub const LAST_PID: (i32, &str) = (GETPID, "GETPID");

/// A status buffer of zeros, for `IPC_STAT` to fill or `IPC_SET` to take.
pub fn empty_status() -> Status {
    [0; STATUS_WORDS]
}

/// One operation of a `semop`: `operation` on semaphore `number` with `flags`.
pub fn operation(number: u16, operation: i16, flags: i16) -> SemaphoreOperation {
    SemaphoreOperation { number, operation, flags }
}

/// The three System V families.
#[derive(Clone, Copy)]
pub enum Family {
    /// Message queues (`msgget`, `msgctl`).
    MessageQueue,
    /// Semaphore sets (`semget`, `semctl`).
    SemaphoreSet,
    /// Shared memory segments (`shmget`, `shmctl`).
    Segment,
}

impl Family {
    /// Every family, in that order.
    pub const ALL: [Family; 3] = [Family::MessageQueue, Family::SemaphoreSet, Family::Segment];

    /// Removes the object `id` of this family (`IPC_RMID`), if it is there.
    pub fn remove(self, id: i32) {
        let _ = match self {
            Family::MessageQueue => sysv::msgctl(id, IPC_RMID, &mut empty_status()),
            Family::SemaphoreSet => sysv::semctl(id, 0, IPC_RMID, 0),
            Family::Segment => sysv::shmctl(id, IPC_RMID, &mut empty_status()),
        };
    }

    /// `key`, cleared of the object of this family an earlier run left under it.
    pub fn fresh_key(self, key: i32) -> i32 {
        let leftover = match self {
            Family::MessageQueue => sysv::msgget(key, 0),
            Family::SemaphoreSet => sysv::semget(key, 0, 0),
            Family::Segment => sysv::shmget(key, 0, 0),
        };
        if let Ok(id) = leftover {
            self.remove(id);
        }
        key
    }
}

/// Removes the objects of every family that are under `key`.
pub fn remove_all_under(key: i32) {
    for family in Family::ALL {
        family.fresh_key(key);
    }
}

/// A message queue, removed when dropped.
pub struct Queue(
    /// The queue's id.
    pub i32,
);

impl Queue {
    /// `msgget(key, flags)`.
    pub fn create(key: i32, flags: i32) -> Result<Queue, String> {
        step(&format!("msgget({key:#x}, {flags:#o})"), sysv::msgget(key, flags)).map(Queue)
    }

    /// A new private queue of mode 0600.
    pub fn private() -> Result<Queue, String> {
        Queue::create(IPC_PRIVATE, IPC_CREAT | 0o600)
    }

    /// `IPC_STAT`.
    pub fn status_raw(&self) -> Result<Status, Errno> {
        let mut status = empty_status();
        sysv::msgctl(self.0, IPC_STAT, &mut status).map(|_| status)
    }

    /// `IPC_STAT`, expected to succeed.
    pub fn status(&self) -> Result<Status, String> {
        step("msgctl(IPC_STAT)", self.status_raw())
    }

    /// `msgsnd` with `IPC_NOWAIT`, expected to succeed.
    pub fn send(&self, message_type: i64, body: &[u8]) -> Check {
        let what = format!("msgsnd(type {message_type}, {} bytes)", body.len());
        step(&what, sysv::msgsnd(self.0, message_type, body, IPC_NOWAIT))
    }

    /// `msgrcv` with `IPC_NOWAIT` into a buffer of `size` bytes: the type and body.
    pub fn receive(
        &self,
        size: usize,
        message_type: i64,
        flags: i32,
    ) -> Result<(i64, Vec<u8>), Errno> {
        let mut buffer = vec![0u8; size];
        let (length, received_type) =
            sysv::msgrcv(self.0, &mut buffer, message_type, flags | IPC_NOWAIT)?;
        buffer.truncate(length);
        Ok((received_type, buffer))
    }

    /// Expects `msgrcv(message_type, flags)` into 64 bytes to give `expected` (type and
    /// body).
    pub fn expect(&self, message_type: i64, flags: i32, expected: (i64, &str)) -> Check {
        let what = format!("msgrcv(msgtyp {message_type}, flags {flags:#o})");
        let (received_type, body) = step(&what, self.receive(64, message_type, flags))?;
        ensure(received_type == expected.0 && body == expected.1.as_bytes(), || {
            format!(
                "{what} gave type {received_type} {:?}, expected type {} {:?}",
                String::from_utf8_lossy(&body),
                expected.0,
                expected.1
            )
        })
    }

    /// Checks `msg_qnum` and `msg_cbytes`.
    pub fn holds(&self, messages: u64, bytes: u64) -> Check {
        let status = self.status()?;
        ensure(status[MESSAGE_QNUM] == messages && status[MESSAGE_CBYTES] == bytes, || {
            format!(
                "msg_qnum {} and msg_cbytes {}, expected {messages} and {bytes}",
                status[MESSAGE_QNUM], status[MESSAGE_CBYTES]
            )
        })
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        Family::MessageQueue.remove(self.0);
    }
}

/// A semaphore set, removed when dropped.
pub struct SemaphoreSet(
    /// The set's id.
    pub i32,
);

impl SemaphoreSet {
    /// `semget(key, count, flags)`.
    pub fn create(key: i32, count: i32, flags: i32) -> Result<SemaphoreSet, String> {
        let what = format!("semget({key:#x}, {count}, {flags:#o})");
        step(&what, sysv::semget(key, count, flags)).map(SemaphoreSet)
    }

    /// A new private set of `count` semaphores, of mode 0600.
    pub fn private(count: i32) -> Result<SemaphoreSet, String> {
        SemaphoreSet::create(IPC_PRIVATE, count, IPC_CREAT | 0o600)
    }

    /// `semctl(number, command, value)`.
    pub fn control(&self, number: i32, command: i32, value: i32) -> Result<i64, Errno> {
        sysv::semctl(self.0, number, command, value)
    }

    /// `SETVAL` of `number` to `value`, expected to succeed.
    pub fn set_value(&self, number: i32, value: i32) -> Check {
        let what = format!("semctl(SETVAL {number}, {value})");
        step(&what, self.control(number, SETVAL, value)).map(|_| ())
    }

    /// `GETALL` of a set of `count` semaphores.
    pub fn values(&self, count: usize) -> Result<Vec<u16>, String> {
        let mut values = vec![0u16; count];
        step("semctl(GETALL)", sysv::semctl_values(self.0, GETALL, &mut values))?;
        Ok(values)
    }

    /// `semop(operations)`.
    pub fn operate(&self, operations: &[SemaphoreOperation]) -> Result<(), Errno> {
        sysv::semop(self.0, operations)
    }

    /// Expects `command` ([`VALUE`], [`WAITING_FOR_INCREASE`], [`WAITING_FOR_ZERO`],
    /// [`LAST_PID`]) of `number` to give `expected`.
    pub fn expect(&self, number: i32, command: (i32, &str), expected: i64) -> Check {
        let what = format!("semctl({}, {number})", command.1);
        equals(&what, self.control(number, command.0, 0), expected)
    }

    /// Polls until `command` of `number` gives `expected`.
    pub fn becomes(&self, number: i32, command: (i32, &str), expected: i64) -> Check {
        eventually(|| {
            let what = format!("semctl({}, {number})", command.1);
            let got = step(&what, self.control(number, command.0, 0))?;
            Ok((got != expected).then(|| format!("{what} is {got}, expected {expected}")))
        })
    }
}

impl Drop for SemaphoreSet {
    fn drop(&mut self) {
        Family::SemaphoreSet.remove(self.0);
    }
}

/// A shared memory segment, removed when dropped (the last detach then frees it).
pub struct Segment(
    /// The segment's id.
    pub i32,
);

impl Segment {
    /// `shmget(key, size, flags)`.
    pub fn create(key: i32, size: u64, flags: i32) -> Result<Segment, String> {
        let what = format!("shmget({key:#x}, {size}, {flags:#o})");
        step(&what, sysv::shmget(key, size, flags)).map(Segment)
    }

    /// A new private segment of `size` bytes, of mode 0600.
    pub fn private(size: u64) -> Result<Segment, String> {
        Segment::create(IPC_PRIVATE, size, IPC_CREAT | 0o600)
    }

    /// `IPC_STAT`.
    pub fn status_raw(&self) -> Result<Status, Errno> {
        let mut status = empty_status();
        sysv::shmctl(self.0, IPC_STAT, &mut status).map(|_| status)
    }

    /// `IPC_STAT`, expected to succeed.
    pub fn status(&self) -> Result<Status, String> {
        step("shmctl(IPC_STAT)", self.status_raw())
    }

    /// `shmat` wherever the system chooses, expected to succeed.
    pub fn attach(&self, flags: i32) -> Result<Mapping, String> {
        step(&format!("shmat({}, flags {flags:#o})", self.0), sysv::shmat(self.0, None, flags))
    }

    /// `shm_nattch`.
    pub fn attachments(&self) -> Result<u64, String> {
        Ok(self.status()?[SEGMENT_NATTCH])
    }

    /// Expects `shm_nattch` to be `expected`.
    pub fn expect_attachments(&self, expected: u64) -> Check {
        let attachments = self.attachments()?;
        ensure(attachments == expected, || {
            format!("shm_nattch is {attachments}, expected {expected}")
        })
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        Family::Segment.remove(self.0);
    }
}

/// `shmdt` of `mapping`, expected to succeed.
pub fn detach(mapping: Mapping) -> Check {
    step("shmdt", sysv::shmdt(mapping))
}
