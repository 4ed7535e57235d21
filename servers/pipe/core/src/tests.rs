//! Unit tests: one or more per rule of the pipe server, each named after the rule.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::io::{O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};

use crate::{
    Access, Answer, DEFAULT_CAPACITY, EndId, Leases, MAX_CAPACITY, Outcome, PIPE_BUF, PipeServer,
    SLOT_SIZE,
};

/// Buffers of callers, by token.
#[derive(Default)]
struct Buffers {
    /// Each writer's data.
    sources: BTreeMap<u32, Vec<u8>>,
    /// Each reader's buffer, as long as its read.
    sinks: BTreeMap<u32, Vec<u8>>,
    /// Callers whose buffer faults.
    bad: BTreeSet<u32>,
    /// Callers whose buffer is this long, whatever their call said (a copy past it comes
    /// up short).
    short: BTreeMap<u32, usize>,
}

impl Leases<u32> for Buffers {
    fn take(&mut self, waiter: &u32, offset: usize, into: &mut [u8]) -> Result<usize, Errno> {
        if self.bad.contains(waiter) {
            return Err(Errno::Efault);
        }
        let source = self.sources.get(waiter).ok_or(Errno::Efault)?;
        let end = self.short.get(waiter).copied().unwrap_or(source.len()).min(source.len());
        let available = source.get(offset..end).unwrap_or_default();
        let count = available.len().min(into.len());
        into[..count].copy_from_slice(&available[..count]);
        Ok(count)
    }

    fn give(&mut self, waiter: &u32, offset: usize, bytes: &[u8]) -> Result<usize, Errno> {
        if self.bad.contains(waiter) {
            return Err(Errno::Efault);
        }
        let sink = self.sinks.get_mut(waiter).ok_or(Errno::Efault)?;
        let end = self.short.get(waiter).copied().unwrap_or(sink.len()).min(sink.len());
        let room = sink.get_mut(offset..end).unwrap_or_default();
        let count = room.len().min(bytes.len());
        room[..count].copy_from_slice(&bytes[..count]);
        Ok(count)
    }
}

/// The server, its callers' buffers, and the answers so far.
struct Harness {
    server: PipeServer<u32>,
    buffers: Buffers,
    answers: Vec<Answer<u32>>,
    next_token: u32,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            server: PipeServer::new(),
            buffers: Buffers::default(),
            answers: Vec::new(),
            next_token: 0,
        }
    }

    fn token(&mut self) -> u32 {
        self.next_token += 1;
        self.next_token
    }

    fn pipe(&mut self, flags: u64) -> (EndId, EndId) {
        self.server.create_pipe(flags).expect("pipe2")
    }

    /// Writes `data` through `end`; returns the writer's token and the outcome.
    fn write(&mut self, end: EndId, data: &[u8]) -> (u32, Outcome) {
        let token = self.token();
        self.buffers.sources.insert(token, data.to_vec());
        let outcome =
            self.server.write(end, token, data.len(), &mut self.buffers, &mut self.answers);
        (token, outcome)
    }

    /// Writes `length` bytes of `pattern(seed, ..)`; returns the outcome.
    fn write_pattern(&mut self, end: EndId, seed: u8, length: usize) -> Outcome {
        self.write(end, &pattern(seed, length)).1
    }

    /// Reads up to `length` bytes through `end`; returns the reader's token and outcome.
    fn read(&mut self, end: EndId, length: usize) -> (u32, Outcome) {
        let token = self.token();
        self.buffers.sinks.insert(token, vec![0; length]);
        let outcome = self.server.read(end, token, length, &mut self.buffers, &mut self.answers);
        (token, outcome)
    }

    /// Reads up to `length` bytes and expects them at once.
    fn read_now(&mut self, end: EndId, length: usize) -> Vec<u8> {
        let (token, outcome) = self.read(end, length);
        let Outcome::Done(Ok(count)) = outcome else { panic!("read: {outcome:?}") };
        self.received(token, count)
    }

    /// The first `count` bytes a reader received.
    fn received(&self, token: u32, count: u64) -> Vec<u8> {
        let count = usize::try_from(count).expect("count");
        self.buffers.sinks[&token][..count].to_vec()
    }

    fn release(&mut self, end: EndId) {
        self.server.release(end, &mut self.buffers, &mut self.answers);
    }

    fn set_capacity(&mut self, end: EndId, size: u64, privileged: bool) -> Result<usize, Errno> {
        self.server.set_capacity(end, size, privileged, &mut self.buffers, &mut self.answers)
    }

    fn open(&mut self, fifo: u64, access: Access, nonblocking: bool) -> (u32, Outcome) {
        let token = self.token();
        let outcome = self.server.open_fifo(
            fifo,
            access,
            nonblocking,
            token,
            &mut self.buffers,
            &mut self.answers,
        );
        (token, outcome)
    }

    fn opened(&mut self, fifo: u64, access: Access, nonblocking: bool) -> EndId {
        match self.open(fifo, access, nonblocking).1 {
            Outcome::Done(Ok(end)) => end,
            outcome => panic!("open: {outcome:?}"),
        }
    }

    fn cancel(&mut self, token: u32, caller_gone: bool) -> bool {
        self.server.cancel(&token, caller_gone, &mut self.answers)
    }

    /// The answers since the last call, emptied.
    fn answered(&mut self) -> Vec<(u32, Result<u64, Errno>)> {
        self.answers.drain(..).map(|answer| (answer.waiter, answer.result)).collect()
    }

    /// Fills the pipe of `write` with whole pages (it must be empty).
    fn fill_pages(&mut self, write: EndId, pages: usize) {
        for page in 0..pages {
            let seed = u8::try_from(page % 200).expect("seed");
            assert_eq!(self.write_pattern(write, seed, SLOT_SIZE), done(SLOT_SIZE));
        }
    }

    /// Checks that every page the server allocated is in a slot or kept spare, and
    /// returns how many it allocated.
    fn pages_allocated(&self, occupied_slots: usize) -> usize {
        let pages = self.server.pages();
        assert_eq!(pages.allocated(), occupied_slots + pages.spare(), "pages lost");
        pages.allocated()
    }

    fn assert_no_leaks(&self) {
        assert_eq!(self.server.end_count(), 0, "ends left");
        assert_eq!(self.server.pipe_count(), 0, "pipes left");
        assert_eq!(self.server.waiter_count(), 0, "waiters left");
    }
}

