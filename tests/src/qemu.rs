//! Running QEMU: the command line for each machine, and a run with a timeout that captures
//! the serial log and can type into the console.
//!
//! Every run has a deadline; a guest that does not power off by then is killed and
//! reported with the tail of its log, so a hung kernel never hangs the harness.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

use crate::arch::Arch;

/// How QEMU executes guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accelerator {
    /// The portable code generator (the default: the only meaningful one on these hosts).
    Tcg,
    /// KVM, for real hosts with hardware virtualization.
    Kvm,
}

/// How the guest is booted.
#[derive(Clone, Debug)]
pub enum Boot {
    /// QEMU loads the kernel ELF itself (`-kernel`, with `-append`).
    Direct {
        /// The kernel ELF.
        kernel: PathBuf,
        /// The kernel command line.
        command_line: String,
    },
    /// UEFI firmware boots a disk image (Limine).
    Uefi {
        /// The FAT disk image.
        disk: PathBuf,
        /// The firmware code image.
        firmware_code: PathBuf,
        /// A writable copy of the firmware variable store.
        firmware_variables: PathBuf,
    },
}

/// A QEMU machine configuration.
#[derive(Clone, Debug)]
pub struct Machine {
    /// The architecture.
    pub arch: Arch,
    /// QEMU `-cpu`.
    pub cpu: String,
    /// Guest RAM in MiB.
    pub memory_mebibytes: u32,
    /// aarch64 GIC version (2 or 3).
    pub gic_version: u8,
    /// aarch64: start at EL2 (`virtualization=on`).
    pub virtualization: bool,
    /// Count instructions exactly (`-icount shift=0,sleep=off`).
    pub instruction_counting: bool,
    /// The accelerator.
    pub accelerator: Accelerator,
}

impl Machine {
    /// The default machine for `arch`.
    pub fn new(arch: Arch) -> Self {
        Machine {
            arch,
            cpu: arch.default_cpu().to_string(),
            memory_mebibytes: 512,
            gic_version: 3,
            virtualization: false,
            instruction_counting: false,
            accelerator: Accelerator::Tcg,
        }
    }

    /// The QEMU command that boots `boot`. `interactive` attaches the console and monitor
    /// to the terminal (`make run`); otherwise the serial port alone is on stdio.
    pub fn command(&self, boot: &Boot, interactive: bool) -> Command {
        let mut command = Command::new(self.arch.qemu());
        let mut machine = match self.arch {
            Arch::X86_64 => "q35".to_string(),
            Arch::Aarch64 => format!("virt,gic-version={}", self.gic_version),
        };
        if self.arch == Arch::Aarch64 && self.virtualization {
            machine.push_str(",virtualization=on");
        }
        if self.arch == Arch::Aarch64 && matches!(boot, Boot::Uefi { .. }) {
            // Without ACPI tables the firmware hands the device tree on to Limine.
            machine.push_str(",acpi=off");
        }
        command.args(["-machine", &machine, "-cpu", &self.cpu]);
        command.args(["-m", &format!("{}M", self.memory_mebibytes), "-smp", "1", "-no-reboot"]);
        match self.accelerator {
            Accelerator::Tcg => command.args(["-accel", "tcg"]),
            Accelerator::Kvm => command.args(["-accel", "kvm"]),
        };
        if self.instruction_counting {
            command.args(["-icount", "shift=0,sleep=off"]);
        }
        match self.arch {
            Arch::X86_64 => {
                command.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
            }
            Arch::Aarch64 => {
                command.args(["-semihosting-config", "enable=on,target=native"]);
            }
        }
        if interactive {
            command.arg("-nographic");
        } else {
            command.args(["-display", "none", "-serial", "stdio", "-monitor", "none"]);
        }
        match boot {
            Boot::Direct { kernel, command_line } => {
                command.arg("-kernel").arg(kernel).arg("-append").arg(command_line);
            }
            Boot::Uefi { disk, firmware_code, firmware_variables } => {
                command.arg("-drive").arg(format!(
                    "if=pflash,format=raw,unit=0,readonly=on,file={}",
                    firmware_code.display()
                ));
                command.arg("-drive").arg(format!(
                    "if=pflash,format=raw,unit=1,file={}",
                    firmware_variables.display()
                ));
                match self.arch {
                    Arch::X86_64 => {
                        command.arg("-drive").arg(format!("format=raw,file={}", disk.display()));
                    }
                    Arch::Aarch64 => {
                        command
                            .arg("-drive")
                            .arg(format!("if=none,id=boot,format=raw,file={}", disk.display()));
                        command.args(["-device", "virtio-blk-device,drive=boot"]);
                    }
                }
            }
        }
        command
    }
}

/// Text to type into the console once some output has appeared.
///
/// A scripted session of several steps ([`Interaction::script`]) keeps the later steps in
/// `input` after the first step's text, each as `NUL after NUL input` (NUL is never typed
/// on the console); each step's trigger is looked for only in the output that came after
/// the previous step was typed.
#[derive(Clone, Debug)]
pub struct Interaction {
    /// Type after this text appears in the log.
    pub after: String,
    /// What to type.
    pub input: String,
}

/// Separates the steps of a script in [`Interaction::input`].
const STEP_SEPARATOR: char = '\0';

