//! The console on aarch64: an Arm PL011 UART found through the device tree
//! (`/chosen/stdout-path`, or the first `arm,pl011` node).
//!
//! The driver is small enough to write here (data, flag, control and interrupt registers);
//! `docs/dependencies.md` says why no crate is used. It first runs through the loader's
//! direct map and is moved to the kernel's device mapping once the kernel's page tables
//! exist.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::boot::device_tree::DeviceTree;
use crate::mm::device::RegisterBlock;

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

/// The UART's registers (unmapped = no console).
static REGISTERS: RegisterBlock = RegisterBlock::unmapped();

/// Size of the PL011's register block.
const REGISTERS_SIZE: u64 = 0x1000;
/// Physical address of the registers.
static PHYSICAL_BASE: AtomicU64 = AtomicU64::new(0);
/// The UART's interrupt, as device-tree cells (type, number, flags).
static INTERRUPT: AtomicU64 = AtomicU64::new(u64::MAX);

static LOCK: spin::Mutex<()> = spin::Mutex::new(());

fn read(register: u64) -> u32 {
    REGISTERS.read32(register)
}

fn write(register: u64, value: u32) {
    REGISTERS.write32(register, value);
}

/// Finds the UART in `blob` and starts using it through a direct map at `offset`.
///
/// # Safety
///
/// The current page tables must map every device register page at `offset + physical`
/// (the early direct map or the loader's), until [`relocate`] is called.
pub unsafe fn initialize_from_device_tree(blob: &[u8], offset: u64) {
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
    // SAFETY: the caller guarantees the mapping at `offset`; the device tree names this
    // range as the console UART, which nothing else drives.
    unsafe { REGISTERS.map(physical + offset, REGISTERS_SIZE) };
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

/// Moves the driver to the virtual address `base`.
///
/// # Safety
///
/// `base` must be the kernel's device mapping of the UART's register page.
pub unsafe fn relocate(base: u64) {
    let _guard = LOCK.lock();
    // SAFETY: the caller's guarantee.
    unsafe { REGISTERS.map(base, REGISTERS_SIZE) };
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
    if !REGISTERS.is_mapped() {
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
    if !REGISTERS.is_mapped() || read(FLAGS) & FLAG_RECEIVE_EMPTY != 0 {
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
