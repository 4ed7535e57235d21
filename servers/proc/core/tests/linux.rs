//! Differential test: the same process tree built on the host's Linux kernel and in a
//! `ProcessTable`, then the same setpgid, setsid, getpgid, getsid, setuid, kill, sigaction
//! and waitpid calls asked of both, which must answer alike. Stops are mirrored by the
//! stop request a Courier process's libsys would make for the stop signal it was posted.
//!
//! The real tree is made of "puppets": forked copies of this test that each read commands
//! from their own pipe and write each result to their own reply pipe, so the test process
//! can make any process of the tree perform any call. The pipes are made once, before the
//! first fork, so every puppet has every pipe; each puppet uses only its slot's pair.
//! Puppets only make system calls (no allocation, no locks) and end with `_exit`. Each one
//! arms `alarm(60)` so that nothing outlives a test that hangs, and a guard SIGKILLs every
//! recorded process and reaps what comes back to the test process (a child subreaper) even
//! when an assertion fails. Every reply is awaited with a timeout.
//!
//! The tree: R (a new session), its children A (own group GA), B (own group GB), C (joins
//! GA), D (own session), F (R's group), G (own group GG), and A's children A1 (GA) and A2
//! (own session); S (own group) and T (R's group) are stopped, continued and reaped at
//! once at the end;
//! E1 and E2 are children of R that exec `sleep` (E2 after `setsid`), which
//! makes them children that "have called exec" as every Courier child has. When the test
//! runs as root, some puppets switch to other uids so that permission rules are compared
//! too; otherwise every puppet has the test's uid and only refusals by pid 1 are compared.

#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::ffi::{CString, c_char, c_int, c_void};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use courier_abi::Errno;
use courier_abi::process::ExitStatus;
use courier_abi::signal::Disposition;
use courier_proc_core::{
    INIT, Pid, ProcessTable, Signalling, SpawnOptions, StopOutcome, WaitOutcome,
};

const SLOTS: usize = 12;
const REPLY_TIMEOUT_MILLISECONDS: c_int = 10_000;
const PUPPET_LIFETIME_SECONDS: u32 = 60;

// Puppet slots.
const R: usize = 0;
const A: usize = 1;
const B: usize = 2;
const C: usize = 3;
const D: usize = 4;
const A1: usize = 5;
const A2: usize = 6;
const F: usize = 7;
const G: usize = 8;
const S: usize = 9;
const T: usize = 10;

// Commands: [operation, argument, argument, 0]; replies: [return value, errno, status].
const FORK: i64 = 1;
const FORK_EXEC: i64 = 2;
const SET_PROCESS_GROUP: i64 = 3;
const CREATE_SESSION: i64 = 4;
const GET_PROCESS_GROUP: i64 = 5;
const GET_SESSION: i64 = 6;
const KILL: i64 = 7;
const WAIT: i64 = 8;
const WAIT_UNTIL_ENDED: i64 = 9;
const EXIT: i64 = 10;
const SET_USER_ID: i64 = 11;
const SET_GROUP_ID: i64 = 12;
/// `sigaction(first, SIG_IGN if second is 1 else SIG_DFL, flags third)`.
const SIGACTION: i64 = 13;

type Command = [i64; 4];
type Reply = [i64; 3];

/// Every slot's command pipe and reply pipe, as [read end, write end].
#[derive(Clone, Copy)]
struct Pipes {
    commands: [[c_int; 2]; SLOTS],
    replies: [[c_int; 2]; SLOTS],
}

/// What `FORK_EXEC` runs, built before the first fork (puppets do not allocate).
struct Image {
    _path: CString,
    _arguments: Vec<CString>,
    argv: Vec<*const c_char>,
}

impl Image {
    fn sleep() -> Option<Image> {
        let path = ["/bin/sleep", "/usr/bin/sleep"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())?;
        let path = CString::new(path).ok()?;
        let arguments = vec![path.clone(), CString::new("60").ok()?];
        let mut argv: Vec<*const c_char> =
            arguments.iter().map(|argument| argument.as_ptr()).collect();
        argv.push(std::ptr::null());
        Some(Image { _path: path, _arguments: arguments, argv })
    }
}

fn errno() -> i64 {
    i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// Reads exactly `size_of_val(buffer)` bytes; false at end of file or on error.
fn read_words(fd: c_int, buffer: &mut [i64]) -> bool {
    let total = size_of_val(buffer);
    let base = buffer.as_mut_ptr().cast::<u8>();
    let mut done = 0;
    while done < total {
        // SAFETY: `base + done .. base + total` lies inside `buffer`, which is borrowed
        // mutably for the duration of the call.
        let count = unsafe { libc::read(fd, base.add(done).cast::<c_void>(), total - done) };
        if count > 0 {
            done += count.unsigned_abs();
        } else if count == 0 || errno() != i64::from(libc::EINTR) {
            return false;
        }
    }
    true
}

/// Writes all of `buffer` (a few words: one atomic pipe write); false on error.
fn write_words(fd: c_int, buffer: &[i64]) -> bool {
    // SAFETY: `buffer` is valid for reads of its whole size for the duration of the call.
    let count = unsafe { libc::write(fd, buffer.as_ptr().cast::<c_void>(), size_of_val(buffer)) };
    count >= 0 && count.unsigned_abs() == size_of_val(buffer)
}

/// A reply holding a system call's result.
fn result_of(value: i64) -> Reply {
    [value, if value == -1 { errno() } else { 0 }, 0]
}

fn pid_argument(value: i64) -> libc::pid_t {
    libc::pid_t::try_from(value).unwrap_or(libc::pid_t::MAX)
}

/// The body of a forked puppet: never returns, never unwinds into the test's frames.
fn puppet(pipes: &Pipes, slot: usize, image: Option<&Image>) -> ! {
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| serve(pipes, slot, image)));
    // SAFETY: `_exit` ends this forked process without running the parent's atexit
    // handlers or destructors.
    unsafe { libc::_exit(101) }
}

