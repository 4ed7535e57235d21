//! The x86_64 saved user context: the general registers in the order the entry stubs push
//! them, then the 512-byte FXSAVE area; how the portable kernel reads and edits it; and
//! the switching of the x87/SSE state between threads.
//!
//! Floating-point state is switched eagerly but only when the thread changes: the
//! registers always hold the state of the thread that ran last (the *owner*), and resuming
//! a different thread saves the owner's state into its context and loads the new one
//! (`fxsave64`/`fxrstor64`). There is no `CR0.TS` trap, so no thread can observe timing
//! differences from another thread's live registers (the "lazy FP" leak). The kernel
//! itself never touches these registers: the target is soft-float.

use core::fmt;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use courier_abi::KernelError;
use courier_abi::layout::USER_SPACE_END;

use super::cpu;
use crate::executive::platform::ThreadContext;

/// The `vector` value of a context saved by the `syscall` instruction.
pub const SYSCALL_VECTOR: u64 = 0x100;
/// The `vector` value of a context to restore with `iretq` (a new thread, a diverted or
/// restored one): every register is reloaded.
pub const NEW_CONTEXT_VECTOR: u64 = 0x101;

/// RFLAGS for user mode: interrupts enabled, reserved bit 1 set.
const USER_RFLAGS: u64 = 0x202;
/// RFLAGS bits a program may set in a restored context: the arithmetic flags, the
/// direction flag, alignment check and ID.
const USER_CHANGEABLE_RFLAGS: u64 = (1 << 0)
    | (1 << 2)
    | (1 << 4)
    | (1 << 6)
    | (1 << 7)
    | (1 << 10)
    | (1 << 11)
    | (1 << 18)
    | (1 << 21);

/// A thread's general registers, in the order the entry stubs push them (`r15` lowest).
/// Syscall slots: number and status in `rax`; `a0`..`a7` in `rdi`, `rsi`, `rdx`, `r10`,
/// `r8`, `r9`, `r12`, `r13`; results `r1`..`r7` in the first seven of those.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct Registers {
    /// General register.
    pub r15: u64,
    /// General register.
    pub r14: u64,
    /// General register; slot `a7`.
    pub r13: u64,
    /// General register; slot `a6`/`r7`.
    pub r12: u64,
    /// General register (clobbered by `syscall`).
    pub r11: u64,
    /// Slot `a3`/`r4`.
    pub r10: u64,
    /// Slot `a5`/`r6`.
    pub r9: u64,
    /// Slot `a4`/`r5`.
    pub r8: u64,
    /// Frame pointer.
    pub rbp: u64,
    /// Slot `a0`/`r1`.
    pub rdi: u64,
    /// Slot `a1`/`r2`.
    pub rsi: u64,
    /// Slot `a2`/`r3`.
    pub rdx: u64,
    /// General register (clobbered by `syscall`).
    pub rcx: u64,
    /// General register.
    pub rbx: u64,
    /// Syscall number in, status `r0` out.
    pub rax: u64,
    /// The trap vector, [`SYSCALL_VECTOR`] or [`NEW_CONTEXT_VECTOR`].
    pub vector: u64,
    /// The exception's error code (0 when it has none).
    pub error_code: u64,
    /// Instruction pointer.
    pub rip: u64,
    /// Code segment selector.
    pub cs: u64,
    /// Flags.
    pub rflags: u64,
    /// Stack pointer.
    pub rsp: u64,
    /// Stack segment selector.
    pub ss: u64,
}

/// Words in [`Registers`].
const REGISTER_WORDS: usize = 22;
const _: () = assert!(size_of::<Registers>() == REGISTER_WORDS * 8);

/// The FXSAVE area: x87, MMX and SSE state.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct FloatingState {
    /// The raw area `fxsave64` writes.
    pub bytes: [u8; 512],
}

/// Offset of MXCSR in the FXSAVE area.
const MXCSR_OFFSET: usize = 24;
/// Offset of MXCSR_MASK in the FXSAVE area.
const MXCSR_MASK_OFFSET: usize = 28;
/// MXCSR bits this processor supports (from `fxsave`'s MXCSR_MASK at boot).
static MXCSR_MASK: AtomicU32 = AtomicU32::new(0xffbf);

