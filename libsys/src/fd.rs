//! File descriptors: the table a POSIX program expects, kept in the program itself.
//!
//! A descriptor names either the kernel console or an open file description of a server,
//! held as a *reference* handle (`courier_abi::io`): calls through it reach the server
//! with the description's badge. Descriptors duplicated in this process share the handle,
//! which is closed with the last of them; a spawned child gets its own copy of the
//! handle. When the last handle anywhere closes (or its holders die) the kernel tells the
//! server, which is how a pipe's reader sees end of file. The descriptor flag
//! `FD_CLOEXEC` lives here; status flags (`O_NONBLOCK`, `O_APPEND`) live with the
//! description, in the server, as on Linux. A process started by proc inherits the descriptors its
//! parent passed (see [`crate::proc::spawn`]); one started by the kernel gets the console
//! as 0, 1 and 2.

use alloc::vec::Vec;

use courier_abi::io::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETPIPE_SZ, F_SETFD, F_SETFL, F_SETPIPE_SZ,
    FD_CLOEXEC, IoRequest, O_ACCMODE, O_CHANGEABLE, O_RDONLY, O_RDWR, O_WRONLY, OPEN_MAX,
};
use courier_abi::ipc::{Lease, MessageDescriptor};
use courier_abi::{Errno, Handle, Syscall};

use crate::arch;
use crate::ipc::Endpoint;

/// A file descriptor number.
pub type Fd = i32;

/// What a descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The kernel console, with the description's status flags.
    Console {
        /// `O_RDONLY` or `O_WRONLY`, and `O_NONBLOCK`/`O_APPEND` if set.
        status: u64,
    },
    /// An open file description of a server, through its reference.
    Server {
        /// The reference handle.
        reference: Handle,
    },
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    target: Target,
    close_on_spawn: bool,
}

/// The table. `None` until first changed: until then 0, 1 and 2 are the console.
struct Table {
    entries: Option<Vec<Option<Entry>>>,
}

static TABLE: spin::Mutex<Table> = spin::Mutex::new(Table { entries: None });

/// Descriptor `index` of the table before its first change: 0 reads the console, 1 and 2
/// write it. (Computed rather than stored, so printing never allocates.)
fn default_entry(index: usize) -> Option<Entry> {
    let status = match index {
        0 => O_RDONLY,
        1 | 2 => O_WRONLY,
        _ => return None,
    };
    Some(Entry { target: Target::Console { status }, close_on_spawn: false })
}

fn default_entries() -> Vec<Option<Entry>> {
    (0..3).map(default_entry).collect()
}

impl Table {
    fn entries(&mut self) -> &mut Vec<Option<Entry>> {
        self.entries.get_or_insert_with(default_entries)
    }

    fn get(&self, fd: Fd) -> Option<Entry> {
        let index = usize::try_from(fd).ok()?;
        match &self.entries {
            Some(entries) => entries.get(index).copied().flatten(),
            None => default_entry(index),
        }
    }

    fn lowest_free(&mut self, from: usize) -> Result<usize, Errno> {
        let entries = self.entries();
        let free = (from..OPEN_MAX as usize)
            .find(|&index| entries.get(index).is_none_or(Option::is_none))
            .ok_or(Errno::Emfile)?;
        if entries.len() <= free {
            entries.try_reserve(free + 1 - entries.len()).map_err(|_| Errno::Enomem)?;
            entries.resize(free + 1, None);
        }
        Ok(free)
    }

    /// Whether any other descriptor than `except` refers to `target`.
    fn shared(&mut self, target: Target, except: usize) -> bool {
        self.entries().iter().enumerate().any(|(index, entry)| {
            index != except && entry.is_some_and(|entry| entry.target == target)
        })
    }
}

/// Drops a descriptor: closes the reference handle when it was the last descriptor using
/// it (the server then hears of it if no other process holds it).
fn release(target: Target, last: bool) {
    if let (Target::Server { reference }, true) = (target, last) {
        let _ = crate::handle::close(reference);
    }
}

/// Sends `request` through the reference `server`, lending `lease`; the answer's first
/// word.
fn io_call(server: Handle, request: IoRequest, lease: Option<Lease>) -> Result<u64, Errno> {
    let (label, words) = request.to_message();
    let mut descriptor = MessageDescriptor::new(label);
    descriptor.words = words;
    if let Some(lease) = lease {
        descriptor.leases[0] = lease;
        descriptor.lease_count = 1;
    }
    let answer = Endpoint(server).call_with(&mut descriptor).map_err(Errno::from)?;
    if answer.label != 0 {
        return Err(Errno::from_number(answer.label as i32).unwrap_or(Errno::Eio));
    }
    Ok(answer.words[0])
}

