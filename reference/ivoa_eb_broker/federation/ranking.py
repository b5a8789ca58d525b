"""The head's order of offers from several sites: pure, configurable (``[federation] rank``).

The default rule, each key breaking the ties of the one before:

1. ``start``: the earliest start of the available interval first (sooner is better);
2. ``resources``: the largest share of the request's maximum cores and memory first (an
   offer of 4 of "2 to 8 cores" gives 0.5; a resource without a maximum counts 1);
3. ``cost``: the lowest monetary cost first (the offer's cost of type
   ``urn:ivoa:calycopis:cost:monetary``, its ``max``, else its ``min``); an offer that states
   none comes after those that do.

Offers equal on every key keep the order the sites gave them in (the sites in config order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ivoa_eb_spec.iso8601 import parse_instant

from ..core.quotes import MONETARY, quote

T = TypeVar("T")
_LATEST = datetime.max.replace(tzinfo=UTC)


def start(offer: Mapping[str, Any]) -> datetime:
    """When the offer's available interval starts (an offer without one: last)."""
    text = _get(offer, "schedule", "available", "start")
    try:
        return parse_instant(text) if isinstance(text, str) else _LATEST
    except ValueError:
        return _LATEST


def share(offer: Mapping[str, Any], request: Mapping[str, Any]) -> float:
    """The mean share of the request's maximum cores and memory that the offer gives."""
    shares = []
    for resource in ("cores", "memory"):
        wanted = _get(request, "compute", resource, "max")
        given = _get(offer, "compute", resource, "min")
        if isinstance(wanted, int | float) and wanted > 0 and isinstance(given, int | float):
            shares.append(min(1.0, given / wanted))
        else:
            shares.append(1.0)
    return sum(shares) / len(shares)


def cost(offer: Mapping[str, Any]) -> float:
    """The offer's monetary cost; inf if it states none."""
    found = quote(offer, "costs", MONETARY)
    return math.inf if found is None else found


def rank(offers: Sequence[tuple[T, Mapping[str, Any]]], request: Mapping[str, Any],
         keys: Sequence[str]) -> list[tuple[T, Mapping[str, Any]]]:
    """``offers`` (anything, with its offer document) best first by ``keys``."""

    def key(entry: tuple[int, tuple[T, Mapping[str, Any]]]) -> tuple[Any, ...]:
        position, (_, offer) = entry
        parts: list[Any] = []
        for name in keys:
            if name == "start":
                parts.append(start(offer))
            elif name == "resources":
                parts.append(-share(offer, request))
            elif name == "cost":
                parts.append(cost(offer))
        return (*parts, position)

    return [entry for _, entry in sorted(enumerate(offers), key=key)]


def _get(document: Mapping[str, Any], *path: str) -> Any:
    value: Any = document
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
