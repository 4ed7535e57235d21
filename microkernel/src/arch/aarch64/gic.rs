//! The Arm Generic Interrupt Controller, version 2 or 3, found through the device tree.
//!
//! GICv2: a distributor and a memory-mapped CPU interface. GICv3: a distributor, one
//! redistributor per CPU (private interrupts live there) and a CPU interface reached
//! through system registers. QEMU's `virt` machine gives either (`gic-version=2|3`).
//! Interrupts are numbered by INTID: 16..31 are per-CPU (PPIs, like the timer), 32 and up
//! are shared (SPIs, like the UART).

use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

use aarch64_cpu::registers::{MPIDR_EL1, Readable};

use crate::boot::device_tree::DeviceTree;
use crate::mm::device::RegisterBlock;
use crate::mm::kernel_space;
use crate::mm::page_table::Caching;
use crate::trap::Interrupt;

const DISTRIBUTOR_CONTROL: u64 = 0x000;
const DISTRIBUTOR_TYPE: u64 = 0x004;
const DISTRIBUTOR_GROUP: u64 = 0x080;
const DISTRIBUTOR_SET_ENABLE: u64 = 0x100;
const DISTRIBUTOR_CLEAR_ENABLE: u64 = 0x180;
const DISTRIBUTOR_PRIORITY: u64 = 0x400;
const DISTRIBUTOR_TARGETS: u64 = 0x800;
const DISTRIBUTOR_CONFIGURATION: u64 = 0xc00;
const DISTRIBUTOR_ROUTE: u64 = 0x6000;

const CPU_CONTROL: u64 = 0x000;
const CPU_PRIORITY_MASK: u64 = 0x004;
const CPU_BINARY_POINT: u64 = 0x008;
const CPU_ACKNOWLEDGE: u64 = 0x00c;
const CPU_END_OF_INTERRUPT: u64 = 0x010;

const REDISTRIBUTOR_TYPE: u64 = 0x008;
const REDISTRIBUTOR_WAKE: u64 = 0x014;
const REDISTRIBUTOR_PRIVATE_FRAME: u64 = 0x1_0000;

/// Priority given to every interrupt (lower is more urgent; the mask lets all through).
const DEFAULT_PRIORITY: u8 = 0xa0;
/// INTID values of 1020 and up mean "no interrupt".
const SPURIOUS_LIMIT: u32 = 1020;

/// Compatible strings of GICv2 distributors.
const VERSION_2_COMPATIBLE: &[&str] = &[
    "arm,cortex-a15-gic",
    "arm,gic-400",
    "arm,cortex-a9-gic",
    "arm,cortex-a7-gic",
    "arm,arm11mp-gic",
];
/// Compatible string of GICv3.
const VERSION_3_COMPATIBLE: &[&str] = &["arm,gic-v3"];

static VERSION: AtomicU32 = AtomicU32::new(0);
static DISTRIBUTOR: RegisterBlock = RegisterBlock::unmapped();
/// GICv2: the CPU interface.
static CPU_INTERFACE: RegisterBlock = RegisterBlock::unmapped();
/// GICv3: every redistributor (searched once for this CPU's).
static REDISTRIBUTORS: RegisterBlock = RegisterBlock::unmapped();
/// GICv3: this CPU's redistributor control frame.
static REDISTRIBUTOR: RegisterBlock = RegisterBlock::unmapped();
/// GICv3: this CPU's redistributor frame for private interrupts (laid out like the
/// distributor's first registers).
static PRIVATE_INTERRUPTS: RegisterBlock = RegisterBlock::unmapped();

/// Size of a distributor, redistributor or CPU-interface frame.
const FRAME_SIZE: u64 = 0x1_0000;
static TIMER_INTID: AtomicU32 = AtomicU32::new(u32::MAX);
static CONSOLE_INTID: AtomicU32 = AtomicU32::new(u32::MAX);

/// Maps `size` bytes of GIC registers at `physical` into `block`; returns the virtual
/// address.
fn map(block: &RegisterBlock, physical: u64, size: u64) -> Result<u64, &'static str> {
    let base = kernel_space::map_physical(physical, size, Caching::Device)
        .map_err(|_| "cannot map the GIC")?;
    // SAFETY: `base` is the device mapping just made of `size` bytes of this GIC's
    // registers, named by the device tree; only this driver uses them.
    unsafe { block.map(base, size) };
    Ok(base)
}

fn this_cpu_affinity() -> u64 {
    let affinity = MPIDR_EL1.get();
    (affinity & 0xff_ffff) | ((affinity >> 8) & 0xff_0000_0000)
}