/// Recognisable bytes: `seed` then counting up.
fn pattern(seed: u8, length: usize) -> Vec<u8> {
    (0..length).map(|index| seed.wrapping_add((index % 251) as u8)).collect()
}

fn done(count: usize) -> Outcome {
    Outcome::Done(Ok(count as u64))
}

fn failed(error: Errno) -> Outcome {
    Outcome::Done(Err(error))
}

// pipe2 and status flags.

#[test]
fn pipe2_takes_only_nonblock_and_cloexec() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert!(read != 0 && write != 0 && read != write);
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY));
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY));
    let (read, write) = harness.pipe(O_NONBLOCK | O_CLOEXEC);
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY | O_NONBLOCK));
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY | O_NONBLOCK));
    let (read, write) = harness.pipe(O_CLOEXEC);
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY));
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY));
    const O_DIRECT: u64 = 0o40000;
    for flags in [O_DIRECT, O_APPEND, O_RDWR, 1 << 40] {
        assert_eq!(harness.server.create_pipe(flags), Err(Errno::Einval), "{flags:#o}");
    }
    assert_eq!(harness.server.pipe_count(), 3);
    assert_eq!(harness.server.end_count(), 6);
}

#[test]
fn set_status_flags_changes_only_append_and_nonblock() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(
        harness.server.set_status_flags(read, O_NONBLOCK | O_APPEND | O_RDWR | 0o100),
        Ok(())
    );
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY | O_NONBLOCK | O_APPEND));
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY), "per end");
    assert_eq!(harness.server.set_status_flags(read, 0), Ok(()));
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY));
    assert_eq!(harness.server.set_status_flags(99, 0), Err(Errno::Ebadf));
    assert_eq!(harness.server.status_flags(99), Err(Errno::Ebadf));
}

#[test]
fn nonblock_set_later_governs_later_calls() {
    let mut harness = Harness::new();
    let (read, _write) = harness.pipe(0);
    assert_eq!(harness.server.set_status_flags(read, O_NONBLOCK), Ok(()));
    assert_eq!(harness.read(read, 10).1, failed(Errno::Eagain));
    assert_eq!(harness.server.set_status_flags(read, 0), Ok(()));
    assert_eq!(harness.read(read, 10).1, Outcome::Blocked);
}

// Reads.

#[test]
fn read_answers_what_is_buffered_at_once() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 1, 10), done(10));
    assert_eq!(harness.read_now(read, 100), pattern(1, 10));
    assert_eq!(harness.write_pattern(write, 2, 10), done(10));
    assert_eq!(harness.read_now(read, 4), pattern(2, 4));
    assert_eq!(harness.read_now(read, 100), pattern(2, 10)[4..]);
    assert_eq!(harness.server.buffered(read), Ok(0));
}

#[test]
fn read_spans_slots() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, 3);
    assert_eq!(harness.write_pattern(write, 9, 5), done(5), "a fourth slot");
    assert_eq!(harness.server.occupied_slots(read), Ok(4));
    let bytes = harness.read_now(read, 3 * SLOT_SIZE + 2);
    assert_eq!(bytes.len(), 3 * SLOT_SIZE + 2);
    assert_eq!(bytes[2 * SLOT_SIZE..3 * SLOT_SIZE], pattern(2, SLOT_SIZE)[..]);
    assert_eq!(bytes[3 * SLOT_SIZE..], pattern(9, 2)[..]);
    assert_eq!(harness.server.occupied_slots(read), Ok(1));
}

#[test]
fn read_of_zero_bytes_answers_zero_at_once() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.read(read, 0).1, done(0), "empty pipe with a writer");
    assert_eq!(harness.write_pattern(write, 0, 3), done(3));
    assert_eq!(harness.read(read, 0).1, done(0));
    assert_eq!(harness.server.buffered(read), Ok(3), "nothing taken");
    assert_eq!(harness.read(write, 0).1, failed(Errno::Ebadf), "access is checked first");
}

#[test]
fn empty_pipe_without_writer_reads_end_of_file() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 0, 3), done(3));
    harness.release(write);
    assert_eq!(harness.read_now(read, 10), pattern(0, 3), "data first");
    assert_eq!(harness.read(read, 10).1, done(0));
    let (read, write) = harness.pipe(O_NONBLOCK);
    harness.release(write);
    assert_eq!(harness.read(read, 10).1, done(0), "end of file before EAGAIN, as Linux");
}

#[test]
fn empty_pipe_nonblocking_read_is_eagain() {
    let mut harness = Harness::new();
    let (read, _write) = harness.pipe(O_NONBLOCK);
    assert_eq!(harness.read(read, 10).1, failed(Errno::Eagain));
    assert_eq!(harness.server.waiter_count(), 0);
}

#[test]
fn blocked_read_gets_the_next_write() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (reader, outcome) = harness.read(read, 100);
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.server.waiter_count(), 1);
    assert_eq!(harness.write_pattern(write, 5, 30), done(30));
    assert_eq!(harness.answered(), vec![(reader, Ok(30))]);
    assert_eq!(harness.received(reader, 30), pattern(5, 30));
    assert_eq!(harness.server.buffered(read), Ok(0));
}

#[test]
fn wrong_end_or_unknown_end_is_ebadf() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.read(write, 10).1, failed(Errno::Ebadf));
    assert_eq!(harness.write_pattern(read, 0, 10), failed(Errno::Ebadf));
    assert_eq!(harness.read(77, 10).1, failed(Errno::Ebadf));
    assert_eq!(harness.write_pattern(77, 0, 10), failed(Errno::Ebadf));
    assert_eq!(harness.server.capacity(77), Err(Errno::Ebadf));
    assert_eq!(harness.set_capacity(77, 4096, true), Err(Errno::Ebadf));
    harness.release(read);
    assert_eq!(harness.read(read, 10).1, failed(Errno::Ebadf), "released ends are forgotten");
    harness.release(read);
    harness.release(77);
}

