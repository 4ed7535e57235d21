//! Signals: Linux's numbers (on both architectures), default actions, `sigaction` flags,
//! `sigprocmask` operations, `si_code` values, signal sets, and the upcall words that
//! carry one signal's information from proc to a process.
//!
//! proc decides what a signal does to a process as a whole (SIGKILL, stops, continues,
//! ignored signals); a process's libsys keeps its handlers, mask and pending sets and
//! runs handlers from the upcall proc posts (see docs/signals.md).

/// The highest signal number (`SIGRTMAX`); valid signals are `1..=SIGNAL_MAX`.
pub const SIGNAL_MAX: u32 = 64;
/// The first real-time signal a program may use (`SIGRTMIN` as glibc gives it: the kernel
/// numbers real-time signals from 32 and glibc keeps 32 and 33 for itself).
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

/// Whether `number` is a signal (`1..=SIGNAL_MAX`).
pub const fn is_signal(number: u32) -> bool {
    number >= 1 && number <= SIGNAL_MAX
}

/// Whether `number` is a real-time signal (`SIGRTMIN..=SIGRTMAX`, queued with values).
pub const fn is_realtime(number: u32) -> bool {
    number >= SIGNAL_REALTIME_MIN && number <= SIGNAL_MAX
}

/// A set of signals: bit `n - 1` stands for signal `n` (Linux's `sigset_t` layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignalSet(pub u64);

impl SignalSet {
    /// No signal (`sigemptyset`).
    pub const EMPTY: SignalSet = SignalSet(0);
    /// Every signal (`sigfillset`).
    pub const FULL: SignalSet = SignalSet(u64::MAX);
    /// The signals that cannot be blocked, caught or ignored: SIGKILL and SIGSTOP.
    pub const UNBLOCKABLE: SignalSet = SignalSet(1 << (SIGKILL - 1) | 1 << (SIGSTOP - 1));
    /// The stop signals: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU.
    pub const STOP: SignalSet = SignalSet(
        1 << (SIGSTOP - 1) | 1 << (SIGTSTP - 1) | 1 << (SIGTTIN - 1) | 1 << (SIGTTOU - 1),
    );

    /// The set holding only `signal` (empty for a number that is not a signal).
    pub const fn of(signal: u32) -> SignalSet {
        if is_signal(signal) { SignalSet(1 << (signal - 1)) } else { SignalSet(0) }
    }

    /// Whether `signal` is in the set.
    pub const fn contains(self, signal: u32) -> bool {
        is_signal(signal) && self.0 & (1 << (signal - 1)) != 0
    }

    /// The set with `signal` added (`sigaddset`).
    #[must_use]
    pub const fn with(self, signal: u32) -> SignalSet {
        SignalSet(self.0 | SignalSet::of(signal).0)
    }

    /// The set with `signal` removed (`sigdelset`).
    #[must_use]
    pub const fn without(self, signal: u32) -> SignalSet {
        SignalSet(self.0 & !SignalSet::of(signal).0)
    }

    /// Signals in either set.
    #[must_use]
    pub const fn union(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 | other.0)
    }

    /// Signals in both sets.
    #[must_use]
    pub const fn intersection(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & other.0)
    }

    /// Signals in this set and not in `other`.
    #[must_use]
    pub const fn difference(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lowest signal in the set.
    pub const fn lowest(self) -> Option<u32> {
        if self.0 == 0 { None } else { Some(self.0.trailing_zeros() + 1) }
    }
}

/// `sigaction` flag: no SIGCHLD when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// `sigaction` flag (SIGCHLD): children do not become zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// `sigaction` flag: the handler takes (signal, info, context).
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// `sigaction` flag: run the handler on the alternate stack (accepted; Courier has none).
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `sigaction` flag: restart the interrupted calls that can be restarted.
pub const SA_RESTART: u64 = 0x1000_0000;
/// `sigaction` flag: do not block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `sigaction` flag: reset the disposition to the default when the handler is entered.
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// Every `sigaction` flag Courier accepts (Linux ignores unknown bits; so does Courier).
pub const SA_FLAGS: u64 =
    SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND;

/// `sigprocmask` operation: add the set to the mask.
pub const SIG_BLOCK: u32 = 0;
/// `sigprocmask` operation: remove the set from the mask.
pub const SIG_UNBLOCK: u32 = 1;
/// `sigprocmask` operation: the set becomes the mask.
pub const SIG_SETMASK: u32 = 2;

