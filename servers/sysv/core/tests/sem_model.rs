//! Property test of the semaphore core: random sequences of `semget`, `semop` (with and
//! without `IPC_NOWAIT` and `SEM_UNDO`), `SETVAL`, `SETALL`, cancels, time-outs, forgets,
//! exits and removals applied to [`Semaphores`] and to a naive reference model, comparing
//! every result and every answer (in order), and after every step every value, `sempid`,
//! `semncnt`, `semzcnt`, `sem_otime` and `sem_ctime`.
//!
//! The model is written differently from the core on purpose: waiters of a set are one
//! unordered list, each tagged with the queue it is in and a sequence number that gives
//! its place there (merging renumbers them); queues are walked with a cursor on that
//! number; an operation is tried on copies of the values and adjustments, which are kept
//! only on success. It follows the same rules of Linux's `ipc/sem.c` (see `sem.rs`).
//! On top of the comparison it checks the property Linux's wake-up rules are built for:
//! after every step, no waiter could go through (no wake-up is lost).
//!
//! Every process here waits in at most one `semop` (a blocked process makes no calls), so
//! waiter tokens are pids. At the end every set is removed, which answers every waiter
//! still there, in order, with `EIDRM`.

use std::collections::BTreeMap;

use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, Id, Key};
use courier_sysv_core::sem::{
    OperateOutcome, SEM_UNDO, SEMMSL, SEMOPM, SemaphoreAnswer, SemaphoreOperation, Semaphores,
};
use courier_sysv_core::{Credentials, Errno};
use proptest::prelude::*;

const IDENTITIES: [Credentials; 3] = [
    Credentials { pid: 0, uid: 0, euid: 0, gid: 0, egid: 0 },
    Credentials { pid: 0, uid: 1000, euid: 1000, gid: 100, egid: 100 },
    Credentials { pid: 0, uid: 1001, euid: 1001, gid: 101, egid: 101 },
];
/// The pid `semctl` calls are made with (never blocked).
const CONTROLLER: u32 = 99;
const MAXIMUM: i32 = 32767;

type Answers = Vec<(u32, Result<(), Errno>)>;

fn pairs(answers: Vec<SemaphoreAnswer<u32>>) -> Answers {
    answers.into_iter().map(|answer| (answer.waiter, answer.result)).collect()
}

/// The queue a model waiter is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    SetAlter,
    SetConstant,
    Alter(u16),
    Constant(u16),
}

#[derive(Clone, Debug)]
struct Pending {
    token: u32,
    operations: Vec<SemaphoreOperation>,
    pid: u32,
    blocking: usize,
    place: Place,
    order: u64,
}

/// What trying an operation on the model gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Try {
    Done,
    Blocked(usize),
    Failed(Errno),
}

#[derive(Clone, Debug)]
struct ModelSet {
    id: Id,
    key: Key,
    uid: u32,
    gid: u32,
    mode: u32,
    values: Vec<i32>,
    pids: Vec<u32>,
    operation_times: Vec<u64>,
    change_time: u64,
    pending: Vec<Pending>,
    adjustments: BTreeMap<u32, Vec<i32>>,
}

fn allowed(set: &ModelSet, who: &Credentials, requested: u32) -> bool {
    let requested = (requested >> 6 | requested >> 3 | requested) & 7;
    let granted = if who.euid == set.uid {
        set.mode >> 6
    } else if who.egid == set.gid {
        set.mode >> 3
    } else {
        set.mode
    };
    who.euid == 0 || requested & !granted & 7 == 0
}

impl ModelSet {
    fn size(&self) -> usize {
        self.values.len()
    }

    fn complex_count(&self) -> usize {
        self.pending.iter().filter(|pending| pending.operations.len() > 1).count()
    }

