//! rm: removes files (`-d`: also empty directories).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::arguments;
use libsys::{eprintln, fs};

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
    if paths.is_empty() {
        eprintln!("usage: rm path ...");
        return 2;
    }
    let mut code = 0;
    for path in paths {
        if let Err(error) = remove(path, directories) {
            eprintln!("rm: {path}: {error}");
            code = 1;
        }
    }
    code
}
