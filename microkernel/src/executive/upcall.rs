//! Upcalls: the kernel's signal mechanism.
//!
//! A holder of a process's control handle (or a thread's) posts an upcall with a few
//! info words. The target thread stops whatever it waits for: a call still queued for a
//! receiver returns `Interrupted`; a call its server holds stays, and the server gets a
//! cancel notice and decides the reply; a receive, notification wait or sleep returns
//! `Interrupted`. When the thread next returns to user mode, the kernel saves its whole
//! context (general and floating-point registers) in a frame on its stack and diverts it
//! to the process's upcall entry; `UpcallReturn` with that frame restores the context
//! exactly, after checking it cannot raise privilege.

use courier_abi::KernelError;
use courier_abi::process::{
    ExitStatus, UPCALL_INTERRUPTED_CALL, UPCALL_INTERRUPTED_WAIT, UPCALL_RUNNING, UPCALL_WORDS,
    UpcallInfo,
};

use super::Kernel;
use super::platform::{MAX_SAVED_CONTEXT, Platform, ThreadContext};
use super::thread::{ThreadId, ThreadState};

/// Bytes of an [`UpcallInfo`] in a frame.
const INFO_SIZE: usize = size_of::<UpcallInfo>();

fn info_bytes(info: &UpcallInfo) -> [u8; INFO_SIZE] {
    let mut bytes = [0u8; INFO_SIZE];
    for (index, word) in info.words.iter().enumerate() {
        bytes[index * 8..index * 8 + 8].copy_from_slice(&word.to_le_bytes());
    }
    bytes[32..36].copy_from_slice(&info.sender.to_le_bytes());
    bytes[36..40].copy_from_slice(&info.interrupted.to_le_bytes());
    bytes
}

impl<P: Platform> Kernel<P> {
    /// Posts an upcall to `thread` from `sender` (a client id).
    pub(crate) fn post_upcall(
        &mut self,
        thread: ThreadId<P>,
        words: [u64; UPCALL_WORDS],
        sender: u32,
    ) -> Result<(), KernelError> {
        let process = self.threads.get(thread).ok_or(KernelError::NoSuchProcess)?.process;
        if self.processes.get(process).is_none_or(|entry| entry.upcall_entry == 0) {
            return Err(KernelError::InvalidArgument);
        }
        let interrupted = match self.threads.get(thread).map(|entry| entry.state) {
            Some(ThreadState::AwaitingReply(_) | ThreadState::Sending(_)) => {
                UPCALL_INTERRUPTED_CALL
            }
            Some(ThreadState::Ready) | None => UPCALL_RUNNING,
            Some(_) => UPCALL_INTERRUPTED_WAIT,
        };
        let entry = self.threads.get_mut(thread).ok_or(KernelError::NoSuchProcess)?;
        entry
            .upcalls
            .push(UpcallInfo { words, sender, interrupted })
            .map_err(|_| KernelError::WouldBlock)?;
        self.interrupt(thread);
        Ok(())
    }

    /// Stops `thread`'s wait because of an upcall.
    fn interrupt(&mut self, thread: ThreadId<P>) {
        if self.abort_queued_wait(thread, KernelError::Interrupted) {
            return;
        }
        let Some(entry) = self.threads.get(thread) else { return };
        match entry.state {
            ThreadState::AwaitingReply(reply) => self.cancel_reply(reply, false),
            ThreadState::Sleeping => {
                let left = entry
                    .deadline
                    .map_or(0, |deadline| deadline.saturating_sub(self.platform.now()));
                self.disarm_timeout(thread);
                if let Some(entry) = self.threads.get_mut(thread) {
                    entry.context.set_syscall_result(
                        KernelError::Interrupted.code(),
                        [left, 0, 0, 0, 0, 0, 0],
                    );
                }
                self.make_ready(thread);
            }
            _ => {}
        }
    }

    /// Diverts `thread` (about to run) to its process's upcall entry if an upcall is
    /// pending. A stack the frame cannot be written to ends the process (as Linux does
    /// with a signal it cannot deliver: SIGSEGV).
    pub(crate) fn deliver_upcall(&mut self, thread: ThreadId<P>) {
        let Some(entry) = self.threads.get(thread) else { return };
        if entry.upcalls.is_empty() || entry.state != ThreadState::Ready {
            return;
        }
        let process = entry.process;
        let upcall_entry = self.processes.get(process).map_or(0, |entry| entry.upcall_entry);
        let Some(entry) = self.threads.get_mut(thread) else { return };
        if entry.upcalls.is_empty() {
            return;
        }
        // Oldest first; at most MAX_PENDING_UPCALLS are queued, so shifting is cheap.
        let info = entry.upcalls.remove(0);
        if upcall_entry == 0 {
            entry.upcalls.clear();
            return;
        }
        self.platform.flush_floating_point(&mut entry.context);
        let mut saved = [0u8; MAX_SAVED_CONTEXT];
        let saved_size = P::Context::SAVED_SIZE.min(MAX_SAVED_CONTEXT);
        entry.context.save(&mut saved[..saved_size]);
        let frame_size = (saved_size + INFO_SIZE).next_multiple_of(16) as u64;
        let stack = entry.context.stack_pointer();
        let frame =
            stack.checked_sub(P::Context::STACK_RED_ZONE + frame_size).map(|address| address & !15);
        let written = frame.is_some_and(|frame| {
            self.write_user(process, frame, &saved[..saved_size]).is_ok()
                && self.write_user(process, frame + saved_size as u64, &info_bytes(&info)).is_ok()
        });
        match (written, frame) {
            (true, Some(frame)) => {
                if let Some(entry) = self.threads.get_mut(thread) {
                    entry.context.divert(upcall_entry, frame, [frame + saved_size as u64, frame]);
                }
            }
            _ => self.destroy_process(process, ExitStatus::Killed(11), true),
        }
    }

    /// Restores the context saved in the upcall frame at `frame` into `thread`.
    pub(crate) fn upcall_return(
        &mut self,
        thread: ThreadId<P>,
        frame: u64,
    ) -> Result<(), KernelError> {
        let process = self.threads.get(thread).ok_or(KernelError::NoSuchProcess)?.process;
        let size = P::Context::SAVED_SIZE.min(MAX_SAVED_CONTEXT);
        let mut saved = [0u8; MAX_SAVED_CONTEXT];
        self.read_user(process, frame, &mut saved[..size])?;
        let entry = self.threads.get_mut(thread).ok_or(KernelError::NoSuchProcess)?;
        entry.context.restore(&saved[..size])?;
        self.platform.forget_floating_point(&entry.context);
        Ok(())
    }
}
