//! A portable four-level page-table walker.
//!
//! x86_64 (4-level paging) and aarch64 (4 KiB granule, 48-bit input) share the same
//! shape: four levels of 512 eight-byte entries, each level translating 9 bits of the
//! virtual address above the 12-bit page offset. Only the bits inside an entry differ;
//! the architecture supplies them through [`PageTableFormat`]. Tables are reached through
//! [`TableMemory`], which the kernel implements over its direct map and the host tests
//! over simulated memory.
//!
//! Levels are numbered from the leaves: level 0 maps 4 KiB pages, level 1 2 MiB blocks,
//! level 2 1 GiB blocks, and level 3 is the root. The walker never flushes TLBs: it reports
//! what changed and the caller does the architecture's maintenance.

use core::fmt;
use core::marker::PhantomData;

/// Entries in one table.
pub const ENTRIES: usize = 512;

/// One page table: 512 entries filling one 4 KiB frame.
pub type Table = [u64; ENTRIES];

/// Number of levels; level `LEVELS - 1` is the root.
pub const LEVELS: usize = 4;

/// Size of the region one entry at `level` maps.
pub const fn level_size(level: usize) -> u64 {
    1 << (12 + 9 * level)
}

/// The index into the table at `level` for `virtual_address`.
pub const fn index(virtual_address: u64, level: usize) -> usize {
    ((virtual_address >> (12 + 9 * level)) & (ENTRIES as u64 - 1)) as usize
}

/// How a mapping may be accessed. Every mapping can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// Writes allowed.
    pub write: bool,
    /// Instruction fetches allowed.
    pub execute: bool,
    /// User mode may access it (otherwise kernel only).
    pub user: bool,
}

impl Access {
    /// Kernel read-only data.
    pub const KERNEL_READ: Access = Access { write: false, execute: false, user: false };
    /// Kernel read-write data.
    pub const KERNEL_WRITE: Access = Access { write: true, execute: false, user: false };
    /// Kernel code.
    pub const KERNEL_EXECUTE: Access = Access { write: false, execute: true, user: false };
}

/// The memory type of a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caching {
    /// Ordinary write-back cacheable RAM.
    Normal,
    /// Device registers: uncached, no speculation, no merging.
    Device,
}

/// Everything about a leaf mapping except its physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attributes {
    /// Access rights.
    pub access: Access,
    /// Memory type.
    pub caching: Caching,
    /// Shared by every address space (not tagged with an address-space identifier).
    pub global: bool,
}

impl Attributes {
    /// Normal memory with `access`, global when it is kernel memory.
    pub const fn normal(access: Access) -> Self {
        Attributes { access, caching: Caching::Normal, global: !access.user }
    }

    /// Kernel device registers.
    pub const fn device() -> Self {
        Attributes { access: Access::KERNEL_WRITE, caching: Caching::Device, global: true }
    }
}

/// The bits of page-table entries on one architecture.
pub trait PageTableFormat {
    /// Whether `level` may hold a leaf (1 for 2 MiB blocks, 2 for 1 GiB blocks; 0 always).
    fn supports_leaf(level: usize) -> bool;
    /// An entry pointing at the next-level table at physical `table`. `user` says whether
    /// user mappings may lie below it (x86_64 needs the user bit at every level).
    fn table_entry(table: u64, user: bool) -> u64;
    /// A leaf entry mapping physical `address` at `level`.
    fn leaf_entry(address: u64, attributes: Attributes, level: usize) -> u64;
    /// Whether the valid table `entry` lets user mappings below it be used.
    fn table_allows_user(entry: u64) -> bool;
    /// Whether `entry` is valid (present).
    fn is_valid(entry: u64) -> bool;
    /// Whether a valid `entry` at `level` points at a next-level table (rather than being
    /// a leaf).
    fn is_table(entry: u64, level: usize) -> bool;
    /// The physical address in a valid entry (table or leaf).
    fn address(entry: u64, level: usize) -> u64;
    /// The attributes of a valid leaf entry.
    fn attributes(entry: u64, level: usize) -> Attributes;
}

