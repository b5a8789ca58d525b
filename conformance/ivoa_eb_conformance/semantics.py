"""Pure judgements of an offer against the request that produced it.

Each function returns a list of problems (empty = fine) in plain words, so that checks can
attach them to requirement ids and tests can exercise them on hand-made documents. Times are
read with ``ivoa_eb_spec.iso8601``, the same rules the spec publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ivoa_eb_spec import iso8601

Doc = Mapping[str, Any]


def _get(doc: Any, *path: str | int) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(doc, list) or step >= len(doc):
                return None
        elif not isinstance(doc, Mapping):
            return None
        doc = doc[step] if isinstance(step, int) else doc.get(step)
    return doc


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _guaranteed(block: Any) -> int | float | None:
    """What an offer promises at least: its ``min``, else its ``max``."""
    low = _number(_get(block, "min"))
    return low if low is not None else _number(_get(block, "max"))


def _ceiling(block: Any) -> int | float | None:
    """The most an offer may give: its ``max``, else its ``min``."""
    high = _number(_get(block, "max"))
    return high if high is not None else _number(_get(block, "min"))


def _storage_by_name(doc: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for index, item in enumerate(_get(doc, "storage") or []):
        name = _get(item, "meta", "name")
        found[name if isinstance(name, str) else f"#{index}"] = item
    return found


ASPECTS = ("cores", "memory", "storage", "duration")


def _sized_blocks(
    request: Doc, offer: Doc, aspects: Iterable[str] = ASPECTS
) -> Iterable[tuple[str, Any, Any]]:
    """(label, requested block, offered block) for every min/max quantity of the request."""
    chosen = set(aspects)
    for field, unit in (("cores", ""), ("memory", " GiB")):
        if field in chosen:
            yield (
                f"compute {field}{unit}",
                _get(request, "compute", field),
                _get(offer, "compute", field),
            )
    if "storage" in chosen:
        offered = _storage_by_name(offer)
        for name, item in _storage_by_name(request).items():
            yield f"storage '{name}' size GiB", _get(item, "size"), _get(offered.get(name), "size")


def minimum_problems(request: Doc, offer: Doc, aspects: Iterable[str] = ASPECTS) -> list[str]:
    """Every requested minimum (cores, memory, storage size, duration) is met by the offer."""
    aspects = tuple(aspects)
    problems = []
    for label, asked, given in _sized_blocks(request, offer, aspects):
        want = _number(_get(asked, "min"))
        if want is None:
            continue
        have = _guaranteed(given)
        if have is None:
            problems.append(
                f"{label}: the request asks for at least {want}, the offer states no amount"
            )
        elif have < want:
            problems.append(
                f"{label}: the request asks for at least {want}, the offer gives {have}"
            )
    if "duration" in aspects:
        problems.extend(duration_problems(request, offer))
    return problems


def maximum_problems(request: Doc, offer: Doc) -> list[str]:
    """No offered quantity is above a requested maximum (a SHOULD NOT of the standard)."""
    problems = []
    for label, asked, given in _sized_blocks(request, offer):
        limit = _number(_get(asked, "max"))
        have = _ceiling(given)
        if limit is not None and have is not None and have > limit:
            problems.append(f"{label}: the request allows at most {limit}, the offer gives {have}")
    return problems


def duration_problems(request: Doc, offer: Doc) -> list[str]:
    asked = _get(request, "schedule", "requested", "duration")
    if not isinstance(asked, str):
        return []
    want = iso8601.parse_duration(asked)
    given = _get(offer, "schedule", "available", "duration")
    if not isinstance(given, str):
        return [
            f"duration: the request asks for {asked}, "
            "the offer states no schedule.available.duration"
        ]
    try:
        have = iso8601.parse_duration(given)
    except iso8601.TimeFormatError as error:
        return [
            f"duration: the offer's schedule.available.duration is not a valid duration: {error}"
        ]
    if have < want:
        return [f"duration: the request asks for {asked}, the offer gives only {given}"]
    return []


def offered_window(offer: Doc) -> iso8601.StartWindow | None:
    """The offer's start as a window (one instant is a window of width zero); None if absent."""
    text = _get(offer, "schedule", "available", "start")
    return iso8601.parse_start(text) if isinstance(text, str) else None


def slot_problems(offers: Iterable[Doc]) -> list[str]:
    """Each offer describes one time slot (TIME-08): one start instant or one start window,
    one duration; different slots are different offers (sessions with their own uuids)."""
    problems = []
    slots: dict[str, tuple[int, Any]] = {}
    for index, offer in enumerate(offers):
        text = _get(offer, "schedule", "available", "start")
        if text is None:
            problems.append(f"offer #{index} has no schedule.available.start: no time slot")
        elif not isinstance(text, str):
            problems.append(
                f"offer #{index}: schedule.available.start is {type(text).__name__} {text!r}, "
                "not one instant or one start window (several slots in one offer)"
            )
        else:
            try:
                iso8601.parse_start(text)
            except iso8601.TimeFormatError as error:
                problems.append(
                    f"offer #{index}: schedule.available.start {text!r} is not one instant or "
                    f"one start window: {error}"
                )
        duration = _get(offer, "schedule", "available", "duration")
        if duration is not None and not isinstance(duration, str):
            problems.append(
                f"offer #{index}: schedule.available.duration is {duration!r}, not one duration"
            )
        uuid = _get(offer, "meta", "uuid")
        if isinstance(uuid, str):
            if uuid in slots and slots[uuid][1] != text:
                problems.append(
                    f"offers #{slots[uuid][0]} and #{index} share uuid {uuid} but start at "
                    f"{slots[uuid][1]!r} and {text!r}: two slots of one session"
                )
            slots.setdefault(uuid, (index, text))
    return problems


