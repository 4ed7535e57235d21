//! Unit tests: one or more for each rule in the crate's documentation.

use alloc::vec::Vec;

use courier_abi::Errno;
use courier_abi::signal::{
    DefaultAction, SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SI_QUEUE, SI_USER, SIG_BLOCK,
    SIG_SETMASK, SIG_UNBLOCK, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGKILL,
    SIGNAL_MAX, SIGNAL_REALTIME_MIN, SIGQUIT, SIGSEGV, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP, SIGTSTP,
    SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGWINCH,
};

use crate::{
    Action, Delivery, Handler, REALTIME_QUEUE_LIMIT, Receipt, SignalInfo, SignalSet, SignalState,
    Target,
};

type State = SignalState<u32>;

fn info(signal: u32, value: u64) -> SignalInfo {
    SignalInfo { signal, code: SI_QUEUE, pid: 42, uid: 1000, value, status: 0 }
}

fn catch(handler: u32) -> Action<u32> {
    Action { handler: Handler::Catch(handler), ..Action::DEFAULT }
}

fn ignore() -> Action<u32> {
    Action { handler: Handler::Ignore, ..Action::DEFAULT }
}

fn set(signals: &[u32]) -> SignalSet {
    signals.iter().fold(SignalSet::EMPTY, |set, &signal| set.with(signal))
}

/// Catches every signal that can be caught with handler `signal`, so that deliveries show
/// which signal came and nothing is ignored or ends the process.
fn catching_everything() -> State {
    let mut state = State::new();
    for signal in 1..=SIGNAL_MAX {
        if signal != SIGKILL && signal != SIGSTOP {
            state.set_action(signal, catch(signal)).unwrap();
        }
    }
    state
}

/// Delivers everything deliverable, finishing each handler at once, and returns the
/// (signal, value) pairs in order.
fn deliver_all(state: &mut State) -> Vec<(u32, u64)> {
    let mut delivered = Vec::new();
    while let Some(delivery) = state.next_delivery() {
        match delivery {
            Delivery::Handler { info, saved_mask, .. } => {
                delivered.push((info.signal, info.value));
                state.finish_handler(saved_mask);
            }
            Delivery::Default { info, .. } => delivered.push((info.signal, info.value)),
        }
    }
    delivered
}

fn delivered_signal(delivery: Option<Delivery<u32>>) -> Option<u32> {
    match delivery? {
        Delivery::Handler { info, .. } | Delivery::Default { info, .. } => Some(info.signal),
    }
}

#[test]
fn a_new_state_has_default_actions_an_empty_mask_and_nothing_pending() {
    let mut state = State::new();
    for signal in 1..=SIGNAL_MAX {
        assert_eq!(state.action(signal), Ok(Action::DEFAULT));
    }
    assert_eq!(
        Action::<u32>::DEFAULT,
        Action { handler: Handler::Default, flags: 0, mask: SignalSet::EMPTY }
    );
    assert_eq!(Action::<u32>::default(), Action::DEFAULT);
    assert_eq!(state.mask(), SignalSet::EMPTY);
    assert_eq!(state.pending(), SignalSet::EMPTY);
    assert!(!state.has_deliverable());
    assert_eq!(state.next_delivery(), None);
    assert_eq!(State::default(), State::new());
}

