"""The kinds vocabulary: every kind URI of the interface, its family, schema and aliases.

Code that dispatches on ``kind`` (the broker, the conformance suite, generators) reads the
known kinds from here rather than repeating URIs, and maps the aliases that older prototype
clients still send to the canonical URI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ivoa_eb_spec import load_yaml

__all__ = ["FAMILIES", "Kind", "canonical_kind", "known_kinds", "load_kinds"]

FAMILIES: tuple[str, ...] = (
    "executable",
    "compute",
    "volume",
    "storage",
    "data",
    "cost",
    "metric",
    "session",
    "option",
    "update",
)
"""The families of kinds; each has a schema file ``<family>.yaml`` below ``spec/schema/``."""


@dataclass(frozen=True)
class Kind:
    """One kind of the interface, as listed in ``spec/vocabulary/kinds.yaml``."""

    uri: str
    family: str
    name: str
    title: str
    description: str
    schema: str
    """Path below ``spec/schema/``, with a ``#/$defs/...`` fragment for a definition in a file."""
    aliases: tuple[str, ...]


@cache
def load_kinds() -> tuple[Kind, ...]:
    """Every kind, in the order of the vocabulary file."""
    entries = load_yaml("vocabulary/kinds.yaml")["kinds"]
    return tuple(
        Kind(
            uri=entry["uri"],
            family=entry["family"],
            name=entry["name"],
            title=entry["title"],
            description=entry["description"],
            schema=entry["schema"],
            aliases=tuple(entry["aliases"]),
        )
        for entry in entries
    )


@cache
def _canonical_by_spelling() -> dict[str, str]:
    table: dict[str, str] = {}
    for kind in load_kinds():
        for spelling in (kind.uri, *kind.aliases):
            if table.setdefault(spelling, kind.uri) != kind.uri:
                raise ValueError(f"kind URI {spelling!r} names two kinds in kinds.yaml")
    return table


def canonical_kind(uri: str) -> str | None:
    """The canonical URI for a canonical or alias kind URI; ``None`` for an unknown one."""
    return _canonical_by_spelling().get(uri)


def known_kinds(family: str) -> frozenset[str]:
    """The canonical kind URIs of one family (see :data:`FAMILIES`)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    return frozenset(kind.uri for kind in load_kinds() if kind.family == family)
