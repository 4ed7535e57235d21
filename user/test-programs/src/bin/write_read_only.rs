//! write-read-only: writes into its own code, which is mapped read-only and executable.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

fn main() -> i32 {
    let code_address = main as fn() -> i32 as usize;
    libsys::println!("write-read-only: writing to code at {code_address:#x}");
    libsys::fault::write(code_address, 0);
    libsys::println!("write-read-only: the write was not stopped");
    1
}
