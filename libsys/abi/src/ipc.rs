//! The IPC message formats: what `Call`, `Receive` and `Reply` carry.
//!
//! A message has a 32-bit label (the operation, defined by each server protocol) and
//! [`MESSAGE_WORDS`] words, all in registers. `CallWith` and `ReplyWith` take a
//! [`MessageDescriptor`] in memory for what does not fit in registers: up to
//! [`MAX_LEASES`] leases (caller buffers lent to the server for the call) and up to
//! [`MAX_HANDLES`] handles to transfer, and a timeout. A receiver that may get leases or
//! handles passes a [`ReceiveDescriptor`], which the kernel fills in.

use crate::handle::Handle;

/// Data words carried in registers by every message.
pub const MESSAGE_WORDS: usize = 4;
/// Most leases one call can lend.
pub const MAX_LEASES: usize = 4;
/// Most handles one message can transfer.
pub const MAX_HANDLES: usize = 16;

/// What a receive returned.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceivedKind {
    /// A call from a client: label, words, badge, client id and a reply id.
    Message = 1,
    /// Notification bits (in the first word).
    Notification = 2,
    /// A client's pending call was cancelled (an upcall was posted to it, its call timed
    /// out, or it died): the reply id names the call. The server decides the reply (an
    /// error such as EINTR, or a partial count); a dead caller's reply goes nowhere.
    Cancel = 3,
    /// A watched process died: the first word is its client id, the second its
    /// [`crate::process::ExitStatus`]; the badge is the watch's.
    Death = 4,
    /// The last handle to one of the endpoint's references closed (its holders closed it
    /// or died): the badge is the reference's. Servers use one reference per open file
    /// description, so this is the description's last close.
    Released = 5,
}

impl ReceivedKind {
    /// Decodes a kind number.
    pub const fn from_number(number: u8) -> Option<ReceivedKind> {
        match number {
            1 => Some(ReceivedKind::Message),
            2 => Some(ReceivedKind::Notification),
            3 => Some(ReceivedKind::Cancel),
            4 => Some(ReceivedKind::Death),
            5 => Some(ReceivedKind::Released),
            _ => None,
        }
    }
}

/// The message carries leases or handles: the kernel wrote the receive descriptor.
pub const RECEIVED_EXTENDED: u8 = 1 << 0;

/// A received message or event as the result slots carry it:
///
/// | slot | contents |
/// |---|---|
/// | `r1` | kind (bits 0..8), flags (bits 8..16), label (bits 32..64) |
/// | `r2`..`r5` | the words |
/// | `r6` | badge |
/// | `r7` | reply id (bits 0..32), client id (bits 32..64) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// What arrived.
    pub kind: ReceivedKind,
    /// [`RECEIVED_EXTENDED`] and future flags.
    pub flags: u8,
    /// The label of a message.
    pub label: u32,
    /// The words.
    pub words: [u64; MESSAGE_WORDS],
    /// The badge of the handle the client called through (or of the death watch).
    pub badge: u64,
    /// The id to reply to (messages and cancels).
    pub reply: u32,
    /// The calling process's client id (messages and cancels).
    pub client: u32,
}

impl Received {
    /// Packs `r1`..`r7`.
    #[inline]
    pub const fn to_slots(&self) -> [u64; 7] {
        [
            self.kind as u64 | ((self.flags as u64) << 8) | ((self.label as u64) << 32),
            self.words[0],
            self.words[1],
            self.words[2],
            self.words[3],
            self.badge,
            self.reply as u64 | ((self.client as u64) << 32),
        ]
    }

    /// Unpacks `r1`..`r7`; `None` for an unknown kind.
    #[inline]
    pub const fn from_slots(slots: [u64; 7]) -> Option<Received> {
        let Some(kind) = ReceivedKind::from_number(slots[0] as u8) else { return None };
        Some(Received {
            kind,
            flags: (slots[0] >> 8) as u8,
            label: (slots[0] >> 32) as u32,
            words: [slots[1], slots[2], slots[3], slots[4]],
            badge: slots[5],
            reply: slots[6] as u32,
            client: (slots[6] >> 32) as u32,
        })
    }
}

/// A lease may be read by the server.
pub const LEASE_READ: u32 = 1 << 0;
/// A lease may be written by the server.
pub const LEASE_WRITE: u32 = 1 << 1;

