//! The kernel's objects and system calls, independent of the machine.
//!
//! [`Kernel`] holds every process, thread, endpoint, notification, memory object, reply
//! and death watch, the run queues and the timeouts, and implements each system call as a
//! state change. It reaches the machine only through the [`platform::Platform`] traits,
//! so the whole state machine runs under host tests (see `tests.rs`, over a fake
//! platform) as well as in the kernel.
//!
//! The kernel is event driven: the machine layer saves the current thread's registers,
//! calls [`Kernel::system_call`], [`Kernel::page_fault`] or [`Kernel::timer_tick`], then
//! asks [`Kernel::select_next`] which thread to resume. A thread that blocks stays in its
//! object's queue; nothing in the kernel ever waits.

mod fastpath;
pub mod ipc;
pub mod memory;
pub mod platform;
pub mod process;
pub mod syscalls;
pub mod thread;
pub mod upcall;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;

use courier_abi::process::ExitStatus;
use courier_abi::{Handle, HandleKind, KernelError, Rights};

use self::ipc::{
    DeathWatch, Endpoint, EndpointId, Notification, NotificationId, Reference, ReferenceId, Reply,
};
use self::memory::{MemoryObject, MemoryObjectId};
use self::platform::{Platform, ThreadContext, UserSpace};
use self::process::{Process, ProcessId};
use self::thread::{Thread, ThreadId, ThreadState};
use crate::object::arena::Arena;
use crate::task::scheduler::RunQueues;

/// What a handle names.
pub enum ObjectRef<P: Platform> {
    /// A process (control).
    Process(ProcessId<P>),
    /// A thread.
    Thread(ThreadId<P>),
    /// An endpoint.
    Endpoint(EndpointId<P>),
    /// A notification.
    Notification(NotificationId<P>),
    /// A memory object.
    Memory(MemoryObjectId<P>),
    /// A reference (an endpoint with a fixed badge and a release notice).
    Reference(ReferenceId<P>),
}

impl<P: Platform> Clone for ObjectRef<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Platform> Copy for ObjectRef<P> {}

impl<P: Platform> PartialEq for ObjectRef<P> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ObjectRef::Process(a), ObjectRef::Process(b)) => a == b,
            (ObjectRef::Thread(a), ObjectRef::Thread(b)) => a == b,
            (ObjectRef::Endpoint(a), ObjectRef::Endpoint(b)) => a == b,
            (ObjectRef::Notification(a), ObjectRef::Notification(b)) => a == b,
            (ObjectRef::Memory(a), ObjectRef::Memory(b)) => a == b,
            (ObjectRef::Reference(a), ObjectRef::Reference(b)) => a == b,
            _ => false,
        }
    }
}

impl<P: Platform> ObjectRef<P> {
    /// The kind user space sees.
    pub fn kind(&self) -> HandleKind {
        match self {
            ObjectRef::Process(_) => HandleKind::Process,
            ObjectRef::Thread(_) => HandleKind::Thread,
            ObjectRef::Endpoint(_) => HandleKind::Endpoint,
            ObjectRef::Notification(_) => HandleKind::Notification,
            ObjectRef::Memory(_) => HandleKind::MemoryObject,
            ObjectRef::Reference(_) => HandleKind::Reference,
        }
    }
}

/// A process ended (for the kernel's log and its boot runner).
#[derive(Clone, Copy, Debug)]
pub struct ExitEvent {
    /// Its client id.
    pub process: u32,
    /// Its number in the log.
    pub serial: u32,
    /// Its program.
    pub name: &'static str,
    /// How it ended.
    pub status: ExitStatus,
    /// System calls it made.
    pub system_calls: u64,
    /// Interrupts taken while it ran.
    pub interrupts: u64,
}

/// Counters the kernel keeps.
#[derive(Clone, Copy, Debug, Default)]
pub struct Statistics {
    /// Entries into the kernel from user mode.
    pub kernel_entries: u64,
    /// System calls.
    pub system_calls: u64,
    /// Interrupts taken from user mode or while idle.
    pub interrupts: u64,
    /// Switches to another thread.
    pub thread_switches: u64,
    /// Switches to another address space.
    pub space_switches: u64,
}

