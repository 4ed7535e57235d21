//! ipc-helper: the peer processes ipc-test spawns, one program with a role per spawn argument.
//!
//! The spawn argument names the role and an index (see `protocol.rs`); handle 1 is the
//! gate to ipc-test, handle 2 (for most roles) what the role works on. A helper passes the
//! gate, plays its role and exits 0 when every check it makes held; on a failure it prints
//! one `ipc-helper: ...` line saying what went wrong and exits with a status from
//! `protocol.rs` that ipc-test reports.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

#[allow(dead_code, reason = "the two programs each use part of the shared protocol")]
#[path = "../protocol.rs"]
mod protocol;

use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

use libsys::KernelError;
use libsys::abi::Handle;
use libsys::abi::ipc::{LEASE_READ, LEASE_WRITE, RECEIVED_EXTENDED, ReceiveDescriptor};
use libsys::abi::process::UpcallInfo;
use libsys::ipc::{Endpoint, ReceivedKind, ReplyId, lease_read, lease_write, reply, reply_receive};
use libsys::memory::{MAP_READ, MAP_WRITE, MemoryObject, unmap};

use protocol::{
    DEFERRED_ANSWER_ORDER, DEFERRED_CALLS, DEFERRED_FACTOR, EXIT_BAD_START, EXIT_CALL_FAILED,
    EXIT_CHECK_FAILED, EXIT_GATE_FAILED, EXIT_SUCCESS, EXIT_WRITE_NOT_STOPPED, GATE_HANDLE,
    LABEL_BLOCKED_CALL, LABEL_DEFERRED_ANSWER, LABEL_DEFERRED_REQUEST, LABEL_ECHO, LABEL_ECHOED,
    LABEL_EXIT, LABEL_GO, LABEL_INTERRUPTED, LABEL_PING, LABEL_PONG, LABEL_READY, LABEL_REPORT,
    LABEL_SPINNING, LABEL_UNKNOWN, LABEL_UPPERCASE, LEASE_CHECKS_FAILED, LEASE_CHECKS_HELD,
    LEASE_OUTPUT_LENGTH, LEASE_TEXT_LENGTH, MEMORY_SIZE, UPCALL_DURING_CALL, UPCALL_WHILE_RUNNING,
    UPCALL_WORDS, WAIT_TIMEOUT, WORK_HANDLE,
};

libsys::main!(main);

/// Set by the recording upcall handler when an upcall arrived.
static UPCALL_ARRIVED: AtomicBool = AtomicBool::new(false);
/// The words of the last upcall.
static UPCALL_WORDS_SEEN: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// `UpcallInfo::interrupted` of the last upcall.
static UPCALL_INTERRUPTED: AtomicU32 = AtomicU32::new(u32::MAX);
/// Set by the pattern role's handler after it clobbered the registers.
static PATTERN_FLAG: AtomicU8 = AtomicU8::new(0);

/// A helper's outcome: `Err` carries the exit status of a failure (already printed).
type Outcome = Result<(), i32>;

/// Turns a failed system call into a printed line and [`EXIT_CALL_FAILED`].
trait OrExit<T> {
    /// The value, or the exit status after printing `what` failed.
    fn or_exit(self, what: &str) -> Result<T, i32>;
}

impl<T> OrExit<T> for Result<T, KernelError> {
    fn or_exit(self, what: &str) -> Result<T, i32> {
        self.map_err(|error| {
            libsys::println!("ipc-helper: {what}: {error:?}");
            EXIT_CALL_FAILED
        })
    }
}

/// Prints why a check failed and returns [`EXIT_CHECK_FAILED`] as the error.
fn check_failed(arguments: core::fmt::Arguments<'_>) -> Outcome {
    libsys::println!("ipc-helper: {arguments}");
    Err(EXIT_CHECK_FAILED)
}