/// One buffer lent by a caller.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lease {
    /// Start of the buffer in the caller's address space.
    pub address: u64,
    /// Its length in bytes.
    pub length: u64,
    /// [`LEASE_READ`] and/or [`LEASE_WRITE`].
    pub rights: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// A handle passed in a message.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandleTransfer {
    /// The sender's handle.
    pub handle: Handle,
    /// [`TRANSFER_MOVE`] (the sender loses the handle) or [`TRANSFER_COPY`].
    pub mode: u32,
    /// The rights the receiver gets (a subset of the handle's; `Rights::ALL` keeps them).
    pub rights: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// The sender keeps its handle.
pub const TRANSFER_COPY: u32 = 0;
/// The sender's handle is closed when the message is delivered.
pub const TRANSFER_MOVE: u32 = 1;

/// What `CallWith` and `ReplyWith` read (and, for `CallWith`, write back).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageDescriptor {
    /// The label.
    pub label: u32,
    /// Leases in use (at most [`MAX_LEASES`]; replies carry none).
    pub lease_count: u32,
    /// Handles to transfer (at most [`MAX_HANDLES`]).
    pub handle_count: u32,
    /// Must be zero.
    pub reserved: u32,
    /// The words.
    pub words: [u64; MESSAGE_WORDS],
    /// The leases.
    pub leases: [Lease; MAX_LEASES],
    /// The handles.
    pub handles: [HandleTransfer; MAX_HANDLES],
    /// How long a `CallWith` may wait in total, in nanoseconds ([`crate::NO_TIMEOUT`]).
    pub timeout: u64,
    /// Written by the kernel for `CallWith`: handles the reply transferred.
    pub received_handles: [Handle; MAX_HANDLES],
    /// Written by the kernel for `CallWith`: how many entries of `received_handles` hold.
    pub received_handle_count: u32,
    /// Must be zero.
    pub reserved_end: u32,
}

impl MessageDescriptor {
    /// A descriptor with `label`, no words, leases or handles, and no timeout.
    pub const fn new(label: u32) -> Self {
        MessageDescriptor {
            label,
            lease_count: 0,
            handle_count: 0,
            reserved: 0,
            words: [0; MESSAGE_WORDS],
            leases: [Lease { address: 0, length: 0, rights: 0, reserved: 0 }; MAX_LEASES],
            handles: [HandleTransfer { handle: Handle::NONE, mode: 0, rights: 0, reserved: 0 };
                MAX_HANDLES],
            timeout: crate::syscall::NO_TIMEOUT,
            received_handles: [Handle::NONE; MAX_HANDLES],
            received_handle_count: 0,
            reserved_end: 0,
        }
    }
}

/// What a receiver learns about a message's leases.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The lease's length in bytes.
    pub length: u64,
    /// [`LEASE_READ`] and/or [`LEASE_WRITE`].
    pub rights: u32,
    /// Zero.
    pub reserved: u32,
}

/// Filled in by the kernel when a received message carries leases or handles.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiveDescriptor {
    /// Leases the caller lent.
    pub lease_count: u32,
    /// Handles transferred into this process.
    pub handle_count: u32,
    /// The leases, in the caller's order.
    pub leases: [LeaseInfo; MAX_LEASES],
    /// The new handles in this process.
    pub handles: [Handle; MAX_HANDLES],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_slots_round_trip() {
        let received = Received {
            kind: ReceivedKind::Message,
            flags: RECEIVED_EXTENDED,
            label: 0xdead_beef,
            words: [1, 2, 3, u64::MAX],
            badge: 77,
            reply: 0x0001_0002,
            client: 0x0003_0004,
        };
        assert_eq!(Received::from_slots(received.to_slots()), Some(received));
        assert_eq!(Received::from_slots([0; 7]), None);
    }

    #[test]
    fn descriptors_have_a_fixed_layout() {
        assert_eq!(size_of::<Lease>(), 24);
        assert_eq!(size_of::<HandleTransfer>(), 16);
        // Header, words, 4 leases, 16 transfers, timeout, 16 received handles, count.
        assert_eq!(size_of::<MessageDescriptor>(), 16 + 32 + 96 + 256 + 8 + 64 + 8);
        // Counts, 4 lease infos, 16 handles.
        assert_eq!(size_of::<ReceiveDescriptor>(), 8 + 64 + 64);
    }
}