fn serve(pipes: &Pipes, slot: usize, image: Option<&Image>) {
    // SAFETY: `alarm` only arms a timer.
    unsafe { libc::alarm(PUPPET_LIFETIME_SECONDS) };
    let (Some(commands), Some(replies)) = (pipes.commands.get(slot), pipes.replies.get(slot))
    else {
        return;
    };
    loop {
        let mut command: Command = [0; 4];
        if !read_words(commands[0], &mut command) {
            return;
        }
        let [operation, first, second, third] = command;
        let reply = match operation {
            FORK => {
                // SAFETY: the child only makes system calls (see `puppet`).
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    let new_slot = usize::try_from(first).unwrap_or(SLOTS);
                    puppet(pipes, new_slot, image);
                }
                result_of(i64::from(pid))
            }
            FORK_EXEC => fork_exec(first != 0, image),
            SET_PROCESS_GROUP => {
                // SAFETY: setpgid takes plain integers.
                let value = unsafe { libc::setpgid(pid_argument(first), pid_argument(second)) };
                result_of(i64::from(value))
            }
            CREATE_SESSION => {
                // SAFETY: setsid takes no arguments.
                let value = unsafe { libc::setsid() };
                result_of(i64::from(value))
            }
            GET_PROCESS_GROUP => {
                // SAFETY: getpgid takes a plain integer.
                let value = unsafe { libc::getpgid(pid_argument(first)) };
                result_of(i64::from(value))
            }
            GET_SESSION => {
                // SAFETY: getsid takes a plain integer.
                let value = unsafe { libc::getsid(pid_argument(first)) };
                result_of(i64::from(value))
            }
            KILL => {
                let signal = c_int::try_from(second).unwrap_or(c_int::MAX);
                // SAFETY: kill takes plain integers.
                let value = unsafe { libc::kill(pid_argument(first), signal) };
                result_of(i64::from(value))
            }
            WAIT => {
                let mut status: c_int = 0;
                // The options travel as the int's bits.
                let options = second as c_int;
                // SAFETY: `status` is a local that outlives the call; no rusage is asked.
                let pid = unsafe {
                    libc::wait4(pid_argument(first), &raw mut status, options, std::ptr::null_mut())
                };
                let mut reply = result_of(i64::from(pid));
                reply[2] = i64::from(status);
                reply
            }
            WAIT_UNTIL_ENDED => {
                // SAFETY: all-zero is a valid `siginfo_t`.
                let mut information: libc::siginfo_t = unsafe { std::mem::zeroed() };
                let id = libc::id_t::try_from(first).unwrap_or(0);
                let flags = libc::WEXITED | libc::WNOWAIT;
                // SAFETY: `information` is a local that outlives the call.
                let value = unsafe { libc::waitid(libc::P_PID, id, &raw mut information, flags) };
                result_of(i64::from(value))
            }
            EXIT => {
                let status = c_int::try_from(first).unwrap_or(1);
                // SAFETY: `_exit` ends this forked process without running the test's
                // atexit handlers or destructors.
                unsafe { libc::_exit(status) }
            }
            SET_USER_ID => {
                // SAFETY: setuid takes a plain integer (the id's bits).
                let value = unsafe { libc::setuid(first as libc::uid_t) };
                result_of(i64::from(value))
            }
            SET_GROUP_ID => {
                // SAFETY: setgid takes a plain integer (the id's bits).
                let value = unsafe { libc::setgid(first as libc::gid_t) };
                result_of(i64::from(value))
            }
            SIGACTION => {
                // SAFETY: all-zero is a valid `sigaction` (empty mask).
                let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
                action.sa_sigaction = if second == 1 { libc::SIG_IGN } else { libc::SIG_DFL };
                action.sa_flags = c_int::try_from(third).unwrap_or(0);
                let signal = c_int::try_from(first).unwrap_or(c_int::MAX);
                // SAFETY: `action` is a local that outlives the call; no old action is asked.
                let value =
                    unsafe { libc::sigaction(signal, &raw const action, std::ptr::null_mut()) };
                result_of(i64::from(value))
            }
            _ => [-1, i64::from(libc::ENOSYS), 0],
        };
        if !write_words(replies[1], &reply) {
            return;
        }
    }
}

/// Forks a child that (after `setsid` if asked) execs `sleep`, and answers once the exec
/// has happened (a close-on-exec pipe reaches end of file).
fn fork_exec(new_session: bool, image: Option<&Image>) -> Reply {
    let Some(image) = image else { return [-1, i64::from(libc::ENOENT), 0] };
    let mut exec_pipe: [c_int; 2] = [0; 2];
    // SAFETY: `exec_pipe` has room for the two descriptors.
    if unsafe { libc::pipe2(exec_pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return result_of(-1);
    }
    // SAFETY: the child only makes system calls before exec or `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: `argv` is a null-terminated array of pointers to strings built before the
        // first fork and still alive in this copy of the address space.
        unsafe {
            libc::close(exec_pipe[0]);
            if new_session {
                libc::setsid();
            }
            libc::execv(image.argv[0], image.argv.as_ptr());
            libc::_exit(127);
        }
    }
    let mut byte = 0_u8;
    // SAFETY: closing our copy of the write end; reading one byte into a local.
    unsafe {
        libc::close(exec_pipe[1]);
        while libc::read(exec_pipe[0], (&raw mut byte).cast::<c_void>(), 1) < 0
            && errno() == i64::from(libc::EINTR)
        {}
        libc::close(exec_pipe[0]);
    }
    result_of(i64::from(pid))
}

/// The real tree: the pipes, the pid in each slot, and every process to kill at the end.
struct Puppets {
    pipes: Pipes,
    slots: [libc::pid_t; SLOTS],
    /// Processes that may still exist (removed when a puppet reaps them).
    started: Vec<libc::pid_t>,
}