fn target_of(fd: Fd) -> Result<Target, Errno> {
    TABLE.lock().get(fd).map(|entry| entry.target).ok_or(Errno::Ebadf)
}

/// Reads into `buffer` from `fd`; returns the bytes read (0 at end of file).
///
/// # Errors
///
/// `EBADF` for a closed descriptor or one not open for reading; the server's error.
pub fn read(fd: Fd, buffer: &mut [u8]) -> Result<usize, Errno> {
    match target_of(fd)? {
        Target::Console { status } => {
            if status & O_ACCMODE == O_WRONLY {
                return Err(Errno::Ebadf);
            }
            read_console(buffer, status & courier_abi::io::O_NONBLOCK != 0)
        }
        Target::Server { reference } => {
            let lease = crate::ipc::lend_for_writing(buffer);
            loop {
                crate::signal::begin_call();
                match io_call(reference, IoRequest::Read, Some(lease)) {
                    // A read that a signal interrupted before any data came restarts as
                    // on Linux (always if no handler ran, after SA_RESTART handlers).
                    Err(Errno::Eintr) if crate::signal::restart_after_interruption(true) => {}
                    outcome => return outcome.map(|count| count as usize),
                }
            }
        }
    }
}

/// Console input never blocks in the kernel: a blocking read polls every 10 ms.
fn read_console(buffer: &mut [u8], non_blocking: bool) -> Result<usize, Errno> {
    if buffer.is_empty() {
        return Ok(0);
    }
    loop {
        let results = arch::syscall(
            Syscall::ConsoleRead.number(),
            [buffer.as_mut_ptr() as usize, buffer.len(), 0, 0, 0, 0, 0, 0],
        )
        .into_result()
        .map_err(Errno::from)?;
        match results[0] {
            0 if non_blocking => return Err(Errno::Eagain),
            0 => {
                crate::time::nanosleep(core::time::Duration::from_millis(10))?;
            }
            count => return Ok(count),
        }
    }
}

/// Writes `bytes` to `fd`; returns the bytes written.
///
/// # Errors
///
/// `EBADF` for a closed descriptor or one not open for writing; the server's error.
pub fn write(fd: Fd, bytes: &[u8]) -> Result<usize, Errno> {
    match target_of(fd)? {
        Target::Console { status } => {
            if status & O_ACCMODE == O_RDONLY {
                return Err(Errno::Ebadf);
            }
            crate::console::write(bytes).map_err(Errno::from)
        }
        Target::Server { reference } => write_server(reference, bytes),
    }
}

/// Writes to a server descriptor. A signal that interrupts a blocking write makes the
/// server answer `EINTR` (nothing written) or the count written so far. If no handler
/// ran, Linux would not have been interrupted: the rest is written (or the call
/// restarted). If a handler ran, a partial count is the answer, and `EINTR` restarts only
/// after `SA_RESTART` handlers.
fn write_server(reference: Handle, bytes: &[u8]) -> Result<usize, Errno> {
    let mut done = 0;
    loop {
        let rest = &bytes[done..];
        let lease = crate::ipc::lend(rest);
        crate::signal::begin_call();
        match io_call(reference, IoRequest::Write, Some(lease)) {
            Ok(count) => {
                done += (count as usize).min(rest.len());
                if done == bytes.len() || count == 0 {
                    return Ok(done);
                }
                // Short: a non-blocking write, or a signal came mid-transfer.
                if !crate::signal::restart_after_interruption(false) {
                    return Ok(done);
                }
            }
            Err(Errno::Eintr) if done == 0 && crate::signal::restart_after_interruption(true) => {}
            Err(Errno::Eintr) if done > 0 => return Ok(done),
            Err(Errno::Epipe) => {
                // As Linux, a write with no reader raises SIGPIPE (default: the process
                // ends) and otherwise fails with EPIPE.
                let _ = crate::signal::raise(courier_abi::signal::SIGPIPE);
                return if done > 0 { Ok(done) } else { Err(Errno::Epipe) };
            }
            Err(error) => return if done > 0 { Ok(done) } else { Err(error) },
        }
    }
}

