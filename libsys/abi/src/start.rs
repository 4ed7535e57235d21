//! What a program started through proc receives: its initial handles and the start block
//! (arguments, environment and inherited descriptors) in a memory object.
//!
//! proc starts a child with the spawn argument [`START_ARGUMENT`] and these initial
//! handles: [`PROC_HANDLE`] (a send handle to proc badged with the child's pid),
//! [`START_BLOCK_HANDLE`] (the start block, written by the parent), then the references
//! (`HandleKind::Reference`) behind the inherited server descriptors, from
//! [`FIRST_SERVER_HANDLE`] on. A
//! program started by the kernel directly has argument 0 and none of these.
//!
//! The start block is a [`Header`] (which also carries the signal mask and the ignored
//! signals the child inherits, as across Linux's `execve`), `descriptor_count`
//! [`DescriptorEntry`]s, then the argument strings and the environment strings, each
//! ended by a NUL byte. Everything is
//! little-endian. [`encode`] writes one and [`StartBlock::parse`] checks and reads one;
//! neither allocates, so both sides (and host tests) use the same code.

use crate::ipc::MAX_HANDLES;

/// The spawn argument that says the initial handles follow this module's convention.
pub const START_ARGUMENT: usize = 0x4352_5354;
/// Position of the proc handle among the initial handles.
pub const PROC_HANDLE: u16 = 1;
/// Position of the start block memory object.
pub const START_BLOCK_HANDLE: u16 = 2;
/// Position of the first inherited reference.
pub const FIRST_SERVER_HANDLE: u16 = 3;
/// Most distinct references (open file descriptions of servers) a child can inherit: the
/// spawn message carries the start block and these, at most `MAX_HANDLES` handles.
pub const MAX_SERVER_HANDLES: usize = MAX_HANDLES - 1;

/// The header's magic number (`"CRST"`).
pub const MAGIC: u32 = u32::from_le_bytes(*b"CRST");
/// The layout version.
pub const VERSION: u32 = 2;
/// Largest start block, in bytes (arguments and environment together; Linux's
/// `ARG_MAX` is 2 MiB, a quarter of that is plenty here).
pub const MAX_START_BLOCK: usize = 256 * 1024;
/// Bytes of a [`Header`].
pub const HEADER_SIZE: usize = 48;
/// Bytes of a [`DescriptorEntry`].
pub const DESCRIPTOR_SIZE: usize = 24;

/// A descriptor of the kernel console (read for 0, write otherwise).
pub const DESCRIPTOR_CONSOLE: u32 = 1;
/// A descriptor of an object served over the I/O protocol.
pub const DESCRIPTOR_SERVER: u32 = 2;

/// The start block's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u32,
    /// [`VERSION`].
    pub version: u32,
    /// Argument strings.
    pub argument_count: u32,
    /// Environment strings.
    pub environment_count: u32,
    /// Descriptor entries.
    pub descriptor_count: u32,
    /// Zero.
    pub reserved: u32,
    /// Bytes of strings after the entries.
    pub strings_length: u64,
    /// The signal mask the child starts with (a `SignalSet` word).
    pub signal_mask: u64,
    /// The signals the child starts ignoring (a `SignalSet` word).
    pub ignored_signals: u64,
}

/// The signal state a child inherits: its mask and its ignored signals (every other
/// disposition is reset to the default, as `execve` does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InheritedSignals {
    /// The signal mask (a `SignalSet` word).
    pub mask: u64,
    /// The ignored signals (a `SignalSet` word).
    pub ignored: u64,
}

/// One inherited descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescriptorEntry {
    /// The descriptor number in the child.
    pub descriptor: u32,
    /// [`DESCRIPTOR_CONSOLE`] or [`DESCRIPTOR_SERVER`].
    pub kind: u32,
    /// For a server descriptor, the position of its reference among the child's initial
    /// handles; 0 for the console.
    pub server: u32,
    /// For the console, its status flags (`O_RDONLY`, `O_WRONLY`, `O_NONBLOCK`).
    pub status: u32,
    /// Zero (reserved).
    pub object: u64,
}

/// Why a start block could not be written or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartBlockError {
    /// The buffer is too small, or the block would exceed [`MAX_START_BLOCK`].
    TooLarge,
    /// A string contains a NUL byte.
    NulInString,
    /// The block is shorter than its header says, or its counts do not fit.
    Truncated,
    /// Wrong magic number or version.
    BadHeader,
    /// The strings do not split into the announced number of NUL-ended strings.
    BadStrings,
}

