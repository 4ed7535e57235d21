//! Property tests: random sequences of operations on a few pipes and a FIFO, with blocking
//! and non-blocking ends, applied to the server and to the naive model in `model.rs`,
//! comparing every outcome and answer and the visible state of every end after every step,
//! and checking the invariants: the bytes that left each pipe are a prefix of the bytes
//! that entered it, in order; no waiter is answered twice or without waiting; the counts
//! agree; and nothing is left once every waiter is cancelled, every end released and every
//! FIFO removed.
//!
//! Some callers' buffers fault, from the start or later, and some are shorter than their
//! call says, so that a copy can fail after others of the same call succeeded; the bytes
//! such a call copied before failing never count as entered or left.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::io::O_NONBLOCK;
use proptest::prelude::*;

use crate::model::Model;
use crate::{Access, Answer, EndId, FifoId, Leases, Outcome, PipeServer};

#[derive(Clone, Debug)]
enum Operation {
    CreatePipe {
        nonblocking: bool,
    },
    CreateFifo,
    Open {
        fifo: usize,
        access: Access,
        nonblocking: bool,
    },
    Read {
        end: usize,
        length: usize,
        buffer: Buffer,
    },
    Write {
        end: usize,
        length: usize,
        buffer: Buffer,
    },
    Release {
        end: usize,
    },
    Cancel {
        waiter: usize,
        caller_gone: bool,
    },
    /// A waiting caller's buffer becomes unusable.
    Spoil {
        waiter: usize,
    },
    SetNonblocking {
        end: usize,
        nonblocking: bool,
    },
    SetCapacity {
        end: usize,
        size: u64,
        privileged: bool,
    },
    RemoveFifo {
        fifo: usize,
    },
}

/// A caller's buffer.
#[derive(Clone, Copy, Debug)]
enum Buffer {
    /// As long as the call says.
    Whole,
    /// Faults.
    Bad,
    /// Shorter than the call says (this much of its length).
    Short(prop::sample::Index),
}

fn buffer() -> impl Strategy<Value = Buffer> {
    prop_oneof![
        18 => Just(Buffer::Whole),
        1 => Just(Buffer::Bad),
        1 => any::<prop::sample::Index>().prop_map(Buffer::Short),
    ]
}

fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => prop::sample::select(vec![
            0_usize, 1, 7, 100, 904, 2000, 4095, 4096, 4097, 5000, 8192, 12000, 65536, 70000
        ]),
        2 => 0_usize..20_000,
    ]
}

fn access() -> impl Strategy<Value = Access> {
    prop::sample::select(vec![Access::Read, Access::Write, Access::ReadWrite])
}

fn operation() -> impl Strategy<Value = Operation> {
    let sizes = prop::sample::select(vec![
        0_u64,
        3,
        4096,
        8192,
        12288,
        16384,
        65536,
        131_072,
        1 << 20,
        (1 << 20) + 1,
        (1 << 31) + 1,
    ]);
    prop_oneof![
        3 => any::<bool>().prop_map(|nonblocking| Operation::CreatePipe { nonblocking }),
        1 => Just(Operation::CreateFifo),
        10 => (any::<usize>(), access(), any::<bool>())
            .prop_map(|(fifo, access, nonblocking)| Operation::Open { fifo, access, nonblocking }),
        30 => (any::<usize>(), length(), buffer())
            .prop_map(|(end, length, buffer)| Operation::Read { end, length, buffer }),
        30 => (any::<usize>(), length(), buffer())
            .prop_map(|(end, length, buffer)| Operation::Write { end, length, buffer }),
        6 => any::<usize>().prop_map(|end| Operation::Release { end }),
        6 => (any::<usize>(), any::<bool>())
            .prop_map(|(waiter, caller_gone)| Operation::Cancel { waiter, caller_gone }),
        2 => any::<usize>().prop_map(|waiter| Operation::Spoil { waiter }),
        5 => (any::<usize>(), any::<bool>())
            .prop_map(|(end, nonblocking)| Operation::SetNonblocking { end, nonblocking }),
        6 => (any::<usize>(), sizes, prop::bool::weighted(0.2))
            .prop_map(|(end, size, privileged)| Operation::SetCapacity { end, size, privileged }),
        1 => any::<usize>().prop_map(|fifo| Operation::RemoveFifo { fifo }),
    ]
}

