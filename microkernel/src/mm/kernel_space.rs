//! The kernel's own address space, the frame allocator, and mapping physical memory.
//!
//! At boot [`build`] makes the kernel's page tables from a static pool of table frames
//! (no allocator exists yet): the kernel image with per-section rights (code read-execute,
//! read-only data read-only, data and stack read-write, the page below the boot stack left
//! unmapped as a guard), and every RAM region of the memory map at
//! `arch::DIRECT_MAP_BASE + physical` with the largest pages that fit. Then it switches to
//! them. [`initialize_frames`] builds the frame allocator from what is left.
//!
//! Kernel-half tables are shared by every address space: on x86_64 each user root copies
//! the kernel's root entries, so every root entry the kernel will ever use is created here
//! at boot and later mappings only fill tables below them. [`map_physical`] maps firmware
//! tables and device registers into the direct-map window on demand.

use core::fmt;

use crate::arch;
use crate::boot::{BootInfo, MemoryKind};
use crate::mm::frame::{Frame, FrameAllocator};
use crate::mm::page_table::{
    Access, Attributes, Caching, LEVELS, MapError, PageTable, Table, TableMemory, level_size,
};
use crate::mm::{PAGE_SIZE, align_down, align_up};

/// Table frames in the boot pool (enough for fragmented memory maps of a few hundred
/// regions).
const POOL_TABLES: usize = 128;

/// Fewest free frames the kernel needs to run programs (2 MiB: a small program's
/// segments, its 256 KiB stack and page tables, several times over).
pub const MINIMUM_FREE_FRAMES: u64 = 512;

/// Lowest physical address the frame allocator hands out (the first MiB holds firmware
/// data on PCs and is kept for later use by processor start-up code).
const LOWEST_ALLOCATABLE: u64 = 1 << 20;

#[repr(C, align(4096))]
struct TablePool([Table; POOL_TABLES]);

static mut TABLE_POOL: TablePool = TablePool([[0; 512]; POOL_TABLES]);

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_stack_guard: u8;
    static __kernel_stack_bottom: u8;
    static __kernel_end: u8;
}

/// The kernel image's virtual start and size in memory, from the linker script.
pub fn kernel_image_extent() -> (u64, u64) {
    let start = symbol(&raw const __kernel_start);
    let end = symbol(&raw const __kernel_end);
    (start, end - start)
}

/// The kernel's page-table state.
struct KernelSpace {
    /// Physical address of the kernel root table.
    root: u64,
    /// Physical memory is reachable at `physical + access_offset` (the loader's direct map
    /// until the switch, then the kernel's).
    access_offset: u64,
    /// Physical address of the first pool table.
    pool_base: u64,
    /// Pool tables handed out.
    pool_used: usize,
    /// One past the highest physical address the direct map's root entries cover.
    direct_map_reach: u64,
}

static KERNEL_SPACE: spin::Mutex<KernelSpace> = spin::Mutex::new(KernelSpace {
    root: 0,
    access_offset: 0,
    pool_base: 0,
    pool_used: 0,
    direct_map_reach: 0,
});

static FRAMES: spin::Mutex<Option<FrameAllocator<'static>>> = spin::Mutex::new(None);

/// Why the kernel's memory could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryError {
    /// The boot pool of table frames ran out (a very fragmented memory map).
    TablePoolExhausted,
    /// A mapping failed.
    Map(MapError),
    /// No usable RAM is left past the kernel and the boot data.
    NoUsableMemory {
        /// RAM in the memory map.
        ram: u64,
        /// Usable bytes left after the kernel, boot data and the `mem=` limit.
        usable: u64,
    },
    /// The physical range lies outside what the direct map can reach.
    OutOfReach(u64),
    /// The range is already mapped with another memory type.
    ConflictingCaching(u64),
}

