//! fifo-server: the server half of the FIFO demo. `fifo-server REQUESTS COUNT` reads
//! requests `PID WORD` (one line each) from the FIFO REQUESTS, answers each by writing WORD
//! in capitals to the client's FIFO `reply-PID` beside REQUESTS, and exits with the number
//! of requests served after COUNT of them.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libsys::abi::io::{O_RDONLY, O_WRONLY};
use libsys::{fd, fs};

libsys::main!(main);

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().collect();
    let (Some(&path), Some(count)) =
        (arguments.get(1), arguments.get(2).and_then(|text| text.parse::<usize>().ok()))
    else {
        libsys::eprintln!("usage: fifo-server REQUESTS COUNT");
        return 255;
    };
    let directory = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    // Blocks until the first client opens the FIFO for writing.
    let requests = match fs::open(path, O_RDONLY, 0) {
        Ok(descriptor) => descriptor,
        Err(error) => {
            libsys::eprintln!("fifo-server: open {path}: {error}");
            return 255;
        }
    };
    // Hold a writer too, so the reader does not see end of file between clients.
    let keep_open = fs::open(path, O_WRONLY, 0);
    let mut pending = Vec::new();
    let mut served = 0;
    let mut chunk = [0u8; 256];
    while served < count {
        let received = match fd::read(requests, &mut chunk) {
            Ok(0) => break,
            Ok(received) => received,
            Err(error) => {
                libsys::eprintln!("fifo-server: read: {error}");
                break;
            }
        };
        pending.extend_from_slice(&chunk[..received]);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]);
            let Some((pid, word)) = line.split_once(' ') else {
                libsys::eprintln!("fifo-server: bad request {line:?}");
                continue;
            };
            let reply_path = format!("{directory}/reply-{pid}");
            match fs::open(&reply_path, O_WRONLY, 0) {
                Ok(reply) => {
                    let answer = format!("{}\n", word.to_uppercase());
                    if let Err(error) = fd::write(reply, answer.as_bytes()) {
                        libsys::eprintln!("fifo-server: write {reply_path}: {error}");
                    }
                    let _ = fd::close(reply);
                    served += 1;
                }
                Err(error) => libsys::eprintln!("fifo-server: open {reply_path}: {error}"),
            }
        }
    }
    if let Ok(descriptor) = keep_open {
        let _ = fd::close(descriptor);
    }
    let _ = fd::close(requests);
    served as i32
}
