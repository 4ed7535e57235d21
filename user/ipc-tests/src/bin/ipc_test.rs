//! ipc-test: tests the kernel's IPC from user mode, with ipc-helper processes as its peers.
//!
//! Each case prints one line, `ipc-test: ok <case>` or `ipc-test: FAIL <case>: <reason>`;
//! then the program prints the kernel's statistics, checks that nothing it made is left
//! (the `cleanup` case), prints `ipc-test: N passed, N failed` and exits with 0 only when
//! every case passed.
//!
//! Every wait on an endpoint has a timeout (`protocol::WAIT_TIMEOUT`), so a message that
//! never comes fails its case instead of hanging the program. Helpers are started through
//! a [`Family`], which watches their deaths and kills whatever is still running when a
//! case ends, passed or failed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

#[allow(dead_code, reason = "the two programs each use part of the shared protocol")]
#[path = "../protocol.rs"]
mod protocol;

use core::fmt::{self, Write};
use core::time::Duration;

use libsys::KernelError;
use libsys::abi::ipc::{MessageDescriptor, Received};
use libsys::abi::process::ExitStatus;
use libsys::abi::{Handle, HandleKind, Rights};
use libsys::ipc::{Endpoint, Notification, ReceivedKind, ReplyId, lend, lend_mut, reply};
use libsys::memory::{MAP_READ, MAP_WRITE, Mapping, MemoryObject, unmap};
use libsys::process::{KernelStatistics, kernel_statistics};

use protocol::{
    CALLER_BADGE, DEFERRED_CALLS, GATE_BADGE, LABEL_BLOCKED_CALL, LABEL_ECHO, LABEL_ECHOED,
    LABEL_EXIT, LABEL_GO, LABEL_INTERRUPTED, LABEL_PING, LABEL_PONG, LABEL_READY, LABEL_REPORT,
    LABEL_SPINNING, LABEL_UPPERCASE, LEASE_CHECKS_HELD, LEASE_OUTPUT_LENGTH, LEASE_TEXT_LENGTH,
    MEMORY_SIZE, UPCALL_WORDS, WAIT_TIMEOUT,
};

libsys::main!(main);

/// Round trips of the ping-pong case.
const ROUNDS: u64 = 1000;
/// The short timeout of the timeouts case, in nanoseconds.
const SHORT_TIMEOUT: u64 = 20_000_000;
/// A timed-out wait must end within this (a generous bound for an emulated machine).
const TIMEOUT_SLACK: Duration = Duration::from_secs(1);
/// How long the driver lets a helper run before posting it an upcall.
const UPCALL_DELAY: Duration = Duration::from_millis(50);
/// The text lent to the lease server.
const LEASE_TEXT: &[u8; LEASE_TEXT_LENGTH] = b"lease text 0123456789 abcdefghij";
/// What the output buffer is filled with before the lease call.
const UNTOUCHED: u8 = b'.';
/// A reply id this program never received (a reply is only ever answerable by its server).
const NO_SUCH_REPLY: u32 = 0xfffe_fffe;
/// A value that is not a handle of this process.
const BOGUS_HANDLE: Handle = Handle(0xdead_beef);
/// Helpers one case may start.
const MAX_MEMBERS: usize = 6;
/// Death watches carry this plus the helper's slot in its family as the badge.
const DEATH_BADGE_BASE: u64 = 0xdead_0000;
/// Bytes a failure reason keeps (a larger `Err` would be copied through every `?`).
const REASON_CAPACITY: usize = 120;

/// Why a case failed: a short text, cut at [`REASON_CAPACITY`] bytes.
struct Reason {
    text: [u8; REASON_CAPACITY],
    length: u8,
    truncated: bool,
}

impl Reason {
    /// A reason from format arguments.
    fn new(arguments: fmt::Arguments<'_>) -> Reason {
        let mut reason = Reason { text: [0; REASON_CAPACITY], length: 0, truncated: false };
        let _ = reason.write_fmt(arguments);
        reason
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.text[..usize::from(self.length)])
            .unwrap_or("(unprintable reason)")
    }
}

