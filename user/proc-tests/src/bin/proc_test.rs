//! proc-test: the process-model tests, run as init's program (`init=proc-test`). Each
//! case prints `proc-test: ok NAME` or `proc-test: FAIL NAME: reason`; the last line is
//! `proc-test: N passed, N failed`, and the exit status is the number of failures.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use courier_proc_tests::store_protocol::StoreOperation;
use libsys::abi::Handle;
use libsys::abi::io::{
    F_DUPFD, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK, O_RDWR, O_WRONLY,
};
use libsys::abi::ipc::MessageDescriptor;
use libsys::abi::service::FIRST_PRIVATE_SERVICE;
use libsys::abi::signal::{SIGKILL, SIGTERM};
use libsys::ipc::Endpoint;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes, WNOHANG};
use libsys::{Errno, fd};

libsys::main!(main);

type Check = Result<(), String>;

/// A named test case.
type Case = (&'static str, fn() -> Check);

fn ensure(condition: bool, what: impl FnOnce() -> String) -> Check {
    if condition { Ok(()) } else { Err(what()) }
}

fn spawn_child(arguments: &[&str]) -> Result<Pid, String> {
    spawn_with(arguments, &[], &[], &SpawnAttributes::default())
}

fn spawn_with(
    arguments: &[&str],
    environment: &[&str],
    actions: &[FileAction],
    attributes: &SpawnAttributes,
) -> Result<Pid, String> {
    let mut argv = Vec::with_capacity(arguments.len() + 1);
    argv.push("proc-child");
    argv.extend_from_slice(arguments);
    proc::spawn("proc-child", &argv, environment, actions, attributes)
        .map_err(|error| format!("spawn {arguments:?}: {error}"))
}

fn wait_for(pid: Pid) -> Result<i32, String> {
    match proc::waitpid(pid, 0) {
        Ok((reaped, status)) if reaped == pid => Ok(status),
        Ok((other, _)) => Err(format!("waitpid({pid}) reaped {other}")),
        Err(error) => Err(format!("waitpid({pid}): {error}")),
    }
}

fn exits_with(pid: Pid, expected: i32) -> Check {
    let status = wait_for(pid)?;
    ensure(proc::exited(status) && proc::exit_status(status) == expected, || {
        format!("pid {pid}: status {status:#x}, expected exit {expected}")
    })
}

fn killed_by(pid: Pid, signal: u32) -> Check {
    let status = wait_for(pid)?;
    ensure(proc::signaled(status) && proc::terminating_signal(status) == signal as i32, || {
        format!("pid {pid}: status {status:#x}, expected killed by {signal}")
    })
}

fn arguments_and_environment() -> Check {
    let pid = spawn_with(
        &["check-args", "one", "two", "three"],
        &["COURIER_TEST=yes", "OTHER=1"],
        &[],
        &SpawnAttributes::default(),
    )?;
    exits_with(pid, 0)?;
    let arguments: Vec<&str> = libsys::env::args().collect();
    ensure(arguments.first() == Some(&"proc-test"), || format!("own argv {arguments:?}"))?;
    let pid = proc::getpid().map_err(|error| format!("getpid: {error}"))?;
    let parent = proc::getppid().map_err(|error| format!("getppid: {error}"))?;
    ensure(pid > 1 && parent == 1, || format!("pid {pid}, parent {parent} (expected init)"))
}

fn exit_codes() -> Check {
    for code in 0..=255 {
        let text = format!("{code}");
        let pid = spawn_child(&["exit", &text])?;
        exits_with(pid, code)?;
    }
    Ok(())
}

fn killed_by_signal() -> Check {
    for signal in [SIGTERM, SIGKILL] {
        let pid = spawn_child(&["sleep", "10000"])?;
        proc::kill(pid, signal).map_err(|error| format!("kill: {error}"))?;
        killed_by(pid, signal)?;
    }
    Ok(())
}

fn orphans_reaped_by_init() -> Check {
    let attributes = SpawnAttributes { process_group: Some(0), new_session: false };
    let child = spawn_with(&["orphan"], &[], &[], &attributes)?;
    exits_with(child, 0)?;
    // The grandchild is in the child's group; find it among the next pids.
    let grandchild = (child + 1..child + 64)
        .find(|&pid| proc::process_info(pid).is_ok_and(|info| info.process_group == child))
        .ok_or_else(|| String::from("no grandchild in the child's group"))?;
    let info = proc::process_info(grandchild).map_err(|error| format!("info: {error}"))?;
    ensure(info.parent == 1, || format!("orphan's parent is {}, expected init", info.parent))?;
    ensure(proc::waitpid(grandchild, WNOHANG) == Err(Errno::Echild), || {
        String::from("the orphan is still our child")
    })?;
    // Init reaps it once it ends: then the group is gone.
    for _ in 0..300 {
        match proc::kill(-child, 0) {
            Err(Errno::Esrch) => return Ok(()),
            Ok(()) => libsys::time::nanosleep(core::time::Duration::from_millis(10))
                .map_err(|error| format!("sleep: {error}"))?,
            Err(error) => return Err(format!("kill(-group, 0): {error}")),
        }
    }
    Err(String::from("the orphan was never reaped"))
}

fn group_of(leader_attributes: bool, leader: Pid) -> SpawnAttributes {
    SpawnAttributes {
        process_group: Some(if leader_attributes { 0 } else { leader }),
        new_session: false,
    }
}

fn process_group_kill() -> Check {
    let first_a = spawn_with(&["sleep", "10000"], &[], &[], &group_of(true, 0))?;
    let mut group_a = alloc::vec![first_a];
    for _ in 0..2 {
        group_a.push(spawn_with(&["sleep", "10000"], &[], &[], &group_of(false, first_a))?);
    }
    let first_b = spawn_with(&["sleep", "10000"], &[], &[], &group_of(true, 0))?;
    let group_b = [first_b, spawn_with(&["sleep", "10000"], &[], &[], &group_of(false, first_b))?];
    for &pid in &group_a {
        let info = proc::process_info(pid).map_err(|error| format!("info: {error}"))?;
        ensure(info.process_group == first_a, || {
            format!("{pid} is in group {}", info.process_group)
        })?;
    }
    proc::kill(-first_a, SIGTERM).map_err(|error| format!("kill(-A): {error}"))?;
    for &pid in &group_a {
        killed_by(pid, SIGTERM)?;
    }
    for &pid in &group_b {
        ensure(proc::waitpid(pid, WNOHANG) == Ok((0, 0)), || {
            format!("group B member {pid} was hit")
        })?;
        ensure(proc::kill(pid, 0).is_ok(), || format!("group B member {pid} is gone"))?;
    }
    proc::kill(-first_b, SIGKILL).map_err(|error| format!("kill(-B): {error}"))?;
    for &pid in &group_b {
        killed_by(pid, SIGKILL)?;
    }
    ensure(proc::kill(-first_a, 0) == Err(Errno::Esrch), || String::from("empty group A answers"))
}

fn kill_errors() -> Check {
    let pid = spawn_child(&["sleep", "10000"])?;
    ensure(proc::kill(pid, 0).is_ok(), || String::from("kill(live, 0) failed"))?;
    ensure(proc::kill(pid, 65) == Err(Errno::Einval), || String::from("signal 65 accepted"))?;
    ensure(proc::kill(1, 0).is_ok(), || String::from("kill(init, 0) failed"))?;
    proc::kill(pid, SIGKILL).map_err(|error| format!("kill: {error}"))?;
    killed_by(pid, SIGKILL)?;
    ensure(proc::kill(pid, 0) == Err(Errno::Esrch), || String::from("reaped pid still answers"))?;
    ensure(proc::kill(30000, 0) == Err(Errno::Esrch), || String::from("kill(30000) not ESRCH"))?;
    ensure(proc::kill(i32::MIN, 0) == Err(Errno::Esrch), || String::from("kill(INT_MIN) not ESRCH"))
}

fn wait_errors() -> Check {
    ensure(proc::waitpid(-1, WNOHANG) == Err(Errno::Echild), || {
        String::from("no child: not ECHILD")
    })?;
    ensure(proc::waitpid(1, 0) == Err(Errno::Echild), || String::from("waitpid(init) not ECHILD"))?;
    ensure(proc::waitpid(-1, 0x100) == Err(Errno::Einval), || String::from("bad option accepted"))?;
    let pid = spawn_child(&["sleep", "50"])?;
    ensure(proc::waitpid(pid, WNOHANG) == Ok((0, 0)), || String::from("WNOHANG on a live child"))?;
    exits_with(pid, 0)
}

fn groups_and_sessions() -> Check {
    let own = proc::getpid().map_err(|error| format!("getpid: {error}"))?;
    let group = proc::getpgrp().map_err(|error| format!("getpgrp: {error}"))?;
    ensure(proc::getpgid(0) == Ok(group), || String::from("getpgid(0) differs from getpgrp"))?;
    let child = spawn_child(&["sleep", "10000"])?;
    ensure(proc::setpgid(child, child) == Err(Errno::Eacces), || {
        String::from("setpgid on a spawned child is not EACCES")
    })?;
    ensure(proc::setpgid(1, 1) == Err(Errno::Esrch), || String::from("setpgid(init) not ESRCH"))?;
    proc::kill(child, SIGKILL).map_err(|error| format!("kill: {error}"))?;
    killed_by(child, SIGKILL)?;
    let leader = spawn_with(
        &["sleep", "10000"],
        &[],
        &[],
        &SpawnAttributes { process_group: None, new_session: true },
    )?;
    let info = proc::process_info(leader).map_err(|error| format!("info: {error}"))?;
    ensure(info.session == leader && info.process_group == leader, || {
        format!("POSIX_SPAWN_SETSID child: session {} group {}", info.session, info.process_group)
    })?;
    proc::kill(leader, SIGKILL).map_err(|error| format!("kill: {error}"))?;
    killed_by(leader, SIGKILL)?;
    let session = proc::setsid().map_err(|error| format!("setsid: {error}"))?;
    ensure(session == own, || format!("setsid gave {session}, expected {own}"))?;
    ensure(proc::getsid(0) == Ok(own) && proc::getpgrp() == Ok(own), || {
        String::from("session or group not the caller after setsid")
    })?;
    ensure(proc::setsid() == Err(Errno::Eperm), || String::from("second setsid not EPERM"))?;
    ensure(proc::setpgid(0, 0) == Err(Errno::Eperm), || String::from("setpgid by a session leader"))
}

fn console_descriptors() -> Check {
    let copy = fd::dup(1).map_err(|error| format!("dup: {error}"))?;
    ensure(copy == 3, || format!("dup(1) gave {copy}"))?;
    fd::write(copy, b"proc-test: written through a duplicate of 1\n")
        .map_err(|error| format!("write: {error}"))?;
    ensure(fd::fcntl(1, F_GETFL, 0) == Ok(O_WRONLY), || String::from("F_GETFL of 1"))?;
    ensure(fd::read(1, &mut [0; 4]) == Err(Errno::Ebadf), || String::from("read on stdout"))?;
    ensure(fd::dup2(1, 7) == Ok(7), || String::from("dup2(1, 7)"))?;
    ensure(fd::close(7).is_ok() && fd::close(7) == Err(Errno::Ebadf), || {
        String::from("double close")
    })?;
    ensure(fd::dup2(99, 5) == Err(Errno::Ebadf), || String::from("dup2 of a closed descriptor"))?;
    let high = fd::fcntl(1, F_DUPFD, 10).map_err(|error| format!("F_DUPFD: {error}"))?;
    ensure(high == 10, || format!("F_DUPFD 10 gave {high}"))?;
    fd::fcntl(copy, F_SETFD, u64::from(FD_CLOEXEC)).map_err(|error| format!("F_SETFD: {error}"))?;
    ensure(fd::fcntl(copy, F_GETFD, 0) == Ok(u64::from(FD_CLOEXEC)), || String::from("F_GETFD"))?;
    // Inheritance: 10 is inherited, 3 (close-on-exec) is not, 4 is closed by an action.
    let _ = fd::dup2(1, 4);
    let pid =
        spawn_child(&["write-fd", "10", "proc-test: written by a child through inherited 10\n"])?;
    exits_with(pid, 0)?;
    exits_with(spawn_child(&["check-closed", "3"])?, 0)?;
    let closed = spawn_with(
        &["check-closed", "4"],
        &[],
        &[FileAction::Close(4)],
        &SpawnAttributes::default(),
    )?;
    exits_with(closed, 0)?;
    let moved = spawn_with(
        &["write-fd", "6", "proc-test: written by a child through dup2 action 6\n"],
        &[],
        &[FileAction::Dup2(1, 6)],
        &SpawnAttributes::default(),
    )?;
    exits_with(moved, 0)?;
    ensure(
        proc::spawn(
            "proc-child",
            &["proc-child"],
            &[],
            &[FileAction::Dup2(50, 6)],
            &SpawnAttributes::default(),
        ) == Err(Errno::Ebadf),
        || String::from("spawn with a bad dup2 action"),
    )?;
    for descriptor in [copy, 4, 10] {
        fd::close(descriptor).map_err(|error| format!("close {descriptor}: {error}"))?;
    }
    Ok(())
}

fn server_descriptors() -> Check {
    let server =
        proc::spawn("store-server", &["store-server"], &[], &[], &SpawnAttributes::default())
            .map_err(|error| format!("start store-server: {error}"))?;
    let result = server_descriptor_checks();
    // Whatever happened, no descriptor may outlive the server.
    for descriptor in 3..16 {
        if matches!(fd::target(descriptor), Ok(fd::Target::Server { .. })) {
            let _ = fd::close(descriptor);
        }
    }
    let _ = proc::kill(server, SIGKILL);
    let _ = proc::waitpid(server, 0);
    result
}

/// The store server's connection, once it has registered.
fn store_connection() -> Result<Endpoint, String> {
    for _ in 0..200 {
        match libsys::service::connect(FIRST_PRIVATE_SERVICE) {
            Ok(handle) => return Ok(Endpoint(handle)),
            Err(Errno::Enoent) => libsys::time::nanosleep(core::time::Duration::from_millis(10))
                .map_err(|error| format!("sleep: {error}"))?,
            Err(error) => return Err(format!("connect: {error}")),
        }
    }
    Err(String::from("store-server never registered"))
}

fn store_objects(store: &Endpoint) -> Result<u64, String> {
    let answer = store
        .call(StoreOperation::Count as u32, [0; 4])
        .map_err(|error| format!("count: {error}"))?;
    Ok(answer.words[0])
}

fn server_descriptor_checks() -> Check {
    let store = store_connection()?;
    let mut descriptor = MessageDescriptor::new(StoreOperation::Open as u32);
    descriptor.words[0] = O_RDWR;
    let answer = store.call_with(&mut descriptor).map_err(|error| format!("open: {error}"))?;
    ensure(answer.label == 0 && descriptor.received_handle_count == 1, || {
        format!("open answered {} with {} handles", answer.label, descriptor.received_handle_count)
    })?;
    let reference: Handle = descriptor.received_handles[0];
    let file = fd::install(reference, false).map_err(|error| format!("install: {error}"))?;
    fd::write(file, b"hello store").map_err(|error| format!("write: {error}"))?;
    let mut buffer = [0u8; 32];
    let count = fd::read(file, &mut buffer).map_err(|error| format!("read: {error}"))?;
    ensure(&buffer[..count] == b"hello store", || format!("read back {:?}", &buffer[..count]))?;
    let copy = fd::dup(file).map_err(|error| format!("dup: {error}"))?;
    fd::fcntl(copy, F_SETFL, O_NONBLOCK).map_err(|error| format!("F_SETFL: {error}"))?;
    ensure(fd::fcntl(file, F_GETFL, 0) == Ok(O_RDWR | O_NONBLOCK), || {
        String::from("status flags are not shared by duplicates")
    })?;
    let text = format!("{file}");
    exits_with(spawn_child(&["write-fd", &text, "from child"])?, 0)?;
    let count = fd::read(copy, &mut buffer).map_err(|error| format!("read: {error}"))?;
    ensure(&buffer[..count] == b"from child", || {
        format!("child's write read as {:?}", &buffer[..count])
    })?;
    fd::close(file).map_err(|error| format!("close: {error}"))?;
    fd::write(copy, b"still open")
        .map_err(|error| format!("write after closing a duplicate: {error}"))?;
    ensure(store_objects(&store)? == 1, || String::from("the object went with one duplicate"))?;
    // A child holding the only other reference keeps it alive; its death releases it.
    let holder = spawn_child(&["sleep", "10000"])?;
    fd::close(copy).map_err(|error| format!("close: {error}"))?;
    ensure(fd::write(copy, b"x") == Err(Errno::Ebadf), || String::from("write after close"))?;
    ensure(store_objects(&store)? == 1, || String::from("the child's reference did not hold"))?;
    proc::kill(holder, SIGKILL).map_err(|error| format!("kill: {error}"))?;
    killed_by(holder, SIGKILL)?;
    ensure(store_objects(&store)? == 0, || {
        String::from("the holder's death did not release the object")
    })
}

fn statistics_line(label: &str, statistics: &libsys::process::KernelStatistics) -> String {
    format!(
        "proc-test: {label}: free frames {}, processes {}, threads {}, endpoints {}, memory objects {}",
        statistics.free_frames,
        statistics.processes,
        statistics.threads,
        statistics.endpoints,
        statistics.memory_objects
    )
}

fn thousand_spawns() -> Check {
    for _ in 0..10 {
        exits_with(spawn_child(&["exit", "0"])?, 0)?;
    }
    let before = libsys::process::kernel_statistics();
    for _ in 0..1000 {
        exits_with(spawn_child(&["exit", "0"])?, 0)?;
    }
    let after = libsys::process::kernel_statistics();
    libsys::println!("{}", statistics_line("before 1000 spawns", &before));
    libsys::println!("{}", statistics_line("after 1000 spawns", &after));
    let same = |a: &libsys::process::KernelStatistics, b: &libsys::process::KernelStatistics| {
        (a.free_frames, a.processes, a.threads, a.endpoints, a.memory_objects)
            == (b.free_frames, b.processes, b.threads, b.endpoints, b.memory_objects)
    };
    ensure(same(&before, &after), || String::from("kernel counts changed over 1000 spawns"))
}

fn credentials() -> Check {
    let credentials = proc::credentials().map_err(|error| format!("credentials: {error}"))?;
    ensure(credentials.uid == 0 && credentials.euid == 0, || {
        format!("{credentials:?}, expected root")
    })?;
    proc::setuid(1000).map_err(|error| format!("setuid: {error}"))?;
    ensure(proc::getuid() == Ok(1000) && proc::geteuid() == Ok(1000), || {
        String::from("setuid(1000)")
    })?;
    exits_with(spawn_child(&["uid", "1000"])?, 0)?;
    ensure(proc::kill(1, 0) == Err(Errno::Eperm), || {
        String::from("kill(init) by uid 1000 not EPERM")
    })?;
    ensure(proc::setuid(0) == Err(Errno::Eperm), || String::from("setuid(0) back not EPERM"))
}

fn main() -> i32 {
    let cases: [Case; 12] = [
        ("arguments-and-environment", arguments_and_environment),
        ("exit-codes", exit_codes),
        ("killed-by-signal", killed_by_signal),
        ("orphans-reaped-by-init", orphans_reaped_by_init),
        ("process-group-kill", process_group_kill),
        ("kill-errors", kill_errors),
        ("wait-errors", wait_errors),
        ("groups-and-sessions", groups_and_sessions),
        ("console-descriptors", console_descriptors),
        ("server-descriptors", server_descriptors),
        ("thousand-spawns", thousand_spawns),
        ("credentials", credentials),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        match case() {
            Ok(()) => {
                passed += 1;
                libsys::println!("proc-test: ok {name}");
            }
            Err(reason) => {
                failed += 1;
                libsys::println!("proc-test: FAIL {name}: {reason}");
            }
        }
    }
    libsys::println!("proc-test: {passed} passed, {failed} failed");
    failed
}
