"""The conformance suite against a head broker fronting three site brokers: every MUST holds
(FED-02: the same interface at every level), and the federation checks, which apply because
the head declares itself (FED-14), pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from eb_processes import BrokerProcess, start_all
from federation_support import head_config

#: Short offer lifetimes and steps, as the suite's own end-to-end run uses.
SITE = """
[offers]
lifetime = 6
[platform]
name = "simulated"
[platform.simulated]
preparing = 0.2
running = 0.5
releasing = 0.2
"""


@pytest.mark.slow
def test_a_head_of_three_sites_passes_every_must(tmp_path: Path) -> None:
    sites = [BrokerProcess(tmp_path / f"site-{n}", SITE) for n in "abc"]
    head = BrokerProcess(tmp_path / "head", head_config(
        "head", [(f"site-{n}", s.url) for n, s in zip("abc", sites, strict=True)],
        extra="[offers]\nlifetime = 6\n"))
    try:
        start_all(*sites, head)
        report = tmp_path / "report.json"
        done = subprocess.run(
            [sys.executable, "-c",
             "from ivoa_eb_conformance.cli import main; main(prog_name='ivoa-eb-conformance')",
             "run", "--url", head.url, "--time-budget", "60", "--quiet",
             "--json", str(report)],
            capture_output=True, text=True, timeout=400)
        found = json.loads(report.read_text())
        failing = {r["id"]: r["reason"] for r in found["requirements"]
                   if r["verdict"] == "fail" and r["level"] == "MUST"}
        assert failing == {}
        assert found["suite_errors"] == []
        assert done.returncode == 0, done.stderr[-3000:]
        passed = {r["id"] for r in found["requirements"] if r["verdict"] == "pass"}
        assert {"SVC-01", "SVC-02", "SVC-03", "SVC-06"} <= passed
        # The black-box federation checks: a loop refused, an accepted offer COMPLETED at its
        # site and its siblings (from the other sites too) REJECTED.
        assert {"FED-03", "FED-13", "FED-14", "VOSI-02"} <= passed
    finally:
        for broker in (head, *sites):
            broker.stop()
