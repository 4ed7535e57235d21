//! Unit tests: one or more per rule of the process table, each named after the rule.

use alloc::vec;
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::signal::{
    CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, Disposition, SA_NOCLDSTOP,
    SA_NOCLDWAIT, SA_RESTART, SI_KERNEL, SI_QUEUE, SI_USER, SIGABRT, SIGALRM, SIGCHLD, SIGCONT,
    SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
    SIGUSR1, SIGUSR2, SIGWINCH, SignalInfo,
};

use crate::table::Selector;
use crate::{
    Answer, Credentials, ExitOutcome, INIT, KillOutcome, PID_MAX, Pid, ProcessInfo, ProcessTable,
    RESERVED_PIDS, Signalling, SpawnOptions, StopOutcome, WaitOutcome,
};

type Table = ProcessTable<u32>;

const NO_OPTIONS: SpawnOptions = SpawnOptions { process_group: None, new_session: false };
const OWN_GROUP: SpawnOptions = SpawnOptions { process_group: Some(0), new_session: false };
const OWN_SESSION: SpawnOptions = SpawnOptions { process_group: None, new_session: true };
const WNOHANG: u64 = 1;

fn exited_with(code: u32) -> u32 {
    code << 8
}

fn table_with_init() -> Table {
    let mut table = Table::new();
    assert_eq!(table.create_init(), INIT);
    table
}

fn spawn(table: &mut Table, parent: Pid) -> Pid {
    table.create(parent, NO_OPTIONS).expect("spawn")
}

/// The pids a kill posts to or ends, in order.
fn reached(result: Result<KillOutcome<u32>, Errno>) -> Result<Vec<Pid>, Errno> {
    result.map(|outcome| {
        outcome
            .signals
            .iter()
            .filter_map(|signalling| match *signalling {
                Signalling::Post { pid, .. } | Signalling::Kill { pid, .. } => Some(pid),
                Signalling::Resume { .. } => None,
            })
            .collect()
    })
}

fn delivered(pids: &[Pid]) -> Result<Vec<Pid>, Errno> {
    Ok(pids.to_vec())
}

fn user(uid: u32) -> Credentials {
    Credentials { uid, euid: uid, saved_uid: uid, gid: uid, egid: uid, saved_gid: uid }
}

/// Gives `pid` all-`uid` credentials (it must have euid 0).
fn become_user(table: &mut Table, pid: Pid, uid: u32) {
    table.set_user_id(pid, uid).expect("setuid as root");
    assert_eq!(table.credentials(pid).map(|credentials| credentials.uid), Some(uid));
}

// Creation and pid allocation.

#[test]
fn new_table_is_empty() {
    let table = Table::new();
    assert!(table.is_empty());
    assert_eq!(table.len(), 0);
    assert_eq!(table.live_pids(), Vec::<Pid>::new());
    assert_eq!(table.info(INIT), None);
    let defaulted: Table = ProcessTable::default();
    assert!(defaulted.is_empty());
}

#[test]
fn init_is_pid_one_root_and_leads_group_and_session_one() {
    let mut table = table_with_init();
    assert_eq!(
        table.info(INIT),
        Some(ProcessInfo {
            parent: 0,
            process_group: 1,
            session: 1,
            zombie: false,
            stopped: false,
            credentials: Credentials::ROOT,
        })
    );
    assert_eq!(table.create_init(), INIT, "a second call returns the existing init");
    assert_eq!(table.len(), 1);
}

#[test]
fn children_inherit_group_session_and_credentials_and_get_increasing_pids() {
    let mut table = table_with_init();
    become_user(&mut table, INIT, 0);
    let first = spawn(&mut table, INIT);
    assert_eq!(first, 2);
    table.set_user_id(first, 1000).expect("root may setuid");
    let grandchild = spawn(&mut table, first);
    assert_eq!(grandchild, 3);
    let info = table.info(grandchild).expect("exists");
    assert_eq!(info.parent, first);
    assert_eq!((info.process_group, info.session), (1, 1));
    assert_eq!(info.credentials, user(1000).with_gids(0));
    assert_eq!(table.parent(grandchild), Some(first));
    assert_eq!(table.children(INIT), vec![first]);
    assert_eq!(table.live_pids(), vec![1, 2, 3]);
}

#[test]
fn names_are_kept_cut_and_listed_in_pid_order_until_reaped() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    assert_eq!(table.name(first), Some(""));
    table.set_name(first, "msgq-client");
    // Cut at PROCESS_NAME_BYTES, never inside a character.
    let long = "é".repeat(courier_abi::proc::PROCESS_NAME_BYTES);
    table.set_name(second, &long);
    let cut = table.name(second).expect("exists");
    assert!(cut.len() <= courier_abi::proc::PROCESS_NAME_BYTES && long.starts_with(cut));
    assert_eq!(cut.len(), courier_abi::proc::PROCESS_NAME_BYTES);
    assert_eq!(table.name(first), Some("msgq-client"));
    assert_eq!(table.next_pid(0), Some(INIT));
    assert_eq!(table.next_pid(INIT), Some(first));
    assert_eq!(table.next_pid(first), Some(second));
    assert_eq!(table.next_pid(second), None);
    // A zombie keeps its name and place until it is reaped.
    let _ = table.exited(first, 0);
    assert_eq!(table.name(first), Some("msgq-client"));
    assert_eq!(table.next_pid(INIT), Some(first));
    let _ = table.wait(INIT, first as i32, 0, 0);
    assert_eq!(table.name(first), None);
    assert_eq!(table.next_pid(INIT), Some(second));
    table.set_name(999, "nobody");
    assert_eq!(table.name(999), None);
}

impl Credentials {
    fn with_gids(mut self, gid: u32) -> Credentials {
        self.gid = gid;
        self.egid = gid;
        self.saved_gid = gid;
        self
    }
}

#[test]
fn create_needs_a_live_parent() {
    let mut table = table_with_init();
    assert_eq!(table.create(7, NO_OPTIONS), Err(Errno::Esrch));
    let child = spawn(&mut table, INIT);
    let _ = table.exited(child, 0);
    assert_eq!(table.create(child, NO_OPTIONS), Err(Errno::Esrch), "a zombie has no children");
    assert_eq!(Table::new().create(INIT, NO_OPTIONS), Err(Errno::Esrch));
}

#[test]
fn pids_wrap_to_reserved_pids_after_the_last_one() {
    let mut table = Table::with_next_pid(PID_MAX - 2);
    table.create_init();
    assert_eq!(spawn(&mut table, INIT), PID_MAX - 2);
    assert_eq!(spawn(&mut table, INIT), PID_MAX - 1);
    assert_eq!(spawn(&mut table, INIT), RESERVED_PIDS, "wraps to 300, not to 2");
    assert_eq!(spawn(&mut table, INIT), RESERVED_PIDS + 1);
}

#[test]
fn before_the_cursor_passes_reserved_pids_low_numbers_are_used() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(child, 2);
    let _ = table.exited(child, 0);
    assert_eq!(table.wait(INIT, -1, 0, 0), WaitOutcome::Reaped { pid: 2, status: 0 });
    assert_eq!(spawn(&mut table, INIT), 3, "the cursor moves on; 2 is not given again at once");
}

#[test]
fn allocation_skips_numbers_in_use_as_pid_group_or_session() {
    let mut table = Table::with_next_pid(PID_MAX - 3);
    table.create_init();
    let zombie = spawn(&mut table, INIT);
    let leader = table.create(INIT, OWN_SESSION).expect("session leader");
    let member = spawn(&mut table, leader);
    assert_eq!((zombie, leader, member), (PID_MAX - 3, PID_MAX - 2, PID_MAX - 1));
    let group_leader = table.create(member, OWN_GROUP).expect("group leader");
    assert_eq!(group_leader, RESERVED_PIDS, "wrapped");
    let group_member = spawn(&mut table, group_leader);
    assert_eq!(group_member, RESERVED_PIDS + 1);
    // Reap the zombie and the session leader; reap the group leader (its member lives on).
    let _ = table.exited(zombie, 0);
    let _ = table.exited(leader, 0);
    assert_eq!(
        table.wait(INIT, zombie as i32, 0, 0),
        WaitOutcome::Reaped { pid: zombie, status: 0 }
    );
    assert_eq!(
        table.wait(INIT, leader as i32, 0, 0),
        WaitOutcome::Reaped { pid: leader, status: 0 }
    );
    let _ = table.exited(group_leader, 0);
    assert_eq!(table.wait(member, -1, 0, 0), WaitOutcome::Reaped { pid: group_leader, status: 0 });
    assert!(!table.is_in_use(zombie));
    assert!(table.is_in_use(leader) && table.info(leader).is_none(), "a session id");
    assert!(table.is_in_use(group_leader) && table.info(group_leader).is_none(), "a group id");
    assert_eq!(spawn(&mut table, INIT), RESERVED_PIDS + 2);
    table.set_next_pid(PID_MAX - 3);
    assert_eq!(spawn(&mut table, INIT), PID_MAX - 3, "a reaped pid is free again");
    assert_eq!(
        spawn(&mut table, INIT),
        RESERVED_PIDS + 3,
        "skips the session id, the member, the group id and the pids in use"
    );
    table.set_next_pid(RESERVED_PIDS - 1);
    assert_eq!(spawn(&mut table, INIT), RESERVED_PIDS - 1, "below 300 until the cursor passes");
    assert_eq!(spawn(&mut table, INIT), RESERVED_PIDS + 4);
    table.check_consistency();
}

#[test]
fn allocation_fails_with_eagain_when_every_number_is_in_use() {
    let mut table = Table::with_next_pid(PID_MAX - 1);
    table.create_init();
    // Fill 32767 and 300..32767: 32468 processes, all children of init.
    let mut count = 0;
    loop {
        match table.create(INIT, NO_OPTIONS) {
            Ok(_) => count += 1,
            Err(error) => {
                assert_eq!(error, Errno::Eagain);
                break;
            }
        }
    }
    assert_eq!(count, (PID_MAX - RESERVED_PIDS) as usize);
    // The numbers below 300 are never reached once the cursor has passed 300.
    assert!(!table.is_in_use(2));
    let _ = table.exited(555, 0);
    assert_eq!(table.wait(INIT, 555, 0, 0), WaitOutcome::Reaped { pid: 555, status: 0 });
    assert_eq!(table.create(INIT, NO_OPTIONS), Ok(555));
}