impl Write for Reason {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for character in text.chars() {
            let mut encoded = [0u8; 4];
            let bytes = character.encode_utf8(&mut encoded).as_bytes();
            let start = usize::from(self.length);
            let end = start + bytes.len();
            if self.truncated || end > REASON_CAPACITY {
                self.truncated = true;
                return Ok(());
            }
            self.text[start..end].copy_from_slice(bytes);
            // `end` is at most REASON_CAPACITY, which fits in a byte.
            self.length = end as u8;
        }
        Ok(())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())?;
        if self.truncated { formatter.write_str("...") } else { Ok(()) }
    }
}

/// What a case returns.
type Outcome = Result<(), Reason>;

/// Builds a [`Reason`] from format arguments.
macro_rules! reason {
    ($($argument:tt)*) => {
        Reason::new(format_args!($($argument)*))
    };
}

/// Fails the case with a formatted reason unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($argument:tt)*) => {
        if !$condition {
            return Err(reason!($($argument)*));
        }
    };
}

/// Turns a failed system call into a [`Reason`] naming what was being done.
trait Checked<T> {
    /// The value, or a reason saying `what` failed and with which error.
    fn checked(self, what: &str) -> Result<T, Reason>;
}

impl<T> Checked<T> for Result<T, KernelError> {
    fn checked(self, what: &str) -> Result<T, Reason> {
        self.map_err(|error| reason!("{what}: {error:?}"))
    }
}

/// A handle this program closes when the value goes out of scope.
struct Owned(Handle);

impl Owned {
    /// The handle as an endpoint.
    fn endpoint(&self) -> Endpoint {
        Endpoint(self.0)
    }

    /// The handle as a memory object.
    fn memory(&self) -> MemoryObject {
        MemoryObject(self.0)
    }

    /// A new endpoint.
    fn new_endpoint() -> Result<Owned, Reason> {
        Endpoint::create().map(|endpoint| Owned(endpoint.0)).checked("creating an endpoint")
    }

    /// A new handle to this endpoint with `badge` and `rights`.
    fn mint(&self, badge: u64, rights: Rights) -> Result<Owned, Reason> {
        self.endpoint().mint(badge, rights).map(|endpoint| Owned(endpoint.0)).checked("minting")
    }

    /// A new handle to the same object with `rights`.
    fn duplicate(&self, rights: Rights) -> Result<Owned, Reason> {
        libsys::handle::duplicate(self.0, rights).map(Owned).checked("duplicating a handle")
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = libsys::handle::close(self.0);
    }
}

/// Rights of a handle a helper serves an endpoint through.
const SERVER_RIGHTS: Rights = Rights::RECEIVE.union(Rights::SEND).union(Rights::TRANSFER);
/// Rights of a handle a helper calls an endpoint through.
const CLIENT_RIGHTS: Rights = Rights::SEND.union(Rights::TRANSFER);

/// A death notice as received.
#[derive(Clone, Copy, Debug)]
struct DeathNotice {
    /// The notice's badge (the watch's).
    badge: u64,
    /// Word 0: the dead process's client id.
    client_word: u64,
    /// Word 1 decoded; `None` if it was no exit-status word.
    status: Option<ExitStatus>,
    /// Word 1 as received.
    status_word: u64,
}

/// A helper a case started.
#[derive(Clone, Copy)]
struct Member {
    /// Its control handle.
    control: Handle,
    /// Its client id.
    client: u32,
    /// Its spawn argument.
    argument: usize,
    /// Its death notice, once received.
    death: Option<DeathNotice>,
}

impl Member {
    fn name(&self) -> &'static str {
        protocol::role_name(protocol::role_of(self.argument))
    }
}

/// The helpers of one case, with the endpoint their gate calls and death notices come
/// through. Dropping it kills the helpers still running and closes every handle.
struct Family {
    notices: Owned,
    gate: Owned,
    members: [Option<Member>; MAX_MEMBERS],
    count: usize,
}

impl Family {
    fn new() -> Result<Family, Reason> {
        let notices = Owned::new_endpoint()?;
        let gate = notices.mint(GATE_BADGE, CLIENT_RIGHTS)?;
        Ok(Family { notices, gate, members: [None; MAX_MEMBERS], count: 0 })
    }

