//! store-server: a small I/O server for proc-test's descriptor tests. Each object is a
//! byte queue: writes append, reads take from the front (0 at the end). Objects are
//! reference counted by `Retain` and `Close`, and keep their status flags, as an open file
//! description does. It serves the endpoint passed as its first initial handle until it
//! is killed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::{BTreeMap, VecDeque};

use courier_proc_tests::store_protocol::StoreOperation;
use libsys::abi::io::{IoRequest, O_ACCMODE, O_CHANGEABLE};
use libsys::abi::ipc::{MESSAGE_WORDS, ReceivedKind};
use libsys::abi::{Errno, Handle, NO_TIMEOUT};
use libsys::ipc::{Endpoint, ReplyId, lease_read, lease_write, reply};

libsys::main!(main);

struct Object {
    bytes: VecDeque<u8>,
    references: u32,
    status: u64,
}

type Outcome = Result<u64, Errno>;

fn main() -> i32 {
    let endpoint = Endpoint(Handle::initial(1));
    let mut objects: BTreeMap<u64, Object> = BTreeMap::new();
    let mut next = 1u64;
    loop {
        let Ok(received) = endpoint.receive(None, NO_TIMEOUT) else { return 1 };
        if received.kind != ReceivedKind::Message {
            continue;
        }
        let reply_id = ReplyId(received.reply);
        let outcome: Outcome =
            if let Some(StoreOperation::Open) = StoreOperation::from_label(received.label) {
                let id = next;
                next += 1;
                objects.insert(
                    id,
                    Object { bytes: VecDeque::new(), references: 1, status: received.words[0] },
                );
                Ok(id)
            } else {
                match IoRequest::from_message(received.label, received.words) {
                    Some(request) => serve(&mut objects, reply_id, request),
                    None => Err(Errno::Enosys),
                }
            };
        let _ = match outcome {
            Ok(value) => reply(reply_id, 0, [value, 0, 0, 0]),
            Err(errno) => reply(reply_id, errno.number() as u32, [0; MESSAGE_WORDS]),
        };
    }
}

fn serve(objects: &mut BTreeMap<u64, Object>, reply_id: ReplyId, request: IoRequest) -> Outcome {
    match request {
        IoRequest::Read { object } => {
            let entry = objects.get_mut(&object).ok_or(Errno::Ebadf)?;
            if entry.status & O_ACCMODE == libsys::abi::io::O_WRONLY {
                return Err(Errno::Ebadf);
            }
            let mut chunk = [0u8; 256];
            let count = entry.bytes.len().min(chunk.len());
            for (slot, byte) in chunk.iter_mut().zip(entry.bytes.iter()) {
                *slot = *byte;
            }
            let written = lease_write(reply_id, 0, 0, &chunk[..count]).map_err(Errno::from)?;
            entry.bytes.drain(..written);
            Ok(written as u64)
        }
        IoRequest::Write { object } => {
            let entry = objects.get_mut(&object).ok_or(Errno::Ebadf)?;
            if entry.status & O_ACCMODE == libsys::abi::io::O_RDONLY {
                return Err(Errno::Ebadf);
            }
            let mut chunk = [0u8; 256];
            let count = lease_read(reply_id, 0, 0, &mut chunk).map_err(Errno::from)?;
            entry.bytes.extend(&chunk[..count]);
            Ok(count as u64)
        }
        IoRequest::Retain { object } => {
            objects.get_mut(&object).ok_or(Errno::Ebadf)?.references += 1;
            Ok(0)
        }
        IoRequest::Close { object } => {
            let entry = objects.get_mut(&object).ok_or(Errno::Ebadf)?;
            entry.references -= 1;
            if entry.references == 0 {
                objects.remove(&object);
            }
            Ok(0)
        }
        IoRequest::GetStatusFlags { object } => {
            Ok(objects.get(&object).ok_or(Errno::Ebadf)?.status)
        }
        IoRequest::SetStatusFlags { object, flags } => {
            let entry = objects.get_mut(&object).ok_or(Errno::Ebadf)?;
            entry.status = (entry.status & !O_CHANGEABLE) | (flags & O_CHANGEABLE);
            Ok(0)
        }
    }
}
