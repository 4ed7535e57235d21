//! Conformance cases for System V semaphores (semget(2), semop(2), semtimedop(2),
//! semctl(2)).
//!
//! Keyed sets use keys `0x434f_0200 + n` ("CO", then the case's number), cleared of an
//! earlier run's leftovers first; every set a case makes is removed when its guard drops.
//! A child that blocks is watched through `GETNCNT`/`GETZCNT` or [`Child::keeps_running`];
//! the case process itself only blocks in `semtimedop` with a timeout.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use courier_test_support::sysv_objects::{
    Family, LAST_PID, SEMAPHORE_NSEMS, SEMMSL, SEMOPM, SEMVMX, SemaphoreSet, VALUE,
    WAITING_FOR_INCREASE, WAITING_FOR_ZERO, operation,
};
use libsys::Errno;
use libsys::abi::signal::SIGKILL;
use libsys::proc;
use libsys::sysv::{
    self, GETALL, GETVAL, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT, IPC_PRIVATE, IPC_RMID,
    IPC_STAT, SEM_UNDO, SETALL, SETVAL, STATUS_WORDS, Status,
};
use libsys::time;

use crate::framework::{
    Case, Check, Child, OTHER_USER, SETTLE, SETUP_FAILED, become_user, ensure, equals, fails_with,
    number_argument, outcome_code, sleep_forever, step, tell_ready,
};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "semget-private-new-set-zeroed", run: semget_private_new_set_zeroed },
    Case { name: "semget-zero-count-einval", run: semget_zero_count_einval },
    Case { name: "semget-count-above-semmsl-einval", run: semget_count_above_semmsl_einval },
    Case { name: "semget-existing-larger-count-einval", run: semget_existing_larger_count_einval },
    Case { name: "semget-create-exclusive-eexist", run: semget_create_exclusive_eexist },
    Case { name: "semget-missing-key-enoent", run: semget_missing_key_enoent },
    Case { name: "semget-other-user-eacces", run: semget_other_user_eacces },
    Case { name: "semop-number-out-of-range-efbig", run: semop_number_out_of_range_efbig },
    Case { name: "semop-too-many-operations-e2big", run: semop_too_many_operations_e2big },
    Case { name: "semctl-setval-out-of-range-erange", run: semctl_setval_out_of_range_erange },
    Case { name: "semop-above-semvmx-erange", run: semop_above_semvmx_erange },
    Case { name: "semop-nowait-eagain", run: semop_nowait_eagain },
    Case { name: "semop-all-or-nothing", run: semop_all_or_nothing },
    Case { name: "semctl-setall-getall", run: semctl_setall_getall },
    Case { name: "semop-decrement-waits-getncnt", run: semop_decrement_waits_getncnt },
    Case { name: "semop-wait-for-zero-getzcnt", run: semop_wait_for_zero_getzcnt },
    Case { name: "semctl-getpid-last-operation", run: semctl_getpid_last_operation },
    Case { name: "sem-undo-applied-at-exit", run: sem_undo_applied_at_exit },
    Case { name: "semctl-setval-clears-undo", run: semctl_setval_clears_undo },
    Case { name: "semctl-rmid-wakes-waiter-eidrm", run: semctl_rmid_wakes_waiter_eidrm },
    Case { name: "semtimedop-timeout-eagain", run: semtimedop_timeout_eagain },
    Case { name: "sem-removed-id-einval", run: sem_removed_id_einval },
    Case { name: "semctl-invalid-command-einval", run: semctl_invalid_command_einval },
    Case { name: "semop-no-operations-einval", run: semop_no_operations_einval },
    Case { name: "semop-waiters-woken-in-order", run: semop_waiters_woken_in_order },
    Case { name: "sem-undo-above-semaem-erange", run: sem_undo_above_semaem_erange },
    Case { name: "semctl-ipc-info-limits", run: semctl_ipc_info_limits },
    Case { name: "semctl-other-user-rmid-eperm", run: semctl_other_user_rmid_eperm },
    Case {
        name: "semop-intermediate-above-semvmx-erange",
        run: semop_intermediate_above_semvmx_erange,
    },
    Case { name: "semctl-setval-wakes-waiters", run: semctl_setval_wakes_waiters },
    Case { name: "sem-undo-clamped-at-zero", run: sem_undo_clamped_at_zero },
];

