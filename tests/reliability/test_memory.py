"""Nothing about a session stays in memory once it has ended: not in the scheduler, not in
the platform. (RSS over a long soak is measured by ``benchmarks/bench_soak.py``.)"""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from broker.conftest import accept, as_yaml, make_config, request_document, wait_for_phase
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms.simulated import CALLS_KEPT
from starlette.testclient import TestClient

DONE = {"COMPLETED", "FAILED", "CANCELLED"}


def test_ended_sessions_leave_nothing_behind(tmp_path: Path) -> None:
    config = make_config(tmp_path, platform={"running": 3.0})
    with TestClient(create_app(config)) as client:
        app = client.app
        platform, scheduler = app.state.platform, app.state.scheduler
        urls = []
        for index in range(12):
            document = request_document()
            if index % 4 == 1:  # some fail while running
                document["executable"]["environment"] = {"EB_SIMULATE_FAIL": "run"}
            answer = yaml.safe_load(client.post("/requests", content=as_yaml(document)).text)
            url = answer["offers"][0]["meta"]["url"]
            assert client.post(url, content=accept()).status_code == 200
            urls.append(url)
        wait_for_phase(client, urls[2], {"RUNNING"})
        assert client.post(urls[2], content=accept("CANCELLED")).status_code == 200
        assert platform._connectors_of, "a running session has its connectors: the test sees state"
        phases = {wait_for_phase(client, url, DONE)["phase"] for url in urls}
        assert phases == DONE
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
                scheduler._tasks or scheduler._cleanups or platform._connectors_of
                or platform._cancelled):
            time.sleep(0.05)
        assert scheduler._tasks == {}
        assert scheduler._cleanups == set()
        assert platform._connectors_of == {}
        assert platform._cancelled == set()
        assert platform.calls.maxlen == CALLS_KEPT
