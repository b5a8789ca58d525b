"""Checks the schemas cannot express: ordered ranges, references by name, kind spellings.

Each check walks the JSON form of a document (so a YAML, JSON or XML file is judged alike)
and reports by JSON Pointer. The kind check also rewrites alias URIs to canonical ones, so
that the schema validation that follows judges the document as a broker would (KIND-02).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ivoa_eb_spec.vocabulary import FAMILIES, canonical_kind, known_kinds

from .documents import DocumentType
from .findings import Finding
from .schema import pointer_of

__all__ = ["canonical_kinds", "ordered_ranges", "references", "unknown_kinds"]


def _walk(
    node: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every mapping of a JSON value, with its path, in document order."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def canonical_kinds(document: dict[str, Any], kind_of: DocumentType) -> list[Finding]:
    """Replace each alias kind URI by its canonical URI, in place; a warning for each."""
    answer = kind_of in (DocumentType.OFFER_SET, DocumentType.SESSION)
    findings = []
    for path, node in _walk(document):
        kind = node.get("kind")
        canonical = canonical_kind(kind) if isinstance(kind, str) else None
        if canonical is not None and canonical != kind:
            node["kind"] = canonical
            findings.append(
                Finding(
                    "W-KIND-ALIAS",
                    pointer_of((*path, "kind")),
                    f"{kind} is an older spelling of a kind URI: use {canonical}",
                    requirement="KIND-01" if answer else "KIND-02",
                )
            )
    return findings


# Where each family's components sit in a request (and, below "offers", in an offer set).
_PLACES: dict[tuple[str, ...], str] = {
    ("executable",): "executable",
    ("compute",): "compute",
    ("compute", "volumes", "*"): "volume",
    ("storage", "*"): "storage",
    ("data", "*"): "data",
}


def _family_at(path: tuple[Any, ...]) -> str | None:
    # A session (alone, or an offer of an offer set) holds the same parts as a request.
    if path[:1] == ("offers",) and len(path) >= 2:
        path = path[2:]
    shape = tuple("*" if isinstance(step, int) else step for step in path)
    return _PLACES.get(shape)


def unknown_kinds(document: dict[str, Any]) -> list[Finding]:
    """A remark for each component whose kind this version of the standard does not define:
    the document is valid, and a broker answers NO to it (OFF-06, OFF-07)."""
    findings = []
    for path, node in _walk(document):
        family = _family_at(path)
        kind = node.get("kind")
        if family is None or not isinstance(kind, str) or family not in FAMILIES:
            continue
        if kind not in known_kinds(family):
            findings.append(
                Finding(
                    "I-KIND-UNKNOWN",
                    pointer_of((*path, "kind")),
                    f"{kind} is not one of the {family} kinds of this version: "
                    "a broker answers NO to it",
                    requirement="OFF-06" if family == "executable" else "OFF-07",
                )
            )
    return findings


def ordered_ranges(document: dict[str, Any]) -> list[Finding]:
    """Every mapping with a numeric ``min`` and ``max`` has min ≤ max."""
    findings = []
    for path, node in _walk(document):
        low, high = node.get("min"), node.get("max")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
        if numbers and low > high:
            findings.append(
                Finding(
                    "E-RANGE-MINMAX",
                    pointer_of((*path, "min")),
                    f"min {low} is greater than max {high} at {pointer_of(path) or '/'}: "
                    "no offer can meet it",
                )
            )
    return findings


def _named(items: Any) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            meta = item.get("meta")
            name = meta.get("name") if isinstance(meta, dict) else None
            yield index, item, name if isinstance(name, str) else None


def references(request: dict[str, Any], base: tuple[Any, ...] = ()) -> list[Finding]:
    """Storage and data names unique; volumes, storage and data refer to names that exist."""
    findings = []
    first: dict[str, str] = {}
    names: dict[str, set[str]] = {"storage": set(), "data": set()}
    for family in ("storage", "data"):
        for index, _, name in _named(request.get(family)):
            if name is None:
                continue
            where = pointer_of((*base, family, index, "meta", "name"))
            if name in first:
                findings.append(
                    Finding(
                        "E-REF-DUPNAME",
                        where,
                        f"the name {name!r} is already used at {first[name]}: names of "
                        "storage and data resources must be unique",
                    )
                )
                continue
            first[name] = where
            names[family].add(name)
    compute = request.get("compute")
    volumes = compute.get("volumes") if isinstance(compute, dict) else None
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        target = volume.get("resource") if isinstance(volume, dict) else None
        if isinstance(target, str) and target not in first:
            findings.append(
                Finding(
                    "E-REF-VOLUME",
                    pointer_of((*base, "compute", "volumes", index, "resource")),
                    f"the volume mounts {target!r}, which is not the name of a storage or data "
                    "resource of this document",
                )
            )
    for index, item, _ in _named(request.get("storage")):
        listed = item.get("data")
        for position, name in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(name, str) and name not in names["data"]:
                findings.append(
                    Finding(
                        "E-REF-DATA",
                        pointer_of((*base, "storage", index, "data", position)),
                        f"the storage resource lists data {name!r}, which is not the name of "
                        "a data resource of this document",
                    )
                )
    for index, item, _ in _named(request.get("data")):
        target = item.get("storage")
        if isinstance(target, str) and target not in names["storage"]:
            findings.append(
                Finding(
                    "E-REF-STORAGE",
                    pointer_of((*base, "data", index, "storage")),
                    f"the data resource is to be stored in {target!r}, which is not the name "
                    "of a storage resource of this document",
                )
            )
    return findings
