//! shm-demo: POSIX shared memory between two processes (`shm_open`, `ftruncate`, `mmap`,
//! `shm_unlink`).
//!
//! `shm-demo [--name=/NAME]` creates the shared memory object NAME (default
//! `/courier-shm-demo`, that is `/dev/shm/courier-shm-demo` on the tmpfs) with `O_EXCL`,
//! sizes it to one page, maps it and writes a greeting and its pid into it. Then it spawns
//! itself as the child (`shm-demo --child --name=/NAME`), which opens the same name, maps
//! it, reads the parent's greeting from its own mapping, writes a message, five numbers,
//! its inode and its mapping's address, and raises a flag word last. The parent waits for
//! the flag in the shared page (polling it every 10 ms), reaps the child, reads what the
//! child wrote through its own mapping, unlinks the name and prints
//! `shm-demo: child wrote N numbers and a message through NAME, parent read them back`.
//!
//! The two mappings are at addresses each process's kernel map chose; the same inode and
//! each side reading what the other wrote show they are one memory object, one set of
//! frames.
//!
//! Exit status: 0 on success; 1 when a call fails or the page does not hold what the
//! child wrote; 2 for a bad argument.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use libsys::abi::io::O_RDWR;
use libsys::abi::layout::PAGE_SIZE;
use libsys::fd::Fd;
use libsys::fs::{self, O_CREAT, O_EXCL, PROT_READ, PROT_WRITE};
use libsys::memory::Mapping;
use libsys::proc::{self, Pid, SpawnAttributes};
use libsys::{Errno, fd, time};

libsys::main!(main);

/// The image the parent spawns as its child: this program.
const IMAGE: &str = "shm-demo";
/// The argument that makes this program the child.
const CHILD_OPTION: &str = "--child";
/// The option that names the object.
const NAME_OPTION: &str = "--name=";
/// The object's name when none is given.
const DEFAULT_NAME: &str = "/courier-shm-demo";
/// The usage message.
const USAGE: &str = "usage: shm-demo [--name=/NAME]";
/// The object's size: one page.
const SIZE: usize = PAGE_SIZE;
/// How long the parent waits for the child's flag.
const TIMEOUT: Duration = Duration::from_secs(10);
/// What the parent writes for the child to read.
const GREETING: &str = "greetings from the parent";
/// What the child writes for the parent to read.
const REPLY: &str = "hello from the child";
/// How many numbers the child writes (the squares of 1 to this).
const NUMBER_COUNT: u64 = 5;
/// The value of the flag word once the child has written everything.
const DONE: u64 = 1;

/// Byte offsets of what the two processes keep in the shared page.
mod offset {
    /// The flag word: 0, then [`super::DONE`] when the child has finished writing.
    pub const FLAG: usize = 0;
    /// The parent's pid.
    pub const PARENT_PID: usize = 8;
    /// The child's pid.
    pub const CHILD_PID: usize = 16;
    /// The inode the child's `fstat` reported.
    pub const CHILD_INODE: usize = 24;
    /// The address of the child's mapping.
    pub const CHILD_ADDRESS: usize = 32;
    /// How many numbers follow.
    pub const COUNT: usize = 40;
    /// The numbers, one word each (room for eight).
    pub const NUMBERS: usize = 48;
    /// The parent's greeting: a length word, then the bytes (room for 120).
    pub const GREETING: usize = 128;
    /// The child's message: a length word, then the bytes (room for 120).
    pub const REPLY: usize = 256;
    /// The most bytes a message may have.
    pub const MESSAGE_MAX: usize = 120;
}

/// A failed call: what was called and the error.
type Failure = (String, Errno);

/// Wraps an error with the name of the call that failed.
fn failed(what: &str) -> impl FnOnce(Errno) -> Failure + '_ {
    move |error| (String::from(what), error)
}

fn main() -> i32 {
    let mut name = DEFAULT_NAME;
    let mut is_child = false;
    for argument in libsys::env::args().skip(1) {
        if argument == CHILD_OPTION {
            is_child = true;
        } else if let Some(value) = argument.strip_prefix(NAME_OPTION) {
            name = value;
        } else {
            libsys::eprintln!("shm-demo: unexpected argument {argument}; {USAGE}");
            return 2;
        }
    }
    let result = if is_child { child(name) } else { parent(name) };
    match result {
        Ok(()) => 0,
        Err((what, error)) => {
            let role = if is_child { "child: " } else { "" };
            let hint = if error == Errno::Eexist && !is_child {
                format!(" (left by an earlier run? rm /dev/shm/{})", name.trim_start_matches('/'))
            } else {
                String::new()
            };
            libsys::eprintln!("shm-demo: {role}{what}: {error}{hint}");
            1
        }
    }
}

