//! A record of handled signals that handlers write to and cases read: how many times each
//! signal was handled, and the information of the first `SLOTS` in order.
//!
//! Handlers may interrupt anything, an allocation included, so recording allocates nothing
//! and takes no lock: the log is atomics only, meant for a `static`.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use libsys::abi::signal::SIGNAL_MAX;
use libsys::signal::{SignalInfo, SignalSet};

/// The handled signals of a process, with room for the information of `SLOTS` of them.
pub struct SignalLog<const SLOTS: usize> {
    /// The signals handled, in order, as the upcall words of their information.
    events: [[AtomicU64; 4]; SLOTS],
    /// How many signals were recorded (more than `SLOTS` when some did not fit).
    event_count: AtomicUsize,
    /// How many times each signal was handled (index: the signal number).
    counts: [AtomicU32; SIGNAL_MAX as usize + 1],
}

impl<const SLOTS: usize> SignalLog<SLOTS> {
    /// An empty log.
    pub const fn new() -> SignalLog<SLOTS> {
        SignalLog {
            events: [const { [const { AtomicU64::new(0) }; 4] }; SLOTS],
            event_count: AtomicUsize::new(0),
            counts: [const { AtomicU32::new(0) }; SIGNAL_MAX as usize + 1],
        }
    }

    /// Records a handled signal; allocates nothing and takes no lock.
    pub fn record(&self, info: &SignalInfo) {
        if let Some(count) = self.counts.get(info.signal as usize) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let index = self.event_count.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = self.events.get(index) {
            for (word, value) in slot.iter().zip(info.to_upcall_words(0)) {
                word.store(value, Ordering::Relaxed);
            }
        }
    }

    /// How many times `signal` was handled since the last [`SignalLog::clear`].
    pub fn handled(&self, signal: u32) -> u32 {
        self.counts.get(signal as usize).map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// The signals handled since the last [`SignalLog::clear`], in order (the first
    /// `SLOTS` of them).
    pub fn events(&self) -> Vec<SignalInfo> {
        let count = self.event_count.load(Ordering::Relaxed).min(SLOTS);
        self.events[..count]
            .iter()
            .map(|slot| {
                let words = [0, 1, 2, 3].map(|index| slot[index].load(Ordering::Relaxed));
                SignalInfo::from_upcall_words(words).0
            })
            .collect()
    }

    /// Forgets every signal recorded so far.
    pub fn clear(&self) {
        self.event_count.store(0, Ordering::Relaxed);
        for count in &self.counts {
            count.store(0, Ordering::Relaxed);
        }
    }
}

impl<const SLOTS: usize> Default for SignalLog<SLOTS> {
    fn default() -> SignalLog<SLOTS> {
        SignalLog::new()
    }
}

/// The set of `signals`.
pub fn set_of(signals: &[u32]) -> SignalSet {
    signals.iter().fold(SignalSet::EMPTY, |set, &signal| set.with(signal))
}
