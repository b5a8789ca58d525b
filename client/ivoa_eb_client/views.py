"""What an offer set and a session look like to a program: typed fields, messages, warnings.

These bases hold an answer's model and read it; :mod:`.sync` and :mod:`.aio` add the
operations (accept, refresh, wait, cancel), blocking or ``async``.
"""

from __future__ import annotations

import sys
import warnings
from datetime import datetime
from typing import Any

from ivoa_eb_spec.iso8601 import parse_instant
from ivoa_eb_spec.model import MessageItem, MessageLevel, OfferSetResponse, SessionPhase

from .errors import BrokerWarning

#: Phases a session never leaves.
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "REJECTED", "EXPIRED"})
#: What :meth:`wait` waits for unless told otherwise: the end of a run.
ENDED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


class _Warned:
    """Issues each WARN message of the documents it is given once, through :mod:`warnings`."""

    #: Whether WARN messages are issued through :mod:`warnings` (always kept on the object).
    issue_warnings = True

    def __init__(self) -> None:
        self._seen: set[tuple[Any, ...]] = set()
        #: Every WARN message seen on this object, in order.
        self.warnings: list[MessageItem] = []

    def _warn(self, messages: list[MessageItem]) -> None:
        for message in messages:
            if message.level is not MessageLevel.WARN:
                continue
            key = (message.time, message.template, message.message)
            if key in self._seen:
                continue
            self._seen.add(key)
            self.warnings.append(message)
            if self.issue_warnings:
                    warnings.warn(message.message or message.template or "WARN", BrokerWarning,
                              stacklevel=_caller_level())


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside this package: the warning names the
    line of the program that called the client."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class SessionView(_Warned):
    """A session (an offer is a session in phase OFFERED) as last read from its broker."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self._take(model)

    def _take(self, model: Any) -> None:
        #: The session's document as a typed model (``ivoa_eb_spec.model``).
        self.model = model
        self._warn(self.messages)

    @property
    def uuid(self) -> str:
        return str(self.model.meta.uuid)

    @property
    def url(self) -> str:
        return str(self.model.meta.url)

    @property
    def phase(self) -> SessionPhase:
        return SessionPhase(str(self.model.phase))

    @property
    def created(self) -> datetime | None:
        """When the broker made the offer (what the listing's ``after`` and ``before`` test)."""
        value = getattr(self.model.meta, "created", None)
        return parse_instant(value) if isinstance(value, str) else None

    @property
    def expires(self) -> datetime | None:
        """When the offer lapses if not accepted (``None`` once it is no offer)."""
        value = getattr(self.model, "expires", None)
        return parse_instant(value) if isinstance(value, str) else None

    @property
    def messages(self) -> list[MessageItem]:
        return list(self.model.meta.messages or [])

    @property
    def ended(self) -> bool:
        """Whether the phase can no longer change."""
        return self.phase in TERMINAL

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uuid} {self.phase}>"


class OfferSetView(_Warned):
    """An offer set: the result, the broker's messages, and the offers."""

    def __init__(self, model: OfferSetResponse) -> None:
        super().__init__()
        self._take(model)

    def _take(self, model: OfferSetResponse) -> None:
        self.model = model
        self._warn(self.messages)

    @property
    def uuid(self) -> str:
        return str(self.model.meta.uuid)

    @property
    def url(self) -> str:
        return str(self.model.meta.url)

    @property
    def result(self) -> str:
        """``"YES"`` or ``"NO"``."""
        return str(self.model.result)

    @property
    def messages(self) -> list[MessageItem]:
        return list(self.model.meta.messages or [])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uuid} {self.result}>"


def wanted(until: Any) -> frozenset[str]:
    """The phases to wait for, as strings (a phase, a name, or a set of either)."""
    if until is None:
        return ENDED
    if isinstance(until, str):
        return frozenset({str(until)})
    return frozenset(str(phase) for phase in until)
