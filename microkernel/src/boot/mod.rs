//! Boot protocols: each loader's hand-off is turned into one [`BootInfo`].
//!
//! Courier boots three ways: QEMU direct boot on x86_64 (the PVH ELF note, [`pvh`]),
//! QEMU direct boot on aarch64 (a device tree from QEMU, [`device_tree`]), and the Limine
//! protocol on both (`limine`, for UEFI machines). The architecture's entry code calls the
//! parser for the protocol that started it; everything after that sees only [`BootInfo`],
//! so nothing past this module knows which loader ran.
//!
//! The parsers read loader structures through [`PhysicalMemoryReader`], so the same code
//! runs in the kernel (over the loader's direct map) and in host tests (over a byte array).

pub mod command_line;
pub mod device_tree;
#[cfg(target_os = "none")]
pub mod limine;
pub mod pvh;

use core::fmt;

pub use command_line::CommandLine;

/// Most memory map entries kept; further entries are dropped with a warning.
pub const MAX_MEMORY_REGIONS: usize = 128;

/// Most reserved ranges kept (see [`BootInfo::reserved_ranges`]).
pub const MAX_RESERVED_RANGES: usize = 32;

/// Longest kernel command line kept, in bytes.
pub const MAX_COMMAND_LINE: usize = 512;

/// Which loader started the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootLoader {
    /// QEMU `-kernel` on x86_64, entered through the PVH ELF note.
    QemuPvh,
    /// QEMU `-kernel` on aarch64, entered at the ELF entry with a device tree.
    QemuDeviceTree,
    /// A Limine-protocol bootloader (its name and version are in
    /// [`BootInfo::loader_version`]).
    Limine,
}

impl fmt::Display for BootLoader {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootLoader::QemuPvh => formatter.write_str("QEMU direct boot (PVH)"),
            BootLoader::QemuDeviceTree => formatter.write_str("QEMU direct boot (device tree)"),
            BootLoader::Limine => formatter.write_str("Limine protocol"),
        }
    }
}

/// What a range of physical memory holds, as the loader described it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// Free RAM.
    Usable,
    /// RAM the loader used for its own structures; free once the kernel is done with them.
    BootloaderReclaimable,
    /// The kernel image and boot modules.
    KernelAndModules,
    /// RAM holding ACPI tables, reclaimable after they are parsed.
    AcpiReclaimable,
    /// ACPI non-volatile storage: never usable.
    AcpiNonVolatile,
    /// Memory reported bad.
    Bad,
    /// A framebuffer.
    Framebuffer,
    /// Anything else the firmware reserved.
    Reserved,
}

impl MemoryKind {
    /// Whether this is RAM (mapped cacheable in the kernel's direct map).
    pub const fn is_ram(self) -> bool {
        matches!(
            self,
            MemoryKind::Usable
                | MemoryKind::BootloaderReclaimable
                | MemoryKind::KernelAndModules
                | MemoryKind::AcpiReclaimable
                | MemoryKind::AcpiNonVolatile
        )
    }
}

/// One physical memory range `[start, start + length)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First byte.
    pub start: u64,
    /// Length in bytes.
    pub length: u64,
    /// What the range holds.
    pub kind: MemoryKind,
}

impl MemoryRegion {
    /// One past the last byte (saturating).
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }
}

/// A physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysicalRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// Where the kernel image sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelImage {
    /// Physical address of the first byte of the image.
    pub physical_base: u64,
    /// Virtual address the image is linked at.
    pub virtual_base: u64,
    /// Size of the image in memory (including zero-initialised data), in bytes.
    pub size: u64,
}

impl KernelImage {
    /// The physical address of a kernel-image virtual address.
    pub const fn physical_address_of(&self, virtual_address: u64) -> u64 {
        virtual_address - self.virtual_base + self.physical_base
    }
}

/// Firmware description tables the loader pointed at (physical addresses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FirmwareTables {
    /// The ACPI RSDP.
    pub acpi_rsdp: Option<u64>,
    /// The flattened device tree blob.
    pub device_tree: Option<u64>,
}

