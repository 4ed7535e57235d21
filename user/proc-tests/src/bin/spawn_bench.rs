//! spawn-bench: instructions per spawn + exit + waitpid of a minimal program (`true`),
//! for `make bench`. Run as init's program (`init=spawn-bench`) under QEMU's
//! `-icount shift=0,sleep=off`, where the counter counts instructions. Prints one line the
//! harness reads:
//!
//! ```text
//! spawn-bench: spawn+exit+waitpid: 200 cycles, 123456.78 instructions, 12.00 kernel entries, 4.00 address-space switches each
//! ```

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use libsys::proc::{self, SpawnAttributes};
use libsys::{Errno, time};

libsys::main!(main);

/// Cycles before measuring.
const WARM_UP: u64 = 20;
/// Cycles measured.
const CYCLES: u64 = 200;

fn cycle() -> Result<(), Errno> {
    let pid = proc::spawn("true", &["true"], &[], &[], &SpawnAttributes::default())?;
    let (reaped, status) = proc::waitpid(pid, 0)?;
    if reaped != pid || !proc::exited(status) || proc::exit_status(status) != 0 {
        return Err(Errno::Echild);
    }
    Ok(())
}

struct Hundredths(u64);

impl core::fmt::Display for Hundredths {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

fn main() -> Result<(), Errno> {
    for _ in 0..WARM_UP {
        cycle()?;
    }
    let before = libsys::process::kernel_statistics();
    let start = time::counter();
    for _ in 0..CYCLES {
        cycle()?;
    }
    let end = time::counter();
    let after = libsys::process::kernel_statistics();
    let instructions = time::counter_ticks_to_instructions(end - start);
    let entries = after.kernel_entries - before.kernel_entries - 1;
    let switches = after.space_switches - before.space_switches;
    libsys::println!(
        "spawn-bench: spawn+exit+waitpid: {CYCLES} cycles, {} instructions, {} kernel entries, {} address-space switches each",
        Hundredths(instructions * 100 / CYCLES),
        Hundredths(entries * 100 / CYCLES),
        Hundredths(switches * 100 / CYCLES),
    );
    Ok(())
}