#[test]
fn spawn_with_own_group_and_with_existing_group() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let leader = table.create(shell, OWN_GROUP).expect("group leader");
    let info = table.info(leader).expect("exists");
    assert_eq!((info.process_group, info.session), (leader, shell));
    let member = table.create(shell, SpawnOptions { process_group: Some(leader), ..NO_OPTIONS });
    let member = member.expect("joins the group");
    assert_eq!(table.process_group(member, 0), Ok(leader));
    // A group that does not exist, and one in another session.
    let before = table.len();
    assert_eq!(
        table.create(shell, SpawnOptions { process_group: Some(999), ..NO_OPTIONS }),
        Err(Errno::Eperm)
    );
    assert_eq!(
        table.create(shell, SpawnOptions { process_group: Some(INIT), ..NO_OPTIONS }),
        Err(Errno::Eperm)
    );
    assert_eq!(
        table.create(shell, SpawnOptions { process_group: Some(0x8000_0000), ..NO_OPTIONS }),
        Err(Errno::Einval)
    );
    assert_eq!(table.len(), before, "failed spawns leave nothing behind");
    table.check_consistency();
}

#[test]
fn spawn_with_new_session() {
    let mut table = table_with_init();
    let daemon = table.create(INIT, OWN_SESSION).expect("setsid in a fresh child");
    let info = table.info(daemon).expect("exists");
    assert_eq!((info.parent, info.process_group, info.session), (INIT, daemon, daemon));
}

#[test]
fn spawn_with_new_session_and_group_fails_as_glibc_posix_spawn_does() {
    // glibc runs setsid() before setpgid(); a session leader cannot change group: EPERM,
    // even for setpgid(0, 0).
    let mut table = table_with_init();
    for group in [0, 1] {
        let options = SpawnOptions { process_group: Some(group), new_session: true };
        assert_eq!(table.create(INIT, options), Err(Errno::Eperm));
    }
    assert_eq!(table.len(), 1);
    assert!(!table.is_in_use(2) && !table.is_in_use(3));
    assert_eq!(spawn(&mut table, INIT), 4, "as on Linux, the failed children used pids 2, 3");
    table.check_consistency();
}

#[test]
fn abandon_forgets_a_new_process_without_trace() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    table.abandon(child);
    assert_eq!(table.info(child), None);
    assert_eq!(table.children(INIT), Vec::<Pid>::new());
    assert!(!table.is_in_use(child));
    assert_eq!(table.wait(INIT, -1, WNOHANG, 0), WaitOutcome::Failed(Errno::Echild));
    // Ignored for unknown pids, zombies and parents.
    table.abandon(99);
    let parent = spawn(&mut table, INIT);
    let grandchild = spawn(&mut table, parent);
    table.abandon(parent);
    assert!(table.info(parent).is_some());
    let _ = table.exited(grandchild, 0);
    table.abandon(grandchild);
    assert_eq!(table.info(grandchild).map(|info| info.zombie), Some(true));
    table.check_consistency();
}

// Exit and wait.

#[test]
fn wait_reaps_a_zombie_child_and_frees_its_pid() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let outcome = table.exited(child, exited_with(3));
    assert!(outcome.answers.is_empty() && !outcome.init_exited);
    assert_eq!(table.info(child).map(|info| info.zombie), Some(true));
    assert_eq!(table.live_pids(), vec![INIT]);
    assert_eq!(table.len(), 2);
    assert_eq!(table.wait(INIT, -1, 0, 7), WaitOutcome::Reaped { pid: child, status: 3 << 8 });
    assert_eq!(table.info(child), None);
    assert!(!table.is_in_use(child));
    assert_eq!(table.wait(INIT, -1, 0, 7), WaitOutcome::Failed(Errno::Echild));
}

#[test]
fn exit_of_unknown_or_zombie_process_is_empty() {
    let mut table = table_with_init();
    assert_eq!(table.exited(42, 0), ExitOutcome::nothing());
    let child = spawn(&mut table, INIT);
    let _ = table.exited(child, 0);
    assert_eq!(table.exited(child, 9), ExitOutcome::default());
    assert_eq!(table.wait(INIT, -1, 0, 0), WaitOutcome::Reaped { pid: child, status: 0 });
}

#[test]
fn wait_without_children_is_echild_and_for_a_non_child_too() {
    let mut table = table_with_init();
    assert_eq!(table.wait(INIT, -1, 0, 0), WaitOutcome::Failed(Errno::Echild));
    let child = spawn(&mut table, INIT);
    let grandchild = spawn(&mut table, child);
    assert_eq!(table.wait(INIT, grandchild as i32, 0, 0), WaitOutcome::Failed(Errno::Echild));
    assert_eq!(table.wait(INIT, 12345, WNOHANG, 0), WaitOutcome::Failed(Errno::Echild));
    assert_eq!(table.wait(INIT, -12345, 0, 0), WaitOutcome::Failed(Errno::Echild));
    assert_eq!(table.waiter_count(), 0);
}

#[test]
fn wait_no_hang_answers_nothing_yet() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, -1, WNOHANG, 0), WaitOutcome::NothingYet);
    assert_eq!(table.wait(INIT, child as i32, WNOHANG, 0), WaitOutcome::NothingYet);
    assert_eq!(table.wait(INIT, 0, WNOHANG | 2 | 8, 0), WaitOutcome::NothingYet);
    assert_eq!(table.waiter_count(), 0);
}

#[test]
fn wait_options_are_checked_as_linux_wait4_does() {
    let mut table = table_with_init();
    let _child = spawn(&mut table, INIT);
    for invalid in [4_u64, 0x10, 0x0100_0000, 0x1000_0000, WNOHANG | 0x20] {
        assert_eq!(table.wait(INIT, -1, invalid, 0), WaitOutcome::Failed(Errno::Einval));
    }
    // EINVAL comes before everything else, even for a caller with no children.
    assert_eq!(table.wait(99, i32::MIN, 4, 0), WaitOutcome::Failed(Errno::Einval));
    // __WNOTHREAD and __WALL change nothing here; __WCLONE alone matches no child.
    assert_eq!(table.wait(INIT, -1, WNOHANG | 0x2000_0000, 0), WaitOutcome::NothingYet);
    assert_eq!(table.wait(INIT, -1, WNOHANG | 0x4000_0000, 0), WaitOutcome::NothingYet);
    assert_eq!(table.wait(INIT, -1, 0x8000_0000, 0), WaitOutcome::Failed(Errno::Echild));
    assert_eq!(table.wait(INIT, -1, WNOHANG | 0xC000_0000, 0), WaitOutcome::NothingYet);
    // Only the low 32 bits count, as for Linux's int argument (a sign-extended __WCLONE).
    assert_eq!(
        table.wait(INIT, -1, 0xFFFF_FFFF_C000_0001, 0),
        WaitOutcome::NothingYet,
        "0xFFFFFFFF_C0000001 reads as __WALL | __WCLONE | WNOHANG"
    );
    assert_eq!(table.wait(INIT, -1, 1 << 32, 0), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, i32::MIN, 0, 0), WaitOutcome::Failed(Errno::Esrch));
}

#[test]
fn wait_by_unknown_or_zombie_caller_is_esrch() {
    let mut table = table_with_init();
    assert_eq!(table.wait(5, -1, 0, 0), WaitOutcome::Failed(Errno::Esrch));
}

#[test]
fn wait_picks_the_oldest_matching_zombie() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    let third = spawn(&mut table, INIT);
    let _ = table.exited(third, exited_with(3));
    let _ = table.exited(second, exited_with(2));
    assert_eq!(table.wait(INIT, -1, 0, 0), WaitOutcome::Reaped { pid: second, status: 2 << 8 });
    assert_eq!(table.wait(INIT, -1, 0, 0), WaitOutcome::Reaped { pid: third, status: 3 << 8 });
    assert_eq!(table.wait(INIT, -1, WNOHANG, 0), WaitOutcome::NothingYet);
    assert!(table.info(first).is_some());
}

#[test]
fn wait_by_group_picks_only_that_groups_zombies() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let outside = spawn(&mut table, shell);
    let leader = table.create(shell, OWN_GROUP).expect("job");
    let member = table.create(shell, SpawnOptions { process_group: Some(leader), ..NO_OPTIONS });
    let member = member.expect("member");
    let _ = table.exited(outside, exited_with(1));
    let _ = table.exited(member, exited_with(2));
    let group = -(leader as i32);
    assert_eq!(
        table.wait(shell, group, WNOHANG, 0),
        WaitOutcome::Reaped { pid: member, status: 2 << 8 }
    );
    assert_eq!(table.wait(shell, group, WNOHANG, 0), WaitOutcome::NothingYet);
    // Selector 0: the caller's own group (the shell's), which holds `outside`.
    assert_eq!(
        table.wait(shell, 0, WNOHANG, 0),
        WaitOutcome::Reaped { pid: outside, status: 1 << 8 }
    );
    assert_eq!(table.wait(shell, 0, WNOHANG, 0), WaitOutcome::Failed(Errno::Echild));
}

#[test]
fn blocked_waiter_is_answered_when_the_child_ends() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, child as i32, 0, 11), WaitOutcome::Blocked);
    assert_eq!(table.waiter_count(), 1);
    let outcome = table.exited(child, exited_with(4));
    assert_eq!(outcome.answers, vec![Answer { waiter: 11, result: Ok((child, 4 << 8)) }]);
    assert_eq!(table.info(child), None, "answered means reaped");
    assert_eq!(table.waiter_count(), 0);
}

#[test]
fn waiters_are_answered_in_arrival_order_one_zombie_each() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, -1, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, -1, 0, 2), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, -1, 0, 3), WaitOutcome::Blocked);
    let outcome = table.exited(second, exited_with(2));
    assert_eq!(outcome.answers, vec![Answer { waiter: 1, result: Ok((second, 2 << 8)) }]);
    let outcome = table.exited(first, exited_with(1));
    // Waiter 2 reaps `first`; waiter 3 then has no child at all: ECHILD.
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 2, result: Ok((first, 1 << 8)) },
            Answer { waiter: 3, result: Err(Errno::Echild) },
        ]
    );
    assert_eq!(table.waiter_count(), 0);
}

#[test]
fn waiters_for_other_children_stay_blocked() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, second as i32, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, first as i32, 0, 2), WaitOutcome::Blocked);
    let outcome = table.exited(first, 0);
    assert_eq!(outcome.answers, vec![Answer { waiter: 2, result: Ok((first, 0)) }]);
    assert_eq!(table.stored_waiters(), vec![(INIT, Selector::Child(second), 1)]);
}

#[test]
fn waiters_for_the_same_child_one_reaps_the_others_get_echild() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let other = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, child as i32, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, child as i32, 0, 2), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, -1, 0, 3), WaitOutcome::Blocked);
    let outcome = table.exited(child, 0);
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 1, result: Ok((child, 0)) },
            Answer { waiter: 2, result: Err(Errno::Echild) },
        ]
    );
    // Waiter 3 still has `other` running.
    assert_eq!(table.stored_waiters(), vec![(INIT, Selector::AnyChild, 3)]);
    assert!(table.info(other).is_some());
}