    /// Applies `operations` to copies; keeps them only if all went through.
    fn attempt(&mut self, operations: &[SemaphoreOperation], pid: u32) -> Try {
        let mut values = self.values.clone();
        let mut adjustments = self.adjustments.get(&pid).cloned().unwrap_or(vec![0; self.size()]);
        let undoes = operations.iter().any(|operation| operation.flags & SEM_UNDO != 0);
        for (index, operation) in operations.iter().enumerate() {
            let number = usize::from(operation.number);
            let change = i32::from(operation.operation);
            if (change == 0 && values[number] != 0) || values[number] + change < 0 {
                return if i32::from(operation.flags) & IPC_NOWAIT != 0 {
                    Try::Failed(Errno::Eagain)
                } else {
                    Try::Blocked(index)
                };
            }
            if values[number] + change > MAXIMUM {
                return Try::Failed(Errno::Erange);
            }
            if operation.flags & SEM_UNDO != 0 {
                let adjustment = adjustments[number] - change;
                if !(-MAXIMUM - 1..=MAXIMUM).contains(&adjustment) {
                    return Try::Failed(Errno::Erange);
                }
                adjustments[number] = adjustment;
            }
            values[number] += change;
        }
        self.values = values;
        if undoes {
            self.adjustments.insert(pid, adjustments);
        }
        for operation in operations {
            self.pids[usize::from(operation.number)] = pid;
        }
        Try::Done
    }

    fn try_pending(&mut self, index: usize) -> Try {
        let operations = self.pending[index].operations.clone();
        let outcome = self.attempt(&operations, self.pending[index].pid);
        if let Try::Blocked(blocking) = outcome {
            self.pending[index].blocking = blocking;
        }
        outcome
    }

    /// The index of the first waiter of `place` after the cursor `after`.
    fn next_in(&self, place: Place, after: Option<u64>) -> Option<usize> {
        self.pending
            .iter()
            .enumerate()
            .filter(|(_, pending)| {
                pending.place == place && after.is_none_or(|a| pending.order > a)
            })
            .min_by_key(|(_, pending)| pending.order)
            .map(|(index, _)| index)
    }

    fn in_order(&self, place: Place) -> Vec<usize> {
        let mut indices: Vec<usize> =
            (0..self.pending.len()).filter(|&index| self.pending[index].place == place).collect();
        indices.sort_by_key(|&index| self.pending[index].order);
        indices
    }

    fn wake_constant(&mut self, place: Place, answers: &mut Answers) -> bool {
        let mut after = None;
        let mut completed = false;
        while let Some(index) = self.next_in(place, after) {
            after = Some(self.pending[index].order);
            let result = match self.try_pending(index) {
                Try::Blocked(_) => continue,
                Try::Done => Ok(()),
                Try::Failed(error) => Err(error),
            };
            let pending = self.pending.remove(index);
            completed |= result.is_ok();
            answers.push((pending.token, result));
        }
        completed
    }

    fn wake_zero(
        &mut self,
        operations: Option<&[SemaphoreOperation]>,
        answers: &mut Answers,
    ) -> bool {
        let numbers: Vec<u16> = match operations {
            Some(operations) => operations.iter().map(|operation| operation.number).collect(),
            None => (0..self.size()).map(|number| u16::try_from(number).unwrap()).collect(),
        };
        let mut completed = false;
        let mut got_zero = false;
        for number in numbers {
            if self.values[usize::from(number)] == 0 {
                got_zero = true;
                completed |= self.wake_constant(Place::Constant(number), answers);
            }
        }
        if got_zero {
            completed |= self.wake_constant(Place::SetConstant, answers);
        }
        completed
    }

    fn update_queue(&mut self, place: Place, answers: &mut Answers) -> bool {
        let mut after = None;
        let mut completed = false;
        loop {
            if let Place::Alter(number) = place
                && self.values[usize::from(number)] == 0
            {
                break;
            }
            let Some(index) = self.next_in(place, after) else { break };
            after = Some(self.pending[index].order);
            let result = match self.try_pending(index) {
                Try::Blocked(_) => continue,
                Try::Done => Ok(()),
                Try::Failed(error) => Err(error),
            };
            let pending = self.pending.remove(index);
            if result.is_ok() {
                completed = true;
                self.wake_zero(Some(&pending.operations), answers);
                let set_alter = self.pending.iter().any(|other| other.place == Place::SetAlter);
                if set_alter || pending.operations.len() > 1 {
                    after = None;
                }
            }
            answers.push((pending.token, result));
        }
        completed
    }

