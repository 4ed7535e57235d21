//! Memory: regions of an address space, memory objects, faulting pages in, and copying
//! between user memory and the kernel or another process.
//!
//! A region is either anonymous (pages owned by the process, zero-filled when first
//! touched: program segments, stacks) or a window onto a memory object (pages owned by the
//! object and shared by every mapping). Pages are faulted in lazily: a page fault inside a
//! region, with an access the region allows, allocates (or finds) the page and maps it;
//! any other fault is the program's error. Kernel copies to and from user memory go
//! through the same resolution, so a lease or a descriptor in a not-yet-touched page
//! works, and a read-only page is never written through a lease.

use alloc::boxed::Box;
use alloc::vec::Vec;

use courier_abi::layout::{PAGE_SIZE, USER_SPACE_END, USER_SPACE_START};
use courier_abi::memory::{
    MAP_AREA_END, MAP_AREA_START, MAP_EXECUTE, MAP_FIXED, MAP_READ, MAP_WRITE, MAX_MEMORY_OBJECT,
};
use courier_abi::{Handle, KernelError, Rights};

use super::platform::{Platform, UserSpace};
use super::process::ProcessId;
use super::{Kernel, ObjectRef};
use crate::mm::page_table::Access;
use crate::object::arena::Id;
use crate::object::memory::try_box;

const PAGE: u64 = PAGE_SIZE as u64;
/// Pages per leaf of a memory object's page index.
const LEAF_PAGES: usize = 512;

/// A memory object's id.
pub type MemoryObjectId<P> = Id<MemoryObject<P>>;

/// What backs a region.
pub enum RegionKind<P: Platform> {
    /// Pages owned by the process, zero-filled on first touch.
    Anonymous,
    /// Pages of a memory object, starting at `offset` in it.
    Object {
        /// The object.
        object: MemoryObjectId<P>,
        /// Byte offset in the object of the region's first page.
        offset: u64,
    },
}

impl<P: Platform> Clone for RegionKind<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Platform> Copy for RegionKind<P> {}

/// A mapped range of an address space.
pub struct Region<P: Platform> {
    /// First address (page aligned).
    pub start: u64,
    /// Length in bytes (page multiple).
    pub length: u64,
    /// What accesses are allowed.
    pub access: Access,
    /// What backs it.
    pub kind: RegionKind<P>,
}

impl<P: Platform> Region<P> {
    /// One past the last address.
    pub fn end(&self) -> u64 {
        self.start + self.length
    }

    /// Whether `address` is inside.
    pub fn contains(&self, address: u64) -> bool {
        address >= self.start && address < self.end()
    }
}

/// A memory object: pages that several address spaces can map.
pub struct MemoryObject<P: Platform> {
    /// Size in bytes (a page multiple).
    pub size: u64,
    /// Physical addresses of its pages in leaves of 512 (0 = not allocated yet).
    leaves: Vec<Option<Box<[u64; LEAF_PAGES]>>>,
    /// Handles naming it.
    pub handles: usize,
    /// Regions mapping it, per process.
    pub mappings: Vec<(ProcessId<P>, u32)>,
    /// Pages allocated.
    pub resident: u64,
}

impl<P: Platform> MemoryObject<P> {
    fn page(&self, index: u64) -> u64 {
        let index = index as usize;
        self.leaves
            .get(index / LEAF_PAGES)
            .and_then(Option::as_ref)
            .map_or(0, |leaf| leaf[index % LEAF_PAGES])
    }

    fn set_page(&mut self, index: u64, physical: u64) -> Result<(), KernelError> {
        let index = index as usize;
        let slot = self.leaves.get_mut(index / LEAF_PAGES).ok_or(KernelError::InvalidArgument)?;
        if slot.is_none() {
            *slot = Some(try_box([0u64; LEAF_PAGES]).map_err(|_| KernelError::OutOfMemory)?);
        }
        if let Some(leaf) = slot.as_mut() {
            leaf[index % LEAF_PAGES] = physical;
        }
        Ok(())
    }

    fn mapping_count(&self) -> u32 {
        self.mappings.iter().map(|&(_, count)| count).sum()
    }
}