// Writes.

#[test]
fn write_without_reader_is_epipe() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.release(read);
    assert_eq!(harness.write_pattern(write, 0, 1), failed(Errno::Epipe));
    assert_eq!(harness.write_pattern(write, 0, 100_000), failed(Errno::Epipe));
    assert_eq!(harness.write_pattern(write, 0, 0), done(0), "an empty write succeeds first");
}

#[test]
fn small_writes_merge_into_the_last_slot() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    for _ in 0..40 {
        assert_eq!(harness.write_pattern(write, 0, 100), done(100));
    }
    assert_eq!(harness.server.occupied_slots(read), Ok(1), "4000 bytes in one page");
    assert_eq!(harness.write_pattern(write, 0, 100), done(100));
    assert_eq!(harness.server.occupied_slots(read), Ok(2), "4100 bytes need a second page");
    assert_eq!(harness.write_pattern(write, 0, 96), done(96));
    assert_eq!(harness.server.occupied_slots(read), Ok(2));
}

#[test]
fn a_write_merges_only_its_part_below_a_page() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 0, 100), done(100));
    // 4096 bytes: no part below a page, so a fresh slot although 3996 would fit.
    assert_eq!(harness.write_pattern(write, 0, SLOT_SIZE), done(SLOT_SIZE));
    assert_eq!(harness.server.occupied_slots(read), Ok(2));
    // 5000 = 4096 + 904: the 904 do not fit behind a full page: two fresh slots.
    assert_eq!(harness.write_pattern(write, 0, 5000), done(5000));
    assert_eq!(harness.server.occupied_slots(read), Ok(4));
    // 4200 = 4096 + 104: 104 fit behind the last slot's 904 bytes: one fresh slot.
    assert_eq!(harness.write_pattern(write, 0, 4200), done(4200));
    assert_eq!(harness.server.occupied_slots(read), Ok(5));
    assert_eq!(harness.server.buffered(read), Ok(100 + 4096 + 5000 + 4200));
}

#[test]
fn bytes_read_from_a_slot_are_not_room_for_a_merge() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 0, 4000), done(4000));
    assert_eq!(harness.read_now(read, 3000).len(), 3000);
    assert_eq!(harness.write_pattern(write, 0, 200), done(200));
    assert_eq!(harness.server.occupied_slots(read), Ok(2), "4000 + 200 > 4096");
    assert_eq!(harness.write_pattern(write, 0, 50), done(50));
    assert_eq!(harness.server.occupied_slots(read), Ok(2));
}

#[test]
fn nonblocking_write_moves_what_fits_and_answers_the_count() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(O_NONBLOCK);
    assert_eq!(harness.write_pattern(write, 0, 100_000), done(DEFAULT_CAPACITY));
    assert_eq!(harness.write_pattern(write, 0, 100_000), failed(Errno::Eagain));
    assert_eq!(harness.write_pattern(write, 0, 1), failed(Errno::Eagain));
    assert_eq!(harness.read_now(read, 5000).len(), 5000, "frees one slot");
    assert_eq!(harness.write_pattern(write, 0, 100_000), done(SLOT_SIZE));
    // A partial count also comes from the merge alone: 8192 + 10 bytes when only merge
    // room is left.
    let (read, write) = harness.pipe(O_NONBLOCK);
    harness.fill_pages(write, 15);
    assert_eq!(harness.write_pattern(write, 0, 100), done(100));
    assert_eq!(harness.write_pattern(write, 0, 8192 + 10), done(10));
    assert_eq!(harness.server.buffered(read), Ok(15 * SLOT_SIZE + 100 + 10));
    assert_eq!(harness.server.waiter_count(), 0);
}

#[test]
fn pipe_buf_writes_are_all_or_nothing() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(O_NONBLOCK);
    harness.fill_pages(write, 15);
    assert_eq!(harness.write_pattern(write, 0, SLOT_SIZE - 10), done(SLOT_SIZE - 10));
    assert_eq!(harness.server.occupied_slots(read), Ok(16), "full: 10 bytes of merge room");
    assert_eq!(harness.write_pattern(write, 0, 11), failed(Errno::Eagain), "no partial write");
    assert_eq!(harness.write_pattern(write, 0, PIPE_BUF), failed(Errno::Eagain));
    assert_eq!(harness.write_pattern(write, 0, 10), done(10));
    assert_eq!(harness.write_pattern(write, 0, 1), failed(Errno::Eagain));
    // Bytes read at the front of the first slot free no slot.
    assert_eq!(harness.read_now(read, 1).len(), 1);
    assert_eq!(harness.write_pattern(write, 0, PIPE_BUF + 1), failed(Errno::Eagain));
}

#[test]
fn blocking_small_write_waits_until_it_fits_whole() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, 15);
    assert_eq!(harness.write_pattern(write, 0, SLOT_SIZE - 10), done(SLOT_SIZE - 10));
    let (writer, outcome) = harness.write(write, &pattern(77, 100));
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.server.buffered(read), Ok(16 * SLOT_SIZE - 10), "nothing moved");
    assert_eq!(harness.read_now(read, 100).len(), 100);
    assert_eq!(harness.answered(), vec![], "no slot freed yet");
    assert_eq!(harness.read_now(read, SLOT_SIZE - 100).len(), SLOT_SIZE - 100);
    assert_eq!(harness.answered(), vec![(writer, Ok(100))]);
    assert_eq!(harness.server.occupied_slots(read), Ok(16));
}

#[test]
fn large_blocking_write_moves_what_fits_then_waits_for_the_rest() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let data = pattern(3, 100_000);
    let (writer, outcome) = harness.write(write, &data);
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.server.buffered(read), Ok(DEFAULT_CAPACITY));
    let mut received = Vec::new();
    while received.len() < data.len() {
        received.extend(harness.read_now(read, 10_000));
    }
    assert_eq!(received, data);
    assert_eq!(harness.answered(), vec![(writer, Ok(100_000))]);
}

