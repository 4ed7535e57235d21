//! The pipe server's state: every end, pipe and FIFO, and the calls that wait.
//!
//! Ends, pipes and FIFOs live in maps keyed by ids from counters that never go back, so
//! an id is never reused. Each pipe keeps its readers, writers and opens that wait in three
//! queues in arrival order, and counts its ends the way Linux's `pipe_inode_info` does:
//! `readers` and `writers` (an end opened for both counts in each, an end still waiting
//! in its FIFO open counts too) and `ends` (Linux's `files`), which frees the pipe when it
//! reaches 0. The pages of every pipe's slots come from, and go back to, one
//! [`PagePool`] of the server.
//!
//! After every change to a pipe, [`Pipe::settle`] serves its waiters until nothing moves;
//! at rest, waiting readers mean an empty buffer with a writer present, and waiting
//! writers mean no free slot with a reader present (both at once cannot be, since a pipe
//! has at least one slot). Ends whose last reference went while calls through them
//! waited are closed once those calls are over ([`PipeServer::finish_closing`]); closing
//! an end only ever answers end of file or a broken pipe, which needs no lease.
//!
//! A read or write looks its end up once and its pipe once; serving waiters looks up only
//! the ends of the calls it answers.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::io::{O_APPEND, O_CLOEXEC, O_NONBLOCK};

use crate::ring::{PagePool, Ring};
use crate::{
    Access, Answer, DEFAULT_CAPACITY, EndId, FifoId, Leases, MAX_CAPACITY, Outcome, SLOT_SIZE,
};

/// Internal name of a pipe (never shown to clients).
type PipeId = u64;

/// Largest `F_SETPIPE_SZ` argument Linux's `round_pipe_size` accepts.
const LARGEST_SIZE_ARGUMENT: u32 = 1 << 31;

/// Where an end is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndState {
    /// Its FIFO open waits for the other side; nobody knows its id yet.
    Opening,
    /// Open and usable.
    Open,
    /// Its last reference is gone, but calls through it still wait.
    Closing,
}

/// An open file description of one end.
#[derive(Debug)]
struct End {
    pipe: PipeId,
    access: Access,
    nonblocking: bool,
    append: bool,
    state: EndState,
    /// Reads and writes through this end that wait.
    waiting_calls: usize,
}

/// Every end, and the closing ends that may go.
#[derive(Debug)]
struct Ends {
    by_id: BTreeMap<EndId, End>,
    /// Ends in [`EndState::Closing`] whose last waiting call is over, in the order their
    /// calls ended: close them.
    to_close: VecDeque<EndId>,
}

impl Ends {
    /// An end calls may go through.
    fn open(&self, end: EndId) -> Option<&End> {
        self.by_id.get(&end).filter(|end| end.state == EndState::Open)
    }

    /// An end calls may go through, to change.
    fn open_mut(&mut self, end: EndId) -> Option<&mut End> {
        self.by_id.get_mut(&end).filter(|end| end.state == EndState::Open)
    }

    fn mark_open(&mut self, end: EndId) {
        if let Some(end) = self.by_id.get_mut(&end) {
            end.state = EndState::Open;
        }
    }

    /// Whether calls through the end are non-blocking now.
    fn nonblocking(&self, end: EndId) -> bool {
        self.by_id.get(&end).is_some_and(|end| end.nonblocking)
    }

    /// A read or write through `end` is over; a closing end with no more waiting calls is
    /// queued for closing.
    fn note_answered(&mut self, end: EndId) {
        if let Some(description) = self.by_id.get_mut(&end) {
            description.waiting_calls -= 1;
            if description.waiting_calls == 0 && description.state == EndState::Closing {
                self.to_close.push_back(end);
            }
        }
    }
}

#[derive(Debug)]
struct WaitingRead<W> {
    waiter: W,
    end: EndId,
    length: usize,
}

#[derive(Debug)]
struct WaitingWrite<W> {
    waiter: W,
    end: EndId,
    length: usize,
    /// Bytes already in the pipe.
    moved: usize,
}

#[derive(Debug)]
struct WaitingOpen<W> {
    waiter: W,
    end: EndId,
    access: Access,
}