/// This area's first key.
const KEY_BASE: i32 = 0x434f_0200;

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `sem-op ID NUMBER OPERATION FLAGS`: says it is ready, then `semop(ID, {NUMBER,
///   OPERATION, FLAGS})`; exits 0 or the errno;
/// - `sem-hold ID NUMBER OPERATION FLAGS`: does that `semop`, says it is ready and
///   sleeps until killed;
/// - `sem-get-as-other KEY`: becomes user 1000 and exits with the outcome of
///   `semget(KEY, 0, 0600)`;
/// - `sem-remove-as-other KEY`: becomes user 1000 and exits with the outcome of
///   `IPC_RMID` of the set of KEY.
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    match mode {
        "sem-op" => {
            let id: i32 = number_argument(arguments, 0)?;
            let number: u16 = number_argument(arguments, 1)?;
            let value: i16 = number_argument(arguments, 2)?;
            let flags: i16 = number_argument(arguments, 3)?;
            tell_ready();
            Some(outcome_code(sysv::semop(id, &[operation(number, value, flags)])))
        }
        "sem-hold" => {
            let id: i32 = number_argument(arguments, 0)?;
            let number: u16 = number_argument(arguments, 1)?;
            let value: i16 = number_argument(arguments, 2)?;
            let flags: i16 = number_argument(arguments, 3)?;
            if sysv::semop(id, &[operation(number, value, flags)]).is_err() {
                return Some(SETUP_FAILED);
            }
            tell_ready();
            sleep_forever()
        }
        "sem-get-as-other" | "sem-remove-as-other" => {
            let key: i32 = number_argument(arguments, 0)?;
            if !become_user(OTHER_USER) {
                return Some(SETUP_FAILED);
            }
            if mode == "sem-get-as-other" {
                return Some(outcome_code(sysv::semget(key, 0, 0o600)));
            }
            let Ok(id) = sysv::semget(key, 0, 0) else { return Some(SETUP_FAILED) };
            Some(outcome_code(sysv::semctl(id, 0, IPC_RMID, 0)))
        }
        _ => None,
    }
}

/// The key of case number `case`, cleared of an earlier run's set.
fn fresh_key(case: i32) -> i32 {
    Family::SemaphoreSet.fresh_key(KEY_BASE + case)
}

/// The children this area's cases start on a set.
trait SemaphoreChildren {
    /// A child doing `semop(number, value, flags)`, ready to call it.
    fn child_operation(&self, number: u16, value: i16, flags: i16) -> Result<Child, String>;
    /// A child that does `semop(number, value, flags)` and then holds on until killed.
    fn child_hold(&self, number: u16, value: i16, flags: i16) -> Result<Child, String>;
}

impl SemaphoreChildren for SemaphoreSet {
    fn child_operation(&self, number: u16, value: i16, flags: i16) -> Result<Child, String> {
        spawn_semaphore_child("sem-op", self, number, value, flags)
    }

    fn child_hold(&self, number: u16, value: i16, flags: i16) -> Result<Child, String> {
        spawn_semaphore_child("sem-hold", self, number, value, flags)
    }
}

/// A child in `mode` (`sem-op`, `sem-hold`) for the operation `(number, value, flags)` on
/// `set`, returned once it has said it is ready.
fn spawn_semaphore_child(
    mode: &str,
    set: &SemaphoreSet,
    number: u16,
    value: i16,
    flags: i16,
) -> Result<Child, String> {
    let arguments = [set.0.to_string(), number.to_string(), value.to_string(), flags.to_string()];
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    Child::spawn_ready(mode, &arguments)
}

