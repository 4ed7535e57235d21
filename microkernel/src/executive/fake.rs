//! A fake machine for host tests of the kernel's state machine: registers in an array,
//! page tables in a map, physical memory in boxed frames.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use courier_abi::KernelError;

use super::platform::{Platform, ThreadContext, UserSpace};
use crate::mm::page_table::Access;

/// Registers: `x[0..8]` are the argument and result slots, `x[8]` the number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeContext {
    pub x: [u64; 16],
    pub pc: u64,
    pub sp: u64,
    pub floating: [u64; 4],
}

impl ThreadContext for FakeContext {
    const SAVED_SIZE: usize = 8 * 22;
    const STACK_RED_ZONE: u64 = 128;

    fn new(entry: u64, stack_top: u64, arguments: [u64; 2]) -> Self {
        let mut context = FakeContext { pc: entry, sp: stack_top, ..FakeContext::default() };
        context.x[0] = arguments[0];
        context.x[1] = arguments[1];
        context
    }

    fn syscall_number(&self) -> usize {
        self.x[8] as usize
    }

    fn syscall_arguments(&self) -> [u64; 8] {
        self.x[..8].try_into().unwrap_or([0; 8])
    }

    fn set_syscall_result(&mut self, status: usize, results: [u64; 7]) {
        self.x[0] = status as u64;
        self.x[1..8].copy_from_slice(&results);
    }

    fn instruction_pointer(&self) -> u64 {
        self.pc
    }

    fn stack_pointer(&self) -> u64 {
        self.sp
    }

