//! true: exits with status 0 and does nothing else (the minimal program spawn-bench
//! starts).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

libsys::main!(main);

fn main() -> i32 {
    0
}
