//! Program images: the ELF executables embedded in the kernel, checked before loading.
//!
//! A program image must be a 64-bit little-endian static executable (`ET_EXEC`) for the
//! kernel's own machine, whose loadable segments lie inside user space, clear of the stack
//! and its guard page, and whose entry point is in an executable segment. [`parse`] checks
//! all of that and returns a [`ProgramLayout`]; the loader then only copies bytes. Every
//! failure is an [`ImageError`] with a message that says what is wrong, so a corrupt image
//! is refused with a clear reason instead of crashing anything.

use core::fmt;

use courier_abi::layout;
use elf::ElfBytes;
use elf::abi::{ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;

use crate::mm::page_table::Access;

/// A program image embedded in the kernel.
#[derive(Clone, Copy, Debug)]
pub struct ProgramImage {
    /// The name programs are run by (`courier.run=<name>`).
    pub name: &'static str,
    /// The ELF file.
    pub bytes: &'static [u8],
}

/// Most loadable segments accepted.
pub const MAX_SEGMENTS: usize = 16;

/// Most memory a program image may ask for, in bytes.
pub const MAX_IMAGE_MEMORY: u64 = 256 << 20;

/// One loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where it is mapped.
    pub virtual_address: u64,
    /// Bytes of memory it occupies (the part past `file_size` is zero).
    pub memory_size: u64,
    /// Offset of its contents in the image file.
    pub file_offset: u64,
    /// Bytes of contents in the file.
    pub file_size: u64,
    /// Page rights.
    pub access: Access,
}

/// What a checked image needs from the loader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramLayout {
    /// Address of the first instruction.
    pub entry: u64,
    /// The loadable segments.
    pub segments: heapless::Vec<Segment, MAX_SEGMENTS>,
}

/// Why an image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The ELF header could not be parsed (bad magic, truncated, wrong class or byte order).
    NotElf(&'static str),
    /// Built for another machine.
    WrongMachine {
        /// `e_machine` in the file.
        found: u16,
        /// `e_machine` this kernel runs.
        expected: u16,
    },
    /// A position-independent executable; programs must be linked at a fixed address.
    PositionIndependent,
    /// Not an executable at all (`e_type` given).
    NotExecutable(u16),
    /// The program headers could not be read.
    BadProgramHeaders,
    /// More loadable segments than [`MAX_SEGMENTS`].
    TooManySegments,
    /// No loadable segment.
    NoLoadableSegments,
    /// A segment's memory size is smaller than its file size.
    SegmentSizes {
        /// The segment's address.
        address: u64,
    },
    /// A segment's contents lie past the end of the file.
    SegmentBeyondFile {
        /// The segment's address.
        address: u64,
    },
    /// A segment lies outside user space or overlaps the stack.
    SegmentOutsideUserSpace {
        /// The segment's address.
        address: u64,
    },
    /// The segments together need more than [`MAX_IMAGE_MEMORY`].
    TooLarge,
    /// The entry point is not inside an executable segment.
    EntryNotExecutable {
        /// The entry address.
        entry: u64,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::NotElf(reason) => write!(formatter, "not a valid ELF file ({reason})"),
            ImageError::WrongMachine { found, expected } => write!(
                formatter,
                "built for machine {found} (ELF e_machine), this kernel runs machine {expected}"
            ),
            ImageError::PositionIndependent => formatter.write_str(
                "a position-independent executable; programs must be linked at a fixed address",
            ),
            ImageError::NotExecutable(kind) => {
                write!(formatter, "not an executable (ELF type {kind})")
            }
            ImageError::BadProgramHeaders => formatter.write_str("unreadable program headers"),
            ImageError::TooManySegments => {
                write!(formatter, "more than {MAX_SEGMENTS} loadable segments")
            }
            ImageError::NoLoadableSegments => formatter.write_str("no loadable segments"),
            ImageError::SegmentSizes { address } => {
                write!(formatter, "segment at {address:#x} is smaller in memory than in the file")
            }
            ImageError::SegmentBeyondFile { address } => {
                write!(formatter, "segment at {address:#x} extends past the end of the file")
            }
            ImageError::SegmentOutsideUserSpace { address } => write!(
                formatter,
                "segment at {address:#x} lies outside user space or overlaps the stack"
            ),
            ImageError::TooLarge => {
                write!(formatter, "needs more than {} MiB of memory", MAX_IMAGE_MEMORY >> 20)
            }
            ImageError::EntryNotExecutable { entry } => {
                write!(formatter, "entry point {entry:#x} is not in an executable segment")
            }
        }
    }
}

