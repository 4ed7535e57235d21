//! A second, deliberately naive statement of the pipe server's rules, for the property
//! tests: flat vectors of ends, pipes and FIFOs that are never shrunk (a state says what is
//! gone), one list of every waiting call of every pipe, counts found by scanning, and each
//! pipe's data as one byte queue beside a list of its pages (how full each page is, how
//! many of its bytes are unread).
//!
//! It is written from the rules in the crate's documentation (Linux's `pipe_read`,
//! `pipe_write`, `pipe_set_size`, `fifo_open`, `pipe_release`) rather than from the
//! server's code, so that the two can disagree. Ends are named by their index here; the
//! property test maps them to the server's ids.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::io::{O_APPEND, O_NONBLOCK};

use crate::{Access, Answer, DEFAULT_CAPACITY, MAX_CAPACITY, Outcome, SLOT_SIZE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Opening,
    Open,
    Closing,
    Gone,
}

#[derive(Clone, Debug)]
struct ModelEnd {
    pipe: usize,
    access: Access,
    nonblocking: bool,
    append: bool,
    state: State,
}

#[derive(Clone, Copy, Debug)]
struct Page {
    /// Bytes written into the page from its start.
    filled: usize,
    /// Of those, not yet read.
    unread: usize,
}

#[derive(Clone, Debug)]
struct ModelPipe {
    data: VecDeque<u8>,
    pages: VecDeque<Page>,
    page_limit: usize,
    alive: bool,
    fifo: Option<usize>,
}

#[derive(Clone, Debug)]
struct ModelFifo {
    alive: bool,
    pipe: Option<usize>,
}

#[derive(Clone, Debug)]
enum Kind {
    Read { length: usize },
    Write { data: Vec<u8>, moved: usize },
    Open,
}

#[derive(Clone, Debug)]
struct ModelWaiter {
    token: u32,
    end: usize,
    kind: Kind,
}

/// The model.
#[derive(Debug, Default)]
pub(crate) struct Model {
    ends: Vec<ModelEnd>,
    pipes: Vec<ModelPipe>,
    fifos: Vec<ModelFifo>,
    /// Every waiting call, in arrival order.
    waiters: Vec<ModelWaiter>,
    /// Callers whose buffers fault.
    bad: BTreeSet<u32>,
    /// Callers whose buffers are this long, whatever their call said.
    short: BTreeMap<u32, usize>,
    /// Closing ends whose last call ended, in that order.
    closable: VecDeque<usize>,
    /// The bytes each successful read received.
    delivered: BTreeMap<u32, Vec<u8>>,
}

type Answers = Vec<Answer<u32>>;

impl Model {
    pub(crate) fn new() -> Model {
        Model::default()
    }

    /// From now on `token`'s buffer faults.
    pub(crate) fn spoil(&mut self, token: u32) {
        self.bad.insert(token);
    }

    /// `token`'s buffer holds only `length` bytes: a copy past them comes up short.
    pub(crate) fn shorten(&mut self, token: u32, length: usize) {
        self.short.insert(token, length);
    }

    /// Whether copying the bytes of `token`'s buffer up to `end` fails: all of a call's (or
    /// of a waiting writer's next move's) bytes are copied, or none count.
    fn faults(&self, token: u32, end: usize) -> bool {
        self.bad.contains(&token) || self.short.get(&token).is_some_and(|&length| end > length)
    }

    pub(crate) fn end_count(&self) -> usize {
        self.ends.iter().filter(|end| end.state != State::Gone).count()
    }

    pub(crate) fn pipe_count(&self) -> usize {
        self.pipes.iter().filter(|pipe| pipe.alive).count()
    }

    pub(crate) fn waiter_count(&self) -> usize {
        self.waiters.len()
    }

    /// The bytes a read that succeeded received (once).
    pub(crate) fn delivered(&mut self, token: u32) -> Vec<u8> {
        self.delivered.remove(&token).unwrap_or_default()
    }

    /// Index of the pipe a (usable) end belongs to.
    pub(crate) fn pipe_of(&self, end: usize) -> Option<usize> {
        self.usable(end).map(|end| end.pipe)
    }

