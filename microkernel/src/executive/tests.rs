//! Host tests of the kernel state machine over the fake machine: IPC with deferred
//! replies and leases, handle rights, memory objects, death notices, upcalls with the
//! cancel protocol, timeouts, and random system-call sequences.

use alloc::vec::Vec;

use courier_abi::ipc::{
    LEASE_READ, LEASE_WRITE, Lease, MessageDescriptor, RECEIVED_EXTENDED, Received, ReceivedKind,
};
use courier_abi::layout::{PROGRAM_BASE, STACK_TOP};
use courier_abi::memory::{MAP_READ, MAP_WRITE};
use courier_abi::process::ExitStatus;
use courier_abi::{Handle, HandleKind, KernelError, NO_TIMEOUT, Rights, Syscall};
use proptest::prelude::*;

use super::fake::{FakeContext, FakePlatform};
use super::process::ProcessId;
use super::thread::ThreadId;
use super::{Kernel, ObjectRef};
use crate::task::image::test_program;

type TestKernel = Kernel<FakePlatform>;

/// An address in each test process's data segment.
const DATA: u64 = PROGRAM_BASE as u64 + 0x1000;
/// A scratch address on each test process's stack.
const SCRATCH: u64 = STACK_TOP as u64 - 0x2000;

fn kernel() -> TestKernel {
    let program: &'static [u8] = Vec::leak(test_program(elf::abi::EM_X86_64, &[0x90; 32]));
    Kernel::new(FakePlatform::new(alloc::vec![("program", program)]))
}

fn thread_of(kernel: &TestKernel, process: ProcessId<FakePlatform>) -> ThreadId<FakePlatform> {
    kernel.processes.get(process).unwrap().threads[0]
}

/// Runs system call `call` on `thread`, making it current first (as if the scheduler had
/// picked it). Returns `(status, results)` as written at return time.
fn syscall(
    kernel: &mut TestKernel,
    thread: ThreadId<FakePlatform>,
    call: Syscall,
    arguments: &[u64],
) -> (usize, [u64; 7]) {
    make_current(kernel, thread);
    let entry = kernel.threads.get_mut(thread).unwrap();
    entry.context.x[8] = call.number() as u64;
    entry.context.x[..8].fill(0);
    entry.context.x[..arguments.len()].copy_from_slice(arguments);
    kernel.system_call();
    result(kernel, thread)
}

/// The status and results in `thread`'s registers (`usize::MAX` if it is gone).
fn result(kernel: &TestKernel, thread: ThreadId<FakePlatform>) -> (usize, [u64; 7]) {
    match kernel.threads.get(thread) {
        Some(entry) => (entry.context.x[0] as usize, entry.context.x[1..8].try_into().unwrap()),
        None => (usize::MAX, [0; 7]),
    }
}

fn make_current(kernel: &mut TestKernel, thread: ThreadId<FakePlatform>) {
    if kernel.current == Some(thread) {
        return;
    }
    assert_eq!(
        kernel.threads.get(thread).unwrap().state,
        super::thread::ThreadState::Ready,
        "only a ready thread can run"
    );
    let priority = kernel.threads.get(thread).unwrap().priority;
    kernel.run_queues.remove(&mut kernel.threads, thread, priority);
    if let Some(previous) = kernel.current.take() {
        kernel.make_ready(previous);
    }
    kernel.current = Some(thread);
}

fn ok(outcome: (usize, [u64; 7])) -> [u64; 7] {
    assert_eq!(outcome.0, 0, "system call failed: {:?}", KernelError::from_code(outcome.0));
    outcome.1
}

fn error(outcome: (usize, [u64; 7])) -> KernelError {
    KernelError::from_code(outcome.0)
        .unwrap_or_else(|| panic!("expected an error, got success {:?}", outcome.1))
}

struct World {
    kernel: TestKernel,
    server: ProcessId<FakePlatform>,
    server_thread: ThreadId<FakePlatform>,
    /// The server's endpoint handle.
    endpoint: Handle,
    clients: Vec<(ProcessId<FakePlatform>, ThreadId<FakePlatform>, Handle)>,
}

/// A server with an endpoint and `clients` client processes holding send-only handles.
fn world(clients: usize) -> World {
    let mut kernel = kernel();
    let server = kernel.spawn(b"program", &[], 0, 16).unwrap();
    let server_thread = thread_of(&kernel, server);
    let endpoint =
        Handle(ok(syscall(&mut kernel, server_thread, Syscall::EndpointCreate, &[]))[0] as u32);
    let object = kernel.processes.get(server).unwrap().handles.get(endpoint).unwrap().object;
    let mut list = Vec::new();
    for index in 0..clients {
        let badge = 100 + index as u64;
        let client = kernel.spawn(b"program", &[(object, Rights::SEND, badge)], 0, 16).unwrap();
        list.push((client, thread_of(&kernel, client), Handle::initial(1)));
    }
    World { kernel, server, server_thread, endpoint, clients: list }
}

fn received(outcome: [u64; 7]) -> Received {
    Received::from_slots(outcome).expect("a receive result")
}

