//! Processes: an address space with its regions, a handle table and threads; starting
//! one from a program image, and ending one.

use alloc::vec::Vec;

use courier_abi::layout::{PAGE_SIZE, STACK_BOTTOM, STACK_TOP};
use courier_abi::process::ExitStatus;
use courier_abi::{Handle, KernelError, Rights};

use super::ipc::WatchId;
use super::memory::{Region, RegionKind};
use super::platform::{Platform, ThreadContext, UserSpace};
use super::thread::{Thread, ThreadId, ThreadState};
use super::{Kernel, ObjectRef};
use crate::mm::page_table::Access;
use crate::object::arena::Id;
use crate::object::handle::HandleTable;
use crate::task::image;

/// A process's name inside the kernel (its client id, packed, when user space sees it).
pub type ProcessId<P> = Id<Process<P>>;

/// Longest program name accepted.
pub const MAX_NAME: usize = 64;

/// One process.
pub struct Process<P: Platform> {
    /// The program it runs.
    pub name: &'static str,
    /// Its number in the kernel's log: processes are numbered from 1 in the order they
    /// start, never reused.
    pub serial: u32,
    /// Its page tables (taken when it is destroyed).
    pub space: Option<P::Space>,
    /// Its mapped regions, sorted by start address, never overlapping.
    pub regions: Vec<Region<P>>,
    /// Its handles.
    pub handles: HandleTable<ObjectRef<P>>,
    /// Its live threads.
    pub threads: Vec<ThreadId<P>>,
    /// Where upcalls enter (0: none registered).
    pub upcall_entry: u64,
    /// Death watches it owns.
    pub watches: Vec<WatchId<P>>,
    /// Death watches on it.
    pub watched_by: Vec<WatchId<P>>,
    /// System calls it made.
    pub system_calls: u64,
    /// Interrupts taken while its threads ran in user mode.
    pub interrupts: u64,
}

impl<P: Platform> Kernel<P> {
    /// Starts the program image `name` as a new process with `handles` as its first
    /// handles, `argument` for its first thread, and the given priority.
    ///
    /// # Errors
    ///
    /// `NoSuchImage`, `BadImage`, `OutOfMemory` or `LimitReached`; nothing is left behind.
    pub fn spawn(
        &mut self,
        name: &[u8],
        handles: &[(ObjectRef<P>, Rights, u64)],
        argument: u64,
        priority: u8,
    ) -> Result<ProcessId<P>, KernelError> {
        let (name, bytes) = self.platform.program(name).ok_or(KernelError::NoSuchImage)?;
        let layout =
            image::parse(bytes, self.platform.elf_machine()).map_err(|_| KernelError::BadImage)?;
        self.next_serial = self.next_serial.wrapping_add(1).max(1);
        let process = Process {
            name,
            serial: self.next_serial,
            space: None,
            regions: Vec::new(),
            handles: HandleTable::default(),
            threads: Vec::new(),
            upcall_entry: 0,
            watches: Vec::new(),
            watched_by: Vec::new(),
            system_calls: 0,
            interrupts: 0,
        };
        let id = self.processes.insert(process).map_err(|_| KernelError::LimitReached)?;
        match self.platform.new_space() {
            Ok(space) => {
                if let Some(entry) = self.processes.get_mut(id) {
                    entry.space = Some(space);
                }
            }
            Err(error) => {
                self.processes.remove(id);
                return Err(error);
            }
        }
        match self.populate(id, bytes, &layout, handles, argument, priority) {
            Ok(()) => Ok(id),
            Err(error) => {
                self.destroy_process(id, ExitStatus::Exited(0), false);
                Err(error)
            }
        }
    }

