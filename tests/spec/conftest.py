"""Fixtures shared by the tests of the JSON Schemas, the OpenAPI, the vocabulary and the bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ivoa_eb_spec.registry import validator
from jsonschema.exceptions import ValidationError

Errors = Callable[[str, Any], list[ValidationError]]


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The innermost errors: a failed ``oneOf`` holds one failure per branch in its context."""
    if not error.context:
        yield error
    for inner in error.context:
        yield from _leaves(inner)


@pytest.fixture
def leaf_errors() -> Errors:
    """Check a document against a schema (path below spec/schema/); give the innermost errors."""

    def check(schema: str, document: Any) -> list[ValidationError]:
        return [
            leaf for error in validator(schema).iter_errors(document) for leaf in _leaves(error)
        ]

    return check


@pytest.fixture
def is_valid() -> Callable[[str, Any], bool]:
    """Whether a document is valid against a schema named by its path below spec/schema/."""
    return lambda schema, document: validator(schema).is_valid(document)