    /// The badge of the death watch on the helper in `slot`.
    fn death_badge(slot: usize) -> u64 {
        DEATH_BADGE_BASE + slot as u64
    }

    fn member(&self, slot: usize) -> Result<Member, Reason> {
        self.members.get(slot).copied().flatten().ok_or_else(|| reason!("no helper in slot {slot}"))
    }

    /// Starts helper `role` number `index` with the gate and `handles`, watches its death
    /// and lets it through the gate. Returns its slot.
    fn spawn(&mut self, role: usize, index: usize, handles: &[Handle]) -> Result<usize, Reason> {
        ensure!(self.count < MAX_MEMBERS && handles.len() < 4, "too many helpers or handles");
        let mut passed = [Handle::NONE; 4];
        passed[0] = self.gate.0;
        passed[1..=handles.len()].copy_from_slice(handles);
        let argument = protocol::spawn_argument(role, index);
        let name = protocol::role_name(role);
        let child =
            libsys::process::spawn(protocol::HELPER_PROGRAM, &passed[..=handles.len()], argument)
                .map_err(|error| reason!("spawning {name} {index}: {error:?}"))?;
        let slot = self.count;
        self.count += 1;
        self.members[slot] =
            Some(Member { control: child.control, client: child.client, argument, death: None });
        self.notices
            .endpoint()
            .watch_death(child.client, Self::death_badge(slot))
            .map_err(|error| reason!("watching {name} {index}: {error:?}"))?;
        let ready = self.expect_call(slot, LABEL_READY)?;
        ensure!(
            ready.words[0] == argument as u64,
            "{name} {index} passed argument {} to the gate, expected {argument}",
            ready.words[0]
        );
        Self::answer_gate(&ready)?;
        Ok(slot)
    }

    /// Answers a gate call with [`LABEL_GO`].
    fn answer_gate(call: &Received) -> Outcome {
        reply(ReplyId(call.reply), LABEL_GO, [0; 4]).checked("answering a gate call")
    }

    fn receive(&self, waiting_for: &str) -> Result<Received, Reason> {
        self.notices.endpoint().receive(None, WAIT_TIMEOUT).map_err(|error| match error {
            KernelError::Timeout => reason!("timed out waiting for {waiting_for}"),
            other => reason!("receiving while waiting for {waiting_for}: {other:?}"),
        })
    }

    /// Records a death notice (anything else on the notice endpoint is an error).
    fn record(&mut self, received: &Received) -> Outcome {
        ensure!(
            received.kind == ReceivedKind::Death,
            "unexpected {:?} on the notice endpoint",
            received.kind
        );
        let notice = DeathNotice {
            badge: received.badge,
            client_word: received.words[0],
            status: ExitStatus::from_word(received.words[1]),
            status_word: received.words[1],
        };
        let member = self.members[..self.count]
            .iter_mut()
            .flatten()
            .find(|member| u64::from(member.client) == notice.client_word);
        let Some(member) = member else {
            return Err(reason!("a death notice for unknown client {}", notice.client_word));
        };
        ensure!(member.death.is_none(), "a second death notice for {}", member.name());
        member.death = Some(notice);
        Ok(())
    }

    /// Waits for a gate call with `label` from the helper in `slot`, recording the death
    /// notices that come first.
    fn expect_call(&mut self, slot: usize, label: u32) -> Result<Received, Reason> {
        let member = self.member(slot)?;
        let name = member.name();
        let received = loop {
            let received = self.receive(name)?;
            if received.kind == ReceivedKind::Message {
                break received;
            }
            self.record(&received)?;
            if let Some(notice) = self.member(slot)?.death {
                return Err(reason!("{name} ended {} before calling", describe(&notice)));
            }
        };
        ensure!(
            received.client == member.client && received.label == label,
            "expected label {label} from {name} (client {}), got label {} from client {}",
            member.client,
            received.label,
            received.client
        );
        ensure!(
            received.badge == GATE_BADGE,
            "a gate call from {name} carried badge {:#x}, expected {GATE_BADGE:#x}",
            received.badge
        );
        Ok(received)
    }

