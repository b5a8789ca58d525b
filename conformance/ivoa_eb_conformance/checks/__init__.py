"""The registry of checks. Each submodule registers its checks with :func:`check` on import."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..model import Check, CheckFunction

REGISTRY: dict[str, Check] = {}

#: Modules holding checks, in the order their checks run (cheap first, slow lifecycle last).
MODULES = ("service", "content", "offers", "errors", "identity", "lifecycle", "federation",
           "scenarios", "vosi", "uws", "fuzzing", "observe")


def check(
    id: str,
    requirements: tuple[str, ...] | list[str],
    title: str,
    *,
    layer: str = "protocol",
    cost: float = 1.0,
    overlap: bool = False,
    sees_all: bool = False,
    reads_all: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check ``id`` verifying ``requirements`` (``overlap``,
    ``sees_all`` and ``reads_all``: see :class:`~ivoa_eb_conformance.model.Check`)."""

    def register(function: CheckFunction) -> CheckFunction:
        if id in REGISTRY:
            raise ValueError(f"duplicate check id {id}")
        REGISTRY[id] = Check(
            id, tuple(requirements), title, function, layer, cost, overlap, sees_all, reads_all
        )
        return function

    return register


def register(item: Check) -> None:
    if item.id in REGISTRY:
        raise ValueError(f"duplicate check id {item.id}")
    REGISTRY[item.id] = item


def all_checks() -> list[Check]:
    """Every registered check, importing the check modules on first use."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return list(REGISTRY.values())
