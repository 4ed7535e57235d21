//! Handle tables: each process's names for kernel objects, with rights and badges.
//!
//! A table is an arena of entries, so a handle value (`courier_abi::Handle`) carries the
//! slot's generation and a closed-then-reused slot does not answer to an old handle. The
//! table knows nothing about object kinds; the kernel checks kind and rights on lookup.

use courier_abi::{Handle, Rights};

use super::Exhausted;
use super::arena::{Arena, Id};

/// Most handles one process may hold.
pub const MAX_HANDLES: usize = 4096;

/// One handle's target, rights and badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<O> {
    /// The object.
    pub object: O,
    /// What the handle allows.
    pub rights: Rights,
    /// The badge messages sent through it carry (endpoints; 0 otherwise).
    pub badge: u64,
}

/// A process's handles.
pub struct HandleTable<O> {
    entries: Arena<Entry<O>>,
}

impl<O: Copy> Default for HandleTable<O> {
    fn default() -> Self {
        HandleTable::new(MAX_HANDLES)
    }
}

fn id_of<O>(handle: Handle) -> Option<Id<Entry<O>>> {
    Some(Id::new(handle.index()?, handle.generation()))
}

fn handle_of<O>(id: Id<Entry<O>>) -> Handle {
    Handle::new(id.index(), id.generation())
}

impl<O: Copy> HandleTable<O> {
    /// An empty table holding at most `limit` handles.
    pub const fn new(limit: usize) -> Self {
        HandleTable { entries: Arena::new(limit) }
    }

    /// Handles in the table.
    pub const fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a handle.
    ///
    /// # Errors
    ///
    /// [`Exhausted`] when the table is full.
    pub fn insert(&mut self, object: O, rights: Rights, badge: u64) -> Result<Handle, Exhausted> {
        self.entries.insert(Entry { object, rights, badge }).map(handle_of)
    }

    /// The entry for `handle`.
    pub fn get(&self, handle: Handle) -> Option<Entry<O>> {
        self.entries.get(id_of(handle)?).copied()
    }

    /// Removes `handle` and returns what it named.
    pub fn remove(&mut self, handle: Handle) -> Option<Entry<O>> {
        self.entries.remove(id_of(handle)?)
    }

    /// Every handle with its entry.
    pub fn iter(&self) -> impl Iterator<Item = (Handle, Entry<O>)> + '_ {
        self.entries.iter().map(|(id, entry)| (handle_of(id), *entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn closed_handles_stay_closed_after_reuse() {
        let mut table = HandleTable::new(4);
        let first = table.insert('a', Rights::SEND, 0).unwrap();
        assert_eq!(first, Handle::initial(1));
        assert_eq!(table.get(first).unwrap().object, 'a');
        assert_eq!(table.remove(first).unwrap().object, 'a');
        let second = table.insert('b', Rights::ALL, 9).unwrap();
        assert_ne!(first, second);
        assert_eq!(table.get(first), None);
        assert_eq!(table.get(second).unwrap().badge, 9);
        assert_eq!(table.get(Handle::NONE), None);
        assert_eq!(table.get(Handle(0xffff_ffff)), None);
    }

    #[test]
    fn spawned_handles_land_in_the_first_slots() {
        let mut table = HandleTable::new(8);
        for position in 1..=3u16 {
            assert_eq!(table.insert(position, Rights::ALL, 0).unwrap(), Handle::initial(position));
        }
    }

    proptest! {
        /// Arbitrary handle values never resolve to anything but what was inserted under
        /// them.
        #[test]
        fn only_issued_handles_resolve(
            inserts in 1usize..40,
            removals in proptest::collection::vec(any::<usize>(), 0..20),
            probes in proptest::collection::vec(any::<u32>(), 0..100),
        ) {
            let mut table = HandleTable::new(64);
            let mut live: HashMap<Handle, usize> = HashMap::new();
            let mut issued = Vec::new();
            for value in 0..inserts {
                let handle = table.insert(value, Rights::ALL, 0).unwrap();
                live.insert(handle, value);
                issued.push(handle);
            }
            for pick in removals {
                let handle = issued[pick % issued.len()];
                prop_assert_eq!(table.remove(handle).map(|entry| entry.object), live.remove(&handle));
            }
            for probe in probes {
                let handle = Handle(probe);
                prop_assert_eq!(table.get(handle).map(|entry| entry.object), live.get(&handle).copied());
            }
            prop_assert_eq!(table.len(), live.len());
        }
    }
}
