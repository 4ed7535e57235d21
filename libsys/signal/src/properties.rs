//! Property tests: random sequences of receipts, mask changes, action changes, deliveries,
//! handler returns and discards, applied to [`SignalState`] and to the naive model in
//! `model.rs`, comparing every result and, after every step, the mask, the actions, the
//! pending signals and every pending instance.
//!
//! They also check the invariants on their own: a delivered signal was never blocked;
//! SIGKILL and SIGSTOP are never blocked; a standard signal is pending at most once per
//! set (and is gone from its set once delivered); the instances of one real-time signal in
//! one set are delivered in arrival order; and once everything is unblocked, delivering
//! until nothing is left empties both sets. Every instance carries a value that numbers it
//! in arrival order and says which set it was sent to.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use courier_abi::signal::{
    SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SI_QUEUE, SI_USER, SIGCHLD, SIGCONT, SIGHUP,
    SIGILL, SIGINT, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS, SIGTSTP, SIGTTOU, SIGUSR1, SIGWINCH,
    is_realtime,
};
use proptest::prelude::*;

use crate::model::Model;
use crate::{Action, Delivery, Handler, SignalInfo, SignalSet, SignalState, Target};

#[derive(Clone, Debug)]
enum Operation {
    Receive { signal: u32, target: Target, code: i32 },
    Flood { signal: u32, target: Target, count: usize },
    SetMask { how: u32, set: SignalSet },
    ReplaceMask { mask: SignalSet },
    SetAction { signal: u32, action: Action<u8> },
    ReadAction { signal: u32 },
    Deliver,
    FinishHandler { fallback: SignalSet },
    Discard { signals: SignalSet },
}

fn signal() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => prop::sample::select(vec![
            SIGHUP, SIGINT, SIGILL, SIGKILL, SIGUSR1, SIGSEGV, SIGCHLD, SIGCONT, SIGSTOP,
            SIGTSTP, SIGTTOU, SIGWINCH, SIGSYS, 32, 33, 34, 35, 40, 64,
        ]),
        1 => 0u32..=66,
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![Just(Target::Process), Just(Target::Thread)]
}

fn signal_set() -> impl Strategy<Value = SignalSet> {
    prop_oneof![
        4 => prop::collection::vec(signal(), 0..5)
            .prop_map(|signals| signals.into_iter().fold(SignalSet::EMPTY, SignalSet::with)),
        1 => any::<u64>().prop_map(SignalSet),
        1 => Just(SignalSet::EMPTY),
        1 => Just(SignalSet::FULL),
    ]
}

fn action() -> impl Strategy<Value = Action<u8>> {
    let handler = prop_oneof![
        1 => Just(Handler::Default),
        1 => Just(Handler::Ignore),
        2 => (0u8..3).prop_map(Handler::Catch),
    ];
    let flags = prop_oneof![
        4 => prop::sample::subsequence(vec![SA_NODEFER, SA_RESETHAND, SA_SIGINFO, SA_RESTART], 0..=4)
            .prop_map(|flags| flags.into_iter().fold(0, |all, flag| all | flag)),
        1 => any::<u64>(),
    ];
    (handler, flags, signal_set()).prop_map(|(handler, flags, mask)| Action {
        handler,
        flags,
        mask,
    })
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        10 => (signal(), target(), prop_oneof![Just(SI_USER), Just(SI_QUEUE)])
            .prop_map(|(signal, target, code)| Operation::Receive { signal, target, code }),
        1 => (34u32..=64, target(), prop_oneof![3 => 1usize..=40, 1 => 1000usize..=1100])
            .prop_map(|(signal, target, count)| Operation::Flood { signal, target, count }),
        3 => (prop_oneof![4 => 0u32..=2, 1 => any::<u32>()], signal_set())
            .prop_map(|(how, set)| Operation::SetMask { how, set }),
        1 => signal_set().prop_map(|mask| Operation::ReplaceMask { mask }),
        4 => (signal(), action()).prop_map(|(signal, action)| Operation::SetAction { signal, action }),
        1 => signal().prop_map(|signal| Operation::ReadAction { signal }),
        8 => Just(Operation::Deliver),
        3 => signal_set().prop_map(|fallback| Operation::FinishHandler { fallback }),
        1 => signal_set().prop_map(|signals| Operation::Discard { signals }),
    ]
}

/// The harness: the state, the model, and what the invariant checks remember.
struct Harness {
    state: SignalState<u8>,
    model: Model,
    /// The saved masks of the handlers entered and not yet finished, innermost last.
    saved_masks: Vec<SignalSet>,
    /// The arrival number the next instance gets.
    next_arrival: u64,
    /// The arrival number of the last delivered instance of each (real-time signal, set).
    last_realtime: BTreeMap<(u32, u64), u64>,
}

fn target_bit(target: Target) -> u64 {
    match target {
        Target::Process => 0,
        Target::Thread => 1,
    }
}

impl Harness {
    fn new() -> Self {
        Harness {
            state: SignalState::new(),
            model: Model::new(),
            saved_masks: Vec::new(),
            next_arrival: 0,
            last_realtime: BTreeMap::new(),
        }
    }

