//! Time: the monotonic clock, `nanosleep` and `clock_gettime`.

use core::time::Duration;

use courier_abi::Syscall;

use crate::arch;

/// Time since boot on the kernel's monotonic clock.
pub fn monotonic() -> Duration {
    let results = arch::syscall(Syscall::ClockMonotonic.number(), [0; 8]).results;
    Duration::from_nanos(results[0] as u64)
}

/// Sleeps for `duration`.
///
/// # Errors
///
/// `Interrupted` (with the time left) when an upcall arrives.
pub fn sleep(duration: Duration) -> Result<(), (courier_abi::KernelError, Duration)> {
    let nanoseconds = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX - 1);
    let outcome =
        arch::syscall(Syscall::Sleep.number(), [nanoseconds as usize, 0, 0, 0, 0, 0, 0, 0]);
    match outcome.into_result() {
        Ok(_) => Ok(()),
        Err(error) => Err((error, Duration::from_nanos(outcome.results[0] as u64))),
    }
}

/// `nanosleep`: sleeps for `duration`, all of it unless interrupted.
///
/// # Errors
///
/// `EINTR` when an upcall (a signal) arrives; [`nanosleep_remaining`] also gives the time
/// left.
pub fn nanosleep(duration: Duration) -> Result<(), courier_abi::Errno> {
    nanosleep_remaining(duration).map_err(|(error, _)| error)
}

/// `nanosleep` that reports the time left when interrupted.
///
/// # Errors
///
/// `(EINTR, time left)`.
pub fn nanosleep_remaining(duration: Duration) -> Result<(), (courier_abi::Errno, Duration)> {
    let mut left = duration;
    loop {
        crate::signal::begin_call();
        match sleep(left) {
            Ok(()) => return Ok(()),
            // A signal no handler caught does not end a sleep on Linux: sleep on. After a
            // handler, nanosleep fails with EINTR even with SA_RESTART.
            Err((courier_abi::KernelError::Interrupted, rest))
                if crate::signal::restart_after_interruption(false) =>
            {
                left = rest;
            }
            Err((error, rest)) => return Err((courier_abi::Errno::from(error), rest)),
        }
    }
}

/// Clocks `clock_gettime` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: time since boot, never set back.
    Monotonic,
}

/// `clock_gettime(clock)`.
pub fn clock_gettime(clock: Clock) -> Duration {
    match clock {
        Clock::Monotonic => monotonic(),
    }
}

/// The architecture's counter (x86_64 TSC, aarch64 virtual counter); see
/// [`counter_ticks_to_instructions`].
pub fn counter() -> u64 {
    arch::read_counter()
}

/// Instructions executed during `ticks` of [`counter`] under QEMU's `-icount shift=0`.
pub fn counter_ticks_to_instructions(ticks: u64) -> u64 {
    arch::counter_ticks_to_instructions(ticks)
}
