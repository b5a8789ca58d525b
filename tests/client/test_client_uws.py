"""The client's UWS-like calls against a real reference broker: listing one's sessions page by
page, and waiting by the blocking read (or by polling when a broker does not honour it)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from ivoa_eb_client import AsyncClient, Client

ROOT = Path(__file__).resolve().parents[2]
SQRT = ROOT / "examples" / "01-sqrt-docker.yaml"


class Counting(httpx.HTTPTransport):
    """Records the URL of every request; with ``strip``, drops ``wait`` and ``phase`` from
    the query, as a broker without the blocking read would ignore them."""

    def __init__(self, strip: bool = False) -> None:
        super().__init__()
        self.strip = strip
        self.urls: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.strip and "wait" in request.url.params:
            request.url = request.url.copy_remove_param("wait").copy_remove_param("phase")
        self.urls.append(request.url)
        return super().handle_request(request)


def test_sessions_lists_ones_offers_page_by_page(broker_url: str) -> None:
    transport = Counting()
    with Client(broker_url, transport=transport) as client:
        offers = client.request(SQRT).offers
        assert len(offers) >= 2
        offers[0].reject()
        created = offers[0].created
        assert created is not None
        after = created - timedelta(seconds=1)
        listed = list(client.sessions(after=after, limit=1))
        assert {o.uuid for o in offers} <= {s.uuid for s in listed}
        pages = [u for u in transport.urls if u.path == "/sessions"]
        assert len(pages) >= len(offers)  # one session a page: next was followed
        offered = list(client.sessions(phase="OFFERED", after=after))
        assert {s.uuid for s in offered} == {o.uuid for o in offers[1:]}
        assert all(s.phase == "OFFERED" for s in offered)
        assert not {o.uuid for o in offers} & {s.uuid for s in client.sessions(before=created)}
        for offer in offers[1:]:
            offer.reject()


def test_wait_uses_the_blocking_read(broker_url: str) -> None:
    transport = Counting()
    with Client(broker_url, transport=transport) as client:
        session = client.request(SQRT).offers[0].accept()
        before = len(transport.urls)
        session.wait(timeout=60, poll=0.01)
        assert session.phase == "COMPLETED"
        assert client.blocking is True
        reads = transport.urls[before:]
        assert reads and all("wait" in u.params for u in reads)
        # One read per phase change at most: polling every 0.01 s would read far more often.
        assert len(reads) <= 7


def test_wait_falls_back_to_polling(broker_url: str) -> None:
    transport = Counting(strip=True)
    with Client(broker_url, transport=transport) as client:
        session = client.request(SQRT).offers[0].accept()
        session.wait(timeout=60, poll=0.05)
        assert session.phase == "COMPLETED"
        assert client.blocking is False


def test_async_listing_and_wait(broker_url: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(broker_url, media_type="application/xml") as client:
            offers = (await client.request(SQRT)).offers
            created = offers[0].created
            assert created is not None
            after = created - timedelta(seconds=1)
            listed = [s.uuid async for s in client.sessions(phase=["OFFERED"], after=after)]
            assert set(listed) == {o.uuid for o in offers}
            session = await offers[0].accept()
            await session.wait(until="RUNNING", timeout=60, poll=5)
            assert session.phase in ("RUNNING", "RELEASING", "COMPLETED")
            assert client.blocking is True

    asyncio.run(scenario())
