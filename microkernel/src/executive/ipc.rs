//! IPC objects and operations: endpoints, replies, notifications, death watches, and the
//! call / receive / reply state machine with leases and handle transfer.
//!
//! A call finds a receiver waiting on the endpoint (the message is copied to the
//! receiver's registers and the kernel switches straight to it) or queues the caller as a
//! sender. Delivery creates a [`Reply`] owned by the receiving process; its id goes to the
//! server, which may answer it at once or much later (a deferred reply), in any order.
//! While a reply is outstanding the caller waits in `AwaitingReply`, and the server may
//! copy from and into the caller's leases through it.
//!
//! A receive returns, in this order of priority: cancel notices (a caller whose call the
//! server holds was interrupted, timed out or died), death notices of watched processes,
//! bits of the bound notification, then messages from the senders' queue.

use courier_abi::ipc::{
    LEASE_READ, LEASE_WRITE, Lease, LeaseInfo, MAX_HANDLES, MAX_LEASES, MESSAGE_WORDS,
    RECEIVED_EXTENDED, ReceiveDescriptor, Received, ReceivedKind,
};
use courier_abi::process::ExitStatus;
use courier_abi::{Handle, KernelError, Rights};

use super::platform::{Platform, ThreadContext};
use super::process::ProcessId;
use super::thread::{ThreadId, ThreadState};
use super::{Kernel, ObjectRef};
use crate::object::arena::Id;
use crate::object::queue::{Linked, Links, Queue};

/// An endpoint's id.
pub type EndpointId<P> = Id<Endpoint<P>>;
/// A reply's id.
pub type ReplyId<P> = Id<Reply<P>>;
/// A notification's id.
pub type NotificationId<P> = Id<Notification<P>>;
/// A death watch's id.
pub type WatchId<P> = Id<DeathWatch<P>>;
/// A reference's id.
pub type ReferenceId<P> = Id<Reference<P>>;

/// A send capability to an endpoint with a fixed badge. When the last handle to it closes
/// (closed, or its holder died), the endpoint receives a `Released` notice with the
/// badge, as Mach's no-senders notification. A server gives one per open file
/// description, so it learns exactly when the last descriptor for it is gone.
pub struct Reference<P: Platform> {
    /// Where calls through it go.
    pub endpoint: EndpointId<P>,
    /// The badge they carry.
    pub badge: u64,
    /// Handles naming it.
    pub handles: usize,
    /// Links in the endpoint's release queue (after its last handle closed).
    pub links: Links<Reference<P>>,
}

impl<P: Platform> Linked for Reference<P> {
    fn links(&mut self) -> &mut Links<Self> {
        &mut self.links
    }
}

/// A handle being carried by a message: the object, the rights the receiver gets and the
/// badge. The message holds a reference on the object until it is delivered or dropped.
pub struct CarriedHandle<P: Platform> {
    /// The object.
    pub object: ObjectRef<P>,
    /// Rights for the receiver.
    pub rights: Rights,
    /// The badge (endpoints).
    pub badge: u64,
}

/// A message in flight.
pub struct Message<P: Platform> {
    /// The label.
    pub label: u32,
    /// The words.
    pub words: [u64; MESSAGE_WORDS],
    /// Leases lent by the caller (addresses in the caller's space).
    pub leases: heapless::Vec<Lease, MAX_LEASES>,
    /// Handles carried.
    pub handles: heapless::Vec<CarriedHandle<P>, MAX_HANDLES>,
    /// The caller's `CallWith` descriptor (for handles in the reply), or 0.
    pub descriptor: u64,
    /// The badge of the handle it was sent through.
    pub badge: u64,
}

impl<P: Platform> Message<P> {
    /// A message of registers only.
    pub fn simple(label: u32, words: [u64; MESSAGE_WORDS]) -> Self {
        Message {
            label,
            words,
            leases: heapless::Vec::new(),
            handles: heapless::Vec::new(),
            descriptor: 0,
            badge: 0,
        }
    }

    /// Whether the receiver needs a descriptor for it.
    pub fn is_extended(&self) -> bool {
        !self.leases.is_empty() || !self.handles.is_empty()
    }
}