/// A new private set has the count asked for (`sem_nsems`), every value 0, and a
/// second `IPC_PRIVATE` call makes another set.
fn semget_private_new_set_zeroed() -> Check {
    let set = SemaphoreSet::private(3)?;
    let other = SemaphoreSet::private(3)?;
    ensure(set.0 != other.0, || format!("two IPC_PRIVATE sets share id {}", set.0))?;
    let mut status: Status = [0; STATUS_WORDS];
    step("semctl(IPC_STAT)", sysv::semctl_status(set.0, IPC_STAT, &mut status))?;
    ensure(status[SEMAPHORE_NSEMS] == 3, || {
        format!("sem_nsems {}, expected 3", status[SEMAPHORE_NSEMS])
    })?;
    let mut values = vec![9u16; 3];
    step("semctl(GETALL)", sysv::semctl_values(set.0, GETALL, &mut values))?;
    ensure(values == [0, 0, 0], || format!("GETALL gave {values:?}, expected [0, 0, 0]"))
}

/// Creating a set of 0 semaphores fails with `EINVAL`.
fn semget_zero_count_einval() -> Check {
    fails_with(
        "semget(IPC_PRIVATE, 0)",
        sysv::semget(IPC_PRIVATE, 0, IPC_CREAT | 0o600),
        Errno::Einval,
    )?;
    let key = fresh_key(2);
    fails_with(
        "semget(new key, 0, IPC_CREAT)",
        sysv::semget(key, 0, IPC_CREAT | 0o600),
        Errno::Einval,
    )?;
    fails_with(
        "semget(IPC_PRIVATE, -1)",
        sysv::semget(IPC_PRIVATE, -1, IPC_CREAT | 0o600),
        Errno::Einval,
    )
}

/// A set of `SEMMSL` + 1 semaphores fails with `EINVAL`; `SEMMSL` is accepted.
fn semget_count_above_semmsl_einval() -> Check {
    fails_with(
        "semget(IPC_PRIVATE, SEMMSL + 1)",
        sysv::semget(IPC_PRIVATE, SEMMSL + 1, IPC_CREAT | 0o600),
        Errno::Einval,
    )?;
    SemaphoreSet::private(SEMMSL).map(|_| ())
}

/// Asking an existing set for more semaphores than it has fails with `EINVAL`; fewer,
/// or 0, gives its id.
fn semget_existing_larger_count_einval() -> Check {
    let key = fresh_key(4);
    let set = SemaphoreSet::create(key, 2, IPC_CREAT | 0o600)?;
    fails_with("semget(key, 3)", sysv::semget(key, 3, 0o600), Errno::Einval)?;
    equals("semget(key, 1)", sysv::semget(key, 1, 0o600), set.0)?;
    equals("semget(key, 0)", sysv::semget(key, 0, 0), set.0)
}