#[test]
fn spawn_makes_the_code_it_wrote_visible_to_instruction_fetch() {
    let mut kernel = kernel();
    kernel.spawn(b"program", &[], 0, 16).unwrap();
    // The test program's code segment: 32 bytes at PROGRAM_BASE; its data segment (at
    // DATA) is not executable and is left alone.
    let synchronized = core::mem::take(&mut kernel.platform.synchronized);
    assert_eq!(synchronized.len(), 1, "{synchronized:?}");
    let (physical, length) = synchronized[0];
    assert_eq!(length, 32);
    let mut code = [0u8; 32];
    super::platform::Platform::read_physical(&kernel.platform, physical, &mut code);
    assert_eq!(code, [0x90; 32], "the range synchronized is the code written");
    assert_eq!(physical & 0xfff, PROGRAM_BASE as u64 & 0xfff);
}

#[test]
fn ping_pong_with_deferred_reply() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    // The server waits first.
    syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), 0, NO_TIMEOUT],
    );
    assert_eq!(world.kernel.current, None, "the receiver blocked");
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(send.0), 7, 1, 2, 3, 4]);
    // The call switched straight to the server with the message.
    assert_eq!(world.kernel.current, Some(world.server_thread));
    let message = received(ok(result(&world.kernel, world.server_thread)));
    assert_eq!(message.kind, ReceivedKind::Message);
    assert_eq!((message.label, message.words, message.badge), (7, [1, 2, 3, 4], 100));
    assert_eq!(message.client, client.to_u32());
    // Reply later.
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Reply,
        &[u64::from(message.reply), 8, 5, 6, 7, 8],
    ));
    let answer = ok(result(&world.kernel, client_thread));
    assert_eq!(answer[..5], [8, 5, 6, 7, 8]);
    // The reply is used up.
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::Reply,
            &[u64::from(message.reply), 0]
        )),
        KernelError::NoSuchReply
    );
    assert_eq!(world.kernel.reply_count(), 0);
}

#[test]
fn three_clients_answered_out_of_order() {
    let mut world = world(3);
    let clients = world.clients.clone();
    for (index, &(_, thread, send)) in clients.iter().enumerate() {
        syscall(&mut world.kernel, thread, Syscall::Call, &[u64::from(send.0), 1, index as u64]);
    }
    let mut replies = Vec::new();
    for _ in 0..3 {
        let message = received(ok(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::Receive,
            &[u64::from(world.endpoint.0), 0, NO_TIMEOUT],
        )));
        replies.push((message.words[0], message.reply, message.badge));
    }
    assert_eq!(
        replies.iter().map(|&(word, _, _)| word).collect::<Vec<_>>(),
        [0, 1, 2],
        "FIFO order"
    );
    for &order in &[2usize, 0, 1] {
        let (word, reply, _) = replies[order];
        ok(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::Reply,
            &[u64::from(reply), 0, word * 10],
        ));
        let (_, thread, _) = clients[order];
        assert_eq!(ok(result(&world.kernel, thread))[1], word * 10);
    }
}

fn write_descriptor(
    kernel: &mut TestKernel,
    process: ProcessId<FakePlatform>,
    address: u64,
    descriptor: &MessageDescriptor,
) {
    // SAFETY: test helper; `MessageDescriptor` is plain old data.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            core::ptr::from_ref(descriptor).cast::<u8>(),
            size_of::<MessageDescriptor>(),
        )
    };
    kernel.write_user(process, address, bytes).unwrap();
}

#[test]
fn leases_copy_both_ways_and_bad_ones_are_refused() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    world.kernel.write_user(client, DATA, b"hello, server").unwrap();
    let mut descriptor = MessageDescriptor::new(3);
    descriptor.lease_count = 2;
    descriptor.leases[0] = Lease { address: DATA, length: 13, rights: LEASE_READ, reserved: 0 };
    descriptor.leases[1] =
        Lease { address: DATA + 64, length: 8, rights: LEASE_WRITE, reserved: 0 };
    write_descriptor(&mut world.kernel, client, SCRATCH, &descriptor);
    syscall(&mut world.kernel, client_thread, Syscall::CallWith, &[u64::from(send.0), SCRATCH]);
    let receive_descriptor = SCRATCH;
    let message = received(ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), receive_descriptor, NO_TIMEOUT],
    )));
    assert_eq!(message.flags & RECEIVED_EXTENDED, RECEIVED_EXTENDED);
    let mut lease_count = [0u8; 4];
    world.kernel.read_user(world.server, receive_descriptor, &mut lease_count).unwrap();
    assert_eq!(u32::from_le_bytes(lease_count), 2);
    let reply = u64::from(message.reply);
    // Read the first lease into the server's data.
    assert_eq!(
        ok(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseRead,
            &[reply, 0, 0, DATA, 100]
        ))[0],
        13
    );
    let mut copy = [0u8; 13];
    world.kernel.read_user(world.server, DATA, &mut copy).unwrap();
    assert_eq!(&copy, b"hello, server");
    // Offsets and short counts.
    assert_eq!(
        ok(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseRead,
            &[reply, 0, 7, DATA, 100]
        ))[0],
        6
    );
    // Write the second lease.
    world.kernel.write_user(world.server, DATA + 200, b"answer!!").unwrap();
    assert_eq!(
        ok(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseWrite,
            &[reply, 1, 0, DATA + 200, 8]
        ))[0],
        8
    );
    let mut written = [0u8; 8];
    world.kernel.read_user(client, DATA + 64, &mut written).unwrap();
    assert_eq!(&written, b"answer!!");
    // Refusals: wrong direction, bad index, offset past the end, bad server buffer.
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseWrite,
            &[reply, 0, 0, DATA, 1]
        )),
        KernelError::LeaseViolation
    );
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseRead,
            &[reply, 4, 0, DATA, 1]
        )),
        KernelError::LeaseViolation
    );
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseRead,
            &[reply, 0, 14, DATA, 1]
        )),
        KernelError::LeaseViolation
    );
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::LeaseRead,
            &[reply, 0, 0, 0xffff_8000_0000_0000, 4]
        )),
        KernelError::BadAddress
    );
    // The server is fine and can answer.
    ok(syscall(&mut world.kernel, world.server_thread, Syscall::Reply, &[reply, 0]));
    ok(result(&world.kernel, client_thread));
    // A lease outside user space is refused at call time.
    descriptor.leases[0].address = 0xffff_ffff_8000_0000;
    write_descriptor(&mut world.kernel, client, SCRATCH, &descriptor);
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            client_thread,
            Syscall::CallWith,
            &[u64::from(send.0), SCRATCH]
        )),
        KernelError::InvalidArgument
    );
}

