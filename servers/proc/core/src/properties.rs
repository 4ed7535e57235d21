//! Property tests: random sequences of operations applied to the table and to the naive
//! model in `model.rs`, comparing every outcome and the whole visible state after every
//! step, and checking the table's invariants.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use crate::model::Model;
use crate::table::Selector;
use crate::{INIT, PID_MAX, Pid, ProcessTable, SpawnOptions, WaitOutcome};

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

fn operation() -> impl Strategy<Value = Operation> {
    let ids = prop::sample::select(vec![0_u32, 1000, 1001, u32::MAX]);
    let statuses = prop::sample::select(vec![0_u32, 1 << 8, 9, 42 << 8]);
    prop_oneof![
        80 => (any::<usize>(), prop::option::weighted(0.4, name()), prop::bool::weighted(0.2))
            .prop_map(|(parent, group, new_session)| {
                Operation::Create { parent, group, new_session }
            }),
        10 => Just(Operation::AbandonNewest),
        50 => (any::<usize>(), statuses.clone())
            .prop_map(|(process, status)| Operation::Exit { process: Some(process), status }),
        1 => statuses.prop_map(|status| Operation::Exit { process: None, status }),
        60 => (
            process_or_init(),
            target(),
            prop::sample::select(vec![
                0_u64, 0, 1, 1, 2, 8, 11, 4, 0x4000_0001, 0x8000_0000, 0x1_0000_0000
            ]),
        )
            .prop_map(|(caller, selector, options)| Operation::Wait { caller, selector, options }),
        10 => any::<usize>().prop_map(|token| Operation::Cancel { token }),
        40 => (any::<usize>(), target(), prop::sample::select(vec![0_u32, 9, 15, 18, 64, 65]))
            .prop_map(|(sender, target, signal)| Operation::Kill { sender, target, signal }),
        20 => any::<usize>().prop_map(|caller| Operation::CreateSession { caller }),
        30 => (any::<usize>(), name(), name())
            .prop_map(|(caller, pid, group)| Operation::SetProcessGroup { caller, pid, group }),
        20 => (any::<usize>(), ids.clone())
            .prop_map(|(caller, uid)| Operation::SetUserId { caller, uid }),
        10 => (any::<usize>(), ids).prop_map(|(caller, gid)| Operation::SetGroupId { caller, gid }),
    ]
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
                let mut reaped = BTreeSet::new();
                for answer in &outcome.answers {
                    if let Ok((child, _)) = answer.result {
                        prop_assert!(reaped.insert(child), "{} reaped twice", child);
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
                if let WaitOutcome::Reaped { pid, .. } = outcome {
                    prop_assert!(zombies_before.contains(&pid));
                    prop_assert!(self.table.info(pid).is_none());
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
                    for pid in outcome.deliver_to {
                        let info = self.table.info(pid);
                        prop_assert!(pid != INIT && info.is_some_and(|info| !info.zombie));
                    }
                }
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

    /// The whole visible state agrees with the model, and the invariants hold.
    fn check(&self) -> Result<(), TestCaseError> {
        self.table.check_consistency();
        prop_assert_eq!(self.table.len(), self.model.len());
        prop_assert_eq!(self.table.is_empty(), self.model.len() == 0);
        prop_assert_eq!(self.table.live_pids(), self.model.live_pids());
        prop_assert_eq!(self.table.stored_waiters(), self.model.waiters());
        prop_assert_eq!(self.table.waiter_count(), self.model.waiters().len());
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
        for (caller, selector, _) in self.table.stored_waiters() {
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
        operations in prop::collection::vec(operation(), 1..80),
    ) {
        run(initial_cursor, &operations)?;
    }
}
