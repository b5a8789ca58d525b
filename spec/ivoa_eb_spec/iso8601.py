"""ISO 8601 instants, durations and requested start windows, as the ExecutionBroker uses them.

The JSON and XML Schemas only publish coarse regex filters (``schema/time.yaml``); this module
is where the exact rules live. Each string is checked in two steps: its lexical form against
the same ASCII-only grammar the schemas publish (so a string the code accepts always passes the
schemas), then its value by :mod:`isodate` (real calendar dates, offsets, overflow).

Rules, and why:

- An instant is ``YYYY-MM-DDTHH:MM:SS[.fff...]`` followed by ``Z`` or ``±HH:MM``: RFC 3339's
  ``date-time``, the one grammar of every time value of the interface (requests and answers).
  A time without a zone is ambiguous between broker and client, so it is refused; a date alone
  is not a point in time; the seconds are required, as RFC 3339 and ``xs:dateTime`` require
  them. Extended format, upper-case ``T`` and ``Z``, ``.`` as decimal mark: one
  spelling, the one JSON, XML and RFC 3339 tools produce. Precision beyond microseconds is
  truncated; ``-00:00`` is read as UTC (RFC 3339: UTC, local offset unknown).
- A duration is positive and fixed-length: weeks (alone), days, hours, minutes and seconds
  (only seconds may have a fraction). Years and months are refused because their length
  depends on the calendar.
- A requested start is an instant, ``start/end`` (ISO 8601 interval type 1) or
  ``start/duration`` (type 2). ``duration/end`` (type 3), a bare duration (type 4) and
  repeating intervals are refused, as the standard's text says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import isodate

__all__ = [
    "DURATION_BODY",
    "INSTANT_BODY",
    "INTERVAL_BODY",
    "StartWindow",
    "TimeFormatError",
    "format_duration",
    "format_instant",
    "format_window",
    "parse_duration",
    "parse_instant",
    "parse_start",
]


class TimeFormatError(ValueError):
    """A time string that is not one of the forms the ExecutionBroker accepts; the message
    says what is wrong and what is accepted."""


# The lexical grammar, written once. Each body uses only plain groups, alternation,
# quantifiers, ASCII classes and escaped literals, so the same text is a valid regex in
# Python, ECMA-262 and XSD 1.1; schema/time.yaml publishes exactly these bodies
# (a test checks it).
_DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
_OFFSET = r"(Z|[+\-]([01][0-9]|2[0-3]):[0-5][0-9])"
_SECONDS = r"[0-9]+(\.[0-9]+)?S"
_TIME_PART = rf"T([0-9]+H([0-9]+M)?({_SECONDS})?|[0-9]+M({_SECONDS})?|{_SECONDS})"

INSTANT_BODY = rf"{_DATE}T{_TIME}{_OFFSET}"
"""Regex body of an instant (the part between the anchors)."""
DURATION_BODY = rf"P([0-9]+W|[0-9]+D({_TIME_PART})?|{_TIME_PART})"
"""Regex body of a duration (the part between the anchors)."""
INTERVAL_BODY = rf"{INSTANT_BODY}(/({INSTANT_BODY}|{DURATION_BODY}))?"
"""Regex body of a requested start: instant, start/end or start/duration."""

_INSTANT = re.compile(INSTANT_BODY)
_DURATION = re.compile(DURATION_BODY)
_DATE_ONLY = re.compile(_DATE)
_NAIVE = re.compile(rf"{_DATE}T{_TIME}")
_NO_SECONDS = re.compile(rf"{_DATE}T([01][0-9]|2[0-3]):[0-5][0-9]{_OFFSET}")
_NAIVE_NO_SECONDS = re.compile(rf"{_DATE}T([01][0-9]|2[0-3]):[0-5][0-9]")

_INSTANT_FORM = (
    "expected YYYY-MM-DDTHH:MM:SS[.fff] followed by Z or an offset +HH:MM / -HH:MM, "
    "e.g. 2026-03-01T09:30:00Z"
)
_DURATION_FORM = (
    "expected a positive ISO 8601 duration PnW or PnDTnHnMnS (at least one part, only the "
    "seconds may have a fraction, written with '.'), e.g. PT2H30M or P1DT12H"
)
_START_FORM = (
    "expected an instant, start/end or start/duration, "
    "e.g. 2026-03-01T09:00:00Z/2026-03-01T17:00:00Z or 2026-03-01T09:00:00Z/PT8H"
)


def _refuse(kind: str, text: str, problem: str, form: str) -> TimeFormatError:
    return TimeFormatError(f"{kind} {text!r} {problem}; {form}")


def _check_string(kind: str, text: object, form: str) -> str:
    if not isinstance(text, str):
        raise TimeFormatError(f"{kind} must be a string, not {type(text).__name__}; {form}")
    if any(c.isspace() for c in text):
        raise _refuse(kind, text, "contains white space or a line break", form)
    if not text:
        raise _refuse(kind, text, "is empty", form)
    return text


def parse_instant(text: str) -> datetime:
    """Parse an instant into an aware datetime in UTC; refuse dates alone and zone-less times."""
    kind = "instant"
    _check_string(kind, text, _INSTANT_FORM)
    if not _INSTANT.fullmatch(text):
        if _DATE_ONLY.fullmatch(text):
            problem = "is a date alone, not an instant: add a time of day and Z or an offset"
        elif _NO_SECONDS.fullmatch(text):
            problem = "has no seconds: write the time of day as HH:MM:SS"
        elif _NAIVE.fullmatch(text):
            problem = "has no time zone: add Z (UTC) or a numeric offset such as +01:00"
        elif _NAIVE_NO_SECONDS.fullmatch(text):
            problem = "has no time zone and no seconds: write HH:MM:SS and add Z or an offset"
        elif _INSTANT.fullmatch(text.upper()):
            problem = "uses lower case: write 'T' and 'Z' in upper case"
        elif (
            (naive := _NAIVE.match(text))
            and not text[naive.end()].isdigit()
            and text[naive.end()] not in ":."
        ):
            problem = f"has {text[naive.end() :]!r} where only Z or an offset +HH:MM may be"
        else:
            problem = (
                "is not an ISO 8601 instant in extended format "
                "(month 01-12, day 01-31, hour 00-23, minute and second 00-59)"
            )
        raise _refuse(kind, text, problem, _INSTANT_FORM)
    try:
        value = isodate.parse_datetime(text)
        return value.astimezone(UTC)
    except (ValueError, OverflowError, isodate.ISO8601Error) as err:
        raise _refuse(
            kind, text, f"is not a real date and time, or out of range ({err})", _INSTANT_FORM
        ) from err


def parse_duration(text: str) -> timedelta:
    """Parse a positive, fixed-length duration; refuse negatives, zero, years and months."""
    kind = "duration"
    _check_string(kind, text, _DURATION_FORM)
    if text.startswith("-"):
        raise _refuse(kind, text, "is negative: durations must be positive", _DURATION_FORM)
    if not _DURATION.fullmatch(text):
        date_part = text.partition("T")[0]
        if text.startswith("P") and ("Y" in date_part or "M" in date_part):
            problem = (
                "uses years or months, whose length depends on the calendar: "
                "give the length in days or weeks instead (e.g. P30D)"
            )
        elif text.startswith("P") and "W" in text:
            problem = "combines weeks with other parts: write weeks alone (P2W) or use days"
        elif "," in text:
            problem = "uses ',' as decimal mark: write '.'"
        elif re.search(r"[.,][0-9]*[WDHM]", text):
            problem = "has a fraction outside the seconds: only the seconds may have one"
        elif text.upper() != text and _DURATION.fullmatch(text.upper()):
            problem = "uses lower case: write the designators P, W, D, T, H, M, S in upper case"
        elif text in ("P", "PT") or text.endswith("T"):
            problem = "has no value: give at least one part after P (and after T)"
        else:
            problem = "is not an ISO 8601 duration"
        raise _refuse(kind, text, problem, _DURATION_FORM)
    try:
        value = isodate.parse_duration(text)
    except (ValueError, OverflowError, isodate.ISO8601Error) as err:
        raise _refuse(kind, text, f"is out of range ({err})", _DURATION_FORM) from err
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise _refuse(
            kind, text, "is zero (or below a microsecond): it must be positive", _DURATION_FORM
        )
    return value


@dataclass(frozen=True)
class StartWindow:
    """The range of start instants a client asks for; an offer's start must lie inside it."""

    earliest: datetime
    latest: datetime

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None or self.latest.tzinfo is None:
            raise ValueError("StartWindow needs aware datetimes (with a time zone)")
        if self.latest < self.earliest:
            raise ValueError("StartWindow latest is before earliest")

    def contains(self, t: datetime) -> bool:
        """True when ``t`` (an aware datetime) is within the window, both ends included."""
        if t.tzinfo is None:
            raise ValueError("StartWindow.contains needs an aware datetime (with a time zone)")
        return self.earliest <= t <= self.latest