#[test]
fn handle_rights_and_kinds_are_enforced() {
    let mut world = world(1);
    let (_, client_thread, send) = world.clients[0];
    // A send-only handle cannot receive or mint.
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            client_thread,
            Syscall::Receive,
            &[u64::from(send.0), 0, 0]
        )),
        KernelError::InsufficientRights
    );
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            client_thread,
            Syscall::EndpointMint,
            &[u64::from(send.0), 1, u64::from(Rights::ALL.0)]
        )),
        KernelError::InsufficientRights
    );
    assert_eq!(
        error(syscall(&mut world.kernel, client_thread, Syscall::Call, &[0x1234_5678, 0])),
        KernelError::InvalidHandle
    );
    let notification =
        ok(syscall(&mut world.kernel, client_thread, Syscall::NotificationCreate, &[]))[0];
    assert_eq!(
        error(syscall(&mut world.kernel, client_thread, Syscall::Call, &[notification, 0])),
        KernelError::WrongHandleKind
    );
    // Duplicates can only lose rights.
    let duplicate = ok(syscall(
        &mut world.kernel,
        client_thread,
        Syscall::HandleDuplicate,
        &[notification, u64::from(Rights::ALL.0)],
    ))[0];
    let info = ok(syscall(&mut world.kernel, client_thread, Syscall::HandleInfo, &[duplicate]));
    assert!(!Rights(info[1] as u32).contains(Rights::MINT));
    // Closing twice fails the second time.
    ok(syscall(&mut world.kernel, client_thread, Syscall::HandleClose, &[duplicate]));
    assert_eq!(
        error(syscall(&mut world.kernel, client_thread, Syscall::HandleClose, &[duplicate])),
        KernelError::InvalidHandle
    );
    // Unknown system call numbers are refused.
    let entry = world.kernel.threads.get_mut(client_thread).unwrap();
    entry.context.x[8] = 9999;
    world.kernel.system_call();
    assert_eq!(error(result(&world.kernel, client_thread)), KernelError::UnknownSyscall);
}

#[test]
fn memory_objects_are_shared_and_read_only_mappings_refuse_writes() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    let frames_before = world.kernel.platform.frames.len();
    let memory =
        ok(syscall(&mut world.kernel, world.server_thread, Syscall::MemoryCreate, &[8192]))[0];
    let address = ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::MemoryMap,
        &[memory, 0, 0, 8192, MAP_READ | MAP_WRITE],
    ))[0];
    world.kernel.write_user(world.server, address + 4096, b"shared bytes").unwrap();
    // Give the client a read-only handle through a reply... here through a duplicate
    // inserted directly (transfer is tested elsewhere).
    let object = world
        .kernel
        .processes
        .get(world.server)
        .unwrap()
        .handles
        .get(Handle(memory as u32))
        .unwrap()
        .object;
    let read_only = world.kernel.insert_handle(client, object, Rights::READ, 0).unwrap();
    let _ = send;
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            client_thread,
            Syscall::MemoryMap,
            &[u64::from(read_only.0), 0, 0, 8192, MAP_READ | MAP_WRITE]
        )),
        KernelError::InsufficientRights
    );
    let client_address = ok(syscall(
        &mut world.kernel,
        client_thread,
        Syscall::MemoryMap,
        &[u64::from(read_only.0), 0, 0, 8192, MAP_READ],
    ))[0];
    let mut bytes = [0u8; 12];
    world.kernel.read_user(client, client_address + 4096, &mut bytes).unwrap();
    assert_eq!(&bytes, b"shared bytes");
    assert_eq!(world.kernel.write_user(client, client_address, b"x"), Err(KernelError::BadAddress));
    assert!(world.kernel.handle_page_fault(client, client_address, true, false).is_err());
    // Shrinking unmaps the tail everywhere; accesses there fail.
    ok(syscall(&mut world.kernel, world.server_thread, Syscall::MemoryResize, &[memory, 4096]));
    assert_eq!(
        world.kernel.read_user(client, client_address + 4096, &mut bytes),
        Err(KernelError::BadAddress)
    );
    assert_eq!(
        world.kernel.handle_page_fault(client, client_address + 4096, false, false),
        Err(super::memory::FaultResolution::Bus)
    );
    // Frames go when the last handle and mapping go.
    world.kernel.read_user(world.server, address, &mut bytes).unwrap();
    assert!(world.kernel.platform.frames.len() > frames_before);
    ok(syscall(&mut world.kernel, world.server_thread, Syscall::HandleClose, &[memory]));
    ok(syscall(&mut world.kernel, client_thread, Syscall::HandleClose, &[u64::from(read_only.0)]));
    assert_eq!(world.kernel.memory_object_count(), 1, "still mapped");
    ok(syscall(&mut world.kernel, world.server_thread, Syscall::MemoryUnmap, &[address, 8192]));
    ok(syscall(&mut world.kernel, client_thread, Syscall::MemoryUnmap, &[client_address, 8192]));
    assert_eq!(world.kernel.memory_object_count(), 0);
    assert_eq!(world.kernel.platform.frames.len(), frames_before);
}