/// An IPC endpoint.
pub struct Endpoint<P: Platform> {
    /// Callers waiting for a receiver.
    pub senders: Queue<super::thread::Thread<P>>,
    /// Receivers waiting for a caller.
    pub receivers: Queue<super::thread::Thread<P>>,
    /// Cancel notices to deliver.
    pub cancels: Queue<Reply<P>>,
    /// Death notices to deliver.
    pub deaths: Queue<DeathWatch<P>>,
    /// Release notices to deliver.
    pub releases: Queue<Reference<P>>,
    /// A notification delivered through receive.
    pub notification: Option<NotificationId<P>>,
    /// Handles naming the endpoint.
    pub handles: usize,
    /// Handles with the receive right: when none is left, calls fail with `PeerGone`.
    pub receive_handles: usize,
}

impl<P: Platform> Default for Endpoint<P> {
    fn default() -> Self {
        Endpoint {
            senders: Queue::new(),
            receivers: Queue::new(),
            cancels: Queue::new(),
            deaths: Queue::new(),
            releases: Queue::new(),
            notification: None,
            handles: 0,
            receive_handles: 0,
        }
    }
}

/// Where a reply stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyState {
    /// The server holds the call.
    Pending,
    /// The caller was interrupted; a cancel notice is queued or delivered.
    Cancelled,
    /// The caller is gone; the reply goes nowhere.
    CallerGone,
}

/// An outstanding call, answerable by its server.
pub struct Reply<P: Platform> {
    /// The waiting caller.
    pub caller: ThreadId<P>,
    /// The caller's process.
    pub caller_process: ProcessId<P>,
    /// The process that may answer.
    pub server: ProcessId<P>,
    /// The endpoint the call came through (cancel notices go there).
    pub endpoint: EndpointId<P>,
    /// The badge of the caller's handle.
    pub badge: u64,
    /// Where it stands.
    pub state: ReplyState,
    /// Links in the endpoint's cancel queue.
    pub links: Links<Reply<P>>,
}

impl<P: Platform> Linked for Reply<P> {
    fn links(&mut self) -> &mut Links<Self> {
        &mut self.links
    }
}

/// A notification: a word of bits, ORed by signals and taken by waits.
pub struct Notification<P: Platform> {
    /// Pending bits.
    pub bits: u64,
    /// Threads in `NotificationWait`.
    pub waiters: Queue<super::thread::Thread<P>>,
    /// The endpoint it is bound to.
    pub endpoint: Option<EndpointId<P>>,
    /// Handles naming it.
    pub handles: usize,
}

impl<P: Platform> Default for Notification<P> {
    fn default() -> Self {
        Notification { bits: 0, waiters: Queue::new(), endpoint: None, handles: 0 }
    }
}

/// A request to be told through an endpoint when a process dies.
pub struct DeathWatch<P: Platform> {
    /// Where the notice goes.
    pub endpoint: EndpointId<P>,
    /// The watched process.
    pub target: ProcessId<P>,
    /// The badge the notice carries.
    pub badge: u64,
    /// The process that asked (its watches end with it).
    pub owner: ProcessId<P>,
    /// Set when the target died: its status.
    pub fired: Option<ExitStatus>,
    /// Links in the endpoint's death queue.
    pub links: Links<DeathWatch<P>>,
}

impl<P: Platform> Linked for DeathWatch<P> {
    fn links(&mut self) -> &mut Links<Self> {
        &mut self.links
    }
}

/// Checks a lease's address range and rights.
///
/// # Errors
///
/// `InvalidArgument` for unknown rights bits or a range outside user space.
pub fn check_lease(lease: &Lease) -> Result<(), KernelError> {
    let known = LEASE_READ | LEASE_WRITE;
    if lease.rights & !known != 0 || lease.reserved != 0 {
        return Err(KernelError::InvalidArgument);
    }
    if lease.length != 0 {
        let fits = usize::try_from(lease.address)
            .ok()
            .zip(usize::try_from(lease.length).ok())
            .is_some_and(|(address, length)| courier_abi::layout::is_user_range(address, length));
        if !fits {
            return Err(KernelError::InvalidArgument);
        }
    }
    Ok(())
}

/// The part of a lease a copy may touch: `length` bytes from `offset`, cut at the lease's
/// end. Returns the byte count.
///
/// # Errors
///
/// `LeaseViolation` when the lease lacks `rights` or `offset` is past its end.
pub fn lease_window(
    lease: &Lease,
    rights: u32,
    offset: u64,
    length: u64,
) -> Result<u64, KernelError> {
    if lease.rights & rights != rights || offset > lease.length {
        return Err(KernelError::LeaseViolation);
    }
    Ok(length.min(lease.length - offset))
}

