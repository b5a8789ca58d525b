"""Credentials of the typed client: a fixed token, or a callable renewed after a 401."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from ivoa_eb_client import AsyncClient, BrokerError, Client

SESSION = "00000000-0000-4000-8000-000000000000"


def broker_accepting(valid: set[str], seen: list[str]) -> httpx.MockTransport:
    """A stand-in broker: 401 unless the bearer token is one of ``valid``."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent = request.headers.get("authorization", "")
        seen.append(sent)
        if sent.removeprefix("Bearer ") not in valid:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="t"'},
                                  content=b"status: 401\ntitle: Unauthorized\nmessages: []\n")
        return httpx.Response(404, content=b"status: 404\ntitle: Not Found\nmessages: []\n")

    return httpx.MockTransport(answer)


def test_a_fixed_token_is_sent():
    seen: list[str] = []
    client = Client("http://broker", token="t1", transport=broker_accepting({"t1"}, seen))
    with pytest.raises(BrokerError) as failure:
        client.session(SESSION)
    assert failure.value.status == 404
    assert seen == ["Bearer t1"]


def test_a_callable_token_is_renewed_after_a_401():
    tokens = iter(["expired", "fresh", "fresh"])
    seen: list[str] = []
    client = Client("http://broker", token=lambda: next(tokens),
                    transport=broker_accepting({"fresh"}, seen))
    with pytest.raises(BrokerError) as failure:
        client.session(SESSION)
    assert failure.value.status == 404  # the retry with the fresh token got through
    assert seen == ["Bearer expired", "Bearer fresh"]


def test_the_async_client_takes_a_callable_too():
    seen: list[str] = []

    async def run() -> int | None:
        async with AsyncClient("http://broker", token=lambda: "a1",
                               transport=broker_accepting({"a1"}, seen)) as client:
            try:
                await client.session(SESSION)
            except BrokerError as failure:
                return failure.status
        return None

    assert asyncio.run(run()) == 404
    assert seen == ["Bearer a1"]


def test_auth_and_token_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        Client("http://broker", auth=("u", "p"), token="t")