impl Puppets {
    fn new() -> Puppets {
        let mut pipes = Pipes { commands: [[-1; 2]; SLOTS], replies: [[-1; 2]; SLOTS] };
        for pair in pipes.commands.iter_mut().chain(pipes.replies.iter_mut()) {
            // SAFETY: `pair` has room for the two descriptors.
            let made = unsafe { libc::pipe2(pair.as_mut_ptr(), libc::O_CLOEXEC) };
            assert_eq!(made, 0, "pipe2");
        }
        Puppets { pipes, slots: [0; SLOTS], started: Vec::new() }
    }

    /// Forks the first puppet from the test process itself.
    fn start_root(&mut self, image: Option<&Image>) -> libc::pid_t {
        // SAFETY: the child runs `puppet`, which makes only system calls and never returns.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            puppet(&self.pipes, R, image);
        }
        self.slots[R] = pid;
        self.started.push(pid);
        pid
    }

    fn send(&self, slot: usize, command: Command) {
        assert!(write_words(self.pipes.commands[slot][1], &command), "command to slot {slot}");
    }

    /// The reply of `slot`, or `None` if none comes within `milliseconds`.
    fn receive_within(&self, slot: usize, milliseconds: c_int) -> Option<Reply> {
        let fd = self.pipes.replies[slot][0];
        let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: `poll` points to one valid `pollfd`.
        let ready = unsafe { libc::poll(&raw mut poll, 1, milliseconds) };
        if ready <= 0 {
            return None;
        }
        let mut reply: Reply = [0; 3];
        assert!(read_words(fd, &mut reply), "reply from slot {slot}");
        Some(reply)
    }

    fn receive(&self, slot: usize) -> Reply {
        self.receive_within(slot, REPLY_TIMEOUT_MILLISECONDS)
            .unwrap_or_else(|| panic!("slot {slot} did not answer in time"))
    }

    fn call(&self, slot: usize, command: Command) -> Reply {
        self.send(slot, command);
        self.receive(slot)
    }

    fn reaped(&mut self, pid: libc::pid_t) {
        self.started.retain(|&started| started != pid);
    }
}

impl Drop for Puppets {
    fn drop(&mut self) {
        for &pid in &self.started {
            // SAFETY: signalling a process this test started and has not seen reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        for pair in self.pipes.commands.iter().chain(self.pipes.replies.iter()) {
            for &fd in pair {
                // SAFETY: closing descriptors this test opened.
                unsafe { libc::close(fd) };
            }
        }
        // Reap R and every orphan that came back to this process (a child subreaper).
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let mut status = 0;
            // SAFETY: `status` is a local.
            let pid = unsafe { libc::waitpid(-1, &raw mut status, libc::WNOHANG) };
            if pid < 0 {
                break;
            }
            if pid == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The table and the mapping between real pids and table pids (pid 1 is init in both).
struct Mirror {
    table: ProcessTable<u32>,
    to_table: BTreeMap<libc::pid_t, Pid>,
    to_real: BTreeMap<Pid, libc::pid_t>,
    next_token: u32,
}

impl Mirror {
    fn new() -> Mirror {
        let mut table = ProcessTable::new();
        table.create_init();
        let mut mirror =
            Mirror { table, to_table: BTreeMap::new(), to_real: BTreeMap::new(), next_token: 0 };
        mirror.map(1, INIT);
        mirror
    }

    fn map(&mut self, real: libc::pid_t, table: Pid) {
        self.to_table.insert(real, table);
        self.to_real.insert(table, real);
    }

    /// A real pid as a table pid; 0 stays 0, a negative one becomes the same bits (as
    /// Linux's `pid_t` read into `Pid`), an unknown one becomes a number no table uses.
    fn pid(&self, real: i64) -> Pid {
        let real = pid_argument(real);
        if real <= 0 {
            return real as Pid;
        }
        self.to_table.get(&real).copied().unwrap_or(PID_NOBODY)
    }

    /// A real `kill`/`waitpid` selector as a table selector.
    fn selector(&self, real: i64) -> i32 {
        let real = pid_argument(real);
        let as_selector = |pid: Pid| i32::try_from(pid).unwrap_or(i32::MAX);
        match real {
            i32::MIN | -1 | 0 => real,
            positive if positive > 0 => as_selector(self.pid(i64::from(positive))),
            negative => -as_selector(self.pid(i64::from(-negative))),
        }
    }

    /// A table pid as a real one.
    fn real(&self, pid: Pid) -> i64 {
        i64::from(*self.to_real.get(&pid).unwrap_or_else(|| panic!("unmapped table pid {pid}")))
    }

    fn token(&mut self) -> u32 {
        self.next_token += 1;
        self.next_token
    }
}

/// A pid that the table never gives (above `PID_MAX`), for real pids it does not know.
const PID_NOBODY: Pid = 0x7FFF_FFFF;

/// A real reply as a result.
fn real_result(reply: Reply) -> Result<i64, Errno> {
    if reply[0] == -1 {
        let number = i32::try_from(reply[1]).unwrap_or(0);
        Err(Errno::from_number(number).unwrap_or_else(|| panic!("unknown errno {number}")))
    } else {
        Ok(reply[0])
    }
}

struct Harness<'image> {
    puppets: Puppets,
    mirror: Mirror,
    image: Option<&'image Image>,
}

impl Harness<'_> {
    fn real_pid(&self, slot: usize) -> i64 {
        i64::from(self.puppets.slots[slot])
    }

    fn table_pid(&self, slot: usize) -> Pid {
        self.mirror.pid(self.real_pid(slot))
    }

    fn fork(&mut self, parent: usize, slot: usize) {
        let reply = self.puppets.call(parent, [FORK, slot as i64, 0, 0]);
        let real = real_result(reply).expect("fork");
        let pid = pid_argument(real);
        self.puppets.slots[slot] = pid;
        self.puppets.started.push(pid);
        let table = self.mirror.table.create(self.table_pid(parent), SpawnOptions::default());
        self.mirror.map(pid, table.expect("create"));
    }

