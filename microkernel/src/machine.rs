//! The machine the portable kernel runs on: physical memory through the direct map,
//! address spaces, time, the console and the embedded program images.

use courier_abi::KernelError;

use crate::arch;
use crate::executive::platform::Platform;
use crate::mm::PAGE_SIZE;
use crate::mm::address_space::{AddressSpace, SpaceToken};
use crate::mm::frame::Frame;
use crate::mm::kernel_space::{self, direct_map};
use crate::task::image::ProgramImage;

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// The names of the embedded programs.
pub fn program_names() -> impl Iterator<Item = &'static str> {
    PROGRAMS.iter().map(|program| program.name)
}

/// Checks that `[physical, physical + length)` lies in one frame.
fn in_one_frame(physical: u64, length: usize) -> bool {
    (physical % PAGE_SIZE) + length as u64 <= PAGE_SIZE
}

/// The real machine.
pub struct Machine;

impl Platform for Machine {
    type Context = arch::UserContext;
    type Space = AddressSpace;

    fn now(&self) -> u64 {
        arch::monotonic_nanoseconds()
    }

    fn new_space(&mut self) -> Result<AddressSpace, KernelError> {
        AddressSpace::new()
    }

    fn destroy_space(&mut self, space: AddressSpace) {
        drop(space);
    }

    fn activate_space(&mut self, token: SpaceToken) {
        token.activate();
    }

    fn allocate_frame(&mut self) -> Option<u64> {
        kernel_space::allocate_zeroed_frame().map(Frame::into_address)
    }

    fn free_frame(&mut self, physical: u64) {
        // SAFETY: the portable kernel frees only frames it got from `allocate_frame`, once.
        kernel_space::free_frame(unsafe { Frame::from_address(physical) });
    }

    fn free_frames(&self) -> u64 {
        kernel_space::free_frame_count()
    }

    fn read_physical(&self, physical: u64, buffer: &mut [u8]) {
        if !in_one_frame(physical, buffer.len()) {
            return;
        }
        // SAFETY: the range lies in one frame the portable kernel owns (it resolved the
        // address through a process's page tables), reachable in the direct map; the
        // kernel runs with interrupts masked, so no other code touches it meanwhile.
        unsafe {
            core::ptr::copy_nonoverlapping(
                direct_map(physical) as *const u8,
                buffer.as_mut_ptr(),
                buffer.len(),
            );
        }
    }

    fn write_physical(&mut self, physical: u64, bytes: &[u8]) {
        if !in_one_frame(physical, bytes.len()) {
            return;
        }
        // SAFETY: as for `read_physical`.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                direct_map(physical) as *mut u8,
                bytes.len(),
            );
        };
    }

    fn synchronize_instruction_cache(&mut self, physical: u64, length: usize) {
        if in_one_frame(physical, length) {
            arch::synchronize_instruction_cache(direct_map(physical), length);
        }
    }

    fn copy_physical(&mut self, from: u64, to: u64, length: usize) {
        if !in_one_frame(from, length) || !in_one_frame(to, length) {
            return;
        }
        // SAFETY: both ranges lie in frames the portable kernel resolved for this copy; they
        // may be the same frame, so `copy` (memmove) is used.
        unsafe {
            core::ptr::copy(direct_map(from) as *const u8, direct_map(to) as *mut u8, length);
        };
    }

    fn program(&self, name: &[u8]) -> Option<(&'static str, &'static [u8])> {
        PROGRAMS
            .iter()
            .find(|program| program.name.as_bytes() == name)
            .map(|program| (program.name, program.bytes))
    }

    fn command_line(&self) -> &'static str {
        crate::kernel::command_line()
    }

    fn elf_machine(&self) -> u16 {
        arch::ELF_MACHINE
    }

    fn console_write(&mut self, bytes: &[u8]) {
        crate::console::write_program_output(bytes);
    }

    fn console_read(&mut self, buffer: &mut [u8]) -> usize {
        let mut count = 0;
        while count < buffer.len() {
            let Some(byte) = crate::kernel::take_console_input() else { break };
            buffer[count] = byte;
            count += 1;
        }
        count
    }

    fn flush_floating_point(&mut self, context: &mut arch::UserContext) {
        arch::flush_floating_point(context);
    }

    fn forget_floating_point(&mut self, context: &arch::UserContext) {
        arch::forget_floating_point(context);
    }
}