#[test]
fn numbers_that_are_not_signals_are_invalid() {
    let mut state = State::new();
    for signal in [0, SIGNAL_MAX + 1, u32::MAX] {
        assert_eq!(state.action(signal), Err(Errno::Einval));
        assert_eq!(state.set_action(signal, catch(1)), Err(Errno::Einval));
        assert_eq!(state.receive(info(signal, 0), Target::Process), Receipt::Discarded);
        assert_eq!(state.receive(info(signal, 0), Target::Thread), Receipt::Discarded);
    }
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn sigkill_and_sigstop_refuse_every_new_action_even_the_default() {
    let mut state = State::new();
    for signal in [SIGKILL, SIGSTOP] {
        for action in [Action::DEFAULT, ignore(), catch(1)] {
            assert_eq!(state.set_action(signal, action), Err(Errno::Einval));
        }
        assert_eq!(state.action(signal), Ok(Action::DEFAULT));
    }
}

#[test]
fn set_action_returns_the_old_action_and_stores_the_flags_as_given() {
    let mut state = State::new();
    let first = Action {
        handler: Handler::Catch(7),
        flags: SA_SIGINFO | SA_RESTART | 1 << 40,
        mask: set(&[SIGINT]),
    };
    assert_eq!(state.set_action(SIGUSR1, first), Ok(Action::DEFAULT));
    assert_eq!(state.action(SIGUSR1), Ok(first));
    assert_eq!(state.set_action(SIGUSR1, ignore()), Ok(first));
    assert_eq!(state.action(SIGUSR1), Ok(ignore()));
}

#[test]
fn an_action_mask_never_holds_sigkill_or_sigstop() {
    let mut state = State::new();
    let action = Action { handler: Handler::Catch(1), flags: 0, mask: SignalSet::FULL };
    state.set_action(SIGUSR1, action).unwrap();
    let stored = state.action(SIGUSR1).unwrap();
    assert_eq!(stored.mask, SignalSet::FULL.difference(SignalSet::UNBLOCKABLE));
}

#[test]
fn set_mask_blocks_unblocks_and_sets() {
    let mut state = State::new();
    assert_eq!(state.set_mask(SIG_BLOCK, set(&[SIGINT, SIGTERM])), Ok(SignalSet::EMPTY));
    assert_eq!(state.set_mask(SIG_BLOCK, set(&[SIGHUP])), Ok(set(&[SIGINT, SIGTERM])));
    assert_eq!(state.mask(), set(&[SIGHUP, SIGINT, SIGTERM]));
    assert_eq!(
        state.set_mask(SIG_UNBLOCK, set(&[SIGINT, SIGUSR1])),
        Ok(set(&[SIGHUP, SIGINT, SIGTERM]))
    );
    assert_eq!(state.mask(), set(&[SIGHUP, SIGTERM]));
    assert_eq!(state.set_mask(SIG_SETMASK, set(&[SIGUSR2])), Ok(set(&[SIGHUP, SIGTERM])));
    assert_eq!(state.mask(), set(&[SIGUSR2]));
}

#[test]
fn set_mask_refuses_an_unknown_operation_and_changes_nothing() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, set(&[SIGINT])).unwrap();
    for how in [3, 4, u32::MAX] {
        assert_eq!(state.set_mask(how, SignalSet::FULL), Err(Errno::Einval));
    }
    assert_eq!(state.mask(), set(&[SIGINT]));
}

#[test]
fn sigkill_and_sigstop_are_never_blocked() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    assert_eq!(state.mask(), SignalSet::FULL.difference(SignalSet::UNBLOCKABLE));
    state.set_mask(SIG_SETMASK, set(&[SIGKILL, SIGSTOP, SIGINT])).unwrap();
    assert_eq!(state.mask(), set(&[SIGINT]));
    assert_eq!(state.replace_mask(SignalSet::FULL), set(&[SIGINT]));
    assert_eq!(state.mask(), SignalSet::FULL.difference(SignalSet::UNBLOCKABLE));
    state.finish_handler(set(&[SIGKILL, SIGHUP]));
    assert_eq!(state.mask(), set(&[SIGHUP]));
}

#[test]
fn pending_is_the_union_of_both_sets_blocked_or_not() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, set(&[SIGINT])).unwrap();
    assert_eq!(state.receive(info(SIGINT, 0), Target::Thread), Receipt::Pending);
    assert_eq!(state.receive(info(SIGTERM, 0), Target::Process), Receipt::Pending);
    assert_eq!(state.receive(info(40, 0), Target::Process), Receipt::Pending);
    assert_eq!(state.pending(), set(&[SIGINT, SIGTERM, 40]));
}

