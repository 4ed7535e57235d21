//! The protocol between ipc-test and ipc-helper: roles, spawn arguments, handle positions,
//! labels, exit statuses and the values both sides check.
//!
//! Both programs include this file as a module (`#[path = "../protocol.rs"]`), so every
//! number the two sides must agree on is written once, here.
//!
//! # Starting a helper
//!
//! ipc-test spawns `ipc-helper` with the spawn argument [`spawn_argument`]`(role, index)`,
//! that is `role + ROLE_STRIDE * index`: the role says what the helper does, the index
//! tells helpers of the same role apart (the clients of the deferred-replies case).
//!
//! Handle 1 ([`GATE_HANDLE`]) is always a send handle to ipc-test's notice endpoint, the
//! *gate*. A helper's first act is to call the gate with [`LABEL_READY`] and its argument;
//! ipc-test answers [`LABEL_GO`] only after it has set up a death watch on the helper, so
//! no helper can end before ipc-test watches it. Helpers that must be running a particular
//! loop when ipc-test posts an upcall call the gate again with [`LABEL_SPINNING`] just
//! before entering it. Handle 2 ([`WORK_HANDLE`]), when there is one, is the object the role
//! works on.

use core::time::Duration;

/// The program image of the helper.
pub const HELPER_PROGRAM: &str = "ipc-helper";

/// How long either side waits on an endpoint before giving up, in nanoseconds: a message
/// that never comes fails the case instead of hanging it.
pub const WAIT_TIMEOUT: u64 = 5_000_000_000;

/// The spawn argument is `role + ROLE_STRIDE * index`.
pub const ROLE_STRIDE: usize = 100;

/// Echo server: answers [`LABEL_ECHO`] with [`LABEL_ECHOED`] and each word plus one; answers
/// [`LABEL_EXIT`] and exits 0. Handle 2: the endpoint (receive and send rights).
pub const ROLE_ECHO: usize = 1;
/// Deferred server: takes [`DEFERRED_CALLS`] calls, answers them in
/// [`DEFERRED_ANSWER_ORDER`] with the first word times [`DEFERRED_FACTOR`], reports the
/// orders to the gate with [`LABEL_REPORT`] and exits 0. Handle 2: the endpoint.
pub const ROLE_DEFERRED: usize = 2;
/// Client of the deferred server: calls once with word `index + 1` and exits 0 when the
/// answer is `(index + 1) * DEFERRED_FACTOR`, else 1. Handle 2: a send handle badged
/// `index + 1`.
pub const ROLE_CLIENT: usize = 3;
/// Lease server: checks the leases of a [`LABEL_UPPERCASE`] call and writes the text
/// upper-cased; answers [`LABEL_PING`] and [`LABEL_EXIT`]. Handle 2: the endpoint.
pub const ROLE_LEASE: usize = 4;
/// Maps the memory object read-only, checks [`pattern_word`]s and that a writable mapping
/// is refused; exits 0 if all held. Handle 2: the memory object (read and transfer rights).
pub const ROLE_MEMORY_READER: usize = 5;
/// Maps the memory object read-only and writes to it, which must kill it with a fault.
/// Handle 2: the memory object (read and transfer rights).
pub const ROLE_MEMORY_WRITER: usize = 6;
/// Exits with [`CHOSEN_EXIT_STATUS`] at once.
pub const ROLE_EXIT_WITH_STATUS: usize = 7;
/// Sleeps for [`SLEEPER_DURATION`] (ipc-test kills it long before).
pub const ROLE_SLEEPER: usize = 8;
/// Registers an upcall handler and computes until the upcall arrives (at most
/// [`SPIN_LIMIT`]); exits 0 when it came with [`UPCALL_WORDS`] while running.
pub const ROLE_UPCALL_SPIN: usize = 9;
/// Registers an upcall handler, then calls handle 2 with [`LABEL_BLOCKED_CALL`]; exits 0
/// when the call returns [`LABEL_INTERRUPTED`] and the handler ran for a cancelled call.
pub const ROLE_UPCALL_CALLER: usize = 10;
/// Registers a handler that clobbers every register, then waits in
/// `libsys::arch::registers_survive_upcall`; exits 0 when the registers survived.
pub const ROLE_PATTERN: usize = 11;

