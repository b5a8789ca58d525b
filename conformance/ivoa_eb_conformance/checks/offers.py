"""Semantic checks of every offer against the request that produced it (see ``semantics``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ivoa_eb_spec import iso8601

from .. import probe, semantics
from ..context import Context, judge, skipped
from ..model import Outcome
from . import check
from .common import yes_offer_set

QUANTITIES = {"OFF-08": "cores", "OFF-09": "memory", "OFF-10": "storage", "OFF-11": "duration"}


@check(
    "off.minimums",
    list(QUANTITIES),
    "Offers meet every requested minimum (cores, memory, storage, duration)",
)
def minimums(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx, "sized")
    if found is None:
        yield skipped("the broker answered NO to the sized request: no offer to compare")
        return
    for requirement, aspect in QUANTITIES.items():
        problems = [
            f"offer #{i}: {p}"
            for i, offer in enumerate(found.offers)
            for p in semantics.minimum_problems(found.request, offer, (aspect,))
        ]
        yield judge(
            problems,
            f"{len(found.offers)} offer(s) meet the requested {aspect}",
            found.answer.evidence,
            requirements=(requirement,),
        )


@check("off.maximums", ["OFF-14"], "Offers do not exceed a requested maximum")
def maximums(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx, "sized")
    if found is None:
        yield skipped("the broker answered NO to the sized request: no offer to compare")
        return
    problems = [
        f"offer #{i}: {p}"
        for i, offer in enumerate(found.offers)
        for p in semantics.maximum_problems(found.request, offer)
    ]
    yield judge(problems, "no offer exceeds a requested maximum", found.answer.evidence)


@check(
    "time.start-window",
    ["TIME-07", "TIME-08"],
    "Every offer starts inside the requested window, in one slot",
)
def start_window(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx, "sized")
    if found is None:
        yield skipped("the broker answered NO to the sized request: no offer to compare")
        return
    problems = []
    for index, offer in enumerate(found.offers):
        problems += [f"offer #{index}: {p}" for p in semantics.start_problems(found.request, offer)]
    yield judge(
        semantics.slot_problems(found.offers),
        "each offer states one start instant or window",
        found.answer.evidence,
        requirements=("TIME-08",),
    )
    yield judge(
        problems,
        "each offer starts inside the requested window",
        found.answer.evidence,
        requirements=("TIME-07",),
    )


@check("off.expires", ["OFF-17"], "Offers expire in the future")
def expires(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx)
    if found is None:
        yield skipped("the broker answered NO to the baseline request: no offer to look at")
        return
    now = min(datetime.now(UTC), found.answer.received)
    date = found.answer.headers.get("date")
    if date:
        try:
            now = min(now, parsedate_to_datetime(date))
        except (TypeError, ValueError):
            pass
    problems = [
        f"offer #{i}: {p}"
        for i, offer in enumerate(found.offers)
        for p in semantics.expiry_problems(offer, now)
    ]
    yield judge(problems, "every offer expires in the future", found.answer.evidence)


#: What every offer carries (OFF-19): pointers into the offer, read with probe.get.
OFFER_FIELDS = (
    ("kind",),
    ("meta", "uuid"),
    ("meta", "url"),
    ("meta", "options"),
    ("phase",),
    ("expires",),
    ("executable",),
    ("compute",),
    ("schedule", "available", "start"),
    ("schedule", "available", "duration"),
)


@check("off.fields", ["OFF-19"], "Every offer carries what it promises")
def fields(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx, "sized")
    if found is None:
        yield skipped("the broker answered NO to the sized request: no offer to look at")
        return
    problems = []
    for index, offer in enumerate(found.offers):
        for path in OFFER_FIELDS:
            if probe.get(offer, *path) in (None, "", []) and path != ("meta", "options"):
                problems.append(f"offer #{index} has no {'.'.join(path)}")
            elif path == ("meta", "options") and probe.get(offer, *path) is None:
                problems.append(f"offer #{index} has no meta.options")
        for family in ("storage", "data"):
            named = {probe.get(r, "meta", "name") for r in found.request.get(family) or []}
            offered = {probe.get(r, "meta", "name") for r in offer.get(family) or []}
            problems += [
                f"offer #{index} has no {family} resource named {name!r}"
                for name in sorted(n for n in named - offered if isinstance(n, str))
            ]
    yield judge(problems, f"{len(found.offers)} offer(s) carry every field", found.answer.evidence)


def _instants(offer: dict) -> Iterator[tuple[str, object]]:
    """Every single instant of an offer, by where it is: expires, meta times, messages."""
    yield "expires", offer.get("expires")
    for field in ("created", "modified"):
        yield f"meta.{field}", probe.get(offer, "meta", field)
    for i, message in enumerate(probe.get(offer, "meta", "messages") or []):
        yield f"meta.messages[{i}].time", probe.get(message, "time")


@check("time.instant-grammar", ["TIME-10"], "Every instant follows the one instant grammar")
def instant_grammar(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx, "sized")
    if found is not None:
        problems = []
        for index, offer in enumerate(found.offers):
            for where, value in _instants(offer):
                if value is None:
                    continue
                try:
                    iso8601.parse_instant(value)  # type: ignore[arg-type]
                except iso8601.TimeFormatError as error:
                    problems.append(f"offer #{index} {where}: {error}")
        yield judge(problems, "every instant of the offers parses", found.answer.evidence)
    request = probe.document("baseline")
    request.setdefault("schedule", {}).setdefault("requested", {})["start"] = "2030-06-01T09:00Z"
    first, answer = probe.post_request(ctx, request)
    paths = [
        probe.get(m, "values", "path") for m in probe.get(answer.try_document(), "messages") or []
    ]
    problems = []
    if answer.status != 400:
        problems.append(f"a start without seconds answered {answer.status}, expected 400")
    elif "/schedule/requested/start" not in paths:
        problems.append(f"the 400 names paths {paths}, not /schedule/requested/start")
    yield judge(problems, "a start without seconds is refused with 400", answer.evidence)