#[test]
fn a_standard_signal_coalesces_and_keeps_the_first_information() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, set(&[SIGUSR1])).unwrap();
    assert_eq!(state.receive(info(SIGUSR1, 1), Target::Process), Receipt::Pending);
    assert_eq!(state.receive(info(SIGUSR1, 2), Target::Process), Receipt::Coalesced);
    // The thread's set is another set: it holds its own instance.
    assert_eq!(state.receive(info(SIGUSR1, 3), Target::Thread), Receipt::Pending);
    assert_eq!(state.receive(info(SIGUSR1, 4), Target::Thread), Receipt::Coalesced);
    state.set_mask(SIG_UNBLOCK, set(&[SIGUSR1])).unwrap();
    assert_eq!(deliver_all(&mut state), [(SIGUSR1, 3), (SIGUSR1, 1)]);
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn signals_32_and_33_are_standard_signals() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for signal in [32, 33] {
        assert_eq!(state.receive(info(signal, 1), Target::Process), Receipt::Pending);
        assert_eq!(state.receive(info(signal, 2), Target::Process), Receipt::Coalesced);
    }
}

#[test]
fn real_time_signals_queue_in_arrival_order_with_their_values() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for (signal, value) in [(40, 1), (40, 2), (SIGNAL_REALTIME_MIN, 9), (40, 3), (SIGNAL_MAX, 5)] {
        assert_eq!(state.receive(info(signal, value), Target::Process), Receipt::Pending);
    }
    state.set_mask(SIG_UNBLOCK, SignalSet::FULL).unwrap();
    let first = state.next_delivery();
    assert!(matches!(
        first,
        Some(Delivery::Handler { info: SignalInfo { signal: 34, value: 9, .. }, .. })
    ));
    let Some(Delivery::Handler { info, saved_mask, .. }) = state.next_delivery() else { panic!() };
    // Signal 34's handler is still running (its mask blocks 34, not 40).
    assert_eq!((info.signal, info.value), (40, 1));
    // Two more instances of 40 remain, so 40 stays pending.
    assert!(state.pending().contains(40));
    state.finish_handler(saved_mask);
    state.finish_handler(SignalSet::EMPTY);
    assert_eq!(deliver_all(&mut state), [(40, 2), (40, 3), (SIGNAL_MAX, 5)]);
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn the_lowest_numbered_signal_comes_first() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for signal in [SIGTERM, 50, SIGHUP, SIGUSR2, 33, SIGINT] {
        state.receive(info(signal, 0), Target::Process);
    }
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    let order: Vec<u32> = deliver_all(&mut state).into_iter().map(|(signal, _)| signal).collect();
    assert_eq!(order, [SIGHUP, SIGINT, SIGUSR2, SIGTERM, 33, 50]);
}

#[test]
fn the_thread_set_comes_before_the_process_set() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    state.receive(info(SIGHUP, 1), Target::Process);
    state.receive(info(SIGTERM, 2), Target::Thread);
    state.receive(info(SIGSEGV, 3), Target::Process);
    state.receive(info(40, 4), Target::Thread);
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    // Even a synchronous signal in the process set waits for the thread's set.
    assert_eq!(deliver_all(&mut state), [(SIGTERM, 2), (40, 4), (SIGSEGV, 3), (SIGHUP, 1)]);
}

#[test]
fn synchronous_signals_come_first_lowest_first() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for signal in [SIGHUP, SIGSYS, SIGINT, SIGSEGV, SIGFPE, SIGBUS, SIGTRAP, SIGILL, SIGQUIT] {
        state.receive(info(signal, 0), Target::Thread);
    }
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    let order: Vec<u32> = deliver_all(&mut state).into_iter().map(|(signal, _)| signal).collect();
    assert_eq!(order, [SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS, SIGHUP, SIGINT, SIGQUIT]);
}