#[derive(Debug)]
struct Pipe<W> {
    ring: Ring,
    /// Ends that may read, open or opening (Linux's `readers`).
    readers: usize,
    /// Ends that may write, open or opening (Linux's `writers`).
    writers: usize,
    /// Every end, open, opening or closing (Linux's `files`).
    ends: usize,
    reads: VecDeque<WaitingRead<W>>,
    writes: VecDeque<WaitingWrite<W>>,
    opens: VecDeque<WaitingOpen<W>>,
    /// The FIFO node whose pipe this is, while the node exists.
    fifo: Option<FifoId>,
}

impl<W> Pipe<W> {
    fn new(fifo: Option<FifoId>) -> Pipe<W> {
        Pipe {
            ring: Ring::new(DEFAULT_CAPACITY / SLOT_SIZE),
            readers: 0,
            writers: 0,
            ends: 0,
            reads: VecDeque::new(),
            writes: VecDeque::new(),
            opens: VecDeque::new(),
            fifo,
        }
    }

    fn add_end(&mut self, access: Access) {
        self.ends += 1;
        self.readers += usize::from(access.reads());
        self.writers += usize::from(access.writes());
    }

    fn remove_end(&mut self, access: Access) {
        self.ends -= 1;
        self.readers -= usize::from(access.reads());
        self.writers -= usize::from(access.writes());
    }

    /// Serves the waiters until nothing moves: readers first (each takes what is buffered,
    /// up to its length), then writers (the oldest fills the free slots; it is answered
    /// when done, or when its end became non-blocking and it moved bytes), repeated while
    /// either made progress. A lease that fails answers its waiter (a reader the error, a
    /// writer its count so far or the error) and leaves the buffer as it was.
    fn settle(
        &mut self,
        ends: &mut Ends,
        pages: &mut PagePool,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) {
        loop {
            let mut progress = false;
            while let Some(read) = self.reads.front() {
                let result = if !self.ring.is_empty() {
                    let give =
                        |offset: usize, bytes: &[u8]| give_all(leases, &read.waiter, offset, bytes);
                    let result = self.ring.drain(read.length, pages, give);
                    progress |= result.is_ok();
                    result.map(count)
                } else if self.writers == 0 {
                    Ok(0)
                } else {
                    break;
                };
                let Some(read) = self.reads.pop_front() else { break };
                answers.push(Answer { waiter: read.waiter, result });
                ends.note_answered(read.end);
            }
            while let Some(write) = self.writes.front_mut() {
                let result = if self.readers == 0 {
                    Some(if write.moved > 0 { Ok(count(write.moved)) } else { Err(Errno::Epipe) })
                } else {
                    let placement = self.ring.place(write.length - write.moved, false);
                    if placement.paged == 0 {
                        break;
                    }
                    let moved = write.moved;
                    let take = |offset: usize, into: &mut [u8]| {
                        take_all(leases, &write.waiter, moved + offset, into)
                    };
                    match self.ring.fill(placement, pages, take) {
                        Ok(()) => {
                            write.moved += placement.paged;
                            progress = true;
                            if write.moved == write.length || ends.nonblocking(write.end) {
                                Some(Ok(count(write.moved)))
                            } else {
                                None
                            }
                        }
                        Err(error) => {
                            Some(if write.moved > 0 { Ok(count(write.moved)) } else { Err(error) })
                        }
                    }
                };
                let Some(result) = result else { break };
                let Some(write) = self.writes.pop_front() else { break };
                answers.push(Answer { waiter: write.waiter, result });
                ends.note_answered(write.end);
            }
            if !progress {
                break;
            }
        }
    }
}

/// A FIFO node's link to its pipe.
#[derive(Debug)]
struct Fifo {
    /// The pipe, while any end of it is open.
    pipe: Option<PipeId>,
}

/// The pipe server's state.
#[derive(Debug)]
pub struct PipeServer<W> {
    ends: Ends,
    pipes: BTreeMap<PipeId, Pipe<W>>,
    fifos: BTreeMap<FifoId, Fifo>,
    /// Spare pages for the slots of every pipe.
    pages: PagePool,
    last_end: EndId,
    last_pipe: PipeId,
    last_fifo: FifoId,
}

