//! Differential tests of the semaphore core against the host's Linux kernel: the same
//! calls made with `semget`, `semtimedop` and `semctl` through libc and to
//! [`Semaphores`], which must answer alike (ids are compared through a mapping, times
//! within a second).
//!
//! - `random_calls_match_linux`: random sequences of `semget` (private and keyed),
//!   `semtimedop` (several operations at once, `IPC_NOWAIT`, `SEM_UNDO`, `ERANGE`, `EFBIG`,
//!   `E2BIG`), and `semctl` `GETVAL`, `SETVAL`, `GETALL`, `SETALL`, `GETPID`, `GETNCNT`,
//!   `GETZCNT`, `IPC_STAT`, `IPC_SET` and `IPC_RMID` by this process. Its `semtimedop`
//!   has a zero time-out, so a call that would wait comes back at once with `EAGAIN`,
//!   which the core must match with [`Semaphores::operate`] answering `Blocked` and
//!   [`Semaphores::time_out`].
//! - `another_users_calls_match_linux` (as root only): a forked child that becomes
//!   uid/gid 1000 makes a fixed list of calls on sets with various modes and owners, so
//!   `EACCES`, `EPERM` and their order with `EINVAL`, `EFBIG` and `ERANGE` are compared.
//! - `undo_at_exit_matches_linux`: a forked child makes `SEM_UNDO` operations and exits,
//!   which must match [`Semaphores::process_exit`], clamping and waking a waiter included.
//! - `waiting_calls_match_linux`: random sequences in which forked children make `semop`
//!   calls that wait; after every step the values, `sempid`, `semncnt` and `semzcnt` are
//!   compared, and the children the core answers must be exactly those the kernel wakes,
//!   with the same results. Children are killed (as a caller that dies: forget, then
//!   process exit) or told to exit (their undo then wakes others), and removal answers the
//!   rest with `EIDRM`. (The order of the answers is not visible on the host; the unit and
//!   property tests check it.)
//!
//! Children make only system calls on memory prepared before the fork, arm `alarm` so
//! nothing outlives a hung test, and are killed and reaped by a guard; another guard
//! removes every host set a test made, even when an assertion fails. Without System V IPC
//! (`ENOSYS`) the tests print a note and pass; with kernel limits other than Linux's
//! defaults the random test is skipped.

#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::ffi::{c_int, c_long, c_void};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, Id, Key};
use courier_sysv_core::sem::{
    OperateOutcome, SEM_UNDO, SEMOPM, SemaphoreAnswer, SemaphoreOperation, Semaphores,
};
use courier_sysv_core::{Credentials, Errno};
use proptest::prelude::*;

/// How long a result or a waiter may take to show (they take microseconds; a mismatch
/// waits this long, so it is short to keep shrinking quick).
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
const CHILD_LIFETIME_SECONDS: u32 = 120;
const NOWAIT: i16 = IPC_NOWAIT as i16;

// ---------------------------------------------------------------------------------------
// The host's calls.

fn errno() -> Errno {
    let number = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    Errno::from_number(number).unwrap_or_else(|| panic!("unknown errno {number}"))
}