#[test]
fn a_blocked_signal_is_never_taken() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, set(&[SIGSEGV, SIGHUP, 40])).unwrap();
    for signal in [SIGSEGV, SIGHUP, 40, SIGUSR1] {
        state.receive(info(signal, 0), Target::Thread);
    }
    state.receive(info(SIGUSR2, 0), Target::Process);
    assert_eq!(deliver_all(&mut state), [(SIGUSR1, 0), (SIGUSR2, 0)]);
    assert!(!state.has_deliverable());
    assert_eq!(state.next_delivery(), None);
    assert_eq!(state.pending(), set(&[SIGSEGV, SIGHUP, 40]));
    state.set_mask(SIG_UNBLOCK, set(&[SIGHUP])).unwrap();
    assert!(state.has_deliverable());
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGHUP));
}

#[test]
fn catching_blocks_the_signal_and_the_action_mask_until_the_handler_returns() {
    let mut state = State::new();
    let action = Action {
        handler: Handler::Catch(5),
        flags: SA_SIGINFO,
        mask: set(&[SIGINT, SIGKILL, SIGSTOP, 40]),
    };
    state.set_action(SIGUSR1, action).unwrap();
    state.set_mask(SIG_BLOCK, set(&[SIGHUP])).unwrap();
    state.receive(info(SIGUSR1, 8), Target::Process);
    let delivery = state.next_delivery();
    let handler_mask = set(&[SIGHUP, SIGINT, 40, SIGUSR1]);
    assert_eq!(
        delivery,
        Some(Delivery::Handler {
            info: info(SIGUSR1, 8),
            handler: 5,
            flags: SA_SIGINFO,
            handler_mask,
            saved_mask: set(&[SIGHUP]),
        })
    );
    assert_eq!(state.mask(), handler_mask);
    // While the handler runs, another SIGUSR1 waits.
    assert_eq!(state.receive(info(SIGUSR1, 9), Target::Process), Receipt::Pending);
    assert!(!state.has_deliverable());
    state.finish_handler(set(&[SIGHUP]));
    assert_eq!(state.mask(), set(&[SIGHUP]));
    assert!(state.has_deliverable());
    let stored = Action { mask: set(&[SIGINT, 40]), ..action };
    assert_eq!(state.action(SIGUSR1), Ok(stored));
}

#[test]
fn sa_nodefer_leaves_the_signal_unblocked_in_its_handler() {
    let mut state = State::new();
    let action = Action { handler: Handler::Catch(5), flags: SA_NODEFER, mask: set(&[SIGINT]) };
    state.set_action(SIGUSR1, action).unwrap();
    state.receive(info(SIGUSR1, 1), Target::Process);
    let Some(Delivery::Handler { handler_mask, saved_mask, .. }) = state.next_delivery() else {
        panic!()
    };
    assert_eq!(handler_mask, set(&[SIGINT]));
    assert_eq!(saved_mask, SignalSet::EMPTY);
    // A second SIGUSR1 can interrupt the handler.
    state.receive(info(SIGUSR1, 2), Target::Process);
    assert!(state.has_deliverable());
    let Some(Delivery::Handler { info, handler_mask, saved_mask, .. }) = state.next_delivery()
    else {
        panic!()
    };
    assert_eq!(info.value, 2);
    assert_eq!((handler_mask, saved_mask), (set(&[SIGINT]), set(&[SIGINT])));
}

