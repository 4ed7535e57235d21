//! io-child: what io-test spawns. The first argument says what to do:
//!
//! - `echo TEXT`: write TEXT to descriptor 1;
//! - `writer BYTE COUNT SIZE`: write COUNT records of SIZE bytes, each filled with BYTE, to
//!   descriptor 1 (two of them at once test `PIPE_BUF` atomicity);
//! - `drain`: read descriptor 0 until end of file, then write the byte count to 1;
//! - `hold MS`: sleep MS milliseconds holding the inherited descriptors, then exit;
//! - `write-to-closed-pipe`: write to a pipe whose only reader was closed (SIGPIPE ends
//!   the process, as on Linux);
//! - `write-after-reader-exit`: start a child holding a pipe's read end, wait for it to
//!   end, then write to the pipe (SIGPIPE);
//! - `shm-counter NAME ITERATIONS`: map shared memory object NAME and add 1 to its first
//!   word ITERATIONS times, each time under a token read from descriptor 3 and written
//!   back to descriptor 4 (a pipe used as a lock);
//! - `fifo-write-later PATH MS TEXT`: sleep MS milliseconds, open FIFO PATH for writing,
//!   write TEXT and exit;
//! - `open-as UID PATH FLAGS`: set the user id, open PATH with FLAGS and exit with the
//!   errno (0 on success);
//! - `shm-past-end NAME`: map a shared memory object bigger than the file and touch a page
//!   past its end (SIGBUS).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use courier_test_support::outcome_code;
use libsys::fs::{self, PROT_READ, PROT_WRITE};
use libsys::proc::{self, SpawnAttributes};
use libsys::{Errno, env, fd, pipe, time};

libsys::main!(main);

fn number(text: Option<&&str>) -> Option<u64> {
    text?.parse().ok()
}

fn write_all(descriptor: i32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let written = fd::write(descriptor, bytes)?;
        bytes = &bytes[written..];
    }
    Ok(())
}

fn main() -> i32 {
    let arguments: Vec<&str> = env::args().collect();
    match arguments.get(1).copied() {
        Some("echo") => outcome_code(write_all(1, arguments.get(2).unwrap_or(&"").as_bytes())),
        Some("writer") => {
            let (Some(byte), Some(count), Some(size)) =
                (number(arguments.get(2)), number(arguments.get(3)), number(arguments.get(4)))
            else {
                return 2;
            };
            let record = vec![byte as u8; size as usize];
            for _ in 0..count {
                // Each record is one write: at most PIPE_BUF bytes are never interleaved.
                match fd::write(1, &record) {
                    Ok(written) if written == record.len() => {}
                    Ok(_) => return 3,
                    Err(error) => return error.number(),
                }
            }
            0
        }
        Some("drain") => {
            let mut total = 0usize;
            let mut buffer = [0u8; 4096];
            loop {
                match fd::read(0, &mut buffer) {
                    Ok(0) => break,
                    Ok(count) => total += count,
                    Err(error) => return error.number(),
                }
            }
            outcome_code(write_all(1, format!("{total}").as_bytes()))
        }
        Some("hold") => {
            let _ = time::nanosleep(Duration::from_millis(number(arguments.get(2)).unwrap_or(0)));
            0
        }
        Some("write-to-closed-pipe") => {
            let Ok((reader, writer)) = pipe::pipe() else { return 2 };
            let _ = fd::close(reader);
            // SIGPIPE ends the process here; reaching the return means it did not.
            let _ = fd::write(writer, b"x");
            4
        }
        Some("write-after-reader-exit") => {
            let Ok((reader, writer)) = pipe::pipe() else { return 2 };
            let _ =
                fd::fcntl(writer, libsys::abi::io::F_SETFD, u64::from(libsys::abi::io::FD_CLOEXEC));
            let Ok(holder) = proc::spawn(
                "io-child",
                &["io-child", "hold", "20"],
                &[],
                &[],
                &SpawnAttributes::default(),
            ) else {
                return 2;
            };
            let _ = fd::close(reader);
            let _ = proc::waitpid(holder, 0);
            let _ = fd::write(writer, b"x");
            4
        }
        Some("shm-counter") => {
            let (Some(name), Some(iterations)) = (arguments.get(2), number(arguments.get(3)))
            else {
                return 2;
            };
            let Ok(object) = fs::shm_open(name, libsys::abi::io::O_RDWR, 0) else { return 3 };
            let Ok(mapping) = fs::mmap(4096, PROT_READ | PROT_WRITE, object, 0) else { return 4 };
            let mut token = [0u8; 1];
            for _ in 0..iterations {
                if fd::read(3, &mut token) != Ok(1) {
                    return 5;
                }
                let value = mapping.read_word(0).unwrap_or(0);
                mapping.write_word(0, value + 1);
                if fd::write(4, &token) != Ok(1) {
                    return 6;
                }
            }
            0
        }
        Some("fifo-write-later") => {
            let (Some(path), Some(delay), Some(text)) =
                (arguments.get(2), number(arguments.get(3)), arguments.get(4))
            else {
                return 2;
            };
            let _ = time::nanosleep(Duration::from_millis(delay));
            let Ok(writer) = fs::open(path, libsys::abi::io::O_WRONLY, 0) else { return 3 };
            outcome_code(write_all(writer, text.as_bytes()))
        }
        Some("open-as") => {
            let (Some(uid), Some(path), Some(flags)) =
                (number(arguments.get(2)), arguments.get(3), number(arguments.get(4)))
            else {
                return 2;
            };
            if proc::setuid(uid as u32).is_err() {
                return 3;
            }
            match fs::open(path, flags, 0o644) {
                Ok(descriptor) => {
                    let _ = fd::close(descriptor);
                    0
                }
                Err(error) => error.number(),
            }
        }
        Some("shm-past-end") => {
            let Some(name) = arguments.get(2) else { return 2 };
            let Ok(object) = fs::shm_open(name, libsys::abi::io::O_RDWR, 0) else { return 3 };
            let Ok(mapping) = fs::mmap(3 * 4096, PROT_READ | PROT_WRITE, object, 0) else {
                return 4;
            };
            // The file is one page: the third page lies past its end (SIGBUS).
            let _ = mapping.read_word(2 * 4096);
            5
        }
        _ => 2,
    }
}
