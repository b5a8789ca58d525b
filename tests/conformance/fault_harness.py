"""The catalogue of faulty brokers, and how the suite is run against each.

A fault is a correct broker (the reference broker) made wrong in exactly one respect, and
the requirement ids of the catalogue that the suite must then fail. Three ways to make one:

- ``transport``: answers (and, with ``before``, requests) rewritten inside the suite's own
  HTTP client (:class:`ivoa_eb_conformance.faults.RewritingTransport`), judged through the
  suite's Python API;
- ``proxy``: the same rewrites in a loopback HTTP proxy
  (:class:`ivoa_eb_conformance.faults.RewritingProxy`), judged by the ``ivoa-eb-conformance``
  command line over real HTTP, as a user would run it;
- ``broker``: the reference broker with its own code patched (``faulty_broker.py``), over real
  HTTP, judged through the Python API.

Every fault is judged by the same profile of the suite, and so is an untouched control: all
checks but the three that only add time here (the schemathesis layer, the readiness wait
and the 40 MiB body; ``test_end_to_end`` runs them against the reference broker).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from ivoa_eb_conformance import codec, spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.faults import (
    Before,
    Rewrite,
    RewritingProxy,
    RewritingTransport,
    documents,
)
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Status
from ivoa_eb_conformance.runner import run, select
from ivoa_eb_spec import iso8601
from ivoa_eb_spec.vocabulary import canonical_kind

#: Checks left out of every run of the harness (they only add time; see the module docstring).
DESELECT = ("schemathesis", "life.ready-by-start", "err.oversized-body")
#: A cap, not a duration: a run takes 60-85 s on a quiet machine. Eight suites run at once,
#: most in this one process, so on a loaded machine a run took 99-109 s and a 90 s budget
#: skipped its last checks (SVC-05, ERR-07), leaving faults uncaught.
TIME_BUDGET = 180.0

#: The harness's own reference broker: room for many concurrent runs, lifecycles of a few
#: seconds, offers that expire soon, and a sweep slow enough that expiry is seen on reading.
#: The lifetime leaves a case time to accept the offer it just got while eight runs, each
#: with its waiting checks overlapped, load the machine (at 4 s a loaded run once saw the
#: offer of case.accept-to-completed expire before its accept).
CONFIG = """
[offers]
lifetime = 6
sweep_interval = 0.5
[platform.simulated]
cores = 100000
memory = 1000000
storage = 10000000
preparing = 0.4
running = 0.8
releasing = 0.3
"""
#: For the broker whose updates ignore ``expires``: no sweep, so offers expire only when read.
LAZY_EXPIRY_CONFIG = CONFIG.replace("sweep_interval = 0.5", "sweep_interval = 3600")

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
ALIAS = "https://www.purl.org/ivoa.net/EB/schema/types/executable/docker-container-1.0"
NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    #: Requirement ids the suite must fail for this fault.
    expected: tuple[str, ...]
    via: str = "transport"
    rewrite: Rewrite | None = None
    before: Before | None = None
    #: For ``via="broker"``: the patch of ``faulty_broker.py``, and the broker's config.
    patch: str | None = None
    config: str = CONFIG


@dataclass
class Judgement:
    """What one run of the suite said: the ids it failed, and every verdict."""

    verdicts: dict[str, str]
    levels: dict[str, str]
    seconds: float
    suite_errors: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    reports: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return sorted(i for i, v in self.verdicts.items() if v == "fail")

    @property
    def failing_must(self) -> list[str]:
        return [i for i in self.failed if self.levels.get(i) == "MUST"]


# ---- running the suite ---------------------------------------------------------------------


def judge_in_process(url: str, transport: httpx.BaseTransport | None = None) -> Judgement:
    """The suite's Python API, the way ``faults.py`` documents it."""
    options = Options(url=url, time_budget=TIME_BUDGET, schemathesis=False, deselect=DESELECT)
    client = BrokerClient(url, transport=transport)
    started = time.monotonic()
    try:
        result = run(
            options,
            select(all_checks(), (), DESELECT),
            spec.requirements(),
            context=Context(options, client),
        )
    finally:
        client.close()
    return Judgement(
        {v.requirement.id: str(v.status) for v in result.verdicts},
        {v.requirement.id: v.requirement.level for v in result.verdicts},
        time.monotonic() - started,
        result.suite_errors,
        {v.requirement.id: v.reason for v in result.verdicts if v.status is Status.FAIL},
        result.exit_code,
    )