/// A `MemoryMap` request.
#[derive(Clone, Copy, Debug)]
pub struct MapRequest {
    /// Where (a hint, or exact with `MAP_FIXED`; 0 lets the kernel choose).
    pub address: u64,
    /// Offset into the object (page aligned).
    pub offset: u64,
    /// Bytes to map (rounded up to pages).
    pub length: u64,
    /// `MAP_*` flags.
    pub flags: u64,
}

/// Why a user access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultResolution {
    /// No region, or the region forbids the access (SIGSEGV).
    Segmentation,
    /// Past the end of a memory object (SIGBUS).
    Bus,
    /// The kernel could not allocate the page.
    OutOfMemory,
}

impl From<FaultResolution> for KernelError {
    fn from(resolution: FaultResolution) -> Self {
        match resolution {
            FaultResolution::Segmentation | FaultResolution::Bus => KernelError::BadAddress,
            FaultResolution::OutOfMemory => KernelError::OutOfMemory,
        }
    }
}

fn page_floor(address: u64) -> u64 {
    address & !(PAGE - 1)
}

impl<P: Platform> Kernel<P> {
    // ----- regions -----------------------------------------------------------------------

    /// Adds a region (it must not overlap another).
    pub(crate) fn add_region(
        &mut self,
        process: ProcessId<P>,
        region: Region<P>,
    ) -> Result<(), KernelError> {
        let entry = self.processes.get_mut(process).ok_or(KernelError::NoSuchProcess)?;
        if entry
            .regions
            .iter()
            .any(|other| other.start < region.end() && region.start < other.end())
        {
            return Err(KernelError::AddressInUse);
        }
        entry.regions.try_reserve(1).map_err(|_| KernelError::OutOfMemory)?;
        let position = entry.regions.partition_point(|other| other.start < region.start);
        if let RegionKind::Object { object, .. } = region.kind {
            self.count_mapping(object, process, 1)?;
        }
        if let Some(entry) = self.processes.get_mut(process) {
            entry.regions.insert(position, region);
        }
        Ok(())
    }

    fn count_mapping(
        &mut self,
        object: MemoryObjectId<P>,
        process: ProcessId<P>,
        change: i32,
    ) -> Result<(), KernelError> {
        let entry = self.memory_objects.get_mut(object).ok_or(KernelError::InvalidHandle)?;
        match entry.mappings.iter_mut().find(|(owner, _)| *owner == process) {
            Some((_, count)) => *count = count.saturating_add_signed(change),
            None if change > 0 => {
                entry.mappings.try_reserve(1).map_err(|_| KernelError::OutOfMemory)?;
                entry.mappings.push((process, change as u32));
            }
            None => {}
        }
        entry.mappings.retain(|&(_, count)| count > 0);
        if change < 0 {
            self.destroy_object_if_unused(object);
        }
        Ok(())
    }

    /// The region of `process` containing `address`.
    fn region_at(
        &self,
        process: ProcessId<P>,
        address: u64,
    ) -> Option<(u64, u64, Access, RegionKind<P>)> {
        let entry = self.processes.get(process)?;
        let index = entry.regions.partition_point(|region| region.end() <= address);
        let region = entry.regions.get(index).filter(|region| region.contains(address))?;
        Some((region.start, region.length, region.access, region.kind))
    }

    /// Makes the page at `address` present for an access (`write`), allocating it if it is
    /// not yet; returns its frame. `ignore_rights` lets the loader fill read-only pages.
    pub(crate) fn resolve(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        write: bool,
        ignore_rights: bool,
    ) -> Result<u64, FaultResolution> {
        let page = page_floor(address);
        let (start, _, access, kind) =
            self.region_at(process, page).ok_or(FaultResolution::Segmentation)?;
        if !ignore_rights && write && !access.write {
            return Err(FaultResolution::Segmentation);
        }
        if let Some((physical, _)) =
            self.processes.get(process).and_then(|entry| entry.space.as_ref()?.translate(page))
        {
            return Ok(physical);
        }
        let physical = match kind {
            RegionKind::Anonymous => {
                self.platform.allocate_frame().ok_or(FaultResolution::OutOfMemory)?
            }
            RegionKind::Object { object, offset } => {
                let index = (offset + page - start) / PAGE;
                let entry = self.memory_objects.get_mut(object).ok_or(FaultResolution::Bus)?;
                if index >= entry.size / PAGE {
                    return Err(FaultResolution::Bus);
                }
                match entry.page(index) {
                    0 => {
                        let frame =
                            self.platform.allocate_frame().ok_or(FaultResolution::OutOfMemory)?;
                        let entry =
                            self.memory_objects.get_mut(object).ok_or(FaultResolution::Bus)?;
                        if entry.set_page(index, frame).is_err() {
                            self.platform.free_frame(frame);
                            return Err(FaultResolution::OutOfMemory);
                        }
                        entry.resident += 1;
                        frame
                    }
                    frame => frame,
                }
            }
        };
        let mapped = self
            .processes
            .get_mut(process)
            .and_then(|entry| entry.space.as_mut())
            .map(|space| space.map(page, physical, access));
        match mapped {
            Some(Ok(())) => Ok(physical),
            _ => {
                if matches!(kind, RegionKind::Anonymous) {
                    self.platform.free_frame(physical);
                }
                Err(FaultResolution::OutOfMemory)
            }
        }
    }

