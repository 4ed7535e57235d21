//! Processes through the process server: `spawn` (in the style of `posix_spawn`),
//! `waitpid`, `kill`, process groups and sessions, pids and credentials, and the wait
//! status macros.
//!
//! A program started by proc holds a send handle to it (initial handle
//! [`courier_abi::start::PROC_HANDLE`]); every call here is one IPC call to proc. A
//! program started by the kernel directly has no proc and gets `ENOSYS`.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use courier_abi::ipc::MESSAGE_WORDS;
use courier_abi::ipc::{MessageDescriptor, TRANSFER_COPY};
use courier_abi::memory::{MAP_READ, MAP_WRITE};
use courier_abi::proc::{ProcRequest, SPAWN_SET_PROCESS_GROUP, SPAWN_SET_SESSION, WAIT_NO_HANG};
use courier_abi::start::{
    DESCRIPTOR_CONSOLE, DESCRIPTOR_SERVER, DescriptorEntry, FIRST_SERVER_HANDLE,
    MAX_SERVER_HANDLES, PROC_HANDLE, encode,
};
use courier_abi::{Errno, Handle};

use crate::fd::{Fd, Target};
use crate::ipc::Endpoint;
use crate::memory::MemoryObject;

/// A process id.
pub type Pid = i32;

/// One step `spawn` applies to the child's descriptors, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Close the descriptor in the child (`posix_spawn_file_actions_addclose`).
    Close(Fd),
    /// Make the child's `new` a copy of `old` (`posix_spawn_file_actions_adddup2`).
    Dup2(Fd, Fd),
}

/// Spawn attributes (`posix_spawnattr_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnAttributes {
    /// Put the child in this process group (`POSIX_SPAWN_SETPGROUP`; `Some(0)`: a new group
    /// led by the child).
    pub process_group: Option<Pid>,
    /// Make the child a session leader (`POSIX_SPAWN_SETSID`).
    pub new_session: bool,
}

/// Whether this program was started by proc (and can use this module).
pub fn available() -> bool {
    crate::runtime::started_by_proc()
}

fn proc_endpoint() -> Result<Endpoint, Errno> {
    if !available() {
        return Err(Errno::Enosys);
    }
    Ok(Endpoint(Handle::initial(PROC_HANDLE)))
}

/// Sends `request` to proc and returns the answer's words.
pub(crate) fn request(request: ProcRequest) -> Result<[u64; MESSAGE_WORDS], Errno> {
    let (label, words) = request.to_message();
    let answer = proc_endpoint()?.call(label, words).map_err(Errno::from)?;
    match answer.label {
        0 => Ok(answer.words),
        code => Err(Errno::from_number(code as i32).unwrap_or(Errno::Eio)),
    }
}

fn pid_of(word: u64) -> Pid {
    word as u32 as Pid
}

