//! The physical frame allocator: one bit per 4 KiB frame.
//!
//! The bitmap covers the physical range from the lowest to the highest usable address;
//! a set bit means the frame is free. Frames outside usable memory are never set, so they
//! can never be handed out, and freeing them is refused. Allocation scans from a hint
//! (the lowest word that may hold a free frame), so the common case is a few word reads.
//!
//! An allocated frame is a [`Frame`]: it is not `Copy`, and the only way to give it back
//! is [`FrameAllocator::free`], which consumes it. Code that stores a frame in a hardware
//! structure (a page-table entry) turns it into a raw address with [`Frame::into_address`]
//! and takes it back with the unsafe [`Frame::from_address`].

use core::fmt;

use super::PAGE_SIZE;

/// One allocated 4 KiB physical frame, owned by whoever holds this value.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame that is dropped without being freed is leaked"]
pub struct Frame(u64);

impl Frame {
    /// The frame's physical address.
    pub const fn address(&self) -> u64 {
        self.0
    }

    /// Gives up ownership, returning the address (to store in a page-table entry).
    pub const fn into_address(self) -> u64 {
        self.0
    }

    /// Takes back ownership of a frame given up with [`Frame::into_address`].
    ///
    /// # Safety
    ///
    /// `address` must come from `into_address` of a frame from this kernel's allocator,
    /// and no other `Frame` for it may exist (each `into_address` is matched by at most
    /// one `from_address`).
    pub const unsafe fn from_address(address: u64) -> Frame {
        Frame(address)
    }
}

/// Why a frame could not be freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The address is not page aligned or not inside managed memory.
    NotManaged(u64),
    /// The frame was already free.
    DoubleFree(u64),
}

impl fmt::Display for FreeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeError::NotManaged(address) => {
                write!(formatter, "frame {address:#x} is not managed by the allocator")
            }
            FreeError::DoubleFree(address) => write!(formatter, "frame {address:#x} freed twice"),
        }
    }
}

/// The bitmap frame allocator.
pub struct FrameAllocator<'storage> {
    /// Physical address of the frame that bit 0 stands for.
    base: u64,
    /// Number of frames the bitmap covers.
    frame_count: u64,
    /// Bit set = frame free.
    bitmap: &'storage mut [u64],
    /// Frames free now.
    free: u64,
    /// Frames ever added as free (the managed total).
    managed: u64,
    /// No word below this index has a free frame.
    hint: usize,
}

impl<'storage> FrameAllocator<'storage> {
    /// Number of `u64` words a bitmap for `[base, end)` needs.
    pub const fn words_needed(base: u64, end: u64) -> usize {
        let frames = (end.saturating_sub(base)) / PAGE_SIZE;
        frames.div_ceil(64) as usize
    }

    /// An allocator for frames in `[base, end)` with every frame marked in use.
    /// `base` is rounded down and `end` up to page boundaries; `bitmap` must have at least
    /// [`FrameAllocator::words_needed`] words (the covered range is cut to fit otherwise).
    pub fn new(bitmap: &'storage mut [u64], base: u64, end: u64) -> Self {
        let base = super::align_down(base, PAGE_SIZE);
        let wanted = (end.saturating_sub(base)).div_ceil(PAGE_SIZE);
        let frame_count = wanted.min(bitmap.len() as u64 * 64);
        bitmap.fill(0);
        FrameAllocator { base, frame_count, bitmap, free: 0, managed: 0, hint: 0 }
    }

    fn index_of(&self, address: u64) -> Option<u64> {
        if !address.is_multiple_of(PAGE_SIZE) || address < self.base {
            return None;
        }
        let index = (address - self.base) / PAGE_SIZE;
        (index < self.frame_count).then_some(index)
    }

    fn is_free_index(&self, index: u64) -> bool {
        self.bitmap[(index / 64) as usize] & (1 << (index % 64)) != 0
    }

    /// Marks the whole frames inside `[start, end)` free (partial frames at the edges are
    /// left out). Frames outside the covered range are ignored. Returns how many frames
    /// became free.
    pub fn add_free_range(&mut self, start: u64, end: u64) -> u64 {
        let Some((first, last)) = self.index_range(super::align_up(start, PAGE_SIZE), end) else {
            return 0;
        };
        let added = self.set_bits(first, last, true);
        self.free += added;
        self.managed += added;
        if added > 0 {
            self.hint = self.hint.min((first / 64) as usize);
        }
        added
    }

