//! proc: the process server's main loop. It decodes requests, asks the pure core
//! (`courier_proc_core`) what they mean, and turns the core's decisions into kernel calls
//! and replies.
//!
//! The kernel starts proc first (when the command line has no `courier.run=`). proc
//! creates its endpoint, starts `init` as pid 1, and serves:
//!
//! - requests from processes (`courier_abi::proc::ProcRequest`), each arriving through a
//!   send handle badged with the caller's pid, so the caller is known without trusting
//!   the message;
//! - death notices for every process it started (the watch is set by the kernel before
//!   the child runs), which turn it into a zombie and answer waiting parents;
//! - cancel notices for a parent's held `Wait` (it was interrupted), answered `EINTR`;
//! - its own timeout, when the earliest `alarm` is due (SIGALRM).
//!
//! Signals: the core decides what a signal does to each target ([`Signalling`]); this
//! loop posts upcalls carrying the signal's information, ends processes (SIGKILL, and the
//! default actions a process's libsys asks for with `DefaultAction`), and holds a stopped
//! process's `DefaultAction` call until SIGCONT answers it.
//!
//! When init ends, proc ends every remaining process and exits with init's status; the
//! kernel then reports and powers off.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use courier_proc_core::{
    Answer, ExitOutcome, INIT, KillOutcome, Pid, ProcessTable, Signalling, SpawnOptions,
    StopOutcome, WaitOutcome,
};
use libsys::abi::ipc::{
    HandleTransfer, MESSAGE_WORDS, MessageDescriptor, RECEIVED_EXTENDED, ReceiveDescriptor,
    Received, ReceivedKind, TRANSFER_MOVE,
};
use libsys::abi::proc::{
    PROCESS_NAME_BYTES, ProcRequest, SPAWN_FLAGS, SPAWN_SET_PROCESS_GROUP, SPAWN_SET_SESSION,
    STATE_LIVE, STATE_STOPPED, STATE_ZOMBIE,
};
use libsys::abi::process::ExitStatus;
use libsys::abi::signal::{DefaultAction, Disposition, SI_KERNEL, SIGALRM, default_action};
use libsys::abi::start::{DESCRIPTOR_CONSOLE, DescriptorEntry, START_ARGUMENT};
use libsys::abi::{Errno, Handle, HandleKind, KernelError, NO_TIMEOUT, Rights};
use libsys::ipc::{Endpoint, ReplyId, lease_read, reply, reply_receive, reply_with};

libsys::main!(main);

/// Longest image name accepted.
const MAX_IMAGE_NAME: usize = 64;

/// The program proc starts as pid 1.
const INIT_IMAGE: &str = "init";

/// What proc holds for a live process.
struct Child {
    /// Its control handle (kill, upcalls).
    control: Handle,
    /// Its kernel client id (what servers see as a message's `client`).
    client: u32,
}

/// A registered service: the server's endpoint (with `MINT`) and who offers it.
struct Service {
    endpoint: Handle,
    owner: Pid,
}

/// The server's state.
struct Proc {
    endpoint: Endpoint,
    table: ProcessTable<u32>,
    children: BTreeMap<Pid, Child>,
    /// Live children by kernel client id.
    clients: BTreeMap<u32, Pid>,
    services: BTreeMap<u64, Service>,
    /// Pending alarms: when each process's SIGALRM is due (monotonic nanoseconds).
    alarms: BTreeMap<Pid, u64>,
    /// The answer to the request just served, sent with the next receive.
    pending: Option<(u32, Outcome)>,
}

fn main() -> i32 {
    match run() {
        Ok(status) => status,
        Err(error) => {
            libsys::eprintln!("proc: {error}");
            1
        }
    }
}

