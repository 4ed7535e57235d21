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
use libsys::{Errno, bench};

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

fn main() -> Result<(), Errno> {
    for _ in 0..WARM_UP {
        cycle()?;
    }
    let measured = bench::measure(|| {
        for _ in 0..CYCLES {
            cycle()?;
        }
        Ok(())
    })?;
    bench::report("spawn-bench", "spawn+exit+waitpid", CYCLES, "cycles", &measured);
    Ok(())
}