    /// Marks every frame that overlaps `[start, end)` in use and no longer managed (for
    /// reserved ranges found after the free ranges were added). Returns how many free
    /// frames were removed.
    pub fn remove_range(&mut self, start: u64, end: u64) -> u64 {
        let end = super::align_up(end, PAGE_SIZE);
        let Some((first, last)) =
            self.index_range(Some(super::align_down(start, PAGE_SIZE)), end.unwrap_or(u64::MAX))
        else {
            return 0;
        };
        let removed = self.set_bits(first, last, false);
        self.free -= removed;
        self.managed -= removed;
        removed
    }

    /// The frame indices `[first, last)` of whole frames in `[start, end)` that the bitmap
    /// covers, or `None` if there are none.
    fn index_range(&self, start: Option<u64>, end: u64) -> Option<(u64, u64)> {
        let start = start?.max(self.base);
        let end = super::align_down(end, PAGE_SIZE);
        if end <= start {
            return None;
        }
        let first = (start - self.base) / PAGE_SIZE;
        let last = ((end - self.base) / PAGE_SIZE).min(self.frame_count);
        (first < last).then_some((first, last))
    }

    /// Sets (free) or clears (in use) bits `[first, last)` a word at a time; returns how
    /// many bits changed.
    fn set_bits(&mut self, first: u64, last: u64, free: bool) -> u64 {
        let mut changed = 0;
        let mut index = first;
        while index < last {
            let word = (index / 64) as usize;
            let low = index % 64;
            let high = (last - word as u64 * 64).min(64);
            let mask =
                if high - low == 64 { u64::MAX } else { ((1u64 << (high - low)) - 1) << low };
            let before = self.bitmap[word];
            let after = if free { before | mask } else { before & !mask };
            changed += u64::from((before ^ after).count_ones());
            self.bitmap[word] = after;
            index = word as u64 * 64 + high;
        }
        changed
    }

    /// Allocates one frame, or `None` when memory is exhausted.
    pub fn allocate(&mut self) -> Option<Frame> {
        for word_index in self.hint..self.bitmap.len() {
            let word = self.bitmap[word_index];
            if word != 0 {
                let bit = u64::from(word.trailing_zeros());
                let index = word_index as u64 * 64 + bit;
                if index >= self.frame_count {
                    break;
                }
                self.bitmap[word_index] &= !(1 << bit);
                self.free -= 1;
                self.hint = word_index;
                return Some(Frame(self.base + index * PAGE_SIZE));
            }
        }
        self.hint = self.bitmap.len();
        None
    }

    /// Allocates `count` physically contiguous frames whose first address is a multiple of
    /// `alignment` (a power of two, at least a page). Returns the frames in address order.
    pub fn allocate_contiguous(
        &mut self,
        count: u64,
        alignment: u64,
        mut accept: impl FnMut(Frame),
    ) -> bool {
        if count == 0 || !alignment.is_power_of_two() {
            return false;
        }
        let alignment = alignment.max(PAGE_SIZE);
        let Some(mut start) = super::align_up(self.base, alignment) else {
            return false;
        };
        while let Some(first) = self.index_of(start) {
            let Some(last) = first.checked_add(count) else {
                return false;
            };
            if last > self.frame_count {
                return false;
            }
            match (first..last).find(|&index| !self.is_free_index(index)) {
                None => {
                    for index in first..last {
                        self.bitmap[(index / 64) as usize] &= !(1 << (index % 64));
                    }
                    self.free -= count;
                    for index in first..last {
                        accept(Frame(self.base + index * PAGE_SIZE));
                    }
                    return true;
                }
                Some(used) => {
                    let after = self.base + (used + 1) * PAGE_SIZE;
                    match super::align_up(after, alignment) {
                        Some(next) => start = next,
                        None => return false,
                    }
                }
            }
        }
        false
    }