/// Closes `fd`.
///
/// # Errors
///
/// `EBADF` for a descriptor that is not open.
pub fn close(fd: Fd) -> Result<(), Errno> {
    let index = usize::try_from(fd).map_err(|_| Errno::Ebadf)?;
    let (target, last) = {
        let mut table = TABLE.lock();
        let entry = table.get(fd).ok_or(Errno::Ebadf)?;
        table.entries()[index] = None;
        (entry.target, !table.shared(entry.target, index))
    };
    release(target, last);
    Ok(())
}

/// Duplicates `fd` onto the lowest free descriptor.
///
/// # Errors
///
/// `EBADF`, `EMFILE`.
pub fn dup(fd: Fd) -> Result<Fd, Errno> {
    duplicate_from(fd, 0, false)
}

fn duplicate_from(fd: Fd, lowest: usize, close_on_spawn: bool) -> Result<Fd, Errno> {
    let mut table = TABLE.lock();
    let entry = table.get(fd).ok_or(Errno::Ebadf)?;
    let free = table.lowest_free(lowest)?;
    table.entries()[free] = Some(Entry { target: entry.target, close_on_spawn });
    Ok(free as Fd)
}

/// Makes `new` a duplicate of `old` (closing what `new` was first); returns `new`.
///
/// # Errors
///
/// `EBADF` when `old` is not open or `new` is out of range.
pub fn dup2(old: Fd, new: Fd) -> Result<Fd, Errno> {
    let new_index = usize::try_from(new).ok().filter(|&index| index < OPEN_MAX as usize);
    let released = {
        let mut table = TABLE.lock();
        let entry = table.get(old).ok_or(Errno::Ebadf)?;
        let new_index = new_index.ok_or(Errno::Ebadf)?;
        if old == new {
            return Ok(new);
        }
        let previous = table.get(new);
        let entries = table.entries();
        if entries.len() <= new_index {
            entries.try_reserve(new_index + 1 - entries.len()).map_err(|_| Errno::Enomem)?;
            entries.resize(new_index + 1, None);
        }
        entries[new_index] = Some(Entry { target: entry.target, close_on_spawn: false });
        previous.map(|previous| (previous.target, !table.shared(previous.target, usize::MAX)))
    };
    if let Some((target, last)) = released {
        release(target, last);
    }
    Ok(new)
}

/// `fcntl(fd, command, argument)` for `F_DUPFD`, `F_DUPFD_CLOEXEC`, `F_GETFD`, `F_SETFD`,
/// `F_GETFL` and `F_SETFL`.
///
/// # Errors
///
/// `EBADF`, `EINVAL` (an unknown command or a descriptor number out of range), `EMFILE`,
/// the server's error for status flags.
pub fn fcntl(fd: Fd, command: u32, argument: u64) -> Result<u64, Errno> {
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let lowest = usize::try_from(argument)
                .ok()
                .filter(|&lowest| lowest < OPEN_MAX as usize)
                .ok_or(Errno::Einval)?;
            duplicate_from(fd, lowest, command == F_DUPFD_CLOEXEC).map(|new| new as u64)
        }
        F_GETFD => {
            let entry = TABLE.lock().get(fd).ok_or(Errno::Ebadf)?;
            Ok(if entry.close_on_spawn { u64::from(FD_CLOEXEC) } else { 0 })
        }
        F_SETFD => {
            let mut table = TABLE.lock();
            let mut entry = table.get(fd).ok_or(Errno::Ebadf)?;
            entry.close_on_spawn = argument & u64::from(FD_CLOEXEC) != 0;
            table.entries()[fd as usize] = Some(entry);
            Ok(0)
        }
        F_GETFL => match target_of(fd)? {
            Target::Console { status } => Ok(status),
            Target::Server { reference } => io_call(reference, IoRequest::GetStatusFlags, None),
        },
        F_SETFL => match target_of(fd)? {
            Target::Console { status } => {
                let status = (status & !O_CHANGEABLE) | (argument & O_CHANGEABLE);
                let mut table = TABLE.lock();
                // Every descriptor of the console description shares its status flags.
                for entry in table.entries().iter_mut().flatten() {
                    if let Target::Console { status: shared } = &mut entry.target
                        && (*shared & O_ACCMODE) == (status & O_ACCMODE)
                    {
                        *shared = status;
                    }
                }
                Ok(0)
            }
            Target::Server { reference } => io_call(
                reference,
                IoRequest::SetStatusFlags { flags: argument & O_CHANGEABLE },
                None,
            )
            .map(|_| 0),
        },
        command => match target_of(fd)? {
            // Commands of the description's own kind (F_GETPIPE_SZ, ...) go to its server.
            Target::Server { reference } => {
                io_call(reference, IoRequest::Control { command, argument }, None)
            }
            // As Linux: the pipe commands on a descriptor that is not a pipe are EBADF.
            Target::Console { .. } if matches!(command, F_GETPIPE_SZ | F_SETPIPE_SZ) => {
                Err(Errno::Ebadf)
            }
            Target::Console { .. } => Err(Errno::Einval),
        },
    }
}