fn parse_error_reason(error: &elf::ParseError) -> &'static str {
    match error {
        elf::ParseError::BadMagic(_) => "bad magic number",
        elf::ParseError::UnsupportedElfClass(_) => "not a 64-bit ELF file",
        elf::ParseError::UnsupportedElfEndianness(_) => "not little-endian",
        elf::ParseError::UnsupportedVersion(_) => "unsupported ELF version",
        elf::ParseError::SliceReadError(_) | elf::ParseError::TryFromSliceError(_) => "truncated",
        _ => "malformed header",
    }
}

/// Checks `bytes` as a program for machine `machine` (an ELF `e_machine` value) and
/// returns what the loader needs.
///
/// # Errors
///
/// An [`ImageError`] naming the first problem found.
pub fn parse(bytes: &[u8], machine: u16) -> Result<ProgramLayout, ImageError> {
    let file = ElfBytes::<LittleEndian>::minimal_parse(bytes)
        .map_err(|error| ImageError::NotElf(parse_error_reason(&error)))?;
    let header = &file.ehdr;
    if header.class != elf::file::Class::ELF64 {
        return Err(ImageError::NotElf("not a 64-bit ELF file"));
    }
    if header.e_machine != machine {
        return Err(ImageError::WrongMachine { found: header.e_machine, expected: machine });
    }
    match header.e_type {
        ET_EXEC => {}
        ET_DYN => return Err(ImageError::PositionIndependent),
        other => return Err(ImageError::NotExecutable(other)),
    }
    let program_headers = file.segments().ok_or(ImageError::BadProgramHeaders)?;
    let mut layout = ProgramLayout { entry: header.e_entry, segments: heapless::Vec::new() };
    let mut total: u64 = 0;
    for program_header in program_headers.iter().filter(|header| header.p_type == PT_LOAD) {
        let address = program_header.p_vaddr;
        if program_header.p_memsz == 0 {
            continue;
        }
        if program_header.p_memsz < program_header.p_filesz {
            return Err(ImageError::SegmentSizes { address });
        }
        let file_end = program_header.p_offset.checked_add(program_header.p_filesz);
        if file_end.is_none_or(|end| end > bytes.len() as u64) {
            return Err(ImageError::SegmentBeyondFile { address });
        }
        let Some(end) = address.checked_add(program_header.p_memsz) else {
            return Err(ImageError::SegmentOutsideUserSpace { address });
        };
        let guard_start = (layout::STACK_BOTTOM - layout::PAGE_SIZE) as u64;
        let overlaps_stack = address < layout::STACK_TOP as u64 && end > guard_start;
        if address < layout::USER_SPACE_START as u64
            || end > layout::USER_SPACE_END as u64
            || overlaps_stack
        {
            return Err(ImageError::SegmentOutsideUserSpace { address });
        }
        total = total.saturating_add(program_header.p_memsz);
        if total > MAX_IMAGE_MEMORY {
            return Err(ImageError::TooLarge);
        }
        let flags = program_header.p_flags;
        let segment = Segment {
            virtual_address: address,
            memory_size: program_header.p_memsz,
            file_offset: program_header.p_offset,
            file_size: program_header.p_filesz,
            access: Access {
                write: flags & PF_W != 0,
                execute: flags & PF_X != 0,
                user: flags & (PF_R | PF_W | PF_X) != 0,
            },
        };
        layout.segments.push(segment).map_err(|_| ImageError::TooManySegments)?;
    }
    if layout.segments.is_empty() {
        return Err(ImageError::NoLoadableSegments);
    }
    let entry_is_code = layout.segments.iter().any(|segment| {
        segment.access.execute
            && layout.entry >= segment.virtual_address
            && layout.entry < segment.virtual_address + segment.memory_size
    });
    if !entry_is_code {
        return Err(ImageError::EntryNotExecutable { entry: layout.entry });
    }
    Ok(layout)
}