#[test]
fn death_notices_for_exit_and_kill() {
    let mut world = world(2);
    let (first, first_thread, _) = world.clients[0];
    let (second, _, _) = world.clients[1];
    let endpoint = u64::from(world.endpoint.0);
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::DeathWatch,
        &[endpoint, u64::from(first.to_u32()), 11],
    ));
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::DeathWatch,
        &[endpoint, u64::from(second.to_u32()), 22],
    ));
    syscall(&mut world.kernel, world.server_thread, Syscall::Receive, &[endpoint, 0, NO_TIMEOUT]);
    syscall(&mut world.kernel, first_thread, Syscall::ProcessExit, &[3]);
    let notice = received(ok(result(&world.kernel, world.server_thread)));
    assert_eq!(notice.kind, ReceivedKind::Death);
    assert_eq!((notice.client, notice.badge), (first.to_u32(), 11));
    assert_eq!(ExitStatus::from_word(notice.words[1]), Some(ExitStatus::Exited(3)));
    world.kernel.destroy_process(second, ExitStatus::Killed(9), true);
    let notice = received(ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[endpoint, 0, 0],
    )));
    assert_eq!((notice.kind, notice.badge), (ReceivedKind::Death, 22));
    assert_eq!(ExitStatus::from_word(notice.words[1]), Some(ExitStatus::Killed(9)));
    assert_eq!(world.kernel.take_exit().map(|event| event.status), Some(ExitStatus::Exited(3)));
}

#[test]
fn upcall_to_a_caller_cancels_through_the_server_and_returns_exactly() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    ok(syscall(
        &mut world.kernel,
        client_thread,
        Syscall::UpcallRegister,
        &[PROGRAM_BASE as u64 + 0x10],
    ));
    syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), 0, NO_TIMEOUT],
    );
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(send.0), 5]);
    let message = received(ok(result(&world.kernel, world.server_thread)));
    // The poster holds a control handle on the client.
    let control = world
        .kernel
        .insert_handle(world.server, ObjectRef::Process(client), Rights::CONTROL, 0)
        .unwrap();
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::UpcallPost,
        &[u64::from(control.0), 1, 42, 43, 44, 45],
    ));
    // The server learns the call was cancelled.
    let notice = received(ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), 0, 0],
    )));
    assert_eq!((notice.kind, notice.reply), (ReceivedKind::Cancel, message.reply));
    // It answers with an error code of its choosing (EINTR = 4).
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Reply,
        &[u64::from(message.reply), 4],
    ));
    let entry = world.kernel.threads.get(client_thread).unwrap();
    let before: FakeContext = entry.context.clone();
    let stack = before.sp;
    // The client runs again: it is diverted to its upcall entry.
    make_current(&mut world.kernel, client_thread);
    world.kernel.select_next();
    let context = &world.kernel.threads.get(client_thread).unwrap().context;
    assert_eq!(context.pc, PROGRAM_BASE as u64 + 0x10);
    assert!(context.sp < stack - 128);
    let (info, frame) = (context.x[0], context.x[1]);
    let mut words = [0u8; 32];
    world.kernel.read_user(client, info, &mut words).unwrap();
    assert_eq!(u64::from_le_bytes(words[..8].try_into().unwrap()), 42);
    // Returning restores the call's result (label 4) and every register.
    syscall(&mut world.kernel, client_thread, Syscall::UpcallReturn, &[frame]);
    let after = &world.kernel.threads.get(client_thread).unwrap().context;
    assert_eq!(after, &before);
    assert_eq!(after.x[1], 4);
}

