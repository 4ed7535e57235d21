//! Time: the monotonic clock.

use core::time::Duration;

use courier_abi::Syscall;

use crate::arch;

/// Time since boot on the kernel's monotonic clock.
pub fn monotonic() -> Duration {
    let results = arch::syscall(Syscall::ClockMonotonic.number(), [0; 6]).results;
    Duration::from_nanos(results[0] as u64)
}
