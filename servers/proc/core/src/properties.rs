//! Property tests: random sequences of operations applied to the table and to the naive
//! model in `model.rs`, comparing every outcome and the whole visible state after every
//! step (signal state included: dispositions through their effects, stops, continue
//! generations, unreported stops and continues, held signals), and checking the table's
//! invariants.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use courier_abi::signal::{Disposition, SA_NOCLDSTOP, SA_NOCLDWAIT, SI_KERNEL, SIGALRM};
use proptest::prelude::*;

use crate::model::Model;
use crate::table::{Report, Selector};
use crate::{INIT, PID_MAX, Pid, ProcessTable, Signalling, SpawnOptions, StopOutcome, WaitOutcome};

/// How an operation names a process: an index into the pids seen so far (so stale pids
/// of reaped processes come up too), or a fixed number.
#[derive(Clone, Copy, Debug)]
enum Name {
    Known(usize),
    Zero,
    Raw(u32),
}

#[derive(Clone, Copy, Debug)]
enum Target {
    /// A known pid, positive.
    Process(usize),
    /// A known pid, negated (a group).
    Group(usize),
    Raw(i32),
}

#[derive(Clone, Debug)]
enum Operation {
    Create {
        parent: usize,
        group: Option<Name>,
        new_session: bool,
    },
    AbandonNewest,
    /// A process other than init (`None`: init itself, which ends the system).
    Exit {
        process: Option<usize>,
        status: u32,
    },
    Wait {
        caller: usize,
        selector: Target,
        options: u64,
    },
    Cancel {
        token: usize,
    },
    Kill {
        sender: usize,
        target: Target,
        signal: u32,
    },
    CreateSession {
        caller: usize,
    },
    SetProcessGroup {
        caller: usize,
        pid: Name,
        group: Name,
    },
    SetUserId {
        caller: usize,
        uid: u32,
    },
    SetGroupId {
        caller: usize,
        gid: u32,
    },
    SetDisposition {
        caller: usize,
        signal: u32,
        disposition: Disposition,
        flags: u64,
    },
    /// A stop request by a live process (an index into the live pids), with the current
    /// continue generation or a stale one.
    Stop {
        process: usize,
        signal: u32,
        stale: bool,
    },
    Queue {
        sender: usize,
        pid: Name,
        signal: u32,
        value: u64,
    },
    SystemSignal {
        process: usize,
        signal: u32,
    },
    /// A wait by the parent of a stopped process (an index into the stopped pids), for it
    /// or for any child.
    WaitForStopped {
        stopped: usize,
        any: bool,
        options: u64,
    },
    /// `SIGCONT` to a stopped process (an index into the stopped pids), or to its group.
    Continue {
        sender: usize,
        stopped: usize,
        group: bool,
    },
}

/// Signals worth sending: none, the special ones, a default-terminate, a default-ignore,
/// SIGCHLD, stop signals, real-time signals, and invalid numbers.
fn signal() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![0_u32, 9, 15, 18, 18, 64, 65, 17, 19, 20, 10, 40, 40, 28, 11])
}

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        4 => any::<usize>().prop_map(Name::Known),
        2 => Just(Name::Zero),
        1 => prop::sample::select(vec![0x8000_0000_u32, 31000, 4]).prop_map(Name::Raw),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        4 => any::<usize>().prop_map(Target::Process),
        3 => any::<usize>().prop_map(Target::Group),
        3 => prop::sample::select(vec![-1_i32, 0, i32::MIN, 31000, -31000])
            .prop_map(Target::Raw),
    ]
}

/// A process index biased towards init (index 0), the reaper of every orphan.
fn process_or_init() -> impl Strategy<Value = usize> {
    prop_oneof![3 => any::<usize>(), 1 => Just(0_usize)]
}

fn create() -> impl Strategy<Value = Operation> {
    (any::<usize>(), prop::option::weighted(0.4, name()), prop::bool::weighted(0.2))
        .prop_map(|(parent, group, new_session)| Operation::Create { parent, group, new_session })
}