#[test]
fn a_blocking_write_that_a_waiting_reader_drains_finishes_at_once() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (reader, outcome) = harness.read(read, 200_000);
    assert_eq!(outcome, Outcome::Blocked);
    let (_, outcome) = harness.write(write, &pattern(0, 100_000));
    // The reader takes the first 64 KiB, then the writer puts in the rest.
    assert_eq!(outcome, done(100_000));
    assert_eq!(harness.answered(), vec![(reader, Ok(DEFAULT_CAPACITY as u64))]);
    assert_eq!(harness.server.buffered(read), Ok(100_000 - DEFAULT_CAPACITY));
}

#[test]
fn large_and_small_writers_interleave_but_small_writes_stay_whole() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let big = pattern(1, 3 * DEFAULT_CAPACITY + 123);
    let (big_writer, outcome) = harness.write(write, &big);
    assert_eq!(outcome, Outcome::Blocked);
    let small: Vec<Vec<u8>> = (0..3).map(|index| vec![200 + index; 700]).collect();
    let small_writers: Vec<u32> = small
        .iter()
        .map(|data| {
            let (writer, outcome) = harness.write(write, data);
            assert_eq!(outcome, Outcome::Blocked, "no merge room: the last slot is full");
            writer
        })
        .collect();
    let mut stream = Vec::new();
    while harness.server.waiter_count() > 0 || harness.server.buffered(read) != Ok(0) {
        stream.extend(harness.read_now(read, 5000));
    }
    let mut expected = big.clone();
    for data in &small {
        expected.extend_from_slice(data);
    }
    assert_eq!(stream, expected, "waiting writers never overtake one another");
    let mut order = vec![big_writer];
    order.extend(&small_writers);
    let answered: Vec<u32> = harness.answered().into_iter().map(|(writer, _)| writer).collect();
    assert_eq!(answered, order);
}

#[test]
fn a_starting_write_may_merge_past_a_writer_that_waits_for_a_slot() {
    // Linux: the waiting writer sleeps until a slot is free; the new writer's merge into
    // the last slot does not need one.
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, 15);
    assert_eq!(harness.write_pattern(write, 0, 1000), done(1000));
    let (waiting, outcome) = harness.write(write, &pattern(0, SLOT_SIZE));
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.write_pattern(write, 9, 10), done(10));
    harness.server.set_status_flags(write, O_NONBLOCK).expect("F_SETFL");
    assert_eq!(harness.write_pattern(write, 9, 10), done(10), "non-blocking too");
    assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
    assert_eq!(harness.answered(), vec![(waiting, Ok(SLOT_SIZE as u64))]);
}

#[test]
fn waiting_readers_are_served_in_order() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (first, _) = harness.read(read, 10);
    let (second, _) = harness.read(read, 10);
    let (third, _) = harness.read(read, 10);
    assert_eq!(harness.server.waiter_count(), 3);
    assert_eq!(harness.write_pattern(write, 0, 15), done(15));
    assert_eq!(harness.answered(), vec![(first, Ok(10)), (second, Ok(5))]);
    assert_eq!(harness.received(first, 10), pattern(0, 10));
    assert_eq!(harness.received(second, 5), pattern(0, 15)[10..]);
    assert_eq!(harness.write_pattern(write, 0, 1), done(1));
    assert_eq!(harness.answered(), vec![(third, Ok(1))]);
}

#[test]
fn waiting_writers_are_served_in_order() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, 16);
    let (first, _) = harness.write(write, &pattern(1, 10));
    let (second, _) = harness.write(write, &pattern(2, SLOT_SIZE));
    let (third, _) = harness.write(write, &pattern(3, 10));
    assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
    assert_eq!(harness.answered(), vec![(first, Ok(10))]);
    assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
    assert_eq!(harness.answered(), vec![(second, Ok(SLOT_SIZE as u64))]);
    assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
    assert_eq!(harness.answered(), vec![(third, Ok(10))]);
}

// Closing.

#[test]
fn last_writer_gone_gives_waiting_readers_end_of_file() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (first, _) = harness.read(read, 10);
    let (second, _) = harness.read(read, 10);
    harness.release(write);
    assert_eq!(harness.answered(), vec![(first, Ok(0)), (second, Ok(0))]);
    harness.release(read);
    harness.assert_no_leaks();
}

#[test]
fn last_reader_gone_gives_waiting_writers_their_count_or_epipe() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (big, outcome) = harness.write(write, &pattern(0, 100_000));
    assert_eq!(outcome, Outcome::Blocked);
    let (small, outcome) = harness.write(write, &pattern(0, 10));
    assert_eq!(outcome, Outcome::Blocked);
    harness.release(read);
    assert_eq!(
        harness.answered(),
        vec![(big, Ok(DEFAULT_CAPACITY as u64)), (small, Err(Errno::Epipe))]
    );
    assert_eq!(harness.server.capacity(write), Ok(DEFAULT_CAPACITY), "data is kept");
    assert_eq!(harness.set_capacity(write, 4096, false), Err(Errno::Ebusy));
    harness.release(write);
    harness.assert_no_leaks();
}

#[test]
fn an_end_with_waiting_calls_closes_when_they_are_over() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (reader, _) = harness.read(read, 10);
    harness.release(read);
    assert_eq!(harness.server.end_count(), 2, "the waiting read keeps its end");
    assert_eq!(harness.read(read, 10).1, failed(Errno::Ebadf), "but no new call goes through");
    assert_eq!(harness.write_pattern(write, 0, 25), done(25), "the reader still counts");
    assert_eq!(harness.answered(), vec![(reader, Ok(10))]);
    assert_eq!(harness.server.end_count(), 1);
    assert_eq!(harness.write_pattern(write, 0, 1), failed(Errno::Epipe));
    // The same with a cancel: the writer's end closes, the reader gets end of file.
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, 16);
    let (writer, _) = harness.write(write, &pattern(0, 10));
    harness.release(write);
    assert!(harness.cancel(writer, false));
    assert_eq!(harness.answered(), vec![(writer, Err(Errno::Eintr))]);
    assert_eq!(harness.read_now(read, 100_000).len(), DEFAULT_CAPACITY);
    assert_eq!(harness.read(read, 1).1, done(0));
}