    fn smart_update(
        &mut self,
        operations: Option<&[SemaphoreOperation]>,
        mut operation_time: bool,
        now: u64,
        answers: &mut Answers,
    ) {
        operation_time |= self.wake_zero(operations, answers);
        if self.pending.iter().any(|pending| pending.place == Place::SetAlter) {
            operation_time |= self.update_queue(Place::SetAlter, answers);
        } else if let Some(operations) = operations {
            for operation in operations {
                if operation.operation > 0 {
                    operation_time |= self.update_queue(Place::Alter(operation.number), answers);
                }
            }
        } else {
            for number in 0..self.size() {
                let number = u16::try_from(number).unwrap();
                operation_time |= self.update_queue(Place::Alter(number), answers);
            }
        }
        if operation_time {
            let first = operations.map_or(0, |operations| usize::from(operations[0].number));
            self.operation_times[first] = now;
        }
    }

    fn enqueue(&mut self, order: &mut u64, mut pending: Pending) {
        let alters = pending.operations.iter().any(|operation| operation.operation != 0);
        if pending.operations.len() > 1 {
            if self.complex_count() == 0 {
                // Every semaphore's alter queue to the front, the last semaphore's first.
                let mut merged = Vec::new();
                for number in (0..self.size()).rev() {
                    merged.extend(self.in_order(Place::Alter(u16::try_from(number).unwrap())));
                }
                merged.extend(self.in_order(Place::SetAlter));
                for index in merged {
                    self.pending[index].place = Place::SetAlter;
                    self.pending[index].order = *order;
                    *order += 1;
                }
            }
            pending.place = if alters { Place::SetAlter } else { Place::SetConstant };
        } else {
            let number = pending.operations[0].number;
            pending.place = if !alters {
                Place::Constant(number)
            } else if self.complex_count() > 0 {
                Place::SetAlter
            } else {
                Place::Alter(number)
            };
        }
        pending.order = *order;
        *order += 1;
        self.pending.push(pending);
    }

    fn unmerge(&mut self) {
        if self.complex_count() == 0 {
            for pending in &mut self.pending {
                if pending.place == Place::SetAlter {
                    pending.place = Place::Alter(pending.operations[0].number);
                }
            }
        }
    }

    fn count(&self, number: u16, zero: bool) -> u32 {
        let own = if zero { Place::Constant(number) } else { Place::Alter(number) };
        let counted = |pending: &&Pending| {
            let blocking = pending.operations[pending.blocking];
            match pending.place {
                place if place == own => true,
                Place::SetAlter => {
                    blocking.number == number
                        && if zero { blocking.operation == 0 } else { blocking.operation < 0 }
                }
                Place::SetConstant => zero && blocking.number == number && blocking.operation == 0,
                _ => false,
            }
        };
        u32::try_from(self.pending.iter().filter(counted).count()).unwrap()
    }
}

#[derive(Default)]
struct Model {
    sets: Vec<ModelSet>,
    recency: BTreeMap<u32, Vec<Id>>,
    order: u64,
}

impl Model {
    fn find(&mut self, id: Id) -> Result<&mut ModelSet, Errno> {
        self.sets.iter_mut().find(|set| set.id == id).ok_or(Errno::Einval)
    }

    fn waiting(&self, pid: u32) -> bool {
        self.sets.iter().any(|set| set.pending.iter().any(|pending| pending.pid == pid))
    }