#[test]
fn upcall_to_a_queued_caller_or_receiver_interrupts_at_once() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    ok(syscall(&mut world.kernel, client_thread, Syscall::UpcallRegister, &[PROGRAM_BASE as u64]));
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(send.0), 5]);
    assert_eq!(world.kernel.current, None, "queued: nobody receives yet");
    let control = world
        .kernel
        .insert_handle(world.server, ObjectRef::Process(client), Rights::CONTROL, 0)
        .unwrap();
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::UpcallPost,
        &[u64::from(control.0), 1],
    ));
    assert_eq!(error(result(&world.kernel, client_thread)), KernelError::Interrupted);
    // Without an entry point, posting fails.
    let server_control = world
        .kernel
        .insert_handle(world.server, ObjectRef::Process(world.server), Rights::CONTROL, 0)
        .unwrap();
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            world.server_thread,
            Syscall::UpcallPost,
            &[u64::from(server_control.0), 1]
        )),
        KernelError::InvalidArgument
    );
}

#[test]
fn bad_upcall_frames_are_refused() {
    let mut world = world(1);
    let (client, client_thread, _) = world.clients[0];
    let mut frame = [0u8; 8 * 22];
    frame[16 * 8..17 * 8].copy_from_slice(&0xffff_ffff_8000_0000u64.to_le_bytes());
    world.kernel.write_user(client, SCRATCH, &frame).unwrap();
    assert_eq!(
        error(syscall(&mut world.kernel, client_thread, Syscall::UpcallReturn, &[SCRATCH])),
        KernelError::InvalidArgument
    );
    assert_eq!(
        error(syscall(&mut world.kernel, client_thread, Syscall::UpcallReturn, &[0xdead_0000])),
        KernelError::BadAddress
    );
}

#[test]
fn timeouts_end_waits() {
    let mut world = world(0);
    let endpoint = u64::from(world.endpoint.0);
    assert_eq!(
        error(syscall(&mut world.kernel, world.server_thread, Syscall::Receive, &[endpoint, 0, 0])),
        KernelError::Timeout
    );
    syscall(&mut world.kernel, world.server_thread, Syscall::Receive, &[endpoint, 0, 1000]);
    world.kernel.platform.time = 999;
    world.kernel.timer_tick();
    assert_eq!(
        world.kernel.threads.get(world.server_thread).unwrap().state,
        super::thread::ThreadState::Receiving(world.kernel.endpoint_ids()[0])
    );
    world.kernel.platform.time = 1000;
    world.kernel.timer_tick();
    assert_eq!(error(result(&world.kernel, world.server_thread)), KernelError::Timeout);
    // Sleep ends with success.
    syscall(&mut world.kernel, world.server_thread, Syscall::Sleep, &[500]);
    world.kernel.platform.time = 1500;
    world.kernel.timer_tick();
    assert_eq!(ok(result(&world.kernel, world.server_thread))[0], 0);
}

#[test]
fn server_death_fails_its_callers_and_closing_receive_handles_fails_senders() {
    let mut world = world(2);
    let (_, first, send) = world.clients[0];
    let (_, second, second_send) = world.clients[1];
    syscall(&mut world.kernel, first, Syscall::Call, &[u64::from(send.0), 1]);
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), 0, 0],
    ));
    syscall(&mut world.kernel, second, Syscall::Call, &[u64::from(second_send.0), 2]);
    world.kernel.destroy_process(world.server, ExitStatus::Killed(9), true);
    assert_eq!(error(result(&world.kernel, first)), KernelError::PeerGone, "its call was held");
    assert_eq!(error(result(&world.kernel, second)), KernelError::PeerGone, "its call was queued");
    assert_eq!(
        error(syscall(&mut world.kernel, first, Syscall::Call, &[u64::from(send.0), 1])),
        KernelError::PeerGone
    );
}

#[test]
fn handles_travel_in_messages_and_replies() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    let notification =
        ok(syscall(&mut world.kernel, client_thread, Syscall::NotificationCreate, &[]))[0];
    let mut descriptor = MessageDescriptor::new(9);
    descriptor.handle_count = 1;
    descriptor.handles[0] = courier_abi::ipc::HandleTransfer {
        handle: Handle(notification as u32),
        mode: courier_abi::ipc::TRANSFER_MOVE,
        rights: Rights::ALL.0,
        reserved: 0,
    };
    write_descriptor(&mut world.kernel, client, SCRATCH, &descriptor);
    syscall(&mut world.kernel, client_thread, Syscall::CallWith, &[u64::from(send.0), SCRATCH]);
    let moved =
        world.kernel.processes.get(client).unwrap().handles.get(Handle(notification as u32));
    assert!(moved.is_none(), "the handle moved away");
    let message = received(ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::Receive,
        &[u64::from(world.endpoint.0), SCRATCH, 0],
    )));
    let mut raw = [0u8; 4];
    let offset = core::mem::offset_of!(courier_abi::ipc::ReceiveDescriptor, handles) as u64;
    world.kernel.read_user(world.server, SCRATCH + offset, &mut raw).unwrap();
    let received_handle = u64::from(u32::from_le_bytes(raw));
    let info = ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::HandleInfo,
        &[received_handle],
    ));
    assert_eq!(info[0], HandleKind::Notification as u64);
    // Reply with it (copy), back into the client's descriptor.
    let mut reply = MessageDescriptor::new(1);
    reply.handle_count = 1;
    reply.handles[0].handle = Handle(received_handle as u32);
    reply.handles[0].rights = Rights::SIGNAL.0 | Rights::TRANSFER.0;
    write_descriptor(&mut world.kernel, world.server, SCRATCH - 0x1000, &reply);
    ok(syscall(
        &mut world.kernel,
        world.server_thread,
        Syscall::ReplyWith,
        &[u64::from(message.reply), SCRATCH - 0x1000],
    ));
    ok(result(&world.kernel, client_thread));
    let offset = core::mem::offset_of!(MessageDescriptor, received_handles) as u64;
    world.kernel.read_user(client, SCRATCH + offset, &mut raw).unwrap();
    let back = u64::from(u32::from_le_bytes(raw));
    let info = ok(syscall(&mut world.kernel, client_thread, Syscall::HandleInfo, &[back]));
    assert_eq!(Rights(info[1] as u32), Rights::SIGNAL.union(Rights::TRANSFER));
}