    fn fork_exec(&mut self, parent: usize, new_session: bool) -> i64 {
        let reply = self.puppets.call(parent, [FORK_EXEC, i64::from(new_session), 0, 0]);
        let real = real_result(reply).expect("fork and exec");
        let pid = pid_argument(real);
        self.puppets.started.push(pid);
        let options = SpawnOptions { process_group: None, new_session };
        let table = self.mirror.table.create(self.table_pid(parent), options);
        self.mirror.map(pid, table.expect("create"));
        real
    }

    fn set_process_group(&mut self, slot: usize, pid: i64, group: i64) {
        let real = real_result(self.puppets.call(slot, [SET_PROCESS_GROUP, pid, group, 0]));
        let caller = self.table_pid(slot);
        let (table_pid, table_group) = (self.mirror.pid(pid), self.mirror.pid(group));
        let table = self.mirror.table.set_process_group(caller, table_pid, table_group);
        assert_eq!(real, table.map(|()| 0), "setpgid({pid}, {group}) by slot {slot}");
    }

    fn create_session(&mut self, slot: usize) {
        let real = real_result(self.puppets.call(slot, [CREATE_SESSION, 0, 0, 0]));
        let table = self.mirror.table.create_session(self.table_pid(slot));
        let table = table.map(|session| self.mirror.real(session));
        assert_eq!(real, table, "setsid() by slot {slot}");
    }

    fn get_process_group(&mut self, slot: usize, pid: i64) {
        let real = real_result(self.puppets.call(slot, [GET_PROCESS_GROUP, pid, 0, 0]));
        let table = self.mirror.table.process_group(self.table_pid(slot), self.mirror.pid(pid));
        let table = table.map(|group| self.mirror.real(group));
        assert_eq!(real, table, "getpgid({pid}) by slot {slot}");
    }

    fn get_session(&mut self, slot: usize, pid: i64) {
        let real = real_result(self.puppets.call(slot, [GET_SESSION, pid, 0, 0]));
        let table = self.mirror.table.session(self.table_pid(slot), self.mirror.pid(pid));
        let table = table.map(|session| self.mirror.real(session));
        assert_eq!(real, table, "getsid({pid}) by slot {slot}");
    }

    fn kill(&mut self, slot: usize, target: i64, signal: u32) {
        let real = real_result(self.puppets.call(slot, [KILL, target, i64::from(signal), 0]));
        let table =
            self.mirror.table.kill(self.table_pid(slot), self.mirror.selector(target), signal);
        assert_eq!(real, table.map(|_| 0), "kill({target}, {signal}) by slot {slot}");
    }

    fn set_user_id(&mut self, slot: usize, uid: u32) {
        let real = real_result(self.puppets.call(slot, [SET_USER_ID, i64::from(uid), 0, 0]));
        let table = self.mirror.table.set_user_id(self.table_pid(slot), uid);
        assert_eq!(real, table.map(|()| 0), "setuid({uid}) by slot {slot}");
    }

    /// `sigaction(signal, SIG_IGN or SIG_DFL, flags)` by `slot`.
    fn set_disposition(&mut self, slot: usize, signal: c_int, ignore: bool, flags: c_int) {
        let command = [SIGACTION, i64::from(signal), i64::from(ignore), i64::from(flags)];
        let real = real_result(self.puppets.call(slot, command));
        let disposition = if ignore { Disposition::Ignore } else { Disposition::Default };
        let table = self.mirror.table.set_disposition(
            self.table_pid(slot),
            signal as u32,
            disposition,
            u64::from(flags as u32),
        );
        assert_eq!(real, table.map(|()| 0), "sigaction({signal}) by slot {slot}");
    }

    /// `kill(target, signal)` by `sender` of a stop signal, then, in the table, the stop
    /// request the target's libsys makes with the generation the signal was posted with;
    /// returns what the table made of the request.
    fn stop(&mut self, sender: usize, target: usize, signal: c_int) -> StopOutcome<u32> {
        let command = [KILL, self.real_pid(target), i64::from(signal), 0];
        let real = real_result(self.puppets.call(sender, command));
        let (sender_pid, target_pid) = (self.table_pid(sender), self.table_pid(target));
        let outcome = self.mirror.table.kill(sender_pid, target_pid as i32, signal as u32);
        assert_eq!(
            real,
            outcome.as_ref().map(|_| 0).map_err(|&error| error),
            "kill({signal}) by slot {sender}"
        );
        let signals = outcome.map(|outcome| outcome.signals).unwrap_or_default();
        let [Signalling::Post { pid, generation, .. }] = signals[..] else {
            panic!("the stop signal is posted: {signals:?}");
        };
        assert_eq!(pid, target_pid);
        let token = self.mirror.token();
        self.mirror.table.stop(target_pid, signal as u32, generation, token)
    }

    fn set_group_id(&mut self, slot: usize, gid: u32) {
        let real = real_result(self.puppets.call(slot, [SET_GROUP_ID, i64::from(gid), 0, 0]));
        let table = self.mirror.table.set_group_id(self.table_pid(slot), gid);
        assert_eq!(real, table.map(|()| 0), "setgid({gid}) by slot {slot}");
    }

    /// `waitpid` that must not block (WNOHANG, or a zombie is there, or an error).
    fn wait(&mut self, slot: usize, selector: i64, options: c_int) {
        let reply = self.puppets.call(slot, [WAIT, selector, i64::from(options), 0]);
        let token = self.mirror.token();
        let caller = self.table_pid(slot);
        let table_selector = self.mirror.selector(selector);
        // Linux reads the options as an int; the table gets them as the wire's u64.
        let wire_options = u64::from(options as u32);
        let outcome = self.mirror.table.wait(caller, table_selector, wire_options, token);
        let table = match outcome {
            WaitOutcome::Reaped { pid, status } => Ok((self.mirror.real(pid), i64::from(status))),
            WaitOutcome::NothingYet => Ok((0, 0)),
            WaitOutcome::Blocked => {
                panic!("waitpid({selector}) by slot {slot} blocks in the table")
            }
            WaitOutcome::Failed(error) => Err(error),
        };
        let real = real_result(reply).map(|pid| (pid, if pid > 0 { reply[2] } else { 0 }));
        assert_eq!(real, table, "waitpid({selector}, {options:#x}) by slot {slot}");
        if let Ok((pid, _)) = real {
            self.puppets.reaped(pid_argument(pid));
        }
    }

