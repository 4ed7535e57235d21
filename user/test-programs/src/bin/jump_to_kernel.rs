//! jump-to-kernel: jumps into the kernel half of the address space.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

/// An address in the kernel's image.
const KERNEL_ADDRESS: usize = 0xffff_ffff_8020_0000;

fn main() -> i32 {
    libsys::println!("jump-to-kernel: jumping to {KERNEL_ADDRESS:#x}");
    libsys::fault::jump(KERNEL_ADDRESS)
}
