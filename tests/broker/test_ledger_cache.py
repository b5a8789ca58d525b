"""The in-memory ledger always equals the ledger rebuilt from the bookings table."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import yaml
from ivoa_eb_broker.store import repository as repo
from ivoa_eb_broker.store import transaction
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, request_document, wait_for_phase


def live_ids(client: TestClient) -> dict[str, str]:
    broker = client.app.state.broker
    now = datetime.now(UTC)
    with transaction(broker.engine) as connection:
        rows = repo.live_bookings(connection, now, now, datetime(9999, 1, 1, tzinfo=UTC))
    return {row["id"]: row["state"] for row in rows}


def cached_ids(client: TestClient) -> dict[str, str] | None:
    broker = client.app.state.broker
    with broker._cache.lock:
        ledger = broker._cache._ledger
        if ledger is None:
            return None
        ledger.expire(datetime.now(UTC))
        return {b.id: str(b.state) for b in ledger}


def test_cache_follows_every_change(client: TestClient) -> None:
    answers = [yaml.safe_load(client.post("/requests", content=as_yaml(request_document())).text)
               for _ in range(4)]
    assert cached_ids(client) == live_ids(client)
    first, second, third, _ = answers
    client.post(first["offers"][0]["meta"]["url"], content=accept())
    client.post(second["offers"][1]["meta"]["url"], content=accept("REJECTED"))
    client.post(third["offers"][0]["meta"]["url"], content=accept())
    client.post(third["offers"][0]["meta"]["url"], content=accept("CANCELLED"))
    wait_for_phase(client, first["offers"][0]["meta"]["url"], {"COMPLETED"})
    # One more request: it must reuse the ledger, now reflecting every change above.
    client.post("/requests", content=as_yaml(request_document()))
    cached = cached_ids(client)
    assert cached is not None, "the ledger was dropped instead of followed"
    assert cached == live_ids(client)


def test_a_change_behind_its_back_forces_a_reload(client: TestClient) -> None:
    client.post("/requests", content=as_yaml(request_document()))
    broker = client.app.state.broker
    with transaction(broker.engine, exclusive=True) as connection:  # "another process"
        repo.set_bookings(connection, "RELEASED")
        repo.bump_generation(connection, broker.platform.name)
    time.sleep(0.01)
    client.post("/requests", content=as_yaml(request_document()))
    assert cached_ids(client) == live_ids(client)
