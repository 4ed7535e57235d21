//! ipc-bench: instructions per IPC round trip (`call` + `reply_receive`) between two
//! processes on one core, for `make bench`.
//!
//! Started with argument 0 (the boot runner's default) it is the client: it creates an
//! endpoint, starts a second copy of itself as the server (argument [`SERVER_ROLE`], the
//! endpoint as its handle 1), warms up, then times [`ROUND_TRIPS`] calls for each message
//! size with the architecture's counter, which under QEMU's `-icount shift=0,sleep=off`
//! counts instructions. It reads the kernel's entry and address-space switch counters
//! around each run, and prints one `ipc-bench:` line per size that the harness parses:
//!
//! ```text
//! ipc-bench: round trip, 4 words: 10000 round trips, 412.35 instructions, 2.00 kernel entries, 2.00 address-space switches each
//! ```
//!
//! The instruction count covers everything between the two counter reads: the client's
//! call stub and loop, both kernel entries, the server's loop and `reply_receive` stub.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::abi::ipc::{MESSAGE_WORDS, ReceivedKind};
use libsys::abi::{Errno, Handle, KernelError};
use libsys::bench::{self, Measured};
use libsys::ipc::{Endpoint, ReplyId, reply_receive};
use libsys::process;

libsys::main!(main);

/// The argument that makes this program the server.
const SERVER_ROLE: usize = 1;
/// The label asking the server to answer and exit.
const STOP: u32 = 0xffff;
/// Round trips before measuring (fills caches of translations and the kernel heap).
const WARM_UP: u64 = 1000;
/// Round trips per measurement.
const ROUND_TRIPS: u64 = 10_000;

fn main() -> Result<(), KernelError> {
    if libsys::runtime::argument() == SERVER_ROLE { serve() } else { measure() }
}

/// Answers every call with the words it carried until asked to stop.
fn serve() -> Result<(), KernelError> {
    if libsys::runtime::initial_handle_count() < 1 {
        return Err(KernelError::InvalidHandle);
    }
    let endpoint = Endpoint(Handle::initial(1));
    let mut reply: Option<ReplyId> = None;
    let mut label = 0;
    let mut words = [0u64; MESSAGE_WORDS];
    loop {
        let received = reply_receive(reply.take(), label, words, &endpoint, None)?;
        if received.kind != ReceivedKind::Message {
            continue;
        }
        if received.label == STOP {
            libsys::ipc::reply(ReplyId(received.reply), 0, [0; MESSAGE_WORDS])?;
            return Ok(());
        }
        reply = Some(ReplyId(received.reply));
        label = received.label;
        words = received.words;
    }
}

/// Measures [`ROUND_TRIPS`] calls carrying `words` (each answer checked).
fn run(endpoint: &Endpoint, words: [u64; MESSAGE_WORDS]) -> Result<Measured, Errno> {
    bench::measure(|| {
        for _ in 0..ROUND_TRIPS {
            let answer = endpoint.call(1, words).map_err(Errno::from)?;
            // Word by word rather than `!=` on the arrays, which calls memcmp.
            let differences =
                answer.words.iter().zip(words).fold(0, |bits, (got, sent)| bits | (got ^ sent));
            if differences != 0 {
                return Err(Errno::Eio);
            }
        }
        Ok(())
    })
}

fn measure() -> Result<(), KernelError> {
    let endpoint = Endpoint::create()?;
    let server = process::spawn("ipc-bench", &[endpoint.0], SERVER_ROLE)?;
    for _ in 0..WARM_UP {
        endpoint.call(1, [0; MESSAGE_WORDS])?;
    }
    let cases: [(&str, [u64; MESSAGE_WORDS]); 2] = [
        ("round trip, 0 words", [0; MESSAGE_WORDS]),
        ("round trip, 4 words", [0x1111, 0x2222, 0x3333, 0x4444]),
    ];
    for (name, words) in cases {
        let Ok(result) = run(&endpoint, words) else { return Err(KernelError::InvalidArgument) };
        bench::report("ipc-bench", name, ROUND_TRIPS, "round trips", &result);
    }
    endpoint.call(STOP, [0; MESSAGE_WORDS])?;
    libsys::handle::close(server.control)?;
    Ok(())
}
