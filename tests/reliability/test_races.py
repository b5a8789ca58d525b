"""Concurrent accepts of the same offer, and of sibling offers, over real HTTP: exactly one
winner per offer set, whatever the interleaving. (Many clients over a small platform, with
no overbooking, are in ``tests/broker/test_concurrency.py``.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from broker.conftest import ThreadServer, accept, as_yaml, make_config, request_document
from ivoa_eb_broker.http import create_app

CLIENTS = 20
ROUNDS = 4
ACCEPTED = {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING", "RELEASING",
            "COMPLETED"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    folder: Path = tmp_path_factory.mktemp("races")
    config = make_config(folder, platform={"running": 30.0}, offer_lifetime=60.0)
    with ThreadServer(create_app(config)) as running:
        yield running


async def one_round(http: httpx.AsyncClient) -> None:
    answer = yaml.safe_load((await http.post("/requests",
                                             content=as_yaml(request_document()))).text)
    offers = [o["meta"]["url"] for o in answer["offers"]]
    assert len(offers) >= 2
    # Half the clients accept the first offer, the others the siblings, all at once.
    targets = [offers[0] if i % 2 == 0 else offers[1 + i % (len(offers) - 1)]
               for i in range(CLIENTS)]
    results = await asyncio.gather(*(http.post(t, content=accept()) for t in targets))
    codes = [r.status_code for r in results]
    assert all(c < 500 for c in codes), codes
    winners = {t for t, c in zip(targets, codes, strict=True) if c == 200}
    assert len(winners) == 1, codes
    assert set(codes) <= {200, 409, 422}, codes
    # What the answers said is what the sessions show: one accepted, its siblings rejected.
    for url in offers:
        phase = yaml.safe_load((await http.get(url)).text)["phase"]
        assert (phase in ACCEPTED) == (url in winners), (url, phase)


def test_exactly_one_winner_per_offer_set(server: ThreadServer) -> None:
    async def main() -> None:
        limits = httpx.Limits(max_connections=CLIENTS + 5)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            await asyncio.gather(*(one_round(http) for _ in range(ROUNDS)))

    asyncio.run(main())
