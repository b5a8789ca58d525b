"""The reports of a run made by hand: they parse, and hold one entry per requirement."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from ivoa_eb_conformance.context import Options
from ivoa_eb_conformance.model import Evidence, Outcome, Requirement, Status
from ivoa_eb_conformance.reports import render_html, render_json, render_junit, render_markdown
from ivoa_eb_conformance.runner import RunResult
from ivoa_eb_conformance.verdicts import aggregate

REQUIREMENTS = [
    Requirement("SVC-01", "MUST", "POST /requests answers"),
    Requirement("OFF-14", "SHOULD", "Offers <do not> exceed & maximum"),
    Requirement("XML-02", "MAY", "XML answers"),
    Requirement(
        "SEC-02", "MAY", "Delegated credentials", testable=False, reason="not visible over HTTP"
    ),
]
EVIDENCE = Evidence(
    "POST",
    "http://b/requests",
    {"Accept": "application/json"},
    "executable: {}",
    500,
    {"content-type": "application/yaml"},
    "status: 500\n<oops>",
)


@pytest.fixture
def result() -> RunResult:
    outcomes = [
        Outcome("svc.post", ("SVC-01",), Status.FAIL, "answered 500", (EVIDENCE,)),
        Outcome("off.max", ("OFF-14",), Status.PASS, ""),
        Outcome("xml.answers", ("XML-02",), Status.NOT_APPLICABLE, "406: no XML profile"),
    ]
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    return RunResult(
        "http://b",
        Options(url="http://b"),
        now,
        now,
        [],
        outcomes,
        aggregate(REQUIREMENTS, outcomes),
    )


def test_junit_has_one_testcase_per_requirement_and_the_failure_with_evidence(
    result: RunResult,
) -> None:
    root = ET.fromstring(render_junit(result))
    cases = root.findall("testcase")
    assert len(cases) == len(REQUIREMENTS)
    assert root.get("tests") == "4" and root.get("failures") == "1" and root.get("skipped") == "2"
    failure = cases[0].find("failure")
    assert failure is not None and "answered 500" in failure.get("message", "")
    assert "> POST http://b/requests" in (failure.text or "") and "< 500" in (failure.text or "")
    assert cases[1].find("failure") is None and cases[1].find("skipped") is None
    assert cases[2].find("skipped") is not None


def test_json_has_one_entry_per_requirement_with_verdict_and_evidence(result: RunResult) -> None:
    report = json.loads(render_json(result))
    entries = {entry["id"]: entry for entry in report["requirements"]}
    assert list(entries) == [r.id for r in REQUIREMENTS]
    assert entries["SVC-01"]["verdict"] == "fail" and entries["SVC-01"]["level"] == "MUST"
    assert entries["SVC-01"]["evidence"][0]["response"]["status"] == 500
    assert entries["SVC-01"]["checks"] == ["svc.post"]
    assert (
        entries["SEC-02"]["verdict"] == "not-testable"
        and entries["SEC-02"]["reason"] == "not visible over HTTP"
    )
    assert entries["XML-02"]["verdict"] == "not-applicable"
    assert report["exit_code"] == 1


def test_html_is_self_contained_and_escaped(result: RunResult) -> None:
    html = render_html(result)
    assert html.count("<tr id=") == len(REQUIREMENTS)
    assert "&lt;do not&gt;" in html and "<do not>" not in html
    assert "http://" not in html.replace("http://b", "")
    assert "does not conform" in html


def test_markdown_has_a_row_per_requirement_and_the_failure_details(result: RunResult) -> None:
    text = render_markdown(result)
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| Requirement")
    ]
    assert len(rows) == len(REQUIREMENTS)
    assert "## Failures" in text and "```http" in text


def test_exit_code_follows_the_level(result: RunResult) -> None:
    assert result.exit_code == 1
    passing = [v for v in result.verdicts if v.requirement.id != "SVC-01"]
    lenient = RunResult(
        "http://b",
        Options(url="http://b", level="must"),
        result.started,
        result.finished,
        [],
        [],
        passing,
    )
    assert lenient.exit_code == 0
