"""What the command line reads from an offer, and the rules that pick the best one.

Pure functions over the offer's JSON form (the shared model dumped), so that the table, the
rules and ``--json`` read the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ivoa_eb_spec.iso8601 import parse_duration, parse_instant


@dataclass(frozen=True)
class Summary:
    """One offer as a row: when, how long, with what, at what cost, until when."""

    uuid: str
    start: str
    duration: str
    cores: int | None
    memory: int | None
    cost: float | None
    expires: str
    platform: str


def summary(document: Mapping[str, Any]) -> Summary:
    schedule = _get(document, "schedule", "available") or {}
    compute = document.get("compute") or {}
    costs = [c.get("value") for c in compute.get("costs") or [] if isinstance(c, Mapping)]
    costs += [c.get("value") for c in document.get("costs") or [] if isinstance(c, Mapping)]
    numbers = [float(v) for v in costs if isinstance(v, (int, float))]
    return Summary(
        uuid=str(_get(document, "meta", "uuid") or ""),
        start=str(schedule.get("start") or ""),
        duration=str(schedule.get("duration") or ""),
        cores=_number(_get(compute, "cores", "min")),
        memory=_number(_get(compute, "memory", "min")),
        cost=sum(numbers) if numbers else None,
        expires=str(document.get("expires") or ""),
        platform=_platform(document),
    )


def _platform(document: Mapping[str, Any]) -> str:
    for message in _get(document, "meta", "messages") or []:
        values = message.get("values") if isinstance(message, Mapping) else None
        if isinstance(values, Mapping) and isinstance(values.get("platform"), str):
            return values["platform"]
    return ""


def _get(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _start_seconds(row: Summary) -> float:
    text = row.start.split("/", 1)[0]
    try:
        return parse_instant(text).timestamp()
    except (ValueError, TypeError):
        return float("inf")


def _duration_seconds(row: Summary) -> float:
    try:
        return parse_duration(row.duration).total_seconds()
    except (ValueError, TypeError):
        return 0.0


#: The rules ``--best`` knows: each gives a sort key, smallest best; ties keep the broker's
#: order (which is its own preference).
RULES: dict[str, Callable[[Summary], Any]] = {
    "earliest": _start_seconds,
    "longest": lambda row: -_duration_seconds(row),
    "most-cores": lambda row: -(row.cores or 0),
    "most-memory": lambda row: -(row.memory or 0),
    "cheapest": lambda row: row.cost if row.cost is not None else float("inf"),
    "first": lambda row: 0,
}


def best(rows: Sequence[Summary], rule: str) -> int:
    """The index of the best offer by ``rule`` (a key of :data:`RULES`)."""
    if not rows:
        raise ValueError("no offers to choose from")
    key = RULES[rule]
    return min(range(len(rows)), key=lambda index: (key(rows[index]), index))
