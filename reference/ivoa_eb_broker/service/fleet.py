"""The platforms one broker fronts, and which of them may run a request (routing by kind).

A broker has one or more platforms, each under its own name. A platform supports the kinds it
declares: the executable kinds of :meth:`~ivoa_eb_broker.platforms.Platform.supported_kinds`
and the resource kinds of :meth:`~ivoa_eb_broker.platforms.Platform.resource_kinds`, or, per
family, the kinds the operator lists in config. A request is offered by the platforms that
support *every* kind in it; a kind no platform supports gets ``result: NO`` with a message
naming the kind and its path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ivoa_eb_spec.vocabulary import load_kinds

from ..core.quotes import Rates
from ..platforms import Platform
from .messages import error, pointer

#: The families routed by kind, in the order a request lists them.
FAMILIES = ("executable", "compute", "volume", "storage", "data")


def _family_of() -> dict[str, str]:
    return {kind.uri: kind.family for kind in load_kinds()}


@dataclass(frozen=True)
class Member:
    """One platform of the broker: its name (config, messages, the store), the platform, and
    the kinds the operator declared for it (``None``: the platform's own lists)."""

    name: str
    platform: Platform
    kinds: frozenset[str] | None = None
    #: The costs and metrics the platform quotes on its offers (config ``costs``, ``metrics``).
    rates: Rates = field(default_factory=Rates)

    def declared(self, family: str) -> frozenset[str] | None:
        """The kinds of ``family`` this platform is offered for; ``None``: any known one."""
        families = _family_of()
        if self.kinds is not None:
            mine = frozenset(k for k in self.kinds if families.get(k) == family)
            if mine:
                return mine
        if family == "executable":
            return frozenset(self.platform.supported_kinds())
        own = self.platform.resource_kinds()
        if own is None:
            return None
        return frozenset(k for k in own if families.get(k) == family)

    def supports(self, family: str, kind: str) -> bool:
        declared = self.declared(family)
        return declared is None or kind in declared


class Fleet:
    """The broker's platforms in config order; the first is the default (sessions stored
    before a broker had several platforms have no platform name and belong to it)."""

    def __init__(self, members: Sequence[Member]) -> None:
        if not members:
            raise ValueError("a broker needs at least one platform")
        names = [m.name for m in members]
        if len(set(names)) != len(names):
            raise ValueError(f"platform names must be unique: {names}")
        self.members: tuple[Member, ...] = tuple(members)
        self._by_name = {m.name: m for m in members}

    @classmethod
    def of(cls, platform: Platform | Fleet | Sequence[Member]) -> Fleet:
        """A fleet from one platform (named by its ``name``), a fleet, or members."""
        if isinstance(platform, Fleet):
            return platform
        if isinstance(platform, Platform):
            return cls([Member(platform.name, platform)])
        return cls(list(platform))

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    @property
    def default(self) -> Member:
        return self.members[0]

    def get(self, name: str | None) -> Member | None:
        """The member named ``name`` (``None``: the default), or None if not configured."""
        return self.default if name is None else self._by_name.get(name)

    def executable_kinds(self) -> frozenset[str]:
        """Every executable kind some platform runs."""
        found: set[str] = set()
        for member in self.members:
            found |= member.declared("executable") or frozenset()
        return frozenset(found)


def kinds_used(request: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(family, JSON Pointer of the kind, kind URI) of every routed part of a request."""
    found: list[tuple[str, str, str]] = []

    def add(family: str, where: tuple[Any, ...], item: Any) -> None:
        if isinstance(item, Mapping) and isinstance(item.get("kind"), str):
            found.append((family, pointer((*where, "kind")), item["kind"]))

    add("executable", ("executable",), request.get("executable"))
    compute = request.get("compute")
    add("compute", ("compute",), compute)
    if isinstance(compute, Mapping):
        for index, volume in enumerate(_items(compute.get("volumes"))):
            add("volume", ("compute", "volumes", index), volume)
    for family in ("storage", "data"):
        for index, item in enumerate(_items(request.get(family))):
            add(family, (family, index), item)
    return found


def route(fleet: Fleet, request: Mapping[str, Any]) -> tuple[list[Member], list[dict[str, Any]]]:
    """The platforms supporting every kind of ``request``, in config order; when there are
    none, the ERROR messages saying why (each naming the kind and its path)."""
    used = kinds_used(request)
    candidates = [m for m in fleet if all(m.supports(f, k) for f, _, k in used)]
    if candidates:
        return candidates, []
    messages: list[dict[str, Any]] = []
    nowhere = [(f, p, k) for f, p, k in used if not any(m.supports(f, k) for m in fleet)]
    for family, path, kind in nowhere:
        messages.append(error("No platform of this broker supports the {family} kind {kind}",
                              path=path, family=family, kind=kind))
    if not nowhere:
        messages.append(error("No one platform of this broker supports every kind in this "
                              "request", path=""))
        for member in fleet:
            for family, path, kind in used:
                if not member.supports(family, kind):
                    messages.append(error(
                        "Platform {platform} does not support the {family} kind {kind}",
                        path=path, platform=member.name, family=family, kind=kind))
    return [], messages


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
