"""Lifecycle behaviour that scenario data cannot express: readiness by the offered start, and
concurrent accepts of one offer set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from ivoa_eb_spec import iso8601

from .. import probe
from ..context import Context, failed, judge, passed, skipped
from ..model import Outcome
from . import check

READY = ("AVAILABLE", "RUNNING", "RELEASING", "COMPLETED")
#: Slack for clocks and polling, in seconds.
TOLERANCE = 2.0
#: The longest the check waits for an offered start.
LONGEST = 60.0


@check(
    "life.ready-by-start",
    ["LIFE-19"],
    "An accepted session is prepared by the start its offer named",
    cost=5.0,
    overlap=True,
)
def ready_by_start(ctx: Context) -> Iterator[Outcome]:
    first, answer = probe.post_request(ctx, probe.document("baseline"))
    offers = probe.offers(answer.try_document()) if answer.status == 200 else []
    if not offers:
        yield skipped("the broker made no offer for the baseline request")
        return
    offer = offers[0]
    start = probe.get(offer, "schedule", "available", "start")
    if not isinstance(start, str):
        yield skipped("the offer names no schedule.available.start")
        return
    try:
        begin = iso8601.parse_start(start).latest  # LIFE-19: by the latest start allowed
    except iso8601.TimeFormatError as error:
        yield skipped(f"the offered start {start!r} does not parse: {error}")
        return
    accepted = probe.update(ctx, offer, probe.phase_update("ACCEPTED"))
    if accepted.status != 200:
        yield skipped(f"accepting the offer answered {accepted.status}")
        return
    wait = (begin - datetime.now(UTC)).total_seconds() + TOLERANCE
    if wait > min(LONGEST, ctx.remaining()):
        yield skipped(f"the offered start is {wait:.0f} s away, beyond what this run can wait")
        probe.update(ctx, offer, probe.phase_update("CANCELLED"))
        return
    time.sleep(max(wait, 0.0))
    reading = probe.read_session(ctx, offer)
    phase = probe.get(reading.try_document(), "phase")
    if phase in READY:
        yield passed(f"phase {phase} {TOLERANCE:.0f} s after the offered start {start}")
    elif phase in ("FAILED", "CANCELLED"):
        yield skipped(f"the session ended {phase} before its start: readiness cannot be judged")
    else:
        yield failed(
            f"phase {phase!r} {TOLERANCE:.0f} s after the offered start {start}; expected one of "
            f"{', '.join(READY)}",
            reading.evidence,
        )


@check(
    "life.one-accept-per-set",
    ["LIFE-11"],
    "Concurrent accepts of the offers of one set: exactly one wins",
    cost=3.0,
)
def one_accept_per_set(ctx: Context) -> Iterator[Outcome]:
    first, answer = probe.post_request(ctx, probe.document("sized"))
    offers = probe.offers(answer.try_document()) if answer.status == 200 else []
    if len(offers) < 2:
        yield skipped("the broker made fewer than two offers: nothing to race")
        return
    with ThreadPoolExecutor(len(offers)) as pool:
        answers = list(
            pool.map(lambda o: probe.update(ctx, o, probe.phase_update("ACCEPTED")), offers)
        )
    won = [i for i, a in enumerate(answers) if a.status == 200]
    phases = [probe.get(probe.read_session(ctx, o).try_document(), "phase") for o in offers]
    accepted = [i for i, p in enumerate(phases) if p not in ("OFFERED", "REJECTED", "EXPIRED")]
    for index in won:
        probe.update(ctx, offers[index], probe.phase_update("CANCELLED"))
    problems = []
    if len(won) != 1:
        problems.append(f"{len(won)} of {len(offers)} concurrent accepts answered 200, expected 1")
    if len(accepted) > 1:
        problems.append(f"offers {accepted} of one set were all accepted (phases {phases})")
    yield judge(
        problems, f"one of {len(offers)} concurrent accepts won", *[a.evidence for a in answers[:2]]
    )