impl Default for FloatingState {
    /// The state after `fninit` with SSE exceptions masked: FCW 0x37f, MXCSR 0x1f80.
    fn default() -> Self {
        let mut bytes = [0u8; 512];
        bytes[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        bytes[MXCSR_OFFSET..MXCSR_OFFSET + 4].copy_from_slice(&0x1f80u32.to_le_bytes());
        FloatingState { bytes }
    }
}

impl FloatingState {
    fn mxcsr(&self) -> u32 {
        u32::from_le_bytes([
            self.bytes[MXCSR_OFFSET],
            self.bytes[MXCSR_OFFSET + 1],
            self.bytes[MXCSR_OFFSET + 2],
            self.bytes[MXCSR_OFFSET + 3],
        ])
    }
}

/// A thread's saved user state.
#[repr(C, align(16))]
#[derive(Clone, Copy, Default)]
pub struct UserContext {
    /// General registers and the trap frame.
    pub registers: Registers,
    /// x87 and SSE state (valid when this thread does not own the hardware registers).
    pub floating: FloatingState,
}

/// Bytes of a saved context: registers then the FXSAVE area.
const CONTEXT_SIZE: usize = size_of::<UserContext>();
const _: () = assert!(CONTEXT_SIZE == 176 + 512);

impl Registers {
    fn to_words(self) -> [u64; REGISTER_WORDS] {
        // SAFETY: `Registers` is `repr(C)` with exactly 22 `u64` fields and no padding
        // (asserted above), so it has the layout of `[u64; 22]`.
        unsafe { core::mem::transmute::<Registers, [u64; REGISTER_WORDS]>(self) }
    }

    fn from_words(words: [u64; REGISTER_WORDS]) -> Self {
        // SAFETY: as for `to_words`; every bit pattern is a valid `u64`.
        unsafe { core::mem::transmute::<[u64; REGISTER_WORDS], Registers>(words) }
    }
}

/// Whether `address` is in the user half (canonical, below the kernel's addresses).
fn is_user_address(address: u64) -> bool {
    address < USER_SPACE_END as u64
}

impl ThreadContext for UserContext {
    const SAVED_SIZE: usize = CONTEXT_SIZE;
    /// The System V ABI's red zone.
    const STACK_RED_ZONE: u64 = 128;

    fn new(entry: u64, stack_top: u64, arguments: [u64; 2]) -> Self {
        UserContext {
            registers: Registers {
                rip: entry,
                rsp: stack_top,
                cs: u64::from(cpu::USER_CODE_SELECTOR),
                ss: u64::from(cpu::USER_DATA_SELECTOR),
                rflags: USER_RFLAGS,
                vector: NEW_CONTEXT_VECTOR,
                rdi: arguments[0],
                rsi: arguments[1],
                ..Registers::default()
            },
            floating: FloatingState::default(),
        }
    }

    fn syscall_number(&self) -> usize {
        self.registers.rax as usize
    }

    fn syscall_arguments(&self) -> [u64; 8] {
        let r = &self.registers;
        [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9, r.r12, r.r13]
    }

    fn set_syscall_result(&mut self, status: usize, results: [u64; 7]) {
        let r = &mut self.registers;
        r.rax = status as u64;
        [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9, r.r12] = results;
    }

    fn instruction_pointer(&self) -> u64 {
        self.registers.rip
    }

    fn stack_pointer(&self) -> u64 {
        self.registers.rsp
    }

