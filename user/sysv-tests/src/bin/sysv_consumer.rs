//! sysv-consumer: the consumer half of the shared memory demo.
//!
//! `sysv-consumer [--key=KEY] [--producers=N]` takes numbers from the ring buffer that
//! `sysv-producer` fills (see `courier_sysv_tests::shared_buffer`), making the buffer if
//! no producer has yet, until N producers (1 unless said otherwise) have finished. Then it
//! prints `sysv-consumer: COUNT numbers from N producers, sum SUM`, removes the semaphore
//! set and the segment, and exits.
//!
//! Exit status: 0; 1 for a bad argument; 2 when a System V call fails; 3 when the
//! buffer's counters disagree with what it took.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use courier_sysv_tests::options;
use courier_sysv_tests::shared_buffer::{Counters, DEFAULT_KEY, SharedBuffer};

libsys::main!(main);

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    let key = options::key(&arguments, DEFAULT_KEY);
    let producers = match options::value(&arguments, "producers") {
        Some(text) => options::number(text).and_then(|count| u64::try_from(count).ok()),
        None => Some(1),
    };
    let (Some(key), Some(producers), true) =
        (key, producers, options::operands(&arguments).is_empty())
    else {
        libsys::eprintln!("usage: sysv-consumer [--key=KEY] [--producers=N]");
        return 1;
    };
    let buffer = match SharedBuffer::open(key) {
        Ok(buffer) => buffer,
        Err(error) => {
            libsys::eprintln!(
                "sysv-consumer: cannot open the shared buffer of key {key:#x}: {error}"
            );
            return 2;
        }
    };
    let (mut count, mut sum, mut finished) = (0u64, 0i64, 0u64);
    while finished < producers {
        match buffer.take() {
            Ok(Some(value)) => {
                count += 1;
                sum = sum.wrapping_add(value);
            }
            Ok(None) => finished += 1,
            Err(error) => {
                libsys::eprintln!("sysv-consumer: semop: {error}");
                let _ = buffer.remove();
                return 2;
            }
        }
    }
    let counters = buffer.counters();
    libsys::println!("sysv-consumer: {count} numbers from {producers} producers, sum {sum}");
    let expected = Counters { put: count, taken: count, finished: producers };
    let removed = buffer.remove();
    if counters != expected {
        libsys::eprintln!(
            "sysv-consumer: the buffer's counters are {counters:?}, expected {expected:?}"
        );
        return 3;
    }
    match removed {
        Ok(()) => 0,
        Err(error) => {
            libsys::eprintln!("sysv-consumer: removing the buffer: {error}");
            2
        }
    }
}
