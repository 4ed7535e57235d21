//! Conformance cases for processes (posix_spawn(3), waitpid(2), getpid(2), getppid(2),
//! setpgid(2), getpgid(2), setsid(2), getsid(2), kill(2), exit(3)).
//!
//! The case process leads a process group of its own (the driver spawns it so) in the
//! driver's session; its children start in that group unless a case says otherwise.

use alloc::format;
use alloc::vec::Vec;
use core::time::Duration;

use libsys::Errno;
use libsys::abi::signal::{SIGKILL, SIGTERM};
use libsys::fd;
use libsys::pipe;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes, WNOHANG};
use libsys::time;

use crate::framework::{
    CHILD_TIMEOUT, Case, Check, Child, PROGRAM, describe, ensure, equals, eventually, fails_with,
    step,
};

/// A pid no process can have (above the largest Courier gives, 32767, and Linux's
/// largest, 4194304).
const NO_SUCH_PID: Pid = 5_000_000;

/// The cases, in the order they run.
pub const CASES: &[Case] = &[
    Case { name: "child-parent-pids", run: child_parent_pids },
    Case { name: "waitpid-no-children-echild", run: waitpid_no_children_echild },
    Case { name: "waitpid-nohang-running-child-zero", run: waitpid_nohang_running_child },
    Case { name: "exit-status-low-eight-bits", run: exit_status_low_eight_bits },
    Case { name: "killed-by-signal-status", run: killed_by_signal_status },
    Case { name: "wait-any-collects-each-child", run: wait_any_collects_each_child },
    Case { name: "waitpid-process-group", run: waitpid_process_group },
    Case { name: "waitpid-zero-own-group", run: waitpid_zero_own_group },
    Case { name: "zombie-until-reaped", run: zombie_until_reaped },
    Case { name: "orphan-reparented-to-init", run: orphan_reparented_to_init },
    Case { name: "getpgid-getsid-of-child", run: getpgid_getsid_of_child },
    Case { name: "setpgid-errors", run: setpgid_errors },
    Case { name: "setsid-group-leader-eperm", run: setsid_group_leader_eperm },
    Case { name: "setsid-in-child-new-session", run: setsid_in_child_new_session },
    Case { name: "spawn-passes-arguments", run: spawn_passes_arguments },
    Case { name: "spawn-missing-image-enoent", run: spawn_missing_image_enoent },
    Case { name: "kill-errors", run: kill_errors },
];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
///
/// - `process-exit CODE`: exits with CODE (any i32);
/// - `process-sleep MILLISECONDS`: sleeps that long, then exits 0;
/// - `process-parent-is PID`: exits 0 if its parent is PID, else 3;
/// - `process-setsid`: calls setsid and exits 0 if it made a session and group led by
///   this process, 3 if not, or the errno;
/// - `process-orphan-parent`: starts `process-orphan-report` with its own pid and exits 0;
/// - `process-orphan-report PID`: waits until its parent is no longer PID, then writes its
///   new parent's pid to descriptor 1 (3 if the parent never changes).
pub fn child(mode: &str, arguments: &[&str]) -> Option<i32> {
    let number = arguments.first().and_then(|text| text.parse::<i64>().ok());
    match mode {
        "process-exit" => Some(number.map_or(2, |code| code as i32)),
        "process-sleep" => {
            crate::framework::sleep(Duration::from_millis(number.unwrap_or(60_000) as u64));
            Some(0)
        }
        "process-parent-is" => {
            Some(if proc::getppid().ok() == number.map(|pid| pid as Pid) { 0 } else { 3 })
        }
        "process-setsid" => Some(child_setsid()),
        "process-orphan-parent" => Some(child_orphan_parent()),
        "process-orphan-report" => Some(child_orphan_report(number.map_or(0, |pid| pid as Pid))),
        _ => None,
    }
}

fn child_setsid() -> i32 {
    let Ok(own) = proc::getpid() else { return 2 };
    let session = match proc::setsid() {
        Ok(session) => session,
        Err(error) => return error.number(),
    };
    let consistent = session == own
        && proc::getsid(0) == Ok(own)
        && proc::getpgid(0) == Ok(own)
        && proc::getpgrp() == Ok(own);
    if consistent { 0 } else { 3 }
}

