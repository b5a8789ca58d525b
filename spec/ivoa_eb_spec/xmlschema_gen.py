"""The XML view of the JSON Schema: one walk of ``spec/schema/`` shared by the XSD generator
and the XML codec, so that both follow the JSON Schema (the single source of truth) the same way.

The walk resolves ``$ref`` (with sibling keywords merged in, as 2020-12 allows), folds
``allOf`` and ``if``/``then`` into the object they constrain, and classifies every schema as
one of five shapes: a scalar, an object, an array, a string map, or a kind family (a
``oneOf`` of concrete kinds plus a fallback branch for kinds this version does not know).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from . import files, load_yaml

if TYPE_CHECKING:
    import xmlschema

__all__ = [
    "NS",
    "ROOTS",
    "Array",
    "Family",
    "Node",
    "Obj",
    "Prop",
    "Scalar",
    "StringMap",
    "Unknown",
    "root_node",
]

NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"
"""The project's XML namespace (ARCHITECTURE.md, "Names and URIs")."""

SCHEMA_BASE = "https://www.ivoa.net/std/ExecutionBroker/v1.0/schema/"

ROOTS: dict[str, str] = {
    "offers-request": "execution-request.yaml",
    "offers-response": "offer-set-response.yaml",
    "execution": "session.yaml",
    "update": "update.yaml",
    "error": "error-response.yaml",
    "session-list": "session-list.yaml",
}
"""XML root element name -> JSON Schema file (ARCHITECTURE.md, "XML mapping" rule 1)."""

# Array item names from ARCHITECTURE.md, used only where the schema has no `items.xml.name`.
_ITEM_NAMES = {
    "messages": "message",
    "options": "option",
    "offers": "execution",
    "costs": "cost",
    "metrics": "metric",
    "volumes": "volume",
    "storage": "resource",
    "data": "resource",
    "connectors": "connector",
    "command": "arg",
    "locations": "location",
    "ports": "port",
    "addresses": "address",
    "values": "value",
    "replicas": "replica",
}

_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "xml",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$schema",
        "$id",
    }
)

# XSD patterns for JSON Schema formats the validator checks (registry uses FORMAT_CHECKER).
_DATE_TIME = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+\-][0-9]{2}:[0-9]{2})"
)
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
FORMAT_PATTERNS = {"date-time": _DATE_TIME, "uuid": _UUID}


@dataclass(eq=False)
class Scalar:
    """A string, integer, number or boolean, with the facets the XSD can say too."""

    json_type: str
    doc: str | None = None
    name: str | None = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    """An XSD regex (implicitly anchored), or None."""
    fmt: str | None = None
    facets: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Prop:
    """One property of an object: a child element, or the ``kind`` attribute."""

    name: str
    node: Node
    required: bool
    doc: str | None


@dataclass(eq=False)
class Obj:
    """An object of known properties; others are ignored (must-ignore, requirement EXT-01)."""

    name: str | None
    doc: str | None
    kind: Prop | None
    props: list[Prop]
    asserts: list[tuple[str, str]] = field(default_factory=list)
    """(XPath 2.0 test, what it checks) pairs for ``xs:assert``."""
    notes: list[str] = field(default_factory=list)
    """Rules of the JSON Schema the XSD does not express (checked by the JSON Schema)."""

    def prop(self, name: str) -> Prop | None:
        for prop in self.props:
            if prop.name == name:
                return prop
        return None


@dataclass(eq=False)
class Array:
    """A JSON array: a wrapper element holding one ``item_name`` element per item."""

    item_name: str
    item: Node
    doc: str | None
    min_items: int = 0
    max_items: int | None = None


@dataclass(eq=False)
class StringMap:
    """A string-to-string map: ``<entry name="K">V</entry>`` items."""

    name: str | None
    doc: str | None
    required_keys: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Unknown:
    """The fallback branch of a family: a kind this version does not define."""

    name: str
    doc: str | None
    excluded: tuple[str, ...]


@dataclass(eq=False)
class Family:
    """A ``oneOf`` of known kinds, selected by the ``kind`` value, plus a fallback."""

    name: str
    doc: str | None
    known: dict[str, Obj]
    unknown: Unknown


