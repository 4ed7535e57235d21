//! The kernel proper: boot sequence, global state, the trap glue between the architecture
//! layer and the portable kernel, and the boot runner that starts the programs named on
//! the command line.
//!
//! Boot: [`start`] receives the `BootInfo`, starts the log, builds the kernel's page tables
//! and frame allocator, lets the architecture set up traps, interrupt controllers and
//! clocks, starts the periodic timer, prints the banner, runs any self-tests, creates the
//! portable kernel ([`Kernel`] over [`Machine`]) and starts the first program of
//! `courier.run=`.
//!
//! From then on everything is a trap: [`user_trap`] hands a system call, fault or
//! interrupt to the portable kernel, then [`schedule`] picks the thread to resume (idling
//! with interrupts enabled while none is ready). The boot runner starts the next program
//! when the previous one has ended; when none is left it stops any process still running,
//! checks that every frame and kernel object came back, prints a summary and powers off.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use courier_abi::process::{ExitStatus, PRIORITY_DEFAULT};

use crate::boot::command_line::{self, CommandLine};
use crate::boot::{BootError, BootInfo};
use crate::executive::{ExitEvent, Kernel};
use crate::machine::Machine;
use crate::mm::{heap, kernel_space};
use crate::trap::{AccessKind, FaultKind, Interrupt, UserFault, UserTrap};
use crate::{arch, console, selftest};

/// Default timer frequency, in Hz.
pub const DEFAULT_TIMER_FREQUENCY: u32 = 100;

static BOOT_INFO: spin::Once<BootInfo> = spin::Once::new();
static TIMER_TICKS: AtomicU64 = AtomicU64::new(0);
static TIMER_FREQUENCY: AtomicU32 = AtomicU32::new(DEFAULT_TIMER_FREQUENCY);
static CONSOLE_INTERRUPTS: AtomicU64 = AtomicU64::new(0);
static CONSOLE_INPUT: spin::Mutex<heapless::Deque<u8, 256>> =
    spin::Mutex::new(heapless::Deque::new());
/// The portable kernel. Locked only with interrupts masked (the kernel never runs with
/// them enabled except while idle, when it does not hold this lock).
static KERNEL: spin::Mutex<Option<Kernel<Machine>>> = spin::Mutex::new(None);
static RUNNER: spin::Mutex<Runner> = spin::Mutex::new(Runner::new());
static PANICKING: AtomicBool = AtomicBool::new(false);
static FATAL_IN_PROGRESS: AtomicBool = AtomicBool::new(false);

/// What the kernel starts when the command line has no `courier.run=`.
pub const SYSTEM_PROGRAM: &str = "proc";

/// Most programs one `courier.run=` list may name.
const MAX_PROGRAMS: usize = 64;

/// The boot runner's state.
struct Runner {
    queue: heapless::Vec<&'static str, MAX_PROGRAMS>,
    next: usize,
    /// The serial number of the program running now (0: none).
    running: u32,
    exited: u32,
    faulted: u32,
    not_started: u32,
    free_frames_at_start: u64,
    heap_frames_at_start: u64,
}

