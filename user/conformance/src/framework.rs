//! The suite's machinery: what a case is, checks that name the step that went wrong, and
//! helper processes that never outlive their case.
//!
//! A case is a function returning [`Check`]: `Ok(())` when Courier did what Linux does,
//! `Err(reason)` naming the call and what it gave instead. The checks ([`ensure`],
//! [`step`], [`fails_with`], [`equals`]) build those reasons, so a case reads as the list
//! of calls it makes and what each must give. They, and the sleeps and polls, come from
//! courier-test-support, which the other test programs share; this module re-exports them.
//!
//! Helper processes are this program again, as `conformance child MODE ARGUMENT...`
//! ([`Child::spawn`]); a [`Child`] dropped unreaped is killed and reaped. Waits for
//! children poll with a deadline ([`Child::wait`], [`eventually`]), so a missed wake-up
//! fails the case instead of hanging it (the driver's deadline is the last resort).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

pub use courier_test_support::{
    CHILD_TIMEOUT, Check, become_user, describe, ensure, equals, errno_name, eventually,
    fails_with, kill_and_reap, outcome_code, pause_briefly, signal_name, sleep, sleep_forever,
    step,
};
use libsys::Errno;
use libsys::proc::{self, FileAction, Pid, SpawnAttributes, WNOHANG};
use libsys::time;

/// This program's name in the boot image (and the prefix of its lines).
pub const PROGRAM: &str = "conformance";

/// The user (and group) id children take to be someone else.
pub const OTHER_USER: u32 = 1000;

/// Exit code of a child whose preparation failed.
pub const SETUP_FAILED: i32 = 201;

/// How long a child is given to get into a call that blocks (when the case cannot see it
/// waiting).
pub const SETTLE: Duration = Duration::from_millis(100);

/// A named case of an area.
pub struct Case {
    /// Its name within the area (`write-to-closed-pipe`), lowercase words joined by `-`.
    pub name: &'static str,
    /// The case.
    pub run: fn() -> Check,
}

/// A helper process (`conformance child MODE ARGUMENT...`), killed and reaped if dropped
/// unreaped.
pub struct Child {
    /// Its pid.
    pub pid: Pid,
    reaped: bool,
}

impl Child {
    /// Starts `conformance child MODE ARGUMENT...` with this process's descriptors.
    pub fn spawn(mode: &str, arguments: &[&str]) -> Result<Child, String> {
        Child::spawn_with(mode, arguments, &[], &SpawnAttributes::default())
    }

    /// [`Child::spawn`] with file actions and attributes.
    pub fn spawn_with(
        mode: &str,
        arguments: &[&str],
        actions: &[FileAction],
        attributes: &SpawnAttributes,
    ) -> Result<Child, String> {
        let mut argv: Vec<&str> = Vec::with_capacity(arguments.len() + 3);
        argv.extend([PROGRAM, "child", mode]);
        argv.extend_from_slice(arguments);
        let pid = step(
            &format!("spawn child {mode}"),
            proc::spawn(PROGRAM, &argv, &[], actions, attributes),
        )?;
        Ok(Child { pid, reaped: false })
    }

    /// A child this case started some other way (`proc::spawn` of another program).
    pub fn adopt(pid: Pid) -> Child {
        Child { pid, reaped: false }
    }

    /// Waits (polling, up to [`CHILD_TIMEOUT`]) for the child to end; its wait status.
    pub fn wait(&mut self) -> Result<i32, String> {
        let deadline = time::monotonic() + CHILD_TIMEOUT;
        loop {
            match proc::waitpid(self.pid, WNOHANG) {
                Ok((0, _)) => {}
                Ok((_, status)) => {
                    self.reaped = true;
                    return Ok(status);
                }
                Err(error) => return Err(format!("waitpid({}): {}", self.pid, error.name())),
            }
            if time::monotonic() >= deadline {
                return Err(format!("child {} still running after {CHILD_TIMEOUT:?}", self.pid));
            }
            pause_briefly();
        }
    }

    /// Waits for the child and expects it to exit with `code`.
    pub fn exits_with(&mut self, code: i32) -> Check {
        let status = self.wait()?;
        ensure(proc::exited(status) && proc::exit_status(status) == code, || {
            format!("child {} {}, expected exit {code}", self.pid, describe(status))
        })
    }

