"""The normative files of ``ivoa_eb_spec``, as the suite uses them: the catalogue, schemas, XSD.

This is the only door to the specification: judging a broker from anything else (the
reference broker, say) would make the suite test an implementation instead of the standard.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ivoa_eb_spec import files

from .model import Requirement

#: Schema files (below spec/schema/) for each kind of answer body.
SCHEMAS = {
    "offer-set": "offer-set-response.yaml",
    "session": "session.yaml",
    "error": "error-response.yaml",
    "request": "execution-request.yaml",
    "update": "update.yaml",
    "session-list": "session-list.yaml",
}

_HERE = Path(__file__).parent


@cache
def _untestable_here() -> dict[str, str]:
    """Requirements this suite cannot judge in a plain run, with the reason (see the YAML file)."""
    with (_HERE / "untestable.yaml").open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream) or {}
    return {str(k): " ".join(str(v).split()) for k, v in data.items()}


@cache
def requirements() -> tuple[Requirement, ...]:
    """The catalogue; requirements a black-box test cannot see are marked not testable, with why."""
    from ivoa_eb_spec.requirements import load_requirements

    extra = _untestable_here()
    result = []
    for item in load_requirements():
        if item.blackbox == "no":
            result.append(
                Requirement(
                    item.id, item.level, item.title, False, f"not testable black-box: {item.how}"
                )
            )
        elif item.id in extra:
            result.append(Requirement(item.id, item.level, item.title, False, extra[item.id]))
        else:
            result.append(Requirement(item.id, item.level, item.title))
    return tuple(result)


def schema_errors(document: Any, which: str) -> list[str]:
    """Validation errors of ``document`` against the schema for ``which`` (see ``SCHEMAS``)."""
    from ivoa_eb_spec.registry import validator

    checker = validator(SCHEMAS.get(which, which))
    found = []
    for error in sorted(checker.iter_errors(document), key=lambda e: list(e.absolute_path)):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append(f"{which} schema: at {pointer}: {error.message[:300]}")
        if len(found) >= 5:
            break
    return found


@cache
def openapi() -> dict[str, Any]:
    """The bundled OpenAPI description of the service."""
    bundled = files() / "bundled"
    for name in ("openapi.json", "openapi.yaml"):
        if (bundled / name).is_file():
            with (bundled / name).open(encoding="utf-8") as stream:
                return yaml.safe_load(stream)  # JSON is YAML
    raise FileNotFoundError(f"no bundled OpenAPI in {bundled}")


@cache
def xsd() -> Any:
    """The XML Schema (XSD 1.1) of the XML forms, loaded from the spec's files only."""
    import xmlschema

    return xmlschema.XMLSchema11(str(files() / "xml" / "execution-broker.xsd"))


def xsd_errors(body: bytes) -> list[str]:
    """Errors of an XML body against the spec's XSD (read by the spec's hardened parser)."""
    from ivoa_eb_spec import xmlcodec

    try:
        tree = xmlcodec.parse_xml(body)
    except ValueError as error:
        return [f"XML: {error}"]
    return [f"XSD: {e.reason or e.message} at {e.path}" for e in list(xsd().iter_errors(tree))[:5]]


def canonical_kind(uri: str) -> str | None:
    """The canonical URI of a kind (itself, or the one an alias stands for); None if unknown."""
    from ivoa_eb_spec.vocabulary import canonical_kind as lookup

    return lookup(uri)
