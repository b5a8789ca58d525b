"""The requirements catalogue as Python objects.

The conformance suite tags each check with a requirement id, and the docs render the
catalogue; both read it through here so that an id that does not exist fails loudly.

Ids are public (other projects' CI cites them), so a requirement that is withdrawn, most often
merged into another, stays in the catalogue as retired: :func:`load_requirements` gives the
requirements in force, :func:`load_retired` the retired ones with the ids that replace them.
Looking a retired id up with :func:`requirement` fails and names its replacements, so nothing
of the suite can go on citing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from . import load_yaml

__all__ = [
    "Requirement",
    "RetiredRequirement",
    "current_ids",
    "load_requirements",
    "load_retired",
    "parse_catalogue",
    "requirement",
]

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


@dataclass(frozen=True)
class RetiredRequirement:
    """A requirement withdrawn from the catalogue: it binds nothing, and names its successors."""

    id: str
    replaced_by: tuple[str, ...]  # the requirements in force that carry its content, main first
    retired_in: str  # the catalogue version that retired it
    title: str
    statement: str  # its last wording, for those who cite it
    reason: str


CATALOGUE = "requirements/requirements.yaml"
RETIRED = "retired"


@cache
def _entries() -> tuple[tuple[Requirement, ...], tuple[RetiredRequirement, ...]]:
    """The catalogue parsed once: the requirements in force and the retired ones, in order."""
    return parse_catalogue(load_yaml(CATALOGUE))


def parse_catalogue(
    document: dict[str, Any],
) -> tuple[tuple[Requirement, ...], tuple[RetiredRequirement, ...]]:
    """A catalogue document (valid against its schema) as the requirements in force and the
    retired ones; a ValueError when a retired id points to anything but a requirement in force."""
    active: list[Requirement] = []
    retired: list[RetiredRequirement] = []
    for entry in document["requirements"]:
        if entry.get("state") == RETIRED:
            retired.append(
                RetiredRequirement(
                    id=str(entry["id"]),
                    replaced_by=tuple(str(item) for item in entry["replaced_by"]),
                    retired_in=str(entry["retired_in"]),
                    title=str(entry["title"]),
                    statement=str(entry["statement"]),
                    reason=str(entry["reason"]),
                )
            )
            continue
        active.append(
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
        )
    in_force = {item.id for item in active}
    for item in retired:
        unknown = [i for i in item.replaced_by if i not in in_force]
        if unknown:
            raise ValueError(
                f"{CATALOGUE}: retired {item.id} is replaced by {unknown}, "
                "which are not requirements in force"
            )
    return tuple(active), tuple(retired)


def load_requirements() -> tuple[Requirement, ...]:
    """Every requirement in force, in catalogue order (the objects are immutable)."""
    return _entries()[0]


def load_retired() -> tuple[RetiredRequirement, ...]:
    """Every retired requirement, in catalogue order."""
    return _entries()[1]


@cache
def _by_id() -> dict[str, Requirement]:
    return {item.id: item for item in load_requirements()}


@cache
def _retired_by_id() -> dict[str, RetiredRequirement]:
    return {item.id: item for item in load_retired()}


def requirement(id: str) -> Requirement:
    """The requirement in force with this id; a KeyError naming the id (and, for a retired
    id, the requirements that replace it) when there is none."""
    try:
        return _by_id()[id]
    except KeyError:
        gone = _retired_by_id().get(id)
        if gone is not None:
            raise KeyError(
                f"requirement {id!r} is retired (in {gone.retired_in}); "
                f"cite {', '.join(gone.replaced_by)} instead"
            ) from None
        raise KeyError(f"no requirement {id!r} in {CATALOGUE}") from None


def current_ids(id: str) -> tuple[str, ...]:
    """The ids in force that stand for ``id``: itself when in force, its replacements when
    retired, nothing when unknown. For tools that accept ids other projects wrote down."""
    if id in _by_id():
        return (id,)
    gone = _retired_by_id().get(id)
    return gone.replaced_by if gone is not None else ()
