"""The requirements catalogue as Python objects.

The conformance suite tags each check with a requirement id, and the docs render the
catalogue; both read it through here so that an id that does not exist fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from . import load_yaml

__all__ = ["Requirement", "load_requirements", "requirement"]

Level = Literal["MUST", "SHOULD", "MAY"]
Blackbox = Literal["yes", "partly", "no"]


@dataclass(frozen=True)
class Requirement:
    """One testable statement of the interface, with where it comes from and how to see it."""

    id: str
    level: Level
    title: str
    statement: str
    source: str
    covers: tuple[int, ...]
    blackbox: Blackbox
    how: str
    profile: str | None = None

    @property
    def core(self) -> bool:
        """True when every broker is bound, not only those claiming an optional profile."""
        return self.profile is None


CATALOGUE = "requirements/requirements.yaml"


@cache
def load_requirements() -> tuple[Requirement, ...]:
    """Every requirement, in catalogue order (parsed once; the objects are immutable)."""
    document = load_yaml(CATALOGUE)
    return tuple(
        Requirement(
            id=str(entry["id"]),
            level=entry["level"],
            title=str(entry["title"]),
            statement=str(entry["statement"]),
            source=str(entry["source"]),
            covers=tuple(int(item) for item in entry["covers"]),
            blackbox=entry["blackbox"],
            how=str(entry["how"]),
            profile=entry.get("profile"),
        )
        for entry in document["requirements"]
    )


@cache
def _by_id() -> dict[str, Requirement]:
    return {item.id: item for item in load_requirements()}


def requirement(id: str) -> Requirement:
    """The requirement with this id; a KeyError naming the id when there is none."""
    try:
        return _by_id()[id]
    except KeyError:
        raise KeyError(f"no requirement {id!r} in {CATALOGUE}") from None