/// The spawn argument for helper `role` number `index`.
pub const fn spawn_argument(role: usize, index: usize) -> usize {
    role + ROLE_STRIDE * index
}

/// The role a spawn argument names.
pub const fn role_of(argument: usize) -> usize {
    argument % ROLE_STRIDE
}

/// The index a spawn argument carries.
pub const fn index_of(argument: usize) -> usize {
    argument / ROLE_STRIDE
}

/// A role's name, for messages.
pub const fn role_name(role: usize) -> &'static str {
    match role {
        ROLE_ECHO => "echo",
        ROLE_DEFERRED => "deferred",
        ROLE_CLIENT => "client",
        ROLE_LEASE => "lease",
        ROLE_MEMORY_READER => "memory-reader",
        ROLE_MEMORY_WRITER => "memory-writer",
        ROLE_EXIT_WITH_STATUS => "exit-with-status",
        ROLE_SLEEPER => "sleeper",
        ROLE_UPCALL_SPIN => "upcall-spin",
        ROLE_UPCALL_CALLER => "upcall-caller",
        ROLE_PATTERN => "pattern",
        _ => "unknown",
    }
}

/// Position of the gate handle among a helper's spawned handles.
pub const GATE_HANDLE: u16 = 1;
/// Position of the handle the role works on.
pub const WORK_HANDLE: u16 = 2;
/// The badge of the gate handle, checked on every gate call.
pub const GATE_BADGE: u64 = 0x6a7e;
/// The badge of the upcall caller's send handle.
pub const CALLER_BADGE: u64 = 0xca11;

/// Gate: a helper started (word 0: its spawn argument).
pub const LABEL_READY: u32 = 100;
/// Gate answer: go on.
pub const LABEL_GO: u32 = 101;
/// Gate: the helper registered its upcall handler and is about to spin waiting for it.
pub const LABEL_SPINNING: u32 = 102;
/// Gate: the deferred server's report (word 0: the first words in arrival order, word 1:
/// in answer order, both packed with [`pack_order`]; word 2: 1 if every badge matched).
pub const LABEL_REPORT: u32 = 103;

/// Echo request.
pub const LABEL_ECHO: u32 = 1;
/// Echo answer.
pub const LABEL_ECHOED: u32 = 2;
/// Asks a server to answer and exit (the answer has the same label).
pub const LABEL_EXIT: u32 = 3;
/// The answer to a call cancelled by an upcall (as EINTR).
pub const LABEL_INTERRUPTED: u32 = 4;
/// The call the upcall caller makes and ipc-test holds.
pub const LABEL_BLOCKED_CALL: u32 = 9;
/// A deferred-server request (word 0: the client's index plus one).
pub const LABEL_DEFERRED_REQUEST: u32 = 10;
/// A deferred-server answer (word 0: the request's word times [`DEFERRED_FACTOR`]).
pub const LABEL_DEFERRED_ANSWER: u32 = 11;
/// Lease request: lease 0 is [`LEASE_TEXT_LENGTH`] bytes of text to read, lease 1
/// [`LEASE_OUTPUT_LENGTH`] bytes to write the text upper-cased into.
pub const LABEL_UPPERCASE: u32 = 20;
/// Liveness request (word 0: a number).
pub const LABEL_PING: u32 = 21;
/// Liveness answer (word 0: the number plus one).
pub const LABEL_PONG: u32 = 22;
/// The answer to a label the server does not know (word 0: that label).
pub const LABEL_UNKNOWN: u32 = 0xffff;

/// Calls the deferred server takes before answering.
pub const DEFERRED_CALLS: usize = 3;
/// The order the deferred server answers its calls in (positions in arrival order).
pub const DEFERRED_ANSWER_ORDER: [usize; DEFERRED_CALLS] = [2, 0, 1];
/// The deferred server's answer is the request's word times this.
pub const DEFERRED_FACTOR: u64 = 100;

