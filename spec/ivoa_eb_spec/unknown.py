"""The properties of a document that the interface does not define (must-ignore, EXT-01).

The JSON Schemas are open: a property that a known object does not declare validates, and a
reader ignores it. So that a typo stays visible, a reader names every ignored path (EXT-02);
this module finds them, by walking the document along the same tree of the schema that the
XML codec and the XSD generator use (``xmlschema_gen.root_node``), and suggests the nearest
declared name when the ignored one looks like a misspelling of it.

Pure functions, no I/O: the broker calls them after validation, a client may call them before
sending.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from .jsonvalue import copy_json
from .xmlschema_gen import Array, Family, Node, Obj, root_node

__all__ = ["IgnoredProperty", "ignored_properties", "pointer", "without"]

#: How alike two names must be (difflib's ratio) for one to be suggested for the other.
SIMILARITY = 0.6


@dataclass(frozen=True)
class IgnoredProperty:
    """One property a reader ignores: where it is, and the declared name it may stand for."""

    path: tuple[str | int, ...]
    suggestion: str | None

    @property
    def name(self) -> str:
        return str(self.path[-1])

    @property
    def pointer(self) -> str:
        """The JSON Pointer (RFC 6901) of the property."""
        return pointer(self.path)


def pointer(path: tuple[str | int, ...]) -> str:
    """The JSON Pointer of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def ignored_properties(document: Any, root: str = "offers-request") -> list[IgnoredProperty]:
    """Every property of ``document`` that its schema does not declare, in document order.

    ``root`` names the message as the XML roots do (``offers-request``, ``update``, ...).
    Objects of a kind this version does not define are not searched: the whole object is
    unknown, and the broker answers NO to it with its own message. Values of the wrong type
    are skipped (validation reports them).
    """
    found: list[IgnoredProperty] = []
    _walk(root_node(root), document, (), found)
    return found


def _walk(
    node: Node, value: Any, path: tuple[str | int, ...], found: list[IgnoredProperty]
) -> None:
    if isinstance(node, Family):
        kind = value.get("kind") if isinstance(value, dict) else None
        chosen = node.known.get(kind) if isinstance(kind, str) else None
        if chosen is not None:
            _walk(chosen, value, path, found)
    elif isinstance(node, Obj) and isinstance(value, dict):
        declared = {p.name: p for p in node.props}
        names = [*declared, *(["kind"] if node.kind is not None else [])]
        for key, item in value.items():
            prop = declared.get(key)
            if prop is not None:
                _walk(prop.node, item, (*path, key), found)
            elif key != "kind" or node.kind is None:
                close = difflib.get_close_matches(str(key), names, n=1, cutoff=SIMILARITY)
                found.append(IgnoredProperty((*path, key), close[0] if close else None))
    elif isinstance(node, Array) and isinstance(value, list):
        for index, item in enumerate(value):
            _walk(node.item, item, (*path, index), found)


def without(document: Any, ignored: list[IgnoredProperty]) -> Any:
    """A copy of ``document`` without the ``ignored`` properties: what the reader acts on."""
    result = copy_json(document)
    for item in ignored:
        parent = result
        for step in item.path[:-1]:
            parent = parent[step]
        parent.pop(item.path[-1], None)
    return result
