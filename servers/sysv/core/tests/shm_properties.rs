//! Property test: random sequences of `shmget`, `shmat`, `shmdt`, process exits and
//! `shmctl` applied to [`SharedMemory`] and to a plain reference model written from the
//! rules of Linux's `ipc/shm.c` must give the same results and the same status of every
//! segment after every step; and every memory object the core asked for must be handed
//! back for destruction exactly once, when its segment goes, and all of them by the end.

use std::collections::{BTreeMap, BTreeSet};

use courier_sysv_core::Errno;
use courier_sysv_core::ipc::{IPC_CREAT, IPC_EXCL, IPC_PRIVATE, Id, Key, Permissions};
use courier_sysv_core::shm::{
    Attachment, PAGE_SIZE, SHM_DEST, SHM_EXEC, SHM_LOCKED, SHM_RDONLY, SHMALL, SHMMAX,
    SegmentStatus, SharedMemory,
};
use model::{EVERYONE, Who, allowed, controls, who};
use proptest::prelude::*;

mod model;

#[derive(Clone, Debug)]
enum Operation {
    Get { key: Key, size: u64, create: bool, exclusive: bool, mode: u32, who: Who },
    Attach { segment: usize, flags: i32, who: Who },
    Detach { segment: usize, who: Who },
    Exit { who: Who },
    Status { segment: usize, who: Who },
    StatusBySlot { slot: usize, who: Who },
    Set { segment: usize, who: Who, owner: Who, mode: u32 },
    Remove { segment: usize, who: Who },
    Lock { segment: usize, who: Who, lock: bool },
}

#[derive(Clone, Debug)]
struct ModelSegment {
    id: Id,
    permissions: Permissions,
    size: u64,
    atime: u64,
    dtime: u64,
    ctime: u64,
    cpid: u32,
    lpid: u32,
    object: u64,
}

#[derive(Default)]
struct Model {
    segments: Vec<ModelSegment>,
    /// Every id the core returned, live or removed.
    ids: Vec<Id>,
    /// Attachments by (pid, id).
    attachments: BTreeMap<(u32, Id), u64>,
}

impl Model {
    fn id(&self, segment: usize) -> Id {
        self.ids.get(segment % (self.ids.len() + 1)).copied().unwrap_or(-1)
    }

    fn index(&self, id: Id) -> Option<usize> {
        self.segments.iter().position(|segment| segment.id == id)
    }

    fn nattch(&self, id: Id) -> u64 {
        self.attachments.iter().filter(|((_, other), _)| *other == id).map(|(_, count)| count).sum()
    }

    fn total_pages(&self) -> u64 {
        self.segments.iter().map(|segment| segment.size.div_ceil(PAGE_SIZE)).sum()
    }

    fn status(&self, segment: &ModelSegment) -> SegmentStatus {
        SegmentStatus {
            permissions: segment.permissions,
            size: segment.size,
            atime: segment.atime,
            dtime: segment.dtime,
            ctime: segment.ctime,
            cpid: segment.cpid,
            lpid: segment.lpid,
            nattch: self.nattch(segment.id),
        }
    }

    /// `shmdt` by `pid`: the object to destroy, if any.
    fn detach(&mut self, id: Id, pid: u32, now: u64) -> Result<Option<u64>, Errno> {
        let count = self.attachments.get_mut(&(pid, id)).ok_or(Errno::Einval)?;
        *count -= 1;
        if *count == 0 {
            self.attachments.remove(&(pid, id));
        }
        let attached = self.nattch(id);
        let index = self.index(id).ok_or(Errno::Einval)?;
        let segment = &mut self.segments[index];
        segment.dtime = now;
        segment.lpid = pid;
        if attached == 0 && segment.permissions.mode & SHM_DEST != 0 {
            return Ok(Some(self.segments.remove(index).object));
        }
        Ok(None)
    }
}