    /// `semget`: `Ok(None)` when it creates (the core chooses the id).
    fn get(
        &self,
        key: Key,
        nsems: i32,
        flags: i32,
        who: &Credentials,
    ) -> Result<Option<Id>, Errno> {
        if nsems < 0 || nsems as usize > SEMMSL {
            return Err(Errno::Einval);
        }
        if key != IPC_PRIVATE
            && let Some(set) = self.sets.iter().find(|set| set.key == key)
        {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(Errno::Eexist);
            }
            if nsems as usize > set.size() {
                return Err(Errno::Einval);
            }
            if !allowed(set, who, flags as u32 & 0o777) {
                return Err(Errno::Eacces);
            }
            return Ok(Some(set.id));
        }
        if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
            return Err(Errno::Enoent);
        }
        if nsems == 0 {
            return Err(Errno::Einval);
        }
        Ok(None)
    }

    fn create(&mut self, id: Id, key: Key, nsems: i32, flags: i32, who: &Credentials, now: u64) {
        let size = nsems as usize;
        self.sets.push(ModelSet {
            id,
            key,
            uid: who.euid,
            gid: who.egid,
            mode: flags as u32 & 0o777,
            values: vec![0; size],
            pids: vec![0; size],
            operation_times: vec![0; size],
            change_time: now,
            pending: Vec::new(),
            adjustments: BTreeMap::new(),
        });
    }

    fn operate(
        &mut self,
        id: Id,
        operations: &[SemaphoreOperation],
        who: &Credentials,
        now: u64,
    ) -> Result<Option<Answers>, Errno> {
        if operations.len() > SEMOPM {
            return Err(Errno::E2big);
        }
        if operations.is_empty() {
            return Err(Errno::Einval);
        }
        let pid = who.pid;
        let mut order = self.order;
        let set_index = self.sets.iter().position(|set| set.id == id).ok_or(Errno::Einval)?;
        if operations.iter().any(|operation| operation.flags & SEM_UNDO != 0) {
            let set = &mut self.sets[set_index];
            let size = set.size();
            set.adjustments.entry(pid).or_insert(vec![0; size]);
            let list = self.recency.entry(pid).or_default();
            list.retain(|&used| used != id);
            list.push(id);
        }
        let set = &mut self.sets[set_index];
        if operations.iter().any(|operation| usize::from(operation.number) >= set.size()) {
            return Err(Errno::Efbig);
        }
        let alters = operations.iter().any(|operation| operation.operation != 0);
        if !allowed(set, who, if alters { 0o222 } else { 0o444 }) {
            return Err(Errno::Eacces);
        }
        let result = match set.attempt(operations, pid) {
            Try::Done => {
                let mut answers = Vec::new();
                if alters {
                    set.smart_update(Some(operations), true, now, &mut answers);
                } else {
                    set.operation_times[usize::from(operations[0].number)] = now;
                }
                set.unmerge();
                Ok(Some(answers))
            }
            Try::Blocked(blocking) => {
                let pending = Pending {
                    token: pid,
                    operations: operations.to_vec(),
                    pid,
                    blocking,
                    place: Place::SetAlter,
                    order: 0,
                };
                set.enqueue(&mut order, pending);
                Ok(None)
            }
            Try::Failed(error) => Err(error),
        };
        self.order = order;
        result
    }

    fn take(&mut self, token: u32) -> bool {
        for set in &mut self.sets {
            if let Some(index) = set.pending.iter().position(|pending| pending.token == token) {
                set.pending.remove(index);
                set.unmerge();
                return true;
            }
        }
        false
    }

    fn exit(&mut self, pid: u32, now: u64) -> Answers {
        for set in &mut self.sets {
            set.pending.retain(|pending| pending.pid != pid);
            set.unmerge();
        }
        let mut answers = Vec::new();
        for id in self.recency.remove(&pid).unwrap_or_default().into_iter().rev() {
            let Ok(set) = self.find(id) else { continue };
            let Some(adjustments) = set.adjustments.remove(&pid) else { continue };
            for (number, adjustment) in adjustments.into_iter().enumerate() {
                if adjustment != 0 {
                    set.values[number] = (set.values[number] + adjustment).clamp(0, MAXIMUM);
                    set.pids[number] = pid;
                }
            }
            set.smart_update(None, true, now, &mut answers);
            set.unmerge();
        }
        answers
    }

    fn set_value(
        &mut self,
        id: Id,
        number: i32,
        value: i32,
        who: &Credentials,
        now: u64,
    ) -> Result<Answers, Errno> {
        if !(0..=MAXIMUM).contains(&value) {
            return Err(Errno::Erange);
        }
        let set = self.find(id)?;
        if number < 0 || number as usize >= set.size() {
            return Err(Errno::Einval);
        }
        if !allowed(set, who, 0o222) {
            return Err(Errno::Eacces);
        }
        let number = number as usize;
        for adjustments in set.adjustments.values_mut() {
            adjustments[number] = 0;
        }
        set.values[number] = value;
        set.pids[number] = who.pid;
        set.change_time = now;
        let mut answers = Vec::new();
        set.smart_update(None, false, now, &mut answers);
        set.unmerge();
        Ok(answers)
    }

    fn set_values(
        &mut self,
        id: Id,
        values: &[u16],
        who: &Credentials,
        now: u64,
    ) -> Result<Answers, Errno> {
        let set = self.find(id)?;
        if !allowed(set, who, 0o222) {
            return Err(Errno::Eacces);
        }
        if values.len() != set.size() {
            return Err(Errno::Efault);
        }
        if values.iter().any(|&value| i32::from(value) > MAXIMUM) {
            return Err(Errno::Erange);
        }
        for (number, &value) in values.iter().enumerate() {
            set.values[number] = i32::from(value);
            set.pids[number] = who.pid;
        }
        for adjustments in set.adjustments.values_mut() {
            adjustments.fill(0);
        }
        set.change_time = now;
        let mut answers = Vec::new();
        set.smart_update(None, false, now, &mut answers);
        set.unmerge();
        Ok(answers)
    }

    fn remove(&mut self, id: Id, who: &Credentials) -> Result<Answers, Errno> {
        let index = self.sets.iter().position(|set| set.id == id).ok_or(Errno::Einval)?;
        let set = &self.sets[index];
        if !(who.euid == 0 || who.euid == set.uid) {
            return Err(Errno::Eperm);
        }
        let set = self.sets.remove(index);
        for list in self.recency.values_mut() {
            list.retain(|&used| used != id);
        }
        let mut answers = Vec::new();
        let mut places = vec![Place::SetConstant, Place::SetAlter];
        for number in 0..set.size() {
            let number = u16::try_from(number).unwrap();
            places.extend([Place::Constant(number), Place::Alter(number)]);
        }
        for place in places {
            for index in set.in_order(place) {
                answers.push((set.pending[index].token, Err(Errno::Eidrm)));
            }
        }
        Ok(answers)
    }
}

