"""JSON Schema validation with the exact time rules, each error as a finding.

The published time patterns are coarse filters (``schema/time.yaml``); here the ``pattern``
keyword of those three definitions is replaced by :mod:`ivoa_eb_spec.iso8601`, so a zero
duration or a start after its end is found where the schema would let it through, and the
message says what is wrong and which form is expected.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ivoa_eb_spec.codecs.errors import escape_token
from ivoa_eb_spec.iso8601 import TimeFormatError, parse_duration, parse_instant, parse_start
from ivoa_eb_spec.registry import load_schema, schema_files, schema_id

from .findings import Finding

__all__ = ["leaf_errors", "pointer_of", "schema_findings"]

_TIME_RULES: dict[str, tuple[Callable[[str], Any], str]] = {
    "Instant": (parse_instant, "E-TIME-BADINSTANT"),
    "Duration": (parse_duration, "E-TIME-BADDUR"),
    "Interval": (parse_start, "E-TIME-BADSTART"),
}
_TIME_KEYWORD = "x-iso8601"


@cache
def _schemas() -> dict[str, Any]:
    """Copies of the schema files without their ``$schema``.

    jsonschema picks the validator class of a referenced schema by its ``$schema``, which
    would be the plain 2020-12 class; without it, the class with the exact time rules is used
    throughout. The dialect is still 2020-12: the resources are created as such.
    """
    copies = {}
    for path in schema_files():
        contents = copy.deepcopy(load_schema(path))
        contents.pop("$schema", None)
        copies[path] = contents
    return copies


@cache
def _registry() -> Registry:
    resources = [
        (schema_id(path), DRAFT202012.create_resource(contents))
        for path, contents in _schemas().items()
    ]
    return Registry().with_resources(resources).crawl()


@cache
def _time_schemas() -> dict[int, str]:
    """The time definitions, by the identity of their schema objects in :func:`_schemas`."""
    defs = _schemas()["time.yaml"]["$defs"]
    return {id(defs[name]): name for name in _TIME_RULES}


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    name = _time_schemas().get(id(schema))
    if name is None:
        yield from Draft202012Validator.VALIDATORS["pattern"](validator, pattern, instance, schema)
        return
    if not isinstance(instance, str):
        return  # the schema's "type" reports it
    parse, _ = _TIME_RULES[name]
    try:
        parse(instance)
    except TimeFormatError as problem:
        yield ValidationError(str(problem), validator=_TIME_KEYWORD, validator_value=name)


_Validator = extend(Draft202012Validator, {"pattern": _pattern})


@cache
def _validator(schema: str) -> Any:
    if schema not in schema_files():
        raise KeyError(f"no schema file {schema!r} below spec/schema/")
    return _Validator(
        {"$ref": schema_id(schema)},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def leaf_errors(problem: ValidationError) -> Iterator[ValidationError]:
    """The most telling errors under a ``oneOf``/``anyOf``: those of the branch the kind chose.

    A branch that failed on ``kind`` (another kind's ``const``, the unknown branch's ``not``)
    says nothing useful, whatever else it reports. When one branch is left, all its errors
    count; when several are, the deepest errors are where the fault is.
    """
    if not problem.context:
        yield problem
        return
    branches: dict[Any, list[ValidationError]] = {}
    for error in problem.context:
        branches.setdefault(error.relative_schema_path[0], []).append(error)
    telling = [errors for errors in branches.values() if not any(_wrong_kind(e) for e in errors)]
    if not telling:
        yield problem
        return
    if len(telling) == 1:
        # The branch of the document's kind: every fault in it counts.
        for error in telling[0]:
            yield from leaf_errors(error)
        return
    candidates = [error for errors in telling for error in errors]
    deepest = max(len(e.absolute_path) for e in candidates)
    for error in candidates:
        if len(error.absolute_path) == deepest:
            yield from leaf_errors(error)


def _wrong_kind(error: ValidationError) -> bool:
    return error.validator in ("const", "not") and list(error.relative_path)[-1:] == ["kind"]


def pointer_of(path: Any) -> str:
    """The JSON Pointer (RFC 6901) of a sequence of keys and indexes."""
    return "".join("/" + escape_token(step) for step in path)


_CODES = {
    "type": "E-SCHEMA-TYPE",
    "required": "E-SCHEMA-REQUIRED",
    "additionalProperties": "W-SCHEMA-IGNORED",
    "unevaluatedProperties": "W-SCHEMA-IGNORED",
    "enum": "E-SCHEMA-ENUM",
    "const": "E-SCHEMA-ENUM",
    "pattern": "E-SCHEMA-PATTERN",
    "format": "E-SCHEMA-FORMAT",
    **{
        keyword: "E-SCHEMA-BOUNDS"
        for keyword in (
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
        )
    },
}


def _finding(problem: ValidationError) -> Iterator[Finding]:
    path = tuple(problem.absolute_path)
    if problem.validator == _TIME_KEYWORD:
        yield Finding(
            _TIME_RULES[str(problem.validator_value)][1], pointer_of(path), problem.message
        )
        return
    if problem.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
        problem.instance, dict
    ):
        allowed = set(problem.schema.get("properties", {}))
        for extra in (key for key in problem.instance if key not in allowed):
            yield Finding(
                "W-SCHEMA-IGNORED",
                pointer_of((*path, extra)),
                f"the property {extra!r} is not allowed here",
            )
        return
    if problem.validator == "required":
        missing = problem.message.split("'")[1] if "'" in problem.message else ""
        yield Finding("E-SCHEMA-REQUIRED", pointer_of((*path, missing)), problem.message)
        return
    text = problem.message if len(problem.message) <= 300 else problem.message[:300] + "..."
    yield Finding(_CODES.get(str(problem.validator), "E-SCHEMA-OTHER"), pointer_of(path), text)


def schema_findings(document: Any, schema: str) -> list[Finding]:
    """Every JSON Schema error of ``document`` against ``schema`` (path below ``spec/schema/``)."""
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    errors = sorted(
        _validator(schema).iter_errors(document), key=lambda e: list(map(str, e.absolute_path))
    )
    for top in errors:
        for leaf in leaf_errors(top):
            for finding in _finding(leaf):
                key = (finding.code, finding.path, finding.message)
                if key not in seen:
                    seen.add(key)
                    findings.append(finding)
    return findings