#[test]
fn sa_resethand_resets_only_the_handler_when_the_handler_is_entered() {
    let mut state = State::new();
    let flags = SA_RESETHAND | SA_SIGINFO | SA_RESTART;
    let action = Action { handler: Handler::Catch(5), flags, mask: set(&[SIGINT]) };
    state.set_action(SIGTERM, action).unwrap();
    state.receive(info(SIGTERM, 1), Target::Process);
    let Some(Delivery::Handler {
        handler, flags: delivered_flags, handler_mask, saved_mask, ..
    }) = state.next_delivery()
    else {
        panic!()
    };
    assert_eq!((handler, delivered_flags), (5, flags));
    assert_eq!(handler_mask, set(&[SIGINT, SIGTERM]));
    assert_eq!(
        state.action(SIGTERM),
        Ok(Action { handler: Handler::Default, flags, mask: set(&[SIGINT]) })
    );
    state.finish_handler(saved_mask);
    // The next SIGTERM takes the default action.
    state.receive(info(SIGTERM, 2), Target::Process);
    assert_eq!(
        state.next_delivery(),
        Some(Delivery::Default { info: info(SIGTERM, 2), action: DefaultAction::Terminate })
    );
}

#[test]
fn default_actions_that_end_or_stop_the_process_are_returned() {
    let mut state = State::new();
    for (signal, action) in [
        (SIGTERM, DefaultAction::Terminate),
        (SIGQUIT, DefaultAction::CoreDump),
        (SIGSEGV, DefaultAction::CoreDump),
        (SIGTSTP, DefaultAction::Stop),
        (SIGSTOP, DefaultAction::Stop),
        (SIGKILL, DefaultAction::Terminate),
        (40, DefaultAction::Terminate),
    ] {
        assert_eq!(state.receive(info(signal, 3), Target::Process), Receipt::Pending);
        assert_eq!(
            state.next_delivery(),
            Some(Delivery::Default { info: info(signal, 3), action })
        );
        assert_eq!(state.pending(), SignalSet::EMPTY);
    }
}

#[test]
fn sigkill_and_sigstop_are_delivered_whatever_the_mask() {
    let mut state = State::new();
    state.set_mask(SIG_SETMASK, SignalSet::FULL).unwrap();
    state.receive(info(SIGKILL, 0), Target::Process);
    state.receive(info(SIGSTOP, 0), Target::Thread);
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGSTOP));
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGKILL));
}

#[test]
fn an_ignored_signal_that_is_not_blocked_is_discarded_on_receipt() {
    let mut state = State::new();
    state.set_action(SIGUSR1, ignore()).unwrap();
    state.set_action(40, ignore()).unwrap();
    for signal in [SIGUSR1, 40, SIGCHLD, SIGURG, SIGWINCH, SIGCONT] {
        for target in [Target::Process, Target::Thread] {
            assert_eq!(state.receive(info(signal, 0), target), Receipt::Discarded, "{signal}");
        }
    }
    assert_eq!(state.pending(), SignalSet::EMPTY);
    // Caught, a signal ignored by default is not discarded.
    state.set_action(SIGCHLD, catch(1)).unwrap();
    assert_eq!(state.receive(info(SIGCHLD, 0), Target::Process), Receipt::Pending);
}

