"""XML reading and writing of the ExecutionBroker messages, driven by the JSON Schema.

The codec knows no classes: it walks the same view of ``spec/schema/`` as the XSD generator
(:mod:`ivoa_eb_spec.xmlschema_gen`), so the XML form, the XSD and the JSON Schema cannot drift
apart, and the conformance suite can use it with ``ivoa_eb_spec`` alone.

Reading is hardened: no DOCTYPE at all (so no entity expansion, no external DTD or entity),
no network, a size limit and a depth limit; every refusal is an :class:`XmlInputError`
that names the offending element.
"""

from __future__ import annotations

import math
import re
from typing import Any

from lxml import etree

from . import xmlquick
from .xmlschema_gen import (
    LONG_MAX,
    LONG_MIN,
    NS,
    ROOTS,
    Array,
    Family,
    Node,
    Obj,
    Scalar,
    StringMap,
    Unknown,
    root_node,
    xml_schema,
)
from .xmltext import ILLEGAL as _ILLEGAL
from .xmltext import xml_safe

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "XmlInputError",
    "from_xml",
    "parse_xml",
    "pointer_of",
    "to_xml",
    "xml_safe",
]

MAX_BYTES = 16 * 1024 * 1024
"""Largest document :func:`parse_xml` reads by default; the HTTP layer may set a lower limit."""
MAX_DEPTH = 64
"""Deepest element nesting accepted; the messages need about 12, libxml2 itself stops at 256."""

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_IGNORED_ATTRS = {f"{{{_XSI}}}schemaLocation", f"{{{_XSI}}}noNamespaceSchemaLocation"}
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_WS = " \t\n\r"
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?")


class XmlInputError(ValueError):
    """An XML document that cannot be read, or that breaks the XML form of the messages.

    ``path`` is an XPath-like location of the offending element (``/eb:offers-request/eb:compute``),
    ``pointer`` the JSON Pointer of the same place in the JSON form, where it has one.
    """

    def __init__(self, reason: str, path: str = "/", pointer: str | None = "") -> None:
        super().__init__(f"{reason} (at {path})")
        self.reason = reason
        self.path = path
        self.pointer = pointer