/// One complete copy from a writer's or to a reader's buffer.
struct LeaseCopy {
    caller: u32,
    /// Where in the caller's buffer.
    offset: usize,
    bytes: Vec<u8>,
}

/// Callers' buffers, with a log of the complete copies into and out of each pipe.
#[derive(Default)]
struct Buffers {
    sources: BTreeMap<u32, Vec<u8>>,
    sinks: BTreeMap<u32, Vec<u8>>,
    bad: BTreeSet<u32>,
    /// The model pipe each caller's call is on.
    pipe_of: BTreeMap<u32, usize>,
    /// Per model pipe: every copy taken from writers, in order.
    entered: BTreeMap<usize, Vec<LeaseCopy>>,
    /// Per model pipe: every copy given to readers, in order.
    left: BTreeMap<usize, Vec<LeaseCopy>>,
}

impl Buffers {
    /// `caller`'s call is over and moved `kept` bytes: the copies it made past them (of a
    /// move that failed as a whole) are struck out of the logs.
    fn strike(&mut self, caller: u32, kept: usize) {
        let Some(pipe) = self.pipe_of.get(&caller) else { return };
        for log in [&mut self.entered, &mut self.left] {
            if let Some(copies) = log.get_mut(pipe) {
                copies.retain(|copy| copy.caller != caller || copy.offset < kept);
            }
        }
    }

    /// Whether the bytes that left `pipe` are a prefix of those that entered it.
    fn left_what_entered(&self, pipe: usize) -> bool {
        let mut entered = copies(&self.entered, pipe).iter();
        let mut pending: &[u8] = &[];
        for copy in copies(&self.left, pipe) {
            let mut bytes = &copy.bytes[..];
            while !bytes.is_empty() {
                if pending.is_empty() {
                    let Some(copy) = entered.next() else { return false };
                    pending = &copy.bytes;
                    continue;
                }
                let length = bytes.len().min(pending.len());
                if bytes[..length] != pending[..length] {
                    return false;
                }
                bytes = &bytes[length..];
                pending = &pending[length..];
            }
        }
        true
    }
}

impl Leases<u32> for Buffers {
    fn take(&mut self, waiter: &u32, offset: usize, into: &mut [u8]) -> Result<usize, Errno> {
        if self.bad.contains(waiter) {
            return Err(Errno::Efault);
        }
        let source = self.sources.get(waiter).ok_or(Errno::Efault)?;
        let available = source.get(offset..).unwrap_or_default();
        let count = available.len().min(into.len());
        into[..count].copy_from_slice(&available[..count]);
        if count == into.len()
            && let Some(&pipe) = self.pipe_of.get(waiter)
        {
            let copy = LeaseCopy { caller: *waiter, offset, bytes: into.to_vec() };
            self.entered.entry(pipe).or_default().push(copy);
        }
        Ok(count)
    }

    fn give(&mut self, waiter: &u32, offset: usize, bytes: &[u8]) -> Result<usize, Errno> {
        if self.bad.contains(waiter) {
            return Err(Errno::Efault);
        }
        let sink = self.sinks.get_mut(waiter).ok_or(Errno::Efault)?;
        let end = sink.len();
        let room = sink.get_mut(offset..end).unwrap_or_default();
        let count = room.len().min(bytes.len());
        room[..count].copy_from_slice(&bytes[..count]);
        if count == bytes.len()
            && let Some(&pipe) = self.pipe_of.get(waiter)
        {
            let copy = LeaseCopy { caller: *waiter, offset, bytes: bytes.to_vec() };
            self.left.entry(pipe).or_default().push(copy);
        }
        Ok(count)
    }
}

