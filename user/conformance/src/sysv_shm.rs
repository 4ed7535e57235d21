//! Conformance cases for System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2)).
//!
//! Keyed segments use keys `0x434f_0300 + n` ("CO", then the case's number), cleared of an
//! earlier run's leftovers first; every segment a case makes is removed when its guard
//! drops (the last detach then frees it). Attachments are [`Mapping`](libsys::memory::Mapping)s: the case process
//! reads and writes them word by word.

use alloc::format;
use alloc::string::{String, ToString};

use courier_test_support::sysv_objects::{
    Family, SEGMENT_CPID, SEGMENT_LPID, SEGMENT_NATTCH, SEGMENT_SIZE, SHM_DEST, Segment, detach,
    empty_status,
};
use libsys::Errno;
use libsys::abi::signal::{SIGKILL, SIGSEGV};
use libsys::memory::MemoryObject;
use libsys::proc;
use libsys::sysv::{
    self, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, SHM_LOCK,
    SHM_RDONLY, SHM_RND, SHM_UNLOCK, SHMLBA, STATUS_KEY, STATUS_MODE,
};

use crate::framework::{
    Case, Check, Child, OTHER_USER, SETUP_FAILED, become_user, ensure, equals, eventually,
    fails_with, number_argument, outcome_code, sleep_forever, step, tell_ready,
};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "shmget-private-always-new", run: shmget_private_always_new },
    Case { name: "shmget-size-zero-einval", run: shmget_size_zero_einval },
    Case { name: "shmget-size-above-shmmax-einval", run: shmget_size_above_shmmax_einval },
    Case { name: "shmget-existing-smaller-einval", run: shmget_existing_smaller_einval },
    Case { name: "shmget-create-exclusive-eexist", run: shmget_create_exclusive_eexist },
    Case { name: "shmget-missing-key-enoent", run: shmget_missing_key_enoent },
    Case { name: "shmget-other-user-eacces", run: shmget_other_user_eacces },
    Case { name: "shmctl-stat-fields", run: shmctl_stat_fields },
    Case { name: "shmat-counts-attachments", run: shmat_counts_attachments },
    Case { name: "shmat-new-segment-zeroed", run: shmat_new_segment_zeroed },
    Case { name: "shmat-misaligned-address-einval", run: shmat_misaligned_address_einval },
    Case { name: "shmat-readonly-write-sigsegv", run: shmat_readonly_write_sigsegv },
    Case { name: "shmdt-not-attached-einval", run: shmdt_not_attached_einval },
    Case { name: "shm-data-shared-between-processes", run: shm_data_shared_between_processes },
    Case { name: "shm-exit-detaches", run: shm_exit_detaches },
    Case { name: "shmctl-rmid-deferred-until-detach", run: shmctl_rmid_deferred_until_detach },
    Case { name: "shmctl-set-mode", run: shmctl_set_mode },
    Case { name: "shmctl-other-user-eperm", run: shmctl_other_user_eperm },
    Case { name: "shmctl-invalid-id-einval", run: shmctl_invalid_id_einval },
    Case { name: "shmat-after-rmid-while-attached", run: shmat_after_rmid_while_attached },
    Case { name: "shmctl-lock-unlock", run: shmctl_lock_unlock },
    Case { name: "shmctl-ipc-info-limits", run: shmctl_ipc_info_limits },
    Case {
        name: "shmat-readonly-needs-read-permission",
        run: shmat_readonly_needs_read_permission,
    },
    Case { name: "shm-spawned-child-not-attached", run: shm_spawned_child_not_attached },
];

