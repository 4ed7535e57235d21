//! Generational arenas: chunked slot storage with free lists and generation counters.
//!
//! Objects never move once placed (slots live in fixed-size boxed chunks that are never
//! reallocated), so the kernel can keep the address of a thread's saved registers in the
//! per-CPU data. A slot freed and reused gets the next generation; an [`Id`] from before
//! no longer resolves. Ids pack into 32 bits (16-bit index, 16-bit generation) where they
//! cross into user space; generations start at 1 and skip 0, so a packed id is never 0
//! and 0 can stand for "none" (as in `ReplyReceive` with no reply to send).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use courier_abi::handle::FIRST_GENERATION;

use super::Exhausted;
use super::memory::try_box_array;

/// Slots per chunk.
const CHUNK_SLOTS: usize = 64;

/// Most slots an arena can have (indices fit in 16 bits).
pub const MAX_SLOTS: usize = 1 << 16;

/// The name of an object in an arena of `T`s.
pub struct Id<T> {
    index: u16,
    generation: u16,
    kind: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    /// The id with `index` and `generation`.
    pub const fn new(index: u16, generation: u16) -> Self {
        Id { index, generation, kind: PhantomData }
    }

    /// The slot index.
    pub const fn index(self) -> u16 {
        self.index
    }

    /// The generation.
    pub const fn generation(self) -> u16 {
        self.generation
    }

    /// Packed into 32 bits: index in the low half, generation in the high half.
    pub const fn to_u32(self) -> u32 {
        (self.index as u32) | ((self.generation as u32) << 16)
    }

    /// Unpacks [`Id::to_u32`].
    pub const fn from_u32(value: u32) -> Self {
        Id::new(value as u16, (value >> 16) as u16)
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Id<T> {}

impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && self.generation == other.generation
    }
}

impl<T> Eq for Id<T> {}

impl<T> core::hash::Hash for Id<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.to_u32().hash(state);
    }
}

impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}", self.index, self.generation)
    }
}

impl<T> fmt::Display for Id<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}", self.index, self.generation)
    }
}

/// The generation after `generation`. Generation 0 is never used, so no packed id is 0
/// (0 means "none" in the ABI).
const fn next_generation(generation: u16) -> u16 {
    match generation.wrapping_add(1) {
        0 => FIRST_GENERATION,
        next => next,
    }
}

enum Slot<T> {
    Vacant { generation: u16, next_free: Option<u16> },
    Occupied { generation: u16, value: T },
}

type Chunk<T> = [Slot<T>; CHUNK_SLOTS];

/// A generational arena of `T`s.
pub struct Arena<T> {
    chunks: Vec<Box<Chunk<T>>>,
    free: Option<u16>,
    length: usize,
    limit: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena::new(MAX_SLOTS)
    }
}

impl<T> Arena<T> {
    /// An empty arena that holds at most `limit` objects (capped at [`MAX_SLOTS`]).
    pub const fn new(limit: usize) -> Self {
        Arena {
            chunks: Vec::new(),
            free: None,
            length: 0,
            limit: if limit < MAX_SLOTS { limit } else { MAX_SLOTS },
        }
    }

    /// Objects in the arena.
    pub const fn len(&self) -> usize {
        self.length
    }

    /// Whether the arena is empty.
    pub const fn is_empty(&self) -> bool {
        self.length == 0
    }

    #[inline]
    fn slot(&self, index: u16) -> Option<&Slot<T>> {
        let index = usize::from(index);
        self.chunks.get(index / CHUNK_SLOTS).map(|chunk| &chunk[index % CHUNK_SLOTS])
    }

    #[inline]
    fn slot_mut(&mut self, index: u16) -> Option<&mut Slot<T>> {
        let index = usize::from(index);
        self.chunks.get_mut(index / CHUNK_SLOTS).map(|chunk| &mut chunk[index % CHUNK_SLOTS])
    }

    fn grow(&mut self) -> Result<(), Exhausted> {
        let first = self.chunks.len() * CHUNK_SLOTS;
        if first >= self.limit {
            return Err(Exhausted);
        }
        self.chunks.try_reserve(1).map_err(|_| Exhausted)?;
        let last = (first + CHUNK_SLOTS).min(self.limit);
        let chunk: Box<Chunk<T>> = try_box_array(|offset| {
            let next = first + offset + 1;
            Slot::Vacant {
                generation: FIRST_GENERATION,
                next_free: (next < last).then_some(next as u16),
            }
        })?;
        self.chunks.push(chunk);
        // Slots past the limit are never linked into the free list.
        self.free = Some(first as u16);
        Ok(())
    }