/// `IPC_CREAT | IPC_EXCL` on a key that has a set fails with `EEXIST`.
fn semget_create_exclusive_eexist() -> Check {
    let key = fresh_key(5);
    let _set = SemaphoreSet::create(key, 1, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "semget(existing key, IPC_CREAT | IPC_EXCL)",
        sysv::semget(key, 1, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )
}

/// `semget` of a key with no set, without `IPC_CREAT`, fails with `ENOENT`.
fn semget_missing_key_enoent() -> Check {
    let key = fresh_key(6);
    fails_with("semget(missing key)", sysv::semget(key, 1, 0o600), Errno::Enoent)
}

/// Another user asking for read and write on a mode-0600 set gets `EACCES`.
fn semget_other_user_eacces() -> Check {
    let key = fresh_key(7);
    let _set = SemaphoreSet::create(key, 1, IPC_CREAT | 0o600)?;
    Child::spawn("sem-get-as-other", &[&key.to_string()])?.returns(Err(Errno::Eacces))
}

/// An operation on a semaphore number at or past the set's count fails with `EFBIG`.
fn semop_number_out_of_range_efbig() -> Check {
    let set = SemaphoreSet::private(2)?;
    fails_with("semop(number 2 of 2)", set.operate(&[operation(2, 1, 0)]), Errno::Efbig)?;
    fails_with(
        "semop(number 0, then number 5)",
        set.operate(&[operation(0, 1, 0), operation(5, 1, 0)]),
        Errno::Efbig,
    )?;
    set.expect(0, VALUE, 0)
}

/// More than `SEMOPM` operations in one call fail with `E2BIG`; `SEMOPM` are accepted.
fn semop_too_many_operations_e2big() -> Check {
    let set = SemaphoreSet::private(1)?;
    let too_many = vec![operation(0, 1, 0); SEMOPM + 1];
    fails_with("semop of SEMOPM + 1 operations", set.operate(&too_many), Errno::E2big)?;
    step("semop of SEMOPM operations", set.operate(&vec![operation(0, 1, 0); SEMOPM]))?;
    set.expect(0, VALUE, SEMOPM as i64)
}

/// `SETVAL` above `SEMVMX` or below 0 fails with `ERANGE`; `SEMVMX` itself is accepted.
fn semctl_setval_out_of_range_erange() -> Check {
    let set = SemaphoreSet::private(1)?;
    fails_with("SETVAL(SEMVMX + 1)", sysv::semctl(set.0, 0, SETVAL, SEMVMX + 1), Errno::Erange)?;
    fails_with("SETVAL(-1)", sysv::semctl(set.0, 0, SETVAL, -1), Errno::Erange)?;
    set.set_value(0, SEMVMX)?;
    set.expect(0, VALUE, i64::from(SEMVMX))
}

/// An increment that would take a value above `SEMVMX` fails with `ERANGE` and changes
/// nothing.
fn semop_above_semvmx_erange() -> Check {
    let set = SemaphoreSet::private(1)?;
    set.set_value(0, SEMVMX - 1)?;
    fails_with("semop(+2) at SEMVMX - 1", set.operate(&[operation(0, 2, 0)]), Errno::Erange)?;
    set.expect(0, VALUE, i64::from(SEMVMX - 1))?;
    step("semop(+1) at SEMVMX - 1", set.operate(&[operation(0, 1, 0)]))?;
    set.expect(0, VALUE, i64::from(SEMVMX))
}

/// A decrement below 0 and a wait for zero on a non-zero value fail with `EAGAIN` under
/// `IPC_NOWAIT`.
fn semop_nowait_eagain() -> Check {
    let set = SemaphoreSet::private(2)?;
    set.set_value(0, 1)?;
    let nowait = IPC_NOWAIT as i16;
    fails_with(
        "semop(-2, IPC_NOWAIT) at 1",
        set.operate(&[operation(0, -2, nowait)]),
        Errno::Eagain,
    )?;
    fails_with(
        "semop(0, IPC_NOWAIT) at 1",
        set.operate(&[operation(0, 0, nowait)]),
        Errno::Eagain,
    )?;
    set.expect(0, VALUE, 1)?;
    step("semop(0, IPC_NOWAIT) at 0", set.operate(&[operation(1, 0, nowait)]))
}

/// An operation list is applied whole or not at all: when a later operation cannot go on,
/// the earlier ones leave no trace.
fn semop_all_or_nothing() -> Check {
    let set = SemaphoreSet::private(2)?;
    set.set_value(0, 5)?;
    let nowait = IPC_NOWAIT as i16;
    fails_with(
        "semop(sem 0 -1, sem 1 -1) with sem 1 at 0",
        set.operate(&[operation(0, -1, nowait), operation(1, -1, nowait)]),
        Errno::Eagain,
    )?;
    set.expect(0, VALUE, 5)?;
    set.expect(1, VALUE, 0)?;
    // Operations on one semaphore apply in order: +1 then -1 from 0 succeeds.
    step("semop(sem 1 +1, sem 1 -1)", set.operate(&[operation(1, 1, 0), operation(1, -1, 0)]))?;
    step("semop(sem 0 -5, sem 1 +3)", set.operate(&[operation(0, -5, 0), operation(1, 3, 0)]))?;
    set.expect(0, VALUE, 0)?;
    set.expect(1, VALUE, 3)
}

/// `SETALL` sets every value and `GETALL` reads them back; `SETALL` with a value above
/// `SEMVMX` fails with `ERANGE` and changes nothing.
fn semctl_setall_getall() -> Check {
    let set = SemaphoreSet::private(3)?;
    let mut values = [4u16, 0, 7];
    step("semctl(SETALL [4, 0, 7])", sysv::semctl_values(set.0, SETALL, &mut values))?;
    let mut too_large = [1u16, SEMVMX as u16 + 1, 1];
    fails_with(
        "semctl(SETALL above SEMVMX)",
        sysv::semctl_values(set.0, SETALL, &mut too_large),
        Errno::Erange,
    )?;
    let mut read = [0u16; 3];
    step("semctl(GETALL)", sysv::semctl_values(set.0, GETALL, &mut read))?;
    ensure(read == [4, 0, 7], || format!("GETALL gave {read:?}, expected [4, 0, 7]"))?;
    set.expect(2, VALUE, 7)
}

/// A child's decrement below 0 waits, counted by `GETNCNT`; an increment wakes it and the
/// count drops back to 0.
fn semop_decrement_waits_getncnt() -> Check {
    let set = SemaphoreSet::private(1)?;
    let mut waiter = set.child_operation(0, -2, 0)?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    set.expect(0, WAITING_FOR_ZERO, 0)?;
    step("semop(+1)", set.operate(&[operation(0, 1, 0)]))?;
    waiter.keeps_running(SETTLE)?;
    step("semop(+1)", set.operate(&[operation(0, 1, 0)]))?;
    waiter.returns(Ok(()))?;
    set.expect(0, WAITING_FOR_INCREASE, 0)?;
    set.expect(0, VALUE, 0)
}

/// A child waiting for zero is counted by `GETZCNT` and goes on when the value reaches 0.
fn semop_wait_for_zero_getzcnt() -> Check {
    let set = SemaphoreSet::private(1)?;
    set.set_value(0, 2)?;
    let mut waiter = set.child_operation(0, 0, 0)?;
    set.becomes(0, WAITING_FOR_ZERO, 1)?;
    step("semop(-1)", set.operate(&[operation(0, -1, 0)]))?;
    waiter.keeps_running(SETTLE)?;
    step("semop(-1)", set.operate(&[operation(0, -1, 0)]))?;
    waiter.returns(Ok(()))?;
    set.expect(0, WAITING_FOR_ZERO, 0)
}

/// `GETPID` is 0 for a new set and then the pid of the last process whose operation
/// completed on that semaphore.
fn semctl_getpid_last_operation() -> Check {
    let set = SemaphoreSet::private(2)?;
    set.expect(0, LAST_PID, 0)?;
    let mut child = set.child_operation(0, 1, 0)?;
    let child_pid = i64::from(child.pid);
    child.returns(Ok(()))?;
    set.expect(0, LAST_PID, child_pid)?;
    set.expect(1, LAST_PID, 0)?;
    step("semop(-1)", set.operate(&[operation(0, -1, 0)]))?;
    let me = step("getpid", proc::getpid())?;
    set.expect(0, LAST_PID, i64::from(me))
}

/// `SEM_UNDO` operations of a child are reversed when it exits; operations without it
/// stay.
fn sem_undo_applied_at_exit() -> Check {
    let set = SemaphoreSet::private(2)?;
    set.set_value(0, 5)?;
    set.child_operation(0, -3, SEM_UNDO)?.returns(Ok(()))?;
    set.expect(0, VALUE, 5)?;
    set.child_operation(1, 4, SEM_UNDO)?.returns(Ok(()))?;
    set.expect(1, VALUE, 0)?;
    set.child_operation(1, 4, 0)?.returns(Ok(()))?;
    set.expect(1, VALUE, 4)
}

/// `SETVAL` clears every process's `SEM_UNDO` adjustment of that semaphore: a holder
/// killed afterwards gives nothing back (killed before it, it would).
fn semctl_setval_clears_undo() -> Check {
    let set = SemaphoreSet::private(1)?;
    set.set_value(0, 2)?;
    let mut holder = set.child_hold(0, -1, SEM_UNDO)?;
    set.expect(0, VALUE, 1)?;
    holder.signal(SIGKILL)?;
    holder.killed_by(SIGKILL)?;
    set.expect(0, VALUE, 2)?;
    let mut holder = set.child_hold(0, -1, SEM_UNDO)?;
    set.set_value(0, 5)?;
    holder.signal(SIGKILL)?;
    holder.killed_by(SIGKILL)?;
    set.expect(0, VALUE, 5)
}

/// `IPC_RMID` wakes a child blocked in `semop` with `EIDRM`.
fn semctl_rmid_wakes_waiter_eidrm() -> Check {
    let set = SemaphoreSet::private(1)?;
    let mut waiter = set.child_operation(0, -1, 0)?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    step("semctl(IPC_RMID)", sysv::semctl(set.0, 0, IPC_RMID, 0))?;
    waiter.returns(Err(Errno::Eidrm))
}

/// `semtimedop` fails with `EAGAIN` once its timeout passes (not before), and at once
/// with a zero timeout.
fn semtimedop_timeout_eagain() -> Check {
    let set = SemaphoreSet::private(1)?;
    let timeout = Duration::from_millis(200);
    let start = time::monotonic();
    fails_with(
        "semtimedop(-1, 200 ms) at 0",
        sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(timeout)),
        Errno::Eagain,
    )?;
    let waited = time::monotonic() - start;
    ensure(waited >= timeout, || {
        format!("semtimedop gave up after {waited:?}, before {timeout:?}")
    })?;
    fails_with(
        "semtimedop(-1, 0 ms) at 0",
        sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(Duration::ZERO)),
        Errno::Eagain,
    )?;
    set.expect(0, WAITING_FOR_INCREASE, 0)?;
    set.set_value(0, 1)?;
    step(
        "semtimedop(-1, 200 ms) at 1",
        sysv::semtimedop(set.0, &[operation(0, -1, 0)], Some(timeout)),
    )
}

