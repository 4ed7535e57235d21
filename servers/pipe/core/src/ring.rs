//! One pipe's buffer (Linux's ring of page-sized slots), and the server's spare pages.
//!
//! Each slot owns a page and keeps which of its bytes were written and which of those were
//! read; its room for a merge is what lies behind its data, so bytes already read at its
//! front are not reused (Linux's `buf->offset + buf->len`). A slot is freed when its last
//! byte is read, and its page goes back to the [`PagePool`]. Only slots holding unread
//! bytes exist, so the last slot, when there is one, is the one a write may merge into.
//! The [`PagePool`] is shared by the rings of a server.
//!
//! Data is copied once each way. [`Ring::fill`] hands the callback the free tail of the
//! last slot and then one fresh page after another to copy a writer's bytes into, and
//! [`Ring::drain`] hands it each slot's unread bytes in turn to copy to a reader. Either
//! commits only after every copy succeeded: a write's bytes count (the last slot's length
//! grows, the fresh slots stay) and a read's bytes are consumed (the slots they empty are
//! freed) then, and a copy that fails leaves the ring exactly as it was.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;

use courier_abi::Errno;

use crate::{DEFAULT_CAPACITY, SLOT_SIZE};

/// The memory of one slot: [`SLOT_SIZE`] bytes.
type Page = Box<[u8]>;

/// How many freed pages a server keeps for reuse: one default pipe's worth, so that filling
/// and draining a pipe of the default capacity allocates nothing after the first time,
/// while pages beyond that go back to the heap.
const SPARE_PAGES: usize = DEFAULT_CAPACITY / SLOT_SIZE;

/// Pages freed by reads (or with their pipe), kept for the next fresh slots of any pipe.
#[derive(Debug)]
pub(crate) struct PagePool {
    /// At most [`SPARE_PAGES`] of them; their bytes are stale and never shown.
    spare: Vec<Page>,
    /// Pages ever allocated (each on a miss of the pool).
    allocated: usize,
}

impl PagePool {
    /// An empty pool; its list has room for every spare page from the start.
    pub(crate) fn new() -> PagePool {
        PagePool { spare: Vec::with_capacity(SPARE_PAGES), allocated: 0 }
    }

    /// A spare page, or a new one.
    fn page(&mut self) -> Page {
        self.spare.pop().unwrap_or_else(|| {
            self.allocated += 1;
            vec![0; SLOT_SIZE].into_boxed_slice()
        })
    }

    /// Keeps `page` for reuse, or frees it when enough are kept.
    fn recycle(&mut self, page: Page) {
        if self.spare.len() < SPARE_PAGES {
            self.spare.push(page);
        }
    }

    /// Pages ever allocated.
    #[cfg(test)]
    pub(crate) fn allocated(&self) -> usize {
        self.allocated
    }

    /// Pages kept for reuse.
    #[cfg(test)]
    pub(crate) fn spare(&self) -> usize {
        self.spare.len()
    }
}

/// One page of the ring.
#[derive(Debug)]
struct Slot {
    page: Page,
    /// How many bytes of the page were read (Linux's `offset`).
    start: usize,
    /// How many bytes were written into the page, from its start (Linux's `offset + len`).
    end: usize,
}

impl Slot {
    fn unread(&self) -> &[u8] {
        self.page.get(self.start..self.end).unwrap_or_default()
    }
}

/// How a write's next bytes would be placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Bytes merged into the last slot.
    pub(crate) merged: usize,
    /// Bytes put into fresh slots, a page each.
    pub(crate) paged: usize,
}

impl Placement {
    /// Every byte placed.
    pub(crate) const fn total(self) -> usize {
        self.merged + self.paged
    }
}

/// The buffer of one pipe.
#[derive(Debug)]
pub(crate) struct Ring {
    /// The slots holding unread bytes, oldest first.
    slots: VecDeque<Slot>,
    /// How many slots the capacity allows (Linux's `max_usage`).
    slot_limit: usize,
    /// Unread bytes in all slots.
    buffered: usize,
}

impl Ring {
    /// An empty ring of `slot_limit` slots.
    pub(crate) fn new(slot_limit: usize) -> Ring {
        Ring { slots: VecDeque::new(), slot_limit, buffered: 0 }
    }

    /// Unread bytes.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Slots holding unread bytes.
    pub(crate) fn occupied_slots(&self) -> usize {
        self.slots.len()
    }

    /// How many slots the capacity allows.
    pub(crate) fn slot_limit(&self) -> usize {
        self.slot_limit
    }