    /// Waits for the death notice of the helper in `slot`.
    fn wait_death(&mut self, slot: usize) -> Result<DeathNotice, Reason> {
        loop {
            let member = self.member(slot)?;
            if let Some(notice) = member.death {
                return Ok(notice);
            }
            let received = self.receive(member.name())?;
            if received.kind == ReceivedKind::Message {
                return Err(reason!(
                    "unexpected label {} from client {} while waiting for {} to end",
                    received.label,
                    received.client,
                    member.name()
                ));
            }
            self.record(&received)?;
        }
    }

    /// Waits for the helper in `slot` to end and checks its notice and status.
    fn expect_exit(&mut self, slot: usize, expected: ExitStatus) -> Outcome {
        let notice = self.wait_death(slot)?;
        let member = self.member(slot)?;
        let name = member.name();
        ensure!(
            notice.badge == Self::death_badge(slot),
            "{name}'s death notice carried badge {:#x}, expected {:#x}",
            notice.badge,
            Self::death_badge(slot)
        );
        ensure!(
            notice.status == Some(expected),
            "{name} ended {}, expected {expected:?}",
            describe(&notice)
        );
        Ok(())
    }
}

/// How a helper ended, for messages: `Exited(1) (a check failed)`, `Killed(11)`, or the
/// status word when it does not decode.
fn describe(notice: &DeathNotice) -> Reason {
    match notice.status {
        Some(ExitStatus::Exited(status)) => {
            reason!("Exited({status}) ({})", protocol::exit_meaning(status))
        }
        Some(status) => reason!("{status:?}"),
        None => reason!("with status word {:#x}", notice.status_word),
    }
}

impl Drop for Family {
    fn drop(&mut self) {
        for member in self.members.iter().flatten() {
            if member.death.is_none() {
                let _ = libsys::process::kill(member.control, ExitStatus::Killed(9));
            }
            let _ = libsys::handle::close(member.control);
        }
    }
}

/// Sleeps for `duration`.
fn pause(duration: Duration) -> Outcome {
    libsys::time::sleep(duration)
        .map_err(|(error, left)| reason!("sleeping: {error:?} with {left:?} left"))
}

/// The time since `start`.
fn since(start: Duration) -> Duration {
    libsys::time::monotonic().saturating_sub(start)
}

/// 1000 round trips through an echo server, then the server exits on request.
fn ping_pong() -> Outcome {
    let mut family = Family::new()?;
    let service = Owned::new_endpoint()?;
    let echo = family.spawn(protocol::ROLE_ECHO, 0, &[service.duplicate(SERVER_RIGHTS)?.0])?;
    // Only the server may receive: if it dies, calls fail with PeerGone instead of waiting.
    let client = service.mint(0, Rights::SEND)?;
    drop(service);
    for round in 0..ROUNDS {
        let words = [round, round * 2, round * 3, round * 4];
        let answer = client
            .endpoint()
            .call(LABEL_ECHO, words)
            .map_err(|error| reason!("call {round}: {error:?}"))?;
        let expected = words.map(|word| word + 1);
        ensure!(
            answer.label == LABEL_ECHOED && answer.words == expected,
            "call {round}: answer label {} words {:?}, expected label {LABEL_ECHOED} words \
             {expected:?}",
            answer.label,
            answer.words
        );
    }
    let goodbye =
        client.endpoint().call(LABEL_EXIT, [0; 4]).checked("asking the server to exit")?;
    ensure!(goodbye.label == LABEL_EXIT, "the exit request was answered with {}", goodbye.label);
    family.expect_exit(echo, ExitStatus::Exited(0))
}

