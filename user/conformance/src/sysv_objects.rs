//! What the System V areas (message queues, semaphores, shared memory) share: an empty
//! status buffer, and removing an object of a family by id, which the guards do when they
//! drop and [`Family::fresh_key`] does to what an earlier run left under a key.

use libsys::sysv::{self, IPC_RMID, STATUS_WORDS, Status};

/// A status buffer of zeros, for `IPC_STAT` to fill or `IPC_SET` to take.
pub fn empty_status() -> Status {
    [0; STATUS_WORDS]
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
