//! mkfifo: makes named pipes (mode 0666 less the umask).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::{arguments, for_each_path};
use libsys::fs;

libsys::main!(main);

fn main() -> i32 {
    for_each_path("mkfifo", "mkfifo path ...", &arguments(), |path| fs::mkfifo(path, 0o666))
}
