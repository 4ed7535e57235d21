//! courier-tools: what the shell's small programs share (argument helpers, signal names,
//! the System V listing).
//!
//! Each program is one file under `src/bin/`; they print one-line errors as
//! `NAME: what: why` to standard error and exit with 1 (bad use: 2).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod sysv_listing;

use alloc::string::String;
use alloc::vec::Vec;

/// The program's arguments after its name.
pub fn arguments() -> Vec<&'static str> {
    libsys::env::args().skip(1).collect()
}

/// Applies `operation` to each of `paths`, printing `program: path: error` for each
/// failure; the exit status: 0, 1 if any failed, 2 (with `usage`) when there is no path.
pub fn for_each_path(
    program: &str,
    usage: &str,
    paths: &[&str],
    mut operation: impl FnMut(&str) -> Result<(), libsys::Errno>,
) -> i32 {
    if paths.is_empty() {
        libsys::eprintln!("usage: {usage}");
        return 2;
    }
    let mut code = 0;
    for &path in paths {
        if let Err(error) = operation(path) {
            libsys::eprintln!("{program}: {path}: {error}");
            code = 1;
        }
    }
    code
}

/// A signal from `TERM`, `SIGTERM` or `15`.
pub fn parse_signal(text: &str) -> Option<u32> {
    if let Ok(number) = text.parse::<u32>() {
        return libsys::abi::signal::is_signal(number).then_some(number);
    }
    let upper: String = text.chars().map(|character| character.to_ascii_uppercase()).collect();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    (1..=libsys::abi::signal::SIGNAL_MAX).find(|&number| {
        libsys::abi::signal::name(number)
            .is_some_and(|known| known.strip_prefix("SIG") == Some(name))
    })
}

/// A number in decimal, or in hexadecimal with `0x` (System V keys and ids).
pub fn parse_number(text: &str) -> Option<i32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hexadecimal) => u32::from_str_radix(hexadecimal, 16).ok().map(|value| value as i32),
        None => text.parse().ok(),
    }
}

/// Writes all of `bytes` to `descriptor`.
///
/// # Errors
///
/// The write's error (`EIO` for a write that wrote nothing).
pub fn write_all(descriptor: libsys::fd::Fd, bytes: &[u8]) -> Result<(), libsys::Errno> {
    let mut written = 0;
    while written < bytes.len() {
        match libsys::fd::write(descriptor, &bytes[written..])? {
            0 => return Err(libsys::Errno::Eio),
            count => written += count,
        }
    }
    Ok(())
}
