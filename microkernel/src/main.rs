//! The Courier kernel executable: the library linked for bare metal with its linker script.
//!
//! Every entry point (the PVH note on x86_64, the ELF entry on aarch64, Limine's entry on
//! both) lives in `microkernel::arch`; this file only makes the linker keep the library.
//! Built for the host (for example by `cargo clippy` without `--target`), it is a
//! program that explains where the kernel runs.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
use microkernel as _;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "courier-kernel runs on bare metal: build it with `make kernel ARCH=x86_64` or \
         `make kernel ARCH=aarch64` and boot it with `make run`"
    );
    std::process::exit(2);
}