    /// Places `value` in a free slot and returns its id.
    ///
    /// # Errors
    ///
    /// [`Exhausted`] at the arena's limit or when memory for a new chunk is lacking; the
    /// value is dropped then.
    #[inline]
    pub fn insert(&mut self, value: T) -> Result<Id<T>, Exhausted> {
        if self.free.is_none() {
            self.grow()?;
        }
        let index = self.free.ok_or(Exhausted)?;
        let slot = self.slot_mut(index).ok_or(Exhausted)?;
        let Slot::Vacant { generation, next_free } = *slot else {
            return Err(Exhausted);
        };
        *slot = Slot::Occupied { generation, value };
        self.free = next_free;
        self.length += 1;
        Ok(Id::new(index, generation))
    }

    /// The object `id` names, if it still exists.
    #[inline]
    pub fn get(&self, id: Id<T>) -> Option<&T> {
        match self.slot(id.index)? {
            Slot::Occupied { generation, value } if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    /// The object `id` names, mutably, if it still exists.
    #[inline]
    pub fn get_mut(&mut self, id: Id<T>) -> Option<&mut T> {
        match self.slot_mut(id.index)? {
            Slot::Occupied { generation, value } if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    /// Whether `id` names a live object.
    #[inline]
    pub fn contains(&self, id: Id<T>) -> bool {
        self.get(id).is_some()
    }

    /// Removes the object `id` names and drops it in place (cheaper than
    /// [`Arena::remove`] for a caller that does not need the value); `false` if `id` named
    /// nothing.
    #[inline]
    pub fn discard(&mut self, id: Id<T>) -> bool {
        let free = self.free;
        let Some(slot) = self.slot_mut(id.index) else { return false };
        match slot {
            Slot::Occupied { generation, .. } if *generation == id.generation => {}
            _ => return false,
        }
        *slot = Slot::Vacant { generation: next_generation(id.generation), next_free: free };
        self.free = Some(id.index);
        self.length -= 1;
        true
    }

    /// Removes the object `id` names and returns it; the slot's next occupant gets a new
    /// generation.
    pub fn remove(&mut self, id: Id<T>) -> Option<T> {
        let free = self.free;
        let slot = self.slot_mut(id.index)?;
        match slot {
            Slot::Occupied { generation, .. } if *generation == id.generation => {}
            _ => return None,
        }
        let old = core::mem::replace(
            slot,
            Slot::Vacant { generation: next_generation(id.generation), next_free: free },
        );
        self.free = Some(id.index);
        self.length -= 1;
        match old {
            Slot::Occupied { value, .. } => Some(value),
            Slot::Vacant { .. } => None,
        }
    }

    /// Every live object with its id.
    pub fn iter(&self) -> impl Iterator<Item = (Id<T>, &T)> {
        self.chunks.iter().enumerate().flat_map(|(chunk_index, chunk)| {
            chunk.iter().enumerate().filter_map(move |(offset, slot)| match slot {
                Slot::Occupied { generation, value } => {
                    Some((Id::new((chunk_index * CHUNK_SLOTS + offset) as u16, *generation), value))
                }
                Slot::Vacant { .. } => None,
            })
        })
    }

    /// Every live object's id.
    pub fn ids(&self) -> impl Iterator<Item = Id<T>> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// Two different objects mutably at once; `None` if either is missing or they are the
    /// same.
    pub fn get_pair_mut(&mut self, first: Id<T>, second: Id<T>) -> Option<(&mut T, &mut T)> {
        if first.index == second.index {
            return None;
        }
        // Find both through disjoint borrows: split by chunk, then by slot.
        let (first_chunk, first_offset) =
            (usize::from(first.index) / CHUNK_SLOTS, usize::from(first.index) % CHUNK_SLOTS);
        let (second_chunk, second_offset) =
            (usize::from(second.index) / CHUNK_SLOTS, usize::from(second.index) % CHUNK_SLOTS);
        let (first_slot, second_slot) = if first_chunk == second_chunk {
            let chunk = self.chunks.get_mut(first_chunk)?;
            let [a, b] = chunk.get_disjoint_mut([first_offset, second_offset]).ok()?;
            (a, b)
        } else {
            let [a, b] = self.chunks.get_disjoint_mut([first_chunk, second_chunk]).ok()?;
            (&mut a[first_offset], &mut b[second_offset])
        };
        match (first_slot, second_slot) {
            (
                Slot::Occupied { generation: first_generation, value: first_value },
                Slot::Occupied { generation: second_generation, value: second_value },
            ) if *first_generation == first.generation
                && *second_generation == second.generation =>
            {
                Some((first_value, second_value))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn stale_ids_do_not_resolve() {
        let mut arena = Arena::new(8);
        let first = arena.insert("a").unwrap();
        assert_eq!(arena.get(first), Some(&"a"));
        assert_eq!(arena.remove(first), Some("a"));
        let second = arena.insert("b").unwrap();
        assert_eq!(second.index(), first.index());
        assert_ne!(second.generation(), first.generation());
        assert_eq!(arena.get(first), None);
        assert_eq!(arena.remove(first), None);
        assert_eq!(Id::<&str>::from_u32(second.to_u32()), second);
    }

    #[test]
    fn packed_ids_are_never_zero_even_after_the_generation_wraps() {
        let mut arena = Arena::new(4);
        let first = arena.insert(0u8).unwrap();
        assert_eq!(first.index(), 0);
        assert_ne!(first.to_u32(), 0);
        let mut id = first;
        for _ in 0..(1 << 16) + 3 {
            arena.remove(id).unwrap();
            id = arena.insert(0).unwrap();
            assert_eq!(id.index(), 0);
            assert_ne!(id.to_u32(), 0);
            assert_ne!(id.generation(), 0);
        }
    }

    #[test]
    fn limit_is_enforced_and_objects_do_not_move() {
        let mut arena = Arena::new(70);
        let first = arena.insert(0u64).unwrap();
        let address = arena.get(first).unwrap() as *const u64;
        let ids: Vec<_> = (1..70).map(|value| arena.insert(value).unwrap()).collect();
        assert_eq!(arena.insert(99), Err(Exhausted));
        assert_eq!(arena.get(first).unwrap() as *const u64, address);
        assert_eq!(arena.len(), 70);
        arena.remove(ids[10]).unwrap();
        assert!(arena.insert(100).is_ok());
    }

    #[test]
    fn pairs_are_disjoint() {
        let mut arena = Arena::new(200);
        let ids: Vec<_> = (0..130u32).map(|value| arena.insert(value).unwrap()).collect();
        let (a, b) = arena.get_pair_mut(ids[3], ids[100]).unwrap();
        std::mem::swap(a, b);
        assert_eq!(arena.get(ids[3]), Some(&100));
        let (a, b) = arena.get_pair_mut(ids[1], ids[2]).unwrap();
        *a += *b;
        assert_eq!(arena.get(ids[1]), Some(&3));
        assert!(arena.get_pair_mut(ids[5], ids[5]).is_none());
    }

    proptest! {
        /// Against a map model: inserts, removes and lookups through live and stale ids.
        #[test]
        fn matches_a_map_model(operations in proptest::collection::vec((any::<bool>(), 0usize..64, any::<u32>()), 1..300)) {
            let mut arena = Arena::new(100);
            let mut model: HashMap<u32, u32> = HashMap::new();
            let mut known: Vec<Id<u32>> = Vec::new();
            for (insert, pick, value) in operations {
                if insert {
                    match arena.insert(value) {
                        Ok(id) => {
                            prop_assert_ne!(id.to_u32(), 0);
                            prop_assert!(!model.contains_key(&id.to_u32()));
                            model.insert(id.to_u32(), value);
                            known.push(id);
                        }
                        Err(Exhausted) => prop_assert_eq!(model.len(), 100),
                    }
                } else if !known.is_empty() {
                    let id = known[pick % known.len()];
                    prop_assert_eq!(arena.remove(id), model.remove(&id.to_u32()));
                }
                for id in &known {
                    prop_assert_eq!(arena.get(*id), model.get(&id.to_u32()));
                }
                prop_assert_eq!(arena.len(), model.len());
            }
        }
    }
}
