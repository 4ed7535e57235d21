//! store-server: a small I/O server for proc-test's descriptor tests. It offers service
//! `FIRST_PRIVATE_SERVICE` through proc. `Open` creates an object, a byte queue (writes
//! append, reads take from the front, 0 at the end), and answers with a reference to it;
//! the object goes when its last reference is released, as an open file description
//! does; `Count` says how many are alive. It serves until it is killed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::{BTreeMap, VecDeque};

use courier_proc_tests::store_protocol::StoreOperation;
use libsys::abi::io::{IoRequest, O_ACCMODE, O_CHANGEABLE, O_RDONLY, O_WRONLY, REFERENCE_BADGE};
use libsys::abi::ipc::{
    HandleTransfer, MESSAGE_WORDS, MessageDescriptor, ReceivedKind, TRANSFER_MOVE,
};
use libsys::abi::service::FIRST_PRIVATE_SERVICE;
use libsys::abi::{Errno, NO_TIMEOUT, Rights};
use libsys::ipc::{Endpoint, ReplyId, lease_read, lease_write, reply, reply_with};

libsys::main!(main);

struct Object {
    bytes: VecDeque<u8>,
    status: u64,
}

fn main() -> Result<(), Errno> {
    let endpoint = Endpoint::create().map_err(Errno::from)?;
    libsys::service::register(FIRST_PRIVATE_SERVICE, &endpoint)?;
    let mut objects: BTreeMap<u64, Object> = BTreeMap::new();
    let mut next = 1u64;
    loop {
        let received = endpoint.receive(None, NO_TIMEOUT).map_err(Errno::from)?;
        match received.kind {
            ReceivedKind::Released => {
                objects.remove(&received.badge);
                continue;
            }
            ReceivedKind::Message => {}
            _ => continue,
        }
        let reply_id = ReplyId(received.reply);
        if received.badge & REFERENCE_BADGE == 0 {
            // A connection: Open or Count.
            match StoreOperation::from_label(received.label) {
                Some(StoreOperation::Open) => {}
                Some(StoreOperation::Count) => {
                    let _ = reply(reply_id, 0, [objects.len() as u64, 0, 0, 0]);
                    continue;
                }
                None => {
                    let _ = reply(reply_id, Errno::Enosys.number() as u32, [0; MESSAGE_WORDS]);
                    continue;
                }
            }
            let badge = REFERENCE_BADGE | next;
            next += 1;
            let Ok(reference) = endpoint.create_reference(badge) else {
                let _ = reply(reply_id, Errno::Enfile.number() as u32, [0; MESSAGE_WORDS]);
                continue;
            };
            objects.insert(badge, Object { bytes: VecDeque::new(), status: received.words[0] });
            let mut descriptor = MessageDescriptor::new(0);
            descriptor.handles[0] = HandleTransfer {
                handle: reference,
                mode: TRANSFER_MOVE,
                rights: Rights::ALL.0,
                reserved: 0,
            };
            descriptor.handle_count = 1;
            if reply_with(reply_id, &descriptor).is_err() {
                let _ = libsys::handle::close(reference);
            }
            continue;
        }
        let outcome = match (
            objects.get_mut(&received.badge),
            IoRequest::from_message(received.label, received.words),
        ) {
            (Some(object), Some(request)) => serve(object, reply_id, request),
            (None, _) => Err(Errno::Ebadf),
            (_, None) => Err(Errno::Enosys),
        };
        let _ = match outcome {
            Ok(value) => reply(reply_id, 0, [value, 0, 0, 0]),
            Err(errno) => reply(reply_id, errno.number() as u32, [0; MESSAGE_WORDS]),
        };
    }
}

fn serve(object: &mut Object, reply_id: ReplyId, request: IoRequest) -> Result<u64, Errno> {
    match request {
        IoRequest::Read => {
            if object.status & O_ACCMODE == O_WRONLY {
                return Err(Errno::Ebadf);
            }
            let mut chunk = [0u8; 256];
            let count = object.bytes.len().min(chunk.len());
            for (slot, byte) in chunk.iter_mut().zip(object.bytes.iter()) {
                *slot = *byte;
            }
            let written = lease_write(reply_id, 0, 0, &chunk[..count]).map_err(Errno::from)?;
            object.bytes.drain(..written);
            Ok(written as u64)
        }
        IoRequest::Write => {
            if object.status & O_ACCMODE == O_RDONLY {
                return Err(Errno::Ebadf);
            }
            let mut chunk = [0u8; 256];
            let count = lease_read(reply_id, 0, 0, &mut chunk).map_err(Errno::from)?;
            object.bytes.extend(&chunk[..count]);
            Ok(count as u64)
        }
        IoRequest::GetStatusFlags => Ok(object.status),
        IoRequest::SetStatusFlags { flags } => {
            object.status = (object.status & !O_CHANGEABLE) | (flags & O_CHANGEABLE);
            Ok(0)
        }
        IoRequest::Control { .. } | IoRequest::Truncate { .. } => Err(Errno::Einval),
        IoRequest::Seek { .. } => Err(Errno::Espipe),
        IoRequest::Stat | IoRequest::Map => Err(Errno::Enodev),
        IoRequest::ReadDirectory => Err(Errno::Enotdir),
    }
}