/// Applies `operations`, then ends every process and removes every segment.
fn compare(operations: &[Operation]) -> Result<(), TestCaseError> {
    let mut core = SharedMemory::<u64>::new();
    let mut model = Model::default();
    let mut created = BTreeSet::new();
    let mut destroyed = BTreeSet::new();
    let mut next_object = 0_u64;
    let mut note_destroyed = |objects: &[u64], step: usize| -> Result<(), TestCaseError> {
        for &object in objects {
            prop_assert!(
                destroyed.insert(object),
                "step {}: object {} destroyed twice",
                step,
                object
            );
        }
        Ok(())
    };
    for (step, operation) in operations.iter().enumerate() {
        let now = 100 + step as u64;
        match *operation {
            Operation::Get { key, size, create, exclusive, mode, who } => {
                let flags = mode as i32
                    | if create { IPC_CREAT } else { 0 }
                    | if exclusive { IPC_EXCL } else { 0 };
                let result = core.get(key, size, flags, &who.credentials(), now, |bytes| {
                    assert_eq!(bytes, size.div_ceil(PAGE_SIZE) * PAGE_SIZE);
                    next_object += 1;
                    Ok(next_object)
                });
                let existing = model
                    .segments
                    .iter()
                    .find(|segment| key != IPC_PRIVATE && segment.permissions.key == key);
                let pages = size.div_ceil(PAGE_SIZE);
                let expected = match existing {
                    Some(_) if create && exclusive => Err(Errno::Eexist),
                    Some(segment) if segment.size < size => Err(Errno::Einval),
                    Some(segment) if !allowed(&segment.permissions, who, mode) => {
                        Err(Errno::Eacces)
                    }
                    Some(segment) => Ok(segment.id),
                    None if key != IPC_PRIVATE && !create => Err(Errno::Enoent),
                    None if size == 0 || size > SHMMAX => Err(Errno::Einval),
                    None if model
                        .total_pages()
                        .checked_add(pages)
                        .is_none_or(|total| total > SHMALL) =>
                    {
                        Err(Errno::Enospc)
                    }
                    None => {
                        let id = result.map_err(|error| {
                            TestCaseError::fail(format!("step {step}: create failed: {error:?}"))
                        })?;
                        prop_assert!(model.index(id).is_none(), "step {}: id {} reused", step, id);
                        prop_assert!(created.insert(next_object));
                        let credentials = who.credentials();
                        model.ids.push(id);
                        model.segments.push(ModelSegment {
                            id,
                            permissions: Permissions {
                                key,
                                uid: credentials.euid,
                                gid: credentials.egid,
                                cuid: credentials.euid,
                                cgid: credentials.egid,
                                mode: mode & 0o777,
                                sequence: (id as u32) >> 15,
                            },
                            size,
                            atime: 0,
                            dtime: 0,
                            ctime: now,
                            cpid: credentials.pid,
                            lpid: 0,
                            object: next_object,
                        });
                        Ok(id)
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Attach { segment, flags, who } => {
                let id = model.id(segment);
                let result = core.attach(id, flags, &who.credentials(), now);
                let writable = flags & SHM_RDONLY == 0;
                let executable = flags & SHM_EXEC != 0;
                let requested =
                    0o444 | if writable { 0o222 } else { 0 } | if executable { 0o111 } else { 0 };
                let expected = match model.index(id) {
                    None => Err(Errno::Einval),
                    Some(index) if !allowed(&model.segments[index].permissions, who, requested) => {
                        Err(Errno::Eacces)
                    }
                    Some(index) => {
                        let pid = who.credentials().pid;
                        let segment = &mut model.segments[index];
                        segment.atime = now;
                        segment.lpid = pid;
                        let attachment = Attachment {
                            object: segment.object,
                            size: segment.size,
                            writable,
                            executable,
                        };
                        *model.attachments.entry((pid, id)).or_default() += 1;
                        Ok(attachment)
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Detach { segment, who } => {
                let id = model.id(segment);
                let pid = who.credentials().pid;
                let result = core.detach(id, pid, now);
                prop_assert_eq!(
                    result,
                    model.detach(id, pid, now),
                    "step {}: {:?}",
                    step,
                    operation
                );
                if let Ok(Some(object)) = result {
                    note_destroyed(&[object], step)?;
                }
            }
            Operation::Exit { who } => {
                let pid = who.credentials().pid;
                let objects = core.process_exit(pid, now);
                let held: Vec<(Id, u64)> = model
                    .attachments
                    .range((pid, Id::MIN)..=(pid, Id::MAX))
                    .map(|(&(_, id), &count)| (id, count))
                    .collect();
                let mut expected = Vec::new();
                for (id, count) in held {
                    for _ in 0..count {
                        if let Ok(Some(object)) = model.detach(id, pid, now) {
                            expected.push(object);
                        }
                    }
                }
                prop_assert_eq!(&objects, &expected, "step {}: {:?}", step, operation);
                note_destroyed(&objects, step)?;
            }
            Operation::Status { segment, who } => {
                let id = model.id(segment);
                let result = core.status(id, &who.credentials());
                let expected = match model.index(id) {
                    None => Err(Errno::Einval),
                    Some(index) if !allowed(&model.segments[index].permissions, who, 0o444) => {
                        Err(Errno::Eacces)
                    }
                    Some(index) => Ok(model.status(&model.segments[index])),
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::StatusBySlot { slot, who } => {
                let result = core.status_by_slot(slot, &who.credentials());
                let expected = match model
                    .segments
                    .iter()
                    .find(|segment| (segment.id & 0x7fff) as usize == slot)
                {
                    None => Err(Errno::Einval),
                    Some(segment) if !allowed(&segment.permissions, who, 0o444) => {
                        Err(Errno::Eacces)
                    }
                    Some(segment) => Ok((segment.id, model.status(segment))),
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Set { segment, who, owner, mode } => {
                let id = model.id(segment);
                let owner = owner.credentials();
                let result = core.set(id, &who.credentials(), owner.uid, owner.gid, mode, now);
                let expected = match model.index(id) {
                    None => Err(Errno::Einval),
                    Some(index) if !controls(&model.segments[index].permissions, who) => {
                        Err(Errno::Eperm)
                    }
                    Some(index) => {
                        let segment = &mut model.segments[index];
                        segment.permissions.uid = owner.uid;
                        segment.permissions.gid = owner.gid;
                        segment.permissions.mode =
                            (segment.permissions.mode & !0o777) | (mode & 0o777);
                        segment.ctime = now;
                        Ok(())
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
            Operation::Remove { segment, who } => {
                let id = model.id(segment);
                let result = core.remove(id, &who.credentials());
                let expected = match model.index(id) {
                    None => Err(Errno::Einval),
                    Some(index) if !controls(&model.segments[index].permissions, who) => {
                        Err(Errno::Eperm)
                    }
                    Some(index) if model.nattch(id) == 0 => {
                        Ok(Some(model.segments.remove(index).object))
                    }
                    Some(index) => {
                        let permissions = &mut model.segments[index].permissions;
                        permissions.mode |= SHM_DEST;
                        permissions.key = IPC_PRIVATE;
                        Ok(None)
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
                if let Ok(Some(object)) = result {
                    note_destroyed(&[object], step)?;
                }
            }
            Operation::Lock { segment, who, lock } => {
                let id = model.id(segment);
                let result = core.lock(id, &who.credentials(), lock);
                let expected = match model.index(id) {
                    None => Err(Errno::Einval),
                    Some(index) if !controls(&model.segments[index].permissions, who) => {
                        Err(Errno::Eperm)
                    }
                    Some(index) => {
                        let permissions = &mut model.segments[index].permissions;
                        if lock {
                            permissions.mode |= SHM_LOCKED;
                        } else {
                            permissions.mode &= !SHM_LOCKED;
                        }
                        Ok(())
                    }
                };
                prop_assert_eq!(result, expected, "step {}: {:?}", step, operation);
            }
        }
        for segment in &model.segments {
            prop_assert_eq!(
                core.status(segment.id, &Who::Root.credentials()),
                Ok(model.status(segment)),
                "step {}",
                step
            );
        }
        let (info, highest) = core.info();
        prop_assert_eq!(
            info.fields(true)[..2].to_vec(),
            vec![model.segments.len() as u64, model.total_pages()]
        );
        prop_assert_eq!(
            highest,
            model.segments.iter().map(|segment| (segment.id & 0x7fff) as usize).max()
        );
    }
    // Every process ends and root removes what is left: every object is destroyed once.
    let end = 100 + operations.len() as u64;
    for who in EVERYONE {
        let objects = core.process_exit(who.credentials().pid, end);
        note_destroyed(&objects, operations.len())?;
    }
    for segment in &model.segments {
        if let Ok(Some(object)) = core.remove(segment.id, &Who::Root.credentials()) {
            note_destroyed(&[object], operations.len())?;
        }
    }
    prop_assert!(core.is_empty());
    prop_assert_eq!(created, destroyed);
    Ok(())
}

fn operation() -> impl Strategy<Value = Operation> {
    let mode =
        prop::sample::select(vec![0o600, 0o644, 0o660, 0o666, 0o640, 0o000, 0o700, 0o755, 0o711]);
    let size =
        prop::sample::select(vec![0, 1, 100, PAGE_SIZE, PAGE_SIZE + 1, 10_000, SHMMAX, SHMMAX + 1]);
    let flags = prop::sample::select(vec![0, SHM_RDONLY, SHM_EXEC, SHM_RDONLY | SHM_EXEC]);
    prop_oneof![
        3 => (0..4_i32, size, any::<bool>(), any::<bool>(), mode.clone(), who()).prop_map(|(key, size, create, exclusive, mode, who)| Operation::Get { key, size, create: create || key == 0, exclusive, mode, who }),
        6 => (any::<usize>(), flags, who()).prop_map(|(segment, flags, who)| Operation::Attach { segment, flags, who }),
        5 => (any::<usize>(), who()).prop_map(|(segment, who)| Operation::Detach { segment, who }),
        1 => who().prop_map(|who| Operation::Exit { who }),
        2 => (any::<usize>(), who()).prop_map(|(segment, who)| Operation::Status { segment, who }),
        1 => (0..8_usize, who()).prop_map(|(slot, who)| Operation::StatusBySlot { slot, who }),
        2 => (any::<usize>(), who(), who(), mode).prop_map(|(segment, who, owner, mode)| Operation::Set { segment, who, owner, mode }),
        3 => (any::<usize>(), who()).prop_map(|(segment, who)| Operation::Remove { segment, who }),
        1 => (any::<usize>(), who(), any::<bool>()).prop_map(|(segment, who, lock)| Operation::Lock { segment, who, lock }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_match_the_reference_model(operations in prop::collection::vec(operation(), 1..80)) {
        compare(&operations)?;
    }
}
