"""Generators shared by the reliability suite: the examples, mutated the way careless and
hostile clients mutate documents, and text XML 1.0 cannot carry.

The mutation steps (:func:`leaves`, :func:`mutate`) are the broker fuzz test's own; this adds
the examples as seeds and hostile text as values.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from broker.conftest import EXAMPLES
from broker.test_fuzz import JSON, KEYS, leaves, mutate
from hypothesis import strategies as st
from ivoa_eb_spec.codecs import MediaType, dump_document
from ivoa_eb_spec.xmltext import ILLEGAL

#: Every example request of the catalogue, parsed once.
SEEDS: list[dict[str, Any]] = [
    yaml.safe_load((EXAMPLES / entry["file"]).read_text())
    for entry in yaml.safe_load((EXAMPLES / "examples.yaml").read_text())["examples"]
]

#: Characters outside XML 1.0's Char production: C0 controls, lone surrogates, the two
#: non-characters. Drawn often, so that nearly every run meets several.
NOT_XML = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ud800",
                           "\udfff", "\ufffe", "\uffff"])
#: Any text at all: every code point class, surrogates included, with XML's outcasts mixed in.
TEXT = st.text(
    st.characters(codec=None, exclude_categories=()) | NOT_XML, max_size=12
)


def xml_illegal(document: Any) -> bool:
    """Whether any string or property name in ``document`` is outside XML 1.0's Char."""
    if isinstance(document, str):
        return ILLEGAL.search(document) is not None
    if isinstance(document, dict):
        return any(xml_illegal(key) or xml_illegal(value) for key, value in document.items())
    if isinstance(document, list):
        return any(xml_illegal(item) for item in document)
    return False


def _strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of the string values below ``node`` (kind URIs aside: they choose the schema)."""
    return [p for p in leaves(node, path)
            if p and p[-1] != "kind" and isinstance(_at(node, p), str)]


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def text_mutations(draw: st.DrawFn) -> dict[str, Any]:
    """An example whose strings (and some new names) are replaced by any text at all.

    Most stay schema-valid, so they reach the broker's answers: what the render property
    needs. New names go where the schema allows free names (environment, unknown kinds).
    """
    document = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    places = _strings(document)
    for _ in range(draw(st.integers(1, 3))):
        if places:
            path = draw(st.sampled_from(places))
            mutate(document, path, draw(TEXT), None)
    executable = document["executable"]
    if draw(st.booleans()) and "environment" in _allowed(executable):
        executable["environment"] = draw(st.dictionaries(TEXT, TEXT, max_size=3))
    if draw(st.booleans()):
        executable.setdefault("meta", {})["description"] = draw(TEXT)
    return document


def _allowed(executable: dict[str, Any]) -> set[str]:
    kind = executable.get("kind", "")
    return {"environment"} if kind.endswith(("docker-container.yaml",
                                             "singularity-container.yaml")) else set()


@st.composite
def structure_mutations(draw: st.DrawFn) -> Any:
    """An example with one to three places replaced by arbitrary JSON (the fuzz test's steps),
    its values drawn from hostile text and numbers as well."""
    document: Any = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    values = JSON | TEXT | st.integers(min_value=-(2**80), max_value=2**80) | st.floats()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(leaves(document))))
        document = mutate(document, path, draw(values), draw(st.none() | KEYS))
    return document


def body(document: Any, media_type: MediaType) -> bytes | None:
    """``document`` as a body of ``media_type``; None when that form cannot carry it (XML and
    text it forbids, YAML and a float it would not round-trip)."""
    try:
        if media_type is MediaType.JSON:
            return json.dumps(document, allow_nan=False).encode()  # JSON has no Infinity, NaN
        if media_type is MediaType.YAML:
            return yaml.safe_dump(document, allow_unicode=False).encode()
        return dump_document(document, MediaType.XML, "offers-request")
    except (ValueError, TypeError, yaml.YAMLError):
        return None
