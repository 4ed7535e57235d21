//! The system call dispatcher: decodes the number and arguments of the current thread's
//! call, runs one function per call, and writes the result back in one place.
//!
//! Each function returns `Result<Done, KernelError>`. An error becomes the status slot;
//! `Done` says whether results are to be written now, were written already (a call that
//! switched threads or blocked), or must not be (the thread's context was replaced or it
//! ended). A bad number, handle, pointer or argument is always an error code, never a
//! kernel panic.

use courier_abi::ipc::{
    HandleTransfer, Lease, MAX_HANDLES, MAX_LEASES, MESSAGE_WORDS, MessageDescriptor,
    TRANSFER_COPY, TRANSFER_MOVE,
};
use courier_abi::process::{
    ExitStatus, MAX_SPAWN_HANDLES, PRIORITY_DEFAULT, UPCALL_WORDS, UpcallKind,
};
use courier_abi::{Handle, HandleKind, KernelError, Rights, Syscall};

use super::ipc::{CarriedHandle, LeaseAccess, Message, check_lease};
use super::memory::MapRequest;
use super::platform::{Platform, ThreadContext};
use super::process::{MAX_NAME, ProcessId};
use super::thread::{ThreadId, ThreadState};
use super::{Kernel, ObjectRef};

/// Most bytes one console read or write moves.
pub const CONSOLE_CHUNK: usize = 4096;

/// What a system call did.
enum Done {
    /// Write these results (status 0).
    Return([u64; 7]),
    /// The results were written (or will be, when the thread wakes).
    Written,
    /// The thread must not get results: its context was replaced or it is gone.
    Untouched,
}

fn ok(values: &[u64]) -> Result<Done, KernelError> {
    let mut results = [0u64; 7];
    results[..values.len()].copy_from_slice(values);
    Ok(Done::Return(results))
}

fn lease_access(a: [u64; 8]) -> LeaseAccess {
    LeaseAccess { reply: a[0] as u32, lease: a[1], offset: a[2], buffer: a[3], length: a[4] }
}

fn handle_of(value: u64) -> Handle {
    Handle(value as u32)
}

fn rights_of(value: u64) -> Rights {
    Rights((value as u32) & Rights::ALL.0)
}

impl<P: Platform> Kernel<P> {
    /// Handles the system call in the current thread's registers.
    pub fn system_call(&mut self) {
        let Some(thread) = self.current else { return };
        let Some(entry) = self.threads.get_mut(thread) else { return };
        entry.system_calls += 1;
        let (number, arguments, process) =
            (entry.context.syscall_number(), entry.context.syscall_arguments(), entry.process);
        self.statistics.system_calls += 1;
        if self.try_fast_path(thread, process, number, &arguments) {
            return;
        }
        let result = Syscall::try_from(number)
            .and_then(|call| self.dispatch(thread, process, call, arguments));
        let Some(entry) = self.threads.get_mut(thread) else { return };
        match result {
            Ok(Done::Return(results)) => entry.context.set_syscall_result(0, results),
            Ok(Done::Written | Done::Untouched) => {}
            Err(error) => entry.context.set_syscall_result(error.code(), [0; 7]),
        }
    }

