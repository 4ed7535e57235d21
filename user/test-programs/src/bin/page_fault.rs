//! page-fault: reads an unmapped address; the kernel must report the fault and go on.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

/// An address no program maps.
const UNMAPPED_ADDRESS: usize = 0xdead_b000;

fn main() -> i32 {
    libsys::println!("page-fault: reading {UNMAPPED_ADDRESS:#x}");
    let value = libsys::fault::read(UNMAPPED_ADDRESS);
    libsys::println!("page-fault: read {value} and was not stopped");
    1
}
