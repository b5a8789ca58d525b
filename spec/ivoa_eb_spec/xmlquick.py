"""A yes-or-no XML Schema check in C (libxml2), before the thorough XSD 1.1 one.

The published XSD (``spec/xml/execution-broker.xsd``) is XML Schema 1.1, which only
``xmlschema`` (pure Python, about 3 ms a request) can run here; libxml2 validates in tens of
microseconds but knows XSD 1.0 only. So an XSD 1.0 schema is *derived* from the published
file when first needed (no second copy is kept), never more lenient than it:

- open content (``xs:openContent``, must-ignore elements) is removed: a document with an
  undeclared element is refused here and left to the thorough check, which accepts it;
- type alternatives (``xs:alternative``, chosen by ``@kind``) become a choice of one element
  per alternative, named ``NAME.kN`` (``NAME.unknown`` for the default); before validating,
  each element of such a NAME is renamed after its ``kind`` the same way (and back after),
  so libxml2 checks it against the type the alternative selects; older spellings (``xs:error``)
  get no element, so they are refused here too;
- an assertion that names of ``entry`` children are unique becomes an ``xs:unique``; every
  other assertion makes its type unsatisfiable here (a required attribute of an empty type),
  so documents that need it (answers, errors, sessions: never a request body) go to the
  thorough check;
- a document with a namespaced attribute (``xsi:type``, ``xml:lang``, ...) or an element
  already named like a derived one is refused here, since the two processors treat those
  differently.

"Refused here" means only "ask the thorough check": :func:`is_valid` returning False is no
verdict. ``tests/xml/test_xml_quick.py`` holds that it never accepts what xmlschema refuses.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from lxml import etree

from .xmlschema_gen import NS, XSD_PATH, files

__all__ = ["derive", "is_valid"]

_XS = "http://www.w3.org/2001/XMLSchema"
_VC_MIN = "{http://www.w3.org/2007/XMLSchema-versioning}minVersion"
_UNIQUE = re.compile(r"count\(eb:(\w+)\) = count\(distinct-values\(eb:\1/@(\w+)\)\)")
_KINDS = re.compile(r"@kind = (?:'([^']*)'|\(((?:'[^']*'(?:, )?)+)\))")
_QUOTED = re.compile(r"'([^']*)'")
_NEVER = "quick-check-never"
"""A simple type with no value (the booleans matching the pattern ``never``: none)."""
_REFUSED = "quick-check-refused"
"""The required attribute of that type that makes a type unsatisfiable here."""


def _x(name: str) -> str:
    return f"{{{_XS}}}{name}"


class Derived:
    """The XSD 1.0 schema tree and the renaming that goes with it."""

    def __init__(self, schema: etree._Element, kinds: dict[str, str], names: frozenset[str]):
        self.schema = schema
        #: kind URI -> token (``k0``, ``k1``, ...), from the tests of every alternative.
        self.kinds = kinds
        #: local names of the elements whose type an alternative chooses.
        self.names = names
        #: every element name the renaming can produce (refused in an input document).
        self.synthetic = frozenset(
            f"{name}.{token}" for name in names for token in [*kinds.values(), "unknown"]
        )


def derive(xsd: etree._Element) -> Derived:
    """The XSD 1.0 form of the published XSD 1.1 tree ``xsd`` (copied, not changed).

    Raises ``ValueError`` for an XSD 1.1 construct it does not know how to narrow, so that a
    change of the generator is noticed rather than silently made more lenient.
    """
    schema = etree.fromstring(etree.tostring(xsd))
    schema.attrib.pop(_VC_MIN, None)
    for node in list(schema.iter(_x("annotation"), _x("openContent"), _x("defaultOpenContent"))):
        node.getparent().remove(node)
    _never_type(schema)
    _asserts(schema)
    kinds, names = _alternatives(schema)
    used = {etree.QName(node).localname for node in schema.iter(f"{{{_XS}}}*")}
    leftover = used & {"assert", "alternative", "override", "defaultOpenContent", "openContent"}
    if leftover:
        raise ValueError(f"XSD 1.1 constructs left after deriving: {sorted(leftover)}")
    for node in schema.iter(_x("any"), _x("anyAttribute")):
        for attribute in ("notQName", "notNamespace"):
            if attribute in node.attrib:
                raise ValueError(f"a wildcard with {attribute} outside open content")
    return Derived(schema, kinds, frozenset(names))


def _never_type(schema: etree._Element) -> None:
    never = etree.SubElement(schema, _x("simpleType"), name=_NEVER)
    restriction = etree.SubElement(never, _x("restriction"), base="xs:boolean")
    etree.SubElement(restriction, _x("pattern"), value="never")


def _asserts(schema: etree._Element) -> None:
    """Uniqueness assertions become ``xs:unique``; the others make their type unsatisfiable."""
    count = 0
    for node in list(schema.iter(_x("assert"))):
        owner = node.getparent()
        if owner.tag != _x("complexType"):
            raise ValueError(f"an assertion in {owner.tag}")
        owner.remove(node)
        match = _UNIQUE.fullmatch(node.get("test", ""))
        if match is None:
            if owner.find(f"{_x('attribute')}[@name='{_REFUSED}']") is None:
                refused = etree.Element(
                    _x("attribute"), name=_REFUSED, type=f"eb:{_NEVER}", use="required"
                )
                wildcard = owner.find(_x("anyAttribute"))
                if wildcard is not None:
                    wildcard.addprevious(refused)
                else:
                    owner.append(refused)
            continue
        child, attribute = match.groups()
        name = owner.get("name")
        if name is None:
            holders = [owner.getparent()]
        else:
            if schema.xpath(".//*[@base=$t]", t=f"eb:{name}"):
                raise ValueError(f"the asserted type {name} is derived from")
            holders = schema.xpath(".//xs:element[@type=$t]", t=f"eb:{name}",
                                   namespaces={"xs": _XS})
        for holder in holders:
            if holder.tag != _x("element"):
                raise ValueError(f"an anonymous asserted type in {holder.tag}")
            count += 1
            unique = etree.SubElement(holder, _x("unique"), name=f"quick-unique-{count}")
            etree.SubElement(unique, _x("selector"), xpath=f"eb:{child}")
            etree.SubElement(unique, _x("field"), xpath=f"@{attribute}")


def _alternatives(schema: etree._Element) -> tuple[dict[str, str], set[str]]:
    """Each element with type alternatives becomes one element per alternative."""
    kinds: dict[str, str] = {}
    names: set[str] = set()
    owners = []
    for node in schema.iter(_x("alternative")):
        owner = node.getparent()
        if owner not in owners:
            owners.append(owner)
    for owner in owners:
        name = owner.get("name")
        extra = set(owner.attrib) - {"name", "minOccurs", "maxOccurs", "type"}
        if name is None or extra:
            raise ValueError(f"an element with alternatives and {sorted(extra) or 'no name'}")
        names.add(name)
        chosen: list[tuple[str, str]] = []  # (token, type)
        seen: set[str] = set()
        default: str | None = None
        for alternative in owner.findall(_x("alternative")):
            kind_type = alternative.get("type")
            test = alternative.get("test")
            if kind_type is None:
                raise ValueError(f"an alternative of {name} without a type attribute")
            if test is None:
                default = kind_type
                continue
            match = _KINDS.fullmatch(test)
            if match is None:
                raise ValueError(f"an alternative test this derivation cannot read: {test}")
            listed = [match.group(1)] if match.group(1) is not None else _QUOTED.findall(
                match.group(2)
            )
            for kind in listed:
                token = kinds.setdefault(kind, f"k{len(kinds)}")
                if kind in seen:
                    continue  # the first alternative that matches is the one chosen
                seen.add(kind)
                if kind_type != "xs:error":
                    chosen.append((token, kind_type))
        if default is None or default == "xs:error":
            raise ValueError(f"the element {name} has no usable default alternative")
        chosen.append(("unknown", default))
        parent = owner.getparent()
        if parent.tag == _x("schema"):
            for token, kind_type in chosen:
                owner.addprevious(etree.Element(_x("element"), name=f"{name}.{token}",
                                                type=kind_type))
        else:
            choice = etree.Element(_x("choice"), {
                k: v for k, v in owner.attrib.items() if k in ("minOccurs", "maxOccurs")
            })
            for token, kind_type in chosen:
                etree.SubElement(choice, _x("element"), name=f"{name}.{token}", type=kind_type)
            owner.addprevious(choice)
        parent.remove(owner)
    return kinds, names


@cache
def _derived() -> Derived:
    return derive(etree.parse(str(files() / XSD_PATH)).getroot())


_lock = threading.Lock()


@cache
def _validator() -> etree.XMLSchema:
    """The compiled schema (about 1 MB, 3 ms to build), one for the process."""
    return etree.XMLSchema(_derived().schema)


def prepare() -> None:
    """Derive and compile the schema now: a server calls this at start-up, so that its
    first XML body is not the one that waits for it."""
    _validator()


def is_valid(root: Any) -> bool:
    """True if the message ``root`` (an lxml element) is valid against the published XSD;
    False means "ask the thorough check why", not necessarily invalid."""
    derived = _derived()
    renamed: list[tuple[Any, str]] = []
    prefix = f"{{{NS}}}"
    try:
        for element in root.iter(etree.Element):
            tag = element.tag
            for attribute in element.keys():
                if attribute[0] == "{":
                    return False
            if not tag.startswith(prefix):
                continue
            local = tag[len(prefix):]
            if local in derived.names:
                kind = element.get("kind")
                if kind is None:
                    continue  # not in a place of alternatives (a volume's resource), or invalid
                element.tag = f"{prefix}{local}.{derived.kinds.get(kind, 'unknown')}"
                renamed.append((element, tag))
            elif local in derived.synthetic:
                return False
        validator = _validator()
        with _lock:  # an lxml validator keeps per-call state (its error log): one at a time
            return bool(validator.validate(root))
    finally:
        for element, tag in renamed:
            element.tag = tag