/// Access to page-table frames.
///
/// # Safety
///
/// Implementations must return, from [`TableMemory::table`], a pointer through which the
/// walker may read and write the whole 4 KiB table at that physical address for as long as
/// the walker runs, and which no other code accesses meanwhile; and
/// [`TableMemory::allocate_table`] must return zeroed frames owned by nobody else.
pub unsafe trait TableMemory {
    /// A pointer to the table stored in the frame at physical `address`.
    fn table(&mut self, address: u64) -> *mut Table;
    /// A new zeroed table frame, or `None` when memory is exhausted.
    fn allocate_table(&mut self) -> Option<u64>;
    /// Gives back a table frame that no entry references any more.
    fn free_table(&mut self, address: u64);
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Something is already mapped there.
    AlreadyMapped,
    /// No memory for an intermediate table.
    OutOfMemory,
    /// The address or level is not usable (misaligned, or a level the format cannot map).
    Misaligned,
}

impl fmt::Display for MapError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            MapError::AlreadyMapped => "address already mapped",
            MapError::OutOfMemory => "out of memory for page tables",
            MapError::Misaligned => "misaligned address or unsupported mapping size",
        })
    }
}

/// A leaf found by a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address the virtual address translates to (including the page offset).
    pub physical: u64,
    /// Physical address of the start of the leaf (page or block).
    pub leaf_base: u64,
    /// The level of the leaf.
    pub level: usize,
    /// The leaf's attributes.
    pub attributes: Attributes,
}

/// A page-table hierarchy with a root table at a physical address.
pub struct PageTable<F: PageTableFormat> {
    root: u64,
    format: PhantomData<F>,
}

impl<F: PageTableFormat> PageTable<F> {
    /// The hierarchy whose root table is at physical `root`.
    pub const fn new(root: u64) -> Self {
        PageTable { root, format: PhantomData }
    }

    /// Physical address of the root table.
    pub const fn root(&self) -> u64 {
        self.root
    }

    fn entry_pointer(memory: &mut impl TableMemory, table: u64, index: usize) -> *mut u64 {
        let table = memory.table(table);
        // SAFETY: `index` < ENTRIES (every caller masks it with `index()`), and
        // `TableMemory` guarantees `table` points at a whole table.
        unsafe { table.cast::<u64>().add(index) }
    }

    fn read(memory: &mut impl TableMemory, table: u64, index: usize) -> u64 {
        let pointer = Self::entry_pointer(memory, table, index);
        // SAFETY: `pointer` is inside a table `TableMemory` lets the walker access; a
        // volatile read because the MMU reads the same memory.
        unsafe { pointer.read_volatile() }
    }

    fn write(memory: &mut impl TableMemory, table: u64, index: usize, entry: u64) {
        let pointer = Self::entry_pointer(memory, table, index);
        // SAFETY: as for `read`; a volatile write so the store is not elided or merged.
        unsafe { pointer.write_volatile(entry) }
    }

    /// Maps `virtual_address` to `physical` with a leaf at `level` (0 for a 4 KiB page).
    ///
    /// # Errors
    ///
    /// [`MapError::Misaligned`] when either address is not aligned to the leaf size or the
    /// format has no leaves at `level`; [`MapError::AlreadyMapped`] when a leaf or (for a
    /// block) a table is in the way; [`MapError::OutOfMemory`] when a table cannot be
    /// allocated. Tables allocated before a failure stay in place (empty) and are freed
    /// with the hierarchy.
    pub fn map(
        &mut self,
        memory: &mut impl TableMemory,
        virtual_address: u64,
        physical: u64,
        attributes: Attributes,
        level: usize,
    ) -> Result<(), MapError> {
        let size = level_size(level);
        if level >= LEVELS - 1
            || !F::supports_leaf(level)
            || !virtual_address.is_multiple_of(size)
            || !physical.is_multiple_of(size)
        {
            return Err(MapError::Misaligned);
        }
        let mut table = self.root;
        for current in (level + 1..LEVELS).rev() {
            let slot = index(virtual_address, current);
            let entry = Self::read(memory, table, slot);
            table = if !F::is_valid(entry) {
                let next = memory.allocate_table().ok_or(MapError::OutOfMemory)?;
                Self::write(memory, table, slot, F::table_entry(next, attributes.access.user));
                next
            } else if F::is_table(entry, current) {
                if attributes.access.user && !F::table_allows_user(entry) {
                    Self::write(
                        memory,
                        table,
                        slot,
                        F::table_entry(F::address(entry, current), true),
                    );
                }
                F::address(entry, current)
            } else {
                return Err(MapError::AlreadyMapped);
            };
        }
        let slot = index(virtual_address, level);
        if F::is_valid(Self::read(memory, table, slot)) {
            return Err(MapError::AlreadyMapped);
        }
        Self::write(memory, table, slot, F::leaf_entry(physical, attributes, level));
        Ok(())
    }

