"""JSON reading and writing: strict RFC 8259 (UTF-8, no NaN, no duplicate keys)."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from .errors import DecodeError

__all__ = ["dump_json", "load_json"]


class _JsonInputError(Exception):
    """A document this loader refuses, with the reason."""


def _refuse_constant(name: str) -> NoReturn:
    raise _JsonInputError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A duplicate key is ambiguous (parsers disagree on which wins), so it is refused.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonInputError(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_json(body: bytes) -> Any:
    """The JSON value of a body, or :class:`DecodeError` saying why not."""
    try:
        text = body.decode("utf-8")
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise DecodeError(
            [("", f"the body is not UTF-8: {error.reason} at byte {error.start}")]
        ) from None
    except json.JSONDecodeError as error:
        raise DecodeError([("", f"JSON syntax error: {error}")]) from None
    except (_JsonInputError, ValueError) as error:
        # ValueError: an integer too long to convert (Python's digit limit).
        raise DecodeError([("", f"JSON refused: {error}")]) from None
    except RecursionError:
        raise DecodeError([("", "JSON refused: nested too deeply")]) from None


def dump_json(document: Any) -> bytes:
    """A JSON body of a JSON value, indented for people, UTF-8."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (read from a \uD800 escape) has no UTF-8 form: escape it again.
        return (json.dumps(document, allow_nan=False, indent=2) + "\n").encode("ascii")
