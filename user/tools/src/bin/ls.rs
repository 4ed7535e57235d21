//! ls: lists directories of the tmpfs.
//!
//! `ls [-l] [path ...]` (default `/`): one name a line, `/` after directories and `|`
//! after FIFOs; `-l` adds the mode, links, owner and size.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;

use courier_tools::arguments;
use libsys::fs::{self, is_directory, is_fifo};
use libsys::{eprintln, println};

libsys::main!(main);

fn mode_text(mode: u32) -> String {
    let kind = if is_directory(mode) {
        'd'
    } else if is_fifo(mode) {
        'p'
    } else {
        '-'
    };
    let mut text = String::from(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

fn join(directory: &str, name: &str) -> String {
    if directory.ends_with('/') {
        format!("{directory}{name}")
    } else {
        format!("{directory}/{name}")
    }
}

fn list(path: &str, long: bool) -> Result<(), libsys::Errno> {
    let status = fs::stat(path)?;
    let entries = if is_directory(status.mode) {
        let mut entries = fs::list_directory(path)?;
        entries.retain(|entry| entry.name != "." && entry.name != "..");
        entries.sort_by(|first, second| first.name.cmp(&second.name));
        entries.into_iter().map(|entry| (join(path, &entry.name), entry.name)).collect()
    } else {
        alloc::vec![(String::from(path), String::from(path))]
    };
    for (full, name) in entries {
        let Ok(status) = fs::stat(&full) else {
            println!("{name}");
            continue;
        };
        let suffix = if is_directory(status.mode) {
            "/"
        } else if is_fifo(status.mode) {
            "|"
        } else {
            ""
        };
        if long {
            println!(
                "{} {:>2} {:>4} {:>4} {:>8} {name}{suffix}",
                mode_text(status.mode),
                status.links,
                status.uid,
                status.gid,
                status.size
            );
        } else {
            println!("{name}{suffix}");
        }
    }
    Ok(())
}

fn main() -> i32 {
    let mut long = false;
    let mut paths = alloc::vec::Vec::new();
    for argument in arguments() {
        match argument {
            "-l" => long = true,
            option if option.starts_with('-') && option.len() > 1 => {
                eprintln!("ls: unknown option {option} (usage: ls [-l] [path ...])");
                return 2;
            }
            path => paths.push(path),
        }
    }
    if paths.is_empty() {
        paths.push("/");
    }
    let mut code = 0;
    let several = paths.len() > 1;
    for path in paths {
        if several {
            println!("{path}:");
        }
        if let Err(error) = list(path, long) {
            eprintln!("ls: {path}: {error}");
            code = 1;
        }
    }
    code
}
