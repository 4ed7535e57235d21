//! courier-harness: builds Courier images, boots them in QEMU, and checks the serial log.
//!
//! ```text
//! courier-harness build      [--arch A]...
//! courier-harness run        [--arch A] [--cpu C] [--gic 2|3] [--memory MiB] [--el2]
//!                            [--accel tcg|kvm] [--icount] [--command-line TEXT]
//! courier-harness test       [--arch A]... [--filter TEXT] [--jobs N] [--limine-dir D]
//! courier-harness image      [--arch A] [--limine-dir D] [--command-line TEXT]
//! courier-harness run-limine [--arch A] [--limine-dir D] [--command-line TEXT]
//! courier-harness boot-cost  [--arch A]...
//! courier-harness bench      [--arch A]...
//! ```
//!
//! `test` prints one line per case and `N passed, N failed, N skipped`, and exits non-zero
//! if any case failed. Without `--limine-dir` (or `LIMINE_DIR`), the Limine cases are
//! reported as skipped. `--arch` defaults to both architectures for `test`, `build`,
//! `boot-cost` and `bench`, and to x86_64 otherwise. `bench` runs Courier's benchmark
//! programs, then the same operations on a Linux guest under the same QEMU mode, and
//! writes the comparison into docs/benchmarks.md (see `bench.rs`).

mod arch;
mod bench;
mod cases;
mod comparison;
mod images;
mod limine;
mod linux;
mod qemu;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use arch::Arch;
use cases::{BootPath, Case};
use qemu::{Accelerator, Boot, Interaction, Machine};

/// The command line `make run` boots with: the system (proc, init) running the shell
/// (init's default program).
const DEFAULT_RUN_COMMAND_LINE: &str = "";

/// Parsed options.
#[derive(Debug, Default)]
struct Options {
    arches: Vec<Arch>,
    cpu: Option<String>,
    gic_version: Option<u8>,
    memory_mebibytes: Option<u32>,
    el2: bool,
    accelerator: Option<Accelerator>,
    instruction_counting: bool,
    command_line: Option<String>,
    filter: Option<String>,
    jobs: Option<usize>,
    limine_directory: Option<PathBuf>,
}

