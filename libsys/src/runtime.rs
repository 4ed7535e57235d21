//! Program start-up, the [`main!`](crate::main) macro and the panic handler.
//!
//! The kernel starts a program at `_start` (in [`crate::arch`]) with the stack pointer at
//! `courier_abi::layout::STACK_TOP`. `_start` calls [`start`], which calls the function the
//! program named with [`main!`](crate::main) and exits with the status it returns.

use core::sync::atomic::{AtomicUsize, Ordering};

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
    let status = __courier_program_main();
    process::exit(status)
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
