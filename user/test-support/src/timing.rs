//! Sleeping and polling with deadlines, so that a missed wake-up fails a case instead of
//! hanging it.

use alloc::format;
use alloc::string::String;
use core::time::Duration;

use libsys::fd::{self, Fd};
use libsys::{Errno, time};

use crate::check::Check;

/// How long a child may take to do what a case expects of it.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(10);

/// Sleeps `duration` in full, whatever interrupts it.
pub fn sleep(duration: Duration) {
    let end = time::monotonic() + duration;
    loop {
        let now = time::monotonic();
        if now >= end {
            return;
        }
        let _ = time::nanosleep(end - now);
    }
}

/// The pause between two polls.
pub fn pause_briefly() {
    let _ = time::nanosleep(Duration::from_millis(2));
}

/// Polls `probe` until it reports nothing amiss (`None`) or [`CHILD_TIMEOUT`] passes; then
/// fails with what it last reported.
pub fn eventually(mut probe: impl FnMut() -> Result<Option<String>, String>) -> Check {
    let deadline = time::monotonic() + CHILD_TIMEOUT;
    loop {
        let Some(amiss) = probe()? else { return Ok(()) };
        if time::monotonic() >= deadline {
            return Err(format!("{amiss} (after {CHILD_TIMEOUT:?})"));
        }
        pause_briefly();
    }
}

/// Reads one byte from `descriptor` (non-blocking), polling for up to `timeout`: `None`
/// at end of file.
pub fn read_byte_within(descriptor: Fd, timeout: Duration) -> Result<Option<u8>, String> {
    let deadline = time::monotonic() + timeout;
    let mut byte = [0u8; 1];
    loop {
        match fd::read(descriptor, &mut byte) {
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(byte[0])),
            Err(Errno::Eagain | Errno::Eintr) => {}
            Err(error) => return Err(format!("read: {error}")),
        }
        if time::monotonic() >= deadline {
            return Err(format!("nothing to read within {timeout:?}"));
        }
        pause_briefly();
    }
}
