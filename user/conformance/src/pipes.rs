//! Conformance cases for pipes (pipe(2), pipe(7), read(2), write(2), fcntl(2) on a pipe).

use libsys::Errno;
use libsys::fd::{self, Fd};
use libsys::pipe;

use crate::framework::{Case, Check, equals, fails_with, step};

/// The cases, in the order they run.
pub const CASES: &[Case] = &[Case { name: "write-read-close-eof", run: write_read_close_eof }];

/// The child modes this area's cases spawn; `None` for a mode it does not know.
pub fn child(_mode: &str, _arguments: &[&str]) -> Option<i32> {
    None
}

/// Bytes written to the write end come out of the read end in order; once the write end
/// is closed and the pipe is empty, read gives 0 (end of file), and a read on the write
/// end fails with EBADF.
fn write_read_close_eof() -> Check {
    let (read_end, write_end): (Fd, Fd) = step("pipe", pipe::pipe())?;
    fails_with("read(write end)", fd::read(write_end, &mut [0u8; 4]), Errno::Ebadf)?;
    equals("write(\"courier\")", fd::write(write_end, b"courier"), 7)?;
    let mut buffer = [0u8; 16];
    equals("read", fd::read(read_end, &mut buffer), 7)?;
    step("close(write end)", fd::close(write_end))?;
    equals("read after close", fd::read(read_end, &mut buffer), 0)?;
    step("close(read end)", fd::close(read_end))
}
