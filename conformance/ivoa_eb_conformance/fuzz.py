"""The schemathesis layer: requests generated from the published OpenAPI, judged by
schemathesis' own checks plus ExecutionBroker rules, reported under requirement ids.

schemathesis runs its phases (examples, coverage, fuzzing, stateful through the OpenAPI
``links``) against the broker's URL only, never following redirects. Its findings are
mapped to requirements by the operation and the check that found them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .http import excerpt, redacted
from .model import Evidence

#: Requirement of each operation's answers (schema, status code, content type, headers).
OPERATIONS = {
    "POST /requests": "SVC-01",
    "GET /offersets/{uuid}": "SVC-02",
    "GET /sessions": "UWS-01",
    "GET /sessions/{uuid}": "SVC-03",
    "POST /sessions/{uuid}": "SVC-06",
    "POST /direct": "SVC-10",
    "GET /availability": "VOSI-01",
    "GET /capabilities": "VOSI-02",
}
#: Checks whose findings belong to one requirement whatever the operation.
CHECKS = {
    "not_a_server_error": "ERR-08",
    "negative_data_rejection": "ERR-06",
    "eb_error_response": "ERR-07",
    "eb_offer_set_result": "OFF-03",
}
ENABLED = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "response_headers_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass
class Finding:
    requirement: str
    check: str
    operation: str
    title: str
    message: str
    evidence: Evidence | None


@dataclass
class FuzzResult:
    requirements_exercised: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    cases: int = 0
    phases: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: Negative cases whose only fault was an older kind spelling the broker accepted (KIND-02).
    aliases_accepted: int = 0


def requirement_for(check: str, operation: str) -> str | None:
    if check in CHECKS:
        return CHECKS[check]
    return OPERATIONS.get(operation)


_registered = threading.Lock()
_done = False


def _register_custom_checks() -> None:
    """ExecutionBroker rules as schemathesis checks (registered once per process)."""
    global _done
    with _registered:
        if _done:
            return
        import schemathesis

        from . import spec

        def _document(response: Any) -> Any:
            from . import codec

            media = codec.media_type(
                response.headers.get("content-type", [""])[0]
                if isinstance(response.headers.get("content-type"), list)
                else response.headers.get("content-type", "")
            )
            try:
                return codec.decode(response.content, media)
            except codec.DecodeError:
                return None

        @schemathesis.check
        def eb_error_response(ctx: Any, response: Any, case: Any) -> bool | None:
            """Every 4xx answer is an ErrorResponse whose status matches (ERR-07)."""
            if not 400 <= response.status_code < 500:
                return None
            doc = _document(response)
            if doc is None:
                raise AssertionError(f"a {response.status_code} answer has no parseable body")
            problems = spec.schema_errors(doc, "error")
            if problems:
                raise AssertionError("; ".join(problems[:2]))
            return True

        @schemathesis.check
        def eb_offer_set_result(ctx: Any, response: Any, case: Any) -> bool | None:
            """A 200 offer set states YES with offers or NO with messages and no offers (OFF-03)."""
            if response.status_code != 200 or case.operation.path not in (
                "/requests",
                "/offersets/{uuid}",
            ):
                return None
            doc = _document(response)
            if isinstance(doc, dict):
                from .semantics import result_problems

                problems = result_problems(doc)
                if case.operation.path != "/requests":
                    # A stored offer set shows its offers' current phases, not OFFERED.
                    problems = [p for p in problems if "result" in p]
                if problems:
                    raise AssertionError("; ".join(problems))
            return True

        _done = True


def _evidence(interaction: Any) -> Evidence | None:
    if interaction is None:
        return None
    request, response = interaction.request, interaction.response
    return Evidence(
        method=request.method,
        url=request.uri,
        request_headers=redacted(
            {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in request.headers.items()}
        ),
        request_body=excerpt(request.body),
        status=response.status_code if response is not None else None,
        response_headers=redacted(
            {
                k: ", ".join(v) if isinstance(v, list) else str(v)
                for k, v in (response.headers.items() if response is not None else [])
            }
        ),
        response_body=excerpt(response.content) if response is not None else "",
        note="generated by schemathesis",
    )


def run_schemathesis(
    url: str,
    *,
    headers: dict[str, str],
    seconds: float,
    max_examples: int,
    phases: tuple[str, ...] = PHASES,
    skip_paths: tuple[str, ...] = (),
) -> FuzzResult:
    """Run schemathesis' engine against ``url`` for at most ``seconds``."""
    import schemathesis
    from schemathesis.engine import events, from_schema

    from . import spec

    _register_custom_checks()
    checks: dict[str, Any] = {"enabled": False}
    for name in (*ENABLED, "eb_error_response", "eb_offer_set_result"):
        checks[name] = {"enabled": True}
    config = schemathesis.Config.from_dict(
        {
            "base-url": url.rstrip("/"),
            "headers": dict(headers),
            "max-redirects": 0,
            "max-time": max(1, int(seconds)),
            "request-timeout": 10,
            "seed": 20261128,
            "generation": {"max-examples": max_examples, "database": "none"},
            "phases": {name: {"enabled": name in phases} for name in PHASES},
            "checks": checks,
        }
    )
    description = dict(spec.openapi())
    description["paths"] = {p: v for p, v in description["paths"].items() if p not in skip_paths}
    _without_blocking_reads(description)
    schema = schemathesis.openapi.from_dict(description, config=config)
    result = FuzzResult()
    seen: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseFinished):
            result.phases[str(event.phase.name.value)] = str(event.status.value)
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.message}"[:300])
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception}"[:300])
        recorder = getattr(event, "recorder", None)
        if recorder is None or not isinstance(
            event, events.ScenarioFinished | events.FuzzScenarioFinished
        ):
            continue
        result.cases += len(recorder.cases)
        for case_id, nodes in recorder.checks.items():
            case = recorder.cases.get(case_id)
            operation = case.value.operation.label if case is not None else "?"
            for node in nodes:
                requirement = requirement_for(node.name, operation)
                if requirement is None:
                    continue
                result.requirements_exercised.add(requirement)
                if node.failure_info is None:
                    continue
                if node.name == "negative_data_rejection" and _valid_once_canonical(case):
                    result.aliases_accepted += 1
                    continue
                failure = node.failure_info.failure
                key = (node.name, operation, failure.title)
                if key in seen:
                    continue
                seen.add(key)
                result.findings.append(
                    Finding(
                        requirement,
                        node.name,
                        operation,
                        failure.title,
                        str(failure.message)[:600],
                        _evidence(recorder.interactions.get(case_id)),
                    )
                )
    return result