fn main() -> i32 {
    let argument = libsys::runtime::argument();
    let role = protocol::role_of(argument);
    let index = protocol::index_of(argument);
    if libsys::runtime::initial_handle_count() < usize::from(GATE_HANDLE) {
        libsys::println!("ipc-helper: started without handles (ipc-test starts it with a role)");
        return EXIT_BAD_START;
    }
    let gate = Endpoint(Handle::initial(GATE_HANDLE));
    if let Err(status) = call_gate(&gate, LABEL_READY, argument as u64) {
        return status;
    }
    let outcome = match role {
        protocol::ROLE_ECHO => echo(),
        protocol::ROLE_DEFERRED => deferred_server(&gate),
        protocol::ROLE_CLIENT => deferred_client(index),
        protocol::ROLE_LEASE => lease_server(),
        protocol::ROLE_MEMORY_READER => memory_reader(),
        protocol::ROLE_MEMORY_WRITER => memory_writer(),
        protocol::ROLE_EXIT_WITH_STATUS => return protocol::CHOSEN_EXIT_STATUS,
        protocol::ROLE_SLEEPER => {
            // ipc-test kills the sleeper; if it wakes up anyway, it simply ends.
            let _ = libsys::time::sleep(protocol::SLEEPER_DURATION);
            Ok(())
        }
        protocol::ROLE_UPCALL_SPIN => upcall_spin(&gate),
        protocol::ROLE_UPCALL_CALLER => upcall_caller(),
        protocol::ROLE_PATTERN => register_pattern(&gate),
        _ => {
            libsys::println!("ipc-helper: unknown role in argument {argument}");
            Err(EXIT_BAD_START)
        }
    };
    match outcome {
        Ok(()) => EXIT_SUCCESS,
        Err(status) => status,
    }
}

/// Calls the gate with `label` and `word`; ipc-test must answer [`LABEL_GO`].
fn call_gate(gate: &Endpoint, label: u32, word: u64) -> Outcome {
    let answer = gate.call(label, [word, 0, 0, 0]).or_exit("calling the gate")?;
    if answer.label != LABEL_GO {
        libsys::println!("ipc-helper: the gate answered label {} to label {label}", answer.label);
        return Err(EXIT_GATE_FAILED);
    }
    Ok(())
}

/// Handle 2, after checking the spawner passed it.
fn work_handle() -> Result<Handle, i32> {
    if libsys::runtime::initial_handle_count() < usize::from(WORK_HANDLE) {
        libsys::println!("ipc-helper: this role needs a second handle");
        return Err(EXIT_BAD_START);
    }
    Ok(Handle::initial(WORK_HANDLE))
}

/// The echo server's loop, one `reply_receive` per round trip.
fn echo() -> Outcome {
    let endpoint = Endpoint(work_handle()?);
    let mut pending: Option<(ReplyId, u32, [u64; 4])> = None;
    loop {
        let received = match pending.take() {
            // `ReplyReceive` reads reply id 0 as "no reply", but 0 is a valid id (the first
            // slot's first generation): answer it with a separate `Reply`.
            Some((reply_id, label, words)) if reply_id.0 == 0 => {
                reply(reply_id, label, words).or_exit("echo: answering reply 0")?;
                endpoint.receive_forever(None)
            }
            Some((reply_id, label, words)) => {
                reply_receive(Some(reply_id), label, words, &endpoint, None)
            }
            None => endpoint.receive_forever(None),
        }
        .or_exit("echo: receiving")?;
        if received.kind != ReceivedKind::Message {
            continue;
        }
        let reply_id = ReplyId(received.reply);
        match received.label {
            LABEL_ECHO => {
                let words = received.words.map(|word| word.wrapping_add(1));
                pending = Some((reply_id, LABEL_ECHOED, words));
            }
            LABEL_EXIT => {
                reply(reply_id, LABEL_EXIT, [0; 4]).or_exit("echo: answering exit")?;
                return Ok(());
            }
            other => pending = Some((reply_id, LABEL_UNKNOWN, [u64::from(other), 0, 0, 0])),
        }
    }
}

