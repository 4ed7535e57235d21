//! The aarch64 saved user context: the general and exception registers in the layout the
//! vector code uses, then the FP/SIMD registers; how the portable kernel reads and edits
//! it; and the switching of the FP/SIMD state between threads.
//!
//! FP/SIMD state is switched eagerly but only when the thread changes: the registers
//! always hold the state of the thread that ran last (the *owner*), and resuming a
//! different thread stores the owner's `q0`..`q31`, FPCR and FPSR into its context and
//! loads the new thread's. The kernel itself never touches these registers (it is built
//! soft-float).

use core::arch::asm;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};

use courier_abi::KernelError;
use courier_abi::layout::USER_SPACE_END;

use crate::executive::platform::ThreadContext;

/// A thread's registers, in the layout the vector code uses. Syscall slots: number in
/// `x8`, `a0`..`a7` in `x0`..`x7`, status `r0` and results `r1`..`r7` in `x0`..`x7`.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct Registers {
    /// x0..x30.
    pub x: [u64; 31],
    /// SP_EL0.
    pub sp: u64,
    /// The return address (ELR_EL1).
    pub pc: u64,
    /// The saved processor state (SPSR_EL1).
    pub pstate: u64,
    /// ESR_EL1 at the last exception.
    pub syndrome: u64,
    /// FAR_EL1 at the last exception.
    pub fault_address: u64,
    /// TPIDR_EL0, the user thread pointer.
    pub thread_pointer: u64,
    /// Which vector entry saved this context.
    pub kind: u64,
}

/// Words in [`Registers`].
const REGISTER_WORDS: usize = 38;
const _: () = assert!(size_of::<Registers>() == REGISTER_WORDS * 8);

/// The FP/SIMD registers.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct FloatingState {
    /// q0..q31.
    pub q: [u128; 32],
    /// FPCR.
    pub control: u64,
    /// FPSR.
    pub status: u64,
}

const _: () = assert!(size_of::<FloatingState>() == 32 * 16 + 16);

/// A thread's saved user state.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct UserContext {
    /// General registers and exception state.
    pub registers: Registers,
    /// FP/SIMD state (valid when this thread does not own the hardware registers).
    pub floating: FloatingState,
}

/// Bytes of a saved context.
const CONTEXT_SIZE: usize = size_of::<UserContext>();
const _: () = assert!(CONTEXT_SIZE == 304 + 528);

/// PSTATE for user mode: EL0t, all interrupt masks clear.
const USER_PSTATE: u64 = 0;
/// PSTATE bits a program may set in a restored context: the condition flags N, Z, C, V.
const USER_CHANGEABLE_PSTATE: u64 = 0xf000_0000;

impl Registers {
    fn to_words(self) -> [u64; REGISTER_WORDS] {
        // SAFETY: `Registers` is `repr(C)` with 31 + 7 `u64`s and no padding (asserted
        // above), so it has the layout of `[u64; 38]`.
        unsafe { core::mem::transmute::<Registers, [u64; REGISTER_WORDS]>(self) }
    }

    fn from_words(words: [u64; REGISTER_WORDS]) -> Self {
        // SAFETY: as for `to_words`; every bit pattern is a valid `u64`.
        unsafe { core::mem::transmute::<[u64; REGISTER_WORDS], Registers>(words) }
    }
}

fn read_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

impl ThreadContext for UserContext {
    const SAVED_SIZE: usize = CONTEXT_SIZE;
    /// AAPCS64 has no red zone.
    const STACK_RED_ZONE: u64 = 0;

    fn new(entry: u64, stack_top: u64, arguments: [u64; 2]) -> Self {
        let mut registers =
            Registers { pc: entry, sp: stack_top, pstate: USER_PSTATE, ..Registers::default() };
        registers.x[0] = arguments[0];
        registers.x[1] = arguments[1];
        UserContext { registers, floating: FloatingState::default() }
    }

    fn syscall_number(&self) -> usize {
        self.registers.x[8] as usize
    }