#[test]
fn processes_free_everything_when_they_end() {
    let mut world = world(2);
    let baseline_frames = world.kernel.platform.frames.len();
    let (client, client_thread, send) = world.clients[0];
    // Busy the client: a mapping, a queued call, a notification.
    let memory =
        ok(syscall(&mut world.kernel, client_thread, Syscall::MemoryCreate, &[4 * 4096]))[0];
    let address = ok(syscall(
        &mut world.kernel,
        client_thread,
        Syscall::MemoryMap,
        &[memory, 0, 0, 4 * 4096, MAP_READ | MAP_WRITE],
    ))[0];
    world.kernel.write_user(client, address, &[1; 4 * 4096]).unwrap();
    ok(syscall(&mut world.kernel, client_thread, Syscall::NotificationCreate, &[]));
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(send.0), 1]);
    assert!(world.kernel.platform.frames.len() > baseline_frames);
    world.kernel.destroy_process(client, ExitStatus::Killed(9), true);
    let (other, _, _) = world.clients[1];
    world.kernel.destroy_process(other, ExitStatus::Exited(0), true);
    world.kernel.destroy_process(world.server, ExitStatus::Exited(0), true);
    assert_eq!(world.kernel.process_count(), 0);
    assert_eq!(world.kernel.thread_count(), 0);
    assert_eq!(world.kernel.endpoint_count(), 0);
    assert_eq!(world.kernel.memory_object_count(), 0);
    assert_eq!(world.kernel.platform.frames.len(), 0, "every frame came back");
    assert_eq!(world.kernel.platform.spaces_live, 0);
}

impl TestKernel {
    fn endpoint_ids(&self) -> Vec<super::ipc::EndpointId<FakePlatform>> {
        self.endpoints.ids().collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random system calls with random arguments from random threads never panic, and
    /// when every process is gone every frame, object and reply is gone too.
    #[test]
    fn random_system_calls_never_panic_or_leak(
        steps in proptest::collection::vec((0usize..3, 0usize..Syscall::ALL.len(), proptest::collection::vec(0u64..6, 8), any::<bool>()), 1..120)
    ) {
        let mut world = world(2);
        let threads = [world.server_thread, world.clients[0].1, world.clients[1].1];
        for (who, call, small, tick) in steps {
            let thread = threads[who];
            if world.kernel.threads.get(thread).is_none() {
                continue;
            }
            let call = Syscall::ALL[call];
            if matches!(call, Syscall::ProcessSpawn) {
                continue;
            }
            // Small numbers hit handles, reply ids and indices; scale some into addresses.
            let arguments: Vec<u64> = small.iter().enumerate().map(|(index, &value)| match (call, index) {
                (Syscall::Call | Syscall::Receive | Syscall::HandleClose | Syscall::HandleDuplicate | Syscall::HandleInfo, 0) => u64::from(Handle::initial(value as u16 + 1).0),
                (_, 1) if value > 3 => SCRATCH,
                (_, 3) if value > 3 => DATA,
                _ => value,
            }).collect();
            let current_ok = world.kernel.threads.get(thread).is_some_and(|entry| entry.state == super::thread::ThreadState::Ready);
            if current_ok {
                syscall(&mut world.kernel, thread, call, &arguments);
            }
            if tick {
                world.kernel.platform.time += 1_000_000;
                world.kernel.timer_tick();
            }
            world.kernel.select_next();
        }
        world.kernel.destroy_all();
        prop_assert_eq!(world.kernel.process_count(), 0);
        prop_assert_eq!(world.kernel.thread_count(), 0);
        prop_assert_eq!(world.kernel.reply_count(), 0);
        prop_assert_eq!(world.kernel.endpoint_count(), 0);
        prop_assert_eq!(world.kernel.memory_object_count(), 0);
        prop_assert_eq!(world.kernel.reference_count(), 0);
        prop_assert_eq!(world.kernel.platform.frames.len(), 0);
        prop_assert_eq!(world.kernel.platform.spaces_live, 0);
    }
}

#[test]
fn destroying_a_server_holding_a_call_and_its_blocked_caller_frees_everything() {
    let mut world = world(1);
    let (client, client_thread, send) = world.clients[0];
    let receive = [u64::from(world.endpoint.0), 0, NO_TIMEOUT];
    syscall(&mut world.kernel, world.server_thread, Syscall::Receive, &receive);
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(send.0), 1]);
    // The server keeps the call and receives again: nothing can run any more.
    syscall(&mut world.kernel, world.server_thread, Syscall::Receive, &receive);
    assert_eq!(world.kernel.select_next(), None);
    // The caller goes first (the server then gets a cancel notice it never reads).
    world.kernel.destroy_process(client, ExitStatus::Killed(9), true);
    world.kernel.destroy_all();
    assert_eq!(world.kernel.select_next(), None);
    assert_eq!(
        (
            world.kernel.process_count(),
            world.kernel.thread_count(),
            world.kernel.endpoint_count(),
            world.kernel.reply_count()
        ),
        (0, 0, 0, 0)
    );
}

