//! The PVH boot protocol (QEMU `-kernel` on x86_64): reading `hvm_start_info`.
//!
//! QEMU finds the kernel's 32-bit entry point in the `XEN_ELFNOTE_PHYS32_ENTRY` ELF note
//! and enters it in 32-bit protected mode with paging off and `ebx` holding the physical
//! address of an `hvm_start_info` structure (Xen's `arch-x86/hvm/start_info.h`):
//!
//! ```text
//! offset  size  field
//!      0     4  magic            0x336ec578
//!      4     4  version          1 or more for the memory map fields
//!      8     4  flags
//!     12     4  nr_modules
//!     16     8  modlist_paddr
//!     24     8  cmdline_paddr    NUL-terminated
//!     32     8  rsdp_paddr
//!     40     8  memmap_paddr     array of {addr u64, size u64, type u32, reserved u32}
//!     48     4  memmap_entries
//! ```
//!
//! Memory map types follow E820: 1 RAM, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS,
//! 5 unusable.

use super::{BootError, BootInfo, BootLoader, KernelImage, MemoryKind, MemoryRegion};
use super::{MAX_COMMAND_LINE, PhysicalMemoryReader};

/// `hvm_start_info.magic`.
pub const START_INFO_MAGIC: u32 = 0x336e_c578;

/// `XEN_ELFNOTE_PHYS32_ENTRY`: the ELF note type that names the 32-bit entry point.
pub const ELF_NOTE_PHYS32_ENTRY: u32 = 18;

const OFFSET_VERSION: u64 = 4;
const OFFSET_COMMAND_LINE: u64 = 24;
const OFFSET_RSDP: u64 = 32;
const OFFSET_MEMORY_MAP: u64 = 40;
const OFFSET_MEMORY_MAP_ENTRIES: u64 = 48;
const MEMORY_MAP_ENTRY_SIZE: u64 = 24;

/// Most memory map entries read; a larger count is treated as corrupt.
const MAX_ENTRIES: u32 = 1024;

fn kind_of_e820(kind: u32) -> MemoryKind {
    match kind {
        1 => MemoryKind::Usable,
        3 => MemoryKind::AcpiReclaimable,
        4 => MemoryKind::AcpiNonVolatile,
        5 => MemoryKind::Bad,
        _ => MemoryKind::Reserved,
    }
}

