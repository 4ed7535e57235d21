//! The Limine boot protocol, for UEFI machines on both architectures.
//!
//! Courier asks for base revision 2, the highest the Limine 8.x releases implement (see
//! their PROTOCOL.md), and checks the answer: a bootloader that does not support it is
//! refused with a message naming the revision it used. The requests below are placed in
//! the `.requests` section between Limine's start and end markers (the linker scripts keep
//! them), and the bootloader fills in the responses before jumping to `limine_entry`.
//!
//! `EntryPointRequest` names `limine_entry` explicitly: on aarch64 the ELF entry is the
//! physical address QEMU's direct boot needs, which is not what Limine should call.

use limine::BaseRevision;
use limine::memory_map::EntryType;
use limine::request::{
    BootloaderInfoRequest, DeviceTreeBlobRequest, EntryPointRequest, ExecutableAddressRequest,
    ExecutableFileRequest, HhdmRequest, MemoryMapRequest, RequestsEndMarker, RequestsStartMarker,
    RsdpRequest,
};

use super::{BootError, BootInfo, BootLoader, KernelImage, MemoryKind, MemoryRegion};

/// The Limine base revision Courier needs.
pub const BASE_REVISION_NUMBER: u64 = 2;

unsafe extern "C" {
    /// The architecture's Limine entry stub.
    fn limine_entry() -> !;
}

extern "C" fn entry_trampoline() -> ! {
    // SAFETY: `limine_entry` is the architecture's Limine entry stub, which expects to be
    // entered exactly as Limine enters a kernel: it sets up its own stack and never
    // returns. The trampoline exists because the request needs a Rust function pointer.
    unsafe { limine_entry() }
}

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static START_MARKER: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(BASE_REVISION_NUMBER);

#[used]
#[unsafe(link_section = ".requests")]
static ENTRY_POINT: EntryPointRequest = EntryPointRequest::new().with_entry_point(entry_trampoline);

#[used]
#[unsafe(link_section = ".requests")]
static BOOTLOADER_INFO: BootloaderInfoRequest = BootloaderInfoRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static DIRECT_MAP: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_ADDRESS: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_FILE: ExecutableFileRequest = ExecutableFileRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static RSDP: RsdpRequest = RsdpRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static DEVICE_TREE: DeviceTreeBlobRequest = DeviceTreeBlobRequest::new();

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static END_MARKER: RequestsEndMarker = RequestsEndMarker::new();

fn kind_of(entry_type: EntryType) -> MemoryKind {
    match entry_type {
        EntryType::USABLE => MemoryKind::Usable,
        EntryType::BOOTLOADER_RECLAIMABLE => MemoryKind::BootloaderReclaimable,
        EntryType::EXECUTABLE_AND_MODULES => MemoryKind::KernelAndModules,
        EntryType::ACPI_RECLAIMABLE => MemoryKind::AcpiReclaimable,
        EntryType::ACPI_NVS => MemoryKind::AcpiNonVolatile,
        EntryType::BAD_MEMORY => MemoryKind::Bad,
        EntryType::FRAMEBUFFER => MemoryKind::Framebuffer,
        _ => MemoryKind::Reserved,
    }
}

/// Builds the [`BootInfo`] from Limine's responses. `kernel_size` is the size of the
/// kernel image in memory (from the linker script).
///
/// # Errors
///
/// [`BootError::UnsupportedRevision`] when the bootloader does not support base
/// revision 2, [`BootError::MissingResponse`] when a required request went unanswered.
pub fn collect(kernel_size: u64) -> Result<BootInfo, BootError> {
    if !BASE_REVISION.is_supported() {
        return Err(BootError::UnsupportedRevision {
            requested: BASE_REVISION_NUMBER,
            loaded: BASE_REVISION.loaded_revision(),
        });
    }
    let direct_map = DIRECT_MAP.get_response().ok_or(BootError::MissingResponse("HHDM"))?;
    let address = EXECUTABLE_ADDRESS
        .get_response()
        .ok_or(BootError::MissingResponse("executable address"))?;
    let memory_map = MEMORY_MAP.get_response().ok_or(BootError::MissingResponse("memory map"))?;
    let kernel = KernelImage {
        physical_base: address.physical_base(),
        virtual_base: address.virtual_base(),
        size: kernel_size,
    };
    let mut info = BootInfo::new(BootLoader::Limine, direct_map.offset(), kernel);
    if let Some(information) = BOOTLOADER_INFO.get_response() {
        let mut text = heapless::String::<64>::new();
        let _ = core::fmt::Write::write_fmt(
            &mut text,
            format_args!("{} {}", information.name(), information.version()),
        );
        info.loader_version = text;
    }
    for entry in memory_map.entries() {
        info.add_memory_region(MemoryRegion {
            start: entry.base,
            length: entry.length,
            kind: kind_of(entry.entry_type),
        });
    }
    if info.memory_map.is_empty() {
        return Err(BootError::NoMemoryMap);
    }
    if let Some(file) = EXECUTABLE_FILE.get_response() {
        info.set_command_line(file.file().string().to_bytes());
    }
    if let Some(rsdp) = RSDP.get_response() {
        // Base revision 2 gives the RSDP as a direct-map address on most firmware and as a
        // physical one on some; both forms are normalised to physical.
        let address = rsdp.address() as u64;
        let physical = address.checked_sub(direct_map.offset()).unwrap_or(address);
        info.firmware.acpi_rsdp = Some(physical);
    }
    if let Some(tree) = DEVICE_TREE.get_response() {
        let address = tree.dtb_ptr() as u64;
        if address != 0 {
            let physical = address.checked_sub(direct_map.offset()).unwrap_or(address);
            info.firmware.device_tree = Some(physical);
        }
    }
    Ok(info)
}
