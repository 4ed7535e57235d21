//! Build script of the kernel: the linker script, and the program images embedded in it.
//!
//! The image set is decided at build time (unikernel style). `COURIER_PROGRAMS` lists
//! them as `name=path` pairs separated by `;`; each file is embedded with
//! `include_bytes!` into the table `PROGRAMS` in `$OUT_DIR/programs.rs`. The kernel checks
//! each image when it is run, so a corrupt file builds and is then refused at run time
//! with a clear message.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_directory =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let out_directory = PathBuf::from(env::var_os("OUT_DIR").expect("set by Cargo"));
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();

    if target_os == "none" {
        let script = manifest_directory.join("src/arch").join(&target_arch).join("kernel.ld");
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        println!("cargo:rustc-link-arg-bins=--no-pie");
        println!("cargo:rerun-if-changed={}", script.display());
    }

    let table = program_table(env::var("COURIER_PROGRAMS").ok().as_deref());
    fs::write(out_directory.join("programs.rs"), table).expect("write programs.rs");
    println!("cargo:rerun-if-env-changed=COURIER_PROGRAMS");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Generates the `PROGRAMS` table from a `name=path;name=path` list.
fn program_table(list: Option<&str>) -> String {
    let mut table = String::from(
        "/// The program images embedded in this kernel at build time.\n\
         pub static PROGRAMS: &[ProgramImage] = &[\n",
    );
    for entry in list.unwrap_or("").split(';').filter(|entry| !entry.trim().is_empty()) {
        let (name, path) = entry
            .split_once('=')
            .unwrap_or_else(|| panic!("COURIER_PROGRAMS entry {entry:?} is not name=path"));
        let path = Path::new(path.trim());
        assert!(path.is_file(), "COURIER_PROGRAMS: {} is not a file", path.display());
        let path = path.canonicalize().expect("canonical program path");
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            table,
            "    ProgramImage {{ name: {name:?}, bytes: include_bytes!({path:?}) }},",
            name = name.trim(),
            path = path.display().to_string(),
        );
    }
    table.push_str("];\n");
    table
}