#[test]
fn a_blocked_signal_is_never_ignored_on_receipt() {
    let mut state = State::new();
    state.set_action(SIGUSR1, ignore()).unwrap();
    state.set_mask(SIG_BLOCK, set(&[SIGUSR1, SIGCHLD])).unwrap();
    assert_eq!(state.receive(info(SIGUSR1, 0), Target::Process), Receipt::Pending);
    assert_eq!(state.receive(info(SIGCHLD, 0), Target::Thread), Receipt::Pending);
    assert_eq!(state.pending(), set(&[SIGUSR1, SIGCHLD]));
    // Its action may change before it is unblocked.
    state.set_action(SIGUSR1, catch(3)).unwrap();
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    assert_eq!(state.pending(), set(&[SIGUSR1, SIGCHLD]));
    // SIGCHLD, still ignored by default, is consumed silently; SIGUSR1 is caught.
    assert!(state.has_deliverable());
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGUSR1));
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn ignored_pending_signals_are_consumed_silently() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    state.receive(info(SIGCHLD, 0), Target::Thread);
    state.receive(info(SIGWINCH, 0), Target::Process);
    state.receive(info(SIGCONT, 0), Target::Process);
    assert_eq!(state.pending(), set(&[SIGCHLD, SIGWINCH, SIGCONT]));
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    assert!(!state.has_deliverable());
    assert_eq!(state.pending(), set(&[SIGCHLD, SIGWINCH, SIGCONT]));
    assert_eq!(state.next_delivery(), None);
    assert_eq!(state.pending(), SignalSet::EMPTY);

    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    state.receive(info(SIGCHLD, 0), Target::Thread);
    state.receive(info(SIGTSTP, 0), Target::Thread);
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    // SIGCHLD (17) comes first and is consumed; SIGTSTP (20) stops.
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGTSTP));
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn ignoring_a_signal_discards_its_pending_instances_blocked_or_not() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, set(&[SIGUSR1, 40])).unwrap();
    for target in [Target::Process, Target::Thread] {
        state.receive(info(SIGUSR1, 0), target);
        state.receive(info(SIGUSR2, 0), target);
        state.receive(info(40, 1), target);
        state.receive(info(40, 2), target);
    }
    state.set_action(SIGUSR1, ignore()).unwrap();
    state.set_action(40, ignore()).unwrap();
    assert_eq!(state.pending(), set(&[SIGUSR2]));
    assert_eq!(state.thread.realtime_count() + state.process.realtime_count(), 0);
}

#[test]
fn the_default_action_discards_pending_signals_ignored_by_default() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for signal in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT, SIGTERM, SIGTSTP] {
        state.receive(info(signal, 0), Target::Process);
        state.receive(info(signal, 0), Target::Thread);
    }
    for signal in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT, SIGTERM, SIGTSTP] {
        state.set_action(signal, Action::DEFAULT).unwrap();
    }
    assert_eq!(state.pending(), set(&[SIGTERM, SIGTSTP]));
}

#[test]
fn catching_a_signal_keeps_its_pending_instances() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, set(&[SIGUSR1])).unwrap();
    state.receive(info(SIGUSR1, 0), Target::Process);
    state.set_action(SIGUSR1, catch(1)).unwrap();
    assert_eq!(state.pending(), set(&[SIGUSR1]));
}

#[test]
fn a_stop_signal_discards_a_pending_sigcont_from_both_sets() {
    for stop in [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU] {
        let mut state = catching_everything();
        state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
        state.receive(info(SIGCONT, 0), Target::Process);
        state.receive(info(SIGCONT, 0), Target::Thread);
        state.receive(info(SIGHUP, 0), Target::Thread);
        assert_eq!(state.receive(info(stop, 0), Target::Process), Receipt::Pending);
        assert_eq!(state.pending(), set(&[SIGHUP, stop]));
    }
}

#[test]
fn an_ignored_stop_signal_still_discards_sigcont() {
    let mut state = State::new();
    state.set_action(SIGCONT, catch(1)).unwrap();
    state.set_action(SIGTSTP, ignore()).unwrap();
    state.set_mask(SIG_BLOCK, set(&[SIGCONT])).unwrap();
    state.receive(info(SIGCONT, 0), Target::Process);
    assert_eq!(state.receive(info(SIGTSTP, 0), Target::Process), Receipt::Discarded);
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn sigcont_discards_pending_stop_signals_from_both_sets() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    state.receive(info(SIGSTOP, 0), Target::Process);
    state.receive(info(SIGTSTP, 0), Target::Thread);
    state.receive(info(SIGTTIN, 0), Target::Process);
    state.receive(info(SIGTTOU, 0), Target::Thread);
    state.receive(info(SIGHUP, 0), Target::Process);
    assert_eq!(state.receive(info(SIGCONT, 0), Target::Thread), Receipt::Pending);
    assert_eq!(state.pending(), set(&[SIGHUP, SIGCONT]));
}

