//! The Linux side of `courier-harness bench`: a Debian kernel booted under the same QEMU
//! mode as Courier, with an initramfs whose init is `tests/linux/bench.c`.
//!
//! `tests/linux/prepare.sh` fetches the kernel (`apt-get download`, once) and builds the
//! static programs into `target/linux/<arch>/`; this module packs them into a `newc` cpio
//! archive (written here: no `cpio` needed), boots it on the benchmark machine with
//! `-initrd`, and reads the `linux-bench:` lines. The kernel's command line asks for a
//! quiet boot and a power-off on panic; the guest powers off by itself when done.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::arch::Arch;
use crate::images;
use crate::qemu::{self, Boot, Machine};

/// The prefix of every line the guest program prints.
const PREFIX: &str = "linux-bench: ";
/// The key of the counter check (`calibration: 2-instruction loop`): two instructions per
/// iteration when the counter counts instructions.
pub const CALIBRATION: &str = "calibration: 2-instruction loop";

/// One Linux result line.
#[derive(Clone, Debug, PartialEq)]
pub struct LinuxMeasurement {
    /// `PROGRAM: NAME`, as the Courier line measuring the same thing.
    pub key: String,
    /// Instructions per operation.
    pub instructions: f64,
    /// System-wide context switches per operation.
    pub context_switches: f64,
    /// Throughput in MB/s at one instruction per nanosecond, for transfers.
    pub megabytes_per_second: Option<f64>,
}

/// What a Linux run produced.
#[derive(Clone, Debug, Default)]
pub struct LinuxRun {
    /// The measurements, in the order printed.
    pub measurements: Vec<LinuxMeasurement>,
    /// `Linux 6.1.0-56-cloud-amd64 x86_64`, from the guest's `uname`.
    pub kernel: String,
    /// The Debian package and version the kernel came from.
    pub package: String,
    /// The compiler that built the program.
    pub compiler: String,
    /// `name: state` of the mitigations the guest reported.
    pub mitigations: Vec<String>,
    /// The kernel command line.
    pub command_line: String,
    /// Wall time of the boot.
    pub elapsed: Duration,
}

/// Reads a result line: `linux-bench: PROGRAM: NAME: N unit, X instructions, Y context
/// switches each[, M MB/s at one instruction per nanosecond]`.
pub fn parse_line(line: &str) -> Option<LinuxMeasurement> {
    let rest = &line[line.find(PREFIX)? + PREFIX.len()..];
    let (key, numbers) = rest.rsplit_once(": ")?;
    let value = |suffix: &str| -> Option<f64> {
        numbers
            .split(", ")
            .find_map(|part| part.strip_suffix(suffix))
            .and_then(|number| number.trim().parse().ok())
    };
    Some(LinuxMeasurement {
        key: key.to_string(),
        instructions: value(" instructions")?,
        context_switches: value(" context switches each")?,
        megabytes_per_second: value(" MB/s at one instruction per nanosecond"),
    })
}

/// Where the Linux side's files go: `<root>/target/linux/<arch>`.
fn directory(arch: Arch) -> PathBuf {
    images::repository_root().join("target").join("linux").join(arch.name())
}

/// The serial console's device name on `arch`.
const fn console(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "ttyS0",
        Arch::Aarch64 => "ttyAMA0",
    }
}

/// A file or node of the initramfs.
#[derive(Clone, Debug)]
pub struct ArchiveEntry {
    /// The path inside the archive, without a leading `/`.
    pub name: String,
    /// The mode, file type bits included.
    pub mode: u32,
    /// The contents (regular files only).
    pub data: Vec<u8>,
    /// Device number `(major, minor)` of a device node.
    pub device: (u32, u32),
}

impl ArchiveEntry {
    /// A directory.
    pub fn directory(name: &str) -> Self {
        ArchiveEntry { name: name.into(), mode: 0o040_755, data: Vec::new(), device: (0, 0) }
    }

    /// An executable file.
    pub fn program(name: &str, data: Vec<u8>) -> Self {
        ArchiveEntry { name: name.into(), mode: 0o100_755, data, device: (0, 0) }
    }