    pub(crate) fn free_slots(&self) -> usize {
        self.slot_limit.saturating_sub(self.slots.len())
    }

    /// Where the next of `remaining` bytes of a write would go now. A write that is
    /// `starting` (its first attempt) merges `remaining % SLOT_SIZE` bytes into the last slot
    /// if all of them fit there; then every write takes free slots a page at a time.
    pub(crate) fn place(&self, remaining: usize, starting: bool) -> Placement {
        let part = remaining % SLOT_SIZE;
        let merged = match self.slots.back() {
            Some(last) if starting && part != 0 && last.end + part <= SLOT_SIZE => part,
            _ => 0,
        };
        let paged = (remaining - merged).min(self.free_slots().saturating_mul(SLOT_SIZE));
        Placement { merged, paged }
    }

    /// Writes bytes as `place` placed them, straight into the slots: `take(offset, into)`
    /// must fill all of `into` with the write's bytes from `offset` on (counted from the
    /// first byte placed). It is called for the `merged` bytes with the free tail of the
    /// last slot, then for the `paged` bytes with one fresh page after another.
    ///
    /// # Errors
    ///
    /// The first error of `take`; the ring is then as it was before the call.
    pub(crate) fn fill(
        &mut self,
        placement: Placement,
        pages: &mut PagePool,
        mut take: impl FnMut(usize, &mut [u8]) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let occupied = self.slots.len();
        // `place` merges only into a last slot with room behind its data.
        if placement.merged > 0
            && let Some(last) = self.slots.back_mut()
        {
            take(0, &mut last.page[last.end..last.end + placement.merged])?;
        }
        let mut offset = placement.merged;
        let total = placement.total();
        while offset < total {
            let length = (total - offset).min(SLOT_SIZE);
            let mut page = pages.page();
            if let Err(error) = take(offset, &mut page[..length]) {
                pages.recycle(page);
                while self.slots.len() > occupied {
                    if let Some(slot) = self.slots.pop_back() {
                        pages.recycle(slot.page);
                    }
                }
                return Err(error);
            }
            self.slots.push_back(Slot { page, start: 0, end: length });
            offset += length;
        }
        // Every copy is in: the merged bytes join the last slot's data.
        if let Some(last) = occupied.checked_sub(1).and_then(|index| self.slots.get_mut(index)) {
            last.end += placement.merged;
        }
        self.buffered += total;
        Ok(())
    }

    /// Reads the oldest `count` unread bytes (fewer if fewer are buffered) straight from the
    /// slots: `give(offset, bytes)` must copy all of `bytes`, the part of one slot, to the
    /// reader at `offset` (counted from the first byte read). Once every part is given the
    /// bytes are consumed and the slots they empty freed; returns how many.
    ///
    /// # Errors
    ///
    /// The first error of `give`; nothing is consumed then.
    pub(crate) fn drain(
        &mut self,
        count: usize,
        pages: &mut PagePool,
        mut give: impl FnMut(usize, &[u8]) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let count = count.min(self.buffered);
        let mut given = 0;
        for slot in &self.slots {
            if given == count {
                break;
            }
            let unread = slot.unread();
            let part = unread.get(..unread.len().min(count - given)).unwrap_or_default();
            give(given, part)?;
            given += part.len();
        }
        self.consume(given, pages);
        Ok(given)
    }

    /// Drops the oldest `count` unread bytes, freeing the slots they empty.
    fn consume(&mut self, mut count: usize, pages: &mut PagePool) {
        while count > 0 {
            let Some(slot) = self.slots.front_mut() else { break };
            let taken = count.min(slot.end - slot.start);
            slot.start += taken;
            self.buffered -= taken;
            count -= taken;
            if slot.start == slot.end
                && let Some(slot) = self.slots.pop_front()
            {
                pages.recycle(slot.page);
            }
        }
    }

    /// Frees every slot (the pipe is gone).
    pub(crate) fn recycle(self, pages: &mut PagePool) {
        for slot in self.slots {
            pages.recycle(slot.page);
        }
    }

    /// Changes the number of slots (Linux's `pipe_resize_ring`).
    ///
    /// # Errors
    ///
    /// `EBUSY` when more slots than that hold data.
    pub(crate) fn set_slot_limit(&mut self, slot_limit: usize) -> Result<(), Errno> {
        if slot_limit < self.slots.len() {
            return Err(Errno::Ebusy);
        }
        self.slot_limit = slot_limit;
        Ok(())
    }
}