    fn save(&self, buffer: &mut [u8]) {
        let words = self.x.iter().chain([&self.pc, &self.sp]).chain(self.floating.iter());
        for (index, word) in words.enumerate() {
            buffer[index * 8..index * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
    }

    fn restore(&mut self, buffer: &[u8]) -> Result<(), KernelError> {
        let word = |index: usize| {
            u64::from_le_bytes(buffer[index * 8..index * 8 + 8].try_into().unwrap_or([0; 8]))
        };
        let pc = word(16);
        if pc >= courier_abi::layout::USER_SPACE_END as u64 {
            return Err(KernelError::InvalidArgument);
        }
        for index in 0..16 {
            self.x[index] = word(index);
        }
        self.pc = pc;
        self.sp = word(17);
        for index in 0..4 {
            self.floating[index] = word(18 + index);
        }
        Ok(())
    }

    fn divert(&mut self, entry: u64, stack_pointer: u64, arguments: [u64; 2]) {
        self.pc = entry;
        self.sp = stack_pointer;
        self.x[0] = arguments[0];
        self.x[1] = arguments[1];
    }
}

/// Page tables as a map from page address to (frame, access).
#[derive(Default)]
pub struct FakeSpace {
    pub pages: BTreeMap<u64, (u64, Access)>,
}

impl UserSpace for FakeSpace {
    type Token = ();

    fn unmap_range(&mut self, start: u64, end: u64, unmapped: &mut dyn FnMut(u64)) {
        let addresses: Vec<u64> =
            self.pages.range(start..end).map(|(&address, _)| address).collect();
        for address in addresses {
            if let Some((physical, _)) = self.pages.remove(&address) {
                unmapped(physical);
            }
        }
    }

    fn token(&self) {}

    fn map(&mut self, address: u64, physical: u64, access: Access) -> Result<(), KernelError> {
        if self.pages.contains_key(&address) {
            return Err(KernelError::AddressInUse);
        }
        self.pages.insert(address, (physical, access));
        Ok(())
    }

    fn unmap(&mut self, address: u64) -> Option<u64> {
        self.pages.remove(&address).map(|(physical, _)| physical)
    }

    fn protect(&mut self, address: u64, access: Access) -> bool {
        match self.pages.get_mut(&address) {
            Some(entry) => {
                entry.1 = access;
                true
            }
            None => false,
        }
    }

    fn translate(&self, address: u64) -> Option<(u64, Access)> {
        self.pages.get(&address).copied()
    }
}

/// The fake machine.
pub struct FakePlatform {
    pub time: u64,
    pub frames: BTreeMap<u64, Box<[u8; 4096]>>,
    pub next_frame: u64,
    pub frame_limit: usize,
    pub programs: Vec<(&'static str, &'static [u8])>,
    pub console: Vec<u8>,
    pub input: VecDeque<u8>,
    pub spaces_live: usize,
    pub activations: usize,
    /// The physical ranges made visible to instruction fetch, in order.
    pub synchronized: Vec<(u64, usize)>,
}

impl FakePlatform {
    pub fn new(programs: Vec<(&'static str, &'static [u8])>) -> Self {
        FakePlatform {
            time: 0,
            frames: BTreeMap::new(),
            next_frame: 0x10_0000,
            frame_limit: 1 << 16,
            programs,
            console: Vec::new(),
            input: VecDeque::new(),
            spaces_live: 0,
            activations: 0,
            synchronized: Vec::new(),
        }
    }

    fn frame(&self, physical: u64) -> &[u8; 4096] {
        self.frames.get(&(physical & !0xfff)).expect("access to a frame that is not allocated")
    }

    fn frame_mut(&mut self, physical: u64) -> &mut [u8; 4096] {
        self.frames.get_mut(&(physical & !0xfff)).expect("access to a frame that is not allocated")
    }
}

impl Platform for FakePlatform {
    type Context = FakeContext;
    type Space = FakeSpace;

    fn now(&self) -> u64 {
        self.time
    }

    fn new_space(&mut self) -> Result<FakeSpace, KernelError> {
        self.spaces_live += 1;
        Ok(FakeSpace::default())
    }

    fn destroy_space(&mut self, space: FakeSpace) {
        assert!(space.pages.is_empty(), "an address space was destroyed with pages still mapped");
        self.spaces_live -= 1;
    }

    fn activate_space(&mut self, (): ()) {
        self.activations += 1;
    }

    fn allocate_frame(&mut self) -> Option<u64> {
        if self.frames.len() >= self.frame_limit {
            return None;
        }
        let physical = self.next_frame;
        self.next_frame += 0x1000;
        self.frames.insert(physical, Box::new([0; 4096]));
        Some(physical)
    }

    fn free_frame(&mut self, physical: u64) {
        assert!(
            self.frames.remove(&physical).is_some(),
            "frame {physical:#x} freed twice or never allocated"
        );
    }

    fn free_frames(&self) -> u64 {
        (self.frame_limit - self.frames.len()) as u64
    }

    fn read_physical(&self, physical: u64, buffer: &mut [u8]) {
        let offset = (physical & 0xfff) as usize;
        buffer.copy_from_slice(&self.frame(physical)[offset..offset + buffer.len()]);
    }

    fn write_physical(&mut self, physical: u64, bytes: &[u8]) {
        let offset = (physical & 0xfff) as usize;
        self.frame_mut(physical)[offset..offset + bytes.len()].copy_from_slice(bytes);
    }

    fn copy_physical(&mut self, from: u64, to: u64, length: usize) {
        let mut buffer = alloc::vec![0u8; length];
        self.read_physical(from, &mut buffer);
        self.write_physical(to, &buffer);
    }

    fn synchronize_instruction_cache(&mut self, physical: u64, length: usize) {
        self.synchronized.push((physical, length));
    }

    fn command_line(&self) -> &'static str {
        "init=program courier.test"
    }

    fn program(&self, name: &[u8]) -> Option<(&'static str, &'static [u8])> {
        self.programs.iter().copied().find(|(program, _)| program.as_bytes() == name)
    }

    fn elf_machine(&self) -> u16 {
        elf::abi::EM_X86_64
    }

    fn console_write(&mut self, bytes: &[u8]) {
        self.console.extend_from_slice(bytes);
    }

    fn console_read(&mut self, buffer: &mut [u8]) -> usize {
        let mut count = 0;
        while count < buffer.len() {
            let Some(byte) = self.input.pop_front() else { break };
            buffer[count] = byte;
            count += 1;
        }
        count
    }

    fn flush_floating_point(&mut self, _context: &mut FakeContext) {}

    fn forget_floating_point(&mut self, _context: &FakeContext) {}
}
