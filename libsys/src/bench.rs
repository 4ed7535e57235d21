//! Measuring for the benchmark programs of `make bench`: instructions, kernel entries and
//! address-space switches over a stretch of work, and the one line format the harness
//! reads.
//!
//! Under QEMU's `-icount shift=0,sleep=off` the counter ([`crate::time::counter`]) counts
//! executed instructions of every process and the kernel, so a measurement includes the
//! servers' work. A result line reads:
//!
//! ```text
//! PROGRAM: NAME: N UNIT, X instructions, Y kernel entries, Z address-space switches each
//! ```
//!
//! with `, M MB/s at one instruction per nanosecond` after it for transfers.

use courier_abi::Errno;

use crate::time;

/// A value in hundredths, shown with two decimals.
pub struct Hundredths(pub u64);

impl core::fmt::Display for Hundredths {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Totals over a measured stretch of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    /// Instructions executed (by every process and the kernel).
    pub instructions: u64,
    /// Kernel entries.
    pub entries: u64,
    /// Address-space switches.
    pub switches: u64,
}

/// Runs `work` and measures it.
///
/// # Errors
///
/// `work`'s error.
pub fn measure(work: impl FnOnce() -> Result<(), Errno>) -> Result<Measured, Errno> {
    let before = crate::process::kernel_statistics();
    let start = time::counter();
    work()?;
    let end = time::counter();
    let after = crate::process::kernel_statistics();
    Ok(Measured {
        instructions: time::counter_ticks_to_instructions(end - start),
        // The second statistics call entered the kernel once itself.
        entries: after.kernel_entries - before.kernel_entries - 1,
        switches: after.space_switches - before.space_switches,
    })
}

/// Prints the result line for `operations` operations (each a `unit`, such as "round
/// trips") of `name`, measured by `program`.
pub fn report(program: &str, name: &str, operations: u64, unit: &str, measured: &Measured) {
    let each = |total: u64| Hundredths(total * 100 / operations.max(1));
    crate::println!(
        "{program}: {name}: {operations} {unit}, {} instructions, {} kernel entries, {} address-space switches each",
        each(measured.instructions),
        each(measured.entries),
        each(measured.switches),
    );
}

/// As [`report`], for a transfer of `bytes` in all: adds the throughput at one
/// instruction per nanosecond (the guest's clock under `-icount shift=0`).
pub fn report_throughput(
    program: &str,
    name: &str,
    operations: u64,
    unit: &str,
    measured: &Measured,
    bytes: u64,
) {
    let each = |total: u64| Hundredths(total * 100 / operations.max(1));
    // Bytes per instruction are GB/s at one instruction per nanosecond.
    let megabytes_per_second = bytes * 1000 * 100 / measured.instructions.max(1);
    crate::println!(
        "{program}: {name}: {operations} {unit}, {} instructions, {} kernel entries, {} address-space switches each, {} MB/s at one instruction per nanosecond",
        each(measured.instructions),
        each(measured.entries),
        each(measured.switches),
        Hundredths(megabytes_per_second),
    );
}