/// A minimal valid program for machine `machine`: one read-execute segment at the program
/// base holding `code`, entry at its start, and a read-write data segment.
#[cfg(test)]
pub(crate) fn test_program(machine: u16, code: &[u8]) -> Vec<u8> {
    let base = layout::PROGRAM_BASE as u64;
    let mut bytes = vec![0u8; 0x3000];
    bytes[..4].copy_from_slice(b"\x7fELF");
    bytes[4] = 2;
    bytes[5] = 1;
    bytes[6] = 1;
    bytes[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
    bytes[18..20].copy_from_slice(&machine.to_le_bytes());
    bytes[20..24].copy_from_slice(&1u32.to_le_bytes());
    bytes[24..32].copy_from_slice(&base.to_le_bytes());
    bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
    bytes[52..54].copy_from_slice(&64u16.to_le_bytes());
    bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
    bytes[56..58].copy_from_slice(&2u16.to_le_bytes());
    let segments = [
        (PF_R | PF_X, 0x1000u64, base, code.len() as u64),
        (PF_R | PF_W, 0x2000, base + 0x1000, 0x100),
    ];
    for (index, (flags, offset, address, size)) in segments.into_iter().enumerate() {
        let header = 64 + index * 56;
        bytes[header..header + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        bytes[header + 4..header + 8].copy_from_slice(&flags.to_le_bytes());
        bytes[header + 8..header + 16].copy_from_slice(&offset.to_le_bytes());
        bytes[header + 16..header + 24].copy_from_slice(&address.to_le_bytes());
        bytes[header + 24..header + 32].copy_from_slice(&address.to_le_bytes());
        bytes[header + 32..header + 40].copy_from_slice(&size.max(1).to_le_bytes());
        bytes[header + 40..header + 48].copy_from_slice(&size.max(1).to_le_bytes());
        bytes[header + 48..header + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    }
    bytes[0x1000..0x1000 + code.len()].copy_from_slice(code);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MACHINE: u16 = elf::abi::EM_X86_64;

    #[test]
    fn the_test_program_is_valid() {
        let program = test_program(MACHINE, &[0x90; 16]);
        let layout = parse(&program, MACHINE).unwrap();
        assert_eq!(layout.segments.len(), 2);
        assert_eq!(layout.entry, layout::PROGRAM_BASE as u64);
    }

    /// Builds a minimal ELF64 executable with the given segments
    /// `(type, flags, offset, address, file size, memory size)`.
    fn build(
        kind: u16,
        machine: u16,
        entry: u64,
        segments: &[(u32, u32, u64, u64, u64, u64)],
    ) -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2; // 64-bit
        bytes[5] = 1; // little-endian
        bytes[6] = 1; // version
        bytes[16..18].copy_from_slice(&kind.to_le_bytes());
        bytes[18..20].copy_from_slice(&machine.to_le_bytes());
        bytes[20..24].copy_from_slice(&1u32.to_le_bytes());
        bytes[24..32].copy_from_slice(&entry.to_le_bytes());
        bytes[32..40].copy_from_slice(&64u64.to_le_bytes()); // program headers right after
        bytes[52..54].copy_from_slice(&64u16.to_le_bytes()); // header size
        bytes[54..56].copy_from_slice(&56u16.to_le_bytes()); // program header size
        bytes[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for &(kind, flags, offset, address, file_size, memory_size) in segments {
            let mut header = vec![0u8; 56];
            header[0..4].copy_from_slice(&kind.to_le_bytes());
            header[4..8].copy_from_slice(&flags.to_le_bytes());
            header[8..16].copy_from_slice(&offset.to_le_bytes());
            header[16..24].copy_from_slice(&address.to_le_bytes());
            header[24..32].copy_from_slice(&address.to_le_bytes());
            header[32..40].copy_from_slice(&file_size.to_le_bytes());
            header[40..48].copy_from_slice(&memory_size.to_le_bytes());
            header[48..56].copy_from_slice(&0x1000u64.to_le_bytes());
            bytes.extend(header);
        }
        bytes.resize(0x3000, 0xcc);
        bytes
    }

    fn good() -> Vec<u8> {
        build(
            ET_EXEC,
            MACHINE,
            0x40_0010,
            &[
                (PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x1000, 0x1000),
                (PT_LOAD, PF_R | PF_W, 0x2000, 0x40_1000, 0x100, 0x5000),
            ],
        )
    }

    #[test]
    fn accepts_a_static_executable() {
        let layout = parse(&good(), MACHINE).unwrap();
        assert_eq!(layout.entry, 0x40_0010);
        assert_eq!(layout.segments.len(), 2);
        assert!(layout.segments[0].access.execute && !layout.segments[0].access.write);
        assert!(layout.segments[1].access.write && !layout.segments[1].access.execute);
        assert_eq!(layout.segments[1].memory_size, 0x5000);
    }

    #[test]
    fn refuses_each_kind_of_bad_image() {
        assert_eq!(
            parse(b"not an elf file at all, just some text", MACHINE),
            Err(ImageError::NotElf("bad magic number"))
        );
        assert!(matches!(parse(&good()[..20], MACHINE), Err(ImageError::NotElf(_))));
        assert_eq!(
            parse(&good(), elf::abi::EM_AARCH64),
            Err(ImageError::WrongMachine { found: MACHINE, expected: elf::abi::EM_AARCH64 })
        );
        let pie = build(
            ET_DYN,
            MACHINE,
            0x40_0010,
            &[(PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x10, 0x10)],
        );
        assert_eq!(parse(&pie, MACHINE), Err(ImageError::PositionIndependent));
        let relocatable = build(1, MACHINE, 0, &[]);
        assert_eq!(parse(&relocatable, MACHINE), Err(ImageError::NotExecutable(1)));
        let empty = build(ET_EXEC, MACHINE, 0x40_0000, &[]);
        assert_eq!(parse(&empty, MACHINE), Err(ImageError::NoLoadableSegments));
        let sizes = build(
            ET_EXEC,
            MACHINE,
            0x40_0000,
            &[(PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x20, 0x10)],
        );
        assert_eq!(parse(&sizes, MACHINE), Err(ImageError::SegmentSizes { address: 0x40_0000 }));
        let beyond = build(
            ET_EXEC,
            MACHINE,
            0x40_0000,
            &[(PT_LOAD, PF_R | PF_X, 0x2f00, 0x40_0000, 0x200, 0x200)],
        );
        assert_eq!(
            parse(&beyond, MACHINE),
            Err(ImageError::SegmentBeyondFile { address: 0x40_0000 })
        );
        let kernel = build(
            ET_EXEC,
            MACHINE,
            0xffff_ffff_8000_0000,
            &[(PT_LOAD, PF_R | PF_X, 0x1000, 0xffff_ffff_8000_0000, 0x10, 0x10)],
        );
        assert_eq!(
            parse(&kernel, MACHINE),
            Err(ImageError::SegmentOutsideUserSpace { address: 0xffff_ffff_8000_0000 })
        );
        let null = build(ET_EXEC, MACHINE, 0, &[(PT_LOAD, PF_R | PF_X, 0x1000, 0, 0x10, 0x10)]);
        assert_eq!(parse(&null, MACHINE), Err(ImageError::SegmentOutsideUserSpace { address: 0 }));
        let stack = layout::STACK_BOTTOM as u64;
        let on_stack =
            build(ET_EXEC, MACHINE, stack, &[(PT_LOAD, PF_R | PF_X, 0x1000, stack, 0x10, 0x10)]);
        assert_eq!(
            parse(&on_stack, MACHINE),
            Err(ImageError::SegmentOutsideUserSpace { address: stack })
        );
        let wrapping = build(
            ET_EXEC,
            MACHINE,
            0x40_0000,
            &[(PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x10, u64::MAX)],
        );
        assert_eq!(
            parse(&wrapping, MACHINE),
            Err(ImageError::SegmentOutsideUserSpace { address: 0x40_0000 })
        );
        let huge = build(
            ET_EXEC,
            MACHINE,
            0x40_0000,
            &[(PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x10, MAX_IMAGE_MEMORY + 1)],
        );
        assert_eq!(parse(&huge, MACHINE), Err(ImageError::TooLarge));
        let data_entry = build(
            ET_EXEC,
            MACHINE,
            0x40_1000,
            &[
                (PT_LOAD, PF_R | PF_X, 0x1000, 0x40_0000, 0x1000, 0x1000),
                (PT_LOAD, PF_R | PF_W, 0x2000, 0x40_1000, 0x100, 0x1000),
            ],
        );
        assert_eq!(
            parse(&data_entry, MACHINE),
            Err(ImageError::EntryNotExecutable { entry: 0x40_1000 })
        );
    }

    proptest! {
        /// Any corruption of a good image is either accepted with a consistent layout or
        /// refused; never a panic.
        #[test]
        fn corrupted_images_never_panic(flips in proptest::collection::vec((0usize..0x200, any::<u8>()), 1..12)) {
            let mut bytes = good();
            for (offset, value) in flips {
                bytes[offset] = value;
            }
            if let Ok(layout) = parse(&bytes, MACHINE) {
                for segment in &layout.segments {
                    prop_assert!(segment.file_offset + segment.file_size <= bytes.len() as u64);
                    prop_assert!(segment.virtual_address + segment.memory_size <= layout::USER_SPACE_END as u64);
                }
            }
        }
    }
}
