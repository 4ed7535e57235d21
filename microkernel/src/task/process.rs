//! Processes: an address space, a saved user context, and the program it runs.
//!
//! Until the IPC issue brings threads and a scheduler, the kernel runs one process at a
//! time: the boot runner loads a program, runs it until it exits or faults, reports how it
//! ended, and frees everything it had before loading the next.

use core::fmt;

use courier_abi::layout::{PAGE_SIZE, STACK_BOTTOM, STACK_TOP};

use crate::arch;
use crate::mm::address_space::{AddressSpace, SpaceError};
use crate::mm::page_table::Access;
use crate::task::image::{self, ImageError, ProgramImage};

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// Finds an embedded program by name.
pub fn find_program(name: &str) -> Option<&'static ProgramImage> {
    PROGRAMS.iter().find(|program| program.name == name)
}

/// A process identifier.
pub type ProcessId = u32;

/// A running program.
pub struct Process {
    /// Its identifier.
    pub id: ProcessId,
    /// The program it runs.
    pub name: &'static str,
    /// Its memory.
    pub space: AddressSpace,
    /// Its saved user registers (its only thread's).
    pub context: arch::UserContext,
    /// System calls it made.
    pub system_calls: u64,
    /// Interrupts that arrived while it ran in user mode.
    pub interrupts: u64,
}

/// Why a program could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// No embedded image has that name.
    NoSuchProgram,
    /// The image is not a valid program.
    BadImage(ImageError),
    /// Memory ran out while building the address space.
    Memory(SpaceError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NoSuchProgram => formatter.write_str("no program image with that name"),
            LoadError::BadImage(error) => {
                write!(formatter, "the program image is invalid: {error}")
            }
            LoadError::Memory(error) => {
                write!(formatter, "cannot build its address space: {error}")
            }
        }
    }
}

impl Process {
    /// Loads the embedded program `name` into a new address space with a stack.
    ///
    /// # Errors
    ///
    /// A [`LoadError`]; nothing is left allocated after a failure.
    pub fn load(id: ProcessId, name: &str) -> Result<Process, LoadError> {
        let program = find_program(name).ok_or(LoadError::NoSuchProgram)?;
        let layout = image::parse(program.bytes, arch::ELF_MACHINE).map_err(LoadError::BadImage)?;
        let mut space = AddressSpace::new().map_err(LoadError::Memory)?;
        for segment in &layout.segments {
            let first = segment.virtual_address & !(PAGE_SIZE as u64 - 1);
            let end = segment.virtual_address + segment.memory_size;
            let mut page = first;
            while page < end {
                space.map_new_page(page, segment.access).map_err(LoadError::Memory)?;
                page += PAGE_SIZE as u64;
            }
            let start = segment.file_offset as usize;
            let contents = &program.bytes[start..start + segment.file_size as usize];
            space
                .write_ignoring_rights(segment.virtual_address, contents)
                .map_err(|_| LoadError::Memory(SpaceError::BadRange(segment.virtual_address)))?;
        }
        let stack = Access { write: true, execute: false, user: true };
        let mut page = STACK_BOTTOM as u64;
        while page < STACK_TOP as u64 {
            space.map_new_page(page, stack).map_err(LoadError::Memory)?;
            page += PAGE_SIZE as u64;
        }
        Ok(Process {
            id,
            name: program.name,
            space,
            context: arch::UserContext::new(layout.entry, STACK_TOP as u64),
            system_calls: 0,
            interrupts: 0,
        })
    }
}