    /// Returns a frame to the allocator.
    ///
    /// # Errors
    ///
    /// [`FreeError::NotManaged`] for a frame outside managed memory and
    /// [`FreeError::DoubleFree`] for a frame that is already free; the frame is then not
    /// freed (a kernel bug, which the caller reports).
    pub fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        let address = frame.into_address();
        let index = self.index_of(address).ok_or(FreeError::NotManaged(address))?;
        if self.is_free_index(index) {
            return Err(FreeError::DoubleFree(address));
        }
        self.bitmap[(index / 64) as usize] |= 1 << (index % 64);
        self.free += 1;
        self.hint = self.hint.min((index / 64) as usize);
        Ok(())
    }

    /// Frames free now.
    pub const fn free_frames(&self) -> u64 {
        self.free
    }

    /// Frames managed (free or allocated).
    pub const fn managed_frames(&self) -> u64 {
        self.managed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn allocates_only_added_frames_and_counts() {
        let mut storage = [0u64; 4];
        let mut allocator = FrameAllocator::new(&mut storage, 0x10_0000, 0x20_0000);
        assert_eq!(allocator.allocate(), None);
        assert_eq!(allocator.add_free_range(0x10_0800, 0x10_4000), 3);
        assert_eq!(allocator.free_frames(), 3);
        let frames: Vec<_> = (0..3).map(|_| allocator.allocate().unwrap()).collect();
        assert_eq!(frames[0].address(), 0x10_1000);
        assert_eq!(allocator.allocate(), None);
        for frame in frames {
            allocator.free(frame).unwrap();
        }
        assert_eq!(allocator.free_frames(), 3);
        assert_eq!(allocator.managed_frames(), 3);
    }

    #[test]
    fn refuses_double_and_foreign_frees() {
        let mut storage = [0u64; 1];
        let mut allocator = FrameAllocator::new(&mut storage, 0, 64 * PAGE_SIZE);
        allocator.add_free_range(0, 4 * PAGE_SIZE);
        let frame = allocator.allocate().unwrap();
        let address = frame.address();
        allocator.free(frame).unwrap();
        // SAFETY: a test double of a frame already freed, to check the refusal.
        let again = unsafe { Frame::from_address(address) };
        assert_eq!(allocator.free(again), Err(FreeError::DoubleFree(address)));
        // SAFETY: an address the allocator never managed.
        let foreign = unsafe { Frame::from_address(1 << 40) };
        assert_eq!(allocator.free(foreign), Err(FreeError::NotManaged(1 << 40)));
        // SAFETY: an unaligned address.
        let unaligned = unsafe { Frame::from_address(0x10) };
        assert_eq!(allocator.free(unaligned), Err(FreeError::NotManaged(0x10)));
    }

    #[test]
    fn removed_ranges_are_never_handed_out() {
        let mut storage = [0u64; 2];
        let mut allocator = FrameAllocator::new(&mut storage, 0, 128 * PAGE_SIZE);
        allocator.add_free_range(0, 128 * PAGE_SIZE);
        assert_eq!(allocator.remove_range(PAGE_SIZE + 1, 3 * PAGE_SIZE), 2);
        let mut seen = BTreeSet::new();
        while let Some(frame) = allocator.allocate() {
            seen.insert(frame.into_address());
        }
        assert_eq!(seen.len(), 126);
        assert!(!seen.contains(&PAGE_SIZE));
        assert!(!seen.contains(&(2 * PAGE_SIZE)));
    }

    #[test]
    fn contiguous_allocation_respects_alignment_and_holes() {
        let mut storage = [0u64; 2];
        let mut allocator = FrameAllocator::new(&mut storage, 0, 128 * PAGE_SIZE);
        allocator.add_free_range(0, 128 * PAGE_SIZE);
        allocator.remove_range(16 * PAGE_SIZE, 17 * PAGE_SIZE);
        let mut got = Vec::new();
        assert!(allocator.allocate_contiguous(20, 16 * PAGE_SIZE, |frame| got.push(frame)));
        assert_eq!(got[0].address(), 32 * PAGE_SIZE);
        assert_eq!(got.len(), 20);
        assert!(got.windows(2).all(|pair| pair[1].address() == pair[0].address() + PAGE_SIZE));
        assert!(!allocator.allocate_contiguous(200, PAGE_SIZE, |_| unreachable!()));
        assert_eq!(allocator.free_frames(), 127 - 20);
        for frame in got {
            allocator.free(frame).unwrap();
        }
    }

    proptest! {
        /// Against a set model: allocations are unique, inside added ranges, and the free
        /// count always matches.
        #[test]
        fn matches_a_set_model(
            ranges in proptest::collection::vec((0u64..256, 1u64..64), 1..6),
            operations in proptest::collection::vec(any::<bool>(), 1..400),
        ) {
            let mut storage = [0u64; 5];
            let mut allocator = FrameAllocator::new(&mut storage, 0, 320 * PAGE_SIZE);
            let mut free_model = BTreeSet::new();
            for (start, length) in ranges {
                allocator.add_free_range(start * PAGE_SIZE, (start + length) * PAGE_SIZE);
                free_model.extend(start..start + length);
            }
            let mut held = Vec::new();
            for allocate in operations {
                if allocate || held.is_empty() {
                    match allocator.allocate() {
                        Some(frame) => {
                            let index = frame.address() / PAGE_SIZE;
                            prop_assert!(free_model.remove(&index));
                            held.push(frame);
                        }
                        None => prop_assert!(free_model.is_empty()),
                    }
                } else {
                    let frame = held.swap_remove(held.len() / 2);
                    free_model.insert(frame.address() / PAGE_SIZE);
                    prop_assert!(allocator.free(frame).is_ok());
                }
                prop_assert_eq!(allocator.free_frames(), free_model.len() as u64);
            }
            for frame in held {
                let _ = frame.into_address();
            }
        }
    }
}
