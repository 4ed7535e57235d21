//! ACPI on x86_64: the MADT gives the local APIC address, the I/O APICs, the ISA
//! interrupt overrides and the processor count. Parsed with the `acpi` crate.

use core::ptr::NonNull;

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};

use crate::mm::kernel_space;
use crate::mm::page_table::Caching;

/// Maps ACPI tables through the kernel's direct map, mapping them there first if they lie
/// outside RAM (firmware-reserved memory is not in the direct map by default).
#[derive(Clone, Copy, Debug)]
struct DirectMapHandler;

impl AcpiHandler for DirectMapHandler {
    unsafe fn map_physical_region<T>(
        &self,
        physical_address: usize,
        size: usize,
    ) -> PhysicalMapping<Self, T> {
        let virtual_address =
            match kernel_space::map_physical(physical_address as u64, size as u64, Caching::Normal)
            {
                Ok(address) => address,
                Err(error) => panic!("cannot map ACPI table at {physical_address:#x}: {error}"),
            };
        let pointer = NonNull::new(virtual_address as *mut T)
            .unwrap_or_else(|| panic!("ACPI table at a null address"));
        // SAFETY: `pointer` maps `size` bytes at `physical_address` (just ensured), and the
        // mapping is never removed, so it outlives the PhysicalMapping.
        unsafe { PhysicalMapping::new(physical_address, pointer, size, size, DirectMapHandler) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {
        // The direct map is permanent.
    }
}

/// One I/O APIC.
#[derive(Clone, Copy, Debug)]
pub struct IoApic {
    /// Physical address of its registers.
    pub address: u64,
    /// First global system interrupt it handles.
    pub first_line: u32,
}

/// An ISA interrupt that is wired to another line or with other polarity.
#[derive(Clone, Copy, Debug)]
pub struct InterruptOverride {
    /// The ISA IRQ.
    pub isa_line: u8,
    /// The global system interrupt it arrives on.
    pub line: u32,
    /// MPS INTI flags (polarity bits 0..1, trigger bits 2..3).
    pub flags: u16,
}

/// What the MADT says.
#[derive(Clone, Debug, Default)]
pub struct Platform {
    /// Physical address of the local APIC.
    pub local_apic_address: Option<u64>,
    /// The I/O APICs.
    pub io_apics: heapless::Vec<IoApic, 8>,
    /// ISA overrides.
    pub overrides: heapless::Vec<InterruptOverride, 24>,
    /// Enabled processors.
    pub processor_count: u32,
}

/// Reads the MADT from the RSDP at physical `rsdp`.
///
/// # Errors
///
/// A description of what is missing or malformed.
pub fn read_platform(rsdp: u64) -> Result<Platform, &'static str> {
    // SAFETY: `rsdp` came from the boot loader as the RSDP's physical address; the acpi
    // crate validates its signature and checksum before trusting it.
    let tables = unsafe { AcpiTables::from_rsdp(DirectMapHandler, rsdp as usize) }
        .map_err(|_| "the RSDP or its root table is invalid")?;
    let madt = tables.find_table::<Madt>().map_err(|_| "no valid MADT")?;
    let mut platform = Platform {
        local_apic_address: Some(u64::from(madt.get().local_apic_address)),
        ..Platform::default()
    };
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(entry) => {
                let flags = entry.flags;
                // Bit 0: enabled; bit 1: online capable.
                if flags & 0b11 != 0 {
                    platform.processor_count += 1;
                }
            }
            MadtEntry::LocalX2Apic(entry) => {
                let flags = entry.flags;
                if flags & 0b11 != 0 {
                    platform.processor_count += 1;
                }
            }
            MadtEntry::IoApic(entry) => {
                let _ = platform.io_apics.push(IoApic {
                    address: u64::from(entry.io_apic_address),
                    first_line: entry.global_system_interrupt_base,
                });
            }
            MadtEntry::InterruptSourceOverride(entry) => {
                let _ = platform.overrides.push(InterruptOverride {
                    isa_line: entry.irq,
                    line: entry.global_system_interrupt,
                    flags: entry.flags,
                });
            }
            MadtEntry::LocalApicAddressOverride(entry) => {
                platform.local_apic_address = Some(entry.local_apic_address);
            }
            _ => {}
        }
    }
    Ok(platform)
}