#[test]
fn releasing_every_end_frees_the_pipe() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 0, 10), done(10));
    harness.release(write);
    assert_eq!(harness.server.pipe_count(), 1);
    harness.release(read);
    harness.assert_no_leaks();
}

// Cancel.

#[test]
fn cancel_answers_eintr_or_the_count_moved() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (reader, _) = harness.read(read, 10);
    assert!(harness.cancel(reader, false));
    assert_eq!(harness.answered(), vec![(reader, Err(Errno::Eintr))]);
    assert!(!harness.cancel(reader, false), "answered once");
    let (big, _) = harness.write(write, &pattern(0, 100_000));
    let (small, _) = harness.write(write, &pattern(0, 10));
    assert!(harness.cancel(big, false));
    assert!(harness.cancel(small, false));
    assert_eq!(
        harness.answered(),
        vec![(big, Ok(DEFAULT_CAPACITY as u64)), (small, Err(Errno::Eintr))]
    );
    assert_eq!(harness.server.waiter_count(), 0);
    assert!(!harness.cancel(12345, false));
}

#[test]
fn cancel_of_a_gone_caller_answers_nobody() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (reader, _) = harness.read(read, 10);
    assert!(harness.cancel(reader, true));
    assert_eq!(harness.answered(), vec![]);
    let (writer, _) = harness.write(write, &pattern(0, 100_000));
    assert!(harness.cancel(writer, true));
    assert_eq!(harness.answered(), vec![]);
    assert_eq!(harness.server.waiter_count(), 0);
    harness.release(read);
    harness.release(write);
    harness.assert_no_leaks();
}

#[test]
fn a_waiting_writer_whose_end_became_nonblocking_answers_on_progress() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (writer, outcome) = harness.write(write, &pattern(0, 100_000));
    assert_eq!(outcome, Outcome::Blocked);
    harness.server.set_status_flags(write, O_NONBLOCK).expect("F_SETFL");
    assert_eq!(harness.answered(), vec![], "setting the flag wakes nobody");
    assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
    assert_eq!(harness.answered(), vec![(writer, Ok((DEFAULT_CAPACITY + SLOT_SIZE) as u64))]);
}

// Capacity.

#[test]
fn capacity_starts_at_sixteen_pages() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.server.capacity(read), Ok(DEFAULT_CAPACITY));
    assert_eq!(harness.server.capacity(write), Ok(65536));
}

#[test]
fn set_capacity_rounds_up_to_a_power_of_two_of_pages() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let cases: [(u64, Result<usize, Errno>); 13] = [
        (0, Ok(4096)),
        (1, Ok(4096)),
        (4095, Ok(4096)),
        (4096, Ok(4096)),
        (4097, Ok(8192)),
        (12288, Ok(16384)),
        (65537, Ok(131072)),
        (MAX_CAPACITY as u64, Ok(MAX_CAPACITY)),
        ((1 << 31) + 1, Err(Errno::Einval)),
        (u64::from(u32::MAX), Err(Errno::Einval)),
        // The argument is an unsigned int: the high half is dropped.
        ((1 << 32) | 8192, Ok(8192)),
        (1 << 32, Ok(4096)),
        (3 << 30, Err(Errno::Einval)),
    ];
    for (requested, expected) in cases {
        assert_eq!(harness.set_capacity(write, requested, false), expected, "{requested:#x}");
        if let Ok(size) = expected {
            assert_eq!(harness.server.capacity(read), Ok(size), "{requested:#x}");
        }
    }
    assert_eq!(harness.set_capacity(read, 1 << 31, true), Ok(1 << 31), "either end");
}

#[test]
fn growing_above_the_limit_needs_privilege() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.set_capacity(write, MAX_CAPACITY as u64 + 1, false), Err(Errno::Eperm));
    assert_eq!(harness.server.capacity(read), Ok(DEFAULT_CAPACITY));
    assert_eq!(harness.set_capacity(write, 2 * MAX_CAPACITY as u64, true), Ok(2 * MAX_CAPACITY));
    // Not growing: allowed without privilege, even above the limit.
    assert_eq!(harness.set_capacity(write, 2 * MAX_CAPACITY as u64, false), Ok(2 * MAX_CAPACITY));
    assert_eq!(harness.set_capacity(write, 4 * MAX_CAPACITY as u64, false), Err(Errno::Eperm));
    assert_eq!(harness.set_capacity(write, 4096, false), Ok(4096));
}

#[test]
fn shrinking_below_the_occupied_slots_is_ebusy() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    assert_eq!(harness.write_pattern(write, 0, 3), done(3));
    assert_eq!(harness.write_pattern(write, 0, SLOT_SIZE), done(SLOT_SIZE));
    assert_eq!(harness.read_now(read, SLOT_SIZE - 3).len(), SLOT_SIZE - 3);
    assert_eq!(harness.write_pattern(write, 0, 3), done(3), "no room behind a full page");
    // Two slots hold 6 + 3 bytes: a one-page pipe could hold the bytes, not the slots.
    assert_eq!(
        (harness.server.occupied_slots(read), harness.server.buffered(read)),
        (Ok(2), Ok(9))
    );
    assert_eq!(harness.set_capacity(write, SLOT_SIZE as u64, false), Err(Errno::Ebusy));
    assert_eq!(harness.server.capacity(read), Ok(DEFAULT_CAPACITY));
    assert_eq!(harness.set_capacity(write, 2 * SLOT_SIZE as u64, false), Ok(2 * SLOT_SIZE));
    assert_eq!(harness.read_now(read, 6).len(), 6);
    assert_eq!(harness.set_capacity(write, 0, false), Ok(SLOT_SIZE));
    // Full at one slot, a write that fits behind the last slot's data still goes.
    assert_eq!(harness.write_pattern(write, 0, 1), done(1));
    assert_eq!(harness.server.buffered(read), Ok(4));
}

#[test]
fn growing_lets_waiting_writers_go_on() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (writer, outcome) = harness.write(write, &pattern(4, 100_000));
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.set_capacity(read, 1 << 17, false), Ok(1 << 17));
    assert_eq!(harness.answered(), vec![(writer, Ok(100_000))]);
    assert_eq!(harness.read_now(read, 200_000), pattern(4, 100_000));
}

