"""The UWS-like extensions: listing one's sessions (GET /sessions) and the blocking read
(GET /sessions/{uuid}?wait=N).

Both are optional (UWS-01, UWS-05 are MAYs). A broker without the listing answers GET
/sessions with 404, and one without the blocking read answers ``?wait=`` at once
without the ``EB-Wait`` header: the checks of the extension's MUSTs are then not applicable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ivoa_eb_spec import iso8601

from .. import probe, spec
from ..context import Context, failed, judge, not_applicable, passed, skipped
from ..http import Answer, BrokerClient
from ..model import Outcome
from . import check

ABSENT = (404,)
#: The most pages a check follows before it gives up on finding its sessions.
MOST_PAGES = 50
#: The header by which a broker says it honoured ``wait``, and the seconds it applied.
WAIT_HEADER = "eb-wait"
#: The bound the timing check asks for, and the slack allowed on each side.
SHORT_WAIT = 3
SLACK = 1.0
#: A wait long enough that answering "at once" is unmistakable, within the client's timeout.
LONG_WAIT = 10


def _listing(ctx: Context) -> Answer:
    """GET /sessions once per run: whether the broker has the listing extension."""
    return ctx.memo("uws:listing", lambda: ctx.client.get("sessions"))


def _absent(ctx: Context) -> bool:
    return _listing(ctx).status in ABSENT


def _fresh_offers(ctx: Context) -> tuple[list[dict[str, Any]], datetime | None, Answer]:
    """A new offer set of the baseline request: its offers and its creation instant."""
    _, answer = probe.post_request(ctx, probe.document("baseline"))
    doc = answer.try_document() if answer.status == 200 else None
    offers = probe.offers(doc)
    return offers, _instant(probe.get(offers[0], "meta", "created") if offers else None), answer


def _instant(value: Any) -> datetime | None:
    """``value`` as an instant, or None when it is not one."""
    try:
        return iso8601.parse_instant(value) if isinstance(value, str) else None
    except iso8601.TimeFormatError:
        return None


def _two_fresh_offers(ctx: Context) -> tuple[list[dict[str, Any]], datetime, str] | Outcome:
    """Two or more new offers, their creation instant and the ``after`` value just before it;
    or the outcome that ends the check (no listing, too few offers)."""
    if _absent(ctx):
        return not_applicable("the broker does not list sessions (UWS-01)")
    offers, created, _ = _fresh_offers(ctx)
    if len(offers) < 2 or created is None:
        _reject(ctx, offers)
        return skipped("the baseline request got fewer than two offers with meta.created")
    return offers, created, iso8601.format_instant(created - timedelta(seconds=1))


def _walk(client: BrokerClient, query: list[tuple[str, str]]
          ) -> tuple[list[Answer], list[dict[str, Any]], list[str]]:
    """Every page of a listing, following ``next``: the answers, the sessions, problems."""
    answers: list[Answer] = []
    sessions: list[dict[str, Any]] = []
    problems: list[str] = []
    target: str | None = "sessions?" + urlencode(query)
    while target is not None and len(answers) < MOST_PAGES:
        answer = client.get(target)
        answers.append(answer)
        if answer.status != 200:
            problems.append(f"GET {target} answered {answer.status}")
            break
        doc = answer.try_document()
        problems += [f"page {len(answers)}: {p}" for p in spec.schema_errors(doc, "session-list")]
        found = probe.get(doc, "sessions")
        sessions += [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []
        following = probe.get(doc, "next")
        target = following if isinstance(following, str) and following else None
    return answers, sessions, problems


def _uuids(sessions: list[dict[str, Any]]) -> list[str]:
    return [str(probe.get(s, "meta", "uuid")) for s in sessions]


def _reject(ctx: Context, offers: list[dict[str, Any]]) -> None:
    for offer in offers:
        ctx.client.request("POST", probe.session_target(offer), record=False,
                           content_type="application/json",
                           content='{"kind": "uri:enum-value-update", "path": "phase", '
                                   '"value": "REJECTED"}')


@check("uws.list", ["UWS-01"], "GET /sessions answers a SessionList, or 404 without the "
       "extension", reads_all=True)
def listing(ctx: Context) -> Iterator[Outcome]:
    answer = _listing(ctx)
    if answer.status in ABSENT:
        yield passed(f"GET /sessions answered {answer.status}: the broker does not list sessions")
        return
    if answer.status != 200:
        yield failed(f"GET /sessions answered {answer.status}, expected 200 or 404",
                     answer.evidence)
        return
    doc = answer.try_document()
    problems = spec.schema_errors(doc, "session-list")
    created = [probe.get(s, "meta", "created") for s in probe.get(doc, "sessions") or []
               if isinstance(s, dict)]
    known = [m for m in map(_instant, created) if m is not None]
    if known != sorted(known):
        problems.append("the sessions are not in order of meta.created, oldest first")
    yield judge(problems, f"a SessionList of {len(created)} sessions", answer.evidence)


@check("uws.list-filters", ["UWS-03"], "GET /sessions filters by phase, after and before, "
       "and refuses values that do not parse", cost=2.0, reads_all=True)
def list_filters(ctx: Context) -> Iterator[Outcome]:
    prepared = _two_fresh_offers(ctx)
    if isinstance(prepared, Outcome):
        yield prepared
        return
    offers, created, after = prepared
    _reject(ctx, offers[:1])  # one REJECTED among OFFERED siblings: the phase filter shows
    mine = set(_uuids(offers))
    problems: list[str] = []
    answers, listed, trouble = _walk(ctx.client, [("phase", "OFFERED"), ("after", after)])
    problems += trouble
    for session in listed:
        uuid, phase = probe.get(session, "meta", "uuid"), probe.get(session, "phase")
        if phase != "OFFERED":
            problems.append(f"phase=OFFERED listed {uuid} in phase {phase}")
        stamp = probe.get(session, "meta", "created")
        moment = _instant(stamp)
        if moment is not None and moment <= created - timedelta(seconds=1):
            problems.append(f"after={after} listed {uuid}, created {stamp}")
    expected = mine - {_uuids(offers[:1])[0]}
    found = set(_uuids(listed))
    # An offer may have expired meanwhile (short offer lifetimes): missing only if still OFFERED.
    missing = sorted(u for u in expected - found if probe.get(ctx.client.get(
        f"sessions/{u}").try_document(), "phase") == "OFFERED")
    if not trouble and missing:
        problems.append(f"offers {missing} (OFFERED, created after {after}) are missing from "
                        "the listing")
    if _uuids(offers[:1])[0] in found:
        problems.append(f"the REJECTED offer {_uuids(offers[:1])[0]} is listed with "
                        "phase=OFFERED")
    before = iso8601.format_instant(created)
    earlier, shown, trouble = _walk(ctx.client, [("before", before), ("after", after)])
    problems += trouble
    if mine & set(_uuids(shown)):
        problems.append(f"before={before} listed offers created at {before}")
    refusals = [ctx.client.get("sessions?phase=NOPE"), ctx.client.get("sessions?after=yesterday")]
    for refusal in refusals:
        if refusal.status != 400:
            problems.append(f"{refusal.evidence.url} answered {refusal.status}, expected 400")
        elif spec.schema_errors(refusal.try_document(), "error"):
            problems.append(f"the 400 to {refusal.evidence.url} has no valid ErrorResponse")
    _reject(ctx, offers[1:])
    yield judge(problems, f"{len(listed)} OFFERED sessions listed after {after}, none before "
                f"{before}, bad values refused", *[a.evidence for a in answers[:2]],
                earlier[0].evidence, *[r.evidence for r in refusals])


@check("uws.list-pages", ["UWS-04"], "GET /sessions pages are bounded by limit and linked by "
       "next", cost=2.0, reads_all=True)
def list_pages(ctx: Context) -> Iterator[Outcome]:
    prepared = _two_fresh_offers(ctx)
    if isinstance(prepared, Outcome):
        yield prepared
        return
    offers, _, after = prepared
    answers, listed, problems = _walk(ctx.client, [("after", after), ("limit", "1")])
    for number, answer in enumerate(answers, start=1):
        count = len(probe.get(answer.try_document(), "sessions") or [])
        if count > 1:
            problems.append(f"page {number} holds {count} sessions with limit=1")
    uuids = _uuids(listed)
    if len(set(uuids)) != len(uuids):
        problems.append("a session is listed on more than one page")
    missing = set(_uuids(offers)) - set(uuids)
    if missing and len(answers) < MOST_PAGES:
        problems.append(f"offers {sorted(missing)} are on no page")
    _reject(ctx, offers)
    yield judge(problems, f"{len(answers)} pages of one session each", *[
        a.evidence for a in answers[:3]])


@check("uws.list-own", ["UWS-02"], "Another identity's sessions are never listed", cost=2.0,
       reads_all=True)
def list_own(ctx: Context) -> Iterator[Outcome]:
    if not ctx.options.second_headers:
        yield not_applicable("the suite was given no second identity (--second-header)")
        return
    if _absent(ctx):
        yield not_applicable("the broker does not list sessions (UWS-01)")
        return
    offers, created, answer = _fresh_offers(ctx)
    if not offers or created is None:
        yield skipped("the baseline request got no offer with meta.created")
        return
    after = [("after", iso8601.format_instant(created - timedelta(seconds=1)))]
    other = ctx.client.with_headers(ctx.options.second_headers)
    try:
        theirs, shown, problems = _walk(other, after)
    finally:
        other.close()
    leaked = set(_uuids(offers)) & set(_uuids(shown))
    if leaked:
        problems.append(f"the second identity's listing shows the first's offers {sorted(leaked)}")
    own, listed, trouble = _walk(ctx.client, after)
    problems += trouble
    if not set(_uuids(offers)) <= set(_uuids(listed)):
        problems.append("the owner's listing lacks its own offers")
    _reject(ctx, offers)
    yield judge(problems, "each identity lists its own sessions only",
                *[a.evidence for a in theirs[:2]], own[0].evidence)


def _wait_read(ctx: Context, offer: dict[str, Any], query: str) -> tuple[Answer, float]:
    target = probe.session_target(offer)
    started = time.monotonic()
    answer = ctx.client.get(f"{target}?{query}")
    return answer, time.monotonic() - started


def _waiting(ctx: Context) -> tuple[bool, dict[str, Any] | None, Answer | None]:
    """Whether the broker honours ``wait`` (it sends EB-Wait), judged once per run on an
    offer of its own, which the other checks of the blocking read then use."""

    def find() -> tuple[bool, dict[str, Any] | None, Answer | None]:
        offers, _, _ = _fresh_offers(ctx)
        if not offers:
            return False, None, None
        _reject(ctx, offers[1:])
        answer, _ = _wait_read(ctx, offers[0], "wait=0")
        return WAIT_HEADER in answer.headers, offers[0], answer

    return ctx.memo("uws:waiting", find)


@check("uws.wait", ["UWS-05", "UWS-06"], "A blocking read answers on a phase change, at once "
       "on a terminal phase, else by its bound", cost=4.0)
def blocking_read(ctx: Context) -> Iterator[Outcome]:
    honoured, offer, probe_answer = _waiting(ctx)
    if offer is None or probe_answer is None:
        yield skipped("the broker made no offer for the baseline request")
        return
    if probe_answer.status != 200:
        yield failed(f"reading an offer with wait=0 answered {probe_answer.status}",
                     probe_answer.evidence, requirements=("UWS-05",))
        return
    if not honoured:
        yield passed("the broker does not honour wait (no EB-Wait)", requirements=("UWS-05",))
        yield not_applicable("the broker does not honour wait (UWS-05)",
                             requirements=("UWS-06",))
        return
    yield passed("EB-Wait on a read with wait", requirements=("UWS-05",))
    problems: list[str] = []
    timed, seconds = _wait_read(ctx, offer, f"wait={SHORT_WAIT}")
    phase = probe.get(timed.try_document(), "phase")
    evidence = [timed.evidence]
    if phase == "OFFERED" and not SHORT_WAIT - SLACK <= seconds <= SHORT_WAIT + 2 * SLACK:
        problems.append(f"wait={SHORT_WAIT} on an OFFERED offer answered after {seconds:.1f} s")
    if timed.headers.get(WAIT_HEADER) != str(SHORT_WAIT):
        problems.append(f"EB-Wait is {timed.headers.get(WAIT_HEADER)!r} for wait={SHORT_WAIT}")
    other, seconds = _wait_read(ctx, offer, f"wait={LONG_WAIT}&phase=RUNNING")
    evidence.append(other.evidence)
    if probe.get(other.try_document(), "phase") == "OFFERED" and seconds > 2 * SLACK:
        problems.append(f"phase=RUNNING on an OFFERED offer waited {seconds:.1f} s, "
                        "expected an answer at once")
    _reject(ctx, [offer])
    ended, seconds = _wait_read(ctx, offer, f"wait={LONG_WAIT}")
    evidence.append(ended.evidence)
    if seconds > 2 * SLACK:
        problems.append(f"wait={LONG_WAIT} on a {probe.get(ended.try_document(), 'phase')} "
                        f"session waited {seconds:.1f} s, expected an answer at once")
    yield judge(problems, "bounded, and at once when the phase differs or is terminal",
                *evidence, requirements=("UWS-06",))


@check("uws.wait-refused", ["UWS-07"], "A wait or phase that does not parse is a 400")
def wait_refused(ctx: Context) -> Iterator[Outcome]:
    honoured, offer, _ = _waiting(ctx)
    if offer is None:
        yield skipped("the broker made no offer for the baseline request")
        return
    if not honoured:
        yield not_applicable("the broker does not honour wait (UWS-05)")
        return
    problems = []
    answers = [_wait_read(ctx, offer, query)[0] for query in ("wait=soon", "wait=5&phase=NOPE")]
    for answer in answers:
        if answer.status != 400:
            problems.append(f"{answer.evidence.url} answered {answer.status}, expected 400")
        elif spec.schema_errors(answer.try_document(), "error"):
            problems.append(f"the 400 to {answer.evidence.url} has no valid ErrorResponse")
    yield judge(problems, "400 for wait=soon and phase=NOPE", *[a.evidence for a in answers])
