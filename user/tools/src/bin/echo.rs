//! echo: prints its arguments, separated by spaces (`-n`: no newline).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;

use courier_tools::{arguments, write_all};

libsys::main!(main);

fn main() -> i32 {
    let mut words = arguments();
    let newline = words.first() != Some(&"-n");
    if !newline {
        words.remove(0);
    }
    let mut text: String = words.join(" ");
    if newline {
        text.push('\n');
    }
    i32::from(write_all(1, text.as_bytes()).is_err())
}