    /// Waits for the child and expects it to be killed by `signal`.
    pub fn killed_by(&mut self, signal: u32) -> Check {
        let status = self.wait()?;
        ensure(proc::signaled(status) && proc::terminating_signal(status) as u32 == signal, || {
            format!("child {} {}, expected {}", self.pid, describe(status), signal_name(signal))
        })
    }

    /// Expects the child to be still running after `duration` (blocked where it should be).
    pub fn keeps_running(&mut self, duration: Duration) -> Check {
        sleep(duration);
        match proc::waitpid(self.pid, WNOHANG) {
            Ok((0, _)) => Ok(()),
            Ok((_, status)) => {
                self.reaped = true;
                Err(format!("child {} {} instead of waiting", self.pid, describe(status)))
            }
            Err(error) => Err(format!("waitpid({}): {}", self.pid, error.name())),
        }
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: u32) -> Check {
        step(&format!("kill({}, {signal})", self.pid), proc::kill(self.pid, signal))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            kill_and_reap(self.pid);
        }
    }
}

/// The descriptor on which a child started by [`Child::spawn_ready`] says it is ready.
pub const READY_DESCRIPTOR: libsys::fd::Fd = 3;

impl Child {
    /// [`Child::spawn`] with a pipe as the child's [`READY_DESCRIPTOR`]; returns once the
    /// child has called [`tell_ready`] (handlers installed, ids changed, object held), so
    /// what the case sends next meets the state the case is about.
    pub fn spawn_ready(mode: &str, arguments: &[&str]) -> Result<Child, String> {
        Child::spawn_ready_with(mode, arguments, &[])
    }

    /// [`Child::spawn_ready`] with file actions (applied before the ready pipe's).
    pub fn spawn_ready_with(
        mode: &str,
        arguments: &[&str],
        file_actions: &[FileAction],
    ) -> Result<Child, String> {
        let (reader, writer) = step("pipe", libsys::pipe::pipe2(libsys::abi::io::O_NONBLOCK))?;
        let mut actions = Vec::from(file_actions);
        actions.push(FileAction::Dup2(writer, READY_DESCRIPTOR));
        actions.extend(
            [reader, writer]
                .into_iter()
                .filter(|&end| end != READY_DESCRIPTOR)
                .map(FileAction::Close),
        );
        let spawned = Child::spawn_with(mode, arguments, &actions, &SpawnAttributes::default());
        let _ = libsys::fd::close(writer);
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                let _ = libsys::fd::close(reader);
                return Err(error);
            }
        };
        let deadline = time::monotonic() + CHILD_TIMEOUT;
        let outcome = loop {
            match libsys::fd::read(reader, &mut [0u8; 1]) {
                Ok(1) => break Ok(()),
                Ok(_) => {
                    let status = child.wait().map_or_else(|error| error, describe);
                    break Err(format!("child {mode} ended before it was ready: {status}"));
                }
                Err(Errno::Eagain | Errno::Eintr) if time::monotonic() < deadline => {
                    pause_briefly();
                }
                Err(error) => {
                    break Err(format!("child {mode} never got ready: {}", error.name()));
                }
            }
        };
        let _ = libsys::fd::close(reader);
        outcome.map(|()| child)
    }

    /// Waits for the child and expects it to exit with the outcome of the call it reports
    /// ([`outcome_code`]).
    pub fn returns(&mut self, expected: Result<(), Errno>) -> Check {
        let status = self.wait()?;
        let code = outcome_code(expected);
        ensure(proc::exited(status) && proc::exit_status(status) == code, || {
            let got = if proc::exited(status) {
                errno_name(proc::exit_status(status))
            } else {
                describe(status)
            };
            format!("child {}: {got}, expected {}", self.pid, errno_name(code))
        })
    }
}

/// In a child started by [`Child::spawn_ready`]: says it is ready.
pub fn tell_ready() {
    courier_test_support::tell_ready(READY_DESCRIPTOR);
}

/// The `index`th argument of a child mode as a number (`None` when absent or malformed).
pub fn number_argument<T: core::str::FromStr>(arguments: &[&str], index: usize) -> Option<T> {
    arguments.get(index)?.parse().ok()
}