fn checked(value: c_int) -> Result<c_int, Errno> {
    if value == -1 { Err(errno()) } else { Ok(value) }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// This process's credentials, as the core sees a caller.
fn own_credentials() -> Credentials {
    // SAFETY: these calls only read the caller's ids.
    let (pid, uid, euid, gid, egid) = unsafe {
        (libc::getpid(), libc::getuid(), libc::geteuid(), libc::getgid(), libc::getegid())
    };
    Credentials { pid: u32::try_from(pid).unwrap(), uid, euid, gid, egid }
}

fn sembufs(operations: &[SemaphoreOperation]) -> Vec<libc::sembuf> {
    operations
        .iter()
        .map(|operation| libc::sembuf {
            sem_num: operation.number,
            sem_op: operation.operation,
            sem_flg: operation.flags,
        })
        .collect()
}

fn host_get(key: Key, nsems: i32, flags: i32) -> Result<c_int, Errno> {
    // SAFETY: semget takes plain integers.
    checked(unsafe { libc::semget(key, nsems, flags) })
}

/// The kernel's `struct __kernel_timespec`.
#[repr(C)]
struct KernelTimespec {
    seconds: i64,
    nanoseconds: i64,
}

/// `semtimedop` with a zero time-out: a call that would wait fails with `EAGAIN`.
fn host_operate(id: c_int, operations: &[SemaphoreOperation]) -> Result<(), Errno> {
    let mut buffer = sembufs(operations);
    let timeout = KernelTimespec { seconds: 0, nanoseconds: 0 };
    // SAFETY: `buffer` holds `buffer.len()` operations and `timeout` is a valid timespec;
    // both outlive the call. (With more than SEMOPM operations the kernel reads nothing.)
    let value = unsafe {
        libc::syscall(
            libc::SYS_semtimedop,
            c_long::from(id),
            buffer.as_mut_ptr(),
            buffer.len(),
            &raw const timeout,
        )
    };
    if value == -1 { Err(errno()) } else { Ok(()) }
}

/// `semctl` commands that take no argument: `GETVAL`, `GETPID`, `GETNCNT`, `GETZCNT`,
/// `IPC_RMID`.
fn host_control(id: c_int, number: c_int, command: c_int) -> Result<c_int, Errno> {
    // SAFETY: these commands read no fourth argument.
    checked(unsafe { libc::semctl(id, number, command) })
}

fn host_set_value(id: c_int, number: c_int, value: i32) -> Result<(), Errno> {
    // SETVAL's argument is a `union semun` whose int the kernel takes from the low bits.
    let argument = libc::c_ulong::from(value.cast_unsigned());
    // SAFETY: SETVAL reads its argument as an integer.
    checked(unsafe { libc::semctl(id, number, libc::SETVAL, argument) }).map(drop)
}

fn host_values(id: c_int, count: usize) -> Result<Vec<u16>, Errno> {
    let mut values = vec![0_u16; count.max(1)];
    // SAFETY: the kernel writes the set's count of values; `values` has room for `count`,
    // which the callers pass as the set's size (for a bad id the kernel writes nothing).
    checked(unsafe { libc::semctl(id, 0, libc::GETALL, values.as_mut_ptr()) })?;
    values.truncate(count);
    Ok(values)
}

fn host_set_values(id: c_int, values: &[u16]) -> Result<(), Errno> {
    let mut values = values.to_vec();
    values.push(0);
    // SAFETY: the kernel reads the set's count of values; callers pass exactly that many
    // (one more is there for a bad id, for which the kernel reads nothing).
    checked(unsafe { libc::semctl(id, 0, libc::SETALL, values.as_mut_ptr()) }).map(drop)
}

fn host_status(id: c_int) -> Result<libc::semid_ds, Errno> {
    // SAFETY: all-zero is a valid `semid_ds` (integers only).
    let mut status: libc::semid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: IPC_STAT writes one `semid_ds` to the pointer, a local that outlives the call.
    checked(unsafe { libc::semctl(id, 0, libc::IPC_STAT, &raw mut status) })?;
    Ok(status)
}

fn host_set(id: c_int, uid: u32, gid: u32, mode: u32) -> Result<(), Errno> {
    // SAFETY: all-zero is a valid `semid_ds` (integers only).
    let mut status: libc::semid_ds = unsafe { std::mem::zeroed() };
    status.sem_perm.uid = uid;
    status.sem_perm.gid = gid;
    status.sem_perm.mode = u16::try_from(mode & 0o7777).unwrap();
    // SAFETY: IPC_SET reads one `semid_ds` from the pointer, a local that outlives the call.
    checked(unsafe { libc::semctl(id, 0, libc::IPC_SET, &raw mut status) }).map(drop)
}

fn host_information() -> Result<libc::seminfo, Errno> {
    // SAFETY: all-zero is a valid `seminfo` (integers only).
    let mut information: libc::seminfo = unsafe { std::mem::zeroed() };
    // SAFETY: IPC_INFO writes one `seminfo` to the pointer, a local that outlives the call.
    checked(unsafe { libc::semctl(0, 0, libc::IPC_INFO, &raw mut information) })?;
    Ok(information)
}

/// Whether the host has System V semaphores; prints a note if not.
fn available() -> bool {
    match host_get(IPC_PRIVATE, 1, 0o600) {
        Ok(id) => {
            let _ = host_control(id, 0, libc::IPC_RMID);
            true
        }
        Err(error) => {
            println!("System V semaphores unavailable on this host ({error:?}); skipping");
            false
        }
    }
}

/// Whether the host's limits are Linux's defaults (the core's constants).
fn default_limits() -> bool {
    let text = std::fs::read_to_string("/proc/sys/kernel/sem").unwrap_or_default();
    let limits: Vec<&str> = text.split_whitespace().collect();
    if limits == ["32000", "1024000000", "500", "32000"] {
        true
    } else {
        println!("host semaphore limits {limits:?} are not Linux's defaults; skipping");
        false
    }
}

/// Keys no other test or run uses: this process's pid and a counter.
fn fresh_keys() -> [Key; 3] {
    static COUNTER: AtomicI32 = AtomicI32::new(0);
    // SAFETY: getpid only reads the caller's pid.
    let pid = unsafe { libc::getpid() };
    let base = 0x4000_0000
        | (pid & 0x3fff) << 16
        | (COUNTER.fetch_add(1, Ordering::Relaxed) & 0x3fff) << 2;
    let keys = [base + 1, base + 2, base + 3];
    for key in keys {
        // A leftover of an earlier run with the same pid: ours, so remove it.
        if let Ok(id) = host_get(key, 0, 0) {
            let _ = host_control(id, 0, libc::IPC_RMID);
        }
    }
    keys
}

/// Host sets to remove when a test ends, even by a panic.
#[derive(Default)]
struct HostSets(Vec<c_int>);

impl HostSets {
    fn add(&mut self, id: c_int) {
        if !self.0.contains(&id) {
            self.0.push(id);
        }
    }
}

impl Drop for HostSets {
    fn drop(&mut self) {
        for &id in &self.0 {
            let _ = host_control(id, 0, libc::IPC_RMID);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Children that make one `semop` each.

/// A forked child that makes one (possibly waiting) `semop`, writes its result, and exits
/// when told to (or is killed).
struct Child {
    pid: libc::pid_t,
    /// Read end of the pipe the child writes its result to.
    results: c_int,
    /// Write end of the pipe the child waits on before exiting.
    commands: c_int,
    reaped: bool,
}

fn pipe() -> [c_int; 2] {
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two descriptors.
    let value = unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(value, 0, "pipe2: {:?}", errno());
    ends
}

impl Child {
    fn spawn(id: c_int, operations: &[SemaphoreOperation]) -> Child {
        let results = pipe();
        let commands = pipe();
        let mut buffer = sembufs(operations);
        let count = buffer.len();
        // SAFETY: the child only makes system calls on memory prepared before the fork
        // (see `child_body`), and ends with `_exit`.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            child_body(id, &mut buffer, count, results[1], commands[0]);
        }
        assert!(pid > 0, "fork: {:?}", errno());
        // SAFETY: closing this process's copies of the child's ends.
        unsafe {
            libc::close(results[1]);
            libc::close(commands[0]);
        }
        Child { pid, results: results[0], commands: commands[1], reaped: false }
    }

    fn pid(&self) -> u32 {
        u32::try_from(self.pid).unwrap()
    }

    /// The child's result, if it comes within `timeout`.
    fn result(&self, timeout: Duration) -> Option<Result<(), Errno>> {
        let mut poll = libc::pollfd { fd: self.results, events: libc::POLLIN, revents: 0 };
        let milliseconds = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: one `pollfd`, a local that outlives the call.
        if unsafe { libc::poll(&raw mut poll, 1, milliseconds) } != 1 {
            return None;
        }
        let mut reply = [0_i64; 2];
        // SAFETY: `reply` has room for the 16 bytes read.
        let count = unsafe {
            libc::read(self.results, reply.as_mut_ptr().cast::<c_void>(), size_of_val(&reply))
        };
        if count.unsigned_abs() != size_of_val(&reply) {
            return None;
        }
        Some(match reply {
            [0, _] => Ok(()),
            [_, number] => Err(Errno::from_number(i32::try_from(number).unwrap()).unwrap()),
        })
    }

    /// Tells the child to exit and reaps it.
    fn release(&mut self) {
        let byte = 1_u8;
        // SAFETY: writes one byte from a local.
        unsafe { libc::write(self.commands, (&raw const byte).cast::<c_void>(), 1) };
        self.reap();
    }

    /// Kills the child and reaps it (its `exit_sem` has run when `waitpid` returns).
    fn kill(&mut self) {
        // SAFETY: kill takes plain integers; the pid is our unreaped child.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        self.reap();
    }

    fn reap(&mut self) {
        if self.reaped {
            return;
        }
        let mut status = 0;
        loop {
            // SAFETY: `status` is a local that outlives the call.
            let value = unsafe { libc::waitpid(self.pid, &raw mut status, 0) };
            if value != -1 || errno() != Errno::Eintr {
                break;
            }
        }
        self.reaped = true;
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
        }
        // SAFETY: closing descriptors this value owns.
        unsafe {
            libc::close(self.results);
            libc::close(self.commands);
        }
    }
}

/// What a child runs: `semop`, its result on `results`, then `_exit` once `commands` is
/// readable. Only system calls, on memory made before the fork.
fn child_body(
    id: c_int,
    buffer: &mut [libc::sembuf],
    count: usize,
    results: c_int,
    commands: c_int,
) -> ! {
    // SAFETY: plain system calls on `buffer` (this copy of the parent's), locals and the
    // inherited descriptors; `_exit` ends the child without unwinding into the test.
    unsafe {
        libc::alarm(CHILD_LIFETIME_SECONDS);
        let value = libc::semop(id, buffer.as_mut_ptr(), count);
        let number = if value == -1 { *libc::__errno_location() } else { 0 };
        let reply = [i64::from(value), i64::from(number)];
        libc::write(results, reply.as_ptr().cast::<c_void>(), size_of_val(&reply));
        let mut byte = 0_u8;
        libc::read(commands, (&raw mut byte).cast::<c_void>(), 1);
        libc::_exit(0)
    }
}

// ---------------------------------------------------------------------------------------
// Comparing state.

/// Semaphores of a set whose `sempid` and counts are compared one by one (values are all
/// compared through `GETALL`).
const PER_SEMAPHORE_CHECKS: usize = 6;

/// Compares one set's status, values, and the first semaphores' `sempid` and counts.
fn compare_set(semaphores: &Semaphores<usize>, core: Id, host: c_int, who: &Credentials) {
    let status = semaphores.status(core, who);
    compare_status(host_status(host), status);
    let Ok(status) = status else { return };
    let count = usize::try_from(status.nsems).unwrap();
    assert_eq!(host_values(host, count), semaphores.values(core, who), "GETALL of {core}");
    for number in 0..i32::try_from(count.min(PER_SEMAPHORE_CHECKS)).unwrap() {
        let expected =
            |value: Result<u32, Errno>| value.map(|value| c_int::try_from(value).unwrap());
        assert_eq!(
            host_control(host, number, libc::GETPID),
            expected(semaphores.last_pid(core, number, who))
        );
        assert_eq!(
            host_control(host, number, libc::GETNCNT),
            expected(semaphores.waiting_count(core, number, who)),
            "GETNCNT {number} of {core}"
        );
        assert_eq!(
            host_control(host, number, libc::GETZCNT),
            expected(semaphores.zero_waiting_count(core, number, who)),
            "GETZCNT {number} of {core}"
        );
    }
}

fn compare_status(
    host: Result<libc::semid_ds, Errno>,
    core: Result<courier_sysv_core::sem::SemaphoreSetStatus, Errno>,
) {
    let (host, core) = match (host, core) {
        (Ok(host), Ok(core)) => (host, core),
        (host, core) => {
            assert_eq!(host.map(drop), core.map(drop));
            return;
        }
    };
    let permissions = &host.sem_perm;
    assert_eq!(
        (permissions.__key, permissions.uid, permissions.gid, permissions.cuid, permissions.cgid),
        (
            core.permissions.key,
            core.permissions.uid,
            core.permissions.gid,
            core.permissions.cuid,
            core.permissions.cgid
        )
    );
    assert_eq!(u32::from(permissions.mode), core.permissions.mode);
    #[allow(clippy::useless_conversion, reason = "`c_ulong` is only `u64` on 64-bit hosts")]
    let nsems = u64::from(host.sem_nsems);
    assert_eq!(nsems, core.nsems);
    let otime = u64::try_from(host.sem_otime).unwrap();
    let ctime = u64::try_from(host.sem_ctime).unwrap();
    assert_eq!(otime == 0, core.otime == 0, "otime {otime} against {}", core.otime);
    assert!(otime.abs_diff(core.otime) <= 1, "otime {otime} against {}", core.otime);
    assert!(ctime.abs_diff(core.ctime) <= 1, "ctime {ctime} against {}", core.ctime);
}

/// The core's outcome as the host reports it (a call that would wait times out).
fn as_host_result(
    semaphores: &mut Semaphores<usize>,
    outcome: OperateOutcome<usize>,
    token: usize,
) -> Result<(), Errno> {
    match outcome {
        OperateOutcome::Done { answers } => {
            assert_eq!(answers, [], "nobody waits");
            Ok(())
        }
        OperateOutcome::Blocked => {
            let answer = semaphores.time_out(&token).expect("the waiter is there");
            assert_eq!(answer, SemaphoreAnswer { waiter: token, result: Err(Errno::Eagain) });
            Err(Errno::Eagain)
        }
        OperateOutcome::Failed(error) => Err(error),
    }
}

// ---------------------------------------------------------------------------------------
// Random calls by this process.

#[derive(Clone, Debug)]
enum Call {
    Get { key: usize, nsems: i32, flags: i32 },
    Operate { set: usize, operations: Vec<SemaphoreOperation> },
    TooMany { set: usize },
    GetValue { set: usize, number: i32 },
    GetPid { set: usize, number: i32 },
    GetWaiting { set: usize, number: i32, zero: bool },
    SetValue { set: usize, number: i32, value: i32 },
    GetAll { set: usize },
    SetAll { set: usize, values: Vec<u16> },
    Stat { set: usize },
    Set { set: usize, uid: usize, gid: usize, mode: u32 },
    Remove { set: usize },
}

fn operation() -> impl Strategy<Value = SemaphoreOperation> {
    let change = prop_oneof![
        6 => -2_i16..=2,
        1 => Just(32767_i16),
        1 => Just(-32767_i16),
        1 => Just(30000_i16),
    ];
    let flags = prop_oneof![Just(0_i16), Just(NOWAIT), Just(SEM_UNDO), Just(SEM_UNDO | NOWAIT)];
    (prop_oneof![8 => 0_u16..2, 2 => 2_u16..4, 1 => 4_u16..6], change, flags)
        .prop_map(|(number, operation, flags)| SemaphoreOperation { number, operation, flags })
}

fn call() -> impl Strategy<Value = Call> {
    let set = prop_oneof![12 => 0_usize..3, 1 => 3_usize..8];
    let number = prop_oneof![6 => 0_i32..3, 1 => Just(-1), 1 => 3_i32..6];
    let mode = prop_oneof![Just(0o600), Just(0o666), Just(0o400), Just(0), Just(0o1777)];
    let create = prop_oneof![Just(0), Just(IPC_CREAT), Just(IPC_CREAT | IPC_EXCL)];
    let nsems = prop_oneof![8 => -1_i32..=5, 1 => Just(32000), 1 => Just(32001)];
    let value = prop_oneof![6 => 0_i32..=3, 1 => Just(-1), 1 => Just(32767), 1 => Just(32768)];
    let stored = prop_oneof![6 => 0_u16..=3, 1 => Just(32767_u16), 1 => Just(32768_u16)];
    prop_oneof![
        4 => (0_usize..4, nsems, create, mode.clone())
            .prop_map(|(key, nsems, create, mode)| Call::Get { key, nsems, flags: create | mode }),
        12 => (set.clone(), prop::collection::vec(operation(), 1..=4))
            .prop_map(|(set, operations)| Call::Operate { set, operations }),
        1 => set.clone().prop_map(|set| Call::Operate { set, operations: Vec::new() }),
        1 => set.clone().prop_map(|set| Call::TooMany { set }),
        2 => (set.clone(), number.clone()).prop_map(|(set, number)| Call::GetValue { set, number }),
        1 => (set.clone(), number.clone()).prop_map(|(set, number)| Call::GetPid { set, number }),
        1 => (set.clone(), number.clone(), any::<bool>())
            .prop_map(|(set, number, zero)| Call::GetWaiting { set, number, zero }),
        3 => (set.clone(), number, value)
            .prop_map(|(set, number, value)| Call::SetValue { set, number, value }),
        1 => set.clone().prop_map(|set| Call::GetAll { set }),
        2 => (set.clone(), prop::collection::vec(stored, 5))
            .prop_map(|(set, values)| Call::SetAll { set, values }),
        1 => set.clone().prop_map(|set| Call::Stat { set }),
        1 => (set.clone(), 0_usize..3, 0_usize..3, mode)
            .prop_map(|(set, uid, gid, mode)| Call::Set { set, uid, gid, mode: mode.cast_unsigned() }),
        1 => set.prop_map(|set| Call::Remove { set }),
    ]
}

/// One pair of ids naming the same set (or both invalid), with the set's size.
#[derive(Clone, Copy, Debug)]
struct Pair {
    host: c_int,
    core: Id,
    size: usize,
}

fn random_calls(calls: Vec<Call>) {
    let me = own_credentials();
    let keys = fresh_keys();
    let mut host_sets = HostSets::default();
    let mut semaphores: Semaphores<usize> = Semaphores::new();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut live: BTreeMap<Id, c_int> = BTreeMap::new();
    let invalid = Pair { host: -1, core: -1, size: 1 };
    for (token, call) in calls.into_iter().enumerate() {
        let pair = |set: usize| pairs.get(set).copied().unwrap_or(invalid);
        match call {
            Call::Get { key, nsems, flags } => {
                let key = if key == 0 { IPC_PRIVATE } else { keys[key - 1] };
                let host = host_get(key, nsems, flags);
                let core = semaphores.get(key, nsems, flags, &me, now());
                match (host, core) {
                    (Ok(host), Ok(core)) => {
                        host_sets.add(host);
                        match live.get(&core) {
                            Some(&known) => {
                                assert_eq!(known, host, "semget {key} gave another set");
                            }
                            None => {
                                assert!(!live.values().any(|&known| known == host));
                                // A new set: made by this call, with `nsems` semaphores.
                                live.insert(core, host);
                                pairs.push(Pair {
                                    host,
                                    core,
                                    size: usize::try_from(nsems).unwrap(),
                                });
                            }
                        }
                    }
                    (host, core) => assert_eq!(
                        host.map(drop),
                        core.map(drop),
                        "semget({key}, {nsems}, {flags:o})"
                    ),
                }
            }
            Call::Operate { set, operations } => {
                let pair = pair(set);
                let host = host_operate(pair.host, &operations);
                let outcome = semaphores.operate(pair.core, &operations, &me, now(), token);
                let core = as_host_result(&mut semaphores, outcome, token);
                assert_eq!(host, core, "semop {operations:?}");
            }
            Call::TooMany { set } => {
                let pair = pair(set);
                let operations =
                    vec![SemaphoreOperation { number: 0, operation: 1, flags: 0 }; SEMOPM + 1];
                let host = host_operate(pair.host, &operations);
                let outcome = semaphores.operate(pair.core, &operations, &me, now(), token);
                assert_eq!(host, as_host_result(&mut semaphores, outcome, token));
                assert_eq!(host, Err(Errno::E2big));
            }
            Call::GetValue { set, number } => {
                let pair = pair(set);
                assert_eq!(
                    host_control(pair.host, number, libc::GETVAL),
                    semaphores.value(pair.core, number, &me)
                );
            }
            Call::GetPid { set, number } => {
                let pair = pair(set);
                let core = semaphores
                    .last_pid(pair.core, number, &me)
                    .map(|pid| c_int::try_from(pid).unwrap());
                assert_eq!(host_control(pair.host, number, libc::GETPID), core);
            }
            Call::GetWaiting { set, number, zero } => {
                let pair = pair(set);
                let (command, core) = if zero {
                    (libc::GETZCNT, semaphores.zero_waiting_count(pair.core, number, &me))
                } else {
                    (libc::GETNCNT, semaphores.waiting_count(pair.core, number, &me))
                };
                assert_eq!(
                    host_control(pair.host, number, command),
                    core.map(|count| c_int::try_from(count).unwrap())
                );
            }
            Call::SetValue { set, number, value } => {
                let pair = pair(set);
                let host = host_set_value(pair.host, number, value);
                let core = semaphores.set_value(pair.core, number, value, &me, now());
                assert_eq!(
                    host,
                    core.map(|answers| assert_eq!(answers, [])),
                    "SETVAL {number} {value}"
                );
            }
            Call::GetAll { set } => {
                let pair = pair(set);
                assert_eq!(host_values(pair.host, pair.size), semaphores.values(pair.core, &me));
            }
            Call::SetAll { set, values } => {
                let pair = pair(set);
                // Exactly one value for each semaphore (the kernel reads that many).
                let values: Vec<u16> = values.iter().copied().cycle().take(pair.size).collect();
                let host = host_set_values(pair.host, &values);
                let core = semaphores.set_values(pair.core, &values, &me, now());
                assert_eq!(host, core.map(|answers| assert_eq!(answers, [])), "SETALL {values:?}");
            }
            Call::Stat { set } => {
                let pair = pair(set);
                compare_status(host_status(pair.host), semaphores.status(pair.core, &me));
            }
            Call::Set { set, uid, gid, mode } => {
                let pair = pair(set);
                let uid = [me.euid, 1000, u32::MAX][uid];
                let gid = [me.egid, 1000, u32::MAX][gid];
                let host = host_set(pair.host, uid, gid, mode);
                assert_eq!(host, semaphores.set(pair.core, &me, uid, gid, mode, now()), "IPC_SET");
            }
            Call::Remove { set } => {
                let pair = pair(set);
                let host = host_control(pair.host, 0, libc::IPC_RMID).map(drop);
                let core = semaphores.remove(pair.core, &me).map(|answers| assert_eq!(answers, []));
                assert_eq!(host, core, "IPC_RMID");
                if host.is_ok() {
                    live.remove(&pair.core);
                }
            }
        }
        for (&core, &host) in &live {
            compare_set(&semaphores, core, host, &me);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_calls_match_linux(
        sets in prop::collection::vec((0_usize..4, 1_i32..=4), 1..=3),
        calls in prop::collection::vec(call(), 1..60),
    ) {
        if available() && default_limits() {
            let created = sets.into_iter().map(|(key, nsems)| Call::Get {
                key,
                nsems,
                flags: IPC_CREAT | 0o600,
            });
            random_calls(created.chain(calls).collect());
        }
    }
}

#[test]
fn information_matches_linux() {
    if !(available() && default_limits()) {
        return;
    }
    let host = host_information().unwrap();
    let (core, _) = Semaphores::<usize>::new().info();
    assert_eq!(
        [host.semmap, host.semmni, host.semmns, host.semmnu, host.semmsl],
        [core.semmap, core.semmni, core.semmns, core.semmnu, core.semmsl]
    );
    assert_eq!(
        [host.semopm, host.semume, host.semusz, host.semvmx, host.semaem],
        [core.semopm, core.semume, core.semusz, core.semvmx, core.semaem]
    );
}

// ---------------------------------------------------------------------------------------
// Another user's calls.

/// One call the unprivileged child makes, on set `set` of the prepared ones.
#[derive(Clone, Copy, Debug)]
enum Probe {
    Get { set: usize, nsems: i32, flags: i32 },
    Operate { set: usize, operations: [SemaphoreOperation; 2], count: usize },
    GetValue { set: usize, number: i32 },
    SetValue { set: usize, number: i32, value: i32 },
    GetAll { set: usize },
    SetAll { set: usize },
    GetPid { set: usize },
    GetWaiting { set: usize },
    Stat { set: usize },
    Set { set: usize, mode: u32 },
    Remove { set: usize },
}

const CHILD_IDS: u32 = 1000;

/// Makes `probe` on the host; the result as a number and an errno (no allocation).
fn host_probe(probe: Probe, ids: &[c_int], keys: &[Key], sizes: &[usize]) -> [i64; 2] {
    let result = |value: Result<c_int, Errno>| match value {
        Ok(value) => [i64::from(value), 0],
        Err(error) => [-1, error as i64],
    };
    match probe {
        Probe::Get { set, nsems, flags } => result(host_get(keys[set], nsems, flags)),
        Probe::Operate { set, operations, count } => {
            let mut buffer = [libc::sembuf { sem_num: 0, sem_op: 0, sem_flg: 0 }; 2];
            for (slot, operation) in buffer.iter_mut().zip(operations) {
                *slot = libc::sembuf {
                    sem_num: operation.number,
                    sem_op: operation.operation,
                    sem_flg: operation.flags,
                };
            }
            let timeout = KernelTimespec { seconds: 0, nanoseconds: 0 };
            // SAFETY: `buffer` holds at least `count` operations; `timeout` is valid; both
            // outlive the call.
            let value = unsafe {
                libc::syscall(
                    libc::SYS_semtimedop,
                    c_long::from(ids[set]),
                    buffer.as_mut_ptr(),
                    count,
                    &raw const timeout,
                )
            };
            result(if value == -1 { Err(errno()) } else { Ok(0) })
        }
        Probe::GetValue { set, number } => result(host_control(ids[set], number, libc::GETVAL)),
        Probe::SetValue { set, number, value } => {
            let argument = libc::c_ulong::from(value.cast_unsigned());
            // SAFETY: SETVAL reads its argument as an integer.
            result(checked(unsafe { libc::semctl(ids[set], number, libc::SETVAL, argument) }))
        }
        Probe::GetAll { set } => {
            let mut values = [0_u16; 8];
            assert!(sizes[set] <= values.len());
            // SAFETY: the set has at most 8 semaphores; `values` has room for 8.
            result(checked(unsafe { libc::semctl(ids[set], 0, libc::GETALL, values.as_mut_ptr()) }))
        }
        Probe::SetAll { set } => {
            let mut values = [1_u16; 8];
            assert!(sizes[set] <= values.len());
            // SAFETY: the set has at most 8 semaphores; `values` holds 8.
            result(checked(unsafe { libc::semctl(ids[set], 0, libc::SETALL, values.as_mut_ptr()) }))
        }
        Probe::GetPid { set } => result(host_control(ids[set], 0, libc::GETPID)),
        Probe::GetWaiting { set } => result(host_control(ids[set], 0, libc::GETNCNT)),
        Probe::Stat { set } => {
            result(host_status(ids[set]).map(|status| c_int::from(status.sem_perm.mode)))
        }
        Probe::Set { set, mode } => {
            result(host_set(ids[set], CHILD_IDS, CHILD_IDS, mode).map(|()| 0))
        }
        Probe::Remove { set } => result(host_control(ids[set], 0, libc::IPC_RMID)),
    }
}

/// The same call on the core.
fn core_probe(
    probe: Probe,
    semaphores: &mut Semaphores<usize>,
    ids: &[Id],
    keys: &[Key],
    who: &Credentials,
) -> [i64; 2] {
    let result = |value: Result<i64, Errno>| match value {
        Ok(value) => [value, 0],
        Err(error) => [-1, error as i64],
    };
    let time = now();
    match probe {
        Probe::Get { set, nsems, flags } => {
            result(semaphores.get(keys[set], nsems, flags, who, time).map(i64::from))
        }
        Probe::Operate { set, operations, count } => {
            let outcome = semaphores.operate(ids[set], &operations[..count], who, time, 0);
            result(as_host_result(semaphores, outcome, 0).map(|()| 0))
        }
        Probe::GetValue { set, number } => {
            result(semaphores.value(ids[set], number, who).map(i64::from))
        }
        Probe::SetValue { set, number, value } => {
            result(semaphores.set_value(ids[set], number, value, who, time).map(|_| 0))
        }
        Probe::GetAll { set } => result(semaphores.values(ids[set], who).map(|_| 0)),
        Probe::SetAll { set } => {
            let size =
                semaphores.status(ids[set], &own_credentials()).map_or(1, |status| status.nsems);
            let values = vec![1; usize::try_from(size).unwrap()];
            result(semaphores.set_values(ids[set], &values, who, time).map(|_| 0))
        }
        Probe::GetPid { set } => result(semaphores.last_pid(ids[set], 0, who).map(i64::from)),
        Probe::GetWaiting { set } => {
            result(semaphores.waiting_count(ids[set], 0, who).map(i64::from))
        }
        Probe::Stat { set } => result(
            semaphores.status(ids[set], who).map(|status| i64::from(status.permissions.mode)),
        ),
        Probe::Set { set, mode } => {
            result(semaphores.set(ids[set], who, CHILD_IDS, CHILD_IDS, mode, time).map(|()| 0))
        }
        Probe::Remove { set } => result(semaphores.remove(ids[set], who).map(|_| 0)),
    }
}

#[test]
fn another_users_calls_match_linux() {
    if !available() {
        return;
    }
    let me = own_credentials();
    if me.euid != 0 {
        println!("not root: skipping the other user's calls");
        return;
    }
    let keys = fresh_keys();
    let mut host_sets = HostSets::default();
    let mut semaphores: Semaphores<usize> = Semaphores::new();
    // The sets: (mode, owner given to the child, group given to the child).
    let layout: [(u32, bool, bool); 6] = [
        (0o600, false, false),
        (0o604, false, false),
        (0o606, false, false),
        (0o660, false, true),
        (0o000, true, false),
        (0o602, false, false),
    ];
    let size = 2;
    let mut host_ids = Vec::new();
    let mut core_ids = Vec::new();
    let mut set_keys = Vec::new();
    for (index, &(mode, owner, group)) in layout.iter().enumerate() {
        let key = if index < keys.len() { keys[index] } else { IPC_PRIVATE };
        let flags = IPC_CREAT | IPC_EXCL | 0o600;
        let host = host_get(key, size, flags).unwrap();
        host_sets.add(host);
        let core = semaphores.get(key, size, flags, &me, now()).unwrap();
        host_set_values(host, &[3, 3]).unwrap();
        semaphores.set_values(core, &[3, 3], &me, now()).unwrap();
        let uid = if owner { CHILD_IDS } else { 0 };
        let gid = if group { CHILD_IDS } else { 0 };
        host_set(host, uid, gid, mode).unwrap();
        semaphores.set(core, &me, uid, gid, mode, now()).unwrap();
        host_ids.push(host);
        core_ids.push(core);
        set_keys.push(key);
    }
    let operation = |number, operation, flags| SemaphoreOperation { number, operation, flags };
    let mut probes = Vec::new();
    for set in 0..layout.len() {
        if set < keys.len() {
            probes.extend([
                Probe::Get { set, nsems: 0, flags: 0 },
                Probe::Get { set, nsems: 2, flags: 0o400 },
                Probe::Get { set, nsems: 0, flags: 0o200 },
                Probe::Get { set, nsems: 3, flags: 0o600 },
                Probe::Get { set, nsems: 1, flags: IPC_CREAT | IPC_EXCL | 0o600 },
            ]);
        }
        probes.extend([
            Probe::Operate {
                set,
                operations: [operation(0, 0, NOWAIT), operation(0, 0, 0)],
                count: 1,
            },
            Probe::Operate {
                set,
                operations: [operation(0, -1, SEM_UNDO), operation(0, 0, 0)],
                count: 1,
            },
            Probe::Operate { set, operations: [operation(0, 1, 0), operation(5, 1, 0)], count: 2 },
            Probe::Operate { set, operations: [operation(1, 0, 0), operation(0, 1, 0)], count: 2 },
            Probe::GetValue { set, number: 0 },
            Probe::GetValue { set, number: 9 },
            Probe::SetValue { set, number: 0, value: 2 },
            Probe::SetValue { set, number: 9, value: 2 },
            Probe::SetValue { set, number: 0, value: -1 },
            Probe::GetAll { set },
            Probe::SetAll { set },
            Probe::GetPid { set },
            Probe::GetWaiting { set },
            Probe::Stat { set },
            Probe::Set { set, mode: 0o640 },
            Probe::GetValue { set, number: 1 },
            Probe::Remove { set },
        ]);
    }
    let mut replies = vec![[0_i64; 2]; probes.len()];
    let results = pipe();
    let sizes = vec![2_usize; layout.len()];
    // SAFETY: the child only makes system calls on memory prepared before the fork
    // (`host_probe` does not allocate: its buffers are arrays) and ends with `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::alarm(CHILD_LIFETIME_SECONDS);
            let ready = libc::setgroups(0, std::ptr::null()) == 0
                && libc::setresgid(CHILD_IDS, CHILD_IDS, CHILD_IDS) == 0
                && libc::setresuid(CHILD_IDS, CHILD_IDS, CHILD_IDS) == 0;
            if !ready {
                libc::_exit(2);
            }
            let run = std::panic::AssertUnwindSafe(|| {
                for (reply, probe) in replies.iter_mut().zip(&probes) {
                    *reply = host_probe(*probe, &host_ids, &set_keys, &sizes);
                }
            });
            if std::panic::catch_unwind(run).is_err() {
                libc::_exit(3);
            }
            libc::write(
                results[1],
                replies.as_ptr().cast::<c_void>(),
                size_of_val(replies.as_slice()),
            );
            libc::_exit(0);
        }
    }
    assert!(pid > 0);
    let mut child = Child { pid, results: results[0], commands: results[1], reaped: false };
    let total = size_of_val(replies.as_slice());
    let base = replies.as_mut_ptr().cast::<u8>();
    let mut done = 0;
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while done < total && Instant::now() < deadline {
        let mut poll = libc::pollfd { fd: child.results, events: libc::POLLIN, revents: 0 };
        // SAFETY: one `pollfd`, a local; then a read into `replies` past what is done.
        let count = unsafe {
            if libc::poll(&raw mut poll, 1, 1000) != 1 {
                continue;
            }
            libc::read(child.results, base.add(done).cast::<c_void>(), total - done)
        };
        if count <= 0 {
            break;
        }
        done += count.unsigned_abs();
    }
    child.reap();
    assert_eq!(done, total, "the child answered every call");
    let who = Credentials {
        pid: child.pid(),
        uid: CHILD_IDS,
        euid: CHILD_IDS,
        gid: CHILD_IDS,
        egid: CHILD_IDS,
    };
    for (probe, host) in probes.iter().zip(&replies) {
        let core = core_probe(*probe, &mut semaphores, &core_ids, &set_keys, &who);
        let host = match (*probe, host) {
            // Ids are compared through the mapping.
            (Probe::Get { set, .. }, [value, 0]) => {
                assert_eq!(*value, i64::from(host_ids[set]));
                [i64::from(core_ids[set]), 0]
            }
            _ => *host,
        };
        assert_eq!(host, core, "{probe:?}");
    }
    // The child has exited: its undo entries (made even by calls that failed with EACCES
    // or EFBIG) set sem_otime of their sets.
    assert_eq!(semaphores.process_exit(child.pid(), now()), []);
    for (&core, &host) in core_ids.iter().zip(&host_ids) {
        if semaphores.status(core, &me).is_ok() {
            compare_set(&semaphores, core, host, &me);
        } else {
            assert_eq!(host_status(host).map(drop), Err(Errno::Einval));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Undo at exit.

/// Waits until the host set's waiters (each counts once in `semncnt` or `semzcnt` of one
/// semaphore) number `expected`.
fn wait_for_waiters(host: c_int, size: usize, expected: usize) {
    let deadline = Instant::now() + REPLY_TIMEOUT;
    loop {
        let mut total = 0;
        for number in 0..i32::try_from(size).unwrap() {
            for command in [libc::GETNCNT, libc::GETZCNT] {
                total += usize::try_from(host_control(host, number, command).unwrap()).unwrap();
            }
        }
        if total == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{total} waiters on the host, {expected} expected");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn undo_at_exit_matches_linux() {
    if !available() {
        return;
    }
    let me = own_credentials();
    let mut host_sets = HostSets::default();
    let mut semaphores: Semaphores<usize> = Semaphores::new();
    let host = host_get(IPC_PRIVATE, 4, 0o600).unwrap();
    host_sets.add(host);
    let core = semaphores.get(IPC_PRIVATE, 4, 0o600, &me, now()).unwrap();
    let initial = [10, 0, 5, 32767];
    host_set_values(host, &initial).unwrap();
    semaphores.set_values(core, &initial, &me, now()).unwrap();
    let operation = |number, operation, flags| SemaphoreOperation { number, operation, flags };
    // The child: sem0 -3, sem1 +4, sem2 +2, sem3 -1, all undone at its exit.
    let undone = [
        operation(0, -3, SEM_UNDO),
        operation(1, 4, SEM_UNDO),
        operation(2, 2, SEM_UNDO),
        operation(3, -1, SEM_UNDO),
    ];
    let mut child = Child::spawn(host, &undone);
    assert_eq!(child.result(REPLY_TIMEOUT), Some(Ok(())));
    let child_credentials = Credentials { pid: child.pid(), ..me };
    let outcome = semaphores.operate(core, &undone, &child_credentials, now(), 1);
    assert_eq!(outcome, OperateOutcome::Done { answers: vec![] });
    // Others move the values so that the undo must be clamped, and SETVAL clears one.
    let moves = [operation(1, -4, 0), operation(3, 1, 0)];
    host_operate(host, &moves).unwrap();
    assert_eq!(
        semaphores.operate(core, &moves, &me, now(), 0),
        OperateOutcome::Done { answers: vec![] }
    );
    host_set_value(host, 2, 7).unwrap();
    semaphores.set_value(core, 2, 7, &me, now()).unwrap();
    // A waiter that only the undo lets through.
    let waiting = [operation(0, -9, 0)];
    let waiter = Child::spawn(host, &waiting);
    let waiter_credentials = Credentials { pid: waiter.pid(), ..me };
    assert_eq!(
        semaphores.operate(core, &waiting, &waiter_credentials, now(), 2),
        OperateOutcome::Blocked
    );
    wait_for_waiters(host, 4, 1);
    compare_set(&semaphores, core, host, &me);
    child.release();
    let answers = semaphores.process_exit(child.pid(), now());
    assert_eq!(answers, [SemaphoreAnswer { waiter: 2, result: Ok(()) }]);
    assert_eq!(waiter.result(REPLY_TIMEOUT), Some(Ok(())));
    // sem0 7+3-9 = 1, sem1 0-4 clamped to 0, sem2 SETVAL's 7, sem3 32767+1 clamped.
    assert_eq!(semaphores.values(core, &me), Ok(vec![1, 0, 7, 32767]));
    compare_set(&semaphores, core, host, &me);
}

// ---------------------------------------------------------------------------------------
// Waiting calls by children.

#[derive(Clone, Debug)]
enum Action {
    /// A new child makes this `semop`, which may wait.
    Spawn(Vec<SemaphoreOperation>),
    /// This process makes this `semop` (a wait times out at once).
    Operate(Vec<SemaphoreOperation>),
    SetValue {
        number: i32,
        value: i32,
    },
    SetAll(Vec<u16>),
    /// Kills a waiting child (chosen by index among them).
    Kill(usize),
    /// Tells a child whose call is finished to exit.
    Release(usize),
}

fn waiting_operation(size: u16) -> impl Strategy<Value = SemaphoreOperation> {
    let change = prop_oneof![4 => Just(-1_i16), 3 => Just(1_i16), 2 => Just(0_i16), 1 => Just(-2_i16), 1 => Just(2_i16)];
    let flags = prop_oneof![6 => Just(0_i16), 3 => Just(SEM_UNDO), 1 => Just(NOWAIT)];
    (0..size, change, flags).prop_map(|(number, operation, flags)| SemaphoreOperation {
        number,
        operation,
        flags,
    })
}

fn action(size: u16) -> impl Strategy<Value = Action> {
    let operations = prop_oneof![
        3 => prop::collection::vec(waiting_operation(size), 1..=1),
        2 => prop::collection::vec(waiting_operation(size), 2..=3),
    ];
    prop_oneof![
        8 => operations.clone().prop_map(Action::Spawn),
        3 => operations.prop_map(Action::Operate),
        2 => (0..i32::from(size), 0_i32..=3).prop_map(|(number, value)| Action::SetValue { number, value }),
        1 => prop::collection::vec(0_u16..=3, usize::from(size)).prop_map(Action::SetAll),
        1 => any::<usize>().prop_map(Action::Kill),
        2 => any::<usize>().prop_map(Action::Release),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<u16>, Vec<Action>)> {
    (1_u16..=3).prop_flat_map(|size| {
        (
            prop::collection::vec(0_u16..=2, usize::from(size)),
            prop::collection::vec(action(size), 1..18),
        )
    })
}

/// A child with the core's view of it.
struct Tracked {
    child: Child,
    waiting: bool,
}

const MOST_CHILDREN: usize = 8;

/// Reads the results of the children the core answered and compares them.
fn check_answers(children: &mut [Tracked], answers: Vec<SemaphoreAnswer<usize>>) {
    for answer in answers {
        let tracked = &mut children[answer.waiter];
        assert!(tracked.waiting, "answer for a child that did not wait");
        tracked.waiting = false;
        assert_eq!(
            tracked.child.result(REPLY_TIMEOUT),
            Some(answer.result),
            "child {}",
            answer.waiter
        );
    }
}

fn waiting_calls(initial: Vec<u16>, actions: Vec<Action>) {
    let me = own_credentials();
    let mut host_sets = HostSets::default();
    let mut semaphores: Semaphores<usize> = Semaphores::new();
    let size = initial.len();
    let nsems = i32::try_from(size).unwrap();
    let host = host_get(IPC_PRIVATE, nsems, 0o600).unwrap();
    host_sets.add(host);
    let core = semaphores.get(IPC_PRIVATE, nsems, 0o600, &me, now()).unwrap();
    host_set_values(host, &initial).unwrap();
    semaphores.set_values(core, &initial, &me, now()).unwrap();
    let mut children: Vec<Tracked> = Vec::new();
    // Tokens past the children's are this process's calls.
    let mut next_own_token = 1_000_000;
    for action in actions {
        match action {
            Action::Spawn(operations) => {
                if children.iter().filter(|tracked| !tracked.child.reaped).count() >= MOST_CHILDREN
                {
                    continue;
                }
                let child = Child::spawn(host, &operations);
                let token = children.len();
                let who = Credentials { pid: child.pid(), ..me };
                children.push(Tracked { child, waiting: true });
                match semaphores.operate(core, &operations, &who, now(), token) {
                    OperateOutcome::Blocked => {
                        let waiting = children.iter().filter(|tracked| tracked.waiting).count();
                        wait_for_waiters(host, size, waiting);
                    }
                    OperateOutcome::Done { answers } => {
                        check_answers(
                            &mut children,
                            vec![SemaphoreAnswer { waiter: token, result: Ok(()) }],
                        );
                        check_answers(&mut children, answers);
                    }
                    OperateOutcome::Failed(error) => {
                        check_answers(
                            &mut children,
                            vec![SemaphoreAnswer { waiter: token, result: Err(error) }],
                        );
                    }
                }
            }
            Action::Operate(operations) => {
                let result = host_operate(host, &operations);
                let token = next_own_token;
                next_own_token += 1;
                match semaphores.operate(core, &operations, &me, now(), token) {
                    OperateOutcome::Blocked => {
                        assert_eq!(
                            semaphores.time_out(&token).map(|answer| answer.result),
                            Some(Err(Errno::Eagain))
                        );
                        assert_eq!(result, Err(Errno::Eagain));
                    }
                    OperateOutcome::Done { answers } => {
                        assert_eq!(result, Ok(()));
                        check_answers(&mut children, answers);
                    }
                    OperateOutcome::Failed(error) => assert_eq!(result, Err(error)),
                }
            }
            Action::SetValue { number, value } => {
                host_set_value(host, number, value).unwrap();
                let answers = semaphores.set_value(core, number, value, &me, now()).unwrap();
                check_answers(&mut children, answers);
            }
            Action::SetAll(values) => {
                host_set_values(host, &values).unwrap();
                let answers = semaphores.set_values(core, &values, &me, now()).unwrap();
                check_answers(&mut children, answers);
            }
            Action::Kill(choice) => {
                let waiting: Vec<usize> =
                    (0..children.len()).filter(|&index| children[index].waiting).collect();
                if waiting.is_empty() {
                    continue;
                }
                let token = waiting[choice % waiting.len()];
                children[token].child.kill();
                children[token].waiting = false;
                assert!(semaphores.forget(&token));
                let answers = semaphores.process_exit(children[token].child.pid(), now());
                check_answers(&mut children, answers);
            }
            Action::Release(choice) => {
                let finished: Vec<usize> = (0..children.len())
                    .filter(|&index| !children[index].waiting && !children[index].child.reaped)
                    .collect();
                if finished.is_empty() {
                    continue;
                }
                let token = finished[choice % finished.len()];
                children[token].child.release();
                let answers = semaphores.process_exit(children[token].child.pid(), now());
                check_answers(&mut children, answers);
            }
        }
        compare_set(&semaphores, core, host, &me);
        for tracked in &children {
            if tracked.waiting {
                assert_eq!(
                    tracked.child.result(Duration::ZERO),
                    None,
                    "a child the core keeps waiting finished"
                );
            }
        }
    }
    host_control(host, 0, libc::IPC_RMID).unwrap();
    let answers = semaphores.remove(core, &me).unwrap();
    assert!(answers.iter().all(|answer| answer.result == Err(Errno::Eidrm)));
    check_answers(&mut children, answers);
    assert!(children.iter().all(|tracked| !tracked.waiting));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 24, ..ProptestConfig::default() })]

    #[test]
    fn waiting_calls_match_linux((initial, actions) in scenario()) {
        if available() {
            waiting_calls(initial, actions);
        }
    }
}
