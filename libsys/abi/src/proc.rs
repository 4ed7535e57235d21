//! The process server's protocol: spawning, waiting, signalling, process groups, sessions
//! and credentials.
//!
//! Every process started through proc holds a send handle to proc's endpoint minted with
//! its pid as the badge, so proc knows who is asking without trusting the message. A
//! request is a [`ProcRequest`]; it travels as a message label (the [`ProcOperation`]) and
//! the four words. The answer's label is 0 for success or a Linux errno number
//! ([`crate::errno::Errno`]), and its words are the results listed on each operation.

use crate::ipc::MESSAGE_WORDS;

/// Operations proc answers (the message label of a request).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcOperation {
    /// Start a program. Lease 0 (read) is the image name; the message carries the start
    /// block memory object first and then the descriptor servers' endpoints. Answer: the
    /// child's pid.
    Spawn = 1,
    /// Wait for a child to end. Answer: its pid (0 with `WAIT_NO_HANG` when none has) and
    /// its wait status.
    Wait = 2,
    /// Send a signal. Answer: nothing.
    Kill = 3,
    /// Answer: the caller's pid and its parent's.
    Identify = 4,
    /// `setpgid(pid, group)`.
    SetProcessGroup = 5,
    /// `getpgid(pid)`. Answer: the group.
    GetProcessGroup = 6,
    /// `setsid()`. Answer: the new session (the caller's pid).
    CreateSession = 7,
    /// `getsid(pid)`. Answer: the session.
    GetSession = 8,
    /// Answer: real uid, effective uid, real gid, effective gid.
    GetCredentials = 9,
    /// `setuid(uid)`.
    SetUserId = 10,
    /// `setgid(gid)`.
    SetGroupId = 11,
    /// Facts about `pid` (as `/proc/<pid>/stat` gives them). Answer: parent, group,
    /// session, and 0 for a live process or 1 for a zombie.
    ProcessInfo = 12,
    /// A server offers service word 0 (`courier_abi::service`); the message carries its
    /// endpoint (with `MINT`). `EEXIST` while another live process offers it.
    RegisterService = 13,
    /// Connect to service word 0: the answer carries a send handle to it badged with the
    /// caller's pid. `ENOENT` when nobody offers it.
    Connect = 14,
    /// The credentials of `pid` (for servers' permission checks). Answer: real uid,
    /// effective uid, real gid, effective gid.
    CredentialsOf = 15,
    /// Who is behind kernel client id word 0 (the `client` of a received message, for
    /// servers reached through references rather than a pid-badged connection). Answer:
    /// the pid, then `uid | euid << 32`, then `gid | egid << 32`. `ESRCH` for a client
    /// proc did not start or that has ended.
    ClientCredentials = 16,
    /// `sigaction` told proc what the caller does with signal word 0: word 1 is the
    /// [`crate::signal::Disposition`], word 2 the `SA_*` flags. `EINVAL` for a number
    /// that is not a signal, and for SIGKILL or SIGSTOP with anything but the default.
    SetDisposition = 17,
    /// `sigqueue(pid, signal, value)`: words are the pid, the signal and the value.
    /// `EAGAIN` when the target has too many signals waiting.
    Queue = 18,
    /// The caller's libsys found signal word 0 deliverable with its default action
    /// (terminate, dump core or stop; word 1 is the continue generation from the signal's
    /// upcall). Terminating signals end the caller; a stop holds the answer until the
    /// caller is continued (answered then) or killed.
    DefaultAction = 19,
    /// `alarm`: word 0 is the delay in nanoseconds (0 cancels). Answer: the nanoseconds
    /// that were left on the previous alarm (0 if none).
    Alarm = 20,
    /// The name `pid` was started under (its image name, as `/proc/<pid>/comm`): up to
    /// [`PROCESS_NAME_BYTES`] bytes packed into the answer's words, first byte lowest,
    /// zero-padded. `ESRCH` when proc does not know `pid`.
    ProcessName = 21,
    /// The smallest pid greater than word 0 that proc knows (running, stopped or not yet
    /// reaped), for listing processes. Answer: that pid. `ESRCH` when there is none.
    NextProcess = 22,
}