    fn dispatch(
        &mut self,
        thread: ThreadId<P>,
        process: ProcessId<P>,
        call: Syscall,
        a: [u64; 8],
    ) -> Result<Done, KernelError> {
        match call {
            Syscall::ConsoleWrite => self.console_write(process, a[0], a[1]),
            Syscall::ProcessExit => {
                self.destroy_process(process, ExitStatus::Exited(a[0] as u8), true);
                Ok(Done::Untouched)
            }
            Syscall::ThreadYield => {
                if let Some(entry) = self.threads.get_mut(thread) {
                    entry.context.set_syscall_result(0, [0; 7]);
                    entry.slice_left = 0;
                }
                if self.current == Some(thread) {
                    self.current = None;
                    self.make_ready(thread);
                }
                Ok(Done::Written)
            }
            Syscall::ClockMonotonic => ok(&[self.platform.now()]),
            Syscall::Sleep => self.sleep(thread, a[0]),
            Syscall::ConsoleRead => self.console_read(process, a[0], a[1]),
            Syscall::HandleClose => {
                self.close_handle(process, handle_of(a[0])).and_then(|()| ok(&[]))
            }
            Syscall::HandleDuplicate => {
                let entry = self.lookup(process, handle_of(a[0]), Rights::DUPLICATE)?;
                let rights = entry.rights.intersection(rights_of(a[1]));
                let handle = self.insert_handle(process, entry.object, rights, entry.badge)?;
                ok(&[u64::from(handle.0)])
            }
            Syscall::HandleInfo => {
                let entry = self.lookup(process, handle_of(a[0]), Rights::NONE)?;
                ok(&[entry.object.kind() as u64, u64::from(entry.rights.0), entry.badge])
            }
            Syscall::EndpointCreate => ok(&[u64::from(self.create_endpoint(process)?.0)]),
            Syscall::EndpointMint => {
                let entry =
                    self.lookup_kind(process, handle_of(a[0]), HandleKind::Endpoint, Rights::MINT)?;
                let rights = entry.rights.intersection(rights_of(a[2]));
                let handle = self.insert_handle(process, entry.object, rights, a[1])?;
                ok(&[u64::from(handle.0)])
            }
            Syscall::Call => {
                let (endpoint, badge) = self.endpoint_for(process, a[0], Rights::SEND)?;
                let mut message = Message::simple(a[1] as u32, [a[2], a[3], a[4], a[5]]);
                message.badge = badge;
                self.call(thread, endpoint, message, None)?;
                Ok(Done::Written)
            }
            Syscall::CallWith => self.call_with(thread, process, a[0], a[1]),
            Syscall::Receive => {
                let (endpoint, _) = self.endpoint_for(process, a[0], Rights::RECEIVE)?;
                let poll = a[2] == 0;
                let deadline = self.deadline_after(a[2]);
                self.receive(thread, endpoint, a[1], deadline, poll)?;
                Ok(Done::Written)
            }
            Syscall::Reply => {
                let reply = self.reply_of(process, a[0] as u32)?;
                let message = Message::simple(a[1] as u32, [a[2], a[3], a[4], a[5]]);
                if let Some(caller) = self.answer(reply, message)? {
                    self.make_ready(caller);
                }
                ok(&[])
            }
            Syscall::ReplyWith => {
                let reply = self.reply_of(process, a[0] as u32)?;
                let descriptor = self.read_descriptor(process, a[1])?;
                let message = self.message_from(process, &descriptor, false)?;
                if let Some(caller) = self.answer(reply, message)? {
                    self.make_ready(caller);
                }
                ok(&[])
            }
            Syscall::ReplyReceive => {
                let (endpoint, _) = self.endpoint_for(process, a[6], Rights::RECEIVE)?;
                let mut woken = None;
                if a[0] != 0
                    && let Ok(reply) = self.reply_of(process, a[0] as u32)
                {
                    // A failed reply (the caller went away) does not stop the receive.
                    woken = self
                        .answer(reply, Message::simple(a[1] as u32, [a[2], a[3], a[4], a[5]]))
                        .ok()
                        .flatten();
                }
                let received = self.receive(thread, endpoint, a[7], None, false);
                if let Some(caller) = woken {
                    if self.current.is_none() {
                        self.wake_direct(caller);
                    } else {
                        self.make_ready(caller);
                    }
                }
                received?;
                Ok(Done::Written)
            }
            Syscall::LeaseRead => ok(&[self.lease_copy(process, lease_access(a), false)?]),
            Syscall::LeaseWrite => ok(&[self.lease_copy(process, lease_access(a), true)?]),
            Syscall::EndpointBindNotification => self.bind_notification(process, a[0], a[1]),
            Syscall::DeathWatch => {
                let (endpoint, _) = self.endpoint_for(process, a[0], Rights::RECEIVE)?;
                let target = ProcessId::<P>::from_u32(a[1] as u32);
                let watch = self.watch_death(process, endpoint, target, a[2])?;
                ok(&[u64::from(watch.to_u32())])
            }
            Syscall::ReferenceCreate => {
                let entry =
                    self.lookup_kind(process, handle_of(a[0]), HandleKind::Endpoint, Rights::MINT)?;
                let ObjectRef::Endpoint(endpoint) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                ok(&[u64::from(self.create_reference(process, endpoint, a[1])?.0)])
            }
            Syscall::DeathUnwatch => {
                let watch = super::ipc::WatchId::<P>::from_u32(a[0] as u32);
                match self.watches.get(watch) {
                    Some(entry) if entry.owner == process => {
                        self.remove_watch(watch);
                        ok(&[])
                    }
                    _ => Err(KernelError::InvalidArgument),
                }
            }
            Syscall::NotificationCreate => {
                let id = self
                    .notifications
                    .insert(super::ipc::Notification::default())
                    .map_err(|_| KernelError::LimitReached)?;
                let rights = Rights::SIGNAL
                    .union(Rights::WAIT)
                    .union(Rights::DUPLICATE)
                    .union(Rights::TRANSFER);
                match self.insert_handle(process, ObjectRef::Notification(id), rights, 0) {
                    Ok(handle) => ok(&[u64::from(handle.0)]),
                    Err(error) => {
                        self.notifications.remove(id);
                        Err(error)
                    }
                }
            }
            Syscall::NotificationSignal => {
                let entry = self.lookup_kind(
                    process,
                    handle_of(a[0]),
                    HandleKind::Notification,
                    Rights::SIGNAL,
                )?;
                let ObjectRef::Notification(id) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                self.signal(id, a[1]);
                ok(&[])
            }
            Syscall::NotificationWait => {
                let entry = self.lookup_kind(
                    process,
                    handle_of(a[0]),
                    HandleKind::Notification,
                    Rights::WAIT,
                )?;
                let ObjectRef::Notification(id) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                let deadline = self.deadline_after(a[1]);
                match self.wait_notification(thread, id, deadline, a[1] == 0)? {
                    Some(bits) => ok(&[bits]),
                    None => Ok(Done::Written),
                }
            }
            Syscall::MemoryCreate => ok(&[u64::from(self.create_memory_object(process, a[0])?.0)]),
            Syscall::MemoryMap => {
                let entry = self.lookup(process, handle_of(a[0]), Rights::NONE)?;
                let ObjectRef::Memory(id) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                ok(&[self.map_object(
                    process,
                    id,
                    entry.rights,
                    MapRequest { address: a[1], offset: a[2], length: a[3], flags: a[4] },
                )?])
            }
            Syscall::MemoryUnmap => {
                let page = courier_abi::layout::PAGE_SIZE as u64;
                if !a[0].is_multiple_of(page) || a[1] == 0 {
                    return Err(KernelError::InvalidArgument);
                }
                let end = a[0]
                    .checked_add(a[1])
                    .and_then(|end| end.checked_add(page - 1))
                    .ok_or(KernelError::InvalidArgument)?
                    & !(page - 1);
                if end > courier_abi::layout::USER_SPACE_END as u64 {
                    return Err(KernelError::InvalidArgument);
                }
                self.unmap_range(process, a[0], end)?;
                ok(&[])
            }
            Syscall::MemoryResize => {
                let entry = self.lookup_kind(
                    process,
                    handle_of(a[0]),
                    HandleKind::MemoryObject,
                    Rights::RESIZE,
                )?;
                let ObjectRef::Memory(id) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                self.resize_object(id, a[1])?;
                ok(&[])
            }
            Syscall::MemoryInfo => {
                let entry = self.lookup(process, handle_of(a[0]), Rights::NONE)?;
                let ObjectRef::Memory(id) = entry.object else {
                    return Err(KernelError::WrongHandleKind);
                };
                let object = self.memory_objects.get(id).ok_or(KernelError::InvalidHandle)?;
                ok(&[object.size, object.resident])
            }
            Syscall::ProcessSpawn => self.spawn_from(thread, process, a),
            Syscall::ProcessKill => {
                let target = self.process_for(process, a[0])?;
                let status = ExitStatus::from_word(a[1]).ok_or(KernelError::InvalidArgument)?;
                self.destroy_process(target, status, true);
                if target == process { Ok(Done::Untouched) } else { ok(&[]) }
            }
            Syscall::ProcessIdentify => {
                ok(&[u64::from(process.to_u32()), u64::from(thread.to_u32())])
            }
            Syscall::ThreadCreate => {
                let priority =
                    self.threads.get(thread).map_or(PRIORITY_DEFAULT, |entry| entry.priority);
                let context = P::Context::new(a[0], a[1], [a[2], 0]);
                let created = self.create_thread(process, context, priority)?;
                let rights = Rights::CONTROL.union(Rights::DUPLICATE).union(Rights::TRANSFER);
                match self.insert_handle(process, ObjectRef::Thread(created), rights, 0) {
                    Ok(handle) => ok(&[u64::from(handle.0), u64::from(created.to_u32())]),
                    Err(error) => {
                        self.exit_thread(created);
                        Err(error)
                    }
                }
            }
            Syscall::ThreadExit => {
                self.exit_thread(thread);
                Ok(Done::Untouched)
            }
            Syscall::ThreadSetPriority => self.set_priority(thread, process, a[0], a[1]),
            Syscall::UpcallRegister => {
                if a[0] != 0 && !courier_abi::layout::is_user_range(a[0] as usize, 1) {
                    return Err(KernelError::BadAddress);
                }
                if let Some(entry) = self.processes.get_mut(process) {
                    entry.upcall_entry = a[0];
                }
                ok(&[])
            }
            Syscall::UpcallPost => self.upcall_post(process, a),
            Syscall::UpcallReturn => {
                self.upcall_return(thread, a[0])?;
                Ok(Done::Untouched)
            }
            Syscall::KernelStatistics => ok(&[
                self.platform.free_frames(),
                self.processes.len() as u64,
                self.threads.len() as u64,
                self.endpoints.len() as u64,
                self.memory_objects.len() as u64,
                self.statistics.kernel_entries,
                self.statistics.space_switches,
            ]),
            Syscall::KernelCommandLine => {
                let text = self.platform.command_line().as_bytes();
                let length = text.len().min(usize::try_from(a[1]).unwrap_or(usize::MAX));
                self.write_user(process, a[0], &text[..length])?;
                ok(&[text.len() as u64])
            }
        }
    }