/// This area's first key.
const KEY_BASE: i32 = 0x434f_0300;
/// The word the `shm-write` child writes.
const CHILD_WORD: u64 = 0x434f_5552_4945_5221;

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `shm-write ID`: attaches segment ID, checks that its first word is 1, writes
///   [`CHILD_WORD`] there and exits 0 (without detaching) when all went well;
/// - `shm-write-readonly ID`: attaches ID with `SHM_RDONLY`, reads, then writes its first
///   word (which must end it with SIGSEGV);
/// - `shm-hold ID`: attaches ID, says it is ready and sleeps until killed;
/// - `shm-wait ID`: attaches nothing, says it is ready and sleeps until killed;
/// - `shm-attach-as-other ID FLAGS`: becomes user 1000 and exits with the outcome of
///   `shmat(ID, FLAGS)`;
/// - `shm-as-other KEY ACTION`: becomes user 1000 and exits with the outcome of ACTION on
///   the segment of KEY: `get` (`shmget(KEY, 0, 0600)`), `set` (`IPC_SET`), `remove`
///   (`IPC_RMID`).
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    let id: i32 = number_argument(arguments, 0)?;
    let code = match mode {
        "shm-write" => {
            let Ok(mapping) = sysv::shmat(id, None, 0) else { return Some(SETUP_FAILED) };
            if mapping.read_word(0) != Some(1) || !mapping.write_word(0, CHILD_WORD) {
                return Some(SETUP_FAILED);
            }
            0
        }
        "shm-write-readonly" => {
            let Ok(mapping) = sysv::shmat(id, None, SHM_RDONLY) else { return Some(SETUP_FAILED) };
            let word = mapping.read_word(0).unwrap_or(0);
            mapping.write_word(0, word + 1);
            0
        }
        "shm-wait" => {
            tell_ready();
            sleep_forever()
        }
        "shm-hold" => {
            let Ok(_mapping) = sysv::shmat(id, None, 0) else { return Some(SETUP_FAILED) };
            tell_ready();
            sleep_forever()
        }
        "shm-attach-as-other" => {
            let flags: i32 = number_argument(arguments, 1)?;
            if !become_user(OTHER_USER) {
                return Some(SETUP_FAILED);
            }
            outcome_code(sysv::shmat(id, None, flags))
        }
        "shm-as-other" => {
            if !become_user(OTHER_USER) {
                return Some(SETUP_FAILED);
            }
            let key = id;
            let action = arguments.get(1).copied().unwrap_or("");
            if action == "get" {
                return Some(outcome_code(sysv::shmget(key, 0, 0o600)));
            }
            let Ok(id) = sysv::shmget(key, 0, 0) else { return Some(SETUP_FAILED) };
            let mut status = empty_status();
            match action {
                "set" => {
                    status[STATUS_MODE] = 0o666;
                    outcome_code(sysv::shmctl(id, IPC_SET, &mut status))
                }
                "remove" => outcome_code(sysv::shmctl(id, IPC_RMID, &mut status)),
                _ => SETUP_FAILED,
            }
        }
        _ => return None,
    };
    Some(code)
}

/// The key of case number `case`, cleared of an earlier run's segment.
fn fresh_key(case: i32) -> i32 {
    Family::Segment.fresh_key(KEY_BASE + case)
}

/// `IPC_PRIVATE` makes a new segment every time.
fn shmget_private_always_new() -> Check {
    let first = Segment::private(4096)?;
    let second = Segment::private(4096)?;
    ensure(first.0 != second.0, || format!("two IPC_PRIVATE segments share id {}", first.0))
}

/// A new segment of 0 bytes (below `SHMMIN`) fails with `EINVAL`.
fn shmget_size_zero_einval() -> Check {
    fails_with(
        "shmget(IPC_PRIVATE, 0)",
        sysv::shmget(IPC_PRIVATE, 0, IPC_CREAT | 0o600),
        Errno::Einval,
    )?;
    let key = fresh_key(2);
    fails_with(
        "shmget(new key, 0, IPC_CREAT)",
        sysv::shmget(key, 0, IPC_CREAT | 0o600),
        Errno::Einval,
    )
}

/// A new segment larger than `SHMMAX` (`ULONG_MAX - 2^24`) fails with `EINVAL`.
fn shmget_size_above_shmmax_einval() -> Check {
    fails_with(
        "shmget(IPC_PRIVATE, ULONG_MAX)",
        sysv::shmget(IPC_PRIVATE, u64::MAX, IPC_CREAT | 0o600),
        Errno::Einval,
    )
}