impl ProcOperation {
    /// The operation a label names.
    pub const fn from_label(label: u32) -> Option<ProcOperation> {
        Some(match label {
            1 => ProcOperation::Spawn,
            2 => ProcOperation::Wait,
            3 => ProcOperation::Kill,
            4 => ProcOperation::Identify,
            5 => ProcOperation::SetProcessGroup,
            6 => ProcOperation::GetProcessGroup,
            7 => ProcOperation::CreateSession,
            8 => ProcOperation::GetSession,
            9 => ProcOperation::GetCredentials,
            10 => ProcOperation::SetUserId,
            11 => ProcOperation::SetGroupId,
            12 => ProcOperation::ProcessInfo,
            13 => ProcOperation::RegisterService,
            14 => ProcOperation::Connect,
            15 => ProcOperation::CredentialsOf,
            16 => ProcOperation::ClientCredentials,
            17 => ProcOperation::SetDisposition,
            18 => ProcOperation::Queue,
            19 => ProcOperation::DefaultAction,
            20 => ProcOperation::Alarm,
            21 => ProcOperation::ProcessName,
            22 => ProcOperation::NextProcess,
            _ => return None,
        })
    }
}

/// `Spawn` flag: put the child in process group `group` (0: a new group led by the child),
/// as `POSIX_SPAWN_SETPGROUP`.
pub const SPAWN_SET_PROCESS_GROUP: u64 = 1 << 0;
/// `Spawn` flag: make the child the leader of a new session, as `POSIX_SPAWN_SETSID`.
pub const SPAWN_SET_SESSION: u64 = 1 << 1;
/// Every `Spawn` flag.
pub const SPAWN_FLAGS: u64 = SPAWN_SET_PROCESS_GROUP | SPAWN_SET_SESSION;

/// `Wait` option: return at once (pid 0) when no child has ended, as `WNOHANG`.
pub const WAIT_NO_HANG: u64 = 1;
/// `Wait` option: also report children that stopped, as `WUNTRACED`.
pub const WAIT_UNTRACED: u64 = 2;
/// `Wait` option: also report stopped children that continued, as `WCONTINUED`.
pub const WAIT_CONTINUED: u64 = 8;

/// The most bytes of a name `ProcessName` answers (the four answer words); longer image
/// names are cut, as Linux cuts `comm`.
pub const PROCESS_NAME_BYTES: usize = MESSAGE_WORDS * 8;

/// `ProcessInfo` state: the process is stopped.
pub const STATE_STOPPED: u64 = 2;

/// `ProcessInfo` state: the process is running (or ready, or blocked).
pub const STATE_LIVE: u64 = 0;
/// `ProcessInfo` state: the process has ended and was not reaped yet.
pub const STATE_ZOMBIE: u64 = 1;

/// A request to proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcRequest {
    /// Start a program (the name and handles travel beside the words).
    Spawn {
        /// `SPAWN_*` flags.
        flags: u64,
        /// The process group for `SPAWN_SET_PROCESS_GROUP`.
        group: u64,
    },
    /// `waitpid(selector, options)`: `selector` > 0 one child, -1 any child, 0 any child in
    /// the caller's group, < -1 any child in group `-selector`.
    Wait {
        /// Which children.
        selector: i64,
        /// `WAIT_NO_HANG` or 0.
        options: u64,
    },
    /// `kill(target, signal)`.
    Kill {
        /// Which processes (as `kill`'s pid argument).
        target: i64,
        /// The signal (0 checks existence and permission).
        signal: u64,
    },
    /// `getpid()` and `getppid()`.
    Identify,
    /// `setpgid(pid, group)` (0 means the caller for either).
    SetProcessGroup {
        /// The process (0: the caller).
        pid: u64,
        /// The group (0: `pid` itself).
        group: u64,
    },
    /// `getpgid(pid)` (0: the caller).
    GetProcessGroup {
        /// The process.
        pid: u64,
    },
    /// `setsid()`.
    CreateSession,
    /// `getsid(pid)` (0: the caller).
    GetSession {
        /// The process.
        pid: u64,
    },
    /// `getuid()`, `geteuid()`, `getgid()`, `getegid()`.
    GetCredentials,
    /// `setuid(uid)`.
    SetUserId {
        /// The user id.
        uid: u64,
    },
    /// `setgid(gid)`.
    SetGroupId {
        /// The group id.
        gid: u64,
    },
    /// Facts about a process.
    ProcessInfo {
        /// The process.
        pid: u64,
    },
    /// A process's name.
    ProcessName {
        /// The process.
        pid: u64,
    },
    /// The next process after a pid.
    NextProcess {
        /// Answer with the smallest known pid above this one.
        after: u64,
    },
    /// Offer a service (the endpoint travels with the message).
    RegisterService {
        /// The service number.
        service: u64,
    },
    /// Connect to a service.
    Connect {
        /// The service number.
        service: u64,
    },
    /// Another process's credentials.
    CredentialsOf {
        /// The process.
        pid: u64,
    },
    /// The pid and credentials behind a kernel client id.
    ClientCredentials {
        /// The client id.
        client: u64,
    },
    /// What the caller does with a signal.
    SetDisposition {
        /// The signal.
        signal: u64,
        /// A [`crate::signal::Disposition`] number.
        disposition: u64,
        /// `SA_*` flags.
        flags: u64,
    },
    /// `sigqueue(pid, signal, value)`.
    Queue {
        /// The process.
        pid: u64,
        /// The signal.
        signal: u64,
        /// The value.
        value: u64,
    },
    /// Apply a signal's default action to the caller.
    DefaultAction {
        /// The signal.
        signal: u64,
        /// The continue generation from its upcall.
        generation: u64,
    },
    /// `alarm`.
    Alarm {
        /// Delay in nanoseconds (0 cancels).
        nanoseconds: u64,
    },
}