#[derive(Clone, Debug)]
enum Step {
    Get { key: Key, nsems: i32, flags: i32, identity: usize },
    Operate { set: usize, pid: u32, identity: usize, operations: Vec<SemaphoreOperation> },
    SetValue { set: usize, number: i32, value: i32, identity: usize },
    SetValues { set: usize, values: Vec<u16>, identity: usize },
    Cancel { pid: u32 },
    TimeOut { pid: u32 },
    Forget { pid: u32 },
    Exit { pid: u32 },
    Remove { set: usize, identity: usize },
}

fn operation() -> impl Strategy<Value = SemaphoreOperation> {
    let change = prop_oneof![
        4 => Just(1_i16),
        4 => Just(-1_i16),
        2 => Just(0_i16),
        1 => Just(2_i16),
        1 => Just(-2_i16),
        1 => Just(32767_i16),
        1 => Just(-32767_i16),
    ];
    let flags = prop_oneof![
        8 => Just(0_i16),
        4 => Just(SEM_UNDO),
        1 => Just(IPC_NOWAIT as i16),
        1 => Just(SEM_UNDO | IPC_NOWAIT as i16),
    ];
    (prop_oneof![8 => 0_u16..3, 1 => 3_u16..5], change, flags)
        .prop_map(|(number, operation, flags)| SemaphoreOperation { number, operation, flags })
}