/// One step of a random IPC program for the fast-path comparison.
#[derive(Clone, Copy, Debug)]
enum IpcStep {
    /// A client calls the server.
    Call { client: usize, label: u32, word: u64 },
    /// The server answers its oldest held call (or none) and receives.
    ReplyReceive { answer: bool, label: u32 },
    /// The server receives, with or without a timeout.
    Receive { timeout: bool },
    /// The server answers its oldest held call.
    Reply,
    /// The server signals the notification bound to its endpoint.
    Signal,
    /// A thread lowers its priority.
    Lower { thread: usize, priority: u8 },
    /// Time passes by a tick.
    Tick,
}

fn ipc_step() -> impl Strategy<Value = IpcStep> {
    prop_oneof![
        4 => (0usize..3, 1u32..5, any::<u64>()).prop_map(|(client, label, word)| IpcStep::Call { client, label, word }),
        4 => (any::<bool>(), 1u32..5).prop_map(|(answer, label)| IpcStep::ReplyReceive { answer, label }),
        1 => any::<bool>().prop_map(|timeout| IpcStep::Receive { timeout }),
        1 => Just(IpcStep::Reply),
        1 => Just(IpcStep::Signal),
        1 => (0usize..4, 8u8..=16).prop_map(|(thread, priority)| IpcStep::Lower { thread, priority }),
        1 => Just(IpcStep::Tick),
    ]
}

/// A server with an endpoint bound to a notification, and three clients; the fast paths
/// on or off.
struct IpcWorld {
    world: World,
    notification: Handle,
    threads: [ThreadId<FakePlatform>; 4],
    /// Calls the server holds (reply ids), oldest first.
    held: Vec<u32>,
}

fn ipc_world(fast_paths: bool) -> IpcWorld {
    let mut world = world(3);
    world.kernel.fast_paths = fast_paths;
    let server = world.server_thread;
    let notification =
        Handle(ok(syscall(&mut world.kernel, server, Syscall::NotificationCreate, &[]))[0] as u32);
    ok(syscall(
        &mut world.kernel,
        server,
        Syscall::EndpointBindNotification,
        &[u64::from(world.endpoint.0), u64::from(notification.0)],
    ));
    let threads = [server, world.clients[0].1, world.clients[1].1, world.clients[2].1];
    IpcWorld { world, notification, threads, held: Vec::new() }
}

impl IpcWorld {
    fn ready(&self, thread: ThreadId<FakePlatform>) -> bool {
        self.world
            .kernel
            .threads
            .get(thread)
            .is_some_and(|entry| entry.state == super::thread::ThreadState::Ready)
    }

    /// Runs `step`; then records a call the server received.
    fn run(&mut self, step: IpcStep) {
        let server = self.threads[0];
        let endpoint = u64::from(self.world.endpoint.0);
        let server_ready = self.ready(server);
        match step {
            IpcStep::Call { client, label, word } => {
                let (_, thread, send) = self.world.clients[client];
                if self.ready(thread) {
                    let arguments = [u64::from(send.0), label.into(), word, 1, 2, 3];
                    syscall(&mut self.world.kernel, thread, Syscall::Call, &arguments);
                }
            }
            IpcStep::ReplyReceive { answer, label } if server_ready => {
                let reply = if answer && !self.held.is_empty() { self.held.remove(0) } else { 0 };
                let arguments = [reply.into(), label.into(), 9, 8, 7, 6, endpoint, 0];
                syscall(&mut self.world.kernel, server, Syscall::ReplyReceive, &arguments);
            }
            IpcStep::Receive { timeout } if server_ready => {
                let timeout = if timeout { 2_000_000 } else { NO_TIMEOUT };
                syscall(&mut self.world.kernel, server, Syscall::Receive, &[endpoint, 0, timeout]);
            }
            IpcStep::Reply if server_ready && !self.held.is_empty() => {
                let reply = self.held.remove(0);
                let arguments = [reply.into(), 5, 1, 1, 1, 1];
                syscall(&mut self.world.kernel, server, Syscall::Reply, &arguments);
            }
            IpcStep::Signal if server_ready => {
                let arguments = [u64::from(self.notification.0), 4];
                syscall(&mut self.world.kernel, server, Syscall::NotificationSignal, &arguments);
            }
            IpcStep::Lower { thread, priority } if self.ready(self.threads[thread]) => {
                let thread = self.threads[thread];
                let arguments = [0, priority.into()];
                syscall(&mut self.world.kernel, thread, Syscall::ThreadSetPriority, &arguments);
            }
            IpcStep::Tick => {
                self.world.kernel.platform.time += 1_000_000;
                self.world.kernel.timer_tick();
            }
            _ => {}
        }
        // A fast path's direct switch must be exactly what the scheduler would pick.
        let direct = self.world.kernel.take_direct_switch();
        let selected = self.world.kernel.select_next();
        if direct.is_some() {
            assert_eq!(direct, selected, "the direct switch differs from the scheduler's choice");
        }
        // A message or cancel the server just got is a call it now holds.
        let (status, results) = result(&self.world.kernel, server);
        if status == 0
            && self.ready(server)
            && let Some(received) = Received::from_slots(results)
            && matches!(received.kind, ReceivedKind::Message | ReceivedKind::Cancel)
            && !self.held.contains(&received.reply)
        {
            self.held.push(received.reply);
        }
    }

