//! The flattened device tree: QEMU's aarch64 hand-off, and device discovery on aarch64.
//!
//! On `qemu-system-aarch64 -M virt -kernel <elf>` QEMU copies its device tree blob to the
//! start of RAM (when the kernel leaves room there) and enters the ELF entry point with
//! the MMU off. [`collect`] turns the blob into a [`BootInfo`]: RAM from the `memory`
//! nodes, the command line from `/chosen/bootargs`, the processor count from `/cpus`, and
//! the blob itself plus `/memreserve/` entries and `/reserved-memory` children as
//! reserved ranges. [`DeviceTree`] answers the device queries the aarch64 code makes
//! (UART, interrupt controller, timer interrupts).
//!
//! Parsing uses Google's `dtoolkit` crate, which validates the whole blob when it is
//! opened and is fuzz-tested not to panic afterwards (two other crates, `fdt` and
//! `flat_device_tree`, panicked on corrupted blobs in this module's property test). The
//! header is also checked here first so that a corrupt blob is refused with
//! [`BootError::BadDeviceTree`].

use dtoolkit::fdt::{Fdt, FdtNode};
use dtoolkit::{Node, Property};

use super::{BootError, BootInfo, BootLoader, KernelImage, MemoryKind, MemoryRegion};

/// Magic number at offset 0 of a device tree blob (big-endian).
pub const MAGIC: u32 = 0xd00d_feed;

/// Size of the fixed header of a device tree blob.
const HEADER_SIZE: usize = 40;

/// Largest blob accepted (QEMU's are tens of KiB; 8 MiB leaves room for real boards).
pub const MAX_SIZE: usize = 8 << 20;

/// Most register ranges or interrupt cells kept per device.
const MAX_CELLS: usize = 12;

fn be32(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(offset..offset + 4)?.try_into().ok()?))
}

/// The total size of the blob whose header is `header` (at least its first 8 bytes), or
/// `None` if the magic number is wrong or the size is outside `HEADER_SIZE..=MAX_SIZE`.
pub fn blob_size(header: &[u8]) -> Option<usize> {
    if be32(header, 0)? != MAGIC {
        return None;
    }
    let size = be32(header, 4)? as usize;
    (HEADER_SIZE..=MAX_SIZE).contains(&size).then_some(size)
}

/// A device described by a device tree node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// Register ranges `(physical address, size)`, in `reg` order.
    pub registers: [(u64, u64); 4],
    /// How many entries of `registers` are valid.
    pub register_count: usize,
    /// The raw cells of the `interrupts` property.
    pub interrupt_cells: [u32; MAX_CELLS],
    /// How many entries of `interrupt_cells` are valid.
    pub interrupt_cell_count: usize,
}

impl Device {
    /// The first register range.
    pub fn first_register(&self) -> Option<(u64, u64)> {
        (self.register_count > 0).then_some(self.registers[0])
    }

    /// The interrupt cells that were present.
    pub fn interrupts(&self) -> &[u32] {
        &self.interrupt_cells[..self.interrupt_cell_count]
    }
}

/// A parsed, validated device tree.
pub struct DeviceTree<'blob> {
    tree: Fdt<'blob>,
}

/// Deepest node nesting searched (real trees are a handful of levels deep).
const MAX_DEPTH: usize = 16;

/// The `reg` ranges of `node` as `(address, size)`, skipping ranges that do not fit.
fn registers<'blob>(node: FdtNode<'blob>) -> impl Iterator<Item = (u64, u64)> + 'blob {
    node.reg()
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .filter_map(|range| Some((range.address::<u64>().ok()?, range.size::<u64>().ok()?)))
}

fn is_compatible(node: &FdtNode<'_>, compatibles: &[&str]) -> bool {
    node.compatible().is_some_and(|mut names| names.any(|name| compatibles.contains(&name)))
}

fn string_property<'blob>(node: &FdtNode<'blob>, name: &str) -> Option<&'blob str> {
    node.property(name)?.value_as::<&'blob str>().ok()
}

/// Calls `visit` on `node` and every node below it (depth first), stopping at the first
/// `Some`.
fn search<'blob, T>(
    node: FdtNode<'blob>,
    depth: usize,
    visit: &mut impl FnMut(FdtNode<'blob>) -> Option<T>,
) -> Option<T> {
    if let Some(found) = visit(node) {
        return Some(found);
    }
    if depth >= MAX_DEPTH {
        return None;
    }
    node.children().find_map(|child| search(child, depth + 1, visit))
}

impl<'blob> DeviceTree<'blob> {
    /// Checks the header of `blob` and parses it.
    ///
    /// # Errors
    ///
    /// [`BootError::BadDeviceTree`] when the magic number is wrong, the blob is shorter
    /// than its header says, or its structure is invalid.
    pub fn parse(blob: &'blob [u8]) -> Result<Self, BootError> {
        let size = blob_size(blob).ok_or(BootError::BadDeviceTree)?;
        let blob = blob.get(..size).ok_or(BootError::BadDeviceTree)?;
        let tree = Fdt::new(blob).map_err(|_| BootError::BadDeviceTree)?;
        Ok(DeviceTree { tree })
    }