/// Finds and initialises the GIC. Returns its name.
///
/// # Errors
///
/// A message when the device tree has no supported GIC or it cannot be mapped.
pub fn initialize(tree: &DeviceTree<'_>) -> Result<&'static str, &'static str> {
    if let Some(device) = tree.find_compatible(VERSION_3_COMPATIBLE) {
        if device.register_count < 2 {
            return Err("the GICv3 node lacks its redistributor range");
        }
        let (distributor, distributor_size) = device.registers[0];
        let (redistributors, redistributors_size) = device.registers[1];
        map(&DISTRIBUTOR, distributor, distributor_size.max(FRAME_SIZE))?;
        let redistributors_size = redistributors_size.max(2 * FRAME_SIZE);
        let redistributors = map(&REDISTRIBUTORS, redistributors, redistributors_size)?;
        initialize_version_3(redistributors, redistributors_size)?;
        return Ok("GICv3");
    }
    if let Some(device) = tree.find_compatible(VERSION_2_COMPATIBLE) {
        if device.register_count < 2 {
            return Err("the GICv2 node lacks its CPU interface range");
        }
        map(&DISTRIBUTOR, device.registers[0].0, device.registers[0].1.max(0x1000))?;
        map(&CPU_INTERFACE, device.registers[1].0, device.registers[1].1.max(0x2000))?;
        initialize_version_2();
        return Ok("GICv2");
    }
    Err("no supported interrupt controller (GICv2 or GICv3) in the device tree")
}

fn line_count() -> u32 {
    ((DISTRIBUTOR.read32(DISTRIBUTOR_TYPE) & 0x1f) + 1) * 32
}

fn initialize_version_2() {
    VERSION.store(2, Ordering::Relaxed);
    DISTRIBUTOR.write32(DISTRIBUTOR_CONTROL, 0);
    let lines = line_count();
    for word in 0..lines / 32 {
        DISTRIBUTOR.write32(DISTRIBUTOR_CLEAR_ENABLE + 4 * u64::from(word), u32::MAX);
    }
    for intid in 0..lines {
        DISTRIBUTOR.write8(DISTRIBUTOR_PRIORITY + u64::from(intid), DEFAULT_PRIORITY);
        if intid >= 32 {
            DISTRIBUTOR.write8(DISTRIBUTOR_TARGETS + u64::from(intid), 0x01);
        }
    }
    DISTRIBUTOR.write32(DISTRIBUTOR_CONTROL, 1);
    CPU_INTERFACE.write32(CPU_PRIORITY_MASK, 0xf0);
    CPU_INTERFACE.write32(CPU_BINARY_POINT, 0);
    CPU_INTERFACE.write32(CPU_CONTROL, 1);
}

fn wait_for_distributor() {
    // GICD_CTLR.RWP: a register write is still being applied.
    while DISTRIBUTOR.read32(DISTRIBUTOR_CONTROL) & (1 << 31) != 0 {
        core::hint::spin_loop();
    }
}

/// Sets up the distributor and this CPU's redistributor; `redistributors` is the virtual
/// address of the `size`-byte redistributor region.
fn initialize_version_3(redistributors: u64, size: u64) -> Result<(), &'static str> {
    VERSION.store(3, Ordering::Relaxed);
    // Affinity routing on, both groups off while configuring.
    DISTRIBUTOR.write32(DISTRIBUTOR_CONTROL, 1 << 4);
    wait_for_distributor();
    let lines = line_count();
    for word in 1..lines / 32 {
        DISTRIBUTOR.write32(DISTRIBUTOR_CLEAR_ENABLE + 4 * u64::from(word), u32::MAX);
        DISTRIBUTOR.write32(DISTRIBUTOR_GROUP + 4 * u64::from(word), u32::MAX);
    }
    for intid in 32..lines {
        DISTRIBUTOR.write8(DISTRIBUTOR_PRIORITY + u64::from(intid), DEFAULT_PRIORITY);
    }
    DISTRIBUTOR.write32(DISTRIBUTOR_CONTROL, (1 << 4) | (1 << 1));
    wait_for_distributor();

    // This CPU's redistributor: walk the frames until the affinity matches.
    let affinity = this_cpu_affinity();
    let mut offset = 0;
    let mut found = None;
    while offset + 2 * FRAME_SIZE <= size {
        let kind = REDISTRIBUTORS.read64(offset + REDISTRIBUTOR_TYPE);
        if kind >> 32 == affinity {
            found = Some(offset);
            break;
        }
        if kind & (1 << 4) != 0 {
            break;
        }
        // Two 64 KiB frames per redistributor, four with virtual LPIs.
        offset += if kind & (1 << 1) != 0 { 4 * FRAME_SIZE } else { 2 * FRAME_SIZE };
    }
    let offset = found.ok_or("no GICv3 redistributor for this CPU")?;
    let frame = redistributors + offset;
    // SAFETY: both frames lie inside the redistributor region mapped into REDISTRIBUTORS
    // (the loop keeps `offset + 2 * FRAME_SIZE` inside it).
    unsafe {
        REDISTRIBUTOR.map(frame, FRAME_SIZE);
        PRIVATE_INTERRUPTS.map(frame + REDISTRIBUTOR_PRIVATE_FRAME, FRAME_SIZE);
    }
    let waker = REDISTRIBUTOR.read32(REDISTRIBUTOR_WAKE);
    REDISTRIBUTOR.write32(REDISTRIBUTOR_WAKE, waker & !(1 << 1));
    while REDISTRIBUTOR.read32(REDISTRIBUTOR_WAKE) & (1 << 2) != 0 {
        core::hint::spin_loop();
    }
    PRIVATE_INTERRUPTS.write32(DISTRIBUTOR_CLEAR_ENABLE, u32::MAX);
    PRIVATE_INTERRUPTS.write32(DISTRIBUTOR_GROUP, u32::MAX);
    for intid in 0..32 {
        PRIVATE_INTERRUPTS.write8(DISTRIBUTOR_PRIORITY + intid, DEFAULT_PRIORITY);
    }
    // SAFETY: the system-register CPU interface: enable it (SRE), let every priority
    // through, one group-priority level, EOI also deactivates, group 1 on. These affect
    // only interrupt delivery to this CPU, which is masked in PSTATE.
    unsafe {
        asm!(
            "mrs {value}, S3_0_C12_C12_5",
            "orr {value}, {value}, #1",
            "msr S3_0_C12_C12_5, {value}",
            "isb",
            "mov {value}, #0xf0",
            "msr S3_0_C4_C6_0, {value}",
            "msr S3_0_C12_C12_3, xzr",
            "msr S3_0_C12_C12_4, xzr",
            "mov {value}, #1",
            "msr S3_0_C12_C12_7, {value}",
            "isb",
            value = out(reg) _,
            options(nostack),
        );
    }
    Ok(())
}