/// Asking an existing segment for more bytes than it has fails with `EINVAL`; its size
/// or less (0 included) gives its id.
fn shmget_existing_smaller_einval() -> Check {
    let key = fresh_key(4);
    let segment = Segment::create(key, 5000, IPC_CREAT | 0o600)?;
    fails_with("shmget(key, 5001)", sysv::shmget(key, 5001, 0o600), Errno::Einval)?;
    equals("shmget(key, 5000)", sysv::shmget(key, 5000, 0o600), segment.0)?;
    equals("shmget(key, 0)", sysv::shmget(key, 0, 0), segment.0)
}

/// `IPC_CREAT | IPC_EXCL` on a key that has a segment fails with `EEXIST`.
fn shmget_create_exclusive_eexist() -> Check {
    let key = fresh_key(5);
    let _segment = Segment::create(key, 4096, IPC_CREAT | IPC_EXCL | 0o600)?;
    fails_with(
        "shmget(existing key, IPC_CREAT | IPC_EXCL)",
        sysv::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o600),
        Errno::Eexist,
    )
}

/// `shmget` of a key with no segment, without `IPC_CREAT`, fails with `ENOENT`.
fn shmget_missing_key_enoent() -> Check {
    let key = fresh_key(6);
    fails_with("shmget(missing key)", sysv::shmget(key, 4096, 0o600), Errno::Enoent)
}

/// Another user asking for read and write on a mode-0600 segment gets `EACCES`.
fn shmget_other_user_eacces() -> Check {
    let key = fresh_key(7);
    let _segment = Segment::create(key, 4096, IPC_CREAT | 0o600)?;
    Child::spawn("shm-as-other", &[&key.to_string(), "get"])?.returns(Err(Errno::Eacces))
}

/// `IPC_STAT`: `shm_segsz` is the size asked for (not rounded to pages), `shm_cpid` the
/// creator, `shm_lpid` 0 and `shm_nattch` 0 until an attach, then the attacher.
fn shmctl_stat_fields() -> Check {
    let me = step("getpid", proc::getpid())? as u64;
    let key = fresh_key(8);
    let segment = Segment::create(key, 5000, IPC_CREAT | 0o640)?;
    let status = segment.status()?;
    ensure(
        status[SEGMENT_SIZE] == 5000
            && status[SEGMENT_CPID] == me
            && status[SEGMENT_LPID] == 0
            && status[SEGMENT_NATTCH] == 0
            && status[STATUS_KEY] as u32 == key as u32
            && status[STATUS_MODE] & 0o777 == 0o640,
        || {
            format!(
                "new segment: segsz {}, cpid {}, lpid {}, nattch {}, key {:#x}, mode {:#o}; \
                 expected 5000, {me}, 0, 0, {key:#x}, 0640",
                status[SEGMENT_SIZE],
                status[SEGMENT_CPID],
                status[SEGMENT_LPID],
                status[SEGMENT_NATTCH],
                status[STATUS_KEY],
                status[STATUS_MODE] & 0o777
            )
        },
    )?;
    let mapping = segment.attach(0)?;
    let status = segment.status()?;
    ensure(status[SEGMENT_LPID] == me && status[SEGMENT_NATTCH] == 1, || {
        format!(
            "after shmat: lpid {}, nattch {}; expected {me}, 1",
            status[SEGMENT_LPID], status[SEGMENT_NATTCH]
        )
    })?;
    detach(mapping)
}

/// Every `shmat` adds one to `shm_nattch` and every `shmdt` takes one away; two
/// attachments of one segment see each other's writes.
fn shmat_counts_attachments() -> Check {
    let segment = Segment::private(8192)?;
    let first = segment.attach(0)?;
    segment.expect_attachments(1)?;
    let second = segment.attach(0)?;
    segment.expect_attachments(2)?;
    ensure(first.address() != second.address(), || {
        format!("both attachments at {:#x}", first.address())
    })?;
    ensure(first.write_word(4096, 0x1234_5678), || String::from("write through the first"))?;
    ensure(second.read_word(4096) == Some(0x1234_5678), || {
        format!("the second attachment reads {:?}", second.read_word(4096))
    })?;
    detach(first)?;
    segment.expect_attachments(1)?;
    detach(second)?;
    segment.expect_attachments(0)
}

