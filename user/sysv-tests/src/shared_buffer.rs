//! The producer/consumer demo's shared state (`sysv-producer`, `sysv-consumer`): a ring
//! buffer of integers in a System V shared memory segment, guarded by a System V
//! semaphore set, both under one key ([`DEFAULT_KEY`] unless `--key=` says otherwise).
//!
//! # Semaphores
//!
//! - [`MUTEX`] (starts at 1) guards the segment. It is always taken and given back with
//!   `SEM_UNDO`, so a process killed inside the critical section gives it back when it
//!   ends.
//! - [`EMPTY`] (starts at [`SLOTS`]) counts free slots; [`FULL`] (starts at 0) counts
//!   tokens for the consumer: one for each number put and one for each producer that
//!   finished.
//! - [`READY`] (starts at 0) becomes 1 once the creator has set the others: a process that
//!   finds the set already made waits for it (`semget` makes values 0, and the creator's
//!   `SETALL` comes after).
//!
//! Taking a slot and the mutex is one `semop` of two operations, as is giving them back,
//! so no process ever holds the mutex while it waits for a slot.
//!
//! # Segment
//!
//! Words (little-endian `u64`): [`PUT`] numbers put so far, [`TAKEN`] numbers taken so far,
//! [`FINISHED`] producers finished, then [`SLOTS`] slots; number `n` is in slot
//! `n % SLOTS`. The consumer knows every producer has finished when it takes a token with
//! nothing to take as often as there are producers (a producer's finishing token comes
//! after its numbers' tokens, and a number and its token are published in one `semop`).

use libsys::Errno;
use libsys::memory::Mapping;
use libsys::sysv::{
    self, IPC_CREAT, IPC_EXCL, IPC_RMID, SEM_UNDO, SETALL, STATUS_WORDS, SemaphoreOperation,
};

/// The key of the demo's semaphore set and segment unless `--key=` names another
/// (`"SYSV"` in ASCII).
pub const DEFAULT_KEY: i32 = 0x5359_5356;

/// Slots in the ring buffer.
pub const SLOTS: usize = 16;

/// Semaphore: the mutex.
pub const MUTEX: u16 = 0;
/// Semaphore: free slots.
pub const EMPTY: u16 = 1;
/// Semaphore: tokens for the consumer.
pub const FULL: u16 = 2;
/// Semaphore: 1 once the set is initialised.
pub const READY: u16 = 3;
/// Semaphores in the set.
pub const SEMAPHORES: i32 = 4;

/// Segment word (byte offset): numbers put so far.
pub const PUT: usize = 0;
/// Segment word (byte offset): numbers taken so far.
pub const TAKEN: usize = 8;
/// Segment word (byte offset): producers finished.
pub const FINISHED: usize = 16;
/// Byte offset of the first slot.
const FIRST_SLOT: usize = 32;

/// The segment's size in bytes.
pub const SEGMENT_SIZE: u64 = (FIRST_SLOT + SLOTS * 8) as u64;

/// The permissions both objects are made with.
const MODE: i32 = 0o600;

fn operation(number: u16, operation: i16, flags: i16) -> SemaphoreOperation {
    SemaphoreOperation { number, operation, flags }
}

/// The counters in the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counters {
    /// Numbers put.
    pub put: u64,
    /// Numbers taken.
    pub taken: u64,
    /// Producers finished.
    pub finished: u64,
}

/// The demo's semaphore set and segment, attached.
#[derive(Debug)]
pub struct SharedBuffer {
    semaphores: i32,
    segment: i32,
    mapping: Mapping,
}

impl SharedBuffer {
    /// Opens the buffer of `key`, making and initialising it if it does not exist yet
    /// (whichever of the demo's programs comes first does).
    ///
    /// # Errors
    ///
    /// The System V calls' errors (`EIDRM` when the set is removed while this waits for
    /// it to be ready).
    pub fn open(key: i32) -> Result<SharedBuffer, Errno> {
        match sysv::semget(key, SEMAPHORES, IPC_CREAT | IPC_EXCL | MODE) {
            Ok(semaphores) => match SharedBuffer::initialise(key, semaphores) {
                Ok(buffer) => Ok(buffer),
                Err(error) => {
                    // Whoever waits for READY sees EIDRM instead of waiting forever.
                    let _ = sysv::semctl(semaphores, 0, IPC_RMID, 0);
                    Err(error)
                }
            },
            Err(Errno::Eexist) => {
                let semaphores = sysv::semget(key, SEMAPHORES, 0)?;
                // Wait until READY is 1 and leave it so.
                sysv::semop(semaphores, &[operation(READY, -1, 0), operation(READY, 1, 0)])?;
                let segment = sysv::shmget(key, SEGMENT_SIZE, 0)?;
                let mapping = sysv::shmat(segment, None, 0)?;
                Ok(SharedBuffer { semaphores, segment, mapping })
            }
            Err(error) => Err(error),
        }
    }