    /// RAM ranges from every node whose `device_type` is `"memory"`.
    pub fn memory_regions(&self, mut accept: impl FnMut(u64, u64)) {
        let _ = search(self.tree.root(), 0, &mut |node| {
            if string_property(&node, "device_type") == Some("memory") {
                registers(node).for_each(|(start, length)| accept(start, length));
            }
            None::<()>
        });
    }

    /// Ranges the firmware reserved: `/memreserve/` entries and the `reg` of every child of
    /// `/reserved-memory`.
    pub fn reserved_regions(&self, mut accept: impl FnMut(u64, u64)) {
        for reservation in self.tree.memory_reservations() {
            accept(reservation.address(), reservation.size());
        }
        if let Some(node) = self.tree.find_node("/reserved-memory") {
            for child in node.children() {
                registers(child).for_each(|(start, length)| accept(start, length));
            }
        }
    }

    /// `/chosen/bootargs`.
    pub fn boot_arguments(&self) -> Option<&'blob str> {
        string_property(&self.tree.find_node("/chosen")?, "bootargs")
    }

    /// Number of `cpu` nodes under `/cpus`.
    pub fn processor_count(&self) -> usize {
        self.tree.find_node("/cpus").map_or(0, |cpus| {
            cpus.children()
                .filter(|child| {
                    child.name_without_address() == "cpu"
                        || string_property(child, "device_type") == Some("cpu")
                })
                .count()
        })
    }

    fn device_from(node: FdtNode<'blob>) -> Device {
        let mut device = Device {
            registers: [(0, 0); 4],
            register_count: 0,
            interrupt_cells: [0; MAX_CELLS],
            interrupt_cell_count: 0,
        };
        for range in registers(node).take(device.registers.len()) {
            device.registers[device.register_count] = range;
            device.register_count += 1;
        }
        if let Some(property) = node.property("interrupts") {
            let (cells, _) = property.value().as_chunks::<4>();
            for cell in cells.iter().take(MAX_CELLS) {
                device.interrupt_cells[device.interrupt_cell_count] = u32::from_be_bytes(*cell);
                device.interrupt_cell_count += 1;
            }
        }
        device
    }

    /// The first node compatible with one of `compatibles`.
    pub fn find_compatible(&self, compatibles: &[&str]) -> Option<Device> {
        search(self.tree.root(), 0, &mut |node| {
            is_compatible(&node, compatibles).then(|| Self::device_from(node))
        })
    }

    /// The device `/chosen/stdout-path` names (a path or an alias, optionally followed by
    /// `:options`), if it is compatible with one of `compatibles`.
    pub fn standard_output(&self, compatibles: &[&str]) -> Option<Device> {
        let chosen = self.tree.find_node("/chosen")?;
        let path = string_property(&chosen, "stdout-path")?;
        let path = path.split(':').next()?;
        let path = if path.starts_with('/') {
            path
        } else {
            string_property(&self.tree.find_node("/aliases")?, path)?
        };
        let node = self.tree.find_node(path)?;
        is_compatible(&node, compatibles).then(|| Self::device_from(node))
    }

    /// The `method` property of the node compatible with `arm,psci*` (`"hvc"` or `"smc"`).
    pub fn psci_method(&self) -> Option<&'blob str> {
        search(self.tree.root(), 0, &mut |node| {
            if is_compatible(&node, &["arm,psci-1.0", "arm,psci-0.2", "arm,psci"]) {
                string_property(&node, "method")
            } else {
                None
            }
        })
    }
}