def _without_blocking_reads(description: dict[str, Any]) -> None:
    """Leave out the ``wait`` parameter of GET /sessions/{uuid} (UWS-05): a blocking read may
    rightly last longer than the fuzzer's request timeout; ``uws.wait`` judges it."""
    item = description["paths"].get("/sessions/{uuid}")
    if not isinstance(item, dict) or "get" not in item:
        return
    get = dict(item["get"])
    get["parameters"] = [p for p in get.get("parameters", [])
                         if not (isinstance(p, dict) and p.get("name") == "wait")]
    description["paths"]["/sessions/{uuid}"] = {**item, "get": get}


#: The schema (see ``spec.SCHEMAS``) of each operation's request body.
_BODY_SCHEMAS = {
    "POST /requests": "request",
    "POST /direct": "request",
    "POST /sessions/{uuid}": "update",
}


def _canonical(document: Any) -> Any:
    """``document`` with every alias kind URI replaced by the canonical one."""
    from . import spec

    if isinstance(document, list):
        return [_canonical(item) for item in document]
    if not isinstance(document, dict):
        return document
    result = {key: _canonical(value) for key, value in document.items()}
    kind = result.get("kind")
    if isinstance(kind, str):
        result["kind"] = spec.canonical_kind(kind) or kind
    return result


def _valid_once_canonical(recorded: Any) -> bool:
    """Whether a "schema-violating" body broke the schema only by an older kind spelling.

    The schemas name the canonical kind URIs only, so schemathesis negates a kind by drawing
    one of the aliases its ``not`` lists. KIND-02 lets a broker accept those (MAY), so such an
    acceptance is no failure of ERR-06. Only a case whose sole negative part is its body counts.
    """
    from schemathesis.core.parameters import ParameterLocation

    case = getattr(recorded, "value", None)
    meta = getattr(case, "meta", None)
    if case is None or meta is None:
        return False
    others = (ParameterLocation.PATH, ParameterLocation.QUERY, ParameterLocation.HEADER)
    if any(meta.is_negative_at(location) for location in others):
        return False
    return alias_only_violation(case.body, case.operation.label)


def alias_only_violation(body: Any, operation: str) -> bool:
    """Whether ``body`` for ``operation`` is invalid but valid once its kinds are canonical."""
    from . import spec

    which = _BODY_SCHEMAS.get(operation)
    if which is None:
        return False
    canonical = _canonical(body)
    return canonical != body and not spec.schema_errors(canonical, which)


def findings_by_requirement(result: FuzzResult) -> Iterator[tuple[str, list[Finding]]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in result.findings:
        grouped.setdefault(finding.requirement, []).append(finding)
    yield from grouped.items()