/// Starts `image` (a program in the boot image) with `arguments` (`argv`, the program
/// name first by convention) and `environment` (`NAME=value` strings). The child gets
/// every descriptor without `FD_CLOEXEC`, changed by `actions`; `attributes` may put it in
/// a process group or a new session. Returns the child's pid.
///
/// # Errors
///
/// `ENOENT` (no such image), `ENOEXEC`, `EBADF` (an action on a closed descriptor),
/// `E2BIG` (arguments and environment too large), `EPERM` (a process group in another
/// session), `EAGAIN` (no pid free), `EINVAL` (a string with a NUL byte), `EMFILE` (more
/// than `MAX_SERVER_HANDLES` distinct server descriptions), `ENOMEM`, `ENOSYS` without
/// proc.
pub fn spawn(
    image: &str,
    arguments: &[&str],
    environment: &[&str],
    actions: &[FileAction],
    attributes: &SpawnAttributes,
) -> Result<Pid, Errno> {
    let endpoint = proc_endpoint()?;
    let descriptors = crate::fd::for_child(actions)?;
    // Each reference once; the child gets its own handle to it.
    let mut references: Vec<Handle> = Vec::new();
    let mut entries: Vec<DescriptorEntry> = Vec::new();
    for &(fd, target) in &descriptors {
        let entry = match target {
            Target::Console { status } => DescriptorEntry {
                descriptor: fd as u32,
                kind: DESCRIPTOR_CONSOLE,
                server: 0,
                status: status as u32,
                object: 0,
            },
            Target::Server { reference } => {
                let position = match references.iter().position(|&known| known == reference) {
                    Some(position) => position,
                    None => {
                        if references.len() == MAX_SERVER_HANDLES {
                            return Err(Errno::Emfile);
                        }
                        references.push(reference);
                        references.len() - 1
                    }
                };
                DescriptorEntry {
                    descriptor: fd as u32,
                    kind: DESCRIPTOR_SERVER,
                    server: u32::from(FIRST_SERVER_HANDLE) + position as u32,
                    status: 0,
                    object: 0,
                }
            }
        };
        entries.push(entry);
    }
    let block = start_block(arguments, environment, &entries)?;
    let mut descriptor = MessageDescriptor::new(0);
    let (label, words) = ProcRequest::Spawn {
        flags: spawn_flags(attributes),
        group: attributes.process_group.map_or(0, |group| u64::from(group as u32)),
    }
    .to_message();
    descriptor.label = label;
    descriptor.words = words;
    descriptor.leases[0] = crate::ipc::lend(image.as_bytes());
    descriptor.lease_count = 1;
    // A copy, not a move: a call a signal hands back undelivered is sent again, and the
    // block must still be there for it.
    descriptor.handles[0].handle = block.0;
    descriptor.handles[0].mode = TRANSFER_COPY;
    descriptor.handles[0].rights = courier_abi::Rights::ALL.0;
    for (index, &reference) in references.iter().enumerate() {
        let transfer = &mut descriptor.handles[index + 1];
        transfer.handle = reference;
        transfer.mode = TRANSFER_COPY;
        transfer.rights = courier_abi::Rights::ALL.0;
    }
    descriptor.handle_count = 1 + references.len() as u32;
    let answer = endpoint.call_with(&mut descriptor);
    let _ = crate::handle::close(block.0);
    let answer = answer.map_err(Errno::from)?;
    match answer.label {
        0 => Ok(pid_of(answer.words[0])),
        code => Err(Errno::from_number(code as i32).unwrap_or(Errno::Eio)),
    }
}

fn spawn_flags(attributes: &SpawnAttributes) -> u64 {
    let mut flags = 0;
    if attributes.process_group.is_some() {
        flags |= SPAWN_SET_PROCESS_GROUP;
    }
    if attributes.new_session {
        flags |= SPAWN_SET_SESSION;
    }
    flags
}

/// Writes a start block (`courier_abi::start`) into a new memory object, for a program
/// about to be spawned.
///
/// # Errors
///
/// `E2BIG`, `EINVAL` (a NUL byte in a string), `ENOMEM`, kernel errors.
pub fn start_block(
    arguments: &[&str],
    environment: &[&str],
    entries: &[DescriptorEntry],
) -> Result<MemoryObject, Errno> {
    let size = courier_abi::start::HEADER_SIZE
        + entries.len() * courier_abi::start::DESCRIPTOR_SIZE
        + arguments.iter().chain(environment).map(|string| string.len() + 1).sum::<usize>();
    if size > courier_abi::start::MAX_START_BLOCK {
        return Err(Errno::E2big);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| Errno::Enomem)?;
    bytes.resize(size, 0);
    let (mask, ignored) = crate::signal::inherited_for_child();
    let signals = courier_abi::start::InheritedSignals { mask: mask.0, ignored: ignored.0 };
    let length = encode(
        &mut bytes,
        arguments.iter().map(|string| string.as_bytes()),
        environment.iter().map(|string| string.as_bytes()),
        entries,
        signals,
    )
    .map_err(|error| match error {
        courier_abi::start::StartBlockError::TooLarge => Errno::E2big,
        _ => Errno::Einval,
    })?;
    let object = MemoryObject::create(length.max(1)).map_err(Errno::from)?;
    let mapping = match object.map(0, 0, length.max(1), MAP_READ | MAP_WRITE) {
        Ok(mapping) => mapping,
        Err(error) => {
            let _ = crate::handle::close(object.0);
            return Err(Errno::from(error));
        }
    };
    mapping.write_bytes(0, &bytes[..length]);
    let _ = crate::memory::unmap(mapping);
    Ok(object)
}