#[test]
fn stored_group_zero_waiter_keeps_the_group_it_waited_with() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let child = spawn(&mut table, parent);
    assert_eq!(table.wait(parent, 0, 0, 5), WaitOutcome::Blocked);
    // The parent moves to a new group and session; its waiter still waits on group 1.
    assert_eq!(table.create_session(parent), Ok(parent));
    let outcome = table.exited(child, 0);
    assert_eq!(outcome.answers, vec![Answer { waiter: 5, result: Ok((child, 0)) }]);
}

#[test]
fn only_waiters_for_the_ended_child_wake_up() {
    // Linux wakes a parent's waiters with the ended child as key and lets through only the
    // waiters eligible for that child. A waiter whose group emptied (its child left with
    // setpgid) is not woken by another child's end.
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    let other = spawn(&mut table, shell);
    assert_eq!(table.wait(shell, -(job as i32), 0, 9), WaitOutcome::Blocked);
    assert_eq!(table.set_process_group(job, 0, shell), Ok(()), "a group leader may leave");
    let outcome = table.exited(other, 0);
    assert!(outcome.answers.is_empty(), "`other` is not in group `job`: no wake-up");
    assert_eq!(
        table.wait(shell, other as i32, 0, 0),
        WaitOutcome::Reaped { pid: other, status: 0 }
    );
    // The job comes back to its group and ends: now the waiter is woken and reaps it.
    assert_eq!(table.set_process_group(job, 0, 0), Ok(()));
    let outcome = table.exited(job, exited_with(2));
    assert_eq!(outcome.answers, vec![Answer { waiter: 9, result: Ok((job, 2 << 8)) }]);
}

#[test]
fn a_woken_waiter_with_nothing_left_gets_echild() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    let sibling = spawn(&mut table, shell);
    assert_eq!(table.wait(shell, job as i32, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(shell, -(job as i32), 0, 2), WaitOutcome::Blocked);
    assert_eq!(table.wait(shell, 0, 0, 3), WaitOutcome::Blocked);
    assert_eq!(table.wait(shell, -1, 0, 4), WaitOutcome::Blocked);
    let outcome = table.exited(job, 0);
    // Waiters 1, 2 and 4 are eligible for `job`; 1 reaps it, 2 finds nothing (ECHILD),
    // 4 still has `sibling`. Waiter 3 (the shell's own group) is not eligible for `job`.
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 1, result: Ok((job, 0)) },
            Answer { waiter: 2, result: Err(Errno::Echild) },
        ]
    );
    assert_eq!(
        table.stored_waiters(),
        vec![(shell, Selector::Group(shell), 3), (shell, Selector::AnyChild, 4)]
    );
    let outcome = table.exited(sibling, 0);
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 3, result: Ok((sibling, 0)) },
            Answer { waiter: 4, result: Err(Errno::Echild) },
        ]
    );
}

#[test]
fn synchronous_reap_wakes_no_other_waiter() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let other = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, other as i32, 0, 1), WaitOutcome::Blocked);
    let outcome = table.exited(child, 0);
    assert!(outcome.answers.is_empty(), "waiter 1 waits for `other` only");
    assert_eq!(table.wait(INIT, child as i32, 0, 2), WaitOutcome::Reaped { pid: child, status: 0 });
    assert_eq!(table.waiter_count(), 1);
}

#[test]
fn cancel_wait_removes_the_waiter() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, -1, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(INIT, -1, 0, 2), WaitOutcome::Blocked);
    assert!(table.cancel_wait(&1));
    assert!(!table.cancel_wait(&1));
    let outcome = table.exited(child, 0);
    assert_eq!(outcome.answers, vec![Answer { waiter: 2, result: Ok((child, 0)) }]);
}

#[test]
fn orphans_are_reparented_to_init_and_reaped_by_its_stored_waiter() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let live_orphan = spawn(&mut table, parent);
    let dead_orphan = spawn(&mut table, parent);
    let _ = table.exited(dead_orphan, exited_with(6));
    assert_eq!(table.wait(INIT, -1, 0, 100), WaitOutcome::Blocked);
    assert_eq!(table.wait(parent, live_orphan as i32, 0, 200), WaitOutcome::Blocked);
    let outcome = table.exited(parent, exited_with(1));
    assert_eq!(outcome.reparented, vec![live_orphan, dead_orphan]);
    assert_eq!(outcome.dropped_waiters, vec![200]);
    // Init's waiter takes its oldest zombie child: `parent` itself (older than the orphan).
    assert_eq!(outcome.answers, vec![Answer { waiter: 100, result: Ok((parent, 1 << 8)) }]);
    assert_eq!(table.parent(live_orphan), Some(INIT));
    assert_eq!(table.parent(dead_orphan), Some(INIT));
    assert_eq!(table.children(INIT), vec![live_orphan, dead_orphan]);
    assert_eq!(
        table.wait(INIT, -1, 0, 101),
        WaitOutcome::Reaped { pid: dead_orphan, status: 6 << 8 }
    );
    assert_eq!(table.wait(INIT, -1, 0, 102), WaitOutcome::Blocked);
    let outcome = table.exited(live_orphan, 0);
    assert_eq!(outcome.answers, vec![Answer { waiter: 102, result: Ok((live_orphan, 0)) }]);
    table.check_consistency();
}

#[test]
fn zombie_orphans_wake_init_even_when_the_parent_is_not_init() {
    let mut table = table_with_init();
    let grandparent = spawn(&mut table, INIT);
    let parent = spawn(&mut table, grandparent);
    let orphan = spawn(&mut table, parent);
    let _ = table.exited(orphan, exited_with(9));
    assert_eq!(table.wait(INIT, -1, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(grandparent, -1, 0, 2), WaitOutcome::Blocked);
    let outcome = table.exited(parent, 0);
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 2, result: Ok((parent, 0)) },
            Answer { waiter: 1, result: Ok((orphan, 9 << 8)) },
        ]
    );
}

#[test]
fn live_orphans_do_not_wake_init() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let orphan = spawn(&mut table, parent);
    let other = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, other as i32, 0, 1), WaitOutcome::Blocked);
    let outcome = table.exited(parent, 0);
    assert!(outcome.answers.is_empty());
    assert_eq!(outcome.reparented, vec![orphan]);
    assert_eq!(table.waiter_count(), 1);
}

#[test]
fn init_exit_is_reported_and_recorded() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.wait(INIT, -1, 0, 1), WaitOutcome::Blocked);
    let outcome = table.exited(INIT, exited_with(0));
    assert!(outcome.init_exited);
    assert_eq!(outcome.dropped_waiters, vec![1]);
    assert!(outcome.reparented.is_empty());
    assert_eq!(table.info(INIT).map(|info| info.zombie), Some(true));
    assert_eq!(table.parent(child), Some(INIT));
    assert_eq!(table.create_init(), INIT);
    assert_eq!(table.live_pids(), vec![child]);
    table.check_consistency();
}

// Kill.

#[test]
fn kill_one_process() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(reached(table.kill(INIT, child as i32, SIGTERM)), delivered(&[child]));
    assert_eq!(reached(table.kill(INIT, child as i32, 0)), delivered(&[]));
    assert_eq!(reached(table.kill(child, child as i32, SIGKILL)), delivered(&[child]), "to itself");
    assert_eq!(table.kill(INIT, 4242, 0), Err(Errno::Esrch));
    assert_eq!(table.kill(INIT, i32::MAX, 0), Err(Errno::Esrch));
    assert_eq!(table.kill(INIT, i32::MIN, 0), Err(Errno::Esrch));
    assert_eq!(table.kill(77, child as i32, 0), Err(Errno::Esrch), "unknown sender");
}

#[test]
fn kill_checks_the_signal_number_per_target_as_linux_does() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(reached(table.kill(INIT, child as i32, 64)), delivered(&[child]));
    assert_eq!(table.kill(INIT, child as i32, 65), Err(Errno::Einval));
    assert_eq!(table.kill(INIT, child as i32, u32::MAX), Err(Errno::Einval));
    // No target found comes first: ESRCH.
    assert_eq!(table.kill(INIT, 4242, 65), Err(Errno::Esrch));
    assert_eq!(table.kill(INIT, -4242, 65), Err(Errno::Esrch));
    assert_eq!(table.kill(INIT, 0, 65), Err(Errno::Einval));
    assert_eq!(table.kill(INIT, -1, 65), Err(Errno::Einval));
    assert_eq!(table.kill(child, -1, 65), Err(Errno::Esrch), "-1 from the only non-init");
}

#[test]
fn init_is_a_target_but_receives_only_signals_it_catches() {
    let mut table = table_with_init();
    assert_eq!(reached(table.kill(INIT, INIT as i32, SIGKILL)), delivered(&[]));
    assert_eq!(reached(table.kill(INIT, 0, SIGTERM)), delivered(&[]));
    let child = spawn(&mut table, INIT);
    assert_eq!(reached(table.kill(child, INIT as i32, SIGKILL)), delivered(&[]));
    assert_eq!(reached(table.kill(child, 0, SIGTERM)), delivered(&[child]));
    // A handler makes init receive the signal; SIGKILL and SIGSTOP never reach it.
    table.set_disposition(INIT, SIGTERM, Disposition::Catch, 0).expect("sigaction");
    assert_eq!(reached(table.kill(child, 0, SIGTERM)), delivered(&[INIT, child]));
    assert_eq!(reached(table.kill(child, INIT as i32, SIGSTOP)), delivered(&[]));
    assert_eq!(reached(table.kill(child, INIT as i32, SIGCONT)), delivered(&[]));
    assert_eq!(reached(table.kill(child, INIT as i32, SIGCHLD)), delivered(&[]));
    table.set_disposition(INIT, SIGCHLD, Disposition::Catch, 0).expect("sigaction");
    table.set_disposition(INIT, SIGCONT, Disposition::Catch, 0).expect("sigaction");
    assert_eq!(reached(table.kill(child, INIT as i32, SIGCHLD)), delivered(&[INIT]));
    assert_eq!(reached(table.kill(child, INIT as i32, SIGCONT)), delivered(&[INIT]));
    table.set_disposition(INIT, SIGTERM, Disposition::Ignore, 0).expect("sigaction");
    assert_eq!(reached(table.kill(child, INIT as i32, SIGTERM)), delivered(&[]));
    assert_eq!(table.stop(INIT, SIGSTOP, 0, 1), StopOutcome::Failed(Errno::Eperm));
}

