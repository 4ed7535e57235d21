//! Kernel self-tests chosen with `courier.selftest=`: each checks one kernel mechanism
//! from inside and prints a line the QEMU tests read.
//!
//! - `timer`: idles for [`TIMER_TEST_MILLISECONDS`] and counts timer interrupts.
//! - `console-input`: waits for a line on the console, received through interrupts.
//! - `kernel-fault`: reads an unmapped kernel address (the fault dump stops the machine).
//! - `panic`: panics (the panic handler stops the machine).

use crate::{arch, kernel};

/// How long the timer test idles.
pub const TIMER_TEST_MILLISECONDS: u64 = 500;

/// Runs the self-test `name`. Returns `false` for an unknown name or a failed test.
pub fn run(name: &str) -> bool {
    match name {
        "timer" => timer(),
        "console-input" => console_input(),
        "kernel-fault" => {
            log::info!("selftest kernel-fault: reading an unmapped kernel address");
            arch::provoke_kernel_fault()
        }
        "panic" => panic!("deliberate kernel panic (courier.selftest=panic)"),
        other => {
            log::error!(
                "selftest {other}: unknown (known: timer, console-input, kernel-fault, panic)"
            );
            false
        }
    }
}

fn timer() -> bool {
    let frequency = kernel::timer_frequency();
    let start_ticks = kernel::timer_ticks();
    let start = arch::monotonic_nanoseconds();
    let duration = TIMER_TEST_MILLISECONDS * 1_000_000;
    while arch::monotonic_nanoseconds() - start < duration {
        arch::wait_for_interrupt();
    }
    let elapsed_milliseconds = (arch::monotonic_nanoseconds() - start) / 1_000_000;
    let ticks = kernel::timer_ticks() - start_ticks;
    let expected = u64::from(frequency) * elapsed_milliseconds / 1000;
    // The clocks are measured against each other at boot, so allow a tenth of slack.
    let passed = ticks * 10 >= expected * 9 && ticks * 10 <= expected * 11 + 10;
    log::info!(
        "selftest timer: {ticks} timer interrupts in {elapsed_milliseconds} ms at {frequency} Hz \
         (expected {expected}): {}",
        if passed { "passed" } else { "FAILED" }
    );
    passed
}

fn console_input() -> bool {
    if !arch::enable_console_input_interrupt() {
        log::error!("selftest console-input: the console has no receive interrupt");
        return false;
    }
    log::info!("selftest console-input: type a line");
    let mut line: heapless::String<80> = heapless::String::new();
    let mut interrupts_before = kernel::console_interrupts();
    loop {
        while let Some(byte) = kernel::take_console_input() {
            match byte {
                b'\r' | b'\n' => {
                    let interrupts = kernel::console_interrupts() - interrupts_before;
                    log::info!(
                        "selftest console-input: received {:?} ({} bytes) through {} interrupts: passed",
                        line.as_str(),
                        line.len(),
                        interrupts
                    );
                    return interrupts > 0;
                }
                byte if byte.is_ascii_graphic() || byte == b' ' => {
                    let _ = line.push(char::from(byte));
                }
                _ => {}
            }
        }
        if line.is_empty() {
            interrupts_before = interrupts_before.min(kernel::console_interrupts());
        }
        arch::wait_for_interrupt();
    }
}