/// Everything the kernel learns from the loader.
#[derive(Clone, Debug)]
pub struct BootInfo {
    /// Which loader ran.
    pub loader: BootLoader,
    /// The loader's name and version as it reported them (copied: the loader's memory is
    /// reused once the kernel runs on its own page tables).
    pub loader_version: heapless::String<64>,
    /// The physical memory map, sorted by start address.
    pub memory_map: heapless::Vec<MemoryRegion, MAX_MEMORY_REGIONS>,
    /// Memory map entries that did not fit in `memory_map`.
    pub memory_regions_dropped: usize,
    /// Physical ranges inside RAM that hold boot data the kernel keeps using (the device
    /// tree, firmware reservations): never handed out by the frame allocator.
    pub reserved_ranges: heapless::Vec<PhysicalRange, MAX_RESERVED_RANGES>,
    /// The loader's direct map: physical address `p` is readable at `p + direct_map_offset`
    /// until the kernel switches to its own page tables.
    pub direct_map_offset: u64,
    /// The kernel image.
    pub kernel: KernelImage,
    /// The kernel command line.
    pub command_line: heapless::String<MAX_COMMAND_LINE>,
    /// Whether the command line was longer than [`MAX_COMMAND_LINE`] and was cut.
    pub command_line_truncated: bool,
    /// ACPI and device tree pointers.
    pub firmware: FirmwareTables,
    /// Number of processors the loader reported, if it did.
    pub processor_count: Option<u32>,
    /// The architecture's counter (TSC, CNTVCT) when the kernel's first Rust code ran, to
    /// tell firmware and loader time from kernel time.
    pub entry_counter: u64,
}

impl BootInfo {
    /// An empty description for `loader`; parsers fill it in.
    pub fn new(loader: BootLoader, direct_map_offset: u64, kernel: KernelImage) -> Self {
        BootInfo {
            loader,
            loader_version: heapless::String::new(),
            memory_map: heapless::Vec::new(),
            memory_regions_dropped: 0,
            reserved_ranges: heapless::Vec::new(),
            direct_map_offset,
            kernel,
            command_line: heapless::String::new(),
            command_line_truncated: false,
            firmware: FirmwareTables::default(),
            processor_count: None,
            entry_counter: 0,
        }
    }

    /// Adds a memory region, keeping the map sorted by start address. Empty regions are
    /// ignored; regions past [`MAX_MEMORY_REGIONS`] are counted in
    /// `memory_regions_dropped`.
    pub fn add_memory_region(&mut self, region: MemoryRegion) {
        if region.length == 0 {
            return;
        }
        let position = self
            .memory_map
            .iter()
            .position(|existing| existing.start > region.start)
            .unwrap_or(self.memory_map.len());
        if self.memory_map.insert(position, region).is_err() {
            self.memory_regions_dropped += 1;
        }
    }

    /// Stores the command line, cutting it at [`MAX_COMMAND_LINE`] bytes on a character
    /// boundary and replacing invalid UTF-8.
    pub fn set_command_line(&mut self, bytes: &[u8]) {
        self.command_line.clear();
        self.command_line_truncated = false;
        for chunk in bytes.utf8_chunks() {
            for character in chunk.valid().chars() {
                if self.command_line.push(character).is_err() {
                    self.command_line_truncated = true;
                    return;
                }
            }
            if !chunk.invalid().is_empty()
                && self.command_line.push(char::REPLACEMENT_CHARACTER).is_err()
            {
                self.command_line_truncated = true;
                return;
            }
        }
    }

    /// Records a physical range the frame allocator must not hand out. Returns `false`
    /// when the list is full (the caller reports it: using the range would be unsafe).
    pub fn reserve(&mut self, start: u64, length: u64) -> bool {
        if length == 0 {
            return true;
        }
        let range = PhysicalRange { start, end: start.saturating_add(length) };
        self.reserved_ranges.push(range).is_ok()
    }

    /// Total RAM in the memory map, in bytes.
    pub fn total_ram(&self) -> u64 {
        self.memory_map
            .iter()
            .filter(|region| region.kind.is_ram())
            .map(|region| region.length)
            .sum()
    }

    /// Total usable (free at boot) RAM, in bytes.
    pub fn usable_ram(&self) -> u64 {
        self.memory_map
            .iter()
            .filter(|region| region.kind == MemoryKind::Usable)
            .map(|region| region.length)
            .sum()
    }
}

/// Reads loader structures from physical memory.
pub trait PhysicalMemoryReader {
    /// Copies `buffer.len()` bytes starting at physical address `address` into `buffer`.
    /// Returns `false` if the range cannot be read.
    fn read(&self, address: u64, buffer: &mut [u8]) -> bool;

    /// Reads a little-endian `u32` at `address`.
    fn read_u32(&self, address: u64) -> Option<u32> {
        let mut bytes = [0; 4];
        self.read(address, &mut bytes).then(|| u32::from_le_bytes(bytes))
    }

    /// Reads a little-endian `u64` at `address`.
    fn read_u64(&self, address: u64) -> Option<u64> {
        let mut bytes = [0; 8];
        self.read(address, &mut bytes).then(|| u64::from_le_bytes(bytes))
    }

    /// Reads a NUL-terminated string of at most `limit` bytes at `address` into `buffer`
    /// and returns the bytes before the NUL (or all `limit` bytes if none was found).
    fn read_c_string<'buffer>(&self, address: u64, buffer: &'buffer mut [u8]) -> &'buffer [u8] {
        let mut length = 0;
        while length < buffer.len() {
            let mut byte = [0];
            if !self.read(address + length as u64, &mut byte) || byte[0] == 0 {
                break;
            }
            buffer[length] = byte[0];
            length += 1;
        }
        &buffer[..length]
    }
}

