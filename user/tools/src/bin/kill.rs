//! kill: sends a signal to processes or process groups.
//!
//! `kill [-SIGNAL | -s SIGNAL] pid|-pgid ...` (default SIGTERM; names with or without
//! `SIG`, or numbers); `kill -l` lists the signal names.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use courier_tools::{arguments, parse_signal};
use libsys::abi::signal::{SIGNAL_MAX, SIGTERM, name};
use libsys::{eprintln, print, println, proc};

libsys::main!(main);

fn main() -> i32 {
    let arguments = arguments();
    let mut signal = SIGTERM;
    let mut rest = arguments.as_slice();
    match rest.first().copied() {
        Some("-l") => {
            for number in 1..=SIGNAL_MAX {
                if let Some(name) = name(number) {
                    print!("{number}) {name}  ");
                }
            }
            println!();
            return 0;
        }
        Some("-s") => {
            let Some(parsed) = rest.get(1).and_then(|text| parse_signal(text)) else {
                eprintln!("kill: -s needs a signal name or number");
                return 2;
            };
            signal = parsed;
            rest = &rest[2..];
        }
        Some(option) if option.starts_with('-') && option.parse::<i32>().is_err() => {
            let Some(parsed) = parse_signal(&option[1..]) else {
                eprintln!("kill: {}: invalid signal", &option[1..]);
                return 2;
            };
            signal = parsed;
            rest = &rest[1..];
        }
        Some(option) if option.starts_with('-') && rest.len() > 1 => {
            // `-9 pid`: a signal number.
            let Some(parsed) = parse_signal(&option[1..]) else {
                eprintln!("kill: {}: invalid signal", &option[1..]);
                return 2;
            };
            signal = parsed;
            rest = &rest[1..];
        }
        _ => {}
    }
    if rest.is_empty() {
        eprintln!("usage: kill [-SIGNAL | -s SIGNAL] pid|-pgid ...  (kill -l lists signals)");
        return 2;
    }
    let mut code = 0;
    for target in rest {
        match target.parse::<i32>() {
            Ok(pid) => {
                if let Err(error) = proc::kill(pid, signal) {
                    eprintln!("kill: ({pid}): {error}");
                    code = 1;
                }
            }
            Err(_) => {
                eprintln!("kill: {target}: arguments must be process or group ids");
                code = 1;
            }
        }
    }
    code
}
