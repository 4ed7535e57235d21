//! Console output: [`print!`](crate::print), [`println!`](crate::println),
//! [`eprint!`](crate::eprint) and [`eprintln!`](crate::eprintln).
//!
//! The printing macros write to descriptors 1 (standard output) and 2 (standard error),
//! which are the kernel console unless the program's parent redirected them. Formatted
//! output is gathered in a small buffer so that a line normally goes out in one write.
//! [`write()`] goes to the kernel console directly.

use core::fmt::{self, Write};

use courier_abi::{KernelError, Syscall};

use crate::arch;

/// Writes `bytes` to the kernel console and returns how many were written.
///
/// # Errors
///
/// [`KernelError::BadAddress`] when `bytes` is not readable in this address space (it
/// always is from safe Rust; the raw form is [`write_raw`]).
pub fn write(bytes: &[u8]) -> Result<usize, KernelError> {
    write_raw(bytes.as_ptr() as usize, bytes.len())
}

/// Writes `length` bytes starting at user address `address` to the console, with no check
/// on this side: the kernel validates the range. Used by tests of that validation.
///
/// # Errors
///
/// [`KernelError::BadAddress`] when the range is not mapped readable.
pub fn write_raw(address: usize, length: usize) -> Result<usize, KernelError> {
    let results =
        arch::syscall(Syscall::ConsoleWrite.number(), [address, length, 0, 0, 0, 0, 0, 0])
            .into_result()?;
    Ok(results[0])
}

/// A formatter that collects output in a fixed buffer and writes it to a descriptor when
/// full and when dropped.
pub struct ConsoleWriter {
    buffer: [u8; 256],
    length: usize,
    descriptor: crate::fd::Fd,
}

impl ConsoleWriter {
    /// An empty writer to standard output.
    pub const fn new() -> Self {
        Self::to(1)
    }

    /// An empty writer to `descriptor`.
    pub const fn to(descriptor: crate::fd::Fd) -> Self {
        ConsoleWriter { buffer: [0; 256], length: 0, descriptor }
    }

    /// Writes out what has been collected.
    pub fn flush(&mut self) {
        let mut sent = 0;
        while sent < self.length {
            match crate::fd::write(self.descriptor, &self.buffer[sent..self.length]) {
                Ok(0) | Err(_) => break,
                Ok(count) => sent += count,
            }
        }
        self.length = 0;
    }
}

impl Default for ConsoleWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for ConsoleWriter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for &byte in text.as_bytes() {
            if self.length == self.buffer.len() {
                self.flush();
            }
            self.buffer[self.length] = byte;
            self.length += 1;
        }
        Ok(())
    }
}

impl Drop for ConsoleWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Formats `arguments` to standard output; used by [`print!`](crate::print).
pub fn print_arguments(arguments: fmt::Arguments<'_>) {
    let mut writer = ConsoleWriter::to(1);
    let _ = writer.write_fmt(arguments);
}

/// Formats `arguments` to standard error; used by [`eprint!`](crate::eprint).
pub fn eprint_arguments(arguments: fmt::Arguments<'_>) {
    let mut writer = ConsoleWriter::to(2);
    let _ = writer.write_fmt(arguments);
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($argument:tt)*) => { $crate::console::print_arguments(format_args!($($argument)*)) };
}

/// Prints to standard output, with a newline.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($argument:tt)*) => {
        $crate::console::print_arguments(format_args!("{}\n", format_args!($($argument)*)))
    };
}

/// Prints to standard error.
#[macro_export]
macro_rules! eprint {
    ($($argument:tt)*) => { $crate::console::eprint_arguments(format_args!($($argument)*)) };
}

/// Prints to standard error, with a newline.
#[macro_export]
macro_rules! eprintln {
    () => { $crate::eprint!("\n") };
    ($($argument:tt)*) => {
        $crate::console::eprint_arguments(format_args!("{}\n", format_args!($($argument)*)))
    };
}