/// A new segment's memory reads as zeros, and its attachment is at least its size.
fn shmat_new_segment_zeroed() -> Check {
    let segment = Segment::private(10000)?;
    let mapping = segment.attach(0)?;
    ensure(mapping.length() >= 10000, || format!("attachment of {} bytes", mapping.length()))?;
    let mut bytes = [0xffu8; 10000];
    ensure(mapping.read_bytes(0, &mut bytes), || String::from("read of 10000 bytes failed"))?;
    let nonzero = bytes.iter().position(|&byte| byte != 0);
    ensure(nonzero.is_none(), || format!("byte {nonzero:?} of a new segment is not 0"))?;
    detach(mapping)
}

/// `shmat` at an address that is not a multiple of `SHMLBA` fails with `EINVAL` without
/// `SHM_RND`; with it, the address is rounded down.
fn shmat_misaligned_address_einval() -> Check {
    let segment = Segment::private(4096)?;
    // Find a free, aligned address: attach anywhere, note it, detach.
    let probe = segment.attach(0)?;
    let free = probe.address();
    detach(probe)?;
    fails_with(
        "shmat(free + 1, no SHM_RND)",
        sysv::shmat(segment.0, Some(free + 1), 0),
        Errno::Einval,
    )?;
    segment.expect_attachments(0)?;
    let rounded =
        step("shmat(free + 1, SHM_RND)", sysv::shmat(segment.0, Some(free + 1), SHM_RND))?;
    let address = rounded.address();
    detach(rounded)?;
    ensure(address == free && address % SHMLBA as usize == 0, || {
        format!("SHM_RND attached at {address:#x}, expected {free:#x}")
    })
}

/// Writing through a `SHM_RDONLY` attachment ends the process with SIGSEGV; the
/// segment is unchanged.
fn shmat_readonly_write_sigsegv() -> Check {
    let segment = Segment::private(4096)?;
    let mapping = segment.attach(0)?;
    ensure(mapping.write_word(0, 41), || String::from("write failed"))?;
    Child::spawn("shm-write-readonly", &[&segment.0.to_string()])?.killed_by(SIGSEGV)?;
    equals("the first word", Ok(mapping.read_word(0)), Some(41))?;
    detach(mapping)
}

/// `shmdt` of an address that is no attachment fails with `EINVAL`.
fn shmdt_not_attached_einval() -> Check {
    let object = step("memory object", MemoryObject::create(4096).map_err(Errno::from))?;
    let mapping = step(
        "map",
        object
            .map(0, 0, 4096, libsys::abi::memory::MAP_READ | libsys::abi::memory::MAP_WRITE)
            .map_err(Errno::from),
    )?;
    let _ = libsys::handle::close(object.0);
    fails_with("shmdt(an anonymous mapping)", sysv::shmdt(mapping), Errno::Einval)
}

/// A child's write to the segment is seen by the case, and the case's by the child.
fn shm_data_shared_between_processes() -> Check {
    let segment = Segment::private(4096)?;
    let mapping = segment.attach(0)?;
    ensure(mapping.write_word(0, 1), || String::from("write failed"))?;
    Child::spawn("shm-write", &[&segment.0.to_string()])?.exits_with(0)?;
    equals("the word the child wrote", Ok(mapping.read_word(0)), Some(CHILD_WORD))?;
    detach(mapping)
}