    /// Handles a user page fault at `address`: `Ok` when the page was made present and the
    /// thread can retry.
    pub(crate) fn handle_page_fault(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        write: bool,
        execute: bool,
    ) -> Result<(), FaultResolution> {
        let (_, _, access, _) =
            self.region_at(process, page_floor(address)).ok_or(FaultResolution::Segmentation)?;
        if execute && !access.execute {
            return Err(FaultResolution::Segmentation);
        }
        let present = self
            .processes
            .get(process)
            .and_then(|entry| entry.space.as_ref()?.translate(page_floor(address)))
            .is_some();
        if present {
            // Mapped, yet the hardware refused: the access is not allowed.
            return Err(FaultResolution::Segmentation);
        }
        self.resolve(process, address, write, false).map(|_| ())
    }

    /// Calls `piece` for each page-sized piece of `[address, address + length)` with the
    /// piece's frame address, offset into the range and length.
    fn for_each_user_piece(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
        write: bool,
        ignore_rights: bool,
        mut piece: impl FnMut(&mut P, u64, usize, usize),
    ) -> Result<(), KernelError> {
        if length == 0 {
            return Ok(());
        }
        let end = address.checked_add(length).ok_or(KernelError::BadAddress)?;
        if address < USER_SPACE_START as u64 || end > USER_SPACE_END as u64 {
            return Err(KernelError::BadAddress);
        }
        let mut current = address;
        while current < end {
            let page_end = (page_floor(current) + PAGE).min(end);
            let physical = self
                .resolve(process, current, write, ignore_rights)
                .map_err(|_| KernelError::BadAddress)?;
            let offset = (current - address) as usize;
            let size = (page_end - current) as usize;
            piece(&mut self.platform, physical + current % PAGE, offset, size);
            current = page_end;
        }
        Ok(())
    }

    /// Copies user memory of `process` into `buffer`.
    pub(crate) fn read_user(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        buffer: &mut [u8],
    ) -> Result<(), KernelError> {
        self.for_each_user_piece(
            process,
            address,
            buffer.len() as u64,
            false,
            false,
            |platform, physical, offset, size| {
                platform.read_physical(physical, &mut buffer[offset..offset + size]);
            },
        )
    }

    /// Copies `bytes` into user memory of `process` (which must be writable).
    pub(crate) fn write_user(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        bytes: &[u8],
    ) -> Result<(), KernelError> {
        self.copy_into_user(process, address, bytes, false)
    }

    /// Copies `bytes` into `process`'s memory whatever the page rights (the loader).
    pub(crate) fn write_user_ignoring_rights(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        bytes: &[u8],
    ) -> Result<(), KernelError> {
        self.copy_into_user(process, address, bytes, true)
    }

    /// Makes `length` bytes of code the kernel wrote at `address` in `process` visible to
    /// instruction fetch (see [`Platform::synchronize_instruction_cache`]).
    pub(crate) fn synchronize_user_code(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
    ) -> Result<(), KernelError> {
        self.for_each_user_piece(
            process,
            address,
            length,
            false,
            true,
            |platform, physical, _, size| {
                platform.synchronize_instruction_cache(physical, size);
            },
        )
    }

