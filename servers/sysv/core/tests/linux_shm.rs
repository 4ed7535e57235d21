//! Differential test: the same sequences of `shmget`, `shmat`, `shmdt` and `shmctl`
//! (`IPC_STAT`, `IPC_SET`, `IPC_RMID`, `SHM_LOCK`, `SHM_UNLOCK`, and in a fresh namespace
//! `IPC_INFO`, `SHM_INFO` and `SHM_STAT`) applied to the host's Linux kernel through the C
//! library (real attachments in this process) and to [`SharedMemory`] must give the same
//! results and errno and the same status of every segment: sizes, modes with `SHM_DEST`
//! and `SHM_LOCKED`, attachment counts, pids and times.
//!
//! Every caller is this process, playing several users (see `host`); a detach undoes the
//! segment's latest attachment, or, when the process has none, asks the host to detach an
//! address where nothing is attached. Every host attachment is detached and every host
//! segment removed at the end by a guard, even when a comparison fails. Sizes stay small
//! or invalid: a host would refuse a huge segment with `ENOMEM` for lack of memory, which
//! the core leaves to the server's memory objects.

#![cfg(target_os = "linux")]

mod host;

use std::ffi::{c_int, c_long, c_ulong, c_void};

use courier_sysv_core::Errno;
use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, Id, Key};
use courier_sysv_core::shm::{
    Attachment, PAGE_SIZE, SHM_EXEC, SHM_RDONLY, SHMMAX, SegmentStatus, SharedMemory,
};
use host::{CAP_IPC_OWNER, CAP_SYS_ADMIN, Host, Who, last_errno, now, result_of, same_time};
use proptest::prelude::*;

/// The capability that lets root lock any segment (`linux/capability.h`).
const CAP_IPC_LOCK: u32 = 14;

/// `shmctl` commands the C library's crate does not name.
const SHM_LOCK: c_int = 11;
const SHM_UNLOCK: c_int = 12;
const SHM_STAT: c_int = 13;
const SHM_INFO: c_int = 14;

/// An address where this process never has anything attached.
const NOTHING_ATTACHED: usize = 4096;

/// One step, applied to both sides.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `shmget` of no key (0) or of one of the test's three keys.
    Get {
        key: usize,
        size: u64,
        create: bool,
        exclusive: bool,
        mode: u32,
        who: Who,
    },
    Attach {
        segment: usize,
        flags: i32,
        who: Who,
    },
    Detach {
        segment: usize,
        who: Who,
    },
    Status {
        segment: usize,
        who: Who,
    },
    Set {
        segment: usize,
        who: Who,
        owner: Who,
        mode: u32,
    },
    Remove {
        segment: usize,
        who: Who,
    },
    Lock {
        segment: usize,
        who: Who,
        lock: bool,
    },
    /// `IPC_INFO`, `SHM_INFO` and `SHM_STAT` of every slot up to the highest (compared in a
    /// fresh namespace only, where the host has nothing else).
    Info,
}

/// `struct shm_info` (`linux/shm.h`).
#[repr(C)]
#[derive(Clone, Copy)]
struct UsageInfo {
    used_ids: c_int,
    shm_tot: c_ulong,
    shm_rss: c_ulong,
    shm_swp: c_ulong,
    swap_attempts: c_ulong,
    swap_successes: c_ulong,
}

/// A zeroed `struct shmid_ds`.
fn empty_status() -> libc::shmid_ds {
    // SAFETY: `shmid_ds` is plain integers, for which all zero bits is a value.
    unsafe { std::mem::zeroed() }
}

/// The host's side: its attachments are detached and its segments removed when it is
/// dropped.
struct HostSegments {
    host: Host,
    created: Vec<c_int>,
    /// (host id, address) of every attachment, oldest first.
    attached: Vec<(c_int, usize)>,
}

