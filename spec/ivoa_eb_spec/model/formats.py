"""String formats the JSON Schema checks, as annotated types with readable refusals.

Time strings get the schema's coarse patterns (``spec/schema/time.yaml``, the bodies come
from ``ivoa_eb_spec.iso8601``); exact checking, such as a start before its end, is the
broker's, with ``ivoa_eb_spec.iso8601``. ``date-time`` and ``uuid`` follow the checks the
JSON Schema validator's format checker makes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

from ivoa_eb_spec.iso8601 import DURATION_BODY, INSTANT_BODY, INTERVAL_BODY

__all__ = ["DateTime", "Duration", "Instant", "Interval", "NonEmpty", "Uuid"]

_RFC3339 = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
    re.IGNORECASE,
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _matching(compiled: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _date_time(value: str) -> str:
    match = _RFC3339.fullmatch(value)
    valid = match is not None and int(match[1]) > 0
    if valid:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        valid = 1 <= day <= calendar.monthrange(year, month)[1]
    if not valid:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time (e.g. 2026-03-01T09:30:00Z)")
    return value


_INSTANT = _matching(
    re.compile(INSTANT_BODY), "an ISO 8601 instant with a zone (e.g. 2026-03-01T09:30:00Z)"
)
_DURATION = _matching(
    re.compile(DURATION_BODY), "an ISO 8601 duration of weeks, or days to seconds (e.g. PT2H)"
)
_INTERVAL = _matching(
    re.compile(INTERVAL_BODY),
    "an instant, start/end or start/duration (e.g. 2026-03-01T09:00:00Z/PT8H)",
)

Instant = Annotated[str, Strict(), AfterValidator(_INSTANT)]
Duration = Annotated[str, Strict(), AfterValidator(_DURATION)]
Interval = Annotated[str, Strict(), AfterValidator(_INTERVAL)]
DateTime = Annotated[str, Strict(), AfterValidator(_date_time)]
Uuid = Annotated[str, Strict(), AfterValidator(_matching(_UUID, "a UUID"))]
#: A string that must not be empty (names, paths, kind URIs).
NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]
