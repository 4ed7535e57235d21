//! proc-child: what proc-test spawns. The first argument after the program name says what
//! to do:
//!
//! - `exit N`: exit with status N;
//! - `sleep MS`: sleep MS milliseconds (restarting when interrupted), then exit 0;
//! - `orphan`: start `proc-child sleep 300` and exit 0 at once, leaving it to init;
//! - `write-fd FD TEXT`: write TEXT to descriptor FD, exit 0 on success;
//! - `check-closed FD`: exit 0 if FD is not open;
//! - `check-args`: exit 0 if the arguments after it are `one two three` and the
//!   environment has `COURIER_TEST=yes`;
//! - `uid N`: exit 0 if the real and effective user ids are N.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::time::Duration;

use libsys::abi::io::F_GETFD;
use libsys::proc::{self, SpawnAttributes};
use libsys::{Errno, env, fd, time};

libsys::main!(main);

fn number(text: Option<&&str>) -> Option<u64> {
    text?.parse().ok()
}

fn sleep_milliseconds(milliseconds: u64) {
    let mut left = Duration::from_millis(milliseconds);
    while let Err((Errno::Eintr, remaining)) = time::nanosleep_remaining(left) {
        left = remaining;
    }
}

fn main() -> i32 {
    let arguments: Vec<&str> = env::args().collect();
    match arguments.get(1).copied() {
        Some("exit") => number(arguments.get(2)).map_or(2, |status| status as i32),
        Some("sleep") => {
            sleep_milliseconds(number(arguments.get(2)).unwrap_or(0));
            0
        }
        Some("orphan") => {
            let started = proc::spawn(
                "proc-child",
                &["proc-child", "sleep", "300"],
                &[],
                &[],
                &SpawnAttributes::default(),
            );
            i32::from(started.is_err())
        }
        Some("write-fd") => {
            let (Some(descriptor), Some(text)) = (number(arguments.get(2)), arguments.get(3))
            else {
                return 2;
            };
            match fd::write(descriptor as i32, text.as_bytes()) {
                Ok(count) if count == text.len() => 0,
                _ => 1,
            }
        }
        Some("check-closed") => {
            let Some(descriptor) = number(arguments.get(2)) else { return 2 };
            i32::from(fd::fcntl(descriptor as i32, F_GETFD, 0) != Err(Errno::Ebadf))
        }
        Some("check-args") => {
            let rest = &arguments[2..];
            let good = rest == ["one", "two", "three"] && env::var("COURIER_TEST") == Some("yes");
            i32::from(!good)
        }
        Some("uid") => {
            let Some(expected) = number(arguments.get(2)) else { return 2 };
            match proc::credentials() {
                Ok(credentials)
                    if u64::from(credentials.uid) == expected
                        && u64::from(credentials.euid) == expected =>
                {
                    0
                }
                _ => 1,
            }
        }
        _ => {
            libsys::eprintln!("proc-child: unknown mode {:?}", arguments.get(1));
            2
        }
    }
}
