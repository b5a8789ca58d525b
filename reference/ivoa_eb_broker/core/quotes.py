"""Costs and metrics: a platform's rates, the quotes they give an offer, and a request's
limits held against an offer's quotes (pure).

A platform states, per type (``spec/vocabulary/cost-metric-types.yaml``), a cost ``rate`` per
core-hour (an offer of C cores for H hours quotes ``rate * C * H``) and a metric's ``value``
(the same for every offer of the platform).

A request's cost of type T with ``max`` M is met by an offer whose cost of type T quotes at
most M (its ``max``, else its ``min``); a metric of type T with ``min`` N is met by an offer
whose metric of type T states at least N (its ``min``, else its ``max``). Types are compared
after mapping aliases (``spec/vocabulary/cost-metric-types.yaml``). An offer that states no
figure of that type cannot be judged and is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ivoa_eb_spec.cost_types import canonical_type

MONETARY = "urn:ivoa:calycopis:cost:monetary"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
COST_KIND = K + "costs/simple-minmax-float-cost.yaml"
METRIC_KIND = K + "metrics/simple-minmax-float-metric.yaml"


@dataclass(frozen=True)
class Rates:
    """A platform's figures: cost rates per core-hour and metric values, by type URN."""

    costs: tuple[tuple[str, float], ...] = ()
    metrics: tuple[tuple[str, float], ...] = ()

    def quote(self, cores: int, hours: float) -> dict[str, list[dict[str, Any]]]:
        """The ``costs`` and ``metrics`` of an offer of ``cores`` for ``hours``."""
        found: dict[str, list[dict[str, Any]]] = {}
        if self.costs:
            found["costs"] = [{"kind": COST_KIND, "type": kind,
                               "min": round(rate * cores * hours, 6),
                               "max": round(rate * cores * hours, 6)}
                              for kind, rate in self.costs]
        if self.metrics:
            found["metrics"] = [{"kind": METRIC_KIND, "type": kind, "min": value, "max": value}
                                for kind, value in self.metrics]
        return found


@dataclass(frozen=True)
class Unmet:
    """One limit an offer misses: the request's path, the type, the limit and the quote."""

    path: str
    type: str
    limit: float
    quote: float
    family: str


def _type(item: Mapping[str, Any]) -> str:
    raw = str(item.get("type", ""))
    return canonical_type(raw) or raw


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def quote(offer: Mapping[str, Any], family: str, kind: str) -> float | None:
    """The offer's figure of a type: a cost's ``max`` else ``min``, a metric's ``min`` else
    ``max``; None if the offer states none."""
    first, second = ("max", "min") if family == "costs" else ("min", "max")
    for item in offer.get(family) or []:
        if isinstance(item, Mapping) and _type(item) == kind:
            found = _number(item.get(first))
            return found if found is not None else _number(item.get(second))
    return None


def unmet(offer: Mapping[str, Any], request: Mapping[str, Any]) -> list[Unmet]:
    """The request's limits the offer's quotes miss."""
    missed: list[Unmet] = []
    for family, bound in (("costs", "max"), ("metrics", "min")):
        for index, item in enumerate(request.get(family) or []):
            if not isinstance(item, Mapping) or _number(item.get(bound)) is None:
                continue
            limit = float(item[bound])
            stated = quote(offer, family, _type(item))
            if stated is None:
                continue
            if (family == "costs" and stated > limit) or (family == "metrics" and stated < limit):
                missed.append(Unmet(f"/{family}/{index}/{bound}", _type(item), limit, stated,
                                    family))
    return missed
