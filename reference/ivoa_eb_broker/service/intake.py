"""Reading a request or update body into a checked document, or into 400 messages with paths.

Order matters and follows decision 15: parse (hardened codecs) → map alias kind URIs to
canonical ones (each mapping noted in a WARN message) → validate against the spec's JSON
Schema (the normative check; each error located by JSON Pointer) → build the pydantic model
(which must agree; a disagreement is still a 400 with its path, never a 500).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ivoa_eb_spec import xmlquick
from ivoa_eb_spec.codecs import DecodeError, MediaType, load_document
from ivoa_eb_spec.codecs.errors import problems_from_validation
from ivoa_eb_spec.model import ExecutionRequest, Update
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.unknown import ignored_properties
from ivoa_eb_spec.vocabulary import canonical_kind, load_kinds
from ivoa_eb_spec.xmltext import illegal_text
from jsonschema import Draft202012Validator, ValidationError
from pydantic import TypeAdapter
from pydantic import ValidationError as ModelError

from .context import Received
from .errors import bad_request
from .interop import ignore_unknown, understand_legacy
from .messages import error, pointer, warn
from .quick_schema import is_valid

#: At most this many schema errors are reported: enough to fix a document, not a flood.
MAX_ERRORS = 20
REQUEST_SCHEMA = "execution-request.yaml"
UPDATE_SCHEMA = "update.yaml"
#: The update model's validator, built once: building it costs more than an accept.
UPDATE_MODEL: TypeAdapter[Update] = TypeAdapter(Update)


def prepare() -> None:
    """Build every schema, validator and walker the intake uses, now rather than during the
    first requests. Built lazily, they made a fresh broker's first answers take over a
    second each, and under load (every concurrent first request building its own copy)
    longer than clients wait. The broker calls this once per process, at start-up."""
    for schema, root in ((REQUEST_SCHEMA, "offers-request"), (UPDATE_SCHEMA, "update")):
        is_valid(schema, {})
        validator(schema)
        ignored_properties({}, root)
    xmlquick.prepare()
    load_kinds()


def _parse(body: bytes, media_type: MediaType, root: str) -> dict[str, Any]:
    try:
        document, found = load_document(body, media_type)
    except DecodeError as problem:
        raise bad_request(
            [error("{problem}", path=p.path, problem=p.message) for p in problem.problems]
        ) from None
    except RecursionError:
        raise bad_request([error("The document is nested too deeply", path="")]) from None
    if found is not None and found != root:
        raise bad_request(
            [error("The root element is {found}; expected {root}", path="", found=found,
                   root=root)]
        )
    _refuse_illegal_text(document)
    return document


def _refuse_illegal_text(document: Any) -> None:
    """Requirement ERR-31: text XML cannot carry is refused in every media type."""
    found = illegal_text(document, MAX_ERRORS)
    if found:
        raise bad_request([
            error(
                ("A property name in {path} holds {character}" if place.in_name
                 else "The text at {path} holds {character}")
                + ", a character XML 1.0 cannot carry: every answer has an XML form",
                path=place.pointer, character=place.character,
            )
            for place in found
        ])


def canonical(document: Any, where: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Replace alias kind URIs by canonical ones, in place; a WARN message for each."""
    warnings: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            kind = node.get("kind")
            if isinstance(kind, str):
                found = canonical_kind(kind)
                if found is not None and found != kind:
                    node["kind"] = found
                    warnings.append(
                        warn(
                            "The kind {alias} is an alias: use the canonical URI {canonical}",
                            path=pointer((*path, "kind")),
                            alias=kind,
                            canonical=found,
                        )
                    )
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(node))
    warnings.sort(key=lambda m: m["values"]["path"])
    return warnings