Node = Scalar | Obj | Array | StringMap | Family | Unknown


class _Walker:
    """Builds nodes from the schema files, resolving every ``$ref`` locally."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        root = files() / "schema"
        for path in sorted(root.rglob("*.yaml")):
            rel = path.relative_to(root).as_posix()
            doc = load_yaml(f"schema/{rel}")
            self.docs[doc.get("$id", SCHEMA_BASE + rel)] = doc
        self.memo: dict[str, Node] = {}
        self.names: dict[str, str] = {}

    # -- references --------------------------------------------------------------------
    def lookup(self, uri: str) -> tuple[str, dict[str, Any]]:
        base, fragment = urldefrag(uri)
        if base not in self.docs:
            raise KeyError(f"unresolvable $ref {uri!r}: no local schema has that $id")
        target: Any = self.docs[base]
        for part in [p for p in fragment.split("/") if p]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return base, target

    def absolutise(self, schema: Any, base: str) -> Any:
        """A copy of ``schema`` whose ``$ref``s no longer depend on ``base``."""
        if isinstance(schema, dict):
            out = {k: self.absolutise(v, base) for k, v in schema.items()}
            if isinstance(schema.get("$ref"), str):
                out["$ref"] = urljoin(base, schema["$ref"])
            return out
        if isinstance(schema, list):
            return [self.absolutise(v, base) for v in schema]
        return schema

    def type_name(self, uri: str, schema: dict[str, Any]) -> str | None:
        """A stable XSD type name for a named location (a file or a ``$defs`` entry)."""
        base, fragment = urldefrag(uri)
        stem = base.rsplit("/", 1)[-1].removesuffix(".yaml")
        if fragment == "":
            title = schema.get("title") or stem
        elif re.fullmatch(r"/\$defs/[^/]+", fragment):
            title = fragment.rsplit("/", 1)[-1]
        else:
            return None
        name = re.sub(r"[^A-Za-z0-9]", "", title[:1].upper() + title[1:])
        if self.names.setdefault(name, uri) != uri:
            alt = re.sub(r"[^A-Za-z0-9]", "", stem.title()) + name
            self.names.setdefault(alt, uri)
            return alt
        return name

    # -- building ----------------------------------------------------------------------
    def at(self, uri: str) -> Node:
        """The node of a named location, built once."""
        if uri in self.memo:
            return self.memo[uri]
        base, schema = self.lookup(uri)
        self.memo[uri] = None  # type: ignore[assignment]  # cycle guard
        node = self.build(base, schema, uri, named=True)
        self.memo[uri] = node
        return node

    def build(self, base: str, schema: dict[str, Any], uri: str, named: bool = False) -> Node:
        schema = self.flatten(base, schema)
        if "$ref" in schema:
            target = urljoin(base, schema["$ref"])
            node = self.at(target)
            if node is None:
                raise ValueError(f"recursive schema at {target}: XML mapping unsupported")
            return node
        name = self.type_name(uri, schema) if named else None
        doc = _doc(schema)
        if "oneOf" in schema:
            return self.family(base, schema, uri, name or "Family", doc)
        types = schema.get("type")
        if "const" in schema and types is None:
            types = _json_type(schema["const"])
        if types == "object" or "properties" in schema:
            extra = schema.get("additionalProperties", True)
            if isinstance(extra, dict) and extra.get("type") == "string":
                return self.string_map(schema, name, doc)
            if _is_unknown(schema):
                return self.unknown(schema, name or "Unknown", doc)
            return self.obj(base, schema, uri, name, doc)
        if types == "array":
            raise ValueError(f"an array at {uri} is not a property: no element name for it")
        if types in ("string", "integer", "number", "boolean"):
            return self.scalar(schema, types, name, doc, uri)
        raise ValueError(f"unsupported schema at {uri}: {sorted(schema)}")

    def flatten(self, base: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Merge ``$ref`` with assertion siblings, and ``allOf``, into one schema."""
        schema = dict(schema)
        while "$ref" in schema and not set(schema) - {"$ref"} <= _ANNOTATIONS:
            ref = schema.pop("$ref")
            tbase, target = self.lookup(urljoin(base, ref))
            siblings = self.absolutise(schema, base)
            schema = _merge(self.absolutise(target, tbase), siblings)
            base = tbase
        for member in schema.pop("allOf", []):
            member = self.absolutise(member, base)
            if "if" in member:
                schema.setdefault("x-conditions", []).append(member)
            else:
                schema = _merge(schema, self.flatten(base, member))
        if "if" in schema:
            schema.setdefault("x-conditions", []).append(
                {"if": schema.pop("if"), "then": schema.pop("then", {})}
            )
        return schema

    def resolve(self, base: str, schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Follow annotation-only ``$ref``s to the schema that says what a value is."""
        flat = self.flatten(base, schema)
        while "$ref" in flat:
            base, target = self.lookup(urljoin(base, flat["$ref"]))
            flat = self.flatten(base, target)
        return base, flat

    def family(
        self, base: str, schema: dict[str, Any], uri: str, name: str, doc: str | None
    ) -> Family:
        known: dict[str, Obj] = {}
        unknown: Unknown | None = None
        for branch in schema["oneOf"]:
            node = self.build(base, branch, uri + "/oneOf")
            if isinstance(node, Unknown):
                unknown = node
            elif (
                isinstance(node, Obj)
                and node.kind is not None
                and isinstance(node.kind.node, Scalar)
                and node.kind.node.enum is not None
                and len(node.kind.node.enum) == 1
            ):
                known[node.kind.node.enum[0]] = node
            else:
                raise ValueError(f"{uri}: a oneOf branch is neither a concrete kind nor a fallback")
        if unknown is None:
            raise ValueError(f"{uri}: a family needs a fallback branch for unknown kinds")
        return Family(name, doc, known, unknown)

    def unknown(self, schema: dict[str, Any], name: str, doc: str | None) -> Unknown:
        excluded = tuple(schema["properties"]["kind"]["not"]["enum"])
        return Unknown(name, doc, excluded)

    def string_map(self, schema: dict[str, Any], name: str | None, doc: str | None) -> StringMap:
        notes = [
            f"entry {key!r}: {_describe(sub)}"
            for key, sub in schema.get("properties", {}).items()
            if set(sub) - _ANNOTATIONS - {"type"}
        ]
        return StringMap(name, doc, tuple(schema.get("required", ())), notes)

    def obj(
        self, base: str, schema: dict[str, Any], uri: str, name: str | None, doc: str | None
    ) -> Obj:
        required = set(schema.get("required", ()))
        kind: Prop | None = None
        props: list[Prop] = []
        for pname, sub in schema.get("properties", {}).items():
            puri = f"{uri}/properties/{pname}" if "#" in uri else f"{uri}#/properties/{pname}"
            pdoc = _doc(sub)
            abase, flat = self.resolve(base, sub)
            if flat.get("type") == "array":
                node: Node = self.array(abase, flat, puri, pname, pdoc or _doc(flat))
            else:
                node = self.build(base, sub, puri)
            prop = Prop(pname, node, pname in required, pdoc or getattr(node, "doc", None))
            if pname == "kind":
                kind = prop
            else:
                props.append(prop)
        if schema.get("additionalProperties", True) is not True:
            raise ValueError(
                f"{uri}: an object of a known shape is open (must-ignore): it must not restrict "
                "additionalProperties"
            )
        result = Obj(name, doc, kind, props)
        for pname, sub in schema.get("properties", {}).items():
            sub = self.flatten(base, sub)
            if "contains" in sub and (prop := result.prop(pname)) and isinstance(prop.node, Array):
                test = _xpath_some(prop.node, f"eb:{pname}", sub["contains"], self, base)
                if test:
                    result.asserts.append(
                        (test, f"some item of {pname} matches: {_describe(sub['contains'])}")
                    )
                else:
                    result.notes.append(f"{pname}: contains {_describe(sub['contains'])}")
        for cond in schema.get("x-conditions", []):
            test = _XPath(self, base).condition(result, cond)
            text = f"if {_describe(cond['if'])} then {_describe(cond.get('then', {}))}"
            if test:
                result.asserts.append((test, text))
            else:
                result.notes.append(text)
        return result

    def array(
        self, base: str, schema: dict[str, Any], uri: str, pname: str, doc: str | None
    ) -> Array:
        items = schema.get("items", {})
        item_name = (items.get("xml") or {}).get("name") or _ITEM_NAMES.get(pname)
        if pname == "data" and _json_type_of(self, base, items) == "string":
            item_name = (items.get("xml") or {}).get("name") or "name"
        if not item_name:
            raise ValueError(f"{uri}: no XML item name for the items of array {pname!r}")
        item = self.build(base, items, uri + "/items")
        return Array(item_name, item, doc, schema.get("minItems", 0), schema.get("maxItems"))

    def scalar(
        self, schema: dict[str, Any], json_type: str, name: str | None, doc: str | None, uri: str
    ) -> Scalar:
        enum = tuple(schema["enum"]) if "enum" in schema else None
        if "const" in schema:
            enum = (schema["const"],)
        pattern = schema.get("x-xsd-pattern")
        notes: list[str] = []
        fmt = schema.get("format")
        if pattern is None and "pattern" in schema:
            pattern = _plain_pattern(schema["pattern"])
            if pattern is None:
                notes.append(f"pattern {schema['pattern']!r} (checked by the JSON Schema)")
        if pattern is None and fmt in FORMAT_PATTERNS:
            pattern = FORMAT_PATTERNS[fmt]
        facets = {
            k: schema[k]
            for k in (
                "minLength",
                "maxLength",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
            )
            if k in schema
        }
        if json_type == "integer":
            facets = _long_facets(facets, enum, uri)
        return Scalar(json_type, doc, name, enum, pattern, fmt, facets, notes)


LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
"""The range of ``xs:long``, the XML form of every JSON Schema integer."""


def _long_facets(facets: dict[str, Any], enum: tuple[Any, ...] | None, uri: str) -> dict[str, Any]:
    """The facets of an integer, checked to keep it within ``xs:long``; the bounds that
    ``xs:long`` has anyway are dropped.

    JSON has integers of any size, XML's ``xs:long`` does not: an integer the JSON Schema
    leaves unbounded would accept documents that have no valid XML form. So every integer
    of the schema must say its bounds, within those of ``xs:long``.
    """
    if enum is not None:
        if not all(isinstance(v, int) and LONG_MIN <= v <= LONG_MAX for v in enum):
            raise ValueError(f"{uri}: an integer enum value does not fit xs:long")
        return facets
    low = max(
        [
            facets[k] + (k == "exclusiveMinimum")
            for k in ("minimum", "exclusiveMinimum")
            if k in facets
        ],
        default=None,
    )
    high = min(
        [
            facets[k] - (k == "exclusiveMaximum")
            for k in ("maximum", "exclusiveMaximum")
            if k in facets
        ],
        default=None,
    )
    if low is None or high is None or low < LONG_MIN or high > LONG_MAX:
        raise ValueError(
            f"{uri}: an integer needs minimum and maximum within xs:long "
            f"[{LONG_MIN}, {LONG_MAX}], so that every valid document has an XML form"
        )
    out = dict(facets)
    if out.get("minimum") == LONG_MIN:
        del out["minimum"]
    if out.get("maximum") == LONG_MAX:
        del out["maximum"]
    return out


class _XPath:
    """Translates the simple ``if``/``then`` rules of the schema into XPath 2.0 tests."""

    def __init__(self, walker: _Walker, base: str) -> None:
        self.walker, self.base, self.var = walker, base, 0

    def condition(self, obj: Obj, cond: dict[str, Any]) -> str | None:
        test_if = self.on_obj(obj, ".", cond["if"])
        test_then = self.on_obj(obj, ".", cond.get("then", {}))
        if test_if is None or test_then is None:
            return None
        return f"not({test_if}) or ({test_then})"

    def fresh(self) -> str:
        self.var += 1
        return f"$v{self.var}"

    def on_obj(self, obj: Obj, ctx: str, schema: dict[str, Any]) -> str | None:
        parts: list[str] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS:
                continue
            if key == "required":
                for pname in value:
                    parts.append(f"exists({_child(ctx, pname)})")
            elif key == "properties":
                for pname, sub in value.items():
                    prop = obj.kind if pname == "kind" else obj.prop(pname)
                    if prop is None:
                        return None
                    var = self.fresh()
                    inner = self.on_node(prop.node, var, sub)
                    if inner is None:
                        return None
                    if inner != "true()":
                        parts.append(f"(every {var} in {_child(ctx, pname)} satisfies ({inner}))")
            else:
                return None
        return " and ".join(parts) if parts else "true()"

    def on_node(self, node: Node, ctx: str, schema: dict[str, Any]) -> str | None:
        schema = self.walker.flatten(self.base, schema)
        if isinstance(node, Obj):
            return self.on_obj(node, ctx, schema)
        if isinstance(node, Family):
            # a rule on a family member: only keywords every kind shares are translated
            parts, start = [], self.var
            for obj in node.known.values():
                self.var = start
                t = self.on_obj(obj, ctx, schema)
                if t is None:
                    return None
                parts.append(t)
            return parts[0] if len(set(parts)) == 1 else None
        if isinstance(node, Scalar):
            parts = []
            for key, value in schema.items():
                if key in _ANNOTATIONS:
                    continue
                if key == "const" and isinstance(value, str):
                    parts.append(f"string({ctx}) = {_xpath_literal(value)}")
                else:
                    return None
            return " and ".join(parts) if parts else "true()"
        if isinstance(node, Array):
            parts = []
            items = f"{ctx}/eb:{node.item_name}"
            for key, value in schema.items():
                if key in _ANNOTATIONS:
                    continue
                if key == "minItems":
                    parts.append(f"count({items}) ge {int(value)}")
                elif key == "maxItems":
                    parts.append(f"count({items}) le {int(value)}")
                elif key == "items":
                    var = self.fresh()
                    inner = self.on_node(node.item, var, value)
                    if inner is None:
                        return None
                    parts.append(f"(every {var} in {items} satisfies ({inner}))")
                else:
                    return None
            return " and ".join(parts) if parts else "true()"
        if isinstance(node, StringMap):
            parts = []
            for key, value in schema.items():
                if key in _ANNOTATIONS:
                    continue
                if key == "required":
                    parts += [f"exists({ctx}/eb:entry[@name = {_xpath_literal(k)}])" for k in value]
                else:
                    return None
            return " and ".join(parts) if parts else "true()"
        return None


def _xpath_some(
    array: Array, path: str, schema: dict[str, Any], walker: _Walker, base: str
) -> str | None:
    xp = _XPath(walker, base)
    var = xp.fresh()
    inner = xp.on_node(array.item, var, schema)
    if inner is None:
        return None
    return f"some {var} in {path}/eb:{array.item_name} satisfies ({inner})"


def _child(ctx: str, pname: str) -> str:
    step = "@kind" if pname == "kind" else f"eb:{pname}"
    return step if ctx == "." else f"{ctx}/{step}"


def _xpath_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a`` and ``b`` together, as ``allOf: [a, b]`` means for the shapes the schema uses."""
    out = dict(a)
    for key, value in b.items():
        if key == "required":
            out[key] = list(dict.fromkeys([*a.get(key, []), *value]))
        elif key == "properties":
            props = dict(a.get(key, {}))
            for pname, sub in value.items():
                props[pname] = _merge(props[pname], sub) if pname in props else sub
            out[key] = props
        elif key == "x-conditions":
            out[key] = [*a.get(key, []), *value]
        elif key in ("description", "title") and key in a:
            out[key] = value
        else:
            out[key] = value
    return out


def _is_unknown(schema: dict[str, Any]) -> bool:
    kind = schema.get("properties", {}).get("kind", {})
    return "not" in kind and "enum" in kind["not"]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _json_type_of(walker: _Walker, base: str, schema: dict[str, Any]) -> str | None:
    flat = walker.flatten(base, schema)
    if "$ref" in flat:
        tbase, target = walker.lookup(urljoin(base, flat["$ref"]))
        return _json_type_of(walker, tbase, target)
    return flat.get("type")


def _doc(schema: dict[str, Any]) -> str | None:
    text = schema.get("description")
    return " ".join(text.split()) if isinstance(text, str) else None


def _describe(schema: Any) -> str:
    import json

    def strip(s: Any) -> Any:
        if isinstance(s, dict):
            return {k: strip(v) for k, v in s.items() if k not in _ANNOTATIONS}
        if isinstance(s, list):
            return [strip(v) for v in s]
        return s

    return json.dumps(strip(schema), sort_keys=False)


def _plain_pattern(pattern: str) -> str | None:
    """The XSD form of a fully anchored JSON regex that means the same in both, else None."""
    m = re.fullmatch(r"\^(.*)\$", pattern)
    if not m:
        return None
    body = m.group(1)
    if re.search(r"\\[dDwWsSbB]|\(\?|[\^$]|\\u", body):
        return None
    return body


@cache
def _walker() -> _Walker:
    return _Walker()


@cache
def root_node(root: str) -> Node:
    """The node of one XML root element (a key of :data:`ROOTS`)."""
    if root not in ROOTS:
        raise KeyError(f"unknown XML root {root!r}; expected one of {sorted(ROOTS)}")
    return _walker().at(SCHEMA_BASE + ROOTS[root])


# ---------------------------------------------------------------------------------------
# The XSD writer
# ---------------------------------------------------------------------------------------

XS = "http://www.w3.org/2001/XMLSchema"
VC = "http://www.w3.org/2007/XMLSchema-versioning"
XSD_PATH = "xml/execution-broker.xsd"
_BUILTIN = {
    "string": "xs:string",
    "integer": "xs:long",
    "number": "xs:double",
    "boolean": "xs:boolean",
}
_FACETS = {
    "minLength": "minLength",
    "maxLength": "maxLength",
    "minimum": "minInclusive",
    "maximum": "maxInclusive",
    "exclusiveMinimum": "minExclusive",
    "exclusiveMaximum": "maxExclusive",
}
_HEADER = (
    " Generated by `python -m ivoa_eb_spec.xmlschema_gen` from the JSON Schema in spec/schema/;"
    " do not edit. XML Schema 1.1 (type alternatives, assertions): validate with an XSD 1.1"
    " processor such as xmlschema (Python), Saxon-EE or Xerces-J 1.1. See spec/xml/README.md. "
)


def _xs(tag: str, parent: Any = None, **attrs: Any) -> Any:
    from lxml import etree

    clean = {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None}
    if parent is None:
        return etree.Element(f"{{{XS}}}{tag}", clean, nsmap={"xs": XS, "eb": NS, "vc": VC})
    return etree.SubElement(parent, f"{{{XS}}}{tag}", clean)


def _annotate(parent: Any, *texts: str | None) -> None:
    texts = tuple(t for t in texts if t)
    if texts:
        ann = _xs("annotation", parent)
        for text in texts:
            _xs("documentation", ann).text = text


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _XsdWriter:
    """Turns the nodes into one XSD document, named types sorted by name."""

    def __init__(self) -> None:
        self.schema = _xs(
            "schema",
            None,
            targetNamespace=NS,
            elementFormDefault="qualified",
            attributeFormDefault="unqualified",
            version="1.0",
        )
        self.schema.set(f"{{{VC}}}minVersion", "1.1")
        self.named: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}

    # -- declarations ------------------------------------------------------------------
    def type_ref(self, node: Node) -> str | None:
        """The QName of ``node``'s global type (written on first use), or None if anonymous."""
        if isinstance(node, Scalar) and not (node.enum or node.pattern or node.facets):
            return "xs:anyURI" if node.fmt == "uri" else _BUILTIN[node.json_type]
        name = getattr(node, "name", None)
        if not name or isinstance(node, Family):
            return None
        if name not in self.named:
            self.named[name] = None
            self.named[name] = self.global_type(node, name)
        return f"eb:{name}"

    def global_type(self, node: Node, name: str) -> Any:
        if isinstance(node, Scalar):
            return self.simple_type(node, None, name)
        return self.complex_type(node, None, name)

    def simple_type(self, node: Scalar, parent: Any, name: str | None = None) -> Any:
        st = _xs("simpleType", parent, name=name)
        _annotate(st, node.doc if name else None, *node.notes)
        base = "xs:anyURI" if node.fmt == "uri" else _BUILTIN[node.json_type]
        restriction = _xs("restriction", st, base=base)
        for value in node.enum or ():
            _xs("enumeration", restriction, value=_literal(value))
        if node.pattern:
            _xs("pattern", restriction, value=node.pattern)
        for key, facet in _FACETS.items():
            if key in node.facets:
                _xs(facet, restriction, value=_literal(node.facets[key]))
        return st

    def complex_type(self, node: Node, parent: Any, name: str | None = None) -> Any:
        ct = _xs("complexType", parent, name=name)
        if isinstance(node, Obj):
            notes = [f"Not expressed here, checked by the JSON Schema: {n}" for n in node.notes]
            _annotate(ct, node.doc, *notes)
            self.open_content(ct)
            seq = _xs("sequence", ct)
            for prop in node.props:
                self.element(prop.node, prop.name, seq, prop.doc, 1 if prop.required else 0, 1)
            if node.kind is not None:
                self.kind_attribute(node.kind, ct)
            for test, text in node.asserts:
                a = _xs("assert", ct, test=test)
                _annotate(a, f"JSON Schema rule: {text}")
        elif isinstance(node, StringMap):
            notes = [f"Not expressed here, checked by the JSON Schema: {n}" for n in node.notes]
            _annotate(ct, node.doc, *notes)
            seq = _xs("sequence", ct)
            entry = _xs(
                "element", seq, name="entry", type="eb:Entry", minOccurs=0, maxOccurs="unbounded"
            )
            _annotate(
                entry, "One pair of the map: the key in the name attribute, the value as text."
            )
            self.entry_type()
            a = _xs("assert", ct, test="count(eb:entry) = count(distinct-values(eb:entry/@name))")
            _annotate(a, "Names are unique, as the keys of a JSON object are.")
            for key in node.required_keys:
                a = _xs("assert", ct, test=f"exists(eb:entry[@name = {_xpath_literal(key)}])")
                _annotate(a, f"The entry {key!r} is required.")
        elif isinstance(node, Unknown):
            _annotate(
                ct,
                node.doc,
                "Open type: selected when the kind attribute names none of the known kinds. "
                "Child elements are not validated (processContents='skip'): a lax wildcard would "
                "validate a child named like a root element (update, error, ...) against that root "
                "and reject a valid document.",
            )
            seq = _xs("sequence", ct)
            _xs(
                "any",
                seq,
                namespace="##any",
                processContents="skip",
                minOccurs=0,
                maxOccurs="unbounded",
            )
            attr = _xs("attribute", ct, name="kind", use="required")
            _annotate(attr, "A kind URI that none of the known kinds of this family has.")
            restriction = _xs("restriction", _xs("simpleType", attr), base="xs:string")
            _xs("minLength", restriction, value=1)
            _xs("anyAttribute", ct, namespace="##any", processContents="lax")
        else:
            raise TypeError(f"no complex type for {type(node).__name__}")
        return ct

    def open_content(self, ct: Any) -> None:
        """Must-ignore in XML: elements of the namespace that the type does not declare.

        The JSON Schema lets unknown properties through (requirement EXT-01); here they
        are elements interleaved anywhere among the declared ones. ``##definedSibling`` keeps
        a declared property from appearing twice. Not validated (``skip``), for the reason
        given on the open type of unknown kinds, and because ignored content has no rules.
        """
        oc = _xs("openContent", ct, mode="interleave")
        _annotate(
            oc,
            "Must-ignore: an element this type does not declare is allowed anywhere and ignored "
            "by a reader (with a WARN message naming it).",
        )
        _xs(
            "any",
            oc,
            namespace="##targetNamespace",
            notQName="##definedSibling",
            processContents="skip",
        )

    def entry_type(self) -> None:
        if "Entry" in self.named:
            return
        ct = _xs("complexType", None, name="Entry")
        _annotate(ct, "One pair of a string map: the key in the name attribute, the value as text.")
        ext = _xs("extension", _xs("simpleContent", ct), base="xs:string")
        _xs("attribute", ext, name="name", type="xs:string", use="required")
        self.named["Entry"] = ct

    def kind_attribute(self, kind: Prop, ct: Any) -> None:
        node = kind.node
        use = "required" if kind.required else "optional"
        if isinstance(node, Scalar) and node.enum and len(node.enum) == 1:
            attr = _xs("attribute", ct, name="kind", type="xs:string", use=use, fixed=node.enum[0])
        else:
            ref = self.type_ref(node) if isinstance(node, Scalar) else "xs:string"
            attr = _xs("attribute", ct, name="kind", use=use, type=ref)
            _annotate(attr, kind.doc)
            if ref is None:
                attr.append(self.simple_type(node, None))  # type: ignore[arg-type]
            return
        _annotate(attr, kind.doc)

    def element(
        self,
        node: Node,
        name: str,
        parent: Any,
        doc: str | None,
        min_occurs: int = 1,
        max_occurs: int | str = 1,
    ) -> Any:
        el = _xs(
            "element",
            parent,
            name=name,
            minOccurs=None if min_occurs == 1 else min_occurs,
            maxOccurs=None if max_occurs == 1 else max_occurs,
        )
        if isinstance(node, Family):
            _annotate(el, doc or node.doc)
            for kind, obj in node.known.items():
                _xs(
                    "alternative",
                    el,
                    test=f"@kind = {_xpath_literal(kind)}",
                    type=self.type_ref(obj),
                )
            aliases = [k for k in node.unknown.excluded if k not in node.known]
            if aliases:
                test = "@kind = (" + ", ".join(_xpath_literal(k) for k in aliases) + ")"
                alt = _xs("alternative", el, test=test, type="xs:error")
                _annotate(
                    alt,
                    "Older spellings of known kinds: neither known nor unknown, so invalid, as in "
                    "the JSON Schema; a reader replaces them by the canonical URI first.",
                )
            _xs("alternative", el, type=self.type_ref(node.unknown))
            return el
        if isinstance(node, Array):
            _annotate(el, doc or node.doc)
            ct = _xs("complexType", el)
            seq = _xs("sequence", ct)
            item_doc = getattr(node.item, "doc", None) or f"One item of {name}."
            self.element(
                node.item,
                node.item_name,
                seq,
                item_doc,
                node.min_items,
                "unbounded" if node.max_items is None else node.max_items,
            )
            return el
        ref = self.type_ref(node)
        _annotate(el, doc or getattr(node, "doc", None))
        if ref is not None:
            el.set("type", ref)
        elif isinstance(node, Scalar):
            el.append(self.simple_type(node, None))
        else:
            el.append(self.complex_type(node, None))
        return el

    def document(self) -> bytes:
        from lxml import etree

        _annotate(
            self.schema,
            "The XML form of the messages of the IVOA ExecutionBroker interface v1.0, derived "
            "from its JSON Schema. Root elements: " + ", ".join(ROOTS) + ".",
        )
        roots = [self.element(root_node(r), r, None or self.schema, None) for r in ROOTS]
        for el in roots:
            self.schema.remove(el)
        for name in sorted(self.named):
            self.schema.append(self.named[name])
        for el in roots:
            self.schema.append(el)
        self.schema.addprevious(etree.Comment(_HEADER))
        tree = etree.ElementTree(self.schema)
        etree.indent(tree, space="  ")
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def generate() -> bytes:
    """The XSD text derived from the JSON Schema files, byte for byte deterministic."""
    return _XsdWriter().document()


_xml_schema_lock = threading.Lock()


def xml_schema() -> xmlschema.XMLSchema11:
    """The published XSD (``spec/xml/execution-broker.xsd``), loaded once (XSD 1.1).

    Loading takes about a second of CPU; threads that ask at the same time wait for the
    one load instead of each making its own (a server's first invalid XML bodies)."""
    with _xml_schema_lock:
        return _load_xml_schema()


@cache
def _load_xml_schema() -> xmlschema.XMLSchema11:
    import xmlschema

    return xmlschema.XMLSchema11(str(files() / XSD_PATH))


def main(argv: list[str] | None = None) -> int:
    """Write the XSD, or with ``--check`` fail (exit 1) when the file on disk is stale."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m ivoa_eb_spec.xmlschema_gen", description=main.__doc__
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    path = files() / XSD_PATH
    text = generate()
    if args.check:
        if not path.is_file() or path.read_bytes() != text:
            print(f"{path} is stale: run python -m ivoa_eb_spec.xmlschema_gen", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