/// Packs three small words (below 2^16) into one.
pub const fn pack_order(order: [u64; DEFERRED_CALLS]) -> u64 {
    order[0] | (order[1] << 16) | (order[2] << 32)
}

/// Unpacks [`pack_order`].
pub const fn unpack_order(packed: u64) -> [u64; DEFERRED_CALLS] {
    [packed & 0xffff, (packed >> 16) & 0xffff, (packed >> 32) & 0xffff]
}

/// Length of the text lease.
pub const LEASE_TEXT_LENGTH: usize = 32;
/// Length of the output lease.
pub const LEASE_OUTPUT_LENGTH: usize = 64;
/// The lease server's answer label when every lease check held.
pub const LEASE_CHECKS_HELD: u32 = 0;
/// The lease server's answer label when a check failed (word 1: the failed checks' bits).
pub const LEASE_CHECKS_FAILED: u32 = 1;
/// The lease server's checks, one bit each in word 1 of its answer, by name.
pub const LEASE_CHECK_NAMES: [&str; 9] = [
    "the receive descriptor shows two leases of the right lengths and rights",
    "reading lease 0 copies the whole text",
    "writing lease 1 copies the whole text",
    "reading lease 5 fails with LeaseViolation",
    "writing read-only lease 0 fails with LeaseViolation",
    "reading past the end of lease 0 fails with LeaseViolation",
    "reading at the end of lease 0 copies nothing",
    "reading across the end of lease 0 copies only up to the end",
    "the message is flagged extended",
];

/// Size of the shared memory object.
pub const MEMORY_SIZE: usize = 2 * libsys::abi::layout::PAGE_SIZE;

/// The word ipc-test writes at word `index` of the shared memory object.
pub const fn pattern_word(index: usize) -> u64 {
    (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed_0000_0000_5eed
}

/// The exit status of [`ROLE_EXIT_WITH_STATUS`].
pub const CHOSEN_EXIT_STATUS: i32 = 7;
/// How long the sleeper sleeps.
pub const SLEEPER_DURATION: Duration = Duration::from_secs(60);
/// How long the upcall spinner waits for its upcall (less than [`WAIT_TIMEOUT`], so that it
/// reports a missing upcall itself).
pub const SPIN_LIMIT: Duration = Duration::from_secs(3);
/// The words ipc-test posts with every upcall.
pub const UPCALL_WORDS: [u64; 4] = [11, 22, 33, 44];
/// `UpcallInfo::interrupted` for a thread that was running (or ready) when the upcall came.
pub const UPCALL_WHILE_RUNNING: u32 = 0;
/// `UpcallInfo::interrupted` for a thread whose call was cancelled by the upcall.
pub const UPCALL_DURING_CALL: u32 = 1;

/// Helper exit status: every check held.
pub const EXIT_SUCCESS: i32 = 0;
/// Helper exit status: a check failed (the helper printed which).
pub const EXIT_CHECK_FAILED: i32 = 1;
/// Helper exit status: started without its handles or with an unknown role.
pub const EXIT_BAD_START: i32 = 2;
/// Helper exit status: the gate did not answer [`LABEL_GO`].
pub const EXIT_GATE_FAILED: i32 = 3;
/// Helper exit status: a system call failed unexpectedly (the helper printed which).
pub const EXIT_CALL_FAILED: i32 = 4;
/// Helper exit status: a write through a read-only mapping was not stopped.
pub const EXIT_WRITE_NOT_STOPPED: i32 = 5;

/// What a helper's exit status means, for messages.
pub const fn exit_meaning(status: u8) -> &'static str {
    match status as i32 {
        EXIT_SUCCESS => "success",
        EXIT_CHECK_FAILED => "a check failed",
        EXIT_BAD_START => "bad start: missing handles or unknown role",
        EXIT_GATE_FAILED => "the gate did not answer",
        EXIT_CALL_FAILED => "a system call failed",
        EXIT_WRITE_NOT_STOPPED => "a write through a read-only mapping was not stopped",
        CHOSEN_EXIT_STATUS => "the chosen status",
        libsys::runtime::PANIC_EXIT_STATUS => "panicked",
        _ => "unknown status",
    }
}
