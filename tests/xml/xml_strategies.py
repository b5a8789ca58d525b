"""Hypothesis strategies for schema-valid documents, and the XML form's view of unknown kinds.

hypothesis-jsonschema resolves ``$ref`` through the network-era resolver, so the schema is
inlined here first (every ``$ref`` replaced by its target, sibling keywords kept beside it
in an ``allOf``), from the local files only.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from ivoa_eb_spec import load_yaml
from ivoa_eb_spec.registry import SCHEMA_BASE, schema_files

# XML 1.0 allows only these characters (https://www.w3.org/TR/xml/#charsets). The JSON Schema
# allows every Unicode string, so a schema-valid document may hold a character (a C0 control
# other than tab, newline, carriage return) that no XML document can carry: a finding reported
# to the lead. The generator replaces such characters so that the round trip can be tested on
# everything else; tests/xml/test_xml_codec.py checks that to_xml refuses them with a pointer.
XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# hypothesis-jsonschema is adjusted (an adapter, memos by content) in tests/conftest.py.


@cache
def _documents() -> dict[str, Any]:
    return {SCHEMA_BASE + path: load_yaml(f"schema/{path}") for path in schema_files()}


def _lookup(uri: str) -> tuple[str, Any]:
    base, fragment = urldefrag(uri)
    target: Any = _documents()[base]
    for part in [p for p in fragment.split("/") if p]:
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return base, target


# Keywords that do not constrain instances (dropped) and keywords whose keys are data.
_DROPPED = frozenset(
    {
        "$ref",
        "$defs",
        "$id",
        "$schema",
        "$comment",
        "examples",
        "xml",
        "x-xsd-pattern",
        "title",
        "description",
        "default",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs"})


def _inline(schema: Any, base: str, depth: int = 0) -> Any:
    if depth > 60:
        raise RecursionError("schema nests too deep to inline")
    if isinstance(schema, list):
        return [_inline(item, base, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: (
            {name: _inline(sub, base, depth + 1) for name, sub in value.items()}
            if key in _SCHEMA_MAPS
            else _inline(value, base, depth + 1)
        )
        for key, value in schema.items()
        if key not in _DROPPED
    }
    _adapt(out)
    if "$ref" in schema:
        tbase, target = _lookup(urljoin(base, schema["$ref"]))
        resolved = _inline(target, tbase, depth + 1)
        # merged by hand rather than as allOf: hypothesis-jsonschema merges allOf at every
        # draw, which made a few hundred documents take minutes
        return _merge(resolved, out)
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``allOf: [a, b]`` as one schema, for the keywords the schema files combine this way."""
    out = dict(a)
    for key, value in b.items():
        if key == "required":
            out[key] = list(dict.fromkeys([*a.get(key, []), *value]))
        elif key == "properties":
            props = dict(a.get(key, {}))
            for name, sub in value.items():
                props[name] = _merge(props[name], sub) if name in props else sub
            out[key] = props
        elif (
            key in ("items", "additionalProperties")
            and isinstance(a.get(key), dict)
            and isinstance(value, dict)
        ):
            out[key] = _merge(a[key], value)
        elif key in a and a[key] != value:
            out.setdefault("allOf", []).append({key: value})
        else:
            out[key] = value
    return out


_XML_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.-]*$"}
_FREE_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_FREE_VALUE = {
    "anyOf": [
        _FREE_SCALAR,
        {"type": "array", "items": _FREE_SCALAR, "maxItems": 3},
        {
            "type": "object",
            "propertyNames": _XML_NAME,
            "additionalProperties": _FREE_SCALAR,
            "maxProperties": 3,
        },
    ]
}


def _adapt(schema: dict[str, Any]) -> None:
    """Narrow the generator (not the schema under test) where XML cannot follow JSON.

    Each narrowing is a finding reported to the lead, with a test that shows the codec
    refusing the value with a pointer rather than writing broken XML:
    - the free properties of an unknown kind may hold objects whose keys are not XML names
      (``propertyNames`` restricts only the first level): nested keys are made XML names;
    - ``oneOf`` of a family becomes ``anyOf``: the branches exclude each other by ``kind``,
      so the documents are the same, and hypothesis-jsonschema then draws from the branches
      instead of filtering every draw through a oneOf validator (minutes instead of seconds).
    """
    kind = schema.get("properties", {}).get("kind", {})
    if "propertyNames" in schema and "not" in kind:
        schema["additionalProperties"] = _FREE_VALUE
    elif schema.get("type") == "object" and "properties" in schema and not (
        {"additionalProperties", "propertyNames"} & set(schema)
    ):
        # Known objects are open (must-ignore, EXT-01) and a reader drops what they do not
        # declare, so a round trip holds for documents without such properties; the dropping
        # is tested in tests/interop.
        schema["additionalProperties"] = False
    if "oneOf" in schema:
        schema["anyOf"] = schema.pop("oneOf")
    _split_conditions(schema)