fn run() -> Result<i32, Errno> {
    let endpoint = Endpoint::create().map_err(Errno::from)?;
    let mut proc = Proc {
        endpoint,
        table: ProcessTable::new(),
        children: BTreeMap::new(),
        clients: BTreeMap::new(),
        services: BTreeMap::new(),
        alarms: BTreeMap::new(),
        pending: None,
    };
    let init = proc.table.create_init();
    proc.table.set_name(init, INIT_IMAGE);
    let console = |descriptor: u32, status: u64| DescriptorEntry {
        descriptor,
        kind: DESCRIPTOR_CONSOLE,
        server: 0,
        status: status as u32,
        object: 0,
    };
    let descriptors = [
        console(0, libsys::abi::io::O_RDONLY),
        console(1, libsys::abi::io::O_WRONLY),
        console(2, libsys::abi::io::O_WRONLY),
    ];
    let block = libsys::proc::start_block(&[INIT_IMAGE], &[], &descriptors)?;
    let started = proc.start(init, INIT_IMAGE, block.0, &[]);
    let _ = libsys::handle::close(block.0);
    if let Err(error) = started {
        libsys::eprintln!("proc: cannot start {INIT_IMAGE}: {error}");
        return Err(error);
    }
    let mut descriptor = ReceiveDescriptor::default();
    loop {
        let timeout = proc.alarm_timeout();
        let received = match proc.pending.take() {
            // The answer and the next receive in one kernel entry, when no alarm waits.
            Some((reply_id, outcome)) if timeout == NO_TIMEOUT => {
                let (label, words) = match outcome {
                    Ok(words) => (0, words),
                    Err(errno) => (errno.number() as u32, [0; MESSAGE_WORDS]),
                };
                reply_receive(
                    Some(ReplyId(reply_id)),
                    label,
                    words,
                    &proc.endpoint,
                    Some(&mut descriptor),
                )
            }
            Some((reply_id, outcome)) => {
                answer(reply_id, outcome);
                proc.endpoint.receive(Some(&mut descriptor), timeout)
            }
            None => proc.endpoint.receive(Some(&mut descriptor), timeout),
        };
        let received = match received {
            Ok(received) => received,
            Err(KernelError::Interrupted) => continue,
            Err(KernelError::Timeout) => {
                proc.fire_alarms();
                continue;
            }
            Err(error) => return Err(Errno::from(error)),
        };
        // Alarms are also checked while requests keep the receive from timing out.
        if !proc.alarms.is_empty() {
            proc.fire_alarms();
        }
        match received.kind {
            ReceivedKind::Message => {
                let handles = if received.flags & RECEIVED_EXTENDED != 0 {
                    &descriptor.handles
                        [..(descriptor.handle_count as usize).min(descriptor.handles.len())]
                } else {
                    &[]
                };
                proc.request(&received, handles);
            }
            ReceivedKind::Death => {
                let pid = received.badge as Pid;
                let status = received.words[1] as u32;
                if let Some(status) = proc.died(pid, status) {
                    return Ok(status);
                }
            }
            ReceivedKind::Cancel => proc.cancelled(received.reply),
            ReceivedKind::Notification | ReceivedKind::Released => {}
        }
    }
}

/// The answer to a request: an errno (0 for success) and the words.
type Outcome = Result<[u64; MESSAGE_WORDS], Errno>;

fn words(values: &[u64]) -> [u64; MESSAGE_WORDS] {
    let mut words = [0; MESSAGE_WORDS];
    words[..values.len()].copy_from_slice(values);
    words
}

fn answer(reply_id: u32, outcome: Outcome) {
    let result = match outcome {
        Ok(words) => reply(ReplyId(reply_id), 0, words),
        Err(errno) => reply(ReplyId(reply_id), errno.number() as u32, [0; MESSAGE_WORDS]),
    };
    // A caller that died meanwhile cannot be answered; nothing to do.
    let _ = result;
}

impl Proc {
    /// Starts `image` as process `pid` (already in the table) with the start block and
    /// descriptor servers given; the kernel sets the death watch before the child runs.
    fn start(
        &mut self,
        pid: Pid,
        image: &str,
        block: Handle,
        servers: &[Handle],
    ) -> Result<(), Errno> {
        // TRANSFER is needed to pass the handle to the child at spawn; the child holds the
        // same rights, so it could hand its identity on deliberately, as it could an fd.
        let rights = Rights::SEND.union(Rights::TRANSFER);
        let proc_handle = match self.endpoint.mint(u64::from(pid), rights) {
            Ok(endpoint) => endpoint.0,
            Err(error) => {
                self.table.abandon(pid);
                return Err(Errno::from(error));
            }
        };
        let mut handles: Vec<Handle> = Vec::with_capacity(2 + servers.len());
        handles.push(proc_handle);
        handles.push(block);
        handles.extend_from_slice(servers);
        let started = libsys::process::spawn_watched(
            image,
            &handles,
            START_ARGUMENT,
            &self.endpoint,
            u64::from(pid),
        );
        // The child has its own copies now.
        let _ = libsys::handle::close(proc_handle);
        match started {
            Ok((child, _watch)) => {
                self.children.insert(pid, Child { control: child.control, client: child.client });
                self.clients.insert(child.client, pid);
                Ok(())
            }
            Err(error) => {
                self.table.abandon(pid);
                Err(match error {
                    KernelError::NoSuchImage => Errno::Enoent,
                    KernelError::BadImage => Errno::Enoexec,
                    other => Errno::from(other),
                })
            }
        }
    }

