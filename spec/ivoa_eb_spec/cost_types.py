"""The vocabulary of cost and metric types (``spec/vocabulary/cost-metric-types.yaml``).

A cost or metric names what it measures by ``type``; brokers and clients compare a request's
limits with an offer's quotes only for the same type, so they share this list (and map the
aliases to the canonical URN first).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ivoa_eb_spec import load_yaml

__all__ = ["CostType", "canonical_type", "load_cost_types"]


@dataclass(frozen=True)
class CostType:
    """One type: its URN, ``family`` (``cost`` or ``metric``), title, unit and aliases."""

    uri: str
    family: str
    title: str
    unit: str
    aliases: tuple[str, ...] = ()


@cache
def load_cost_types() -> tuple[CostType, ...]:
    entries = load_yaml("vocabulary/cost-metric-types.yaml")["types"]
    return tuple(CostType(e["uri"], e["family"], e["title"], e["unit"],
                          tuple(e.get("aliases", ()))) for e in entries)


def canonical_type(uri: str) -> str | None:
    """The canonical URN of a type or of one of its aliases; None if the type is not known."""
    for entry in load_cost_types():
        if uri == entry.uri or uri in entry.aliases:
            return entry.uri
    return None
