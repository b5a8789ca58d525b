"""The one rule for text the XML form cannot carry (requirement ERR-31).

Every message has an XML form, but JSON and YAML can carry characters that XML 1.0 cannot: the
C0 control characters other than tab, line feed and carriage return (a terminal's ESC, NUL),
lone surrogates, U+FFFE and U+FFFF. A document holding one, once stored, could never be
answered in XML. The rule is therefore to refuse it where it enters: a request or update
whose strings or property names hold such a character is answered 400 naming the JSON
Pointer of the string (or of the object whose property name holds it), in every media type.

Text the broker writes itself (a program's output quoted in a message) is made safe with
:func:`xml_safe` instead, since it is not the client's to correct.

Pure functions, no I/O: the broker calls :func:`illegal_text` at intake, the XML codec and
the tests share :data:`ILLEGAL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ILLEGAL", "IllegalText", "illegal_text", "xml_safe"]

ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""One character outside the ``Char`` production of XML 1.0."""


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 cannot carry replaced by U+FFFD.

    For text the broker writes itself (a program's output in a message); a client's text is
    refused instead (:func:`illegal_text`)."""
    return ILLEGAL.sub("\ufffd", text)


@dataclass(frozen=True)
class IllegalText:
    """Where a document holds a character that XML 1.0 cannot carry, and which one."""

    pointer: str
    """JSON Pointer of the string; for a property name, of the object that holds it."""
    codepoint: int
    in_name: bool
    """True when the character is in a property name rather than in a value."""

    @property
    def character(self) -> str:
        """The character as ``U+001B``: never the character itself, which could not be shown."""
        return f"U+{self.codepoint:04X}"


def _step(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def illegal_text(document: Any, limit: int = 20) -> list[IllegalText]:
    """Every place (at most ``limit``) where ``document`` holds text XML 1.0 cannot carry.

    ``document`` is JSON-shaped (dicts, lists, scalars); the walk uses its own stack, so
    depth costs no recursion. Places come in document order.
    """
    return list(_walk(document, limit))


def _walk(document: Any, limit: int) -> Iterator[IllegalText]:
    found = 0
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack and found < limit:
        node, where = stack.pop()
        if isinstance(node, str):
            bad = ILLEGAL.search(node)
            if bad:
                found += 1
                yield IllegalText(where, ord(bad.group()), in_name=False)
        elif isinstance(node, dict):
            children: list[tuple[Any, str]] = []
            for key, value in node.items():
                name = key if isinstance(key, str) else str(key)
                bad = ILLEGAL.search(name)
                if bad:
                    found += 1
                    yield IllegalText(where, ord(bad.group()), in_name=True)
                    if found >= limit:
                        return
                    continue
                children.append((value, where + _step(name)))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((value, where + _step(index)) for index, value in
                         reversed(list(enumerate(node))))
