"""The one error every decoder raises, and JSON Pointers for pydantic's error locations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from ivoa_eb_spec.model.base import discriminator_tags

__all__ = ["DecodeError", "Problem", "escape_token", "pointer", "problems_from_validation"]


class Problem(NamedTuple):
    """One fault in a document: where (a JSON Pointer into the document) and what."""

    path: str
    message: str


class DecodeError(ValueError):
    """A body that cannot be read, or that does not make a valid message.

    ``problems`` lists every fault found, each with a JSON Pointer, so that a 400 answer can
    name each offending part of the request.
    """

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: list[Problem] = [Problem(path, message) for path, message in problems]
        super().__init__(
            "; ".join(
                f"{problem.path or '(document)'}: {problem.message}" for problem in self.problems
            )
        )


def escape_token(token: str | int) -> str:
    """One reference token of a JSON Pointer (RFC 6901: ``~`` as ``~0``, ``/`` as ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(loc: Sequence[str | int], document: Any) -> str:
    """The JSON Pointer, into ``document``, of a pydantic error location.

    A location mixes the document's own keys and indexes (by their aliases, the wire names)
    with the tags of discriminated unions; walking the document tells them apart, so a tag
    never appears in the pointer, while a key of the document always does.
    """
    tags = discriminator_tags()
    tokens: list[str] = []
    node: Any = document
    for step in loc:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif isinstance(step, str) and step in tags:
            continue
        else:
            # A field that is missing, or a step below a value of the wrong type.
            node = None
        tokens.append(escape_token(step))
    return "".join("/" + token for token in tokens)


_MESSAGES = {
    "extra_forbidden": "unknown field: this kind has no field of that name",
    "missing": "required field is missing",
}


def problems_from_validation(error: ValidationError, document: Any) -> list[Problem]:
    """Each pydantic error as a problem at a JSON Pointer into ``document``."""
    problems = []
    for item in error.errors(include_url=False):
        message = _MESSAGES.get(item["type"], item["msg"])
        problems.append(
            Problem(pointer(item["loc"], document), message.removeprefix("Value error, "))
        )
    return problems