/// A `LeaseRead` or `LeaseWrite`: which lease of which call, and the window and buffer.
#[derive(Clone, Copy, Debug)]
pub struct LeaseAccess {
    /// The call's reply name.
    pub reply: u32,
    /// The lease's index in the call.
    pub lease: u64,
    /// Offset into the lease.
    pub offset: u64,
    /// The server's buffer address.
    pub buffer: u64,
    /// Bytes to copy.
    pub length: u64,
}

impl<P: Platform> Kernel<P> {
    // ----- endpoints ---------------------------------------------------------------------

    /// Creates an endpoint and a handle to it in `process`.
    pub(crate) fn create_endpoint(&mut self, process: ProcessId<P>) -> Result<Handle, KernelError> {
        let id =
            self.endpoints.insert(Endpoint::default()).map_err(|_| KernelError::LimitReached)?;
        match self.insert_handle(process, ObjectRef::Endpoint(id), Rights::ALL, 0) {
            Ok(handle) => Ok(handle),
            Err(error) => {
                self.endpoints.remove(id);
                Err(error)
            }
        }
    }

    /// Creates a reference to `endpoint` with `badge` and a handle to it in `process`.
    pub(crate) fn create_reference(
        &mut self,
        process: ProcessId<P>,
        endpoint: EndpointId<P>,
        badge: u64,
    ) -> Result<Handle, KernelError> {
        let reference = Reference { endpoint, badge, handles: 0, links: Links::default() };
        let id = self.references.insert(reference).map_err(|_| KernelError::LimitReached)?;
        let rights = Rights::SEND.union(Rights::DUPLICATE).union(Rights::TRANSFER);
        match self.insert_handle(process, ObjectRef::Reference(id), rights, 0) {
            Ok(handle) => Ok(handle),
            Err(error) => {
                self.references.remove(id);
                Err(error)
            }
        }
    }

    /// The last handle to `reference` closed: queue its release notice on its endpoint
    /// (or forget it when the endpoint is gone).
    pub(crate) fn release_reference(&mut self, reference: ReferenceId<P>) {
        let Some(endpoint) = self.references.get(reference).map(|entry| entry.endpoint) else {
            return;
        };
        match self.endpoints.get_mut(endpoint) {
            Some(target) => {
                target.releases.push_back(&mut self.references, reference);
                self.wake_receiver_with_event(endpoint);
            }
            None => {
                self.references.remove(reference);
            }
        }
    }

    /// Sends `message` from the current thread through endpoint `endpoint` with `badge`.
    /// Either hands it to a waiting receiver (switching to it) or queues the caller.
    pub(crate) fn call(
        &mut self,
        caller: ThreadId<P>,
        endpoint: EndpointId<P>,
        message: Message<P>,
        deadline: Option<u64>,
    ) -> Result<(), KernelError> {
        let Some(target) = self.endpoints.get(endpoint) else {
            self.drop_message(message);
            return Err(KernelError::PeerGone);
        };
        if target.receive_handles == 0 {
            self.drop_message(message);
            return Err(KernelError::PeerGone);
        }
        let waiting = target.receivers.front();
        match waiting {
            Some(receiver) => {
                let descriptor =
                    self.threads.get(receiver).map_or(0, |thread| thread.receive_descriptor);
                if message.is_extended()
                    && descriptor != 0
                    && !self.descriptor_writable(receiver, descriptor)
                {
                    // The receiver's descriptor is unusable: it gets the error, the caller
                    // queues for the next receiver.
                    self.dequeue_receiver(endpoint, receiver);
                    self.finish_blocked(receiver, Err(KernelError::BadAddress));
                    return self.queue_sender(caller, endpoint, message, deadline);
                }
                self.dequeue_receiver(endpoint, receiver);
                self.deliver(caller, receiver, endpoint, message)
            }
            None => self.queue_sender(caller, endpoint, message, deadline),
        }
    }

    fn queue_sender(
        &mut self,
        caller: ThreadId<P>,
        endpoint: EndpointId<P>,
        message: Message<P>,
        deadline: Option<u64>,
    ) -> Result<(), KernelError> {
        if let Some(deadline) = deadline {
            self.reserve_timeout()?;
            self.arm_timeout(caller, deadline);
        }
        let Some(thread) = self.threads.get_mut(caller) else {
            self.drop_message(message);
            return Err(KernelError::InvalidArgument);
        };
        thread.outgoing = Some(message);
        thread.state = ThreadState::Sending(endpoint);
        if let Some(target) = self.endpoints.get_mut(endpoint) {
            target.senders.push_back(&mut self.threads, caller);
        }
        self.block_current(caller);
        Ok(())
    }