/// Takes [`DEFERRED_CALLS`] calls, answers them out of order, reports the orders.
fn deferred_server(gate: &Endpoint) -> Outcome {
    let endpoint = Endpoint(work_handle()?);
    let mut replies = [ReplyId(0); DEFERRED_CALLS];
    let mut first_words = [0u64; DEFERRED_CALLS];
    let mut badges_match = true;
    let mut count = 0;
    while count < DEFERRED_CALLS {
        let received = endpoint.receive(None, WAIT_TIMEOUT).or_exit("deferred: receiving")?;
        if received.kind != ReceivedKind::Message {
            continue;
        }
        if received.label != LABEL_DEFERRED_REQUEST {
            let words = [u64::from(received.label), 0, 0, 0];
            reply(ReplyId(received.reply), LABEL_UNKNOWN, words)
                .or_exit("deferred: answering an unknown label")?;
            continue;
        }
        replies[count] = ReplyId(received.reply);
        first_words[count] = received.words[0];
        badges_match &= received.badge == received.words[0];
        count += 1;
    }
    let mut answered = [0u64; DEFERRED_CALLS];
    for (position, &which) in DEFERRED_ANSWER_ORDER.iter().enumerate() {
        let words = [first_words[which].wrapping_mul(DEFERRED_FACTOR), 0, 0, 0];
        reply(replies[which], LABEL_DEFERRED_ANSWER, words).or_exit("deferred: answering")?;
        answered[position] = first_words[which];
    }
    let report = [
        protocol::pack_order(first_words),
        protocol::pack_order(answered),
        u64::from(badges_match),
        0,
    ];
    let answer = gate.call(LABEL_REPORT, report).or_exit("deferred: reporting")?;
    if answer.label != LABEL_GO {
        libsys::println!("ipc-helper: deferred: the gate answered label {}", answer.label);
        return Err(EXIT_GATE_FAILED);
    }
    Ok(())
}

/// Calls the deferred server once and checks the answer.
fn deferred_client(index: usize) -> Outcome {
    let server = Endpoint(work_handle()?);
    let word = index as u64 + 1;
    let answer = server
        .call(LABEL_DEFERRED_REQUEST, [word, 0, 0, 0])
        .or_exit("client: calling the deferred server")?;
    let expected = word * DEFERRED_FACTOR;
    if answer.label != LABEL_DEFERRED_ANSWER || answer.words[0] != expected {
        return check_failed(format_args!(
            "client {index}: answer label {} word {}, expected label {LABEL_DEFERRED_ANSWER} \
             word {expected}",
            answer.label, answer.words[0]
        ));
    }
    Ok(())
}

/// Serves lease requests, pings and exit.
fn lease_server() -> Outcome {
    let endpoint = Endpoint(work_handle()?);
    loop {
        let mut descriptor = ReceiveDescriptor::default();
        let received =
            endpoint.receive(Some(&mut descriptor), WAIT_TIMEOUT).or_exit("lease: receiving")?;
        if received.kind != ReceivedKind::Message {
            continue;
        }
        let reply_id = ReplyId(received.reply);
        match received.label {
            LABEL_UPPERCASE => {
                let (copied, failures) = uppercase(reply_id, received.flags, &descriptor);
                let label = if failures == 0 { LEASE_CHECKS_HELD } else { LEASE_CHECKS_FAILED };
                reply(reply_id, label, [copied, failures, 0, 0]).or_exit("lease: answering")?;
            }
            LABEL_PING => {
                let words = [received.words[0].wrapping_add(1), 0, 0, 0];
                reply(reply_id, LABEL_PONG, words).or_exit("lease: answering a ping")?;
            }
            LABEL_EXIT => {
                reply(reply_id, LABEL_EXIT, [0; 4]).or_exit("lease: answering exit")?;
                return Ok(());
            }
            other => {
                let words = [u64::from(other), 0, 0, 0];
                reply(reply_id, LABEL_UNKNOWN, words).or_exit("lease: answering")?;
            }
        }
    }
}

