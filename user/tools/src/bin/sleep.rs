//! sleep: waits for a number of seconds (decimals allowed: `sleep 0.5`).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::time::Duration;

use courier_tools::arguments;
use libsys::eprintln;

libsys::main!(main);

/// `S` or `S.FFF` as a duration.
fn parse(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut nanoseconds = 0u32;
    let mut scale = 100_000_000u32;
    for digit in fraction.chars() {
        nanoseconds += digit.to_digit(10)? * scale;
        scale /= 10;
    }
    Some(Duration::new(seconds, nanoseconds))
}

fn main() -> i32 {
    let arguments = arguments();
    let [text] = arguments.as_slice() else {
        eprintln!("usage: sleep SECONDS");
        return 2;
    };
    let Some(duration) = parse(text) else {
        eprintln!("sleep: invalid time interval {text:?}");
        return 2;
    };
    let deadline = libsys::time::monotonic() + duration;
    loop {
        let now = libsys::time::monotonic();
        if now >= deadline {
            return 0;
        }
        let _ = libsys::time::nanosleep(deadline - now);
    }
}