// FIFOs.

#[test]
fn opening_an_unknown_fifo_is_enoent() {
    let mut harness = Harness::new();
    assert_eq!(harness.open(5, Access::Read, false).1, failed(Errno::Enoent));
    let fifo = harness.server.create_fifo();
    assert_ne!(fifo, 0);
    let _ = harness.server.remove_fifo(fifo);
    assert_eq!(harness.open(fifo, Access::ReadWrite, false).1, failed(Errno::Enoent));
    assert_eq!(harness.server.fifo_count(), 0);
}

#[test]
fn read_open_waits_for_a_writer() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let (reader, outcome) = harness.open(fifo, Access::Read, false);
    assert_eq!(outcome, Outcome::Blocked);
    let (second_reader, outcome) = harness.open(fifo, Access::Read, false);
    assert_eq!(outcome, Outcome::Blocked, "a reader does not complete readers");
    let write = harness.opened(fifo, Access::Write, false);
    let answered = harness.answered();
    assert_eq!(answered.len(), 2);
    assert_eq!((answered[0].0, answered[1].0), (reader, second_reader));
    let read = answered[0].1.expect("opened");
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY));
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY));
    assert_eq!(harness.write_pattern(write, 8, 20), done(20));
    assert_eq!(harness.read_now(read, 100), pattern(8, 20));
}

#[test]
fn write_open_waits_for_a_reader() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let (first, outcome) = harness.open(fifo, Access::Write, false);
    assert_eq!(outcome, Outcome::Blocked);
    let (second, outcome) = harness.open(fifo, Access::Write, false);
    assert_eq!(outcome, Outcome::Blocked);
    // A non-blocking reader completes them, and sees writers (no end of file).
    let read = harness.opened(fifo, Access::Read, true);
    let answered = harness.answered();
    assert_eq!(answered.iter().map(|answer| answer.0).collect::<Vec<_>>(), vec![first, second]);
    assert_eq!(harness.read(read, 10).1, failed(Errno::Eagain));
    let write = answered[1].1.expect("opened");
    assert_eq!(harness.write_pattern(write, 1, 5), done(5));
    assert_eq!(harness.read_now(read, 10), pattern(1, 5));
}

#[test]
fn nonblocking_read_open_does_not_wait() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let read = harness.opened(fifo, Access::Read, true);
    assert_eq!(harness.server.status_flags(read), Ok(O_RDONLY | O_NONBLOCK));
    assert_eq!(harness.read(read, 10).1, done(0), "no writer: end of file");
    // A blocking read-open still waits: a reader present is not a writer.
    let (waiting, outcome) = harness.open(fifo, Access::Read, false);
    assert_eq!(outcome, Outcome::Blocked);
    let write = harness.opened(fifo, Access::Write, false);
    assert!(matches!(harness.answered()[..], [(token, Ok(_))] if token == waiting));
    harness.release(write);
    assert_eq!(harness.server.end_count(), 2);
}

#[test]
fn nonblocking_write_open_without_reader_is_enxio() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    assert_eq!(harness.open(fifo, Access::Write, true).1, failed(Errno::Enxio));
    assert_eq!(harness.server.pipe_count(), 0, "nothing is left behind");
    // A reader waiting in its open counts as a reader.
    let (reader, outcome) = harness.open(fifo, Access::Read, false);
    assert_eq!(outcome, Outcome::Blocked);
    let write = harness.opened(fifo, Access::Write, true);
    assert_eq!(harness.server.status_flags(write), Ok(O_WRONLY | O_NONBLOCK));
    assert!(matches!(harness.answered()[..], [(token, Ok(_))] if token == reader));
}

#[test]
fn a_waiting_write_open_counts_as_a_writer() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let (writer, outcome) = harness.open(fifo, Access::Write, false);
    assert_eq!(outcome, Outcome::Blocked);
    // A blocking read-open does not wait: there is a writer (the one opening).
    let read = harness.opened(fifo, Access::Read, false);
    assert!(matches!(harness.answered()[..], [(token, Ok(_))] if token == writer));
    assert_eq!(harness.read(read, 1).1, Outcome::Blocked);
}

#[test]
fn read_write_open_never_waits_and_completes_waiting_opens() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let end = harness.opened(fifo, Access::ReadWrite, false);
    assert_eq!(harness.server.status_flags(end), Ok(O_RDWR));
    assert_eq!(harness.write_pattern(end, 6, 7), done(7));
    assert_eq!(harness.read_now(end, 10), pattern(6, 7), "it talks to itself");
    assert_eq!(harness.read(end, 1).1, Outcome::Blocked, "its own writer keeps it waiting");
    harness.release(end);
    assert_eq!(harness.server.end_count(), 1);
    let fifo = harness.server.create_fifo();
    let (first, _) = harness.open(fifo, Access::Read, false);
    let (second, _) = harness.open(fifo, Access::Read, false);
    let _both = harness.opened(fifo, Access::ReadWrite, true);
    let answered: Vec<u32> = harness.answered().into_iter().map(|answer| answer.0).collect();
    assert_eq!(answered, vec![first, second]);
}

#[test]
fn a_fifo_keeps_its_data_while_an_end_is_open_and_starts_afresh_after() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let read = harness.opened(fifo, Access::Read, true);
    let write = harness.opened(fifo, Access::Write, false);
    assert_eq!(harness.set_capacity(write, 8192, false), Ok(8192));
    assert_eq!(harness.write_pattern(write, 2, 10), done(10));
    harness.release(write);
    let write = harness.opened(fifo, Access::Write, false);
    assert_eq!(harness.read_now(read, 4), pattern(2, 4), "same pipe, data kept");
    assert_eq!(harness.server.capacity(write), Ok(8192));
    harness.release(read);
    harness.release(write);
    assert_eq!(harness.server.pipe_count(), 0, "the pipe goes with its last end");
    let read = harness.opened(fifo, Access::Read, true);
    assert_eq!(harness.read(read, 10).1, done(0), "a fresh, empty pipe");
    assert_eq!(harness.server.capacity(read), Ok(DEFAULT_CAPACITY));
}