impl Interaction {
    /// A session of several steps: type each input once its trigger text has appeared
    /// after the previous step was typed.
    pub fn script(steps: &[(&str, &str)]) -> Interaction {
        let mut steps = steps.iter();
        let (after, input) = steps.next().copied().unwrap_or(("", ""));
        let mut input = input.to_string();
        for (after, typed) in steps {
            input.push(STEP_SEPARATOR);
            input.push_str(after);
            input.push(STEP_SEPARATOR);
            input.push_str(typed);
        }
        Interaction { after: after.to_string(), input }
    }

    /// The steps: (trigger, text to type).
    pub fn steps(&self) -> Vec<(&str, &str)> {
        let mut parts = self.input.split(STEP_SEPARATOR);
        let mut steps = vec![(self.after.as_str(), parts.next().unwrap_or(""))];
        while let (Some(after), Some(input)) = (parts.next(), parts.next()) {
            steps.push((after, input));
        }
        steps
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Everything the guest wrote to the serial port (and QEMU to stderr, marked).
    pub log: String,
    /// QEMU's exit status, `None` when it was killed.
    pub status: Option<i32>,
    /// Whether the deadline passed.
    pub timed_out: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Wall time until the interaction's first trigger text appeared.
    pub trigger_seen_after: Option<Duration>,
}

fn collect(
    mut source: impl Read + Send + 'static,
    log: Arc<Mutex<String>>,
    prefix: &'static str,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            match source.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(count) => {
                    let text = String::from_utf8_lossy(&buffer[..count]).replace('\r', "");
                    let mut log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if prefix.is_empty() {
                        log.push_str(&text);
                    } else {
                        for line in text.lines() {
                            log.push_str(prefix);
                            log.push_str(line);
                            log.push('\n');
                        }
                    }
                }
            }
        }
    })
}

fn finish(child: &mut Child) -> Option<i32> {
    let _ = child.kill();
    child.wait().ok().and_then(|status| status.code())
}

/// Runs `command` until it exits or `timeout` passes, typing `interaction` when due.
///
/// # Errors
///
/// A message when QEMU cannot be started.
pub fn run(
    mut command: Command,
    timeout: Duration,
    interaction: Option<&Interaction>,
) -> Result<Outcome, String> {
    let started = Instant::now();
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {program}: {error} (run `make setup`)"))?;
    let log = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let readers =
        [collect(stdout, Arc::clone(&log), ""), collect(stderr, Arc::clone(&log), "[qemu] ")];
    let mut stdin = child.stdin.take();
    let steps = interaction.map(Interaction::steps).unwrap_or_default();
    // The next step, and where in the log its trigger may start.
    let mut step = 0;
    let mut search_from = 0;
    let mut trigger_seen_after = None;
    let mut timed_out = false;
    let status = loop {
        match child.wait_timeout(Duration::from_millis(20)) {
            Ok(Some(status)) => break status.code(),
            Ok(None) => {}
            Err(_) => break finish(&mut child),
        }
        if let Some(&(after, typed)) = steps.get(step) {
            let log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(found) = log.get(search_from..).and_then(|text| text.find(after)) {
                if step == 0 {
                    trigger_seen_after = Some(started.elapsed());
                }
                if let Some(input) = stdin.as_mut() {
                    let _ = input.write_all(typed.as_bytes());
                    let _ = input.flush();
                }
                // Echoes of what was typed come later; a trigger after that position.
                search_from = (search_from + found + after.len()).max(log.len());
                step += 1;
            }
        }
        if started.elapsed() > timeout {
            timed_out = true;
            break finish(&mut child);
        }
    };
    drop(stdin);
    for reader in readers {
        let _ = reader.join();
    }
    let log = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    Ok(Outcome {
        log,
        status: if timed_out { None } else { status },
        timed_out,
        elapsed: started.elapsed(),
        trigger_seen_after,
    })
}

/// The last `count` lines of `log`, indented, for failure reports.
pub fn tail(log: &str, count: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines[start..].iter().map(|line| format!("    | {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_keeps_its_steps_in_order() {
        let script = Interaction::script(&[("a", "1"), ("b", "2\r"), ("c", "")]);
        assert_eq!(script.steps(), vec![("a", "1"), ("b", "2\r"), ("c", "")]);
        let single = Interaction { after: "x".into(), input: "y".into() };
        assert_eq!(single.steps(), vec![("x", "y")]);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "    | b\n    | c\n");
        assert_eq!(tail("", 2), "");
    }

    #[test]
    fn direct_boot_commands_name_the_kernel_and_exit_device() {
        let boot = Boot::Direct { kernel: PathBuf::from("/k"), command_line: "x=1".into() };
        let x86: Vec<String> = Machine::new(Arch::X86_64)
            .command(&boot, false)
            .get_args()
            .map(|argument| argument.to_string_lossy().into_owned())
            .collect();
        assert!(x86.windows(2).any(|pair| pair == ["-kernel", "/k"]));
        assert!(x86.iter().any(|argument| argument.contains("isa-debug-exit")));
        let mut machine = Machine::new(Arch::Aarch64);
        machine.gic_version = 2;
        machine.instruction_counting = true;
        let arm: Vec<String> = machine
            .command(&boot, false)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(arm.iter().any(|argument| argument == "virt,gic-version=2"));
        assert!(arm.windows(2).any(|pair| pair == ["-icount", "shift=0,sleep=off"]));
    }
}