fn parse(arguments: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut iterator = arguments.iter();
    while let Some(argument) = iterator.next() {
        let mut value =
            |name: &str| iterator.next().cloned().ok_or(format!("{name} needs a value"));
        match argument.as_str() {
            "--arch" => options.arches.push(value("--arch")?.parse()?),
            "--cpu" => options.cpu = Some(value("--cpu")?),
            "--gic" => {
                let version = value("--gic")?;
                options.gic_version = Some(match version.as_str() {
                    "2" => 2,
                    "3" => 3,
                    other => return Err(format!("--gic must be 2 or 3, not {other:?}")),
                });
            }
            "--memory" => {
                let text = value("--memory")?;
                options.memory_mebibytes =
                    Some(text.parse().map_err(|_| format!("--memory takes MiB, not {text:?}"))?);
            }
            "--el2" => options.el2 = true,
            "--accel" => {
                options.accelerator = Some(match value("--accel")?.as_str() {
                    "tcg" => Accelerator::Tcg,
                    "kvm" => Accelerator::Kvm,
                    other => return Err(format!("--accel must be tcg or kvm, not {other:?}")),
                });
            }
            "--icount" => options.instruction_counting = true,
            "--command-line" => options.command_line = Some(value("--command-line")?),
            "--filter" => options.filter = Some(value("--filter")?),
            "--jobs" => {
                let text = value("--jobs")?;
                options.jobs =
                    Some(text.parse().map_err(|_| format!("--jobs takes a number, not {text:?}"))?);
            }
            "--limine-dir" => {
                options.limine_directory = Some(PathBuf::from(value("--limine-dir")?));
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.limine_directory.is_none()
        && let Some(directory) = std::env::var_os("LIMINE_DIR").filter(|value| !value.is_empty())
    {
        options.limine_directory = Some(PathBuf::from(directory));
    }
    Ok(options)
}

impl Options {
    fn arches_or_all(&self) -> Vec<Arch> {
        if self.arches.is_empty() { Arch::ALL.to_vec() } else { self.arches.clone() }
    }

    fn single_arch(&self) -> Result<Arch, String> {
        match self.arches[..] {
            [] => Ok(Arch::X86_64),
            [arch] => Ok(arch),
            _ => Err("give one --arch".into()),
        }
    }

    fn machine(&self, arch: Arch) -> Machine {
        let mut machine = Machine::new(arch);
        if let Some(cpu) = &self.cpu {
            machine.cpu.clone_from(cpu);
        }
        if let Some(version) = self.gic_version {
            machine.gic_version = version;
        }
        if let Some(memory) = self.memory_mebibytes {
            machine.memory_mebibytes = memory;
        }
        machine.virtualization = self.el2;
        machine.instruction_counting = self.instruction_counting;
        if let Some(accelerator) = self.accelerator {
            machine.accelerator = accelerator;
        }
        machine
    }

    fn limine_directory(&self) -> Result<PathBuf, String> {
        self.limine_directory.clone().ok_or_else(|| {
            "LIMINE_DIR is not set: point it at the Limine 8.x binary release \
             (https://github.com/limine-bootloader/limine, branch v8.x-binary), e.g. \
             `make image ARCH=x86_64 LIMINE_DIR=/path/to/limine`"
                .to_string()
        })
    }
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = arguments.split_first() else {
        eprintln!(
            "usage: courier-harness build|run|test|image|run-limine|boot-cost|bench [options] (see src/main.rs)"
        );
        return ExitCode::from(2);
    };
    let options = match parse(rest) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("courier-harness: {error}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "build" => build(&options),
        "run" => run(&options),
        "test" => test(&options),
        "image" => image(&options).map(|path| {
            println!("{}", path.display());
            true
        }),
        "run-limine" => run_limine(&options),
        "boot-cost" => boot_cost(&options),
        "bench" => bench::run(&options.arches_or_all()),
        other => Err(format!(
            "unknown command {other:?} (build, run, test, image, run-limine, boot-cost, bench)"
        )),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("courier-harness: {error}");
            ExitCode::from(2)
        }
    }
}

fn build(options: &Options) -> Result<bool, String> {
    for arch in options.arches_or_all() {
        let kernel = images::build_kernel(arch)?;
        println!("{arch}: {}", kernel.display());
    }
    Ok(true)
}

fn run_interactive(arch: Arch, mut command: std::process::Command) -> Result<bool, String> {
    eprintln!("courier-harness: {command:?}");
    eprintln!("courier-harness: QEMU console: Ctrl-A X quits, Ctrl-A C toggles the monitor");
    let status = command
        .status()
        .map_err(|error| format!("cannot start QEMU: {error} (run `make setup`)"))?;
    match arch.verdict(status.code()) {
        Some(success) => Ok(success),
        None => Ok(status.success()),
    }
}

fn run(options: &Options) -> Result<bool, String> {
    let arch = options.single_arch()?;
    let kernel = images::build_kernel(arch)?;
    let command_line =
        options.command_line.clone().unwrap_or_else(|| DEFAULT_RUN_COMMAND_LINE.to_string());
    let boot = Boot::Direct { kernel, command_line };
    run_interactive(arch, options.machine(arch).command(&boot, true))
}

fn image(options: &Options) -> Result<PathBuf, String> {
    let arch = options.single_arch()?;
    let directory = options.limine_directory()?;
    limine::loader(arch, &directory)?;
    let kernel = images::build_kernel(arch)?;
    let command_line =
        options.command_line.clone().unwrap_or_else(|| DEFAULT_RUN_COMMAND_LINE.to_string());
    limine::build_image(arch, &directory, &kernel, &command_line)
}

fn run_limine(options: &Options) -> Result<bool, String> {
    let arch = options.single_arch()?;
    let disk = image(options)?;
    let (firmware_code, firmware_variables) = limine::prepare_firmware(arch)?;
    let boot = Boot::Uefi { disk, firmware_code, firmware_variables };
    run_interactive(arch, options.machine(arch).command(&boot, true))
}

/// The outcome of one case.
enum CaseResult {
    Passed(Duration),
    Failed(String),
}

fn run_case(
    case: &Case,
    kernel: &std::path::Path,
    limine_directory: Option<&std::path::Path>,
) -> CaseResult {
    let boot = match case.boot {
        BootPath::Direct => {
            Boot::Direct { kernel: kernel.to_path_buf(), command_line: case.command_line.clone() }
        }
        BootPath::Limine => {
            let arch = case.machine.arch;
            let prepared = limine_directory
                .ok_or_else(|| "no LIMINE_DIR".to_string())
                .and_then(|directory| {
                    limine::build_image(arch, directory, kernel, &case.command_line)
                })
                .and_then(|disk| {
                    let (firmware_code, firmware_variables) = limine::prepare_firmware(arch)?;
                    Ok(Boot::Uefi { disk, firmware_code, firmware_variables })
                });
            match prepared {
                Ok(boot) => boot,
                Err(error) => return CaseResult::Failed(error),
            }
        }
    };
    let command = case.machine.command(&boot, false);
    match qemu::run(command, case.timeout, case.interaction.as_ref()) {
        Err(error) => CaseResult::Failed(error),
        Ok(outcome) => {
            let verdict = case.machine.arch.verdict(outcome.status);
            match case.judge(&outcome.log, verdict, outcome.timed_out) {
                Ok(()) => CaseResult::Passed(outcome.elapsed),
                Err(reason) => CaseResult::Failed(format!(
                    "{reason} (QEMU status {:?}, {:.1} s); last lines of the log:\n{}",
                    outcome.status,
                    outcome.elapsed.as_secs_f64(),
                    qemu::tail(&outcome.log, 25)
                )),
            }
        }
    }
}

fn test(options: &Options) -> Result<bool, String> {
    let arches = options.arches_or_all();
    let limine = options.limine_directory.is_some();
    let mut queue = VecDeque::new();
    let mut skipped = 0;
    for &arch in &arches {
        let kernel = images::build_kernel(arch)?;
        if !limine {
            println!("skip {arch}/limine-uefi: skipped: LIMINE_DIR not set");
            skipped += 1;
        }
        for case in cases::cases(arch, limine) {
            if options.filter.as_ref().is_none_or(|filter| case.name.contains(filter.as_str())) {
                queue.push_back((case, kernel.clone()));
            }
        }
    }
    let total = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let results = Arc::new(Mutex::new((0usize, 0usize)));
    let jobs = options.jobs.unwrap_or(2).clamp(1, 16);
    // Limine cases share one image file per architecture: run them one at a time by
    // keeping them on a single worker.
    let limine_lock = Arc::new(Mutex::new(()));
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            let limine_lock = Arc::clone(&limine_lock);
            let limine_directory = options.limine_directory.clone();
            thread::spawn(move || {
                loop {
                    let next =
                        queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop_front();
                    let Some((case, kernel)) = next else { break };
                    let _guard = (case.boot == BootPath::Limine).then(|| {
                        limine_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
                    });
                    let result = run_case(&case, &kernel, limine_directory.as_deref());
                    let mut counts =
                        results.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    match result {
                        CaseResult::Passed(elapsed) => {
                            counts.0 += 1;
                            println!("ok   {} ({:.1} s)", case.name, elapsed.as_secs_f64());
                        }
                        CaseResult::Failed(reason) => {
                            counts.1 += 1;
                            println!("FAIL {}: {reason}", case.name);
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let (passed, failed) = *results.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let not_run = total - passed - failed;
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    Ok(failed == 0 && not_run == 0)
}

/// Boots each architecture to its banner under `-icount shift=0,sleep=off` and without it,
/// and prints the instructions from reset to the banner and the wall time under TCG.
fn boot_cost(options: &Options) -> Result<bool, String> {
    for arch in options.arches_or_all() {
        let kernel = images::build_kernel(arch)?;
        for counting in [true, false] {
            let mut machine = options.machine(arch);
            machine.instruction_counting = counting;
            if arch == Arch::Aarch64 && options.cpu.is_none() {
                // CNTFRQ is 1 GHz on `max`: one counter tick per instruction under icount.
                machine.cpu = "max".into();
            }
            let boot = Boot::Direct { kernel: kernel.clone(), command_line: String::new() };
            let trigger =
                Interaction { after: "banner reached at counter".into(), input: String::new() };
            let outcome =
                qemu::run(machine.command(&boot, false), Duration::from_secs(120), Some(&trigger))?;
            let line = outcome
                .log
                .lines()
                .find(|line| line.contains("banner reached at counter"))
                .ok_or_else(|| {
                    format!("{arch}: no banner; log:\n{}", qemu::tail(&outcome.log, 20))
                })?;
            let numbers: Vec<u64> = line
                .split(|character: char| !character.is_ascii_digit())
                .filter_map(|part| part.parse().ok())
                .collect();
            let [entry, counter, frequency, ..] = numbers[..] else {
                return Err(format!("cannot read {line:?}"));
            };
            let seen = outcome.trigger_seen_after.unwrap_or(outcome.elapsed);
            if counting {
                let instructions = |ticks: u64| match arch {
                    Arch::X86_64 => ticks,
                    Arch::Aarch64 => {
                        (u128::from(ticks) * 1_000_000_000 / u128::from(frequency.max(1))) as u64
                    }
                };
                println!(
                    "{arch} ({} -icount shift=0,sleep=off): {} instructions from reset to the \
                     banner ({} before the kernel's first instruction, {} in the kernel)",
                    machine.cpu,
                    instructions(counter),
                    instructions(entry),
                    instructions(counter - entry),
                );
            } else {
                println!(
                    "{arch} ({} TCG): banner {:.0} ms of wall time after QEMU started",
                    machine.cpu,
                    seen.as_secs_f64() * 1000.0
                );
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arguments(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_options_and_rejects_bad_ones() {
        let options =
            parse(&arguments("--arch aarch64 --gic 2 --cpu max --jobs 3 --icount")).unwrap();
        assert_eq!(options.arches, vec![Arch::Aarch64]);
        assert_eq!(options.gic_version, Some(2));
        assert_eq!(options.jobs, Some(3));
        assert!(options.instruction_counting);
        assert!(parse(&arguments("--gic 4")).is_err());
        assert!(parse(&arguments("--arch mips")).is_err());
        assert!(parse(&arguments("--jobs")).is_err());
        assert!(parse(&arguments("--frobnicate")).is_err());
    }
}
