//! sysv-producer: the producer half of the shared memory demo.
//!
//! `sysv-producer [--key=KEY] [NUMBER ...]` puts each NUMBER (a 64-bit integer) into the
//! ring buffer that `sysv-consumer` reads (see `courier_sysv_tests::shared_buffer`: a
//! System V shared memory segment guarded by System V semaphores taken with `SEM_UNDO`),
//! making the buffer if the consumer has not yet. With no NUMBER it reads integers
//! separated by white space from its standard input until end of file, or until a line
//! holding only `.` (the console has no end of file). Then it tells the consumer it has
//! finished, detaches and prints `sysv-producer: put N numbers`.
//!
//! Exit status: 0; 1 for a bad argument or number; 2 when a System V call fails.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use courier_sysv_tests::options;
use courier_sysv_tests::shared_buffer::{DEFAULT_KEY, SharedBuffer};
use libsys::{Errno, fd};

libsys::main!(main);

/// Why the producer stopped early.
enum Failure {
    /// A word that is not an integer.
    BadNumber(alloc::string::String),
    /// A call failed.
    Call(&'static str, Errno),
}

/// Puts every integer in `line`; returns how many.
fn put_line(buffer: &SharedBuffer, line: &str) -> Result<u64, Failure> {
    let mut count = 0;
    for word in line.split_whitespace() {
        let value = options::number(word).ok_or_else(|| Failure::BadNumber(word.into()))?;
        buffer.put(value).map_err(|error| Failure::Call("semop", error))?;
        count += 1;
    }
    Ok(count)
}

/// Reads standard input line by line and puts the integers of each line as soon as the
/// line is complete.
fn put_standard_input(buffer: &SharedBuffer) -> Result<u64, Failure> {
    let mut count = 0;
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 256];
    loop {
        let received = match fd::read(0, &mut chunk) {
            Ok(received) => received,
            Err(Errno::Eintr) => continue,
            Err(error) => return Err(Failure::Call("read", error)),
        };
        if received == 0 {
            let rest = alloc::string::String::from_utf8_lossy(&pending).into_owned();
            return Ok(count + put_line(buffer, &rest)?);
        }
        pending.extend_from_slice(&chunk[..received]);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = alloc::string::String::from_utf8_lossy(&line[..end]).into_owned();
            if line.trim() == "." {
                return Ok(count);
            }
            count += put_line(buffer, &line)?;
        }
    }
}

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    let Some(key) = options::key(&arguments, DEFAULT_KEY) else {
        libsys::eprintln!("usage: sysv-producer [--key=KEY] [NUMBER ...]");
        return 1;
    };
    let numbers = options::operands(&arguments);
    let buffer = match SharedBuffer::open(key) {
        Ok(buffer) => buffer,
        Err(error) => {
            libsys::eprintln!(
                "sysv-producer: cannot open the shared buffer of key {key:#x}: {error}"
            );
            return 2;
        }
    };
    let outcome = if numbers.is_empty() {
        put_standard_input(&buffer)
    } else {
        put_line(&buffer, &numbers.join(" "))
    };
    // Finish whatever happened, so the consumer is not left waiting for this producer.
    let finished = buffer.finish();
    let _ = buffer.detach();
    match (outcome, finished) {
        (Ok(count), Ok(())) => {
            libsys::println!("sysv-producer: put {count} numbers");
            0
        }
        (Err(Failure::BadNumber(word)), _) => {
            libsys::eprintln!("sysv-producer: not an integer: {word:?}");
            1
        }
        (Err(Failure::Call(what, error)), _) => {
            libsys::eprintln!("sysv-producer: {what}: {error}");
            2
        }
        (Ok(_), Err(error)) => {
            libsys::eprintln!("sysv-producer: finishing: {error}");
            2
        }
    }
}