def judge_by_command(url: str, folder: Path) -> Judgement:
    """The ``ivoa-eb-conformance run`` command, with JSON and JUnit reports."""
    folder.mkdir(parents=True, exist_ok=True)
    reports = {"json": folder / "report.json", "junit": folder / "report.xml"}
    command = [sys.executable, "-m", "ivoa_eb_conformance.cli", "run", "--url", url, "-q"]
    command += ["--no-schemathesis", "--time-budget", str(TIME_BUDGET)]
    for pattern in DESELECT:
        command += ["--deselect", pattern]
    command += ["--json", str(reports["json"]), "--junit-xml", str(reports["junit"])]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIME_BUDGET + 60)
    seconds = time.monotonic() - started
    if not reports["json"].is_file():
        raise AssertionError(f"no JSON report (exit {done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(reports["json"].read_text(encoding="utf-8"))
    entries = report["requirements"]
    return Judgement(
        {e["id"]: e["verdict"] for e in entries},
        {e["id"]: e["level"] for e in entries},
        seconds,
        report["suite_errors"],
        {e["id"]: e["reason"] for e in entries if e["verdict"] == "fail"},
        done.returncode,
        reports,
    )


def judge(fault: Fault, upstream: str, folder: Path) -> Judgement:
    """Run the suite against ``fault`` put in front of (or made of) the broker at ``upstream``."""
    rewrite = fault.rewrite or (lambda request, response: response)
    if fault.via == "transport":
        return judge_in_process(upstream, RewritingTransport(rewrite, before=fault.before))
    if fault.via == "proxy":
        proxy = RewritingProxy(upstream, rewrite, before=fault.before).start()
        try:
            return judge_by_command(proxy.url, folder)
        finally:
            proxy.stop()
    if fault.via == "broker":
        rewriting = fault.rewrite is not None or fault.before is not None
        return judge_in_process(
            upstream, RewritingTransport(rewrite, before=fault.before) if rewriting else None
        )
    raise ValueError(f"unknown way {fault.via!r}")


# ---- helpers for rewrites ------------------------------------------------------------------


def _offers(doc: Any) -> list[dict[str, Any]]:
    found = doc.get("offers") if isinstance(doc, dict) else None
    return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []


def _sessions(doc: Any) -> list[dict[str, Any]]:
    """The sessions in an answer: the offers of an offer set, or the session itself."""
    if not isinstance(doc, dict):
        return []
    if "result" in doc or "offers" in doc:
        return _offers(doc)
    return [doc] if "phase" in doc else []


def _now(delta: timedelta = timedelta()) -> str:
    return iso8601.format_instant(datetime.now(UTC) + delta)


def _replace(
    response: httpx.Response,
    request: httpx.Request,
    *,
    status: int | None = None,
    content: bytes | None = None,
    content_type: str | None = None,
) -> httpx.Response:
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in ("content-length", "content-encoding")
    }
    if content_type is not None:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["content-type"] = content_type
    return httpx.Response(
        status if status is not None else response.status_code,
        headers=headers,
        content=response.content if content is None else content,
        request=request,
    )


def _error_status(old: int, new: int, *, fix_body: bool) -> Rewrite:
    """Answers with status ``old`` get ``new`` (the body's own status too, if ``fix_body``)."""

    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if response.status_code != old:
            return response
        content = response.content
        media = codec.media_type(response.headers.get("content-type", ""))
        if fix_body and codec.format_of(media) in ("json", "yaml"):
            doc = codec.decode(content, media)
            if isinstance(doc, dict):
                doc["status"] = new
                content = codec.encode(doc, codec.format_of(media) or "json")
        return _replace(response, request, status=new, content=content)

    return rewrite