    fn dequeue_receiver(&mut self, endpoint: EndpointId<P>, receiver: ThreadId<P>) {
        if let Some(target) = self.endpoints.get_mut(endpoint) {
            target.receivers.remove(&mut self.threads, receiver);
        }
        self.disarm_timeout(receiver);
    }

    /// Moves `message` from `caller` to `receiver` (which was waiting in `Receiving`):
    /// creates the reply, fills in the receiver's results, blocks the caller waiting for
    /// the reply and switches to the receiver.
    fn deliver(
        &mut self,
        caller: ThreadId<P>,
        receiver: ThreadId<P>,
        endpoint: EndpointId<P>,
        mut message: Message<P>,
    ) -> Result<(), KernelError> {
        let badge = message.badge;
        let (Some(caller_process), Some(server)) = (
            self.threads.get(caller).map(|thread| thread.process),
            self.threads.get(receiver).map(|thread| thread.process),
        ) else {
            self.drop_message(message);
            return Err(KernelError::InvalidArgument);
        };
        let reply = Reply {
            caller,
            caller_process,
            server,
            endpoint,
            badge,
            state: ReplyState::Pending,
            links: Links::default(),
        };
        let lease_infos: heapless::Vec<LeaseInfo, MAX_LEASES> = message
            .leases
            .iter()
            .map(|lease| LeaseInfo { length: lease.length, rights: lease.rights, reserved: 0 })
            .collect();
        let Ok(reply_id) = self.replies.insert(reply) else {
            // Neither side can go on: whichever of the two is blocked (the queued sender or
            // the waiting receiver) gets the error too, the current one returns it.
            self.drop_message(message);
            for blocked in [caller, receiver] {
                if self.current != Some(blocked) {
                    self.finish_blocked(blocked, Err(KernelError::OutOfMemory));
                }
            }
            return Err(KernelError::OutOfMemory);
        };
        let mut descriptor = ReceiveDescriptor {
            lease_count: lease_infos.len() as u32,
            ..ReceiveDescriptor::default()
        };
        descriptor.leases[..lease_infos.len()].copy_from_slice(&lease_infos);
        let extended = !lease_infos.is_empty() || !message.handles.is_empty();
        descriptor.handle_count =
            self.install_handles(server, &mut message.handles, &mut descriptor.handles);
        let received = Received {
            kind: ReceivedKind::Message,
            flags: if extended { RECEIVED_EXTENDED } else { 0 },
            label: message.label,
            words: message.words,
            badge,
            reply: reply_id.to_u32(),
            client: caller_process.to_u32(),
        };
        let descriptor_address =
            self.threads.get(receiver).map_or(0, |thread| thread.receive_descriptor);
        if extended && descriptor_address != 0 {
            let bytes = descriptor_bytes(&descriptor);
            // Checked writable before the message was taken; a failure here leaves the
            // registers (with the reply id) as the receiver's source of truth.
            let _ = self.write_user(server, descriptor_address, bytes);
        }
        self.finish_receive(receiver, received);
        if let Some(thread) = self.threads.get_mut(caller) {
            thread.state = ThreadState::AwaitingReply(reply_id);
            thread.outgoing = None;
            thread.leases = core::mem::take(&mut message.leases);
            thread.call_descriptor = message.descriptor;
        }
        self.block_current(caller);
        self.wake_direct(receiver);
        Ok(())
    }

    /// Installs carried handles into `process`, writing their new values; returns how many
    /// were installed (handles that do not fit are dropped).
    fn install_handles(
        &mut self,
        process: ProcessId<P>,
        handles: &mut heapless::Vec<CarriedHandle<P>, MAX_HANDLES>,
        values: &mut [Handle; MAX_HANDLES],
    ) -> u32 {
        let mut count = 0;
        for carried in core::mem::take(handles) {
            match self.insert_handle_owned(process, carried.object, carried.rights, carried.badge) {
                Ok(handle) => {
                    values[count] = handle;
                    count += 1;
                }
                Err(_) => self.release_object(carried.object, carried.rights),
            }
        }
        count as u32
    }