    fn copy_into_user(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        bytes: &[u8],
        ignore_rights: bool,
    ) -> Result<(), KernelError> {
        self.for_each_user_piece(
            process,
            address,
            bytes.len() as u64,
            true,
            ignore_rights,
            |platform, physical, offset, size| {
                platform.write_physical(physical, &bytes[offset..offset + size]);
            },
        )
    }

    /// Whether `[address, address + length)` of `process` is accessible (faulting pages in).
    pub(crate) fn probe_user(
        &mut self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
        write: bool,
    ) -> bool {
        self.for_each_user_piece(process, address, length, write, false, |_, _, _, _| {}).is_ok()
    }

    /// Copies `length` bytes from `source` in one process to `destination` in another (or
    /// the same), page piece by page piece.
    pub(crate) fn copy_between(
        &mut self,
        from: ProcessId<P>,
        source: u64,
        to: ProcessId<P>,
        destination: u64,
        length: u64,
    ) -> Result<(), KernelError> {
        let mut done = 0;
        while done < length {
            let source_address = source.checked_add(done).ok_or(KernelError::BadAddress)?;
            let destination_address =
                destination.checked_add(done).ok_or(KernelError::BadAddress)?;
            let piece = (PAGE - source_address % PAGE)
                .min(PAGE - destination_address % PAGE)
                .min(length - done);
            let in_user = |address: u64| {
                address >= USER_SPACE_START as u64
                    && address.checked_add(piece).is_some_and(|end| end <= USER_SPACE_END as u64)
            };
            if !in_user(source_address) || !in_user(destination_address) {
                return Err(KernelError::BadAddress);
            }
            let source_frame = self
                .resolve(from, source_address, false, false)
                .map_err(|_| KernelError::BadAddress)?;
            let destination_frame = self
                .resolve(to, destination_address, true, false)
                .map_err(|_| KernelError::BadAddress)?;
            self.platform.copy_physical(
                source_frame + source_address % PAGE,
                destination_frame + destination_address % PAGE,
                piece as usize,
            );
            done += piece;
        }
        Ok(())
    }

    // ----- unmapping ---------------------------------------------------------------------

    /// Unmaps every present page in `[start, end)` of `process`, freeing anonymous pages.
    fn unmap_pages(&mut self, process: ProcessId<P>, start: u64, end: u64, anonymous: bool) {
        let platform = &mut self.platform;
        let Some(space) = self.processes.get_mut(process).and_then(|entry| entry.space.as_mut())
        else {
            return;
        };
        space.unmap_range(start, end, &mut |physical| {
            if anonymous {
                platform.free_frame(physical);
            }
        });
    }

    /// Removes `[start, end)` (page aligned) from `process`'s regions, splitting regions
    /// that straddle the edges.
    pub(crate) fn unmap_range(
        &mut self,
        process: ProcessId<P>,
        start: u64,
        end: u64,
    ) -> Result<(), KernelError> {
        let Some(entry) = self.processes.get_mut(process) else {
            return Err(KernelError::NoSuchProcess);
        };
        // Reserve for the worst case (one region split in two) before changing anything.
        entry.regions.try_reserve(1).map_err(|_| KernelError::OutOfMemory)?;
        let mut index = 0;
        let mut removed: Vec<(u64, u64, RegionKind<P>)> = Vec::new();
        while let Some(entry) = self.processes.get_mut(process) {
            let Some(region) = entry.regions.get(index) else { break };
            if region.end() <= start || region.start >= end {
                index += 1;
                continue;
            }
            let cut_start = region.start.max(start);
            let cut_end = region.end().min(end);
            let region = entry.regions.remove(index);
            if removed.try_reserve(1).is_err() {
                entry.regions.insert(index, region);
                return Err(KernelError::OutOfMemory);
            }
            removed.push((cut_start, cut_end, region.kind));
            let mut pieces = 0;
            if region.start < cut_start {
                entry.regions.insert(
                    index,
                    Region {
                        start: region.start,
                        length: cut_start - region.start,
                        access: region.access,
                        kind: region.kind,
                    },
                );
                index += 1;
                pieces += 1;
            }
            if cut_end < region.end() {
                let kind = match region.kind {
                    RegionKind::Object { object, offset } => {
                        RegionKind::Object { object, offset: offset + (cut_end - region.start) }
                    }
                    RegionKind::Anonymous => RegionKind::Anonymous,
                };
                entry.regions.insert(
                    index,
                    Region {
                        start: cut_end,
                        length: region.end() - cut_end,
                        access: region.access,
                        kind,
                    },
                );
                index += 1;
                pieces += 1;
            }
            if let RegionKind::Object { object, .. } = region.kind {
                let _ = self.count_mapping(object, process, pieces - 1);
            }
        }
        for (cut_start, cut_end, kind) in removed {
            self.unmap_pages(process, cut_start, cut_end, matches!(kind, RegionKind::Anonymous));
        }
        Ok(())
    }