/// Reads the text lease, writes it upper-cased into the output lease and probes the lease
/// checks. Returns the bytes written and the bits of the failed checks (bit `n` is
/// `protocol::LEASE_CHECK_NAMES[n]`).
fn uppercase(reply_id: ReplyId, flags: u8, descriptor: &ReceiveDescriptor) -> (u64, u64) {
    let mut failures = 0u64;
    let mut fail = |check: u32| failures |= 1 << check;
    let text_length = LEASE_TEXT_LENGTH as u64;
    let output_length = LEASE_OUTPUT_LENGTH as u64;
    let [text_lease, output_lease, ..] = descriptor.leases;
    let described = descriptor.lease_count == 2
        && text_lease.length == text_length
        && text_lease.rights == LEASE_READ
        && output_lease.length == output_length
        && output_lease.rights == LEASE_READ | LEASE_WRITE;
    if !described {
        fail(0);
    }
    let mut text = [0u8; LEASE_TEXT_LENGTH];
    let read = lease_read(reply_id, 0, 0, &mut text);
    if read != Ok(LEASE_TEXT_LENGTH) {
        fail(1);
    }
    let length = read.unwrap_or(0).min(LEASE_TEXT_LENGTH);
    text[..length].make_ascii_uppercase();
    let written = lease_write(reply_id, 1, 0, &text[..length]);
    if written != Ok(LEASE_TEXT_LENGTH) {
        fail(2);
    }
    let mut scratch = [0u8; 16];
    if lease_read(reply_id, 5, 0, &mut scratch) != Err(KernelError::LeaseViolation) {
        fail(3);
    }
    if lease_write(reply_id, 0, 0, b"no") != Err(KernelError::LeaseViolation) {
        fail(4);
    }
    let past_end = LEASE_TEXT_LENGTH + 1;
    if lease_read(reply_id, 0, past_end, &mut scratch) != Err(KernelError::LeaseViolation) {
        fail(5);
    }
    if lease_read(reply_id, 0, LEASE_TEXT_LENGTH, &mut scratch) != Ok(0) {
        fail(6);
    }
    // 16 bytes asked for, 8 left before the end.
    if lease_read(reply_id, 0, LEASE_TEXT_LENGTH - 8, &mut scratch) != Ok(8) {
        fail(7);
    }
    if flags & RECEIVED_EXTENDED == 0 {
        fail(8);
    }
    (written.unwrap_or(0) as u64, failures)
}

/// The memory object handed over, after checking its size.
fn shared_object() -> Result<MemoryObject, i32> {
    let object = MemoryObject(work_handle()?);
    let (size, _) = object.info().or_exit("memory: reading the object's size")?;
    if size != MEMORY_SIZE {
        libsys::println!("ipc-helper: memory: the object is {size} bytes, expected {MEMORY_SIZE}");
        return Err(EXIT_CHECK_FAILED);
    }
    Ok(object)
}

/// Checks the pattern through a read-only mapping and that a writable one is refused.
fn memory_reader() -> Outcome {
    let object = shared_object()?;
    let mapping = object.map(0, 0, MEMORY_SIZE, MAP_READ).or_exit("reader: mapping read-only")?;
    for index in 0..MEMORY_SIZE / 8 {
        let expected = protocol::pattern_word(index);
        let found = mapping.read_word(index * 8);
        if found != Some(expected) {
            return check_failed(format_args!(
                "reader: word {index} is {found:x?}, expected {expected:#x}"
            ));
        }
    }
    match object.map(0, 0, MEMORY_SIZE, MAP_READ | MAP_WRITE) {
        Err(KernelError::InsufficientRights) => {}
        Err(error) => {
            return check_failed(format_args!(
                "reader: a writable mapping failed with {error:?}, expected InsufficientRights"
            ));
        }
        Ok(writable) => {
            let _ = unmap(writable);
            return check_failed(format_args!("reader: a writable mapping was allowed"));
        }
    }
    unmap(mapping).or_exit("reader: unmapping")
}