/// An operation; `signal_weight` scales how often the signal operations (dispositions,
/// stops, continues, kills, queues) come up.
fn operation(signal_weight: u32) -> impl Strategy<Value = Operation> {
    let ids = prop::sample::select(vec![0_u32, 1000, 1001, u32::MAX]);
    let statuses = prop::sample::select(vec![0_u32, 1 << 8, 9, 42 << 8, 11, 6, 15]);
    prop_oneof![
        80 => create(),
        10 => Just(Operation::AbandonNewest),
        50 => (any::<usize>(), statuses.clone())
            .prop_map(|(process, status)| Operation::Exit { process: Some(process), status }),
        1 => statuses.prop_map(|status| Operation::Exit { process: None, status }),
        30 + 30 * signal_weight => (
            process_or_init(),
            target(),
            prop::sample::select(vec![
                0_u64, 0, 1, 1, 2, 2, 8, 10, 10, 11, 3, 4, 0x4000_0001, 0x8000_0000, 0x1_0000_0000
            ]),
        )
            .prop_map(|(caller, selector, options)| Operation::Wait { caller, selector, options }),
        10 => any::<usize>().prop_map(|token| Operation::Cancel { token }),
        50 * signal_weight => (process_or_init(), target(), signal())
            .prop_map(|(sender, target, signal)| Operation::Kill { sender, target, signal }),
        40 * signal_weight => (
            process_or_init(),
            prop::sample::select(vec![1_u32, 9, 10, 17, 17, 17, 18, 19, 20, 28, 40, 0, 65]),
            prop::sample::select(vec![
                Disposition::Default,
                Disposition::Ignore,
                Disposition::Catch,
                Disposition::Catch,
            ]),
            prop::sample::select(vec![0_u64, 0, SA_NOCLDSTOP, SA_NOCLDWAIT, 3, 0x1000_0000]),
        )
            .prop_map(|(caller, signal, disposition, flags)| Operation::SetDisposition {
                caller,
                signal,
                disposition,
                flags,
            }),
        40 * signal_weight => (
            process_or_init(),
            prop::sample::select(vec![19_u32, 20, 21, 22, 15]),
            prop::bool::weighted(0.15),
        )
            .prop_map(|(process, signal, stale)| Operation::Stop { process, signal, stale }),
        15 * signal_weight => (process_or_init(), name(), signal(), any::<u64>())
            .prop_map(|(sender, pid, signal, value)| Operation::Queue { sender, pid, signal, value }),
        10 * signal_weight => (any::<usize>(), prop::sample::select(vec![SIGALRM, 18, 9, 19, 0]))
            .prop_map(|(process, signal)| Operation::SystemSignal { process, signal }),
        10 * signal_weight => (
            any::<usize>(),
            any::<bool>(),
            prop::sample::select(vec![0_u64, 2, 8, 8, 10, 10, 9]),
        )
            .prop_map(|(stopped, any, options)| Operation::WaitForStopped { stopped, any, options }),
        20 * signal_weight => (process_or_init(), any::<usize>(), prop::bool::weighted(0.3))
            .prop_map(|(sender, stopped, group)| Operation::Continue { sender, stopped, group }),
        20 => any::<usize>().prop_map(|caller| Operation::CreateSession { caller }),
        30 => (any::<usize>(), name(), name())
            .prop_map(|(caller, pid, group)| Operation::SetProcessGroup { caller, pid, group }),
        20 => (any::<usize>(), ids.clone())
            .prop_map(|(caller, uid)| Operation::SetUserId { caller, uid }),
        10 => (any::<usize>(), ids).prop_map(|(caller, gid)| Operation::SetGroupId { caller, gid }),
    ]
}

/// Whether a wait status reports a stop or a continue (rather than an end).
fn is_report(status: u32) -> bool {
    status & 0xff == 0x7f || status == 0xffff
}

/// The run: the table, the model, and everything needed to name things.
struct Run {
    table: ProcessTable<u32>,
    model: Model,
    /// Every pid ever given, in order (INIT first).
    known: Vec<Pid>,
    /// Every waiter token ever used.
    tokens: Vec<u32>,
    /// The pid of the last successful create, while nothing else happened.
    newest: Option<Pid>,
}

impl Run {
    fn pick(&self, index: usize) -> Pid {
        self.known[index % self.known.len()]
    }

    fn name(&self, name: Name) -> Pid {
        match name {
            Name::Known(index) => self.pick(index),
            Name::Zero => 0,
            Name::Raw(number) => number,
        }
    }

    fn target(&self, target: Target) -> i32 {
        match target {
            Target::Process(index) => i32::try_from(self.pick(index)).expect("pids are small"),
            Target::Group(index) => -i32::try_from(self.pick(index)).expect("pids are small"),
            Target::Raw(number) => number,
        }
    }

    /// A stopped process, by an index into the stopped pids.
    fn stopped(&self, index: usize) -> Option<Pid> {
        let stopped: Vec<Pid> = self
            .known
            .iter()
            .copied()
            .filter(|&pid| self.table.info(pid).is_some_and(|info| info.stopped))
            .collect();
        stopped.get(index % stopped.len().max(1)).copied()
    }

