//! fifo-client: the client half of the FIFO demo. `fifo-client REQUESTS WORD` makes its
//! reply FIFO `reply-PID` beside REQUESTS, sends `PID WORD` through REQUESTS, and checks
//! that the answer is WORD in capitals. Exit status 0 when it is.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::vec::Vec;

use libsys::abi::io::{O_RDONLY, O_WRONLY};
use libsys::{Errno, fd, fs, proc};

libsys::main!(main);

fn run(path: &str, word: &str) -> Result<(), (&'static str, Errno)> {
    let pid = proc::getpid().map_err(|error| ("getpid", error))?;
    let directory = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    let reply_path = format!("{directory}/reply-{pid}");
    fs::mkfifo(&reply_path, 0o600).map_err(|error| ("mkfifo", error))?;
    let result = (|| {
        let requests = fs::open(path, O_WRONLY, 0).map_err(|error| ("open requests", error))?;
        // One write of less than PIPE_BUF bytes: never mixed with another client's.
        let request = format!("{pid} {word}\n");
        let written = fd::write(requests, request.as_bytes());
        let _ = fd::close(requests);
        if written != Ok(request.len()) {
            return Err(("write request", written.err().unwrap_or(Errno::Eio)));
        }
        let reply = fs::open(&reply_path, O_RDONLY, 0).map_err(|error| ("open reply", error))?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 64];
        let outcome = loop {
            match fd::read(reply, &mut chunk) {
                Ok(0) => break Ok(()),
                Ok(count) => answer.extend_from_slice(&chunk[..count]),
                Err(error) => break Err(("read reply", error)),
            }
        };
        let _ = fd::close(reply);
        outcome?;
        if answer != format!("{}\n", word.to_uppercase()).as_bytes() {
            return Err(("answer", Errno::Eio));
        }
        Ok(())
    })();
    let _ = fs::unlink(&reply_path);
    result
}

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().collect();
    let (Some(&path), Some(&word)) = (arguments.get(1), arguments.get(2)) else {
        libsys::eprintln!("usage: fifo-client REQUESTS WORD");
        return 255;
    };
    match run(path, word) {
        Ok(()) => 0,
        Err((what, error)) => {
            libsys::eprintln!("fifo-client: {what}: {error}");
            1
        }
    }
}
