//! The I/O APIC: routes legacy and PCI interrupt lines to local-APIC vectors.
//!
//! At boot every redirection entry is masked; [`route`] unmasks one line, delivering it
//! to the boot CPU at a vector, with the polarity and trigger mode the MADT's interrupt
//! source overrides give (ISA lines default to active-high, edge-triggered).

use core::sync::atomic::{AtomicU32, Ordering};

use crate::mm::device::RegisterBlock;

const REGISTER_SELECT: u64 = 0x00;
const REGISTER_WINDOW: u64 = 0x10;
const REGISTER_VERSION: u32 = 0x01;
const REDIRECTION_TABLE: u32 = 0x10;

const MASKED: u32 = 1 << 16;
const ACTIVE_LOW: u32 = 1 << 13;
const LEVEL_TRIGGERED: u32 = 1 << 15;

static REGISTERS: RegisterBlock = RegisterBlock::unmapped();
static FIRST_LINE: AtomicU32 = AtomicU32::new(0);
static LINE_COUNT: AtomicU32 = AtomicU32::new(0);

fn read(register: u32) -> u32 {
    REGISTERS.write32(REGISTER_SELECT, register);
    REGISTERS.read32(REGISTER_WINDOW)
}

fn write(register: u32, value: u32) {
    REGISTERS.write32(REGISTER_SELECT, register);
    REGISTERS.write32(REGISTER_WINDOW, value);
}

/// Takes over the I/O APIC mapped at `base` whose first line is global system interrupt
/// `first_line`, and masks every line. Returns the number of lines.
///
/// # Safety
///
/// `base` must be the kernel's device mapping of the I/O APIC's register page.
pub unsafe fn initialize(base: u64, first_line: u32) -> u32 {
    // SAFETY: the caller's guarantee.
    unsafe { REGISTERS.map(base, 0x20) };
    FIRST_LINE.store(first_line, Ordering::Relaxed);
    let lines = ((read(REGISTER_VERSION) >> 16) & 0xff) + 1;
    LINE_COUNT.store(lines, Ordering::Relaxed);
    for line in 0..lines {
        write(REDIRECTION_TABLE + 2 * line, MASKED);
        write(REDIRECTION_TABLE + 2 * line + 1, 0);
    }
    lines
}

/// How an interrupt line signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineMode {
    /// Active when low (otherwise high).
    pub active_low: bool,
    /// Level-triggered (otherwise edge).
    pub level_triggered: bool,
}

/// Delivers global system interrupt `line` to the CPU with local APIC id `apic_id` at
/// `vector`. Returns `false` if this I/O APIC does not have the line.
pub fn route(line: u32, vector: u8, mode: LineMode, apic_id: u32) -> bool {
    let first = FIRST_LINE.load(Ordering::Relaxed);
    let Some(index) = line.checked_sub(first) else {
        return false;
    };
    if index >= LINE_COUNT.load(Ordering::Relaxed) {
        return false;
    }
    let mut low = u32::from(vector);
    if mode.active_low {
        low |= ACTIVE_LOW;
    }
    if mode.level_triggered {
        low |= LEVEL_TRIGGERED;
    }
    write(REDIRECTION_TABLE + 2 * index + 1, apic_id << 24);
    write(REDIRECTION_TABLE + 2 * index, low);
    true
}
