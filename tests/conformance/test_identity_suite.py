"""The suite's security checks against the reference broker with authentication on (HTTP
Basic, two users) and off, and against a broker that ignores ownership."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from .conftest import CONFIG, RunningBroker, start_broker
from .test_end_to_end import run_suite

USERS = {"alice": "alice-pw-1", "bob": "bob-pw-2"}


def _authorization(name: str) -> str:
    token = base64.b64encode(f"{name}:{USERS[name]}".encode()).decode()
    return f"Authorization: Basic {token}"


def _secured(folder: Path, patch: str | None = None) -> RunningBroker:
    from ivoa_eb_broker.auth.passwords import add_user

    folder.mkdir(parents=True, exist_ok=True)
    for name, password in USERS.items():
        add_user(folder / "passwords", name, password)
    config = CONFIG + (f'[auth]\nmethods = ["basic"]\n'
                       f'[auth.basic]\npassword_file = "{folder / "passwords"}"\n')
    broker = start_broker(folder, config, patch)
    broker.wait_ready()
    return broker


def _verdicts(url: str, folder: Path, *args: str) -> dict[str, dict[str, str]]:
    report = folder / "report.json"
    done = run_suite("run", "--url", url, "--quiet", "--no-schemathesis", "--json", str(report),
                     *args)
    assert "LEAKED" not in done.stderr
    found = json.loads(report.read_text())
    assert found["suite_errors"] == [], found["suite_errors"]
    return {r["id"]: r for r in found["requirements"]}


SECURITY = ("--select", "sec.*")


def test_with_two_identities_the_security_checks_pass(tmp_path: Path):
    broker = _secured(tmp_path / "broker")
    try:
        verdicts = _verdicts(broker.url, tmp_path, *SECURITY, "--header", _authorization("alice"),
                             "--second-header", _authorization("bob"))
    finally:
        broker.stop()
    for requirement in ("SEC-05", "SEC-06", "SEC-07"):
        assert verdicts[requirement]["verdict"] == "pass", verdicts[requirement]


def test_without_authentication_they_are_not_applicable(reference_broker: str, tmp_path: Path):
    verdicts = _verdicts(reference_broker, tmp_path, *SECURITY)
    for requirement in ("SEC-05", "SEC-06", "SEC-07"):
        assert verdicts[requirement]["verdict"] == "not-applicable", verdicts[requirement]


def test_a_broker_that_ignores_ownership_fails_sec_06(tmp_path: Path):
    broker = _secured(tmp_path / "broker", "ownership-ignored")
    try:
        verdicts = _verdicts(broker.url, tmp_path, *SECURITY, "--header", _authorization("alice"),
                             "--second-header", _authorization("bob"))
    finally:
        broker.stop()
    assert verdicts["SEC-07"]["verdict"] == "fail", verdicts["SEC-07"]
    assert verdicts["SEC-05"]["verdict"] == "pass"


@pytest.mark.slow
def test_the_whole_suite_passes_every_must_with_authentication_on(tmp_path: Path):
    broker = _secured(tmp_path / "broker")
    try:
        verdicts = _verdicts(broker.url, tmp_path, "--time-budget", "60",
                             "--header", _authorization("alice"),
                             "--second-header", _authorization("bob"))
    finally:
        broker.stop()
    failing = {k: v["reason"] for k, v in verdicts.items()
               if v["verdict"] == "fail" and v["level"] == "MUST"}
    assert failing == {}
    assert verdicts["SEC-07"]["verdict"] == "pass"