/// Once removed, a set's id fails with `EINVAL` in `semop` and `semctl`.
fn sem_removed_id_einval() -> Check {
    let set = SemaphoreSet::private(1)?;
    let id = set.0;
    step("semctl(IPC_RMID)", sysv::semctl(id, 0, IPC_RMID, 0))?;
    fails_with("semop", sysv::semop(id, &[operation(0, 1, 0)]), Errno::Einval)?;
    fails_with("semctl(GETVAL)", sysv::semctl(id, 0, GETVAL, 0), Errno::Einval)?;
    fails_with("semctl(IPC_RMID)", sysv::semctl(id, 0, IPC_RMID, 0), Errno::Einval)
}

/// An unknown `semctl` command, a semaphore number out of range for `GETVAL`, or id -1
/// fail with `EINVAL`.
fn semctl_invalid_command_einval() -> Check {
    let set = SemaphoreSet::private(2)?;
    fails_with("semctl(command 99)", sysv::semctl(set.0, 0, 99, 0), Errno::Einval)?;
    fails_with("semctl(GETVAL, number 2 of 2)", sysv::semctl(set.0, 2, GETVAL, 0), Errno::Einval)?;
    fails_with("semctl(SETVAL, number -1)", sysv::semctl(set.0, -1, SETVAL, 1), Errno::Einval)?;
    fails_with("semctl(-1, GETVAL)", sysv::semctl(-1, 0, GETVAL, 0), Errno::Einval)
}