/// Writes `text` (cut to [`offset::MESSAGE_MAX`] bytes) as a length word and bytes at `at`.
fn write_message(mapping: &Mapping, at: usize, text: &str) {
    let bytes = &text.as_bytes()[..text.len().min(offset::MESSAGE_MAX)];
    mapping.write_word(at, bytes.len() as u64);
    mapping.write_bytes(at + 8, bytes);
}

/// Reads the message [`write_message`] wrote at `at`.
fn read_message(mapping: &Mapping, at: usize) -> String {
    let length = (mapping.read_word(at).unwrap_or(0) as usize).min(offset::MESSAGE_MAX);
    let mut bytes = alloc::vec![0u8; length];
    mapping.read_bytes(at + 8, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The parent: creates and maps the object, spawns the child, waits for its flag, reads
/// what it wrote, unlinks the object.
fn parent(name: &str) -> Result<(), Failure> {
    let pid = proc::getpid().map_err(failed("getpid"))?;
    let descriptor = fs::shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600)
        .map_err(|error| (format!("shm_open {name}"), error))?;
    let result = share_with_child(pid, name, descriptor);
    let _ = fd::close(descriptor);
    let unlinked = fs::shm_unlink(name);
    let outcome = result?;
    unlinked.map_err(failed("shm_unlink"))?;
    let reopened = fs::shm_open(name, O_RDWR, 0);
    match reopened {
        Err(error) => libsys::println!(
            "shm-demo: parent (pid {pid}): shm_unlink({name:?}); opening it again fails: {error}"
        ),
        Ok(again) => {
            let _ = fd::close(again);
            return Err((format!("shm_open {name} after shm_unlink succeeded"), Errno::Eio));
        }
    }
    libsys::println!(
        "shm-demo: child wrote {outcome} numbers and a message through {name}, parent read them back"
    );
    Ok(())
}

/// The parent's part between `shm_open` and `shm_unlink`; returns how many numbers the
/// child wrote.
fn share_with_child(pid: Pid, name: &str, descriptor: Fd) -> Result<u64, Failure> {
    let inode = fs::fstat(descriptor).map_err(failed("fstat"))?.inode;
    libsys::println!(
        "shm-demo: parent (pid {pid}): shm_open({name:?}, O_CREAT|O_EXCL|O_RDWR) = fd {descriptor}, inode {inode}"
    );
    fs::ftruncate(descriptor, SIZE as i64).map_err(failed("ftruncate"))?;
    let mapping = fs::mmap(SIZE, PROT_READ | PROT_WRITE, descriptor, 0).map_err(failed("mmap"))?;
    libsys::println!(
        "shm-demo: parent (pid {pid}): ftruncate to {SIZE} bytes, mmap(MAP_SHARED) at {:#x}",
        mapping.address()
    );
    mapping.write_word(offset::PARENT_PID, pid as u64);
    write_message(&mapping, offset::GREETING, GREETING);
    libsys::println!("shm-demo: parent (pid {pid}): wrote {GREETING:?} into the shared page");
    let result = run_child(pid, name, &mapping).map(|child| {
        let child_inode = mapping.read_word(offset::CHILD_INODE).unwrap_or(0);
        let child_address = mapping.read_word(offset::CHILD_ADDRESS).unwrap_or(0);
        let count = mapping.read_word(offset::COUNT).unwrap_or(0).min(8);
        let numbers: Vec<String> = (0..count as usize)
            .map(|index| format!("{}", mapping.read_word(offset::NUMBERS + 8 * index).unwrap_or(0)))
            .collect();
        let reply = read_message(&mapping, offset::REPLY);
        let writer = mapping.read_word(offset::CHILD_PID).unwrap_or(0);
        libsys::println!(
            "shm-demo: parent (pid {pid}): read from its own mapping: {reply:?} from pid {writer}, numbers {}",
            numbers.join(" ")
        );
        libsys::println!(
            "shm-demo: parent (pid {pid}): both opened inode {inode} (child: {child_inode}), mapped it (parent at {:#x}, child at {child_address:#x}) and read what the other wrote: one memory object, the same frames",
            mapping.address()
        );
        (child, child_inode, count, numbers, reply, writer)
    });
    let _ = fs::munmap(mapping);
    let (child, child_inode, count, numbers, reply, writer) = result?;
    let expected: Vec<String> =
        (1..=NUMBER_COUNT).map(|number| format!("{}", number * number)).collect();
    if child_inode != inode || writer != child as u64 || reply != REPLY || numbers != expected {
        return Err((
            String::from("the shared page does not hold what the child wrote"),
            Errno::Eio,
        ));
    }
    Ok(count)
}

/// Spawns the child, waits for its flag in `mapping` and reaps it; returns its pid.
fn run_child(pid: Pid, name: &str, mapping: &Mapping) -> Result<Pid, Failure> {
    let name_argument = format!("{NAME_OPTION}{name}");
    let child = proc::spawn(
        IMAGE,
        &[IMAGE, CHILD_OPTION, &name_argument],
        &[],
        &[],
        &SpawnAttributes::default(),
    )
    .map_err(|error| (format!("spawn {IMAGE}"), error))?;
    libsys::println!(
        "shm-demo: parent (pid {pid}): spawned child pid {child}; waiting for its flag in the shared page"
    );
    let deadline = time::monotonic() + TIMEOUT;
    let mut status = None;
    while mapping.read_word(offset::FLAG) != Some(DONE) {
        match proc::waitpid(child, proc::WNOHANG) {
            Ok((reaped, ended)) if reaped == child => {
                status = Some(ended);
                break;
            }
            Ok(_) | Err(Errno::Eintr) => {}
            Err(error) => return Err((format!("waitpid {child}"), error)),
        }
        if time::monotonic() > deadline {
            let _ = proc::kill(child, libsys::abi::signal::SIGKILL);
            let _ = proc::waitpid(child, 0);
            return Err((String::from("no flag from the child in 10 s"), Errno::Etimedout));
        }
        let _ = time::nanosleep(Duration::from_millis(10));
    }
    if mapping.read_word(offset::FLAG) == Some(DONE) {
        libsys::println!("shm-demo: parent (pid {pid}): saw the child's flag in the shared page");
    }
    let status = match status {
        Some(status) => status,
        None => proc::waitpid(child, 0).map_err(|error| (format!("waitpid {child}"), error))?.1,
    };
    if !proc::exited(status) || proc::exit_status(status) != 0 {
        return Err((format!("child {child} failed (wait status {status:#x})"), Errno::Eio));
    }
    libsys::println!("shm-demo: parent (pid {pid}): child {child} exited with status 0");
    Ok(child)
}

/// The child: opens and maps the object, reads the greeting, writes its message and
/// numbers, raises the flag.
fn child(name: &str) -> Result<(), Failure> {
    let pid = proc::getpid().map_err(failed("getpid"))?;
    let descriptor =
        fs::shm_open(name, O_RDWR, 0).map_err(|error| (format!("shm_open {name}"), error))?;
    let result = (|| {
        let status = fs::fstat(descriptor).map_err(failed("fstat"))?;
        libsys::println!(
            "shm-demo: child (pid {pid}): shm_open({name:?}, O_RDWR) = fd {descriptor}, inode {}, size {}",
            status.inode,
            status.size
        );
        let mapping =
            fs::mmap(SIZE, PROT_READ | PROT_WRITE, descriptor, 0).map_err(failed("mmap"))?;
        let greeting = read_message(&mapping, offset::GREETING);
        let parent = mapping.read_word(offset::PARENT_PID).unwrap_or(0);
        libsys::println!(
            "shm-demo: child (pid {pid}): mmap(MAP_SHARED) at {:#x}; read {greeting:?} written by pid {parent}",
            mapping.address()
        );
        mapping.write_word(offset::CHILD_PID, pid as u64);
        mapping.write_word(offset::CHILD_INODE, status.inode);
        mapping.write_word(offset::CHILD_ADDRESS, mapping.address() as u64);
        for number in 1..=NUMBER_COUNT {
            mapping.write_word(offset::NUMBERS + 8 * (number as usize - 1), number * number);
        }
        mapping.write_word(offset::COUNT, NUMBER_COUNT);
        write_message(&mapping, offset::REPLY, REPLY);
        // Printed before the flag goes up, so this line comes before the parent's next.
        libsys::println!(
            "shm-demo: child (pid {pid}): wrote {REPLY:?} and the squares of 1 to {NUMBER_COUNT}; setting the flag"
        );
        // Last, so the parent sees everything else once it sees this.
        mapping.write_word(offset::FLAG, DONE);
        let _ = fs::munmap(mapping);
        Ok(())
    })();
    let _ = fd::close(descriptor);
    result
}