    /// Everything a program could observe, plus the scheduler's choices.
    fn observable(&self) -> Vec<String> {
        let kernel = &self.world.kernel;
        let mut view: Vec<String> = self
            .threads
            .iter()
            .map(|&thread| match kernel.threads.get(thread) {
                Some(entry) => format!(
                    "{:?} {:?} {} {:?}",
                    entry.context, entry.state, entry.priority, entry.deadline
                ),
                None => "gone".into(),
            })
            .collect();
        view.push(format!(
            "current {:?} replies {} switches {} spaces {} activations {} held {:?}",
            kernel.current,
            kernel.reply_count(),
            kernel.statistics.thread_switches,
            kernel.statistics.space_switches,
            kernel.platform.activations,
            self.held
        ));
        view
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The IPC fast paths change nothing a program or the scheduler can see: random IPC
    /// programs end every step in the same state with them on and off.
    #[test]
    fn fast_paths_match_the_general_code(steps in proptest::collection::vec(ipc_step(), 1..150)) {
        let mut fast = ipc_world(true);
        let mut general = ipc_world(false);
        for (index, step) in steps.iter().enumerate() {
            fast.run(*step);
            general.run(*step);
            prop_assert_eq!(fast.observable(), general.observable(), "after step {} ({:?})", index, step);
        }
    }
}

#[test]
fn fast_paths_are_taken_in_a_server_loop() {
    let mut world = ipc_world(true);
    let server = world.threads[0];
    world.run(IpcStep::ReplyReceive { answer: false, label: 0 });
    for round in 0..5u64 {
        world.run(IpcStep::Call { client: 0, label: 1, word: round });
        assert_eq!(world.world.kernel.current, Some(server), "the call switched to the server");
        world.run(IpcStep::ReplyReceive { answer: true, label: 2 });
        assert_eq!(world.world.kernel.current, Some(world.threads[1]), "the answer switched back");
        let (status, results) = result(&world.world.kernel, world.threads[1]);
        assert_eq!((status, results[0], results[1]), (0, 2, 9));
    }
    assert_eq!(world.world.kernel.reply_count(), 0);
}

#[test]
fn references_carry_their_badge_and_report_their_last_close() {
    let mut world = world(1);
    let (client, client_thread, _) = world.clients[0];
    let server = world.server_thread;
    let endpoint = u64::from(world.endpoint.0);
    let reference = Handle(
        ok(syscall(&mut world.kernel, server, Syscall::ReferenceCreate, &[endpoint, 77]))[0] as u32,
    );
    let info =
        ok(syscall(&mut world.kernel, server, Syscall::HandleInfo, &[u64::from(reference.0)]));
    assert_eq!(info[0], HandleKind::Reference as u64);
    // Give it to the client (copy through a duplicate), then drop the server's own.
    let object =
        world.kernel.processes.get(world.server).unwrap().handles.get(reference).unwrap().object;
    let given = world.kernel.insert_handle(client, object, Rights::SEND, 0).unwrap();
    ok(syscall(&mut world.kernel, server, Syscall::HandleClose, &[u64::from(reference.0)]));
    // A call through it arrives with the reference's badge.
    syscall(&mut world.kernel, server, Syscall::Receive, &[endpoint, 0, NO_TIMEOUT]);
    syscall(&mut world.kernel, client_thread, Syscall::Call, &[u64::from(given.0), 5]);
    let message = received(ok(result(&world.kernel, server)));
    assert_eq!((message.kind, message.badge, message.label), (ReceivedKind::Message, 77, 5));
    ok(syscall(&mut world.kernel, server, Syscall::Reply, &[u64::from(message.reply), 0]));
    // A reference cannot receive, and is not an endpoint for minting.
    assert_eq!(
        error(syscall(
            &mut world.kernel,
            client_thread,
            Syscall::Receive,
            &[u64::from(given.0), 0, 0]
        )),
        KernelError::WrongHandleKind
    );
    // Its holder dies: the server hears of the last close.
    world.kernel.destroy_process(client, ExitStatus::Killed(9), false);
    syscall(&mut world.kernel, server, Syscall::Receive, &[endpoint, 0, 0]);
    let notice = received(ok(result(&world.kernel, server)));
    assert_eq!((notice.kind, notice.badge), (ReceivedKind::Released, 77));
    assert_eq!(world.kernel.reference_count(), 0);
    assert_eq!(
        error(syscall(&mut world.kernel, server, Syscall::Receive, &[endpoint, 0, 0])),
        KernelError::Timeout
    );
}
