"""The execution session lifecycle as a pure state machine (model.md, decision 9).

Every phase change of a session goes through :func:`transition`, so that a transition the
standard does not allow cannot happen by accident (the upstream prototype ignored illegal
updates and answered 200). Client updates go through :func:`client_update`, which tells a
phase that admits no update (HTTP 409) from a phase that is not among the offered options
(HTTP 422).

Cancel goes straight to ``CANCELLED``: no ``RELEASING`` step is modelled for it. ``CANCELLED``
is terminal (decision 9) and ``RELEASING`` leads to ``COMPLETED`` only, so a cancel that
passed through ``RELEASING`` would need hidden state to know where it ends. Releasing the
resources of a cancelled session (ledger bookings, containers) is the service's duty, done
when it applies the ``CANCEL`` event; a failure during that clean-up does not change the phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ACTIVE_PHASES",
    "BROKER_EVENTS",
    "CLIENT_EVENTS",
    "HOLDING_PHASES",
    "TERMINAL_PHASES",
    "Event",
    "IllegalTransition",
    "NotAnOption",
    "Phase",
    "PhaseAdmitsNoUpdate",
    "TRANSITIONS",
    "UpdateNotAllowed",
    "allowed_events",
    "client_options",
    "client_update",
    "expiry_due",
    "is_terminal",
    "transition",
]


class Phase(StrEnum):
    """The phases of an execution session (the v1.0 session ``phase`` enum)."""

    INITIAL = "INITIAL"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    WAITING = "WAITING"
    PREPARING = "PREPARING"
    AVAILABLE = "AVAILABLE"
    RUNNING = "RUNNING"
    RELEASING = "RELEASING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class Event(StrEnum):
    """What can happen to a session. Client events come from updates, the rest from the broker."""

    # client
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    CANCEL = "CANCEL"
    # broker
    OFFER = "OFFER"
    EXPIRE = "EXPIRE"
    SIBLING_ACCEPTED = "SIBLING_ACCEPTED"
    SCHEDULE = "SCHEDULE"
    PREPARE = "PREPARE"
    READY = "READY"
    START = "START"
    FINISH = "FINISH"
    RELEASED = "RELEASED"
    FAIL = "FAIL"


CLIENT_EVENTS: frozenset[Event] = frozenset({Event.ACCEPT, Event.REJECT, Event.CANCEL})
"""The events a client may cause by an update; every other event is the broker's."""

BROKER_EVENTS: frozenset[Event] = frozenset(Event) - CLIENT_EVENTS

TERMINAL_PHASES: frozenset[Phase] = frozenset(
    {Phase.REJECTED, Phase.EXPIRED, Phase.COMPLETED, Phase.FAILED, Phase.CANCELLED}
)
"""Phases nothing leaves."""

ACTIVE_PHASES: frozenset[Phase] = frozenset(
    {
        Phase.ACCEPTED,
        Phase.WAITING,
        Phase.PREPARING,
        Phase.AVAILABLE,
        Phase.RUNNING,
        Phase.RELEASING,
    }
)
"""Phases of an accepted session that has not ended: an error here ends in ``FAILED``.

An offer (``OFFERED``) is not active: nothing runs for it, it ends by acceptance, rejection
or expiry only.
"""

HOLDING_PHASES: frozenset[Phase] = ACTIVE_PHASES | {Phase.OFFERED}
"""Phases in which a session holds resources in the booking ledger (live offers hold too)."""

_CANCELLABLE: tuple[Phase, ...] = (
    Phase.ACCEPTED,
    Phase.WAITING,
    Phase.PREPARING,
    Phase.AVAILABLE,
    Phase.RUNNING,
)


def _table() -> dict[tuple[Phase, Event], Phase]:
    table: dict[tuple[Phase, Event], Phase] = {
        (Phase.INITIAL, Event.OFFER): Phase.OFFERED,
        (Phase.OFFERED, Event.ACCEPT): Phase.ACCEPTED,
        (Phase.OFFERED, Event.REJECT): Phase.REJECTED,
        (Phase.OFFERED, Event.EXPIRE): Phase.EXPIRED,
        (Phase.OFFERED, Event.SIBLING_ACCEPTED): Phase.REJECTED,
        (Phase.ACCEPTED, Event.SCHEDULE): Phase.WAITING,
        (Phase.WAITING, Event.PREPARE): Phase.PREPARING,
        (Phase.PREPARING, Event.READY): Phase.AVAILABLE,
        (Phase.AVAILABLE, Event.START): Phase.RUNNING,
        (Phase.RUNNING, Event.FINISH): Phase.RELEASING,
        (Phase.RELEASING, Event.RELEASED): Phase.COMPLETED,
    }
    for phase in _CANCELLABLE:
        table[(phase, Event.CANCEL)] = Phase.CANCELLED
    for phase in ACTIVE_PHASES:
        table[(phase, Event.FAIL)] = Phase.FAILED
    return table


