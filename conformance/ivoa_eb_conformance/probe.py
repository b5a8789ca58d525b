"""Protocol moves shared by checks and the scenario interpreter: post a request, read a
session, change its phase. Each returns the broker's :class:`Answer` untouched, so callers
judge it themselves.
"""

from __future__ import annotations

import copy
import re
import uuid as uuidlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ivoa_eb_spec import iso8601

from .context import Context
from .http import Answer

CASES = Path(__file__).parent / "cases"
PHASE_PATHS = ("phase", "/phase", "state")
_TEMPLATE = re.compile(r"\{\{\s*now\s*(?:([+-])\s*(P[0-9A-Z.]+))?\s*\}\}")


@cache
def _documents() -> dict[str, Any]:
    with (CASES / "documents.yaml").open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)["documents"]


def document_names() -> list[str]:
    return list(_documents())


def render(value: Any, now: datetime | None = None) -> Any:
    """Fill ``{{now}}``, ``{{now+PT1H}}`` and ``{{now-PT5M}}`` in every string, recursively."""
    now = now or datetime.now(UTC)

    def fill(match: re.Match[str]) -> str:
        sign, duration = match.groups()
        moment = now
        if duration:
            delta = iso8601.parse_duration(duration)
            moment = now + delta if sign == "+" else now - delta
        return iso8601.format_instant(moment)

    if isinstance(value, str):
        return _TEMPLATE.sub(fill, value)
    if isinstance(value, list):
        return [render(item, now) for item in value]
    if isinstance(value, dict):
        return {key: render(item, now) for key, item in value.items()}
    return value


def document(name: str, **overrides: Any) -> dict[str, Any]:
    """A named document of ``cases/documents.yaml``, rendered now; ``a__b=v`` sets a.b."""
    doc = render(copy.deepcopy(_documents()[name]))
    for dotted, value in overrides.items():
        target = doc
        keys = dotted.split("__")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return doc


def random_uuid() -> str:
    return str(uuidlib.uuid4())


def get(doc: Any, *path: str | int) -> Any:
    for step in path:
        if isinstance(step, int):
            doc = doc[step] if isinstance(doc, list) and step < len(doc) else None
        else:
            doc = doc.get(step) if isinstance(doc, dict) else None
    return doc


def offers(offer_set: Any) -> list[dict[str, Any]]:
    found = get(offer_set, "offers")
    return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []


def session_target(session: Any) -> str:
    """Where to read or update a session: its ``meta.url``, else ``sessions/{uuid}``."""
    url = get(session, "meta", "url")
    if isinstance(url, str) and url:
        return url
    return f"sessions/{get(session, 'meta', 'uuid')}"


def post_request(
    ctx: Context,
    request: Any,
    *,
    fmt: str = "json",
    accept: str | None = "application/json",
    content_type: str | None = None,
) -> tuple[Answer, Answer]:
    """POST /requests; returns the first answer and the offer-set answer (after a 303, if any)."""
    first = ctx.client.post("requests", request, fmt=fmt, accept=accept, content_type=content_type)
    return first, ctx.client.follow(first, accept=accept)


def phase_options(session: Any) -> list[str] | None:
    """Values of the enum option on the phase path, or None when the session offers none."""
    for option in get(session, "meta", "options") or []:
        if (
            isinstance(option, dict)
            and option.get("path") in PHASE_PATHS
            and "enum" in str(option.get("kind"))
        ):
            values = option.get("values")
            return [str(v) for v in values] if isinstance(values, list) else []
    return None


def phase_update(value: str, path: str = "/phase") -> dict[str, Any]:
    return {"kind": "uri:enum-value-update", "path": path, "value": value}


def update(ctx: Context, session: Any, body: Any, *, fmt: str = "json") -> Answer:
    return ctx.client.post(session_target(session), body, fmt=fmt)


def read_session(ctx: Context, session: Any, *, accept: str | None = "application/json") -> Answer:
    return ctx.client.get(session_target(session), accept=accept)