def parse_start(text: str) -> StartWindow:
    """Parse a requested start: an instant, ``start/end`` or ``start/duration``."""
    kind = "requested start"
    _check_string(kind, text, _START_FORM)
    if text.startswith("R"):
        raise _refuse(
            kind,
            text,
            "is a repeating interval (R...), which the standard does not "
            "allow: ask for one start window",
            _START_FORM,
        )
    parts = text.split("/")
    if len(parts) > 2:
        raise _refuse(kind, text, "has more than one '/'", _START_FORM)
    first = parts[0]
    if first.lstrip("+-").startswith("P"):
        form = (
            "duration/end (ISO 8601 interval type 3)"
            if len(parts) == 2
            else "a bare duration (ISO 8601 interval type 4)"
        )
        raise _refuse(
            kind,
            text,
            f"is {form}, which the standard does not allow: give the start first",
            _START_FORM,
        )
    second = parts[1] if len(parts) == 2 else None
    try:
        start = parse_instant(first)
        if second is None:
            return StartWindow(start, start)
        length = parse_duration(second) if second.lstrip("+-").startswith("P") else None
        end = parse_instant(second) if length is None else None
    except TimeFormatError as err:
        raise TimeFormatError(f"in requested start {text!r}: {err}") from err
    if length is not None:
        try:
            end = start + length
        except OverflowError as err:
            raise _refuse(kind, text, "ends after the year 9999", _START_FORM) from err
    assert end is not None
    if end < start:
        raise _refuse(kind, text, "ends before it starts", _START_FORM)
    return StartWindow(start, end)


def format_instant(dt: datetime) -> str:
    """The canonical UTC spelling: ``YYYY-MM-DDTHH:MM:SSZ``, with a fraction only if non-zero."""
    if dt.tzinfo is None:
        raise ValueError("format_instant needs an aware datetime (with a time zone)")
    u = dt.astimezone(UTC)
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    if u.microsecond:
        text += "." + f"{u.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_duration(td: timedelta) -> str:
    """The canonical spelling ``PnDTnHnMnS`` without zero parts; only for positive durations."""
    if td <= timedelta(0):
        raise ValueError(f"format_duration needs a positive duration, not {td}")
    hours, rest = divmod(td.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{td.days}D" if td.days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or td.microseconds:
        clock += str(seconds)
        if td.microseconds:
            clock += "." + f"{td.microseconds:06d}".rstrip("0")
        clock += "S"
    return text + ("T" + clock if clock else "")


def format_window(w: StartWindow) -> str:
    """``start/end`` in canonical UTC, or the bare instant when the window is one instant."""
    if w.earliest == w.latest:
        return format_instant(w.earliest)
    return f"{format_instant(w.earliest)}/{format_instant(w.latest)}"