/// `waitpid(selector, options)`: waits for a child to end and reaps it. `selector` > 0
/// names a child, -1 any child, 0 any child in the caller's process group, < -1 any child
/// in group `-selector`. Returns the child's pid and its wait status, or `(0, 0)` with
/// [`WNOHANG`] when none has ended yet.
///
/// # Errors
///
/// `ECHILD` (no such child), `EINVAL` (bad options), `EINTR`.
pub fn waitpid(selector: Pid, options: u64) -> Result<(Pid, i32), Errno> {
    loop {
        crate::signal::begin_call();
        match request(ProcRequest::Wait { selector: i64::from(selector), options }) {
            Ok(words) => return Ok((pid_of(words[0]), words[1] as u32 as i32)),
            // Restarted as Linux restarts wait4 (always, unless a handler without
            // SA_RESTART ran).
            Err(Errno::Eintr) if crate::signal::restart_after_interruption(true) => {}
            Err(error) => return Err(error),
        }
    }
}

/// `WNOHANG`: do not wait.
pub const WNOHANG: u64 = WAIT_NO_HANG;
/// `WUNTRACED`: also report children that stopped.
pub const WUNTRACED: u64 = courier_abi::proc::WAIT_UNTRACED;
/// `WCONTINUED`: also report stopped children that continued.
pub const WCONTINUED: u64 = courier_abi::proc::WAIT_CONTINUED;

/// Waits for any child (`wait`).
///
/// # Errors
///
/// As [`waitpid`].
pub fn wait() -> Result<(Pid, i32), Errno> {
    waitpid(-1, 0)
}

/// `kill(target, signal)`: `target` > 0 one process, 0 the caller's group, -1 every process
/// the caller may signal but init and itself, < -1 group `-target`; signal 0 only checks.
///
/// # Errors
///
/// `ESRCH`, `EPERM`, `EINVAL`.
pub fn kill(target: Pid, signal: u32) -> Result<(), Errno> {
    // A caught or ignored signal a process sends itself changes nothing proc keeps: it is
    // delivered here, as proc's upcall would deliver it, without the round trip.
    if target > 0 && getpid() == Ok(target) && crate::signal::send_to_self(target, signal)? {
        return Ok(());
    }
    request(ProcRequest::Kill { target: i64::from(target), signal: u64::from(signal) }).map(|_| ())
}

/// `raise(signal)`: sends `signal` to the caller itself.
///
/// # Errors
///
/// `EINVAL`, `ENOSYS` without proc.
pub fn raise(signal: u32) -> Result<(), Errno> {
    crate::signal::raise(signal)
}

/// The caller's pid.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getpid() -> Result<Pid, Errno> {
    // A process's pid never changes: asked once.
    let known = OWN_PID.load(Ordering::Relaxed);
    if known > 0 {
        return Ok(known);
    }
    let pid = request(ProcRequest::Identify).map(|words| pid_of(words[0]))?;
    OWN_PID.store(pid, Ordering::Relaxed);
    Ok(pid)
}

/// This process's pid once known (0 before).
static OWN_PID: AtomicI32 = AtomicI32::new(0);

/// This process's real uid once known (`u64::MAX` before, and after `setuid`/`setgid`).
static OWN_UID: AtomicU64 = AtomicU64::new(u64::MAX);

/// The caller's real uid, asked once and kept until `setuid` or `setgid` (a signal a
/// process sends itself carries it as `si_uid`).
pub(crate) fn own_real_uid() -> Result<u32, Errno> {
    let known = OWN_UID.load(Ordering::Relaxed);
    if known != u64::MAX {
        return Ok(known as u32);
    }
    let uid = credentials()?.uid;
    OWN_UID.store(u64::from(uid), Ordering::Relaxed);
    Ok(uid)
}