#[test]
fn an_interrupted_open_is_undone() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let (reader, _) = harness.open(fifo, Access::Read, false);
    assert_eq!(harness.server.end_count(), 1);
    assert!(harness.cancel(reader, false));
    assert_eq!(harness.answered(), vec![(reader, Err(Errno::Eintr))]);
    harness.assert_no_leaks();
    // No reader is left: a non-blocking writer gets ENXIO.
    assert_eq!(harness.open(fifo, Access::Write, true).1, failed(Errno::Enxio));
    let (writer, _) = harness.open(fifo, Access::Write, false);
    assert!(harness.cancel(writer, true));
    assert_eq!(harness.answered(), vec![]);
    harness.assert_no_leaks();
}

#[test]
fn removing_a_fifo_fails_waiting_opens_and_keeps_open_ends() {
    let mut harness = Harness::new();
    let fifo = harness.server.create_fifo();
    let (first, _) = harness.open(fifo, Access::Read, false);
    let (second, _) = harness.open(fifo, Access::Read, false);
    let answers: Vec<(u32, Result<u64, Errno>)> = harness
        .server
        .remove_fifo(fifo)
        .into_iter()
        .map(|answer| (answer.waiter, answer.result))
        .collect();
    assert_eq!(answers, vec![(first, Err(Errno::Enoent)), (second, Err(Errno::Enoent))]);
    harness.assert_no_leaks();
    let fifo = harness.server.create_fifo();
    let end = harness.opened(fifo, Access::ReadWrite, false);
    assert!(harness.server.remove_fifo(fifo).is_empty());
    assert_eq!(harness.write_pattern(end, 0, 3), done(3), "the pipe lives on");
    assert_eq!(harness.read_now(end, 3), pattern(0, 3));
    harness.release(end);
    harness.assert_no_leaks();
}

// Leases that fail.

#[test]
fn a_failing_lease_fails_the_current_call_and_changes_nothing() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    harness.buffers.bad.insert(harness.next_token + 1);
    assert_eq!(harness.write_pattern(write, 0, 10), failed(Errno::Efault));
    assert_eq!(harness.server.buffered(read), Ok(0));
    // A buffer shorter than the call says: EFAULT too.
    harness.buffers.short.insert(harness.next_token + 1, 5);
    assert_eq!(harness.write_pattern(write, 0, 10), failed(Errno::Efault));
    assert_eq!(harness.server.buffered(read), Ok(0));
    assert_eq!(harness.write_pattern(write, 1, 10), done(10));
    harness.buffers.bad.insert(harness.next_token + 1);
    assert_eq!(harness.read(read, 10).1, failed(Errno::Efault));
    assert_eq!(harness.server.buffered(read), Ok(10), "nothing taken");
    assert_eq!(harness.read_now(read, 10), pattern(1, 10));
}

#[test]
fn a_failing_lease_of_a_waiter_answers_it_and_serves_the_next() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (first, _) = harness.read(read, 10);
    let (second, _) = harness.read(read, 10);
    harness.buffers.bad.insert(first);
    assert_eq!(harness.write_pattern(write, 3, 4), done(4));
    assert_eq!(harness.answered(), vec![(first, Err(Errno::Efault)), (second, Ok(4))]);
    assert_eq!(harness.received(second, 4), pattern(3, 4));
    // Writers: one that moved bytes gets its count, one that did not the error.
    let (big, _) = harness.write(write, &pattern(0, 100_000));
    let (small, _) = harness.write(write, &pattern(0, 10));
    let (last, _) = harness.write(write, &pattern(7, 10));
    harness.buffers.bad.insert(big);
    harness.buffers.bad.insert(small);
    assert_eq!(harness.read_now(read, DEFAULT_CAPACITY).len(), DEFAULT_CAPACITY);
    assert_eq!(
        harness.answered(),
        vec![(big, Ok(DEFAULT_CAPACITY as u64)), (small, Err(Errno::Efault)), (last, Ok(10))]
    );
    assert_eq!(harness.read_now(read, 100), pattern(7, 10));
}

#[test]
fn a_write_whose_copy_comes_up_short_mid_way_changes_nothing() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(O_NONBLOCK);
    assert_eq!(harness.write_pattern(write, 1, 100), done(100));
    // 50 bytes to merge behind the 100, then three fresh pages; the buffer ends inside the
    // merge, at a page boundary, and inside the third page.
    let length = 50 + 3 * SLOT_SIZE;
    for short in [20, 50, 50 + SLOT_SIZE, 50 + 2 * SLOT_SIZE + 10, length - 1] {
        harness.buffers.short.insert(harness.next_token + 1, short);
        assert_eq!(harness.write_pattern(write, 9, length), failed(Errno::Efault), "{short}");
        assert_eq!(harness.server.buffered(read), Ok(100), "{short}");
        assert_eq!(harness.server.occupied_slots(read), Ok(1), "{short}");
        harness.pages_allocated(1);
    }
    // The last slot's room is untouched: the next small write merges behind the 100 bytes.
    assert_eq!(harness.write_pattern(write, 2, 50), done(50));
    assert_eq!(harness.server.occupied_slots(read), Ok(1));
    let mut expected = pattern(1, 100);
    expected.extend(pattern(2, 50));
    assert_eq!(harness.read_now(read, 10_000), expected);
    assert_eq!(harness.server.buffered(read), Ok(0));
}

#[test]
fn a_waiting_writer_whose_copy_comes_up_short_answers_its_count_and_changes_nothing() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let data = pattern(4, 20 * SLOT_SIZE);
    // The buffer ends half way into the 19th page: the first 16 pages go in at once, the
    // round after a read fails on its third page.
    harness.buffers.short.insert(harness.next_token + 1, 18 * SLOT_SIZE + SLOT_SIZE / 2);
    let (writer, outcome) = harness.write(write, &data);
    assert_eq!(outcome, Outcome::Blocked);
    assert_eq!(harness.read_now(read, 4 * SLOT_SIZE), data[..4 * SLOT_SIZE]);
    assert_eq!(harness.answered(), vec![(writer, Ok(DEFAULT_CAPACITY as u64))]);
    assert_eq!(harness.server.buffered(read), Ok(12 * SLOT_SIZE));
    assert_eq!(harness.server.occupied_slots(read), Ok(12));
    harness.pages_allocated(12);
    assert_eq!(harness.read_now(read, DEFAULT_CAPACITY), data[4 * SLOT_SIZE..16 * SLOT_SIZE]);
}

