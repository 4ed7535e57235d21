//! The kernel console: the leveled log (through the `log` crate) and program output.
//!
//! Log lines carry the time since boot, like Linux's: `[    0.012345] message`; warnings
//! and errors are tagged. `loglevel=` on the command line picks the most verbose level
//! shown (default `info`). Program output written with `ConsoleWrite` goes out unchanged.
//! The fatal path ([`emergency_write`]) ignores the console lock, so a fault while
//! printing still gets its dump out.

use core::fmt::{self, Write};

use crate::arch;

static CONSOLE_LOCK: spin::Mutex<()> = spin::Mutex::new(());

struct ConsoleWriter;

impl Write for ConsoleWriter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        arch::console_write(text.as_bytes());
        Ok(())
    }
}

struct EmergencyWriter;

impl Write for EmergencyWriter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        arch::console_write_emergency(text.as_bytes());
        Ok(())
    }
}

/// The kernel logger.
struct KernelLogger;

impl log::Log for KernelLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let nanoseconds = arch::monotonic_nanoseconds();
        let seconds = nanoseconds / 1_000_000_000;
        let microseconds = (nanoseconds % 1_000_000_000) / 1000;
        let tag = match record.level() {
            log::Level::Error => "ERROR ",
            log::Level::Warn => "WARN  ",
            log::Level::Info => "",
            log::Level::Debug => "debug ",
            log::Level::Trace => "trace ",
        };
        let _guard = CONSOLE_LOCK.lock();
        let _ = writeln!(ConsoleWriter, "[{seconds:5}.{microseconds:06}] {tag}{}", record.args());
    }

    fn flush(&self) {}
}

static LOGGER: KernelLogger = KernelLogger;

/// Installs the logger with the level named by `level` (`error`, `warn`, `info`, `debug`,
/// `trace`).
///
/// # Errors
///
/// An unknown name keeps `info` and is returned, for the caller to report once the banner
/// is out.
pub fn initialize(level: Option<&str>) -> Result<(), &str> {
    let _ = log::set_logger(&LOGGER);
    let (filter, result) = match level {
        None | Some("info") => (log::LevelFilter::Info, Ok(())),
        Some("error") => (log::LevelFilter::Error, Ok(())),
        Some("warn") => (log::LevelFilter::Warn, Ok(())),
        Some("debug") => (log::LevelFilter::Debug, Ok(())),
        Some("trace") => (log::LevelFilter::Trace, Ok(())),
        Some(other) => (log::LevelFilter::Info, Err(other)),
    };
    log::set_max_level(filter);
    result
}

/// Writes bytes a program sent with `ConsoleWrite`.
pub fn write_program_output(bytes: &[u8]) {
    let _guard = CONSOLE_LOCK.lock();
    arch::console_write(bytes);
}

/// Prints formatted text without a timestamp (the boot banner).
pub fn print(arguments: fmt::Arguments<'_>) {
    let _guard = CONSOLE_LOCK.lock();
    let _ = ConsoleWriter.write_fmt(arguments);
}

/// Prints formatted text from the fatal path, ignoring the console lock.
pub fn emergency_write(arguments: fmt::Arguments<'_>) {
    let _ = EmergencyWriter.write_fmt(arguments);
}
