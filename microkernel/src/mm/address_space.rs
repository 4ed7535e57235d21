//! User address spaces: a root table per process, pages it owns, and checked copies
//! between kernel buffers and user memory.
//!
//! The kernel never dereferences a user pointer. Copies walk the process's page table,
//! check that each page is mapped with the user access the operation needs, and copy
//! through the kernel's direct map. A bad address is an error for the caller to return,
//! never a kernel fault (and SMAP can stay on).

use core::fmt;

use courier_abi::layout::USER_SPACE_END;

use crate::arch;
use crate::mm::frame::Frame;
use crate::mm::kernel_space::{allocate_zeroed_frame, direct_map, free_frame, kernel_root};
use crate::mm::page_table::{Access, Attributes, Caching, MapError, PageTable, Table, TableMemory};
use crate::mm::{PAGE_SIZE, align_down};

/// A user range was not mapped with the needed access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadAddress(pub u64);

impl fmt::Display for BadAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "bad user address {:#x}", self.0)
    }
}

/// Table memory for user page tables: frames from the allocator, reached through the
/// direct map.
struct UserTables;

// SAFETY: every table frame comes from the frame allocator, is zeroed before use, belongs
// only to the address space being edited (which the caller holds exclusively), and is
// reachable in the direct map.
unsafe impl TableMemory for UserTables {
    fn table(&mut self, address: u64) -> *mut Table {
        direct_map(address) as *mut Table
    }

    fn allocate_table(&mut self) -> Option<u64> {
        allocate_zeroed_frame().map(Frame::into_address)
    }

    fn free_table(&mut self, address: u64) {
        // SAFETY: user tables are only ever allocated by `allocate_table` above.
        free_frame(unsafe { Frame::from_address(address) });
    }
}

/// Address-space identifiers in use (bit set = taken); identifier 0 is the kernel's.
static IDENTIFIERS: spin::Mutex<[u64; 1024]> = spin::Mutex::new([1; 1024]);

fn allocate_identifier() -> Option<u16> {
    let mut bits = IDENTIFIERS.lock();
    for (word_index, word) in bits.iter_mut().enumerate() {
        if *word != u64::MAX {
            let bit = (!*word).trailing_zeros();
            *word |= 1 << bit;
            return u16::try_from(word_index * 64 + bit as usize).ok();
        }
    }
    None
}

fn free_identifier(identifier: u16) {
    let mut bits = IDENTIFIERS.lock();
    bits[usize::from(identifier) / 64] &= !(1 << (identifier % 64));
}

/// Why an address space operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// No memory for a page or table.
    OutOfMemory,
    /// No free address-space identifier.
    NoIdentifier,
    /// The range is outside user space or already mapped.
    BadRange(u64),
}

impl fmt::Display for SpaceError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpaceError::OutOfMemory => formatter.write_str("out of memory"),
            SpaceError::NoIdentifier => formatter.write_str("no free address-space identifier"),
            SpaceError::BadRange(address) => {
                write!(formatter, "address {address:#x} is outside user space or already mapped")
            }
        }
    }
}

/// One process's address space. Pages mapped with [`AddressSpace::map_new_page`] belong to
/// it and are freed with it.
pub struct AddressSpace {
    root: u64,
    identifier: u16,
}

impl AddressSpace {
    /// An empty address space (the kernel half shared, nothing in the user half).
    ///
    /// # Errors
    ///
    /// [`SpaceError::OutOfMemory`] or [`SpaceError::NoIdentifier`].
    pub fn new() -> Result<Self, SpaceError> {
        let identifier = allocate_identifier().ok_or(SpaceError::NoIdentifier)?;
        let Some(root) = allocate_zeroed_frame() else {
            free_identifier(identifier);
            return Err(SpaceError::OutOfMemory);
        };
        let root = root.into_address();
        // SAFETY: `root` is a newly allocated, zeroed frame owned by this address space and
        // the kernel root is a live table; both are reachable in the direct map and
        // distinct.
        unsafe {
            let user_root = &mut *(direct_map(root) as *mut Table);
            let kernel = &*(direct_map(kernel_root()) as *const Table);
            arch::initialize_user_root(user_root, kernel);
        }
        Ok(AddressSpace { root, identifier })
    }

    fn table(&self) -> PageTable<arch::Paging> {
        PageTable::new(self.root)
    }

    /// Makes this the current user address space.
    pub fn activate(&self) {
        // SAFETY: the root was built by `initialize_user_root` and its user half maps only
        // pages this address space owns.
        unsafe { arch::activate_user_root(self.root, self.identifier) };
    }

    /// Maps a new zeroed page at `address` with `access` (made user-accessible). If a page
    /// is already there, its rights become the union of both.
    ///
    /// # Errors
    ///
    /// [`SpaceError::BadRange`] outside user space, [`SpaceError::OutOfMemory`].
    pub fn map_new_page(&mut self, address: u64, access: Access) -> Result<(), SpaceError> {
        let address = align_down(address, PAGE_SIZE);
        if address == 0 || address >= USER_SPACE_END as u64 {
            return Err(SpaceError::BadRange(address));
        }
        let access = Access { user: true, ..access };
        let mut table = self.table();
        if let Some(existing) = table.translate(&mut UserTables, address) {
            let merged = Access {
                write: existing.attributes.access.write || access.write,
                execute: existing.attributes.access.execute || access.execute,
                user: true,
            };
            let _ = table.protect(&mut UserTables, address, user_attributes(merged));
            arch::flush_page(address, self.identifier);
            return Ok(());
        }
        let frame = allocate_zeroed_frame().ok_or(SpaceError::OutOfMemory)?;
        let physical = frame.into_address();
        match table.map(&mut UserTables, address, physical, user_attributes(access), 0) {
            Ok(()) => Ok(()),
            Err(error) => {
                // SAFETY: the frame was not stored anywhere; take it back to free it.
                free_frame(unsafe { Frame::from_address(physical) });
                Err(match error {
                    MapError::OutOfMemory => SpaceError::OutOfMemory,
                    _ => SpaceError::BadRange(address),
                })
            }
        }
    }

