//! panic: panics; libsys's panic handler prints the message and exits with status 101.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

fn main() -> i32 {
    let divisor = core::hint::black_box(0u32);
    if divisor == 0 {
        panic!("deliberate panic in a user program");
    }
    0
}