    fn populate(
        &mut self,
        id: ProcessId<P>,
        bytes: &[u8],
        layout: &image::ProgramLayout,
        handles: &[(ObjectRef<P>, Rights, u64)],
        argument: u64,
        priority: u8,
    ) -> Result<(), KernelError> {
        let page = PAGE_SIZE as u64;
        for segment in &layout.segments {
            let first = segment.virtual_address & !(page - 1);
            let end = (segment.virtual_address + segment.memory_size).div_ceil(page) * page;
            let start = self.regions_end_overlap(id, first, segment.access)?;
            if start < end {
                self.add_region(
                    id,
                    Region {
                        start,
                        length: end - start,
                        access: segment.access,
                        kind: RegionKind::Anonymous,
                    },
                )?;
            }
            // Fill every page now: image pages are read before anything could fault them in.
            let mut address = first;
            while address < end {
                self.resolve(id, address, false, true)?;
                address += page;
            }
            let contents = &bytes
                [segment.file_offset as usize..(segment.file_offset + segment.file_size) as usize];
            self.write_user_ignoring_rights(id, segment.virtual_address, contents)?;
            if segment.access.execute {
                self.synchronize_user_code(id, segment.virtual_address, segment.file_size)?;
            }
        }
        let stack = Access { write: true, execute: false, user: true };
        self.add_region(
            id,
            Region {
                start: STACK_BOTTOM as u64,
                length: (STACK_TOP - STACK_BOTTOM) as u64,
                access: stack,
                kind: RegionKind::Anonymous,
            },
        )?;
        for &(object, rights, badge) in handles {
            self.insert_handle(id, object, rights, badge)?;
        }
        let context =
            P::Context::new(layout.entry, STACK_TOP as u64, [handles.len() as u64, argument]);
        self.create_thread(id, context, priority)?;
        Ok(())
    }

    /// If a segment starting at `first` shares its first page with the previous region,
    /// widens that page's rights and returns the next page as the new region's start.
    fn regions_end_overlap(
        &mut self,
        id: ProcessId<P>,
        first: u64,
        access: Access,
    ) -> Result<u64, KernelError> {
        let process = self.processes.get_mut(id).ok_or(KernelError::NoSuchProcess)?;
        let shared = process.regions.iter_mut().find(|region| region.contains(first));
        match shared {
            None => Ok(first),
            Some(region) => {
                region.access = Access {
                    write: region.access.write || access.write,
                    execute: region.access.execute || access.execute,
                    user: true,
                };
                let merged = region.access;
                if let Some(space) = process.space.as_mut() {
                    space.protect(first, merged);
                }
                Ok(first + PAGE_SIZE as u64)
            }
        }
    }

    /// Creates a ready thread in `process`.
    pub(crate) fn create_thread(
        &mut self,
        process: ProcessId<P>,
        context: P::Context,
        priority: u8,
    ) -> Result<ThreadId<P>, KernelError> {
        let entry = self.processes.get_mut(process).ok_or(KernelError::NoSuchProcess)?;
        entry.threads.try_reserve(1).map_err(|_| KernelError::OutOfMemory)?;
        let space = entry.space.as_ref().ok_or(KernelError::NoSuchProcess)?.token();
        let thread = self
            .threads
            .insert(Thread::new(
                process,
                space,
                context,
                priority.min(courier_abi::process::PRIORITY_HIGHEST),
            ))
            .map_err(|_| KernelError::LimitReached)?;
        if let Some(entry) = self.processes.get_mut(process) {
            entry.threads.push(thread);
        }
        self.make_ready(thread);
        Ok(thread)
    }

    /// Inserts a handle into `process`'s table, taking a new reference on the object.
    pub(crate) fn insert_handle(
        &mut self,
        process: ProcessId<P>,
        object: ObjectRef<P>,
        rights: Rights,
        badge: u64,
    ) -> Result<Handle, KernelError> {
        self.retain_object(object, rights);
        let result = self.insert_handle_owned(process, object, rights, badge);
        if result.is_err() {
            self.release_object(object, rights);
        }
        result
    }

    /// Inserts a handle whose object reference the caller already holds.
    pub(crate) fn insert_handle_owned(
        &mut self,
        process: ProcessId<P>,
        object: ObjectRef<P>,
        rights: Rights,
        badge: u64,
    ) -> Result<Handle, KernelError> {
        let entry = self.processes.get_mut(process).ok_or(KernelError::NoSuchProcess)?;
        entry.handles.insert(object, rights, badge).map_err(|_| KernelError::LimitReached)
    }