# ---------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into an element tree, refusing anything a message never needs.

    A DOCTYPE is refused outright: the messages need none, and refusing it closes the door
    on entity expansion (billion laughs) and on external entities and DTDs.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_xml() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlInputError(f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    _refuse_doctype(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise XmlInputError(
            f"not well-formed XML: {error.msg} (line {error.lineno}, column {error.offset})"
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlInputError("a DOCTYPE is not allowed in a message (no DTDs, no entities)")
    _check_depth(root)
    return root


class _Doctype(Exception):
    pass


class _Prolog(Exception):
    pass


class _PrologTarget:
    """A parser target that looks only at the prolog: it stops at the DOCTYPE, if any,
    before libxml2 reads its internal subset, or else at the root element's start."""

    def doctype(self, *_: Any) -> None:
        raise _Doctype

    def start(self, *_: Any) -> None:
        raise _Prolog

    def close(self) -> None:
        return None


def _refuse_doctype(data: bytes) -> None:
    parser = etree.XMLParser(
        target=_PrologTarget(), resolve_entities=False, no_network=True, load_dtd=False
    )
    try:
        etree.fromstring(data, parser)
    except _Doctype:
        raise XmlInputError(
            "a DOCTYPE is not allowed in a message (no DTDs, no entities)"
        ) from None
    except (_Prolog, etree.XMLSyntaxError):
        return  # no DOCTYPE before the root; syntax errors are reported by the real parse


def _check_depth(root: etree._Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlInputError(f"elements nested deeper than {MAX_DEPTH}", _xpath(element))
        stack.extend((child, depth + 1) for child in element if isinstance(child.tag, str))


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------


def to_xml(document: dict[str, Any], root: str) -> bytes:
    """The XML form (UTF-8 bytes) of a schema-valid JSON-shaped document.

    ``root`` is one of ``offers-request``, ``offers-response``, ``execution``, ``update``,
    ``error``. A value the XML form cannot carry (a character XML 1.0 forbids, a property name
    that is not an XML name, a value of the wrong JSON type) raises ``ValueError`` naming its
    JSON Pointer.
    """
    if root not in ROOTS:
        raise ValueError(f"unknown XML root {root!r}; expected one of {', '.join(ROOTS)}")
    node = root_node(root)
    element = _Writer().encode(node, root, document, "", None)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


class _Writer:
    def encode(self, node: Node, name: str, value: Any, pointer: str, parent: Any) -> Any:
        if isinstance(node, Family):
            kind = value.get("kind") if isinstance(value, dict) else None
            chosen: Node = (
                node.known.get(kind, node.unknown) if isinstance(kind, str) else node.unknown
            )
            return self.encode(chosen, name, value, pointer, parent)
        element = (
            etree.Element(_q(name), nsmap={None: NS})
            if parent is None
            else etree.SubElement(parent, _q(name))
        )
        if isinstance(node, Obj):
            self.obj(node, element, value, pointer)
        elif isinstance(node, Array):
            if not isinstance(value, list):
                raise ValueError(f"{pointer or '/'}: expected an array")
            for index, item in enumerate(value):
                self.encode(node.item, node.item_name, item, f"{pointer}/{index}", element)
        elif isinstance(node, StringMap):
            if not isinstance(value, dict):
                raise ValueError(f"{pointer or '/'}: expected an object of strings")
            for key, text in value.items():
                entry = etree.SubElement(element, _q("entry"))
                entry.set("name", _text(key, f"{pointer}/{_escape(key)}"))
                entry.text = _text(text, f"{pointer}/{_escape(key)}")
        elif isinstance(node, Unknown):
            self.unknown(element, value, pointer)
        else:
            element.text = _scalar_text(node, value, pointer)
        return element

    def obj(self, node: Obj, element: Any, value: Any, pointer: str) -> None:
        if not isinstance(value, dict):
            raise ValueError(f"{pointer or '/'}: expected an object")
        known = {p.name for p in node.props}
        if node.kind is not None:
            known.add("kind")
        extra = [key for key in value if key not in known]
        if "kind" in value:
            element.set("kind", _scalar_text(node.kind.node, value["kind"], f"{pointer}/kind"))  # type: ignore[union-attr]
        for prop in node.props:
            if prop.name in value:
                self.encode(
                    prop.node,
                    prop.name,
                    value[prop.name],
                    f"{pointer}/{_escape(prop.name)}",
                    element,
                )
        # Must-ignore (EXT-01): properties the object does not declare follow the declared
        # ones, written as the free properties of an unknown kind are.
        for key in extra:
            self.free(element, key, value[key], f"{pointer}/{_escape(key)}")

    def unknown(self, element: Any, value: Any, pointer: str) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
            raise ValueError(f"{pointer or '/'}: expected an object with a string kind")
        element.set("kind", _text(value["kind"], f"{pointer}/kind"))
        for key, item in value.items():
            if key != "kind":
                self.free(element, key, item, f"{pointer}/{_escape(key)}")

    def free(self, parent: Any, name: str, value: Any, pointer: str) -> None:
        """Properties of an unknown kind: objects nest, arrays repeat, scalars become text."""
        if not _NCNAME.fullmatch(name):
            raise ValueError(f"{pointer}: {name!r} is not usable as an XML element name")
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.free(parent, name, item, f"{pointer}/{index}")
            return
        element = etree.SubElement(parent, _q(name))
        if isinstance(value, dict):
            for key, item in value.items():
                self.free(element, key, item, f"{pointer}/{_escape(key)}")
        elif value is not None:
            element.text = _free_text(value, pointer)


def _free_text(value: Any, pointer: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value, pointer)
    return _text(value, pointer)


def _scalar_text(node: Node, value: Any, pointer: str) -> str:
    if not isinstance(node, Scalar):
        raise ValueError(f"{pointer}: no scalar here")
    kind = node.json_type
    if kind == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema: 1.0 is an integer
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        if not LONG_MIN <= value <= LONG_MAX:
            raise ValueError(f"{pointer}: {value} does not fit xs:long, the XML form of integers")
        return str(value)
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_text(value, pointer)
    if kind == "string" and isinstance(value, str):
        return _text(value, pointer)
    raise ValueError(f"{pointer or '/'}: expected a {kind}, got {type(value).__name__}")


def _number_text(value: int | float, pointer: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{pointer}: {value} has no JSON form")
    return repr(value) if isinstance(value, float) else str(value)


def _text(value: Any, pointer: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{pointer or '/'}: expected a string, got {type(value).__name__}")
    bad = _ILLEGAL.search(value)
    if bad:
        raise ValueError(
            f"{pointer or '/'}: character U+{ord(bad.group()):04X} cannot be written in XML 1.0"
        )
    return value


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------


def from_xml(data: bytes, *, validate: bool = True) -> tuple[str, dict[str, Any]]:
    """The root name and the JSON-shaped document of an XML message.

    With ``validate`` (the default) the document is first checked against the published XSD
    (by :mod:`ivoa_eb_spec.xmlquick` first, then by xmlschema when that says no), so an error
    names the first rule broken; the decoding that follows is strict either way.
    Integers, numbers and booleans come back typed as the JSON Schema says, arrays as lists,
    string maps as dicts, and the properties of an unknown kind as strings, nested dicts, and
    lists where an element repeats.
    """
    root = parse_xml(data)
    qname = etree.QName(root)
    if qname.namespace != NS or qname.localname not in ROOTS:
        raise XmlInputError(
            f"root element {{{qname.namespace or ''}}}{qname.localname} is not one of "
            f"{', '.join(ROOTS)} in namespace {NS}",
            _xpath(root),
        )
    name = qname.localname
    # The quick check (libxml2, microseconds) passes nearly every document; xmlschema (the
    # XSD 1.1 processor, milliseconds) decides the rest and names the first rule broken.
    if validate and not xmlquick.is_valid(root):
        for error in xml_schema().iter_errors(root, use_location_hints=False):
            element = error.elem if error.elem is not None else root
            raise XmlInputError(f"invalid: {_reason(error)}", _xpath(element), pointer_of(element))
    return name, _Reader().decode(root_node(name), root, "")


def _reason(error: Any) -> str:
    """xmlschema's reason, plus the rule's own documentation for a failed assertion."""
    reason = error.reason or str(error)
    annotation = getattr(error.validator, "annotation", None)
    if "assert" in reason and annotation is not None:
        texts = [d.text for d in annotation.documentation if d.text]
        if texts:
            reason += ": " + " ".join(texts)
    return reason


class _Reader:
    def decode(self, node: Node, element: Any, pointer: str) -> Any:
        if isinstance(node, Family):
            kind = element.get("kind")
            chosen: Node = node.known.get(kind, node.unknown) if kind is not None else node.unknown
            return self.decode(chosen, element, pointer)
        if isinstance(node, Obj):
            return self.obj(node, element, pointer)
        if isinstance(node, Unknown):
            return self.unknown(element, pointer)
        if isinstance(node, Array):
            _attributes(element, set(), pointer)
            return [
                self.decode(node.item, child, f"{pointer}/{index}")
                for index, child in enumerate(_children(element, pointer, {node.item_name}))
            ]
        if isinstance(node, StringMap):
            _attributes(element, set(), pointer)
            result: dict[str, str] = {}
            for child in _children(element, pointer, {"entry"}):
                _attributes(child, {"name"}, pointer)
                key = child.get("name")
                if key is None:
                    raise XmlInputError("an entry needs a name attribute", _xpath(child), pointer)
                if key in result:
                    raise XmlInputError(f"two entries named {key!r}", _xpath(child), pointer)
                result[key] = _leaf_text(child, f"{pointer}/{_escape(key)}")
            return result
        _attributes(element, set(), pointer)
        return _scalar_value(node, _leaf_text(element, pointer), element, pointer)  # type: ignore[arg-type]

    def obj(self, node: Obj, element: Any, pointer: str) -> dict[str, Any]:
        _attributes(element, {"kind"} if node.kind else set(), pointer)
        found: dict[str, Any] = {}
        declared = {p.name for p in node.props}
        extras: dict[str, list[Any]] = {}
        for child in _children(element, pointer, None):
            local = etree.QName(child).localname
            if local not in declared:
                # Must-ignore (EXT-01): kept, so that the reader can name it in a WARN message.
                if local == "kind" and node.kind is not None:
                    raise XmlInputError(
                        "kind is the attribute, not an element", _xpath(child), pointer
                    )
                extras.setdefault(local, []).append(child)
                continue
            if local in found:
                raise XmlInputError(
                    f"{local} given twice", _xpath(child), f"{pointer}/{_escape(local)}"
                )
            found[local] = child
        result: dict[str, Any] = {}
        if node.kind is not None and element.get("kind") is not None:
            result["kind"] = _scalar_value(
                node.kind.node, element.get("kind"), element, f"{pointer}/kind"
            )  # type: ignore[arg-type]
        for prop in node.props:
            if prop.name in found:
                result[prop.name] = self.decode(
                    prop.node, found[prop.name], f"{pointer}/{_escape(prop.name)}"
                )
        for local, group in extras.items():
            sub = f"{pointer}/{_escape(local)}"
            result[local] = (
                self.free(group[0], sub)
                if len(group) == 1
                else [self.free(c, f"{sub}/{i}") for i, c in enumerate(group)]
            )
        return result

    def unknown(self, element: Any, pointer: str) -> dict[str, Any]:
        _attributes(element, {"kind"}, pointer)
        kind = element.get("kind")
        if kind is None:
            raise XmlInputError("the kind attribute is required", _xpath(element), pointer)
        result: dict[str, Any] = {"kind": kind}
        result.update(self.free(element, pointer, top=True))
        return result

    def free(self, element: Any, pointer: str, top: bool = False) -> Any:
        """Contents of an unknown kind: strings, nested dicts, lists where names repeat."""
        if not top:
            _attributes(element, set(), pointer)
        children = _children(element, pointer, None)
        if not children and not top:
            return element.text or ""
        if not children and element.text and element.text.strip(_WS):
            raise XmlInputError("text directly inside a component", _xpath(element), pointer)
        grouped: dict[str, list[Any]] = {}
        for child in children:
            local = etree.QName(child).localname
            if local == "kind" and top:
                raise XmlInputError("kind is the attribute, not an element", _xpath(child), pointer)
            grouped.setdefault(local, []).append(child)
        result: dict[str, Any] = {}
        for local, group in grouped.items():
            sub = f"{pointer}/{_escape(local)}"
            if len(group) == 1:
                result[local] = self.free(group[0], sub)
            else:
                result[local] = [self.free(c, f"{sub}/{i}") for i, c in enumerate(group)]
        return result


def _attributes(element: Any, allowed: set[str], pointer: str) -> None:
    for name in element.attrib:
        if name in allowed or name in _IGNORED_ATTRS:
            continue
        raise XmlInputError(
            f"attribute {name} has no place in the JSON form", _xpath(element), pointer
        )


def _children(element: Any, pointer: str, names: set[str] | None) -> list[Any]:
    """Element children in the namespace (``names`` limits which), with no text between them."""
    children = [child for child in element if isinstance(child.tag, str)]
    if children:
        texts = [element.text, *(child.tail for child in element)]
        if any(t and t.strip(_WS) for t in texts):
            raise XmlInputError("text mixed with elements", _xpath(element), pointer)
    elif element.text and element.text.strip(_WS) and names is not None:
        raise XmlInputError("text where elements are expected", _xpath(element), pointer)
    for child in children:
        qname = etree.QName(child)
        if qname.namespace != NS:
            raise XmlInputError(
                f"element {child.tag} is not in namespace {NS}", _xpath(child), pointer
            )
        if names is not None and qname.localname not in names:
            raise XmlInputError(f"unexpected element {qname.localname}", _xpath(child), pointer)
    return children


def _leaf_text(element: Any, pointer: str) -> str:
    if any(isinstance(child.tag, str) for child in element):
        raise XmlInputError("elements where a value is expected", _xpath(element), pointer)
    return element.text or ""


def _scalar_value(node: Scalar, text: str, element: Any, pointer: str) -> Any:
    kind = node.json_type
    if kind == "string":
        return text
    lexical = text.strip(_WS)
    if kind == "boolean" and lexical in ("true", "1", "false", "0"):
        return lexical in ("true", "1")
    if kind == "integer" and _INTEGER.fullmatch(lexical):
        return int(lexical)
    if kind == "number" and _DOUBLE.fullmatch(lexical):
        return int(lexical) if _INTEGER.fullmatch(lexical) else float(lexical)
    raise XmlInputError(f"{text!r} is not a valid {kind}", _xpath(element), pointer)


# ---------------------------------------------------------------------------------------
# locations
# ---------------------------------------------------------------------------------------


def _xpath(element: Any) -> str:
    """``/eb:a/eb:b[2]``: the element's place, with positions where siblings share a name."""
    steps = []
    while element is not None:
        qname = etree.QName(element)
        prefix = (
            "eb:"
            if qname.namespace == NS
            else (f"{{{qname.namespace}}}" if qname.namespace else "")
        )
        step = prefix + qname.localname
        parent = element.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == element.tag]
            if len(same) > 1:
                step += f"[{same.index(element) + 1}]"
        steps.append(step)
        element = parent
    return "/" + "/".join(reversed(steps))


def pointer_of(element: Any) -> str | None:
    """The JSON Pointer of an element of a message (None outside the five roots).

    Used to locate XSD errors in the JSON form, where the HTTP layer reports them."""
    chain = []
    while element is not None:
        chain.append(element)
        element = element.getparent()
    chain.reverse()
    local = etree.QName(chain[0]).localname
    if local not in ROOTS:
        return None
    node: Node | None = root_node(local)
    pointer = ""
    for parent, child in zip(chain, chain[1:], strict=False):
        if isinstance(node, Family):
            kind = parent.get("kind")
            node = node.known.get(kind, node.unknown) if kind is not None else node.unknown
        name = etree.QName(child).localname
        if isinstance(node, Obj):
            prop = node.prop(name)
            pointer += f"/{_escape(name)}"
            node = prop.node if prop else None
        elif isinstance(node, Array):
            siblings = [c for c in parent if isinstance(c.tag, str)]
            pointer += f"/{siblings.index(child)}"
            node = node.item
        elif isinstance(node, StringMap):
            return pointer + f"/{_escape(child.get('name') or '')}"
        elif isinstance(node, Unknown) or node is None:
            pointer += f"/{_escape(name)}"
            node = None
        else:
            return pointer
    return pointer