    /// Releases everything a message holds (carried handles).
    pub(crate) fn drop_message(&mut self, message: Message<P>) {
        for carried in message.handles {
            self.release_object(carried.object, carried.rights);
        }
    }

    /// Receives on `endpoint` for the current thread `receiver`: returns an event or a
    /// queued message, or blocks (with the deadline).
    pub(crate) fn receive(
        &mut self,
        receiver: ThreadId<P>,
        endpoint: EndpointId<P>,
        descriptor: u64,
        deadline: Option<u64>,
        poll: bool,
    ) -> Result<(), KernelError> {
        if descriptor != 0 && !self.descriptor_writable(receiver, descriptor) {
            return Err(KernelError::BadAddress);
        }
        if let Some(received) = self.take_event(endpoint) {
            self.finish_receive(receiver, received);
            return Ok(());
        }
        let sender =
            self.endpoints.get(endpoint).ok_or(KernelError::InvalidHandle)?.senders.front();
        if let Some(thread) = self.threads.get_mut(receiver) {
            thread.receive_descriptor = descriptor;
        }
        if let Some(sender) = sender {
            if let Some(target) = self.endpoints.get_mut(endpoint) {
                target.senders.remove(&mut self.threads, sender);
            }
            self.disarm_timeout(sender);
            let message = self
                .threads
                .get_mut(sender)
                .and_then(|thread| thread.outgoing.take())
                .unwrap_or_else(|| Message::simple(0, [0; MESSAGE_WORDS]));
            // The sender is already blocked and the receiver is the current thread, so
            // delivering now leaves both exactly where a direct call would.
            return self.deliver(sender, receiver, endpoint, message);
        }
        if poll {
            return Err(KernelError::Timeout);
        }
        if let Some(deadline) = deadline {
            self.reserve_timeout()?;
            self.arm_timeout(receiver, deadline);
        }
        if let Some(thread) = self.threads.get_mut(receiver) {
            thread.state = ThreadState::Receiving(endpoint);
        }
        if let Some(target) = self.endpoints.get_mut(endpoint) {
            target.receivers.push_back(&mut self.threads, receiver);
        }
        self.block_current(receiver);
        Ok(())
    }

    /// Takes the next event (cancel, death, notification) waiting on `endpoint`.
    fn take_event(&mut self, endpoint: EndpointId<P>) -> Option<Received> {
        let target = self.endpoints.get_mut(endpoint)?;
        if let Some(reply) = target.cancels.pop_front(&mut self.replies) {
            let entry = self.replies.get(reply)?;
            return Some(Received {
                kind: ReceivedKind::Cancel,
                flags: 0,
                label: 0,
                words: [0; MESSAGE_WORDS],
                badge: entry.badge,
                reply: reply.to_u32(),
                client: entry.caller_process.to_u32(),
            });
        }
        if let Some(watch) = target.deaths.pop_front(&mut self.watches) {
            let entry = self.watches.remove(watch)?;
            if let Some(owner) = self.processes.get_mut(entry.owner) {
                owner.watches.retain(|&owned| owned != watch);
            }
            let status = entry.fired.map_or(0, ExitStatus::to_word);
            return Some(Received {
                kind: ReceivedKind::Death,
                flags: 0,
                label: 0,
                words: [u64::from(entry.target.to_u32()), status, 0, 0],
                badge: entry.badge,
                reply: 0,
                client: entry.target.to_u32(),
            });
        }
        if let Some(reference) = target.releases.pop_front(&mut self.references) {
            let entry = self.references.remove(reference)?;
            return Some(Received {
                kind: ReceivedKind::Released,
                flags: 0,
                label: 0,
                words: [0; MESSAGE_WORDS],
                badge: entry.badge,
                reply: 0,
                client: 0,
            });
        }
        let notification = target.notification?;
        let bits = self
            .notifications
            .get_mut(notification)
            .map(|entry| core::mem::take(&mut entry.bits))?;
        (bits != 0).then_some(Received {
            kind: ReceivedKind::Notification,
            flags: 0,
            label: 0,
            words: [bits, 0, 0, 0],
            badge: 0,
            reply: 0,
            client: 0,
        })
    }