    fn zombies(&self) -> BTreeSet<Pid> {
        self.known
            .iter()
            .copied()
            .filter(|&pid| self.table.info(pid).is_some_and(|info| info.zombie))
            .collect()
    }

    fn apply(&mut self, operation: &Operation) -> Result<(), TestCaseError> {
        let zombies_before = self.zombies();
        let newest = self.newest.take();
        match *operation {
            Operation::Create { parent, group, new_session } => {
                let parent = self.pick(parent);
                let options = SpawnOptions {
                    process_group: group.map(|group| self.name(group)),
                    new_session,
                };
                let in_use_before: BTreeSet<Pid> = self.model.numbers().into_iter().collect();
                let result = self.table.create(parent, options);
                prop_assert_eq!(result, self.model.create(parent, options));
                if let Ok(pid) = result {
                    prop_assert!(!in_use_before.contains(&pid), "pid {} was in use", pid);
                    prop_assert!((1..PID_MAX).contains(&pid));
                    self.known.push(pid);
                    self.newest = Some(pid);
                }
            }
            Operation::AbandonNewest => {
                if let Some(pid) = newest {
                    self.table.abandon(pid);
                    self.model.abandon(pid);
                    prop_assert!(self.table.info(pid).is_none());
                }
            }
            Operation::Exit { process, status } => {
                let pid = match process {
                    Some(index) if self.known.len() > 1 => {
                        self.known[1 + index % (self.known.len() - 1)]
                    }
                    _ => INIT,
                };
                let outcome = self.table.exited(pid, status);
                prop_assert_eq!(&outcome, &self.model.exited(pid, status));
                self.check_signals(&outcome.signals)?;
                let mut reaped = BTreeSet::new();
                for answer in &outcome.answers {
                    if let Ok((child, status)) = answer.result {
                        prop_assert!(reaped.insert(child), "{} answered twice", child);
                        if is_report(status) {
                            // An adopted child's stop or continue, found by a woken waiter.
                            prop_assert!(self.table.info(child).is_some_and(|info| !info.zombie));
                            continue;
                        }
                        prop_assert!(
                            child == pid || zombies_before.contains(&child),
                            "{} was not a zombie",
                            child
                        );
                        prop_assert!(self.table.info(child).is_none(), "{} still there", child);
                    }
                }
            }
            Operation::Wait { caller, selector, options } => {
                let caller = self.pick(caller);
                let selector = self.target(selector);
                let token = u32::try_from(self.tokens.len()).expect("few tokens");
                self.tokens.push(token);
                let outcome = self.table.wait(caller, selector, options, token);
                prop_assert_eq!(outcome, self.model.wait(caller, selector, options, token));
                if let WaitOutcome::Reaped { pid, status } = outcome {
                    if is_report(status) {
                        // A stop or continue report: the child stays.
                        prop_assert!(self.table.info(pid).is_some_and(|info| !info.zombie));
                        prop_assert_eq!(
                            status & 0xff == 0x7f,
                            options & 2 != 0 && status != 0xffff
                        );
                    } else {
                        prop_assert!(zombies_before.contains(&pid));
                        prop_assert!(self.table.info(pid).is_none());
                    }
                }
            }
            Operation::Cancel { token } => {
                if !self.tokens.is_empty() {
                    let token = self.tokens[token % self.tokens.len()];
                    prop_assert_eq!(self.table.cancel_wait(&token), self.model.cancel_wait(token));
                }
            }
            Operation::Kill { sender, target, signal } => {
                let sender = self.pick(sender);
                let target = self.target(target);
                let result = self.table.kill(sender, target, signal);
                prop_assert_eq!(&result, &self.model.kill(sender, target, signal));
                if let Ok(outcome) = result {
                    self.check_signals(&outcome.signals)?;
                }
            }
            Operation::SetDisposition { caller, signal, disposition, flags } => {
                let caller = self.pick(caller);
                prop_assert_eq!(
                    self.table.set_disposition(caller, signal, disposition, flags),
                    self.model.set_disposition(caller, signal, disposition, flags)
                );
            }
            Operation::Stop { process, signal, stale } => {
                // Mostly a live process other than init (init's stop requests fail).
                let live: Vec<Pid> =
                    self.table.live_pids().into_iter().filter(|&pid| pid != INIT).collect();
                let pid = match live.get(process % live.len().max(1)) {
                    Some(&pid) if process % 8 != 0 => pid,
                    _ => INIT,
                };
                let current =
                    self.table.signal_state(pid).map_or(0, |state| state.continue_generation);
                let generation = if stale { current.wrapping_sub(1) } else { current };
                let token = u32::try_from(self.tokens.len()).expect("few tokens");
                self.tokens.push(token);
                let outcome = self.table.stop(pid, signal, generation, token);
                prop_assert_eq!(&outcome, &self.model.stop(pid, signal, generation, token));
                if let StopOutcome::Stopped { signals, .. } = &outcome {
                    prop_assert!(self.table.info(pid).is_some_and(|info| info.stopped));
                    self.check_signals(signals)?;
                }
            }
            Operation::Queue { sender, pid, signal, value } => {
                let sender = self.pick(sender);
                let pid = self.name(pid);
                let result = self.table.queue(sender, pid, signal, value);
                prop_assert_eq!(&result, &self.model.queue(sender, pid, signal, value));
                if let Ok(outcome) = result {
                    self.check_signals(&outcome.signals)?;
                }
            }
            Operation::WaitForStopped { stopped, any, options } => {
                if let Some(pid) = self.stopped(stopped) {
                    let caller = self.table.parent(pid).unwrap_or(0);
                    let selector = if any { -1 } else { i32::try_from(pid).expect("small") };
                    let token = u32::try_from(self.tokens.len()).expect("few tokens");
                    self.tokens.push(token);
                    let outcome = self.table.wait(caller, selector, options, token);
                    prop_assert_eq!(outcome, self.model.wait(caller, selector, options, token));
                }
            }
            Operation::Continue { sender, stopped, group } => {
                if let Some(pid) = self.stopped(stopped) {
                    let sender = self.pick(sender);
                    let target = if group {
                        let group = self.table.process_group(INIT, pid).unwrap_or(pid);
                        -i32::try_from(group).expect("pids are small")
                    } else {
                        i32::try_from(pid).expect("pids are small")
                    };
                    let result = self.table.kill(sender, target, 18);
                    prop_assert_eq!(&result, &self.model.kill(sender, target, 18));
                    if let Ok(outcome) = result {
                        self.check_signals(&outcome.signals)?;
                    }
                }
            }
            Operation::SystemSignal { process, signal } => {
                let pid = self.pick(process);
                let outcome = self.table.system_signal(pid, signal, SI_KERNEL);
                prop_assert_eq!(&outcome, &self.model.system_signal(pid, signal, SI_KERNEL));
                self.check_signals(&outcome.signals)?;
            }
            Operation::CreateSession { caller } => {
                let caller = self.pick(caller);
                prop_assert_eq!(
                    self.table.create_session(caller),
                    self.model.create_session(caller)
                );
            }
            Operation::SetProcessGroup { caller, pid, group } => {
                let caller = self.pick(caller);
                let (pid, group) = (self.name(pid), self.name(group));
                prop_assert_eq!(
                    self.table.set_process_group(caller, pid, group),
                    self.model.set_process_group(caller, pid, group)
                );
            }
            Operation::SetUserId { caller, uid } => {
                let caller = self.pick(caller);
                prop_assert_eq!(
                    self.table.set_user_id(caller, uid),
                    self.model.set_user_id(caller, uid)
                );
            }
            Operation::SetGroupId { caller, gid } => {
                let caller = self.pick(caller);
                prop_assert_eq!(
                    self.table.set_group_id(caller, gid),
                    self.model.set_group_id(caller, gid)
                );
            }
        }
        self.check()
    }