#[test]
fn zombies_are_targets_but_never_receive() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let _ = table.exited(child, 0);
    assert_eq!(reached(table.kill(INIT, child as i32, SIGKILL)), delivered(&[]));
    assert_eq!(table.kill(child, INIT as i32, 0), Err(Errno::Esrch), "a zombie sends nothing");
}

#[test]
fn kill_permission_follows_linux_credentials_rule() {
    let mut table = table_with_init();
    let alice = spawn(&mut table, INIT);
    let bob = spawn(&mut table, INIT);
    let bob_child = spawn(&mut table, INIT);
    become_user(&mut table, alice, 1000);
    become_user(&mut table, bob, 1001);
    become_user(&mut table, bob_child, 1001);
    assert_eq!(table.kill(alice, bob as i32, SIGTERM), Err(Errno::Eperm));
    assert_eq!(table.kill(alice, INIT as i32, 0), Err(Errno::Eperm));
    assert_eq!(reached(table.kill(bob, bob_child as i32, SIGTERM)), delivered(&[bob_child]));
    assert_eq!(reached(table.kill(INIT, bob as i32, SIGTERM)), delivered(&[bob]), "euid 0");
    // A set-user-id program: real 1000, effective 1001 may signal both users.
    let setuid = spawn(&mut table, INIT);
    table.set_group_id(setuid, 5).expect("root setgid");
    let mut credentials = user(1000);
    credentials.euid = 1001;
    table.replace_credentials(setuid, credentials);
    assert_eq!(reached(table.kill(setuid, alice as i32, 0)), delivered(&[]));
    assert_eq!(reached(table.kill(setuid, bob as i32, 0)), delivered(&[]));
    // A target whose saved uid is the sender's uid.
    let mut saved = user(2000);
    saved.saved_uid = 1000;
    table.replace_credentials(bob_child, saved);
    assert_eq!(reached(table.kill(alice, bob_child as i32, 0)), delivered(&[]));
    // The target's effective uid does not count.
    let mut effective_only = user(3000);
    effective_only.euid = 1000;
    table.replace_credentials(bob_child, effective_only);
    assert_eq!(table.kill(alice, bob_child as i32, 0), Err(Errno::Eperm));
}

#[test]
fn sigcont_is_allowed_within_the_session() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = spawn(&mut table, shell);
    let stranger = spawn(&mut table, INIT);
    become_user(&mut table, shell, 1000);
    become_user(&mut table, job, 1001);
    become_user(&mut table, stranger, 1001);
    assert_eq!(table.kill(shell, job as i32, SIGTERM), Err(Errno::Eperm));
    assert_eq!(reached(table.kill(shell, job as i32, SIGCONT)), delivered(&[job]));
    assert_eq!(table.kill(shell, stranger as i32, SIGCONT), Err(Errno::Eperm));
}

#[test]
fn kill_a_group() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    let worker = table.create(shell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let worker = worker.expect("worker");
    let zombie = table.create(shell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let zombie = zombie.expect("zombie");
    let _ = table.exited(zombie, 0);
    assert_eq!(reached(table.kill(shell, -(job as i32), SIGTERM)), delivered(&[job, worker]));
    assert_eq!(reached(table.kill(shell, -(job as i32), 0)), delivered(&[]));
    assert_eq!(
        reached(table.kill(job, 0, SIGTERM)),
        delivered(&[job, worker]),
        "0: the sender's group"
    );
    assert_eq!(reached(table.kill(shell, 0, SIGTERM)), delivered(&[shell]));
    assert_eq!(table.kill(shell, -(worker as i32), 0), Err(Errno::Esrch), "no such group");
    assert_eq!(table.kill(shell, -4000, 0), Err(Errno::Esrch));
}

#[test]
fn kill_a_group_whose_only_member_is_a_zombie_succeeds() {
    let mut table = table_with_init();
    let job = table.create(INIT, OWN_GROUP).expect("job");
    let _ = table.exited(job, 0);
    assert_eq!(reached(table.kill(INIT, -(job as i32), SIGTERM)), delivered(&[]));
}

#[test]
fn kill_a_group_succeeds_if_any_member_allows_it() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let mine = spawn(&mut table, shell);
    let theirs = spawn(&mut table, shell);
    let sender = table.create(INIT, OWN_SESSION).expect("sender");
    become_user(&mut table, mine, 1000);
    become_user(&mut table, theirs, 1001);
    become_user(&mut table, sender, 1000);
    become_user(&mut table, shell, 1001);
    assert_eq!(reached(table.kill(sender, -(shell as i32), SIGTERM)), delivered(&[mine]));
    table.replace_credentials(mine, user(1001));
    // No member allows it: the last error, EPERM.
    assert_eq!(table.kill(sender, -(shell as i32), SIGTERM), Err(Errno::Eperm));
}

#[test]
fn kill_everything_skips_init_and_the_sender() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    let zombie = spawn(&mut table, INIT);
    let _ = table.exited(zombie, 0);
    assert_eq!(reached(table.kill(first, -1, SIGTERM)), delivered(&[second]));
    assert_eq!(reached(table.kill(INIT, -1, SIGTERM)), delivered(&[first, second]));
    assert_eq!(reached(table.kill(INIT, -1, 0)), delivered(&[]));
}

#[test]
fn kill_everything_with_nobody_else_is_esrch() {
    let mut table = table_with_init();
    assert_eq!(table.kill(INIT, -1, SIGTERM), Err(Errno::Esrch));
    let only = spawn(&mut table, INIT);
    assert_eq!(table.kill(only, -1, SIGTERM), Err(Errno::Esrch), "init does not count");
}

#[test]
fn kill_everything_succeeds_even_when_every_attempt_is_eperm() {
    // Linux's kill(-1) quirk: EPERM from every target still returns 0.
    let mut table = table_with_init();
    let sender = spawn(&mut table, INIT);
    let other = spawn(&mut table, INIT);
    let another = spawn(&mut table, INIT);
    become_user(&mut table, sender, 1000);
    become_user(&mut table, other, 1001);
    become_user(&mut table, another, 1002);
    assert_eq!(reached(table.kill(sender, -1, SIGKILL)), delivered(&[]));
    assert_eq!(reached(table.kill(sender, -1, 0)), delivered(&[]));
    assert_eq!(table.kill(sender, other as i32, SIGKILL), Err(Errno::Eperm));
    assert_eq!(table.kill(sender, another as i32, 0), Err(Errno::Eperm));
}

// Process groups and sessions.

#[test]
fn setpgid_on_itself() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let process = spawn(&mut table, shell);
    assert_eq!(table.set_process_group(process, 0, 0), Ok(()));
    assert_eq!(table.process_group(process, 0), Ok(process));
    assert_eq!(table.set_process_group(process, process, shell), Ok(()), "back to a group");
    assert_eq!(table.process_group(INIT, process), Ok(shell));
    assert_eq!(table.set_process_group(process, 0, process), Ok(()), "pgid == pid: new group");
    assert_eq!(table.set_process_group(process, 0, process), Ok(()), "no change is fine");
}

#[test]
fn setpgid_on_a_spawned_child_is_eacces() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let child = spawn(&mut table, shell);
    assert_eq!(table.set_process_group(shell, child, 0), Err(Errno::Eacces));
    assert_eq!(table.set_process_group(shell, child, shell), Err(Errno::Eacces));
    // Also for a zombie child.
    let _ = table.exited(child, 0);
    assert_eq!(table.set_process_group(shell, child, 0), Err(Errno::Eacces));
}

#[test]
fn setpgid_on_a_child_in_another_session_is_eperm_before_eacces() {
    let mut table = table_with_init();
    let daemon = table.create(INIT, OWN_SESSION).expect("daemon");
    assert_eq!(table.set_process_group(INIT, daemon, 0), Err(Errno::Eperm));
}

#[test]
fn setpgid_on_a_stranger_is_esrch() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let grandchild = spawn(&mut table, child);
    let sibling = spawn(&mut table, INIT);
    assert_eq!(table.set_process_group(INIT, grandchild, 0), Err(Errno::Esrch));
    assert_eq!(table.set_process_group(child, sibling, 0), Err(Errno::Esrch));
    assert_eq!(table.set_process_group(child, INIT, 0), Err(Errno::Esrch), "not the parent");
    assert_eq!(table.set_process_group(child, 999, 0), Err(Errno::Esrch));
    assert_eq!(table.set_process_group(55, 0, 0), Err(Errno::Esrch), "unknown caller");
}

#[test]
fn setpgid_checks_its_arguments_in_linux_order() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let process = spawn(&mut table, shell);
    // A negative group (for Linux) is EINVAL before anything else.
    assert_eq!(table.set_process_group(process, 999, 0x8000_0000), Err(Errno::Einval));
    assert_eq!(table.set_process_group(process, 0x8000_0000, 0), Err(Errno::Einval));
    assert_eq!(table.set_process_group(process, 0xFFFF_FFFF, 5), Err(Errno::Esrch));
    // A session leader may not change its group, not even to its own.
    assert_eq!(table.set_process_group(shell, 0, 0), Err(Errno::Eperm));
    assert_eq!(table.set_process_group(INIT, 0, 0), Err(Errno::Eperm));
    // A group that does not exist, or exists in another session.
    assert_eq!(table.set_process_group(process, 0, 4000), Err(Errno::Eperm));
    assert_eq!(table.set_process_group(process, 0, INIT), Err(Errno::Eperm));
    assert_eq!(table.process_group(process, 0), Ok(shell), "nothing changed");
}

#[test]
fn setpgid_into_a_group_kept_alive_by_a_zombie() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    let process = spawn(&mut table, shell);
    let _ = table.exited(job, 0);
    assert_eq!(table.set_process_group(process, 0, job), Ok(()));
    assert_eq!(table.wait(shell, job as i32, 0, 0), WaitOutcome::Reaped { pid: job, status: 0 });
    assert!(table.is_in_use(job), "the group id lives on with its member");
    assert_eq!(reached(table.kill(shell, -(job as i32), 0)), delivered(&[]));
}

#[test]
fn getpgid_and_getsid() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    assert_eq!(table.process_group(job, 0), Ok(job));
    assert_eq!(table.session(job, 0), Ok(shell));
    assert_eq!(table.process_group(INIT, job), Ok(job));
    assert_eq!(table.session(INIT, job), Ok(shell));
    assert_eq!(table.process_group(INIT, 0), Ok(INIT));
    assert_eq!(table.session(INIT, 0), Ok(INIT));
    assert_eq!(table.process_group(INIT, 999), Err(Errno::Esrch));
    assert_eq!(table.session(INIT, 999), Err(Errno::Esrch));
    let _ = table.exited(job, 0);
    assert_eq!(table.session(INIT, job), Ok(shell), "zombies still answer");
}

