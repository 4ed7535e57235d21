//! Helper children: what one does for the case that started it (take another user's ids,
//! say it is ready, sleep until it is killed), and how a case ends one it no longer wants.

use core::time::Duration;

use libsys::Errno;
use libsys::abi::signal::SIGKILL;
use libsys::fd::{self, Fd};
use libsys::proc::{self, Pid};
use libsys::time;

use crate::timing::{CHILD_TIMEOUT, pause_briefly, sleep};

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

/// Ends child `pid` with SIGKILL and reaps it, waiting at most [`CHILD_TIMEOUT`] (so a
/// case never hangs on a child it could not end).
pub fn kill_and_reap(pid: Pid) {
    let _ = proc::kill(pid, SIGKILL);
    let deadline = time::monotonic() + CHILD_TIMEOUT;
    while time::monotonic() < deadline {
        match proc::waitpid(pid, proc::WNOHANG) {
            Ok((reaped, _)) if reaped == pid => return,
            Ok(_) | Err(Errno::Eintr) => pause_briefly(),
            Err(_) => return,
        }
    }
}
