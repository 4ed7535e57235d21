//! System V semaphore sets (`semget`, `semop` and `semtimedop`, `semctl`) with `SEM_UNDO`,
//! giving the results, errno and wake-up order of Linux's `ipc/sem.c`.
//!
//! # The rules, all Linux's
//!
//! - A `semop` applies its operations in the order given, all or none
//!   (`perform_atomic_semop`): an increase past [`SEMVMX`] or a `SEM_UNDO` adjustment
//!   outside `-SEMAEM - 1 ..= SEMAEM` is `ERANGE`; a decrease below zero, or a wait for zero
//!   on a semaphore that is not zero, blocks on that operation, and is `EAGAIN` if that
//!   operation carries `IPC_NOWAIT` (the flag of the other operations does not matter).
//!   Linux has a fast path for calls that change no semaphore twice; its results are those
//!   of applying the operations one after the other, which is what is done here.
//! - Argument checks come in `sem.c`'s order: too many operations (`E2BIG`), none
//!   (`EINVAL`), then the id (`EINVAL`), a semaphore number past the set (`EFBIG`) and the
//!   permission (`EACCES`: write if any operation changes a value, read otherwise).
//! - A blocked call waits in the queues Linux keeps. A call with one operation waits in
//!   the queue of its semaphore (`pending_alter` for a decrease, `pending_const` for a
//!   wait for zero); a call with several ("complex") waits in the set's own queues. While
//!   a complex call waits, single decreases wait in the set's alter queue too: the first
//!   complex waiter moves every semaphore's alter queue there (`merge_queues`, which puts
//!   the last semaphore's waiters first), and when the last one leaves they go back, in
//!   order, to their semaphores (`unmerge_queues`, done at the end of every call here, as
//!   Linux does when it drops the set's lock).
//! - After every change that can let a waiter through (a `semop` that changes values,
//!   `SETVAL`, `SETALL`, the undo at a process's exit) waiters are tried again as
//!   `do_smart_update` does: first the wait-for-zero queues of the semaphores now zero
//!   (`wake_const_ops`) and then the set's wait-for-zero queue, then either the set's alter
//!   queue (from its start again after every success, `check_restart`) or the alter queues
//!   of the semaphores that were increased (of all of them after `SETVAL`, `SETALL` and
//!   exit). A waiter that gets through wakes the zero waiters of its own semaphores before
//!   its own answer is given. A waiter that now fails (`ERANGE`, or `EAGAIN` from an
//!   `IPC_NOWAIT` operation it reached this time) leaves with that error. Answers come
//!   back in the order Linux queues its wake-ups. A time-out or an interruption takes a
//!   waiter out and wakes nobody.
//! - `GETNCNT` and `GETZCNT` count as `count_semcnt` does (SUS, since Linux 3.16): every
//!   waiter in the semaphore's own queue, and each complex waiter only on the operation
//!   it blocked on when it was last tried.
//! - `sempid` is set for every semaphore of a successful `semop` (waits for zero too), by
//!   `SETVAL`, `SETALL`, and by the undo at exit where the adjustment was not zero. Each
//!   semaphore has its own `sem_otime`, set on the first semaphore of a `semop` that
//!   succeeds (or of the call that woke a waiter, the first semaphore for `SETVAL`,
//!   `SETALL` and exit); `IPC_STAT` reports the latest (`get_semotime`).
//! - `SEM_UNDO` adjustments are kept per process and set (`struct sem_undo`), made by the
//!   first `semop` with `SEM_UNDO` on the set, even one that then fails with `EFBIG`,
//!   `EACCES`, `ERANGE` or `EAGAIN` (Linux's `find_alloc_undo` runs first). At exit they
//!   are applied most recently used set first (`lookup_undo` moves an entry to the front),
//!   each value clamped to `0 ..= SEMVMX` (`exit_sem`). `SETVAL` clears the semaphore's
//!   adjustments, `SETALL` the set's, `IPC_RMID` drops them.
//! - `semctl` checks in `semctl_main`'s and `semctl_setval`'s order: `GETVAL`, `GETPID`,
//!   `GETNCNT` and `GETZCNT` check read permission before the number; `SETVAL` checks its
//!   value (`ERANGE`) before the id, and the number before write permission. `IPC_RMID`
//!   answers every waiter with `EIDRM` in `freeary`'s order: the set's wait-for-zero
//!   queue, its alter queue, then each semaphore's wait-for-zero and alter queues.
//!
//! # Simplifications
//!
//! Linux's locking (per-semaphore locks, the global lock and its hysteresis) is not
//! modelled, only its effect on where waiters queue. The time of a `semtimedop` is kept by
//! the main loop, which calls [`Semaphores::time_out`]. Waiter tokens are only
//! `PartialEq`, so finding one to cancel is a scan of the sets that have waiters.
//! [`Semaphores::process_exit`] first drops the process's own waiters silently (on Linux
//! they are interrupted before `exit_sem` runs).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;
pub use courier_abi::sysv::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, SEM_INFO, SEM_STAT, SEM_UNDO, SETALL, SETVAL,
};

use courier_abi::Errno;

use crate::Credentials;
use crate::ipc::{
    IPC_NOWAIT, Id, IdTable, Key, Permissions, READ, WRITE, may_control, permitted, set_permissions,
};

/// Most semaphore sets (`SEMMNI`).
pub const SEMMNI: usize = 32000;
/// Most semaphores in a set (`SEMMSL`).
pub const SEMMSL: usize = 32000;
/// Most semaphores in all sets together (`SEMMNS`).
pub const SEMMNS: u64 = 1_024_000_000;
/// Most operations in one `semop` (`SEMOPM`).
pub const SEMOPM: usize = 500;
/// The largest value of a semaphore (`SEMVMX`).
pub const SEMVMX: i32 = 32767;
/// The largest `SEM_UNDO` adjustment (`SEMAEM`); the smallest is `-SEMAEM - 1`.
pub const SEMAEM: i32 = 32767;

/// `seminfo.semmap` (Linux's `SEMMAP`, unused).
const SEMMAP: i32 = 1_024_000_000;
/// `seminfo.semmnu` (Linux's `SEMMNU`, unused).
const SEMMNU: i32 = 1_024_000_000;
/// `seminfo.semume` (Linux's `SEMUME`, unused).
const SEMUME: i32 = 500;
/// `seminfo.semusz` for `IPC_INFO` (Linux's `SEMUSZ`, unused).
const SEMUSZ: i32 = 20;

// An adjustment is a `short` in Linux: exactly the range `-SEMAEM - 1 ..= SEMAEM`.
const _: () = assert!(SEMAEM == i16::MAX as i32);

/// One operation of a `semop` (`struct sembuf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreOperation {
    /// The semaphore's index in the set (`sem_num`).
    pub number: u16,
    /// What to add; 0 waits for zero (`sem_op`).
    pub operation: i16,
    /// `IPC_NOWAIT` and [`SEM_UNDO`] (`sem_flg`).
    pub flags: i16,
}

impl SemaphoreOperation {
    /// Whether this operation is undone at exit.
    const fn undoes(&self) -> bool {
        self.flags & SEM_UNDO != 0
    }

    /// Whether this operation fails instead of waiting.
    const fn no_wait(&self) -> bool {
        self.flags as i32 & IPC_NOWAIT != 0
    }
}

/// What `IPC_STAT` and `SEM_STAT` report (`struct semid64_ds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreSetStatus {
    /// Owner, creator, mode and key (`sem_perm`).
    pub permissions: Permissions,
    /// The time of the last successful `semop` (`sem_otime`), 0 if none.
    pub otime: u64,
    /// The time of creation or of the last `SETVAL`, `SETALL` or `IPC_SET` (`sem_ctime`).
    pub ctime: u64,
    /// Semaphores in the set (`sem_nsems`).
    pub nsems: u64,
}

/// What `IPC_INFO` and `SEM_INFO` report (`struct seminfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreInfo {
    /// Unused by Linux (`SEMMAP`).
    pub semmap: i32,
    /// Most sets ([`SEMMNI`]).
    pub semmni: i32,
    /// Most semaphores in all sets ([`SEMMNS`]).
    pub semmns: i32,
    /// Unused by Linux (`SEMMNU`).
    pub semmnu: i32,
    /// Most semaphores in a set ([`SEMMSL`]).
    pub semmsl: i32,
    /// Most operations in a `semop` ([`SEMOPM`]).
    pub semopm: i32,
    /// Unused by Linux (`SEMUME`).
    pub semume: i32,
    /// `IPC_INFO`: unused (`SEMUSZ`); `SEM_INFO`: sets in use.
    pub semusz: i32,
    /// The largest value ([`SEMVMX`]).
    pub semvmx: i32,
    /// `IPC_INFO`: the largest adjustment ([`SEMAEM`]); `SEM_INFO`: semaphores in use.
    pub semaem: i32,
}

/// The result for a waiter whose `semop` finished after it was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemaphoreAnswer<W> {
    /// The token the waiter was stored with.
    pub waiter: W,
    /// Its `semop`'s result.
    pub result: Result<(), Errno>,
}

/// What a `semop` came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperateOutcome<W> {
    /// It succeeded; `answers` are the waiters it let through (or failed), in order.
    Done {
        /// The answers for other waiters, to send now.
        answers: Vec<SemaphoreAnswer<W>>,
    },
    /// It waits, stored with its token, until an answer names it.
    Blocked,
    /// It failed and changed nothing.
    Failed(Errno),
}

