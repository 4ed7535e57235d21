//! Stopping the machine: QEMU's `isa-debug-exit` device gives the exit status to the
//! host; without it the CPU halts.
//!
//! `isa-debug-exit` (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`) makes QEMU exit
//! with status `(value << 1) | 1` when `value` is written to port 0xf4. Courier writes 0
//! for success and 1 for failure, so QEMU exits with 1 and 3; the harness maps them back.

use x86_64::instructions::port::Port;

/// The debug-exit port.
const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Stops the machine, reporting `success` to QEMU when it can.
pub fn power_off(success: bool) -> ! {
    let mut port: Port<u32> = Port::new(DEBUG_EXIT_PORT);
    // SAFETY: on QEMU with isa-debug-exit this write ends the emulator; on other machines
    // port 0xf4 is unassigned and the write has no effect.
    unsafe { port.write(if success { 0 } else { 1 }) };
    halt_forever()
}

/// Disables interrupts and halts forever.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