impl fmt::Display for MemoryError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryError::TablePoolExhausted => write!(
                formatter,
                "the {POOL_TABLES} boot page tables are not enough for this memory map"
            ),
            MemoryError::Map(error) => write!(formatter, "mapping failed: {error}"),
            MemoryError::NoUsableMemory { ram, usable } => write!(
                formatter,
                "no usable memory region past the kernel: the memory map has {} KiB of RAM, \
                 {} KiB of it usable after the kernel image, boot data and mem= limit; \
                 Courier needs at least {} KiB",
                ram / 1024,
                usable / 1024,
                MINIMUM_FREE_FRAMES * PAGE_SIZE / 1024
            ),
            MemoryError::OutOfReach(address) => {
                write!(formatter, "physical address {address:#x} is beyond the direct map")
            }
            MemoryError::ConflictingCaching(address) => write!(
                formatter,
                "physical page {address:#x} is already mapped with another memory type"
            ),
        }
    }
}

/// Table memory for the kernel's tables: the boot pool, then the frame allocator.
struct KernelTables<'state> {
    state: &'state mut KernelSpace,
}

// SAFETY: tables are reached at `physical + access_offset`, which is a live direct map of
// all RAM (the loader's, then the kernel's); pool tables are zeroed statics used by
// nothing else, and allocator frames are zeroed before use and owned by these tables.
unsafe impl TableMemory for KernelTables<'_> {
    fn table(&mut self, address: u64) -> *mut Table {
        (address + self.state.access_offset) as *mut Table
    }

    fn allocate_table(&mut self) -> Option<u64> {
        if self.state.pool_used < POOL_TABLES {
            let address = self.state.pool_base + (self.state.pool_used as u64) * PAGE_SIZE;
            self.state.pool_used += 1;
            return Some(address);
        }
        let frame = allocate_frame()?;
        let address = frame.into_address();
        let table = self.table(address);
        // SAFETY: the frame is newly allocated (owned by nobody else) and reachable
        // through the direct map at `table`.
        unsafe { table.write_bytes(0, 1) };
        Some(address)
    }

    fn free_table(&mut self, address: u64) {
        let pool_end = self.state.pool_base + POOL_TABLES as u64 * PAGE_SIZE;
        if !(self.state.pool_base..pool_end).contains(&address) {
            // SAFETY: a table frame that is not from the pool came from
            // `allocate_frame().into_address()` above and is no longer referenced.
            free_frame(unsafe { Frame::from_address(address) });
        }
    }
}

fn symbol(address: *const u8) -> u64 {
    address as u64
}

/// Builds the kernel's page tables and switches to them.
///
/// # Errors
///
/// [`MemoryError::TablePoolExhausted`] or [`MemoryError::Map`] when the tables cannot be
/// built; the loader's tables are still active then, so the caller can report it.
pub fn build(boot: &BootInfo) -> Result<(), MemoryError> {
    let mut state = KERNEL_SPACE.lock();
    state.access_offset = boot.direct_map_offset;
    state.pool_base = boot.kernel.physical_address_of((&raw const TABLE_POOL) as u64);
    state.pool_used = 0;
    let mut tables = KernelTables { state: &mut state };
    let root = tables.allocate_table().ok_or(MemoryError::TablePoolExhausted)?;
    let mut table = PageTable::<arch::Paging>::new(root);

    // The kernel image, section by section.
    let kernel = &boot.kernel;
    let sections = [
        (symbol(&raw const __kernel_start), symbol(&raw const __text_end), Access::KERNEL_EXECUTE),
        (symbol(&raw const __rodata_start), symbol(&raw const __rodata_end), Access::KERNEL_READ),
        (
            symbol(&raw const __data_start),
            symbol(&raw const __kernel_stack_guard),
            Access::KERNEL_WRITE,
        ),
        (
            symbol(&raw const __kernel_stack_bottom),
            symbol(&raw const __kernel_end),
            Access::KERNEL_WRITE,
        ),
    ];
    for (start, end, access) in sections {
        let mut page = align_down(start, PAGE_SIZE);
        while page < end {
            let physical = kernel.physical_address_of(page);
            map_or_pool_error(
                &mut table,
                &mut tables,
                page,
                physical,
                Attributes::normal(access),
                0,
            )?;
            page += PAGE_SIZE;
        }
    }

    // The direct map of RAM: merge adjacent RAM regions, then map each run with the
    // largest aligned pages that fit inside it.
    let mut runs: heapless::Vec<(u64, u64), { crate::boot::MAX_MEMORY_REGIONS }> =
        heapless::Vec::new();
    for region in boot.memory_map.iter().filter(|region| region.kind.is_ram()) {
        let start = align_down(region.start, PAGE_SIZE);
        let end = align_up(region.end(), PAGE_SIZE).unwrap_or(!(PAGE_SIZE - 1));
        match runs.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => {
                let _ = runs.push((start, end));
            }
        }
    }
    let data = Attributes::normal(Access::KERNEL_WRITE);
    for &(start, end) in &runs {
        map_range(&mut table, &mut tables, start, end, data)?;
    }

    // The heap's root entry (its tables are filled as it grows).
    ensure_root_entry(&mut table, &mut tables, arch::KERNEL_HEAP_BASE)?;

    // Every root entry the direct map will ever need (the first 512 GiB of physical
    // memory, or all RAM if more), so later mappings never add a root entry.
    let highest = runs.last().map_or(0, |run| run.1);
    let reach = highest.max(level_size(LEVELS - 1));
    let mut address = 0;
    while address < reach {
        ensure_root_entry(&mut table, &mut tables, arch::DIRECT_MAP_BASE + address)?;
        address += level_size(LEVELS - 1);
    }

    // SAFETY: the new tables map the kernel image (code, data, this stack) at the same
    // virtual addresses as the loader's tables, and the direct map at DIRECT_MAP_BASE,
    // which is where `access_offset` points from now on.
    unsafe { arch::activate_kernel_root(root) };
    state.root = root;
    state.access_offset = arch::DIRECT_MAP_BASE;
    state.direct_map_reach = reach;
    Ok(())
}

