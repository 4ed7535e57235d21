//! Walking the System V tables as `ipcs` does: `*_INFO` gives the highest slot in use,
//! `*_STAT_ANY` on each slot gives its id and status.

use alloc::vec::Vec;

use libsys::Errno;
use libsys::sysv::{self, STATUS_WORDS, Status};

/// The three System V families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Message queues.
    Messages,
    /// Semaphore sets.
    Semaphores,
    /// Shared memory segments.
    Segments,
}

impl Family {
    fn control(self, id: i32, command: i32, status: &mut Status) -> Result<i64, Errno> {
        match self {
            Family::Messages => sysv::msgctl(id, command, status),
            Family::Semaphores => sysv::semctl_status(id, command, status),
            Family::Segments => sysv::shmctl(id, command, status),
        }
    }

    fn info_command(self) -> i32 {
        match self {
            Family::Messages => sysv::MSG_INFO,
            Family::Semaphores => sysv::SEM_INFO,
            Family::Segments => sysv::SHM_INFO,
        }
    }

    fn stat_command(self) -> i32 {
        match self {
            Family::Messages => sysv::MSG_STAT_ANY,
            Family::Semaphores => sysv::SEM_STAT_ANY,
            Family::Segments => sysv::SHM_STAT_ANY,
        }
    }

    /// Every object of the family: its id and status.
    ///
    /// # Errors
    ///
    /// The `*_INFO` call's error.
    pub fn objects(self) -> Result<Vec<(i32, Status)>, Errno> {
        let mut status: Status = [0; STATUS_WORDS];
        let highest = self.control(0, self.info_command(), &mut status)?;
        let mut objects = Vec::new();
        for index in 0..=highest.max(-1) {
            let mut status: Status = [0; STATUS_WORDS];
            if let Ok(id) = self.control(index as i32, self.stat_command(), &mut status) {
                objects.push((id as i32, status));
            }
        }
        Ok(objects)
    }

    /// Removes object `id`.
    ///
    /// # Errors
    ///
    /// `EINVAL`, `EPERM`, `EIDRM`.
    pub fn remove(self, id: i32) -> Result<(), Errno> {
        let mut status: Status = [0; STATUS_WORDS];
        self.control(id, sysv::IPC_RMID, &mut status).map(|_| ())
    }

    /// The id of the object with `key`.
    ///
    /// # Errors
    ///
    /// `EINVAL` when there is none.
    pub fn id_of_key(self, key: i32) -> Result<i32, Errno> {
        self.objects()?
            .into_iter()
            .find(|(_, status)| status[sysv::STATUS_KEY] as i32 == key)
            .map(|(id, _)| id)
            .ok_or(Errno::Einval)
    }
}