    /// Ends thread `thread`; its process ends with its last thread.
    pub(crate) fn exit_thread(&mut self, thread: ThreadId<P>) {
        let Some(process) = self.threads.get(thread).map(|entry| entry.process) else {
            return;
        };
        let last = self.processes.get(process).is_some_and(|entry| entry.threads.len() <= 1);
        if last {
            self.destroy_process(process, ExitStatus::Exited(0), true);
        } else {
            self.destroy_thread(thread);
            if let Some(entry) = self.processes.get_mut(process) {
                entry.threads.retain(|&id| id != thread);
            }
        }
    }

    /// Takes a thread out of whatever it waits on and frees it.
    fn destroy_thread(&mut self, thread: ThreadId<P>) {
        let Some(entry) = self.threads.get(thread) else {
            return;
        };
        let (state, priority, process) = (entry.state, entry.priority, entry.process);
        let system_calls = entry.system_calls;
        if let Some(owner) = self.processes.get_mut(process) {
            owner.system_calls += system_calls;
        }
        match state {
            ThreadState::Ready => {
                self.run_queues.remove(&mut self.threads, thread, priority);
            }
            ThreadState::Sending(endpoint) => {
                if let Some(target) = self.endpoints.get_mut(endpoint) {
                    target.senders.remove(&mut self.threads, thread);
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
            ThreadState::AwaitingReply(reply) => self.cancel_reply(reply, true),
            ThreadState::Sleeping => {}
        }
        if self.current == Some(thread) {
            self.current = None;
        }
        if let Some(mut entry) = self.threads.remove(thread) {
            if let Some(message) = entry.outgoing.take() {
                self.drop_message(message);
            }
            self.platform.forget_floating_point(&entry.context);
        }
    }

    /// Ends `process` with `status`: every thread stops, every handle closes, every
    /// mapping goes, servers holding its calls get cancel notices, callers waiting on its
    /// replies get `PeerGone`, and its watchers get death notices. `report` queues an exit
    /// event for the kernel's log.
    pub fn destroy_process(&mut self, process: ProcessId<P>, status: ExitStatus, report: bool) {
        let Some(entry) = self.processes.get_mut(process) else {
            return;
        };
        let threads = core::mem::take(&mut entry.threads);
        let owned_watches = core::mem::take(&mut entry.watches);
        let watched_by = core::mem::take(&mut entry.watched_by);
        let (name, serial, interrupts) = (entry.name, entry.serial, entry.interrupts);
        for thread in threads {
            self.destroy_thread(thread);
        }
        let system_calls = self.processes.get(process).map_or(0, |entry| entry.system_calls);
        // Calls this process was serving: their callers learn the server is gone.
        let served: Vec<_> = self
            .replies
            .iter()
            .filter(|(_, reply)| reply.server == process)
            .map(|(id, reply)| (id, reply.caller, reply.endpoint, reply.links.is_queued()))
            .collect();
        for (reply, caller, endpoint, queued) in served {
            if queued && let Some(target) = self.endpoints.get_mut(endpoint) {
                target.cancels.remove(&mut self.replies, reply);
            }
            self.replies.remove(reply);
            self.finish_blocked(caller, Err(KernelError::PeerGone));
        }
        for watch in owned_watches {
            self.remove_watch(watch);
        }
        // Close every handle.
        let handles: Vec<_> = self
            .processes
            .get(process)
            .map(|entry| entry.handles.iter().map(|(handle, _)| handle).collect())
            .unwrap_or_default();
        for handle in handles {
            let _ = self.close_handle(process, handle);
        }
        self.unmap_everything(process);
        if let Some(mut entry) = self.processes.remove(process)
            && let Some(space) = entry.space.take()
        {
            if self.active_space == Some(process) {
                self.active_space = None;
            }
            self.platform.destroy_space(space);
        }
        self.fire_watches(&watched_by, status);
        if report {
            let event = super::ExitEvent {
                process: process.to_u32(),
                serial,
                name,
                status,
                system_calls,
                interrupts,
            };
            if self.exits.push(event).is_err() {
                self.exits_dropped += 1;
            }
        }
    }
}