    pub(crate) fn status_flags(&self, end: usize) -> Result<u64, Errno> {
        let end = self.usable(end).ok_or(Errno::Ebadf)?;
        let nonblocking = if end.nonblocking { O_NONBLOCK } else { 0 };
        let append = if end.append { O_APPEND } else { 0 };
        Ok(end.access.mode_bits() | nonblocking | append)
    }

    pub(crate) fn capacity(&self, end: usize) -> Result<usize, Errno> {
        let end = self.usable(end).ok_or(Errno::Ebadf)?;
        Ok(self.pipes[end.pipe].page_limit * SLOT_SIZE)
    }

    pub(crate) fn buffered(&self, end: usize) -> Result<usize, Errno> {
        let end = self.usable(end).ok_or(Errno::Ebadf)?;
        Ok(self.pipes[end.pipe].data.len())
    }

    pub(crate) fn occupied_slots(&self, end: usize) -> Result<usize, Errno> {
        let end = self.usable(end).ok_or(Errno::Ebadf)?;
        Ok(self.pipes[end.pipe].pages.len())
    }

    pub(crate) fn create_pipe(&mut self, nonblocking: bool) -> (usize, usize) {
        let pipe = self.add_pipe(None);
        let read = self.add_end(pipe, Access::Read, nonblocking, State::Open);
        let write = self.add_end(pipe, Access::Write, nonblocking, State::Open);
        (read, write)
    }

    pub(crate) fn create_fifo(&mut self) -> usize {
        self.fifos.push(ModelFifo { alive: true, pipe: None });
        self.fifos.len() - 1
    }

    pub(crate) fn read(
        &mut self,
        end: usize,
        token: u32,
        length: usize,
        answers: &mut Answers,
    ) -> Outcome {
        let Some(description) = self.usable(end).filter(|end| end.access.reads()).cloned() else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if length == 0 {
            return Outcome::Done(Ok(0));
        }
        let pipe = description.pipe;
        if !self.pipes[pipe].data.is_empty() {
            if self.faults(token, length.min(self.pipes[pipe].data.len())) {
                return Outcome::Done(Err(Errno::Efault));
            }
            let bytes = self.take_bytes(pipe, length);
            let count = bytes.len() as u64;
            self.delivered.insert(token, bytes);
            self.serve(pipe, answers);
            self.close_closable(answers);
            return Outcome::Done(Ok(count));
        }
        if self.count(pipe, Access::writes) == 0 {
            return Outcome::Done(Ok(0));
        }
        if description.nonblocking {
            return Outcome::Done(Err(Errno::Eagain));
        }
        self.waiters.push(ModelWaiter { token, end, kind: Kind::Read { length } });
        Outcome::Blocked
    }

    pub(crate) fn write(
        &mut self,
        end: usize,
        token: u32,
        data: &[u8],
        answers: &mut Answers,
    ) -> Outcome {
        let Some(description) = self.usable(end).filter(|end| end.access.writes()).cloned() else {
            return Outcome::Done(Err(Errno::Ebadf));
        };
        if data.is_empty() {
            return Outcome::Done(Ok(0));
        }
        let pipe = description.pipe;
        if self.count(pipe, Access::reads) == 0 {
            return Outcome::Done(Err(Errno::Epipe));
        }
        let (merged, paged) = self.room(pipe, data.len(), true);
        let moved = merged + paged;
        if moved > 0 && self.faults(token, moved) {
            return Outcome::Done(Err(Errno::Efault));
        }
        self.put_bytes(pipe, &data[..merged], &data[merged..moved]);
        if moved == data.len() || description.nonblocking {
            if moved > 0 {
                self.serve(pipe, answers);
                self.close_closable(answers);
            }
            return Outcome::Done(if moved > 0 { Ok(moved as u64) } else { Err(Errno::Eagain) });
        }
        self.waiters.push(ModelWaiter {
            token,
            end,
            kind: Kind::Write { data: data.to_vec(), moved },
        });
        let before = answers.len();
        self.serve(pipe, answers);
        self.close_closable(answers);
        match answers[before..].iter().position(|answer| answer.waiter == token) {
            Some(index) => Outcome::Done(answers.remove(before + index).result),
            None => Outcome::Blocked,
        }
    }

