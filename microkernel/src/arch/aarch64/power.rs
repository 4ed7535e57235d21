//! Stopping the machine: Arm semihosting (QEMU with `-semihosting-config enable=on`)
//! reports the exit status; otherwise PSCI `SYSTEM_OFF` (through `hvc` or `smc`, as the
//! device tree says) powers off; otherwise the CPU halts.
//!
//! The semihosting call is `hlt #0xf000`. Without semihosting that instruction is
//! undefined; the kernel's exception handler recognises it by address
//! ([`skip_failed_semihosting_call`]) and steps over it, so the PSCI call runs next.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicBool, Ordering};

/// Semihosting `SYS_EXIT_EXTENDED`.
const SEMIHOSTING_EXIT_EXTENDED: u64 = 0x20;
/// `ADP_Stopped_ApplicationExit`.
const APPLICATION_EXIT: u64 = 0x2_0026;
/// PSCI `SYSTEM_OFF`.
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;

static PSCI_USES_SMC: AtomicBool = AtomicBool::new(false);
static PROBING_SEMIHOSTING: AtomicBool = AtomicBool::new(false);

global_asm!(
    ".section .text.semihosting, \"ax\"",
    ".global semihosting_call",
    "semihosting_call:",
    ".global semihosting_call_instruction",
    "semihosting_call_instruction:",
    "    hlt #0xf000",
    "    ret",
    ".text",
);

unsafe extern "C" {
    fn semihosting_call();
    static semihosting_call_instruction: u8;
}

/// Records how to reach PSCI (`"smc"` or `"hvc"`, from the device tree).
pub fn set_psci_method(method: Option<&str>) {
    PSCI_USES_SMC.store(method == Some("smc"), Ordering::Relaxed);
}

/// Whether a kernel undefined-instruction exception at `address` is a semihosting call
/// made without semihosting; if so the handler steps over it.
pub fn skip_failed_semihosting_call(address: u64) -> bool {
    PROBING_SEMIHOSTING.load(Ordering::Relaxed)
        && address == (&raw const semihosting_call_instruction) as u64
}

/// Stops the machine, reporting `success` when the host can hear it.
pub fn power_off(success: bool) -> ! {
    let block: [u64; 2] = [APPLICATION_EXIT, if success { 0 } else { 1 }];
    PROBING_SEMIHOSTING.store(true, Ordering::SeqCst);
    // SAFETY: `semihosting_call` runs `hlt #0xf000` with w0 = SYS_EXIT_EXTENDED and x1 =
    // the parameter block, which the host reads and then ends the emulator; without
    // semihosting the instruction traps and is skipped (see above), and it returns.
    unsafe {
        asm!("blr {call}", call = in(reg) semihosting_call as *const () as u64,
            in("x0") SEMIHOSTING_EXIT_EXTENDED, in("x1") block.as_ptr(), lateout("x30") _,
            options(nostack));
    }
    // SAFETY: PSCI SYSTEM_OFF does not return when the firmware implements it; if the
    // conduit is absent the call traps like any undefined instruction, which is fatal
    // anyway.
    unsafe {
        if PSCI_USES_SMC.load(Ordering::Relaxed) {
            asm!("smc #0", inout("x0") PSCI_SYSTEM_OFF => _, options(nostack));
        } else {
            asm!("hvc #0", inout("x0") PSCI_SYSTEM_OFF => _, options(nostack));
        }
    }
    halt_forever()
}

/// Masks interrupts and waits forever.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: masking interrupts and waiting has no other effect.
        unsafe { asm!("msr daifset, #0xf", "wfi", options(nomem, nostack)) };
    }
}