    /// Wakes a receiver waiting on `endpoint`, if any, with the next event.
    pub(crate) fn wake_receiver_with_event(&mut self, endpoint: EndpointId<P>) {
        let Some(receiver) =
            self.endpoints.get(endpoint).and_then(|target| target.receivers.front())
        else {
            return;
        };
        let Some(received) = self.take_event(endpoint) else {
            return;
        };
        self.dequeue_receiver(endpoint, receiver);
        self.finish_receive(receiver, received);
        self.make_ready(receiver);
    }

    /// Writes a receive's results into `receiver`'s registers.
    fn finish_receive(&mut self, receiver: ThreadId<P>, received: Received) {
        if let Some(thread) = self.threads.get_mut(receiver) {
            thread.context.set_syscall_result(0, received.to_slots());
            thread.state = ThreadState::Ready;
            thread.receive_descriptor = 0;
        }
    }

    /// Whether `thread`'s process can write a `ReceiveDescriptor` at `address`.
    fn descriptor_writable(&mut self, thread: ThreadId<P>, address: u64) -> bool {
        let Some(process) = self.threads.get(thread).map(|thread| thread.process) else {
            return false;
        };
        self.probe_user(process, address, size_of::<ReceiveDescriptor>() as u64, true)
    }

    // ----- replies -----------------------------------------------------------------------

    /// Looks up a reply `process` may answer.
    pub(crate) fn reply_of(
        &self,
        process: ProcessId<P>,
        reply: u32,
    ) -> Result<ReplyId<P>, KernelError> {
        let id = ReplyId::<P>::from_u32(reply);
        match self.replies.get(id) {
            Some(entry) if entry.server == process => Ok(id),
            _ => Err(KernelError::NoSuchReply),
        }
    }

    /// Answers `reply` with `message` (from the current process). The caller becomes
    /// ready; it is returned so the caller of this function can switch to it.
    pub(crate) fn answer(
        &mut self,
        reply: ReplyId<P>,
        mut message: Message<P>,
    ) -> Result<Option<ThreadId<P>>, KernelError> {
        let Some((endpoint, queued)) =
            self.replies.get_mut(reply).map(|entry| (entry.endpoint, entry.links.is_queued()))
        else {
            self.drop_message(message);
            return Err(KernelError::NoSuchReply);
        };
        if queued && let Some(target) = self.endpoints.get_mut(endpoint) {
            target.cancels.remove(&mut self.replies, reply);
        }
        let Some(entry) = self.replies.remove(reply) else {
            self.drop_message(message);
            return Err(KernelError::NoSuchReply);
        };
        if entry.state == ReplyState::CallerGone {
            self.drop_message(message);
            return Err(KernelError::NoSuchReply);
        }
        let caller = entry.caller;
        let descriptor = self.threads.get(caller).map_or(0, |thread| thread.call_descriptor);
        let mut values = [Handle::NONE; MAX_HANDLES];
        let count = if descriptor != 0 {
            self.install_handles(entry.caller_process, &mut message.handles, &mut values)
        } else {
            self.drop_message(Message {
                handles: core::mem::take(&mut message.handles),
                ..Message::simple(0, [0; 4])
            });
            0
        };
        if descriptor != 0 {
            let mut bytes = [0u8; 4 * MAX_HANDLES + 4];
            for (index, value) in values.iter().enumerate() {
                bytes[index * 4..index * 4 + 4].copy_from_slice(&value.0.to_le_bytes());
            }
            bytes[4 * MAX_HANDLES..].copy_from_slice(&count.to_le_bytes());
            let offset =
                core::mem::offset_of!(courier_abi::ipc::MessageDescriptor, received_handles) as u64;
            let _ = self.write_user(entry.caller_process, descriptor + offset, &bytes);
        }
        let Some(thread) = self.threads.get_mut(caller) else {
            return Ok(None);
        };
        thread.context.set_syscall_result(
            0,
            [
                u64::from(message.label),
                message.words[0],
                message.words[1],
                message.words[2],
                message.words[3],
                0,
                0,
            ],
        );
        self.disarm_timeout(caller);
        if let Some(thread) = self.threads.get_mut(caller) {
            thread.state = ThreadState::Ready;
            thread.leases.clear();
        }
        Ok(Some(caller))
    }

