//! ipcs: lists System V message queues, shared memory segments and semaphore sets, in
//! util-linux's format.
//!
//! `ipcs [-q] [-m] [-s] [-a]` (default: all three). Owners are uid numbers (`root` for
//! 0): Courier has no user database.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;

use courier_tools::arguments;
use courier_tools::sysv_listing::Family;
use libsys::sysv::{
    STATUS_KEY, STATUS_MESSAGE_FIELDS, STATUS_MODE, STATUS_SEGMENT_FIELDS, STATUS_SEMAPHORE_FIELDS,
    STATUS_UID, Status,
};
use libsys::{eprintln, println};

libsys::main!(main);

fn owner(status: &Status) -> String {
    match status[STATUS_UID] as u32 {
        0 => String::from("root"),
        uid => format!("{uid}"),
    }
}

fn key(status: &Status) -> String {
    format!("0x{:08x}", status[STATUS_KEY] as u32)
}

fn perms(status: &Status) -> String {
    format!("{:o}", status[STATUS_MODE] & 0o777)
}

fn show(family: Family) -> bool {
    let objects = match family.objects() {
        Ok(objects) => objects,
        Err(error) => {
            eprintln!("ipcs: {error}");
            return false;
        }
    };
    println!();
    match family {
        Family::Messages => {
            println!("------ Message Queues --------");
            println!(
                "{:<10} {:<10} {:<10} {:<10} {:<12} {:<12}",
                "key", "msqid", "owner", "perms", "used-bytes", "messages"
            );
            for (id, status) in &objects {
                println!(
                    "{:<10} {:<10} {:<10} {:<10} {:<12} {:<12}",
                    key(status),
                    id,
                    owner(status),
                    perms(status),
                    status[STATUS_MESSAGE_FIELDS + 3],
                    status[STATUS_MESSAGE_FIELDS + 4]
                );
            }
        }
        Family::Segments => {
            println!("------ Shared Memory Segments --------");
            println!(
                "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10} {:<12}",
                "key", "shmid", "owner", "perms", "bytes", "nattch", "status"
            );
            for (id, status) in &objects {
                println!(
                    "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10} {:<12}",
                    key(status),
                    id,
                    owner(status),
                    perms(status),
                    status[STATUS_SEGMENT_FIELDS],
                    status[STATUS_SEGMENT_FIELDS + 6],
                    ""
                );
            }
        }
        Family::Semaphores => {
            println!("------ Semaphore Arrays --------");
            println!(
                "{:<10} {:<10} {:<10} {:<10} {:<10}",
                "key", "semid", "owner", "perms", "nsems"
            );
            for (id, status) in &objects {
                println!(
                    "{:<10} {:<10} {:<10} {:<10} {:<10}",
                    key(status),
                    id,
                    owner(status),
                    perms(status),
                    status[STATUS_SEMAPHORE_FIELDS + 2]
                );
            }
        }
    }
    println!();
    true
}

fn main() -> i32 {
    let mut families = alloc::vec::Vec::new();
    for argument in arguments() {
        match argument {
            "-q" => families.push(Family::Messages),
            "-m" => families.push(Family::Segments),
            "-s" => families.push(Family::Semaphores),
            "-a" => families.extend([Family::Messages, Family::Segments, Family::Semaphores]),
            other => {
                eprintln!("ipcs: unknown option {other} (usage: ipcs [-q] [-m] [-s] [-a])");
                return 2;
            }
        }
    }
    if families.is_empty() {
        families.extend([Family::Messages, Family::Segments, Family::Semaphores]);
    }
    let mut code = 0;
    for family in families {
        if !show(family) {
            code = 1;
        }
    }
    code
}
