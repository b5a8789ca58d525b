"""The security profile: challenges, the named identity, and ownership between identities.

A broker that serves anonymous requests does not require authentication: the challenge check
is then not applicable, never failed. The ownership check needs a second identity
(``--second-header``); without one it is not applicable.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import probe, spec
from ..context import Context, failed, judge, not_applicable, passed
from ..http import Answer, BrokerClient
from ..model import Outcome
from . import check

AUTHENTICATED = "x-vo-authenticated"


def _anonymous(ctx: Context) -> BrokerClient:
    return ctx.client.with_headers({})


def _post(client: BrokerClient) -> Answer:
    return client.post("requests", probe.document("baseline"))


def _release(client: BrokerClient, answer: Answer) -> None:
    """Reject the offers of an answer this check made (house-keeping, not evidence)."""
    doc = answer.try_document() if answer.status == 200 else None
    for offer in probe.offers(doc):
        if offer.get("phase") == "OFFERED":
            client.request("POST", probe.session_target(offer), record=False,
                           content='{"kind": "uri:enum-value-update", "path": "phase", '
                                   '"value": "REJECTED"}',
                           content_type="application/json")


@check("sec.challenge", ["SEC-05"], "Anonymous calls to a broker that requires authentication "
       "get 401 with a WWW-Authenticate challenge", cost=1.0)
def challenge(ctx: Context) -> Iterator[Outcome]:
    client = _anonymous(ctx)
    try:
        answer = _post(client)
        if answer.status == 200:
            _release(client, answer)
            yield not_applicable("the broker serves anonymous requests: it does not require "
                                 "authentication")
            return
        problems = []
        if answer.status != 401:
            problems.append(f"an anonymous request answered {answer.status}, expected 401 "
                            "(or 200 when authentication is optional)")
        if not answer.headers.get_list("www-authenticate"):
            problems.append("no WWW-Authenticate challenge")
        if AUTHENTICATED in answer.headers:
            problems.append("X-VO-Authenticated on an answer to an anonymous request")
        body = answer.try_document()
        if body is None:
            problems.append("the 401 has no ErrorResponse body")
        else:
            problems += spec.schema_errors(body, "error")
        yield judge(problems, "401 with a challenge", answer.evidence)
    finally:
        client.close()


@check("sec.identity-named", ["SEC-06"], "Authenticated answers carry X-VO-Authenticated; "
       "anonymous ones never do", cost=1.0)
def identity_named(ctx: Context) -> Iterator[Outcome]:
    client = _anonymous(ctx)
    try:
        anonymous = _post(client)
        _release(client, anonymous)
    finally:
        client.close()
    if AUTHENTICATED in anonymous.headers:
        yield failed("X-VO-Authenticated on an answer to an anonymous request",
                     anonymous.evidence)
        return
    if not ctx.options.headers:
        yield not_applicable("the suite was given no credentials (--header)")
        return
    mine = ctx.client.post("requests", probe.document("baseline"))
    if anonymous.status == 200 and AUTHENTICATED not in mine.headers:
        yield not_applicable("anonymous and credentialed requests are served alike: the broker "
                             "does not authenticate")
        return
    if mine.status != 200:
        yield failed(f"a request with the suite's credentials answered {mine.status}",
                     mine.evidence)
        return
    name = mine.headers.get(AUTHENTICATED, "")
    yield judge([] if name else ["no X-VO-Authenticated on an authenticated answer"],
                f"identified as {name!r}", mine.evidence)


@check("sec.ownership", ["SEC-07"], "Another identity cannot read, accept or reject one's "
       "offers, and cannot tell that they exist", cost=2.0)
def ownership(ctx: Context) -> Iterator[Outcome]:
    if not ctx.options.second_headers:
        yield not_applicable("the suite was given no second identity (--second-header)")
        return
    mine = ctx.client.post("requests", probe.document("baseline"))
    if mine.status != 200:
        yield failed(f"a request with the suite's credentials answered {mine.status}",
                     mine.evidence)
        return
    first_name = mine.headers.get(AUTHENTICATED)
    doc = mine.try_document()
    offers = probe.offers(doc)
    offerset = probe.get(doc, "meta", "url") or f"offersets/{probe.get(doc, 'meta', 'uuid')}"
    other = ctx.client.with_headers(ctx.options.second_headers)
    try:
        probe_answer = other.get(f"sessions/{probe.random_uuid()}")
        if probe_answer.status in (401, 403) and not probe_answer.headers.get(AUTHENTICATED):
            yield failed(f"the second identity is not accepted ({probe_answer.status}): check "
                         "--second-header", probe_answer.evidence)
            return
        second_name = probe_answer.headers.get(AUTHENTICATED)
        if first_name is None and second_name is None:
            yield not_applicable("the broker names neither identity: it does not authenticate")
            return
        if first_name == second_name:
            yield failed(f"both identities are {first_name!r}: give two different ones",
                         probe_answer.evidence)
            return
        unknown = probe_answer.status
        problems: list[str] = []
        evidence = [probe_answer.evidence]
        targets = [("the offer set", offerset)]
        if offers:
            targets.append(("an offer", probe.session_target(offers[0])))
        for what, target in targets:
            answer = other.get(target)
            evidence.append(answer.evidence)
            if answer.status != unknown:
                problems.append(f"reading {what} of another identity answered {answer.status}, "
                                f"an unknown uuid {unknown}")
        if offers:
            target = probe.session_target(offers[0])
            for value in ("ACCEPTED", "REJECTED"):
                answer = other.request(
                    "POST", target, content_type="application/json",
                    content=f'{{"kind": "uri:enum-value-update", "path": "phase", '
                            f'"value": "{value}"}}')
                evidence.append(answer.evidence)
                if answer.status != unknown:
                    problems.append(f"setting another identity's offer to {value} answered "
                                    f"{answer.status}, an unknown uuid {unknown}")
            after = ctx.client.get(target)
            if probe.get(after.try_document(), "phase") != "OFFERED":
                problems.append("the offer is no longer OFFERED for its owner after the other "
                                "identity's attempts")
                evidence.append(after.evidence)
        if problems:
            yield failed("; ".join(problems), *evidence)
        else:
            yield passed(f"{second_name!r} cannot see or change what {first_name!r} made")
    finally:
        other.close()