/// Timer ticks in a time slice.
pub const TIME_SLICE_TICKS: u32 = 2;

/// The kernel's state.
pub struct Kernel<P: Platform> {
    /// The machine.
    pub platform: P,
    pub(crate) processes: Arena<Process<P>>,
    pub(crate) threads: Arena<Thread<P>>,
    pub(crate) endpoints: Arena<Endpoint<P>>,
    pub(crate) notifications: Arena<Notification<P>>,
    pub(crate) memory_objects: Arena<MemoryObject<P>>,
    pub(crate) replies: Arena<Reply<P>>,
    pub(crate) watches: Arena<DeathWatch<P>>,
    pub(crate) references: Arena<Reference<P>>,
    pub(crate) run_queues: RunQueues<Thread<P>>,
    /// `(deadline, thread)`; entries whose thread no longer has that deadline are stale.
    pub(crate) timeouts: BinaryHeap<Reverse<(u64, u32)>>,
    pub(crate) current: Option<ThreadId<P>>,
    pub(crate) active_space: Option<ProcessId<P>>,
    pub(crate) exits: heapless::Vec<ExitEvent, 64>,
    pub(crate) exits_dropped: u64,
    /// The last process serial number given out.
    pub(crate) next_serial: u32,
    /// Whether the IPC fast paths are used (off only to test them against the general
    /// code).
    pub(crate) fast_paths: bool,
    /// The address of the context a fast path switched to (its address space already
    /// active), for [`Kernel::take_direct_switch`]; an address rather than a pointer so
    /// the kernel stays `Send`.
    pub(crate) direct_switch: Option<usize>,
    /// Counters.
    pub statistics: Statistics,
}

impl<P: Platform> Kernel<P> {
    /// A kernel with no objects.
    pub fn new(platform: P) -> Self {
        Kernel {
            platform,
            processes: Arena::default(),
            threads: Arena::default(),
            endpoints: Arena::default(),
            notifications: Arena::default(),
            memory_objects: Arena::default(),
            replies: Arena::default(),
            watches: Arena::default(),
            references: Arena::default(),
            run_queues: RunQueues::default(),
            timeouts: BinaryHeap::new(),
            current: None,
            active_space: None,
            exits: heapless::Vec::new(),
            exits_dropped: 0,
            next_serial: 0,
            fast_paths: true,
            direct_switch: None,
            statistics: Statistics::default(),
        }
    }

    /// Live processes.
    pub fn process_count(&self) -> usize {
        self.processes.len()
    }

    /// Live threads.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Live endpoints.
    pub fn endpoint_count(&self) -> usize {
        self.endpoints.len()
    }

    /// Live memory objects.
    pub fn memory_object_count(&self) -> usize {
        self.memory_objects.len()
    }

    /// Outstanding replies.
    pub fn reply_count(&self) -> usize {
        self.replies.len()
    }

    /// Live references (including those whose release notice waits for delivery).
    pub fn reference_count(&self) -> usize {
        self.references.len()
    }

    /// Whether a process-exit event is waiting.
    pub fn has_exits(&self) -> bool {
        !self.exits.is_empty()
    }

    /// The next process-exit event.
    pub fn take_exit(&mut self) -> Option<ExitEvent> {
        (!self.exits.is_empty()).then(|| self.exits.remove(0))
    }

    /// The thread running (or about to run).
    pub fn current_thread(&self) -> Option<ThreadId<P>> {
        self.current
    }

    /// The serial number and name of the current thread's process.
    pub fn current_process_name(&self) -> Option<(u32, &'static str)> {
        let process = self.threads.get(self.current?)?.process;
        let entry = self.processes.get(process)?;
        Some((entry.serial, entry.name))
    }

    /// The serial number of the process with client id `process`.
    pub fn process_serial(&self, process: ProcessId<P>) -> Option<u32> {
        self.processes.get(process).map(|entry| entry.serial)
    }