    /// Makes the puppet in `slot` end with `code`, waits until it is a zombie of its
    /// parent (in `parent`), and records the end in the table: no waiter is answered.
    fn exit(&mut self, slot: usize, parent: usize, code: u8) {
        self.puppets.send(slot, [EXIT, i64::from(code), 0, 0]);
        let real =
            real_result(self.puppets.call(parent, [WAIT_UNTIL_ENDED, self.real_pid(slot), 0, 0]));
        assert_eq!(real, Ok(0), "slot {slot} ended");
        let status = exit_word(ExitStatus::Exited(code));
        let outcome = self.mirror.table.exited(self.table_pid(slot), status);
        assert!(outcome.answers.is_empty(), "no waiter in the table either");
    }
}

fn exit_word(status: ExitStatus) -> u32 {
    u32::try_from(status.to_word()).expect("wait status fits in 32 bits")
}

/// `posix_spawn` of `sleep` from the test process with these attribute flags and group:
/// the child's pid, or the error glibc reports (the child's `setsid` or `setpgid` failing).
fn posix_spawn(image: &Image, flags: c_int, group: libc::pid_t) -> Result<libc::pid_t, Errno> {
    let flags = libc::c_short::try_from(flags).expect("spawn flags fit");
    // SAFETY: all-zero storage is what `posix_spawnattr_init` initializes.
    let mut attributes: libc::posix_spawnattr_t = unsafe { std::mem::zeroed() };
    let environment: [*mut c_char; 1] = [std::ptr::null_mut()];
    let mut pid: libc::pid_t = 0;
    // SAFETY: `attributes`, `pid` and `environment` are locals that outlive the calls;
    // `argv` is a null-terminated array of pointers to live strings.
    let error = unsafe {
        libc::posix_spawnattr_init(&raw mut attributes);
        libc::posix_spawnattr_setflags(&raw mut attributes, flags);
        libc::posix_spawnattr_setpgroup(&raw mut attributes, group);
        let error = libc::posix_spawn(
            &raw mut pid,
            image.argv[0],
            std::ptr::null(),
            &raw const attributes,
            image.argv.as_ptr().cast::<*mut c_char>(),
            environment.as_ptr(),
        );
        libc::posix_spawnattr_destroy(&raw mut attributes);
        error
    };
    if error == 0 {
        Ok(pid)
    } else {
        Err(Errno::from_number(error).unwrap_or_else(|| panic!("unknown errno {error}")))
    }
}

/// Waits until `pid` sleeps in `wait4` (its `/proc/<pid>/syscall` names it), so that a
/// change made next happens while it waits; without that file, waits a moment instead.
fn until_blocked_in_wait(pid: libc::pid_t) {
    let path = format!("/proc/{pid}/syscall");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let Ok(text) = std::fs::read_to_string(&path) else {
            std::thread::sleep(Duration::from_millis(200));
            return;
        };
        let number = text.split_whitespace().next().and_then(|word| word.parse::<i64>().ok());
        if number == Some(libc::SYS_wait4) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("{pid} never blocked in wait4");
}

/// Waits until `pid` is stopped (state `T` in `/proc/<pid>/stat`); without that file,
/// waits a moment instead.
fn until_stopped(pid: i64) {
    let path = format!("/proc/{pid}/stat");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let Ok(text) = std::fs::read_to_string(&path) else {
            std::thread::sleep(Duration::from_millis(200));
            return;
        };
        let state = text.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
        if state == Some("T") {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("{pid} never stopped");
}

/// The uids pid 1 has (real, effective, saved, file system), from `/proc/1/status`.
fn init_user_ids() -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/1/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .map(|ids| ids.split_whitespace().filter_map(|id| id.parse().ok()).collect())
        .unwrap_or_default()
}