    /// Finds the leaf that maps `virtual_address`.
    pub fn translate(
        &self,
        memory: &mut impl TableMemory,
        virtual_address: u64,
    ) -> Option<Translation> {
        let mut table = self.root;
        for level in (0..LEVELS).rev() {
            let entry = Self::read(memory, table, index(virtual_address, level));
            if !F::is_valid(entry) {
                return None;
            }
            if level > 0 && F::is_table(entry, level) {
                table = F::address(entry, level);
                continue;
            }
            let leaf_base = F::address(entry, level);
            let offset = virtual_address & (level_size(level) - 1);
            return Some(Translation {
                physical: leaf_base + offset,
                leaf_base,
                level,
                attributes: F::attributes(entry, level),
            });
        }
        None
    }

    /// Finds the table holding the leaf for `virtual_address`: `(table, slot, level)`.
    fn find_leaf(
        &self,
        memory: &mut impl TableMemory,
        virtual_address: u64,
    ) -> Option<(u64, usize, usize)> {
        let mut table = self.root;
        for level in (0..LEVELS).rev() {
            let slot = index(virtual_address, level);
            let entry = Self::read(memory, table, slot);
            if !F::is_valid(entry) {
                return None;
            }
            if level > 0 && F::is_table(entry, level) {
                table = F::address(entry, level);
                continue;
            }
            return Some((table, slot, level));
        }
        None
    }

    /// Removes the leaf that maps `virtual_address` (which must be the leaf's first
    /// address) and returns what it mapped. The caller flushes the TLB.
    pub fn unmap(
        &mut self,
        memory: &mut impl TableMemory,
        virtual_address: u64,
    ) -> Option<Translation> {
        let translation = self.translate(memory, virtual_address)?;
        if !virtual_address.is_multiple_of(level_size(translation.level)) {
            return None;
        }
        let (table, slot, _) = self.find_leaf(memory, virtual_address)?;
        Self::write(memory, table, slot, 0);
        Some(translation)
    }

    /// Changes the attributes of the leaf that maps `virtual_address`; returns the old
    /// ones. The caller flushes the TLB.
    pub fn protect(
        &mut self,
        memory: &mut impl TableMemory,
        virtual_address: u64,
        attributes: Attributes,
    ) -> Option<Attributes> {
        let translation = self.translate(memory, virtual_address)?;
        let (table, slot, level) = self.find_leaf(memory, virtual_address)?;
        if attributes.access.user && !translation.attributes.access.user {
            // Making a kernel leaf user-accessible would need the user bit on every table
            // above it; the kernel never does that, so refuse.
            return None;
        }
        Self::write(memory, table, slot, F::leaf_entry(translation.leaf_base, attributes, level));
        Some(translation.attributes)
    }

    /// Removes every leaf that lies wholly inside `[start, end)`, skipping absent tables a
    /// whole table at a time (so a huge, mostly empty range costs little); `leaf` is
    /// called with each removed leaf's virtual address and translation. Tables stay in
    /// place (they go with the hierarchy); the caller flushes the TLB.
    pub fn unmap_range(
        &mut self,
        memory: &mut impl TableMemory,
        start: u64,
        end: u64,
        mut leaf: impl FnMut(u64, Translation),
    ) {
        if start < end {
            Self::unmap_in(memory, self.root, LEVELS - 1, 0, start, end, &mut leaf);
        }
    }

