//! msgq-client: the client half of the message queue demo.
//!
//! `msgq-client [--key=KEY] TEXT ...` sends the TEXT words (joined by spaces) to the
//! `msgq-server` of KEY (see `courier_sysv_tests::message_service`), waits for the reply
//! of its own type (its pid) and prints `msgq-client: TEXT -> REPLY`. A server that is
//! not there yet is waited for, up to 10 s.
//!
//! Exit status: 0; 1 for a bad argument; 2 when a System V call fails.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use courier_sysv_tests::message_service::{
    DEFAULT_KEY, MAX_MESSAGE, MAX_TEXT, REQUEST_TYPE, encode_request,
};
use courier_sysv_tests::options;
use libsys::{Errno, proc, sysv, time};

libsys::main!(main);

/// How long a client waits for the server's queue to exist.
const SERVER_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's queue, waiting for it to be made.
fn server_queue(key: i32) -> Result<i32, Errno> {
    let deadline = time::monotonic() + SERVER_TIMEOUT;
    loop {
        match sysv::msgget(key, 0) {
            Err(Errno::Enoent) if time::monotonic() < deadline => {
                let _ = time::nanosleep(Duration::from_millis(10));
            }
            outcome => return outcome,
        }
    }
}

fn ask(key: i32, text: &str) -> Result<String, (&'static str, Errno)> {
    let pid = proc::getpid().map_err(|error| ("getpid", error))?;
    let id = server_queue(key).map_err(|error| ("msgget", error))?;
    let request = encode_request(pid, text);
    sysv::msgsnd(id, REQUEST_TYPE, &request, 0).map_err(|error| ("msgsnd", error))?;
    let mut buffer = [0u8; MAX_MESSAGE];
    loop {
        match sysv::msgrcv(id, &mut buffer, i64::from(pid), 0) {
            Ok((length, _)) => return Ok(String::from_utf8_lossy(&buffer[..length]).into_owned()),
            Err(Errno::Eintr) => {}
            Err(error) => return Err(("msgrcv", error)),
        }
    }
}

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    let text = options::operands(&arguments).join(" ");
    let (Some(key), false, true) =
        (options::key(&arguments, DEFAULT_KEY), text.is_empty(), text.len() <= MAX_TEXT)
    else {
        libsys::eprintln!("usage: msgq-client [--key=KEY] TEXT ... (at most {MAX_TEXT} bytes)");
        return 1;
    };
    match ask(key, &text) {
        Ok(reply) => {
            libsys::println!("msgq-client: {text} -> {reply}");
            0
        }
        Err((what, error)) => {
            libsys::eprintln!("msgq-client: {what}: {error}");
            2
        }
    }
}