/// Installs a descriptor for the open file description behind `reference` (a reference
/// handle a server gave; the table takes it over); returns the lowest free descriptor.
///
/// # Errors
///
/// `EMFILE`, `ENOMEM` (the handle is closed then).
pub fn install(reference: Handle, close_on_spawn: bool) -> Result<Fd, Errno> {
    let mut table = TABLE.lock();
    let free = match table.lowest_free(0) {
        Ok(free) => free,
        Err(error) => {
            let _ = crate::handle::close(reference);
            return Err(error);
        }
    };
    table.entries()[free] = Some(Entry { target: Target::Server { reference }, close_on_spawn });
    Ok(free as Fd)
}

/// What `fd` refers to.
///
/// # Errors
///
/// `EBADF`.
pub fn target(fd: Fd) -> Result<Target, Errno> {
    target_of(fd)
}

/// Replaces the table with `descriptors` (start-up, from the start block).
pub(crate) fn set_initial(descriptors: &[(Fd, Target)]) {
    let mut entries: Vec<Option<Entry>> = Vec::new();
    for &(fd, target) in descriptors {
        let Some(index) = usize::try_from(fd).ok().filter(|&index| index < OPEN_MAX as usize)
        else {
            continue;
        };
        if entries.len() <= index {
            entries.resize(index + 1, None);
        }
        entries[index] = Some(Entry { target, close_on_spawn: false });
    }
    TABLE.lock().entries = Some(entries);
}

/// The descriptors a spawned child gets: every open descriptor without `FD_CLOEXEC`, then
/// `actions` applied in order, as `posix_spawn` does in the child.
///
/// # Errors
///
/// `EBADF` for an action on a descriptor that is not open (or out of range).
pub(crate) fn for_child(actions: &[crate::proc::FileAction]) -> Result<Vec<(Fd, Target)>, Errno> {
    let mut table = TABLE.lock();
    // The actions run before close-on-exec applies (as in the child of posix_spawn), so a
    // close-on-exec descriptor can be the source of a dup2; the copy is inherited.
    let mut child: Vec<Option<(Target, bool)>> = table
        .entries()
        .iter()
        .map(|entry| entry.map(|entry| (entry.target, entry.close_on_spawn)))
        .collect();
    for action in actions {
        match *action {
            crate::proc::FileAction::Close(fd) => {
                let index = usize::try_from(fd).map_err(|_| Errno::Ebadf)?;
                // posix_spawn_file_actions_addclose: closing a closed descriptor is not an
                // error in glibc's implementation (it ignores EBADF).
                if let Some(slot) = child.get_mut(index) {
                    *slot = None;
                }
            }
            crate::proc::FileAction::Dup2(old, new) => {
                let old = usize::try_from(old).map_err(|_| Errno::Ebadf)?;
                let new = usize::try_from(new)
                    .ok()
                    .filter(|&index| index < OPEN_MAX as usize)
                    .ok_or(Errno::Ebadf)?;
                let (target, _) = child.get(old).copied().flatten().ok_or(Errno::Ebadf)?;
                if child.len() <= new {
                    child.resize(new + 1, None);
                }
                // dup2 clears FD_CLOEXEC on the copy (also for old == new, as glibc does).
                child[new] = Some((target, false));
            }
        }
    }
    Ok(child
        .into_iter()
        .enumerate()
        .filter_map(|(index, entry)| match entry {
            Some((target, false)) => Some((index as Fd, target)),
            _ => None,
        })
        .collect())
}

/// Whether status flags say the description is readable and writable.
pub const fn is_read_write(status: u64) -> bool {
    status & O_ACCMODE == O_RDWR
}
