//! msgq-server: the server half of the message queue demo.
//!
//! `msgq-server [--key=KEY] [--count=N]` makes the System V message queue of KEY (mode
//! 0666, so any user's clients may use it) and answers requests from `msgq-client`s (see
//! `courier_sysv_tests::message_service`): each request of type 1 carries the client's
//! pid and a text, and the reply, of type pid, is the text in capitals. After N requests
//! (never, without `--count`) it waits until the clients have taken every reply (the
//! queue is empty; at most 10 s), removes the queue, prints
//! `msgq-server: answered N requests` and exits.
//!
//! Exit status: 0; 1 for a bad argument; 2 when a System V call fails.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::time::Duration;

use courier_sysv_tests::message_service::{
    DEFAULT_KEY, MAX_MESSAGE, REQUEST_TYPE, answer, decode_request,
};
use courier_sysv_tests::options;
use libsys::sysv::{self, IPC_CREAT, IPC_RMID, IPC_STAT, STATUS_MESSAGE_FIELDS, STATUS_WORDS};
use libsys::{Errno, time};

libsys::main!(main);

/// How long the server waits for clients to take their last replies.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until the queue holds no message (or [`DRAIN_TIMEOUT`] passes).
fn wait_until_drained(id: i32) -> Result<(), Errno> {
    let deadline = time::monotonic() + DRAIN_TIMEOUT;
    let mut status = [0u64; STATUS_WORDS];
    loop {
        sysv::msgctl(id, IPC_STAT, &mut status)?;
        // msg_qnum.
        if status[STATUS_MESSAGE_FIELDS + 4] == 0 || time::monotonic() >= deadline {
            return Ok(());
        }
        let _ = time::nanosleep(Duration::from_millis(5));
    }
}

/// Answers requests until `count` are answered (forever with `None`).
fn serve(id: i32, count: Option<u64>) -> Result<u64, (&'static str, Errno)> {
    let mut answered = 0;
    let mut buffer = [0u8; MAX_MESSAGE];
    while count.is_none_or(|count| answered < count) {
        let (length, _) = match sysv::msgrcv(id, &mut buffer, REQUEST_TYPE, 0) {
            Ok(received) => received,
            Err(Errno::Eintr) => continue,
            Err(error) => return Err(("msgrcv", error)),
        };
        let Some((pid, text)) = decode_request(&buffer[..length]).filter(|&(pid, _)| pid > 1)
        else {
            libsys::eprintln!("msgq-server: ignoring a malformed request of {length} bytes");
            continue;
        };
        let reply = answer(&text);
        sysv::msgsnd(id, i64::from(pid), reply.as_bytes(), 0).map_err(|error| ("msgsnd", error))?;
        answered += 1;
    }
    Ok(answered)
}

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    let key = options::key(&arguments, DEFAULT_KEY);
    let count = match options::value(&arguments, "count") {
        Some(text) => options::number(text).and_then(|count| u64::try_from(count).ok()).map(Some),
        None => Some(None),
    };
    let (Some(key), Some(count), true) = (key, count, options::operands(&arguments).is_empty())
    else {
        libsys::eprintln!("usage: msgq-server [--key=KEY] [--count=N]");
        return 1;
    };
    let id = match sysv::msgget(key, IPC_CREAT | 0o666) {
        Ok(id) => id,
        Err(error) => {
            libsys::eprintln!("msgq-server: msgget({key:#x}): {error}");
            return 2;
        }
    };
    let served = serve(id, count);
    let drained = wait_until_drained(id);
    let mut status = [0u64; STATUS_WORDS];
    let removed = sysv::msgctl(id, IPC_RMID, &mut status);
    match (served, drained.and(removed.map(|_| ()))) {
        (Ok(answered), Ok(())) => {
            libsys::println!("msgq-server: answered {answered} requests");
            0
        }
        (Err((what, error)), _) => {
            libsys::eprintln!("msgq-server: {what}: {error}");
            2
        }
        (Ok(_), Err(error)) => {
            libsys::eprintln!("msgq-server: removing the queue: {error}");
            2
        }
    }
}