    fn receive(&mut self, signal: u32, target: Target, code: i32) -> Result<(), TestCaseError> {
        let info = SignalInfo {
            signal,
            code,
            pid: 7,
            uid: 1000,
            value: self.next_arrival << 1 | target_bit(target),
            status: 0,
        };
        self.next_arrival += 1;
        prop_assert_eq!(self.state.receive(info, target), self.model.receive(info, target));
        Ok(())
    }

    fn deliver(&mut self) -> Result<Option<Delivery<u8>>, TestCaseError> {
        let mask_before = self.state.mask();
        let delivery = self.state.next_delivery();
        prop_assert_eq!(delivery, self.model.next_delivery());
        let info = match delivery {
            None => return Ok(None),
            Some(Delivery::Handler { info, saved_mask, handler_mask, .. }) => {
                prop_assert_eq!(saved_mask, mask_before);
                prop_assert_eq!(handler_mask, self.state.mask());
                self.saved_masks.push(saved_mask);
                info
            }
            Some(Delivery::Default { info, .. }) => info,
        };
        prop_assert!(!mask_before.contains(info.signal), "blocked {} delivered", info.signal);
        let set_bit = info.value & 1;
        let arrival = info.value >> 1;
        if is_realtime(info.signal) {
            if let Some(&last) = self.last_realtime.get(&(info.signal, set_bit)) {
                prop_assert!(last < arrival, "signal {} out of arrival order", info.signal);
            }
            self.last_realtime.insert((info.signal, set_bit), arrival);
        } else {
            let set = if set_bit == 1 { &self.state.thread } else { &self.state.process };
            prop_assert!(!set.signals.contains(info.signal), "{} still pending", info.signal);
        }
        Ok(delivery)
    }

    fn apply(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        match *operation {
            Operation::Receive { signal, target, code } => self.receive(signal, target, code)?,
            Operation::Flood { signal, target, count } => {
                for _ in 0..count {
                    self.receive(signal, target, SI_QUEUE)?;
                }
            }
            Operation::SetMask { how, set } => {
                prop_assert_eq!(self.state.set_mask(how, set), self.model.set_mask(how, set));
            }
            Operation::ReplaceMask { mask } => {
                prop_assert_eq!(self.state.replace_mask(mask), self.model.replace_mask(mask));
            }
            Operation::SetAction { signal, action } => {
                prop_assert_eq!(
                    self.state.set_action(signal, action),
                    self.model.set_action(signal, action)
                );
            }
            Operation::ReadAction { signal } => {
                prop_assert_eq!(self.state.action(signal), self.model.action(signal));
            }
            Operation::Deliver => {
                self.deliver()?;
            }
            Operation::FinishHandler { fallback } => {
                let saved_mask = self.saved_masks.pop().unwrap_or(fallback);
                self.state.finish_handler(saved_mask);
                self.model.replace_mask(saved_mask);
            }
            Operation::Discard { signals } => {
                self.state.discard(signals);
                self.model.discard(signals);
            }
        }
        self.check()
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let mask = self.state.mask();
        prop_assert_eq!(mask, self.model.mask());
        prop_assert!(!mask.contains(SIGKILL) && !mask.contains(SIGSTOP));
        prop_assert_eq!(self.state.pending(), self.model.pending());
        let deliverable = self.state.has_deliverable();
        prop_assert_eq!(deliverable, self.model.has_deliverable());
        prop_assert_eq!(deliverable, self.model.clone().next_delivery().is_some());
        for signal in 0..=65 {
            prop_assert_eq!(self.state.action(signal), self.model.action(signal));
        }
        for target in [Target::Thread, Target::Process] {
            let set = match target {
                Target::Thread => &self.state.thread,
                Target::Process => &self.state.process,
            };
            let mut expected: Vec<Vec<SignalInfo>> = vec![Vec::new(); 65];
            for info in self.model.list(target) {
                expected[info.signal as usize].push(*info);
            }
            for signal in 1..=64u32 {
                let instances: Vec<SignalInfo> = if !set.signals.contains(signal) {
                    Vec::new()
                } else if is_realtime(signal) {
                    set.realtime[crate::realtime_index(signal)].iter().copied().collect()
                } else {
                    vec![set.standard[crate::standard_index(signal)]]
                };
                prop_assert!(is_realtime(signal) || expected[signal as usize].len() <= 1);
                prop_assert_eq!(&instances, &expected[signal as usize], "signal {}", signal);
            }
            for signal in 34..=64u32 {
                let queued = !set.realtime[crate::realtime_index(signal)].is_empty();
                prop_assert_eq!(queued, set.signals.contains(signal));
            }
        }
        Ok(())
    }

    /// Unblocks everything and delivers until nothing is left: both sets end empty.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        self.saved_masks.clear();
        prop_assert_eq!(
            self.state.replace_mask(SignalSet::EMPTY),
            self.model.replace_mask(SignalSet::EMPTY)
        );
        while let Some(delivery) = self.deliver()? {
            if let Delivery::Handler { saved_mask, .. } = delivery {
                self.saved_masks.pop();
                self.state.finish_handler(saved_mask);
                self.model.replace_mask(saved_mask);
            }
            self.check()?;
        }
        prop_assert!(!self.state.has_deliverable());
        prop_assert_eq!(self.state.pending(), SignalSet::EMPTY);
        self.check()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn state_matches_model(operations in prop::collection::vec(operation(), 0..80)) {
        let mut harness = Harness::new();
        for operation in &operations {
            harness.apply(operation)?;
        }
        harness.drain()?;
    }
}