/// `semop` with no operations fails with `EINVAL`.
fn semop_no_operations_einval() -> Check {
    let set = SemaphoreSet::private(1)?;
    fails_with("semop of 0 operations", set.operate(&[]), Errno::Einval)
}

/// Two children waiting to decrement are served in the order they started waiting: one
/// increment wakes the first only.
fn semop_waiters_woken_in_order() -> Check {
    let set = SemaphoreSet::private(1)?;
    let mut first = set.child_operation(0, -1, 0)?;
    set.becomes(0, WAITING_FOR_INCREASE, 1)?;
    let mut second = set.child_operation(0, -1, 0)?;
    set.becomes(0, WAITING_FOR_INCREASE, 2)?;
    step("semop(+1)", set.operate(&[operation(0, 1, 0)]))?;
    first.returns(Ok(()))?;
    second.keeps_running(SETTLE)?;
    set.expect(0, WAITING_FOR_INCREASE, 1)?;
    step("semop(+1)", set.operate(&[operation(0, 1, 0)]))?;
    second.returns(Ok(()))
}

/// A `SEM_UNDO` operation that would take the process's adjustment past `SEMAEM` (32767)
/// fails with `ERANGE` and changes nothing.
fn sem_undo_above_semaem_erange() -> Check {
    let set = SemaphoreSet::private(1)?;
    set.set_value(0, SEMVMX)?;
    step("semop(-32767, SEM_UNDO)", set.operate(&[operation(0, -(SEMVMX as i16), SEM_UNDO)]))?;
    step("semop(+1)", set.operate(&[operation(0, 1, 0)]))?;
    fails_with(
        "semop(-1, SEM_UNDO) with an adjustment of 32767",
        set.operate(&[operation(0, -1, SEM_UNDO)]),
        Errno::Erange,
    )?;
    set.expect(0, VALUE, 1)?;
    step("semop(-1) without SEM_UNDO", set.operate(&[operation(0, -1, 0)]))
}

