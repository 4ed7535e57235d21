//! privileged-instruction: executes an instruction only the kernel may execute.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

fn main() -> i32 {
    libsys::println!("privileged-instruction: executing a kernel-only instruction");
    libsys::fault::privileged_instruction();
    libsys::println!("privileged-instruction: the instruction was not stopped");
    1
}