impl ProcRequest {
    /// The label and words that carry this request.
    pub const fn to_message(self) -> (u32, [u64; MESSAGE_WORDS]) {
        let (operation, words) = match self {
            ProcRequest::Spawn { flags, group } => (ProcOperation::Spawn, [flags, group, 0, 0]),
            ProcRequest::Wait { selector, options } => {
                (ProcOperation::Wait, [selector as u64, options, 0, 0])
            }
            ProcRequest::Kill { target, signal } => {
                (ProcOperation::Kill, [target as u64, signal, 0, 0])
            }
            ProcRequest::Identify => (ProcOperation::Identify, [0; MESSAGE_WORDS]),
            ProcRequest::SetProcessGroup { pid, group } => {
                (ProcOperation::SetProcessGroup, [pid, group, 0, 0])
            }
            ProcRequest::GetProcessGroup { pid } => {
                (ProcOperation::GetProcessGroup, [pid, 0, 0, 0])
            }
            ProcRequest::CreateSession => (ProcOperation::CreateSession, [0; MESSAGE_WORDS]),
            ProcRequest::GetSession { pid } => (ProcOperation::GetSession, [pid, 0, 0, 0]),
            ProcRequest::GetCredentials => (ProcOperation::GetCredentials, [0; MESSAGE_WORDS]),
            ProcRequest::SetUserId { uid } => (ProcOperation::SetUserId, [uid, 0, 0, 0]),
            ProcRequest::SetGroupId { gid } => (ProcOperation::SetGroupId, [gid, 0, 0, 0]),
            ProcRequest::ProcessInfo { pid } => (ProcOperation::ProcessInfo, [pid, 0, 0, 0]),
            ProcRequest::ProcessName { pid } => (ProcOperation::ProcessName, [pid, 0, 0, 0]),
            ProcRequest::NextProcess { after } => (ProcOperation::NextProcess, [after, 0, 0, 0]),
            ProcRequest::RegisterService { service } => {
                (ProcOperation::RegisterService, [service, 0, 0, 0])
            }
            ProcRequest::Connect { service } => (ProcOperation::Connect, [service, 0, 0, 0]),
            ProcRequest::CredentialsOf { pid } => (ProcOperation::CredentialsOf, [pid, 0, 0, 0]),
            ProcRequest::ClientCredentials { client } => {
                (ProcOperation::ClientCredentials, [client, 0, 0, 0])
            }
            ProcRequest::SetDisposition { signal, disposition, flags } => {
                (ProcOperation::SetDisposition, [signal, disposition, flags, 0])
            }
            ProcRequest::Queue { pid, signal, value } => {
                (ProcOperation::Queue, [pid, signal, value, 0])
            }
            ProcRequest::DefaultAction { signal, generation } => {
                (ProcOperation::DefaultAction, [signal, generation, 0, 0])
            }
            ProcRequest::Alarm { nanoseconds } => (ProcOperation::Alarm, [nanoseconds, 0, 0, 0]),
        };
        (operation as u32, words)
    }

