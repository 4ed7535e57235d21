//! User address spaces: a root page table per process and the page mappings in it.
//!
//! The portable kernel (`executive`) decides what is mapped where and owns the frames;
//! this type only edits the process's page tables (through the portable walker over the
//! direct map) and does the TLB maintenance. Dropping an address space frees its page
//! tables; by then the kernel has unmapped every page.

use alloc::vec::Vec;

use courier_abi::KernelError;
use courier_abi::layout::USER_SPACE_END;

use crate::arch;
use crate::executive::platform::UserSpace;
use crate::mm::frame::Frame;
use crate::mm::kernel_space::{allocate_zeroed_frame, direct_map, free_frame, kernel_root};
use crate::mm::page_table::{Access, Attributes, Caching, MapError, PageTable, Table, TableMemory};

/// Above this many pages, unmapping a range flushes the whole TLB instead of each page.
const FLUSH_ONE_BY_ONE: usize = 32;

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

/// What switching to an address space takes: its root table and identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceToken {
    root: u64,
    identifier: u16,
}

impl SpaceToken {
    /// Makes this the current user address space.
    pub fn activate(self) {
        // SAFETY: the token was taken from a live address space whose root was built by
        // `initialize_user_root` and maps only pages the kernel gave its process; the
        // kernel drops a process's threads (and their tokens) before its space.
        unsafe { arch::activate_user_root(self.root, self.identifier) };
    }
}

/// One process's page tables.
pub struct AddressSpace {
    root: u64,
    identifier: u16,
}

fn user_attributes(access: Access) -> Attributes {
    Attributes { access: Access { user: true, ..access }, caching: Caching::Normal, global: false }
}

impl AddressSpace {
    /// An empty address space (the kernel half shared, nothing in the user half).
    ///
    /// # Errors
    ///
    /// `OutOfMemory`, or `LimitReached` when no address-space identifier is free.
    pub fn new() -> Result<Self, KernelError> {
        let identifier = allocate_identifier().ok_or(KernelError::LimitReached)?;
        let Some(root) = allocate_zeroed_frame() else {
            free_identifier(identifier);
            return Err(KernelError::OutOfMemory);
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
}

impl UserSpace for AddressSpace {
    type Token = SpaceToken;

    fn token(&self) -> SpaceToken {
        SpaceToken { root: self.root, identifier: self.identifier }
    }

    fn map(&mut self, address: u64, physical: u64, access: Access) -> Result<(), KernelError> {
        if address >= USER_SPACE_END as u64 {
            return Err(KernelError::BadAddress);
        }
        match self.table().map(&mut UserTables, address, physical, user_attributes(access), 0) {
            Ok(()) => Ok(()),
            Err(MapError::OutOfMemory) => Err(KernelError::OutOfMemory),
            Err(MapError::AlreadyMapped) => Err(KernelError::AddressInUse),
            Err(MapError::Misaligned) => Err(KernelError::InvalidArgument),
        }
    }

    fn unmap(&mut self, address: u64) -> Option<u64> {
        let removed = self.table().unmap(&mut UserTables, address)?;
        arch::flush_page(address, self.identifier);
        Some(removed.leaf_base)
    }

    fn unmap_range(&mut self, start: u64, end: u64, unmapped: &mut dyn FnMut(u64)) {
        let end = end.min(USER_SPACE_END as u64);
        let mut pages = Vec::new();
        let mut count = 0usize;
        self.table().unmap_range(&mut UserTables, start, end, |address, found| {
            count += 1;
            if pages.len() < FLUSH_ONE_BY_ONE && pages.try_reserve(1).is_ok() {
                pages.push(address);
            }
            unmapped(found.leaf_base);
        });
        if count > pages.len() {
            arch::flush_everything();
        } else {
            for address in pages {
                arch::flush_page(address, self.identifier);
            }
        }
    }

    fn protect(&mut self, address: u64, access: Access) -> bool {
        let changed =
            self.table().protect(&mut UserTables, address, user_attributes(access)).is_some();
        if changed {
            arch::flush_page(address, self.identifier);
        }
        changed
    }

    fn translate(&self, address: u64) -> Option<(u64, Access)> {
        if address >= USER_SPACE_END as u64 {
            return None;
        }
        let found = self.table().translate(&mut UserTables, address)?;
        found.attributes.access.user.then_some((found.physical, found.attributes.access))
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        // Never free the tables the processor is using.
        if arch::current_root() == self.root {
            // SAFETY: the kernel-only tables map all kernel code and data.
            unsafe { arch::activate_kernel_only(kernel_root()) };
        }
        let mut leaked = 0u64;
        self.table().clear_range(&mut UserTables, 0, USER_SPACE_END as u64, |_| leaked += 1);
        if leaked != 0 {
            log::error!("an address space was destroyed with {leaked} pages still mapped");
        }
        arch::flush_everything();
        // SAFETY: the root was allocated in `new` and no entry references it any more.
        free_frame(unsafe { Frame::from_address(self.root) });
        free_identifier(self.identifier);
    }
}