    fn initialise(key: i32, semaphores: i32) -> Result<SharedBuffer, Errno> {
        let segment = sysv::shmget(key, SEGMENT_SIZE, IPC_CREAT | MODE)?;
        let mapping = sysv::shmat(segment, None, 0)?;
        // A segment left by an earlier run keeps its contents.
        for offset in [PUT, TAKEN, FINISHED] {
            mapping.write_word(offset, 0);
        }
        let mut values = [1, SLOTS as u16, 0, 0];
        sysv::semctl_values(semaphores, SETALL, &mut values)?;
        sysv::semop(semaphores, &[operation(READY, 1, 0)])?;
        Ok(SharedBuffer { semaphores, segment, mapping })
    }

    /// The semaphore set's id.
    pub const fn semaphores(&self) -> i32 {
        self.semaphores
    }

    /// The segment's id.
    pub const fn segment(&self) -> i32 {
        self.segment
    }

    fn word(&self, offset: usize) -> u64 {
        self.mapping.read_word(offset).unwrap_or(0)
    }

    fn slot(index: u64) -> usize {
        FIRST_SLOT + (index as usize % SLOTS) * 8
    }

    /// Takes the mutex together with `other` (a slot or a token): waits until both can be
    /// taken at once.
    fn enter(&self, other: u16) -> Result<(), Errno> {
        sysv::semop(self.semaphores, &[operation(other, -1, 0), operation(MUTEX, -1, SEM_UNDO)])
    }

    /// Gives the mutex back, and `other` (a token or a slot) with it.
    fn leave(&self, other: Option<u16>) -> Result<(), Errno> {
        match other {
            Some(other) => sysv::semop(
                self.semaphores,
                &[operation(MUTEX, 1, SEM_UNDO), operation(other, 1, 0)],
            ),
            None => sysv::semop(self.semaphores, &[operation(MUTEX, 1, SEM_UNDO)]),
        }
    }

    /// Puts `value` in the buffer (waiting for a free slot).
    ///
    /// # Errors
    ///
    /// `semop`'s errors.
    pub fn put(&self, value: i64) -> Result<(), Errno> {
        self.enter(EMPTY)?;
        let put = self.word(PUT);
        self.mapping.write_word(SharedBuffer::slot(put), value as u64);
        self.mapping.write_word(PUT, put + 1);
        self.leave(Some(FULL))
    }

    /// Says this producer has put all its numbers.
    ///
    /// # Errors
    ///
    /// `semop`'s errors.
    pub fn finish(&self) -> Result<(), Errno> {
        sysv::semop(self.semaphores, &[operation(MUTEX, -1, SEM_UNDO)])?;
        self.mapping.write_word(FINISHED, self.word(FINISHED) + 1);
        self.leave(Some(FULL))
    }

    /// Takes the next number (waiting for one); `None` when the token taken was a
    /// producer's finishing one.
    ///
    /// # Errors
    ///
    /// `semop`'s errors.
    pub fn take(&self) -> Result<Option<i64>, Errno> {
        self.enter(FULL)?;
        let taken = self.word(TAKEN);
        if taken < self.word(PUT) {
            let value = self.word(SharedBuffer::slot(taken)) as i64;
            self.mapping.write_word(TAKEN, taken + 1);
            self.leave(Some(EMPTY))?;
            Ok(Some(value))
        } else {
            self.leave(None)?;
            Ok(None)
        }
    }

    /// The counters as they are now (read without the mutex).
    pub fn counters(&self) -> Counters {
        Counters { put: self.word(PUT), taken: self.word(TAKEN), finished: self.word(FINISHED) }
    }

    /// Detaches the segment.
    ///
    /// # Errors
    ///
    /// `shmdt`'s errors.
    pub fn detach(self) -> Result<(), Errno> {
        sysv::shmdt(self.mapping)
    }

    /// Detaches the segment and removes both objects (the segment goes when its last
    /// process detaches; its key is free at once).
    ///
    /// # Errors
    ///
    /// The first error of `shmdt` and the two `IPC_RMID`s (all three are tried).
    pub fn remove(self) -> Result<(), Errno> {
        let (semaphores, segment) = (self.semaphores, self.segment);
        let detached = sysv::shmdt(self.mapping);
        let mut status = [0u64; STATUS_WORDS];
        let segment_removed = sysv::shmctl(segment, IPC_RMID, &mut status).map(|_| ());
        let set_removed = sysv::semctl(semaphores, 0, IPC_RMID, 0).map(|_| ());
        detached.and(segment_removed).and(set_removed)
    }
}