/// `pipe`'s copies in a log, in order.
fn copies(log: &BTreeMap<usize, Vec<LeaseCopy>>, pipe: usize) -> &[LeaseCopy] {
    log.get(&pipe).map_or(&[], Vec::as_slice)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallKind {
    Read,
    Write,
    Open,
}

struct Run {
    server: PipeServer<u32>,
    model: Model,
    buffers: Buffers,
    /// Every end ever made known: (server id, model index).
    ends: Vec<(EndId, usize)>,
    /// Every FIFO: (server id, model index).
    fifos: Vec<(FifoId, usize)>,
    next_token: u32,
    /// Every call's token and kind.
    calls: Vec<(u32, CallKind)>,
    waiting: BTreeSet<u32>,
    answered: BTreeSet<u32>,
}

impl Run {
    fn new() -> Run {
        Run {
            server: PipeServer::new(),
            model: Model::new(),
            buffers: Buffers::default(),
            ends: Vec::new(),
            fifos: Vec::new(),
            next_token: 0,
            calls: Vec::new(),
            waiting: BTreeSet::new(),
            answered: BTreeSet::new(),
        }
    }

    fn token(&mut self, kind: CallKind) -> u32 {
        self.next_token += 1;
        self.calls.push((self.next_token, kind));
        self.next_token
    }

    fn end(&self, index: usize) -> Option<(EndId, usize)> {
        if self.ends.is_empty() { None } else { Some(self.ends[index % self.ends.len()]) }
    }

    fn fifo(&self, index: usize) -> Option<(FifoId, usize)> {
        if self.fifos.is_empty() { None } else { Some(self.fifos[index % self.fifos.len()]) }
    }

    fn call(&self, index: usize) -> Option<u32> {
        if self.calls.is_empty() { None } else { Some(self.calls[index % self.calls.len()].0) }
    }

    fn kind(&self, token: u32) -> Option<CallKind> {
        self.calls.iter().find(|call| call.0 == token).map(|call| call.1)
    }

    fn create_pipe(&mut self, nonblocking: bool) -> Result<(), TestCaseError> {
        let flags = if nonblocking { O_NONBLOCK } else { 0 };
        let (read, write) = self
            .server
            .create_pipe(flags)
            .map_err(|error| TestCaseError::fail(alloc::format!("pipe2 failed: {error:?}")))?;
        let (model_read, model_write) = self.model.create_pipe(nonblocking);
        self.learn_end(read, model_read)?;
        self.learn_end(write, model_write)
    }

    fn learn_end(&mut self, end: EndId, model: usize) -> Result<(), TestCaseError> {
        prop_assert!(end != 0);
        prop_assert!(self.ends.iter().all(|known| known.0 != end), "end id {} reused", end);
        self.ends.push((end, model));
        Ok(())
    }

    /// Compares the server's answers with the model's, learning ends from FIFO opens, and
    /// checks that each answered waiter was waiting and is answered once.
    fn compare_answers(
        &mut self,
        server: Vec<Answer<u32>>,
        model: Vec<Answer<u32>>,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(server.len(), model.len(), "answers {:?} vs {:?}", server, model);
        for (answer, expected) in server.into_iter().zip(model) {
            prop_assert_eq!(answer.waiter, expected.waiter);
            let token = answer.waiter;
            prop_assert!(self.waiting.remove(&token), "{} answered without waiting", token);
            prop_assert!(self.answered.insert(token), "{} answered twice", token);
            self.check_result(token, answer.result, expected.result)?;
        }
        Ok(())
    }

    fn check_result(
        &mut self,
        token: u32,
        result: Result<u64, Errno>,
        expected: Result<u64, Errno>,
    ) -> Result<(), TestCaseError> {
        let kind = self.kind(token);
        if matches!(kind, Some(CallKind::Read | CallKind::Write)) {
            let kept = result.map_or(0, |count| usize::try_from(count).unwrap_or(usize::MAX));
            self.buffers.strike(token, kept);
        }
        match (kind, result, expected) {
            (Some(CallKind::Open), Ok(end), Ok(model_end)) => {
                let model_end = usize::try_from(model_end).unwrap_or(usize::MAX);
                self.learn_end(end, model_end)?;
            }
            (Some(CallKind::Read), Ok(count), Ok(expected_count)) => {
                prop_assert_eq!(count, expected_count, "read {}", token);
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                let received = self.buffers.sinks.get(&token).and_then(|sink| sink.get(..count));
                let expected_bytes = self.model.delivered(token);
                prop_assert_eq!(received, Some(&expected_bytes[..]), "bytes of read {}", token);
            }
            (_, result, expected) => prop_assert_eq!(result, expected, "call {}", token),
        }
        Ok(())
    }

    fn compare_outcome(
        &mut self,
        token: u32,
        server: Outcome,
        model: Outcome,
    ) -> Result<(), TestCaseError> {
        match (server, model) {
            (Outcome::Blocked, Outcome::Blocked) => {
                self.waiting.insert(token);
            }
            (Outcome::Done(result), Outcome::Done(expected)) => {
                self.answered.insert(token);
                self.check_result(token, result, expected)?;
            }
            (server, model) => prop_assert_eq!(server, model, "call {}", token),
        }
        Ok(())
    }

    fn apply(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        let mut answers = Vec::new();
        let mut model_answers = Vec::new();
        match *operation {
            Operation::CreatePipe { nonblocking } => self.create_pipe(nonblocking)?,
            Operation::CreateFifo => {
                let fifo = self.server.create_fifo();
                prop_assert!(fifo != 0 && self.fifos.iter().all(|known| known.0 != fifo));
                self.fifos.push((fifo, self.model.create_fifo()));
            }
            Operation::Open { fifo, access, nonblocking } => {
                let Some((fifo, model_fifo)) = self.fifo(fifo) else { return Ok(()) };
                let token = self.token(CallKind::Open);
                let outcome = self.server.open_fifo(
                    fifo,
                    access,
                    nonblocking,
                    token,
                    &mut self.buffers,
                    &mut answers,
                );
                let expected = self.model.open_fifo(
                    model_fifo,
                    access,
                    nonblocking,
                    token,
                    &mut model_answers,
                );
                self.compare_outcome(token, outcome, expected)?;
            }
            Operation::Read { end, length, buffer } => {
                let Some((end, model_end)) = self.end(end) else { return Ok(()) };
                let token = self.token(CallKind::Read);
                self.prepare(token, model_end, buffer, Vec::new(), length);
                let outcome = self.server.read(end, token, length, &mut self.buffers, &mut answers);
                let expected = self.model.read(model_end, token, length, &mut model_answers);
                self.compare_outcome(token, outcome, expected)?;
            }
            Operation::Write { end, length, buffer } => {
                let Some((end, model_end)) = self.end(end) else { return Ok(()) };
                let token = self.token(CallKind::Write);
                let seed = token.to_le_bytes();
                let data: Vec<u8> = (0..length)
                    .map(|index| seed[0] ^ seed[1].wrapping_mul(3) ^ (index % 253) as u8)
                    .collect();
                self.prepare(token, model_end, buffer, data.clone(), length);
                let outcome =
                    self.server.write(end, token, length, &mut self.buffers, &mut answers);
                let expected = self.model.write(model_end, token, &data, &mut model_answers);
                self.compare_outcome(token, outcome, expected)?;
            }
            Operation::Release { end } => {
                let Some((end, model_end)) = self.end(end) else { return Ok(()) };
                self.server.release(end, &mut self.buffers, &mut answers);
                self.model.release(model_end, &mut model_answers);
            }
            Operation::Cancel { waiter, caller_gone } => {
                let Some(token) = self.call(waiter) else { return Ok(()) };
                let found = self.server.cancel(&token, caller_gone, &mut answers);
                prop_assert_eq!(found, self.model.cancel(token, caller_gone, &mut model_answers));
                prop_assert_eq!(found, self.waiting.contains(&token));
                if found && caller_gone {
                    self.waiting.remove(&token);
                    self.answered.insert(token);
                }
            }
            Operation::Spoil { waiter } => {
                let Some(token) = self.call(waiter) else { return Ok(()) };
                self.buffers.bad.insert(token);
                self.model.spoil(token);
            }
            Operation::SetNonblocking { end, nonblocking } => {
                let Some((end, model_end)) = self.end(end) else { return Ok(()) };
                let flags = if nonblocking { O_NONBLOCK } else { 0 };
                prop_assert_eq!(
                    self.server.set_status_flags(end, flags),
                    self.model.set_status_flags(model_end, flags)
                );
            }
            Operation::SetCapacity { end, size, privileged } => {
                let Some((end, model_end)) = self.end(end) else { return Ok(()) };
                let result = self.server.set_capacity(
                    end,
                    size,
                    privileged,
                    &mut self.buffers,
                    &mut answers,
                );
                let expected =
                    self.model.set_capacity(model_end, size, privileged, &mut model_answers);
                prop_assert_eq!(result, expected);
            }
            Operation::RemoveFifo { fifo } => {
                let Some((fifo, model_fifo)) = self.fifo(fifo) else { return Ok(()) };
                answers = self.server.remove_fifo(fifo);
                model_answers = self.model.remove_fifo(model_fifo);
            }
        }
        self.compare_answers(answers, model_answers)?;
        self.check()
    }

    /// Sets up a caller's buffer of `length` bytes: a writer's holds `data`.
    fn prepare(
        &mut self,
        token: u32,
        model_end: usize,
        buffer: Buffer,
        mut data: Vec<u8>,
        mut length: usize,
    ) {
        match buffer {
            Buffer::Whole => {}
            Buffer::Bad => {
                self.buffers.bad.insert(token);
                self.model.spoil(token);
            }
            Buffer::Short(index) if length > 0 => {
                length = index.index(length);
                data.truncate(length);
                self.model.shorten(token, length);
            }
            Buffer::Short(_) => {}
        }
        if let Some(pipe) = self.model.pipe_of(model_end) {
            self.buffers.pipe_of.insert(token, pipe);
        }
        self.buffers.sources.insert(token, data);
        self.buffers.sinks.insert(token, vec![0; length]);
    }

    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.server.end_count(), self.model.end_count());
        prop_assert_eq!(self.server.pipe_count(), self.model.pipe_count());
        prop_assert_eq!(self.server.waiter_count(), self.model.waiter_count());
        prop_assert_eq!(self.server.waiter_count(), self.waiting.len());
        for &(end, model_end) in &self.ends {
            prop_assert_eq!(self.server.status_flags(end), self.model.status_flags(model_end));
            prop_assert_eq!(self.server.capacity(end), self.model.capacity(model_end));
            prop_assert_eq!(self.server.buffered(end), self.model.buffered(model_end));
            prop_assert_eq!(self.server.occupied_slots(end), self.model.occupied_slots(model_end));
        }
        for &pipe in self.buffers.left.keys() {
            prop_assert!(
                self.buffers.left_what_entered(pipe),
                "pipe {} gave out bytes that were not written, or out of order",
                pipe
            );
        }
        Ok(())
    }

    /// Cancels every waiter, releases every end and removes every FIFO; nothing may be
    /// left.
    fn clean_up(&mut self) -> Result<(), TestCaseError> {
        // A cancel can answer other waiters (an end that closes with it), so take the
        // first still waiting each time.
        while let Some(&token) = self.waiting.first() {
            let mut answers = Vec::new();
            prop_assert!(self.server.cancel(&token, true, &mut answers));
            let mut model_answers = Vec::new();
            prop_assert!(self.model.cancel(token, true, &mut model_answers));
            self.waiting.remove(&token);
            self.answered.insert(token);
            self.compare_answers(answers, model_answers)?;
        }
        let ends = self.ends.clone();
        for (end, model_end) in ends {
            let mut answers = Vec::new();
            self.server.release(end, &mut self.buffers, &mut answers);
            let mut model_answers = Vec::new();
            self.model.release(model_end, &mut model_answers);
            self.compare_answers(answers, model_answers)?;
        }
        let fifos = self.fifos.clone();
        for (fifo, model_fifo) in fifos {
            let answers = self.server.remove_fifo(fifo);
            let model_answers = self.model.remove_fifo(model_fifo);
            self.compare_answers(answers, model_answers)?;
        }
        self.check()?;
        prop_assert_eq!(self.server.end_count(), 0);
        prop_assert_eq!(self.server.pipe_count(), 0);
        prop_assert_eq!(self.server.waiter_count(), 0);
        prop_assert_eq!(self.server.fifo_count(), 0);
        Ok(())
    }
}

fn run(operations: &[Operation]) -> Result<(), TestCaseError> {
    let mut run = Run::new();
    run.create_pipe(false)?;
    run.create_pipe(true)?;
    run.apply(&Operation::CreateFifo)?;
    for operation in operations {
        run.apply(operation)?;
    }
    run.clean_up()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn server_agrees_with_the_model(operations in prop::collection::vec(operation(), 1..120)) {
        run(&operations)?;
    }
}