    /// Removes every region of `process` (it is ending).
    pub(crate) fn unmap_everything(&mut self, process: ProcessId<P>) {
        let regions = self
            .processes
            .get_mut(process)
            .map(|entry| core::mem::take(&mut entry.regions))
            .unwrap_or_default();
        for region in regions {
            let anonymous = matches!(region.kind, RegionKind::Anonymous);
            self.unmap_pages(process, region.start, region.end(), anonymous);
            if let RegionKind::Object { object, .. } = region.kind {
                let _ = self.count_mapping(object, process, -1);
            }
        }
    }

    // ----- memory objects ----------------------------------------------------------------

    /// Creates a memory object of `size` bytes and a handle to it in `process`.
    pub(crate) fn create_memory_object(
        &mut self,
        process: ProcessId<P>,
        size: u64,
    ) -> Result<Handle, KernelError> {
        if size > MAX_MEMORY_OBJECT {
            return Err(KernelError::InvalidArgument);
        }
        let size = size.div_ceil(PAGE) * PAGE;
        let mut leaves = Vec::new();
        let leaf_count = (size / PAGE).div_ceil(LEAF_PAGES as u64) as usize;
        leaves.try_reserve(leaf_count).map_err(|_| KernelError::OutOfMemory)?;
        leaves.resize_with(leaf_count, || None);
        let object = MemoryObject { size, leaves, handles: 0, mappings: Vec::new(), resident: 0 };
        let id = self.memory_objects.insert(object).map_err(|_| KernelError::LimitReached)?;
        let rights = Rights::READ
            .union(Rights::WRITE)
            .union(Rights::EXECUTE)
            .union(Rights::RESIZE)
            .union(Rights::DUPLICATE)
            .union(Rights::TRANSFER);
        match self.insert_handle(process, ObjectRef::Memory(id), rights, 0) {
            Ok(handle) => Ok(handle),
            Err(error) => {
                self.destroy_object_if_unused(id);
                Err(error)
            }
        }
    }

    /// Frees a memory object with no handles and no mappings.
    pub(crate) fn destroy_object_if_unused(&mut self, object: MemoryObjectId<P>) {
        let unused = self
            .memory_objects
            .get(object)
            .is_some_and(|entry| entry.handles == 0 && entry.mapping_count() == 0);
        if !unused {
            return;
        }
        if let Some(entry) = self.memory_objects.remove(object) {
            for leaf in entry.leaves.into_iter().flatten() {
                for &physical in leaf.iter().filter(|&&physical| physical != 0) {
                    self.platform.free_frame(physical);
                }
            }
        }
    }

    /// Maps part of a memory object (held with `rights`) into `process` as `request` says.
    pub(crate) fn map_object(
        &mut self,
        process: ProcessId<P>,
        object: MemoryObjectId<P>,
        rights: Rights,
        request: MapRequest,
    ) -> Result<u64, KernelError> {
        let MapRequest { address, offset, length, flags } = request;
        let known = MAP_READ | MAP_WRITE | MAP_EXECUTE | MAP_FIXED;
        if flags & !known != 0
            || !offset.is_multiple_of(PAGE)
            || length == 0
            || !address.is_multiple_of(PAGE)
        {
            return Err(KernelError::InvalidArgument);
        }
        let length =
            length.checked_add(PAGE - 1).ok_or(KernelError::InvalidArgument)? & !(PAGE - 1);
        offset
            .checked_add(length)
            .filter(|&end| end <= MAX_MEMORY_OBJECT)
            .ok_or(KernelError::InvalidArgument)?;
        if !rights.contains(Rights::READ)
            || (flags & MAP_WRITE != 0 && !rights.contains(Rights::WRITE))
            || (flags & MAP_EXECUTE != 0 && !rights.contains(Rights::EXECUTE))
        {
            return Err(KernelError::InsufficientRights);
        }
        let access =
            Access { write: flags & MAP_WRITE != 0, execute: flags & MAP_EXECUTE != 0, user: true };
        let start = self.choose_address(process, address, length, flags & MAP_FIXED != 0)?;
        self.add_region(
            process,
            Region { start, length, access, kind: RegionKind::Object { object, offset } },
        )?;
        Ok(start)
    }