/// A `semop` that waits (Linux's `struct sem_queue`).
#[derive(Clone, Debug)]
struct Waiter<W> {
    /// The main loop's token.
    token: W,
    operations: Vec<SemaphoreOperation>,
    /// The caller's pid (its `SEM_UNDO` adjustments and `sempid`).
    pid: u32,
    /// The index of the operation it blocked on when last tried (`q->blocking`).
    blocking: usize,
}

impl<W> Waiter<W> {
    /// Whether it has more than one operation (Linux's complex operations).
    fn is_complex(&self) -> bool {
        self.operations.len() > 1
    }

    /// Whether any operation changes a value (`q->alter`).
    fn alters(&self) -> bool {
        self.operations.iter().any(|operation| operation.operation != 0)
    }

    /// Linux's `check_qop`: whether a waiter in the set's queues counts for `number`'s
    /// `GETZCNT` (`zero`) or `GETNCNT`.
    fn blocks_on(&self, number: u16, zero: bool) -> bool {
        self.operations.get(self.blocking).is_some_and(|operation| {
            operation.number == number
                && if zero { operation.operation == 0 } else { operation.operation < 0 }
        })
    }
}

/// One semaphore (`struct sem`, its queues aside).
#[derive(Clone, Copy, Debug, Default)]
struct Semaphore {
    value: i32,
    /// `sempid`.
    last_pid: u32,
    /// `sem_otime`.
    operation_time: u64,
}

/// Which queue of a set: an alter or a wait-for-zero queue, of one semaphore or the set's.
#[derive(Clone, Copy, Debug)]
enum Queue {
    Alter(Option<u16>),
    Constant(Option<u16>),
}

/// What trying a `semop` came to (`perform_atomic_semop`'s 0, 1 or negative errno).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attempt {
    Done,
    Blocked,
    Failed(Errno),
}

/// One set (`struct sem_array`).
#[derive(Clone, Debug)]
struct SemaphoreSet<W> {
    semaphores: Vec<Semaphore>,
    /// `sem_ctime`.
    change_time: u64,
    /// Complex waiters in any queue (`complex_count`).
    complex_waiters: usize,
    /// The set's alter queue (`sma->pending_alter`).
    pending_alter: Vec<Waiter<W>>,
    /// The set's wait-for-zero queue (`sma->pending_const`).
    pending_constant: Vec<Waiter<W>>,
    /// Each semaphore's alter queue (`sem->pending_alter`), only the non-empty ones.
    semaphore_pending_alter: BTreeMap<u16, Vec<Waiter<W>>>,
    /// Each semaphore's wait-for-zero queue (`sem->pending_const`), only the non-empty ones.
    semaphore_pending_constant: BTreeMap<u16, Vec<Waiter<W>>>,
    /// `SEM_UNDO` adjustments by pid (`semadj` of each `struct sem_undo` of `list_id`).
    adjustments: BTreeMap<u32, Vec<i16>>,
}

/// Linux's `perform_atomic_semop` (with the semantics of its slow path): applies
/// `operations` in order for `pid`, or none of them.
fn perform(
    semaphores: &mut [Semaphore],
    adjustments: &mut BTreeMap<u32, Vec<i16>>,
    operations: &[SemaphoreOperation],
    pid: u32,
    blocking: &mut usize,
) -> Attempt {
    let size = semaphores.len();
    let mut undo = operations
        .iter()
        .any(SemaphoreOperation::undoes)
        .then(|| adjustments.entry(pid).or_insert_with(|| vec![0; size]));
    for (index, operation) in operations.iter().enumerate() {
        let number = usize::from(operation.number);
        let change = i32::from(operation.operation);
        let value = semaphores[number].value;
        // `i16`'s range is exactly Linux's `-SEMAEM - 1 ..= SEMAEM` (asserted above).
        let new_adjustment = match (&undo, operation.undoes()) {
            (Some(undo), true) => Some(i16::try_from(i32::from(undo[number]) - change)),
            _ => None,
        };
        let failure = if (change == 0 && value != 0) || value + change < 0 {
            *blocking = index;
            Some(if operation.no_wait() {
                Attempt::Failed(Errno::Eagain)
            } else {
                Attempt::Blocked
            })
        } else if value + change > SEMVMX || matches!(new_adjustment, Some(Err(_))) {
            Some(Attempt::Failed(Errno::Erange))
        } else {
            None
        };
        if let Some(failure) = failure {
            for done in operations[..index].iter().rev() {
                let number = usize::from(done.number);
                semaphores[number].value -= i32::from(done.operation);
                if let (Some(undo), true) = (&mut undo, done.undoes()) {
                    undo[number] += done.operation;
                }
            }
            return failure;
        }
        semaphores[number].value = value + change;
        if let (Some(undo), Some(Ok(adjustment))) = (&mut undo, new_adjustment) {
            undo[number] = adjustment;
        }
    }
    for operation in operations {
        semaphores[usize::from(operation.number)].last_pid = pid;
    }
    Attempt::Done
}

/// Takes the element at `index` out of `list`, if there is one.
fn remove_at<T>(list: &mut Vec<T>, index: usize) -> Option<T> {
    (index < list.len()).then(|| list.remove(index))
}

/// Takes the waiter at `index` out of semaphore `number`'s queue in `queues`, dropping the
/// queue when it becomes empty.
fn remove_queued<W>(
    queues: &mut BTreeMap<u16, Vec<Waiter<W>>>,
    number: u16,
    index: usize,
) -> Option<Waiter<W>> {
    let list = queues.get_mut(&number)?;
    let waiter = remove_at(list, index)?;
    if list.is_empty() {
        queues.remove(&number);
    }
    Some(waiter)
}

impl<W> SemaphoreSet<W> {
    fn new(count: usize, now: u64) -> Self {
        SemaphoreSet {
            semaphores: vec![Semaphore::default(); count],
            change_time: now,
            complex_waiters: 0,
            pending_alter: Vec::new(),
            pending_constant: Vec::new(),
            semaphore_pending_alter: BTreeMap::new(),
            semaphore_pending_constant: BTreeMap::new(),
            adjustments: BTreeMap::new(),
        }
    }

    fn has_waiters(&self) -> bool {
        !(self.pending_alter.is_empty()
            && self.pending_constant.is_empty()
            && self.semaphore_pending_alter.is_empty()
            && self.semaphore_pending_constant.is_empty())
    }

    /// The status `IPC_STAT` reports.
    fn status(&self, permissions: &Permissions) -> SemaphoreSetStatus {
        SemaphoreSetStatus {
            permissions: *permissions,
            otime: self
                .semaphores
                .iter()
                .map(|semaphore| semaphore.operation_time)
                .max()
                .unwrap_or(0),
            ctime: self.change_time,
            nsems: self.semaphores.len() as u64,
        }
    }

    /// The semaphore `number` names, as `semctl` checks it.
    fn semaphore(&self, number: i32) -> Result<&Semaphore, Errno> {
        usize::try_from(number)
            .ok()
            .and_then(|number| self.semaphores.get(number))
            .ok_or(Errno::Einval)
    }

    /// Tries the waiter at `index` of `queue` again; `None` when there is none there.
    fn try_queued(&mut self, queue: Queue, index: usize) -> Option<Attempt> {
        let SemaphoreSet {
            semaphores,
            adjustments,
            pending_alter,
            pending_constant,
            semaphore_pending_alter,
            semaphore_pending_constant,
            ..
        } = self;
        let list = match queue {
            Queue::Alter(None) => pending_alter,
            Queue::Constant(None) => pending_constant,
            Queue::Alter(Some(number)) => semaphore_pending_alter.get_mut(&number)?,
            Queue::Constant(Some(number)) => semaphore_pending_constant.get_mut(&number)?,
        };
        let waiter = list.get_mut(index)?;
        Some(perform(semaphores, adjustments, &waiter.operations, waiter.pid, &mut waiter.blocking))
    }

    /// Linux's `unlink_queue`: takes the waiter at `index` of `queue` out.
    fn unlink(&mut self, queue: Queue, index: usize) -> Option<Waiter<W>> {
        let waiter = match queue {
            Queue::Alter(None) => remove_at(&mut self.pending_alter, index)?,
            Queue::Constant(None) => remove_at(&mut self.pending_constant, index)?,
            Queue::Alter(Some(number)) => {
                remove_queued(&mut self.semaphore_pending_alter, number, index)?
            }
            Queue::Constant(Some(number)) => {
                remove_queued(&mut self.semaphore_pending_constant, number, index)?
            }
        };
        if waiter.is_complex() {
            self.complex_waiters -= 1;
        }
        Some(waiter)
    }

    /// Queues a waiter where Linux's `do_semtimedop` puts it.
    fn enqueue(&mut self, waiter: Waiter<W>) {
        let alters = waiter.alters();
        if waiter.is_complex() {
            if self.complex_waiters == 0 {
                self.merge_queues();
            }
            if alters {
                self.pending_alter.push(waiter);
            } else {
                self.pending_constant.push(waiter);
            }
            self.complex_waiters += 1;
        } else {
            let number = waiter.operations[0].number;
            if !alters {
                self.semaphore_pending_constant.entry(number).or_default().push(waiter);
            } else if self.complex_waiters > 0 {
                self.pending_alter.push(waiter);
            } else {
                self.semaphore_pending_alter.entry(number).or_default().push(waiter);
            }
        }
    }