impl Drop for HostSegments {
    fn drop(&mut self) {
        self.host.restore();
        for &(_, address) in &self.attached {
            // SAFETY: `address` is where `shmat` attached a segment that is still attached;
            // nothing in this test refers to that memory.
            unsafe { libc::shmdt(address as *const c_void) };
        }
        for &id in &self.created {
            // SAFETY: `IPC_RMID` reads no buffer.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

impl HostSegments {
    fn get(&mut self, key: Key, size: u64, flags: i32) -> Result<Id, Errno> {
        let size = usize::try_from(size).expect("a 64-bit size_t");
        // SAFETY: `shmget` takes integers only.
        let id = result_of(c_long::from(unsafe { libc::shmget(key, size, flags) }))? as Id;
        if !self.created.contains(&id) {
            self.created.push(id);
        }
        Ok(id)
    }

    fn attach(&mut self, id: Id, flags: i32) -> Result<(), Errno> {
        // SAFETY: the kernel chooses the address (null asks it to); the mapping is new and
        // nothing else in this process uses it.
        let address = unsafe { libc::shmat(id, std::ptr::null(), flags) };
        if address as isize == -1 {
            return Err(last_errno());
        }
        self.attached.push((id, address as usize));
        Ok(())
    }

    /// Detaches the latest attachment of `id`, or an address with nothing attached.
    fn detach(&mut self, id: Id) -> Result<(), Errno> {
        let latest = self.attached.iter().rposition(|&(attached, _)| attached == id);
        let address = latest.map_or(NOTHING_ATTACHED, |index| self.attached.remove(index).1);
        // SAFETY: `address` is an attachment made by `attach` that nothing refers to (and
        // forgotten here), or an address where nothing is mapped.
        let value = unsafe { libc::shmdt(address as *const c_void) };
        result_of(c_long::from(value)).map(|_| ())
    }

    fn control(id: c_int, command: c_int, status: &mut libc::shmid_ds) -> Result<c_int, Errno> {
        // SAFETY: `status` is a whole `shmid_ds` (larger than `shminfo64` and `shm_info`
        // too), valid for reads and writes and borrowed mutably for the duration of the call.
        let value = unsafe { libc::shmctl(id, command, status) };
        result_of(c_long::from(value)).map(|value| value as c_int)
    }

    fn status(id: Id) -> Result<libc::shmid_ds, Errno> {
        let mut status = empty_status();
        HostSegments::control(id, libc::IPC_STAT, &mut status).map(|_| status)
    }

    fn set(id: Id, uid: u32, gid: u32, mode: u32) -> Result<(), Errno> {
        let mut status = empty_status();
        status.shm_perm.uid = uid;
        status.shm_perm.gid = gid;
        status.shm_perm.mode = mode as u16;
        HostSegments::control(id, libc::IPC_SET, &mut status).map(|_| ())
    }

    /// `IPC_INFO`: the highest slot and the fields of `struct shminfo64` (the fifth is 0).
    fn limits() -> Result<(c_int, [u64; 6]), Errno> {
        let mut status = empty_status();
        let highest = HostSegments::control(0, libc::IPC_INFO, &mut status)?;
        let pointer = (&raw const status).cast::<[c_ulong; 5]>();
        // SAFETY: the kernel wrote a `struct shminfo64`, which starts with five `unsigned
        // long`s, at the start of `status`, which is larger; `read_unaligned` needs no
        // alignment.
        let fields = unsafe { pointer.read_unaligned() };
        Ok((highest, [fields[0], fields[1], fields[2], fields[3], fields[4], 0]))
    }

    /// `SHM_INFO`: the highest slot and the segments and pages in use.
    fn usage() -> Result<(c_int, UsageInfo), Errno> {
        let mut status = empty_status();
        let highest = HostSegments::control(0, SHM_INFO, &mut status)?;
        let pointer = (&raw const status).cast::<UsageInfo>();
        // SAFETY: the kernel wrote a `struct shm_info` at the start of `status`, which is
        // larger; `read_unaligned` needs no alignment.
        Ok((highest, unsafe { pointer.read_unaligned() }))
    }
}

/// The first difference between the host's status and the core's.
fn compare_status(
    host: &libc::shmid_ds,
    core: &SegmentStatus,
    sequences: bool,
) -> Result<(), String> {
    let permissions = &core.permissions;
    let fields = [
        ("key", i64::from(host.shm_perm.__key), i64::from(permissions.key)),
        ("uid", i64::from(host.shm_perm.uid), i64::from(permissions.uid)),
        ("gid", i64::from(host.shm_perm.gid), i64::from(permissions.gid)),
        ("cuid", i64::from(host.shm_perm.cuid), i64::from(permissions.cuid)),
        ("cgid", i64::from(host.shm_perm.cgid), i64::from(permissions.cgid)),
        ("mode", i64::from(host.shm_perm.mode), i64::from(permissions.mode)),
        ("segsz", host.shm_segsz as i64, core.size as i64),
        ("cpid", i64::from(host.shm_cpid), i64::from(core.cpid)),
        ("lpid", i64::from(host.shm_lpid), i64::from(core.lpid)),
        ("nattch", host.shm_nattch as i64, core.nattch as i64),
    ];
    for (name, host, core) in fields {
        if host != core {
            return Err(format!("{name}: host {host}, core {core}"));
        }
    }
    if sequences && u32::from(host.shm_perm.__seq) != permissions.sequence {
        return Err(format!(
            "sequence: host {}, core {}",
            host.shm_perm.__seq, permissions.sequence
        ));
    }
    let times = [
        ("atime", host.shm_atime as u64, core.atime),
        ("dtime", host.shm_dtime as u64, core.dtime),
        ("ctime", host.shm_ctime as u64, core.ctime),
    ];
    for (name, host, core) in times {
        if !same_time(host, core) {
            return Err(format!("{name}: host {host}, core {core}"));
        }
    }
    Ok(())
}

/// Applies `steps` to the host and the core; the first difference is an error naming the
/// step.
fn compare(steps: &[Step], seed: u64) -> Result<(), String> {
    let Some(host) = Host::enter(&[CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_ADMIN]) else {
        return Ok(());
    };
    let keys = host.keys(seed);
    let mut side = HostSegments { host, created: Vec::new(), attached: Vec::new() };
    let mut core = SharedMemory::<u64>::new();
    let mut next_object = 0_u64;
    // Every (core id, host id, memory object) made, removed ones included.
    let mut segments: Vec<(Id, Id, u64)> = Vec::new();
    for (index, &step) in steps.iter().enumerate() {
        let fail = |message: String| format!("step {index} {step:?}: {message}");
        let segment = |which: usize| {
            segments.get(which % (segments.len() + 1)).copied().unwrap_or((-1, -1, 0))
        };
        let time = now();
        match step {
            Step::Get { key, size, create, exclusive, mode, who } => {
                let key = if key == 0 { IPC_PRIVATE } else { keys[(key - 1) % keys.len()] };
                let flags = mode as i32
                    | if create { IPC_CREAT } else { 0 }
                    | if exclusive { IPC_EXCL } else { 0 };
                side.host.become_caller(who);
                let expected = side.get(key, size, flags);
                side.host.restore();
                let credentials = side.host.credentials(who);
                let mut made = None;
                let result = core.get(key, size, flags, &credentials, time, |bytes| {
                    next_object += 1;
                    made = Some((next_object, bytes));
                    Ok(next_object)
                });
                match (expected, result) {
                    (Ok(host_id), Ok(core_id)) => {
                        if side.host.fresh_namespace && host_id != core_id {
                            return Err(fail(format!("ids: host {host_id}, core {core_id}")));
                        }
                        match (segments.iter().find(|(core, _, _)| *core == core_id), made) {
                            (Some(&(_, known, _)), None) if known == host_id => {}
                            (None, Some((object, bytes))) => {
                                if bytes != size.div_ceil(PAGE_SIZE) * PAGE_SIZE {
                                    return Err(fail(format!("object of {bytes} bytes")));
                                }
                                segments.push((core_id, host_id, object));
                            }
                            (found, made) => {
                                return Err(fail(format!("host {host_id}: {found:?}, {made:?}")));
                            }
                        }
                    }
                    (expected, result) if expected.err() == result.err() => {}
                    (expected, result) => {
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Attach { segment: which, flags, who } => {
                let (core_id, host_id, object) = segment(which);
                side.host.become_caller(who);
                let expected = side.attach(host_id, flags);
                side.host.restore();
                let result = core.attach(core_id, flags, &side.host.credentials(who), time);
                match (expected, result) {
                    (Ok(()), Ok(attachment)) => {
                        let size = core.status(core_id, &side.host.credentials(Who::Root));
                        let wanted = Attachment {
                            object,
                            size: size.map_or(0, |status| status.size),
                            writable: flags & SHM_RDONLY == 0,
                            executable: flags & SHM_EXEC != 0,
                        };
                        if attachment != wanted {
                            return Err(fail(format!("{attachment:?}, not {wanted:?}")));
                        }
                    }
                    (Err(expected), Err(error)) if expected == error => {}
                    (expected, result) => {
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Detach { segment: which, who } => {
                let (core_id, host_id, object) = segment(which);
                side.host.become_caller(who);
                let expected = side.detach(host_id);
                side.host.restore();
                let result = core.detach(core_id, side.host.credentials(who).pid, time);
                match (expected, result) {
                    (Ok(()), Ok(None)) => {}
                    (Ok(()), Ok(Some(destroyed))) if destroyed == object => {}
                    (Err(expected), Err(error)) if expected == error => {}
                    (expected, result) => {
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Status { segment: which, who } => {
                let (core_id, host_id, _) = segment(which);
                side.host.become_caller(who);
                let expected = HostSegments::status(host_id);
                side.host.restore();
                match (expected, core.status(core_id, &side.host.credentials(who))) {
                    (Ok(host), Ok(core)) => {
                        compare_status(&host, &core, side.host.fresh_namespace).map_err(&fail)?;
                    }
                    (Err(expected), Err(error)) if expected == error => {}
                    (expected, result) => {
                        let expected = expected.map(|_| ());
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Set { segment: which, who, owner, mode } => {
                let (core_id, host_id, _) = segment(which);
                let owner = side.host.credentials(owner);
                side.host.become_caller(who);
                let expected = HostSegments::set(host_id, owner.uid, owner.gid, mode);
                side.host.restore();
                let credentials = side.host.credentials(who);
                let result = core.set(core_id, &credentials, owner.uid, owner.gid, mode, time);
                if result != expected {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Remove { segment: which, who } => {
                let (core_id, host_id, object) = segment(which);
                side.host.become_caller(who);
                let expected = HostSegments::control(host_id, libc::IPC_RMID, &mut empty_status());
                side.host.restore();
                match (expected, core.remove(core_id, &side.host.credentials(who))) {
                    (Ok(_), Ok(None)) => {}
                    (Ok(_), Ok(Some(destroyed))) if destroyed == object => {}
                    (Err(expected), Err(error)) if expected == error => {}
                    (expected, result) => {
                        return Err(fail(format!("host {expected:?}, core {result:?}")));
                    }
                }
            }
            Step::Lock { segment: which, who, lock } => {
                let (core_id, host_id, _) = segment(which);
                let command = if lock { SHM_LOCK } else { SHM_UNLOCK };
                side.host.become_caller(who);
                let expected = HostSegments::control(host_id, command, &mut empty_status());
                side.host.restore();
                let result = core.lock(core_id, &side.host.credentials(who), lock);
                if result != expected.map(|_| ()) {
                    return Err(fail(format!("host {expected:?}, core {result:?}")));
                }
            }
            Step::Info => {
                if !side.host.fresh_namespace {
                    continue;
                }
                let (info, highest) = core.info();
                let highest = highest.unwrap_or(0) as c_int;
                let limits = HostSegments::limits().map_err(|error| fail(format!("{error:?}")))?;
                if limits != (highest, info.fields(false)) {
                    let core = (highest, info.fields(false));
                    return Err(fail(format!("IPC_INFO: host {limits:?}, core {core:?}")));
                }
                let (host_highest, usage) =
                    HostSegments::usage().map_err(|error| fail(format!("{error:?}")))?;
                let host_usage = [usage.used_ids as u64, usage.shm_tot];
                if (host_highest, host_usage)
                    != (highest, [info.fields(true)[0], info.fields(true)[1]])
                {
                    return Err(fail(format!(
                        "SHM_INFO: host {host_highest} {host_usage:?}, core {highest} {:?}",
                        info.fields(true)
                    )));
                }
                let swap = [usage.swap_attempts, usage.swap_successes];
                if swap != [0, 0] || usage.shm_rss > usage.shm_tot || usage.shm_swp > usage.shm_tot
                {
                    return Err(fail(format!(
                        "SHM_INFO: rss {}, swap {}, swap attempts {swap:?}",
                        usage.shm_rss, usage.shm_swp
                    )));
                }
                for slot in 0..=highest as usize + 1 {
                    let root = side.host.credentials(Who::Root);
                    let mut status = empty_status();
                    let expected = HostSegments::control(slot as c_int, SHM_STAT, &mut status);
                    match (expected, core.status_by_slot(slot, &root)) {
                        (Ok(host_id), Ok((core_id, core))) if host_id == core_id => {
                            compare_status(&status, &core, true).map_err(&fail)?;
                        }
                        (Err(expected), Err(error)) if expected == error => {}
                        (expected, result) => {
                            let result = result.map(|(id, _)| id);
                            return Err(fail(format!(
                                "slot {slot}: host {expected:?}, core {result:?}"
                            )));
                        }
                    }
                }
            }
        }
        // Every segment the core knows agrees with the host's, as root sees it.
        let root = side.host.credentials(Who::Root);
        let sequences = side.host.fresh_namespace;
        host::same_objects(
            "segment",
            segments.iter().map(|&(core_id, host_id, _)| (core_id, host_id)),
            HostSegments::status,
            |id| core.status(id, &root),
            |host, core| compare_status(host, core, sequences),
        )
        .map_err(fail)?;
    }
    Ok(())
}

fn run(steps: &[Step]) {
    host::run(compare(steps, 0));
}

#[test]
fn sizes_match_linux() {
    let who = Who::Owner;
    let get =
        |key, size, create, exclusive| Step::Get { key, size, create, exclusive, mode: 0o640, who };
    run(&[
        get(0, 0, true, false),
        get(0, SHMMAX + 1, true, false),
        get(0, u64::MAX, true, false),
        get(1, 5000, false, false),
        get(1, 5000, true, false),
        get(1, 5000, true, true),
        get(1, 5001, false, false),
        get(1, 0, false, false),
        get(1, 4096, false, false),
        Step::Get {
            key: 1,
            size: 6000,
            create: false,
            exclusive: false,
            mode: 0o600,
            who: Who::Other,
        },
        Step::Get {
            key: 1,
            size: 100,
            create: false,
            exclusive: false,
            mode: 0o600,
            who: Who::Other,
        },
        Step::Get {
            key: 1,
            size: 100,
            create: false,
            exclusive: false,
            mode: 0o040,
            who: Who::Member,
        },
        get(0, 1, true, false),
        get(0, 4096, true, false),
        get(0, 4097, true, false),
        Step::Info,
    ]);
}

#[test]
fn attachments_and_removal_match_linux() {
    let who = Who::Owner;
    run(&[
        Step::Get { key: 1, size: 10_000, create: true, exclusive: false, mode: 0o640, who },
        Step::Attach { segment: 0, flags: 0, who },
        Step::Attach { segment: 0, flags: SHM_RDONLY, who: Who::Member },
        Step::Attach { segment: 0, flags: 0, who: Who::Member },
        Step::Attach { segment: 0, flags: SHM_RDONLY, who: Who::Other },
        Step::Attach { segment: 0, flags: SHM_EXEC, who },
        Step::Attach { segment: 0, flags: SHM_EXEC | SHM_RDONLY, who: Who::Root },
        Step::Status { segment: 0, who: Who::Member },
        Step::Detach { segment: 0, who },
        Step::Remove { segment: 0, who: Who::Other },
        Step::Remove { segment: 0, who },
        Step::Get { key: 1, size: 1, create: false, exclusive: false, mode: 0, who },
        Step::Get { key: 1, size: 1, create: true, exclusive: true, mode: 0o600, who },
        Step::Attach { segment: 0, flags: 0, who },
        Step::Set { segment: 0, who, owner: Who::Member, mode: 0o660 },
        Step::Lock { segment: 0, who: Who::Other, lock: true },
        Step::Lock { segment: 0, who: Who::Member, lock: true },
        Step::Lock { segment: 0, who, lock: true },
        Step::Status { segment: 0, who: Who::Member },
        Step::Info,
        Step::Detach { segment: 0, who },
        Step::Detach { segment: 0, who },
        Step::Detach { segment: 0, who },
        Step::Detach { segment: 0, who },
        Step::Status { segment: 0, who },
        Step::Attach { segment: 0, flags: 0, who },
        Step::Remove { segment: 1, who },
        Step::Info,
    ]);
}

#[test]
fn ids_cycle_and_reuse_slots_as_on_linux() {
    let mut steps = Vec::new();
    for round in 0..70 {
        steps.push(Step::Get {
            key: 0,
            size: 1,
            create: true,
            exclusive: false,
            mode: 0o600,
            who: Who::Owner,
        });
        if round % 4 != 0 {
            steps.push(Step::Remove { segment: round, who: Who::Owner });
        }
    }
    steps.push(Step::Info);
    run(&steps);
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![3 => Just(Who::Owner), 1 => Just(Who::Root), 1 => Just(Who::Other), 1 => Just(Who::Member)]
}

fn step() -> impl Strategy<Value = Step> {
    let mode = prop::sample::select(vec![
        0o600, 0o644, 0o660, 0o666, 0o640, 0o000, 0o700, 0o755, 0o711, 0o604,
    ]);
    let size = prop::sample::select(vec![0, 1, 100, 4095, 4096, 4097, 10_000, 65_536, SHMMAX + 1]);
    let flags = prop::sample::select(vec![0, 0, SHM_RDONLY, SHM_EXEC, SHM_RDONLY | SHM_EXEC]);
    prop_oneof![
        3 => (0..4_usize, size, any::<bool>(), any::<bool>(), mode.clone(), who()).prop_map(|(key, size, create, exclusive, mode, who)| Step::Get { key, size, create: create || key == 0, exclusive, mode, who }),
        6 => (any::<usize>(), flags, who()).prop_map(|(segment, flags, who)| Step::Attach { segment, flags, who }),
        5 => (any::<usize>(), who()).prop_map(|(segment, who)| Step::Detach { segment, who }),
        2 => (any::<usize>(), who()).prop_map(|(segment, who)| Step::Status { segment, who }),
        2 => (any::<usize>(), who(), who(), mode).prop_map(|(segment, who, owner, mode)| Step::Set { segment, who, owner, mode }),
        2 => (any::<usize>(), who()).prop_map(|(segment, who)| Step::Remove { segment, who }),
        1 => (any::<usize>(), who(), any::<bool>()).prop_map(|(segment, who, lock)| Step::Lock { segment, who, lock }),
        1 => Just(Step::Info),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_match_linux(steps in prop::collection::vec(step(), 1..60), seed in any::<u64>()) {
        compare(&steps, seed).map_err(TestCaseError::fail)?;
    }
}
