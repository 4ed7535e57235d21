//! The IPC fast paths: `Call` to a receiver that is already waiting, and `ReplyReceive`
//! that answers a waiting caller and finds nothing to receive, each done in one pass
//! without building a [`super::ipc::Message`].
//!
//! These are the two halves of every client–server round trip, so they decide IPC cost
//! (as seL4's fastpath does). They take only the plain case: a register-only message, the
//! partner already blocked for it, no descriptor to write, nothing pending on the
//! endpoint, and a partner whose priority lets it run at once. Anything else returns
//! `false` before changing any state, and the general code in `ipc.rs` handles the call.
//! The outcome is the same either way; `tests.rs` runs random IPC programs with the fast
//! paths on and off and compares every register and scheduling decision.

use courier_abi::ipc::{Received, ReceivedKind};
use courier_abi::{Handle, Rights, Syscall};

use super::ipc::{EndpointId, Reply, ReplyId, ReplyState};
use super::platform::{Platform, ThreadContext};
use super::process::ProcessId;
use super::thread::{ThreadId, ThreadState};
use super::{Kernel, ObjectRef};
use crate::object::queue::Links;

impl<P: Platform> Kernel<P> {
    /// Handles system call `number` of the current thread `thread` (of `process`) with
    /// arguments `a` on a fast path if it qualifies; `false` means nothing was done.
    pub(crate) fn try_fast_path(
        &mut self,
        thread: ThreadId<P>,
        process: ProcessId<P>,
        number: usize,
        a: &[u64; 8],
    ) -> bool {
        if !self.fast_paths {
            return false;
        }
        if number == Syscall::Call.number() {
            self.fast_call(thread, process, a)
        } else if number == Syscall::ReplyReceive.number() {
            self.fast_reply_receive(thread, process, a)
        } else {
            false
        }
    }

    /// The endpoint behind `handle` of `process` if the handle carries `rights`, with the
    /// handle's badge.
    fn fast_endpoint(
        &self,
        process: ProcessId<P>,
        handle: u64,
        rights: Rights,
    ) -> Option<(EndpointId<P>, u64)> {
        let entry = self.processes.get(process)?.handles.get(Handle(handle as u32))?;
        if !entry.rights.contains(rights) {
            return None;
        }
        match entry.object {
            ObjectRef::Endpoint(endpoint) => Some((endpoint, entry.badge)),
            ObjectRef::Reference(reference) if rights == Rights::SEND => {
                self.references.get(reference).map(|entry| (entry.endpoint, entry.badge))
            }
            _ => None,
        }
    }

    /// `Call(endpoint, label, w0..w3)` when a receiver is waiting.
    fn fast_call(&mut self, caller: ThreadId<P>, process: ProcessId<P>, a: &[u64; 8]) -> bool {
        let Some((endpoint, badge)) = self.fast_endpoint(process, a[0], Rights::SEND) else {
            return false;
        };
        let Some(target) = self.endpoints.get_mut(endpoint) else { return false };
        let Some(receiver) = target.receivers.front() else { return false };
        if target.receive_handles == 0 || target.receivers.len() != 1 || receiver == caller {
            return false;
        }
        let Some(receiver_entry) = self.threads.get_mut(receiver) else { return false };
        // The caller blocks, so the receiver need only outrank what is ready.
        if self.run_queues.highest().is_some_and(|ready| receiver_entry.priority < ready) {
            return false;
        }
        let reply = Reply {
            caller,
            caller_process: process,
            server: receiver_entry.process,
            endpoint,
            badge,
            state: ReplyState::Pending,
            links: Links::default(),
        };
        let Ok(reply) = self.replies.insert(reply) else { return false };
        if !target.receivers.take_only(receiver, &mut receiver_entry.links) {
            // The queue holds exactly this receiver (checked above); if its links
            // disagreed, undo and let the general code sort it out.
            self.replies.discard(reply);
            return false;
        }
        let received = Received {
            kind: ReceivedKind::Message,
            flags: 0,
            label: a[1] as u32,
            words: [a[2], a[3], a[4], a[5]],
            badge,
            reply: reply.to_u32(),
            client: process.to_u32(),
        };
        receiver_entry.context.set_syscall_result(0, received.to_slots());
        receiver_entry.state = ThreadState::Ready;
        receiver_entry.receive_descriptor = 0;
        receiver_entry.deadline = None;
        let switch = receiver_entry
            .upcalls
            .is_empty()
            .then_some((receiver_entry.process, receiver_entry.space));
        let context = core::ptr::from_mut(&mut receiver_entry.context);
        if let Some(entry) = self.threads.get_mut(caller) {
            entry.state = ThreadState::AwaitingReply(reply);
            entry.call_descriptor = 0;
            entry.leases.clear();
        }
        self.current = Some(receiver);
        self.statistics.thread_switches += 1;
        if let Some((process, space)) = switch {
            self.prepare_direct_switch(process, space, context);
        }
        true
    }

    /// `ReplyReceive(reply, label, w0..w3, endpoint, 0)` when the reply's caller is
    /// waiting and nothing is queued on the endpoint: the server blocks receiving and the
    /// caller runs with the answer.
    fn fast_reply_receive(
        &mut self,
        server: ThreadId<P>,
        process: ProcessId<P>,
        a: &[u64; 8],
    ) -> bool {
        if a[0] == 0 || a[7] != 0 {
            return false;
        }
        let Some((endpoint, _)) = self.fast_endpoint(process, a[6], Rights::RECEIVE) else {
            return false;
        };
        let reply = ReplyId::<P>::from_u32(a[0] as u32);
        let Some(entry) = self.replies.get(reply) else { return false };
        if entry.server != process || entry.state != ReplyState::Pending || entry.links.is_queued()
        {
            return false;
        }
        let caller = entry.caller;
        let Some(target) = self.endpoints.get_mut(endpoint) else { return false };
        let nothing_pending = target.senders.is_empty()
            && target.receivers.is_empty()
            && target.cancels.is_empty()
            && target.deaths.is_empty()
            && target.notification.is_none_or(|notification| {
                self.notifications.get(notification).is_none_or(|entry| entry.bits == 0)
            });
        if !nothing_pending || caller == server {
            return false;
        }
        let Some(caller_entry) = self.threads.get(caller) else { return false };
        let waiting = matches!(caller_entry.state, ThreadState::AwaitingReply(id) if id == reply);
        if !waiting
            || caller_entry.call_descriptor != 0
            || self.run_queues.highest().is_some_and(|ready| caller_entry.priority < ready)
        {
            return false;
        }
        let Some(server_entry) = self.threads.get_mut(server) else { return false };
        if !target.receivers.push_into_empty(server, &mut server_entry.links) {
            return false;
        }
        server_entry.state = ThreadState::Receiving(endpoint);
        server_entry.receive_descriptor = 0;
        let mut switch = None;
        if let Some(caller_entry) = self.threads.get_mut(caller) {
            let label = u64::from(a[1] as u32);
            caller_entry.context.set_syscall_result(0, [label, a[2], a[3], a[4], a[5], 0, 0]);
            caller_entry.state = ThreadState::Ready;
            caller_entry.deadline = None;
            caller_entry.leases.clear();
            if caller_entry.upcalls.is_empty() {
                let context = core::ptr::from_mut(&mut caller_entry.context);
                switch = Some((caller_entry.process, caller_entry.space, context));
            }
        }
        self.replies.discard(reply);
        self.current = Some(caller);
        self.statistics.thread_switches += 1;
        if let Some((process, space, context)) = switch {
            self.prepare_direct_switch(process, space, context);
        }
        true
    }
}