/// `IPC_INFO` reports Linux's default limits: `semmsl` 32000, `semopm` 500, `semvmx`
/// 32767, `semaem` 32767.
fn semctl_ipc_info_limits() -> Check {
    let _set = SemaphoreSet::private(1)?;
    let mut info: Status = [0; STATUS_WORDS];
    step("semctl(0, IPC_INFO)", sysv::semctl_status(0, IPC_INFO, &mut info))?;
    let got = (info[4], info[5], info[8], info[9]);
    ensure(got == (32000, 500, 32767, 32767), || {
        format!("semmsl, semopm, semvmx, semaem {got:?}; expected (32000, 500, 32767, 32767)")
    })
}

/// Another user, even with read and write permission, may not remove a set it neither
/// owns nor created (`EPERM`).
fn semctl_other_user_rmid_eperm() -> Check {
    let key = fresh_key(28);
    let set = SemaphoreSet::create(key, 1, IPC_CREAT | 0o666)?;
    Child::spawn("sem-remove-as-other", &[&key.to_string()])?.returns(Err(Errno::Eperm))?;
    set.expect(0, VALUE, 0)
}

/// Operations apply in order, each checked: at `SEMVMX`, +1 then -1 fails with `ERANGE`
/// (the value would pass `SEMVMX` on the way) while -1 then +1 succeeds.
fn semop_intermediate_above_semvmx_erange() -> Check {
    let set = SemaphoreSet::private(1)?;
    set.set_value(0, SEMVMX)?;
    fails_with(
        "semop(+1, -1) at SEMVMX",
        set.operate(&[operation(0, 1, 0), operation(0, -1, 0)]),
        Errno::Erange,
    )?;
    step("semop(-1, +1) at SEMVMX", set.operate(&[operation(0, -1, 0), operation(0, 1, 0)]))?;
    set.expect(0, VALUE, i64::from(SEMVMX))
}

/// `SETVAL` wakes the waiters it satisfies: a child waiting for zero and one waiting to
/// decrement by 2.
fn semctl_setval_wakes_waiters() -> Check {
    let set = SemaphoreSet::private(2)?;
    set.set_value(0, 1)?;
    let mut zero_waiter = set.child_operation(0, 0, 0)?;
    let mut decrementer = set.child_operation(1, -2, 0)?;
    set.becomes(0, WAITING_FOR_ZERO, 1)?;
    set.becomes(1, WAITING_FOR_INCREASE, 1)?;
    set.set_value(0, 0)?;
    zero_waiter.returns(Ok(()))?;
    set.set_value(1, 2)?;
    decrementer.returns(Ok(()))?;
    set.expect(1, VALUE, 0)
}

/// An undo that would take a value below 0 at exit stops at 0: a killed child that added
/// 2 with `SEM_UNDO` after the case took both leaves 0, not -2.
fn sem_undo_clamped_at_zero() -> Check {
    let set = SemaphoreSet::private(1)?;
    let mut holder = set.child_hold(0, 2, SEM_UNDO)?;
    set.expect(0, VALUE, 2)?;
    step("semop(-2)", set.operate(&[operation(0, -2, 0)]))?;
    holder.signal(SIGKILL)?;
    holder.killed_by(SIGKILL)?;
    set.expect(0, VALUE, 0)?;
    step("semop(+1) after the undo", set.operate(&[operation(0, 1, 0)]))?;
    set.expect(0, VALUE, 1)
}