def _sessions_changed(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def each(request: httpx.Request, doc: Any) -> Any:
        for session in _sessions(doc):
            change(session)
        return doc

    return documents(each)


def _offer_sets_changed(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def each(request: httpx.Request, doc: Any) -> Any:
        if isinstance(doc, dict) and ("result" in doc or "offers" in doc):
            change(doc)
        return doc

    return documents(each)


# ---- the faults ----------------------------------------------------------------------------


def _cores_zero(session: dict[str, Any]) -> None:
    cores = session.get("compute", {}).get("cores")
    if isinstance(cores, dict):
        cores["min"] = cores["max"] = 0


def _short_duration(session: dict[str, Any]) -> None:
    available = session.get("schedule", {}).get("available")
    if isinstance(available, dict) and "duration" in available:
        available["duration"] = "PT1S"


def _late_start(session: dict[str, Any]) -> None:
    available = session.get("schedule", {}).get("available")
    if isinstance(available, dict):
        available["start"] = _now(timedelta(days=3))


def _two_slots(session: dict[str, Any]) -> None:
    available = session.get("schedule", {}).get("available")
    if isinstance(available, dict) and isinstance(available.get("start"), str):
        available["start"] = [available["start"], _now(timedelta(days=1)) + "/PT1H"]


def _too_many_cores(session: dict[str, Any]) -> None:
    cores = session.get("compute", {}).get("cores")
    if isinstance(cores, dict):
        cores["max"] = 64


def _no_options(session: dict[str, Any]) -> None:
    if isinstance(session.get("meta"), dict):
        session["meta"].pop("options", None)


def _stale_options(session: dict[str, Any]) -> None:
    """The options of an offer, whatever the phase (a broker that never updates them)."""
    meta = session.setdefault("meta", {})
    meta["options"] = [
        {"kind": "uri:enum-value-option", "path": "/phase", "values": ["ACCEPTED", "REJECTED"]}
    ]


def _expired_already(session: dict[str, Any]) -> None:
    if session.get("phase") == "OFFERED":
        session["expires"] = _now(-timedelta(hours=1))


def _alias_kind(session: dict[str, Any]) -> None:
    executable = session.get("executable")
    if isinstance(executable, dict) and executable.get("kind") == K + (
        "executable/docker-container.yaml"
    ):
        executable["kind"] = ALIAS


def _no_reasons(doc: dict[str, Any]) -> None:
    if doc.get("result") == "NO" and isinstance(doc.get("meta"), dict):
        doc["meta"].pop("messages", None)


def _no_offers(doc: dict[str, Any]) -> None:
    if doc.get("result") == "YES":
        doc.pop("offers", None)


def _same_uuids(doc: dict[str, Any]) -> None:
    offers = _offers(doc)
    if len(offers) >= 2:
        offers[1].setdefault("meta", {})["uuid"] = offers[0].get("meta", {}).get("uuid")


def _server_error_on_bad_input(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Client errors (400) come back as server errors, body and all (a 500 with a 400 body)."""
    return _error_status(400, 500, fix_body=False)(request, response)


def _json_labelled_yaml(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if codec.media_type(response.headers.get("content-type", "")) == "application/json":
        return _replace(response, request, content_type="application/yaml")
    return response


def _invalid_xml(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """An attribute the XML Schema does not have on the root element of the interface's
    answers (an unknown child element would be open content, which the must-ignore rule
    allows; an attribute other than ``kind`` never is)."""
    if codec.format_of(response.headers.get("content-type", "")) != "xml":
        return response
    from lxml import etree

    root = etree.fromstring(response.content)
    if etree.QName(root).namespace != NS:
        return response  # VOSI documents are not the interface's messages
    root.set("colour", "blue")
    return _replace(response, request, content=etree.tostring(root, xml_declaration=True))


def _plain_text_errors(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if 400 <= response.status_code < 500:
        return _replace(
            response, request, content=b"something went wrong\n", content_type="text/plain"
        )
    return response


def _request_document(request: httpx.Request) -> Any:
    media = codec.media_type(request.headers.get("content-type", "")) or "application/yaml"
    try:
        return codec.decode(request.content, media)
    except codec.DecodeError:
        return None


def _unknown_kind_refused(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """A request with an executable kind the vocabulary does not know gets 400, not NO."""
    if request.method != "POST" or not request.url.path.endswith("/requests"):
        return response
    kind = (_request_document(request) or {}).get("executable", {}).get("kind")
    if not isinstance(kind, str) or canonical_kind(kind) is not None:
        return response
    text = f"Unknown executable kind {kind}"
    body = {
        "status": 400,
        "title": "Bad Request",
        "messages": [
            {
                "level": "ERROR",
                "template": "Unknown executable kind {kind}",
                "values": {"path": "/executable/kind", "kind": kind},
                "message": text,
            }
        ],
    }
    return _replace(
        response,
        request,
        status=400,
        content=json.dumps(body).encode(),
        content_type="application/json",
    )


def _json_when_no_accept(request: httpx.Request) -> httpx.Request:
    if "accept" not in request.headers:
        request.headers["Accept"] = "application/json"
    return request


def _any_accept_is_json(request: httpx.Request) -> httpx.Request:
    accept = request.headers.get("accept", "")
    if accept and not any(t in accept for t in ("yaml", "json", "xml", "*/*")):
        request.headers["Accept"] = "application/json"
    return request


def _q_values_ignored(request: httpx.Request) -> httpx.Request:
    """The broker sees Accept without its q-values, as a broker that ignores them would."""
    accept = request.headers.get("accept", "")
    if ";" in accept:
        request.headers["Accept"] = ", ".join(
            part.split(";")[0].strip() for part in accept.split(",")
        )
    return request


def _upper_case_uuid(session: dict[str, Any]) -> None:
    meta = session.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("uuid"), str):
        meta["uuid"] = meta["uuid"].upper()


def _no_location(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    if response.status_code != 200 or "location" not in response.headers:
        return response
    replaced = _replace(response, request)
    del replaced.headers["location"]
    return replaced


def _yaml_unquoted(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """YAML answers written for YAML 1.2 readers only: result: NO / YES left unquoted."""
    if codec.media_type(response.headers.get("content-type", "")) != "application/yaml":
        return response
    content = response.content.replace(b"result: 'YES'", b"result: YES")
    return _replace(response, request, content=content.replace(b"result: 'NO'", b"result: NO"))


def _declared_head(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """The broker's capability gains a ``head`` element (FED-14): it claims to be a head,
    whose EB-Via id is ``faulty-head``, though it neither forwards nor guards loops."""
    if not request.url.path.endswith("/capabilities") or response.status_code != 200:
        return response
    from ivoa_eb_spec.vosi import STANDARD_ID
    from lxml import etree

    root = etree.fromstring(response.content)
    for capability in root.iter("capability"):
        if capability.get("standardID") == STANDARD_ID:
            etree.SubElement(capability, "head", id="faulty-head")
    return _replace(response, request, content=etree.tostring(root, xml_declaration=True))


FAULTS: tuple[Fault, ...] = (
    # -- the faults the issue names ------------------------------------------------------------
    Fault(
        "cores-below-minimum",
        "offers no cores, whatever the request's minimum",
        ("OFF-08",),
        via="proxy",
        rewrite=_sessions_changed(_cores_zero),
    ),
    Fault(
        "start-outside-window",
        "offers start three days after the requested start window",
        ("TIME-07",),
        rewrite=_sessions_changed(_late_start),
    ),
    Fault(
        "two-slots-in-one-offer",
        "each offer's start is a list of two start windows",
        ("TIME-08",),
        rewrite=_sessions_changed(_two_slots),
    ),
    Fault(
        "siblings-not-rejected",
        "accepting an offer leaves its siblings OFFERED (patched broker)",
        ("LIFE-11",),
        via="broker",
        patch="siblings-kept",
    ),
    Fault(
        "accept-after-expiry",
        "an update ignores expires: an offer unread since it expired is accepted "
        "(patched broker that expires offers on reading only)",
        ("LIFE-09",),
        via="broker",
        patch="accept-after-expiry",
        config=LAZY_EXPIRY_CONFIG,
    ),
    Fault(
        "client-sets-running",
        "a client's update to RUNNING is applied (patched broker)",
        ("ERR-05",),
        via="broker",
        patch="client-sets-running",
    ),
    Fault(
        "server-error-on-bad-input",
        "every 400 answer becomes a 500",
        ("ERR-08",),
        via="proxy",
        rewrite=_server_error_on_bad_input,
    ),
    Fault(
        "wrong-content-type",
        "JSON answers are labelled application/yaml",
        ("NEG-05",),
        rewrite=_json_labelled_yaml,
    ),
    Fault(
        "yaml-default-ignored",
        "a request without Accept is answered in JSON",
        ("NEG-07",),
        via="proxy",
        before=_json_when_no_accept,
    ),
    Fault(
        "xml-invalid",
        "XML answers carry an attribute the XML Schema does not have",
        ("XML-03",),
        rewrite=_invalid_xml,
    ),
    Fault(
        "no-without-messages",
        "a NO comes without any message saying why",
        ("OFF-02",),
        rewrite=_offer_sets_changed(_no_reasons),
    ),
    Fault(
        "yes-without-offers",
        "a YES comes without its offers",
        ("OFF-01",),
        rewrite=_offer_sets_changed(_no_offers),
    ),
    Fault(
        "duplicate-uuids",
        "the second offer of a set has the first one's uuid",
        ("SVC-05",),
        rewrite=_offer_sets_changed(_same_uuids),
    ),
    Fault(
        "options-not-matching-phase",
        "every session offers ACCEPTED and REJECTED, whatever its phase",
        ("LIFE-14", "LIFE-15"),
        rewrite=_sessions_changed(_stale_options),
    ),
    Fault(
        "unknown-kind-is-an-error",
        "an unknown executable kind gets 400 instead of 200 and NO",
        ("OFF-06",),
        rewrite=_unknown_kind_refused,
    ),
    Fault(
        "unknown-property-refused",
        "a request carrying an extension property gets 400 (patched broker, closed schemas)",
        ("EXT-01",),
        via="broker",
        patch="refuses-unknown",
    ),
    # -- more, cheap ---------------------------------------------------------------------------
    Fault(
        "duration-below-minimum",
        "offers last one second, whatever the requested duration",
        ("OFF-11",),
        rewrite=_sessions_changed(_short_duration),
    ),
    Fault(
        "maximum-exceeded",
        "offers up to 64 cores where the request allows at most 2",
        ("OFF-14",),
        rewrite=_sessions_changed(_too_many_cores),
    ),
    Fault(
        "offers-without-options",
        "sessions carry no options at all",
        ("LIFE-13",),
        rewrite=_sessions_changed(_no_options),
    ),
    Fault(
        "offers-already-expired",
        "offers say they expired an hour ago",
        ("OFF-17",),
        rewrite=_sessions_changed(_expired_already),
    ),
    Fault(
        "unknown-uuid-not-404",
        "an unknown uuid gets 400 instead of 404",
        ("ERR-01",),
        rewrite=_error_status(404, 400, fix_body=True),
    ),
    Fault(
        "conflict-not-409",
        "an update the phase does not allow gets 422 instead of 409",
        ("ERR-04",),
        rewrite=_error_status(409, 422, fix_body=True),
    ),
    Fault(
        "errors-in-plain-text",
        "4xx answers carry plain text, not an ErrorResponse",
        ("ERR-07",),
        rewrite=_plain_text_errors,
    ),
    Fault(
        "unacceptable-accept-answered",
        "an Accept naming no offered type is answered in JSON instead of 406",
        ("ERR-02",),
        before=_any_accept_is_json,
    ),
    Fault(
        "alias-kinds-in-answers",
        "answers spell the executable kind the old way",
        ("KIND-01",),
        rewrite=_sessions_changed(_alias_kind),
    ),
    Fault(
        "q-values-ignored",
        "Accept is read without its q-values",
        ("NEG-09",),
        before=_q_values_ignored,
    ),
    Fault(
        "upper-case-uuids",
        "offer uuids are written in upper case",
        ("SVC-12",),
        rewrite=_sessions_changed(_upper_case_uuid),
    ),
    Fault(
        "no-location-on-200",
        "POST /requests answers 200 without a Location header",
        ("SVC-01",),
        rewrite=_no_location,
    ),
    # -- federation: a site broker that claims to be a head (FED-14) --------------------------
    Fault(
        "loop-header-ignored",
        "declares itself head faulty-head, yet answers a request whose EB-Via names it",
        ("FED-14",),
        rewrite=_declared_head,
    ),
    Fault(
        "head-keeps-siblings",
        "declares itself a head, and accepting an offer leaves its siblings OFFERED "
        "(patched broker)",
        ("FED-13", "LIFE-11"),
        via="broker",
        patch="siblings-kept",
        rewrite=_declared_head,
    ),
    Fault(
        "yaml-for-1.2-readers-only",
        "YAML answers leave result: YES unquoted, a boolean to a YAML 1.1 reader",
        ("NEG-10",),
        rewrite=_yaml_unquoted,
    ),
)