#[test]
fn an_ignored_sigcont_still_discards_stop_signals() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, set(&[SIGTSTP])).unwrap();
    state.receive(info(SIGTSTP, 0), Target::Process);
    state.receive(info(SIGSTOP, 0), Target::Thread);
    // SIGCONT's default is to continue: unblocked, it is discarded, yet it clears the stops.
    assert_eq!(state.receive(info(SIGCONT, 0), Target::Process), Receipt::Discarded);
    assert_eq!(state.pending(), SignalSet::EMPTY);
}

#[test]
fn the_real_time_queue_holds_at_most_its_limit_in_both_sets_together() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for index in 0..REALTIME_QUEUE_LIMIT {
        let signal = SIGNAL_REALTIME_MIN + (index % 31) as u32;
        let target = if index % 2 == 0 { Target::Process } else { Target::Thread };
        assert_eq!(state.receive(info(signal, index as u64), target), Receipt::Pending);
    }
    for target in [Target::Process, Target::Thread] {
        assert_eq!(state.receive(info(40, 0), target), Receipt::QueueFull);
        assert_eq!(state.receive(info(SIGNAL_MAX, 0), target), Receipt::QueueFull);
        // Standard signals are not counted.
        assert_eq!(state.receive(info(SIGUSR1, 0), target), Receipt::Pending);
    }
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    // The thread's SIGUSR1 frees no room in the queue.
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGUSR1));
    state.finish_handler(SignalSet::EMPTY);
    assert_eq!(state.receive(info(40, 0), Target::Process), Receipt::QueueFull);
    // The thread's oldest instance of SIGRTMIN does: one more fits.
    assert_eq!(delivered_signal(state.next_delivery()), Some(SIGNAL_REALTIME_MIN));
    state.finish_handler(SignalSet::EMPTY);
    assert_eq!(state.receive(info(40, 0), Target::Process), Receipt::Pending);
    assert_eq!(state.receive(info(40, 0), Target::Thread), Receipt::QueueFull);
    state.discard(set(&[40]));
    assert_eq!(state.receive(info(40, 0), Target::Thread), Receipt::Pending);
}

#[test]
fn discard_drops_every_instance_from_both_sets() {
    let mut state = catching_everything();
    state.set_mask(SIG_BLOCK, SignalSet::FULL).unwrap();
    for target in [Target::Process, Target::Thread] {
        for signal in [SIGHUP, SIGINT, 40, 41] {
            state.receive(info(signal, 1), target);
            state.receive(info(signal, 2), target);
        }
    }
    state.discard(set(&[SIGHUP, 40]));
    assert_eq!(state.pending(), set(&[SIGINT, 41]));
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    assert_eq!(
        deliver_all(&mut state),
        [(SIGINT, 1), (41, 1), (41, 2), (SIGINT, 1), (41, 1), (41, 2)]
    );
    assert_eq!(state.thread.realtime_count() + state.process.realtime_count(), 0);
}

#[test]
fn has_deliverable_changes_nothing() {
    let mut state = State::new();
    state.set_mask(SIG_BLOCK, set(&[SIGCHLD])).unwrap();
    state.receive(info(SIGCHLD, 0), Target::Process);
    state.set_mask(SIG_SETMASK, SignalSet::EMPTY).unwrap();
    let before = state.clone();
    assert!(!state.has_deliverable());
    assert_eq!(state, before);
    state.receive(info(SIGTERM, 0), Target::Process);
    let before = state.clone();
    assert!(state.has_deliverable());
    assert_eq!(state, before);
    assert_eq!(state.pending(), set(&[SIGCHLD, SIGTERM]));
}

#[test]
fn the_information_is_delivered_as_received() {
    let mut state = State::new();
    let sent = SignalInfo { signal: SIGINT, code: SI_USER, pid: 3, uid: 4, value: 5, status: 6 };
    state.receive(sent, Target::Thread);
    assert_eq!(
        state.next_delivery(),
        Some(Delivery::Default { info: sent, action: DefaultAction::Terminate })
    );
}
