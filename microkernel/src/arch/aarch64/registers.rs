//! System register values Courier programs at boot, with the meaning of each bit.

/// SCTLR_EL1 bits that are RES1 on ARMv8.0 (EOS, TSCXT, EIS, SPAN, nTLSMD, LSMAOE): they
/// must be written as 1 on processors without the features that give them meaning.
const SCTLR_RES1: u64 = (1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29);

/// SCTLR_EL1 with the MMU and caches off (the state EL2 hands to EL1).
pub const SCTLR_MMU_OFF: u64 = SCTLR_RES1;

/// SCTLR_EL1 for running: MMU (M), data and instruction caches (C, I), stack alignment
/// checks at EL1 and EL0 (SA, SA0), and for EL0: `dc zva` (DZE), `ctr_el0` reads (UCT),
/// `wfi`/`wfe` without trapping (nTWI, nTWE), cache maintenance by address (UCI).
pub const SCTLR_MMU_ON: u64 = SCTLR_RES1
    | (1 << 0)
    | (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 12)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 26);

/// MAIR_EL1 attribute index of normal write-back memory.
pub const ATTRIBUTE_NORMAL: u64 = 0;
/// MAIR_EL1 attribute index of device nGnRE memory.
pub const ATTRIBUTE_DEVICE: u64 = 1;

/// MAIR_EL1: index 0 normal inner/outer write-back read/write-allocate (0xff), index 1
/// device nGnRE (0x04), index 2 normal non-cacheable (0x44).
pub const MAIR: u64 = 0xff | (0x04 << 8) | (0x44 << 16);

/// TCR_EL1 without IPS and AS (filled in from ID_AA64MMFR0_EL1 at boot): 48-bit input
/// ranges for TTBR0 and TTBR1 (T0SZ = T1SZ = 16), 4 KiB granules, inner-shareable
/// write-back table walks, ASID from TTBR0.
pub const TCR: u64 = 16
    | (0b01 << 8)
    | (0b01 << 10)
    | (0b11 << 12)
    | (16 << 16)
    | (0b01 << 24)
    | (0b01 << 26)
    | (0b11 << 28)
    | (0b10 << 30);