    /// Cancels `reply`'s call. The first cancel of a pending call queues a notice for the
    /// server; the reply stays until the server answers it (a gone caller's answer goes
    /// nowhere and the server gets `NoSuchReply`).
    pub(crate) fn cancel_reply(&mut self, reply: ReplyId<P>, caller_gone: bool) {
        let Some(entry) = self.replies.get_mut(reply) else {
            return;
        };
        let first_cancel = entry.state == ReplyState::Pending;
        if caller_gone {
            entry.state = ReplyState::CallerGone;
        } else if first_cancel {
            entry.state = ReplyState::Cancelled;
        }
        let endpoint = entry.endpoint;
        if first_cancel && self.processes.contains(entry.server) {
            if let Some(target) = self.endpoints.get_mut(endpoint) {
                target.cancels.push_back(&mut self.replies, reply);
            }
            self.wake_receiver_with_event(endpoint);
        }
    }

    // ----- leases ------------------------------------------------------------------------

    /// Copies between a lease of a call `process` holds and its own memory. `into_lease`
    /// selects the direction. Returns the bytes copied.
    pub(crate) fn lease_copy(
        &mut self,
        process: ProcessId<P>,
        access: LeaseAccess,
        into_lease: bool,
    ) -> Result<u64, KernelError> {
        let LeaseAccess { reply, lease: index, offset, buffer, length } = access;
        let reply = self.reply_of(process, reply)?;
        let entry = self.replies.get(reply).ok_or(KernelError::NoSuchReply)?;
        if entry.state == ReplyState::CallerGone {
            return Err(KernelError::NoSuchReply);
        }
        let lease = *self
            .threads
            .get(entry.caller)
            .ok_or(KernelError::NoSuchReply)?
            .leases
            .get(usize::try_from(index).map_err(|_| KernelError::LeaseViolation)?)
            .ok_or(KernelError::LeaseViolation)?;
        let client = entry.caller_process;
        let rights = if into_lease { LEASE_WRITE } else { LEASE_READ };
        let length = lease_window(&lease, rights, offset, length)?;
        let lease_address = lease.address + offset;
        if into_lease {
            self.copy_between(process, buffer, client, lease_address, length)?;
        } else {
            self.copy_between(client, lease_address, process, buffer, length)?;
        }
        Ok(length)
    }

    // ----- notifications -----------------------------------------------------------------

    /// ORs `bits` into a notification, waking a waiter or the bound endpoint's receiver.
    pub(crate) fn signal(&mut self, notification: NotificationId<P>, bits: u64) {
        let Some(entry) = self.notifications.get_mut(notification) else {
            return;
        };
        entry.bits |= bits;
        if let Some(waiter) = entry.waiters.pop_front(&mut self.threads) {
            let bits = core::mem::take(&mut entry.bits);
            self.disarm_timeout(waiter);
            if let Some(thread) = self.threads.get_mut(waiter) {
                thread.context.set_syscall_result(0, [bits, 0, 0, 0, 0, 0, 0]);
                thread.state = ThreadState::Ready;
            }
            self.make_ready(waiter);
        } else if let Some(endpoint) = entry.endpoint {
            self.wake_receiver_with_event(endpoint);
        }
    }

    /// Waits on a notification for the current thread.
    pub(crate) fn wait_notification(
        &mut self,
        thread: ThreadId<P>,
        notification: NotificationId<P>,
        deadline: Option<u64>,
        poll: bool,
    ) -> Result<Option<u64>, KernelError> {
        let entry = self.notifications.get_mut(notification).ok_or(KernelError::InvalidHandle)?;
        if entry.bits != 0 {
            return Ok(Some(core::mem::take(&mut entry.bits)));
        }
        if poll {
            return Err(KernelError::Timeout);
        }
        if let Some(deadline) = deadline {
            self.reserve_timeout()?;
            self.arm_timeout(thread, deadline);
        }
        if let Some(entry) = self.notifications.get_mut(notification) {
            entry.waiters.push_back(&mut self.threads, thread);
        }
        if let Some(waiter) = self.threads.get_mut(thread) {
            waiter.state = ThreadState::WaitingNotification(notification);
        }
        self.block_current(thread);
        Ok(None)
    }

    // ----- death watches -----------------------------------------------------------------