/// A child's attachments end with it, whether it exits or is killed.
fn shm_exit_detaches() -> Check {
    let segment = Segment::private(4096)?;
    let mapping = segment.attach(0)?;
    ensure(mapping.write_word(0, 1), || String::from("write failed"))?;
    let id = segment.0.to_string();
    Child::spawn("shm-write", &[&id])?.exits_with(0)?;
    segment.expect_attachments(1)?;
    let mut holder = Child::spawn_ready("shm-hold", &[&id])?;
    segment.expect_attachments(2)?;
    holder.signal(SIGKILL)?;
    holder.killed_by(SIGKILL)?;
    eventually(|| {
        let attachments = segment.status()?[SEGMENT_NATTCH];
        Ok((attachments != 1).then(|| format!("shm_nattch is {attachments}, expected 1")))
    })?;
    detach(mapping)
}

/// `IPC_RMID` of an attached segment frees its key at once (`shm_perm.key` 0, `SHM_DEST`
/// in the mode) while the id keeps working until the last detach; then it is `EINVAL`.
fn shmctl_rmid_deferred_until_detach() -> Check {
    let key = fresh_key(16);
    let segment = Segment::create(key, 4096, IPC_CREAT | 0o600)?;
    let mapping = segment.attach(0)?;
    step("shmctl(IPC_RMID)", sysv::shmctl(segment.0, IPC_RMID, &mut empty_status()))?;
    fails_with("shmget(removed key)", sysv::shmget(key, 0, 0), Errno::Enoent)?;
    let status = segment.status()?;
    ensure(
        status[STATUS_KEY] == 0
            && status[STATUS_MODE] & SHM_DEST != 0
            && status[SEGMENT_NATTCH] == 1,
        || {
            format!(
                "after IPC_RMID: key {:#x}, mode {:#o}, nattch {}; expected 0, SHM_DEST, 1",
                status[STATUS_KEY], status[STATUS_MODE], status[SEGMENT_NATTCH]
            )
        },
    )?;
    ensure(mapping.write_word(0, 7) && mapping.read_word(0) == Some(7), || {
        String::from("the attachment stopped working after IPC_RMID")
    })?;
    detach(mapping)?;
    fails_with(
        "shmctl(IPC_STAT) after the last detach",
        sysv::shmctl(segment.0, IPC_STAT, &mut empty_status()),
        Errno::Einval,
    )?;
    fails_with("shmat after the last detach", sysv::shmat(segment.0, None, 0), Errno::Einval)
}

/// `IPC_SET` by the owner changes the mode's permission bits.
fn shmctl_set_mode() -> Check {
    let segment = Segment::private(4096)?;
    let mut status = segment.status()?;
    status[STATUS_MODE] = 0o604;
    step("shmctl(IPC_SET, mode 0604)", sysv::shmctl(segment.0, IPC_SET, &mut status))?;
    let mode = segment.status()?[STATUS_MODE] & 0o777;
    ensure(mode == 0o604, || format!("mode {mode:#o} after IPC_SET, expected 0604"))
}

/// Another user, even with read and write permission, may neither `IPC_SET` nor
/// `IPC_RMID` a segment it neither owns nor created (`EPERM`).
fn shmctl_other_user_eperm() -> Check {
    let key = fresh_key(18);
    let segment = Segment::create(key, 4096, IPC_CREAT | 0o666)?;
    let key = key.to_string();
    Child::spawn("shm-as-other", &[&key, "set"])?.returns(Err(Errno::Eperm))?;
    Child::spawn("shm-as-other", &[&key, "remove"])?.returns(Err(Errno::Eperm))?;
    segment.status().map(|_| ())
}

/// An id that names no segment (-1, or a removed one) and an unknown command fail with
/// `EINVAL`.
fn shmctl_invalid_id_einval() -> Check {
    let segment = Segment::private(4096)?;
    fails_with(
        "shmctl(command 99)",
        sysv::shmctl(segment.0, 99, &mut empty_status()),
        Errno::Einval,
    )?;
    fails_with(
        "shmctl(-1, IPC_STAT)",
        sysv::shmctl(-1, IPC_STAT, &mut empty_status()),
        Errno::Einval,
    )?;
    fails_with("shmat(-1)", sysv::shmat(-1, None, 0), Errno::Einval)?;
    let removed = Segment::private(4096)?;
    let removed_id = removed.0;
    drop(removed);
    fails_with("shmat(removed id)", sysv::shmat(removed_id, None, 0), Errno::Einval)
}