    fn request(&mut self, received: &Received, handles: &[Handle]) {
        let caller = received.badge as Pid;
        let reply_id = received.reply;
        let Some(request) = ProcRequest::from_message(received.label, received.words) else {
            close_all(handles);
            answer(reply_id, Err(Errno::Enosys));
            return;
        };
        if self.table.info(caller).is_none_or(|info| info.zombie) {
            close_all(handles);
            answer(reply_id, Err(Errno::Esrch));
            return;
        }
        let outcome = match request {
            ProcRequest::Spawn { flags, group } => {
                let outcome = self.spawn(caller, reply_id, flags, group, handles);
                close_all(handles);
                outcome
            }
            ProcRequest::Wait { selector, options } => {
                close_all(handles);
                let Ok(selector) = i32::try_from(selector) else {
                    answer(reply_id, Err(Errno::Echild));
                    return;
                };
                match self.table.wait(caller, selector, options, reply_id) {
                    WaitOutcome::Reaped { pid, status } => {
                        Ok(words(&[u64::from(pid), u64::from(status)]))
                    }
                    WaitOutcome::NothingYet => Ok(words(&[0, 0])),
                    WaitOutcome::Blocked => return,
                    WaitOutcome::Failed(errno) => Err(errno),
                }
            }
            ProcRequest::DefaultAction { signal, generation } => {
                close_all(handles);
                match self.default_action(caller, reply_id, signal, generation) {
                    Some(outcome) => outcome,
                    None => return,
                }
            }
            ProcRequest::RegisterService { service } => {
                let outcome = self.register(caller, service, handles);
                if outcome.is_err() {
                    close_all(handles);
                }
                outcome
            }
            ProcRequest::Connect { service } => {
                close_all(handles);
                match self.connect(caller, service) {
                    Ok(handle) => {
                        // The client gets SEND only: it cannot pass its connection on.
                        let mut descriptor = MessageDescriptor::new(0);
                        descriptor.handles[0] = HandleTransfer {
                            handle,
                            mode: TRANSFER_MOVE,
                            rights: Rights::SEND.0,
                            reserved: 0,
                        };
                        descriptor.handle_count = 1;
                        match reply_with(ReplyId(reply_id), &descriptor) {
                            Ok(()) => return,
                            Err(error) => {
                                let _ = libsys::handle::close(handle);
                                Err(Errno::from(error))
                            }
                        }
                    }
                    Err(errno) => Err(errno),
                }
            }
            other => {
                close_all(handles);
                self.simple(caller, other)
            }
        };
        // Sent with the next receive, in one kernel entry.
        self.pending = Some((reply_id, outcome));
    }

    /// `RegisterService`: `handles[0]` is the server's endpoint, which proc keeps.
    fn register(&mut self, caller: Pid, service: u64, handles: &[Handle]) -> Outcome {
        let [endpoint] = handles else { return Err(Errno::Einval) };
        let is_mintable_endpoint = matches!(
            libsys::handle::info(*endpoint),
            Ok((HandleKind::Endpoint, rights, _)) if rights.contains(Rights::MINT)
        );
        if !is_mintable_endpoint {
            return Err(Errno::Einval);
        }
        if let Some(existing) = self.services.get(&service)
            && self.table.info(existing.owner).is_some_and(|info| !info.zombie)
        {
            return Err(Errno::Eexist);
        }
        if let Some(old) =
            self.services.insert(service, Service { endpoint: *endpoint, owner: caller })
        {
            let _ = libsys::handle::close(old.endpoint);
        }
        Ok(words(&[]))
    }

    /// `Connect`: a send handle to the service, badged with the caller's pid.
    fn connect(&self, caller: Pid, service: u64) -> Result<Handle, Errno> {
        let entry = self.services.get(&service).ok_or(Errno::Enoent)?;
        Endpoint(entry.endpoint)
            .mint(u64::from(caller), Rights::SEND.union(Rights::TRANSFER))
            .map(|endpoint| endpoint.0)
            .map_err(Errno::from)
    }

