"""The suite notices faults injected in front of the reference broker (fault harness seed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.faults import RewritingProxy, RewritingTransport, documents
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Status
from ivoa_eb_conformance.runner import run, select


def verdicts_with(url: str, change: Any, chosen: tuple[str, ...]) -> dict[str, Status]:
    options = Options(url=url, time_budget=30, schemathesis=False)
    client = BrokerClient(url, transport=RewritingTransport(documents(change)))
    result = run(
        options,
        select(all_checks(), chosen, ()),
        spec.requirements(),
        context=Context(options, client),
    )
    return {v.requirement.id: v.status for v in result.verdicts}


def stingy(request: httpx.Request, doc: Any) -> Any:
    """Offers no cores at all, whatever was asked for."""
    for offer in doc.get("offers", []) if isinstance(doc, dict) else []:
        cores = offer.get("compute", {}).get("cores")
        if isinstance(cores, dict):
            cores["min"] = cores["max"] = 0
    return doc


def forgetful(request: httpx.Request, doc: Any) -> Any:
    """Loses the phase options of every session."""
    for session in (doc.get("offers", []) + [doc]) if isinstance(doc, dict) else []:
        if isinstance(session, dict) and isinstance(session.get("meta"), dict):
            session["meta"].pop("options", None)
    return doc


@pytest.mark.slow
def test_an_offer_below_the_minimum_fails_the_minimum_requirement(reference_broker: str) -> None:
    found = verdicts_with(reference_broker, stingy, ("off.minimums",))
    assert found["OFF-08"] is Status.FAIL
    assert found["OFF-09"] is Status.PASS


@pytest.mark.slow
def test_missing_options_fail_the_options_requirement(reference_broker: str) -> None:
    found = verdicts_with(reference_broker, forgetful, ("case.accept-to-completed",))
    assert found["LIFE-13"] is Status.FAIL
    assert found["SVC-01"] is Status.PASS


@pytest.mark.slow
def test_the_untouched_broker_passes_the_same_checks(reference_broker: str) -> None:
    found = verdicts_with(
        reference_broker, lambda request, doc: doc, ("off.minimums", "case.accept-to-completed")
    )
    assert found["OFF-08"] is Status.PASS and found["LIFE-13"] is Status.PASS


@pytest.mark.slow
def test_a_faulty_broker_behind_a_proxy_fails_the_command_line_run(
    reference_broker: str, tmp_path: Path
) -> None:
    proxy = RewritingProxy(reference_broker, documents(stingy)).start()
    try:
        report = tmp_path / "r.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ivoa_eb_conformance.cli",
                "run",
                "--url",
                proxy.url,
                "-q",
                "--select",
                "off.*",
                "--select",
                "svc.dereference-urls",
                "--json",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        proxy.stop()
    assert done.returncode == 1
    verdicts = {r["id"]: r["verdict"] for r in json.loads(report.read_text())["requirements"]}
    assert verdicts["OFF-08"] == "fail"
    assert verdicts["SVC-04"] == "pass", "the broker's URLs must name the proxy, not the broker"