impl<W: Clone + PartialEq> Default for PipeServer<W> {
    fn default() -> Self {
        PipeServer::new()
    }
}

impl<W: Clone + PartialEq> PipeServer<W> {
    /// A server with no pipes.
    pub fn new() -> Self {
        PipeServer {
            ends: Ends { by_id: BTreeMap::new(), to_close: VecDeque::new() },
            pipes: BTreeMap::new(),
            fifos: BTreeMap::new(),
            pages: PagePool::new(),
            last_end: 0,
            last_pipe: 0,
            last_fifo: 0,
        }
    }

    /// `pipe2(flags)`: a new pipe; returns (read end, write end). `O_NONBLOCK` applies to
    /// both ends; `O_CLOEXEC` is ignored (the client keeps it).
    ///
    /// # Errors
    ///
    /// `EINVAL` for any other flag.
    pub fn create_pipe(&mut self, flags: u64) -> Result<(EndId, EndId), Errno> {
        if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
            return Err(Errno::Einval);
        }
        let nonblocking = flags & O_NONBLOCK != 0;
        let pipe = self.new_pipe(None);
        let read = self.new_end(pipe, Access::Read, nonblocking, EndState::Open);
        let write = self.new_end(pipe, Access::Write, nonblocking, EndState::Open);
        Ok((read, write))
    }

    /// `read(end, buffer, length)`, the buffer reached through `leases` as `waiter`'s.
    /// `Done` with the count (0 at end of file) or an error (`EBADF`, `EAGAIN`, or a
    /// lease's error), or `Blocked`.
    ///
    /// The bytes are given to the buffer straight from the pipe's slots, one lease copy
    /// per slot they span; they leave the pipe only if every copy succeeded.
    pub fn read(
        &mut self,
        end: EndId,
        waiter: W,
        length: usize,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) -> Outcome {
        let Self { ends, pipes, pages, .. } = self;
        let Some(description) = ends.open_mut(end) else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if !description.access.reads() {
            return Outcome::Done(Err(Errno::Ebadf));
        }
        if length == 0 {
            return Outcome::Done(Ok(0));
        }
        let Some(pipe) = pipes.get_mut(&description.pipe) else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if !pipe.ring.is_empty() {
            let give = |offset: usize, bytes: &[u8]| give_all(leases, &waiter, offset, bytes);
            let given = match pipe.ring.drain(length, pages, give) {
                Ok(given) => given,
                Err(error) => return Outcome::Done(Err(error)),
            };
            pipe.settle(ends, pages, leases, answers);
            self.finish_closing(answers);
            return Outcome::Done(Ok(count(given)));
        }
        if pipe.writers == 0 {
            return Outcome::Done(Ok(0));
        }
        if description.nonblocking {
            return Outcome::Done(Err(Errno::Eagain));
        }
        pipe.reads.push_back(WaitingRead { waiter, end, length });
        description.waiting_calls += 1;
        Outcome::Blocked
    }

    /// `write(end, buffer, length)`, the buffer reached through `leases` as `waiter`'s.
    /// `Done` with the count or an error (`EBADF`, `EPIPE`, `EAGAIN`, or a lease's error),
    /// or `Blocked`.
    ///
    /// The bytes are taken from the buffer straight into the pipe's slots, one lease copy
    /// for the merge and one per fresh slot; they enter the pipe only if every copy
    /// succeeded.
    pub fn write(
        &mut self,
        end: EndId,
        waiter: W,
        length: usize,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) -> Outcome {
        let Self { ends, pipes, pages, .. } = self;
        let Some(description) = ends.open_mut(end) else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if !description.access.writes() {
            return Outcome::Done(Err(Errno::Ebadf));
        }
        if length == 0 {
            return Outcome::Done(Ok(0));
        }
        let Some(pipe) = pipes.get_mut(&description.pipe) else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if pipe.readers == 0 {
            return Outcome::Done(Err(Errno::Epipe));
        }
        let placement = pipe.ring.place(length, true);
        let moved = placement.total();
        if moved > 0 {
            let take = |offset: usize, into: &mut [u8]| take_all(leases, &waiter, offset, into);
            if let Err(error) = pipe.ring.fill(placement, pages, take) {
                return Outcome::Done(Err(error));
            }
        }
        let result = if moved == length {
            Some(Ok(count(length)))
        } else if description.nonblocking {
            Some(if moved > 0 { Ok(count(moved)) } else { Err(Errno::Eagain) })
        } else {
            None
        };
        if let Some(result) = result {
            if moved > 0 {
                pipe.settle(ends, pages, leases, answers);
                self.finish_closing(answers);
            }
            return Outcome::Done(result);
        }
        pipe.writes.push_back(WaitingWrite { waiter: waiter.clone(), end, length, moved });
        description.waiting_calls += 1;
        let first_new_answer = answers.len();
        pipe.settle(ends, pages, leases, answers);
        self.finish_closing(answers);
        own_answer(answers, first_new_answer, &waiter)
    }

    /// The end's last reference is gone (closed everywhere, or its holders died). Unknown
    /// ends are ignored. If calls through the end still wait, it closes when they are over.
    pub fn release(
        &mut self,
        end: EndId,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) {
        let Some(description) = self.ends.open_mut(end) else { return };
        description.state = EndState::Closing;
        let pipe = description.pipe;
        if description.waiting_calls == 0 {
            self.ends.to_close.push_back(end);
        }
        self.finish_closing(answers);
        self.settle(pipe, leases, answers);
    }

    /// A waiting caller was interrupted: removes it and, unless `caller_gone`, answers it
    /// `EINTR`, or for a write that already moved bytes, that count (as Linux). Returns
    /// false if the waiter is unknown.
    pub fn cancel(&mut self, waiter: &W, caller_gone: bool, answers: &mut Vec<Answer<W>>) -> bool {
        let mut found = None;
        for pipe in self.pipes.values_mut() {
            if let Some(index) = pipe.reads.iter().position(|read| read.waiter == *waiter) {
                found = pipe.reads.remove(index).map(|read| (read.end, Err(Errno::Eintr), false));
            } else if let Some(index) = pipe.writes.iter().position(|write| write.waiter == *waiter)
            {
                found = pipe.writes.remove(index).map(|write| {
                    let result =
                        if write.moved > 0 { Ok(count(write.moved)) } else { Err(Errno::Eintr) };
                    (write.end, result, false)
                });
            } else if let Some(index) = pipe.opens.iter().position(|open| open.waiter == *waiter) {
                found = pipe.opens.remove(index).map(|open| (open.end, Err(Errno::Eintr), true));
            }
            if found.is_some() {
                break;
            }
        }
        let Some((end, result, was_opening)) = found else { return false };
        if !caller_gone {
            answers.push(Answer { waiter: waiter.clone(), result });
        }
        // Removing a waiter frees nothing another waiter needs (see the module notes); an
        // interrupted open undoes its count, as Linux's `fifo_open` does, and a closing end
        // whose last call this was closes now.
        if was_opening {
            self.drop_end(end, answers);
        } else {
            self.ends.note_answered(end);
        }
        self.finish_closing(answers);
        true
    }

    /// `fcntl(F_GETFL)`: the access-mode bits, `O_NONBLOCK` and `O_APPEND` as set.
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end.
    pub fn status_flags(&self, end: EndId) -> Result<u64, Errno> {
        let description = self.ends.open(end).ok_or(Errno::Ebadf)?;
        let mut flags = description.access.mode_bits();
        if description.nonblocking {
            flags |= O_NONBLOCK;
        }
        if description.append {
            flags |= O_APPEND;
        }
        Ok(flags)
    }

    /// `fcntl(F_SETFL)`: only `O_APPEND` and `O_NONBLOCK` change. `O_NONBLOCK` governs the
    /// calls made afterwards, and a waiting writer when it next moves bytes.
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end.
    pub fn set_status_flags(&mut self, end: EndId, flags: u64) -> Result<(), Errno> {
        let description = self.ends.open_mut(end).ok_or(Errno::Ebadf)?;
        description.nonblocking = flags & O_NONBLOCK != 0;
        description.append = flags & O_APPEND != 0;
        Ok(())
    }

    /// `fcntl(F_GETPIPE_SZ)`: the capacity in bytes.
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end.
    pub fn capacity(&self, end: EndId) -> Result<usize, Errno> {
        let pipe = self.pipe_of(end).ok_or(Errno::Ebadf)?;
        Ok(pipe.ring.slot_limit() * SLOT_SIZE)
    }

    /// `fcntl(F_SETPIPE_SZ, requested)`, as Linux's `pipe_set_size`: the argument is taken
    /// as a 32-bit unsigned number and rounded up to a power of two of at least one page.
    /// Returns the new capacity. Growing may let waiting writers go on (answers).
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end; `EINVAL` for more than 2^31; `EPERM` to grow above
    /// [`MAX_CAPACITY`] unless `privileged` (Linux's `CAP_SYS_RESOURCE`); `EBUSY` when
    /// more slots than the new size has hold data.
    pub fn set_capacity(
        &mut self,
        end: EndId,
        requested: u64,
        privileged: bool,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) -> Result<usize, Errno> {
        let Self { ends, pipes, pages, .. } = self;
        let description = ends.open(end).ok_or(Errno::Ebadf)?;
        let pipe = pipes.get_mut(&description.pipe).ok_or(Errno::Ebadf)?;
        // Linux's fcntl passes the argument on as an `unsigned int`.
        let size = round_pipe_size(requested as u32).ok_or(Errno::Einval)?;
        let slots = size / SLOT_SIZE;
        if slots > pipe.ring.slot_limit() && size > MAX_CAPACITY && !privileged {
            return Err(Errno::Eperm);
        }
        pipe.ring.set_slot_limit(slots)?;
        pipe.settle(ends, pages, leases, answers);
        self.finish_closing(answers);
        Ok(size)
    }

    /// A new FIFO node.
    pub fn create_fifo(&mut self) -> FifoId {
        self.last_fifo += 1;
        self.fifos.insert(self.last_fifo, Fifo { pipe: None });
        self.last_fifo
    }

    /// Opens a FIFO as Linux's `fifo_open`: `Done(Ok(end))`, an error, or `Blocked`. A
    /// read-only open waits until a writer is present (non-blocking: it does not wait); a
    /// write-only open waits until a reader is present (non-blocking: `ENXIO` if none); a
    /// read-write open never waits. An open completes every waiting open of the other
    /// side (answers).
    ///
    /// Unknown FIFO: `ENOENT`.
    pub fn open_fifo(
        &mut self,
        fifo: FifoId,
        access: Access,
        nonblocking: bool,
        waiter: W,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) -> Outcome {
        let Some(node) = self.fifos.get(&fifo) else {
            return Outcome::Done(Err(Errno::Enoent));
        };
        let existing = node.pipe.filter(|pipe| self.pipes.contains_key(pipe));
        let readers =
            existing.and_then(|pipe| self.pipes.get(&pipe)).map_or(0, |pipe| pipe.readers);
        if access == Access::Write && nonblocking && readers == 0 {
            return Outcome::Done(Err(Errno::Enxio));
        }
        let pipe_id = match existing {
            Some(pipe) => pipe,
            None => {
                let pipe = self.new_pipe(Some(fifo));
                if let Some(node) = self.fifos.get_mut(&fifo) {
                    node.pipe = Some(pipe);
                }
                pipe
            }
        };
        let end = self.new_end(pipe_id, access, nonblocking, EndState::Opening);
        let Self { ends, pipes, .. } = self;
        let Some(pipe) = pipes.get_mut(&pipe_id) else {
            return Outcome::Done(Err(Errno::Enoent));
        };
        let waits = match access {
            Access::Read => pipe.writers == 0 && !nonblocking,
            Access::Write => pipe.readers == 0,
            Access::ReadWrite => false,
        };
        // The other side's waiting opens complete: a reader arriving satisfies waiting
        // writers, a writer waiting readers, a read-write open both.
        pipe.opens.retain(|open| {
            let completes = match access {
                Access::Read => open.access == Access::Write,
                Access::Write => open.access == Access::Read,
                Access::ReadWrite => true,
            };
            if completes {
                ends.mark_open(open.end);
                answers.push(Answer { waiter: open.waiter.clone(), result: Ok(open.end) });
            }
            !completes
        });
        let outcome = if waits {
            pipe.opens.push_back(WaitingOpen { waiter, end, access });
            Outcome::Blocked
        } else {
            ends.mark_open(end);
            Outcome::Done(Ok(end))
        };
        self.settle(pipe_id, leases, answers);
        outcome
    }

    /// The FIFO node is gone (unlinked and its capability dropped): no new opens. Its pipe
    /// lives on while ends are open. Opens still waiting fail with `ENOENT`: the returned
    /// answers must be sent.
    #[must_use = "the waiting opens' answers must be sent"]
    pub fn remove_fifo(&mut self, fifo: FifoId) -> Vec<Answer<W>> {
        let mut answers = Vec::new();
        let Some(node) = self.fifos.remove(&fifo) else { return answers };
        let Some(pipe_id) = node.pipe else { return answers };
        let Some(pipe) = self.pipes.get_mut(&pipe_id) else { return answers };
        pipe.fifo = None;
        let opens = core::mem::take(&mut pipe.opens);
        for open in opens {
            answers.push(Answer { waiter: open.waiter, result: Err(Errno::Enoent) });
            self.drop_end(open.end, &mut answers);
        }
        self.finish_closing(&mut answers);
        answers
    }

    /// Open file descriptions the server holds, including ends still opening and ends
    /// closing once their waiting calls are over.
    pub fn end_count(&self) -> usize {
        self.ends.by_id.len()
    }

    /// Pipes alive (each has at least one end).
    pub fn pipe_count(&self) -> usize {
        self.pipes.len()
    }

    /// Waiting reads, writes and opens.
    pub fn waiter_count(&self) -> usize {
        self.pipes
            .values()
            .map(|pipe| pipe.reads.len() + pipe.writes.len() + pipe.opens.len())
            .sum()
    }

    /// FIFO nodes alive.
    pub fn fifo_count(&self) -> usize {
        self.fifos.len()
    }

    /// Unread bytes in the end's pipe (what Linux's `FIONREAD` reports).
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end.
    pub fn buffered(&self, end: EndId) -> Result<usize, Errno> {
        let pipe = self.pipe_of(end).ok_or(Errno::Ebadf)?;
        Ok(pipe.ring.buffered())
    }

    /// Slots of the end's pipe that hold unread bytes.
    ///
    /// # Errors
    ///
    /// `EBADF` for an unknown end.
    pub fn occupied_slots(&self, end: EndId) -> Result<usize, Errno> {
        let pipe = self.pipe_of(end).ok_or(Errno::Ebadf)?;
        Ok(pipe.ring.occupied_slots())
    }

    /// How the end was opened; `None` for an unknown end.
    pub fn access(&self, end: EndId) -> Option<Access> {
        self.ends.open(end).map(|end| end.access)
    }

    /// The pool of spare slot pages (tests count the pages allocated).
    #[cfg(test)]
    pub(crate) fn pages(&self) -> &PagePool {
        &self.pages
    }

    // Internals.

    fn new_pipe(&mut self, fifo: Option<FifoId>) -> PipeId {
        self.last_pipe += 1;
        self.pipes.insert(self.last_pipe, Pipe::new(fifo));
        self.last_pipe
    }

    /// Adds an end to `pipe` (which must exist) and counts it.
    fn new_end(
        &mut self,
        pipe: PipeId,
        access: Access,
        nonblocking: bool,
        state: EndState,
    ) -> EndId {
        self.last_end += 1;
        let end = End { pipe, access, nonblocking, append: false, state, waiting_calls: 0 };
        self.ends.by_id.insert(self.last_end, end);
        if let Some(pipe) = self.pipes.get_mut(&pipe) {
            pipe.add_end(access);
        }
        self.last_end
    }

    /// The pipe of an open end.
    fn pipe_of(&self, end: EndId) -> Option<&Pipe<W>> {
        self.pipes.get(&self.ends.open(end)?.pipe)
    }

    /// Serves the waiters of `pipe_id` if it lives ([`Pipe::settle`]), then closes the
    /// ends that lets close.
    fn settle(
        &mut self,
        pipe_id: PipeId,
        leases: &mut impl Leases<W>,
        answers: &mut Vec<Answer<W>>,
    ) {
        if let Some(pipe) = self.pipes.get_mut(&pipe_id) {
            pipe.settle(&mut self.ends, &mut self.pages, leases, answers);
            self.finish_closing(answers);
        }
    }

    /// Closes the ends queued for closing, and those their closing lets close.
    fn finish_closing(&mut self, answers: &mut Vec<Answer<W>>) {
        while let Some(end) = self.ends.to_close.pop_front() {
            self.drop_end(end, answers);
        }
    }

    /// Forgets an end: uncounts it from its pipe, answers the waiters its absence ends (end
    /// of file for readers when no writer is left, a broken pipe for writers when no reader
    /// is), and frees the pipe, its pages going back to the pool, when it was its last end.
    fn drop_end(&mut self, end: EndId, answers: &mut Vec<Answer<W>>) {
        let Some(description) = self.ends.by_id.remove(&end) else { return };
        let pipe_id = description.pipe;
        let Some(pipe) = self.pipes.get_mut(&pipe_id) else { return };
        pipe.remove_end(description.access);
        if pipe.writers == 0 && pipe.ring.is_empty() {
            for read in pipe.reads.drain(..) {
                answers.push(Answer { waiter: read.waiter, result: Ok(0) });
                self.ends.note_answered(read.end);
            }
        }
        if pipe.readers == 0 {
            for write in pipe.writes.drain(..) {
                let result =
                    if write.moved > 0 { Ok(count(write.moved)) } else { Err(Errno::Epipe) };
                answers.push(Answer { waiter: write.waiter, result });
                self.ends.note_answered(write.end);
            }
        }
        if pipe.ends == 0 {
            if let Some(fifo) = pipe.fifo
                && let Some(node) = self.fifos.get_mut(&fifo)
            {
                node.pipe = None;
            }
            if let Some(pipe) = self.pipes.remove(&pipe_id) {
                pipe.ring.recycle(&mut self.pages);
            }
        }
    }
}