    /// Requests answered at once with no handles involved.
    fn simple(&mut self, caller: Pid, request: ProcRequest) -> Outcome {
        let pid_argument = |value: u64| Pid::try_from(value).map_err(|_| Errno::Esrch);
        match request {
            ProcRequest::Kill { target, signal } => {
                let target = i32::try_from(target).unwrap_or(i32::MIN);
                let signal = u32::try_from(signal).map_err(|_| Errno::Einval)?;
                let outcome = self.table.kill(caller, target, signal)?;
                self.carry_out(outcome);
                Ok(words(&[]))
            }
            ProcRequest::Queue { pid, signal, value } => {
                let pid = Pid::try_from(pid).map_err(|_| Errno::Esrch)?;
                let signal = u32::try_from(signal).map_err(|_| Errno::Einval)?;
                let outcome = self.table.queue(caller, pid, signal, value)?;
                if self.carry_out(outcome) { Ok(words(&[])) } else { Err(Errno::Eagain) }
            }
            ProcRequest::SetDisposition { signal, disposition, flags } => {
                let signal = u32::try_from(signal).map_err(|_| Errno::Einval)?;
                let disposition = Disposition::from_number(disposition).ok_or(Errno::Einval)?;
                self.table.set_disposition(caller, signal, disposition, flags).map(|()| words(&[]))
            }
            ProcRequest::Alarm { nanoseconds } => {
                let now = libsys::time::monotonic().as_nanos() as u64;
                let left = self
                    .alarms
                    .remove(&caller)
                    .map_or(0, |deadline| deadline.saturating_sub(now).max(1));
                if nanoseconds != 0 {
                    self.alarms.insert(caller, now.saturating_add(nanoseconds));
                }
                Ok(words(&[left]))
            }
            ProcRequest::Identify => {
                let parent = self.table.parent(caller).unwrap_or(0);
                Ok(words(&[u64::from(caller), u64::from(parent)]))
            }
            ProcRequest::SetProcessGroup { pid, group } => self
                .table
                .set_process_group(
                    caller,
                    pid_argument(pid)?,
                    Pid::try_from(group).map_err(|_| Errno::Einval)?,
                )
                .map(|()| words(&[])),
            ProcRequest::GetProcessGroup { pid } => self
                .table
                .process_group(caller, pid_argument(pid)?)
                .map(|group| words(&[u64::from(group)])),
            ProcRequest::CreateSession => {
                self.table.create_session(caller).map(|session| words(&[u64::from(session)]))
            }
            ProcRequest::GetSession { pid } => self
                .table
                .session(caller, pid_argument(pid)?)
                .map(|session| words(&[u64::from(session)])),
            ProcRequest::GetCredentials => {
                let credentials = self.table.credentials(caller).ok_or(Errno::Esrch)?;
                Ok(words(&[
                    u64::from(credentials.uid),
                    u64::from(credentials.euid),
                    u64::from(credentials.gid),
                    u64::from(credentials.egid),
                ]))
            }
            ProcRequest::SetUserId { uid } => {
                let uid = u32::try_from(uid).map_err(|_| Errno::Einval)?;
                self.table.set_user_id(caller, uid).map(|()| words(&[]))
            }
            ProcRequest::SetGroupId { gid } => {
                let gid = u32::try_from(gid).map_err(|_| Errno::Einval)?;
                self.table.set_group_id(caller, gid).map(|()| words(&[]))
            }
            ProcRequest::ProcessInfo { pid } => {
                let info = self.table.info(pid_argument(pid)?).ok_or(Errno::Esrch)?;
                let state = if info.zombie {
                    STATE_ZOMBIE
                } else if info.stopped {
                    STATE_STOPPED
                } else {
                    STATE_LIVE
                };
                Ok(words(&[
                    u64::from(info.parent),
                    u64::from(info.process_group),
                    u64::from(info.session),
                    state,
                ]))
            }
            ProcRequest::ProcessName { pid } => {
                let name = self.table.name(pid_argument(pid)?).ok_or(Errno::Esrch)?;
                let mut packed = [0u8; PROCESS_NAME_BYTES];
                packed[..name.len()].copy_from_slice(name.as_bytes());
                let mut answer = [0u64; MESSAGE_WORDS];
                for (word, bytes) in answer.iter_mut().zip(packed.as_chunks::<8>().0) {
                    *word = u64::from_le_bytes(*bytes);
                }
                Ok(answer)
            }
            ProcRequest::NextProcess { after } => {
                let after = Pid::try_from(after).unwrap_or(Pid::MAX);
                self.table.next_pid(after).map(|pid| words(&[u64::from(pid)])).ok_or(Errno::Esrch)
            }
            ProcRequest::CredentialsOf { pid } => {
                let credentials = self.table.credentials(pid_argument(pid)?).ok_or(Errno::Esrch)?;
                Ok(words(&[
                    u64::from(credentials.uid),
                    u64::from(credentials.euid),
                    u64::from(credentials.gid),
                    u64::from(credentials.egid),
                ]))
            }
            ProcRequest::ClientCredentials { client } => {
                let pid = u32::try_from(client)
                    .ok()
                    .and_then(|client| self.clients.get(&client))
                    .copied()
                    .ok_or(Errno::Esrch)?;
                let credentials = self.table.credentials(pid).ok_or(Errno::Esrch)?;
                Ok(words(&[
                    u64::from(pid),
                    u64::from(credentials.uid) | u64::from(credentials.euid) << 32,
                    u64::from(credentials.gid) | u64::from(credentials.egid) << 32,
                ]))
            }
            ProcRequest::Spawn { .. }
            | ProcRequest::Wait { .. }
            | ProcRequest::RegisterService { .. }
            | ProcRequest::Connect { .. }
            | ProcRequest::DefaultAction { .. } => Err(Errno::Einval),
        }
    }

