"""The Node.js runner of the cases agrees with the Python suite, broker by broker.

Both run the scenario cases (only those: the Node runner implements the case format, not
the suite's other checks) against the reference broker and against every faulty broker of
the fault harness whose broken requirement a case verifies; their verdicts on the cases'
requirements must be the same. Rewriting faults are put in front of the broker as a real
HTTP proxy, so that the Node runner meets exactly the broker the Python suite meets.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.export_cases import DEFAULT as CASES_JSON
from ivoa_eb_conformance.export_cases import render
from ivoa_eb_conformance.faults import RewritingProxy
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.runner import run, select
from ivoa_eb_conformance.scenario import load_cases

from .conftest import start_broker
from .fault_harness import CONFIG, FAULTS, Fault

RUNNER = CASES_JSON.parent / "runner.mjs"
BUDGET = 90.0
CASE_IDS = {r for case in load_cases() for r in case.requirements}
COVERED = tuple(f for f in FAULTS if set(f.expected) & CASE_IDS)
CONTROL = Fault("control", "the unmodified reference broker", ())

pytestmark = pytest.mark.slow


def test_the_exported_cases_are_current() -> None:
    """cases.json is generated from the YAML cases (python -m ivoa_eb_conformance.export_cases)."""
    assert CASES_JSON.read_text(encoding="utf-8") == render()


def _python(url: str) -> dict[str, str]:
    options = Options(url=url, time_budget=BUDGET, schemathesis=False)
    client = BrokerClient(url)
    try:
        result = run(
            options,
            select(all_checks(), ("case.*",), ()),
            spec.requirements(),
            context=Context(options, client),
        )
    finally:
        client.close()
    assert result.suite_errors == []
    return {
        v.requirement.id: str(v.status) for v in result.verdicts if v.requirement.id in CASE_IDS
    }


def _node(url: str, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / "node.json"
    command = [shutil.which("node") or "node", str(RUNNER), "--url", url, "--quiet"]
    command += ["--time-budget", str(BUDGET), "--json", str(report)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET + 60)
    assert report.is_file(), done.stderr
    found = json.loads(report.read_text(encoding="utf-8"))["verdicts"]
    return {rid: found.get(rid, "skipped") for rid in CASE_IDS}


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[dict, dict]]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    root = tmp_path_factory.mktemp("node-runner")
    brokers = {"shared": start_broker(root / "shared", CONFIG)}
    for fault in COVERED:
        if fault.via == "broker":
            brokers[fault.name] = start_broker(root / fault.name, fault.config, fault.patch)
    proxies = []
    try:
        for broker in brokers.values():
            broker.wait_ready()
        spec.xsd()
        all_checks()

        def one(fault: Fault) -> tuple[dict[str, str], dict[str, str]]:
            upstream = brokers.get(fault.name, brokers["shared"]).url
            url = upstream
            if fault.rewrite is not None or fault.before is not None:
                proxy = RewritingProxy(
                    upstream,
                    fault.rewrite or (lambda request, response: response),
                    before=fault.before,
                ).start()
                proxies.append(proxy)
                url = proxy.url
            return _python(url), _node(url, root / fault.name)

        started = time.monotonic()
        jobs = (CONTROL, *COVERED)
        with ThreadPoolExecutor(6) as pool:
            found = dict(zip([j.name for j in jobs], pool.map(one, jobs), strict=True))
        print(f"node runner agreement: {len(jobs)} brokers in {time.monotonic() - started:.0f} s")
        yield found
    finally:
        for proxy in proxies:
            proxy.stop()
        for broker in brokers.values():
            broker.stop()


def test_faults_are_covered() -> None:
    assert len(COVERED) >= 8, [f.name for f in COVERED]


@pytest.mark.parametrize("fault", (CONTROL, *COVERED), ids=lambda f: f.name)
def test_both_runners_give_the_same_verdicts(fault: Fault, judged: dict) -> None:
    python, node = judged[fault.name]
    differ = {rid: (python[rid], node[rid]) for rid in sorted(CASE_IDS) if python[rid] != node[rid]}
    # A wait cut short by a loaded machine skips a requirement in one run and not in the
    # other: that is timing, not judgement. Pass against fail never is, nor more than two.
    timing = {rid: pair for rid, pair in differ.items() if "skipped" in pair}
    assert differ.keys() == timing.keys(), f"{fault.name}: (python, node) verdicts differ: {differ}"
    assert len(timing) <= 2, f"{fault.name}: too many verdicts differ: {differ}"
    failed = {rid for rid, verdict in node.items() if verdict == "fail"}
    if fault is CONTROL:
        passed = {rid for rid, verdict in node.items() if verdict == "pass"}
        assert failed == set() and len(passed) >= len(CASE_IDS) - 4, node
    else:
        assert set(fault.expected) & CASE_IDS <= failed, fault.name