    /// Exit events lost because the queue was full.
    pub fn exits_dropped(&self) -> u64 {
        self.exits_dropped
    }

    /// The current thread's saved registers (for fault reports).
    pub fn current_context(&self) -> Option<&P::Context> {
        self.threads.get(self.current?).map(|entry| &entry.context)
    }

    /// Counts an entry into the kernel from user mode; `interrupt` when a device interrupt
    /// caused it (counted against the current process too).
    pub fn count_entry(&mut self, interrupt: bool) {
        self.statistics.kernel_entries += 1;
        if interrupt {
            self.count_interrupt();
            let process =
                self.current.and_then(|thread| self.threads.get(thread)).map(|entry| entry.process);
            if let Some(entry) = process.and_then(|process| self.processes.get_mut(process)) {
                entry.interrupts += 1;
            }
        }
    }

    /// Counts a device interrupt.
    pub fn count_interrupt(&mut self) {
        self.statistics.interrupts += 1;
    }

    /// A page fault of the current thread at `address`: `Ok` when the page is now present
    /// and the instruction can be retried, otherwise why not (the caller ends the process).
    ///
    /// # Errors
    ///
    /// The [`memory::FaultResolution`] that decides the signal.
    pub fn page_fault(
        &mut self,
        address: u64,
        write: bool,
        execute: bool,
    ) -> Result<(), memory::FaultResolution> {
        let process = self
            .current
            .and_then(|thread| self.threads.get(thread))
            .map(|entry| entry.process)
            .ok_or(memory::FaultResolution::Segmentation)?;
        self.handle_page_fault(process, address, write, execute)
    }

    /// Copies memory of the current thread's process (for decoding a faulting
    /// instruction); `false` when it is not readable.
    pub fn read_current_memory(&mut self, address: u64, buffer: &mut [u8]) -> bool {
        let Some(process) =
            self.current.and_then(|thread| self.threads.get(thread)).map(|entry| entry.process)
        else {
            return false;
        };
        self.read_user(process, address, buffer).is_ok()
    }

    /// Ends the current thread's process, killed by `signal` (a fault).
    pub fn kill_current(&mut self, signal: u8) {
        let process =
            self.current.and_then(|thread| self.threads.get(thread)).map(|entry| entry.process);
        if let Some(process) = process {
            self.destroy_process(process, ExitStatus::Killed(signal), true);
        }
    }

    /// Whether the process with client id `process` is alive.
    pub fn process_alive(&self, process: u32) -> bool {
        self.processes.contains(ProcessId::<P>::from_u32(process))
    }

    /// Each thread's process name, state, pending upcalls and, for a thread awaiting a
    /// reply, the name of the process that holds its call (for the deadlock report).
    pub fn thread_states(&self) -> Vec<(&'static str, ThreadState<P>, usize, &'static str)> {
        let name_of =
            |process| self.processes.get(process).map_or("?", |process: &Process<P>| process.name);
        self.threads
            .iter()
            .map(|(_, thread)| {
                let holder = match thread.state {
                    ThreadState::AwaitingReply(reply) => {
                        self.replies.get(reply).map_or("?", |entry| name_of(entry.server))
                    }
                    _ => "",
                };
                (name_of(thread.process), thread.state, thread.upcalls.len(), holder)
            })
            .collect()
    }

    /// Ends every process as if killed by SIGKILL, queueing an exit event for each (the
    /// kernel is shutting down, or found every thread blocked for good).
    pub fn destroy_all(&mut self) {
        let processes: Vec<_> = self.processes.ids().collect();
        for process in processes {
            self.destroy_process(process, ExitStatus::Killed(9), true);
        }
    }

    // ----- handles -----------------------------------------------------------------------