/// Writes through a read-only mapping: the kernel must kill this process.
fn memory_writer() -> Outcome {
    let object = shared_object()?;
    let mapping = object.map(0, 0, MEMORY_SIZE, MAP_READ).or_exit("writer: mapping read-only")?;
    let inside = mapping.write_word(0, !protocol::pattern_word(0));
    libsys::println!(
        "ipc-helper: writer: a write through a read-only mapping (inside: {inside}) was not stopped"
    );
    Err(EXIT_WRITE_NOT_STOPPED)
}

/// Upcall handler: records the upcall's words and why the thread was stopped.
fn record_upcall(information: &UpcallInfo) {
    for (seen, &word) in UPCALL_WORDS_SEEN.iter().zip(&information.words) {
        seen.store(word, Ordering::Relaxed);
    }
    UPCALL_INTERRUPTED.store(information.interrupted, Ordering::Relaxed);
    UPCALL_ARRIVED.store(true, Ordering::Release);
}

/// Checks the recorded upcall came with [`UPCALL_WORDS`] and `interrupted`.
fn check_recorded_upcall(role: &str, interrupted: u32) -> Outcome {
    let words = UPCALL_WORDS_SEEN.each_ref().map(|word| word.load(Ordering::Relaxed));
    let seen_interrupted = UPCALL_INTERRUPTED.load(Ordering::Relaxed);
    if words != UPCALL_WORDS || seen_interrupted != interrupted {
        return check_failed(format_args!(
            "{role}: the upcall came with words {words:?} and interrupted {seen_interrupted}, \
             expected {UPCALL_WORDS:?} and {interrupted}"
        ));
    }
    Ok(())
}

/// Computes until the upcall arrives (at most `SPIN_LIMIT`).
fn upcall_spin(gate: &Endpoint) -> Outcome {
    libsys::upcall::register(record_upcall).or_exit("upcall-spin: registering the handler")?;
    call_gate(gate, LABEL_SPINNING, 0)?;
    let start = libsys::time::monotonic();
    let mut rounds = 0u64;
    while !UPCALL_ARRIVED.load(Ordering::Acquire) {
        if libsys::time::monotonic().saturating_sub(start) > protocol::SPIN_LIMIT {
            return check_failed(format_args!(
                "upcall-spin: no upcall within {:?} ({rounds} rounds)",
                protocol::SPIN_LIMIT
            ));
        }
        rounds = core::hint::black_box(rounds + 1);
    }
    check_recorded_upcall("upcall-spin", UPCALL_WHILE_RUNNING)
}

/// Calls ipc-test, which holds the call and posts an upcall: the call must come back
/// with [`LABEL_INTERRUPTED`] after the handler ran.
fn upcall_caller() -> Outcome {
    let endpoint = Endpoint(work_handle()?);
    libsys::upcall::register(record_upcall).or_exit("upcall-caller: registering the handler")?;
    let answer = endpoint
        .call(LABEL_BLOCKED_CALL, [0xb10c, 0, 0, 0])
        .or_exit("upcall-caller: the blocked call")?;
    if answer.label != LABEL_INTERRUPTED {
        return check_failed(format_args!(
            "upcall-caller: the call returned label {}, expected {LABEL_INTERRUPTED}",
            answer.label
        ));
    }
    if !UPCALL_ARRIVED.load(Ordering::Acquire) {
        return check_failed(format_args!("upcall-caller: the call returned but no upcall ran"));
    }
    check_recorded_upcall("upcall-caller", UPCALL_DURING_CALL)
}

/// Upcall handler of the pattern role: clobbers every register, then sets the flag the
/// register-pattern loop waits for.
fn clobber_and_flag(_information: &UpcallInfo) {
    libsys::arch::clobber_registers();
    PATTERN_FLAG.store(1, Ordering::Release);
}

/// Holds a register pattern across an upcall whose handler clobbers the registers.
fn register_pattern(gate: &Endpoint) -> Outcome {
    libsys::upcall::register(clobber_and_flag).or_exit("pattern: registering the handler")?;
    call_gate(gate, LABEL_SPINNING, 0)?;
    if libsys::arch::registers_survive_upcall(&PATTERN_FLAG) {
        Ok(())
    } else {
        check_failed(format_args!("pattern: a register changed across the upcall"))
    }
}