#[test]
fn setsid_makes_a_new_session_and_group() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.create_session(child), Ok(child));
    let info = table.info(child).expect("exists");
    assert_eq!((info.process_group, info.session), (child, child));
    assert_eq!(table.create_session(child), Err(Errno::Eperm), "already a session leader");
    assert_eq!(table.create_session(INIT), Err(Errno::Eperm));
    assert_eq!(table.create_session(99), Err(Errno::Esrch));
}

#[test]
fn setsid_by_a_group_leader_is_eperm_even_after_it_left_the_group() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let leader = table.create(shell, OWN_GROUP).expect("leader");
    assert_eq!(table.create_session(leader), Err(Errno::Eperm));
    let member = table.create(shell, SpawnOptions { process_group: Some(leader), ..NO_OPTIONS });
    let member = member.expect("member");
    assert_eq!(table.set_process_group(leader, 0, shell), Ok(()));
    // Group `leader` still exists (member) so its id is taken: EPERM.
    assert_eq!(table.create_session(leader), Err(Errno::Eperm));
    assert_eq!(table.set_process_group(member, 0, shell), Ok(()));
    assert_eq!(table.create_session(leader), Ok(leader));
}

// Credentials.

#[test]
fn setuid_as_root_sets_all_three() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.set_user_id(child, 1000), Ok(()));
    let credentials = table.credentials(child).expect("exists");
    assert_eq!((credentials.uid, credentials.euid, credentials.saved_uid), (1000, 1000, 1000));
    assert_eq!(table.set_user_id(child, 0), Err(Errno::Eperm), "no way back");
    assert_eq!(table.set_user_id(child, 1000), Ok(()));
    assert_eq!(table.set_user_id(child, u32::MAX), Err(Errno::Einval));
    assert_eq!(table.set_user_id(42, 0), Err(Errno::Esrch));
}

#[test]
fn setuid_unprivileged_switches_between_real_and_saved() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    // A set-user-id image: real 1000, effective and saved 2000.
    table.replace_credentials(
        child,
        Credentials { uid: 1000, euid: 2000, saved_uid: 2000, ..user(5) },
    );
    assert_eq!(table.set_user_id(child, 1000), Ok(()));
    let credentials = table.credentials(child).expect("exists");
    assert_eq!((credentials.uid, credentials.euid, credentials.saved_uid), (1000, 1000, 2000));
    assert_eq!(table.set_user_id(child, 2000), Ok(()), "back to the saved uid");
    assert_eq!(table.set_user_id(child, 3000), Err(Errno::Eperm));
    // Saved uid 0 but euid not 0: unprivileged rule, may return to euid 0.
    table
        .replace_credentials(child, Credentials { uid: 1000, euid: 1000, saved_uid: 0, ..user(5) });
    assert_eq!(table.set_user_id(child, 0), Ok(()));
    assert_eq!(table.credentials(child).map(|credentials| credentials.uid), Some(1000));
    assert_eq!(table.set_user_id(child, 7), Ok(()), "privileged again: all three");
    assert_eq!(
        table.credentials(child),
        Some(Credentials { uid: 7, euid: 7, saved_uid: 7, ..user(5) })
    );
}

#[test]
fn setgid_follows_the_same_rule_with_euid_zero_as_privilege() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.set_group_id(child, 100), Ok(()));
    let credentials = table.credentials(child).expect("exists");
    assert_eq!((credentials.gid, credentials.egid, credentials.saved_gid), (100, 100, 100));
    assert_eq!(table.set_user_id(child, 1000), Ok(()));
    assert_eq!(table.set_group_id(child, 0), Err(Errno::Eperm));
    assert_eq!(table.set_group_id(child, 100), Ok(()));
    assert_eq!(table.set_group_id(child, u32::MAX), Err(Errno::Einval));
    table.replace_credentials(
        child,
        Credentials { gid: 100, egid: 200, saved_gid: 200, ..user(1000) },
    );
    assert_eq!(table.set_group_id(child, 100), Ok(()));
    assert_eq!(table.set_group_id(child, 200), Ok(()));
    let credentials = table.credentials(child).expect("exists");
    assert_eq!((credentials.gid, credentials.egid, credentials.saved_gid), (100, 200, 200));
}

#[test]
fn credentials_of_unknown_processes_are_none() {
    let table = table_with_init();
    assert_eq!(table.credentials(2), None);
    assert_eq!(table.parent(2), None);
    assert_eq!(table.info(2), None);
}

// Signals: dispositions, what a signal does, stops and continues, SIGCHLD, auto-reap.

const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;
/// The first real-time signal as Courier numbers it.
const SIGRTMIN: u32 = 34;

/// The information `kill` gives: `SI_USER`, the sender and its real uid.
fn from_user(signal: u32, sender: Pid, uid: u32) -> SignalInfo {
    SignalInfo { signal, code: SI_USER, pid: sender, uid, value: 0, status: 0 }
}

/// A `SIGCHLD` about `child` (real uid `uid`).
fn child_notice(code: i32, child: Pid, uid: u32, status: i32) -> SignalInfo {
    SignalInfo { signal: SIGCHLD, code, pid: child, uid, value: 0, status }
}

fn post(pid: Pid, info: SignalInfo, generation: u32) -> Signalling<u32> {
    Signalling::Post { pid, info, generation }
}

fn generation(table: &Table, pid: Pid) -> u32 {
    table.signal_state(pid).expect("exists").continue_generation
}

fn catch(table: &mut Table, pid: Pid, signal: u32, flags: u64) {
    table.set_disposition(pid, signal, Disposition::Catch, flags).expect("sigaction");
}

fn ignore(table: &mut Table, pid: Pid, signal: u32) {
    table.set_disposition(pid, signal, Disposition::Ignore, 0).expect("sigaction");
}

/// Stops `pid` by `signal` with its current generation, holding `token`; returns what the
/// stop produced.
fn stop(table: &mut Table, pid: Pid, signal: u32, token: u32) -> StopOutcome<u32> {
    let generation = generation(table, pid);
    let outcome = table.stop(pid, signal, generation, token);
    assert!(matches!(outcome, StopOutcome::Stopped { .. }), "{outcome:?}");
    assert_eq!(table.info(pid).map(|info| info.stopped), Some(true));
    outcome
}

/// A session leader (a shell, child of init) and a job: its child in a group of its own,
/// which the shell keeps from being orphaned.
fn shell_and_job(table: &mut Table) -> (Pid, Pid) {
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    (shell, job)
}

fn stopped_quietly() -> StopOutcome<u32> {
    StopOutcome::Stopped { answers: Vec::new(), signals: Vec::new() }
}

#[test]
fn set_disposition_checks_the_signal_and_the_caller() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    for signal in [0, 65, u32::MAX] {
        assert_eq!(
            table.set_disposition(child, signal, Disposition::Ignore, 0),
            Err(Errno::Einval)
        );
    }
    for signal in [SIGKILL, SIGSTOP] {
        for disposition in [Disposition::Ignore, Disposition::Catch] {
            assert_eq!(table.set_disposition(child, signal, disposition, 0), Err(Errno::Einval));
        }
        assert_eq!(table.set_disposition(child, signal, Disposition::Default, 0), Ok(()));
    }
    assert_eq!(table.set_disposition(99, SIGTERM, Disposition::Ignore, 0), Err(Errno::Esrch));
    assert_eq!(table.set_disposition(99, 0, Disposition::Ignore, 0), Err(Errno::Einval));
    let _ = table.exited(child, 0);
    assert_eq!(table.set_disposition(child, SIGTERM, Disposition::Ignore, 0), Err(Errno::Esrch));
}

#[test]
fn kill_posts_with_the_senders_pid_and_real_uid_and_the_generation() {
    let mut table = table_with_init();
    let sender = spawn(&mut table, INIT);
    let target = spawn(&mut table, INIT);
    let mut credentials = user(1000);
    credentials.euid = 0;
    table.replace_credentials(sender, credentials);
    let outcome = table.kill(sender, target as i32, SIGTERM).expect("allowed");
    let info = from_user(SIGTERM, sender, 1000);
    assert_eq!(outcome, KillOutcome { signals: vec![post(target, info, 0)], answers: vec![] });
    // Signal 0 does nothing; SIGKILL ends the target.
    assert_eq!(table.kill(sender, target as i32, 0), Ok(KillOutcome::default()));
    assert_eq!(
        table.kill(sender, target as i32, SIGKILL).map(|outcome| outcome.signals),
        Ok(vec![Signalling::Kill { pid: target, signal: SIGKILL }])
    );
    // Stop signals are posted too: the target's libsys asks to stop.
    let outcome = table.kill(sender, target as i32, SIGTSTP).expect("allowed");
    assert_eq!(outcome.signals, vec![post(target, from_user(SIGTSTP, sender, 1000), 0)]);
}

#[test]
fn ignored_signals_are_discarded() {
    let mut table = table_with_init();
    let target = spawn(&mut table, INIT);
    // Default "ignore" actions: SIGCHLD, SIGURG, SIGWINCH.
    for signal in [SIGCHLD, SIGURG, SIGWINCH] {
        assert_eq!(reached(table.kill(INIT, target as i32, signal)), delivered(&[]));
    }
    // Explicitly ignored.
    ignore(&mut table, target, SIGUSR1);
    assert_eq!(reached(table.kill(INIT, target as i32, SIGUSR1)), delivered(&[]));
    ignore(&mut table, target, SIGTSTP);
    assert_eq!(reached(table.kill(INIT, target as i32, SIGTSTP)), delivered(&[]));
    // Caught, a default-ignore signal is posted; back to the default, it is discarded.
    catch(&mut table, target, SIGWINCH, 0);
    assert_eq!(reached(table.kill(INIT, target as i32, SIGWINCH)), delivered(&[target]));
    table.set_disposition(target, SIGWINCH, Disposition::Default, 0).expect("sigaction");
    assert_eq!(reached(table.kill(INIT, target as i32, SIGWINCH)), delivered(&[]));
    table.set_disposition(target, SIGUSR1, Disposition::Default, 0).expect("sigaction");
    assert_eq!(reached(table.kill(INIT, target as i32, SIGUSR1)), delivered(&[target]));
    // The permission check still applies to an ignored signal.
    let stranger = spawn(&mut table, INIT);
    become_user(&mut table, stranger, 1000);
    assert_eq!(table.kill(stranger, target as i32, SIGCHLD), Err(Errno::Eperm));
}