    /// Decodes a request; `None` for an unknown label.
    pub const fn from_message(label: u32, words: [u64; MESSAGE_WORDS]) -> Option<ProcRequest> {
        let Some(operation) = ProcOperation::from_label(label) else { return None };
        Some(match operation {
            ProcOperation::Spawn => ProcRequest::Spawn { flags: words[0], group: words[1] },
            ProcOperation::Wait => {
                ProcRequest::Wait { selector: words[0] as i64, options: words[1] }
            }
            ProcOperation::Kill => ProcRequest::Kill { target: words[0] as i64, signal: words[1] },
            ProcOperation::Identify => ProcRequest::Identify,
            ProcOperation::SetProcessGroup => {
                ProcRequest::SetProcessGroup { pid: words[0], group: words[1] }
            }
            ProcOperation::GetProcessGroup => ProcRequest::GetProcessGroup { pid: words[0] },
            ProcOperation::CreateSession => ProcRequest::CreateSession,
            ProcOperation::GetSession => ProcRequest::GetSession { pid: words[0] },
            ProcOperation::GetCredentials => ProcRequest::GetCredentials,
            ProcOperation::SetUserId => ProcRequest::SetUserId { uid: words[0] },
            ProcOperation::SetGroupId => ProcRequest::SetGroupId { gid: words[0] },
            ProcOperation::ProcessInfo => ProcRequest::ProcessInfo { pid: words[0] },
            ProcOperation::ProcessName => ProcRequest::ProcessName { pid: words[0] },
            ProcOperation::NextProcess => ProcRequest::NextProcess { after: words[0] },
            ProcOperation::RegisterService => ProcRequest::RegisterService { service: words[0] },
            ProcOperation::Connect => ProcRequest::Connect { service: words[0] },
            ProcOperation::CredentialsOf => ProcRequest::CredentialsOf { pid: words[0] },
            ProcOperation::ClientCredentials => ProcRequest::ClientCredentials { client: words[0] },
            ProcOperation::SetDisposition => ProcRequest::SetDisposition {
                signal: words[0],
                disposition: words[1],
                flags: words[2],
            },
            ProcOperation::Queue => {
                ProcRequest::Queue { pid: words[0], signal: words[1], value: words[2] }
            }
            ProcOperation::DefaultAction => {
                ProcRequest::DefaultAction { signal: words[0], generation: words[1] }
            }
            ProcOperation::Alarm => ProcRequest::Alarm { nanoseconds: words[0] },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let requests = [
            ProcRequest::Spawn { flags: SPAWN_SET_PROCESS_GROUP, group: 7 },
            ProcRequest::Wait { selector: -3, options: WAIT_NO_HANG },
            ProcRequest::Kill { target: -1, signal: 15 },
            ProcRequest::Identify,
            ProcRequest::SetProcessGroup { pid: 0, group: 4 },
            ProcRequest::GetProcessGroup { pid: 9 },
            ProcRequest::CreateSession,
            ProcRequest::GetSession { pid: 2 },
            ProcRequest::GetCredentials,
            ProcRequest::SetUserId { uid: 1000 },
            ProcRequest::SetGroupId { gid: 100 },
            ProcRequest::ProcessInfo { pid: 1 },
            ProcRequest::ProcessName { pid: 6 },
            ProcRequest::NextProcess { after: 4 },
            ProcRequest::RegisterService { service: 1 },
            ProcRequest::Connect { service: 2 },
            ProcRequest::CredentialsOf { pid: 3 },
            ProcRequest::ClientCredentials { client: 0x1_0002 },
            ProcRequest::SetDisposition { signal: 10, disposition: 2, flags: 0x1000_0000 },
            ProcRequest::Queue { pid: 5, signal: 40, value: u64::MAX },
            ProcRequest::DefaultAction { signal: 19, generation: 3 },
            ProcRequest::Alarm { nanoseconds: 1_000_000_000 },
        ];
        for request in requests {
            let (label, words) = request.to_message();
            assert_eq!(ProcRequest::from_message(label, words), Some(request));
        }
        assert_eq!(ProcRequest::from_message(0, [0; 4]), None);
        assert_eq!(ProcRequest::from_message(23, [0; 4]), None);
    }
}