/// A segment removed while attached can still be attached by its id (as Linux allows)
/// until its last attachment goes.
fn shmat_after_rmid_while_attached() -> Check {
    let segment = Segment::private(4096)?;
    let first = segment.attach(0)?;
    ensure(first.write_word(0, 99), || String::from("write failed"))?;
    step("shmctl(IPC_RMID)", sysv::shmctl(segment.0, IPC_RMID, &mut empty_status()))?;
    let second = segment.attach(0)?;
    equals("the word through the new attachment", Ok(second.read_word(0)), Some(99))?;
    segment.expect_attachments(2)?;
    detach(first)?;
    detach(second)?;
    fails_with("shmat after the last detach", sysv::shmat(segment.0, None, 0), Errno::Einval)
}

/// `SHM_LOCK` (as root) sets `SHM_LOCKED` in the mode and `SHM_UNLOCK` clears it.
fn shmctl_lock_unlock() -> Check {
    const SHM_LOCKED: u64 = 0o2000;
    let segment = Segment::private(4096)?;
    step("shmctl(SHM_LOCK)", sysv::shmctl(segment.0, SHM_LOCK, &mut empty_status()))?;
    let mode = segment.status()?[STATUS_MODE];
    ensure(mode & SHM_LOCKED != 0, || format!("mode {mode:#o} after SHM_LOCK lacks SHM_LOCKED"))?;
    step("shmctl(SHM_UNLOCK)", sysv::shmctl(segment.0, SHM_UNLOCK, &mut empty_status()))?;
    let mode = segment.status()?[STATUS_MODE];
    ensure(mode & SHM_LOCKED == 0, || format!("mode {mode:#o} after SHM_UNLOCK has SHM_LOCKED"))
}

/// `IPC_INFO` reports Linux's default limits: `shmmax` `ULONG_MAX - 2^24`, `shmmin` 1,
/// `shmmni` 4096.
fn shmctl_ipc_info_limits() -> Check {
    let _segment = Segment::private(4096)?;
    let mut info = empty_status();
    step("shmctl(0, IPC_INFO)", sysv::shmctl(0, IPC_INFO, &mut info))?;
    let got = (info[0], info[1], info[2]);
    let expected = (u64::MAX - (1 << 24), 1, 4096);
    ensure(got == expected, || format!("shmmax, shmmin, shmmni {got:?}; expected {expected:?}"))
}

/// Attaching needs read permission (`SHM_RDONLY`) or read and write: another user gets
/// `EACCES` on a mode-0600 segment, may attach a mode-0644 one read-only only.
fn shmat_readonly_needs_read_permission() -> Check {
    let segment = Segment::private(4096)?;
    let id = segment.0.to_string();
    let read_only = SHM_RDONLY.to_string();
    Child::spawn("shm-attach-as-other", &[&id, &read_only])?.returns(Err(Errno::Eacces))?;
    let mut status = segment.status()?;
    status[STATUS_MODE] = 0o644;
    step("shmctl(IPC_SET, mode 0644)", sysv::shmctl(segment.0, IPC_SET, &mut status))?;
    Child::spawn("shm-attach-as-other", &[&id, &read_only])?.returns(Ok(()))?;
    Child::spawn("shm-attach-as-other", &[&id, "0"])?.returns(Err(Errno::Eacces))
}

/// A spawned program starts with none of its parent's attachments (as after `exec`):
/// `shm_nattch` stays 1 while the child runs and after it ends.
fn shm_spawned_child_not_attached() -> Check {
    let segment = Segment::private(4096)?;
    let mapping = segment.attach(0)?;
    let mut child = Child::spawn_ready("shm-wait", &[&segment.0.to_string()])?;
    segment.expect_attachments(1)?;
    child.signal(SIGKILL)?;
    child.killed_by(SIGKILL)?;
    segment.expect_attachments(1)?;
    detach(mapping)
}