    /// Every action names a process that can take it: posts and kills go to live
    /// processes (a kill never to init), a resumed process runs.
    fn check_signals(&self, signals: &[Signalling<u32>]) -> Result<(), TestCaseError> {
        for signalling in signals {
            match *signalling {
                Signalling::Post { pid, info, .. } => {
                    let info_of_target = self.table.info(pid);
                    prop_assert!(info_of_target.is_some_and(|target| !target.zombie));
                    prop_assert!((1..=64).contains(&info.signal));
                }
                Signalling::Kill { pid, signal } => {
                    prop_assert!(pid != INIT && signal == 9);
                    prop_assert!(self.table.info(pid).is_some_and(|info| !info.zombie));
                }
                Signalling::Resume { pid, .. } => {
                    prop_assert!(self.table.info(pid).is_some_and(|info| !info.stopped));
                }
            }
        }
        Ok(())
    }

    /// The whole visible state agrees with the model, and the invariants hold.
    fn check(&self) -> Result<(), TestCaseError> {
        self.table.check_consistency();
        prop_assert_eq!(self.table.len(), self.model.len());
        prop_assert_eq!(self.table.is_empty(), self.model.len() == 0);
        prop_assert_eq!(self.table.live_pids(), self.model.live_pids());
        prop_assert_eq!(self.table.stored_waiters(), self.model.waiters());
        prop_assert_eq!(self.table.waiter_count(), self.model.waiters().len());
        prop_assert_eq!(self.table.stored_waiter_reports(), self.model.waiter_reports());
        let mut numbers: BTreeSet<Pid> = self.known.iter().copied().collect();
        numbers.extend(self.model.numbers());
        numbers.extend([0x8000_0000, 31000, 4]);
        for &number in &numbers {
            prop_assert_eq!(self.table.info(number), self.model.info(number), "info {}", number);
            prop_assert_eq!(self.table.children(number), self.model.children(number));
            prop_assert_eq!(self.table.is_in_use(number), self.model.in_use(number));
            prop_assert_eq!(self.table.parent(number), self.model.info(number).map(|i| i.parent));
            prop_assert_eq!(
                self.table.credentials(number),
                self.model.info(number).map(|info| info.credentials)
            );
            prop_assert_eq!(
                self.table.process_group(INIT, number),
                self.model.process_group(INIT, number)
            );
            prop_assert_eq!(self.table.session(INIT, number), self.model.session(INIT, number));
            prop_assert_eq!(
                self.table.signal_state(number),
                self.model.signal_state(number),
                "signal state of {}",
                number
            );
        }
        // Every live process but init has a parent that exists (checked as a tree rooted
        // at init by `check_consistency`); zombies' parents exist too.
        for pid in self.table.live_pids() {
            if pid != INIT {
                let parent = self.table.parent(pid).unwrap_or(0);
                prop_assert!(self.table.info(parent).is_some(), "parent of {} is gone", pid);
            }
        }
        // Stored waiters: a live caller; no matching zombie left unreaped; waiters for one
        // child or any child have a matching child. (A waiter for a group can lose every
        // matching child without a wake-up, as on Linux: the children change group, or the
        // caller reaps its other children synchronously.)
        let reports = self.table.stored_waiter_reports();
        for (index, (caller, selector, _)) in self.table.stored_waiters().into_iter().enumerate() {
            let info = self.table.info(caller);
            prop_assert!(info.is_some_and(|info| !info.zombie), "waiter of a gone caller");
            let children = self.table.children(caller);
            let matching: Vec<Pid> = children
                .iter()
                .copied()
                .filter(|&child| match selector {
                    Selector::AnyChild => true,
                    Selector::Group(group) => self.table.process_group(INIT, child) == Ok(group),
                    Selector::Child(pid) => child == pid,
                })
                .collect();
            for &child in &matching {
                prop_assert!(
                    self.table.info(child).is_some_and(|info| !info.zombie),
                    "waiter of {} left zombie {} unreaped",
                    caller,
                    child
                );
                // A stop or continue wakes the waiters for the child; only a group waiter
                // (the child changed group) or init (it adopted the child) can miss one,
                // as on Linux.
                let unreported = self.table.signal_state(child).and_then(|state| state.unreported);
                let wanted = match unreported {
                    Some(Report::Stopped(_)) => reports[index] & 2 != 0,
                    Some(Report::Continued) => reports[index] & 8 != 0,
                    None => false,
                };
                if caller != INIT && !matches!(selector, Selector::Group(_)) {
                    prop_assert!(!wanted, "waiter of {} left {}'s report", caller, child);
                }
            }
            // Only a group can lose its matching children without a wake-up (a child's
            // setsid or setpgid wakes nobody, as on Linux).
            if !matches!(selector, Selector::Group(_)) {
                prop_assert!(
                    !matching.is_empty(),
                    "waiter {} for {:?} has no child",
                    caller,
                    selector
                );
            }
        }
        Ok(())
    }
}

fn run(initial_cursor: Pid, operations: &[Operation]) -> Result<(), TestCaseError> {
    let mut run = Run {
        table: ProcessTable::with_next_pid(initial_cursor),
        model: Model::new(initial_cursor),
        known: Vec::new(),
        tokens: Vec::new(),
        newest: None,
    };
    prop_assert_eq!(run.table.create_init(), run.model.create_init());
    run.known.push(INIT);
    run.check()?;
    for operation in operations {
        run.apply(operation)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn table_agrees_with_the_model(
        initial_cursor in prop::sample::select(vec![0, 0, PID_MAX - 6, 295]),
        operations in prop::collection::vec(operation(1), 1..80),
    ) {
        run(initial_cursor, &operations)?;
    }

    /// The same, with signal operations (stops, continues, dispositions) far more often,
    /// after a few processes were made.
    #[test]
    fn table_agrees_with_the_model_on_signals(
        creations in prop::collection::vec(create(), 2..10),
        operations in prop::collection::vec(operation(4), 1..80),
    ) {
        run(0, &[creations, operations].concat())?;
    }
}