    /// Takes a reference on an object for a new handle (or carried handle) with `rights`.
    pub(crate) fn retain_object(&mut self, object: ObjectRef<P>, rights: Rights) {
        match object {
            ObjectRef::Endpoint(id) => {
                if let Some(entry) = self.endpoints.get_mut(id) {
                    entry.handles += 1;
                    if rights.contains(Rights::RECEIVE) {
                        entry.receive_handles += 1;
                    }
                }
            }
            ObjectRef::Notification(id) => {
                if let Some(entry) = self.notifications.get_mut(id) {
                    entry.handles += 1;
                }
            }
            ObjectRef::Memory(id) => {
                if let Some(entry) = self.memory_objects.get_mut(id) {
                    entry.handles += 1;
                }
            }
            ObjectRef::Reference(id) => {
                if let Some(entry) = self.references.get_mut(id) {
                    entry.handles += 1;
                }
            }
            ObjectRef::Process(_) | ObjectRef::Thread(_) => {}
        }
    }

    /// Drops a reference taken by [`Kernel::retain_object`]; the object goes when its last
    /// reference does.
    pub(crate) fn release_object(&mut self, object: ObjectRef<P>, rights: Rights) {
        match object {
            ObjectRef::Endpoint(id) => {
                let Some(entry) = self.endpoints.get_mut(id) else { return };
                entry.handles = entry.handles.saturating_sub(1);
                if rights.contains(Rights::RECEIVE) {
                    entry.receive_handles = entry.receive_handles.saturating_sub(1);
                    if entry.receive_handles == 0 {
                        self.fail_senders(id);
                    }
                }
                if self.endpoints.get(id).is_some_and(|entry| entry.handles == 0) {
                    self.destroy_endpoint(id);
                }
            }
            ObjectRef::Notification(id) => {
                let Some(entry) = self.notifications.get_mut(id) else { return };
                entry.handles = entry.handles.saturating_sub(1);
                if entry.handles == 0 {
                    self.destroy_notification(id);
                }
            }
            ObjectRef::Memory(id) => {
                if let Some(entry) = self.memory_objects.get_mut(id) {
                    entry.handles = entry.handles.saturating_sub(1);
                }
                self.destroy_object_if_unused(id);
            }
            ObjectRef::Reference(id) => {
                let Some(entry) = self.references.get_mut(id) else { return };
                entry.handles = entry.handles.saturating_sub(1);
                if entry.handles == 0 && !entry.links.is_queued() {
                    self.release_reference(id);
                }
            }
            ObjectRef::Process(_) | ObjectRef::Thread(_) => {}
        }
    }

    /// Wakes every caller queued on an endpoint nobody can receive on any more.
    fn fail_senders(&mut self, endpoint: EndpointId<P>) {
        while let Some(sender) = self
            .endpoints
            .get_mut(endpoint)
            .and_then(|entry| entry.senders.pop_front(&mut self.threads))
        {
            if let Some(message) =
                self.threads.get_mut(sender).and_then(|thread| thread.outgoing.take())
            {
                self.drop_message(message);
            }
            self.finish_blocked(sender, Err(KernelError::PeerGone));
        }
    }

    fn destroy_endpoint(&mut self, id: EndpointId<P>) {
        self.fail_senders(id);
        while let Some(receiver) = self
            .endpoints
            .get_mut(id)
            .and_then(|entry| entry.receivers.pop_front(&mut self.threads))
        {
            self.finish_blocked(receiver, Err(KernelError::InvalidHandle));
        }
        while let Some(reply) =
            self.endpoints.get_mut(id).and_then(|entry| entry.cancels.pop_front(&mut self.replies))
        {
            let _ = reply;
        }
        while let Some(reference) = self
            .endpoints
            .get_mut(id)
            .and_then(|entry| entry.releases.pop_front(&mut self.references))
        {
            self.references.remove(reference);
        }
        let mut watches = Vec::new();
        if let Some(entry) = self.endpoints.get_mut(id) {
            while let Some(watch) = entry.deaths.pop_front(&mut self.watches) {
                if watches.try_reserve(1).is_ok() {
                    watches.push(watch);
                }
            }
        }
        for watch in watches {
            self.remove_watch(watch);
        }
        let stale: Vec<_> = self
            .watches
            .iter()
            .filter(|(_, watch)| watch.endpoint == id)
            .map(|(watch, _)| watch)
            .collect();
        for watch in stale {
            self.remove_watch(watch);
        }
        if let Some(notification) = self.endpoints.get(id).and_then(|entry| entry.notification)
            && let Some(entry) = self.notifications.get_mut(notification)
        {
            entry.endpoint = None;
        }
        self.endpoints.remove(id);
    }