/// The caller's parent's pid.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getppid() -> Result<Pid, Errno> {
    request(ProcRequest::Identify).map(|words| pid_of(words[1]))
}

/// `setpgid(pid, group)`.
///
/// # Errors
///
/// `EINVAL` (negative group), `ESRCH`, `EPERM`, `EACCES` (a spawned child).
pub fn setpgid(pid: Pid, group: Pid) -> Result<(), Errno> {
    if group < 0 || pid < 0 {
        return Err(if group < 0 { Errno::Einval } else { Errno::Esrch });
    }
    request(ProcRequest::SetProcessGroup { pid: pid as u64, group: group as u64 }).map(|_| ())
}

/// `getpgid(pid)` (0: the caller).
///
/// # Errors
///
/// `ESRCH`.
pub fn getpgid(pid: Pid) -> Result<Pid, Errno> {
    if pid < 0 {
        return Err(Errno::Esrch);
    }
    request(ProcRequest::GetProcessGroup { pid: pid as u64 }).map(|words| pid_of(words[0]))
}

/// `getpgrp()`: the caller's process group.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getpgrp() -> Result<Pid, Errno> {
    getpgid(0)
}

/// `setsid()`: a new session and group led by the caller; returns its id.
///
/// # Errors
///
/// `EPERM` when the caller leads a process group.
pub fn setsid() -> Result<Pid, Errno> {
    request(ProcRequest::CreateSession).map(|words| pid_of(words[0]))
}

/// `getsid(pid)` (0: the caller).
///
/// # Errors
///
/// `ESRCH`.
pub fn getsid(pid: Pid) -> Result<Pid, Errno> {
    if pid < 0 {
        return Err(Errno::Esrch);
    }
    request(ProcRequest::GetSession { pid: pid as u64 }).map(|words| pid_of(words[0]))
}

/// The caller's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Real user id.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
}

/// The caller's user and group ids.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn credentials() -> Result<Credentials, Errno> {
    request(ProcRequest::GetCredentials).map(|words| Credentials {
        uid: words[0] as u32,
        euid: words[1] as u32,
        gid: words[2] as u32,
        egid: words[3] as u32,
    })
}

/// `getuid()`.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getuid() -> Result<u32, Errno> {
    credentials().map(|credentials| credentials.uid)
}

/// `geteuid()`.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn geteuid() -> Result<u32, Errno> {
    credentials().map(|credentials| credentials.euid)
}

/// `getgid()`.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getgid() -> Result<u32, Errno> {
    credentials().map(|credentials| credentials.gid)
}

/// `getegid()`.
///
/// # Errors
///
/// `ENOSYS` without proc.
pub fn getegid() -> Result<u32, Errno> {
    credentials().map(|credentials| credentials.egid)
}

/// `setuid(uid)`.
///
/// # Errors
///
/// `EPERM` for an unprivileged caller asking for another id.
pub fn setuid(uid: u32) -> Result<(), Errno> {
    request(ProcRequest::SetUserId { uid: u64::from(uid) })?;
    OWN_UID.store(u64::MAX, Ordering::Relaxed);
    crate::sysv::credentials_changed();
    Ok(())
}

/// `setgid(gid)`.
///
/// # Errors
///
/// `EPERM` for an unprivileged caller asking for another id.
pub fn setgid(gid: u32) -> Result<(), Errno> {
    request(ProcRequest::SetGroupId { gid: u64::from(gid) })?;
    OWN_UID.store(u64::MAX, Ordering::Relaxed);
    crate::sysv::credentials_changed();
    Ok(())
}

/// The credentials of `pid` (servers check permissions with them).
///
/// # Errors
///
/// `ESRCH`.
pub fn credentials_of(pid: Pid) -> Result<Credentials, Errno> {
    if pid <= 0 {
        return Err(Errno::Esrch);
    }
    request(ProcRequest::CredentialsOf { pid: pid as u64 }).map(|words| Credentials {
        uid: words[0] as u32,
        euid: words[1] as u32,
        gid: words[2] as u32,
        egid: words[3] as u32,
    })
}

