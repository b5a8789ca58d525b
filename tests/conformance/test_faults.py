"""Proof that the suite catches faults: each faulty broker fails the requirement it breaks.

Every fault of ``fault_harness.FAULTS`` is judged by the suite (its Python API, or its
command line through a real HTTP proxy), and so is the untouched reference broker. The
faults run concurrently against a shared reference broker (the suite mostly waits: offers
expiring, sessions running). The outcome is written to ``build/fault-report.json`` and
printed as a table at the end of the pytest run (``conftest.pytest_terminal_summary``).
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_spec.requirements import load_requirements

from .conftest import start_broker
from .fault_harness import CONFIG, FAULTS, Fault, Judgement, judge

REPORT = Path(__file__).resolve().parents[2] / "build" / "fault-report.json"
WORKERS = 8
#: Runs of the suite that must find nothing: the untouched broker, in process and by proxy.
CONTROLS = (
    Fault("control", "the unmodified reference broker (Python API)", ()),
    Fault("control-proxy", "the unmodified reference broker behind the proxy (CLI)", (), "proxy"),
)
#: The faults the issue asks for, by name in the catalogue.
REQUIRED = {
    "cores-below-minimum",
    "start-outside-window",
    "two-slots-in-one-offer",
    "siblings-not-rejected",
    "accept-after-expiry",
    "client-sets-running",
    "server-error-on-bad-input",
    "wrong-content-type",
    "yaml-default-ignored",
    "xml-invalid",
    "no-without-messages",
    "yes-without-offers",
    "duplicate-uuids",
    "options-not-matching-phase",
    "unknown-kind-is-an-error",
}

pytestmark = pytest.mark.slow


def _row(fault: Fault, found: Judgement) -> dict[str, Any]:
    return {
        "fault": fault.name,
        "description": fault.description,
        "via": fault.via,
        "expected": list(fault.expected),
        "failed": found.failed,
        "missed": sorted(set(fault.expected) - set(found.failed)),
        "caught": set(fault.expected) <= set(found.failed),
        "reasons": {i: found.reasons.get(i, "") for i in fault.expected if i in found.reasons},
        "exit_code": found.exit_code,
        "suite_errors": found.suite_errors,
        "seconds": round(found.seconds, 1),
    }


def _write_report(
    found: dict[str, Judgement], seconds: float, config: pytest.Config
) -> dict[str, Any]:
    rows = [_row(fault, found[fault.name]) for fault in FAULTS]
    caught = sum(1 for row in rows if row["caught"])
    controls = {c.name: found[c.name] for c in CONTROLS}
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": "every check but schemathesis, life.ready-by-start, err.oversized-body",
        "total": len(rows),
        "caught": caught,
        "fraction": caught / len(rows),
        "seconds": round(seconds, 1),
        "control": {
            "failing_must": sorted({i for j in controls.values() for i in j.failing_must}),
            "failed": sorted({i for j in controls.values() for i in j.failed}),
            "suite_errors": [e for j in controls.values() for e in j.suite_errors],
        },
        "faults": rows,
        "path": str(REPORT),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    config.eb_fault_report = report  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="session")
def judged(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Judgement]]:
    """Every fault and control judged once (concurrently), by name."""
    root = tmp_path_factory.mktemp("faults")
    shared = start_broker(root / "shared", CONFIG)
    brokers = {"shared": shared}
    for fault in FAULTS:
        if fault.via == "broker":
            brokers[fault.name] = start_broker(root / fault.name, fault.config, fault.patch)
    try:
        for broker in brokers.values():
            broker.wait_ready()
        spec.xsd()  # loaded once, before the threads need it
        all_checks()
        started = time.monotonic()
        jobs = CONTROLS + FAULTS

        def one(fault: Fault) -> Judgement:
            upstream = brokers.get(fault.name, shared).url
            return judge(fault, upstream, root / "runs" / fault.name)

        with ThreadPoolExecutor(WORKERS) as pool:
            found = dict(zip([j.name for j in jobs], pool.map(one, jobs), strict=True))
        _write_report(found, time.monotonic() - started, request.config)
        yield found
    finally:
        for broker in brokers.values():
            broker.stop()


def test_the_catalogue_has_every_required_fault_and_at_least_fifteen() -> None:
    names = [f.name for f in FAULTS]
    assert len(set(names)) == len(names) >= 15
    assert REQUIRED <= set(names)
    known = {r.id for r in load_requirements()}
    for fault in FAULTS:
        assert fault.expected and set(fault.expected) <= known, fault.name


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.name)
def test_the_unmodified_reference_broker_passes(
    control: Fault, judged: dict[str, Judgement]
) -> None:
    found = judged[control.name]
    assert found.suite_errors == []
    assert found.failing_must == [], found.reasons
    # Nothing at all fails: each fault's failures are the fault's doing, not the harness's.
    assert found.failed == [], found.reasons
    passed = {i for i, v in found.verdicts.items() if v == "pass"}
    assert {"SVC-01", "ERR-05", "LIFE-09", "LIFE-11", "NEG-07", "XML-03", "OFF-06"} <= passed
    if control.via == "proxy":
        assert found.exit_code == 0


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_the_suite_fails_the_broken_requirement(fault: Fault, judged: dict[str, Judgement]) -> None:
    found = judged[fault.name]
    assert found.suite_errors == []
    missed = sorted(set(fault.expected) - set(found.failed))
    assert not missed, (
        f"{fault.name}: the suite did not fail {missed}; it failed {found.failed}. "
        f"Verdicts: { {i: found.verdicts.get(i) for i in fault.expected} }"
    )
    if fault.via == "proxy" and any(found.levels[i] == "MUST" for i in fault.expected):
        assert found.exit_code == 1, "a failing MUST must make the command exit 1"


def test_every_fault_is_caught_and_the_report_says_so(judged: dict[str, Judgement]) -> None:
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    assert [row["fault"] for row in report["faults"]] == [f.name for f in FAULTS]
    assert report["caught"] == report["total"] == len(FAULTS)
    assert report["fraction"] == 1.0
    assert report["control"]["failing_must"] == []


def test_the_command_line_reports_parse_with_one_entry_per_requirement(
    judged: dict[str, Judgement],
) -> None:
    catalogue = [r.id for r in load_requirements()]
    command_runs = [judged[f.name] for f in CONTROLS + FAULTS if f.via == "proxy"]
    assert len(command_runs) >= 3
    for found in command_runs:
        report = json.loads(found.reports["json"].read_text(encoding="utf-8"))
        assert [entry["id"] for entry in report["requirements"]] == catalogue
        root = ET.parse(found.reports["junit"]).getroot()
        cases = root.findall(".//testcase")
        assert [case.get("name", "").split()[0] for case in cases] == catalogue
        failures = [c for c in cases if c.find("failure") is not None]
        assert len(failures) == len(found.failed)