    fn destroy_notification(&mut self, id: NotificationId<P>) {
        while let Some(waiter) = self
            .notifications
            .get_mut(id)
            .and_then(|entry| entry.waiters.pop_front(&mut self.threads))
        {
            self.finish_blocked(waiter, Err(KernelError::InvalidHandle));
        }
        if let Some(endpoint) = self.notifications.get(id).and_then(|entry| entry.endpoint)
            && let Some(entry) = self.endpoints.get_mut(endpoint)
        {
            entry.notification = None;
        }
        self.notifications.remove(id);
    }

    /// Closes `handle` of `process`.
    pub(crate) fn close_handle(
        &mut self,
        process: ProcessId<P>,
        handle: Handle,
    ) -> Result<(), KernelError> {
        let entry = self.processes.get_mut(process).ok_or(KernelError::NoSuchProcess)?;
        let removed = entry.handles.remove(handle).ok_or(KernelError::InvalidHandle)?;
        self.release_object(removed.object, removed.rights);
        Ok(())
    }

    /// Looks up `handle` of `process`, checking it names an object of `kind` first and
    /// then that it has `rights`.
    pub(crate) fn lookup_kind(
        &self,
        process: ProcessId<P>,
        handle: Handle,
        kind: HandleKind,
        rights: Rights,
    ) -> Result<crate::object::handle::Entry<ObjectRef<P>>, KernelError> {
        let entry = self.lookup(process, handle, Rights::NONE)?;
        if entry.object.kind() != kind {
            return Err(KernelError::WrongHandleKind);
        }
        if !entry.rights.contains(rights) {
            return Err(KernelError::InsufficientRights);
        }
        Ok(entry)
    }

    /// Looks up `handle` of `process`, checking it has `rights`.
    pub(crate) fn lookup(
        &self,
        process: ProcessId<P>,
        handle: Handle,
        rights: Rights,
    ) -> Result<crate::object::handle::Entry<ObjectRef<P>>, KernelError> {
        let entry = self
            .processes
            .get(process)
            .ok_or(KernelError::NoSuchProcess)?
            .handles
            .get(handle)
            .ok_or(KernelError::InvalidHandle)?;
        if !entry.rights.contains(rights) {
            return Err(KernelError::InsufficientRights);
        }
        Ok(entry)
    }

    // ----- scheduling --------------------------------------------------------------------

    /// Makes `thread` ready (queued unless it is current).
    pub(crate) fn make_ready(&mut self, thread: ThreadId<P>) {
        let Some(entry) = self.threads.get_mut(thread) else { return };
        entry.state = ThreadState::Ready;
        let priority = entry.priority;
        if self.current != Some(thread) {
            self.run_queues.push(&mut self.threads, thread, priority);
        }
    }

    /// The current thread stops running (it blocked or ended).
    pub(crate) fn block_current(&mut self, thread: ThreadId<P>) {
        if self.current == Some(thread) {
            self.current = None;
        }
    }

    /// Switches straight to `thread` (just made ready by IPC) when nothing of higher
    /// priority is ready; otherwise queues it.
    pub(crate) fn wake_direct(&mut self, thread: ThreadId<P>) {
        if self.current == Some(thread) {
            return;
        }
        let Some(priority) = self.threads.get(thread).map(|entry| entry.priority) else { return };
        let current_priority =
            self.current.and_then(|current| self.threads.get(current)).map(|entry| entry.priority);
        let highest_ready = self.run_queues.highest();
        let takes_cpu = current_priority.is_none_or(|current| priority >= current)
            && highest_ready.is_none_or(|ready| priority >= ready);
        if takes_cpu {
            if let Some(current) = self.current.take() {
                self.make_ready(current);
            }
            self.current = Some(thread);
            self.statistics.thread_switches += 1;
            if let Some(entry) = self.threads.get_mut(thread) {
                entry.state = ThreadState::Ready;
            }
        } else {
            self.make_ready(thread);
        }
    }

