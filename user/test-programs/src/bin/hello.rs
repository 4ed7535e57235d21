//! hello: prints a line through the console system call and exits with status 42.
//!
//! The kernel tests check both the line and the exit status the kernel reports.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

/// The exit status the kernel tests expect.
const EXIT_STATUS: i32 = 42;

fn main() -> i32 {
    libsys::println!("hello from user mode");
    let now = libsys::time::monotonic();
    libsys::println!("hello: monotonic clock reads {} us", now.as_micros());
    EXIT_STATUS
}