impl Runner {
    const fn new() -> Self {
        Runner {
            queue: heapless::Vec::new(),
            next: 0,
            running: 0,
            exited: 0,
            faulted: 0,
            not_started: 0,
            free_frames_at_start: 0,
            heap_frames_at_start: 0,
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
    // Programs read the console (`ConsoleRead`) from what its receive interrupt collects.
    if !arch::enable_console_input_interrupt() {
        log::warn!("the console has no receive interrupt: programs cannot read it");
    }
    {
        let mut runner = RUNNER.lock();
        if command_line.get("courier.run").is_none() {
            // The system: the process server, which starts init, which starts the rest.
            let _ = runner.queue.push(SYSTEM_PROGRAM);
        }
        for name in command_line.list("courier.run") {
            if runner.queue.push(name).is_err() {
                log::warn!("courier.run: more than {MAX_PROGRAMS} programs; the rest are ignored");
                break;
            }
        }
        runner.free_frames_at_start = kernel_space::free_frame_count();
        runner.heap_frames_at_start = heap::heap_frames();
        if !selftests_passed {
            runner.not_started += 1;
        }
    }
    *KERNEL.lock() = Some(Kernel::new(Machine));
    schedule();
    arch::resume_user()
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

/// Handles a trap from the current user thread, then picks the thread to resume (in the
/// same critical section when one is ready, which is the IPC round trip's path).
pub fn user_trap(trap: UserTrap) {
    let mut guard = KERNEL.lock();
    let Some(kernel) = guard.as_mut() else {
        drop(guard);
        fatal(format_args!("a trap from user mode before the kernel exists"));
    };
    kernel.count_entry(matches!(trap, UserTrap::Interrupt(_)));
    match trap {
        UserTrap::Syscall => kernel.system_call(),
        UserTrap::Fault(fault) => user_fault(kernel, &fault),
        UserTrap::Interrupt(interrupt) => device_interrupt(kernel, interrupt),
    }
    if !resume_ready_thread(kernel) {
        drop(guard);
        schedule();
    }
}

/// Handles process exits (and so the boot runner) if any happened, then makes the thread
/// to run current; `false` when no thread is ready.
fn resume_ready_thread(kernel: &mut Kernel<Machine>) -> bool {
    if let Some(context) = kernel.take_direct_switch()
        && !kernel.has_exits()
    {
        // SAFETY: as below; the fast path took the pointer from the live current thread
        // in this same system call.
        unsafe { arch::set_current_context(context) };
        return true;
    }
    if kernel.has_exits() {
        report_exits(kernel);
        run_programs(kernel);
    }
    match kernel.select_next() {
        Some(context) => {
            // SAFETY: `select_next` returns the context of a live thread, inside the
            // kernel's thread arena (objects there never move); the portable kernel calls
            // `forget_floating_point` before that thread is freed.
            unsafe { arch::set_current_context(context) };
            true
        }
        None => false,
    }
}

/// Handles an interrupt that arrived while the kernel was idle.
pub fn kernel_interrupt(interrupt: Interrupt) {
    let mut guard = KERNEL.lock();
    match guard.as_mut() {
        Some(kernel) => {
            kernel.count_interrupt();
            device_interrupt(kernel, interrupt);
        }
        None => count_device_interrupt(interrupt),
    }
}

/// Counts an interrupt and takes console input.
fn count_device_interrupt(interrupt: Interrupt) {
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

fn device_interrupt(kernel: &mut Kernel<Machine>, interrupt: Interrupt) {
    count_device_interrupt(interrupt);
    if interrupt == Interrupt::Timer {
        kernel.timer_tick();
    }
}

/// A fault in user mode: a page fault the kernel can resolve (a lazily allocated page) is
/// retried; anything else is reported with the registers and ends the process with the
/// signal Linux would send.
fn user_fault(kernel: &mut Kernel<Machine>, fault: &UserFault) {
    let signal = match (fault.kind, fault.address) {
        (FaultKind::NotMapped(access), Some(address)) => {
            match kernel.page_fault(
                address,
                access == AccessKind::Write,
                access == AccessKind::Execute,
            ) {
                Ok(()) => return,
                Err(crate::executive::memory::FaultResolution::Bus) => Some(("SIGBUS", 7)),
                Err(crate::executive::memory::FaultResolution::OutOfMemory) => {
                    log::warn!("out of memory resolving a page fault at {address:#x}");
                    Some(("SIGKILL", 9))
                }
                Err(crate::executive::memory::FaultResolution::Segmentation) => None,
            }
        }
        _ => None,
    };
    let (name, number) = signal.unwrap_or_else(|| fault.signal());
    let (serial, program) = kernel.current_process_name().unwrap_or((0, "?"));
    match kernel.current_context() {
        Some(context) => log::error!(
            "process {serial} ({program}): {fault}, at instruction {:#x}\n{context}",
            fault.instruction_pointer
        ),
        None => log::error!(
            "process {serial} ({program}): {fault}, at instruction {:#x}",
            fault.instruction_pointer
        ),
    }
    log::debug!("process {serial} ({program}): sending {name}");
    kernel.kill_current(number as u8);
}

/// Picks the thread to resume and makes it current; idles (interrupts enabled, kernel
/// unlocked) while no thread is ready. Starts the boot runner's programs as earlier ones
/// end, and powers off when none is left.
pub fn schedule() {
    loop {
        let mut guard = KERNEL.lock();
        let Some(kernel) = guard.as_mut() else {
            drop(guard);
            fatal(format_args!("scheduling before the kernel exists"));
        };
        report_exits(kernel);
        run_programs(kernel);
        if resume_ready_thread(kernel) {
            return;
        }
        if kernel.next_deadline().is_none() && kernel.process_count() > 0 {
            log::error!(
                "every thread is blocked with no timeout and nothing can wake one: stopping {} process{}",
                kernel.process_count(),
                if kernel.process_count() == 1 { "" } else { "es" }
            );
            for (name, state, upcalls, holder) in kernel.thread_states() {
                log::error!("  {name}: {state:?} {holder}, {upcalls} upcalls pending");
            }
            kernel.destroy_all();
            continue;
        }
        drop(guard);
        arch::wait_for_interrupt();
    }
}

/// Logs how processes ended and counts the boot runner's programs.
fn report_exits(kernel: &mut Kernel<Machine>) {
    while let Some(event) = kernel.take_exit() {
        log_exit(&event);
        let mut runner = RUNNER.lock();
        if event.serial == runner.running {
            runner.running = 0;
            match event.status {
                ExitStatus::Exited(_) => runner.exited += 1,
                ExitStatus::Killed(_) => runner.faulted += 1,
            }
        }
    }
}

fn log_exit(event: &ExitEvent) {
    let ExitEvent { serial, name, status, system_calls, interrupts, .. } = *event;
    match status {
        ExitStatus::Exited(code) => log::info!(
            "process {serial} ({name}): exited with status {code} ({system_calls} system calls, {interrupts} interrupts)"
        ),
        // A signal whose default action dumps core (a fault, or SIGABRT, SIGQUIT) is worth
        // an error line; SIGKILL, SIGTERM and the like are how processes are ended on
        // purpose, and how proc ends the servers when init has finished.
        ExitStatus::Killed(signal)
            if courier_abi::signal::default_action(u32::from(signal))
                == Some(courier_abi::signal::DefaultAction::CoreDump) =>
        {
            log::error!(
                "process {serial} ({name}): killed by {} (signal {signal})",
                signal_name(signal)
            );
        }
        ExitStatus::Killed(signal) => log::info!(
            "process {serial} ({name}): killed by {} (signal {signal})",
            signal_name(signal)
        ),
    }
}

/// The Linux name of signal `number`.
fn signal_name(number: u8) -> &'static str {
    match number {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Starts the next program when none of the boot runner's is running; finishes when the
/// list is done.
fn run_programs(kernel: &mut Kernel<Machine>) {
    loop {
        let mut runner = RUNNER.lock();
        if runner.running != 0 {
            return;
        }
        if runner.next >= runner.queue.len() {
            drop(runner);
            finish(kernel);
        }
        let name = runner.queue[runner.next];
        runner.next += 1;
        match kernel.spawn(name.as_bytes(), &[], 0, PRIORITY_DEFAULT) {
            Ok(process) => {
                let serial = kernel.process_serial(process).unwrap_or(0);
                runner.running = serial;
                log::info!("process {serial} ({name}): started");
                return;
            }
            Err(error) => {
                log::error!(
                    "cannot run program {name:?}: {}",
                    describe_spawn_error(kernel, name, error)
                );
                runner.not_started += 1;
            }
        }
    }
}

/// Explains why `name` could not start.
fn describe_spawn_error(
    kernel: &Kernel<Machine>,
    name: &str,
    error: courier_abi::KernelError,
) -> impl fmt::Display {
    use crate::executive::platform::Platform;
    struct Reason(courier_abi::KernelError, Option<crate::task::image::ImageError>);
    impl fmt::Display for Reason {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            match (self.0, &self.1) {
                (courier_abi::KernelError::NoSuchImage, _) => {
                    formatter.write_str("no program image with that name")
                }
                (courier_abi::KernelError::BadImage, Some(problem)) => {
                    write!(formatter, "the program image is invalid: {problem}")
                }
                (error, _) => write!(formatter, "{error}"),
            }
        }
    }
    let problem = kernel.platform.program(name.as_bytes()).and_then(|(_, bytes)| {
        crate::task::image::parse(bytes, kernel.platform.elf_machine()).err()
    });
    Reason(error, problem)
}

/// Stops what is still running, checks nothing leaked, prints the summary and powers off.
fn finish(kernel: &mut Kernel<Machine>) -> ! {
    let left = kernel.process_count();
    if left > 0 {
        log::info!("stopping {left} process{} still running", if left == 1 { "" } else { "es" });
        kernel.destroy_all();
        while let Some(event) = kernel.take_exit() {
            log_exit(&event);
        }
    }
    let runner = RUNNER.lock();
    let free_now = kernel_space::free_frame_count();
    let heap_growth = heap::heap_frames() - runner.heap_frames_at_start;
    let frames_back = free_now + heap_growth == runner.free_frames_at_start;
    let objects_back = kernel.process_count() == 0
        && kernel.thread_count() == 0
        && kernel.endpoint_count() == 0
        && kernel.memory_object_count() == 0
        && kernel.reply_count() == 0
        && kernel.reference_count() == 0;
    let statistics = kernel.statistics;
    log::info!(
        "kernel statistics: {} kernel entries, {} system calls, {} interrupts, {} thread switches, {} address-space switches",
        statistics.kernel_entries,
        statistics.system_calls,
        statistics.interrupts,
        statistics.thread_switches,
        statistics.space_switches,
    );
    log::info!(
        "all programs finished: {} exited, {} killed by signals, {} not started; \
         free frames {} + {} taken by the kernel heap (at start {}){}{}",
        runner.exited,
        runner.faulted,
        runner.not_started,
        free_now,
        heap_growth,
        runner.free_frames_at_start,
        if frames_back { "" } else { " LEAK of frames" },
        if objects_back { "" } else { " LEAK of kernel objects" },
    );
    let success = runner.not_started == 0 && frames_back && objects_back;
    drop(runner);
    arch::power_off(success)
}

/// The kernel command line (empty before boot has read it).
pub fn command_line() -> &'static str {
    BOOT_INFO.get().map_or("", |boot| boot.command_line.as_str())
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

/// Copies memory of the current process (for decoding a faulting instruction); `false`
/// when it is not readable.
pub fn read_current_user_memory(address: u64, buffer: &mut [u8]) -> bool {
    KERNEL.lock().as_mut().is_some_and(|kernel| kernel.read_current_memory(address, buffer))
}

/// What is running, for fault dumps (never blocks).
pub fn running_description() -> impl fmt::Display {
    struct Running(Option<(u32, &'static str)>);
    impl fmt::Display for Running {
        fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Some((serial, name)) => write!(formatter, "process {serial} ({name})"),
                None => formatter.write_str("kernel (no process)"),
            }
        }
    }
    Running(KERNEL.try_lock().and_then(|kernel| kernel.as_ref()?.current_process_name()))
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