/// The pid and credentials of the process behind kernel client id `client` (the `client`
/// of a message a server received through a reference).
///
/// # Errors
///
/// `ESRCH` for a client proc did not start or that has ended.
pub fn client_credentials(client: u32) -> Result<(Pid, Credentials), Errno> {
    request(ProcRequest::ClientCredentials { client: u64::from(client) }).map(|words| {
        let credentials = Credentials {
            uid: words[1] as u32,
            euid: (words[1] >> 32) as u32,
            gid: words[2] as u32,
            egid: (words[2] >> 32) as u32,
        };
        (pid_of(words[0]), credentials)
    })
}

/// What proc knows of a process (as `/proc/<pid>/stat` tells).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Its parent.
    pub parent: Pid,
    /// Its process group.
    pub process_group: Pid,
    /// Its session.
    pub session: Pid,
    /// Whether it has ended and waits to be reaped.
    pub zombie: bool,
    /// Whether it is stopped.
    pub stopped: bool,
}

/// Facts about `pid`.
///
/// # Errors
///
/// `ESRCH`.
pub fn process_info(pid: Pid) -> Result<ProcessInfo, Errno> {
    if pid <= 0 {
        return Err(Errno::Esrch);
    }
    request(ProcRequest::ProcessInfo { pid: pid as u64 }).map(|words| ProcessInfo {
        parent: pid_of(words[0]),
        process_group: pid_of(words[1]),
        session: pid_of(words[2]),
        zombie: words[3] == courier_abi::proc::STATE_ZOMBIE,
        stopped: words[3] == courier_abi::proc::STATE_STOPPED,
    })
}

/// The name `pid` was started under (its image name, as `/proc/<pid>/comm` tells; cut at
/// `courier_abi::proc::PROCESS_NAME_BYTES` bytes).
///
/// # Errors
///
/// `ESRCH`.
pub fn process_name(pid: Pid) -> Result<String, Errno> {
    if pid <= 0 {
        return Err(Errno::Esrch);
    }
    let words = request(ProcRequest::ProcessName { pid: pid as u64 })?;
    let mut bytes: Vec<u8> = words.iter().flat_map(|word| word.to_le_bytes()).collect();
    let length = bytes.iter().position(|&byte| byte == 0).unwrap_or(bytes.len());
    bytes.truncate(length);
    String::from_utf8(bytes).map_err(|_| Errno::Eio)
}

/// The smallest pid above `after` that proc knows (running, stopped or not yet reaped):
/// `next_process(0)`, then `next_process` of each answer, lists every process.
///
/// # Errors
///
/// `ESRCH` when there is none.
pub fn next_process(after: Pid) -> Result<Pid, Errno> {
    let after = u64::from(after.max(0) as u32);
    request(ProcRequest::NextProcess { after }).map(|words| pid_of(words[0]))
}

/// `WIFEXITED(status)`.
pub const fn exited(status: i32) -> bool {
    status & 0x7f == 0
}

/// `WEXITSTATUS(status)`.
pub const fn exit_status(status: i32) -> i32 {
    (status >> 8) & 0xff
}

/// `WIFSIGNALED(status)`.
pub const fn signaled(status: i32) -> bool {
    ((status & 0x7f) + 1) as i8 >= 2
}

/// `WTERMSIG(status)`.
pub const fn terminating_signal(status: i32) -> i32 {
    status & 0x7f
}

/// `WCOREDUMP(status)`: the signal that ended the child has the "core" default action
/// (Courier writes no core file).
pub const fn core_dumped(status: i32) -> bool {
    signaled(status) && status & 0x80 != 0
}

/// `WIFSTOPPED(status)`: the child stopped.
pub const fn stopped(status: i32) -> bool {
    status & 0xff == 0x7f
}

/// `WSTOPSIG(status)`: the signal that stopped it.
pub const fn stopping_signal(status: i32) -> i32 {
    (status >> 8) & 0xff
}

/// `WIFCONTINUED(status)`: the stopped child continued.
pub const fn continued(status: i32) -> bool {
    status == 0xffff
}
