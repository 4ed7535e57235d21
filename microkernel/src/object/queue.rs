//! Intrusive FIFO queues of arena objects.
//!
//! A queue stores only its head and tail ids; the links live in the objects themselves
//! ([`Links`], reached through [`Linked`]), so joining or leaving a queue never allocates.
//! Each object has one set of links per kind of queue it can be on (a thread is on at most
//! one run or wait queue at a time). Removing from the middle is constant time, which the
//! kernel needs when a signal or a timeout takes a thread off an endpoint's queue.

use super::arena::{Arena, Id};

/// The links of one object in one queue.
pub struct Links<T> {
    previous: Option<Id<T>>,
    next: Option<Id<T>>,
    queued: bool,
}

impl<T> Default for Links<T> {
    fn default() -> Self {
        Links { previous: None, next: None, queued: false }
    }
}

impl<T> Links<T> {
    /// Whether the object is on a queue through these links.
    pub const fn is_queued(&self) -> bool {
        self.queued
    }
}

/// Objects that can be on a queue.
pub trait Linked: Sized {
    /// The links used by queues of this kind.
    fn links(&mut self) -> &mut Links<Self>;
}

/// A FIFO of objects in an arena.
pub struct Queue<T> {
    head: Option<Id<T>>,
    tail: Option<Id<T>>,
    length: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue { head: None, tail: None, length: 0 }
    }
}

impl<T: Linked> Queue<T> {
    /// An empty queue.
    pub const fn new() -> Self {
        Queue { head: None, tail: None, length: 0 }
    }

    /// Objects on the queue.
    pub const fn len(&self) -> usize {
        self.length
    }

    /// Whether the queue is empty.
    pub const fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The first object.
    pub const fn front(&self) -> Option<Id<T>> {
        self.head
    }

    /// Appends `id`. Returns `false` (and does nothing) if it is missing or already queued.
    #[inline]
    pub fn push_back(&mut self, arena: &mut Arena<T>, id: Id<T>) -> bool {
        let tail = self.tail;
        let Some(object) = arena.get_mut(id) else {
            return false;
        };
        let links = object.links();
        if links.queued {
            return false;
        }
        *links = Links { previous: tail, next: None, queued: true };
        match tail.and_then(|tail| arena.get_mut(tail)) {
            Some(previous) => previous.links().next = Some(id),
            None => self.head = Some(id),
        }
        self.tail = Some(id);
        self.length += 1;
        true
    }

    /// Takes `id` off the queue if it is the only object on it, given the object's links
    /// (which the caller already holds, so no arena lookup is needed); `false` otherwise,
    /// with nothing changed. The IPC fast path uses this for an endpoint's one waiting
    /// receiver.
    #[inline]
    pub fn take_only(&mut self, id: Id<T>, links: &mut Links<T>) -> bool {
        if self.length != 1 || self.head != Some(id) || !links.queued {
            return false;
        }
        *links = Links::default();
        self.head = None;
        self.tail = None;
        self.length = 0;
        true
    }

    /// Puts `id` on the queue if the queue is empty, given the object's links; `false`
    /// otherwise (or if the object is queued somewhere), with nothing changed.
    #[inline]
    pub fn push_into_empty(&mut self, id: Id<T>, links: &mut Links<T>) -> bool {
        if self.length != 0 || links.queued {
            return false;
        }
        *links = Links { previous: None, next: None, queued: true };
        self.head = Some(id);
        self.tail = Some(id);
        self.length = 1;
        true
    }

    /// Takes the first object off the queue.
    #[inline]
    pub fn pop_front(&mut self, arena: &mut Arena<T>) -> Option<Id<T>> {
        let head = self.head?;
        self.remove(arena, head);
        Some(head)
    }

    /// Takes `id` off the queue wherever it is. The caller must know `id` is on *this*
    /// queue (objects record only that they are queued, not where). Returns `false` if
    /// it was not queued.
    #[inline]
    pub fn remove(&mut self, arena: &mut Arena<T>, id: Id<T>) -> bool {
        let Some(object) = arena.get_mut(id) else {
            return false;
        };
        let links = object.links();
        if !links.queued {
            return false;
        }
        let (previous, next) = (links.previous, links.next);
        *links = Links::default();
        match previous.and_then(|previous| arena.get_mut(previous)) {
            Some(object) => object.links().next = next,
            None => self.head = next,
        }
        match next.and_then(|next| arena.get_mut(next)) {
            Some(object) => object.links().previous = previous,
            None => self.tail = previous,
        }
        self.length -= 1;
        true
    }

    /// The ids on the queue, front to back (collected, so the arena can be changed while
    /// going through them).
    pub fn collect(&self, arena: &mut Arena<T>, into: &mut impl Extend<Id<T>>) {
        let mut cursor = self.head;
        while let Some(id) = cursor {
            into.extend(core::iter::once(id));
            cursor = arena.get_mut(id).and_then(|object| object.links().next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    struct Item {
        value: u32,
        links: Links<Item>,
    }

    impl Linked for Item {
        fn links(&mut self) -> &mut Links<Item> {
            &mut self.links
        }
    }

    fn contents(queue: &Queue<Item>, arena: &mut Arena<Item>) -> Vec<u32> {
        let mut ids = Vec::new();
        queue.collect(arena, &mut ids);
        ids.into_iter().map(|id| arena.get(id).unwrap().value).collect()
    }

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut arena = Arena::new(16);
        let mut queue = Queue::new();
        let ids: Vec<_> = (0..5)
            .map(|value| arena.insert(Item { value, links: Links::default() }).unwrap())
            .collect();
        for &id in &ids {
            assert!(queue.push_back(&mut arena, id));
        }
        assert!(!queue.push_back(&mut arena, ids[0]), "already queued");
        assert!(queue.remove(&mut arena, ids[2]));
        assert!(!queue.remove(&mut arena, ids[2]));
        assert_eq!(contents(&queue, &mut arena), [0, 1, 3, 4]);
        assert_eq!(queue.pop_front(&mut arena), Some(ids[0]));
        assert!(queue.remove(&mut arena, ids[4]));
        assert_eq!(contents(&queue, &mut arena), [1, 3]);
        assert_eq!(queue.len(), 2);
    }

    proptest! {
        /// Against a VecDeque model.
        #[test]
        fn matches_a_deque(operations in proptest::collection::vec((0u8..3, 0usize..8), 1..200)) {
            let mut arena = Arena::new(8);
            let ids: Vec<_> = (0..8).map(|value| arena.insert(Item { value, links: Links::default() }).unwrap()).collect();
            let mut queue = Queue::new();
            let mut model: VecDeque<u32> = VecDeque::new();
            for (operation, pick) in operations {
                match operation {
                    0 => {
                        let pushed = queue.push_back(&mut arena, ids[pick]);
                        prop_assert_eq!(pushed, !model.contains(&(pick as u32)));
                        if pushed { model.push_back(pick as u32); }
                    }
                    1 => {
                        let popped = queue.pop_front(&mut arena).map(|id| arena.get(id).unwrap().value);
                        prop_assert_eq!(popped, model.pop_front());
                    }
                    _ => {
                        let removed = queue.remove(&mut arena, ids[pick]);
                        let position = model.iter().position(|&value| value == pick as u32);
                        prop_assert_eq!(removed, position.is_some());
                        if let Some(position) = position { model.remove(position); }
                    }
                }
                prop_assert_eq!(contents(&queue, &mut arena), model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(queue.len(), model.len());
            }
        }
    }
}
