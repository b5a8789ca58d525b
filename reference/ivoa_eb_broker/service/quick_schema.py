"""A yes-or-no schema check in microseconds, before the thorough one.

python-jsonschema names every error with its JSON Pointer, which a 400 answer needs, but it
takes about a millisecond for a typical request. jsonschema-rs (compiled) says whether a
document is valid in a few microseconds. Nearly every document is valid, so the broker asks
the quick check first and runs python-jsonschema only for a document it refuses, to find
the messages. Both read the same files of ``spec/schema``; the tests check that the quick
check never accepts what the thorough one refuses.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs
from ivoa_eb_spec.registry import load_schema, schema_files, schema_id

__all__ = ["is_valid"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(schema_id(path), load_schema(path)) for path in schema_files()])


@cache
def _validator(schema: str) -> Any:
    return jsonschema_rs.validator_for(
        {"$schema": _DRAFT, "$ref": schema_id(schema)},
        registry=_registry(),
        validate_formats=True,
    )


def is_valid(schema: str, document: Any) -> bool:
    """True if ``document`` is valid against ``schema`` (a file name below ``spec/schema``);
    False means "ask python-jsonschema why", not necessarily invalid."""
    try:
        return bool(_validator(schema).is_valid(document))
    except (ValueError, TypeError, OverflowError):  # e.g. an integer beyond 64 bits
        return False