/// Three clients call a server that answers them in another order than they came.
fn deferred_replies() -> Outcome {
    let mut family = Family::new()?;
    let service = Owned::new_endpoint()?;
    let server =
        family.spawn(protocol::ROLE_DEFERRED, 0, &[service.duplicate(SERVER_RIGHTS)?.0])?;
    let mut clients = [0usize; DEFERRED_CALLS];
    for (index, slot) in clients.iter_mut().enumerate() {
        // The badge is the word the client sends: the server checks they agree.
        let handle = service.mint(index as u64 + 1, CLIENT_RIGHTS)?;
        *slot = family.spawn(protocol::ROLE_CLIENT, index, &[handle.0])?;
    }
    drop(service);
    let report = family.expect_call(server, LABEL_REPORT)?;
    Family::answer_gate(&report)?;
    for &client in &clients {
        family.expect_exit(client, ExitStatus::Exited(0))?;
    }
    family.expect_exit(server, ExitStatus::Exited(0))?;
    let arrived = protocol::unpack_order(report.words[0]);
    let answered = protocol::unpack_order(report.words[1]);
    ensure!(report.words[2] == 1, "the server saw badges that differ from the clients' words");
    let mut sorted = arrived;
    sorted.sort_unstable();
    ensure!(sorted == [1, 2, 3], "the server received first words {arrived:?}");
    let mut reordered = [0u64; DEFERRED_CALLS];
    for (position, &which) in protocol::DEFERRED_ANSWER_ORDER.iter().enumerate() {
        reordered[position] = arrived[which];
    }
    ensure!(
        answered == reordered && answered != arrived,
        "calls arrived as {arrived:?} and were answered as {answered:?}, expected {reordered:?}"
    );
    Ok(())
}

/// A server reads one lease and writes another, and the kernel refuses bad lease copies.
fn leases() -> Outcome {
    let mut family = Family::new()?;
    let service = Owned::new_endpoint()?;
    let server = family.spawn(protocol::ROLE_LEASE, 0, &[service.duplicate(SERVER_RIGHTS)?.0])?;
    let client = service.mint(0, Rights::SEND)?;
    drop(service);
    let text = *LEASE_TEXT;
    let mut output = [UNTOUCHED; LEASE_OUTPUT_LENGTH];
    let mut descriptor = MessageDescriptor::new(LABEL_UPPERCASE);
    descriptor.lease_count = 2;
    descriptor.leases[0] = lend(&text);
    descriptor.leases[1] = lend_mut(&mut output);
    descriptor.timeout = WAIT_TIMEOUT;
    let answer = client.endpoint().call_with(&mut descriptor).checked("the lease call")?;
    if answer.label != LEASE_CHECKS_HELD {
        let failures = answer.words[1];
        let first = (0..protocol::LEASE_CHECK_NAMES.len())
            .find(|&bit| failures & (1 << bit) != 0)
            .map_or("(no check named)", |bit| protocol::LEASE_CHECK_NAMES[bit]);
        return Err(reason!(
            "the server answered label {} (failed checks {failures:#x}, first: {first})",
            answer.label
        ));
    }
    ensure!(
        answer.words[0] == LEASE_TEXT_LENGTH as u64,
        "the server wrote {} bytes, expected {LEASE_TEXT_LENGTH}",
        answer.words[0]
    );
    let mut expected = text;
    expected.make_ascii_uppercase();
    let (written, rest) = output.split_at(LEASE_TEXT_LENGTH);
    ensure!(
        written == expected,
        "the output lease holds {:?}",
        core::str::from_utf8(written).unwrap_or("(not UTF-8)")
    );
    ensure!(rest.iter().all(|&byte| byte == UNTOUCHED), "bytes past the text were written");
    let pong = client.endpoint().call(LABEL_PING, [41, 0, 0, 0]).checked("the ping after")?;
    ensure!(
        pong.label == LABEL_PONG && pong.words[0] == 42,
        "the ping was answered with label {} word {}",
        pong.label,
        pong.words[0]
    );
    let goodbye =
        client.endpoint().call(LABEL_EXIT, [0; 4]).checked("asking the server to exit")?;
    ensure!(goodbye.label == LABEL_EXIT, "the exit request was answered with {}", goodbye.label);
    family.expect_exit(server, ExitStatus::Exited(0))
}

/// A memory object shared read-only: the reader sees the pattern, the writer is killed.
fn shared_memory() -> Outcome {
    let object = MemoryObject::create(MEMORY_SIZE)
        .map(|object| Owned(object.0))
        .checked("creating a memory object")?;
    let mapping = object
        .memory()
        .map(0, 0, MEMORY_SIZE, MAP_READ | MAP_WRITE)
        .checked("mapping it read-write")?;
    let outcome = share_pattern(&object, &mapping);
    let unmapped = unmap(mapping).checked("unmapping");
    outcome.and(unmapped)
}

