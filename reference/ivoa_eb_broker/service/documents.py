"""Building the documents the broker answers with: offers, sessions, offer sets.

Stored documents hold what does not change with the reader (the offered executable and
resources, the schedule, the expiry); what does (``meta.url`` from the base URL, the phase,
the options the phase allows, the messages) is filled in at read time by :func:`session`
and :func:`offerset`, so that a stored row never disagrees with the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ivoa_eb_spec.iso8601 import format_instant
from ivoa_eb_spec.jsonvalue import copy_json

from ..core import OfferPlan, Phase, client_options, iso_duration

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
SCHEDULED_SESSION = K + "session/scheduled-execution-session.yaml"
ENUM_OPTION = "uri:enum-value-option"


def offer(
    request: Mapping[str, Any],
    plan: OfferPlan,
    uuid: str,
    created: datetime,
    preparing: timedelta,
    releasing: timedelta,
) -> dict[str, Any]:
    """The stored document of one offer: the request's parts with the offered values."""
    document: dict[str, Any] = {
        "kind": SCHEDULED_SESSION,
        "meta": {"uuid": uuid, "created": format_instant(created)},
        "phase": str(Phase.OFFERED),
        "expires": format_instant(plan.expires),
    }
    executable = copy_json(request.get("executable"))
    if executable is not None:
        document["executable"] = executable
    document["compute"] = _compute(request.get("compute"), plan)
    storage = _storage(request.get("storage"), plan.storage_gib)
    if storage:
        document["storage"] = storage
    if request.get("data"):
        document["data"] = copy_json(request["data"])
    end = plan.start + plan.duration
    document["schedule"] = {
        "preparing": {
            "start": format_instant(plan.start - preparing),
            "duration": iso_duration(preparing),
        },
        "available": {
            "start": format_instant(plan.start),
            "duration": iso_duration(plan.duration),
        },
        "releasing": {"start": format_instant(end), "duration": iso_duration(releasing)},
    }
    return document


def _compute(requested: Any, plan: OfferPlan) -> dict[str, Any]:
    compute = copy_json(requested) if isinstance(requested, Mapping) else {}
    compute.setdefault("kind", K + "compute/simple-compute-resource.yaml")
    compute["cores"] = {"min": plan.cores, "max": plan.cores}
    compute["memory"] = {"min": plan.memory_gib, "max": plan.memory_gib}
    return compute


def _storage(requested: Any, offered: int) -> list[dict[str, Any]]:
    """Each storage resource gets its minimum; what the offer has beyond the sum of the
    minimums goes to the first, up to its maximum."""
    if not isinstance(requested, list):
        return []
    items = copy_json(requested)
    spare = offered - sum(storage_min(item) for item in items)
    for item in items:
        if not isinstance(item.get("size"), Mapping) and "size" not in item:
            if not _is_simple_storage(item):
                continue
        low = storage_min(item)
        high = storage_max(item)
        extra = max(0, min(spare, (high - low) if high is not None else spare))
        spare -= extra
        if low + extra == 0:
            continue  # no size asked and none to give: a size of 0 GiB is not a valid size
        item["size"] = {"min": low + extra, "max": low + extra}
    return items


def _is_simple_storage(item: Mapping[str, Any]) -> bool:
    return item.get("kind") == K + "storage/simple-storage-resource.yaml"


def storage_min(item: Mapping[str, Any]) -> int:
    size = item.get("size")
    low = size.get("min") if isinstance(size, Mapping) else None
    return low if isinstance(low, int) else 0


def storage_max(item: Mapping[str, Any]) -> int | None:
    size = item.get("size")
    high = size.get("max") if isinstance(size, Mapping) else None
    return high if isinstance(high, int) else None


def options(phase: str, allowed: Callable[[list[str]], list[str]] | None = None
            ) -> list[dict[str, Any]]:
    """The options a client has in ``phase``: an enum option on ``phase`` (requirement 21),
    with only the values ``allowed`` leaves for the reader (SEC-03)."""
    values = [str(v) for v in client_options(Phase(phase))]
    if allowed is not None:
        values = allowed(values)
    if not values:
        return []
    return [{"kind": ENUM_OPTION, "path": "/phase", "values": values}]


def session(
    stored: Mapping[str, Any],
    *,
    phase: str,
    url: str,
    modified: datetime,
    messages: Sequence[Mapping[str, Any]],
    connectors: Sequence[Mapping[str, Any]] | None = None,
    allowed: Callable[[list[str]], list[str]] | None = None,
) -> dict[str, Any]:
    """The session as answered now: the stored document plus the live parts; the options
    only with the values ``allowed`` leaves for the reader."""
    document = copy_json(dict(stored))
    meta = document.setdefault("meta", {})
    meta["url"] = url
    meta["modified"] = format_instant(modified)
    if messages:
        meta["messages"] = [message_document(m) for m in messages]
    choices = options(phase, allowed)
    if choices:
        meta["options"] = choices
    else:
        meta.pop("options", None)
    document["phase"] = phase
    if connectors:
        document["connectors"] = [dict(c) for c in connectors]
    return _ordered(document)


_ORDER = ("kind", "meta", "phase", "expires", "schedule", "executable", "compute", "storage",
          "data", "connectors")


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    head = {key: document[key] for key in _ORDER if key in document}
    head.update({key: value for key, value in document.items() if key not in head})
    return head


def message_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """A MessageItem document from a stored message row (or a message document)."""
    time = row["time"]
    return {
        "time": format_instant(time) if isinstance(time, datetime) else time,
        "level": row["level"],
        "template": row["template"],
        "values": dict(row.get("values") or {}),
        "message": row["message"],
    }


def offerset(
    stored: Mapping[str, Any],
    *,
    url: str,
    offers: Sequence[dict[str, Any]],
    messages: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The offer set as answered now, with its offers as they are now."""
    document = copy_json(dict(stored))
    meta = document.setdefault("meta", {})
    meta["url"] = url
    if messages:
        meta["messages"] = [message_document(m) for m in messages]
    if offers:
        document["offers"] = list(offers)
    return document
