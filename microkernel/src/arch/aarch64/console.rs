//! The console on aarch64: an Arm PL011 UART found through the device tree
//! (`/chosen/stdout-path`, or the first `arm,pl011` node).
//!
//! The driver is small enough to write here (data, flag, control and interrupt registers);
//! `docs/dependencies.md` says why no crate is used. It first runs through the loader's
//! direct map and is moved to the kernel's device mapping once the kernel's page tables
//! exist.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::boot::device_tree::DeviceTree;

const DATA: u64 = 0x00;
const FLAGS: u64 = 0x18;
const LINE_CONTROL: u64 = 0x2c;
const CONTROL: u64 = 0x30;
const INTERRUPT_MASK: u64 = 0x38;
const INTERRUPT_CLEAR: u64 = 0x44;

const FLAG_RECEIVE_EMPTY: u32 = 1 << 4;
const FLAG_TRANSMIT_FULL: u32 = 1 << 5;
const CONTROL_ENABLE: u32 = 1 << 0;
const CONTROL_TRANSMIT: u32 = 1 << 8;
const CONTROL_RECEIVE: u32 = 1 << 9;
const LINE_EIGHT_BITS_WITH_FIFO: u32 = (0b11 << 5) | (1 << 4);
const INTERRUPT_RECEIVE: u32 = 1 << 4;
const INTERRUPT_RECEIVE_TIMEOUT: u32 = 1 << 6;

/// Compatible strings of the UART this driver handles.
pub const COMPATIBLE: &[&str] = &["arm,pl011"];

/// Virtual address of the registers (0 = no console).
static BASE: AtomicU64 = AtomicU64::new(0);
/// Physical address of the registers.
static PHYSICAL_BASE: AtomicU64 = AtomicU64::new(0);
/// The UART's interrupt, as device-tree cells (type, number, flags).
static INTERRUPT: AtomicU64 = AtomicU64::new(u64::MAX);

static LOCK: spin::Mutex<()> = spin::Mutex::new(());

fn read(register: u64) -> u32 {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: `base` maps the PL011's 4 KiB register page (set only by this module from
    // the device tree) and the offsets are inside it.
    unsafe { ((base + register) as *const u32).read_volatile() }
}

fn write(register: u64, value: u32) {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: as for `read`.
    unsafe { ((base + register) as *mut u32).write_volatile(value) }
}

/// Finds the UART in `blob` and starts using it through a direct map at `offset`.
pub fn initialize_from_device_tree(blob: &[u8], offset: u64) {
    let Ok(tree) = DeviceTree::parse(blob) else {
        return;
    };
    let Some(device) =
        tree.standard_output(COMPATIBLE).or_else(|| tree.find_compatible(COMPATIBLE))
    else {
        return;
    };
    let Some((physical, _)) = device.first_register() else {
        return;
    };
    if let [kind, number, flags, ..] = *device.interrupts() {
        INTERRUPT.store(
            (u64::from(kind) << 40) | (u64::from(number) << 8) | u64::from(flags & 0xff),
            Ordering::Relaxed,
        );
    }
    PHYSICAL_BASE.store(physical, Ordering::Relaxed);
    BASE.store(physical + offset, Ordering::Relaxed);
    write(CONTROL, 0);
    write(LINE_CONTROL, LINE_EIGHT_BITS_WITH_FIFO);
    write(INTERRUPT_MASK, 0);
    write(INTERRUPT_CLEAR, 0x7ff);
    write(CONTROL, CONTROL_ENABLE | CONTROL_TRANSMIT | CONTROL_RECEIVE);
}

/// Physical address of the UART registers (0 if there is none).
pub fn physical_base() -> u64 {
    PHYSICAL_BASE.load(Ordering::Relaxed)
}

/// Moves the driver to the virtual address `base` (the kernel's device mapping).
pub fn relocate(base: u64) {
    let _guard = LOCK.lock();
    BASE.store(base, Ordering::Relaxed);
}

/// The UART's interrupt as device-tree cells `(type, number, flags)`.
pub fn interrupt() -> Option<(u32, u32, u32)> {
    let packed = INTERRUPT.load(Ordering::Relaxed);
    (packed != u64::MAX).then_some({
        ((packed >> 40) as u32, ((packed >> 8) & 0xffff_ffff) as u32, (packed & 0xff) as u32)
    })
}

fn put(byte: u8) {
    while read(FLAGS) & FLAG_TRANSMIT_FULL != 0 {
        core::hint::spin_loop();
    }
    write(DATA, u32::from(byte));
}

fn write_unlocked(bytes: &[u8]) {
    if BASE.load(Ordering::Relaxed) == 0 {
        return;
    }
    for &byte in bytes {
        if byte == b'\n' {
            put(b'\r');
        }
        put(byte);
    }
}

/// Writes `bytes`, turning `\n` into `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    let _guard = LOCK.lock();
    write_unlocked(bytes);
}

/// Writes `bytes` even if the lock is held by code that faulted.
pub fn write_bytes_emergency(bytes: &[u8]) {
    write_unlocked(bytes);
}

/// A received byte, if one is waiting.
pub fn read_byte() -> Option<u8> {
    let _guard = LOCK.lock();
    if BASE.load(Ordering::Relaxed) == 0 || read(FLAGS) & FLAG_RECEIVE_EMPTY != 0 {
        return None;
    }
    Some((read(DATA) & 0xff) as u8)
}

/// Enables the receive interrupts in the UART.
pub fn enable_receive_interrupt() {
    let _guard = LOCK.lock();
    write(INTERRUPT_CLEAR, INTERRUPT_RECEIVE | INTERRUPT_RECEIVE_TIMEOUT);
    write(INTERRUPT_MASK, INTERRUPT_RECEIVE | INTERRUPT_RECEIVE_TIMEOUT);
}