    fn unmap_in(
        memory: &mut impl TableMemory,
        table: u64,
        level: usize,
        base: u64,
        start: u64,
        end: u64,
        leaf: &mut impl FnMut(u64, Translation),
    ) {
        let size = level_size(level);
        let first = if start > base { ((start - base) / size) as usize } else { 0 };
        for slot in first..ENTRIES {
            let slot_start = base + slot as u64 * size;
            if slot_start >= end {
                break;
            }
            let entry = Self::read(memory, table, slot);
            if !F::is_valid(entry) {
                continue;
            }
            if level > 0 && F::is_table(entry, level) {
                let next = F::address(entry, level);
                Self::unmap_in(memory, next, level - 1, slot_start, start, end, leaf);
            } else if slot_start >= start && slot_start.saturating_add(size) <= end {
                let leaf_base = F::address(entry, level);
                leaf(
                    slot_start,
                    Translation {
                        physical: leaf_base,
                        leaf_base,
                        level,
                        attributes: F::attributes(entry, level),
                    },
                );
                Self::write(memory, table, slot, 0);
            }
        }
    }

    /// Removes every leaf in `[start, end)` (which must be aligned to the root entries it
    /// covers, 512 GiB) and frees every table below those root entries. `leaf` is called
    /// with each removed leaf so the caller can release what it mapped.
    pub fn clear_range(
        &mut self,
        memory: &mut impl TableMemory,
        start: u64,
        end: u64,
        mut leaf: impl FnMut(Translation),
    ) {
        let root_size = level_size(LEVELS - 1);
        let mut address = start;
        while address < end {
            let slot = index(address, LEVELS - 1);
            let entry = Self::read(memory, self.root, slot);
            if F::is_valid(entry) && F::is_table(entry, LEVELS - 1) {
                let table = F::address(entry, LEVELS - 1);
                Self::clear_table(memory, table, LEVELS - 2, address, &mut leaf);
                memory.free_table(table);
                Self::write(memory, self.root, slot, 0);
            }
            match address.checked_add(root_size) {
                Some(next) => address = next,
                None => break,
            }
        }
    }