def _leaves(problem: ValidationError) -> Iterator[ValidationError]:
    """The most telling errors under a ``oneOf``/``anyOf``: the branch matching the kind."""
    if not problem.context:
        yield problem
        return
    # Branches that failed only on the kind (not this branch) say nothing useful.
    telling = [
        e for e in problem.context
        if not (e.validator in ("const", "not") and list(e.relative_path)[-1:] == ["kind"])
    ]
    if not telling:
        yield problem
        return
    deepest = max(len(e.absolute_path) for e in telling)
    for e in telling:
        if len(e.absolute_path) == deepest:
            yield from _leaves(e)


def schema_errors(schema: Draft202012Validator, document: Any) -> list[dict[str, Any]]:
    """Every JSON Schema error of ``document`` as a message naming its JSON Pointer."""
    messages: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for top in sorted(schema.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        for problem in _leaves(top):
            path = tuple(problem.absolute_path)
            text = problem.message
            if problem.validator == "additionalProperties" and isinstance(problem.instance, dict):
                allowed = set(problem.schema.get("properties", {}))
                extras = [k for k in problem.instance if k not in allowed]
                for extra in extras:
                    key = (pointer((*path, extra)), "unknown")
                    if key not in seen:
                        seen.add(key)
                        messages.append(
                            error("The field {field} is not allowed here", path=key[0],
                                  field=str(extra))
                        )
                        if len(messages) >= MAX_ERRORS:  # 50,000 unknown keys: 20 messages
                            return messages
                continue
            if len(text) > 300:
                text = text[:300] + "..."
            key = (pointer(path), text)
            if key in seen:
                continue
            seen.add(key)
            messages.append(error("Invalid value at {path}: {problem}", path=key[0],
                                  problem=text))
            if len(messages) >= MAX_ERRORS:
                return messages
    return messages[:MAX_ERRORS]


def _problems(schema: str, document: Any) -> list[dict[str, Any]]:
    """The schema errors of ``document``: none when the quick check passes it, else the
    thorough check's, each naming its path."""
    if is_valid(schema, document):
        return []
    return schema_errors(validator(schema), document)


def request(body: bytes, media_type: MediaType, declared: str) -> Received:
    """A request body as a checked, canonical document (or a 400 problem)."""
    document = _parse(body, media_type, "offers-request")
    document, warnings = understand_legacy(document, "offers-request")  # EXT-03
    warnings.extend(canonical(document))
    problems = _problems(REQUEST_SCHEMA, document)
    if problems:
        raise bad_request(problems)
    document, ignored = ignore_unknown(document, "offers-request")  # must-ignore, EXT-01
    warnings.extend(ignored)
    try:
        ExecutionRequest.model_validate(document)
    except ModelError as problem:
        raise bad_request(
            [error("{problem}", path=p.path, problem=p.message)
             for p in problems_from_validation(problem, document)]
        ) from None
    return Received(
        document=document,
        warnings=warnings,
        media_type=declared,
        body=body.decode("utf-8", errors="replace"),
    )


def update(body: bytes, media_type: MediaType) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An update body as a checked document and its WARN messages (or a 400 problem).

    The wrapped form ``{update: {...}}`` of older clients is accepted (decision 15).
    """
    document = _parse(body, media_type, "update")
    warnings: list[dict[str, Any]] = []
    if set(document) == {"update"} and isinstance(document["update"], dict):
        document = document["update"]
        warnings.append(
            warn("The update is wrapped in an {wrapper} object: send the update itself",
                 path="/update", wrapper="update")
        )
    document, legacy = understand_legacy(document, "update")  # EXT-03
    warnings.extend(legacy)
    warnings.extend(canonical(document))
    problems = _problems(UPDATE_SCHEMA, document)
    if problems:
        raise bad_request(problems)
    document, ignored = ignore_unknown(document, "update")  # must-ignore, EXT-01
    warnings.extend(ignored)
    try:
        UPDATE_MODEL.validate_python(document)
    except ModelError as problem:
        raise bad_request(
            [error("{problem}", path=p.path, problem=p.message)
             for p in problems_from_validation(problem, document)]
        ) from None
    return document, warnings