fn put_u32(buffer: &mut [u8], at: usize, value: u32) {
    buffer[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(buffer: &mut [u8], at: usize, value: u64) {
    buffer[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn get_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Writes a start block into `buffer`; returns its length.
///
/// # Errors
///
/// `TooLarge` when it does not fit `buffer` or [`MAX_START_BLOCK`]; `NulInString` when an
/// argument or environment string contains a NUL byte.
pub fn encode<'a>(
    buffer: &mut [u8],
    arguments: impl Iterator<Item = &'a [u8]> + Clone,
    environment: impl Iterator<Item = &'a [u8]> + Clone,
    descriptors: &[DescriptorEntry],
    signals: InheritedSignals,
) -> Result<usize, StartBlockError> {
    let limit = buffer.len().min(MAX_START_BLOCK);
    let entries_end = descriptors
        .len()
        .checked_mul(DESCRIPTOR_SIZE)
        .and_then(|bytes| bytes.checked_add(HEADER_SIZE))
        .filter(|&end| end <= limit)
        .ok_or(StartBlockError::TooLarge)?;
    let mut cursor = entries_end;
    let argument_count =
        u32::try_from(arguments.clone().count()).map_err(|_| StartBlockError::TooLarge)?;
    let environment_count =
        u32::try_from(environment.clone().count()).map_err(|_| StartBlockError::TooLarge)?;
    for string in arguments.chain(environment) {
        if string.contains(&0) {
            return Err(StartBlockError::NulInString);
        }
        let end = cursor
            .checked_add(string.len() + 1)
            .filter(|&end| end <= limit)
            .ok_or(StartBlockError::TooLarge)?;
        buffer[cursor..end - 1].copy_from_slice(string);
        buffer[end - 1] = 0;
        cursor = end;
    }
    put_u32(buffer, 0, MAGIC);
    put_u32(buffer, 4, VERSION);
    put_u32(buffer, 8, argument_count);
    put_u32(buffer, 12, environment_count);
    put_u32(buffer, 16, descriptors.len() as u32);
    put_u32(buffer, 20, 0);
    put_u64(buffer, 24, (cursor - entries_end) as u64);
    put_u64(buffer, 32, signals.mask);
    put_u64(buffer, 40, signals.ignored);
    for (index, entry) in descriptors.iter().enumerate() {
        let at = HEADER_SIZE + index * DESCRIPTOR_SIZE;
        put_u32(buffer, at, entry.descriptor);
        put_u32(buffer, at + 4, entry.kind);
        put_u32(buffer, at + 8, entry.server);
        put_u32(buffer, at + 12, entry.status);
        put_u64(buffer, at + 16, entry.object);
    }
    Ok(cursor)
}

/// A checked start block.
#[derive(Clone, Copy, Debug)]
pub struct StartBlock<'a> {
    header: Header,
    entries: &'a [u8],
    strings: &'a [u8],
}

impl<'a> StartBlock<'a> {
    /// Checks `bytes` (at least as long as the block) and reads its header.
    ///
    /// # Errors
    ///
    /// `Truncated`, `BadHeader` or `BadStrings`.
    pub fn parse(bytes: &'a [u8]) -> Result<StartBlock<'a>, StartBlockError> {
        if bytes.len() < HEADER_SIZE {
            return Err(StartBlockError::Truncated);
        }
        let header = Header {
            magic: get_u32(bytes, 0),
            version: get_u32(bytes, 4),
            argument_count: get_u32(bytes, 8),
            environment_count: get_u32(bytes, 12),
            descriptor_count: get_u32(bytes, 16),
            reserved: get_u32(bytes, 20),
            strings_length: get_u64(bytes, 24),
            signal_mask: get_u64(bytes, 32),
            ignored_signals: get_u64(bytes, 40),
        };
        if header.magic != MAGIC || header.version != VERSION || header.reserved != 0 {
            return Err(StartBlockError::BadHeader);
        }
        let entries_end = (header.descriptor_count as usize)
            .checked_mul(DESCRIPTOR_SIZE)
            .and_then(|bytes| bytes.checked_add(HEADER_SIZE))
            .ok_or(StartBlockError::Truncated)?;
        let strings_end = usize::try_from(header.strings_length)
            .ok()
            .and_then(|length| entries_end.checked_add(length))
            .filter(|&end| end <= bytes.len() && end <= MAX_START_BLOCK)
            .ok_or(StartBlockError::Truncated)?;
        let strings = &bytes[entries_end..strings_end];
        let expected = u64::from(header.argument_count) + u64::from(header.environment_count);
        let terminators = strings.iter().filter(|&&byte| byte == 0).count() as u64;
        if terminators != expected || strings.last().is_some_and(|&byte| byte != 0) {
            return Err(StartBlockError::BadStrings);
        }
        Ok(StartBlock { header, entries: &bytes[HEADER_SIZE..entries_end], strings })
    }

    /// The header.
    pub const fn header(&self) -> Header {
        self.header
    }

    /// The inherited signal mask and ignored signals.
    pub const fn signals(&self) -> InheritedSignals {
        InheritedSignals { mask: self.header.signal_mask, ignored: self.header.ignored_signals }
    }

    /// The argument strings, without their NUL bytes.
    pub fn arguments(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.strings_iter().take(self.header.argument_count as usize)
    }

    /// The environment strings (`NAME=value`), without their NUL bytes.
    pub fn environment(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.strings_iter().skip(self.header.argument_count as usize)
    }

    fn strings_iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let strings = self.strings;
        let count = (self.header.argument_count + self.header.environment_count) as usize;
        strings.split(|&byte| byte == 0).take(count)
    }

    /// The inherited descriptors.
    pub fn descriptors(&self) -> impl Iterator<Item = DescriptorEntry> + 'a {
        self.entries.as_chunks::<DESCRIPTOR_SIZE>().0.iter().map(|entry| DescriptorEntry {
            descriptor: get_u32(entry, 0),
            kind: get_u32(entry, 4),
            server: get_u32(entry, 8),
            status: get_u32(entry, 12),
            object: get_u64(entry, 16),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip() {
        let mut buffer = [0u8; 512];
        let arguments: [&[u8]; 3] = [b"child", b"--exit", b"42"];
        let environment: [&[u8]; 2] = [b"PATH=/bin", b"EMPTY="];
        let descriptors = [
            DescriptorEntry {
                descriptor: 0,
                kind: DESCRIPTOR_CONSOLE,
                server: 0,
                status: 0,
                object: 0,
            },
            DescriptorEntry {
                descriptor: 5,
                kind: DESCRIPTOR_SERVER,
                server: 3,
                status: 0,
                object: 77,
            },
        ];
        let length = encode(
            &mut buffer,
            arguments.iter().copied(),
            environment.iter().copied(),
            &descriptors,
            InheritedSignals { mask: 1 << 1, ignored: 1 << 12 },
        )
        .unwrap();
        let block = StartBlock::parse(&buffer[..length]).unwrap();
        assert_eq!(block.signals(), InheritedSignals { mask: 1 << 1, ignored: 1 << 12 });
        assert!(block.arguments().eq(arguments.iter().copied()));
        assert!(block.environment().eq(environment.iter().copied()));
        assert!(block.descriptors().eq(descriptors.iter().copied()));
    }

    #[test]
    fn bad_blocks_are_refused() {
        let mut buffer = [0u8; 80];
        let none: [&[u8]; 0] = [];
        let signals = InheritedSignals::default();
        assert_eq!(
            encode(
                &mut buffer,
                [b"a\0b".as_slice()].into_iter(),
                none.iter().copied(),
                &[],
                signals
            ),
            Err(StartBlockError::NulInString)
        );
        assert_eq!(
            encode(
                &mut buffer,
                [[b'x'; 40].as_slice(), [b'y'; 40].as_slice()].into_iter(),
                none.iter().copied(),
                &[],
                signals
            ),
            Err(StartBlockError::TooLarge)
        );
        let length =
            encode(&mut buffer, [b"ok".as_slice()].into_iter(), none.iter().copied(), &[], signals)
                .unwrap();
        assert_eq!(
            StartBlock::parse(&buffer[..length - 1]).unwrap_err(),
            StartBlockError::Truncated
        );
        let mut bad = buffer;
        bad[0] ^= 1;
        assert_eq!(StartBlock::parse(&bad[..length]).unwrap_err(), StartBlockError::BadHeader);
        let mut no_terminator = buffer;
        no_terminator[length - 1] = b'!';
        assert_eq!(
            StartBlock::parse(&no_terminator[..length]).unwrap_err(),
            StartBlockError::BadStrings
        );
        // Any corruption is refused or read consistently, never a panic.
        for index in 0..length {
            for flip in [1u8, 0x80, 0xff] {
                let mut corrupted = buffer;
                corrupted[index] ^= flip;
                if let Ok(block) = StartBlock::parse(&corrupted[..length]) {
                    let _ = block.arguments().count() + block.environment().count();
                    let _ = block.descriptors().count();
                }
            }
        }
    }
}
