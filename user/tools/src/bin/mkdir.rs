//! mkdir: makes directories (mode 0777 less the umask).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::{arguments, for_each_path};
use libsys::fs;

libsys::main!(main);

fn main() -> i32 {
    for_each_path("mkdir", "mkdir path ...", &arguments(), |path| fs::mkdir(path, 0o777))
}