/// Builds the [`BootInfo`] for QEMU's aarch64 direct boot from the blob at physical address
/// `physical_address`.
///
/// # Errors
///
/// [`BootError::BadDeviceTree`] for a malformed blob, [`BootError::NoMemoryMap`] when no
/// memory node describes any RAM.
pub fn collect(
    blob: &[u8],
    physical_address: u64,
    direct_map_offset: u64,
    kernel: KernelImage,
) -> Result<BootInfo, BootError> {
    let tree = DeviceTree::parse(blob)?;
    let mut info = BootInfo::new(BootLoader::QemuDeviceTree, direct_map_offset, kernel);
    tree.memory_regions(|start, length| {
        info.add_memory_region(MemoryRegion { start, length, kind: MemoryKind::Usable });
    });
    if info.memory_map.is_empty() {
        return Err(BootError::NoMemoryMap);
    }
    let blob_length = blob_size(blob).unwrap_or(blob.len()) as u64;
    let mut reserved_all = info.reserve(physical_address, blob_length);
    tree.reserved_regions(|start, length| reserved_all &= info.reserve(start, length));
    if !reserved_all {
        // Better to stop than to hand out memory the firmware still uses.
        return Err(BootError::BadDeviceTree);
    }
    if let Some(arguments) = tree.boot_arguments() {
        info.set_command_line(arguments.as_bytes());
    }
    info.firmware.device_tree = Some(physical_address);
    let processors = tree.processor_count();
    info.processor_count = (processors > 0).then(|| u32::try_from(processors).unwrap_or(u32::MAX));
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// QEMU 10.0 `-M virt,gic-version=3 -cpu cortex-a72 -smp 2 -m 512M` with
    /// `bootargs = "courier.run=hello loglevel=debug"`, repacked with dtc.
    const VIRT_GICV3: &[u8] = include_bytes!("../../test-data/qemu-virt-gicv3.dtb");
    /// QEMU 10.0 `-M virt -cpu cortex-a53 -m 256M` (GICv2, no bootargs), repacked with dtc.
    const VIRT_GICV2: &[u8] = include_bytes!("../../test-data/qemu-virt-gicv2.dtb");

    fn kernel() -> KernelImage {
        KernelImage {
            physical_base: 0x4020_0000,
            virtual_base: 0xffff_ffff_8020_0000,
            size: 0x10_0000,
        }
    }

    #[test]
    fn reads_qemu_virt_memory_command_line_and_processors() {
        let info = collect(VIRT_GICV3, 0x4000_0000, 0, kernel()).unwrap();
        assert_eq!(info.loader, BootLoader::QemuDeviceTree);
        assert_eq!(info.memory_map.len(), 1);
        assert_eq!(info.memory_map[0].start, 0x4000_0000);
        assert_eq!(info.memory_map[0].length, 512 << 20);
        assert_eq!(info.command_line.as_str(), "courier.run=hello loglevel=debug");
        assert_eq!(info.processor_count, Some(2));
        assert_eq!(info.firmware.device_tree, Some(0x4000_0000));
        assert_eq!(info.reserved_ranges[0].start, 0x4000_0000);
        assert_eq!(info.reserved_ranges[0].end, 0x4000_0000 + VIRT_GICV3.len() as u64);
    }

    #[test]
    fn finds_uart_interrupt_controller_timer_and_psci() {
        let tree = DeviceTree::parse(VIRT_GICV3).unwrap();
        let uart = tree.standard_output(&["arm,pl011"]).unwrap();
        assert_eq!(uart.first_register(), Some((0x0900_0000, 0x1000)));
        let gic = tree.find_compatible(&["arm,gic-v3"]).unwrap();
        assert_eq!(gic.register_count, 2);
        assert_eq!(gic.registers[0], (0x0800_0000, 0x1_0000));
        assert_eq!(gic.registers[1].0, 0x080a_0000);
        let timer = tree.find_compatible(&["arm,armv8-timer"]).unwrap();
        // Secure, non-secure physical, virtual, hypervisor: (type, number, flags) each.
        assert_eq!(timer.interrupts()[6..9], [1, 11, 4]);
        assert_eq!(tree.psci_method(), Some("hvc"));

        let tree = DeviceTree::parse(VIRT_GICV2).unwrap();
        let gic = tree.find_compatible(&["arm,cortex-a15-gic", "arm,gic-400"]).unwrap();
        assert_eq!(gic.registers[0].0, 0x0800_0000);
        assert_eq!(gic.registers[1].0, 0x0801_0000);
        assert!(tree.find_compatible(&["arm,gic-v3"]).is_none());
    }

    #[test]
    fn rejects_bad_magic_and_truncation() {
        assert_eq!(DeviceTree::parse(&[0; 64]).err(), Some(BootError::BadDeviceTree));
        assert_eq!(
            DeviceTree::parse(&VIRT_GICV3[..VIRT_GICV3.len() - 1]).err(),
            Some(BootError::BadDeviceTree)
        );
        assert_eq!(blob_size(&VIRT_GICV3[..8]), Some(VIRT_GICV3.len()));
        assert_eq!(blob_size(&[0xd0, 0x0d, 0xfe, 0xed, 0xff, 0xff, 0xff, 0xff]), None);
    }

    proptest! {
        /// A corrupted blob is refused or parsed, never a panic.
        #[test]
        fn corrupted_blobs_never_panic(
            flips in proptest::collection::vec((0..VIRT_GICV3.len(), any::<u8>()), 1..16)
        ) {
            let mut blob = VIRT_GICV3.to_vec();
            for (offset, value) in flips {
                blob[offset] = value;
            }
            if let Ok(info) = collect(&blob, 0x4000_0000, 0, kernel()) {
                prop_assert!(!info.memory_map.is_empty());
            }
            if let Ok(tree) = DeviceTree::parse(&blob) {
                let _ = tree.standard_output(&["arm,pl011"]);
                let _ = tree.find_compatible(&["arm,gic-v3", "arm,cortex-a15-gic"]);
                let _ = tree.find_compatible(&["arm,armv8-timer"]);
                let _ = tree.psci_method();
            }
        }
    }
}
