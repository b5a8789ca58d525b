"""Content negotiation: YAML and JSON both ways, YAML by default, XML where offered."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codec, probe, spec
from ..context import Context, failed, judge, not_applicable, passed, skipped
from ..http import Answer
from ..model import Outcome
from . import check
from .common import offer_set


def _media_problems(answer: Answer, wanted: str, which: str) -> list[str]:
    problems = []
    if answer.media_type != wanted:
        problems.append(f"Content-Type is {answer.media_type or 'missing'}, expected {wanted}")
        return problems
    try:
        doc = answer.document
    except codec.DecodeError as error:
        return [str(error)]
    return problems + spec.schema_errors(doc, which)


def _reject_first_offer(ctx: Context, fmt: str, accept: str) -> tuple[Answer, Answer | None]:
    """Post the baseline in ``fmt`` and reject its first offer with an update in ``fmt``."""
    first, answer = probe.post_request(ctx, probe.document("baseline"), fmt=fmt, accept=accept)
    offers = probe.offers(answer.try_document()) if answer.status == 200 else []
    if not offers:
        return answer, None
    update = ctx.client.post(
        probe.session_target(offers[0]), probe.phase_update("REJECTED"), fmt=fmt, accept=accept
    )
    return answer, update


def _both_ways(
    ctx: Context, fmt: str, media: str, body_req: str, answer_req: str
) -> Iterator[Outcome]:
    answer, update = _reject_first_offer(ctx, fmt, media)
    if answer.status in (400, 415):
        yield failed(
            f"a {fmt.upper()} request body was refused with {answer.status}",
            answer.evidence,
            requirements=(body_req,),
        )
        return
    if answer.status != 200:
        yield failed(
            f"POST /requests in {fmt.upper()} answered {answer.status}",
            answer.evidence,
            requirements=(body_req,),
        )
        return
    yield judge(
        _media_problems(answer, media, "offer-set"),
        f"{fmt.upper()} offer set answered",
        answer.evidence,
        requirements=(answer_req,),
    )
    if update is None:
        yield passed(
            f"{fmt.upper()} request accepted (no offer to update)", requirements=(body_req,)
        )
        return
    problems = [] if update.status == 200 else [f"a {fmt.upper()} update answered {update.status}"]
    yield judge(
        problems,
        f"{fmt.upper()} request and update accepted",
        update.evidence,
        requirements=(body_req,),
    )
    if update.status == 200:
        yield judge(
            _media_problems(update, media, "session"),
            f"{fmt.upper()} session answered",
            update.evidence,
            requirements=(answer_req,),
        )


@check(
    "neg.yaml",
    ["NEG-01", "NEG-06"],
    "YAML request and update bodies are accepted; YAML answers on request",
    layer="content",
)
def yaml_both_ways(ctx: Context) -> Iterator[Outcome]:
    yield from _both_ways(ctx, "yaml", "application/yaml", "NEG-01", "NEG-06")


@check(
    "neg.json",
    ["NEG-02", "NEG-05"],
    "JSON request and update bodies are accepted; JSON answers on request",
    layer="content",
)
def json_both_ways(ctx: Context) -> Iterator[Outcome]:
    yield from _both_ways(ctx, "json", "application/json", "NEG-02", "NEG-05")


@check(
    "neg.undeclared-body",
    ["NEG-04"],
    "A body without Content-Type is read as YAML",
    layer="content",
)
def undeclared(ctx: Context) -> Iterator[Outcome]:
    body = codec.encode(probe.document("baseline"), "yaml")
    answer = ctx.client.request("POST", "requests", content=body, accept="application/json")
    answer = ctx.client.follow(answer)
    problems = (
        []
        if answer.status == 200
        else [f"a YAML body without Content-Type answered {answer.status}"]
    )
    if not problems and probe.get(answer.try_document(), "result") not in ("YES", "NO"):
        problems.append("the answer is not an offer set")
    yield judge(problems, "an undeclared YAML body is read as YAML", answer.evidence)


@check("neg.default-yaml", ["NEG-07"], "No Accept header means a YAML answer", layer="content")
def default_yaml(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    uuid = probe.get(found.doc, "meta", "uuid")
    answer = ctx.client.get(f"offersets/{uuid}", accept=None)
    yield judge(
        _media_problems(answer, "application/yaml", "offer-set"),
        "GET without Accept answered YAML",
        answer.evidence,
    )
    first = ctx.client.post("requests", probe.document("baseline"), accept=None)
    answer = ctx.client.follow(first, accept=None)
    yield judge(
        _media_problems(answer, "application/yaml", "offer-set"),
        "POST without Accept answered YAML",
        answer.evidence,
    )


@check(
    "neg.wildcard-tie",
    ["NEG-08"],
    "Accept */* or a tie between JSON and YAML prefers YAML",
    layer="content",
)
def wildcard(ctx: Context) -> Iterator[Outcome]:
    uuid = probe.get(offer_set(ctx).doc, "meta", "uuid")
    for accept in ("*/*", "application/json, application/yaml"):
        answer = ctx.client.get(f"offersets/{uuid}", accept=accept)
        problems = (
            []
            if answer.media_type == "application/yaml"
            else [
                f"Accept {accept!r} answered {answer.media_type or 'no Content-Type'}, "
                f"expected application/yaml"
            ]
        )
        yield judge(problems, f"Accept {accept!r} answered YAML", answer.evidence)


@check("neg.q-values", ["NEG-09"], "q-values in Accept are honoured", layer="content")
def q_values(ctx: Context) -> Iterator[Outcome]:
    uuid = probe.get(offer_set(ctx).doc, "meta", "uuid")
    for accept, wanted in (
        ("application/json;q=0.1, application/yaml", "application/yaml"),
        ("application/yaml;q=0.2, application/json", "application/json"),
        ("application/yaml;q=0, application/json;q=0.5", "application/json"),
    ):
        answer = ctx.client.get(f"offersets/{uuid}", accept=accept)
        problems = (
            []
            if answer.media_type == wanted
            else [f"Accept {accept!r} answered {answer.media_type or 'no Content-Type'}"]
        )
        yield judge(problems, f"Accept {accept!r} answered {wanted}", answer.evidence)


@check(
    "neg.yaml-profile",
    ["NEG-10"],
    "YAML answers read the same in YAML 1.1 and 1.2; a duplicate key is refused",
    layer="content",
)
def yaml_profile(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    uuid = probe.get(found.doc, "meta", "uuid")
    # PyYAML's safe loader resolves scalars by YAML 1.1 rules: an unquoted NO becomes False, a
    # bare timestamp a datetime. The document must come out equal to its JSON form. The offer
    # set may change between reads (an offer expires), so the YAML read is framed by two JSON
    # reads and must equal one of them; a change in between is retried.
    for _ in range(3):
        before = ctx.client.get(f"offersets/{uuid}", accept="application/json").try_document()
        answer = ctx.client.get(f"offersets/{uuid}", accept="application/yaml")
        after = ctx.client.get(f"offersets/{uuid}", accept="application/json").try_document()
        if answer.status != 200 or answer.try_document() in (before, after) or before == after:
            break
    problems = []
    if answer.status != 200:
        problems.append(f"GET in YAML answered {answer.status}")
    elif answer.try_document() not in (before, after):
        problems.append("a YAML 1.1 reader reads the YAML answer differently from its JSON form")
    yield judge(problems, "the YAML answer reads the same by YAML 1.1 rules", answer.evidence)
    body = codec.encode(probe.document("baseline"), "yaml") + b"executable:\n  kind: x\n"
    refused = ctx.client.request(
        "POST", "requests", content=body, content_type="application/yaml", accept="application/json"
    )
    yield judge(
        [] if refused.status == 400 else [f"a duplicate key answered {refused.status}"],
        "a YAML body with a duplicate key is refused with 400",
        refused.evidence,
    )


@check("neg.utf-8", ["NEG-11"], "Bodies are UTF-8; another charset gets 415", layer="content")
def utf8(ctx: Context) -> Iterator[Outcome]:
    body = codec.encode(probe.document("baseline"), "json")
    answer = ctx.client.request(
        "POST",
        "requests",
        content=body,
        content_type="application/json; charset=iso-8859-1",
        accept="application/json",
    )
    yield judge(
        [] if answer.status == 415 else [f"charset=iso-8859-1 answered {answer.status}"],
        "a body declared in another charset answered 415",
        answer.evidence,
    )
    found = offer_set(ctx)
    try:
        found.answer.response.content.decode("utf-8")
        problems = []
    except UnicodeDecodeError as error:
        problems = [f"the answer is not UTF-8: {error}"]
    yield judge(problems, "answers are UTF-8", found.answer.evidence)


@check(
    "xml.answers",
    ["XML-02", "XML-03"],
    "XML answers on request, valid against the published XSD",
    layer="content",
)
def xml_answers(ctx: Context) -> Iterator[Outcome]:
    found = offer_set(ctx)
    targets = [f"offersets/{probe.get(found.doc, 'meta', 'uuid')}"]
    targets += [probe.session_target(o) for o in found.offers[:1]]
    for target in targets:
        answer = ctx.client.get(target, accept="application/xml")
        if answer.status == 406:
            yield not_applicable(
                "Accept application/xml answered 406: the broker does not claim the XML profile"
            )
            return
        if answer.status != 200 or answer.media_type not in codec.XML_TYPES:
            yield failed(
                f"Accept application/xml answered {answer.status} {answer.media_type}; "
                f"expected 200 "
                "with XML or 406",
                answer.evidence,
                requirements=("XML-02",),
            )
            continue
        yield judge(
            spec.xsd_errors(answer.response.content),
            f"{target} in XML is valid against the XSD",
            answer.evidence,
            requirements=("XML-03",),
        )
        try:
            doc = answer.document
        except codec.DecodeError as error:
            yield failed(str(error), answer.evidence, requirements=("XML-02",))
            continue
        uuid = probe.get(doc, "meta", "uuid")
        json_uuid = probe.get(ctx.client.get(target).try_document(), "meta", "uuid")
        problems = (
            []
            if uuid == json_uuid
            else [f"the XML form has uuid {uuid!r}, the JSON form {json_uuid!r}"]
        )
        yield judge(
            problems, f"{target} answered in XML", answer.evidence, requirements=("XML-02",)
        )


@check("xml.body", ["XML-01"], "XML request bodies (XML profile)", layer="content")
def xml_body(ctx: Context) -> Iterator[Outcome]:
    try:
        body = codec.encode(probe.document("baseline"), "xml")
    except (ImportError, AttributeError, NotImplementedError) as error:
        yield skipped(f"the spec's XML codec cannot write a request here: {error}")
        return
    answer = ctx.client.request(
        "POST", "requests", content=body, content_type="application/xml", accept="application/json"
    )
    if answer.status == 415:
        yield not_applicable("an XML body answered 415: the broker does not claim the XML profile")
        return
    answer = ctx.client.follow(answer)
    problems = [] if answer.status == 200 else [f"an XML request answered {answer.status}"]
    if not problems:
        problems = spec.schema_errors(answer.document, "offer-set")
    yield judge(problems, "an XML request is answered as its YAML form", answer.evidence)


DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE offers-request [<!ENTITY e "x">]>'
    b'<offers-request xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0"/>'
)


@check(
    "xml.no-dtd", ["XML-04"], "An XML body with a DOCTYPE is refused (XML profile)", layer="content"
)
def xml_no_dtd(ctx: Context) -> Iterator[Outcome]:
    answer = ctx.client.request(
        "POST",
        "requests",
        content=DOCTYPE,
        content_type="application/xml",
        accept="application/json",
    )
    if answer.status == 415:
        yield not_applicable("an XML body answered 415: the broker does not claim the XML profile")
        return
    yield judge(
        [] if answer.status == 400 else [f"an XML body with a DOCTYPE answered {answer.status}"],
        "an XML body with a DOCTYPE answered 400",
        answer.evidence,
    )