#[test]
fn spawned_children_keep_ignored_signals_and_lose_handlers() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    ignore(&mut table, parent, SIGINT);
    catch(&mut table, parent, SIGTERM, 0);
    catch(&mut table, parent, SIGCHLD, SA_NOCLDWAIT | SA_NOCLDSTOP);
    let child = spawn(&mut table, parent);
    assert_eq!(reached(table.kill(INIT, child as i32, SIGINT)), delivered(&[]), "still ignored");
    assert_eq!(reached(table.kill(INIT, child as i32, SIGTERM)), delivered(&[child]));
    // The caught SIGCHLD is back to the default (discarded) and its flags are gone: the
    // child's own children become zombies.
    assert_eq!(reached(table.kill(INIT, child as i32, SIGCHLD)), delivered(&[]));
    let grandchild = spawn(&mut table, child);
    let outcome = table.exited(grandchild, 0);
    assert!(outcome.signals.is_empty());
    assert_eq!(table.info(grandchild).map(|info| info.zombie), Some(true));
    // An ignored SIGCHLD is inherited, and with it the auto-reap.
    ignore(&mut table, child, SIGCHLD);
    let reaper = spawn(&mut table, child);
    let grandchild = spawn(&mut table, reaper);
    let _ = table.exited(grandchild, 0);
    assert_eq!(table.info(grandchild), None, "reaped at once");
}

#[test]
fn stop_requests_are_checked() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    for signal in [0, SIGTERM, SIGCONT, SIGKILL, 65] {
        assert_eq!(table.stop(child, signal, 0, 1), StopOutcome::Failed(Errno::Einval));
    }
    assert_eq!(table.stop(99, SIGSTOP, 0, 1), StopOutcome::Failed(Errno::Esrch));
    assert_eq!(table.stop(INIT, SIGSTOP, 0, 1), StopOutcome::Failed(Errno::Eperm));
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    for signal in [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU] {
        let job = table.create(shell, OWN_GROUP).expect("job");
        assert_eq!(table.stop(job, signal, 0, 2), stopped_quietly());
    }
    assert_eq!(table.stop(child, SIGSTOP, 0, 3), stopped_quietly());
    assert_eq!(table.stop(child, SIGTSTP, 0, 4), StopOutcome::Failed(Errno::Ebusy));
    let info = table.info(child).expect("exists");
    assert!(info.stopped && !info.zombie);
    let zombie = spawn(&mut table, INIT);
    let _ = table.exited(zombie, 0);
    assert_eq!(table.stop(zombie, SIGSTOP, 0, 5), StopOutcome::Failed(Errno::Esrch));
}

#[test]
fn sigcont_voids_a_stop_still_in_flight() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    let outcome = table.kill(INIT, child as i32, SIGSTOP).expect("allowed");
    assert_eq!(outcome.signals, vec![post(child, from_user(SIGSTOP, INIT, 0), 0)]);
    // SIGCONT before the stop request: the generation moves on, SIGCONT is posted.
    let outcome = table.kill(INIT, child as i32, SIGCONT).expect("allowed");
    assert_eq!(outcome.signals, vec![post(child, from_user(SIGCONT, INIT, 0), 1)]);
    assert_eq!(table.stop(child, SIGSTOP, 0, 7), StopOutcome::Continued);
    assert_eq!(table.info(child).map(|info| info.stopped), Some(false));
    // A stop posted after the SIGCONT carries the new generation and stops.
    assert_eq!(table.stop(child, SIGSTOP, 1, 8), stopped_quietly());
}

#[test]
fn sigcont_resumes_a_stopped_process_then_posts_what_it_held() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    stop(&mut table, child, SIGSTOP, 40);
    // Held while stopped: standard signals once (the first information kept), real-time
    // signals each time, stop signals until the SIGCONT flushes them.
    for signal in [SIGTERM, SIGRTMIN, SIGUSR1, SIGTERM, SIGRTMIN, SIGTTIN] {
        assert_eq!(table.kill(INIT, child as i32, signal), Ok(KillOutcome::default()));
    }
    let outcome = table.queue(INIT, child, SIGRTMIN, 77).expect("allowed");
    assert_eq!(outcome, KillOutcome::default());
    // Ignored ones are discarded even while stopped.
    assert_eq!(table.kill(INIT, child as i32, SIGWINCH), Ok(KillOutcome::default()));
    let outcome = table.kill(INIT, child as i32, SIGCONT).expect("allowed");
    let queued =
        SignalInfo { signal: SIGRTMIN, code: SI_QUEUE, pid: INIT, uid: 0, value: 77, status: 0 };
    assert_eq!(
        outcome.signals,
        vec![
            Signalling::Resume { pid: child, waiter: 40 },
            post(child, from_user(SIGTERM, INIT, 0), 1),
            post(child, from_user(SIGRTMIN, INIT, 0), 1),
            post(child, from_user(SIGUSR1, INIT, 0), 1),
            post(child, from_user(SIGRTMIN, INIT, 0), 1),
            post(child, queued, 1),
            post(child, from_user(SIGCONT, INIT, 0), 1),
        ]
    );
    assert!(outcome.answers.is_empty());
    let info = table.info(child).expect("exists");
    assert!(!info.stopped);
    assert!(table.signal_state(child).expect("exists").held.is_empty());
    // Running now: signals are posted at once.
    assert_eq!(reached(table.kill(INIT, child as i32, SIGUSR2)), delivered(&[child]));
}

#[test]
fn sigcont_ignored_by_the_target_still_resumes_it() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    ignore(&mut table, child, SIGCONT);
    stop(&mut table, child, SIGSTOP, 5);
    let outcome = table.kill(INIT, child as i32, SIGCONT).expect("allowed");
    assert_eq!(outcome.signals, vec![Signalling::Resume { pid: child, waiter: 5 }]);
    assert_eq!(generation(&table, child), 1);
    // Not stopped: only the generation moves.
    assert_eq!(table.kill(INIT, child as i32, SIGCONT), Ok(KillOutcome::default()));
    assert_eq!(generation(&table, child), 2);
}

#[test]
fn sigkill_ends_a_stopped_process_and_its_held_request_is_dropped() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    stop(&mut table, child, SIGSTOP, 9);
    assert_eq!(table.kill(INIT, child as i32, SIGTERM), Ok(KillOutcome::default()));
    assert_eq!(
        table.kill(INIT, child as i32, SIGKILL).map(|outcome| outcome.signals),
        Ok(vec![Signalling::Kill { pid: child, signal: SIGKILL }])
    );
    assert_eq!(table.wait(INIT, -1, 0, 3), WaitOutcome::Blocked);
    let outcome = table.exited(child, SIGKILL);
    assert_eq!(outcome.dropped_waiters, vec![9]);
    assert_eq!(outcome.answers, vec![Answer { waiter: 3, result: Ok((child, SIGKILL)) }]);
    table.check_consistency();
}

#[test]
fn held_real_time_signals_are_bounded() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    stop(&mut table, child, SIGSTOP, 1);
    for _ in 0..crate::table::HELD_SIGNALS_MAX + 10 {
        let _ = table.kill(INIT, child as i32, SIGRTMIN);
    }
    let _ = table.kill(INIT, child as i32, SIGRTMIN + 1);
    let _ = table.kill(INIT, child as i32, SIGRTMIN + 1);
    let held = table.signal_state(child).expect("exists").held;
    assert_eq!(held.len(), crate::table::HELD_SIGNALS_MAX + 1, "the full queue, then one each");
    assert_eq!(held.last().map(|info| info.signal), Some(SIGRTMIN + 1));
}

#[test]
fn ignoring_a_signal_drops_it_from_the_held_ones() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    catch(&mut table, child, SIGWINCH, 0);
    stop(&mut table, child, SIGSTOP, 1);
    for signal in [SIGTERM, SIGWINCH, SIGUSR1] {
        let _ = table.kill(INIT, child as i32, signal);
    }
    ignore(&mut table, child, SIGTERM);
    table.set_disposition(child, SIGWINCH, Disposition::Default, 0).expect("sigaction");
    catch(&mut table, child, SIGUSR1, 0);
    let held: Vec<u32> =
        table.signal_state(child).expect("exists").held.iter().map(|info| info.signal).collect();
    assert_eq!(held, vec![SIGUSR1]);
}

#[test]
fn a_stop_wakes_the_parents_wuntraced_waiters_in_arrival_order() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let child = table.create(parent, OWN_GROUP).expect("a job");
    let other = spawn(&mut table, parent);
    assert_eq!(table.wait(parent, -1, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(parent, child as i32, WUNTRACED, 2), WaitOutcome::Blocked);
    assert_eq!(table.wait(parent, -1, WUNTRACED | WCONTINUED, 3), WaitOutcome::Blocked);
    assert_eq!(table.wait(parent, other as i32, WUNTRACED, 4), WaitOutcome::Blocked);
    let outcome = stop(&mut table, child, SIGTTOU, 50);
    let status = SIGTTOU << 8 | 0x7f;
    assert_eq!(
        outcome,
        StopOutcome::Stopped {
            answers: vec![Answer { waiter: 2, result: Ok((child, status)) }],
            signals: vec![],
        }
    );
    // The report went to waiter 2 only.
    assert_eq!(
        table.stored_waiters(),
        vec![
            (parent, Selector::AnyChild, 1),
            (parent, Selector::AnyChild, 3),
            (parent, Selector::Child(other), 4)
        ]
    );
    assert_eq!(table.wait(parent, -1, WUNTRACED | WNOHANG, 5), WaitOutcome::NothingYet);
    // Its continue goes to waiter 3, the first with WCONTINUED.
    let outcome = table.kill(parent, child as i32, SIGCONT).expect("allowed");
    assert_eq!(outcome.answers, vec![Answer { waiter: 3, result: Ok((child, 0xffff)) }]);
    assert_eq!(table.waiter_count(), 2);
}

#[test]
fn wait_reports_a_stop_once_with_wuntraced() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    stop(&mut table, child, SIGSTOP, 1);
    assert_eq!(table.wait(INIT, -1, WNOHANG, 2), WaitOutcome::NothingYet, "no WUNTRACED");
    assert_eq!(table.wait(INIT, -1, WNOHANG | WCONTINUED, 2), WaitOutcome::NothingYet);
    assert_eq!(
        table.wait(INIT, -1, WUNTRACED, 3),
        WaitOutcome::Reaped { pid: child, status: SIGSTOP << 8 | 0x7f }
    );
    assert_eq!(table.info(child).map(|info| info.stopped), Some(true), "the child stays");
    assert_eq!(table.wait(INIT, -1, WUNTRACED | WNOHANG, 4), WaitOutcome::NothingYet);
    // Continued: reported once with WCONTINUED.
    let _ = table.kill(INIT, child as i32, SIGCONT);
    assert_eq!(table.wait(INIT, -1, WUNTRACED | WNOHANG, 5), WaitOutcome::NothingYet);
    assert_eq!(
        table.wait(INIT, child as i32, WCONTINUED, 6),
        WaitOutcome::Reaped { pid: child, status: 0xffff }
    );
    assert_eq!(table.wait(INIT, -1, WCONTINUED | WNOHANG, 7), WaitOutcome::NothingYet);
}