/// A boot protocol's structures could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// A structure had the wrong magic number.
    BadMagic {
        /// What was being read.
        structure: &'static str,
        /// The value found.
        found: u64,
    },
    /// A structure could not be read from memory.
    Unreadable(&'static str),
    /// The loader gave no memory map.
    NoMemoryMap,
    /// A required Limine response is missing.
    MissingResponse(&'static str),
    /// The Limine bootloader does not support the base revision the kernel needs.
    UnsupportedRevision {
        /// The revision Courier asks for.
        requested: u64,
        /// The revision the bootloader says it used, if it said.
        loaded: Option<u64>,
    },
    /// The device tree could not be parsed.
    BadDeviceTree,
}

impl fmt::Display for BootError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::BadMagic { structure, found } => {
                write!(formatter, "{structure} has a bad magic number {found:#x}")
            }
            BootError::Unreadable(structure) => write!(formatter, "cannot read the {structure}"),
            BootError::NoMemoryMap => formatter.write_str("the loader gave no memory map"),
            BootError::MissingResponse(request) => {
                write!(formatter, "the bootloader did not answer the {request} request")
            }
            BootError::UnsupportedRevision { requested, loaded: Some(loaded) } => write!(
                formatter,
                "the bootloader does not support Limine base revision {requested} \
                 (it loaded the kernel with revision {loaded}); use Limine 8.x or newer"
            ),
            BootError::UnsupportedRevision { requested, loaded: None } => write!(
                formatter,
                "the bootloader does not support Limine base revision {requested}; \
                 use Limine 8.x or newer"
            ),
            BootError::BadDeviceTree => formatter.write_str("the device tree is not valid"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A physical memory made of byte ranges, for parser tests.
    pub(crate) struct FakeMemory {
        pub(crate) chunks: Vec<(u64, Vec<u8>)>,
    }

    impl PhysicalMemoryReader for FakeMemory {
        fn read(&self, address: u64, buffer: &mut [u8]) -> bool {
            for (start, bytes) in &self.chunks {
                let end = start + bytes.len() as u64;
                if address >= *start && address + buffer.len() as u64 <= end {
                    let offset = (address - start) as usize;
                    buffer.copy_from_slice(&bytes[offset..offset + buffer.len()]);
                    return true;
                }
            }
            false
        }
    }

    fn sample_kernel() -> KernelImage {
        KernelImage {
            physical_base: 0x20_0000,
            virtual_base: 0xffff_ffff_8020_0000,
            size: 0x10_0000,
        }
    }

    #[test]
    fn memory_map_stays_sorted_and_counts_overflow() {
        let mut info = BootInfo::new(BootLoader::QemuPvh, 0, sample_kernel());
        for start in (0..(MAX_MEMORY_REGIONS as u64 + 3)).rev() {
            info.add_memory_region(MemoryRegion {
                start: start * 0x1000,
                length: 0x1000,
                kind: MemoryKind::Usable,
            });
        }
        assert_eq!(info.memory_map.len(), MAX_MEMORY_REGIONS);
        assert_eq!(info.memory_regions_dropped, 3);
        assert!(info.memory_map.windows(2).all(|pair| pair[0].start < pair[1].start));
    }

    #[test]
    fn empty_regions_are_ignored() {
        let mut info = BootInfo::new(BootLoader::QemuPvh, 0, sample_kernel());
        info.add_memory_region(MemoryRegion { start: 0, length: 0, kind: MemoryKind::Usable });
        assert!(info.memory_map.is_empty());
    }

    #[test]
    fn command_line_is_cut_on_a_character_boundary() {
        let mut info = BootInfo::new(BootLoader::QemuPvh, 0, sample_kernel());
        let long = "é".repeat(MAX_COMMAND_LINE);
        info.set_command_line(long.as_bytes());
        assert!(info.command_line_truncated);
        assert_eq!(info.command_line.len(), MAX_COMMAND_LINE);
        info.set_command_line(b"a\xffb");
        assert_eq!(info.command_line.as_str(), "a\u{fffd}b");
        assert!(!info.command_line_truncated);
    }

    #[test]
    fn c_strings_stop_at_nul_or_limit() {
        let memory = FakeMemory { chunks: vec![(0x1000, b"abc\0def".to_vec())] };
        let mut buffer = [0; 16];
        assert_eq!(memory.read_c_string(0x1000, &mut buffer), b"abc");
        let mut small = [0; 2];
        assert_eq!(memory.read_c_string(0x1000, &mut small), b"ab");
        assert_eq!(memory.read_c_string(0x9000, &mut buffer), b"");
    }
}
