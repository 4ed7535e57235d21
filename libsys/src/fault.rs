//! Deliberate faults, for the kernel's tests of how it handles misbehaving programs.
//!
//! Each function performs one access or instruction that a correct program never does;
//! the kernel is expected to report the fault and end the program. They are in libsys
//! because they need instruction-level code, and programs contain no unsafe code.

use crate::arch;

/// Reads a byte at `address`: faults when it is not mapped readable.
pub fn read(address: usize) -> u8 {
    arch::read_byte_at(address)
}

/// Writes a byte at `address`: faults when it is not mapped writable.
pub fn write(address: usize, value: u8) {
    arch::write_byte_at(address, value);
}

/// Jumps to `address`: faults when it is not mapped executable for user mode.
pub fn jump(address: usize) -> ! {
    arch::jump_to(address)
}

/// Executes an instruction reserved for the kernel.
pub fn privileged_instruction() {
    arch::execute_privileged_instruction();
}