/// `si_code`: sent by `kill` or `raise`.
pub const SI_USER: i32 = 0;
/// `si_code`: sent by the system (`alarm`, a server on the system's behalf).
pub const SI_KERNEL: i32 = 0x80;
/// `si_code`: sent by `sigqueue`.
pub const SI_QUEUE: i32 = -1;
/// `si_code`: a timer expired.
pub const SI_TIMER: i32 = -2;
/// `si_code`: sent by `tkill`/`tgkill` (a thread-directed signal).
pub const SI_TKILL: i32 = -6;
/// `si_code` of SIGCHLD: the child exited.
pub const CLD_EXITED: i32 = 1;
/// `si_code` of SIGCHLD: the child was killed.
pub const CLD_KILLED: i32 = 2;
/// `si_code` of SIGCHLD: the child was killed and dumped core.
pub const CLD_DUMPED: i32 = 3;
/// `si_code` of SIGCHLD: the traced child trapped.
pub const CLD_TRAPPED: i32 = 4;
/// `si_code` of SIGCHLD: the child stopped.
pub const CLD_STOPPED: i32 = 5;
/// `si_code` of SIGCHLD: the stopped child continued.
pub const CLD_CONTINUED: i32 = 6;

/// What a process does with a signal, as proc needs to know it: proc discards ignored
/// signals at once and applies SIGCHLD's `SA_NOCLDSTOP` and `SA_NOCLDWAIT` itself.
#[repr(u64)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `SIG_DFL`.
    #[default]
    Default = 0,
    /// `SIG_IGN`.
    Ignore = 1,
    /// A handler.
    Catch = 2,
}

impl Disposition {
    /// Decodes a disposition number.
    pub const fn from_number(number: u64) -> Option<Disposition> {
        match number {
            0 => Some(Disposition::Default),
            1 => Some(Disposition::Ignore),
            2 => Some(Disposition::Catch),
            _ => None,
        }
    }
}

/// One signal's information (`siginfo_t`'s fields that Courier fills).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignalInfo {
    /// `si_signo`.
    pub signal: u32,
    /// `si_code`: `SI_USER`, `SI_QUEUE`, `SI_KERNEL`, `CLD_*`, ...
    pub code: i32,
    /// `si_pid`: the sender (for SIGCHLD, the child).
    pub pid: u32,
    /// `si_uid`: the sender's real user id (for SIGCHLD, the child's).
    pub uid: u32,
    /// `si_value` (`sigqueue`'s value).
    pub value: u64,
    /// `si_status` (SIGCHLD): the exit code, or the signal that killed, stopped or
    /// continued the child.
    pub status: i32,
}

impl SignalInfo {
    /// The four upcall words: `signal | code << 32`, `pid | uid << 32`, `value`,
    /// `status | generation << 32` (the continue generation proc counts for the
    /// target, which a stop request echoes).
    pub const fn to_upcall_words(self, generation: u32) -> [u64; 4] {
        [
            self.signal as u64 | (self.code as u32 as u64) << 32,
            self.pid as u64 | (self.uid as u64) << 32,
            self.value,
            self.status as u32 as u64 | (generation as u64) << 32,
        ]
    }

    /// Decodes upcall words: the information and the continue generation.
    pub const fn from_upcall_words(words: [u64; 4]) -> (SignalInfo, u32) {
        (
            SignalInfo {
                signal: words[0] as u32,
                code: (words[0] >> 32) as u32 as i32,
                pid: words[1] as u32,
                uid: (words[1] >> 32) as u32,
                value: words[2],
                status: words[3] as u32 as i32,
            },
            (words[3] >> 32) as u32,
        )
    }
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

    #[test]
    fn signal_sets_follow_sigset_t() {
        let set = SignalSet::EMPTY.with(SIGINT).with(SIGNAL_MAX);
        assert_eq!(set.0, 1 << 1 | 1 << 63);
        assert!(set.contains(SIGINT) && !set.contains(SIGTERM) && !set.contains(0));
        assert_eq!(set.without(SIGINT).lowest(), Some(SIGNAL_MAX));
        assert_eq!(SignalSet::of(0), SignalSet::EMPTY);
        assert_eq!(SignalSet::of(65), SignalSet::EMPTY);
        assert!(
            SignalSet::UNBLOCKABLE.contains(SIGKILL) && SignalSet::UNBLOCKABLE.contains(SIGSTOP)
        );
        assert!(is_realtime(SIGNAL_REALTIME_MIN) && !is_realtime(SIGSYS));
    }

    #[test]
    fn signal_information_round_trips_through_upcall_words() {
        let info = SignalInfo {
            signal: 40,
            code: SI_QUEUE,
            pid: 7,
            uid: 1000,
            value: 0xdead_beef_0000_0001,
            status: -3,
        };
        assert_eq!(SignalInfo::from_upcall_words(info.to_upcall_words(9)), (info, 9));
    }
}