/// The shared-memory case with the object mapped read-write at `mapping`.
fn share_pattern(object: &Owned, mapping: &Mapping) -> Outcome {
    for index in 0..MEMORY_SIZE / 8 {
        ensure!(
            mapping.write_word(index * 8, protocol::pattern_word(index)),
            "word {index} is outside the {}-byte mapping",
            mapping.length()
        );
    }
    let read_only = object.duplicate(Rights::READ.union(Rights::TRANSFER))?;
    let (kind, rights, _) = libsys::handle::info(read_only.0).checked("inspecting the copy")?;
    ensure!(
        kind == HandleKind::MemoryObject && rights == Rights::READ.union(Rights::TRANSFER),
        "the read-only copy is {kind:?} with rights {:#x}",
        rights.0
    );
    let mut family = Family::new()?;
    let reader = family.spawn(protocol::ROLE_MEMORY_READER, 0, &[read_only.0])?;
    family.expect_exit(reader, ExitStatus::Exited(0))?;
    let writer = family.spawn(protocol::ROLE_MEMORY_WRITER, 0, &[read_only.0])?;
    family.expect_exit(writer, ExitStatus::Killed(11))?;
    let first = mapping.read_word(0);
    ensure!(
        first == Some(protocol::pattern_word(0)),
        "word 0 changed to {first:x?} after the writer was killed"
    );
    Ok(())
}

/// Death notices tell an exit from a kill, with the watch's badge and the client id.
fn death_notices() -> Outcome {
    let mut family = Family::new()?;
    let quitter = family.spawn(protocol::ROLE_EXIT_WITH_STATUS, 0, &[])?;
    let sleeper = family.spawn(protocol::ROLE_SLEEPER, 0, &[])?;
    let sleeper_control = family.member(sleeper)?.control;
    libsys::process::kill(sleeper_control, ExitStatus::Killed(9)).checked("killing the sleeper")?;
    for (slot, expected) in [
        (quitter, ExitStatus::Exited(protocol::CHOSEN_EXIT_STATUS as u8)),
        (sleeper, ExitStatus::Killed(9)),
    ] {
        let notice = family.wait_death(slot)?;
        let member = family.member(slot)?;
        ensure!(
            notice.client_word == u64::from(member.client),
            "{}'s notice named client {}, expected {}",
            member.name(),
            notice.client_word,
            member.client
        );
        ensure!(
            notice.badge == Family::death_badge(slot),
            "{}'s notice carried badge {:#x}, expected {:#x}",
            member.name(),
            notice.badge,
            Family::death_badge(slot)
        );
        ensure!(
            notice.status == Some(expected),
            "{}'s notice said {:?} (word {:#x}), expected {expected:?}",
            member.name(),
            notice.status,
            notice.status_word
        );
    }
    ensure!(
        Family::death_badge(quitter) != Family::death_badge(sleeper),
        "the two watches had the same badge"
    );
    let again = libsys::process::kill(sleeper_control, ExitStatus::Killed(9));
    ensure!(
        again == Err(KernelError::NoSuchProcess),
        "killing the dead sleeper again gave {again:?}, expected NoSuchProcess"
    );
    Ok(())
}

/// An upcall posted to a running helper reaches its handler with the posted words.
fn upcall_running() -> Outcome {
    let mut family = Family::new()?;
    let spinner = family.spawn(protocol::ROLE_UPCALL_SPIN, 0, &[])?;
    let spinning = family.expect_call(spinner, LABEL_SPINNING)?;
    Family::answer_gate(&spinning)?;
    pause(UPCALL_DELAY)?;
    let control = family.member(spinner)?.control;
    libsys::upcall::post(control, UPCALL_WORDS).checked("posting the upcall")?;
    family.expect_exit(spinner, ExitStatus::Exited(0))
}

