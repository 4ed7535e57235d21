//! cat: copies files (or standard input, also for `-`) to standard output.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::{arguments, write_all};
use libsys::abi::io::O_CLOEXEC as O_CLOEXEC_FLAG;
use libsys::fd::{self, Fd};
use libsys::fs;
use libsys::{Errno, eprintln};

libsys::main!(main);

fn copy(descriptor: Fd) -> Result<(), Errno> {
    let mut buffer = [0u8; 1024];
    loop {
        let count = fd::read(descriptor, &mut buffer)?;
        if count == 0 {
            return Ok(());
        }
        write_all(1, &buffer[..count])?;
    }
}

fn main() -> i32 {
    let mut files = arguments();
    if files.is_empty() {
        files.push("-");
    }
    let mut code = 0;
    for file in files {
        let outcome = if file == "-" {
            copy(0)
        } else {
            match fs::open(file, libsys::abi::io::O_RDONLY | O_CLOEXEC_FLAG, 0) {
                Ok(descriptor) => {
                    let outcome = copy(descriptor);
                    let _ = fd::close(descriptor);
                    outcome
                }
                Err(error) => Err(error),
            }
        };
        if let Err(error) = outcome {
            eprintln!("cat: {file}: {error}");
            code = 1;
        }
    }
    code
}