fn map_or_pool_error(
    table: &mut PageTable<arch::Paging>,
    tables: &mut KernelTables<'_>,
    virtual_address: u64,
    physical: u64,
    attributes: Attributes,
    level: usize,
) -> Result<(), MemoryError> {
    match table.map(tables, virtual_address, physical, attributes, level) {
        Ok(()) | Err(MapError::AlreadyMapped) => Ok(()),
        Err(MapError::OutOfMemory) => Err(MemoryError::TablePoolExhausted),
        Err(error) => Err(MemoryError::Map(error)),
    }
}

/// Maps physical `[start, end)` (page aligned) in the direct map with the largest pages.
fn map_range(
    table: &mut PageTable<arch::Paging>,
    tables: &mut KernelTables<'_>,
    start: u64,
    end: u64,
    attributes: Attributes,
) -> Result<(), MemoryError> {
    use crate::mm::page_table::PageTableFormat;
    let mut physical = start;
    while physical < end {
        let level = (0..LEVELS - 1)
            .rev()
            .find(|&level| {
                let size = level_size(level);
                arch::Paging::supports_leaf(level)
                    && physical.is_multiple_of(size)
                    && physical.checked_add(size).is_some_and(|leaf_end| leaf_end <= end)
            })
            .unwrap_or(0);
        map_or_pool_error(
            table,
            tables,
            arch::DIRECT_MAP_BASE + physical,
            physical,
            attributes,
            level,
        )?;
        physical += level_size(level);
    }
    Ok(())
}

/// Creates the root entry covering `virtual_address` if it is missing.
fn ensure_root_entry(
    table: &mut PageTable<arch::Paging>,
    tables: &mut KernelTables<'_>,
    virtual_address: u64,
) -> Result<(), MemoryError> {
    use crate::mm::page_table::{PageTableFormat, index};
    let root = table.root();
    let slot = index(virtual_address, LEVELS - 1);
    let pointer = tables.table(root);
    // SAFETY: `pointer` is the kernel root table, reachable through the current direct map;
    // `slot` < 512.
    let entry = unsafe { (*pointer)[slot] };
    if !arch::Paging::is_valid(entry) {
        let next = tables.allocate_table().ok_or(MemoryError::TablePoolExhausted)?;
        // SAFETY: as above.
        unsafe { (*pointer)[slot] = arch::Paging::table_entry(next, false) };
    }
    Ok(())
}

