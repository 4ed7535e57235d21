//! Processes and threads: spawn, exit, kill, identity, yield, kernel statistics.

use courier_abi::process::ExitStatus;
use courier_abi::{Handle, KernelError, Syscall};

use crate::arch;
use crate::ipc::{arguments, invoke};

/// A child process: its control handle and client id.
#[derive(Debug, PartialEq, Eq)]
pub struct Child {
    /// The control handle (kill, upcalls).
    pub control: Handle,
    /// Its client id (what servers see, and what death notices name).
    pub client: u32,
}

/// Starts the program image `name` with `handles` (which become its handles 1, 2, ...)
/// and `argument` (its second start argument).
///
/// # Errors
///
/// `NoSuchImage`, `BadImage`, `InvalidArgument`, handle errors, `OutOfMemory`.
pub fn spawn(name: &str, handles: &[Handle], argument: usize) -> Result<Child, KernelError> {
    let results = invoke(
        Syscall::ProcessSpawn,
        arguments(&[
            name.as_ptr() as usize,
            name.len(),
            handles.as_ptr() as usize,
            handles.len(),
            argument,
        ]),
    )?;
    Ok(Child { control: Handle(results[0] as u32), client: results[1] as u32 })
}

/// As [`spawn`], with a death watch on the child set before it can run: its end is
/// reported through `watcher` (an endpoint this process receives on) with `badge`. Returns
/// the child and the watch id.
///
/// # Errors
///
/// As [`spawn`], plus handle errors for `watcher`.
pub fn spawn_watched(
    name: &str,
    handles: &[Handle],
    argument: usize,
    watcher: &crate::ipc::Endpoint,
    badge: u64,
) -> Result<(Child, u32), KernelError> {
    let results = invoke(
        Syscall::ProcessSpawn,
        arguments(&[
            name.as_ptr() as usize,
            name.len(),
            handles.as_ptr() as usize,
            handles.len(),
            argument,
            watcher.0.0 as usize,
            badge as usize,
        ]),
    )?;
    Ok((Child { control: Handle(results[0] as u32), client: results[1] as u32 }, results[2] as u32))
}

/// Ends the process of control handle `target` with `status`.
///
/// # Errors
///
/// Handle errors, `NoSuchProcess`.
pub fn kill(target: Handle, status: ExitStatus) -> Result<(), KernelError> {
    invoke(Syscall::ProcessKill, arguments(&[target.0 as usize, status.to_word() as usize]))?;
    Ok(())
}

/// This process's client id and the calling thread's id.
pub fn identify() -> (u32, u32) {
    match invoke(Syscall::ProcessIdentify, [0; 8]) {
        Ok(results) => (results[0] as u32, results[1] as u32),
        Err(_) => (0, 0),
    }
}

/// Counters the kernel keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStatistics {
    /// Free physical frames.
    pub free_frames: u64,
    /// Live processes.
    pub processes: u64,
    /// Live threads.
    pub threads: u64,
    /// Live endpoints.
    pub endpoints: u64,
    /// Live memory objects.
    pub memory_objects: u64,
    /// Entries into the kernel from user mode since boot.
    pub kernel_entries: u64,
    /// Address-space switches since boot.
    pub space_switches: u64,
}

/// Reads the kernel's counters.
pub fn kernel_statistics() -> KernelStatistics {
    let results = invoke(Syscall::KernelStatistics, [0; 8]).unwrap_or([0; 7]);
    KernelStatistics {
        free_frames: results[0] as u64,
        processes: results[1] as u64,
        threads: results[2] as u64,
        endpoints: results[3] as u64,
        memory_objects: results[4] as u64,
        kernel_entries: results[5] as u64,
        space_switches: results[6] as u64,
    }
}

/// The kernel command line, as the boot loader gave it.
///
/// # Errors
///
/// `OutOfMemory` when it cannot be copied.
pub fn kernel_command_line() -> Result<alloc::string::String, KernelError> {
    let mut buffer = alloc::vec::Vec::new();
    let mut capacity = 256;
    loop {
        buffer.try_reserve_exact(capacity).map_err(|_| KernelError::OutOfMemory)?;
        buffer.resize(capacity, 0);
        let results = invoke(
            Syscall::KernelCommandLine,
            arguments(&[buffer.as_mut_ptr() as usize, buffer.len()]),
        )?;
        let length = results[0];
        if length <= buffer.len() {
            buffer.truncate(length);
            return Ok(alloc::string::String::from_utf8_lossy(&buffer).into_owned());
        }
        capacity = length;
    }
}

/// Ends the calling process with `status` (the low 8 bits are kept, as on Linux).
pub fn exit(status: i32) -> ! {
    // The status travels as the bits of an i32 in a machine word.
    let word = status as u32 as usize;
    loop {
        // ProcessExit does not return; the loop satisfies the type checker and would only
        // repeat if the kernel were to refuse the call.
        let _ = arch::syscall(Syscall::ProcessExit.number(), [word, 0, 0, 0, 0, 0, 0, 0]);
    }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    let _ = arch::syscall(Syscall::ThreadYield.number(), [0; 8]);
}

/// Issues a raw system call by number, for tests of the kernel's argument checking.
pub fn raw_syscall(number: usize, arguments: [usize; 8]) -> arch::SyscallReturn {
    arch::syscall(number, arguments)
}