    /// Ends a blocked thread's wait with `result` (status and first result slot) and makes
    /// it ready.
    pub(crate) fn finish_blocked(&mut self, thread: ThreadId<P>, result: Result<u64, KernelError>) {
        self.disarm_timeout(thread);
        let Some(entry) = self.threads.get_mut(thread) else { return };
        entry.leases.clear();
        match result {
            Ok(value) => entry.context.set_syscall_result(0, [value, 0, 0, 0, 0, 0, 0]),
            Err(error) => entry.context.set_syscall_result(error.code(), [0; 7]),
        }
        self.make_ready(thread);
    }

    /// Makes room for one more timeout.
    pub(crate) fn reserve_timeout(&mut self) -> Result<(), KernelError> {
        self.timeouts.try_reserve(1).map_err(|_| KernelError::OutOfMemory)
    }

    /// Sets `thread`'s deadline (after [`Kernel::reserve_timeout`]).
    pub(crate) fn arm_timeout(&mut self, thread: ThreadId<P>, deadline: u64) {
        if let Some(entry) = self.threads.get_mut(thread) {
            entry.deadline = Some(deadline);
            self.timeouts.push(Reverse((deadline, thread.to_u32())));
        }
    }

    /// Clears `thread`'s deadline (its heap entry goes stale).
    pub(crate) fn disarm_timeout(&mut self, thread: ThreadId<P>) {
        if let Some(entry) = self.threads.get_mut(thread) {
            entry.deadline = None;
        }
    }

    /// The deadline `nanoseconds` from now (`None` for no timeout).
    pub(crate) fn deadline_after(&self, nanoseconds: u64) -> Option<u64> {
        (nanoseconds != courier_abi::NO_TIMEOUT)
            .then(|| self.platform.now().saturating_add(nanoseconds))
    }

    /// Wakes threads whose deadline passed.
    fn expire_timeouts(&mut self) {
        if self.timeouts.is_empty() {
            return;
        }
        let now = self.platform.now();
        while let Some(&Reverse((deadline, raw))) = self.timeouts.peek() {
            if deadline > now {
                break;
            }
            self.timeouts.pop();
            let thread = ThreadId::<P>::from_u32(raw);
            let Some(entry) = self.threads.get(thread) else { continue };
            if entry.deadline != Some(deadline) {
                continue;
            }
            self.time_out(thread);
        }
    }

    /// Ends `thread`'s wait in an endpoint or notification queue with `error` (dropping a
    /// message it was sending); `false` if it was not waiting in a queue.
    pub(crate) fn abort_queued_wait(&mut self, thread: ThreadId<P>, error: KernelError) -> bool {
        let Some(entry) = self.threads.get(thread) else { return false };
        match entry.state {
            ThreadState::Sending(endpoint) => {
                if let Some(target) = self.endpoints.get_mut(endpoint) {
                    target.senders.remove(&mut self.threads, thread);
                }
                if let Some(message) =
                    self.threads.get_mut(thread).and_then(|entry| entry.outgoing.take())
                {
                    self.drop_message(message);
                }
            }
            ThreadState::Receiving(endpoint) => {
                if let Some(target) = self.endpoints.get_mut(endpoint) {
                    target.receivers.remove(&mut self.threads, thread);
                }
            }
            ThreadState::WaitingNotification(notification) => {
                if let Some(target) = self.notifications.get_mut(notification) {
                    target.waiters.remove(&mut self.threads, thread);
                }
            }
            ThreadState::Ready | ThreadState::Sleeping | ThreadState::AwaitingReply(_) => {
                return false;
            }
        }
        self.finish_blocked(thread, Err(error));
        true
    }

