//! Handles: how a process names kernel objects, and the rights a handle carries.
//!
//! A handle is a 32-bit value: a slot index in the process's handle table plus one in the
//! low 16 bits (so 0 is never a handle) and the slot's generation in the high 16 bits (so
//! a closed and reused slot does not answer to an old handle).

/// The generation of a slot's first occupant. The kernel's generations start here and
/// skip 0 when they wrap, so no id the kernel packs into 32 bits (reply, client, thread
/// and watch ids as well as handles) is ever 0, and 0 can always mean "none".
pub const FIRST_GENERATION: u16 = 1;

/// A handle value.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub u32);

impl Handle {
    /// Never a handle.
    pub const NONE: Handle = Handle(0);

    /// The handle for table slot `index` with `generation`.
    pub const fn new(index: u16, generation: u16) -> Handle {
        Handle((index as u32 + 1) | ((generation as u32) << 16))
    }

    /// The table slot, or `None` for [`Handle::NONE`] and malformed values.
    pub const fn index(self) -> Option<u16> {
        match (self.0 & 0xffff).checked_sub(1) {
            Some(index) => Some(index as u16),
            None => None,
        }
    }

    /// The generation.
    pub const fn generation(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The handle a child process finds its `position`th spawned handle at (1-based):
    /// spawned handles fill the first slots of a new table.
    pub const fn initial(position: u16) -> Handle {
        Handle::new(position - 1, FIRST_GENERATION)
    }
}

/// What kind of object a handle names.
#[repr(usize)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandleKind {
    /// A process (control handle).
    Process = 1,
    /// A thread.
    Thread = 2,
    /// An IPC endpoint.
    Endpoint = 3,
    /// A notification.
    Notification = 4,
    /// A memory object.
    MemoryObject = 5,
    /// A reference: a send capability to an endpoint with a fixed badge, whose last close
    /// the endpoint hears about.
    Reference = 6,
}

impl HandleKind {
    /// Decodes a kind number.
    pub const fn from_number(number: usize) -> Option<HandleKind> {
        match number {
            1 => Some(HandleKind::Process),
            2 => Some(HandleKind::Thread),
            3 => Some(HandleKind::Endpoint),
            4 => Some(HandleKind::Notification),
            5 => Some(HandleKind::MemoryObject),
            6 => Some(HandleKind::Reference),
            _ => None,
        }
    }
}

/// The rights a handle carries (a bit set).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rights(pub u32);

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);
    /// Call the endpoint.
    pub const SEND: Rights = Rights(1 << 0);
    /// Receive on the endpoint; bind notifications to it; watch deaths through it.
    pub const RECEIVE: Rights = Rights(1 << 1);
    /// Make new handles with other badges (endpoints).
    pub const MINT: Rights = Rights(1 << 2);
    /// Signal the notification.
    pub const SIGNAL: Rights = Rights(1 << 3);
    /// Wait on the notification.
    pub const WAIT: Rights = Rights(1 << 4);
    /// Map the memory object readable.
    pub const READ: Rights = Rights(1 << 5);
    /// Map the memory object writable.
    pub const WRITE: Rights = Rights(1 << 6);
    /// Map the memory object executable.
    pub const EXECUTE: Rights = Rights(1 << 7);
    /// Resize the memory object.
    pub const RESIZE: Rights = Rights(1 << 8);
    /// Kill the process or thread, post upcalls to it, set its priority.
    pub const CONTROL: Rights = Rights(1 << 9);
    /// Make more handles to the object.
    pub const DUPLICATE: Rights = Rights(1 << 10);
    /// Pass the handle to another process in a message or at spawn.
    pub const TRANSFER: Rights = Rights(1 << 11);
    /// Every right.
    pub const ALL: Rights = Rights((1 << 12) - 1);

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in both.
    pub const fn intersection(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// The rights in either.
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_never_zero_and_round_trip() {
        let handle = Handle::new(0, 0);
        assert_ne!(handle, Handle::NONE);
        assert_eq!(handle.index(), Some(0));
        let handle = Handle::new(65534, 7);
        assert_eq!(handle.index(), Some(65534));
        assert_eq!(handle.generation(), 7);
        assert_eq!(Handle::NONE.index(), None);
        assert_eq!(Handle::initial(1), Handle::new(0, FIRST_GENERATION));
    }

    #[test]
    fn rights_algebra() {
        let endpoint = Rights::SEND.union(Rights::RECEIVE);
        assert!(endpoint.contains(Rights::SEND));
        assert!(!Rights::SEND.contains(endpoint));
        assert_eq!(endpoint.intersection(Rights::SEND), Rights::SEND);
        assert!(Rights::ALL.contains(Rights::TRANSFER));
        assert_eq!(
            HandleKind::from_number(HandleKind::Endpoint as usize),
            Some(HandleKind::Endpoint)
        );
        assert_eq!(HandleKind::from_number(0), None);
    }
}