fn child_orphan_parent() -> i32 {
    let Ok(own) = proc::getpid() else { return 2 };
    let own = format!("{own}");
    let arguments = [PROGRAM, "child", "process-orphan-report", &own];
    match proc::spawn(PROGRAM, &arguments, &[], &[], &SpawnAttributes::default()) {
        Ok(_) => 0,
        Err(error) => error.number(),
    }
}

fn child_orphan_report(first_parent: Pid) -> i32 {
    let deadline = time::monotonic() + CHILD_TIMEOUT;
    while time::monotonic() < deadline {
        match proc::getppid() {
            Ok(parent) if parent != first_parent => {
                let _ = fd::write(1, format!("{parent}").as_bytes());
                return 0;
            }
            Ok(_) => crate::framework::pause_briefly(),
            Err(error) => return error.number(),
        }
    }
    3
}

/// A child's getppid is the spawner's getpid, and its pid is a new, positive one.
fn child_parent_pids() -> Check {
    let own = step("getpid", proc::getpid())?;
    let mut child = Child::spawn("process-parent-is", &[&format!("{own}")])?;
    ensure(child.pid > 0 && child.pid != own, || format!("child pid {}", child.pid))?;
    child.exits_with(0)
}

/// waitpid with no children fails with ECHILD (blocking or not, any child or a pid that
/// is not a child).
fn waitpid_no_children_echild() -> Check {
    fails_with("waitpid(-1, 0)", proc::waitpid(-1, 0), Errno::Echild)?;
    fails_with("waitpid(-1, WNOHANG)", proc::waitpid(-1, WNOHANG), Errno::Echild)?;
    fails_with("waitpid(0, 0)", proc::waitpid(0, 0), Errno::Echild)?;
    fails_with("waitpid(1, 0) (not a child)", proc::waitpid(1, 0), Errno::Echild)
}

/// waitpid with WNOHANG returns 0 while the child runs, and reaps it once it ended.
fn waitpid_nohang_running_child() -> Check {
    let mut child = Child::spawn("process-sleep", &["200"])?;
    let (pid, _) = step("waitpid(child, WNOHANG)", proc::waitpid(child.pid, WNOHANG))?;
    ensure(pid == 0, || format!("waitpid(WNOHANG) on a running child gave pid {pid}"))?;
    child.exits_with(0)
}

/// The exit status a parent sees is the low 8 bits of the value passed to exit: 0, 255,
/// 256 gives 0, 257 gives 1, -1 gives 255.
fn exit_status_low_eight_bits() -> Check {
    for (code, expected) in [(0, 0), (255, 255), (256, 0), (257, 1), (-1, 255), (42, 42)] {
        let mut child = Child::spawn("process-exit", &[&format!("{code}")])?;
        let status = child.wait()?;
        ensure(proc::exited(status) && proc::exit_status(status) == expected, || {
            format!("exit({code}): the child {}, expected exit {expected}", describe(status))
        })?;
    }
    Ok(())
}

/// A child ended by a signal is reported as signalled (not exited) with that signal.
fn killed_by_signal_status() -> Check {
    for signal in [SIGTERM, SIGKILL] {
        let mut child = Child::spawn("process-sleep", &["60000"])?;
        child.signal(signal)?;
        child.killed_by(signal)?;
    }
    Ok(())
}

/// waitpid(-1) reaps each child once, with its own status, then fails with ECHILD.
fn wait_any_collects_each_child() -> Check {
    let mut children = Vec::new();
    for code in [3, 4, 5] {
        children.push((Child::spawn("process-exit", &[&format!("{code}")])?, code));
    }
    for _ in 0..children.len() {
        let (pid, status) = step("waitpid(-1, 0)", proc::waitpid(-1, 0))?;
        let Some((_, code)) = children.iter().find(|(child, _)| child.pid == pid) else {
            return Err(format!("waitpid(-1) gave pid {pid}, not a child"));
        };
        ensure(proc::exited(status) && proc::exit_status(status) == *code, || {
            format!("child {pid} {}, expected exit {code}", describe(status))
        })?;
    }
    fails_with("waitpid(-1, 0) after all were reaped", proc::waitpid(-1, 0), Errno::Echild)
}

