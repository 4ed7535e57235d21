//! mkfifo: makes named pipes (mode 0666 less the umask).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::arguments;
use libsys::{eprintln, fs};

libsys::main!(main);

fn main() -> i32 {
    let paths = arguments();
    if paths.is_empty() {
        eprintln!("usage: mkfifo path ...");
        return 2;
    }
    let mut code = 0;
    for path in paths {
        if let Err(error) = fs::mkfifo(path, 0o666) {
            eprintln!("mkfifo: {path}: {error}");
            code = 1;
        }
    }
    code
}