    fn console_write(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
    ) -> Result<Done, KernelError> {
        if length != 0 && !courier_abi::layout::is_user_range(address as usize, length as usize) {
            return Err(KernelError::BadAddress);
        }
        let length = (length as usize).min(CONSOLE_CHUNK);
        let mut buffer = [0u8; CONSOLE_CHUNK];
        self.read_user(process, address, &mut buffer[..length])?;
        self.platform.console_write(&buffer[..length]);
        ok(&[length as u64])
    }

    fn console_read(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
    ) -> Result<Done, KernelError> {
        let length = (length as usize).min(CONSOLE_CHUNK);
        if length != 0 && !self.probe_user(process, address, length as u64, true) {
            return Err(KernelError::BadAddress);
        }
        let mut buffer = [0u8; CONSOLE_CHUNK];
        let count = self.platform.console_read(&mut buffer[..length]);
        self.write_user(process, address, &buffer[..count])?;
        ok(&[count as u64])
    }

    fn sleep(&mut self, thread: ThreadId<P>, nanoseconds: u64) -> Result<Done, KernelError> {
        if nanoseconds == 0 {
            return ok(&[0]);
        }
        let deadline = self.platform.now().saturating_add(nanoseconds);
        self.reserve_timeout()?;
        self.arm_timeout(thread, deadline);
        if let Some(entry) = self.threads.get_mut(thread) {
            entry.state = ThreadState::Sleeping;
            entry.context.set_syscall_result(0, [0; 7]);
        }
        self.block_current(thread);
        Ok(Done::Written)
    }

