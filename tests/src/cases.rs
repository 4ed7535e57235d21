//! The QEMU test cases: each boots a kernel with a command line (and sometimes a machine
//! variant or console input) and checks the kernel's verdict and its serial log.
//!
//! A case passes when QEMU powered off with the expected verdict (success or failure),
//! every expected text appeared in order, no rejected text appeared, and any extra check
//! on the log passed. Every case has a deadline.

use std::time::Duration;

use crate::arch::Arch;
use crate::qemu::{Interaction, Machine};

/// The verdict the kernel must report when it powers off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything ran as expected.
    Success,
    /// The kernel reported a failure (a fault, a panic, a program that could not start).
    Failure,
}

/// How a case boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootPath {
    /// QEMU direct boot.
    Direct,
    /// UEFI firmware and Limine.
    Limine,
}

/// An extra check of a case's log: `Err` says what is wrong.
pub type LogCheck = fn(&str) -> Result<(), String>;

/// One QEMU test.
#[derive(Clone)]
pub struct Case {
    /// `arch/name`, for reports and `--filter`.
    pub name: String,
    /// The machine.
    pub machine: Machine,
    /// How it boots.
    pub boot: BootPath,
    /// The kernel command line.
    pub command_line: String,
    /// Console input to type.
    pub interaction: Option<Interaction>,
    /// Deadline.
    pub timeout: Duration,
    /// The verdict expected.
    pub verdict: Verdict,
    /// Texts that must appear, in this order.
    pub expect: Vec<String>,
    /// Texts that must not appear.
    pub reject: Vec<String>,
    /// An extra check of the log.
    pub check: Option<LogCheck>,
    /// Look for `expect` in what programs printed, with the kernel's own log lines
    /// (`[    1.234567] ...`) taken out: they come whenever a process ends, even in the
    /// middle of a program's output.
    pub programs_only: bool,
}

impl Case {
    fn new(arch: Arch, name: &str, command_line: &str, verdict: Verdict, expect: &[&str]) -> Self {
        Case {
            name: format!("{arch}/{name}"),
            machine: Machine::new(arch),
            boot: BootPath::Direct,
            command_line: command_line.to_string(),
            interaction: None,
            timeout: Duration::from_secs(60),
            verdict,
            expect: expect.iter().map(|text| (*text).to_string()).collect(),
            reject: Vec::new(),
            check: None,
            programs_only: false,
        }
    }

    fn rejecting(mut self, texts: &[&str]) -> Self {
        self.reject.extend(texts.iter().map(|text| (*text).to_string()));
        self
    }

    fn checking(mut self, check: LogCheck) -> Self {
        self.check = Some(check);
        self
    }

    /// Judges a finished run. `verdict` is the kernel's reported verdict (`None` when QEMU
    /// did not power off cleanly).
    pub fn judge(&self, log: &str, verdict: Option<bool>, timed_out: bool) -> Result<(), String> {
        if timed_out {
            return Err(format!("no power-off within {} s", self.timeout.as_secs()));
        }
        let expected = self.verdict == Verdict::Success;
        match verdict {
            None => {
                return Err("QEMU did not power off through the kernel (crash or bad exit)".into());
            }
            Some(reported) if reported != expected => {
                return Err(format!(
                    "the kernel reported {} but the case expects {}",
                    if reported { "success" } else { "failure" },
                    if expected { "success" } else { "failure" }
                ));
            }
            Some(_) => {}
        }
        let filtered;
        let log = if self.programs_only {
            filtered = without_kernel_lines(log);
            filtered.as_str()
        } else {
            log
        };
        let mut position = 0;
        for text in &self.expect {
            match log[position..].find(text.as_str()) {
                Some(found) => position += found + text.len(),
                None if log.contains(text.as_str()) => {
                    return Err(format!("{text:?} appeared out of order"));
                }
                None => return Err(format!("{text:?} not in the log")),
            }
        }
        for text in &self.reject {
            if log.contains(text.as_str()) {
                return Err(format!("{text:?} appeared in the log"));
            }
        }
        match self.check {
            Some(check) => check(log),
            None => Ok(()),
        }
    }
}