    fn syscall_arguments(&self) -> [u64; 8] {
        let mut arguments = [0; 8];
        arguments.copy_from_slice(&self.registers.x[..8]);
        arguments
    }

    fn set_syscall_result(&mut self, status: usize, results: [u64; 7]) {
        self.registers.x[0] = status as u64;
        self.registers.x[1..8].copy_from_slice(&results);
    }

    fn instruction_pointer(&self) -> u64 {
        self.registers.pc
    }

    fn stack_pointer(&self) -> u64 {
        self.registers.sp
    }

    fn save(&self, buffer: &mut [u8]) {
        let (registers, floating) = buffer.split_at_mut(REGISTER_WORDS * 8);
        for (chunk, word) in
            registers.as_chunks_mut::<8>().0.iter_mut().zip(self.registers.to_words())
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        for (chunk, value) in floating.as_chunks_mut::<16>().0.iter_mut().zip(self.floating.q) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        floating[512..520].copy_from_slice(&self.floating.control.to_le_bytes());
        floating[520..528].copy_from_slice(&self.floating.status.to_le_bytes());
    }

    fn restore(&mut self, buffer: &[u8]) -> Result<(), KernelError> {
        if buffer.len() < CONTEXT_SIZE {
            return Err(KernelError::InvalidArgument);
        }
        let mut words = [0u64; REGISTER_WORDS];
        for (word, chunk) in words.iter_mut().zip(buffer.as_chunks::<8>().0) {
            *word = u64::from_le_bytes(*chunk);
        }
        let mut registers = Registers::from_words(words);
        if registers.pc >= USER_SPACE_END as u64 {
            return Err(KernelError::InvalidArgument);
        }
        registers.pstate = (registers.pstate & USER_CHANGEABLE_PSTATE) | USER_PSTATE;
        let floating_bytes = &buffer[REGISTER_WORDS * 8..CONTEXT_SIZE];
        let mut floating = FloatingState::default();
        for (value, chunk) in floating.q.iter_mut().zip(floating_bytes.as_chunks::<16>().0) {
            *value = u128::from_le_bytes(*chunk);
        }
        floating.control = read_word(&floating_bytes[512..]);
        floating.status = read_word(&floating_bytes[520..]);
        self.registers = registers;
        self.floating = floating;
        Ok(())
    }

    fn divert(&mut self, entry: u64, stack_pointer: u64, arguments: [u64; 2]) {
        let registers = &mut self.registers;
        registers.pc = entry;
        registers.sp = stack_pointer;
        registers.x[0] = arguments[0];
        registers.x[1] = arguments[1];
        // The handler returns through UpcallReturn, never to the link register.
        registers.x[30] = 0;
        registers.pstate = USER_PSTATE;
    }
}

/// The context whose FP/SIMD state the registers hold (0 when none does).
static FLOATING_OWNER: AtomicU64 = AtomicU64::new(0);

/// Stores the FP/SIMD registers into `state`.
///
/// # Safety
///
/// `state` must be valid for writes.
unsafe fn store_floating(state: *mut FloatingState) {
    // SAFETY: `state` is writable and 16-byte aligned (the caller's contract and the
    // type's alignment); only FP/SIMD registers and x9/x10 are used.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            "stp q0, q1, [{state}, #0]",
            "stp q2, q3, [{state}, #32]",
            "stp q4, q5, [{state}, #64]",
            "stp q6, q7, [{state}, #96]",
            "stp q8, q9, [{state}, #128]",
            "stp q10, q11, [{state}, #160]",
            "stp q12, q13, [{state}, #192]",
            "stp q14, q15, [{state}, #224]",
            "stp q16, q17, [{state}, #256]",
            "stp q18, q19, [{state}, #288]",
            "stp q20, q21, [{state}, #320]",
            "stp q22, q23, [{state}, #352]",
            "stp q24, q25, [{state}, #384]",
            "stp q26, q27, [{state}, #416]",
            "stp q28, q29, [{state}, #448]",
            "stp q30, q31, [{state}, #480]",
            "mrs {control}, fpcr",
            "mrs {status}, fpsr",
            "str {control}, [{state}, #512]",
            "str {status}, [{state}, #520]",
            state = in(reg) state,
            control = out(reg) _,
            status = out(reg) _,
            options(nostack),
        );
    }
}

