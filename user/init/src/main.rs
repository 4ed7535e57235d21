//! init, pid 1: starts the servers, then the program named by `init=` on the kernel
//! command line (the shell, `sh`, when there is none), and reaps every child, orphans
//! included. When that program ends, init ends with its status, and proc then ends the
//! system.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use libsys::proc::{self, SpawnAttributes};
use libsys::{Errno, time};

libsys::main!(main);

/// Servers init starts before the program, in order, each with the service it offers:
/// init waits until the service is registered before starting the next (tmpfs uses the
/// pipe server for FIFOs).
const SERVERS: &[(&str, u64)] = &[
    ("pipe", libsys::abi::service::SERVICE_PIPE),
    ("tmpfs", libsys::abi::service::SERVICE_TMPFS),
    ("sysv", libsys::abi::service::SERVICE_SYSTEM_V),
];

/// How long a server may take to offer its service.
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `server` and waits until it offers `service` (or ends, or takes too long).
fn start_server(server: &str, service: u64) -> Result<(), String> {
    let pid = proc::spawn(server, &[server], &[], &[], &SpawnAttributes::default())
        .map_err(|error| format!("cannot start {server}: {error}"))?;
    let deadline = time::monotonic() + SERVER_START_TIMEOUT;
    loop {
        match libsys::service::connect(service) {
            Ok(_) => return Ok(()),
            Err(Errno::Enoent) => {}
            Err(error) => return Err(format!("cannot reach {server}: {error}")),
        }
        if let Ok((ended, status)) = proc::waitpid(pid, proc::WNOHANG)
            && ended == pid
        {
            return Err(format!("{server} {} before offering its service", describe(status)));
        }
        if time::monotonic() > deadline {
            return Err(format!(
                "{server} did not offer its service within {SERVER_START_TIMEOUT:?}"
            ));
        }
        let _ = time::nanosleep(Duration::from_millis(1));
    }
}

/// The program run when the command line names none: the shell on the console.
const DEFAULT_PROGRAM: &str = "sh";

/// The program and its arguments from `init=NAME` and `init.args="A B"` on the kernel
/// command line.
fn program_from_command_line() -> (String, Vec<String>) {
    let line = libsys::process::kernel_command_line().unwrap_or_default();
    let mut program = String::from(DEFAULT_PROGRAM);
    let mut arguments = Vec::new();
    for word in split_words(&line) {
        if let Some(name) = word.strip_prefix("init=") {
            program = String::from(name);
        } else if let Some(list) = word.strip_prefix("init.args=") {
            arguments =
                list.split(',').filter(|argument| !argument.is_empty()).map(String::from).collect();
        }
    }
    (program, arguments)
}

/// Splits a command line into words, keeping double-quoted parts together.
fn split_words(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (index, character) in line.char_indices() {
        match character {
            '"' => quoted = !quoted,
            ' ' | '\t' | '\n' if !quoted => {
                if let Some(begin) = start.take() {
                    words.push(&line[begin..index]);
                }
            }
            _ if start.is_none() => start = Some(index),
            _ => {}
        }
    }
    if let Some(begin) = start {
        words.push(&line[begin..]);
    }
    words
}

fn describe(status: i32) -> String {
    if proc::exited(status) {
        alloc::format!("exited with status {}", proc::exit_status(status))
    } else {
        let signal = proc::terminating_signal(status) as u32;
        let name = libsys::abi::signal::name(signal).unwrap_or("a signal");
        alloc::format!("killed by {name} (signal {signal})")
    }
}

fn main() -> i32 {
    for &(server, service) in SERVERS {
        if let Err(error) = start_server(server, service) {
            libsys::eprintln!("init: {error}");
        }
    }
    let (program, arguments) = program_from_command_line();
    let mut argv: Vec<&str> = Vec::with_capacity(arguments.len() + 1);
    argv.push(&program);
    argv.extend(arguments.iter().map(String::as_str));
    libsys::println!("init: starting {program}");
    let main_pid = match proc::spawn(&program, &argv, &[], &[], &SpawnAttributes::default()) {
        Ok(pid) => pid,
        Err(error) => {
            libsys::eprintln!("init: cannot start {program}: {error}");
            return 127;
        }
    };
    loop {
        match proc::wait() {
            Ok((pid, status)) if pid == main_pid => {
                libsys::println!("init: {program} (pid {pid}) {}", describe(status));
                return if proc::exited(status) {
                    proc::exit_status(status)
                } else {
                    128 + proc::terminating_signal(status)
                };
            }
            Ok(_) => {}
            Err(Errno::Eintr) => {}
            Err(error) => {
                libsys::eprintln!("init: wait failed: {error}");
                return 1;
            }
        }
    }
}
