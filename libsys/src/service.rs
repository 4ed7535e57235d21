//! Reaching the system's servers: connections to services through proc
//! (`courier_abi::service`), kept for the life of the program, and registering a service.

use alloc::vec::Vec;

use courier_abi::ipc::{HandleTransfer, MessageDescriptor, TRANSFER_COPY};
use courier_abi::proc::ProcRequest;
use courier_abi::start::PROC_HANDLE;
use courier_abi::{Errno, Handle, Rights};

use crate::ipc::Endpoint;

static CONNECTIONS: spin::Mutex<Vec<(u64, Handle)>> = spin::Mutex::new(Vec::new());

fn proc_endpoint() -> Result<Endpoint, Errno> {
    if !crate::runtime::started_by_proc() {
        return Err(Errno::Enosys);
    }
    Ok(Endpoint(Handle::initial(PROC_HANDLE)))
}

fn answer_error(label: u32) -> Errno {
    Errno::from_number(label as i32).unwrap_or(Errno::Eio)
}

/// A send handle to `service` (badged by proc with this program's pid), connecting on
/// first use.
///
/// # Errors
///
/// `ENOENT` when no server offers it, `ENOSYS` without proc.
pub fn connect(service: u64) -> Result<Handle, Errno> {
    if let Some(&(_, handle)) = CONNECTIONS.lock().iter().find(|(known, _)| *known == service) {
        return Ok(handle);
    }
    let (label, words) = ProcRequest::Connect { service }.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    let answer = proc_endpoint()?.call_with(&mut descriptor).map_err(Errno::from)?;
    if answer.label != 0 {
        return Err(answer_error(answer.label));
    }
    if descriptor.received_handle_count != 1 {
        return Err(Errno::Eio);
    }
    let handle = descriptor.received_handles[0];
    let mut connections = CONNECTIONS.lock();
    // Another thread may have connected meanwhile: keep one.
    if let Some(&(_, existing)) = connections.iter().find(|(known, _)| *known == service) {
        let _ = crate::handle::close(handle);
        return Ok(existing);
    }
    connections.try_reserve(1).map_err(|_| Errno::Enomem)?;
    connections.push((service, handle));
    Ok(handle)
}

/// Offers `service` through proc: connections reach `endpoint` (which must have `MINT`).
///
/// # Errors
///
/// `EEXIST` while another live process offers it; `EINVAL`; `ENOSYS` without proc.
pub fn register(service: u64, endpoint: &Endpoint) -> Result<(), Errno> {
    let (label, words) = ProcRequest::RegisterService { service }.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    descriptor.handles[0] = HandleTransfer {
        handle: endpoint.0,
        mode: TRANSFER_COPY,
        rights: Rights::ALL.0,
        reserved: 0,
    };
    descriptor.handle_count = 1;
    let answer = proc_endpoint()?.call_with(&mut descriptor).map_err(Errno::from)?;
    match answer.label {
        0 => Ok(()),
        code => Err(answer_error(code)),
    }
}
