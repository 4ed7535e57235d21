//! Program start-up, the [`main!`](crate::main) macro and the panic handler.
//!
//! The kernel starts a program at `_start` (in [`crate::arch`]) with the stack pointer at
//! `courier_abi::layout::STACK_TOP`. `_start` calls [`start`], which reads the start block
//! when proc started the program (arguments, environment, inherited descriptors: see
//! `courier_abi::start`), calls the function the program named with
//! [`main!`](crate::main) and exits with the status it returns.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use courier_abi::Handle;
use courier_abi::memory::MAP_READ;
use courier_abi::start::{
    DESCRIPTOR_CONSOLE, DESCRIPTOR_SERVER, START_ARGUMENT, START_BLOCK_HANDLE, StartBlock,
};

use crate::fd::{Fd, Target};
use crate::memory::MemoryObject;
use crate::process;

/// What a program's main function may return: an exit status.
pub trait Termination {
    /// The exit status this value stands for.
    fn exit_status(self) -> i32;
}

impl Termination for i32 {
    fn exit_status(self) -> i32 {
        self
    }
}

impl Termination for () {
    fn exit_status(self) -> i32 {
        0
    }
}

impl<E: core::fmt::Debug> Termination for Result<(), E> {
    fn exit_status(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(error) => {
                crate::eprintln!("error: {error:?}");
                1
            }
        }
    }
}

unsafe extern "Rust" {
    /// Defined by the program through [`main!`](crate::main).
    safe fn __courier_program_main() -> i32;
}

static INITIAL_HANDLES: AtomicUsize = AtomicUsize::new(0);
static ARGUMENT: AtomicUsize = AtomicUsize::new(0);

/// Called by `_start` with the kernel's start arguments (how many handles the spawner
/// passed, and its argument word): records them, runs the program's main function and
/// exits with its status.
pub extern "C" fn start(initial_handles: usize, argument: usize) -> ! {
    INITIAL_HANDLES.store(initial_handles, Ordering::Relaxed);
    ARGUMENT.store(argument, Ordering::Relaxed);
    if started_by_proc() {
        read_start_block();
    }
    // After the inherited mask is in place, so that a blocked signal stays pending.
    crate::signal::install();
    let status = __courier_program_main();
    process::exit(status)
}

/// Whether proc started this program (its initial handles follow `courier_abi::start`).
pub fn started_by_proc() -> bool {
    ARGUMENT.load(Ordering::Relaxed) == START_ARGUMENT
        && INITIAL_HANDLES.load(Ordering::Relaxed) >= usize::from(START_BLOCK_HANDLE)
}

/// Maps the start block, takes the arguments, environment and descriptors from it, and
/// gives it back. A malformed block leaves the program with no arguments and the console
/// as its descriptors (and a message on the console).
fn read_start_block() {
    let object = MemoryObject(Handle::initial(START_BLOCK_HANDLE));
    let Ok((size, _)) = object.info() else { return };
    let size = size.min(courier_abi::start::MAX_START_BLOCK);
    let Ok(mapping) = object.map(0, 0, size.max(1), MAP_READ) else { return };
    let mut bytes = Vec::new();
    if bytes.try_reserve_exact(size).is_ok() {
        bytes.resize(size, 0);
        mapping.read_bytes(0, &mut bytes);
    }
    let _ = crate::memory::unmap(mapping);
    let _ = crate::handle::close(object.0);
    let block = match StartBlock::parse(&bytes) {
        Ok(block) => block,
        Err(error) => {
            crate::eprintln!("libsys: unreadable start block ({error:?})");
            return;
        }
    };
    let signals = block.signals();
    crate::signal::set_inherited(
        crate::signal::SignalSet(signals.mask),
        crate::signal::SignalSet(signals.ignored),
    );
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    crate::env::set(block.arguments().map(text).collect(), block.environment().map(text).collect());
    let descriptors: Vec<(Fd, Target)> = block
        .descriptors()
        .filter_map(|entry| {
            let target = match entry.kind {
                DESCRIPTOR_CONSOLE => Target::Console { status: u64::from(entry.status) },
                DESCRIPTOR_SERVER => {
                    Target::Server { reference: Handle::initial(u16::try_from(entry.server).ok()?) }
                }
                _ => return None,
            };
            Some((entry.descriptor as Fd, target))
        })
        .collect();
    crate::fd::set_initial(&descriptors);
}

/// How many handles the spawner passed (they are `Handle::initial(1)` and up).
pub fn initial_handle_count() -> usize {
    INITIAL_HANDLES.load(Ordering::Relaxed)
}

/// The argument word the spawner passed.
pub fn argument() -> usize {
    ARGUMENT.load(Ordering::Relaxed)
}

/// Names the program's main function: `libsys::main!(main);`.
///
/// The function takes no arguments and returns `()`, `i32` or `Result<(), E>`; its
/// result becomes the exit status (see [`Termination`]).
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __courier_program_main() -> i32 {
            $crate::runtime::Termination::exit_status($main())
        }
    };
}

/// Exit status of a program that panicked (the same as a Rust program on Linux).
pub const PANIC_EXIT_STATUS: i32 = 101;

#[panic_handler]
fn panic(information: &core::panic::PanicInfo<'_>) -> ! {
    crate::eprintln!("program panicked: {information}");
    process::exit(PANIC_EXIT_STATUS)
}