    /// `Spawn`: the image name is lease 0; `handles` are the start block then the
    /// descriptor servers.
    fn spawn(
        &mut self,
        caller: Pid,
        reply_id: u32,
        flags: u64,
        group: u64,
        handles: &[Handle],
    ) -> Outcome {
        if flags & !SPAWN_FLAGS != 0 {
            return Err(Errno::Einval);
        }
        let Some((&block, servers)) = handles.split_first() else { return Err(Errno::Einval) };
        if libsys::handle::info(block).map(|(kind, _, _)| kind) != Ok(HandleKind::MemoryObject) {
            return Err(Errno::Einval);
        }
        let mut name = [0u8; MAX_IMAGE_NAME];
        let length = lease_read(ReplyId(reply_id), 0, 0, &mut name).map_err(Errno::from)?;
        let image = core::str::from_utf8(&name[..length]).map_err(|_| Errno::Enoent)?;
        if image.is_empty() {
            return Err(Errno::Enoent);
        }
        let options = SpawnOptions {
            process_group: (flags & SPAWN_SET_PROCESS_GROUP != 0)
                .then(|| Pid::try_from(group).map_err(|_| Errno::Einval))
                .transpose()?,
            new_session: flags & SPAWN_SET_SESSION != 0,
        };
        let pid = self.table.create(caller, options)?;
        self.table.set_name(pid, image);
        self.start(pid, image, block, servers)?;
        Ok(words(&[u64::from(pid)]))
    }

    /// Carries out what the core decided a signal does. Returns false when an upcall
    /// could not be queued because the target has too many waiting (sigqueue's `EAGAIN`).
    fn carry_out(&mut self, outcome: KillOutcome<u32>) -> bool {
        let KillOutcome { signals, answers } = outcome;
        for Answer { waiter, result } in answers {
            answer(
                waiter,
                result.map(|(child, status)| words(&[u64::from(child), u64::from(status)])),
            );
        }
        let mut all_queued = true;
        for signalling in signals {
            all_queued &= self.signal(signalling);
        }
        all_queued
    }

    /// Does one [`Signalling`]; false if an upcall found the target's queue full.
    fn signal(&mut self, signalling: Signalling<u32>) -> bool {
        match signalling {
            Signalling::Post { pid, info, generation } => {
                let Some(child) = self.children.get(&pid) else { return true };
                match libsys::upcall::post(child.control, info.to_upcall_words(generation)) {
                    Ok(()) => true,
                    Err(KernelError::WouldBlock) => false,
                    // No upcall entry yet (the program has not started running): the
                    // default action applies, as to a new image on Linux.
                    Err(KernelError::InvalidArgument) => {
                        if matches!(
                            default_action(info.signal),
                            Some(DefaultAction::Terminate | DefaultAction::CoreDump)
                        ) {
                            let status = ExitStatus::Killed(info.signal as u8);
                            let _ = libsys::upcall::kill(child.control, status);
                        }
                        true
                    }
                    Err(_) => true,
                }
            }
            Signalling::Kill { pid, signal } => {
                if let Some(child) = self.children.get(&pid) {
                    let _ = libsys::upcall::kill(child.control, ExitStatus::Killed(signal as u8));
                }
                true
            }
            Signalling::Resume { waiter, .. } => {
                answer(waiter, Ok(words(&[])));
                true
            }
        }
    }

