"""Federation, judged black-box: the checks that apply to a broker declaring itself a head.

A head names its ``EB-Via`` id in a ``head`` element of its capability (FED-14); that is how
the suite knows it is judging a head, and which id a looping request would carry. A broker
that declares no head is a site broker to the suite: these checks do not apply to it. What
a head does at its children (their uuids, phases, held resources) is not visible through
its interface; the project's own federation tests judge that (FED-06 to FED-12).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ivoa_eb_spec.vosi import STANDARD_ID
from ivoa_eb_spec.xmlcodec import XmlInputError, parse_xml

from .. import codec, probe, spec
from ..context import Context, failed, judge, not_applicable, passed, skipped
from ..http import Answer
from ..model import Outcome
from . import check

HEADER = "EB-Via"
#: A broker id no federation uses (``.invalid`` is reserved, RFC 2606).
STRANGER = "conformance-suite.invalid"
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "EXPIRED", "REJECTED")
NOT_A_HEAD = "the broker declares no head element in its capability (FED-14): not a head"


def declared_head(ctx: Context) -> str | None:
    """The id in the capability's ``head`` element; None when there is none (or no
    readable capabilities: the VOSI checks judge those)."""

    def read() -> str | None:
        answer = ctx.client.get("capabilities", accept="text/xml")
        if answer.status != 200:
            return None
        try:
            root = parse_xml(answer.response.content)
        except XmlInputError:
            return None
        for capability in root.iter("capability"):
            if capability.get("standardID") == STANDARD_ID:
                head = capability.find("head")
                if head is not None and (head.get("id") or "").strip():
                    return str(head.get("id")).strip()
        return None

    return ctx.memo("federation:head", read)


def _post_via(ctx: Context, via: str) -> Answer:
    body = codec.encode(probe.document("baseline"), "json")
    return ctx.client.request("POST", "requests", content=body, content_type="application/json",
                              accept="application/json", headers={HEADER: via})


@check("fed.loop-refused", ["FED-14", "FED-11"],
       "A head refuses a request whose EB-Via carries its own id with 508", cost=2.0)
def loop_refused(ctx: Context) -> Iterator[Outcome]:
    ident = declared_head(ctx)
    if ident is None:
        yield not_applicable(NOT_A_HEAD)
        return
    looping = _post_via(ctx, f"{STRANGER}, {ident}")
    problems = []
    if looping.status != 508:
        problems.append(f"a request with {HEADER}: {STRANGER}, {ident} answered "
                        f"{looping.status}, expected 508 Loop Detected")
    else:
        doc = looping.try_document()
        problems += spec.schema_errors(doc, "error")
        if isinstance(doc, dict) and doc.get("status") != 508:
            problems.append(f"the ErrorResponse says status {doc.get('status')!r}, expected 508")
    passing = _post_via(ctx, STRANGER)
    if passing.status == 508 or passing.status >= 500:
        problems.append(f"a request with {HEADER}: {STRANGER} (not this head) answered "
                        f"{passing.status}, expected an answer as usual")
    yield judge(problems, f"508 for a request that has passed {ident}, an answer otherwise",
                looping.evidence, passing.evidence)


def _wait(ctx: Context, offer: dict[str, Any]) -> tuple[list[str], Answer | None]:
    """Phases seen until the session ends or the phase timeout (or budget) runs out."""
    end = time.monotonic() + min(ctx.options.phase_timeout, ctx.remaining())
    seen: list[str] = []
    last = None
    while True:
        last = probe.read_session(ctx, offer)
        phase = str(probe.get(last.try_document(), "phase"))
        if not seen or seen[-1] != phase:
            seen.append(phase)
        if phase in ENDED or last.status != 200 or time.monotonic() >= end:
            return seen, last
        time.sleep(ctx.options.poll_interval)


@check("fed.accepted-at-head", ["FED-03", "FED-13"],
       "An offer accepted at a head runs to COMPLETED, its siblings end REJECTED", cost=10.0)
def accepted_at_head(ctx: Context) -> Iterator[Outcome]:
    if declared_head(ctx) is None:
        yield not_applicable(NOT_A_HEAD)
        return
    first, answer = probe.post_request(ctx, probe.document("sized"))
    offers = probe.offers(answer.try_document()) if answer.status == 200 else []
    if not offers:
        yield skipped("the head made no offer for the sized request")
        return
    base = ctx.client.base_url
    foreign = [probe.get(o, "meta", "url") for o in offers
               if not str(probe.get(o, "meta", "url") or "").startswith(base)]
    if foreign:
        yield failed(f"offers with a meta.url outside the head {base}: {foreign} (a child's?)",
                     answer.evidence, requirements=("FED-13",))
        return
    accepted = probe.update(ctx, offers[0], probe.phase_update("ACCEPTED"))
    phase = probe.get(accepted.try_document(), "phase")
    if accepted.status != 200 or phase in (None, "OFFERED"):
        yield failed(f"accepting an offer of the head answered {accepted.status}, phase "
                     f"{phase!r}", accepted.evidence, requirements=("FED-03",))
        return
    seen, last = _wait(ctx, offers[0])
    if seen[-1] not in ENDED:
        probe.update(ctx, offers[0], probe.phase_update("CANCELLED"))
        if ctx.remaining() <= 0:
            yield skipped(f"the time budget ran out while the session ran (phases {seen})")
            return
    if seen[-1] == "COMPLETED":
        yield passed(f"accepted at the head, the session went {' -> '.join(seen)}",
                     requirements=("FED-03",))
    else:
        yield failed(f"accepted at the head, the session went {' -> '.join(seen)}; expected "
                     "it to reach COMPLETED", *([last.evidence] if last else []),
                     requirements=("FED-03",))
    siblings = [(o, probe.read_session(ctx, o)) for o in offers[1:]]
    kept = [(probe.get(o, "meta", "uuid"), probe.get(a.try_document(), "phase"))
            for o, a in siblings if probe.get(a.try_document(), "phase") != "REJECTED"]
    yield judge([f"sibling {u} is {p}, expected REJECTED" for u, p in kept],
                f"every sibling of {len(offers)} offers is REJECTED, under the head's URLs",
                *[a.evidence for _, a in siblings[:2]], requirements=("FED-13",))