/// Enables interrupt `intid`, edge- or level-triggered, routed to this CPU.
pub fn enable(intid: u32, edge_triggered: bool) {
    let version = VERSION.load(Ordering::Relaxed);
    // GICv3 keeps private interrupts (below 32) in the redistributor.
    let registers = if version == 3 && intid < 32 { &PRIVATE_INTERRUPTS } else { &DISTRIBUTOR };
    if intid >= 16 {
        let register = DISTRIBUTOR_CONFIGURATION + 4 * u64::from(intid / 16);
        let shift = (intid % 16) * 2 + 1;
        let value = registers.read32(register);
        let value = if edge_triggered { value | (1 << shift) } else { value & !(1 << shift) };
        registers.write32(register, value);
    }
    if version == 3 && intid >= 32 {
        DISTRIBUTOR.write64(DISTRIBUTOR_ROUTE + 8 * u64::from(intid), this_cpu_affinity());
    }
    registers.write32(DISTRIBUTOR_SET_ENABLE + 4 * u64::from(intid / 32), 1 << (intid % 32));
    if version == 3 && intid >= 32 {
        wait_for_distributor();
    }
}

/// The timer's INTID (recorded by [`set_known_interrupts`]).
pub fn timer_intid() -> u32 {
    TIMER_INTID.load(Ordering::Relaxed)
}

/// Records which INTIDs are the timer and the console.
pub fn set_known_interrupts(timer: u32, console: Option<u32>) {
    TIMER_INTID.store(timer, Ordering::Relaxed);
    if let Some(console) = console {
        CONSOLE_INTID.store(console, Ordering::Relaxed);
    }
}

/// Acknowledges the highest-priority pending interrupt, signals its end and says what it
/// was. The timer is re-armed here, before the end of interrupt, so its level drops.
pub fn acknowledge() -> Option<Interrupt> {
    let version = VERSION.load(Ordering::Relaxed);
    let intid = if version == 3 {
        let value: u64;
        // SAFETY: reading ICC_IAR1_EL1 acknowledges the interrupt; nothing else changes.
        unsafe {
            asm!("mrs {value}, S3_0_C12_C12_0", value = out(reg) value, options(nomem, nostack));
        };
        (value & 0xff_ffff) as u32
    } else {
        CPU_INTERFACE.read32(CPU_ACKNOWLEDGE) & 0x3ff
    };
    if intid >= SPURIOUS_LIMIT {
        return None;
    }
    let interrupt = if intid == TIMER_INTID.load(Ordering::Relaxed) {
        super::timer::rearm();
        Interrupt::Timer
    } else if intid == CONSOLE_INTID.load(Ordering::Relaxed) {
        Interrupt::ConsoleInput
    } else {
        Interrupt::Other(intid)
    };
    if version == 3 {
        // SAFETY: writing ICC_EOIR1_EL1 with the acknowledged INTID ends that interrupt.
        unsafe {
            asm!("msr S3_0_C12_C12_1, {value}", "isb", value = in(reg) u64::from(intid), options(nostack));
        };
    } else {
        CPU_INTERFACE.write32(CPU_END_OF_INTERRUPT, intid);
    }
    Some(interrupt)
}
