"""The client talks to one origin only and keeps every exchange as evidence."""

from __future__ import annotations

import httpx
import pytest
from ivoa_eb_conformance.http import BrokerClient, ForeignOriginError


def client(handler) -> BrokerClient:  # type: ignore[no-untyped-def]
    return BrokerClient("http://broker.test:8080/eb", transport=httpx.MockTransport(handler))


def test_paths_resolve_below_the_base_url_and_are_recorded() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    broker = client(handler)
    answer = broker.post("requests", {"executable": {}})
    assert seen == ["http://broker.test:8080/eb/requests"]
    assert answer.document == {"ok": True}
    assert broker.log[0].request_headers["Content-Type"] == "application/json"
    assert broker.log[0].status == 200 and '"ok"' in broker.log[0].response_body


@pytest.mark.parametrize(
    "target",
    [
        "http://elsewhere.test/sessions/1",
        "https://broker.test:8080/x",
        "http://broker.test:9090/x",
        "//elsewhere.test/x",
    ],
)
def test_other_origins_are_refused_before_sending(target: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent {request.url}")

    with pytest.raises(ForeignOriginError):
        client(handler).get(target)


def test_redirects_are_not_followed_automatically_nor_to_another_origin() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "broker.test":
            return httpx.Response(303, headers={"Location": "http://evil.test/offersets/1"})
        raise AssertionError("followed a redirect to another origin")

    broker = client(handler)
    first = broker.post("requests", {})
    assert first.status == 303
    with pytest.raises(ForeignOriginError):
        broker.follow(first)


def test_a_same_origin_see_other_is_followed_by_hand() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(303, headers={"Location": "/eb/offersets/1"})
        return httpx.Response(
            200, text="result: 'YES'\n", headers={"Content-Type": "application/yaml"}
        )

    broker = client(handler)
    answer = broker.follow(broker.post("requests", {}))
    assert answer.document == {"result": "YES"}
    assert [e.method for e in broker.log] == ["POST", "GET"]


def test_long_bodies_are_cut_in_evidence() -> None:
    broker = client(lambda request: httpx.Response(200, text="x" * 10_000))
    broker.get("x")
    assert len(broker.log[0].response_body) < 2100


def test_credentials_given_as_headers_are_sent_but_never_reported() -> None:
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("authorization"))
        return httpx.Response(200, headers={"Set-Cookie": "s=1"})

    broker = BrokerClient(
        "http://broker.test",
        headers={"Authorization": "Bearer secret"},
        transport=httpx.MockTransport(handler),
    )
    broker.get("x")
    assert sent == ["Bearer secret"]
    assert broker.log[0].request_headers["Authorization"] == "<redacted>"
    assert broker.log[0].response_headers["set-cookie"] == "<redacted>"


def test_no_accept_means_no_accept_header_at_all() -> None:
    """NEG-07 is about a request without Accept; httpx would send ``*/*`` on its own."""
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={})

    broker = client(handler)
    broker.get("offersets/x", accept=None)
    broker.get("offersets/x", accept="*/*")
    assert "accept" not in seen[0]
    assert seen[1]["accept"] == "*/*"


def test_each_answer_knows_when_it_arrived() -> None:
    from datetime import UTC, datetime

    before = datetime.now(UTC)
    answer = client(lambda request: httpx.Response(200, json={})).get("x")
    assert before <= answer.received <= datetime.now(UTC)
