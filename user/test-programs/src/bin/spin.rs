//! spin: computes for a while so that timer interrupts arrive while it runs in user mode,
//! then checks that its registers survived them.
//!
//! The loop sums `0..ITERATIONS` through an optimisation barrier and compares the result
//! with the closed form; an interrupt that corrupted a register would make them differ.
//! The kernel reports how many interrupts the program took.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

/// Enough iterations to run for a few timer periods under QEMU's emulation.
const ITERATIONS: u64 = 20_000_000;

fn main() -> i32 {
    let mut sum: u64 = 0;
    let mut mixed: u64 = 0x9e37_79b9_7f4a_7c15;
    for index in 0..ITERATIONS {
        sum = sum.wrapping_add(core::hint::black_box(index));
        mixed = mixed.rotate_left(5) ^ index;
    }
    let expected = ITERATIONS * (ITERATIONS - 1) / 2;
    let mut check: u64 = 0x9e37_79b9_7f4a_7c15;
    for index in 0..ITERATIONS {
        check = check.rotate_left(5) ^ core::hint::black_box(index);
    }
    if sum == expected && mixed == check {
        libsys::println!("spin: {ITERATIONS} iterations, sums agree");
        0
    } else {
        libsys::println!("spin: sums differ: {sum} != {expected} or {mixed:#x} != {check:#x}");
        1
    }
}