    /// A character device.
    pub fn character_device(name: &str, major: u32, minor: u32) -> Self {
        ArchiveEntry {
            name: name.into(),
            mode: 0o020_600,
            data: Vec::new(),
            device: (major, minor),
        }
    }
}

/// Pads `archive` with zeros to a multiple of four bytes.
fn pad(archive: &mut Vec<u8>) {
    while !archive.len().is_multiple_of(4) {
        archive.push(0);
    }
}

/// The `newc` cpio archive (the initramfs format) of `entries`, with the trailer.
///
/// Each entry is the magic `070701`, thirteen 8-digit hexadecimal fields (inode, mode,
/// uid, gid, links, mtime, size, device major and minor, rdev major and minor, name
/// size with its NUL, checksum 0), the name and its NUL padded to 4 bytes, then the data
/// padded to 4 bytes.
pub fn newc_archive(entries: &[ArchiveEntry]) -> Result<Vec<u8>, String> {
    let mut archive = Vec::new();
    let trailer =
        ArchiveEntry { name: "TRAILER!!!".into(), mode: 0, data: Vec::new(), device: (0, 0) };
    for (index, entry) in entries.iter().chain([&trailer]).enumerate() {
        let size = u32::try_from(entry.data.len())
            .map_err(|_| format!("{} is too large for a cpio archive", entry.name))?;
        let name_size = u32::try_from(entry.name.len() + 1).map_err(|_| "name too long")?;
        let inode = if entry.mode == 0 { 0 } else { u32::try_from(index + 1).unwrap_or(0) };
        let links = if entry.mode & 0o170_000 == 0o040_000 { 2 } else { 1 };
        let fields = [
            inode,
            entry.mode,
            0,
            0,
            links,
            0,
            size,
            0,
            0,
            entry.device.0,
            entry.device.1,
            name_size,
            0,
        ];
        archive.extend_from_slice(b"070701");
        for field in fields {
            archive.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        archive.extend_from_slice(entry.name.as_bytes());
        archive.push(0);
        pad(&mut archive);
        archive.extend_from_slice(&entry.data);
        pad(&mut archive);
    }
    Ok(archive)
}

/// Runs `tests/linux/prepare.sh` for `arch`, echoing its progress; on failure the error
/// is its last `linux-prepare:` line (why it stopped).
fn prepare(arch: Arch) -> Result<PathBuf, String> {
    let output = directory(arch);
    let script = images::repository_root().join("tests").join("linux").join("prepare.sh");
    let result = Command::new("bash")
        .arg(&script)
        .arg(arch.name())
        .arg(&output)
        .output()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    let messages = String::from_utf8_lossy(&result.stderr);
    eprint!("{messages}");
    if !result.status.success() {
        let reason = messages
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("linux-prepare: "))
            .unwrap_or("it failed");
        return Err(format!("tests/linux/prepare.sh {arch}: {reason}"));
    }
    Ok(output)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// Writes `initramfs.cpio` into `directory`: `/init` is the benchmark, `/true` the
/// program it spawns, `/dev/console` the console init's output goes to.
fn write_initramfs(directory: &Path) -> Result<PathBuf, String> {
    let entries = [
        ArchiveEntry::directory("dev"),
        ArchiveEntry::character_device("dev/console", 5, 1),
        ArchiveEntry::directory("dev/shm"),
        ArchiveEntry::directory("proc"),
        ArchiveEntry::directory("sys"),
        ArchiveEntry::program("init", read(&directory.join("linux-bench"))?),
        ArchiveEntry::program("true", read(&directory.join("true"))?),
    ];
    let path = directory.join("initramfs.cpio");
    fs::write(&path, newc_archive(&entries)?)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(path)
}

/// The first line of `path`, trimmed, or an empty string.
fn first_line(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default().lines().next().unwrap_or_default().trim().into()
}

/// Prepares and boots the Linux guest for `arch` on `machine` and reads its results.
///
/// # Errors
///
/// Why the Linux side could not run: the kernel could not be fetched, the program not be
/// built, or the guest did not finish.
pub fn run(arch: Arch, machine: &Machine) -> Result<LinuxRun, String> {
    let directory = prepare(arch)?;
    let initramfs = write_initramfs(&directory)?;
    let command_line = format!("console={} quiet panic=-1", console(arch));
    let boot =
        Boot::Direct { kernel: directory.join("vmlinuz"), command_line: command_line.clone() };
    let mut command = machine.command(&boot, false);
    command.arg("-initrd").arg(&initramfs);
    let outcome = qemu::run(command, Duration::from_secs(900), None)?;
    let log = &outcome.log;
    let failure = log.lines().find(|line| line.contains("linux-bench: FAILED"));
    if failure.is_some() || !log.contains("linux-bench: done") {
        return Err(format!(
            "the Linux guest did not finish (QEMU status {:?}, {:.0} s); last lines of its log:\n{}",
            outcome.status,
            outcome.elapsed.as_secs_f64(),
            qemu::tail(log, 20)
        ));
    }
    let mut run = LinuxRun {
        package: first_line(&directory.join("kernel-package")),
        compiler: first_line(&directory.join("compiler")),
        command_line,
        elapsed: outcome.elapsed,
        ..LinuxRun::default()
    };
    for line in log.lines() {
        if let Some(measurement) = parse_line(line) {
            run.measurements.push(measurement);
        } else if let Some(kernel) = line.split("linux-bench: kernel: ").nth(1) {
            run.kernel = kernel.trim().into();
        } else if let Some(mitigation) = line.split("linux-bench: mitigation, ").nth(1) {
            run.mitigations.push(mitigation.trim().into());
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_linux_lines() {
        let line = "linux-bench: pipe-bench: throughput, 64 KiB writes: 256 writes, \
                    219889.80 instructions, 2.04 context switches each, \
                    298.04 MB/s at one instruction per nanosecond";
        let result = parse_line(line).unwrap();
        assert_eq!(result.key, "pipe-bench: throughput, 64 KiB writes");
        assert!((result.instructions - 219_889.8).abs() < 1e-6);
        assert!((result.context_switches - 2.04).abs() < 1e-9);
        assert!((result.megabytes_per_second.unwrap() - 298.04).abs() < 1e-9);
        let signal = "linux-bench: signal-bench: kill(self) -> handler -> return: 2000 signals, \
                      4231.03 instructions, 0.00 context switches each";
        let result = parse_line(signal).unwrap();
        assert_eq!(result.key, "signal-bench: kill(self) -> handler -> return");
        assert_eq!(result.megabytes_per_second, None);
        assert_eq!(parse_line("linux-bench: kernel: Linux 6.1.0 x86_64"), None);
        assert_eq!(parse_line("linux-bench: done"), None);
        assert_eq!(
            parse_line("pipe-bench: 1-byte round trip: 2 round trips, 5 instructions"),
            None
        );
    }

    #[test]
    fn writes_newc_archives() {
        let archive = newc_archive(&[
            ArchiveEntry::directory("dev"),
            ArchiveEntry::character_device("dev/console", 5, 1),
            ArchiveEntry::program("init", b"abcde".to_vec()),
        ])
        .unwrap();
        assert!(archive.len().is_multiple_of(4));
        let text = String::from_utf8_lossy(&archive);
        assert_eq!(text.matches("070701").count(), 4);
        // The directory: inode 1, mode 040755, two links, no data, name size 4.
        let header = &text[..110];
        assert_eq!(&header[6..14], "00000001");
        assert_eq!(&header[14..22], "000041ED");
        assert_eq!(&header[38..46], "00000002");
        assert_eq!(&header[94..102], "00000004");
        assert_eq!(&text[110..114], "dev\0");
        // The console: rdev 5:1.
        let console = text.find("070701000000020000218").unwrap();
        assert_eq!(&text[console + 78..console + 94], "0000000500000001");
        // The program's data follows its padded name, and the trailer ends the archive.
        let init = text.find("init\0").unwrap();
        assert_eq!(&text[init + 6..init + 11], "abcde");
        assert!(text.contains("TRAILER!!!\0"));
        assert!(text.ends_with('\0'));
    }
}
