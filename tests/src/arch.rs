//! The architectures Courier builds for, and what differs between them on the host side:
//! Rust targets, QEMU binary and machine, how QEMU reports the guest's exit status.

use std::fmt;
use std::str::FromStr;

/// A target architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// x86_64 on QEMU's q35 machine.
    X86_64,
    /// aarch64 on QEMU's virt machine.
    Aarch64,
}

impl Arch {
    /// Every architecture, in test order.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The name used on command lines and in paths.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The Rust target the kernel is built for.
    pub const fn kernel_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            // The kernel never touches FP/SIMD registers (programs' state stays intact).
            Arch::Aarch64 => "aarch64-unknown-none-softfloat",
        }
    }

    /// The Rust target programs and servers are built for.
    pub const fn program_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            Arch::Aarch64 => "aarch64-unknown-none",
        }
    }

    /// The QEMU system emulator.
    pub const fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// The default QEMU CPU model.
    pub const fn default_cpu(self) -> &'static str {
        match self {
            Arch::X86_64 => "max",
            Arch::Aarch64 => "cortex-a72",
        }
    }

    /// The UEFI file name Limine's loader must have on this architecture.
    pub const fn uefi_boot_file(self) -> &'static str {
        match self {
            Arch::X86_64 => "BOOTX64.EFI",
            Arch::Aarch64 => "BOOTAA64.EFI",
        }
    }

    /// Translates QEMU's exit status into the kernel's verdict: `Some(true)` for a clean
    /// power-off reporting success, `Some(false)` for one reporting failure, `None` for
    /// anything else (QEMU itself failed or was killed).
    ///
    /// x86_64 uses `isa-debug-exit` (status `(value << 1) | 1`; Courier writes 0 or 1);
    /// aarch64 uses semihosting `SYS_EXIT_EXTENDED` (the status itself).
    pub fn verdict(self, status: Option<i32>) -> Option<bool> {
        match (self, status?) {
            (Arch::X86_64, 1) | (Arch::Aarch64, 0) => Some(true),
            (Arch::X86_64, 3) | (Arch::Aarch64, 1) => Some(false),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "x86_64" | "x86-64" | "amd64" => Ok(Arch::X86_64),
            "aarch64" | "arm64" => Ok(Arch::Aarch64),
            other => Err(format!("unknown architecture {other:?} (use x86_64 or aarch64)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_verdicts() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>(), Ok(arch));
        }
        assert!("riscv64".parse::<Arch>().is_err());
        assert_eq!(Arch::X86_64.verdict(Some(1)), Some(true));
        assert_eq!(Arch::X86_64.verdict(Some(3)), Some(false));
        assert_eq!(Arch::X86_64.verdict(Some(0)), None);
        assert_eq!(Arch::Aarch64.verdict(Some(0)), Some(true));
        assert_eq!(Arch::Aarch64.verdict(None), None);
    }
}