    fn save(&self, buffer: &mut [u8]) {
        let (registers, floating) = buffer.split_at_mut(REGISTER_WORDS * 8);
        for (chunk, word) in
            registers.as_chunks_mut::<8>().0.iter_mut().zip(self.registers.to_words())
        {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        floating[..512].copy_from_slice(&self.floating.bytes);
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
        let mut floating = FloatingState { bytes: [0; 512] };
        floating.bytes.copy_from_slice(&buffer[REGISTER_WORDS * 8..CONTEXT_SIZE]);
        let user_code = u64::from(cpu::USER_CODE_SELECTOR);
        let user_data = u64::from(cpu::USER_DATA_SELECTOR);
        let mxcsr_mask = MXCSR_MASK.load(Ordering::Relaxed);
        if registers.cs != user_code
            || registers.ss != user_data
            || !is_user_address(registers.rip)
            || !is_user_address(registers.rsp)
            || floating.mxcsr() & !mxcsr_mask != 0
        {
            return Err(KernelError::InvalidArgument);
        }
        registers.rflags = (registers.rflags & USER_CHANGEABLE_RFLAGS) | USER_RFLAGS;
        registers.vector = NEW_CONTEXT_VECTOR;
        registers.error_code = 0;
        self.registers = registers;
        self.floating = floating;
        Ok(())
    }

    fn divert(&mut self, entry: u64, stack_pointer: u64, arguments: [u64; 2]) {
        let r = &mut self.registers;
        r.rip = entry;
        r.rsp = stack_pointer;
        r.rdi = arguments[0];
        r.rsi = arguments[1];
        r.rflags = USER_RFLAGS;
        r.vector = NEW_CONTEXT_VECTOR;
        r.error_code = 0;
    }
}

/// The context whose floating-point state the registers hold (0 when none does).
static FLOATING_OWNER: AtomicU64 = AtomicU64::new(0);

/// Turns on SSE for user mode (`CR4.OSFXSR`, `CR4.OSXMMEXCPT`; `CR0.MP` set, `EM` and `TS`
/// clear), records the processor's MXCSR mask and clears the registers.
pub fn initialize_floating_point() {
    use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    // SAFETY: enabling FXSAVE/SSE support changes only how x87/SSE instructions behave,
    // which the (soft-float) kernel never executes except in this module.
    unsafe {
        Cr4::update(|cr4| *cr4 |= Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
        Cr0::update(|cr0| {
            cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
            cr0.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
    }
    let mut probe = FloatingState { bytes: [0; 512] };
    // SAFETY: `probe` is a 16-byte aligned, writable 512-byte area.
    unsafe {
        core::arch::asm!("fxsave64 [{}]", in(reg) probe.bytes.as_mut_ptr(), options(nostack));
    };
    let reported = u32::from_le_bytes([
        probe.bytes[MXCSR_MASK_OFFSET],
        probe.bytes[MXCSR_MASK_OFFSET + 1],
        probe.bytes[MXCSR_MASK_OFFSET + 2],
        probe.bytes[MXCSR_MASK_OFFSET + 3],
    ]);
    if reported != 0 {
        MXCSR_MASK.store(reported, Ordering::Relaxed);
    }
    let initial = FloatingState::default();
    // SAFETY: the default state is a valid FXSAVE image (MXCSR 0x1f80 has no reserved
    // bits); loading it only sets x87/SSE registers no kernel code uses.
    unsafe {
        core::arch::asm!("fxrstor64 [{}]", in(reg) initial.bytes.as_ptr(), options(nostack, readonly));
    };
}

/// Loads `context`'s floating-point state unless it is already live, first saving the
/// state of the thread that owned the registers.
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
        // SAFETY: the owner is live (the caller's contract) and its area 16-byte aligned.
        unsafe {
            let area = core::ptr::addr_of_mut!((*(owner as *mut UserContext)).floating.bytes);
            core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack));
        }
    }
    // SAFETY: `context` is live; its area was validated (MXCSR) when it was last written
    // from user data, or comes from `fxsave64`/the default state.
    unsafe {
        let area = core::ptr::addr_of!((*context).floating.bytes);
        core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack, readonly));
    }
    FLOATING_OWNER.store(context as u64, Ordering::Relaxed);
}

/// Writes the live floating-point registers into `context` if it owns them.
pub fn flush_floating_point(context: &mut UserContext) {
    if FLOATING_OWNER.load(Ordering::Relaxed) == core::ptr::from_mut(context) as u64 {
        // SAFETY: `context.floating` is a writable, 16-byte aligned 512-byte area.
        unsafe {
            core::arch::asm!("fxsave64 [{}]", in(reg) context.floating.bytes.as_mut_ptr(), options(nostack));
        };
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
            "    rip {:#018x}  rsp {:#018x}  rflags {:#018x}\n\
             \x20   rax {:#018x}  rbx {:#018x}  rcx {:#018x}  rdx {:#018x}\n\
             \x20   rsi {:#018x}  rdi {:#018x}  rbp {:#018x}  r8  {:#018x}\n\
             \x20   r9  {:#018x}  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}\n\
             \x20   r13 {:#018x}  r14 {:#018x}  r15 {:#018x}  cs {:#x} ss {:#x}",
            self.rip,
            self.rsp,
            self.rflags,
            self.rax,
            self.rbx,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
            self.rbp,
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.cs,
            self.ss,
        )
    }
}

impl fmt::Display for UserContext {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.registers.fmt(formatter)
    }
}