    /// The endpoint behind handle `value` with `rights`, and the handle's badge.
    fn endpoint_for(
        &self,
        process: ProcessId<P>,
        value: u64,
        rights: Rights,
    ) -> Result<(super::ipc::EndpointId<P>, u64), KernelError> {
        let entry = self.lookup(process, handle_of(value), Rights::NONE)?;
        // A reference stands for its endpoint only to send through it.
        let target = match entry.object {
            ObjectRef::Endpoint(id) => (id, entry.badge),
            ObjectRef::Reference(id) if rights == Rights::SEND => self
                .references
                .get(id)
                .map(|reference| (reference.endpoint, reference.badge))
                .ok_or(KernelError::PeerGone)?,
            _ => return Err(KernelError::WrongHandleKind),
        };
        if !entry.rights.contains(rights) {
            return Err(KernelError::InsufficientRights);
        }
        Ok(target)
    }

    /// The process behind control handle `value`.
    fn process_for(&self, process: ProcessId<P>, value: u64) -> Result<ProcessId<P>, KernelError> {
        let entry = self.lookup(process, handle_of(value), Rights::CONTROL)?;
        match entry.object {
            ObjectRef::Process(target) if self.processes.contains(target) => Ok(target),
            ObjectRef::Process(_) => Err(KernelError::NoSuchProcess),
            _ => Err(KernelError::WrongHandleKind),
        }
    }

