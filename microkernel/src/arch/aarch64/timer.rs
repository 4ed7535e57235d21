//! The Arm generic timer: the virtual counter (`CNTVCT_EL0`) as the monotonic clock and the
//! EL1 virtual timer as the periodic interrupt.
//!
//! The timer is one-shot in hardware: each interrupt moves the compare value one interval
//! further (from the previous deadline, so the period does not drift).

use core::sync::atomic::{AtomicU64, Ordering};

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{
    CNTFRQ_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0, CNTVCT_EL0, Readable, Writeable,
};

static INTERVAL: AtomicU64 = AtomicU64::new(0);
static DEADLINE: AtomicU64 = AtomicU64::new(0);
static COUNTER_AT_BOOT: AtomicU64 = AtomicU64::new(0);

/// The counter frequency in Hz (`CNTFRQ_EL0`).
pub fn frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// The virtual counter.
pub fn counter() -> u64 {
    // The isb keeps the read from being performed before earlier instructions.
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}

/// Marks time 0 of the monotonic clock.
pub fn initialize() {
    COUNTER_AT_BOOT.store(counter(), Ordering::Relaxed);
}

fn set_deadline(deadline: u64) {
    DEADLINE.store(deadline, Ordering::Relaxed);
    CNTV_CVAL_EL0.set(deadline);
    CNTV_CTL_EL0.write(CNTV_CTL_EL0::ENABLE::SET + CNTV_CTL_EL0::IMASK::CLEAR);
    barrier::isb(barrier::SY);
}

/// Starts periodic interrupts at `frequency_hz`.
pub fn start(frequency_hz: u32) {
    let interval = (frequency() / u64::from(frequency_hz.max(1))).max(1);
    INTERVAL.store(interval, Ordering::Relaxed);
    set_deadline(counter() + interval);
}

/// Moves the deadline one interval on (skipping missed intervals).
pub fn rearm() {
    let interval = INTERVAL.load(Ordering::Relaxed);
    let now = counter();
    let mut deadline = DEADLINE.load(Ordering::Relaxed) + interval;
    if deadline <= now {
        deadline = now + interval;
    }
    set_deadline(deadline);
}

/// Nanoseconds since [`initialize`].
pub fn monotonic_nanoseconds() -> u64 {
    let frequency = frequency();
    if frequency == 0 {
        return 0;
    }
    let elapsed = counter().wrapping_sub(COUNTER_AT_BOOT.load(Ordering::Relaxed));
    (u128::from(elapsed) * 1_000_000_000 / u128::from(frequency)) as u64
}
