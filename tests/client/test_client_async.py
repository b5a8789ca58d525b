"""The async client against a real reference broker over HTTP: the same operations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from ivoa_eb_client import AsyncClient, BrokerError

SQRT = Path(__file__).resolve().parents[2] / "examples" / "01-sqrt-docker.yaml"


@pytest.mark.parametrize("media_type", ("application/yaml", "application/xml"))
def test_async_request_accept_wait(broker_url: str, media_type: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(broker_url, media_type=media_type) as client:
            offers = await client.request(SQRT)
            assert offers.result == "YES" and len(offers.offers) >= 2
            session = await offers.offers[0].accept()
            assert session.phase in ("ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING")
            assert (await offers.offers[1].refresh()).phase == "REJECTED"
            await session.wait(timeout=60, poll=0.2)
            assert session.phase == "COMPLETED"
            assert (await client.offer_set(offers.url)).offers[0].phase == "COMPLETED"
            direct = await client.direct(SQRT)
            await direct.cancel()
            assert (await client.session(direct.uuid)).phase == "CANCELLED"
            with pytest.raises(BrokerError) as missing:
                await client.offer_set("00000000-0000-4000-8000-000000000000")
            assert missing.value.status == 404

    asyncio.run(scenario())