    pub(crate) fn release(&mut self, end: usize, answers: &mut Answers) {
        if self.ends.get(end).is_none_or(|end| end.state != State::Open) {
            return;
        }
        self.ends[end].state = State::Closing;
        if !self.has_waiting_call(end) {
            self.closable.push_back(end);
        }
        self.close_closable(answers);
    }

    pub(crate) fn cancel(&mut self, token: u32, caller_gone: bool, answers: &mut Answers) -> bool {
        let Some(index) = self.waiters.iter().position(|waiter| waiter.token == token) else {
            return false;
        };
        let waiter = self.waiters.remove(index);
        let result = match waiter.kind {
            Kind::Write { moved, .. } if moved > 0 => Ok(moved as u64),
            _ => Err(Errno::Eintr),
        };
        if !caller_gone {
            answers.push(Answer { waiter: token, result });
        }
        if matches!(waiter.kind, Kind::Open) {
            self.end_gone(waiter.end, answers);
        } else {
            self.call_ended(waiter.end);
        }
        self.close_closable(answers);
        true
    }

    pub(crate) fn set_status_flags(&mut self, end: usize, flags: u64) -> Result<(), Errno> {
        let description =
            self.ends.get_mut(end).filter(|end| end.state == State::Open).ok_or(Errno::Ebadf)?;
        description.nonblocking = flags & O_NONBLOCK != 0;
        description.append = flags & O_APPEND != 0;
        Ok(())
    }

    pub(crate) fn set_capacity(
        &mut self,
        end: usize,
        requested: u64,
        privileged: bool,
        answers: &mut Answers,
    ) -> Result<usize, Errno> {
        let pipe = self.usable(end).ok_or(Errno::Ebadf)?.pipe;
        let argument = requested & 0xffff_ffff;
        if argument > 1 << 31 {
            return Err(Errno::Einval);
        }
        let mut size = SLOT_SIZE as u64;
        while size < argument {
            size *= 2;
        }
        let size = usize::try_from(size).map_err(|_| Errno::Einval)?;
        let pages = size / SLOT_SIZE;
        if pages > self.pipes[pipe].page_limit && size > MAX_CAPACITY && !privileged {
            return Err(Errno::Eperm);
        }
        if pages < self.pipes[pipe].pages.len() {
            return Err(Errno::Ebusy);
        }
        self.pipes[pipe].page_limit = pages;
        self.serve(pipe, answers);
        self.close_closable(answers);
        Ok(size)
    }

    /// Opens FIFO `fifo`; a success is `Done(Ok(end index))`.
    pub(crate) fn open_fifo(
        &mut self,
        fifo: usize,
        access: Access,
        nonblocking: bool,
        token: u32,
        answers: &mut Answers,
    ) -> Outcome {
        if !self.fifos.get(fifo).is_some_and(|fifo| fifo.alive) {
            return Outcome::Done(Err(Errno::Enoent));
        }
        let existing = self.fifos[fifo].pipe;
        let readers = existing.map_or(0, |pipe| self.count(pipe, Access::reads));
        if access == Access::Write && nonblocking && readers == 0 {
            return Outcome::Done(Err(Errno::Enxio));
        }
        let pipe = match existing {
            Some(pipe) => pipe,
            None => {
                let pipe = self.add_pipe(Some(fifo));
                self.fifos[fifo].pipe = Some(pipe);
                pipe
            }
        };
        let end = self.add_end(pipe, access, nonblocking, State::Opening);
        let waits = match access {
            Access::Read => !nonblocking && self.count(pipe, Access::writes) == 0,
            Access::Write => self.count(pipe, Access::reads) == 0,
            Access::ReadWrite => false,
        };
        let mut completed = Vec::new();
        let mut index = 0;
        while index < self.waiters.len() {
            let waiter = &self.waiters[index];
            let other = self.ends[waiter.end].access;
            let satisfied = matches!(waiter.kind, Kind::Open)
                && self.ends[waiter.end].pipe == pipe
                && match access {
                    Access::Read => other == Access::Write,
                    Access::Write => other == Access::Read,
                    Access::ReadWrite => true,
                };
            if satisfied {
                completed.push(self.waiters.remove(index));
            } else {
                index += 1;
            }
        }
        let outcome = if waits {
            self.waiters.push(ModelWaiter { token, end, kind: Kind::Open });
            Outcome::Blocked
        } else {
            self.ends[end].state = State::Open;
            Outcome::Done(Ok(end as u64))
        };
        for waiter in completed {
            self.ends[waiter.end].state = State::Open;
            answers.push(Answer { waiter: waiter.token, result: Ok(waiter.end as u64) });
        }
        outcome
    }