/// Maps physical `[address, address + length)` into the direct map with `caching` (a
/// no-op for pages already mapped that way) and returns the virtual address of `address`.
///
/// # Errors
///
/// [`MemoryError::OutOfReach`] beyond the direct map's reserved root entries,
/// [`MemoryError::ConflictingCaching`] when a page is mapped with another memory type,
/// [`MemoryError::Map`] when a table cannot be allocated.
pub fn map_physical(address: u64, length: u64, caching: Caching) -> Result<u64, MemoryError> {
    let mut state = KERNEL_SPACE.lock();
    let reach = state.direct_map_reach;
    let mut tables = KernelTables { state: &mut state };
    let root = tables.state.root;
    let mut table = PageTable::<arch::Paging>::new(root);
    let end = address.checked_add(length.max(1)).ok_or(MemoryError::OutOfReach(address))?;
    let end = align_up(end, PAGE_SIZE).ok_or(MemoryError::OutOfReach(address))?;
    if end > reach {
        return Err(MemoryError::OutOfReach(address));
    }
    let attributes = match caching {
        Caching::Normal => Attributes::normal(Access::KERNEL_WRITE),
        Caching::Device => Attributes::device(),
    };
    let mut page = align_down(address, PAGE_SIZE);
    while page < end {
        let virtual_address = arch::DIRECT_MAP_BASE + page;
        match table.translate(&mut tables, virtual_address) {
            Some(found) if found.attributes.caching == caching => {}
            Some(_) => return Err(MemoryError::ConflictingCaching(page)),
            None => {
                table
                    .map(&mut tables, virtual_address, page, attributes, 0)
                    .map_err(MemoryError::Map)?;
                arch::flush_page(virtual_address, 0);
            }
        }
        page += PAGE_SIZE;
    }
    Ok(arch::DIRECT_MAP_BASE + address)
}

/// Maps the frame at `physical` read-write at kernel address `virtual_address` (the heap).
///
/// # Errors
///
/// [`MemoryError::Map`] when a table cannot be allocated or the page is taken.
pub fn map_kernel_page(virtual_address: u64, physical: u64) -> Result<(), MemoryError> {
    let mut state = KERNEL_SPACE.lock();
    let mut tables = KernelTables { state: &mut state };
    let root = tables.state.root;
    let mut table = PageTable::<arch::Paging>::new(root);
    table
        .map(&mut tables, virtual_address, physical, Attributes::normal(Access::KERNEL_WRITE), 0)
        .map_err(MemoryError::Map)?;
    arch::flush_page(virtual_address, 0);
    Ok(())
}

/// Physical address of the kernel's root table.
pub fn kernel_root() -> u64 {
    KERNEL_SPACE.lock().root
}

/// The kernel virtual address of physical `address` in the direct map.
pub const fn direct_map(address: u64) -> u64 {
    arch::DIRECT_MAP_BASE + address
}

/// Statistics about physical memory after [`initialize_frames`].
#[derive(Clone, Copy, Debug)]
pub struct FrameStatistics {
    /// Frames managed by the allocator.
    pub managed: u64,
    /// Frames free.
    pub free: u64,
    /// Bytes the allocator's bitmap takes.
    pub bitmap_bytes: u64,
}

