"""The session lifecycle state machine, checked exhaustively against model.md decision 9."""

from __future__ import annotations

import itertools
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from ivoa_eb_broker.core.lifecycle import (
    ACTIVE_PHASES,
    BROKER_EVENTS,
    CLIENT_EVENTS,
    HOLDING_PHASES,
    TERMINAL_PHASES,
    Event,
    IllegalTransition,
    NotAnOption,
    Phase,
    PhaseAdmitsNoUpdate,
    UpdateNotAllowed,
    allowed_events,
    client_options,
    client_update,
    expiry_due,
    is_terminal,
    transition,
)

P, E = Phase, Event

# Written out by hand from decision 9, independently of the module's own table.
ALLOWED: dict[tuple[Phase, Event], Phase] = {
    (P.INITIAL, E.OFFER): P.OFFERED,
    (P.OFFERED, E.ACCEPT): P.ACCEPTED,
    (P.OFFERED, E.REJECT): P.REJECTED,
    (P.OFFERED, E.EXPIRE): P.EXPIRED,
    (P.OFFERED, E.SIBLING_ACCEPTED): P.REJECTED,
    (P.ACCEPTED, E.SCHEDULE): P.WAITING,
    (P.ACCEPTED, E.CANCEL): P.CANCELLED,
    (P.ACCEPTED, E.FAIL): P.FAILED,
    (P.WAITING, E.PREPARE): P.PREPARING,
    (P.WAITING, E.CANCEL): P.CANCELLED,
    (P.WAITING, E.FAIL): P.FAILED,
    (P.PREPARING, E.READY): P.AVAILABLE,
    (P.PREPARING, E.CANCEL): P.CANCELLED,
    (P.PREPARING, E.FAIL): P.FAILED,
    (P.AVAILABLE, E.START): P.RUNNING,
    (P.AVAILABLE, E.CANCEL): P.CANCELLED,
    (P.AVAILABLE, E.FAIL): P.FAILED,
    (P.RUNNING, E.FINISH): P.RELEASING,
    (P.RUNNING, E.CANCEL): P.CANCELLED,
    (P.RUNNING, E.FAIL): P.FAILED,
    (P.RELEASING, E.RELEASED): P.COMPLETED,
    (P.RELEASING, E.FAIL): P.FAILED,
}

ALL_PAIRS = list(itertools.product(Phase, Event))


def test_the_enums_are_the_standards():
    assert [p.value for p in Phase] == [
        "INITIAL",
        "OFFERED",
        "ACCEPTED",
        "REJECTED",
        "EXPIRED",
        "WAITING",
        "PREPARING",
        "AVAILABLE",
        "RUNNING",
        "RELEASING",
        "COMPLETED",
        "FAILED",
        "CANCELLED",
    ]
    assert CLIENT_EVENTS == {E.ACCEPT, E.REJECT, E.CANCEL}
    assert BROKER_EVENTS == set(Event) - CLIENT_EVENTS
    assert TERMINAL_PHASES == {P.REJECTED, P.EXPIRED, P.COMPLETED, P.FAILED, P.CANCELLED}


@pytest.mark.parametrize(("phase", "event"), ALL_PAIRS, ids=lambda x: str(x))
def test_every_phase_event_pair(phase: Phase, event: Event):
    if (phase, event) in ALLOWED:
        assert transition(phase, event) is ALLOWED[(phase, event)]
        assert event in allowed_events(phase)
    else:
        with pytest.raises(IllegalTransition) as caught:
            transition(phase, event)
        assert caught.value.phase is phase
        assert caught.value.event is event
        assert str(phase) in str(caught.value) and str(event) in str(caught.value)
        assert event not in allowed_events(phase)


def test_transition_accepts_plain_strings():
    assert transition("OFFERED", "ACCEPT") is P.ACCEPTED  # type: ignore[arg-type]


def test_illegal_transition_message_lists_the_allowed_events():
    with pytest.raises(IllegalTransition, match=r"RUNNING.*CANCEL, FAIL, FINISH"):
        transition(P.RUNNING, E.ACCEPT)
    with pytest.raises(IllegalTransition, match=r"allowed events: none"):
        transition(P.COMPLETED, E.FAIL)


def test_no_event_leaves_a_terminal_phase():
    for phase in TERMINAL_PHASES:
        assert is_terminal(phase)
        assert allowed_events(phase) == frozenset()
        assert client_options(phase) == ()
    for phase in set(Phase) - TERMINAL_PHASES:
        assert not is_terminal(phase)
        assert allowed_events(phase)


def _reachable(start: Phase) -> set[Phase]:
    seen, todo = {start}, deque([start])
    while todo:
        phase = todo.popleft()
        for event in Event:
            try:
                nxt = transition(phase, event)
            except IllegalTransition:
                continue
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_phase_is_reachable_from_initial():
    assert _reachable(P.INITIAL) == set(Phase)


def test_every_non_terminal_phase_can_reach_a_terminal_one():
    for phase in set(Phase) - TERMINAL_PHASES:
        assert _reachable(phase) & TERMINAL_PHASES, phase


def test_nothing_returns_to_initial_or_offered():
    for phase, event in ALLOWED:
        assert transition(phase, event) not in {P.INITIAL, P.OFFERED} or phase is P.INITIAL