    /// Linux's `merge_queues`: every semaphore's alter queue spliced to the front of the
    /// set's, one after the other, so the last semaphore's come first.
    fn merge_queues(&mut self) {
        let mut merged = Vec::new();
        for (_, list) in core::mem::take(&mut self.semaphore_pending_alter).into_iter().rev() {
            merged.extend(list);
        }
        merged.append(&mut self.pending_alter);
        self.pending_alter = merged;
    }

    /// Linux's `unmerge_queues` (at the end of every call): with no complex waiter left,
    /// the set's alter queue goes back, in order, to the semaphores' queues.
    fn unmerge_queues(&mut self) {
        if self.complex_waiters != 0 || self.pending_alter.is_empty() {
            return;
        }
        for waiter in core::mem::take(&mut self.pending_alter) {
            let number = waiter.operations[0].number;
            self.semaphore_pending_alter.entry(number).or_default().push(waiter);
        }
    }

    /// Linux's `wake_const_ops`: tries every waiter of a wait-for-zero queue.
    fn wake_constant(
        &mut self,
        number: Option<u16>,
        answers: &mut Vec<SemaphoreAnswer<W>>,
    ) -> bool {
        let queue = Queue::Constant(number);
        let mut completed = false;
        let mut index = 0;
        while let Some(attempt) = self.try_queued(queue, index) {
            let result = match attempt {
                Attempt::Blocked => {
                    index += 1;
                    continue;
                }
                Attempt::Done => Ok(()),
                Attempt::Failed(error) => Err(error),
            };
            let Some(waiter) = self.unlink(queue, index) else { break };
            completed |= result.is_ok();
            answers.push(SemaphoreAnswer { waiter: waiter.token, result });
        }
        completed
    }

    /// Linux's `do_smart_wakeup_zero`: the zero waiters of the semaphores `operations`
    /// touched (of all, for `None`) that are now zero, then the set's if any was.
    fn wake_zero(
        &mut self,
        operations: Option<&[SemaphoreOperation]>,
        answers: &mut Vec<SemaphoreAnswer<W>>,
    ) -> bool {
        let mut completed = false;
        let mut got_zero = false;
        if let Some(operations) = operations {
            for operation in operations {
                if self.semaphores[usize::from(operation.number)].value == 0 {
                    got_zero = true;
                    completed |= self.wake_constant(Some(operation.number), answers);
                }
            }
        } else {
            // Waking zero waiters changes no value, so the semaphores that are zero can
            // be found first; only those with a queue need to be visited, in order.
            got_zero = self.semaphores.iter().any(|semaphore| semaphore.value == 0);
            let mut from = 0;
            loop {
                let next = self
                    .semaphore_pending_constant
                    .range(from..)
                    .map(|(number, _)| *number)
                    .find(|number| self.semaphores[usize::from(*number)].value == 0);
                let Some(number) = next else { break };
                completed |= self.wake_constant(Some(number), answers);
                let Some(after) = number.checked_add(1) else { break };
                from = after;
            }
        }
        if got_zero {
            completed |= self.wake_constant(None, answers);
        }
        completed
    }

    /// Linux's `update_queue`: tries the waiters of an alter queue in order, from the
    /// start again after a success when `check_restart` says so.
    fn update_queue(&mut self, number: Option<u16>, answers: &mut Vec<SemaphoreAnswer<W>>) -> bool {
        let queue = Queue::Alter(number);
        let mut completed = false;
        let mut index = 0;
        loop {
            // A semaphore's own queue holds only decreases: none can pass at zero.
            if let Some(number) = number
                && self.semaphores[usize::from(number)].value == 0
            {
                break;
            }
            let Some(attempt) = self.try_queued(queue, index) else { break };
            let result = match attempt {
                Attempt::Blocked => {
                    index += 1;
                    continue;
                }
                Attempt::Done => Ok(()),
                Attempt::Failed(error) => Err(error),
            };
            let Some(waiter) = self.unlink(queue, index) else { break };
            let mut restart = false;
            if result.is_ok() {
                completed = true;
                self.wake_zero(Some(&waiter.operations), answers);
                restart = !self.pending_alter.is_empty() || waiter.is_complex();
            }
            answers.push(SemaphoreAnswer { waiter: waiter.token, result });
            if restart {
                index = 0;
            }
        }
        completed
    }

    /// Linux's `set_semotime`.
    fn set_operation_time(&mut self, operations: Option<&[SemaphoreOperation]>, now: u64) {
        let number = operations.and_then(<[_]>::first).map_or(0, |first| usize::from(first.number));
        if let Some(semaphore) = self.semaphores.get_mut(number) {
            semaphore.operation_time = now;
        }
    }

    /// Linux's `do_smart_update` after `operations` succeeded (`None`: after `SETVAL`,
    /// `SETALL` or an exit, which may have changed any semaphore).
    fn smart_update(
        &mut self,
        operations: Option<&[SemaphoreOperation]>,
        mut operation_time: bool,
        now: u64,
        answers: &mut Vec<SemaphoreAnswer<W>>,
    ) {
        operation_time |= self.wake_zero(operations, answers);
        if !self.pending_alter.is_empty() {
            operation_time |= self.update_queue(None, answers);
        } else if let Some(operations) = operations {
            for operation in operations {
                if operation.operation > 0 {
                    operation_time |= self.update_queue(Some(operation.number), answers);
                }
            }
        } else {
            // Trying an alter queue only takes waiters out, so visiting the non-empty
            // queues in order is visiting every semaphore in order.
            let mut from = 0;
            loop {
                let next =
                    self.semaphore_pending_alter.range(from..).next().map(|(number, _)| *number);
                let Some(number) = next else { break };
                operation_time |= self.update_queue(Some(number), answers);
                let Some(after) = number.checked_add(1) else { break };
                from = after;
            }
        }
        if operation_time {
            self.set_operation_time(operations, now);
        }
    }

    /// Where the waiter with `token` is.
    fn find(&self, token: &W) -> Option<(Queue, usize)>
    where
        W: PartialEq,
    {
        let position =
            |list: &Vec<Waiter<W>>| list.iter().position(|waiter| waiter.token == *token);
        if let Some(index) = position(&self.pending_alter) {
            return Some((Queue::Alter(None), index));
        }
        if let Some(index) = position(&self.pending_constant) {
            return Some((Queue::Constant(None), index));
        }
        for (number, list) in &self.semaphore_pending_alter {
            if let Some(index) = position(list) {
                return Some((Queue::Alter(Some(*number)), index));
            }
        }
        for (number, list) in &self.semaphore_pending_constant {
            if let Some(index) = position(list) {
                return Some((Queue::Constant(Some(*number)), index));
            }
        }
        None
    }

    /// Takes out every waiter of `pid`, silently.
    fn drop_waiters_of(&mut self, pid: u32) {
        let mut complex = 0;
        let mut keep = |waiter: &Waiter<W>| {
            let mine = waiter.pid == pid;
            if mine && waiter.is_complex() {
                complex += 1;
            }
            !mine
        };
        self.pending_alter.retain(&mut keep);
        self.pending_constant.retain(&mut keep);
        for list in self.semaphore_pending_alter.values_mut() {
            list.retain(&mut keep);
        }
        for list in self.semaphore_pending_constant.values_mut() {
            list.retain(&mut keep);
        }
        self.semaphore_pending_alter.retain(|_, list| !list.is_empty());
        self.semaphore_pending_constant.retain(|_, list| !list.is_empty());
        self.complex_waiters -= complex;
        self.unmerge_queues();
    }

    /// Linux's `freeary`: every waiter, `EIDRM`, in its order (the set's queues, then each
    /// semaphore's wait-for-zero and alter queues).
    fn into_removed_answers(mut self) -> Vec<SemaphoreAnswer<W>> {
        let mut answers = Vec::new();
        let removed =
            |list: Vec<Waiter<W>>, answers: &mut Vec<SemaphoreAnswer<W>>| {
                answers.extend(list.into_iter().map(|waiter| SemaphoreAnswer {
                    waiter: waiter.token,
                    result: Err(Errno::Eidrm),
                }));
            };
        removed(core::mem::take(&mut self.pending_constant), &mut answers);
        removed(core::mem::take(&mut self.pending_alter), &mut answers);
        let numbers: BTreeSet<u16> = self
            .semaphore_pending_constant
            .keys()
            .chain(self.semaphore_pending_alter.keys())
            .copied()
            .collect();
        for number in numbers {
            if let Some(list) = self.semaphore_pending_constant.remove(&number) {
                removed(list, &mut answers);
            }
            if let Some(list) = self.semaphore_pending_alter.remove(&number) {
                removed(list, &mut answers);
            }
        }
        answers
    }

