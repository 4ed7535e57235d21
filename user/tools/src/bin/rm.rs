//! rm: removes files (`-d`: also empty directories).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::{arguments, for_each_path};
use libsys::fs;

libsys::main!(main);

fn remove(path: &str, directories: bool) -> Result<(), libsys::Errno> {
    match fs::unlink(path) {
        Err(libsys::Errno::Eisdir) if directories => fs::rmdir(path),
        outcome => outcome,
    }
}

fn main() -> i32 {
    let mut paths = arguments();
    let directories = paths.first() == Some(&"-d");
    if directories {
        paths.remove(0);
    }
    for_each_path("rm", "rm [-d] path ...", &paths, |path| remove(path, directories))
}