    /// `DefaultAction`: the caller's libsys found `signal` deliverable with its default
    /// action. `None` when the answer comes later (stopped) or never (ended).
    fn default_action(
        &mut self,
        caller: Pid,
        reply_id: u32,
        signal: u64,
        generation: u64,
    ) -> Option<Outcome> {
        let Ok(signal) = u32::try_from(signal) else { return Some(Err(Errno::Einval)) };
        match default_action(signal) {
            Some(DefaultAction::Terminate | DefaultAction::CoreDump) => {
                if let Some(child) = self.children.get(&caller) {
                    let _ = libsys::upcall::kill(child.control, ExitStatus::Killed(signal as u8));
                }
                None
            }
            Some(DefaultAction::Stop) => {
                match self.table.stop(caller, signal, generation as u32, reply_id) {
                    StopOutcome::Continued => Some(Ok(words(&[]))),
                    StopOutcome::Stopped { answers, signals } => {
                        self.carry_out(KillOutcome { signals, answers });
                        None
                    }
                    StopOutcome::Failed(errno) => Some(Err(errno)),
                }
            }
            Some(DefaultAction::Ignore | DefaultAction::Continue) => Some(Ok(words(&[]))),
            None => Some(Err(Errno::Einval)),
        }
    }

    /// How long the next receive may wait: until the earliest alarm.
    fn alarm_timeout(&self) -> u64 {
        let Some(&earliest) = self.alarms.values().min() else { return NO_TIMEOUT };
        let now = libsys::time::monotonic().as_nanos() as u64;
        earliest.saturating_sub(now).max(1)
    }

    /// Sends SIGALRM to every process whose alarm is due.
    fn fire_alarms(&mut self) {
        let now = libsys::time::monotonic().as_nanos() as u64;
        let due: Vec<Pid> = self
            .alarms
            .iter()
            .filter(|&(_, &deadline)| deadline <= now)
            .map(|(&pid, _)| pid)
            .collect();
        for pid in due {
            self.alarms.remove(&pid);
            let outcome = self.table.system_signal(pid, SIGALRM, SI_KERNEL);
            self.carry_out(outcome);
        }
    }

    /// A death notice: `pid` ended with wait status `status`. Returns init's exit status when
    /// init was the one (the system is ending).
    fn died(&mut self, pid: Pid, status: u32) -> Option<i32> {
        if let Some(child) = self.children.remove(&pid) {
            self.clients.remove(&child.client);
            let _ = libsys::handle::close(child.control);
        }
        self.alarms.remove(&pid);
        // Its services go with it.
        let offered: Vec<u64> = self
            .services
            .iter()
            .filter(|(_, entry)| entry.owner == pid)
            .map(|(&id, _)| id)
            .collect();
        for service in offered {
            if let Some(entry) = self.services.remove(&service) {
                let _ = libsys::handle::close(entry.endpoint);
            }
        }
        let ExitOutcome { answers, init_exited, signals, .. } = self.table.exited(pid, status);
        self.carry_out(KillOutcome { signals, answers });
        if !init_exited && pid != INIT {
            return None;
        }
        self.shut_down();
        let code = match ExitStatus::from_word(u64::from(status)) {
            Some(ExitStatus::Exited(code)) => i32::from(code),
            Some(ExitStatus::Killed(signal)) => 128 + i32::from(signal),
            None => 1,
        };
        Some(code)
    }

    /// Init has ended: every remaining process ends too.
    fn shut_down(&mut self) {
        let remaining: Vec<Pid> = self.children.keys().copied().collect();
        for pid in remaining {
            if let Some(child) = self.children.remove(&pid) {
                let signal = libsys::abi::signal::SIGKILL as u8;
                let _ = libsys::upcall::kill(child.control, ExitStatus::Killed(signal));
                let _ = libsys::handle::close(child.control);
            }
        }
    }

    /// A cancel notice: a parent's held `Wait` was interrupted (or the parent died).
    fn cancelled(&mut self, reply_id: u32) {
        if self.table.cancel_wait(&reply_id) {
            answer(reply_id, Err(Errno::Eintr));
        }
    }
}

fn close_all(handles: &[Handle]) {
    for &handle in handles {
        let _ = libsys::handle::close(handle);
    }
}
