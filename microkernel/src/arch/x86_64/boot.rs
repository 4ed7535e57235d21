//! x86_64 entry points: QEMU's PVH entry (32-bit) and Limine's entry (64-bit).
//!
//! PVH: QEMU reads the physical entry address from the `XEN_ELFNOTE_PHYS32_ENTRY` note and
//! starts `pvh_entry32` in 32-bit protected mode, paging off, `ebx` = physical address of
//! `hvm_start_info`. The stub zeroes `.bss`, builds early page tables that map the first
//! 4 GiB three times (identity, the direct map at [`super::DIRECT_MAP_BASE`], and the
//! kernel image at `0xffffffff80000000`) with 2 MiB pages, enables long mode and jumps to
//! the kernel's virtual addresses. [`pvh_main`] then reads the start info through the
//! direct map.
//!
//! Limine: the bootloader enters `limine_entry` (the ELF entry) in 64-bit mode on its own
//! page tables; the stub switches to the kernel's boot stack and calls `crate::boot::limine`.

use crate::boot::{self, KernelImage};
use crate::mm::kernel_space;
use crate::mm::physical::DirectMapReader;

/// Physical address the PVH loader places the kernel at (`KERNEL_LOAD_ADDRESS` in
/// `kernel.ld`).
const KERNEL_LOAD_ADDRESS: u64 = 0x20_0000;

/// How much physical memory the PVH early page tables map (the direct map covers it too).
const EARLY_MAPPED_MEMORY: u64 = 4 << 30;

core::arch::global_asm!(
    // The PVH ELF note: name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY, a 64-bit physical entry
    // address (QEMU reads a pointer-sized value for ELF64).
    ".section .note.pvh, \"a\", @note",
    ".balign 4",
    ".long 4",
    ".long 8",
    ".long {note_type}",
    ".asciz \"Xen\"",
    ".balign 4",
    ".quad __pvh_entry32_physical",

    ".section .rodata.pvh_gdt, \"a\"",
    ".balign 16",
    ".global pvh_gdt",
    "pvh_gdt:",
    ".quad 0",
    ".quad 0x00af9a000000ffff", // 0x08: 64-bit kernel code
    ".quad 0x00cf92000000ffff", // 0x10: kernel data
    ".global pvh_gdt_pointer",
    "pvh_gdt_pointer:",
    ".word 23",
    ".long __pvh_gdt_physical",

    // PML4, PDPT (low), PDPT (high), four page directories.
    ".section .bss.pvh_page_tables, \"aw\", @nobits",
    ".balign 4096",
    ".global pvh_page_tables",
    "pvh_page_tables:",
    ".skip 7 * 4096",

    ".section .text.boot, \"ax\"",
    ".code32",
    ".global pvh_entry32",
    "pvh_entry32:",
    "    cli",
    "    cld",
    "    mov esi, ebx",
    // Zero .bss (QEMU loads only the file-backed part of the segment).
    "    mov edi, offset __bss_start_physical",
    "    mov ecx, offset __bss_end_physical",
    "    sub ecx, edi",
    "    shr ecx, 2",
    "    xor eax, eax",
    "    rep stosd",
    "    mov esp, offset __kernel_stack_top_physical",
    // Early page tables.
    "    mov edi, offset __pvh_page_tables_physical",
    "    lea eax, [edi + 0x1003]",
    "    mov [edi], eax",                // PML4[0]   -> PDPT low (identity)
    "    mov [edi + 256 * 8], eax",      // PML4[256] -> PDPT low (direct map)
    "    lea eax, [edi + 0x2003]",
    "    mov [edi + 511 * 8], eax",      // PML4[511] -> PDPT high (kernel image)
    "    lea eax, [edi + 0x3003]",
    "    mov [edi + 0x1000], eax",       // PDPT low[0..4] -> PD0..PD3
    "    mov [edi + 0x2000 + 510 * 8], eax", // PDPT high[510] -> PD0 (first GiB)
    "    lea eax, [edi + 0x4003]",
    "    mov [edi + 0x1008], eax",
    "    lea eax, [edi + 0x5003]",
    "    mov [edi + 0x1010], eax",
    "    lea eax, [edi + 0x6003]",
    "    mov [edi + 0x1018], eax",
    "    lea ebx, [edi + 0x3000]",
    "    xor ecx, ecx",
    ".Lpvh_fill_directory:",
    "    mov eax, ecx",
    "    shl eax, 21",
    "    or eax, 0x83",                  // present, writable, 2 MiB page
    "    mov [ebx + ecx * 8], eax",
    "    inc ecx",
    "    cmp ecx, 2048",
    "    jb .Lpvh_fill_directory",
    "    mov eax, cr4",
    "    or eax, 1 << 5",                // PAE
    "    mov cr4, eax",
    "    mov cr3, edi",
    "    mov ecx, 0xc0000080",           // EFER
    "    rdmsr",
    "    or eax, 1 << 8",                // long mode enable
    "    wrmsr",
    "    mov eax, cr0",
    "    or eax, 0x80010001",            // paging, write protect, protected mode
    "    mov cr0, eax",
    "    lgdt [__pvh_gdt_pointer_physical]",
    "    mov eax, 0x08",
    "    push eax",
    "    mov eax, offset __pvh_entry64_physical",
    "    push eax",
    "    retf",

    ".code64",
    ".global pvh_entry64",
    "pvh_entry64:",
    "    mov ax, 0x10",
    "    mov ds, ax",
    "    mov es, ax",
    "    mov ss, ax",
    "    xor eax, eax",
    "    mov fs, ax",
    "    mov gs, ax",
    "    movabs rax, offset .Lpvh_entry_high",
    "    jmp rax",
    ".Lpvh_entry_high:",
    "    lea rsp, [rip + __kernel_stack_top]",
    "    xor ebp, ebp",
    "    mov edi, esi",
    "    call {pvh_main}",
    "    ud2",

    ".global limine_entry",
    "limine_entry:",
    "    cli",
    "    lea rsp, [rip + __kernel_stack_top]",
    "    xor ebp, ebp",
    "    call {limine_main}",
    "    ud2",
    ".text",
    note_type = const boot::pvh::ELF_NOTE_PHYS32_ENTRY,
    pvh_main = sym pvh_main,
    limine_main = sym limine_main,
);

/// Continues the PVH boot in 64-bit mode on the early page tables.
extern "C" fn pvh_main(start_info: u32) -> ! {
    let entry_counter = super::read_counter();
    super::serial::initialize();
    let (virtual_base, size) = kernel_space::kernel_image_extent();
    let kernel = KernelImage { physical_base: KERNEL_LOAD_ADDRESS, virtual_base, size };
    // SAFETY: the PVH stub mapped physical [0, 4 GiB) at DIRECT_MAP_BASE, and those page
    // tables stay active until the kernel switches to its own, after the reader is gone.
    let reader = unsafe { DirectMapReader::new(super::DIRECT_MAP_BASE, EARLY_MAPPED_MEMORY) };
    let result = boot::pvh::collect(&reader, u64::from(start_info), super::DIRECT_MAP_BASE, kernel);
    crate::kernel::boot(result, entry_counter)
}

/// Continues a Limine boot on the bootloader's page tables.
extern "C" fn limine_main() -> ! {
    let entry_counter = super::read_counter();
    super::serial::initialize();
    let (_, size) = kernel_space::kernel_image_extent();
    crate::kernel::boot(boot::limine::collect(size), entry_counter)
}
