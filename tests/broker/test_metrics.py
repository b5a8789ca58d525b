"""Prometheus /metrics: the figures change as requests are made, sessions run and fail."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms import Platform
from ivoa_eb_broker.platforms.instrumented import Instrumented
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, make_config, request_document, wait_for_phase

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_and_timed_per_operation_and_status(client: TestClient) -> None:
    before = scrape(client)
    client.get("/health")
    client.get("/health")
    client.get("/sessions/00000000-0000-4000-8000-000000000000")
    client.get("/no/such/path/1234")
    after = scrape(client)
    ok = {"operation": "GET /health", "status": "200"}
    assert value(after, "eb_http_requests_total", **ok) - value(
        before, "eb_http_requests_total", **ok) == 2
    assert value(after, "eb_http_request_duration_seconds_count", **ok) == value(
        after, "eb_http_requests_total", **ok)
    missing = {"operation": "GET /sessions/{uuid}", "status": "404"}
    assert value(after, "eb_http_requests_total", **missing) == 1
    assert value(after, "eb_http_requests_total", operation="other", status="404") == 1


def test_offers_sessions_platform_calls_and_ledger_follow_a_session(client: TestClient) -> None:
    before = scrape(client)
    assert value(before, "eb_offers_total", outcome="made", platform="simulated") == 0
    answer = client.post("/requests", content=as_yaml(request_document()))
    offers = yaml.safe_load(answer.text)["offers"]
    assert len(offers) >= 2
    middle = scrape(client)
    assert value(middle, "eb_offers_total", outcome="made", platform="simulated") == len(offers)
    assert value(middle, "eb_sessions", phase="OFFERED", platform="simulated") == len(offers)
    assert value(middle, "eb_ledger_bookings", state="HELD", platform="simulated") == len(offers)
    url = offers[0]["meta"]["url"]
    assert client.post(url, content=accept()).status_code == 200
    wait_for_phase(client, url, {"COMPLETED"})
    after = scrape(client)
    assert value(after, "eb_offers_total", outcome="accepted", platform="simulated") == 1
    assert value(after, "eb_offers_total", outcome="rejected", platform="simulated") == len(
        offers) - 1
    assert value(after, "eb_sessions", phase="COMPLETED", platform="simulated") == 1
    assert value(after, "eb_sessions", phase="OFFERED", platform="simulated") == 0
    assert value(after, "eb_ledger_bookings", state="HELD", platform="simulated") == 0
    for call in ("check", "prepare", "start", "poll", "release"):
        assert value(after, "eb_platform_calls_total", platform="simulated", call=call) >= 1, call
    assert value(after, "eb_platform_errors_total", platform="simulated", call="prepare") == 0


def test_a_failing_platform_step_is_counted_as_an_error(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"fail": "prepare"})
    with TestClient(create_app(config)) as client:
        answer = client.post("/direct", content=as_yaml(request_document()))
        assert answer.status_code == 200, answer.text
        url = yaml.safe_load(answer.text)["meta"]["url"]
        wait_for_phase(client, url, {"FAILED"})
        after = scrape(client)
    assert value(after, "eb_platform_errors_total", platform="simulated", call="prepare") == 1
    assert value(after, "eb_sessions", phase="FAILED", platform="simulated") == 1


def test_expired_offers_are_counted(tmp_path: Path) -> None:
    config = make_config(tmp_path, offer_lifetime=0.2, sweep_interval=0.05)
    with TestClient(create_app(config)) as client:
        offers = yaml.safe_load(client.post("/requests",
                                            content=as_yaml(request_document())).text)["offers"]
        wait_for_phase(client, offers[0]["meta"]["url"], {"EXPIRED"})
        for offer in offers[1:]:
            wait_for_phase(client, offer["meta"]["url"], {"EXPIRED"})
        after = scrape(client)
    assert value(after, "eb_offers_total", outcome="expired", platform="simulated") == len(offers)


@pytest.mark.parametrize("method", sorted(
    name for name, member in inspect.getmembers(Platform)
    if not name.startswith("_") and callable(member)))
def test_the_meter_passes_on_every_platform_method(method: str) -> None:
    # A method added to Platform later must be passed on too, or the wrapped engine's own
    # implementation would silently be replaced by the base class's default.
    assert method in Instrumented.__dict__, f"Instrumented does not pass on {method}"
