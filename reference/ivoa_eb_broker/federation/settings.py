"""The federation's configuration: ``[federation]`` and the ``[[children]]`` tables.

```toml
[federation]
id = "head.example.org"      # this broker's id in the EB-Via header (loop guard)
local = false                # offer this broker's own platforms as one more site
rank = ["start", "resources", "cost"]

[[children]]
name = "site-a"
url = "https://a.example.org/eb/"
timeout = 10                 # seconds for the child's answer
token = "..."                # optional: Authorization: Bearer
# username = "..."; password = "..."   (optional: HTTP basic)
kinds = ["https://.../executable/docker-container.yaml"]   # optional routing hint
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The ranking keys a head knows, in the default order.
RANK_KEYS = ("start", "resources", "cost")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class FederationConfigError(ValueError):
    """A federation setting is not usable; the message names the key."""


@dataclass(frozen=True)
class Child:
    """One child broker: its site name, base URL, answer timeout, credentials, kind hints."""

    name: str
    url: str
    timeout: float = 10.0
    token: str | None = None
    username: str | None = None
    password: str | None = None
    kinds: frozenset[str] | None = None


@dataclass(frozen=True)
class Federation:
    """``[federation]`` and ``[[children]]``; without children the broker is a site only
    (a site forwards nothing, so no loop can pass through it and it needs no id)."""

    id: str = ""
    local: bool = False
    rank: tuple[str, ...] = RANK_KEYS
    children: tuple[Child, ...] = field(default_factory=tuple)

    @property
    def enabled(self) -> bool:
        return bool(self.children)


def read(federation: Any, children: Any) -> Federation:
    """Check and read the two tables (``None``: absent)."""
    table = federation if federation is not None else {}
    if not isinstance(table, Mapping):
        raise FederationConfigError("[federation]: expected a table")
    unknown = sorted(set(table) - {"id", "local", "rank"})
    if unknown:
        raise FederationConfigError(f"[federation] {unknown[0]}: unknown setting "
                                    "(known: id, local, rank)")
    ident = table.get("id", "")
    if not isinstance(ident, str) or (ident and not _NAME.fullmatch(ident)):
        raise FederationConfigError("[federation] id: expected a name of letters, digits, "
                                    f"'.', '_', '-' or ':' (at most 64), got {ident!r}")
    local = table.get("local", False)
    if not isinstance(local, bool):
        raise FederationConfigError(f"[federation] local: expected true or false, got {local!r}")
    rank = table.get("rank", list(RANK_KEYS))
    if (not isinstance(rank, list) or not rank
            or any(key not in RANK_KEYS for key in rank) or len(set(rank)) != len(rank)):
        raise FederationConfigError(f"[federation] rank: expected a list of distinct keys of "
                                    f"{', '.join(RANK_KEYS)}, got {rank!r}")
    return Federation(ident, local, tuple(rank), _children(children))


def _children(tables: Any) -> tuple[Child, ...]:
    if tables is None:
        return ()
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise FederationConfigError("[[children]]: expected an array of tables")
    found: list[Child] = []
    known = {"name", "url", "timeout", "token", "username", "password", "kinds"}
    for index, table in enumerate(tables, start=1):
        where = f"[[children]] #{index}"
        unknown = sorted(set(table) - known)
        if unknown:
            raise FederationConfigError(f"{where} {unknown[0]}: unknown setting "
                                        f"(known: {', '.join(sorted(known))})")
        name = table.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise FederationConfigError(f"{where} name: expected a name of letters, digits, "
                                        f"'.', '_', '-' or ':' (at most 64), got {name!r}")
        where = f"[[children]] #{index} ({name})"
        if any(c.name == name for c in found):
            raise FederationConfigError(f"{where} name: {name!r} is used by another child")
        url = table.get("url")
        if not isinstance(url, str) or not re.match(r"https?://", url):
            raise FederationConfigError(f"{where} url: expected an http(s) URL, got {url!r}")
        timeout = table.get("timeout", 10.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise FederationConfigError(f"{where} timeout: expected seconds > 0, got {timeout!r}")
        strings = {}
        for key in ("token", "username", "password"):
            value = table.get(key)
            if value is not None and not isinstance(value, str):
                raise FederationConfigError(f"{where} {key}: expected a string")
            strings[key] = value
        if (strings["username"] is None) != (strings["password"] is None):
            raise FederationConfigError(f"{where} username, password: give both or neither")
        kinds = table.get("kinds")
        if kinds is not None:
            kinds = _kinds(where, kinds)
        found.append(Child(name, url.rstrip("/"), float(timeout), strings["token"],
                           strings["username"], strings["password"], kinds))
    return tuple(found)


def _kinds(where: str, value: Any) -> frozenset[str]:
    from ivoa_eb_spec.vocabulary import canonical_kind

    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise FederationConfigError(f"{where} kinds: expected a non-empty list of kind URIs")
    kinds = set()
    for uri in value:
        canonical = canonical_kind(uri)
        if canonical is None:
            raise FederationConfigError(f"{where} kinds: {uri!r} is not a kind URI of the "
                                        "vocabulary (spec/vocabulary/kinds.yaml)")
        kinds.add(canonical)
    return frozenset(kinds)
