//! Signal numbers (Linux's, on both architectures) and their default actions.
//!
//! Only the numbering and the default dispositions live here; the proc server applies
//! them, and handlers, masks and queueing come with the signals server work.

/// The highest signal number (`SIGRTMAX`); valid signals are `1..=SIGNAL_MAX`.
pub const SIGNAL_MAX: u32 = 64;
/// The first real-time signal (`SIGRTMIN` as the kernel numbers it).
pub const SIGNAL_REALTIME_MIN: u32 = 34;

/// What a signal does when its disposition is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process (Linux would also write a core dump; Courier writes none).
    CoreDump,
    /// Nothing.
    Ignore,
    /// Stop the process.
    Stop,
    /// Continue a stopped process.
    Continue,
}

macro_rules! signals {
    ($($(#[$documentation:meta])* $name:ident = $number:literal, $action:ident;)*) => {
        $(
            $(#[$documentation])*
            pub const $name: u32 = $number;
        )*

        /// The Linux name of signal `number` (`"SIGTERM"`), or `None` for a number with no
        /// name (0, 32, 33, real-time signals, out of range).
        pub const fn name(number: u32) -> Option<&'static str> {
            match number {
                $($number => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// The default action of signal `number` (real-time signals terminate), or `None`
        /// for a number that is not a signal.
        pub const fn default_action(number: u32) -> Option<DefaultAction> {
            match number {
                $($number => Some(DefaultAction::$action),)*
                SIGNAL_REALTIME_MIN..=SIGNAL_MAX => Some(DefaultAction::Terminate),
                32 | 33 => Some(DefaultAction::Terminate),
                _ => None,
            }
        }
    };
}

signals! {
    /// Hangup.
    SIGHUP = 1, Terminate;
    /// Interrupt from the keyboard.
    SIGINT = 2, Terminate;
    /// Quit from the keyboard.
    SIGQUIT = 3, CoreDump;
    /// Illegal instruction.
    SIGILL = 4, CoreDump;
    /// Trace or breakpoint trap.
    SIGTRAP = 5, CoreDump;
    /// Abort.
    SIGABRT = 6, CoreDump;
    /// Bus error.
    SIGBUS = 7, CoreDump;
    /// Arithmetic error.
    SIGFPE = 8, CoreDump;
    /// Kill (cannot be caught or ignored).
    SIGKILL = 9, Terminate;
    /// User-defined signal 1.
    SIGUSR1 = 10, Terminate;
    /// Invalid memory reference.
    SIGSEGV = 11, CoreDump;
    /// User-defined signal 2.
    SIGUSR2 = 12, Terminate;
    /// Write to a pipe with no reader.
    SIGPIPE = 13, Terminate;
    /// Timer.
    SIGALRM = 14, Terminate;
    /// Termination request.
    SIGTERM = 15, Terminate;
    /// Coprocessor stack fault.
    SIGSTKFLT = 16, Terminate;
    /// A child stopped or ended.
    SIGCHLD = 17, Ignore;
    /// Continue if stopped.
    SIGCONT = 18, Continue;
    /// Stop (cannot be caught or ignored).
    SIGSTOP = 19, Stop;
    /// Stop from the terminal.
    SIGTSTP = 20, Stop;
    /// Terminal input for a background process.
    SIGTTIN = 21, Stop;
    /// Terminal output for a background process.
    SIGTTOU = 22, Stop;
    /// Urgent condition on a socket.
    SIGURG = 23, Ignore;
    /// CPU time limit exceeded.
    SIGXCPU = 24, CoreDump;
    /// File size limit exceeded.
    SIGXFSZ = 25, CoreDump;
    /// Virtual alarm clock.
    SIGVTALRM = 26, Terminate;
    /// Profiling timer expired.
    SIGPROF = 27, Terminate;
    /// Window resize.
    SIGWINCH = 28, Ignore;
    /// I/O now possible.
    SIGIO = 29, Terminate;
    /// Power failure.
    SIGPWR = 30, Terminate;
    /// Bad system call.
    SIGSYS = 31, CoreDump;
}

/// Whether `number` is a signal `kill` accepts (0, the existence check, included).
pub const fn is_valid_for_kill(number: u32) -> bool {
    number <= SIGNAL_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_and_defaults_follow_linux() {
        assert_eq!((SIGKILL, SIGTERM, SIGCHLD, SIGSTOP, SIGSYS), (9, 15, 17, 19, 31));
        assert_eq!(name(SIGSEGV), Some("SIGSEGV"));
        assert_eq!(name(0), None);
        assert_eq!(name(40), None);
        assert_eq!(default_action(SIGCHLD), Some(DefaultAction::Ignore));
        assert_eq!(default_action(SIGCONT), Some(DefaultAction::Continue));
        assert_eq!(default_action(SIGTSTP), Some(DefaultAction::Stop));
        assert_eq!(default_action(SIGQUIT), Some(DefaultAction::CoreDump));
        assert_eq!(default_action(SIGNAL_MAX), Some(DefaultAction::Terminate));
        assert_eq!(default_action(0), None);
        assert_eq!(default_action(65), None);
        assert!(is_valid_for_kill(0) && is_valid_for_kill(64) && !is_valid_for_kill(65));
    }
}