/// Builds the frame allocator from the usable RAM in the memory map, keeping out the
/// first MiB, the kernel image, the boot data the kernel still uses, and RAM beyond the
/// first `memory_limit` bytes (the `mem=` parameter).
///
/// # Errors
///
/// [`MemoryError::NoUsableMemory`] when fewer than [`MINIMUM_FREE_FRAMES`] frames remain.
pub fn initialize_frames(
    boot: &BootInfo,
    memory_limit: Option<u64>,
) -> Result<FrameStatistics, MemoryError> {
    // Usable ranges, cut at the mem= limit (counted in RAM bytes from the lowest address).
    let mut usable: heapless::Vec<(u64, u64), { crate::boot::MAX_MEMORY_REGIONS }> =
        heapless::Vec::new();
    let mut budget = memory_limit.unwrap_or(u64::MAX);
    for region in boot.memory_map.iter().filter(|region| region.kind.is_ram()) {
        let counted = region.length.min(budget);
        budget -= counted;
        let allocatable =
            matches!(region.kind, MemoryKind::Usable | MemoryKind::BootloaderReclaimable);
        if allocatable && counted > 0 {
            let start = region.start.max(LOWEST_ALLOCATABLE);
            let end = region.start + counted;
            if start < end {
                let _ = usable.push((start, end));
            }
        }
    }
    let kernel_start = boot.kernel.physical_base;
    let kernel_end = kernel_start + boot.kernel.size;
    let reserved = || {
        core::iter::once((kernel_start, kernel_end))
            .chain(boot.reserved_ranges.iter().map(|range| (range.start, range.end)))
    };
    let usable_bytes = |ranges: &[(u64, u64)]| -> u64 {
        ranges
            .iter()
            .map(|&(start, end)| {
                let overlap: u64 = reserved()
                    .map(|(reserved_start, reserved_end)| {
                        reserved_end.min(end).saturating_sub(reserved_start.max(start))
                    })
                    .sum();
                (end - start).saturating_sub(overlap)
            })
            .sum()
    };
    let ram = boot.total_ram();
    let available = usable_bytes(&usable);
    let base = usable.iter().map(|range| range.0).min().unwrap_or(0);
    let end = usable.iter().map(|range| range.1).max().unwrap_or(0);
    let words = FrameAllocator::words_needed(base, end);
    let bitmap_bytes = align_up(words as u64 * 8, PAGE_SIZE).unwrap_or(u64::MAX);
    if available < bitmap_bytes + MINIMUM_FREE_FRAMES * PAGE_SIZE {
        return Err(MemoryError::NoUsableMemory { ram, usable: available });
    }

    // Put the bitmap in the first usable stretch large enough that avoids the reserved
    // ranges.
    let mut bitmap_at = None;
    'search: for &(start, end) in &usable {
        let mut candidate = align_up(start, PAGE_SIZE).unwrap_or(end);
        while candidate + bitmap_bytes <= end {
            let clash = reserved().find(|&(reserved_start, reserved_end)| {
                reserved_start < candidate + bitmap_bytes && reserved_end > candidate
            });
            match clash {
                None => {
                    bitmap_at = Some(candidate);
                    break 'search;
                }
                Some((_, reserved_end)) => {
                    candidate = align_up(reserved_end, PAGE_SIZE).unwrap_or(end);
                }
            }
        }
    }
    let bitmap_at = bitmap_at.ok_or(MemoryError::NoUsableMemory { ram, usable: available })?;
    let pointer = direct_map(bitmap_at) as *mut u64;
    // SAFETY: `[bitmap_at, bitmap_at + bitmap_bytes)` is usable RAM outside the kernel and
    // every reserved range, mapped in the direct map; it is removed from the allocator
    // below, so this slice is its only user for the rest of the kernel's life.
    let bitmap = unsafe { core::slice::from_raw_parts_mut(pointer, words) };
    let mut allocator = FrameAllocator::new(bitmap, base, end);
    for &(start, end) in &usable {
        allocator.add_free_range(start, end);
    }
    allocator.remove_range(bitmap_at, bitmap_at + bitmap_bytes);
    for (start, end) in reserved() {
        allocator.remove_range(start, end);
    }
    let statistics = FrameStatistics {
        managed: allocator.managed_frames(),
        free: allocator.free_frames(),
        bitmap_bytes,
    };
    if statistics.free < MINIMUM_FREE_FRAMES {
        return Err(MemoryError::NoUsableMemory { ram, usable: statistics.free * PAGE_SIZE });
    }
    *FRAMES.lock() = Some(allocator);
    Ok(statistics)
}

/// Allocates a physical frame (contents undefined).
pub fn allocate_frame() -> Option<Frame> {
    FRAMES.lock().as_mut()?.allocate()
}

/// Allocates a frame and zeroes it.
pub fn allocate_zeroed_frame() -> Option<Frame> {
    let frame = allocate_frame()?;
    // SAFETY: the frame was just allocated, so nothing else uses it; the direct map covers
    // all RAM as normal memory, and frames are page-aligned.
    unsafe { arch::zero_page(direct_map(frame.address())) };
    Some(frame)
}

/// Returns a frame to the allocator. A frame the allocator refuses (a kernel bug) is
/// reported and leaked rather than corrupting the allocator.
pub fn free_frame(frame: Frame) {
    if let Some(allocator) = FRAMES.lock().as_mut()
        && let Err(error) = allocator.free(frame)
    {
        log::error!("frame allocator: {error}");
    }
}

/// Free frames now (0 before [`initialize_frames`]).
pub fn free_frame_count() -> u64 {
    FRAMES.lock().as_ref().map_or(0, FrameAllocator::free_frames)
}