    /// Linux's `count_semcnt`.
    fn count(&self, number: u16, zero: bool) -> u32 {
        let own =
            if zero { &self.semaphore_pending_constant } else { &self.semaphore_pending_alter };
        let mut count = own.get(&number).map_or(0, Vec::len);
        count += self.pending_alter.iter().filter(|waiter| waiter.blocks_on(number, zero)).count();
        if zero {
            count += self
                .pending_constant
                .iter()
                .filter(|waiter| waiter.blocks_on(number, zero))
                .count();
        }
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

/// Every semaphore set, with the processes' `SEM_UNDO` adjustments and the waiting calls.
#[derive(Clone, Debug)]
pub struct Semaphores<W> {
    sets: IdTable<SemaphoreSet<W>>,
    /// Semaphores in all sets (`used_sems`).
    semaphores_in_use: u64,
    /// For each pid, the sets it has adjustments for, least recently used first (Linux's
    /// `list_proc`, reversed).
    undo_lists: BTreeMap<u32, Vec<Id>>,
}

impl<W: Clone + PartialEq> Default for Semaphores<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Clone + PartialEq> Semaphores<W> {
    /// No sets.
    pub fn new() -> Self {
        Semaphores { sets: IdTable::new(SEMMNI), semaphores_in_use: 0, undo_lists: BTreeMap::new() }
    }

    /// Sets in use.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// `semget(key, nsems, flags)`: the id of the set `key` names, created (with `nsems`
    /// semaphores, all zero) if `flags` has `IPC_CREAT` and there is none.
    ///
    /// # Errors
    ///
    /// `EINVAL` for `nsems` below 0 or above [`SEMMSL`], for creating with 0, or for more
    /// than an existing set has; `ENOSPC` past [`SEMMNI`] sets or [`SEMMNS`] semaphores;
    /// `EEXIST`, `ENOENT`, `EACCES` as [`IdTable::get_or_create`].
    pub fn get(
        &mut self,
        key: Key,
        nsems: i32,
        flags: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Id, Errno> {
        let count = usize::try_from(nsems).map_err(|_| Errno::Einval)?;
        if count > SEMMSL {
            return Err(Errno::Einval);
        }
        let in_use = self.semaphores_in_use;
        let mut created = false;
        let id = self.sets.get_or_create(
            key,
            flags,
            credentials,
            || {
                if count == 0 {
                    return Err(Errno::Einval);
                }
                if in_use + count as u64 > SEMMNS {
                    return Err(Errno::Enospc);
                }
                created = true;
                Ok(SemaphoreSet::new(count, now))
            },
            |set| if count > set.semaphores.len() { Err(Errno::Einval) } else { Ok(()) },
        )?;
        if created {
            self.semaphores_in_use += count as u64;
        }
        Ok(id)
    }

    /// `semop` (or `semtimedop`) on set `id` by `credentials.pid`: done at once, failed, or
    /// stored under `waiter` until an answer names it (or [`Semaphores::time_out`],
    /// [`Semaphores::cancel`], [`Semaphores::forget`] takes it out).
    pub fn operate(
        &mut self,
        id: Id,
        operations: &[SemaphoreOperation],
        credentials: &Credentials,
        now: u64,
        waiter: W,
    ) -> OperateOutcome<W> {
        match self.try_operate(id, operations, credentials, now, waiter) {
            Ok(outcome) => outcome,
            Err(error) => OperateOutcome::Failed(error),
        }
    }

    fn try_operate(
        &mut self,
        id: Id,
        operations: &[SemaphoreOperation],
        credentials: &Credentials,
        now: u64,
        token: W,
    ) -> Result<OperateOutcome<W>, Errno> {
        if operations.len() > SEMOPM {
            return Err(Errno::E2big);
        }
        let highest =
            operations.iter().map(|operation| operation.number).max().ok_or(Errno::Einval)?;
        let undoes = operations.iter().any(SemaphoreOperation::undoes);
        let alters = operations.iter().any(|operation| operation.operation != 0);
        let pid = credentials.pid;
        let (permissions, set) = self.sets.lookup_mut(id)?;
        if undoes {
            // `find_alloc_undo` comes before every other check on the set.
            let size = set.semaphores.len();
            set.adjustments.entry(pid).or_insert_with(|| vec![0; size]);
            let list = self.undo_lists.entry(pid).or_default();
            list.retain(|&used| used != id);
            list.push(id);
        }
        if usize::from(highest) >= set.semaphores.len() {
            return Err(Errno::Efbig);
        }
        if !permitted(permissions, credentials, if alters { WRITE } else { READ }) {
            return Err(Errno::Eacces);
        }
        let mut blocking = 0;
        match perform(&mut set.semaphores, &mut set.adjustments, operations, pid, &mut blocking) {
            Attempt::Done => {
                let mut answers = Vec::new();
                if alters {
                    set.smart_update(Some(operations), true, now, &mut answers);
                } else {
                    set.set_operation_time(Some(operations), now);
                }
                set.unmerge_queues();
                Ok(OperateOutcome::Done { answers })
            }
            Attempt::Blocked => {
                set.enqueue(Waiter { token, operations: operations.to_vec(), pid, blocking });
                Ok(OperateOutcome::Blocked)
            }
            Attempt::Failed(error) => Err(error),
        }
    }

    /// Takes the waiter with `token` out of whichever set it waits in.
    fn take_waiter(&mut self, token: &W) -> Option<Waiter<W>> {
        for (_, _, set) in self.sets.iter_mut() {
            if !set.has_waiters() {
                continue;
            }
            if let Some((queue, index)) = set.find(token) {
                let waiter = set.unlink(queue, index);
                set.unmerge_queues();
                return waiter;
            }
        }
        None
    }

    /// A `semtimedop`'s time ran out: the waiter leaves with `EAGAIN` (`None` if no such
    /// waiter waits). Nobody else is woken.
    pub fn time_out(&mut self, waiter: &W) -> Option<SemaphoreAnswer<W>> {
        let waiter = self.take_waiter(waiter)?;
        Some(SemaphoreAnswer { waiter: waiter.token, result: Err(Errno::Eagain) })
    }

    /// A waiter was interrupted by a signal: it leaves with `EINTR` (`None` if no such
    /// waiter waits), and no longer counts in `GETNCNT` or `GETZCNT`.
    pub fn cancel(&mut self, waiter: &W) -> Option<SemaphoreAnswer<W>> {
        let waiter = self.take_waiter(waiter)?;
        Some(SemaphoreAnswer { waiter: waiter.token, result: Err(Errno::Eintr) })
    }

    /// A waiter's caller is gone: takes it out without an answer; whether it waited.
    pub fn forget(&mut self, waiter: &W) -> bool {
        self.take_waiter(waiter).is_some()
    }

    /// Process `pid` ended (Linux's `exit_sem`): its waiters are dropped silently, then
    /// its `SEM_UNDO` adjustments are applied, most recently used set first, each value
    /// clamped to `0 ..= SEMVMX`, and the waiters this lets through are answered.
    pub fn process_exit(&mut self, pid: u32, now: u64) -> Vec<SemaphoreAnswer<W>> {
        for (_, _, set) in self.sets.iter_mut() {
            if set.has_waiters() {
                set.drop_waiters_of(pid);
            }
        }
        let mut answers = Vec::new();
        let Some(list) = self.undo_lists.remove(&pid) else { return answers };
        for id in list.into_iter().rev() {
            let Ok((_, set)) = self.sets.lookup_mut(id) else { continue };
            let Some(adjustments) = set.adjustments.remove(&pid) else { continue };
            for (semaphore, adjustment) in set.semaphores.iter_mut().zip(adjustments) {
                if adjustment != 0 {
                    semaphore.value = (semaphore.value + i32::from(adjustment)).clamp(0, SEMVMX);
                    semaphore.last_pid = pid;
                }
            }
            set.smart_update(None, true, now, &mut answers);
            set.unmerge_queues();
        }
        answers
    }

    /// The set `id` names, if `credentials` may read it.
    fn readable(
        &self,
        id: Id,
        credentials: &Credentials,
    ) -> Result<(&Permissions, &SemaphoreSet<W>), Errno> {
        let (permissions, set) = self.sets.lookup(id)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok((permissions, set))
    }

    /// `semctl(id, number, GETVAL)`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EACCES` without read permission, then `EINVAL` for a bad
    /// number.
    pub fn value(&self, id: Id, number: i32, credentials: &Credentials) -> Result<i32, Errno> {
        let (_, set) = self.readable(id, credentials)?;
        Ok(set.semaphore(number)?.value)
    }

    /// `semctl(id, number, SETVAL, value)`: sets the value, clears every process's
    /// adjustment for it, and answers the waiters this lets through.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a negative id, `ERANGE` for a value outside `0 ..= SEMVMX`, `EINVAL`
    /// for a bad id or number, then `EACCES` without write permission (Linux's order).
    pub fn set_value(
        &mut self,
        id: Id,
        number: i32,
        value: i32,
        credentials: &Credentials,
        now: u64,
    ) -> Result<Vec<SemaphoreAnswer<W>>, Errno> {
        if id < 0 {
            return Err(Errno::Einval);
        }
        if !(0..=SEMVMX).contains(&value) {
            return Err(Errno::Erange);
        }
        let (permissions, set) = self.sets.lookup_mut(id)?;
        let index = usize::try_from(number).ok().filter(|&index| index < set.semaphores.len());
        let Some(index) = index else { return Err(Errno::Einval) };
        if !permitted(permissions, credentials, WRITE) {
            return Err(Errno::Eacces);
        }
        for adjustments in set.adjustments.values_mut() {
            adjustments[index] = 0;
        }
        set.semaphores[index].value = value;
        set.semaphores[index].last_pid = credentials.pid;
        set.change_time = now;
        let mut answers = Vec::new();
        set.smart_update(None, false, now, &mut answers);
        set.unmerge_queues();
        Ok(answers)
    }

    /// `semctl(id, 0, GETALL)`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EACCES` without read permission.
    pub fn values(&self, id: Id, credentials: &Credentials) -> Result<Vec<u16>, Errno> {
        let (_, set) = self.readable(id, credentials)?;
        Ok(set
            .semaphores
            .iter()
            .map(|semaphore| u16::try_from(semaphore.value).unwrap_or(0))
            .collect())
    }

    /// `semctl(id, 0, SETALL, values)`: sets every value (`values` has one for each
    /// semaphore), clears every adjustment for the set, and answers the waiters this lets
    /// through.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EACCES` without write permission, `EFAULT` when `values`
    /// does not have one value for each semaphore (as a short buffer would on Linux),
    /// `ERANGE` for a value above `SEMVMX`.
    pub fn set_values(
        &mut self,
        id: Id,
        values: &[u16],
        credentials: &Credentials,
        now: u64,
    ) -> Result<Vec<SemaphoreAnswer<W>>, Errno> {
        let (permissions, set) = self.sets.lookup_mut(id)?;
        if !permitted(permissions, credentials, WRITE) {
            return Err(Errno::Eacces);
        }
        if values.len() != set.semaphores.len() {
            return Err(Errno::Efault);
        }
        if values.iter().any(|&value| i32::from(value) > SEMVMX) {
            return Err(Errno::Erange);
        }
        for (semaphore, &value) in set.semaphores.iter_mut().zip(values) {
            semaphore.value = i32::from(value);
            semaphore.last_pid = credentials.pid;
        }
        for adjustments in set.adjustments.values_mut() {
            adjustments.fill(0);
        }
        set.change_time = now;
        let mut answers = Vec::new();
        set.smart_update(None, false, now, &mut answers);
        set.unmerge_queues();
        Ok(answers)
    }

    /// `semctl(id, number, GETPID)`: the pid of the last operation on the semaphore.
    ///
    /// # Errors
    ///
    /// As [`Semaphores::value`].
    pub fn last_pid(&self, id: Id, number: i32, credentials: &Credentials) -> Result<u32, Errno> {
        let (_, set) = self.readable(id, credentials)?;
        Ok(set.semaphore(number)?.last_pid)
    }

    /// `semctl(id, number, GETNCNT)`: how many wait for the semaphore to increase.
    ///
    /// # Errors
    ///
    /// As [`Semaphores::value`].
    pub fn waiting_count(
        &self,
        id: Id,
        number: i32,
        credentials: &Credentials,
    ) -> Result<u32, Errno> {
        let (_, set) = self.readable(id, credentials)?;
        set.semaphore(number)?;
        Ok(set.count(u16::try_from(number).map_err(|_| Errno::Einval)?, false))
    }

    /// `semctl(id, number, GETZCNT)`: how many wait for the semaphore to be zero.
    ///
    /// # Errors
    ///
    /// As [`Semaphores::value`].
    pub fn zero_waiting_count(
        &self,
        id: Id,
        number: i32,
        credentials: &Credentials,
    ) -> Result<u32, Errno> {
        let (_, set) = self.readable(id, credentials)?;
        set.semaphore(number)?;
        Ok(set.count(u16::try_from(number).map_err(|_| Errno::Einval)?, true))
    }

    /// `semctl(id, 0, IPC_STAT)`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EACCES` without read permission.
    pub fn status(&self, id: Id, credentials: &Credentials) -> Result<SemaphoreSetStatus, Errno> {
        let (permissions, set) = self.readable(id, credentials)?;
        Ok(set.status(permissions))
    }

    /// `semctl(id, 0, IPC_SET)`: new owner ids and permission bits; updates `sem_ctime`.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EPERM` unless owner, creator or privileged, then `EINVAL`
    /// for a uid or gid of -1 (Linux's `uid_valid`).
    pub fn set(
        &mut self,
        id: Id,
        credentials: &Credentials,
        uid: u32,
        gid: u32,
        mode: u32,
        now: u64,
    ) -> Result<(), Errno> {
        let (permissions, set) = self.sets.lookup_mut(id)?;
        set_permissions(permissions, credentials, uid, gid, mode)?;
        set.change_time = now;
        Ok(())
    }

    /// `semctl(id, 0, IPC_RMID)`: removes the set at once; every waiter gets `EIDRM` and
    /// every process's adjustments for it are dropped.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a bad id, `EPERM` unless owner, creator or privileged.
    pub fn remove(
        &mut self,
        id: Id,
        credentials: &Credentials,
    ) -> Result<Vec<SemaphoreAnswer<W>>, Errno> {
        let (permissions, _) = self.sets.lookup(id)?;
        if !may_control(permissions, credentials) {
            return Err(Errno::Eperm);
        }
        let (_, set) = self.sets.remove(id)?;
        self.semaphores_in_use -= set.semaphores.len() as u64;
        for pid in set.adjustments.keys() {
            if let Some(list) = self.undo_lists.get_mut(pid) {
                list.retain(|&used| used != id);
                if list.is_empty() {
                    self.undo_lists.remove(pid);
                }
            }
        }
        Ok(set.into_removed_answers())
    }

    /// `semctl(0, 0, IPC_INFO)`: the limits, and the highest slot in use (`semctl`
    /// returns it, or 0 for `None`).
    pub fn info(&self) -> (SemaphoreInfo, Option<usize>) {
        let limit = |value: u64| i32::try_from(value).unwrap_or(i32::MAX);
        let information = SemaphoreInfo {
            semmap: SEMMAP,
            semmni: limit(SEMMNI as u64),
            semmns: limit(SEMMNS),
            semmnu: SEMMNU,
            semmsl: limit(SEMMSL as u64),
            semopm: limit(SEMOPM as u64),
            semume: SEMUME,
            semusz: SEMUSZ,
            semvmx: SEMVMX,
            semaem: SEMAEM,
        };
        (information, self.sets.highest_slot())
    }

    /// `semctl(0, 0, SEM_INFO)`: as [`Semaphores::info`], with `semusz` the sets in use and
    /// `semaem` the semaphores in use.
    pub fn usage(&self) -> (SemaphoreInfo, Option<usize>) {
        let (mut information, highest) = self.info();
        information.semusz = i32::try_from(self.sets.len()).unwrap_or(i32::MAX);
        information.semaem = i32::try_from(self.semaphores_in_use).unwrap_or(i32::MAX);
        (information, highest)
    }

    /// `semctl(slot, 0, SEM_STAT)`: the status of the set in slot `slot`, with its id.
    ///
    /// # Errors
    ///
    /// `EINVAL` for an empty slot, `EACCES` without read permission.
    pub fn status_by_slot(
        &self,
        slot: usize,
        credentials: &Credentials,
    ) -> Result<(Id, SemaphoreSetStatus), Errno> {
        let (id, permissions, set) = self.sets.by_slot(slot).ok_or(Errno::Einval)?;
        if !permitted(permissions, credentials, READ) {
            return Err(Errno::Eacces);
        }
        Ok((id, set.status(permissions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE};

    const ROOT: Credentials = Credentials { pid: 1, uid: 0, euid: 0, gid: 0, egid: 0 };
    const USER: Credentials = Credentials { pid: 2, uid: 1000, euid: 1000, gid: 100, egid: 100 };
    const OTHER: Credentials = Credentials { pid: 3, uid: 1001, euid: 1001, gid: 101, egid: 101 };

    /// Root acting as process `pid`.
    const fn process(pid: u32) -> Credentials {
        Credentials { pid, ..ROOT }
    }

    const fn op(number: u16, operation: i16, flags: i16) -> SemaphoreOperation {
        SemaphoreOperation { number, operation, flags }
    }

    const NOWAIT: i16 = IPC_NOWAIT as i16;

    /// A set of `values.len()` semaphores made by `USER` with `mode`, holding `values`.
    fn set_with(values: &[u16], mode: i32) -> (Semaphores<u32>, Id) {
        let mut semaphores = Semaphores::new();
        let count = i32::try_from(values.len()).unwrap();
        let id = semaphores.get(IPC_PRIVATE, count, mode, &USER, 10).unwrap();
        semaphores.set_values(id, values, &USER, 10).unwrap();
        (semaphores, id)
    }

    /// Process `pid` (root) tries `operations` at time 1, waiting as waiter `pid`, and
    /// must block.
    fn blocks(
        semaphores: &mut Semaphores<u32>,
        id: Id,
        operations: &[SemaphoreOperation],
        pid: u32,
    ) {
        let outcome = semaphores.operate(id, operations, &process(pid), 1, pid);
        assert_eq!(outcome, OperateOutcome::Blocked, "process {pid}: {operations:?}");
    }

    fn done(outcome: OperateOutcome<u32>) -> Vec<(u32, Result<(), Errno>)> {
        match outcome {
            OperateOutcome::Done { answers } => pairs(answers),
            other => panic!("expected Done, got {other:?}"),
        }
    }

    fn pairs(answers: Vec<SemaphoreAnswer<u32>>) -> Vec<(u32, Result<(), Errno>)> {
        answers.into_iter().map(|answer| (answer.waiter, answer.result)).collect()
    }

    fn values(semaphores: &Semaphores<u32>, id: Id) -> Vec<u16> {
        semaphores.values(id, &ROOT).unwrap()
    }

    fn counts(semaphores: &Semaphores<u32>, id: Id, number: i32) -> (u32, u32) {
        (
            semaphores.waiting_count(id, number, &ROOT).unwrap(),
            semaphores.zero_waiting_count(id, number, &ROOT).unwrap(),
        )
    }

    #[test]
    fn semget_checks_the_count_then_the_family_then_permission() {
        let mut semaphores: Semaphores<u32> = Semaphores::new();
        assert_eq!(semaphores.get(IPC_PRIVATE, -1, 0o600, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.get(IPC_PRIVATE, 32001, 0o600, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.get(IPC_PRIVATE, 0, 0o600, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.get(7, 0, IPC_CREAT | 0o600, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.get(7, 2, 0o600, &USER, 1), Err(Errno::Enoent));
        let id = semaphores.get(7, 2, IPC_CREAT | 0o600, &USER, 1).unwrap();
        assert_eq!(semaphores.get(7, 2, IPC_CREAT | IPC_EXCL, &USER, 1), Err(Errno::Eexist));
        assert_eq!(semaphores.get(7, 0, 0, &USER, 1), Ok(id));
        assert_eq!(semaphores.get(7, 1, 0o600, &USER, 1), Ok(id));
        // More semaphores than the set has: EINVAL even for one who may not use it.
        assert_eq!(semaphores.get(7, 3, 0o600, &OTHER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.get(7, 2, 0o600, &OTHER, 1), Err(Errno::Eacces));
        assert_eq!(semaphores.get(7, 2, 0, &OTHER, 1), Ok(id));
        assert_eq!(semaphores.len(), 1);
        let status = semaphores.status(id, &USER).unwrap();
        assert_eq!((status.nsems, status.otime, status.ctime), (2, 0, 1));
        assert_eq!((status.permissions.uid, status.permissions.mode), (1000, 0o600));
        assert_eq!(values(&semaphores, id), [0, 0]);
        // SEMMNS counts every semaphore of every set.
        semaphores.semaphores_in_use = SEMMNS - 1;
        assert_eq!(semaphores.get(IPC_PRIVATE, 2, 0o600, &USER, 1), Err(Errno::Enospc));
        assert!(semaphores.get(IPC_PRIVATE, 1, 0o600, &USER, 1).is_ok());
        assert_eq!(semaphores.semaphores_in_use, SEMMNS);
    }

    #[test]
    fn semop_checks_arguments_in_linux_order() {
        let (mut semaphores, id) = set_with(&[1, 0], 0o644);
        let many = vec![op(0, 0, 0); SEMOPM + 1];
        assert_eq!(
            semaphores.operate(-1, &many, &USER, 1, 0),
            OperateOutcome::Failed(Errno::E2big)
        );
        assert_eq!(semaphores.operate(id, &[], &USER, 1, 0), OperateOutcome::Failed(Errno::Einval));
        assert_eq!(
            semaphores.operate(id + 1, &[op(0, 1, 0)], &USER, 1, 0),
            OperateOutcome::Failed(Errno::Einval)
        );
        assert_eq!(
            semaphores.operate(-5, &[op(0, 1, 0)], &USER, 1, 0),
            OperateOutcome::Failed(Errno::Einval)
        );
        // EFBIG before EACCES.
        assert_eq!(
            semaphores.operate(id, &[op(2, 1, 0)], &OTHER, 1, 0),
            OperateOutcome::Failed(Errno::Efbig)
        );
        assert_eq!(
            semaphores.operate(id, &[op(0, 1, 0)], &OTHER, 1, 0),
            OperateOutcome::Failed(Errno::Eacces)
        );
        // Waiting for zero only reads.
        assert_eq!(done(semaphores.operate(id, &[op(1, 0, 0)], &OTHER, 1, 0)), []);
        assert_eq!(
            semaphores.operate(id, &[op(1, 0, 0), op(0, -1, 0)], &OTHER, 1, 0),
            OperateOutcome::Failed(Errno::Eacces)
        );
        let most = vec![op(1, 0, 0); SEMOPM];
        assert_eq!(done(semaphores.operate(id, &most, &USER, 1, 0)), []);
    }

    #[test]
    fn operations_apply_in_order_all_or_none() {
        let (mut semaphores, id) = set_with(&[1, 0], 0o600);
        let outcome = semaphores.operate(id, &[op(0, -1, 0), op(1, -1, NOWAIT)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Eagain));
        assert_eq!(values(&semaphores, id), [1, 0]);
        assert_eq!(done(semaphores.operate(id, &[op(0, 1, 0), op(0, -2, 0)], &USER, 1, 0)), []);
        assert_eq!(values(&semaphores, id), [0, 0]);
        let outcome = semaphores.operate(id, &[op(0, -1, NOWAIT), op(0, 1, 0)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Eagain));
        let outcome = semaphores.operate(id, &[op(0, 1, 0), op(0, 0, NOWAIT)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Eagain));
        assert_eq!(values(&semaphores, id), [0, 0]);
        semaphores.set_value(id, 0, SEMVMX, &USER, 2).unwrap();
        let outcome = semaphores.operate(id, &[op(1, 5, 0), op(0, 1, 0)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Erange));
        assert_eq!(values(&semaphores, id), [32767, 0]);
        // ERANGE comes from the first operation that fails, even before one that blocks.
        let outcome = semaphores.operate(id, &[op(0, 1, 0), op(1, -1, 0)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Erange));
        let outcome = semaphores.operate(id, &[op(1, -1, NOWAIT), op(0, 1, 0)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Eagain));
    }

    #[test]
    fn undo_adjustments_stay_within_a_short() {
        let (mut semaphores, id) = set_with(&[0], 0o600);
        assert_eq!(done(semaphores.operate(id, &[op(0, 32767, SEM_UNDO)], &USER, 1, 0)), []);
        assert_eq!(done(semaphores.operate(id, &[op(0, -32767, 0)], &USER, 1, 0)), []);
        // -SEMAEM - 1 is still allowed.
        assert_eq!(done(semaphores.operate(id, &[op(0, 1, SEM_UNDO)], &USER, 1, 0)), []);
        assert_eq!(done(semaphores.operate(id, &[op(0, -1, 0)], &USER, 1, 0)), []);
        let outcome = semaphores.operate(id, &[op(0, 1, SEM_UNDO)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Erange));
        assert_eq!(values(&semaphores, id), [0]);
        semaphores.set_value(id, 0, SEMVMX, &USER, 1).unwrap();
        assert_eq!(done(semaphores.operate(id, &[op(0, -32767, SEM_UNDO)], &USER, 1, 0)), []);
        assert_eq!(done(semaphores.operate(id, &[op(0, 32767, 0)], &USER, 1, 0)), []);
        let outcome = semaphores.operate(id, &[op(0, -1, SEM_UNDO)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Erange));
        assert_eq!(values(&semaphores, id), [32767]);
        // A failed call leaves the adjustments as they were: +32767 at exit.
        let outcome = semaphores.operate(id, &[op(0, -1, SEM_UNDO), op(0, 1, 0)], &USER, 1, 0);
        assert_eq!(outcome, OperateOutcome::Failed(Errno::Erange));
        assert_eq!(done(semaphores.operate(id, &[op(0, -32767, 0)], &ROOT, 1, 0)), []);
        assert_eq!(semaphores.process_exit(USER.pid, 2), []);
        assert_eq!(values(&semaphores, id), [32767]);
    }

    #[test]
    fn no_wait_counts_only_on_the_operation_that_blocks() {
        let (mut semaphores, id) = set_with(&[1, 0], 0o600);
        let outcome = semaphores.operate(id, &[op(0, -1, NOWAIT), op(1, -1, 0)], &process(5), 1, 5);
        assert_eq!(outcome, OperateOutcome::Blocked);
        assert_eq!(values(&semaphores, id), [1, 0]);
        assert_eq!(counts(&semaphores, id, 0), (0, 0));
        assert_eq!(counts(&semaphores, id, 1), (1, 0));
        // Tried again after any change, a waiter whose IPC_NOWAIT operation now blocks
        // leaves with EAGAIN.
        assert_eq!(
            pairs(semaphores.set_value(id, 0, 0, &USER, 2).unwrap()),
            [(5, Err(Errno::Eagain))]
        );
        assert_eq!(counts(&semaphores, id, 1), (0, 0));
        let outcome = semaphores.operate(id, &[op(1, -1, 0), op(0, -1, NOWAIT)], &process(6), 1, 6);
        assert_eq!(outcome, OperateOutcome::Blocked);
        assert_eq!(
            pairs(semaphores.set_value(id, 1, 1, &USER, 3).unwrap()),
            [(6, Err(Errno::Eagain))]
        );
        assert_eq!(values(&semaphores, id), [0, 1]);
    }

    #[test]
    fn a_single_semaphore_queue_is_first_in_first_out() {
        let (mut semaphores, id) = set_with(&[0], 0o600);
        for waiter in 1..=3 {
            assert_eq!(
                semaphores.operate(id, &[op(0, -1, 0)], &process(waiter), 1, waiter),
                OperateOutcome::Blocked
            );
        }
        assert_eq!(counts(&semaphores, id, 0), (3, 0));
        assert_eq!(
            done(semaphores.operate(id, &[op(0, 2, 0)], &process(9), 4, 9)),
            [(1, Ok(())), (2, Ok(()))]
        );
        assert_eq!(counts(&semaphores, id, 0), (1, 0));
        assert_eq!(semaphores.last_pid(id, 0, &ROOT), Ok(2));
        assert_eq!(values(&semaphores, id), [0]);
    }

    #[test]
    fn zero_waiters_woken_by_a_waiter_are_answered_before_it() {
        let (mut semaphores, id) = set_with(&[1], 0o600);
        blocks(&mut semaphores, id, &[op(0, -2, 0)], 5);
        blocks(&mut semaphores, id, &[op(0, 0, 0)], 6);
        assert_eq!(counts(&semaphores, id, 0), (1, 1));
        assert_eq!(
            done(semaphores.operate(id, &[op(0, 1, 0)], &process(7), 2, 7)),
            [(6, Ok(())), (5, Ok(()))]
        );
        assert_eq!(counts(&semaphores, id, 0), (0, 0));
        // A decrease to zero wakes zero waiters of that semaphore.
        semaphores.set_value(id, 0, 1, &USER, 3).unwrap();
        blocks(&mut semaphores, id, &[op(0, 0, 0)], 8);
        assert_eq!(done(semaphores.operate(id, &[op(0, -1, 0)], &process(7), 4, 7)), [(8, Ok(()))]);
        assert_eq!(semaphores.last_pid(id, 0, &ROOT), Ok(8));
    }

    #[test]
    fn complex_waiters_count_on_the_operation_they_last_blocked_on() {
        let (mut semaphores, id) = set_with(&[0, 0], 0o600);
        let both = [op(0, -1, 0), op(1, -1, 0)];
        blocks(&mut semaphores, id, &both, 5);
        assert_eq!((counts(&semaphores, id, 0), counts(&semaphores, id, 1)), ((1, 0), (0, 0)));
        assert_eq!(semaphores.set_value(id, 0, 1, &USER, 2).unwrap(), []);
        assert_eq!((counts(&semaphores, id, 0), counts(&semaphores, id, 1)), ((0, 0), (1, 0)));
        assert_eq!(values(&semaphores, id), [1, 0]);
        let zero_then_decrease = [op(0, 0, 0), op(1, -1, 0)];
        blocks(&mut semaphores, id, &zero_then_decrease, 6);
        assert_eq!(counts(&semaphores, id, 0), (0, 1));
        let zeros = [op(1, 0, 0), op(0, 0, 0)];
        blocks(&mut semaphores, id, &zeros, 7);
        assert_eq!(counts(&semaphores, id, 0), (0, 2));
        // 5 takes both, which lets 7 through (answered first, as the zero waiters its
        // success wakes) and leaves 6 blocked on sem1.
        assert_eq!(
            pairs(semaphores.set_value(id, 1, 1, &USER, 3).unwrap()),
            [(7, Ok(())), (5, Ok(()))]
        );
        assert_eq!(values(&semaphores, id), [0, 0]);
        assert_eq!((counts(&semaphores, id, 0), counts(&semaphores, id, 1)), ((0, 0), (1, 0)));
        assert_eq!(pairs(semaphores.remove(id, &USER).unwrap()), [(6, Err(Errno::Eidrm))]);
    }

    #[test]
    fn complex_waiters_are_woken_by_every_change_and_restart_the_queue() {
        // 9 waits for sem1 before 5 joins: merged, 9 comes first, blocks, then 5 makes
        // sem1 1 and the queue restarts so 9 gets it.
        let (mut semaphores, id) = set_with(&[0, 0], 0o600);
        blocks(&mut semaphores, id, &[op(1, -1, 0)], 9);
        let exchange = [op(0, -1, 0), op(1, 1, 0)];
        blocks(&mut semaphores, id, &exchange, 5);
        assert_eq!(
            done(semaphores.operate(id, &[op(0, 1, 0)], &process(2), 2, 2)),
            [(5, Ok(())), (9, Ok(()))]
        );
        assert_eq!(values(&semaphores, id), [0, 0]);
        // A set-wide zero waiter is woken when any semaphore it names reaches zero.
        semaphores.set_values(id, &[1, 1], &USER, 3).unwrap();
        let zeros = [op(0, 0, 0), op(1, 0, 0)];
        blocks(&mut semaphores, id, &zeros, 6);
        assert_eq!(done(semaphores.operate(id, &[op(0, -1, 0)], &process(2), 4, 2)), []);
        assert_eq!(counts(&semaphores, id, 1), (0, 1));
        assert_eq!(done(semaphores.operate(id, &[op(1, -1, 0)], &process(2), 4, 2)), [(6, Ok(()))]);
    }

    #[test]
    fn merging_puts_the_last_semaphores_waiters_first_and_unmerging_restores_them() {
        let (mut semaphores, id) = set_with(&[0, 0, 0], 0o600);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 5);
        blocks(&mut semaphores, id, &[op(1, -1, 0)], 6);
        let complex = [op(2, -1, 0), op(0, -1, 0)];
        blocks(&mut semaphores, id, &complex, 7);
        // A single decrease that comes now joins the set's queue at its end.
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 8);
        assert_eq!(
            pairs(semaphores.set_values(id, &[2, 1, 0], &USER, 2).unwrap()),
            [(6, Ok(())), (5, Ok(())), (8, Ok(()))]
        );
        assert_eq!(counts(&semaphores, id, 2), (1, 0));
        // Back to a semaphore's queue once the complex waiter leaves: order by semaphore.
        blocks(&mut semaphores, id, &[op(1, -1, 0)], 5);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 6);
        assert_eq!(
            semaphores.cancel(&7),
            Some(SemaphoreAnswer { waiter: 7, result: Err(Errno::Eintr) })
        );
        assert_eq!(
            pairs(semaphores.set_values(id, &[1, 1, 0], &USER, 3).unwrap()),
            [(6, Ok(())), (5, Ok(()))]
        );
    }

    #[test]
    fn waiters_fail_with_erange_when_tried_again() {
        let (mut semaphores, id) = set_with(&[0, 0], 0o600);
        let exchange = [op(0, -1, 0), op(1, 1, 0)];
        blocks(&mut semaphores, id, &exchange, 5);
        assert_eq!(semaphores.set_value(id, 1, SEMVMX, &USER, 2).unwrap(), []);
        assert_eq!(
            pairs(semaphores.set_value(id, 0, 1, &USER, 2).unwrap()),
            [(5, Err(Errno::Erange))]
        );
        assert_eq!(values(&semaphores, id), [1, 32767]);
    }

    #[test]
    fn time_outs_cancels_and_forgets_take_waiters_out_quietly() {
        let (mut semaphores, id) = set_with(&[0], 0o600);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 5);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 6);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 7);
        assert_eq!(
            semaphores.time_out(&6),
            Some(SemaphoreAnswer { waiter: 6, result: Err(Errno::Eagain) })
        );
        assert_eq!(semaphores.time_out(&6), None);
        assert_eq!(semaphores.cancel(&6), None);
        assert_eq!(counts(&semaphores, id, 0), (2, 0));
        assert!(semaphores.forget(&5));
        assert!(!semaphores.forget(&5));
        assert_eq!(counts(&semaphores, id, 0), (1, 0));
        assert_eq!(pairs(semaphores.set_value(id, 0, 3, &USER, 2).unwrap()), [(7, Ok(()))]);
        assert_eq!(values(&semaphores, id), [2]);
    }

    #[test]
    fn sempid_and_times_follow_linux() {
        let (mut semaphores, id) = set_with(&[0, 0], 0o600);
        assert_eq!(semaphores.last_pid(id, 1, &ROOT), Ok(USER.pid));
        assert_eq!(
            semaphores.status(id, &ROOT).map(|status| (status.otime, status.ctime)),
            Ok((0, 10))
        );
        assert_eq!(done(semaphores.operate(id, &[op(1, 0, 0)], &process(40), 20, 0)), []);
        assert_eq!(semaphores.last_pid(id, 1, &ROOT), Ok(40));
        assert_eq!(semaphores.last_pid(id, 0, &ROOT), Ok(USER.pid));
        assert_eq!(
            semaphores.status(id, &ROOT).map(|status| (status.otime, status.ctime)),
            Ok((20, 10))
        );
        assert_eq!(
            semaphores.operate(id, &[op(0, -1, 0)], &process(41), 21, 41),
            OperateOutcome::Blocked
        );
        assert_eq!(semaphores.set_value(id, 1, 4, &process(42), 30).unwrap(), []);
        assert_eq!(
            semaphores.status(id, &ROOT).map(|status| (status.otime, status.ctime)),
            Ok((20, 30))
        );
        // A SETVAL that lets a waiter through sets otime (on the first semaphore).
        assert_eq!(
            pairs(semaphores.set_value(id, 0, 1, &process(42), 40).unwrap()),
            [(41, Ok(()))]
        );
        assert_eq!(
            semaphores.status(id, &ROOT).map(|status| (status.otime, status.ctime)),
            Ok((40, 40))
        );
        assert_eq!(semaphores.last_pid(id, 0, &ROOT), Ok(41));
        assert_eq!(semaphores.last_pid(id, 1, &ROOT), Ok(42));
        semaphores.set(id, &USER, 1000, 100, 0o640, 50).unwrap();
        assert_eq!(
            semaphores.status(id, &ROOT).map(|status| (status.otime, status.ctime)),
            Ok((40, 50))
        );
    }

    #[test]
    fn undo_is_applied_at_exit_clamped_and_cleared_by_setval_and_setall() {
        let (mut semaphores, id) = set_with(&[5, 5, 5, 32767], 0o600);
        let me = process(50);
        let operations =
            [op(0, -3, SEM_UNDO), op(1, 2, SEM_UNDO), op(2, -1, SEM_UNDO), op(3, -1, SEM_UNDO)];
        assert_eq!(done(semaphores.operate(id, &operations, &me, 1, 0)), []);
        assert_eq!(values(&semaphores, id), [2, 7, 4, 32766]);
        // Someone else moves the values so that the undo must be clamped.
        assert_eq!(
            done(semaphores.operate(id, &[op(1, -7, 0), op(3, 1, 0)], &process(60), 2, 0)),
            []
        );
        semaphores.set_value(id, 2, 9, &process(60), 3).unwrap();
        assert_eq!(semaphores.process_exit(50, 4), []);
        // sem0 +3, sem1 -2 clamped to 0, sem2's adjustment cleared by SETVAL, sem3 +1 clamped.
        assert_eq!(values(&semaphores, id), [5, 0, 9, 32767]);
        assert_eq!(
            (0..4).map(|n| semaphores.last_pid(id, n, &ROOT).unwrap()).collect::<Vec<_>>(),
            [50, 50, 60, 50]
        );
        assert_eq!(semaphores.status(id, &ROOT).unwrap().otime, 4);
        // A second exit does nothing; SETALL clears every adjustment.
        assert_eq!(semaphores.process_exit(50, 5), []);
        assert_eq!(done(semaphores.operate(id, &[op(0, -1, SEM_UNDO)], &me, 6, 0)), []);
        semaphores.set_values(id, &[1, 1, 1, 1], &USER, 7).unwrap();
        assert_eq!(semaphores.process_exit(50, 8), []);
        assert_eq!(values(&semaphores, id), [1, 1, 1, 1]);
        assert_eq!(semaphores.last_pid(id, 0, &ROOT), Ok(USER.pid));
        // Even an all-zero adjustment entry sets otime at exit.
        assert_eq!(semaphores.status(id, &ROOT).unwrap().otime, 8);
    }

    #[test]
    fn exit_undoes_the_most_recently_used_set_first_and_wakes_waiters() {
        let mut semaphores: Semaphores<u32> = Semaphores::new();
        let first = semaphores.get(IPC_PRIVATE, 1, 0o600, &ROOT, 1).unwrap();
        let second = semaphores.get(IPC_PRIVATE, 1, 0o600, &ROOT, 1).unwrap();
        let me = process(50);
        semaphores.set_value(first, 0, 1, &ROOT, 1).unwrap();
        semaphores.set_value(second, 0, 1, &ROOT, 1).unwrap();
        assert_eq!(done(semaphores.operate(first, &[op(0, -1, SEM_UNDO)], &me, 1, 0)), []);
        assert_eq!(done(semaphores.operate(second, &[op(0, -1, SEM_UNDO)], &me, 1, 0)), []);
        // Using the first again (even failing) makes it the most recent.
        let failing = [op(0, -1, SEM_UNDO | NOWAIT)];
        assert_eq!(
            semaphores.operate(first, &failing, &me, 1, 0),
            OperateOutcome::Failed(Errno::Eagain)
        );
        blocks(&mut semaphores, first, &[op(0, -1, 0)], 5);
        blocks(&mut semaphores, second, &[op(0, -1, 0)], 6);
        // The exiting process's own waiter goes quietly.
        assert_eq!(
            semaphores.operate(second, &[op(0, -1, 0)], &me, 1, 50),
            OperateOutcome::Blocked
        );
        assert_eq!(
            semaphores
                .process_exit(50, 2)
                .into_iter()
                .map(|answer| answer.waiter)
                .collect::<Vec<_>>(),
            [5, 6]
        );
        assert!(!semaphores.forget(&50));
        assert_eq!(values(&semaphores, first), [0]);
        assert_eq!(values(&semaphores, second), [0]);
    }

    #[test]
    fn removal_answers_every_waiter_in_freeary_order_and_drops_adjustments() {
        let (mut semaphores, id) = set_with(&[0, 1], 0o600);
        assert_eq!(done(semaphores.operate(id, &[op(1, 1, SEM_UNDO)], &process(50), 1, 0)), []);
        blocks(&mut semaphores, id, &[op(0, -1, 0)], 5);
        blocks(&mut semaphores, id, &[op(1, 0, 0)], 6);
        let complex = [op(0, -1, 0), op(1, -1, 0)];
        blocks(&mut semaphores, id, &complex, 7);
        let zeros = [op(1, 0, 0), op(0, 0, 0)];
        blocks(&mut semaphores, id, &zeros, 8);
        assert_eq!(semaphores.remove(id, &OTHER), Err(Errno::Eperm));
        assert_eq!(
            pairs(semaphores.remove(id, &USER).unwrap()),
            [
                (8, Err(Errno::Eidrm)),
                (5, Err(Errno::Eidrm)),
                (7, Err(Errno::Eidrm)),
                (6, Err(Errno::Eidrm))
            ]
        );
        assert_eq!(semaphores.values(id, &ROOT), Err(Errno::Einval));
        assert_eq!(semaphores.remove(id, &USER), Err(Errno::Einval));
        assert!(semaphores.undo_lists.is_empty());
        assert_eq!(semaphores.process_exit(50, 2), []);
        assert!(semaphores.is_empty());
        assert_eq!(semaphores.usage().0.semaem, 0);
    }

    #[test]
    fn semctl_checks_in_linux_order() {
        let (mut semaphores, id) = set_with(&[0, 0], 0o600);
        assert_eq!(semaphores.set_value(-1, 0, -1, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.set_value(id + 1, 0, -1, &USER, 1), Err(Errno::Erange));
        assert_eq!(semaphores.set_value(id, 0, SEMVMX + 1, &USER, 1), Err(Errno::Erange));
        assert_eq!(semaphores.set_value(id + 1, 0, 1, &USER, 1), Err(Errno::Einval));
        // SETVAL checks the number before permission, GETVAL after.
        assert_eq!(semaphores.set_value(id, 2, 1, &OTHER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.set_value(id, -1, 1, &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.set_value(id, 1, 1, &OTHER, 1), Err(Errno::Eacces));
        assert_eq!(semaphores.value(id, 2, &OTHER), Err(Errno::Eacces));
        assert_eq!(semaphores.value(id, 2, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.value(id, -1, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.last_pid(id, 2, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.waiting_count(id, 2, &OTHER), Err(Errno::Eacces));
        assert_eq!(semaphores.zero_waiting_count(id, 2, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.values(id, &OTHER), Err(Errno::Eacces));
        assert_eq!(semaphores.set_values(id, &[1], &OTHER, 1), Err(Errno::Eacces));
        assert_eq!(semaphores.set_values(id, &[1], &USER, 1), Err(Errno::Efault));
        assert_eq!(semaphores.set_values(id, &[1, 32768], &USER, 1), Err(Errno::Erange));
        assert_eq!(semaphores.set_values(id + 1, &[1, 1], &USER, 1), Err(Errno::Einval));
        assert_eq!(semaphores.status(id, &OTHER), Err(Errno::Eacces));
        assert_eq!(semaphores.status(-1, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.set(id, &OTHER, 0, 0, 0o666, 1), Err(Errno::Eperm));
        assert_eq!(semaphores.set(id, &USER, u32::MAX, 0, 0o666, 1), Err(Errno::Einval));
        assert_eq!(semaphores.set(id, &USER, 1000, u32::MAX, 0o666, 1), Err(Errno::Einval));
        semaphores.set(id, &USER, 1001, 101, 0o1640, 5).unwrap();
        let status = semaphores.status(id, &OTHER).unwrap();
        assert_eq!(
            (status.permissions.uid, status.permissions.gid, status.permissions.mode),
            (1001, 101, 0o640)
        );
        assert_eq!((status.permissions.cuid, status.ctime), (1000, 5));
        assert_eq!(values(&semaphores, id), [0, 0]);
    }

    #[test]
    fn info_and_stat_by_slot() {
        let mut semaphores: Semaphores<u32> = Semaphores::new();
        let (information, highest) = semaphores.info();
        assert_eq!(highest, None);
        assert_eq!(
            information,
            SemaphoreInfo {
                semmap: 1_024_000_000,
                semmni: 32000,
                semmns: 1_024_000_000,
                semmnu: 1_024_000_000,
                semmsl: 32000,
                semopm: 500,
                semume: 500,
                semusz: 20,
                semvmx: 32767,
                semaem: 32767,
            }
        );
        let first = semaphores.get(IPC_PRIVATE, 3, 0o600, &USER, 1).unwrap();
        let second = semaphores.get(IPC_PRIVATE, 4, 0o600, &USER, 1).unwrap();
        semaphores.remove(first, &USER).unwrap();
        let (usage, highest) = semaphores.usage();
        assert_eq!((usage.semusz, usage.semaem, usage.semmni, highest), (1, 4, 32000, Some(1)));
        assert_eq!(semaphores.status_by_slot(0, &USER), Err(Errno::Einval));
        assert_eq!(semaphores.status_by_slot(1, &OTHER), Err(Errno::Eacces));
        let (id, status) = semaphores.status_by_slot(1, &USER).unwrap();
        assert_eq!((id, status.nsems), (second, 4));
        assert_eq!(semaphores.status_by_slot(7, &USER), Err(Errno::Einval));
    }
}
