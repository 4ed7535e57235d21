//! `courier-harness bench`: runs the benchmark programs under QEMU's exact instruction
//! counting, then the same operations on Linux, and reports both side by side.
//!
//! Each architecture boots with `-icount shift=0,sleep=off` (aarch64 on `-cpu max`, whose
//! 1 GHz CNTFRQ makes one counter tick one instruction) once per benchmark: `ipc-bench`
//! (run by the kernel directly), then `spawn-bench`, `pipe-bench`, `signal-bench` and
//! `sysv-bench` (run by init, with the servers serving). Each program prints `NAME: what:
//! N ..., X instructions, Y kernel entries, Z address-space switches each` lines; this
//! module checks the kernel's verdict, reads the numbers and compares the x86_64 IPC round
//! trip with the bar (the one failure condition) and the target.
//!
//! Then the Linux guest of [`crate::linux`] runs on the same machine. [`crate::comparison`]
//! pairs the two sides; when every Courier benchmark of an architecture succeeded, its
//! report replaces that architecture's generated section of docs/benchmarks.md and its
//! chart `docs/benchmarks-<arch>.svg`. A Linux side that cannot run (no kernel to fetch, no
//! cross compiler) is reported as missing, with the reason, and fails nothing.

use std::fs;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::arch::Arch;
use crate::comparison::{self, Report};
use crate::qemu::{self, Boot, Machine};
use crate::{images, linux};

/// The bar: most instructions an x86_64 IPC round trip may take.
pub const ROUND_TRIP_BAR: f64 = 1000.0;
/// The target beyond the bar.
pub const ROUND_TRIP_TARGET: f64 = 300.0;

/// A benchmark program and how to boot it.
struct Benchmark {
    /// The program, which is also the prefix of its result lines.
    program: &'static str,
    /// The kernel command line.
    command_line: &'static str,
}

const BENCHMARKS: [Benchmark; 7] = [
    Benchmark { program: "ipc-bench", command_line: "courier.run=ipc-bench" },
    Benchmark { program: "spawn-bench", command_line: "init=spawn-bench" },
    Benchmark { program: "pipe-bench", command_line: "init=pipe-bench" },
    Benchmark { program: "signal-bench", command_line: "init=signal-bench" },
    Benchmark { program: "sysv-bench", command_line: "init=sysv-bench" },
    Benchmark { program: "syscall-bench", command_line: "init=syscall-bench" },
    Benchmark { program: "shm-bench", command_line: "init=shm-bench" },
];

/// One result line.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// What was measured ("round trip, 4 words").
    pub name: String,
    /// Instructions per operation.
    pub instructions: f64,
    /// Kernel entries per operation.
    pub kernel_entries: f64,
    /// Address-space switches per operation.
    pub space_switches: f64,
    /// Throughput in MB/s of guest time (one instruction per nanosecond), for transfers.
    pub megabytes_per_second: Option<f64>,
}

/// Reads a result line of `program`:
/// `PROGRAM: NAME: N ..., X instructions, Y kernel entries, Z address-space switches each`.
pub fn parse_line(line: &str, program: &str) -> Option<Measurement> {
    let rest = line.split(&format!("{program}: ")).nth(1)?;
    let (name, numbers) = rest.split_once(": ")?;
    let value = |suffix: &str| -> Option<f64> {
        numbers
            .split(", ")
            .find_map(|part| part.strip_suffix(suffix))
            .and_then(|number| number.trim().parse().ok())
    };
    Some(Measurement {
        name: name.to_string(),
        instructions: value(" instructions")?,
        kernel_entries: value(" kernel entries")?,
        space_switches: value(" address-space switches each")?,
        megabytes_per_second: value(" MB/s at one instruction per nanosecond"),
    })
}

/// The machine a benchmark runs on.
fn machine(arch: Arch) -> Machine {
    let mut machine = Machine::new(arch);
    machine.instruction_counting = true;
    if arch == Arch::Aarch64 {
        machine.cpu = "max".into();
    }
    machine
}