/// waitpid(-pgid) reaps only children in process group pgid; when none is left there it
/// fails with ECHILD although another child remains.
fn waitpid_process_group() -> Check {
    let new_group = SpawnAttributes { process_group: Some(0), new_session: false };
    let leader = Child::spawn_with("process-exit", &["1"], &[], &new_group)?;
    let joined = SpawnAttributes { process_group: Some(leader.pid), new_session: false };
    let member = Child::spawn_with("process-exit", &["2"], &[], &joined)?;
    let mut outsider = Child::spawn("process-exit", &["3"])?;
    let mut reaped = Vec::new();
    for _ in 0..2 {
        let (pid, _) = step("waitpid(-group, 0)", proc::waitpid(-leader.pid, 0))?;
        reaped.push(pid);
    }
    reaped.sort_unstable();
    let mut expected = [leader.pid, member.pid];
    expected.sort_unstable();
    ensure(reaped == expected, || {
        format!("waitpid(-group) reaped {reaped:?}, expected {expected:?}")
    })?;
    fails_with(
        "waitpid(-group) once the group is empty",
        proc::waitpid(-leader.pid, 0),
        Errno::Echild,
    )?;
    outsider.exits_with(3)
}

/// waitpid(0) reaps only children in the caller's own process group.
fn waitpid_zero_own_group() -> Check {
    let new_group = SpawnAttributes { process_group: Some(0), new_session: false };
    let mut elsewhere = Child::spawn_with("process-exit", &["6"], &[], &new_group)?;
    let same = Child::spawn("process-exit", &["7"])?;
    let (pid, status) = step("waitpid(0, 0)", proc::waitpid(0, 0))?;
    ensure(pid == same.pid && proc::exit_status(status) == 7, || {
        format!("waitpid(0) gave pid {pid} ({}), expected {}", describe(status), same.pid)
    })?;
    fails_with(
        "waitpid(0, WNOHANG) with no child in the group",
        proc::waitpid(0, WNOHANG),
        Errno::Echild,
    )?;
    elsewhere.exits_with(6)
}

/// A child that exited stays a zombie (it exists for kill(pid, 0)) until waited for;
/// after that it is gone (ESRCH) and a second waitpid fails with ECHILD.
fn zombie_until_reaped() -> Check {
    let mut child = Child::spawn("process-exit", &["9"])?;
    let pid = child.pid;
    eventually(|| {
        let info = step("process_info(child)", proc::process_info(pid))?;
        Ok((!info.zombie).then(|| format!("child {pid} is not a zombie")))
    })?;
    step("kill(zombie, 0)", proc::kill(pid, 0))?;
    child.exits_with(9)?;
    fails_with("kill(reaped, 0)", proc::kill(pid, 0), Errno::Esrch)?;
    fails_with("waitpid(reaped)", proc::waitpid(pid, WNOHANG), Errno::Echild)
}

/// When a process ends, its children are given to init (pid 1): their getppid changes
/// from the dead parent's pid to 1.
fn orphan_reparented_to_init() -> Check {
    let (read_end, write_end) = step("pipe", pipe::pipe())?;
    let actions = [FileAction::Dup2(write_end, 1), FileAction::Close(read_end)];
    let mut parent =
        Child::spawn_with("process-orphan-parent", &[], &actions, &SpawnAttributes::default())?;
    step("close(write end)", fd::close(write_end))?;
    parent.exits_with(0)?;
    // The grandchild writes its new parent's pid, then exits (closing the pipe).
    let mut report = Vec::new();
    let mut chunk = [0u8; 16];
    loop {
        match step("read", fd::read(read_end, &mut chunk))? {
            0 => break,
            count => report.extend_from_slice(&chunk[..count]),
        }
    }
    let text = core::str::from_utf8(&report).unwrap_or("");
    ensure(text == "1", || format!("the orphan's new parent is {text:?}, expected \"1\""))
}

/// getpgid and getsid of a child give the caller's group and session; of a pid that does
/// not exist, ESRCH.
fn getpgid_getsid_of_child() -> Check {
    let child = Child::spawn("process-sleep", &["60000"])?;
    let group = step("getpgrp", proc::getpgrp())?;
    ensure(group == step("getpid", proc::getpid())?, || "the case does not lead its group".into())?;
    equals("getpgid(child)", proc::getpgid(child.pid), group)?;
    equals("getsid(child)", proc::getsid(child.pid), step("getsid(0)", proc::getsid(0))?)?;
    fails_with("getpgid(no such pid)", proc::getpgid(NO_SUCH_PID), Errno::Esrch)?;
    fails_with("getsid(no such pid)", proc::getsid(NO_SUCH_PID), Errno::Esrch)
}