/// An upcall to a helper whose call the driver holds: the driver gets a cancel notice for
/// that call, answers it with EINTR, and the helper sees that answer after its handler.
fn upcall_blocked_call() -> Outcome {
    let mut family = Family::new()?;
    let service = Owned::new_endpoint()?;
    let caller = family.spawn(
        protocol::ROLE_UPCALL_CALLER,
        0,
        &[service.mint(CALLER_BADGE, CLIENT_RIGHTS)?.0],
    )?;
    let member = family.member(caller)?;
    let call =
        service.endpoint().receive(None, WAIT_TIMEOUT).checked("waiting for the helper's call")?;
    ensure!(
        call.kind == ReceivedKind::Message
            && call.label == LABEL_BLOCKED_CALL
            && call.client == member.client
            && call.badge == CALLER_BADGE,
        "expected label {LABEL_BLOCKED_CALL} from client {} with badge {CALLER_BADGE:#x}, got \
         {:?} label {} from client {} with badge {:#x}",
        member.client,
        call.kind,
        call.label,
        call.client,
        call.badge
    );
    let held = call.reply;
    libsys::upcall::post(member.control, UPCALL_WORDS).checked("posting the upcall")?;
    let cancel =
        service.endpoint().receive(None, WAIT_TIMEOUT).checked("waiting for the cancel notice")?;
    ensure!(
        cancel.kind == ReceivedKind::Cancel
            && cancel.reply == held
            && cancel.client == member.client,
        "expected a cancel of reply {held:#x} from client {}, got {:?} of reply {:#x} from \
         client {}",
        member.client,
        cancel.kind,
        cancel.reply,
        cancel.client
    );
    reply(ReplyId(held), LABEL_INTERRUPTED, [0; 4]).checked("answering the cancelled call")?;
    let twice = reply(ReplyId(held), LABEL_INTERRUPTED, [0; 4]);
    ensure!(
        twice == Err(KernelError::NoSuchReply),
        "answering the same call twice gave {twice:?}, expected NoSuchReply"
    );
    family.expect_exit(caller, ExitStatus::Exited(0))
}

/// Registers hold their values across an upcall whose handler clobbers them.
fn register_pattern() -> Outcome {
    let mut family = Family::new()?;
    let helper = family.spawn(protocol::ROLE_PATTERN, 0, &[])?;
    let spinning = family.expect_call(helper, LABEL_SPINNING)?;
    Family::answer_gate(&spinning)?;
    pause(UPCALL_DELAY)?;
    let control = family.member(helper)?.control;
    libsys::upcall::post(control, UPCALL_WORDS).checked("posting the upcall")?;
    family.expect_exit(helper, ExitStatus::Exited(0))
}

/// Receives and calls that nobody answers end with `Timeout`, not before their time.
fn timeouts() -> Outcome {
    let endpoint = Owned::new_endpoint()?;
    let polled = endpoint.endpoint().receive(None, 0);
    ensure!(polled == Err(KernelError::Timeout), "polling an empty endpoint gave {polled:?}");
    let short = Duration::from_nanos(SHORT_TIMEOUT);
    let start = libsys::time::monotonic();
    let received = endpoint.endpoint().receive(None, SHORT_TIMEOUT);
    let waited = since(start);
    ensure!(received == Err(KernelError::Timeout), "the receive gave {received:?}");
    ensure!(
        short <= waited && waited < short + TIMEOUT_SLACK,
        "the receive timed out after {waited:?}, expected {short:?}"
    );
    // The driver holds the only receive handle and never receives while it calls.
    let sender = endpoint.mint(0, Rights::SEND)?;
    let mut descriptor = MessageDescriptor::new(LABEL_PING);
    descriptor.timeout = SHORT_TIMEOUT;
    let start = libsys::time::monotonic();
    let called = sender.endpoint().call_with(&mut descriptor);
    let waited = since(start);
    ensure!(called == Err(KernelError::Timeout), "the call gave {called:?}");
    ensure!(
        short <= waited && waited < short + TIMEOUT_SLACK,
        "the call timed out after {waited:?}, expected {short:?}"
    );
    Ok(())
}

