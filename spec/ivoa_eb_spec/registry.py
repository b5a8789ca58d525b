"""The JSON Schemas of the interface, resolvable offline by their ``$id``.

Every file below ``spec/schema/`` is loaded once and registered under its ``$id``, so that a
``$ref`` between files resolves from the local copy: validating a document never touches
the network, and the files that are validated against are exactly the published ones.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ivoa_eb_spec import files, load_yaml

__all__ = [
    "SCHEMA_BASE",
    "load_document",
    "load_schema",
    "registry",
    "schema_files",
    "schema_id",
    "validator",
]

SCHEMA_BASE = "https://www.ivoa.net/std/ExecutionBroker/v1.0/schema/"
"""The ``$id`` of a schema file is this prefix plus its path below ``spec/schema/``."""


@cache
def load_document(relative: str) -> Any:
    """A YAML file of the spec (path below ``spec/``) as JSON data; do not mutate the result."""
    return load_yaml(relative)


def load_schema(path: str) -> Any:
    """A schema file, named by its path below ``spec/schema/``, as JSON data (do not mutate)."""
    return load_document(f"schema/{path}")


@cache
def schema_files() -> tuple[str, ...]:
    """Paths (below ``spec/schema/``, with ``/`` separators) of every schema file, sorted."""
    root = files() / "schema"
    return tuple(sorted(path.relative_to(root).as_posix() for path in root.rglob("*.yaml")))


def schema_id(path: str) -> str:
    """The ``$id`` a schema file named by its path below ``spec/schema/`` must carry."""
    return SCHEMA_BASE + path


@cache
def registry() -> Registry:
    """Every schema file, registered under its ``$id``; resolving anything else fails."""
    resources = []
    for path in schema_files():
        resources.append((schema_id(path), Resource.from_contents(load_schema(path), DRAFT202012)))
    return Registry().with_resources(resources).crawl()


@cache
def validator(schema: str) -> Draft202012Validator:
    """A validator, with format checking, for a schema named by its path below ``spec/schema/``.

    The name may carry a fragment, e.g. ``option.yaml#/$defs/EnumValueOption``.
    """
    path, _, fragment = schema.partition("#")
    if path not in schema_files():
        raise KeyError(f"no schema file {path!r} below spec/schema/")
    reference = schema_id(path) + (f"#{fragment}" if fragment else "")
    return Draft202012Validator(
        {"$ref": reference},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
