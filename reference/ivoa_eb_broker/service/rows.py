"""Conversions between stored rows and documents, and the service's common refusals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ivoa_eb_spec.iso8601 import format_instant, parse_duration, parse_instant

from ..core import Booking, BookingState, PhaseAdmitsNoUpdate, Resources, UpdateNotAllowed
from ..platforms import Platform
from . import documents
from .errors import Problem, conflict, not_found, unprocessable
from .messages import error
from .ownership import Identity, permitted

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def timings(platform: Platform) -> tuple[timedelta, timedelta]:
    """How long the platform takes to prepare and to release."""
    return platform.timings()


_REASON_PATHS = {
    "negative-minimum": "/compute/{resource}/min",
    "min-above-max": "/compute/{resource}/min",
    "insufficient-capacity": "/compute/{resource}/min",
    "duration-not-positive": "/schedule/requested/duration",
    "duration-beyond-horizon": "/schedule/requested/duration",
    "window-empty": "/schedule/requested/start",
    "window-in-past": "/schedule/requested/start",
    "window-too-soon": "/schedule/requested/start",
    "window-beyond-horizon": "/schedule/requested/start",
}


def reason_path(code: str, values: Mapping[str, str]) -> str:
    """The request part a planner reason is about (storage sizes are per resource: /storage)."""
    if values.get("resource") == "storage":
        return "/storage"
    return _REASON_PATHS.get(code, "").format(resource=values.get("resource", ""))


def booking_of_row(row: Mapping[str, Any]) -> Booking:
    """The core's booking record of a ``bookings`` row (HELD or COMMITTED)."""
    return Booking(
        id=row["id"],
        owner=row["session"],
        group=row["offerset"],
        resources=Resources(row["cores"], row["memory"], row["storage"]),
        start=row["start"],
        end=row["end"],
        state=BookingState.COMMITTED if row["state"] == "COMMITTED" else BookingState.HELD,
        expires=row["expires"] if row["state"] == "HELD" else None,
    )


def available(document: Mapping[str, Any], booking: Mapping[str, Any]
              ) -> tuple[datetime, timedelta]:
    """When a session is available, and for how long: its published schedule's
    ``available`` step. The booking spans more (preparing and releasing); a session stored
    without a schedule is available over its booking."""
    step = document.get("schedule", {}).get("available")
    if isinstance(step, Mapping) and "start" in step and "duration" in step:
        return parse_instant(step["start"]), parse_duration(step["duration"])
    return booking["start"], booking["end"] - booking["start"]


def prepare_at(document: Mapping[str, Any], start: datetime, preparing: timedelta) -> datetime:
    """When preparing starts: the published schedule's ``preparing.start``, else
    ``preparing`` before ``start``."""
    step = document.get("schedule", {}).get("preparing")
    if isinstance(step, Mapping) and "start" in step:
        return parse_instant(step["start"])
    return start - preparing


def stored(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message document with its time as a datetime, for the messages table."""
    stored = dict(message)
    time = stored.get("time")
    stored["time"] = parse_instant(time) if isinstance(time, str) else datetime.now(UTC)
    return stored


def iso(value: datetime | None) -> str:
    return format_instant(value) if value is not None else ""


def session_document(
    row: Mapping[str, Any], base: str, messages: Sequence[Mapping[str, Any]],
    caller: Identity | None = None,
) -> dict[str, Any]:
    """The session as ``caller`` sees it: the options it may use, and no others (SEC-03)."""
    owner = row.get("owner")
    return documents.session(
        row["document"],
        phase=row["phase"],
        url=f"{base}/sessions/{row['uuid']}",
        modified=row["modified"],
        messages=messages,
        connectors=row["document"].get("connectors"),
        allowed=lambda values: permitted(owner, caller, values),
    )


def unknown(what: str, uuid: str) -> Problem:
    return not_found(
        [error("There is no {what} with uuid {uuid}", path="", what=what, uuid=uuid)]
    )


def refused(refusal: UpdateNotAllowed, row: Mapping[str, Any]) -> Problem:
    options = ", ".join(str(o) for o in refusal.options) or "none"
    messages = [
        error(
            "{reason} (options: {options})",
            path="/value",
            reason=str(refusal),
            options=options,
            phase=str(row["phase"]),
        )
    ]
    if isinstance(refusal, PhaseAdmitsNoUpdate):
        return conflict(messages)
    return unprocessable(messages)