    /// Calls `chunk` with each piece of `[address, address + length)` as the physical
    /// address and length of the part inside one page, after checking the whole range is
    /// mapped with `needed` rights (user access always). Nothing is called if any page
    /// fails the check.
    fn for_each_piece(
        &self,
        address: u64,
        length: u64,
        needed: Option<Access>,
        mut chunk: impl FnMut(u64, usize, usize),
    ) -> Result<(), BadAddress> {
        if length == 0 {
            return Ok(());
        }
        let end = address.checked_add(length).ok_or(BadAddress(address))?;
        if end > USER_SPACE_END as u64 {
            return Err(BadAddress(address.max(USER_SPACE_END as u64)));
        }
        let table = self.table();
        let check = |page: u64| -> Result<u64, BadAddress> {
            let found = table.translate(&mut UserTables, page).ok_or(BadAddress(page))?;
            if let Some(needed) = needed {
                let rights = found.attributes.access;
                if !rights.user || (needed.write && !rights.write) {
                    return Err(BadAddress(page));
                }
            }
            Ok(found.physical)
        };
        let mut page = align_down(address, PAGE_SIZE);
        while page < end {
            check(page)?;
            page += PAGE_SIZE;
        }
        let mut done = 0usize;
        let mut current = address;
        while current < end {
            let page_end = (align_down(current, PAGE_SIZE) + PAGE_SIZE).min(end);
            let piece = (page_end - current) as usize;
            let physical = check(align_down(current, PAGE_SIZE))? + (current % PAGE_SIZE);
            chunk(physical, done, piece);
            done += piece;
            current = page_end;
        }
        Ok(())
    }

    /// Copies user memory at `address` into `buffer`; the range must be user-readable.
    ///
    /// # Errors
    ///
    /// [`BadAddress`] naming the first page that is not mapped for user reads.
    pub fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), BadAddress> {
        let needed = Access { write: false, execute: false, user: true };
        self.for_each_piece(
            address,
            buffer.len() as u64,
            Some(needed),
            |physical, offset, length| {
                // SAFETY: `physical..physical + length` lies in one frame mapped in this address
                // space (checked), reachable in the direct map; `buffer[offset..offset+length]`
                // is in bounds by construction.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        direct_map(physical) as *const u8,
                        buffer.as_mut_ptr().add(offset),
                        length,
                    );
                }
            },
        )
    }

    /// Copies `bytes` into user memory at `address`; the range must be user-writable.
    ///
    /// # Errors
    ///
    /// [`BadAddress`] naming the first page that is not mapped for user writes.
    pub fn write(&self, address: u64, bytes: &[u8]) -> Result<(), BadAddress> {
        let needed = Access { write: true, execute: false, user: true };
        self.for_each_piece(
            address,
            bytes.len() as u64,
            Some(needed),
            |physical, offset, length| {
                // SAFETY: as in `read`, in the other direction.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        bytes.as_ptr().add(offset),
                        direct_map(physical) as *mut u8,
                        length,
                    );
                }
            },
        )
    }

    /// Copies `bytes` to `address` whatever the page rights (the loader filling read-only
    /// segments); the pages must be mapped.
    ///
    /// # Errors
    ///
    /// [`BadAddress`] for an unmapped page.
    pub fn write_ignoring_rights(&self, address: u64, bytes: &[u8]) -> Result<(), BadAddress> {
        self.for_each_piece(address, bytes.len() as u64, None, |physical, offset, length| {
            // SAFETY: as in `write`.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    bytes.as_ptr().add(offset),
                    direct_map(physical) as *mut u8,
                    length,
                );
            }
        })
    }

    /// Whether `[address, address + length)` is mapped readable for user mode.
    pub fn is_readable(&self, address: u64, length: u64) -> bool {
        let needed = Access { write: false, execute: false, user: true };
        self.for_each_piece(address, length, Some(needed), |_, _, _| {}).is_ok()
    }
}

fn user_attributes(access: Access) -> Attributes {
    Attributes { access, caching: Caching::Normal, global: false }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        // Never free the tables the processor is using.
        if arch::current_root() == self.root {
            // SAFETY: the kernel-only tables map all kernel code and data.
            unsafe { arch::activate_kernel_only(kernel_root()) };
        }
        let mut table = self.table();
        table.clear_range(&mut UserTables, 0, USER_SPACE_END as u64, |leaf| {
            // SAFETY: every user leaf maps a frame this address space allocated in
            // `map_new_page` and gave up with `into_address`.
            free_frame(unsafe { Frame::from_address(leaf.leaf_base) });
        });
        arch::flush_everything();
        // SAFETY: the root was allocated in `new` and no entry references it any more
        // (the kernel switches away from an address space before dropping it).
        free_frame(unsafe { Frame::from_address(self.root) });
        free_identifier(self.identifier);
    }
}
