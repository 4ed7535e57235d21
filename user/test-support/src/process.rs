//! What a helper child does for the case that started it: take another user's ids, say it
//! is ready, sleep until it is killed.

use core::time::Duration;

use libsys::fd::{self, Fd};
use libsys::proc;

use crate::timing::sleep;

/// Becomes user and group `id` (the group first: only root may change it); whether both
/// changes succeeded.
pub fn become_user(id: u32) -> bool {
    proc::setgid(id).is_ok() && proc::setuid(id).is_ok()
}

/// Says the child is ready: writes one byte to `descriptor` (the write end of the pipe
/// its parent waits on) and closes it.
pub fn tell_ready(descriptor: Fd) {
    let _ = fd::write(descriptor, b"r");
    let _ = fd::close(descriptor);
}

/// Sleeps until the process is killed.
pub fn sleep_forever() -> ! {
    loop {
        sleep(Duration::from_secs(1));
    }
}