/// Loads the FP/SIMD registers from `state`.
///
/// # Safety
///
/// `state` must be valid for reads.
unsafe fn load_floating(state: *const FloatingState) {
    // SAFETY: `state` is readable and 16-byte aligned; FPCR's reserved bits are RES0 and
    // ignored on write, so any value a program saved is harmless.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            "ldp q0, q1, [{state}, #0]",
            "ldp q2, q3, [{state}, #32]",
            "ldp q4, q5, [{state}, #64]",
            "ldp q6, q7, [{state}, #96]",
            "ldp q8, q9, [{state}, #128]",
            "ldp q10, q11, [{state}, #160]",
            "ldp q12, q13, [{state}, #192]",
            "ldp q14, q15, [{state}, #224]",
            "ldp q16, q17, [{state}, #256]",
            "ldp q18, q19, [{state}, #288]",
            "ldp q20, q21, [{state}, #320]",
            "ldp q22, q23, [{state}, #352]",
            "ldp q24, q25, [{state}, #384]",
            "ldp q26, q27, [{state}, #416]",
            "ldp q28, q29, [{state}, #448]",
            "ldp q30, q31, [{state}, #480]",
            "ldr {control}, [{state}, #512]",
            "ldr {status}, [{state}, #520]",
            "msr fpcr, {control}",
            "msr fpsr, {status}",
            state = in(reg) state,
            control = out(reg) _,
            status = out(reg) _,
            options(nostack, readonly),
        );
    }
}

/// Loads `context`'s FP/SIMD state unless it is already live, first storing the state of
/// the thread that owned the registers.
///
/// # Safety
///
/// `context` and the current owner (if any) must be live contexts: the kernel calls
/// [`forget_floating_point`] before a context is freed or its state replaced.
pub unsafe fn switch_floating_point(context: *mut UserContext) {
    let owner = FLOATING_OWNER.load(Ordering::Relaxed);
    if owner == context as u64 {
        return;
    }
    if owner != 0 {
        // SAFETY: the owner is live (the caller's contract).
        unsafe { store_floating(core::ptr::addr_of_mut!((*(owner as *mut UserContext)).floating)) };
    }
    // SAFETY: `context` is live.
    unsafe { load_floating(core::ptr::addr_of!((*context).floating)) };
    FLOATING_OWNER.store(context as u64, Ordering::Relaxed);
}

/// Writes the live FP/SIMD registers into `context` if it owns them.
pub fn flush_floating_point(context: &mut UserContext) {
    if FLOATING_OWNER.load(Ordering::Relaxed) == core::ptr::from_mut(context) as u64 {
        // SAFETY: `context.floating` is writable.
        unsafe { store_floating(&raw mut context.floating) };
    }
}

/// Forgets that `context` owns the registers: its saved state is authoritative again (it
/// was replaced) or it is going away.
pub fn forget_floating_point(context: &UserContext) {
    let address = core::ptr::from_ref(context) as u64;
    let _ = FLOATING_OWNER.compare_exchange(address, 0, Ordering::Relaxed, Ordering::Relaxed);
}

impl fmt::Display for Registers {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "    pc  {:#018x}  sp  {:#018x}  pstate {:#010x}  esr {:#010x}  far {:#018x}",
            self.pc, self.sp, self.pstate, self.syndrome, self.fault_address
        )?;
        for (index, value) in self.x.iter().enumerate() {
            if index % 4 == 0 {
                formatter.write_str("\n   ")?;
            }
            write!(formatter, " x{index:<2} {value:#018x}")?;
        }
        Ok(())
    }
}

impl fmt::Display for UserContext {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.registers.fmt(formatter)
    }
}
