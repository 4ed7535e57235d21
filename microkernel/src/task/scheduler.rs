//! The scheduler's data: one FIFO run queue per priority and a bitmap of the non-empty
//! ones, so picking the next thread is a count-leading-zeros and a pop.
//!
//! Priorities run from 0 (lowest) to 31 (highest). Threads of equal priority share the CPU
//! round-robin: a thread whose time slice ends goes to the back of its queue. A thread
//! woken by IPC may be switched to directly instead (see the IPC code); the run queues
//! hold only threads that are ready and not running.

use courier_abi::process::PRIORITY_HIGHEST;

use crate::object::arena::{Arena, Id};
use crate::object::queue::{Linked, Queue};

/// Number of priority levels.
pub const PRIORITIES: usize = PRIORITY_HIGHEST as usize + 1;

/// The ready threads.
pub struct RunQueues<T> {
    queues: [Queue<T>; PRIORITIES],
    bitmap: u32,
}

impl<T: Linked> Default for RunQueues<T> {
    fn default() -> Self {
        RunQueues { queues: core::array::from_fn(|_| Queue::new()), bitmap: 0 }
    }
}

impl<T: Linked> RunQueues<T> {
    /// Puts `id` at the back of the queue for `priority`. Returns `false` if it was
    /// already queued (somewhere).
    pub fn push(&mut self, arena: &mut Arena<T>, id: Id<T>, priority: u8) -> bool {
        let level = usize::from(priority.min(PRIORITY_HIGHEST));
        let pushed = self.queues[level].push_back(arena, id);
        if pushed {
            self.bitmap |= 1 << level;
        }
        pushed
    }

    /// Takes `id` off the queue for `priority`.
    pub fn remove(&mut self, arena: &mut Arena<T>, id: Id<T>, priority: u8) -> bool {
        let level = usize::from(priority.min(PRIORITY_HIGHEST));
        let removed = self.queues[level].remove(arena, id);
        if self.queues[level].is_empty() {
            self.bitmap &= !(1 << level);
        }
        removed
    }

    /// The highest priority with a ready thread.
    pub fn highest(&self) -> Option<u8> {
        (self.bitmap != 0).then(|| (31 - self.bitmap.leading_zeros()) as u8)
    }

    /// Takes the first thread of the highest non-empty priority.
    pub fn pop(&mut self, arena: &mut Arena<T>) -> Option<(Id<T>, u8)> {
        let priority = self.highest()?;
        let level = usize::from(priority);
        let id = self.queues[level].pop_front(arena)?;
        if self.queues[level].is_empty() {
            self.bitmap &= !(1 << level);
        }
        Some((id, priority))
    }

    /// Ready threads in all queues.
    pub fn len(&self) -> usize {
        self.queues.iter().map(Queue::len).sum()
    }

    /// Whether no thread is ready.
    pub fn is_empty(&self) -> bool {
        self.bitmap == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::queue::Links;
    use proptest::prelude::*;

    struct Thread {
        name: u32,
        links: Links<Thread>,
    }

    impl Linked for Thread {
        fn links(&mut self) -> &mut Links<Thread> {
            &mut self.links
        }
    }

    #[test]
    fn highest_priority_first_then_fifo() {
        let mut arena = Arena::new(8);
        let ids: Vec<_> = (0..4)
            .map(|name| arena.insert(Thread { name, links: Links::default() }).unwrap())
            .collect();
        let mut queues = RunQueues::default();
        queues.push(&mut arena, ids[0], 5);
        queues.push(&mut arena, ids[1], 20);
        queues.push(&mut arena, ids[2], 5);
        queues.push(&mut arena, ids[3], 20);
        assert_eq!(queues.highest(), Some(20));
        let popped: Vec<_> = std::iter::from_fn(|| queues.pop(&mut arena)).collect();
        let order: Vec<_> = popped.iter().map(|&(id, _)| arena.get(id).unwrap().name).collect();
        assert_eq!(order, [1, 3, 0, 2]);
        assert!(queues.is_empty());
    }

    proptest! {
        /// Against a model of sorted (priority, arrival) pairs.
        #[test]
        fn matches_a_model(operations in proptest::collection::vec((0u8..3, 0usize..16, 0u8..32), 1..300)) {
            let mut arena = Arena::new(16);
            let ids: Vec<_> = (0..16).map(|name| arena.insert(Thread { name, links: Links::default() }).unwrap()).collect();
            let mut queues = RunQueues::default();
            // (priority, arrival sequence, thread)
            let mut model: Vec<(u8, u64, usize)> = Vec::new();
            let mut sequence = 0u64;
            for (operation, thread, priority) in operations {
                match operation {
                    0 => {
                        let queued = model.iter().any(|&(_, _, queued)| queued == thread);
                        prop_assert_eq!(queues.push(&mut arena, ids[thread], priority), !queued);
                        if !queued { model.push((priority, sequence, thread)); sequence += 1; }
                    }
                    1 => {
                        let expected = model.iter().enumerate()
                            .max_by_key(|&(_, &(priority, arrival, _))| (priority, std::cmp::Reverse(arrival)))
                            .map(|(index, _)| index);
                        let got = queues.pop(&mut arena);
                        match expected {
                            Some(index) => {
                                let (priority, _, thread) = model.remove(index);
                                prop_assert_eq!(got, Some((ids[thread], priority)));
                            }
                            None => prop_assert_eq!(got, None),
                        }
                    }
                    _ => {
                        if let Some(index) = model.iter().position(|&(_, _, queued)| queued == thread) {
                            let (priority, _, _) = model.remove(index);
                            prop_assert!(queues.remove(&mut arena, ids[thread], priority));
                        }
                    }
                }
                prop_assert_eq!(queues.len(), model.len());
                prop_assert_eq!(queues.highest(), model.iter().map(|&(priority, _, _)| priority).max());
            }
        }
    }
}