#[test]
fn a_read_whose_copy_fails_mid_way_leaves_the_data_in_place() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(O_NONBLOCK);
    // Slots of 200, a page and a page; the first 50 bytes read already.
    let mut data = pattern(1, 100);
    data.extend(pattern(2, 2 * SLOT_SIZE + 100));
    assert_eq!(harness.write(write, &data[..100]).1, done(100));
    assert_eq!(harness.write(write, &data[100..]).1, done(data.len() - 100));
    assert_eq!(harness.server.occupied_slots(read), Ok(3));
    assert_eq!(harness.read_now(read, 50), data[..50]);
    for short in [0, 100, 150, 150 + SLOT_SIZE, data.len() - 51] {
        harness.buffers.short.insert(harness.next_token + 1, short);
        assert_eq!(harness.read(read, 20_000).1, failed(Errno::Efault), "{short}");
        assert_eq!(harness.server.buffered(read), Ok(data.len() - 50), "{short}");
        assert_eq!(harness.server.occupied_slots(read), Ok(3), "{short}");
    }
    // Each slot's part lands at its offset in the reader's buffer.
    assert_eq!(harness.read_now(read, 20_000), data[50..]);
    harness.pages_allocated(0);
}

#[test]
fn a_waiting_reader_whose_copy_fails_mid_way_gets_the_error_and_the_next_one_the_data() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let (first, _) = harness.read(read, 10_000);
    harness.buffers.short.insert(first, 5000);
    let (second, _) = harness.read(read, 10_000);
    let data = pattern(6, 3 * SLOT_SIZE);
    assert_eq!(harness.write(write, &data).1, done(data.len()));
    assert_eq!(harness.answered(), vec![(first, Err(Errno::Efault)), (second, Ok(10_000))]);
    assert_eq!(harness.received(second, 10_000), data[..10_000]);
    assert_eq!(harness.read_now(read, 10_000), data[10_000..]);
}

#[test]
fn slot_pages_are_reused() {
    let mut harness = Harness::new();
    let (read, write) = harness.pipe(0);
    let slots = DEFAULT_CAPACITY / SLOT_SIZE;
    for round in 0..200 {
        let seed = (round % 200) as u8;
        for length in [1, 100, PIPE_BUF, SLOT_SIZE + 1, DEFAULT_CAPACITY] {
            assert_eq!(harness.write_pattern(write, seed, length), done(length));
            assert_eq!(harness.read_now(read, length), pattern(seed, length));
        }
        // A writer that waits for slots, and a reader that leaves part of a slot.
        let (writer, outcome) = harness.write(write, &pattern(seed, DEFAULT_CAPACITY + 10));
        assert_eq!(outcome, Outcome::Blocked);
        assert_eq!(harness.read_now(read, 7), pattern(seed, 7));
        assert_eq!(harness.answered(), vec![]);
        assert_eq!(harness.read_now(read, SLOT_SIZE).len(), SLOT_SIZE);
        assert_eq!(harness.answered(), vec![(writer, Ok(DEFAULT_CAPACITY as u64 + 10))]);
        assert_eq!(
            harness.read_now(read, DEFAULT_CAPACITY).len(),
            DEFAULT_CAPACITY - SLOT_SIZE + 3
        );
    }
    assert_eq!(harness.pages_allocated(0), slots, "one pipe's worth, once");
    // A pipe that goes with data in it gives its pages back; the next pipe uses them.
    harness.fill_pages(write, slots);
    harness.release(read);
    harness.release(write);
    let (read, write) = harness.pipe(0);
    harness.fill_pages(write, slots);
    assert_eq!(harness.pages_allocated(slots), slots);
    // Two full pipes need twice the pages; once drained, only one pipe's worth is kept.
    let (other_read, other_write) = harness.pipe(0);
    harness.fill_pages(other_write, slots);
    assert_eq!(harness.read_now(read, DEFAULT_CAPACITY).len(), DEFAULT_CAPACITY);
    assert_eq!(harness.read_now(other_read, DEFAULT_CAPACITY).len(), DEFAULT_CAPACITY);
    assert_eq!(harness.server.pages().allocated(), 2 * slots);
    assert_eq!(harness.server.pages().spare(), slots);
    for end in [read, write, other_read, other_write] {
        harness.release(end);
    }
    harness.assert_no_leaks();
}

// Ids and leaks.

#[test]
fn ids_are_never_zero_nor_reused() {
    let mut harness = Harness::new();
    let mut seen = BTreeSet::new();
    for _ in 0..10 {
        let (read, write) = harness.pipe(0);
        assert!(read != 0 && write != 0);
        assert!(seen.insert(read) && seen.insert(write));
        harness.release(read);
        harness.release(write);
    }
    let fifo = harness.server.create_fifo();
    for _ in 0..10 {
        let end = harness.opened(fifo, Access::ReadWrite, false);
        assert!(seen.insert(end));
        harness.release(end);
    }
    let _ = harness.server.remove_fifo(fifo);
    assert!(harness.server.create_fifo() > fifo);
    harness.assert_no_leaks();
}

#[test]
fn access_modes_are_linux_open_flags() {
    assert_eq!(Access::from_flags(O_RDONLY | O_NONBLOCK), Some(Access::Read));
    assert_eq!(Access::from_flags(O_WRONLY), Some(Access::Write));
    assert_eq!(Access::from_flags(O_RDWR | O_CLOEXEC), Some(Access::ReadWrite));
    assert_eq!(Access::from_flags(3), None);
    for access in [Access::Read, Access::Write, Access::ReadWrite] {
        assert_eq!(Access::from_flags(access.mode_bits()), Some(access));
    }
    assert!(Access::ReadWrite.reads() && Access::ReadWrite.writes());
    assert!(!Access::Read.writes() && !Access::Write.reads());
}
