"""IVOA VOSI 1.1: /availability and /capabilities, judged against the IVOA schemas that
ivoa-eb-spec carries (spec/xml/vendor) and the ExecutionBroker capability extension."""

from __future__ import annotations

from collections.abc import Iterator

from ivoa_eb_spec.vosi import AVAILABILITY_NS, STANDARD_ID, validation_errors
from ivoa_eb_spec.xmlcodec import XmlInputError, parse_xml

from ..context import Context, failed, judge
from ..http import Answer
from ..model import Outcome
from . import check


def _xml_problems(answer: Answer, path: str) -> list[str]:
    if answer.status != 200:
        return [f"GET /{path} answered {answer.status}, expected 200"]
    problems = []
    if answer.media_type not in ("text/xml", "application/xml"):
        problems.append(f"Content-Type is {answer.media_type or 'missing'}, expected text/xml")
    try:
        problems += validation_errors(answer.response.content)[:5]
    except XmlInputError as error:
        problems.append(f"not well-formed XML: {error}")
    return problems


@check("vosi.availability", ["VOSI-01"], "GET /availability is a valid VOSI availability")
def availability(ctx: Context) -> Iterator[Outcome]:
    answer = ctx.client.get("availability", accept="text/xml")
    problems = _xml_problems(answer, "availability")
    if not problems:
        root = parse_xml(answer.response.content)
        if root.tag != f"{{{AVAILABILITY_NS}}}availability":
            problems.append(f"root element {root.tag}, expected vosi:availability")
    yield judge(problems, "a valid VOSI availability document", answer.evidence)


@check("vosi.capabilities", ["VOSI-02"],
       "GET /capabilities names the ExecutionBroker capability and what it supports")
def capabilities(ctx: Context) -> Iterator[Outcome]:
    answer = ctx.client.get("capabilities", accept="text/xml")
    problems = _xml_problems(answer, "capabilities")
    if problems:
        yield failed("; ".join(problems), answer.evidence)
        return
    root = parse_xml(answer.response.content)
    found = [c for c in root.iter("capability") if c.get("standardID") == STANDARD_ID]
    if len(found) != 1:
        yield failed(f"{len(found)} capabilities of standardID {STANDARD_ID}, expected 1",
                     answer.evidence)
        return
    broker = found[0]
    base = ctx.client.base_url.rstrip("/")
    urls = [(u.text or "").strip().rstrip("/") for u in broker.iter("accessURL")]
    if base not in urls:
        problems.append(f"no interface accessURL is the URL under test {base} (found {urls})")
    if broker.find("executableKind") is None:
        problems.append("no executableKind listed")
    if "application/yaml" not in [m.text for m in broker.findall("mediaType")]:
        problems.append("application/yaml is not among the mediaType elements")
    yield judge(problems, "the ExecutionBroker capability lists its interface and kinds",
                answer.evidence)
