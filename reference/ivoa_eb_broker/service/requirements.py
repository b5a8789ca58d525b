"""From a valid request document to what the planner needs, or to why it cannot be planned.

Three outcomes, kept apart because the standard treats them differently:

- *invalid* (400): a name used twice, a reference to a name that does not exist
  (decision 13), a time string in a refused form (decision 2). The client must fix it.
- *cannot run* (200, ``result: NO``): a kind this broker does not run (decision 6), a
  privileged container. The request is fine; the answer is no, and says why.
- otherwise a :class:`~ivoa_eb_broker.core.PlanRequest` with the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivoa_eb_spec.iso8601 import TimeFormatError, parse_duration, parse_start
from ivoa_eb_spec.model import kinds as K

from ..core import PlanRequest
from .documents import storage_max, storage_min
from .messages import error, pointer


@dataclass
class Reading:
    """What :func:`read` found: errors (400), reasons for NO, or a plan request."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    plan: PlanRequest | None = None


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _name(item: Mapping[str, Any]) -> str | None:
    meta = item.get("meta")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return name if isinstance(name, str) else None


def _known(family: str) -> frozenset[str]:
    return frozenset(K.FAMILIES.get(family, ()))


def check_names(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Names of storage and data resources unique; every reference resolves (decision 13)."""
    problems: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    storage_names: set[str] = set()
    data_names: set[str] = set()
    for family, names in (("storage", storage_names), ("data", data_names)):
        for index, item in enumerate(_items(request.get(family))):
            name = _name(item)
            if name is None:
                continue
            path = pointer((family, index, "meta", "name"))
            if name in seen:
                problems.append(
                    error(
                        "The name {name} at {path} is already used at {first}: names of "
                        "storage and data resources must be unique",
                        path=path,
                        name=name,
                        first=seen[name],
                    )
                )
                continue
            seen[name] = path
            names.add(name)
    compute = request.get("compute")
    volumes = _items(compute.get("volumes")) if isinstance(compute, Mapping) else []
    for index, volume in enumerate(volumes):
        target = volume.get("resource")
        if isinstance(target, str) and target not in seen:
            problems.append(
                error(
                    "The volume at {volume} mounts {name}, which is not the name of a storage "
                    "or data resource in this request",
                    path=pointer(("compute", "volumes", index, "resource")),
                    volume=pointer(("compute", "volumes", index)),
                    name=target,
                )
            )
    for index, item in enumerate(_items(request.get("storage"))):
        names = item.get("data")
        for position, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and name not in data_names:
                problems.append(
                    error(
                        "The storage resource at {storage} lists data {name}, which is not "
                        "the name of a data resource in this request",
                        path=pointer(("storage", index, "data", position)),
                        storage=pointer(("storage", index)),
                        name=name,
                    )
                )
    for index, item in enumerate(_items(request.get("data"))):
        name = item.get("storage")
        if isinstance(name, str) and name not in storage_names:
            problems.append(
                error(
                    "The data resource at {data} is to be stored in {name}, which is not the "
                    "name of a storage resource in this request",
                    path=pointer(("data", index, "storage")),
                    data=pointer(("data", index)),
                    name=name,
                )
            )
    return problems


def check_kinds(request: Mapping[str, Any], runs: Iterable[str]) -> list[dict[str, Any]]:
    """Reasons for NO: kinds this broker cannot run or does not know (decision 6)."""
    refusals: list[dict[str, Any]] = []
    supported = frozenset(runs)
    executable = request.get("executable")
    if isinstance(executable, Mapping):
        kind = executable.get("kind")
        if kind not in supported:
            known = kind in _known("executable")
            refusals.append(
                error(
                    "This broker does not run executables of kind {kind}"
                    + ("" if known else ", which it does not know"),
                    path="/executable/kind",
                    kind=str(kind),
                )
            )
        if executable.get("privileged") is True:
            refusals.append(
                error(
                    "This broker does not run privileged containers",
                    path="/executable/privileged",
                )
            )
    parts: list[tuple[str, tuple[Any, ...], Any]] = []
    compute = request.get("compute")
    if isinstance(compute, Mapping):
        parts.append(("compute", ("compute",), compute))
        for index, volume in enumerate(_items(compute.get("volumes"))):
            parts.append(("volume", ("compute", "volumes", index), volume))
    for family in ("storage", "data"):
        for index, item in enumerate(_items(request.get(family))):
            parts.append((family, (family, index), item))
    for family, where, item in parts:
        kind = item.get("kind")
        if kind not in _known(family):
            refusals.append(
                error(
                    "This broker does not know the {family} kind {kind}",
                    path=pointer((*where, "kind")),
                    family=family,
                    kind=str(kind),
                )
            )
    return refusals


def _range(block: Any) -> tuple[int | None, int | None]:
    if not isinstance(block, Mapping):
        return None, None
    low, high = block.get("min"), block.get("max")
    return (low if isinstance(low, int) else None, high if isinstance(high, int) else None)


def read(request: Mapping[str, Any], runs: Iterable[str]) -> Reading:
    """Check a schema-valid request document and reduce it to a plan request."""
    reading = Reading(errors=check_names(request))
    schedule = request.get("schedule")
    requested = schedule.get("requested") if isinstance(schedule, Mapping) else None
    window = duration = None
    if isinstance(requested, Mapping):
        if isinstance(requested.get("start"), str):
            try:
                window = parse_start(requested["start"])
            except TimeFormatError as problem:
                reading.errors.append(
                    error("{problem}", path="/schedule/requested/start", problem=problem)
                )
        if isinstance(requested.get("duration"), str):
            try:
                duration = parse_duration(requested["duration"])
            except TimeFormatError as problem:
                reading.errors.append(
                    error("{problem}", path="/schedule/requested/duration", problem=problem)
                )
    if reading.errors:
        return reading
    reading.refusals = check_kinds(request, runs)
    if reading.refusals:
        return reading
    compute = request.get("compute") if isinstance(request.get("compute"), Mapping) else {}
    cores_min, cores_max = _range(compute.get("cores"))
    memory_min, memory_max = _range(compute.get("memory"))
    storage = _items(request.get("storage"))
    highs = [storage_max(item) for item in storage]
    reading.plan = PlanRequest(
        cores_min=cores_min if cores_min is not None else 1,
        cores_max=cores_max,
        memory_min=memory_min if memory_min is not None else 1,
        memory_max=memory_max,
        storage_min=sum(storage_min(item) for item in storage),
        storage_max=None if any(h is None for h in highs) else sum(h or 0 for h in highs),
        duration=duration,
        earliest=window.earliest if window else None,
        latest=window.latest if window else None,
    )
    return reading
