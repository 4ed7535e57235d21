//! mkdir: makes directories (mode 0777 less the umask).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::arguments;
use libsys::{eprintln, fs};

libsys::main!(main);

fn main() -> i32 {
    let paths = arguments();
    if paths.is_empty() {
        eprintln!("usage: mkdir path ...");
        return 2;
    }
    let mut code = 0;
    for path in paths {
        if let Err(error) = fs::mkdir(path, 0o777) {
            eprintln!("mkdir: {path}: {error}");
            code = 1;
        }
    }
    code
}