#[test]
fn a_continue_replaces_an_unreported_stop_and_a_stop_an_unreported_continue() {
    let mut table = table_with_init();
    let (shell, child) = shell_and_job(&mut table);
    stop(&mut table, child, SIGSTOP, 1);
    let _ = table.kill(shell, child as i32, SIGCONT);
    assert_eq!(table.wait(shell, -1, WUNTRACED | WNOHANG, 2), WaitOutcome::NothingYet);
    stop(&mut table, child, SIGTSTP, 3);
    assert_eq!(table.wait(shell, -1, WCONTINUED | WNOHANG, 4), WaitOutcome::NothingYet);
    assert_eq!(
        table.wait(shell, -1, WUNTRACED | WCONTINUED, 5),
        WaitOutcome::Reaped { pid: child, status: SIGTSTP << 8 | 0x7f }
    );
}

#[test]
fn wait_takes_the_first_child_with_something_to_report() {
    let mut table = table_with_init();
    let first = spawn(&mut table, INIT);
    let second = spawn(&mut table, INIT);
    let _ = table.exited(second, exited_with(2));
    stop(&mut table, first, SIGSTOP, 1);
    // `first` comes before `second` in the children: its stop is reported first.
    assert_eq!(
        table.wait(INIT, -1, WUNTRACED, 2),
        WaitOutcome::Reaped { pid: first, status: SIGSTOP << 8 | 0x7f }
    );
    assert_eq!(
        table.wait(INIT, -1, WUNTRACED, 3),
        WaitOutcome::Reaped { pid: second, status: 2 << 8 }
    );
}

#[test]
fn stop_and_continue_send_sigchld_unless_the_parent_says_no() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let child = table.create(parent, OWN_GROUP).expect("a job");
    become_user(&mut table, child, 1000);
    // SIGCHLD by default is discarded.
    assert_eq!(stop(&mut table, child, SIGSTOP, 1), stopped_quietly());
    let _ = table.kill(INIT, child as i32, SIGCONT);
    // With a handler: CLD_STOPPED with the signal, CLD_CONTINUED with SIGCONT.
    catch(&mut table, parent, SIGCHLD, SA_RESTART);
    let outcome = stop(&mut table, child, SIGTTIN, 2);
    let notice = child_notice(CLD_STOPPED, child, 1000, SIGTTIN as i32);
    assert_eq!(
        outcome,
        StopOutcome::Stopped { answers: vec![], signals: vec![post(parent, notice, 0)] }
    );
    let outcome = table.kill(INIT, child as i32, SIGCONT).expect("allowed");
    let notice = child_notice(CLD_CONTINUED, child, 1000, SIGCONT as i32);
    assert_eq!(
        outcome.signals,
        vec![
            Signalling::Resume { pid: child, waiter: 2 },
            post(parent, notice, 0),
            post(child, from_user(SIGCONT, INIT, 0), 2),
        ]
    );
    // SA_NOCLDSTOP: no SIGCHLD for stops and continues.
    catch(&mut table, parent, SIGCHLD, SA_NOCLDSTOP);
    assert_eq!(stop(&mut table, child, SIGSTOP, 3), stopped_quietly());
    let outcome = table.kill(INIT, child as i32, SIGCONT).expect("allowed");
    assert_eq!(outcome.signals.len(), 2, "resume and SIGCONT only");
    // Ignored: none either.
    ignore(&mut table, parent, SIGCHLD);
    assert_eq!(stop(&mut table, child, SIGSTOP, 4), stopped_quietly());
}

#[test]
fn a_stopped_parent_holds_the_sigchld_of_its_child() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let child = spawn(&mut table, parent);
    catch(&mut table, parent, SIGCHLD, 0);
    stop(&mut table, parent, SIGSTOP, 1);
    let outcome = table.exited(child, exited_with(3));
    assert!(outcome.signals.is_empty());
    let outcome = table.kill(INIT, parent as i32, SIGCONT).expect("allowed");
    assert_eq!(
        outcome.signals,
        vec![
            Signalling::Resume { pid: parent, waiter: 1 },
            post(parent, child_notice(CLD_EXITED, child, 0, 3), 1),
            post(parent, from_user(SIGCONT, INIT, 0), 1),
        ]
    );
}

#[test]
fn exit_sends_sigchld_with_the_code_or_the_signal() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    catch(&mut table, parent, SIGCHLD, 0);
    let cases = [
        (exited_with(7), exited_with(7), CLD_EXITED, 7),
        (SIGTERM, SIGTERM, CLD_KILLED, SIGTERM),
        (SIGKILL, SIGKILL, CLD_KILLED, SIGKILL),
        (SIGSEGV, SIGSEGV | 0x80, CLD_DUMPED, SIGSEGV),
        (SIGQUIT, SIGQUIT | 0x80, CLD_DUMPED, SIGQUIT),
        (SIGABRT | 0x80, SIGABRT | 0x80, CLD_DUMPED, SIGABRT),
        (SIGHUP, SIGHUP, CLD_KILLED, SIGHUP),
    ];
    for (status, wait_status, code, detail) in cases {
        let child = spawn(&mut table, parent);
        become_user(&mut table, child, 1000 + status);
        let outcome = table.exited(child, status);
        let notice = child_notice(code, child, 1000 + status, detail as i32);
        assert_eq!(outcome.signals, vec![post(parent, notice, 0)], "status {status:#x}");
        assert_eq!(
            table.wait(parent, child as i32, 0, 0),
            WaitOutcome::Reaped { pid: child, status: wait_status },
            "the core bit for {status:#x}"
        );
    }
    // Init's children: init catches nothing, so nothing is posted.
    let child = spawn(&mut table, INIT);
    assert_eq!(table.exited(child, SIGSEGV).signals, vec![]);
    assert_eq!(
        table.wait(INIT, child as i32, 0, 0),
        WaitOutcome::Reaped { pid: child, status: SIGSEGV | 0x80 }
    );
}

#[test]
fn exit_of_a_stopped_process_drops_its_request_and_held_signals() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    assert_eq!(table.wait(child, -1, 0, 1), WaitOutcome::Failed(Errno::Echild));
    let grandchild = spawn(&mut table, child);
    assert_eq!(table.wait(child, -1, 0, 2), WaitOutcome::Blocked);
    stop(&mut table, child, SIGSTOP, 3);
    let _ = table.kill(INIT, child as i32, SIGTERM);
    let outcome = table.exited(child, SIGKILL);
    assert_eq!(outcome.dropped_waiters, vec![2, 3], "stored waiters, then the stop request");
    assert_eq!(outcome.reparented, vec![grandchild]);
    let info = table.info(child).expect("a zombie");
    assert!(info.zombie && !info.stopped);
    assert_eq!(table.signal_state(child).map(|state| state.held.len()), Some(0));
    table.check_consistency();
}

#[test]
fn a_parent_ignoring_sigchld_takes_no_zombies() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    ignore(&mut table, parent, SIGCHLD);
    let child = spawn(&mut table, parent);
    let other = spawn(&mut table, parent);
    assert_eq!(table.wait(parent, child as i32, 0, 1), WaitOutcome::Blocked);
    assert_eq!(table.wait(parent, -1, 0, 2), WaitOutcome::Blocked);
    let outcome = table.exited(child, exited_with(1));
    assert!(outcome.signals.is_empty(), "SIG_IGN: no signal");
    // Waiter 1 has nothing left: ECHILD; waiter 2 still has `other`.
    assert_eq!(outcome.answers, vec![Answer { waiter: 1, result: Err(Errno::Echild) }]);
    assert_eq!(table.info(child), None);
    assert!(!table.is_in_use(child), "the number is free");
    assert_eq!(table.children(parent), vec![other]);
    let outcome = table.exited(other, 0);
    assert_eq!(outcome.answers, vec![Answer { waiter: 2, result: Err(Errno::Echild) }]);
    assert_eq!(table.wait(parent, -1, 0, 3), WaitOutcome::Failed(Errno::Echild));
    table.check_consistency();
}

#[test]
fn sa_nocldwait_takes_no_zombies_but_still_signals_a_handler() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    catch(&mut table, parent, SIGCHLD, SA_NOCLDWAIT);
    let child = spawn(&mut table, parent);
    let outcome = table.exited(child, exited_with(4));
    assert_eq!(outcome.signals, vec![post(parent, child_notice(CLD_EXITED, child, 0, 4), 0)]);
    assert_eq!(table.info(child), None);
    // The default disposition with SA_NOCLDWAIT: no zombie, and no signal.
    table.set_disposition(parent, SIGCHLD, Disposition::Default, SA_NOCLDWAIT).expect("ok");
    let child = spawn(&mut table, parent);
    let outcome = table.exited(child, 0);
    assert!(outcome.signals.is_empty());
    assert_eq!(table.info(child), None);
    // Without the flag, zombies again.
    table.set_disposition(parent, SIGCHLD, Disposition::Default, 0).expect("ok");
    let child = spawn(&mut table, parent);
    let _ = table.exited(child, 0);
    assert_eq!(table.info(child).map(|info| info.zombie), Some(true));
}

#[test]
fn ignoring_sigchld_later_keeps_the_zombies_already_there() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let child = spawn(&mut table, parent);
    let _ = table.exited(child, 0);
    ignore(&mut table, parent, SIGCHLD);
    assert_eq!(table.wait(parent, -1, 0, 1), WaitOutcome::Reaped { pid: child, status: 0 });
}

#[test]
fn init_is_told_of_adopted_zombies_and_keeps_them() {
    let mut table = table_with_init();
    let parent = spawn(&mut table, INIT);
    let zombie = spawn(&mut table, parent);
    let live = spawn(&mut table, parent);
    let _ = table.exited(zombie, exited_with(5));
    catch(&mut table, INIT, SIGCHLD, SA_NOCLDWAIT);
    let outcome = table.exited(parent, exited_with(1));
    assert_eq!(
        outcome.signals,
        vec![
            post(INIT, child_notice(CLD_EXITED, zombie, 0, 5), 0),
            post(INIT, child_notice(CLD_EXITED, parent, 0, 1), 0),
        ]
    );
    // The parent, init's own child, was reaped at once (SA_NOCLDWAIT); the adopted zombie
    // stays for init to reap.
    assert_eq!(table.info(parent), None);
    assert_eq!(table.children(INIT), vec![zombie, live]);
    assert_eq!(table.wait(INIT, -1, 0, 1), WaitOutcome::Reaped { pid: zombie, status: 5 << 8 });
    table.check_consistency();
}