    pub(crate) fn remove_fifo(&mut self, fifo: usize) -> Answers {
        let mut answers = Vec::new();
        let Some(node) = self.fifos.get_mut(fifo).filter(|fifo| fifo.alive) else {
            return answers;
        };
        node.alive = false;
        let Some(pipe) = node.pipe.take() else { return answers };
        self.pipes[pipe].fifo = None;
        let mut index = 0;
        while index < self.waiters.len() {
            let waiter = &self.waiters[index];
            if matches!(waiter.kind, Kind::Open) && self.ends[waiter.end].pipe == pipe {
                let waiter = self.waiters.remove(index);
                answers.push(Answer { waiter: waiter.token, result: Err(Errno::Enoent) });
                self.end_gone(waiter.end, &mut answers);
            } else {
                index += 1;
            }
        }
        self.close_closable(&mut answers);
        answers
    }

    // Internals.

    fn usable(&self, end: usize) -> Option<&ModelEnd> {
        self.ends.get(end).filter(|end| end.state == State::Open)
    }

    fn add_pipe(&mut self, fifo: Option<usize>) -> usize {
        self.pipes.push(ModelPipe {
            data: VecDeque::new(),
            pages: VecDeque::new(),
            page_limit: DEFAULT_CAPACITY / SLOT_SIZE,
            alive: true,
            fifo,
        });
        self.pipes.len() - 1
    }

    fn add_end(&mut self, pipe: usize, access: Access, nonblocking: bool, state: State) -> usize {
        self.ends.push(ModelEnd { pipe, access, nonblocking, append: false, state });
        self.ends.len() - 1
    }

    /// Ends of `pipe` that are not gone and whose access passes `test`.
    fn count(&self, pipe: usize, test: fn(Access) -> bool) -> usize {
        self.ends
            .iter()
            .filter(|end| end.pipe == pipe && end.state != State::Gone && test(end.access))
            .count()
    }

    fn has_waiting_call(&self, end: usize) -> bool {
        self.waiters.iter().any(|waiter| waiter.end == end)
    }

    /// Bytes a write of `remaining` bytes may place now: (merged, paged).
    fn room(&self, pipe: usize, remaining: usize, starting: bool) -> (usize, usize) {
        let pipe = &self.pipes[pipe];
        let below_a_page = remaining % SLOT_SIZE;
        let merged = match pipe.pages.back() {
            Some(last)
                if starting && below_a_page > 0 && last.filled + below_a_page <= SLOT_SIZE =>
            {
                below_a_page
            }
            _ => 0,
        };
        let free_pages = pipe.page_limit.saturating_sub(pipe.pages.len());
        (merged, (remaining - merged).min(free_pages * SLOT_SIZE))
    }

    fn put_bytes(&mut self, pipe: usize, merged: &[u8], paged: &[u8]) {
        let pipe = &mut self.pipes[pipe];
        if !merged.is_empty() {
            let last = pipe.pages.back_mut().expect("a merge needs a last page");
            last.filled += merged.len();
            last.unread += merged.len();
            pipe.data.extend(merged);
        }
        for page in paged.chunks(SLOT_SIZE) {
            pipe.pages.push_back(Page { filled: page.len(), unread: page.len() });
            pipe.data.extend(page);
        }
    }

    fn take_bytes(&mut self, pipe: usize, length: usize) -> Vec<u8> {
        let pipe = &mut self.pipes[pipe];
        let count = length.min(pipe.data.len());
        let bytes: Vec<u8> = pipe.data.drain(..count).collect();
        let mut left = count;
        while left > 0 {
            let first = pipe.pages.front_mut().expect("bytes live in pages");
            let taken = left.min(first.unread);
            first.unread -= taken;
            left -= taken;
            if first.unread == 0 {
                pipe.pages.pop_front();
            }
        }
        bytes
    }

