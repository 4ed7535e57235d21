//! courier-test-support: the helpers the in-guest test programs share (the conformance
//! suite, sysv-test, signal-test, io-test and their children).
//!
//! A case is a function returning [`Check`]: `Ok(())` when the system did what it should,
//! `Err(reason)` naming the call and what it gave instead. The checks build those reasons
//! so that a case reads as the list of calls it makes and what each must give:
//!
//! - [`check`]: [`ensure`], [`step`], [`fails_with`], [`equals`], whose reasons name an
//!   error by its errno (`EINTR`); [`strerror`] has `step` and `fails_with` whose reasons
//!   give the error's `strerror` text instead (signal-test and io-test print those);
//! - [`status`]: wait statuses, signals and exit codes in words ([`describe`],
//!   [`signal_name`], [`errno_name`]) and a child's exit code for a call's outcome
//!   ([`outcome_code`]);
//! - [`timing`]: [`sleep`] in full, the pause between two polls, polling with a deadline
//!   ([`eventually`], [`read_byte_within`]);
//! - [`process`]: what a helper child does: become another user, say it is ready, sleep
//!   until killed;
//! - [`signal_log`]: a record of handled signals that a handler may write to;
//! - [`sysv_objects`]: guards that remove a System V queue, semaphore set or segment when
//!   dropped, with what cases read them with, Linux's limits and status positions.
//!
//! Each suite keeps what is its own: its case table, its child processes and their
//! readiness protocol, its watchdog.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod check;
pub mod process;
pub mod signal_log;
pub mod status;
pub mod strerror;
pub mod sysv_objects;
pub mod timing;

pub use check::{Check, ensure, equals, fails_with, step};
pub use process::{become_user, kill_and_reap, sleep_forever, tell_ready};
pub use signal_log::{SignalLog, set_of};
pub use status::{describe, errno_name, outcome_code, signal_name};
pub use timing::{CHILD_TIMEOUT, eventually, pause_briefly, read_byte_within, sleep};
