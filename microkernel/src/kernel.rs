//! The kernel proper: boot sequence, global state, and the boot runner that runs the
//! programs named on the command line one after another.
//!
//! Boot: [`start`] receives the `BootInfo`, starts the log, builds the kernel's page tables
//! and frame allocator, lets the architecture set up traps, interrupt controllers and
//! clocks, starts the periodic timer, prints the banner, runs any self-tests and then the
//! programs of `courier.run=`. Each program runs until it exits or faults; the kernel
//! reports how it ended, frees its memory and starts the next. When none are left it
//! prints a summary (including the free-frame count before and after, which must match)
//! and powers off.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::boot::command_line::{self, CommandLine};
use crate::boot::{BootError, BootInfo};
use crate::mm::kernel_space;
use crate::task::process::{Process, ProcessId};
use crate::trap::{Interrupt, UserFault, UserTrap};
use crate::{arch, console, selftest};

/// Default timer frequency, in Hz.
pub const DEFAULT_TIMER_FREQUENCY: u32 = 100;

static BOOT_INFO: spin::Once<BootInfo> = spin::Once::new();
static TIMER_TICKS: AtomicU64 = AtomicU64::new(0);
static TIMER_FREQUENCY: AtomicU32 = AtomicU32::new(DEFAULT_TIMER_FREQUENCY);
static KERNEL_ENTRIES: AtomicU64 = AtomicU64::new(0);
static CONSOLE_INTERRUPTS: AtomicU64 = AtomicU64::new(0);
static CONSOLE_INPUT: spin::Mutex<heapless::Deque<u8, 256>> =
    spin::Mutex::new(heapless::Deque::new());
static CURRENT: spin::Mutex<Option<Process>> = spin::Mutex::new(None);
static RUNNER: spin::Mutex<Runner> = spin::Mutex::new(Runner::new());
static PANICKING: AtomicBool = AtomicBool::new(false);
static FATAL_IN_PROGRESS: AtomicBool = AtomicBool::new(false);

/// Most programs one `courier.run=` list may name.
const MAX_PROGRAMS: usize = 64;

/// The boot runner's state.
struct Runner {
    queue: heapless::Vec<&'static str, MAX_PROGRAMS>,
    next: usize,
    next_process_id: ProcessId,
    exited: u32,
    faulted: u32,
    not_started: u32,
    free_frames_at_start: u64,
}

impl Runner {
    const fn new() -> Self {
        Runner {
            queue: heapless::Vec::new(),
            next: 0,
            next_process_id: 1,
            exited: 0,
            faulted: 0,
            not_started: 0,
            free_frames_at_start: 0,
        }
    }
}

/// Starts the kernel with what the loader reported. Never returns.
fn start(boot: BootInfo) -> ! {
    let boot = BOOT_INFO.call_once(|| boot);
    let command_line = CommandLine::new(boot.command_line.as_str());
    let log_level = console::initialize(command_line.get("loglevel"));
    console::print(format_args!(
        "\nCourier {} ({}): booted by {}{}{}\n",
        env!("CARGO_PKG_VERSION"),
        arch::NAME,
        boot.loader,
        if boot.loader_version.is_empty() { "" } else { ", " },
        boot.loader_version,
    ));
    if let Err(unknown) = log_level {
        log::warn!(
            "loglevel={unknown} is not a level (error, warn, info, debug, trace); using info"
        );
    }
    report_boot_warnings(boot, command_line);

    arch::early_initialize();
    if let Err(error) = kernel_space::build(boot) {
        fatal(format_args!("cannot build the kernel page tables: {error}"));
    }
    if let Err(error) = arch::kernel_tables_active() {
        fatal(format_args!("platform setup failed: {error}"));
    }
    let memory_limit = command_line.get("mem").and_then(|text| {
        let size = command_line::parse_size(text);
        if size.is_none() {
            log::warn!("mem={text} is not a size (like 512M); ignored");
        }
        size
    });
    let frames = match kernel_space::initialize_frames(boot, memory_limit) {
        Ok(frames) => frames,
        Err(error) => fatal(format_args!("memory: {error}")),
    };
    let platform = match arch::initialize(boot) {
        Ok(platform) => platform,
        Err(error) => fatal(format_args!("platform setup failed: {error}")),
    };
    let frequency = timer_frequency_from(command_line);
    TIMER_FREQUENCY.store(frequency, Ordering::Relaxed);
    arch::start_timer(frequency);

    let counter_at_banner = arch::read_counter();
    console::print(format_args!(
        "Courier on {}: {} MiB RAM ({} MiB free), {} ({} processor{}), {}, timer {} Hz\n\
         boot: kernel entered at counter {}, banner reached at counter {} ({} Hz counter), \
         {} ms after reset\n",
        arch::NAME,
        boot.total_ram() >> 20,
        (frames.free * crate::mm::PAGE_SIZE) >> 20,
        arch::processor_description(),
        platform.processor_count,
        if platform.processor_count == 1 { "" } else { "s" },
        platform.interrupt_controller,
        frequency,
        boot.entry_counter,
        counter_at_banner,
        platform.counter_frequency,
        counter_at_banner.saturating_mul(1000) / platform.counter_frequency.max(1),
    ));
    log::info!(
        "memory: {} regions, kernel image {:#x}..{:#x}, {} frames managed, bitmap {} KiB",
        boot.memory_map.len(),
        boot.kernel.physical_base,
        boot.kernel.physical_base + boot.kernel.size,
        frames.managed,
        frames.bitmap_bytes / 1024
    );

    let mut selftests_passed = true;
    for name in command_line.list("courier.selftest") {
        selftests_passed &= selftest::run(name);
    }
    {
        let mut runner = RUNNER.lock();
        for name in command_line.list("courier.run") {
            if runner.queue.push(name).is_err() {
                log::warn!("courier.run: more than {MAX_PROGRAMS} programs; the rest are ignored");
                break;
            }
        }
        runner.free_frames_at_start = kernel_space::free_frame_count();
        if !selftests_passed {
            runner.not_started += 1;
        }
    }
    run_next()
}