    fn read_descriptor(
        &mut self,
        process: ProcessId<P>,
        address: u64,
    ) -> Result<MessageDescriptor, KernelError> {
        let mut bytes = [0u8; size_of::<MessageDescriptor>()];
        self.read_user(process, address, &mut bytes)?;
        Ok(decode_descriptor(&bytes))
    }

    /// Builds a message from a descriptor: checks every lease and handle before taking
    /// anything (a bad one fails the whole call and changes nothing), then takes the
    /// handles.
    fn message_from(
        &mut self,
        process: ProcessId<P>,
        descriptor: &MessageDescriptor,
        leases_allowed: bool,
    ) -> Result<Message<P>, KernelError> {
        let lease_count = descriptor.lease_count as usize;
        let handle_count = descriptor.handle_count as usize;
        if lease_count > MAX_LEASES
            || handle_count > MAX_HANDLES
            || (!leases_allowed && lease_count != 0)
        {
            return Err(KernelError::InvalidArgument);
        }
        let mut message = Message::simple(descriptor.label, descriptor.words);
        for lease in &descriptor.leases[..lease_count] {
            check_lease(lease)?;
            let _ = message.leases.push(*lease);
        }
        let transfers = &descriptor.handles[..handle_count];
        let mut seen = [Handle::NONE; MAX_HANDLES];
        for (index, transfer) in transfers.iter().enumerate() {
            if (transfer.mode != TRANSFER_COPY && transfer.mode != TRANSFER_MOVE)
                || transfer.reserved != 0
            {
                return Err(KernelError::InvalidArgument);
            }
            if transfer.mode == TRANSFER_MOVE && seen[..index].contains(&transfer.handle) {
                return Err(KernelError::InvalidArgument);
            }
            seen[index] = transfer.handle;
            self.lookup(process, transfer.handle, Rights::TRANSFER)?;
        }
        for transfer in transfers {
            let entry = self.lookup(process, transfer.handle, Rights::TRANSFER)?;
            let rights = entry.rights.intersection(Rights(transfer.rights));
            if transfer.mode == TRANSFER_MOVE {
                // The moved handle's reference travels with the message.
                if let Some(owner) = self.processes.get_mut(process) {
                    owner.handles.remove(transfer.handle);
                }
                if rights != entry.rights {
                    self.retain_object(entry.object, rights);
                    self.release_object(entry.object, entry.rights);
                }
            } else {
                self.retain_object(entry.object, rights);
            }
            let _ = message.handles.push(CarriedHandle {
                object: entry.object,
                rights,
                badge: entry.badge,
            });
        }
        Ok(message)
    }

    fn call_with(
        &mut self,
        thread: ThreadId<P>,
        process: ProcessId<P>,
        handle: u64,
        address: u64,
    ) -> Result<Done, KernelError> {
        let (endpoint, badge) = self.endpoint_for(process, handle, Rights::SEND)?;
        let descriptor = self.read_descriptor(process, address)?;
        // The reply's handles are written back into the descriptor: it must be writable.
        if !self.probe_user(process, address, size_of::<MessageDescriptor>() as u64, true) {
            return Err(KernelError::BadAddress);
        }
        let mut message = self.message_from(process, &descriptor, true)?;
        message.badge = badge;
        message.descriptor = address;
        let deadline = self.deadline_after(descriptor.timeout);
        self.call(thread, endpoint, message, deadline)?;
        Ok(Done::Written)
    }

    fn bind_notification(
        &mut self,
        process: ProcessId<P>,
        endpoint: u64,
        notification: u64,
    ) -> Result<Done, KernelError> {
        let (endpoint, _) = self.endpoint_for(process, endpoint, Rights::RECEIVE)?;
        let previous = self.endpoints.get(endpoint).and_then(|entry| entry.notification);
        if notification == 0 {
            if let Some(previous) = previous
                && let Some(entry) = self.notifications.get_mut(previous)
            {
                entry.endpoint = None;
            }
            if let Some(entry) = self.endpoints.get_mut(endpoint) {
                entry.notification = None;
            }
            return ok(&[]);
        }
        let entry = self.lookup(process, handle_of(notification), Rights::WAIT)?;
        let ObjectRef::Notification(id) = entry.object else {
            return Err(KernelError::WrongHandleKind);
        };
        if self
            .notifications
            .get(id)
            .is_some_and(|entry| entry.endpoint.is_some_and(|bound| bound != endpoint))
        {
            return Err(KernelError::AddressInUse);
        }
        if let Some(previous) = previous
            && let Some(entry) = self.notifications.get_mut(previous)
        {
            entry.endpoint = None;
        }
        if let Some(entry) = self.notifications.get_mut(id) {
            entry.endpoint = Some(endpoint);
        }
        if let Some(entry) = self.endpoints.get_mut(endpoint) {
            entry.notification = Some(id);
        }
        self.wake_receiver_with_event(endpoint);
        ok(&[])
    }

