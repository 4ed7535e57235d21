//! Handles: closing, duplicating, inspecting.

use courier_abi::{Handle, HandleKind, KernelError, Rights, Syscall};

use crate::ipc::{arguments, invoke};

/// Closes `handle`.
///
/// # Errors
///
/// `InvalidHandle`.
pub fn close(handle: Handle) -> Result<(), KernelError> {
    invoke(Syscall::HandleClose, arguments(&[handle.0 as usize]))?;
    Ok(())
}

/// A new handle to the same object with at most `rights`.
///
/// # Errors
///
/// `InvalidHandle`, `InsufficientRights` without the duplicate right.
pub fn duplicate(handle: Handle, rights: Rights) -> Result<Handle, KernelError> {
    let results =
        invoke(Syscall::HandleDuplicate, arguments(&[handle.0 as usize, rights.0 as usize]))?;
    Ok(Handle(results[0] as u32))
}

/// What `handle` names: its kind, rights and badge.
///
/// # Errors
///
/// `InvalidHandle`.
pub fn info(handle: Handle) -> Result<(HandleKind, Rights, u64), KernelError> {
    let results = invoke(Syscall::HandleInfo, arguments(&[handle.0 as usize]))?;
    let kind = HandleKind::from_number(results[0]).ok_or(KernelError::InvalidArgument)?;
    Ok((kind, Rights(results[1] as u32), results[2] as u64))
}