    /// Registers a death watch of `target` through `endpoint`, owned by `owner`.
    pub(crate) fn watch_death(
        &mut self,
        owner: ProcessId<P>,
        endpoint: EndpointId<P>,
        target: ProcessId<P>,
        badge: u64,
    ) -> Result<WatchId<P>, KernelError> {
        if !self.processes.contains(target) {
            return Err(KernelError::NoSuchProcess);
        }
        self.processes
            .get_mut(owner)
            .ok_or(KernelError::InvalidArgument)?
            .watches
            .try_reserve(1)
            .map_err(|_| KernelError::OutOfMemory)?;
        self.processes
            .get_mut(target)
            .ok_or(KernelError::NoSuchProcess)?
            .watched_by
            .try_reserve(1)
            .map_err(|_| KernelError::OutOfMemory)?;
        let watch = self
            .watches
            .insert(DeathWatch {
                endpoint,
                target,
                badge,
                owner,
                fired: None,
                links: Links::default(),
            })
            .map_err(|_| KernelError::LimitReached)?;
        if let Some(process) = self.processes.get_mut(owner) {
            process.watches.push(watch);
        }
        if let Some(process) = self.processes.get_mut(target) {
            process.watched_by.push(watch);
        }
        Ok(watch)
    }

    /// Removes a watch (unwatched, or its owner died).
    pub(crate) fn remove_watch(&mut self, watch: WatchId<P>) {
        let Some(entry) = self.watches.get(watch) else {
            return;
        };
        let (endpoint, target, owner) = (entry.endpoint, entry.target, entry.owner);
        if let Some(queue) = self.endpoints.get_mut(endpoint) {
            queue.deaths.remove(&mut self.watches, watch);
        }
        if let Some(process) = self.processes.get_mut(target) {
            process.watched_by.retain(|&id| id != watch);
        }
        if let Some(process) = self.processes.get_mut(owner) {
            process.watches.retain(|&id| id != watch);
        }
        self.watches.remove(watch);
    }

    /// Fires every watch of a process that just died.
    pub(crate) fn fire_watches(&mut self, watches: &[WatchId<P>], status: ExitStatus) {
        for &watch in watches {
            let Some(entry) = self.watches.get_mut(watch) else {
                continue;
            };
            entry.fired = Some(status);
            let endpoint = entry.endpoint;
            match self.endpoints.get_mut(endpoint) {
                Some(queue) => {
                    queue.deaths.push_back(&mut self.watches, watch);
                    self.wake_receiver_with_event(endpoint);
                }
                None => self.remove_watch(watch),
            }
        }
    }
}

/// The bytes of a receive descriptor as user space lays it out.
fn descriptor_bytes(descriptor: &ReceiveDescriptor) -> &[u8] {
    // SAFETY: `ReceiveDescriptor` is `repr(C)` with only integer fields and no padding
    // (checked by the ABI crate's layout test), so viewing it as bytes is sound.
    unsafe {
        core::slice::from_raw_parts(
            core::ptr::from_ref(descriptor).cast::<u8>(),
            size_of::<ReceiveDescriptor>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn leases_are_checked() {
        let good = Lease { address: 0x40_0000, length: 100, rights: LEASE_READ, reserved: 0 };
        assert_eq!(check_lease(&good), Ok(()));
        assert_eq!(check_lease(&Lease { rights: 4, ..good }), Err(KernelError::InvalidArgument));
        assert_eq!(check_lease(&Lease { address: 0, ..good }), Err(KernelError::InvalidArgument));
        assert_eq!(
            check_lease(&Lease { address: 0xffff_ffff_8000_0000, ..good }),
            Err(KernelError::InvalidArgument)
        );
        assert_eq!(
            check_lease(&Lease { length: u64::MAX, ..good }),
            Err(KernelError::InvalidArgument)
        );
        assert_eq!(lease_window(&good, LEASE_READ, 90, 50), Ok(10));
        assert_eq!(lease_window(&good, LEASE_READ, 100, 50), Ok(0));
        assert_eq!(lease_window(&good, LEASE_READ, 101, 1), Err(KernelError::LeaseViolation));
        assert_eq!(lease_window(&good, LEASE_WRITE, 0, 1), Err(KernelError::LeaseViolation));
    }

    proptest! {
        /// A lease window never reaches past the lease, whatever the request.
        #[test]
        fn windows_stay_inside_the_lease(length in 0u64..1 << 40, offset in any::<u64>(), request in any::<u64>(), rights in 0u32..4) {
            let lease = Lease { address: 0x1000, length, rights, reserved: 0 };
            if let Ok(count) = lease_window(&lease, LEASE_READ, offset, request) {
                prop_assert!(rights & LEASE_READ != 0);
                prop_assert!(offset <= length);
                prop_assert!(offset + count <= length);
                prop_assert!(count <= request);
            }
        }
    }
}