/// `-machine .. -cpu .. -m ..` of `machine`, for the report.
fn machine_options(machine: &Machine) -> String {
    let kernel = Boot::Direct { kernel: "kernel".into(), command_line: String::new() };
    let arguments: Vec<String> = machine
        .command(&kernel, false)
        .get_args()
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    arguments
        .windows(2)
        .filter(|pair| ["-machine", "-cpu", "-m"].contains(&pair[0].as_str()))
        .map(|pair| format!("{} {}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `QEMU 10.0.2 (Debian ...)`, from the emulator's `--version`.
fn qemu_version(arch: Arch) -> String {
    Command::new(arch.qemu())
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| {
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.lines().next().and_then(|line| line.split("version ").nth(1)).map(str::to_string)
        })
        .map_or_else(
            || "QEMU (version unknown)".into(),
            |version| format!("QEMU {}", version.trim()),
        )
}

/// Writes `report` into docs/benchmarks.md (its architecture's section) and its chart.
fn write_report(report: &Report) -> Result<(), String> {
    let docs = images::repository_root().join("docs");
    let document_path = docs.join("benchmarks.md");
    let document = fs::read_to_string(&document_path)
        .map_err(|error| format!("cannot read {}: {error}", document_path.display()))?;
    let updated = comparison::update_document(&document, report.arch, &report.markdown());
    fs::write(&document_path, updated)
        .map_err(|error| format!("cannot write {}: {error}", document_path.display()))?;
    let chart = docs.join(format!("benchmarks-{}.svg", report.arch));
    fs::write(&chart, report.svg())
        .map_err(|error| format!("cannot write {}: {error}", chart.display()))?;
    println!("{}: wrote {} and {}", report.arch, document_path.display(), chart.display());
    Ok(())
}

/// Runs every benchmark on each of `arches`, then the Linux side, and writes the report;
/// `Ok(false)` when a Courier run failed or x86_64 missed the IPC bar.
pub fn run(arches: &[Arch]) -> Result<bool, String> {
    let mut success = true;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    for &arch in arches {
        let kernel = images::build_kernel(arch)?;
        let machine = machine(arch);
        let mut courier = Vec::new();
        let mut complete = true;
        for benchmark in &BENCHMARKS {
            let boot = Boot::Direct {
                kernel: kernel.clone(),
                command_line: benchmark.command_line.into(),
            };
            let outcome = qemu::run(machine.command(&boot, false), Duration::from_secs(600), None)?;
            let results: Vec<Measurement> = outcome
                .log
                .lines()
                .filter_map(|line| parse_line(line, benchmark.program))
                .collect();
            if arch.verdict(outcome.status) != Some(true) || results.is_empty() {
                println!(
                    "{arch}: {} failed; last lines of the log:\n{}",
                    benchmark.program,
                    qemu::tail(&outcome.log, 30)
                );
                complete = false;
                continue;
            }
            for result in &results {
                let throughput = result
                    .megabytes_per_second
                    .map(|rate| format!(" ({rate:.0} MB/s at one instruction per nanosecond)"))
                    .unwrap_or_default();
                println!(
                    "{arch} (QEMU TCG, -cpu {}, -icount shift=0,sleep=off): {}: {}: {:.2} instructions, {:.2} kernel entries, {:.2} address-space switches each{throughput}",
                    machine.cpu,
                    benchmark.program,
                    result.name,
                    result.instructions,
                    result.kernel_entries,
                    result.space_switches
                );
            }
            if benchmark.program == "ipc-bench" && arch == Arch::X86_64 {
                let worst = results.iter().map(|result| result.instructions).fold(0.0, f64::max);
                let verdict = |limit: f64| if worst <= limit { "met" } else { "missed" };
                println!(
                    "x86_64: IPC round trip bar of {ROUND_TRIP_BAR:.0} instructions {}; target of {ROUND_TRIP_TARGET:.0} {}",
                    verdict(ROUND_TRIP_BAR),
                    verdict(ROUND_TRIP_TARGET)
                );
                success &= worst <= ROUND_TRIP_BAR;
            }
            courier.extend(
                results
                    .into_iter()
                    .map(|result| (format!("{}: {}", benchmark.program, result.name), result)),
            );
        }
        println!("{arch}: the Linux side (Debian cloud kernel, tests/linux/bench.c as init)");
        let linux = linux::run(arch, &machine);
        match &linux {
            Ok(run) => println!(
                "{arch}: the Linux guest ({}) ran in {:.0} s of wall time",
                run.kernel,
                run.elapsed.as_secs_f64()
            ),
            Err(reason) => println!("{arch}: Linux side missing: {reason}"),
        }
        let report = Report {
            arch,
            machine: machine_options(&machine),
            qemu: qemu_version(arch),
            date: comparison::date(now),
            courier,
            linux,
        };
        println!("\n{}", report.markdown());
        if complete {
            write_report(&report)?;
        } else {
            println!("{arch}: docs/benchmarks.md not updated: a Courier benchmark failed");
        }
        success &= complete;
    }
    Ok(success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_result_lines() {
        let line = "ipc-bench: round trip, 4 words: 10000 round trips, 412.35 instructions, \
                    2.00 kernel entries, 2.00 address-space switches each";
        let result = parse_line(line, "ipc-bench").unwrap();
        assert_eq!(result.name, "round trip, 4 words");
        assert!((result.instructions - 412.35).abs() < 1e-9);
        assert!((result.kernel_entries - 2.0).abs() < 1e-9);
        assert!((result.space_switches - 2.0).abs() < 1e-9);
        assert_eq!(
            parse_line("ipc-bench: round trip: 10 round trips, many instructions", "ipc-bench"),
            None
        );
        assert_eq!(parse_line("hello from user mode", "ipc-bench"), None);
        let spawn = "spawn-bench: spawn+exit+waitpid: 200 cycles, 123456.78 instructions, \
                     12.00 kernel entries, 4.00 address-space switches each";
        let result = parse_line(spawn, "spawn-bench").unwrap();
        assert!((result.kernel_entries - 12.0).abs() < 1e-9);
        assert_eq!(parse_line(spawn, "ipc-bench"), None);
        assert_eq!(result.megabytes_per_second, None);
        let pipe = "pipe-bench: throughput, 4 KiB writes: 4096 writes, 5678.00 instructions, \
                    2.00 kernel entries, 1.00 address-space switches each, \
                    721.35 MB/s at one instruction per nanosecond";
        let result = parse_line(pipe, "pipe-bench").unwrap();
        assert!((result.space_switches - 1.0).abs() < 1e-9);
        assert!((result.megabytes_per_second.unwrap() - 721.35).abs() < 1e-9);
    }
}