    /// The first waiting call of `kind` on `pipe`.
    fn first_waiting(&self, pipe: usize, reads: bool) -> Option<usize> {
        self.waiters.iter().position(|waiter| {
            self.ends[waiter.end].pipe == pipe
                && match waiter.kind {
                    Kind::Read { .. } => reads,
                    Kind::Write { .. } => !reads,
                    Kind::Open => false,
                }
        })
    }

    fn answer(&mut self, index: usize, result: Result<u64, Errno>, answers: &mut Answers) {
        let waiter = self.waiters.remove(index);
        answers.push(Answer { waiter: waiter.token, result });
        self.call_ended(waiter.end);
    }

    /// Serves the waiting readers, then writers, of `pipe`, again while anything moved.
    fn serve(&mut self, pipe: usize, answers: &mut Answers) {
        loop {
            let mut moved_any = false;
            while let Some(index) = self.first_waiting(pipe, true) {
                let token = self.waiters[index].token;
                let Kind::Read { length } = self.waiters[index].kind else { break };
                if self.pipes[pipe].data.is_empty() {
                    if self.count(pipe, Access::writes) > 0 {
                        break;
                    }
                    self.answer(index, Ok(0), answers);
                } else if self.faults(token, length.min(self.pipes[pipe].data.len())) {
                    self.answer(index, Err(Errno::Efault), answers);
                } else {
                    let bytes = self.take_bytes(pipe, length);
                    moved_any = true;
                    let count = bytes.len() as u64;
                    self.delivered.insert(token, bytes);
                    self.answer(index, Ok(count), answers);
                }
            }
            while let Some(index) = self.first_waiting(pipe, false) {
                let token = self.waiters[index].token;
                let end = self.waiters[index].end;
                let Kind::Write { data, moved } = self.waiters[index].kind.clone() else { break };
                if self.count(pipe, Access::reads) == 0 {
                    let result = if moved > 0 { Ok(moved as u64) } else { Err(Errno::Epipe) };
                    self.answer(index, result, answers);
                    continue;
                }
                let (_, paged) = self.room(pipe, data.len() - moved, false);
                if paged == 0 {
                    break;
                }
                if self.faults(token, moved + paged) {
                    let result = if moved > 0 { Ok(moved as u64) } else { Err(Errno::Efault) };
                    self.answer(index, result, answers);
                    continue;
                }
                self.put_bytes(pipe, &[], &data[moved..moved + paged]);
                moved_any = true;
                let moved = moved + paged;
                if moved == data.len() || self.ends[end].nonblocking {
                    self.answer(index, Ok(moved as u64), answers);
                } else {
                    self.waiters[index].kind = Kind::Write { data, moved };
                    break;
                }
            }
            if !moved_any {
                break;
            }
        }
    }

    /// A read or write through `end` is over.
    fn call_ended(&mut self, end: usize) {
        if self.ends[end].state == State::Closing && !self.has_waiting_call(end) {
            self.closable.push_back(end);
        }
    }

    fn close_closable(&mut self, answers: &mut Answers) {
        while let Some(end) = self.closable.pop_front() {
            self.end_gone(end, answers);
        }
    }

    /// The end is gone: what its pipe's waiters learn from that, and the pipe freed when it
    /// was its last end.
    fn end_gone(&mut self, end: usize, answers: &mut Answers) {
        self.ends[end].state = State::Gone;
        let pipe = self.ends[end].pipe;
        if self.count(pipe, Access::writes) == 0 && self.pipes[pipe].data.is_empty() {
            while let Some(index) = self.first_waiting(pipe, true) {
                self.answer(index, Ok(0), answers);
            }
        }
        if self.count(pipe, Access::reads) == 0 {
            while let Some(index) = self.first_waiting(pipe, false) {
                let result = match self.waiters[index].kind {
                    Kind::Write { moved, .. } if moved > 0 => Ok(moved as u64),
                    _ => Err(Errno::Epipe),
                };
                self.answer(index, result, answers);
            }
        }
        if self.count(pipe, |_| true) == 0 {
            self.pipes[pipe].alive = false;
            self.pipes[pipe].data.clear();
            self.pipes[pipe].pages.clear();
            if let Some(fifo) = self.pipes[pipe].fifo {
                self.fifos[fifo].pipe = None;
            }
        }
    }
}