#[test]
fn table_answers_as_linux_does() {
    let (mut uid, mut euid, mut saved_uid) = (0, 0, 0);
    let (mut gid, mut egid, mut saved_gid) = (0, 0, 0);
    // SAFETY: the pointers are to locals.
    unsafe {
        libc::getresuid(&raw mut uid, &raw mut euid, &raw mut saved_uid);
        libc::getresgid(&raw mut gid, &raw mut egid, &raw mut saved_gid);
    }
    if uid != euid || uid != saved_uid || gid != egid || gid != saved_gid {
        eprintln!("skipped: the test process has mixed ids, which the table cannot mirror");
        return;
    }
    let root = euid == 0;
    // SAFETY: makes orphans of the tree come back to this process, which reaps them.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let image = Image::sleep();
    let mut puppets = Puppets::new();
    let r = puppets.start_root(image.as_ref());
    let mut harness = Harness { puppets, mirror: Mirror::new(), image: image.as_ref() };
    // R mirrors a child of init with the test's credentials.
    let table_r = harness.mirror.table.create(INIT, SpawnOptions::default()).expect("create R");
    harness.mirror.map(r, table_r);
    if !root {
        harness.mirror.table.set_group_id(table_r, gid).expect("root may setgid");
        harness.mirror.table.set_user_id(table_r, uid).expect("root may setuid");
    }

    // The tree.
    harness.create_session(R);
    for slot in [A, B, C, D, F, G] {
        harness.fork(R, slot);
    }
    let pid = |harness: &Harness<'_>, slot: usize| harness.real_pid(slot);
    harness.set_process_group(A, 0, 0);
    harness.set_process_group(B, 0, 0);
    harness.set_process_group(G, 0, 0);
    let (ga, gb, gg, r) = (pid(&harness, A), pid(&harness, B), pid(&harness, G), pid(&harness, R));
    harness.set_process_group(C, 0, ga);
    harness.create_session(D);
    harness.fork(A, A1);
    harness.fork(A, A2);
    harness.create_session(A2);
    let (a1, a2, c, d, f) = (
        pid(&harness, A1),
        pid(&harness, A2),
        pid(&harness, C),
        pid(&harness, D),
        pid(&harness, F),
    );

    // getpgid and getsid.
    for target in [0, r, ga, c, d, a1, a2, i64::from(i32::MAX)] {
        harness.get_process_group(R, target);
        harness.get_session(R, target);
    }
    harness.get_process_group(A2, 0);
    harness.get_session(C, 0);

    // setpgid and setsid refusals, in Linux's order of checks.
    harness.set_process_group(R, 0, 0); // a session leader: EPERM
    harness.set_process_group(R, a1, 0); // not a child: ESRCH
    harness.set_process_group(R, d, d); // a child in another session: EPERM
    harness.set_process_group(B, 0, a1); // no such group: EPERM
    harness.set_process_group(B, 0, a2); // a group of another session: EPERM
    harness.set_process_group(B, 0, -3); // EINVAL
    harness.set_process_group(B, -5, 0); // pgid = pid < 0: EINVAL
    harness.set_process_group(B, i64::from(i32::MAX), 0); // ESRCH
    harness.create_session(A); // a group leader: EPERM
    harness.create_session(B); // a group leader: EPERM
    harness.create_session(R); // a session leader: EPERM
    // Moves that succeed, and back.
    harness.set_process_group(C, 0, r);
    harness.set_process_group(C, 0, ga);
    harness.set_process_group(A1, 0, gb);
    harness.get_process_group(R, a1);
    harness.set_process_group(A1, 0, ga);
    harness.set_process_group(A1, a1, 0);
    harness.set_process_group(A1, 0, ga);

    // Children that have called exec: EACCES (EPERM first for another session).
    if harness.image.is_some() {
        let e1 = harness.fork_exec(R, false);
        let e2 = harness.fork_exec(R, true);
        harness.set_process_group(R, e1, 0);
        harness.set_process_group(R, e1, r);
        harness.set_process_group(R, e2, 0);
        harness.get_session(R, e2);
        harness.kill(R, e1, 0);
        harness.kill(R, e1, libc::SIGKILL as u32);
        harness.kill(R, e2, libc::SIGKILL as u32);
        // Mirror the two deaths once they are zombies.
        for (real, slot_parent) in [(e1, R), (e2, R)] {
            let ended = harness.puppets.call(slot_parent, [WAIT_UNTIL_ENDED, real, 0, 0]);
            assert_eq!(real_result(ended), Ok(0));
            let table_pid = harness.mirror.pid(real);
            let outcome = harness.mirror.table.exited(table_pid, exit_word(ExitStatus::Killed(9)));
            assert!(outcome.answers.is_empty());
        }
        harness.wait(R, e1, 0);
        harness.wait(R, e2, libc::WNOHANG);
        // posix_spawn's SETSID and SETPGROUP, as glibc applies them in the child (setsid
        // first), against the table's spawn options. The parent differs (this test process
        // versus init) but neither is in R's session, which is all these cases need.
        let image = harness.image.expect("checked above");
        let group_of_another_session = r;
        let not_a_group = a1;
        let cases = [
            (c_int::from(libc::POSIX_SPAWN_SETSID), 0, Some(0), true),
            (libc::POSIX_SPAWN_SETPGROUP, 0, Some(0), false),
            (libc::POSIX_SPAWN_SETPGROUP, pid_argument(group_of_another_session), Some(r), false),
            (libc::POSIX_SPAWN_SETPGROUP, pid_argument(not_a_group), Some(a1), false),
            (c_int::from(libc::POSIX_SPAWN_SETSID) | libc::POSIX_SPAWN_SETPGROUP, 0, Some(0), true),
        ];
        for (flags, real_group, table_group, new_session) in cases {
            let process_group = if flags & libc::POSIX_SPAWN_SETPGROUP != 0 {
                table_group.map(|group| harness.mirror.pid(group))
            } else {
                None
            };
            let options = SpawnOptions { process_group, new_session };
            let real = posix_spawn(image, flags, real_group);
            let table = harness.mirror.table.create(INIT, options);
            assert_eq!(real.map(|_| ()), table.map(|_| ()), "posix_spawn {flags:#x} {real_group}");
            if let (Ok(real_pid), Ok(table_pid)) = (real, table) {
                harness.puppets.started.push(real_pid);
                let info = harness.mirror.table.info(table_pid).expect("created");
                // SAFETY: plain integers.
                let (real_group, real_session) =
                    unsafe { (libc::getpgid(real_pid), libc::getsid(real_pid)) };
                assert_eq!(real_group == real_pid, info.process_group == table_pid);
                assert_eq!(real_session == real_pid, info.session == table_pid);
                harness.mirror.table.abandon(table_pid);
                let mut status = 0;
                // SAFETY: our own child; `status` is a local.
                let reaped = unsafe {
                    libc::kill(real_pid, libc::SIGKILL);
                    libc::waitpid(real_pid, &raw mut status, 0)
                };
                assert_eq!(reaped, real_pid);
                harness.puppets.reaped(real_pid);
            }
        }
    } else {
        eprintln!("no sleep binary: the exec cases are left to the unit tests");
    }

    // kill with signal 0 and an invalid signal, to processes and groups.
    for target in [c, i64::from(i32::MAX), 0, -ga, -gb, -a1, i64::from(i32::MIN), -1, -d] {
        harness.kill(R, target, 0);
        harness.kill(R, target, 65);
    }
    harness.kill(A1, 0, 0);
    harness.kill(A2, 0, 0);

    // Permission. As root, give puppets other uids; otherwise only pid 1 can refuse.
    let init_ids = init_user_ids();
    if root {
        harness.set_group_id(B, 1000);
        harness.set_user_id(B, 1000);
        harness.set_group_id(C, 1001);
        harness.set_user_id(C, 1001);
        // A1 takes a uid nobody else on the host has, for the kill(-1) quirk.
        harness.set_group_id(A1, 54321);
        harness.set_user_id(A1, 54321);
        harness.set_user_id(A1, 0); // EPERM: no way back
        harness.set_user_id(A1, 54321);
        harness.set_user_id(B, u32::MAX); // EINVAL
        harness.set_group_id(B, 1001); // EPERM
        harness.kill(B, c, 0); // EPERM
        harness.kill(B, c, libc::SIGCONT as u32); // the same session: allowed
        harness.kill(B, d, libc::SIGCONT as u32); // another session: EPERM
        harness.kill(B, -ga, 0); // A (root), C (1001), A1 (54321): EPERM from the last
        harness.kill(B, -ga, libc::SIGCONT as u32); // allowed within the session
        harness.kill(C, a1, 0); // EPERM
        harness.kill(R, a1, 0); // root may
        if !init_ids.contains(&54321) {
            harness.kill(A1, 1, 0); // EPERM
        }
        // Linux's kill(-1) quirk: every attempt refused, yet success.
        harness.kill(A1, -1, 0);
        harness.kill(A1, -1, 65);
    } else if !init_ids.is_empty() && !init_ids.contains(&uid) {
        harness.kill(R, 1, 0); // EPERM
        harness.kill(R, -1, 0); // 0 whatever the refusals
    } else {
        eprintln!("pid 1 has the test's uid: no refusal to compare");
    }

    // waitpid.
    harness.wait(R, -1, libc::WNOHANG); // live children only: 0
    harness.wait(R, a1, libc::WNOHANG); // not a child: ECHILD
    harness.wait(R, i64::from(i32::MIN), 0); // ESRCH
    harness.wait(R, -1, libc::WEXITED); // not a wait4 option: EINVAL
    harness.wait(R, -1, libc::WNOWAIT); // EINVAL
    harness.wait(R, -1, 0x100); // EINVAL
    harness.wait(R, -1, libc::__WALL | libc::WNOHANG);
    harness.wait(R, -1, libc::__WNOTHREAD | libc::WNOHANG);
    harness.wait(R, -1, libc::__WCLONE | libc::WNOHANG); // no clone children: ECHILD
    harness.wait(R, -1, libc::__WCLONE | libc::__WALL | libc::WNOHANG);
    harness.wait(R, -1, libc::WUNTRACED | libc::WCONTINUED | libc::WNOHANG);
    harness.wait(R, -a1, libc::WNOHANG); // no such group: ECHILD
    harness.wait(R, 0, libc::WNOHANG); // R's group: F
    harness.wait(R, -d, libc::WNOHANG);

    // Zombies: B and C end; a group wait takes only that group's zombie.
    harness.exit(B, R, 3);
    harness.exit(C, R, 5);
    harness.kill(R, gb, 0); // a zombie: found, nothing sent
    harness.kill(R, -gb, 0); // a group whose only member is a zombie
    harness.wait(R, -ga, libc::WNOHANG); // C
    harness.wait(R, -ga, libc::WNOHANG); // A still runs: 0
    harness.wait(R, -1, libc::WNOHANG); // B
    harness.wait(R, -1, libc::WNOHANG); // 0
    harness.wait(R, gb, libc::WNOHANG); // reaped: ECHILD
    harness.kill(R, -gb, 0); // the group is gone: ESRCH

    // A reaps A1; A ends and A2 is orphaned; R reaps A; GA is gone.
    harness.exit(A1, A, 9);
    harness.wait(A, a1, 0);
    harness.wait(A, -1, libc::WNOHANG); // A2 runs: 0
    harness.wait(A, 0, libc::WNOHANG); // GA holds no child of A: ECHILD
    harness.exit(A, R, 7);
    harness.puppets.reaped(pid_argument(a2)); // it belongs to the test process now
    harness.puppets.send(A2, [EXIT, 0, 0, 0]);
    harness.mirror.table.exited(harness.table_pid(A2), 0);
    harness.wait(R, ga, 0);
    harness.kill(R, -ga, 0); // ESRCH

    // A blocked waiter: R waits for group GG; G leaves GG (no wake-up on Linux either);
    // F ends (not in GG: R's waiter is not woken); G returns to GG and ends: R reaps G.
    harness.puppets.send(R, [WAIT, -gg, 0, 0]);
    let token = harness.mirror.token();
    let table_r = harness.table_pid(R);
    let table_selector = harness.mirror.selector(-gg);
    assert_eq!(harness.mirror.table.wait(table_r, table_selector, 0, token), WaitOutcome::Blocked);
    until_blocked_in_wait(pid_argument(r));
    assert_eq!(harness.puppets.receive_within(R, 0), None, "R blocks on Linux too");
    harness.set_process_group(G, 0, r);
    harness.puppets.send(F, [EXIT, 4, 0, 0]);
    std::thread::sleep(Duration::from_millis(200));
    let outcome =
        harness.mirror.table.exited(harness.table_pid(F), exit_word(ExitStatus::Exited(4)));
    assert!(outcome.answers.is_empty(), "F's end wakes no waiter for GG");
    assert_eq!(harness.puppets.receive_within(R, 200), None, "R still blocks on Linux");
    harness.set_process_group(G, 0, 0);
    harness.puppets.send(G, [EXIT, 6, 0, 0]);
    let reply = harness.puppets.receive(R);
    let outcome =
        harness.mirror.table.exited(harness.table_pid(G), exit_word(ExitStatus::Exited(6)));
    assert_eq!(outcome.answers.len(), 1);
    let answer = &outcome.answers[0];
    assert_eq!(answer.waiter, token);
    let table = answer.result.map(|(pid, status)| (harness.mirror.real(pid), i64::from(status)));
    assert_eq!(real_result(reply).map(|pid| (pid, reply[2])), table, "the blocked waitpid(-GG)");
    harness.puppets.reaped(pid_argument(gg));
    harness.wait(R, f, 0); // F is still a zombie for R

    // D ends while R blocks in waitpid(-1): the stored waiter is answered.
    harness.puppets.send(R, [WAIT, -1, 0, 0]);
    until_blocked_in_wait(pid_argument(r));
    let token = harness.mirror.token();
    assert_eq!(harness.mirror.table.wait(table_r, -1, 0, token), WaitOutcome::Blocked);
    harness.puppets.send(D, [EXIT, 2, 0, 0]);
    let reply = harness.puppets.receive(R);
    let outcome =
        harness.mirror.table.exited(harness.table_pid(D), exit_word(ExitStatus::Exited(2)));
    assert_eq!(outcome.answers.len(), 1);
    let table = outcome.answers[0]
        .result
        .map(|(pid, status)| (harness.mirror.real(pid), i64::from(status)));
    assert_eq!(real_result(reply).map(|pid| (pid, reply[2])), table, "the blocked waitpid(-1)");
    harness.puppets.reaped(pid_argument(d));
    harness.wait(R, -1, 0); // no child left: ECHILD

    // Stops and continues: a stop is reported once to WUNTRACED, a continue once to
    // WCONTINUED, and a continue replaces a stop not reported yet. S leads a job, which R
    // (in another group of the session) keeps from being orphaned; T stays in R's group,
    // which is orphaned (R's parent, this test, is in another session).
    harness.fork(R, S);
    harness.fork(R, T);
    harness.set_process_group(S, 0, 0);
    let (s, t) = (pid(&harness, S), pid(&harness, T));
    let stopped = |outcome: &StopOutcome<u32>| matches!(outcome, StopOutcome::Stopped { .. });
    // Job-control stops do nothing in an orphaned group; SIGSTOP does.
    assert_eq!(harness.stop(R, T, libc::SIGTSTP), StopOutcome::Continued);
    harness.get_session(T, 0); // T ran since: the signal was handled
    harness.wait(R, t, libc::WUNTRACED | libc::WNOHANG); // not stopped: 0
    assert!(stopped(&harness.stop(R, T, libc::SIGSTOP)));
    harness.wait(R, t, libc::WUNTRACED); // blocks on Linux until T stops
    harness.kill(R, t, libc::SIGCONT as u32);
    harness.wait(R, t, libc::WCONTINUED | libc::WNOHANG); // continued
    assert!(stopped(&harness.stop(R, S, libc::SIGTSTP)));
    harness.wait(R, -1, libc::WNOHANG); // no WUNTRACED: 0
    harness.wait(R, s, libc::WUNTRACED); // blocks on Linux until S stops
    harness.wait(R, s, libc::WUNTRACED | libc::WNOHANG); // reported already: 0
    harness.wait(R, -1, libc::WCONTINUED | libc::WNOHANG); // 0
    harness.kill(R, s, libc::SIGCONT as u32);
    harness.wait(R, -1, libc::WUNTRACED | libc::WNOHANG); // 0
    harness.wait(R, s, libc::WCONTINUED | libc::WNOHANG); // continued
    harness.wait(R, s, libc::WCONTINUED | libc::WNOHANG); // reported already: 0
    assert!(stopped(&harness.stop(T, S, libc::SIGTTOU)));
    until_stopped(s);
    harness.kill(T, s, libc::SIGCONT as u32);
    harness.wait(R, -1, libc::WUNTRACED | libc::WCONTINUED | libc::WNOHANG); // continued
    // R blocks in waitpid(-1, WUNTRACED); T stops S: R's waiter is answered.
    harness.puppets.send(R, [WAIT, -1, i64::from(libc::WUNTRACED), 0]);
    until_blocked_in_wait(pid_argument(r));
    let token = harness.mirror.token();
    let waited = harness.mirror.table.wait(table_r, -1, libc::WUNTRACED as u64, token);
    assert_eq!(waited, WaitOutcome::Blocked);
    let StopOutcome::Stopped { answers, .. } = harness.stop(T, S, libc::SIGTTIN) else {
        panic!("S stops")
    };
    let reply = harness.puppets.receive(R);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].waiter, token);
    let table =
        answers[0].result.map(|(pid, status)| (harness.mirror.real(pid), i64::from(status)));
    assert_eq!(real_result(reply).map(|pid| (pid, reply[2])), table, "the blocked WUNTRACED");
    harness.kill(R, s, libc::SIGCONT as u32);

    // sigaction: SIGKILL cannot be ignored; SIGCHLD ignored, or SA_NOCLDWAIT, leaves no
    // zombie: a wait for the ended child finds nothing.
    harness.set_disposition(R, libc::SIGKILL, true, 0); // EINVAL
    harness.set_disposition(R, 0, true, 0); // EINVAL
    harness.set_disposition(R, 65, false, 0); // EINVAL
    harness.set_disposition(R, libc::SIGCHLD, true, 0);
    for (slot, child) in [(T, t), (S, s)] {
        harness.puppets.send(slot, [EXIT, 3, 0, 0]);
        // Returns once the child has ended (with ECHILD, since it leaves no zombie).
        let _ = harness.puppets.call(R, [WAIT_UNTIL_ENDED, child, 0, 0]);
        let table_child = harness.table_pid(slot);
        let outcome = harness.mirror.table.exited(table_child, exit_word(ExitStatus::Exited(3)));
        assert!(outcome.answers.is_empty() && outcome.signals.is_empty());
        assert_eq!(harness.mirror.table.info(table_child), None, "reaped at once");
        harness.puppets.reaped(pid_argument(child));
        harness.wait(R, child, 0); // ECHILD
        // The second child ends under SIG_DFL with SA_NOCLDWAIT.
        harness.set_disposition(R, libc::SIGCHLD, false, libc::SA_NOCLDWAIT);
    }
    harness.wait(R, -1, libc::WNOHANG); // no child left: ECHILD

    harness.puppets.send(R, [EXIT, 0, 0, 0]);
}