def test_the_happy_path_in_order():
    phase = P.INITIAL
    path = [phase]
    for event in (E.OFFER, E.ACCEPT, E.SCHEDULE, E.PREPARE, E.READY, E.START, E.FINISH):
        phase = transition(phase, event)
        path.append(phase)
    phase = transition(phase, E.RELEASED)
    path.append(phase)
    assert path == [
        P.INITIAL,
        P.OFFERED,
        P.ACCEPTED,
        P.WAITING,
        P.PREPARING,
        P.AVAILABLE,
        P.RUNNING,
        P.RELEASING,
        P.COMPLETED,
    ]


def test_failure_while_releasing_is_failed():
    assert transition(P.RELEASING, E.FAIL) is P.FAILED


def test_an_offer_cannot_fail_or_be_cancelled():
    for event in (E.FAIL, E.CANCEL):
        with pytest.raises(IllegalTransition):
            transition(P.OFFERED, event)


def test_client_events_only_lead_where_the_client_may_go():
    for (_phase, event), nxt in ALLOWED.items():
        if event in CLIENT_EVENTS:
            assert nxt in {P.ACCEPTED, P.REJECTED, P.CANCELLED}


def test_phase_sets():
    assert ACTIVE_PHASES == {
        P.ACCEPTED,
        P.WAITING,
        P.PREPARING,
        P.AVAILABLE,
        P.RUNNING,
        P.RELEASING,
    }
    assert HOLDING_PHASES == ACTIVE_PHASES | {P.OFFERED}
    for phase in ACTIVE_PHASES:
        assert transition(phase, E.FAIL) is P.FAILED


# --- client options and updates -------------------------------------------------------------

OPTIONS: dict[Phase, tuple[Phase, ...]] = {
    P.OFFERED: (P.ACCEPTED, P.REJECTED),
    P.ACCEPTED: (P.CANCELLED,),
    P.WAITING: (P.CANCELLED,),
    P.PREPARING: (P.CANCELLED,),
    P.AVAILABLE: (P.CANCELLED,),
    P.RUNNING: (P.CANCELLED,),
}


@pytest.mark.parametrize("phase", list(Phase), ids=str)
def test_client_options(phase: Phase):
    assert client_options(phase) == OPTIONS.get(phase, ())


@pytest.mark.parametrize(
    ("phase", "requested"), list(itertools.product(Phase, Phase)), ids=lambda x: str(x)
)
def test_every_client_update(phase: Phase, requested: Phase):
    if requested in OPTIONS.get(phase, ()):
        assert client_update(phase, requested) is requested
    elif phase not in OPTIONS:
        with pytest.raises(PhaseAdmitsNoUpdate) as caught:
            client_update(phase, requested)
        assert caught.value.http_status == 409
        assert caught.value.options == ()
    else:
        with pytest.raises(NotAnOption) as caught:
            client_update(phase, requested)
        assert caught.value.http_status == 422
        assert caught.value.options == OPTIONS[phase]
        assert str(requested) in str(caught.value)


def test_update_errors_share_a_base_and_carry_the_request():
    with pytest.raises(UpdateNotAllowed) as caught:
        client_update(P.COMPLETED, P.CANCELLED)
    assert (caught.value.phase, caught.value.requested) == (P.COMPLETED, P.CANCELLED)
    assert "COMPLETED" in str(caught.value)


def test_terminal_phases_answer_409():
    for phase in TERMINAL_PHASES:
        with pytest.raises(PhaseAdmitsNoUpdate):
            client_update(phase, P.CANCELLED)


def test_an_unknown_requested_value_is_not_an_option():
    with pytest.raises(NotAnOption, match="BANANA"):
        client_update(P.OFFERED, "BANANA")
    with pytest.raises(NotAnOption):
        client_update(P.OFFERED, "accepted")  # phases are upper case


def test_client_can_never_set_broker_phases():
    broker_only = {
        P.INITIAL,
        P.OFFERED,
        P.EXPIRED,
        P.WAITING,
        P.PREPARING,
        P.AVAILABLE,
        P.RUNNING,
        P.RELEASING,
        P.COMPLETED,
        P.FAILED,
    }
    for phase, requested in itertools.product(Phase, broker_only):
        with pytest.raises(UpdateNotAllowed):
            client_update(phase, requested)


def test_cancel_is_not_offered_while_releasing():
    assert client_options(P.RELEASING) == ()
    with pytest.raises(PhaseAdmitsNoUpdate):
        client_update(P.RELEASING, P.CANCELLED)


def test_options_agree_with_the_transition_table():
    event_for = {P.ACCEPTED: E.ACCEPT, P.REJECTED: E.REJECT, P.CANCELLED: E.CANCEL}
    for phase in Phase:
        for option in client_options(phase):
            assert transition(phase, event_for[option]) is option


# --- expiry -----------------------------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_expiry_due_only_for_offers_at_or_after_expires():
    assert not expiry_due(P.OFFERED, T0, T0 - timedelta(microseconds=1))
    assert expiry_due(P.OFFERED, T0, T0)
    assert expiry_due(P.OFFERED, T0, T0 + timedelta(hours=1))
    assert not expiry_due(P.OFFERED, None, T0)
    for phase in set(Phase) - {P.OFFERED}:
        assert not expiry_due(phase, T0, T0 + timedelta(hours=1))
