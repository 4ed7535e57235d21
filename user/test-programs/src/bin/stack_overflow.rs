//! stack-overflow: recurses until the stack runs into its guard page.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

/// Recurses with a frame the optimiser cannot remove; the stack (256 KiB) runs out long
/// before `depth` could reach its limit.
fn recurse(depth: u64, frame: &[u8; 512]) -> u64 {
    if depth == u64::MAX {
        return 0;
    }
    let mut next = [0u8; 512];
    next[(depth % 512) as usize] = frame[(depth % 511) as usize].wrapping_add(1);
    let below = recurse(depth + 1, core::hint::black_box(&next));
    below.wrapping_add(u64::from(next[0]))
}

fn main() -> i32 {
    libsys::println!("stack-overflow: recursing");
    let total = recurse(0, &[0; 512]);
    libsys::println!("stack-overflow: returned {total}");
    1
}