/// `log` without the kernel's log lines: each `[` + blanks + digits + `.` + digits + `] `
/// up to the end of its line, wherever it starts.
fn without_kernel_lines(log: &str) -> String {
    let mut kept = String::with_capacity(log.len());
    let mut rest = log;
    while let Some(start) = rest.find('[') {
        let candidate = &rest[start + 1..];
        let stamp = candidate.trim_start_matches(' ');
        let digits = stamp
            .trim_start_matches(|character: char| character.is_ascii_digit() || character == '.');
        let number = &stamp[..stamp.len() - digits.len()];
        let is_stamp = number.contains('.') && digits.starts_with("] ");
        kept.push_str(&rest[..start]);
        if is_stamp {
            let end = candidate.find('\n').map_or(candidate.len(), |newline| newline + 1);
            rest = &candidate[end..];
        } else {
            kept.push('[');
            rest = candidate;
        }
    }
    kept.push_str(rest);
    kept
}

/// Reads the timer self-test line and checks the timer fired at least 90% of the expected
/// number of times over at least 500 ms.
pub fn check_timer(log: &str) -> Result<(), String> {
    let line = log
        .lines()
        .find(|line| line.contains("selftest timer:"))
        .ok_or("no timer self-test line")?;
    let numbers: Vec<u64> = line
        .split(|character: char| !character.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .filter_map(|part| part.parse().ok())
        .collect();
    // "[ s.us] selftest timer: T timer interrupts in M ms at H Hz (expected E)"
    let [.., ticks, milliseconds, hertz, _expected] = numbers[..] else {
        return Err(format!("cannot read the timer line: {line}"));
    };
    if milliseconds < 500 {
        return Err(format!("the timer test ran only {milliseconds} ms"));
    }
    let minimum = hertz * milliseconds * 9 / 10_000;
    if ticks < minimum {
        return Err(format!(
            "{ticks} timer interrupts in {milliseconds} ms at {hertz} Hz; need at least {minimum}"
        ));
    }
    Ok(())
}

/// Checks that timer interrupts arrived while the `spin` program ran in user mode.
pub fn check_user_interrupts(log: &str) -> Result<(), String> {
    let line = log
        .lines()
        .find(|line| line.contains("(spin): exited with status"))
        .ok_or("no exit line for spin")?;
    let count = line
        .split(", ")
        .find_map(|part| part.strip_suffix(" interrupts)"))
        .and_then(|number| number.trim().parse::<u64>().ok())
        .ok_or_else(|| format!("no interrupt count in {line:?}"))?;
    if count == 0 { Err(format!("no interrupt arrived while spin ran: {line}")) } else { Ok(()) }
}

/// Every test program that ends on its own (used by the no-leak case).
const ALL_PROGRAMS: &str = "hello,syscall-errors,page-fault,write-read-only,jump-to-kernel,\
                            privileged-instruction,stack-overflow,panic,hello";

fn after_fault(fault: &'static str) -> [&'static str; 3] {
    [fault, "killed by SIGSEGV", "process 2 (hello): exited with status 42"]
}

/// The cases for `arch`, including machine variants and, when `limine` is true, the
/// Limine boot.
pub fn cases(arch: Arch, limine: bool) -> Vec<Case> {
    use Verdict::{Failure, Success};
    let mut cases = vec![
        Case::new(
            arch,
            "boot-banner",
            // The system running hello (with no `init=`, init would run the shell).
            "init=hello",
            Success,
            &[
                "Courier",
                "booted by QEMU direct boot",
                &format!("Courier on {arch}:"),
                "MiB RAM",
                "processor",
                "banner reached at counter",
                "all programs finished",
            ],
        ),
        Case::new(
            arch,
            "timer",
            "courier.selftest=timer init=hello",
            Success,
            &["selftest timer:", "passed"],
        )
        .checking(check_timer),
        Case::new(
            arch,
            "hello",
            "courier.run=hello",
            Success,
            &[
                "process 1 (hello): started",
                "hello from user mode",
                "process 1 (hello): exited with status 42",
            ],
        ),
        Case::new(
            arch,
            "interrupts-in-user-mode",
            "courier.run=spin",
            Success,
            &["spin: 20000000 iterations, sums agree", "process 1 (spin): exited with status 0"],
        )
        .checking(check_user_interrupts),
        Case::new(
            arch,
            "syscall-errors",
            "courier.run=syscall-errors",
            Success,
            &[
                "syscall-errors: 7 passed, 0 failed",
                "process 1 (syscall-errors): exited with status 0",
            ],
        ),
        Case::new(
            arch,
            "page-fault",
            "courier.run=page-fault,hello",
            Success,
            &after_fault(
                "process 1 (page-fault): page fault: read of unmapped address 0xdeadb000, at instruction 0x",
            ),
        ),
        Case::new(
            arch,
            "write-read-only",
            "courier.run=write-read-only,hello",
            Success,
            &after_fault("page fault: write to read-only page at 0x40"),
        ),
        Case::new(
            arch,
            "jump-to-kernel",
            "courier.run=jump-to-kernel,hello",
            Success,
            &after_fault("page fault: instruction fetch of kernel memory at 0xffffffff80200000"),
        ),
        Case::new(
            arch,
            "privileged-instruction",
            "courier.run=privileged-instruction,hello",
            Success,
            &after_fault("process 1 (privileged-instruction): privileged instruction"),
        ),
        Case::new(
            arch,
            "stack-overflow",
            "courier.run=stack-overflow,hello",
            Success,
            &after_fault("page fault: stack overflow (access to the stack guard page"),
        ),
        Case::new(
            arch,
            "program-panic",
            "courier.run=panic,hello",
            Success,
            &[
                "program panicked",
                "deliberate panic in a user program",
                "process 1 (panic): exited with status 101",
                "process 2 (hello): exited with status 42",
            ],
        ),
        Case::new(
            arch,
            "missing-image",
            "courier.run=no-such-program,hello",
            Failure,
            &[
                "cannot run program \"no-such-program\": no program image with that name",
                "process 1 (hello): exited with status 42",
                "1 not started",
            ],
        ),
        Case::new(
            arch,
            "corrupt-image",
            "courier.run=corrupt-elf,not-elf,hello",
            Failure,
            &[
                "cannot run program \"corrupt-elf\": the program image is invalid:",
                "cannot run program \"not-elf\": the program image is invalid: not a valid ELF file (bad magic number)",
                "process 1 (hello): exited with status 42",
                "2 not started",
            ],
        ),
        Case::new(
            arch,
            "no-usable-memory",
            "mem=2M courier.run=hello",
            Failure,
            &["memory: no usable memory region past the kernel", "FATAL ] stopping"],
        )
        .rejecting(&["hello from user mode"]),
        Case::new(
            arch,
            "kernel-fault",
            "courier.selftest=kernel-fault",
            Failure,
            &[
                "KERNEL FAULT",
                "accessing 0xffffff7fdeadb000",
                "running: kernel (no process)",
                "FATAL ] stopping",
            ],
        ),
        Case::new(
            arch,
            "kernel-panic",
            "courier.selftest=panic",
            Failure,
            &[
                "KERNEL PANIC: panicked at microkernel/src/selftest.rs",
                "deliberate kernel panic",
                "FATAL ] stopping",
            ],
        ),
        Case::new(
            arch,
            "bad-parameters",
            "courier.timer_hz=5 loglevel=loud mem=lots bogus courier.run=hello",
            Success,
            &[
                "loglevel=loud is not a level",
                "unknown kernel parameter \"bogus\" ignored",
                "mem=lots is not a size",
                "courier.timer_hz must be 10 to 1000",
                "process 1 (hello): exited with status 42",
            ],
        ),
        Case::new(
            arch,
            "all-programs-no-leak",
            &format!("courier.run={ALL_PROGRAMS}"),
            Success,
            &["all programs finished: 4 exited, 5 killed by signals, 0 not started; free frames"],
        )
        .rejecting(&["LEAK"]),
    ];
    cases.push(
        Case::new(
            arch,
            "deadlock-detected",
            "courier.run=deadlock,hello",
            Success,
            &[
                "every thread is blocked with no timeout and nothing can wake one: stopping 2 processes",
                "process 1 (deadlock): killed by SIGKILL (signal 9)",
                "process 2 (deadlock): killed by SIGKILL (signal 9)",
                "process 3 (hello): exited with status 42",
                "1 exited, 1 killed by signals, 0 not started",
            ],
        )
        .rejecting(&["LEAK"]),
    );
    cases.push(
        Case::new(
            arch,
            "ipc",
            "courier.run=ipc-test",
            Success,
            &[
                "ipc-test: ok ping-pong",
                "ipc-test: ok deferred-replies",
                "ipc-test: ok leases",
                "ipc-test: ok shared-memory",
                "ipc-test: ok death-notices",
                "ipc-test: ok upcall-running",
                "ipc-test: ok upcall-blocked-call",
                "ipc-test: ok register-pattern",
                "ipc-test: ok timeouts",
                "ipc-test: ok bad-arguments",
                "ipc-test: ok cleanup",
                "ipc-test: 11 passed, 0 failed",
                "process 1 (ipc-test): exited with status 0",
                "all programs finished: 1 exited, 0 killed by signals, 0 not started",
            ],
        )
        .rejecting(&["ipc-test: FAIL", "LEAK"]),
    );
    cases.push(
        Case::new(
            arch,
            "system-hello",
            "init=hello",
            Success,
            &[
                "process 1 (proc): started",
                "init: starting hello",
                "hello from user mode",
                "init: hello (pid 5) exited with status 42",
                "(proc): exited with status 42",
                "all programs finished: 1 exited, 0 killed by signals, 0 not started",
            ],
        )
        .rejecting(&[
            "LEAK",
            "cannot start",
            "cannot reach",
            "offer its service",
            "before offering",
        ]),
    );
    let mut proc_case = Case::new(
        arch,
        "proc",
        "init=proc-test",
        Success,
        &[
            "proc-test: ok arguments-and-environment",
            "proc-test: ok exit-codes",
            "proc-test: ok killed-by-signal",
            "proc-test: ok orphans-reaped-by-init",
            "proc-test: ok process-group-kill",
            "proc-test: ok kill-errors",
            "proc-test: ok wait-errors",
            "proc-test: ok groups-and-sessions",
            "written through a duplicate of 1",
            "written by a child through inherited 10",
            "written by a child through dup2 action 6",
            "proc-test: ok console-descriptors",
            "proc-test: ok server-descriptors",
            "proc-test: before 1000 spawns: free frames",
            "proc-test: after 1000 spawns: free frames",
            "proc-test: ok thousand-spawns",
            "proc-test: ok credentials",
            "proc-test: 12 passed, 0 failed",
            "init: proc-test (pid 5) exited with status 0",
            "all programs finished: 1 exited, 0 killed by signals, 0 not started",
        ],
    )
    .rejecting(&["proc-test: FAIL", "LEAK"]);
    // 1,300 spawns under TCG.
    proc_case.timeout = Duration::from_secs(180);
    cases.push(proc_case);
    let mut io_case = Case::new(
        arch,
        "io",
        // A small tmpfs, so that filling it (tmpfs-no-space) is quick.
        "init=io-test tmpfs.size=8M",
        Success,
        &[
            "io-test: ok pipe-parent-child",
            "io-test: ok eof-and-epipe",
            "io-test: ok pipe-buf-atomicity",
            "io-test: ok non-blocking",
            "io-test: ok fifo-client-server",
            "io-test: ok tmpfs-files",
            "io-test: ok tmpfs-permissions",
            "io-test: ok tmpfs-no-space",
            "io-test: ok shared-memory-counter",
            "io-test: ok shared-memory-resize",
            "io-test: ok bad-requests",
            "io-test: 11 passed, 0 failed",
            "init: io-test (pid 5) exited with status 0",
            "all programs finished: 1 exited, 0 killed by signals, 0 not started",
        ],
    )
    .rejecting(&["io-test: FAIL", "LEAK"]);
    io_case.timeout = Duration::from_secs(240);
    cases.push(io_case);
    let mut signals_case = Case::new(
        arch,
        "signals",
        "init=signal-test",
        Success,
        &[
            "signal-test: ok sigaction-old-action",
            "signal-test: ok handler-runs-before-kill-returns",
            "signal-test: ok siginfo-queue",
            "signal-test: ok mask-and-pending",
            "signal-test: ok standard-coalesce",
            "signal-test: ok realtime-queue-order",
            "signal-test: ok lowest-first",
            "signal-test: ok sa-nodefer-and-resethand",
            "signal-test: ok sa-mask",
            "signal-test: ok sigsuspend",
            "signal-test: ok pause-and-alarm",
            "signal-test: ok ignore",
            "signal-test: ok default-terminate",
            "signal-test: ok default-core",
            "signal-test: ok sigkill-uncatchable",
            "signal-test: ok stop-and-continue",
            "signal-test: ok sigtstp-default-stops",
            "signal-test: ok sigcont-discards-stop",
            "signal-test: ok sigchld-on-exit",
            "signal-test: ok sigchld-nocldstop",
            "signal-test: ok sigchld-ignore-autoreap",
            "signal-test: ok sigpipe",
            "signal-test: ok eintr-pipe-read",
            "signal-test: ok eintr-waitpid",
            "signal-test: ok eintr-nanosleep",
            "signal-test: ok eintr-fifo-open",
            "signal-test: ok nonblocking-calls-not-interrupted",
            "signal-test: ok kill-permissions",
            "signal-test: ok kill-process-group",
            "signal-test: ok inherited-mask-and-ignore",
            "signal-test: 30 passed, 0 failed",
            "init: signal-test (pid 5) exited with status 0",
            "all programs finished: 1 exited, 0 killed by signals, 0 not started",
        ],
    )
    .rejecting(&["signal-test: FAIL", "LEAK"]);
    signals_case.timeout = Duration::from_secs(240);
    cases.push(signals_case);
    let mut sysv_case = Case::new(
        arch,
        "sysv",
        "init=sysv-test",
        Success,
        &[
            "sysv-test: ok msgget-keys",
            "sysv-test: ok msg-order-and-types",
            "sysv-test: ok msg-blocking",
            "sysv-test: ok msg-stat-set",
            "sysv-test: ok msg-rmid-wakes",
            "sysv-test: ok msg-client-server",
            "sysv-test: ok sem-basics",
            "sysv-test: ok sem-wait-and-wake",
            "sysv-test: ok sem-undo-on-kill",
            "sysv-test: ok sem-undo-on-exit",
            "sysv-test: ok semtimedop-timeout",
            "sysv-test: ok sem-eintr",
            "sysv-test: ok sem-rmid-wakes",
            "sysv-test: ok shm-basics",
            "sysv-test: ok shm-shared-counter",
            "sysv-test: ok shm-rmid-deferred",
            "sysv-test: ok shm-exit-detaches",
            "sysv-test: ok ftok",
            "sysv-test: 18 passed, 0 failed",
            "init: sysv-test (pid 5) exited with status 0",
            "all programs finished: 1 exited, 0 killed by signals, 0 not started",
        ],
    )
    .rejecting(&["sysv-test: FAIL", "LEAK"]);
    sysv_case.timeout = Duration::from_secs(240);
    cases.push(sysv_case);
    // The demo programs, each as init's program: their trace in order and a clean exit.
    let demos: [(&str, &[&str], &[&str]); 3] = [
        (
            "pipe-demo",
            &[
                "pipe-demo: parent (pid 5): made a pipe: read end fd 3, write end fd 4",
                "pipe-demo: child (pid 6): read line 1: \"hello through a pipe\"",
                "pipe-demo: child (pid 6): read line 2: \"from parent to child\"",
                "pipe-demo: child (pid 6): read line 3: \"goodbye\"",
                "pipe-demo: child (pid 6): end of file after 3 lines (50 bytes)",
                "pipe-demo: parent (pid 5): child 6 exited with status 3",
                "pipe-demo: child read 3 lines (50 bytes)",
                "init: pipe-demo (pid 5) exited with status 0",
            ],
            &["usage:", ", expected", "pipe-demo: spawn", "pipe-demo: write", ": read:"],
        ),
        (
            "shm-demo",
            &[
                "shm-demo: parent (pid 5): shm_open(\"/courier-shm-demo\", O_CREAT|O_EXCL|O_RDWR) = fd 3",
                "shm-demo: parent (pid 5): wrote \"greetings from the parent\" into the shared page",
                "shm-demo: child (pid 6): shm_open(\"/courier-shm-demo\", O_RDWR) = fd 3",
                "read \"greetings from the parent\" written by pid 5",
                "shm-demo: child (pid 6): wrote \"hello from the child\" and the squares of 1 to 5",
                "shm-demo: parent (pid 5): saw the child's flag in the shared page",
                "shm-demo: parent (pid 5): child 6 exited with status 0",
                "read from its own mapping: \"hello from the child\" from pid 6, numbers 1 4 9 16 25",
                "one memory object, the same frames",
                "shm_unlink(\"/courier-shm-demo\"); opening it again fails: No such file or directory",
                "init: shm-demo (pid 5) exited with status 0",
            ],
            &[
                "File exists",
                "does not hold",
                "no flag from the child",
                "shm-demo: child:",
                "usage:",
            ],
        ),
        (
            "signal-demo",
            &[
                "blocked SIGUSR1 and raised it twice: sigpending() = {SIGUSR1}, handler ran 0 times",
                "unblocked SIGUSR1: handler ran 1 time (si_pid 5, si_code SI_USER), sigpending() = {}",
                "sigqueue(SIGRTMIN) with values 100, 200, 300: sigpending() = {SIGRTMIN}",
                "unblocked SIGRTMIN: handler ran 3 times with si_value 100, 200, 300 (si_code SI_QUEUE)",
                "sigsuspend (SIGCHLD unblocked) until all 3 are reaped",
                "reaped 3 children",
                "signal-demo: SIGUSR1 handled once after unblocking, 3 queued values delivered in order, 3 children reaped by the SIGCHLD handler",
                "init: signal-demo (pid 5) exited with status 0",
            ],
            &["timed out", "ended otherwise than expected", "is not pending", "did not", "usage:"],
        ),
    ];
    for (demo, expected, rejected) in demos {
        let mut expect = vec![format!("init: starting {demo}")];
        expect.extend(expected.iter().map(|text| (*text).to_string()));
        expect.push("all programs finished: 1 exited, 0 killed by signals, 0 not started".into());
        let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
        let mut rejecting = vec!["LEAK", "panicked"];
        rejecting.extend_from_slice(rejected);
        cases.push(
            Case::new(arch, demo, &format!("init={demo}"), Success, &expect).rejecting(&rejecting),
        );
    }
    // The conformance suite: every case must pass (its own lines name each one).
    let mut conformance = Case::new(
        arch,
        "conformance",
        "init=conformance tmpfs.size=8M",
        Success,
        &[
            "init: starting conformance",
            "conformance: ok ",
            " passed, 0 failed",
            "init: conformance (pid 5) exited with status 0",
            "all programs finished: 1 exited, 0 killed by signals, 0 not started",
        ],
    )
    .rejecting(&["conformance: FAIL", "conformance: no case", "LEAK"]);
    conformance.timeout = Duration::from_secs(600);
    cases.push(conformance);
    let mut console = Case::new(
        arch,
        "console-input",
        "courier.selftest=console-input init=hello",
        Success,
        &["received \"courier\" (7 bytes) through", "passed"],
    );
    console.interaction =
        Some(Interaction { after: "type a line".into(), input: "courier\r".into() });
    cases.push(console);

    cases.push(shell_case(arch));

    // Machine variants: the banner, the timer and a program on each.
    let variants: &[(&str, &str, u8, bool)] = match arch {
        Arch::X86_64 => &[("qemu64", "qemu64", 0, false)],
        Arch::Aarch64 => &[
            ("cortex-a53-gicv2", "cortex-a53", 2, false),
            ("cortex-a53-gicv3", "cortex-a53", 3, false),
            ("cortex-a72-gicv2", "cortex-a72", 2, false),
            ("max-gicv2", "max", 2, false),
            ("max-gicv3", "max", 3, false),
            ("cortex-a72-el2-entry", "cortex-a72", 3, true),
        ],
    };
    for &(name, cpu, gic, el2) in variants {
        let mut case = Case::new(
            arch,
            &format!("machine-{name}"),
            "courier.selftest=timer courier.run=hello",
            Success,
            &[
                &format!("Courier on {arch}:"),
                "selftest timer:",
                "hello from user mode",
                "process 1 (hello): exited with status 42",
            ],
        )
        .checking(check_timer);
        case.machine.cpu = cpu.to_string();
        if gic != 0 {
            case.machine.gic_version = gic;
        }
        case.machine.virtualization = el2;
        cases.push(case);
    }

    if limine {
        let mut case = Case::new(
            arch,
            "limine-uefi",
            "courier.selftest=timer courier.run=hello",
            Success,
            &[
                "booted by Limine protocol",
                &format!("Courier on {arch}:"),
                "selftest timer:",
                "hello from user mode",
                "process 1 (hello): exited with status 42",
            ],
        )
        .checking(check_timer);
        case.boot = BootPath::Limine;
        case.timeout = Duration::from_secs(180);
        cases.push(case);
    }
    cases
}

/// A scripted session with the shell: a pipeline, redirections to and from a tmpfs file,
/// a background job with `jobs` and `wait`, `$?`, lists and variables, a crashing child,
/// `ipcs` before and after `ipcrm`, the System V producer/consumer demo fed from the
/// console, Ctrl-C of a running program, Ctrl-Z and `fg`, `ps`, and `exit`.
fn shell_case(arch: Arch) -> Case {
    // init runs as root: the prompt is `# ` at the start of a line.
    const PROMPT: &str = "\n# ";
    let steps: Vec<(&str, &str)> = vec![
        (PROMPT, "echo hello | cat | cat\r"),
        (PROMPT, "echo data > /tmp/f\r"),
        (PROMPT, "echo more >> /tmp/f\r"),
        (PROMPT, "cat < /tmp/f\r"),
        (PROMPT, "sleep 2 &\r"),
        (PROMPT, "jobs\r"),
        (PROMPT, "wait\r"),
        (PROMPT, "echo status $?\r"),
        (PROMPT, "no-such-command\r"),
        (PROMPT, "echo 'single $?' \"double $?\"\r"),
        (PROMPT, "false; echo s=$? && echo and || echo or\r"),
        (PROMPT, "NAME=courier; echo \"$NAME\" ${NAME}x\r"),
        (PROMPT, "page-fault\r"),
        // ipcs before and after ipcrm.
        (PROMPT, "ipcmk -Q -S 2\r"),
        (PROMPT, "ipcs\r"),
        (PROMPT, "ipcrm -q 0\r"),
        (PROMPT, "ipcs -q; ipcs -s\r"),
        // The producer/consumer demo: the producer reads what is typed.
        (PROMPT, "sysv-consumer &\r"),
        (PROMPT, "sysv-producer\r"),
        ("sysv-producer\n", "1 2 3\r"),
        ("1 2 3\n", "4 5\r"),
        ("4 5\n", ".\r"),
        (PROMPT, "wait\r"),
        // Ctrl-C of a running program.
        (PROMPT, "sleep 30\r"),
        ("sleep 30\n", "\u{3}"),
        (PROMPT, "echo interrupted $?\r"),
        // Line editing: Backspace, Ctrl-U, and the up arrow for the last line.
        (PROMPT, "echo abX\u{7f}c\r"),
        (PROMPT, "junk\u{15}echo clean\r"),
        (PROMPT, "\u{1b}[A\r"),
        // Ctrl-Z stops the foreground job; fg brings it back, still reading the console.
        (PROMPT, "cat\r"),
        ("cat\n", "typed\r"),
        ("typed\ntyped\n", "\u{1a}"),
        (PROMPT, "jobs\r"),
        (PROMPT, "fg\r"),
        ("cat\n", "again\r"),
        ("again\nagain\n", "\u{4}"),
        (PROMPT, "ps\r"),
        (PROMPT, "exit 3\r"),
    ];
    let mut case = Case::new(
        arch,
        "shell",
        "init=sh",
        Verdict::Success,
        &[
            "init: starting sh",
            // The kernel's log lines (a process that ended) may come between these.
            "# echo hello | cat | cat",
            "\nhello\n",
            "# cat < /tmp/f",
            "\ndata",
            "\nmore\n",
            "# sleep 2 &",
            "[1] ",
            "# jobs",
            "[1]  Running",
            "sleep 2\n",
            "# wait",
            "[1]  Done",
            "# echo status $?",
            "\nstatus 0\n",
            "sh: no-such-command: command not found",
            "single $? double 127",
            "\ns=1\nand\n",
            "\ncourier courierx\n",
            "sh: page-fault: killed by SIGSEGV",
            "# ipcmk -Q -S 2",
            "Message queue id: 0\nSemaphore id: 0\n",
            "# ipcs",
            "------ Message Queues --------",
            "key        msqid      owner      perms      used-bytes   messages",
            "0x00000000 0          root       644        0            0",
            "------ Shared Memory Segments --------",
            "------ Semaphore Arrays --------",
            "0x00000000 0          root       644        2",
            "# ipcrm -q 0",
            "# ipcs -q; ipcs -s",
            // No queue is left; the semaphore set is.
            "used-bytes   messages    \n\n\n------ Semaphore Arrays --------",
            "0x00000000 0          root       644        2",
            "# sysv-consumer &",
            "# sysv-producer",
            // The producer's own last line may come before or after this one (see
            // `producer_finished`).
            "sysv-consumer: 5 numbers from 1 producers, sum 15",
            "# sleep 30",
            "^C",
            "\ninterrupted 130\n",
            "\nabc\n",
            "\nclean\n",
            // The up arrow brought back `echo clean`.
            "\nclean\n",
            "# cat",
            "^Z",
            "Stopped                 cat",
            "# jobs",
            "Stopped                 cat",
            "# fg",
            "again\nagain\n",
            "# ps",
            "  PID  PPID  PGID   SID S COMMAND",
            "    1     0     1     1 R init",
            " R sh\n",
            " R ps\n",
            "# exit 3",
            "init: sh (pid 5) exited with status 3",
        ],
    )
    .rejecting(&["LEAK", "cannot start", "syntax error"])
    .checking(producer_finished);
    case.programs_only = true;
    case.interaction = Some(Interaction::script(&steps));
    case.timeout = Duration::from_secs(180);
    case
}

/// The shell session's producer said it put its five numbers (the consumer, running at the
/// same time, may print its sum before or after that line).
fn producer_finished(log: &str) -> Result<(), String> {
    if log.contains("sysv-producer: put 5 numbers") {
        Ok(())
    } else {
        Err("\"sysv-producer: put 5 numbers\" not in the log".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> Case {
        Case::new(Arch::X86_64, "t", "", Verdict::Success, &["one", "two"]).rejecting(&["bad"])
    }

    #[test]
    fn judging_checks_verdict_order_and_rejections() {
        assert!(case().judge("one two", Some(true), false).is_ok());
        assert!(case().judge("one two", Some(false), false).unwrap_err().contains("failure"));
        assert!(case().judge("one two", None, false).is_err());
        assert!(case().judge("one two", Some(true), true).unwrap_err().contains("no power-off"));
        assert!(case().judge("two one", Some(true), false).unwrap_err().contains("out of order"));
        assert!(case().judge("one", Some(true), false).unwrap_err().contains("not in the log"));
        assert!(case().judge("one two bad", Some(true), false).unwrap_err().contains("appeared"));
    }

    #[test]
    fn kernel_lines_are_taken_out_wherever_they_start() {
        let log =
            "# ipcs\n[    2.951798] process 21 (ipcs): exited\nkey\n# [   10.5] x\nrest [1] 7\n";
        assert_eq!(without_kernel_lines(log), "# ipcs\nkey\n# rest [1] 7\n");
        assert_eq!(without_kernel_lines("[    1.0] last"), "");
        assert_eq!(without_kernel_lines("[] [x] ["), "[] [x] [");
    }

    #[test]
    fn timer_check_reads_the_self_test_line() {
        let good = "[    0.5] selftest timer: 50 timer interrupts in 503 ms at 100 Hz (expected 50): passed";
        assert!(check_timer(good).is_ok());
        let few = "[    0.5] selftest timer: 3 timer interrupts in 503 ms at 100 Hz (expected 50): FAILED";
        assert!(check_timer(few).is_err());
        assert!(check_timer("nothing").is_err());
    }

    #[test]
    fn every_architecture_has_the_required_cases() {
        for arch in Arch::ALL {
            let names: Vec<String> = cases(arch, false).into_iter().map(|case| case.name).collect();
            for required in [
                "timer",
                "hello",
                "page-fault",
                "kernel-fault",
                "no-usable-memory",
                "corrupt-image",
                "conformance",
                "shell",
            ] {
                assert!(names.contains(&format!("{arch}/{required}")), "{arch} lacks {required}");
            }
        }
    }
}