def _split_conditions(schema: dict[str, Any]) -> None:
    """Replace ``if {p: const v} then T`` rules by an ``anyOf`` with one branch per case.

    The same documents, drawn directly: hypothesis-jsonschema otherwise merges the rules at
    every draw and filters the results, which made 200 offer sets take minutes.
    """
    rules = [m for m in schema.get("allOf", []) if "if" in m]
    if "if" in schema:
        rules.append({"if": schema["if"], "then": schema.get("then", {})})
    if not rules:
        return
    names = set()
    cases: dict[Any, list[dict[str, Any]]] = {}
    for rule in rules:
        cond = rule["if"]
        props = cond.get("properties", {})
        if set(cond) - {"required", "properties"} or len(props) != 1 or "else" in rule:
            return
        ((name, sub),) = props.items()
        if set(sub) != {"const"} or cond.get("required") != [name]:
            return
        names.add(name)
        cases.setdefault(sub["const"], []).append(rule.get("then", {}))
    (name,) = names if len(names) == 1 else (None,)
    prop = schema.get("properties", {}).get(name)
    if name is None or name not in schema.get("required", []) or not prop or "enum" not in prop:
        return
    base = {k: v for k, v in schema.items() if k not in ("if", "then", "allOf")}
    rest = [m for m in schema.get("allOf", []) if "if" not in m]
    if rest:
        base["allOf"] = rest
    branches = []
    for value, thens in cases.items():
        branch = _merge(base, {"properties": {name: {"const": value}}})
        for then in thens:
            branch = _merge(branch, then)
        branches.append(branch)
    others = [v for v in prop["enum"] if v not in cases]
    if others:
        branches.append(_merge(base, {"properties": {name: {"enum": others}}}))
    schema.clear()
    schema["anyOf"] = branches


@cache
def inlined(path: str) -> dict[str, Any]:
    """The schema file ``path`` (below spec/schema/) with every reference inlined."""
    return _inline(_documents()[SCHEMA_BASE + path], SCHEMA_BASE + path)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return XML_ILLEGAL.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def documents(path: str) -> st.SearchStrategy[Any]:
    """Schema-valid documents of ``path``, with XML-illegal characters replaced (see above)."""
    return from_schema(inlined(path), custom_formats=_FORMATS, allow_x00=False).map(_clean)


# hypothesis-jsonschema knows no "uuid" format; one shared dict keeps the memo keys stable.
_FORMATS = {"uuid": st.uuids().map(str)}


# -- what the XML form keeps of an unknown kind ------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _elements(value: Any) -> list[Any]:
    """The decoded values of the elements one free property value is written as."""
    if isinstance(value, list):
        return [decoded for item in value for decoded in _elements(item)]
    if isinstance(value, dict):
        return [_group(value) or ""]
    if value is None:
        return [""]
    return [_text(value)]


def _group(mapping: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        decoded = _elements(value)
        if decoded:
            out[key] = decoded[0] if len(decoded) == 1 else decoded
    return out


def xml_view_of_unknown(value: dict[str, Any]) -> dict[str, Any]:
    """An unknown kind as from_xml returns it: strings, nested dicts, lists where names repeat."""
    return {"kind": value["kind"], **_group({k: v for k, v in value.items() if k != "kind"})}


def xml_view(node: Any, value: Any) -> Any:
    """``value`` as from_xml returns it: the same, except inside unknown kinds (see above)."""
    from ivoa_eb_spec.xmlschema_gen import Array, Family, Obj, Unknown

    if isinstance(node, Family):
        kind = value.get("kind")
        node = node.known.get(kind, node.unknown) if isinstance(kind, str) else node.unknown
    if isinstance(node, Unknown):
        return xml_view_of_unknown(value)
    if isinstance(node, Obj):
        props = {p.name: p.node for p in node.props}
        return {k: (v if k == "kind" else xml_view(props[k], v)) for k, v in value.items()}
    if isinstance(node, Array):
        return [xml_view(node.item, item) for item in value]
    return value
