//! Building bootable kernels: the programs for an architecture, then the kernel with those
//! programs embedded (`COURIER_PROGRAMS`), copied to `target/courier/<arch>/courier-kernel`.
//!
//! Every binary of every workspace package under `user/` or `servers/` is embedded, plus
//! two deliberately broken images (`corrupt-elf`, a truncated ELF file, and `not-elf`, a
//! text file) so that the tests can check that the kernel refuses them cleanly.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::arch::Arch;

/// The repository root (the harness lives in `<root>/tests`).
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Where built images go: `<root>/target/courier/<arch>`.
pub fn output_directory(arch: Arch) -> PathBuf {
    repository_root().join("target").join("courier").join(arch.name())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Workspace packages with binaries, which are programs (under `user/` or `servers/`).
fn program_packages() -> Result<Vec<String>, String> {
    let output = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(repository_root())
        .output()
        .map_err(|error| format!("cannot run cargo metadata: {error}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cargo metadata printed invalid JSON: {error}"))?;
    let root = repository_root();
    let mut packages = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let manifest = Path::new(package["manifest_path"].as_str().unwrap_or_default());
        let relative = manifest.strip_prefix(&root).unwrap_or(manifest);
        let first = relative
            .components()
            .next()
            .map(|part| part.as_os_str().to_string_lossy().into_owned());
        // Libraries (the servers' pure cores) build as dependencies of their servers.
        let has_program = package["targets"].as_array().into_iter().flatten().any(|target| {
            target["kind"].as_array().into_iter().flatten().any(|kind| kind == "bin")
        });
        if matches!(first.as_deref(), Some("user" | "servers"))
            && has_program
            && let Some(name) = package["name"].as_str()
        {
            packages.push(name.to_string());
        }
    }
    packages.sort();
    Ok(packages)
}

/// Runs `cargo build` with `arguments` and returns the executables it produced, as
/// `(binary name, path)`.
fn cargo_build(
    arguments: &[&str],
    environment: &[(&str, String)],
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut command = Command::new(cargo());
    command
        .arg("build")
        .args(arguments)
        .args(["--release", "--message-format=json-render-diagnostics"])
        .current_dir(repository_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in environment {
        command.env(key, value);
    }
    let output = command.output().map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        return Err(format!("cargo build {} failed", arguments.join(" ")));
    }
    let mut executables = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && let Some(executable) = message["executable"].as_str()
        {
            let name = message["target"]["name"].as_str().unwrap_or_default().to_string();
            executables.push((name, PathBuf::from(executable)));
        }
    }
    Ok(executables)
}

/// Writes `bytes` to `path` unless it already holds them (so the kernel's build script,
/// which watches the file, does not rebuild for nothing).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    fs::write(path, bytes).map_err(|error| format!("{}: {error}", path.display()))
}

/// Writes the deliberately broken program images and returns them as `(name, path)`.
fn broken_samples(arch: Arch, a_program: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let directory = output_directory(arch).join("samples");
    fs::create_dir_all(&directory).map_err(|error| format!("{}: {error}", directory.display()))?;
    let bytes = fs::read(a_program).map_err(|error| format!("{}: {error}", a_program.display()))?;
    let truncated = directory.join("corrupt-elf");
    // The ELF header survives but the program headers it points at do not.
    write_if_changed(&truncated, &bytes[..bytes.len().min(80)])?;
    let text = directory.join("not-elf");
    write_if_changed(&text, b"This is a text file, not a program.\n")?;
    Ok(vec![("corrupt-elf".to_string(), truncated), ("not-elf".to_string(), text)])
}

/// Builds the programs and the kernel for `arch`; returns the kernel's path.
///
/// # Errors
///
/// A message when a build fails.
pub fn build_kernel(arch: Arch) -> Result<PathBuf, String> {
    let packages = program_packages()?;
    let mut arguments = vec!["--target", arch.program_target()];
    for package in &packages {
        arguments.push("-p");
        arguments.push(package);
    }
    let mut programs = cargo_build(&arguments, &[])?;
    programs.sort();
    let first = programs.first().ok_or("no programs were built")?.1.clone();
    programs.extend(broken_samples(arch, &first)?);
    let list = programs
        .iter()
        .map(|(name, path)| format!("{name}={}", path.display()))
        .collect::<Vec<_>>()
        .join(";");
    let kernel = cargo_build(
        &["--target", arch.kernel_target(), "-p", "microkernel", "--bin", "courier-kernel"],
        &[("COURIER_PROGRAMS", list)],
    )?;
    let (_, built) = kernel
        .into_iter()
        .find(|(name, _)| name == "courier-kernel")
        .ok_or("cargo built no kernel")?;
    let directory = output_directory(arch);
    fs::create_dir_all(&directory).map_err(|error| format!("{}: {error}", directory.display()))?;
    let destination = directory.join("courier-kernel");
    fs::copy(&built, &destination).map_err(|error| format!("copy {}: {error}", built.display()))?;
    Ok(destination)
}