    /// Picks where a mapping goes: `address` when given and free (required with `fixed`),
    /// else the first free range of the mapping area.
    fn choose_address(
        &self,
        process: ProcessId<P>,
        address: u64,
        length: u64,
        fixed: bool,
    ) -> Result<u64, KernelError> {
        let entry = self.processes.get(process).ok_or(KernelError::NoSuchProcess)?;
        let free = |start: u64| {
            start >= USER_SPACE_START as u64
                && start.checked_add(length).is_some_and(|end| end <= USER_SPACE_END as u64)
                && !entry
                    .regions
                    .iter()
                    .any(|region| region.start < start + length && start < region.end())
        };
        if address != 0 {
            if free(address) {
                return Ok(address);
            }
            if fixed {
                return Err(KernelError::AddressInUse);
            }
        } else if fixed {
            return Err(KernelError::InvalidArgument);
        }
        let mut candidate = MAP_AREA_START as u64;
        for region in entry.regions.iter().filter(|region| region.end() > MAP_AREA_START as u64) {
            if region.start >= candidate + length {
                break;
            }
            candidate = candidate.max(region.end());
        }
        if candidate + length <= MAP_AREA_END as u64 {
            Ok(candidate)
        } else {
            Err(KernelError::OutOfMemory)
        }
    }

    /// Changes a memory object's size; pages past a smaller end are freed and unmapped
    /// from every address space.
    pub(crate) fn resize_object(
        &mut self,
        object: MemoryObjectId<P>,
        size: u64,
    ) -> Result<(), KernelError> {
        if size > MAX_MEMORY_OBJECT {
            return Err(KernelError::InvalidArgument);
        }
        let size = size.div_ceil(PAGE) * PAGE;
        let entry = self.memory_objects.get_mut(object).ok_or(KernelError::InvalidHandle)?;
        let leaf_count = (size / PAGE).div_ceil(LEAF_PAGES as u64) as usize;
        if leaf_count > entry.leaves.len() {
            entry
                .leaves
                .try_reserve(leaf_count - entry.leaves.len())
                .map_err(|_| KernelError::OutOfMemory)?;
        }
        let old_size = entry.size;
        entry.size = size;
        if size >= old_size {
            entry.leaves.resize_with(leaf_count, || None);
            return Ok(());
        }
        // Unmap the cut pages wherever the object is mapped, then free them.
        let mappers: Vec<ProcessId<P>> =
            entry.mappings.iter().map(|&(process, _)| process).collect();
        for process in mappers {
            let windows: Vec<(u64, u64, u64)> = self
                .processes
                .get(process)
                .map(|entry| {
                    entry
                        .regions
                        .iter()
                        .filter_map(|region| match region.kind {
                            RegionKind::Object { object: mapped, offset } if mapped == object => {
                                Some((region.start, region.end(), offset))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (start, end, offset) in windows {
                // Object byte `size` sits at `start + size - offset`.
                let cut = start.saturating_add(size.saturating_sub(offset)).max(start);
                if cut < end {
                    self.unmap_pages(process, cut, end, false);
                }
            }
        }
        let Some(entry) = self.memory_objects.get_mut(object) else {
            return Ok(());
        };
        let mut freed = Vec::new();
        for index in size / PAGE..old_size / PAGE {
            let physical = entry.page(index);
            if physical != 0 {
                let _ = entry.set_page(index, 0);
                entry.resident -= 1;
                if freed.try_reserve(1).is_ok() {
                    freed.push(physical);
                }
            }
        }
        entry.leaves.truncate(leaf_count);
        for physical in freed {
            self.platform.free_frame(physical);
        }
        Ok(())
    }
}
