//! pipe-demo: a parent writes and a child reads through a pipe, the classic exercise.
//!
//! `pipe-demo [LINE ...]` makes a pipe, spawns itself as the child (`pipe-demo --child`)
//! with the pipe's read end as the child's standard input, writes each LINE (three lines
//! of its own without any) followed by a newline, closes its write end and waits. The
//! child reads its standard input until end of file, printing each line it got, and exits
//! with the number of lines it read (at most 255). The parent checks that number and
//! prints `pipe-demo: child read N lines (B bytes)`.
//!
//! There is no `fork`: the child is a new process started from the same image by
//! `proc::spawn`, and its descriptors are set with file actions (the read end duplicated
//! onto 0, then both ends closed, as a forked child closes them before `exec`). Closing
//! the write end everywhere but in the parent is what lets the child see end of file.
//!
//! Exit status: 0 when the child read every line; 1 when a call fails or the child read
//! something else; 2 for a bad argument.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libsys::fd::Fd;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes};
use libsys::{Errno, fd, pipe};

libsys::main!(main);

/// The image the parent spawns as its child: this program.
const IMAGE: &str = "pipe-demo";
/// The argument that makes this program the child.
const CHILD_OPTION: &str = "--child";
/// The lines the parent writes when it is given none.
const DEFAULT_LINES: [&str; 3] = ["hello through a pipe", "from parent to child", "goodbye"];
/// The usage message.
const USAGE: &str = "usage: pipe-demo [LINE ...]";

/// A failed call: what was called and the error.
type Failure = (String, Errno);

fn main() -> i32 {
    let arguments: Vec<&str> = libsys::env::args().skip(1).collect();
    if arguments.first() == Some(&CHILD_OPTION) {
        return child();
    }
    if let Some(option) = arguments.iter().find(|argument| argument.starts_with('-')) {
        libsys::eprintln!("pipe-demo: unknown option {option}; {USAGE}");
        return 2;
    }
    let lines: Vec<&str> = if arguments.is_empty() { DEFAULT_LINES.to_vec() } else { arguments };
    match parent(&lines) {
        Ok(()) => 0,
        Err((what, error)) => {
            libsys::eprintln!("pipe-demo: {what}: {error}");
            1
        }
    }
}

/// The parent: makes the pipe, spawns the child, writes `lines`, waits and checks.
fn parent(lines: &[&str]) -> Result<(), Failure> {
    let pid = proc::getpid().map_err(|error| (String::from("getpid"), error))?;
    let (read_end, write_end) = pipe::pipe().map_err(|error| (String::from("pipe"), error))?;
    libsys::println!(
        "pipe-demo: parent (pid {pid}): made a pipe: read end fd {read_end}, write end fd {write_end}"
    );
    let actions =
        [FileAction::Dup2(read_end, 0), FileAction::Close(read_end), FileAction::Close(write_end)];
    let spawned =
        proc::spawn(IMAGE, &[IMAGE, CHILD_OPTION], &[], &actions, &SpawnAttributes::default());
    // The parent only writes: its read end goes now (the child has its own copy).
    let _ = fd::close(read_end);
    let child = match spawned {
        Ok(child) => child,
        Err(error) => {
            let _ = fd::close(write_end);
            return Err((format!("spawn {IMAGE}"), error));
        }
    };
    libsys::println!(
        "pipe-demo: parent (pid {pid}): spawned child pid {child} with the read end as its standard input"
    );
    let written = write_lines(pid, write_end, lines);
    // Closing the last write end is what the child sees as end of file.
    let _ = fd::close(write_end);
    let bytes = match written {
        Ok(bytes) => bytes,
        Err(failure) => {
            let _ = proc::waitpid(child, 0);
            return Err(failure);
        }
    };
    libsys::println!(
        "pipe-demo: parent (pid {pid}): wrote {} lines ({bytes} bytes), closed the write end, waiting for child {child}",
        lines.len()
    );
    let lines_read = wait_for(child)?;
    libsys::println!(
        "pipe-demo: parent (pid {pid}): child {child} exited with status {lines_read} (the number of lines it read)"
    );
    if lines_read != lines.len().min(255) {
        return Err((
            format!("child read {lines_read} lines, expected {}", lines.len()),
            Errno::Eio,
        ));
    }
    libsys::println!("pipe-demo: child read {} lines ({bytes} bytes)", lines.len());
    Ok(())
}

/// Writes each line and a newline to `write_end`; returns the bytes written.
fn write_lines(pid: Pid, write_end: Fd, lines: &[&str]) -> Result<usize, Failure> {
    let mut total = 0;
    for line in lines {
        let text = format!("{line}\n");
        let mut sent = 0;
        while sent < text.len() {
            match fd::write(write_end, &text.as_bytes()[sent..]) {
                Ok(count) => sent += count,
                Err(Errno::Eintr) => {}
                Err(error) => return Err((String::from("write"), error)),
            }
        }
        libsys::println!("pipe-demo: parent (pid {pid}): wrote {line:?} ({} bytes)", text.len());
        total += sent;
    }
    Ok(total)
}

/// Waits for `child` and returns its exit status.
fn wait_for(child: Pid) -> Result<usize, Failure> {
    let (_, status) =
        proc::waitpid(child, 0).map_err(|error| (format!("waitpid {child}"), error))?;
    if !proc::exited(status) {
        return Err((
            format!("child {child} killed by signal {}", proc::terminating_signal(status)),
            Errno::Eio,
        ));
    }
    Ok(proc::exit_status(status) as usize)
}

/// The child: reads standard input until end of file and prints each line; exits with the
/// number of lines (at most 255).
fn child() -> i32 {
    let pid = proc::getpid().unwrap_or(0);
    libsys::println!("pipe-demo: child (pid {pid}): reading standard input until end of file");
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 256];
    let mut lines = 0usize;
    let mut bytes = 0usize;
    loop {
        let received = match fd::read(0, &mut chunk) {
            Ok(received) => received,
            Err(Errno::Eintr) => continue,
            Err(error) => {
                libsys::eprintln!("pipe-demo: child (pid {pid}): read: {error}");
                return 255;
            }
        };
        if received == 0 {
            break;
        }
        bytes += received;
        pending.extend_from_slice(&chunk[..received]);
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            lines += 1;
            let text = String::from_utf8_lossy(&line[..end]);
            libsys::println!("pipe-demo: child (pid {pid}): read line {lines}: {text:?}");
        }
    }
    if !pending.is_empty() {
        lines += 1;
        let text = String::from_utf8_lossy(&pending);
        libsys::println!("pipe-demo: child (pid {pid}): read line {lines} (no newline): {text:?}");
    }
    libsys::println!(
        "pipe-demo: child (pid {pid}): end of file after {lines} lines ({bytes} bytes)"
    );
    lines.min(255) as i32
}