/// setpgid's mistakes: a negative group is EINVAL; a pid that is neither the caller nor
/// its child is ESRCH; a child that has run a new image (any spawned child) is EACCES; a
/// group that does not exist in the session is EPERM. setpgid(0, 0) by a group leader
/// succeeds and changes nothing.
fn setpgid_errors() -> Check {
    let own = step("getpid", proc::getpid())?;
    step("setpgid(0, 0) by the leader", proc::setpgid(0, 0))?;
    equals("getpgrp", proc::getpgrp(), own)?;
    fails_with("setpgid(0, -1)", proc::setpgid(0, -1), Errno::Einval)?;
    fails_with("setpgid(1, 0) (not a child)", proc::setpgid(1, 0), Errno::Esrch)?;
    fails_with("setpgid(no such pid, 0)", proc::setpgid(NO_SUCH_PID, 0), Errno::Esrch)?;
    let child = Child::spawn("process-sleep", &["60000"])?;
    fails_with("setpgid(spawned child, 0)", proc::setpgid(child.pid, 0), Errno::Eacces)?;
    let mut ended = Child::spawn("process-exit", &["0"])?;
    ended.exits_with(0)?;
    fails_with("setpgid(0, group that does not exist)", proc::setpgid(0, ended.pid), Errno::Eperm)?;
    equals("getpgrp after the failures", proc::getpgrp(), own)
}

/// setsid by a process group leader fails with EPERM and leaves its session alone.
fn setsid_group_leader_eperm() -> Check {
    let session = step("getsid(0)", proc::getsid(0))?;
    fails_with("setsid() by a group leader", proc::setsid(), Errno::Eperm)?;
    equals("getsid(0) after", proc::getsid(0), session)
}

/// setsid by a process that leads no group makes a new session and group it leads
/// (getsid, getpgid and the returned id are its pid).
fn setsid_in_child_new_session() -> Check {
    let mut child = Child::spawn("process-setsid", &[])?;
    child.exits_with(0)
}

/// spawn starts the image with the arguments given (here a helper told by them to exit
/// with 12) and returns the new child's pid.
fn spawn_passes_arguments() -> Check {
    let arguments = [PROGRAM, "child", "process-exit", "12"];
    let pid =
        step("spawn", proc::spawn(PROGRAM, &arguments, &[], &[], &SpawnAttributes::default()))?;
    Child::adopt(pid).exits_with(12)
}

/// spawn of an image that does not exist fails with ENOENT and starts nothing.
fn spawn_missing_image_enoent() -> Check {
    let missing = "conformance-no-such-program";
    fails_with(
        "spawn(missing image)",
        proc::spawn(missing, &[missing], &[], &[], &SpawnAttributes::default()),
        Errno::Enoent,
    )?;
    fails_with("waitpid(-1, WNOHANG) after", proc::waitpid(-1, WNOHANG), Errno::Echild)
}

/// kill of a live process with a signal number out of range is EINVAL; of a pid or group
/// that does not exist ESRCH (whatever the signal, as Linux); signal 0 only checks.
fn kill_errors() -> Check {
    let own = step("getpid", proc::getpid())?;
    fails_with("kill(self, 65)", proc::kill(own, 65), Errno::Einval)?;
    // Linux checks the signal only against a process it found.
    fails_with("kill(no such pid, 65)", proc::kill(NO_SUCH_PID, 65), Errno::Esrch)?;
    fails_with("kill(no such pid, SIGTERM)", proc::kill(NO_SUCH_PID, SIGTERM), Errno::Esrch)?;
    fails_with("kill(no such pid, 0)", proc::kill(NO_SUCH_PID, 0), Errno::Esrch)?;
    fails_with("kill(-(no such group), SIGTERM)", proc::kill(-NO_SUCH_PID, SIGTERM), Errno::Esrch)?;
    let mut child = Child::spawn("process-sleep", &["300"])?;
    step("kill(child, 0)", proc::kill(child.pid, 0))?;
    child.exits_with(0)
}
