//! The architecture layer: the only place in the kernel with `cfg(target_arch)`.
//!
//! Each architecture module provides the same interface to the portable kernel:
//!
//! - entry points for each boot path, which build a `BootInfo` and call `kernel::boot`;
//! - `NAME`, `ELF_MACHINE`, `DIRECT_MAP_BASE`, `KERNEL_ROOT_ENTRIES`;
//! - `Paging` (a [`crate::mm::page_table::PageTableFormat`]), `initialize_user_root`,
//!   `activate_kernel_root`, `activate_user_root`, `flush_page`, `flush_everything`;
//! - the console (`console_write`, `console_write_emergency`, `console_read_byte`);
//! - `early_initialize`, `initialize` (traps, interrupt controller, clocks) returning a
//!   `Platform`, `start_timer`, `monotonic_nanoseconds`, `read_counter`,
//!   `enable_console_input_interrupt`, `wait_for_interrupt`;
//! - `UserContext` (saved user registers with the syscall slot accessors),
//!   `set_current_context`, `resume_user`;
//! - `power_off`, `halt_forever`, `processor_description`, `provoke_kernel_fault`.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use self::x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use self::aarch64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("Courier supports x86_64 and aarch64 only");

/// What the architecture's `initialize` found.
#[derive(Clone, Copy, Debug)]
pub struct Platform {
    /// Processors the firmware reports (ACPI MADT or the device tree).
    pub processor_count: u32,
    /// Name of the interrupt controller in use.
    pub interrupt_controller: &'static str,
    /// Frequency of the monotonic clock's counter, in Hz.
    pub counter_frequency: u64,
}