/// Linux's `round_pipe_size`: `None` above 2^31, else at least a page, rounded up to a
/// power of two.
fn round_pipe_size(requested: u32) -> Option<usize> {
    if requested > LARGEST_SIZE_ARGUMENT {
        return None;
    }
    let size = usize::try_from(requested).ok()?;
    Some(size.max(SLOT_SIZE).next_power_of_two())
}

/// A count as the protocol carries it.
fn count(bytes: usize) -> u64 {
    bytes as u64
}

/// Takes exactly `into.len()` bytes from `waiter`'s buffer at `offset`; a short copy is
/// `EFAULT`.
fn take_all<W>(
    leases: &mut impl Leases<W>,
    waiter: &W,
    offset: usize,
    into: &mut [u8],
) -> Result<(), Errno> {
    let copied = leases.take(waiter, offset, into)?;
    if copied == into.len() { Ok(()) } else { Err(Errno::Efault) }
}

/// Gives all of `bytes` to `waiter`'s buffer at `offset`; a short copy is `EFAULT`.
fn give_all<W>(
    leases: &mut impl Leases<W>,
    waiter: &W,
    offset: usize,
    bytes: &[u8],
) -> Result<(), Errno> {
    let copied = leases.give(waiter, offset, bytes)?;
    if copied == bytes.len() { Ok(()) } else { Err(Errno::Efault) }
}

/// The current caller's outcome: its answer if it was answered among `answers` from
/// `first` on (taken out of them), else `Blocked`.
fn own_answer<W: PartialEq>(answers: &mut Vec<Answer<W>>, first: usize, waiter: &W) -> Outcome {
    let position =
        answers.get(first..).and_then(|new| new.iter().position(|a| a.waiter == *waiter));
    match position {
        Some(index) => Outcome::Done(answers.remove(first + index).result),
        None => Outcome::Blocked,
    }
}