/// Builds the [`BootInfo`] from the `hvm_start_info` at physical address `start_info`.
///
/// # Errors
///
/// [`BootError::BadMagic`] for a wrong magic number, [`BootError::Unreadable`] when a
/// structure cannot be read, [`BootError::NoMemoryMap`] for a version 0 structure or an
/// empty or absurdly long memory map.
pub fn collect(
    memory: &impl PhysicalMemoryReader,
    start_info: u64,
    direct_map_offset: u64,
    kernel: KernelImage,
) -> Result<BootInfo, BootError> {
    let magic = memory.read_u32(start_info).ok_or(BootError::Unreadable("PVH start info"))?;
    if magic != START_INFO_MAGIC {
        return Err(BootError::BadMagic { structure: "PVH start info", found: magic.into() });
    }
    let version = memory
        .read_u32(start_info + OFFSET_VERSION)
        .ok_or(BootError::Unreadable("PVH start info"))?;
    let mut info = BootInfo::new(BootLoader::QemuPvh, direct_map_offset, kernel);

    let command_line = memory
        .read_u64(start_info + OFFSET_COMMAND_LINE)
        .ok_or(BootError::Unreadable("PVH start info"))?;
    if command_line != 0 {
        let mut buffer = [0u8; MAX_COMMAND_LINE + 1];
        let bytes = memory.read_c_string(command_line, &mut buffer);
        info.set_command_line(bytes);
    }

    let rsdp =
        memory.read_u64(start_info + OFFSET_RSDP).ok_or(BootError::Unreadable("PVH start info"))?;
    info.firmware.acpi_rsdp = (rsdp != 0).then_some(rsdp);

    if version < 1 {
        return Err(BootError::NoMemoryMap);
    }
    let map = memory
        .read_u64(start_info + OFFSET_MEMORY_MAP)
        .ok_or(BootError::Unreadable("PVH start info"))?;
    let entries = memory
        .read_u32(start_info + OFFSET_MEMORY_MAP_ENTRIES)
        .ok_or(BootError::Unreadable("PVH start info"))?;
    if map == 0 || entries == 0 || entries > MAX_ENTRIES {
        return Err(BootError::NoMemoryMap);
    }
    for index in 0..u64::from(entries) {
        let entry = map + index * MEMORY_MAP_ENTRY_SIZE;
        let start = memory.read_u64(entry).ok_or(BootError::Unreadable("PVH memory map"))?;
        let length = memory.read_u64(entry + 8).ok_or(BootError::Unreadable("PVH memory map"))?;
        let kind = memory.read_u32(entry + 16).ok_or(BootError::Unreadable("PVH memory map"))?;
        info.add_memory_region(MemoryRegion { start, length, kind: kind_of_e820(kind) });
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boot::tests::FakeMemory;

    fn kernel() -> KernelImage {
        KernelImage {
            physical_base: 0x20_0000,
            virtual_base: 0xffff_ffff_8020_0000,
            size: 0x8_0000,
        }
    }

    fn start_info(version: u32, memory_map: u64, entries: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&START_INFO_MAGIC.to_le_bytes());
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes()); // flags
        bytes.extend_from_slice(&0u32.to_le_bytes()); // modules
        bytes.extend_from_slice(&0u64.to_le_bytes()); // module list
        bytes.extend_from_slice(&0x2000u64.to_le_bytes()); // command line
        bytes.extend_from_slice(&0xf_5000u64.to_le_bytes()); // RSDP
        bytes.extend_from_slice(&memory_map.to_le_bytes());
        bytes.extend_from_slice(&entries.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes
    }

    fn map_entry(start: u64, length: u64, kind: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&start.to_le_bytes());
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(&kind.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes
    }

    #[test]
    fn reads_command_line_rsdp_and_memory_map() {
        let mut map = map_entry(0x10_0000, 0x1ff0_0000, 1);
        map.extend(map_entry(0, 0x9_fc00, 1));
        map.extend(map_entry(0xf_0000, 0x1_0000, 2));
        let memory = FakeMemory {
            chunks: vec![
                (0x1000, start_info(1, 0x3000, 3)),
                (0x2000, b"courier.run=hello loglevel=debug\0".to_vec()),
                (0x3000, map),
            ],
        };
        let info = collect(&memory, 0x1000, 0xffff_8000_0000_0000, kernel()).unwrap();
        assert_eq!(info.loader, BootLoader::QemuPvh);
        assert_eq!(info.command_line.as_str(), "courier.run=hello loglevel=debug");
        assert_eq!(info.firmware.acpi_rsdp, Some(0xf_5000));
        assert_eq!(info.memory_map.len(), 3);
        assert_eq!(info.memory_map[0].start, 0);
        assert_eq!(info.memory_map[2].kind, MemoryKind::Usable);
        assert_eq!(info.memory_map[1].kind, MemoryKind::Reserved);
        assert_eq!(info.usable_ram(), 0x9_fc00 + 0x1ff0_0000);
    }

    #[test]
    fn rejects_bad_magic_old_versions_and_bad_maps() {
        let mut bad = start_info(1, 0x3000, 1);
        bad[0] = 0;
        let memory = FakeMemory { chunks: vec![(0x1000, bad)] };
        assert!(matches!(collect(&memory, 0x1000, 0, kernel()), Err(BootError::BadMagic { .. })));
        let memory = FakeMemory { chunks: vec![(0x1000, start_info(0, 0x3000, 1))] };
        assert_eq!(collect(&memory, 0x1000, 0, kernel()).unwrap_err(), BootError::NoMemoryMap);
        let memory = FakeMemory { chunks: vec![(0x1000, start_info(1, 0x3000, 5000))] };
        assert_eq!(collect(&memory, 0x1000, 0, kernel()).unwrap_err(), BootError::NoMemoryMap);
        let memory = FakeMemory { chunks: vec![(0x1000, start_info(1, 0x3000, 2))] };
        assert_eq!(
            collect(&memory, 0x1000, 0, kernel()).unwrap_err(),
            BootError::Unreadable("PVH memory map")
        );
        let memory = FakeMemory { chunks: vec![] };
        assert_eq!(
            collect(&memory, 0x1000, 0, kernel()).unwrap_err(),
            BootError::Unreadable("PVH start info")
        );
    }
}
