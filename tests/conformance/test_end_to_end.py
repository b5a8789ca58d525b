"""The whole suite against the reference broker, run the way an implementer runs it.

The command runs in a subprocess whose import system refuses ``ivoa_eb_broker``: the suite
must judge a broker from the spec alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ivoa_eb_spec.requirements import load_requirements

BLOCKED_RUN = """
import sys

class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "ivoa_eb_broker" or name.startswith("ivoa_eb_broker."):
            raise ImportError("the conformance suite must not import " + name)
        return None

sys.meta_path.insert(0, _Refuse())
from ivoa_eb_conformance.cli import main
try:
    main(prog_name="ivoa-eb-conformance")
finally:
    leaked = [m for m in sys.modules if m.startswith("ivoa_eb_broker")]
    if leaked:
        print("LEAKED", leaked, file=sys.stderr)
"""


def run_suite(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
def test_the_reference_broker_passes_every_must(reference_broker: str, tmp_path: Path) -> None:
    reports = {name: tmp_path / name for name in ("r.json", "r.xml", "r.html", "r.md")}
    done = run_suite(
        "run",
        "--url",
        reference_broker,
        "--time-budget",
        "60",
        "--quiet",
        "--json",
        str(reports["r.json"]),
        "--junit-xml",
        str(reports["r.xml"]),
        "--html",
        str(reports["r.html"]),
        "--markdown",
        str(reports["r.md"]),
    )
    assert "LEAKED" not in done.stderr
    report = json.loads(reports["r.json"].read_text())
    assert report["suite_errors"] == []
    failing = {
        r["id"]: r["reason"]
        for r in report["requirements"]
        if r["verdict"] == "fail" and r["level"] == "MUST"
    }
    assert failing == {}, done.stdout[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert [r["id"] for r in report["requirements"]] == [r.id for r in load_requirements()]
    verdicts = {r["id"]: (r["verdict"], r["reason"]) for r in report["requirements"]}
    passed = {id for id, (verdict, _) in verdicts.items() if verdict == "pass"}
    # The core of the protocol must have been seen working, not merely skipped.
    core = {
        "SVC-01",
        "SVC-02",
        "SVC-03",
        "SVC-06",
        "OFF-01",
        "LIFE-05",
        "LIFE-06",
        "LIFE-20",
        "LIFE-08",
        "ERR-01",
        "ERR-06",
        "TIME-04",
        "NEG-07",
    }
    assert core <= passed, {id: verdicts[id] for id in core - passed}
    cases = ET.parse(reports["r.xml"]).getroot().findall("testcase")
    assert len(cases) == len(report["requirements"])
    assert "<script src" not in reports["r.html"].read_text()


def test_the_command_explains_itself_without_a_broker() -> None:
    done = run_suite("run", "--help")
    assert done.returncode == 0
    for option in (
        "--url",
        "--level",
        "--select",
        "--deselect",
        "--time-budget",
        "--header",
        "--junit-xml",
        "--json",
        "--html",
        "--markdown",
        "--no-schemathesis",
    ):
        assert option in done.stdout
    assert "LEAKED" not in done.stderr


def test_an_unreachable_broker_fails_with_a_nonzero_exit(tmp_path: Path) -> None:
    done = run_suite(
        "run",
        "--url",
        "http://127.0.0.1:9",
        "--no-schemathesis",
        "--quiet",
        "--time-budget",
        "20",
        "--select",
        "svc.*",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert done.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert next(r for r in report["requirements"] if r["id"] == "SVC-01")["verdict"] == "fail"