    fn clear_table(
        memory: &mut impl TableMemory,
        table: u64,
        level: usize,
        base: u64,
        leaf: &mut impl FnMut(Translation),
    ) {
        for slot in 0..ENTRIES {
            let entry = Self::read(memory, table, slot);
            if !F::is_valid(entry) {
                continue;
            }
            let address = base + slot as u64 * level_size(level);
            if level > 0 && F::is_table(entry, level) {
                let next = F::address(entry, level);
                Self::clear_table(memory, next, level - 1, address, leaf);
                memory.free_table(next);
            } else {
                let leaf_base = F::address(entry, level);
                leaf(Translation {
                    physical: leaf_base,
                    leaf_base,
                    level,
                    attributes: F::attributes(entry, level),
                });
            }
            Self::write(memory, table, slot, 0);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// An x86_64-like format: present bit 0, write bit 1, user bit 2, leaf-size bit 7,
    /// no-execute bit 63, device = cache-disable bit 4, global bit 8.
    pub(crate) struct TestFormat;

    const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;

    impl PageTableFormat for TestFormat {
        fn supports_leaf(level: usize) -> bool {
            level <= 2
        }
        fn table_entry(table: u64, user: bool) -> u64 {
            table | 0b11 | if user { 0b100 } else { 0 }
        }
        fn leaf_entry(address: u64, attributes: Attributes, level: usize) -> u64 {
            let mut entry = address | 1;
            if attributes.access.write {
                entry |= 1 << 1;
            }
            if attributes.access.user {
                entry |= 1 << 2;
            }
            if attributes.caching == Caching::Device {
                entry |= 1 << 4;
            }
            if level > 0 {
                entry |= 1 << 7;
            }
            if attributes.global {
                entry |= 1 << 8;
            }
            if !attributes.access.execute {
                entry |= 1 << 63;
            }
            entry
        }
        fn table_allows_user(entry: u64) -> bool {
            entry & 0b100 != 0
        }
        fn is_valid(entry: u64) -> bool {
            entry & 1 != 0
        }
        fn is_table(entry: u64, level: usize) -> bool {
            level > 0 && entry & (1 << 7) == 0
        }
        fn address(entry: u64, _level: usize) -> u64 {
            entry & ADDRESS_MASK
        }
        fn attributes(entry: u64, _level: usize) -> Attributes {
            Attributes {
                access: Access {
                    write: entry & 2 != 0,
                    execute: entry & (1 << 63) == 0,
                    user: entry & 4 != 0,
                },
                caching: if entry & (1 << 4) != 0 { Caching::Device } else { Caching::Normal },
                global: entry & (1 << 8) != 0,
            }
        }
    }

    /// Simulated physical memory for tables, with a frame budget.
    pub(crate) struct SimulatedMemory {
        tables: BTreeMap<u64, Box<Table>>,
        next: u64,
        pub(crate) budget: usize,
        pub(crate) freed: BTreeSet<u64>,
    }

    impl SimulatedMemory {
        pub(crate) fn new(budget: usize) -> Self {
            let mut memory = SimulatedMemory {
                tables: BTreeMap::new(),
                next: 0x10_0000,
                budget,
                freed: BTreeSet::new(),
            };
            memory.tables.insert(0x1000, Box::new([0; ENTRIES]));
            memory
        }
        pub(crate) fn live_tables(&self) -> usize {
            self.tables.len()
        }
    }

    // SAFETY: each table is a separate boxed array that lives in the map until freed, and
    // the walker is the only user of the map while it runs.
    unsafe impl TableMemory for SimulatedMemory {
        fn table(&mut self, address: u64) -> *mut Table {
            let table = self.tables.get_mut(&address).expect("walker reached an unknown table");
            &raw mut **table
        }
        fn allocate_table(&mut self) -> Option<u64> {
            if self.budget == 0 {
                return None;
            }
            self.budget -= 1;
            let address = self.next;
            self.next += 0x1000;
            self.tables.insert(address, Box::new([0; ENTRIES]));
            Some(address)
        }
        fn free_table(&mut self, address: u64) {
            assert!(self.tables.remove(&address).is_some(), "freed an unknown table");
            assert!(self.freed.insert(address), "table freed twice");
        }
    }

    const USER_DATA: Attributes = Attributes {
        access: Access { write: true, execute: false, user: true },
        caching: Caching::Normal,
        global: false,
    };

    #[test]
    fn maps_translates_protects_and_unmaps_pages() {
        let mut memory = SimulatedMemory::new(16);
        let mut table = PageTable::<TestFormat>::new(0x1000);
        table.map(&mut memory, 0x40_0000, 0x20_0000, USER_DATA, 0).unwrap();
        assert_eq!(memory.live_tables(), 4);
        let found = table.translate(&mut memory, 0x40_0123).unwrap();
        assert_eq!(found.physical, 0x20_0123);
        assert_eq!(found.attributes, USER_DATA);
        assert_eq!(
            table.map(&mut memory, 0x40_0000, 0x30_0000, USER_DATA, 0),
            Err(MapError::AlreadyMapped)
        );
        let read_only =
            Attributes { access: Access { write: false, ..USER_DATA.access }, ..USER_DATA };
        assert_eq!(table.protect(&mut memory, 0x40_0000, read_only), Some(USER_DATA));
        assert_eq!(table.translate(&mut memory, 0x40_0000).unwrap().attributes, read_only);
        assert_eq!(table.unmap(&mut memory, 0x40_0000).unwrap().physical, 0x20_0000);
        assert_eq!(table.translate(&mut memory, 0x40_0000), None);
        assert_eq!(table.unmap(&mut memory, 0x40_0000), None);
    }

    #[test]
    fn blocks_need_alignment_and_translate_with_offsets() {
        let mut memory = SimulatedMemory::new(16);
        let mut table = PageTable::<TestFormat>::new(0x1000);
        let kernel = Attributes::normal(Access::KERNEL_WRITE);
        assert_eq!(
            table.map(&mut memory, 0x20_1000, 0x20_0000, kernel, 1),
            Err(MapError::Misaligned)
        );
        assert_eq!(table.map(&mut memory, 0, 0, kernel, 3), Err(MapError::Misaligned));
        table.map(&mut memory, 0xffff_8000_4000_0000, 0x4000_0000, kernel, 2).unwrap();
        let found = table.translate(&mut memory, 0xffff_8000_4123_4567).unwrap();
        assert_eq!(found.physical, 0x4123_4567);
        assert_eq!(found.level, 2);
        assert_eq!(
            table.map(&mut memory, 0xffff_8000_4000_0000, 0x1000, kernel, 0),
            Err(MapError::AlreadyMapped)
        );
    }

    #[test]
    fn running_out_of_tables_is_an_error() {
        let mut memory = SimulatedMemory::new(2);
        let mut table = PageTable::<TestFormat>::new(0x1000);
        assert_eq!(
            table.map(&mut memory, 0x40_0000, 0x1000, USER_DATA, 0),
            Err(MapError::OutOfMemory)
        );
    }

    #[test]
    fn kernel_tables_gain_the_user_bit_when_user_pages_are_added() {
        let mut memory = SimulatedMemory::new(16);
        let mut table = PageTable::<TestFormat>::new(0x1000);
        let kernel = Attributes::normal(Access::KERNEL_WRITE);
        table.map(&mut memory, 0x40_0000, 0x1000, kernel, 0).unwrap();
        table.map(&mut memory, 0x40_1000, 0x2000, USER_DATA, 0).unwrap();
        let root_entry = memory.tables[&0x1000][index(0x40_0000, 3)];
        assert_ne!(root_entry & 0b100, 0);
    }

    proptest! {
        /// Random map/unmap/protect sequences agree with a map model, and clearing the
        /// user range frees every table and reports every leaf.
        #[test]
        fn agrees_with_a_model(
            operations in proptest::collection::vec((0u8..4, 0u64..64, 0u64..4, any::<bool>()), 1..200)
        ) {
            let mut memory = SimulatedMemory::new(1 << 20);
            let mut table = PageTable::<TestFormat>::new(0x1000);
            let mut model: BTreeMap<u64, (u64, bool)> = BTreeMap::new();
            for (kind, page, region, write) in operations {
                // Pages spread over several root entries so several tables get built.
                let address = region * (1 << 39) + page * 0x1000 + 0x1000;
                let attributes = Attributes {
                    access: Access { write, execute: false, user: true },
                    caching: Caching::Normal,
                    global: false,
                };
                match kind {
                    0 => {
                        let result = table.map(&mut memory, address, page * 0x1000, attributes, 0);
                        if let std::collections::btree_map::Entry::Vacant(e) = model.entry(address) {
                            prop_assert_eq!(result, Ok(()));
                            e.insert((page * 0x1000, write));
                        } else {
                            prop_assert_eq!(result, Err(MapError::AlreadyMapped));
                        }
                    }
                    1 => {
                        let removed = table.unmap(&mut memory, address).map(|t| t.physical);
                        prop_assert_eq!(removed, model.remove(&address).map(|(physical, _)| physical));
                    }
                    3 => {
                        // A range of a few pages, or one across a root-entry boundary.
                        let end = if write { address + 8 * 0x1000 } else { address + (1 << 39) };
                        let mut removed = Vec::new();
                        table.unmap_range(&mut memory, address, end, |at, found| removed.push((at, found.physical)));
                        let expected: Vec<(u64, u64)> = model
                            .range(address..end)
                            .map(|(&at, &(physical, _))| (at, physical))
                            .collect();
                        prop_assert_eq!(&removed, &expected);
                        for (at, _) in expected {
                            model.remove(&at);
                        }
                    }
                    _ => {
                        let old = table.protect(&mut memory, address, attributes);
                        match model.get_mut(&address) {
                            Some(entry) => {
                                prop_assert_eq!(old.map(|a| a.access.write), Some(entry.1));
                                entry.1 = write;
                            }
                            None => prop_assert_eq!(old, None),
                        }
                    }
                }
            }
            for (&address, &(physical, write)) in &model {
                let found = table.translate(&mut memory, address).unwrap();
                prop_assert_eq!(found.physical, physical);
                prop_assert_eq!(found.attributes.access.write, write);
            }
            let mut leaves = 0;
            table.clear_range(&mut memory, 0, 4 << 39, |_| leaves += 1);
            prop_assert_eq!(leaves, model.len());
            prop_assert_eq!(memory.live_tables(), 1);
        }
    }
}
