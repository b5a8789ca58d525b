"""The head's pure rules (ranking, cost and metric limits) and its merging, with stand-in
sites in process: no HTTP, so each rule is checked on its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ivoa_eb_broker.core.quotes import unmet
from ivoa_eb_broker.federation import ranking
from ivoa_eb_broker.federation.head import Head
from ivoa_eb_broker.federation.settings import RANK_KEYS
from ivoa_eb_broker.federation.sites import SiteAnswer, SiteError
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform
from ivoa_eb_broker.service.broker import Broker, Received, Settings
from ivoa_eb_broker.store import migrate, open_engine
from ivoa_eb_spec.cost_types import canonical_type, load_cost_types

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
COST = K + "costs/simple-minmax-float-cost.yaml"
METRIC = K + "metrics/simple-minmax-float-metric.yaml"
MONEY, ENERGY = "urn:ivoa:calycopis:cost:monetary", "urn:ivoa:calycopis:cost:energy"
SPEED = "urn:ivoa:calycopis:metric:compute-performance"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def offer(minutes: int, cores: int = 1, money: float | None = None,
          speed: float | None = None) -> dict[str, Any]:
    start = (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document: dict[str, Any] = {
        "kind": K + "session/scheduled-execution-session.yaml", "phase": "OFFERED",
        "expires": (NOW + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "schedule": {"available": {"start": start, "duration": "PT1H"}},
        "compute": {"cores": {"min": cores, "max": cores}, "memory": {"min": 1, "max": 1}},
    }
    if money is not None:
        document["costs"] = [{"kind": COST, "type": MONEY, "min": money, "max": money}]
    if speed is not None:
        document["metrics"] = [{"kind": METRIC, "type": SPEED, "min": speed, "max": speed}]
    return document


REQUEST: dict[str, Any] = {
    "executable": {"kind": K + "executable/docker-container.yaml",
                   "image": {"locations": ["localhost/busybox:test"]}},
    "compute": {"cores": {"min": 1, "max": 4}, "memory": {"min": 1, "max": 1}},
}


def test_the_vocabulary_has_the_upstream_demo_types() -> None:
    uris = {t.uri: t.family for t in load_cost_types()}
    assert uris == {MONEY: "cost", ENERGY: "cost", "urn:ivoa:calycopis:cost:carbon": "cost",
                    SPEED: "metric", "urn:ivoa:calycopis:metric:io-throughput": "metric"}
    assert canonical_type(MONEY) == MONEY and canonical_type("urn:x") is None


def test_ranking_start_then_resources_then_cost() -> None:
    offers = [("late", offer(30)), ("early-small", offer(10, cores=1)),
              ("early-big-dear", offer(10, cores=4, money=9)),
              ("early-big-cheap", offer(10, cores=4, money=1)),
              ("early-big-unpriced", offer(10, cores=4))]
    order = [name for name, _ in ranking.rank(offers, REQUEST, ("start", "resources", "cost"))]
    assert order == ["early-big-cheap", "early-big-dear", "early-big-unpriced", "early-small",
                     "late"]
    by_cost = [name for name, _ in ranking.rank(offers, REQUEST, ("cost",))]
    assert by_cost[:2] == ["early-big-cheap", "early-big-dear"]


def test_limits_max_cost_and_min_metric() -> None:
    limited = {**REQUEST,
               "costs": [{"kind": COST, "type": MONEY, "max": 2.0}],
               "metrics": [{"kind": METRIC, "type": SPEED, "min": 100.0}]}
    assert unmet(offer(0, money=1, speed=150), limited) == []
    assert unmet(offer(0), limited) == []  # states nothing: cannot be judged, kept
    missed = unmet(offer(0, money=3, speed=50), limited)
    assert [(m.path, m.quote) for m in missed] == [("/costs/0/max", 3.0), ("/metrics/0/min", 50.0)]


class StandIn:
    """A site answering from a list, or failing."""

    def __init__(self, name: str, answer: SiteAnswer | SiteError) -> None:
        self.name = name
        self.answer = answer
        self.updates: list[tuple[str, str]] = []

    def takes(self, request: Any) -> bool:
        return True

    async def offers(self, received: Any, via: str, count: int) -> SiteAnswer:
        if isinstance(self.answer, SiteError):
            raise self.answer
        return self.answer

    async def read(self, target: str) -> dict[str, Any]:
        raise SiteError(404, "Not Found")

    async def update(self, target: str, phase: str) -> dict[str, Any]:
        self.updates.append((target, phase))
        raise SiteError(404, "Not Found")

    async def close(self) -> None:
        return None


def head_over(tmp_path: Path, *sites: StandIn, count: int = 2) -> Head:
    engine = open_engine(f"sqlite:///{tmp_path / 'head.sqlite'}")
    migrate(engine)
    broker = Broker(engine, SimulatedPlatform())
    return Head(broker, "head", list(sites), RANK_KEYS, Settings(offer_count=count),
                clock=lambda: NOW)


def ask(head: Head, request: dict[str, Any]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        uuid = await head.request(Received(request, [], "application/yaml", ""))
        answer = await head.offerset(uuid, "http://head")
        await asyncio.sleep(0)  # let the background rejections run
        await asyncio.gather(*head._background)
        return answer

    return asyncio.run(run())


def test_the_best_n_are_kept_and_the_rest_rejected_at_their_sites(tmp_path: Path) -> None:
    a = StandIn("a", SiteAnswer("a", "YES", [("a1", offer(20)), ("a2", offer(40))]))
    b = StandIn("b", SiteAnswer("b", "YES", [("b1", offer(10))]))
    gone = StandIn("gone", SiteError(None, "no answer within 3 s"))
    answer = ask(head_over(tmp_path, a, b, gone), REQUEST)
    assert answer["result"] == "YES"
    assert [o["schedule"]["available"]["start"] for o in answer["offers"]] == [
        "2030-01-01T00:10:00Z", "2030-01-01T00:20:00Z"]
    assert a.updates == [("a2", "REJECTED")] and b.updates == []
    warns = [m for m in answer["meta"]["messages"] if m["level"] == "WARN"]
    assert [m["values"]["site"] for m in warns] == ["gone"]
    # The head never promises longer than the site (the site's expires is NOW + 5 min).
    assert all(o["expires"] <= "2030-01-01T00:05:00Z" for o in answer["offers"])


def test_no_offer_within_the_limits_is_a_no_naming_each_miss(tmp_path: Path) -> None:
    dear = StandIn("dear", SiteAnswer("dear", "YES", [("d1", offer(10, money=5))]))
    slow = StandIn("slow", SiteAnswer("slow", "YES", [("s1", offer(10, speed=10))]))
    limited = {**REQUEST, "costs": [{"kind": COST, "type": MONEY, "max": 2.0}],
               "metrics": [{"kind": METRIC, "type": SPEED, "min": 100.0}]}
    answer = ask(head_over(tmp_path, dear, slow), limited)
    assert answer["result"] == "NO"
    errors = [(m["values"]["site"], m["values"]["path"]) for m in answer["meta"]["messages"]
              if m["level"] == "ERROR"]
    assert errors == [("dear", "/costs/0/max"), ("slow", "/metrics/0/min")]
    assert dear.updates == [("d1", "REJECTED")] and slow.updates == [("s1", "REJECTED")]
