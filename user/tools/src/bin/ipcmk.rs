//! ipcmk: makes System V objects, as util-linux's ipcmk: `-Q` a message queue, `-S N` a
//! set of N semaphores, `-M SIZE` a shared memory segment of SIZE bytes; `-p MODE` gives
//! the permissions (octal, 0644 unless said). It prints each new id (`Message queue id:
//! 0`) for `ipcs` and `ipcrm` to use.
//!
//! util-linux's ipcmk picks a random key; Courier has no random source, so the objects are
//! made with `IPC_PRIVATE` unless `-k KEY` (decimal, or hexadecimal with `0x`) asks for a
//! key, which must not be in use yet.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use courier_tools::{arguments, parse_number};
use libsys::sysv::{self, IPC_CREAT, IPC_EXCL, IPC_PRIVATE};
use libsys::{eprintln, println};

libsys::main!(main);

const USAGE: &str = "usage: ipcmk [-k key] [-p mode] -Q | -S nsems | -M size ...";

/// What to make.
enum Object {
    Queue,
    Semaphores(i32),
    Segment(u64),
}

fn main() -> i32 {
    let arguments = arguments();
    let mut key = IPC_PRIVATE;
    let mut mode = 0o644;
    let mut objects = Vec::new();
    let mut words = arguments.iter();
    while let Some(&option) = words.next() {
        if option == "-Q" {
            objects.push(Object::Queue);
            continue;
        }
        if !matches!(option, "-p" | "-k" | "-S" | "-M") {
            eprintln!("ipcmk: unknown option {option}\n{USAGE}");
            return 2;
        }
        let Some(&value) = words.next() else {
            eprintln!("ipcmk: {option} needs an argument\n{USAGE}");
            return 2;
        };
        let parsed = match option {
            "-p" => i32::from_str_radix(value, 8).ok().filter(|mode| *mode <= 0o777).map(|found| {
                mode = found;
            }),
            "-k" => parse_number(value).map(|found| key = found),
            "-S" => value.parse().ok().map(|count| objects.push(Object::Semaphores(count))),
            _ => value.parse().ok().map(|size| objects.push(Object::Segment(size))),
        };
        if parsed.is_none() {
            eprintln!("ipcmk: {option} {value}: not a valid value");
            return 2;
        }
    }
    if objects.is_empty() {
        eprintln!("{USAGE}");
        return 2;
    }
    let flags = IPC_CREAT | IPC_EXCL | mode;
    let mut code = 0;
    for object in objects {
        let (what, made) = match object {
            Object::Queue => ("Message queue", sysv::msgget(key, flags)),
            Object::Semaphores(count) => ("Semaphore", sysv::semget(key, count, flags)),
            Object::Segment(size) => ("Shared memory", sysv::shmget(key, size, flags)),
        };
        match made {
            Ok(id) => println!("{what} id: {id}"),
            Err(error) => {
                eprintln!("ipcmk: {what}: {error}");
                code = 1;
            }
        }
    }
    code
}
