//! Reads and writes of a pipe that exists allocate nothing once warm: a global allocator
//! counts the allocations each thread makes, and the test runs the pipe server's hot paths
//! (a 1-byte round trip with the reader waiting or the data waiting, a page, a full pipe,
//! a writer that waits for room) many times after a warm-up, expecting a count of 0.
//!
//! The warm-up lets the server's queues and the pool of spare pages reach their working
//! size; the test's own buffers and answer list are made beforehand, as the main loop's
//! are.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use courier_pipe_core::{
    Answer, DEFAULT_CAPACITY, EndId, Errno, Leases, Outcome, PipeServer, SLOT_SIZE,
};

/// The system allocator, counting the calls that allocate.
struct Counting;

thread_local! {
    /// Allocations made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the arguments it was given, so the
// contract `System` meets is met here; the counting touches no allocated memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's `layout` has a non-zero size, as `alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller guarantees `pointer` came from this allocator (hence from
        // `System`) with `layout`, and that `new_size` is valid for it.
        unsafe { System.realloc(pointer, layout, new_size) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `pointer` came from this allocator (hence from
        // `System`) with `layout`.
        unsafe { System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Every caller's buffer: one source and one sink, made once.
struct Buffers {
    source: Vec<u8>,
    sink: Vec<u8>,
}

impl Leases<u32> for Buffers {
    fn take(&mut self, _: &u32, offset: usize, into: &mut [u8]) -> Result<usize, Errno> {
        let available = self.source.get(offset..).unwrap_or_default();
        let count = available.len().min(into.len());
        into[..count].copy_from_slice(&available[..count]);
        Ok(count)
    }

    fn give(&mut self, _: &u32, offset: usize, bytes: &[u8]) -> Result<usize, Errno> {
        let end = self.sink.len();
        let room = self.sink.get_mut(offset..end).unwrap_or_default();
        let count = room.len().min(bytes.len());
        room[..count].copy_from_slice(&bytes[..count]);
        Ok(count)
    }
}

struct Bench {
    server: PipeServer<u32>,
    buffers: Buffers,
    answers: Vec<Answer<u32>>,
    read: EndId,
    write: EndId,
}

impl Bench {
    fn read(&mut self, token: u32, length: usize) -> Outcome {
        self.server.read(self.read, token, length, &mut self.buffers, &mut self.answers)
    }

    fn write(&mut self, token: u32, length: usize) -> Outcome {
        self.server.write(self.write, token, length, &mut self.buffers, &mut self.answers)
    }

    /// One round of every hot path, checking the outcomes.
    fn round(&mut self) {
        let done = |count: usize| Outcome::Done(Ok(count as u64));
        // The reader waits, then a 1-byte write wakes it.
        assert_eq!(self.read(1, 1), Outcome::Blocked);
        assert_eq!(self.write(2, 1), done(1));
        assert_eq!(self.answers.len(), 1);
        assert_eq!(self.answers[0].result, Ok(1));
        self.answers.clear();
        // The byte waits, then a 1-byte read takes it.
        assert_eq!(self.write(3, 1), done(1));
        assert_eq!(self.read(4, 1), done(1));
        // Small writes merging, then one read of them all.
        for token in 5..9 {
            assert_eq!(self.write(token, 100), done(100));
        }
        assert_eq!(self.read(9, SLOT_SIZE), done(400));
        // A page, and a full pipe.
        for length in [SLOT_SIZE, DEFAULT_CAPACITY] {
            assert_eq!(self.write(10, length), done(length));
            assert_eq!(self.read(11, length), done(length));
        }
        // A writer that waits for room, finished by the read that makes it.
        assert_eq!(self.write(12, DEFAULT_CAPACITY + 10), Outcome::Blocked);
        assert_eq!(self.read(13, DEFAULT_CAPACITY), done(DEFAULT_CAPACITY));
        assert_eq!(self.answers.len(), 1);
        assert_eq!(self.answers[0].result, Ok(DEFAULT_CAPACITY as u64 + 10));
        self.answers.clear();
        assert_eq!(self.read(14, DEFAULT_CAPACITY), done(10));
    }
}

#[test]
fn reads_and_writes_of_a_warm_pipe_allocate_nothing() {
    let mut server = PipeServer::new();
    let (read, write) = server.create_pipe(0).expect("pipe2");
    let buffers = Buffers {
        source: (0..2 * DEFAULT_CAPACITY).map(|index| (index % 251) as u8).collect(),
        sink: vec![0; 2 * DEFAULT_CAPACITY],
    };
    let mut bench = Bench { server, buffers, answers: Vec::with_capacity(4), read, write };
    for _ in 0..3 {
        bench.round();
    }
    let before = allocations();
    for _ in 0..100 {
        bench.round();
    }
    assert_eq!(allocations() - before, 0, "allocations on the steady-state path");
    assert_eq!(&bench.buffers.sink[..10], &bench.buffers.source[DEFAULT_CAPACITY..][..10]);
}