TRANSITIONS: Mapping[tuple[Phase, Event], Phase] = MappingProxyType(_table())
"""Every allowed ``(phase, event) -> next phase``; any pair not listed is illegal."""


class IllegalTransition(Exception):
    """An event that the current phase does not allow."""

    def __init__(self, phase: Phase, event: Event) -> None:
        self.phase = phase
        self.event = event
        allowed = ", ".join(sorted(allowed_events(phase))) or "none"
        super().__init__(
            f"event {event} is not allowed in phase {phase} (allowed events: {allowed})"
        )


def transition(phase: Phase, event: Event) -> Phase:
    """The phase after ``event`` happens in ``phase``; raises :class:`IllegalTransition`."""
    try:
        return TRANSITIONS[(Phase(phase), Event(event))]
    except KeyError:
        raise IllegalTransition(Phase(phase), Event(event)) from None


def allowed_events(phase: Phase) -> frozenset[Event]:
    """The events ``phase`` allows (empty for a terminal phase)."""
    return frozenset(e for (p, e) in TRANSITIONS if p == phase)


def is_terminal(phase: Phase) -> bool:
    """True if nothing can leave ``phase``."""
    return Phase(phase) in TERMINAL_PHASES


# --- client updates -----------------------------------------------------------------------

_REQUEST_EVENT: Mapping[Phase, Event] = MappingProxyType(
    {Phase.ACCEPTED: Event.ACCEPT, Phase.REJECTED: Event.REJECT, Phase.CANCELLED: Event.CANCEL}
)

_OPTIONS: Mapping[Phase, tuple[Phase, ...]] = MappingProxyType(
    {
        Phase.OFFERED: (Phase.ACCEPTED, Phase.REJECTED),
        **{phase: (Phase.CANCELLED,) for phase in _CANCELLABLE},
    }
)


def client_options(phase: Phase) -> tuple[Phase, ...]:
    """The phases a client may set now: the values of the session's enum option on ``phase``.

    ``OFFERED`` offers ``ACCEPTED`` and ``REJECTED``; ``ACCEPTED`` … ``RUNNING`` offer
    ``CANCELLED``; every other phase offers nothing (requirement 21).
    """
    return _OPTIONS.get(Phase(phase), ())


class UpdateNotAllowed(Exception):
    """A client's requested phase that cannot be applied. ``http_status`` says how to answer."""

    http_status: int = 400

    def __init__(self, phase: Phase, requested: Phase | str, message: str) -> None:
        self.phase = phase
        self.requested = requested
        self.options = client_options(phase)
        super().__init__(message)


class PhaseAdmitsNoUpdate(UpdateNotAllowed):
    """The session's phase admits no update at all (terminal, or internal): HTTP 409."""

    http_status = 409


class NotAnOption(UpdateNotAllowed):
    """The requested phase is not among the options the phase offers: HTTP 422."""

    http_status = 422


def client_update(phase: Phase, requested: Phase | str) -> Phase:
    """Apply a client's request to set the phase to ``requested``; return the new phase.

    Raises :class:`PhaseAdmitsNoUpdate` (409, ERR-04) when ``phase`` offers no option at all
    (a terminal phase, ``RELEASING``, or the internal ``INITIAL``), and :class:`NotAnOption`
    (422, ERR-05) when ``requested`` is not among :func:`client_options` (including a value
    that is not a phase).
    """
    phase = Phase(phase)
    options = client_options(phase)
    if not options:
        reason = (
            "is final"
            if is_terminal(phase)
            else "is internal"
            if phase is Phase.INITIAL
            else "offers no option"
        )
        raise PhaseAdmitsNoUpdate(
            phase,
            requested,
            f"the session is in phase {phase}, which {reason}: no update is allowed",
        )
    try:
        target = Phase(requested)
    except ValueError:
        target = None
    if target is None or target not in options:
        raise NotAnOption(
            phase,
            requested,
            f"phase {requested} is not among the options in phase {phase}: {', '.join(options)}",
        )
    return transition(phase, _REQUEST_EVENT[target])


def expiry_due(phase: Phase, expires: datetime | None, now: datetime) -> bool:
    """True if an offer must be marked ``EXPIRED`` before anything else is done with it.

    The service checks this before applying any update, so that an offer can never be
    accepted after its ``expires`` (the prototype allowed it). ``expires`` is inclusive:
    at ``now == expires`` the offer has expired.
    """
    return Phase(phase) is Phase.OFFERED and expires is not None and now >= expires