def start_problems(request: Doc, offer: Doc) -> list[str]:
    """The offer's start lies inside the requested start window (one slot, fully inside)."""
    text = _get(offer, "schedule", "available", "start")
    if text is None:
        return ["the offer has no schedule.available.start, so its time slot is unknown"]
    if not isinstance(text, str):
        return [f"schedule.available.start is not a string: {text!r}"]
    try:
        given = iso8601.parse_start(text)
    except iso8601.TimeFormatError as error:
        return [
            f"schedule.available.start {text!r} is not one instant or one start window: {error}"
        ]
    asked_text = _get(request, "schedule", "requested", "start")
    if not isinstance(asked_text, str):
        return []
    asked = iso8601.parse_start(asked_text)
    if given.earliest < asked.earliest or given.latest > asked.latest:
        return [
            f"schedule.available.start {text!r} is not inside the requested start {asked_text!r}"
        ]
    return []


#: The shortest life an offer may have (OFF-17), from the answer that made it.
MIN_LIFETIME = timedelta(seconds=5)


def expiry_problems(
    offer: Doc,
    now: datetime,
    *,
    skew: timedelta = timedelta(seconds=2),
    lifetime: timedelta = MIN_LIFETIME,
) -> list[str]:
    """An OFFERED session has an ``expires``, a valid instant at least ``lifetime`` after
    ``now`` (aware), with ``skew`` allowed for clocks and the Date header's resolution."""
    if _get(offer, "phase") != "OFFERED":
        return []
    text = _get(offer, "expires")
    if not isinstance(text, str):
        return ["an OFFERED session has no expires"]
    try:
        when = iso8601.parse_instant(text)
    except iso8601.TimeFormatError as error:
        return [f"expires {text!r} is not a valid instant: {error}"]
    if when < now + lifetime - skew:
        return [
            f"expires {text} is less than {lifetime.total_seconds():g} s after the answer "
            f"({iso8601.format_instant(now)})"
        ]
    return []


def uuid_problems(offer_sets: Iterable[Doc]) -> list[str]:
    """Every offer set and every offer carries a uuid, and no uuid is used twice."""
    seen: dict[str, str] = {}
    problems = []
    for set_index, offer_set in enumerate(offer_sets):
        items = [(f"offer set #{set_index}", offer_set)]
        items += [
            (f"offer #{i} of set #{set_index}", o)
            for i, o in enumerate(_get(offer_set, "offers") or [])
        ]
        for label, doc in items:
            uuid = _get(doc, "meta", "uuid")
            if not isinstance(uuid, str) or not uuid:
                problems.append(f"{label} has no meta.uuid")
            elif uuid in seen:
                problems.append(f"{label} reuses uuid {uuid} of {seen[uuid]}")
            else:
                seen[uuid] = label
    return problems


def result_problems(offer_set: Doc) -> list[str]:
    """YES comes with offers, all OFFERED; NO with no offers and at least one message."""
    result = _get(offer_set, "result")
    offers = _get(offer_set, "offers") or []
    messages = _get(offer_set, "meta", "messages") or []
    if result == "YES":
        problems = [] if offers else ["result YES but no offers"]
        problems += [
            f"offer #{i} has phase {_get(o, 'phase')!r}, not OFFERED"
            for i, o in enumerate(offers)
            if _get(o, "phase") != "OFFERED"
        ]
        return problems
    if result == "NO":
        problems = [f"result NO but {len(offers)} offer(s)"] if offers else []
        return problems + ([] if messages else ["result NO without any message saying why"])
    return [f"result is {result!r}, not YES or NO"]


ALLOWED_NEXT: dict[str, frozenset[str]] = {
    "INITIAL": frozenset({"OFFERED"}),
    "OFFERED": frozenset({"ACCEPTED", "REJECTED", "EXPIRED"}),
    "ACCEPTED": frozenset({"WAITING", "PREPARING", "AVAILABLE", "RUNNING", "FAILED", "CANCELLED"}),
    "WAITING": frozenset({"PREPARING", "FAILED", "CANCELLED"}),
    "PREPARING": frozenset({"AVAILABLE", "FAILED", "CANCELLED"}),
    "AVAILABLE": frozenset({"RUNNING", "RELEASING", "FAILED", "CANCELLED"}),
    "RUNNING": frozenset({"RELEASING", "COMPLETED", "FAILED", "CANCELLED"}),
    "RELEASING": frozenset({"COMPLETED", "FAILED"}),
}
TERMINAL = frozenset({"REJECTED", "EXPIRED", "COMPLETED", "FAILED", "CANCELLED"})
ORDER = (
    "INITIAL",
    "OFFERED",
    "ACCEPTED",
    "WAITING",
    "PREPARING",
    "AVAILABLE",
    "RUNNING",
    "RELEASING",
    "COMPLETED",
)


def _reachable(start: str, goal: str) -> bool:
    """Whether ``goal`` can follow ``start`` through unseen phases (polling misses some)."""
    frontier, seen = [start], {start}
    while frontier:
        current = frontier.pop()
        for following in ALLOWED_NEXT.get(current, frozenset()):
            if following == goal:
                return True
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def transition_problems(phases: Iterable[str]) -> list[str]:
    """Consecutive observed phases follow the lifecycle (unseen phases in between are fine)."""
    problems = []
    history = list(phases)
    for before, after in zip(history, history[1:], strict=False):
        if before == after:
            continue
        if before in TERMINAL:
            problems.append(f"{before} is terminal, yet the session later showed {after}")
        elif not _reachable(before, after):
            problems.append(f"{before} -> {after} is not a lifecycle transition")
    return problems