#[test]
fn queue_sends_one_signal_with_a_value() {
    let mut table = table_with_init();
    let sender = spawn(&mut table, INIT);
    let target = spawn(&mut table, INIT);
    become_user(&mut table, sender, 1000);
    become_user(&mut table, target, 1000);
    let outcome = table.queue(sender, target, SIGRTMIN + 2, 0xfeed).expect("allowed");
    let info = SignalInfo {
        signal: SIGRTMIN + 2,
        code: SI_QUEUE,
        pid: sender,
        uid: 1000,
        value: 0xfeed,
        status: 0,
    };
    assert_eq!(outcome.signals, vec![post(target, info, 0)]);
    assert_eq!(table.queue(sender, 0, SIGUSR1, 0), Err(Errno::Esrch));
    assert_eq!(table.queue(sender, 999, SIGUSR1, 0), Err(Errno::Esrch));
    assert_eq!(table.queue(sender, 999, 65, 0), Err(Errno::Esrch), "no target first");
    assert_eq!(table.queue(sender, target, 65, 0), Err(Errno::Einval));
    assert_eq!(table.queue(sender, INIT, SIGUSR1, 0), Err(Errno::Eperm));
    assert_eq!(table.queue(999, target, SIGUSR1, 0), Err(Errno::Esrch), "unknown sender");
    assert_eq!(table.queue(sender, target, 0, 0), Ok(KillOutcome::default()));
    let _ = table.exited(target, 0);
    assert_eq!(table.queue(sender, target, SIGUSR1, 0), Ok(KillOutcome::default()), "a zombie");
    // SIGCONT by sigqueue continues too.
    let stopped = spawn(&mut table, INIT);
    stop(&mut table, stopped, SIGSTOP, 6);
    let outcome = table.queue(INIT, stopped, SIGCONT, 1).expect("allowed");
    assert_eq!(outcome.signals[0], Signalling::Resume { pid: stopped, waiter: 6 });
}

#[test]
fn system_signals_need_no_permission() {
    let mut table = table_with_init();
    let child = spawn(&mut table, INIT);
    become_user(&mut table, child, 1000);
    let outcome = table.system_signal(child, SIGALRM, SI_KERNEL);
    let info = SignalInfo { signal: SIGALRM, code: SI_KERNEL, pid: 0, uid: 0, value: 0, status: 0 };
    assert_eq!(outcome, KillOutcome { signals: vec![post(child, info, 0)], answers: vec![] });
    assert_eq!(table.system_signal(999, SIGALRM, SI_KERNEL), KillOutcome::default());
    assert_eq!(table.system_signal(child, 0, SI_KERNEL), KillOutcome::default());
    assert_eq!(table.system_signal(child, 65, SI_KERNEL), KillOutcome::default());
    assert_eq!(table.system_signal(INIT, SIGALRM, SI_KERNEL), KillOutcome::default());
    ignore(&mut table, child, SIGALRM);
    assert_eq!(table.system_signal(child, SIGALRM, SI_KERNEL), KillOutcome::default());
}

#[test]
fn sigcont_to_a_group_resumes_each_member_in_pid_order() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let job = table.create(shell, OWN_GROUP).expect("job");
    let worker = table.create(shell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let worker = worker.expect("worker");
    ignore(&mut table, job, SIGCONT);
    let _ = table.kill(shell, -(job as i32), SIGTSTP);
    stop(&mut table, job, SIGTSTP, 10);
    stop(&mut table, worker, SIGTSTP, 11);
    assert_eq!(table.wait(shell, -(job as i32), WCONTINUED, 12), WaitOutcome::Blocked);
    assert_eq!(table.wait(shell, worker as i32, WCONTINUED, 13), WaitOutcome::Blocked);
    // Another user in the session may continue them (SIGCONT within the session).
    become_user(&mut table, job, 1001);
    become_user(&mut table, worker, 1001);
    become_user(&mut table, shell, 1000);
    let outcome = table.kill(shell, -(job as i32), SIGCONT).expect("allowed");
    assert_eq!(
        outcome.signals,
        vec![
            Signalling::Resume { pid: job, waiter: 10 },
            Signalling::Resume { pid: worker, waiter: 11 },
            post(worker, from_user(SIGCONT, shell, 1000), 1),
        ]
    );
    assert_eq!(
        outcome.answers,
        vec![
            Answer { waiter: 12, result: Ok((job, 0xffff)) },
            Answer { waiter: 13, result: Ok((worker, 0xffff)) },
        ]
    );
}

#[test]
fn exit_outcome_nothing_has_no_signals() {
    let outcome: ExitOutcome<u32> = ExitOutcome::nothing();
    assert!(outcome.signals.is_empty() && outcome.answers.is_empty());
}

#[test]
fn job_control_stops_do_nothing_in_an_orphaned_group() {
    let mut table = table_with_init();
    // Init's children in init's group: no member has a parent in another group of the
    // session (init does not count), so the group is orphaned.
    let daemon = spawn(&mut table, INIT);
    for signal in [SIGTSTP, SIGTTIN, SIGTTOU] {
        assert_eq!(table.stop(daemon, signal, 0, 1), StopOutcome::Continued);
    }
    assert_eq!(table.stop(daemon, SIGSTOP, 0, 2), stopped_quietly(), "SIGSTOP always stops");
    // A job is not orphaned while its shell, in another group of the session, is its
    // parent; once its link leaves (here: joins the job's group), it is.
    let (shell, job) = shell_and_job(&mut table);
    let member = table.create(shell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let member = member.expect("member");
    assert_eq!(table.stop(job, SIGTSTP, 0, 3), stopped_quietly());
    let _ = table.exited(job, 0);
    assert_eq!(table.stop(member, SIGTTIN, 0, 4), stopped_quietly(), "the shell is a link");
    // A group in another session is no link either.
    let stranger = table.create(shell, OWN_SESSION).expect("own session");
    let lonely = table.create(stranger, OWN_GROUP).expect("job of the stranger");
    assert_eq!(table.stop(lonely, SIGTSTP, 0, 5), stopped_quietly());
    let daemon_child = spawn(&mut table, daemon);
    assert_eq!(table.stop(daemon_child, SIGTSTP, 0, 6), StopOutcome::Continued);
}

#[test]
fn a_group_orphaned_with_stopped_members_gets_sighup_and_sigcont() {
    let mut table = table_with_init();
    let (shell, job) = shell_and_job(&mut table);
    let member = table.create(shell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let member = member.expect("member");
    let other_job = table.create(shell, OWN_GROUP).expect("a running job");
    stop(&mut table, member, SIGTSTP, 7);
    catch(&mut table, INIT, SIGCHLD, 0);
    let outcome = table.exited(shell, SIGKILL);
    assert_eq!(outcome.reparented, vec![job, member, other_job]);
    let hangup =
        SignalInfo { signal: SIGHUP, code: SI_KERNEL, pid: 0, uid: 0, value: 0, status: 0 };
    let again = SignalInfo { signal: SIGCONT, ..hangup };
    // SIGHUP to every member (the stopped one holds it), then SIGCONT to every member:
    // the stopped one resumes (init, its parent now, hears of it), gets its SIGHUP, then
    // SIGCONT. The running job has no stopped member: nothing. Then the shell's own end.
    assert_eq!(
        outcome.signals,
        vec![
            post(job, hangup, 0),
            post(job, again, 1),
            Signalling::Resume { pid: member, waiter: 7 },
            post(INIT, child_notice(CLD_CONTINUED, member, 0, SIGCONT as i32), 0),
            post(member, hangup, 1),
            post(member, again, 1),
            post(INIT, child_notice(CLD_KILLED, shell, 0, SIGKILL as i32), 0),
        ]
    );
    assert_eq!(table.info(member).map(|info| info.stopped), Some(false));
    table.check_consistency();
}

#[test]
fn a_group_keeps_its_stopped_members_while_a_link_remains() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let subshell = spawn(&mut table, shell);
    let job = table.create(shell, OWN_GROUP).expect("job");
    let member = table.create(subshell, SpawnOptions { process_group: Some(job), ..NO_OPTIONS });
    let member = member.expect("member");
    stop(&mut table, job, SIGTSTP, 1);
    // `member`'s parent (the subshell, in the shell's group) still links the job.
    let outcome = table.exited(shell, 0);
    assert!(outcome.signals.is_empty(), "{:?}", outcome.signals);
    // The subshell is the last link: its end hangs the job up.
    let outcome = table.exited(subshell, 0);
    let hangup =
        SignalInfo { signal: SIGHUP, code: SI_KERNEL, pid: 0, uid: 0, value: 0, status: 0 };
    assert_eq!(outcome.signals[0], post(member, hangup, 0));
    assert!(outcome.signals.contains(&Signalling::Resume { pid: job, waiter: 1 }));
    let _ = member;
}

#[test]
fn the_ending_process_can_orphan_its_own_group() {
    let mut table = table_with_init();
    let shell = table.create(INIT, OWN_SESSION).expect("shell");
    let leader = table.create(shell, OWN_GROUP).expect("job leader");
    let worker = spawn(&mut table, leader);
    stop(&mut table, worker, SIGTSTP, 4);
    assert_eq!(table.wait(INIT, -1, WCONTINUED, 5), WaitOutcome::Blocked);
    // The leader was the job's only link (its parent, the shell, is outside the job);
    // the worker goes to init, so the job is orphaned with a stopped member. The leader
    // itself gets nothing, and its end is reported after the continue.
    let outcome = table.exited(leader, exited_with(1));
    let hangup =
        SignalInfo { signal: SIGHUP, code: SI_KERNEL, pid: 0, uid: 0, value: 0, status: 0 };
    let again = SignalInfo { signal: SIGCONT, ..hangup };
    assert_eq!(
        outcome.signals,
        vec![
            Signalling::Resume { pid: worker, waiter: 4 },
            post(worker, hangup, 1),
            post(worker, again, 1),
        ]
    );
    assert_eq!(outcome.answers, vec![Answer { waiter: 5, result: Ok((worker, 0xffff)) }]);
    assert_eq!(table.info(leader).map(|info| info.zombie), Some(true));
    assert_eq!(
        table.wait(shell, leader as i32, 0, 6),
        WaitOutcome::Reaped { pid: leader, status: 1 << 8 }
    );
}