    fn spawn_from(
        &mut self,
        thread: ThreadId<P>,
        process: ProcessId<P>,
        a: [u64; 8],
    ) -> Result<Done, KernelError> {
        let name_length = a[1] as usize;
        if name_length == 0 || name_length > MAX_NAME {
            return Err(KernelError::InvalidArgument);
        }
        let mut name = [0u8; MAX_NAME];
        self.read_user(process, a[0], &mut name[..name_length])?;
        let count = a[3] as usize;
        if count > MAX_SPAWN_HANDLES {
            return Err(KernelError::InvalidArgument);
        }
        let mut raw = [0u8; 4 * MAX_SPAWN_HANDLES];
        self.read_user(process, a[2], &mut raw[..4 * count])?;
        let mut handles: heapless::Vec<(ObjectRef<P>, Rights, u64), MAX_SPAWN_HANDLES> =
            heapless::Vec::new();
        for chunk in raw[..4 * count].as_chunks::<4>().0 {
            let handle = Handle(u32::from_le_bytes(*chunk));
            let entry = self.lookup(process, handle, Rights::TRANSFER)?;
            let _ = handles.push((entry.object, entry.rights, entry.badge));
        }
        // The death watch is checked first and set before the child can run, so the
        // spawner cannot miss the child's end.
        let watch_endpoint = if a[5] == 0 {
            None
        } else {
            Some(self.endpoint_for(process, a[5], Rights::RECEIVE)?.0)
        };
        let priority = self.threads.get(thread).map_or(PRIORITY_DEFAULT, |entry| entry.priority);
        let child = self.spawn(&name[..name_length], &handles, a[4], priority)?;
        let rights = Rights::CONTROL.union(Rights::DUPLICATE).union(Rights::TRANSFER);
        let handle = match self.insert_handle(process, ObjectRef::Process(child), rights, 0) {
            Ok(handle) => handle,
            Err(error) => {
                self.destroy_process(child, ExitStatus::Killed(9), false);
                return Err(error);
            }
        };
        let watch = match watch_endpoint {
            None => 0,
            Some(endpoint) => match self.watch_death(process, endpoint, child, a[6]) {
                Ok(watch) => u64::from(watch.to_u32()),
                Err(error) => {
                    let _ = self.close_handle(process, handle);
                    self.destroy_process(child, ExitStatus::Killed(9), false);
                    return Err(error);
                }
            },
        };
        ok(&[u64::from(handle.0), u64::from(child.to_u32()), watch])
    }

    fn set_priority(
        &mut self,
        thread: ThreadId<P>,
        process: ProcessId<P>,
        handle: u64,
        priority: u64,
    ) -> Result<Done, KernelError> {
        let own = self.threads.get(thread).map_or(0, |entry| entry.priority);
        let priority = u8::try_from(priority).map_err(|_| KernelError::InvalidArgument)?;
        if priority > own {
            return Err(KernelError::InsufficientRights);
        }
        let target = if handle == 0 {
            thread
        } else {
            let entry = self.lookup(process, handle_of(handle), Rights::CONTROL)?;
            match entry.object {
                ObjectRef::Thread(target) => target,
                _ => return Err(KernelError::WrongHandleKind),
            }
        };
        let entry = self.threads.get(target).ok_or(KernelError::NoSuchProcess)?;
        let (old, queued) =
            (entry.priority, entry.state == ThreadState::Ready && self.current != Some(target));
        if queued {
            self.run_queues.remove(&mut self.threads, target, old);
        }
        if let Some(entry) = self.threads.get_mut(target) {
            entry.priority = priority;
        }
        if queued {
            self.run_queues.push(&mut self.threads, target, priority);
        }
        ok(&[])
    }

