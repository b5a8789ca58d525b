"""The blocking read, GET /sessions/{uuid}?wait=N&phase=P (UWS-05..UWS-07): the waiting loop
on its own, the wake-up across threads, and the reference broker over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from broker.conftest import accept, as_yaml, request_document
from ivoa_eb_broker.service.waiting import (
    MAX_WAIT,
    PhaseWatch,
    WaitQuery,
    parse_wait,
    wait_for_change,
)

YAML = {"Content-Type": "application/yaml"}


class Script:
    """Reads that return the phases given, on a clock that the pauses move on."""

    def __init__(self, *phases: str) -> None:
        self.phases = list(phases)
        self.now = 0.0
        self.reads = 0
        self.paused: list[float] = []

    async def read(self) -> dict[str, Any]:
        self.reads += 1
        return {"phase": self.phases.pop(0) if len(self.phases) > 1 else self.phases[0]}

    async def pause(self, seconds: float) -> None:
        self.paused.append(seconds)
        self.now += seconds


def waited(script: Script, wait: WaitQuery) -> dict[str, Any]:
    return asyncio.run(wait_for_change(script.read, wait, script.pause, lambda: script.now))


def test_answers_when_the_phase_changes() -> None:
    script = Script("PREPARING", "PREPARING", "AVAILABLE")
    assert waited(script, WaitQuery(30))["phase"] == "AVAILABLE"
    assert script.reads == 3 and script.now < 30


def test_answers_after_the_bound_with_the_phase_unchanged() -> None:
    script = Script("RUNNING")
    assert waited(script, WaitQuery(7))["phase"] == "RUNNING"
    assert script.now == pytest.approx(7) and max(script.paused) <= 2.0


def test_answers_at_once_when_the_phase_differs_or_is_terminal() -> None:
    for phase, wait in (("RUNNING", WaitQuery(30, "PREPARING")), ("COMPLETED", WaitQuery(30)),
                        ("REJECTED", WaitQuery(30, "REJECTED"))):
        script = Script(phase)
        assert waited(script, wait)["phase"] == phase
        assert script.paused == []


def test_the_wait_is_parsed_and_capped() -> None:
    assert parse_wait([("phase", "RUNNING")]) is None
    assert parse_wait([("wait", "5"), ("phase", "RUNNING")]) == WaitQuery(5, "RUNNING")
    assert parse_wait([("wait", "-1")]) == WaitQuery(MAX_WAIT)
    assert parse_wait([("wait", str(MAX_WAIT * 100))]) == WaitQuery(MAX_WAIT)
    assert MAX_WAIT >= 10  # the specification's least maximum (UWS-06)
    for bad in ([("wait", "soon")], [("wait", "-2")], [("wait", "1.5")],
                [("wait", "9223372036854775808")], [("wait", "9" * 5000)], [("wait", "-")],
                [("wait", "5"), ("phase", "NOPE")]):
        with pytest.raises(Exception) as refused:
            parse_wait(bad)
        assert getattr(refused.value, "status", None) == 400


def test_a_change_in_another_thread_wakes_the_waiter() -> None:
    watch = PhaseWatch()

    async def scenario() -> float:
        started = time.monotonic()
        timer = threading.Timer(0.1, watch.changed, args=["s1"])
        timer.start()
        await watch.pause("s1", 30)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 10
    assert watch._waiting == {}  # nothing left behind


def offers(http: Any) -> list[dict[str, Any]]:
    answer = http.post("/requests", content=as_yaml(request_document()), headers=YAML)
    assert answer.status_code == 200, answer.text
    return yaml.safe_load(answer.text)["offers"]


def test_over_http_a_wait_returns_on_the_change_and_holds_no_connection(http, server) -> None:
    offer = offers(http)[0]
    target = f"/sessions/{offer['meta']['uuid']}"
    pool = server.server.config.app.state.engine.pool
    with ThreadPoolExecutor(1) as pool_of_one:
        waiting = pool_of_one.submit(http.get, f"{target}?wait=30&phase=OFFERED")
        time.sleep(0.5)
        assert not waiting.done()
        assert pool.checkedout() == 0  # the waiting read holds no database connection
        assert http.post(target, content=accept("REJECTED"), headers=YAML).status_code == 200
        answer = waiting.result(timeout=20)  # well before the 30 s bound: woken by the change
    assert answer.status_code == 200
    assert yaml.safe_load(answer.text)["phase"] == "REJECTED"
    assert answer.headers["EB-Wait"] == "30"


def test_over_http_the_bound_the_header_and_refusals(http) -> None:
    target = f"/sessions/{offers(http)[0]['meta']['uuid']}"
    plain = http.get(target)
    assert "EB-Wait" not in plain.headers
    bounded = http.get(f"{target}?wait=1")
    assert bounded.headers["EB-Wait"] == "1"
    assert yaml.safe_load(bounded.text)["phase"] == "OFFERED"
    capped = http.get(f"{target}?wait=100000&phase=RUNNING")  # not RUNNING: at once
    assert capped.headers["EB-Wait"] == str(MAX_WAIT)
    for query in ("wait=soon", "wait=5&phase=NOPE"):
        refused = http.get(f"{target}?{query}")
        assert refused.status_code == 400
        assert yaml.safe_load(refused.text)["messages"][0]["values"]["parameter"] in (
            "wait", "phase")
    unknown = http.get("/sessions/00000000-0000-4000-8000-000000000000?wait=30")
    assert unknown.status_code == 404