/// Bad handles, kinds, reply ids, descriptors and image names give the documented errors.
fn bad_arguments() -> Outcome {
    let bogus = Endpoint(BOGUS_HANDLE);
    let called = bogus.call(1, [0; 4]);
    ensure!(called == Err(KernelError::InvalidHandle), "calling a bogus handle gave {called:?}");
    let received = bogus.receive(None, 0);
    ensure!(
        received == Err(KernelError::InvalidHandle),
        "receiving on a bogus handle gave {received:?}"
    );
    let notification = Notification::create()
        .map(|notification| Owned(notification.0))
        .checked("creating a notification")?;
    let called = notification.endpoint().call(1, [0; 4]);
    ensure!(called == Err(KernelError::WrongHandleKind), "calling a notification gave {called:?}");
    let mut bytes = [0u8; 8];
    let read = libsys::ipc::lease_read(ReplyId(NO_SUCH_REPLY), 0, 0, &mut bytes);
    ensure!(
        read == Err(KernelError::NoSuchReply),
        "a lease read through a reply that does not exist gave {read:?}"
    );
    let answered = reply(ReplyId(NO_SUCH_REPLY), 0, [0; 4]);
    ensure!(
        answered == Err(KernelError::NoSuchReply),
        "answering a reply that does not exist gave {answered:?}"
    );
    let endpoint = Owned::new_endpoint()?;
    let mut descriptor = MessageDescriptor::new(LABEL_PING);
    descriptor.lease_count = 9;
    // Should the kernel take the descriptor, the call ends by timing out, not by hanging.
    descriptor.timeout = SHORT_TIMEOUT;
    let called = endpoint.endpoint().call_with(&mut descriptor);
    ensure!(called == Err(KernelError::InvalidArgument), "a call with 9 leases gave {called:?}");
    match libsys::process::spawn("no-such-image", &[], 0) {
        Err(KernelError::NoSuchImage) => Ok(()),
        Err(error) => Err(reason!("spawning a missing image gave {error:?}")),
        Ok(child) => {
            let _ = libsys::process::kill(child.control, ExitStatus::Killed(9));
            let _ = libsys::handle::close(child.control);
            Err(reason!("spawning a missing image succeeded"))
        }
    }
}

/// After every case: only this process is left, and the endpoints and memory objects the
/// cases made are gone.
fn cleanup(before: &KernelStatistics, after: &KernelStatistics) -> Outcome {
    ensure!(after.processes == 1, "{} processes are left, expected 1", after.processes);
    ensure!(
        after.endpoints == before.endpoints,
        "{} endpoints are left, {} before the cases",
        after.endpoints,
        before.endpoints
    );
    ensure!(
        after.memory_objects == before.memory_objects,
        "{} memory objects are left, {} before the cases",
        after.memory_objects,
        before.memory_objects
    );
    Ok(())
}

/// A case: its name and its function.
type Case = (&'static str, fn() -> Outcome);

/// The cases, in the order they run.
const CASES: [Case; 10] = [
    ("ping-pong", ping_pong),
    ("deferred-replies", deferred_replies),
    ("leases", leases),
    ("shared-memory", shared_memory),
    ("death-notices", death_notices),
    ("upcall-running", upcall_running),
    ("upcall-blocked-call", upcall_blocked_call),
    ("register-pattern", register_pattern),
    ("timeouts", timeouts),
    ("bad-arguments", bad_arguments),
];

/// Counts and prints case results.
#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn record(&mut self, name: &str, outcome: Outcome) {
        match outcome {
            Ok(()) => {
                self.passed += 1;
                libsys::println!("ipc-test: ok {name}");
            }
            Err(reason) => {
                self.failed += 1;
                libsys::println!("ipc-test: FAIL {name}: {reason}");
            }
        }
    }
}

fn main() -> i32 {
    let before = kernel_statistics();
    let mut tally = Tally::default();
    for (name, case) in CASES {
        tally.record(name, case());
    }
    let after = kernel_statistics();
    libsys::println!(
        "ipc-test: kernel statistics: processes {}, threads {}, endpoints {}, memory objects {}, \
         free frames {}, kernel entries {}, address-space switches {}",
        after.processes,
        after.threads,
        after.endpoints,
        after.memory_objects,
        after.free_frames,
        after.kernel_entries,
        after.space_switches
    );
    tally.record("cleanup", cleanup(&before, &after));
    libsys::println!("ipc-test: {} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 { 0 } else { 1 }
}
