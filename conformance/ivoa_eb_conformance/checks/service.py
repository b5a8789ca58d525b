"""The service's endpoints: POST /requests, GET of offer sets and sessions, URLs, /direct."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import probe, spec
from ..context import Context, failed, judge, not_applicable, passed, skipped
from ..model import Outcome
from . import check
from .common import offer_set, schema_problems, yes_offer_set


@check(
    "svc.post-requests",
    ["SVC-01"],
    "POST /requests answers 200 with the offer set and a Location equal to its meta.url",
)
def post_requests(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    problems = []
    if found.first.status != 200:
        problems.append(f"status {found.first.status}, expected 200 (a 303 is not part of v1.0)")
    if found.answer.media_type != "application/json":
        problems.append(f"asked for JSON, got {found.answer.media_type or 'no Content-Type'}")
    problems += schema_problems(found.answer, "offer-set")
    location = found.first.headers.get("location", "")
    url = probe.get(found.doc, "meta", "url")
    if not location:
        problems.append("the 200 has no Location header")
    elif isinstance(url, str) and ctx.client.resolve(location) != ctx.client.resolve(url):
        problems.append(f"Location {location} is not the offer set's meta.url {url}")
    yield judge(
        problems,
        f"offer set {found.doc.get('meta', {}).get('uuid')} received",
        found.answer.evidence,
    )


@check("svc.get-offerset", ["SVC-02"], "GET /offersets/{uuid} returns the same offer set")
def get_offerset(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    uuid = probe.get(found.doc, "meta", "uuid")
    if not isinstance(uuid, str):
        yield failed("the offer set has no meta.uuid", found.answer.evidence)
        return
    answer = ctx.client.get(f"offersets/{uuid}")
    if answer.status != 200:
        yield failed(f"GET /offersets/{uuid} answered {answer.status}", answer.evidence)
        return
    doc = answer.document
    problems = schema_problems(answer, "offer-set")
    if probe.get(doc, "meta", "uuid") != uuid:
        problems.append(f"meta.uuid is {probe.get(doc, 'meta', 'uuid')!r}, expected {uuid}")
    before = [probe.get(o, "meta", "uuid") for o in found.offers]
    after = [probe.get(o, "meta", "uuid") for o in probe.offers(doc)]
    if before != after:
        problems.append(f"offer uuids {after} differ from those first answered {before}")
    yield judge(problems, "the offer set reads back unchanged", answer.evidence)


@check(
    "svc.get-session",
    ["SVC-03", "OFF-19"],
    "Every offer carries a uuid and reads back at /sessions/{uuid}",
)
def get_session(ctx: Context) -> Iterator[Outcome]:
    found = yes_offer_set(ctx)
    if found is None:
        yield skipped("the broker answered NO to the baseline request: no offer to read")
        return
    for index, offer in enumerate(found.offers):
        uuid = probe.get(offer, "meta", "uuid")
        if not isinstance(uuid, str) or not uuid:
            yield failed(
                f"offer #{index} has no meta.uuid", found.answer.evidence, requirements=("OFF-19",)
            )
            continue
        answer = ctx.client.get(f"sessions/{uuid}")
        if answer.status != 200:
            yield failed(f"GET /sessions/{uuid} answered {answer.status}", answer.evidence)
            continue
        doc = answer.document
        problems = schema_problems(answer, "session")
        for field in ("kind", "phase"):
            if probe.get(doc, field) != offer.get(field):
                problems.append(
                    f"{field} is {probe.get(doc, field)!r}, the offer said {offer.get(field)!r}"
                )
        if probe.get(doc, "meta", "uuid") != uuid:
            problems.append(f"meta.uuid is {probe.get(doc, 'meta', 'uuid')!r}, expected {uuid}")
        yield judge(
            problems,
            f"offer #{index} reads back",
            answer.evidence,
            requirements=("SVC-03",),
        )


@check(
    "svc.dereference-urls",
    ["SVC-04", "FED-05"],
    "meta.url of the offer set and of each offer is dereferenceable, within the broker's origin",
)
def dereference(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    components = [("offer set", found.doc)] + [
        (f"offer #{i}", o) for i, o in enumerate(found.offers)
    ]
    for label, doc in components:
        url = probe.get(doc, "meta", "url")
        uuid = probe.get(doc, "meta", "uuid")
        if not isinstance(url, str) or not url:
            yield failed(f"the {label} has no meta.url", found.answer.evidence)
            continue
        if not ctx.client.same_origin(url):
            yield failed(
                f"the {label}'s meta.url {url} is outside the broker's origin: a client would need "
                "more than the broker's URL",
                found.answer.evidence,
            )
            continue
        answer = ctx.client.get(url)
        if answer.status != 200:
            yield failed(f"GET {url} ({label}) answered {answer.status}", answer.evidence)
        elif probe.get(answer.document, "meta", "uuid") != uuid:
            yield failed(
                f"GET {url} returned uuid {probe.get(answer.document, 'meta', 'uuid')!r}, "
                f"expected {uuid}",
                answer.evidence,
            )
        else:
            yield passed(f"{label} at {url}")


@check("svc.direct", ["SVC-10"], "POST /direct runs a request without offers (direct profile)")
def direct(ctx: Context) -> Iterator[Outcome]:
    answer = ctx.client.post("direct", probe.document("baseline"))
    if answer.status in (404, 405, 501):
        yield not_applicable(
            f"POST /direct answered {answer.status}: the broker does not claim the direct profile"
        )
        return
    answer = ctx.client.follow(answer)
    if answer.status == 200:
        doc = answer.document
        problems = spec.schema_errors(doc, "session")
        for field in ("kind", "phase"):
            if not probe.get(doc, field):
                problems.append(f"the session has no {field}")
        for field in ("uuid", "url"):
            if not probe.get(doc, "meta", field):
                problems.append(f"the session has no meta.{field}")
        yield judge(problems, "direct execution answered a session", answer.evidence)
        target = probe.session_target(doc)
        if ctx.client.same_origin(ctx.client.resolve(target)) and doc.get("phase") not in (
            "COMPLETED",
            "FAILED",
        ):
            ctx.client.post(target, probe.phase_update("CANCELLED"))
    elif answer.status == 400:
        messages = probe.get(answer.try_document(), "messages") or []
        yield judge(
            [] if messages else ["400 without messages"],
            "direct execution refused with reasons",
            answer.evidence,
        )
    else:
        yield failed(f"POST /direct answered {answer.status}", answer.evidence)


# Run after the checks that read offers back: fetching the OpenAPI document takes time, and
# offers on a broker with a short lifetime must still be OFFERED when they are read.
@check("svc.openapi", ["SVC-11"], "The OpenAPI document is served as YAML and JSON")
def openapi(ctx: Context) -> Iterator[Outcome]:
    for name, media in (("openapi.yaml", "application/yaml"), ("openapi.json", "application/json")):
        answer = ctx.client.get(name, accept=media)
        problems = [] if answer.status == 200 else [f"GET /{name} answered {answer.status}"]
        if not problems and answer.media_type != media:
            problems.append(f"/{name} came as {answer.media_type or 'no Content-Type'}")
        if not problems:
            version = probe.get(answer.try_document(), "openapi")
            if not (isinstance(version, str) and version.startswith("3.1")):
                problems.append(f"/{name} has openapi {version!r}, expected 3.1.x")
        yield judge(problems, f"/{name} served", answer.evidence)


#: RFC 9562 canonical form of a version 4 (random) UUID: lower case, variant 10xx.
UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@check("svc.uuid-form", ["SVC-12"], "Uuids are canonical lower-case version 4 UUIDs")
def uuid_form(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    components = [("offer set", found.doc)] + [
        (f"offer #{i}", o) for i, o in enumerate(found.offers)
    ]
    problems = [
        f"the {label}'s uuid {uuid!r} is not a canonical lower-case version 4 UUID"
        for label, doc in components
        for uuid in [probe.get(doc, "meta", "uuid")]
        if not (isinstance(uuid, str) and UUID_V4.match(uuid))
    ]
    yield judge(problems, f"{len(components)} uuid(s) in canonical v4 form", found.answer.evidence)