    fn upcall_post(&mut self, process: ProcessId<P>, a: [u64; 8]) -> Result<Done, KernelError> {
        let entry = self.lookup(process, handle_of(a[0]), Rights::CONTROL)?;
        let kind = UpcallKind::from_number(a[1] as usize).ok_or(KernelError::InvalidArgument)?;
        let (target_process, target_thread) = match entry.object {
            ObjectRef::Process(target) => {
                let first = self
                    .processes
                    .get(target)
                    .ok_or(KernelError::NoSuchProcess)?
                    .threads
                    .first()
                    .copied();
                (target, first)
            }
            ObjectRef::Thread(target) => {
                (self.threads.get(target).ok_or(KernelError::NoSuchProcess)?.process, Some(target))
            }
            _ => return Err(KernelError::WrongHandleKind),
        };
        match kind {
            UpcallKind::Kill => {
                let status = ExitStatus::from_word(a[2]).ok_or(KernelError::InvalidArgument)?;
                self.destroy_process(target_process, status, true);
                if target_process == process { Ok(Done::Untouched) } else { ok(&[]) }
            }
            UpcallKind::Deliver => {
                let target = target_thread.ok_or(KernelError::NoSuchProcess)?;
                let words: [u64; UPCALL_WORDS] = [a[2], a[3], a[4], a[5]];
                self.post_upcall(target, words, process.to_u32())?;
                ok(&[])
            }
        }
    }
}

/// Decodes a `MessageDescriptor` from its little-endian bytes (no unsafe, any alignment).
fn decode_descriptor(bytes: &[u8; size_of::<MessageDescriptor>()]) -> MessageDescriptor {
    let word =
        |offset: usize| u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap_or([0; 8]));
    let half =
        |offset: usize| u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap_or([0; 4]));
    let mut descriptor = MessageDescriptor::new(half(0));
    descriptor.lease_count = half(4);
    descriptor.handle_count = half(8);
    descriptor.reserved = half(12);
    let words_at = core::mem::offset_of!(MessageDescriptor, words);
    for index in 0..MESSAGE_WORDS {
        descriptor.words[index] = word(words_at + 8 * index);
    }
    let leases_at = core::mem::offset_of!(MessageDescriptor, leases);
    for index in 0..MAX_LEASES {
        let base = leases_at + index * size_of::<Lease>();
        descriptor.leases[index] = Lease {
            address: word(base),
            length: word(base + 8),
            rights: half(base + 16),
            reserved: half(base + 20),
        };
    }
    let handles_at = core::mem::offset_of!(MessageDescriptor, handles);
    for index in 0..MAX_HANDLES {
        let base = handles_at + index * size_of::<HandleTransfer>();
        descriptor.handles[index] = HandleTransfer {
            handle: Handle(half(base)),
            mode: half(base + 4),
            rights: half(base + 8),
            reserved: half(base + 12),
        };
    }
    descriptor.timeout = word(core::mem::offset_of!(MessageDescriptor, timeout));
    descriptor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_decode_field_by_field() {
        let mut bytes = [0u8; size_of::<MessageDescriptor>()];
        bytes[0..4].copy_from_slice(&7u32.to_le_bytes());
        bytes[4..8].copy_from_slice(&1u32.to_le_bytes());
        let words_at = core::mem::offset_of!(MessageDescriptor, words);
        bytes[words_at..words_at + 8].copy_from_slice(&99u64.to_le_bytes());
        let leases_at = core::mem::offset_of!(MessageDescriptor, leases);
        bytes[leases_at..leases_at + 8].copy_from_slice(&0x40_0000u64.to_le_bytes());
        bytes[leases_at + 8..leases_at + 16].copy_from_slice(&16u64.to_le_bytes());
        bytes[leases_at + 16..leases_at + 20].copy_from_slice(&3u32.to_le_bytes());
        let timeout_at = core::mem::offset_of!(MessageDescriptor, timeout);
        bytes[timeout_at..timeout_at + 8].copy_from_slice(&5u64.to_le_bytes());
        let descriptor = decode_descriptor(&bytes);
        assert_eq!(descriptor.label, 7);
        assert_eq!(descriptor.lease_count, 1);
        assert_eq!(descriptor.words[0], 99);
        assert_eq!(
            descriptor.leases[0],
            Lease { address: 0x40_0000, length: 16, rights: 3, reserved: 0 }
        );
        assert_eq!(descriptor.timeout, 5);
    }
}