/// One operation more often than several.
fn operations() -> impl Strategy<Value = Vec<SemaphoreOperation>> {
    prop_oneof![
        3 => prop::collection::vec(operation(), 1..=1),
        2 => prop::collection::vec(operation(), 2..=3),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let identity = prop_oneof![4 => Just(0_usize), 2 => Just(1), 1 => Just(2)];
    let pid = 1_u32..=16;
    let set = prop_oneof![8 => 0_usize..3, 1 => 3_usize..6];
    let mode = prop_oneof![Just(0o600), Just(0o640), Just(0o666), Just(0o444)];
    let create = prop_oneof![Just(IPC_CREAT), Just(IPC_CREAT | IPC_EXCL), Just(0)];
    let value = prop_oneof![8 => 0_i32..=3, 1 => Just(-1), 1 => Just(32767), 1 => Just(32768)];
    let stored = prop_oneof![8 => 0_u16..=3, 1 => Just(32767), 1 => Just(32768)];
    prop_oneof![
        3 => (0..4, -1_i32..=4, create, mode, identity.clone()).prop_map(
            |(key, nsems, create, mode, identity)| Step::Get { key, nsems, flags: create | mode, identity }
        ),
        16 => (set.clone(), pid.clone(), identity.clone(), operations())
            .prop_map(|(set, pid, identity, operations)| Step::Operate { set, pid, identity, operations }),
        1 => (set.clone(), pid.clone(), identity.clone()).prop_map(|(set, pid, identity)| {
            Step::Operate { set, pid, identity, operations: Vec::new() }
        }),
        3 => (set.clone(), -1_i32..=3, value, identity.clone())
            .prop_map(|(set, number, value, identity)| Step::SetValue { set, number, value, identity }),
        2 => (set.clone(), prop::collection::vec(stored, 0..=4), identity.clone())
            .prop_map(|(set, values, identity)| Step::SetValues { set, values, identity }),
        1 => pid.clone().prop_map(|pid| Step::Cancel { pid }),
        1 => pid.clone().prop_map(|pid| Step::TimeOut { pid }),
        1 => pid.clone().prop_map(|pid| Step::Forget { pid }),
        3 => pid.prop_map(|pid| Step::Exit { pid }),
        1 => (set, identity).prop_map(|(set, identity)| Step::Remove { set, identity }),
    ]
}

/// The whole visible state of every set, through the core's public methods.
fn check_state(semaphores: &Semaphores<u32>, model: &Model) {
    let root = IDENTITIES[0];
    assert_eq!(semaphores.len(), model.sets.len());
    for set in &model.sets {
        let values: Vec<u16> =
            set.values.iter().map(|&value| u16::try_from(value).unwrap()).collect();
        assert_eq!(semaphores.values(set.id, &root), Ok(values), "values of {}", set.id);
        for number in 0..set.size() {
            let index = i32::try_from(number).unwrap();
            let number16 = u16::try_from(number).unwrap();
            assert_eq!(semaphores.last_pid(set.id, index, &root), Ok(set.pids[number]));
            assert_eq!(
                semaphores.waiting_count(set.id, index, &root),
                Ok(set.count(number16, false))
            );
            assert_eq!(
                semaphores.zero_waiting_count(set.id, index, &root),
                Ok(set.count(number16, true))
            );
        }
        let status = semaphores.status(set.id, &root).unwrap();
        assert_eq!(status.otime, set.operation_times.iter().copied().max().unwrap());
        assert_eq!((status.ctime, status.nsems), (set.change_time, set.size() as u64));
        // No wake-up lost: no waiter could go through now. (A waiter whose operations
        // would now fail, say with EAGAIN because the operation it would block on has
        // IPC_NOWAIT, may stay asleep: Linux rechecks waiters only when a change could let
        // them through, as the answers compared above already check.)
        for pending in &set.pending {
            let mut copy = set.clone();
            assert!(
                !matches!(copy.attempt(&pending.operations, pending.pid), Try::Done),
                "waiter {} could go on: {:?}",
                pending.token,
                pending.operations
            );
        }
    }
}

fn run(steps: Vec<Step>) {
    let mut semaphores: Semaphores<u32> = Semaphores::new();
    let mut model = Model::default();
    // Every id seen, so that removed ones come up again.
    let mut ids: Vec<Id> = Vec::new();
    let id_at = |ids: &[Id], index: usize| ids.get(index).copied().unwrap_or(12345);
    for (time, step) in steps.into_iter().enumerate() {
        let now = time as u64 + 1;
        match step {
            Step::Get { key, nsems, flags, identity } => {
                let who = Credentials { pid: CONTROLLER, ..IDENTITIES[identity] };
                let expected = model.get(key, nsems, flags, &who);
                let got = semaphores.get(key, nsems, flags, &who, now);
                match expected {
                    Ok(Some(id)) => assert_eq!(got, Ok(id)),
                    Ok(None) => {
                        let id = got.expect("creation");
                        assert!(model.sets.iter().all(|set| set.id != id));
                        model.create(id, key, nsems, flags, &who, now);
                        ids.push(id);
                    }
                    Err(error) => assert_eq!(got, Err(error)),
                }
            }
            Step::Operate { set, pid, identity, operations } => {
                if model.waiting(pid) {
                    continue;
                }
                let who = Credentials { pid, ..IDENTITIES[identity] };
                let id = id_at(&ids, set);
                let expected = match model.operate(id, &operations, &who, now) {
                    Ok(Some(answers)) => OperateOutcome::Done {
                        answers: answers
                            .into_iter()
                            .map(|(waiter, result)| SemaphoreAnswer { waiter, result })
                            .collect(),
                    },
                    Ok(None) => OperateOutcome::Blocked,
                    Err(error) => OperateOutcome::Failed(error),
                };
                assert_eq!(semaphores.operate(id, &operations, &who, now, pid), expected);
            }
            Step::SetValue { set, number, value, identity } => {
                let who = Credentials { pid: CONTROLLER, ..IDENTITIES[identity] };
                let id = id_at(&ids, set);
                let expected = model.set_value(id, number, value, &who, now);
                assert_eq!(semaphores.set_value(id, number, value, &who, now).map(pairs), expected);
            }
            Step::SetValues { set, values, identity } => {
                let who = Credentials { pid: CONTROLLER, ..IDENTITIES[identity] };
                let id = id_at(&ids, set);
                let expected = model.set_values(id, &values, &who, now);
                assert_eq!(semaphores.set_values(id, &values, &who, now).map(pairs), expected);
            }
            Step::Cancel { pid } => {
                let expected = model.take(pid).then_some((pid, Err(Errno::Eintr)));
                let got = semaphores.cancel(&pid).map(|answer| (answer.waiter, answer.result));
                assert_eq!(got, expected);
            }
            Step::TimeOut { pid } => {
                let expected = model.take(pid).then_some((pid, Err(Errno::Eagain)));
                let got = semaphores.time_out(&pid).map(|answer| (answer.waiter, answer.result));
                assert_eq!(got, expected);
            }
            Step::Forget { pid } => assert_eq!(semaphores.forget(&pid), model.take(pid)),
            Step::Exit { pid } => {
                let expected = model.exit(pid, now);
                assert_eq!(pairs(semaphores.process_exit(pid, now)), expected);
            }
            Step::Remove { set, identity } => {
                let who = Credentials { pid: CONTROLLER, ..IDENTITIES[identity] };
                let id = id_at(&ids, set);
                let expected = model.remove(id, &who);
                assert_eq!(semaphores.remove(id, &who).map(pairs), expected);
            }
        }
        check_state(&semaphores, &model);
    }
    let root = IDENTITIES[0];
    for id in model.sets.iter().map(|set| set.id).collect::<Vec<_>>() {
        let expected = model.remove(id, &root);
        assert_eq!(semaphores.remove(id, &root).map(pairs), expected);
    }
    assert!(semaphores.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn semaphores_match_the_reference_model(
        sets in prop::collection::vec((1_i32..=4, prop_oneof![Just(0o666), Just(0o600)]), 1..=3),
        steps in prop::collection::vec(step(), 1..120),
    ) {
        let created = sets.into_iter().map(|(nsems, mode)| Step::Get {
            key: IPC_PRIVATE,
            nsems,
            flags: mode,
            identity: 1,
        });
        run(created.chain(steps).collect());
    }
}

#[test]
fn a_busy_fixed_sequence_matches_the_reference_model() {
    // Three sets with waiters of every kind, then exits and removals.
    let operation = |number, operation, flags| SemaphoreOperation { number, operation, flags };
    let mut steps = vec![
        Step::Get { key: 1, nsems: 3, flags: IPC_CREAT | 0o666, identity: 0 },
        Step::Get { key: IPC_PRIVATE, nsems: 2, flags: 0o600, identity: 1 },
    ];
    for pid in 1..=6_u32 {
        let number = (pid % 3) as u16;
        steps.push(Step::Operate {
            set: 0,
            pid,
            identity: 0,
            operations: vec![operation(number, -1, SEM_UNDO), operation((number + 1) % 3, 0, 0)],
        });
        steps.push(Step::Operate {
            set: 1,
            pid: pid + 10,
            identity: 1,
            operations: vec![operation(0, 1, SEM_UNDO)],
        });
    }
    steps.push(Step::SetValues { set: 0, values: vec![1, 0, 2], identity: 0 });
    steps.push(Step::Exit { pid: 11 });
    steps.push(Step::SetValue { set: 0, number: 2, value: 3, identity: 0 });
    steps.push(Step::Exit { pid: 2 });
    run(steps);
}