fn report_boot_warnings(boot: &BootInfo, command_line: CommandLine<'_>) {
    if boot.command_line_truncated {
        log::warn!(
            "the command line is longer than {} bytes and was cut",
            crate::boot::MAX_COMMAND_LINE
        );
    }
    if boot.memory_regions_dropped > 0 {
        log::warn!(
            "{} memory map entries did not fit and are ignored",
            boot.memory_regions_dropped
        );
    }
    for parameter in command_line.parameters() {
        if !command_line::KNOWN_PARAMETERS.contains(&parameter.key) {
            log::warn!("unknown kernel parameter {:?} ignored", parameter.key);
        }
    }
    log::info!("command line: {:?}", boot.command_line.as_str());
}

fn timer_frequency_from(command_line: CommandLine<'_>) -> u32 {
    match command_line.get("courier.timer_hz").map(str::parse::<u32>) {
        None => DEFAULT_TIMER_FREQUENCY,
        Some(Ok(frequency)) if (10..=1000).contains(&frequency) => frequency,
        Some(_) => {
            log::warn!("courier.timer_hz must be 10 to 1000; using {DEFAULT_TIMER_FREQUENCY}");
            DEFAULT_TIMER_FREQUENCY
        }
    }
}

/// Where every boot path ends: starts the kernel with what the loader reported, or
/// reports why the loader's data was unusable and stops. `entry_counter` is the
/// architecture's counter at the kernel's first instruction.
pub fn boot(result: Result<BootInfo, BootError>, entry_counter: u64) -> ! {
    match result {
        Ok(mut info) => {
            info.entry_counter = entry_counter;
            start(info)
        }
        Err(error) => fatal(format_args!("boot failed: {error}")),
    }
}

/// Starts the next program of the run list, or finishes when none is left.
fn run_next() -> ! {
    loop {
        let (name, process_id) = {
            let mut runner = RUNNER.lock();
            if runner.next >= runner.queue.len() {
                break;
            }
            let name = runner.queue[runner.next];
            runner.next += 1;
            let process_id = runner.next_process_id;
            runner.next_process_id += 1;
            (name, process_id)
        };
        match Process::load(process_id, name) {
            Ok(process) => {
                log::info!("process {process_id} ({name}): started");
                let mut current = CURRENT.lock();
                let process = current.insert(process);
                process.space.activate();
                arch::reset_floating_point_state();
                arch::set_current_context(&mut process.context);
                drop(current);
                arch::resume_user();
            }
            Err(error) => {
                log::error!("cannot run program {name:?}: {error}");
                RUNNER.lock().not_started += 1;
            }
        }
    }
    finish()
}

fn finish() -> ! {
    let runner = RUNNER.lock();
    let free_now = kernel_space::free_frame_count();
    log::info!(
        "all programs finished: {} exited, {} killed by faults, {} not started; \
         free frames {} (at start {}){}",
        runner.exited,
        runner.faulted,
        runner.not_started,
        free_now,
        runner.free_frames_at_start,
        if free_now == runner.free_frames_at_start { "" } else { " LEAK" },
    );
    let success = runner.not_started == 0 && free_now == runner.free_frames_at_start;
    drop(runner);
    arch::power_off(success)
}