    /// `thread`'s wait timed out.
    fn time_out(&mut self, thread: ThreadId<P>) {
        if self.abort_queued_wait(thread, KernelError::Timeout) {
            return;
        }
        let Some(entry) = self.threads.get(thread) else { return };
        match entry.state {
            ThreadState::Sleeping => self.finish_blocked(thread, Ok(0)),
            ThreadState::AwaitingReply(reply) => {
                // The server holds the call: it is told, and its answer ends the call.
                if let Some(entry) = self.threads.get_mut(thread) {
                    entry.deadline = None;
                }
                self.cancel_reply(reply, false);
            }
            _ => {}
        }
    }

    /// A timer interrupt: time slices and timeouts.
    pub fn timer_tick(&mut self) {
        self.expire_timeouts();
        let Some(current) = self.current else { return };
        let Some(entry) = self.threads.get_mut(current) else { return };
        entry.slice_left = entry.slice_left.saturating_sub(1);
        if entry.slice_left == 0 {
            entry.slice_left = TIME_SLICE_TICKS;
            let priority = entry.priority;
            if self.run_queues.highest().is_some_and(|ready| ready >= priority) {
                self.current = None;
                self.run_queues.push(&mut self.threads, current, priority);
            }
        }
    }

    /// The context to resume if the last system call took an IPC fast path, which already
    /// made its partner current and switched to its address space: the same outcome as
    /// [`Kernel::select_next`] would give, without its checks (the fast path made them).
    /// Deadlines are then checked at the next timer tick instead.
    pub fn take_direct_switch(&mut self) -> Option<*mut P::Context> {
        self.direct_switch.take().map(core::ptr::with_exposed_provenance_mut)
    }

    /// Makes `entry` (thread of `process`, just made current by a fast path) the direct
    /// switch target, activating its address space.
    pub(crate) fn prepare_direct_switch(
        &mut self,
        process: ProcessId<P>,
        space: <P::Space as UserSpace>::Token,
        context: *mut P::Context,
    ) {
        if self.active_space != Some(process) {
            self.platform.activate_space(space);
            self.active_space = Some(process);
            self.statistics.space_switches += 1;
        }
        self.direct_switch = Some(context.expose_provenance());
    }

    /// The earliest deadline, for a tickless timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.timeouts.peek().map(|&Reverse((deadline, _))| deadline)
    }

    /// Picks the thread to run, switching address spaces and delivering a pending upcall
    /// as needed; returns a pointer to its saved context, or `None` when nothing is ready
    /// (the machine idles and asks again after the next interrupt).
    pub fn select_next(&mut self) -> Option<*mut P::Context> {
        self.direct_switch = None;
        if !self.timeouts.is_empty() {
            self.expire_timeouts();
        }
        loop {
            if let Some(current) = self.current
                && let Some(ready) = self.run_queues.highest()
            {
                let priority = self.threads.get(current).map_or(0, |entry| entry.priority);
                if ready > priority {
                    self.current = None;
                    self.run_queues.push(&mut self.threads, current, priority);
                }
            }
            if self.current.is_none() {
                let (thread, _) = self.run_queues.pop(&mut self.threads)?;
                self.current = Some(thread);
                self.statistics.thread_switches += 1;
                if let Some(entry) = self.threads.get_mut(thread)
                    && entry.slice_left == 0
                {
                    entry.slice_left = TIME_SLICE_TICKS;
                }
            }
            let current = self.current?;
            let entry = self.threads.get_mut(current)?;
            let (process, upcall_pending) = (entry.process, !entry.upcalls.is_empty());
            let space = entry.space;
            let context = core::ptr::from_mut(&mut entry.context);
            if self.active_space != Some(process) {
                self.platform.activate_space(space);
                self.active_space = Some(process);
                self.statistics.space_switches += 1;
            }
            if !upcall_pending {
                return Some(context);
            }
            self.deliver_upcall(current);
            // Delivering may end the process (its stack was unusable): pick again then.
            if let Some(current) = self.current {
                return self
                    .threads
                    .get_mut(current)
                    .map(|entry| core::ptr::from_mut(&mut entry.context));
            }
        }
    }
}
