"""Copying JSON values (what the codecs read: dicts, lists, strings, numbers, booleans,
None).

``copy.deepcopy`` handles any object graph: it keeps a memo of every object it visits and
looks up a copier per type, which made it a tenth of a request's time when a request's parts
are copied into each of its offers. A JSON value is a tree whose leaves are immutable, so
copying its dicts and lists is enough.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def copy_json(value: T) -> T:
    """A copy of ``value`` sharing nothing mutable with it: every dict and list is new,
    the leaves are shared (immutable). Other containers are copied with ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [copy_json(item) for item in value]  # type: ignore[attr-defined,return-value]
    if kind in _LEAVES:
        return value
    import copy

    return copy.deepcopy(value)


_LEAVES: frozenset[type[Any]] = frozenset({str, int, float, bool, type(None)})