/// Ends the current process with exit status `status` and runs the next program.
pub fn exit_current_process(status: u8) -> ! {
    if let Some(process) = CURRENT.lock().take() {
        log::info!(
            "process {} ({}): exited with status {status} ({} system calls, {} interrupts)",
            process.id,
            process.name,
            process.system_calls,
            process.interrupts
        );
        drop(process);
        RUNNER.lock().exited += 1;
    }
    run_next()
}

/// Reports a fault in the current process, ends it and runs the next program.
pub fn user_fault(fault: &UserFault) -> ! {
    if let Some(process) = CURRENT.lock().take() {
        let (signal, number) = fault.signal();
        log::error!(
            "process {} ({}): {fault}, at instruction {:#x}\n{}",
            process.id,
            process.name,
            fault.instruction_pointer,
            process.context
        );
        log::error!(
            "process {} ({}): killed by {signal} (signal {number})",
            process.id,
            process.name
        );
        drop(process);
        RUNNER.lock().faulted += 1;
    }
    run_next()
}

/// Handles a device interrupt.
pub fn interrupt(interrupt: Interrupt) {
    match interrupt {
        Interrupt::Timer => {
            TIMER_TICKS.fetch_add(1, Ordering::Relaxed);
        }
        Interrupt::ConsoleInput => {
            CONSOLE_INTERRUPTS.fetch_add(1, Ordering::Relaxed);
            let mut input = CONSOLE_INPUT.lock();
            while let Some(byte) = arch::console_read_byte() {
                let _ = input.push_back(byte);
            }
        }
        Interrupt::Spurious => {}
        Interrupt::Other(number) => log::warn!("unexpected interrupt {number}"),
    }
}

/// Runs `action` on the current process's saved context, if there is a current process.
pub fn with_current_context<T>(action: impl FnOnce(&mut arch::UserContext) -> T) -> Option<T> {
    CURRENT.lock().as_mut().map(|process| action(&mut process.context))
}

/// Copies user memory of the current process; `false` if it is not readable.
pub fn read_current_user_memory(address: u64, buffer: &mut [u8]) -> bool {
    CURRENT.lock().as_ref().is_some_and(|process| process.space.read(address, buffer).is_ok())
}

/// Counts an entry into the kernel from user mode, globally and for the current process.
pub fn count_kernel_entry(trap: &UserTrap) {
    KERNEL_ENTRIES.fetch_add(1, Ordering::Relaxed);
    if let Some(process) = CURRENT.lock().as_mut() {
        match trap {
            UserTrap::Syscall => process.system_calls += 1,
            UserTrap::Interrupt(_) => process.interrupts += 1,
            UserTrap::Fault(_) => {}
        }
    }
}

/// Timer interrupts since boot.
pub fn timer_ticks() -> u64 {
    TIMER_TICKS.load(Ordering::Relaxed)
}

/// The timer frequency in Hz.
pub fn timer_frequency() -> u32 {
    TIMER_FREQUENCY.load(Ordering::Relaxed)
}

/// Console receive interrupts since boot.
pub fn console_interrupts() -> u64 {
    CONSOLE_INTERRUPTS.load(Ordering::Relaxed)
}

/// The oldest byte of console input not yet taken.
pub fn take_console_input() -> Option<u8> {
    CONSOLE_INPUT.lock().pop_front()
}

/// What is running, for fault dumps (never blocks).
pub fn running_description() -> impl fmt::Display {
    struct Running(Option<(ProcessId, &'static str)>);
    impl fmt::Display for Running {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Some((id, name)) => write!(formatter, "process {id} ({name})"),
                None => formatter.write_str("kernel (no process)"),
            }
        }
    }
    Running(
        CURRENT
            .try_lock()
            .and_then(|current| current.as_ref().map(|process| (process.id, process.name))),
    )
}

/// Prints a fatal error and stops the machine with a failure status. A fault while
/// printing it (a broken console, say) stops the machine without a second attempt.
pub fn fatal(arguments: fmt::Arguments<'_>) -> ! {
    if FATAL_IN_PROGRESS.swap(true, Ordering::SeqCst) {
        arch::power_off(false);
    }
    console::emergency_write(format_args!("\n[  FATAL ] {arguments}\n[  FATAL ] stopping\n"));
    arch::power_off(false)
}

#[panic_handler]
fn panic(information: &core::panic::PanicInfo<'_>) -> ! {
    if PANICKING.swap(true, Ordering::SeqCst) {
        console::emergency_write(format_args!("\n[  FATAL ] panic while panicking\n"));
        arch::power_off(false);
    }
    fatal(format_args!("KERNEL PANIC: {information}"))
}
