//! Threads: saved registers, scheduling state and what a blocked thread waits for.

use courier_abi::ipc::{Lease, MAX_LEASES};
use courier_abi::process::{MAX_PENDING_UPCALLS, UpcallInfo};

use super::ipc::{EndpointId, Message, NotificationId, ReplyId};
use super::platform::{Platform, UserSpace};
use super::process::ProcessId;
use crate::object::arena::Id;
use crate::object::queue::{Linked, Links};

/// A thread's name inside the kernel.
pub type ThreadId<P> = Id<Thread<P>>;

/// What a thread is doing.
pub enum ThreadState<P: Platform> {
    /// Runnable: on a run queue, or the current thread.
    Ready,
    /// In `Call`, queued on an endpoint until a receiver takes the message.
    Sending(EndpointId<P>),
    /// In `Call`, its message received, waiting for the reply.
    AwaitingReply(ReplyId<P>),
    /// In `Receive`, queued on an endpoint.
    Receiving(EndpointId<P>),
    /// In `NotificationWait`.
    WaitingNotification(NotificationId<P>),
    /// In `Sleep`.
    Sleeping,
}

impl<P: Platform> Clone for ThreadState<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Platform> Copy for ThreadState<P> {}

impl<P: Platform> PartialEq for ThreadState<P> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ThreadState::Ready, ThreadState::Ready)
            | (ThreadState::Sleeping, ThreadState::Sleeping) => true,
            (ThreadState::Sending(a), ThreadState::Sending(b))
            | (ThreadState::Receiving(a), ThreadState::Receiving(b)) => a == b,
            (ThreadState::AwaitingReply(a), ThreadState::AwaitingReply(b)) => a == b,
            (ThreadState::WaitingNotification(a), ThreadState::WaitingNotification(b)) => a == b,
            _ => false,
        }
    }
}

impl<P: Platform> core::fmt::Debug for ThreadState<P> {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ThreadState::Ready => formatter.write_str("Ready"),
            ThreadState::Sending(id) => write!(formatter, "Sending({id})"),
            ThreadState::AwaitingReply(id) => write!(formatter, "AwaitingReply({id})"),
            ThreadState::Receiving(id) => write!(formatter, "Receiving({id})"),
            ThreadState::WaitingNotification(id) => write!(formatter, "WaitingNotification({id})"),
            ThreadState::Sleeping => formatter.write_str("Sleeping"),
        }
    }
}

/// One thread.
pub struct Thread<P: Platform> {
    /// Saved user registers.
    pub context: P::Context,
    /// Its process's address-space switch token.
    pub space: <P::Space as UserSpace>::Token,
    /// Its process.
    pub process: ProcessId<P>,
    /// Its priority.
    pub priority: u8,
    /// What it is doing.
    pub state: ThreadState<P>,
    /// Run-queue or endpoint-queue links.
    pub links: Links<Thread<P>>,
    /// Timer ticks left in its time slice.
    pub slice_left: u32,
    /// When its timeout expires, if it waits with one (nanoseconds).
    pub deadline: Option<u64>,
    /// The message of a call not yet received (`Sending`).
    pub outgoing: Option<Message<P>>,
    /// Where to write receive details (`Receiving`): a `ReceiveDescriptor` address or 0.
    pub receive_descriptor: u64,
    /// Upcalls posted and not delivered yet.
    pub upcalls: heapless::Vec<UpcallInfo, MAX_PENDING_UPCALLS>,
    /// System calls it made (added to its process's count when it ends).
    pub system_calls: u64,
    /// The leases of the call this thread is waiting on (kept here rather than in the
    /// reply, which stays small: the caller lives as long as its call can be served).
    pub leases: heapless::Vec<Lease, MAX_LEASES>,
    /// The `CallWith` descriptor of that call (where handles in the answer are reported),
    /// or 0.
    pub call_descriptor: u64,
}

impl<P: Platform> Linked for Thread<P> {
    fn links(&mut self) -> &mut Links<Self> {
        &mut self.links
    }
}

impl<P: Platform> Thread<P> {
    /// A ready thread of `process` with `context`.
    pub fn new(
        process: ProcessId<P>,
        space: <P::Space as UserSpace>::Token,
        context: P::Context,
        priority: u8,
    ) -> Self {
        Thread {
            context,
            space,
            process,
            priority,
            state: ThreadState::Ready,
            links: Links::default(),
            slice_left: 0,
            deadline: None,
            outgoing: None,
            receive_descriptor: 0,
            upcalls: heapless::Vec::new(),
            system_calls: 0,
            leases: heapless::Vec::new(),
            call_descriptor: 0,
        }
    }
}
