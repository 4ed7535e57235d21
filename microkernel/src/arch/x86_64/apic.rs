//! The local APIC (xAPIC, memory-mapped): the periodic timer, end-of-interrupt, and the
//! time-stamp counter as the monotonic clock.
//!
//! The APIC timer and TSC frequencies are not architecturally known, so both are measured
//! against the legacy PIT (channel 2, 1.193182 MHz) over 2 ms at boot.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::port::Port;

use crate::mm::device::RegisterBlock;

use super::trap::{SPURIOUS_VECTOR, TIMER_VECTOR};

const REGISTER_ID: u64 = 0x20;
const REGISTER_VERSION: u64 = 0x30;
const REGISTER_TASK_PRIORITY: u64 = 0x80;
const REGISTER_END_OF_INTERRUPT: u64 = 0xb0;
const REGISTER_SPURIOUS: u64 = 0xf0;
const REGISTER_ERROR_STATUS: u64 = 0x280;
const REGISTER_TIMER: u64 = 0x320;
const REGISTER_LINT0: u64 = 0x350;
const REGISTER_LINT1: u64 = 0x360;
const REGISTER_ERROR: u64 = 0x370;
const REGISTER_INITIAL_COUNT: u64 = 0x380;
const REGISTER_CURRENT_COUNT: u64 = 0x390;
const REGISTER_DIVIDE: u64 = 0x3e0;

const MASKED: u32 = 1 << 16;
const TIMER_PERIODIC: u32 = 1 << 17;
const APIC_SOFTWARE_ENABLE: u32 = 1 << 8;
/// Divide configuration value for "divide by 16".
const DIVIDE_BY_16: u32 = 0b0011;

/// The PIT's input clock, in Hz.
const PIT_FREQUENCY: u64 = 1_193_182;
/// Calibration interval, in milliseconds (the PIT's 838 ns resolution makes this accurate
/// to 0.05%).
const CALIBRATION_MILLISECONDS: u64 = 2;

/// The APIC's register page.
static REGISTERS: RegisterBlock = RegisterBlock::unmapped();
/// APIC timer ticks (after the divider) per second.
static TIMER_FREQUENCY: AtomicU64 = AtomicU64::new(0);
/// TSC ticks per second.
static TSC_FREQUENCY: AtomicU64 = AtomicU64::new(0);
/// TSC value at calibration (time 0 of the monotonic clock).
static TSC_AT_BOOT: AtomicU64 = AtomicU64::new(0);

fn read(register: u64) -> u32 {
    REGISTERS.read32(register)
}

fn write(register: u64, value: u32) {
    REGISTERS.write32(register, value);
}

/// Reads the time-stamp counter.
pub fn read_time_stamp_counter() -> u64 {
    // SAFETY: rdtsc only reads the counter (CR4.TSD is clear, so it is also allowed in
    // user mode, which benchmarks use).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Physical address of the local APIC registers, from the APIC base MSR.
pub fn physical_base() -> u64 {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 processor; reading it has no effect.
    let value = unsafe { x86_64::registers::model_specific::Msr::new(0x1b).read() };
    value & 0x000f_ffff_ffff_f000
}

/// Counts PIT channel 2 down for [`CALIBRATION_MILLISECONDS`] and returns
/// `(tsc ticks, apic timer ticks)` elapsed.
fn calibrate() -> (u64, u64) {
    let mut control: Port<u8> = Port::new(0x61);
    let mut command: Port<u8> = Port::new(0x43);
    let mut channel2: Port<u8> = Port::new(0x42);
    let count = PIT_FREQUENCY * CALIBRATION_MILLISECONDS / 1000;
    // SAFETY: ports 0x42, 0x43 and 0x61 are the PIT and the system control port on every
    // PC; channel 2 drives only the speaker, which stays disconnected (bit 1 clear).
    unsafe {
        let value = control.read();
        control.write((value & !0x02) | 0x01);
        command.write(0b1011_0000); // channel 2, low then high byte, mode 0, binary
        channel2.write((count & 0xff) as u8);
        channel2.write((count >> 8) as u8);
        // Restart the count with a rising gate edge.
        let value = control.read();
        control.write(value & !0x01);
        control.write(value | 0x01);
    }
    write(REGISTER_DIVIDE, DIVIDE_BY_16);
    write(REGISTER_TIMER, MASKED);
    write(REGISTER_INITIAL_COUNT, u32::MAX);
    let tsc_start = read_time_stamp_counter();
    // SAFETY: reading the system control port has no side effect; bit 5 is channel 2's
    // output, which goes high when the count reaches zero.
    while unsafe { control.read() } & 0x20 == 0 {
        core::hint::spin_loop();
    }
    let tsc_end = read_time_stamp_counter();
    let apic_elapsed = u64::from(u32::MAX - read(REGISTER_CURRENT_COUNT));
    write(REGISTER_INITIAL_COUNT, 0);
    (tsc_end - tsc_start, apic_elapsed)
}

/// Enables the local APIC mapped at `base`, measures the timer and TSC frequencies.
/// Returns `(apic id, tsc frequency in Hz)`.
///
/// # Safety
///
/// `base` must be the kernel's device mapping of the local APIC's 4 KiB register page.
pub unsafe fn initialize(base: u64) -> (u32, u64) {
    // SAFETY: the caller's guarantee.
    unsafe { REGISTERS.map(base, 4096) };
    write(REGISTER_TASK_PRIORITY, 0);
    write(REGISTER_LINT0, MASKED);
    write(REGISTER_LINT1, MASKED);
    write(REGISTER_ERROR, MASKED);
    write(REGISTER_SPURIOUS, APIC_SOFTWARE_ENABLE | u32::from(SPURIOUS_VECTOR));
    write(REGISTER_ERROR_STATUS, 0);
    let (tsc_ticks, apic_ticks) = calibrate();
    let per_second = 1000 / CALIBRATION_MILLISECONDS;
    TIMER_FREQUENCY.store(apic_ticks * per_second, Ordering::Relaxed);
    TSC_FREQUENCY.store(tsc_ticks * per_second, Ordering::Relaxed);
    TSC_AT_BOOT.store(read_time_stamp_counter(), Ordering::Relaxed);
    let _ = read(REGISTER_VERSION);
    (read(REGISTER_ID) >> 24, tsc_ticks * per_second)
}

/// Starts the periodic timer at `frequency` interrupts per second.
pub fn start_periodic_timer(frequency: u32) {
    let ticks = TIMER_FREQUENCY.load(Ordering::Relaxed) / u64::from(frequency.max(1));
    let count = u32::try_from(ticks.max(1)).unwrap_or(u32::MAX);
    write(REGISTER_DIVIDE, DIVIDE_BY_16);
    write(REGISTER_TIMER, u32::from(TIMER_VECTOR) | TIMER_PERIODIC);
    write(REGISTER_INITIAL_COUNT, count);
}

/// Signals the end of the interrupt being handled.
pub fn end_of_interrupt() {
    write(REGISTER_END_OF_INTERRUPT, 0);
}

/// Nanoseconds since calibration, from the TSC.
pub fn monotonic_nanoseconds() -> u64 {
    let frequency = TSC_FREQUENCY.load(Ordering::Relaxed);
    if frequency == 0 {
        return 0;
    }
    let elapsed = read_time_stamp_counter().wrapping_sub(TSC_AT_BOOT.load(Ordering::Relaxed));
    (u128::from(elapsed) * 1_000_000_000 / u128::from(frequency)) as u64
}
