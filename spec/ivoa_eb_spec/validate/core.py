"""One document, any syntax: parse, tell its type, validate, then check what schemas cannot.

Order: parse (the hardened codecs of ``ivoa_eb_spec``) → for XML, the XML Schema (every error,
each located by XPath and JSON Pointer) → canonical kinds (an alias is a warning, as a broker
maps it, KIND-02) → JSON Schema with the exact time rules → ranges, references, unknown kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ivoa_eb_spec import xmlcodec
from ivoa_eb_spec.codecs import DecodeError
from ivoa_eb_spec.codecs.json_codec import load_json
from ivoa_eb_spec.codecs.yaml_codec import load_yaml
from ivoa_eb_spec.xmlschema_gen import NS, ROOTS, xml_schema

from ..unknown import ignored_properties
from .codes import Level
from .documents import DocumentType, Syntax, document_type, syntax_of
from .findings import Finding
from .schema import schema_findings
from .semantics import canonical_kinds, ordered_ranges, references, unknown_kinds

__all__ = ["Result", "validate_body"]


@dataclass
class Result:
    """The verdict on one file: its syntax, the document it was read as, and the findings."""

    source: str
    syntax: Syntax
    document: DocumentType | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def worst(self) -> Level | None:
        return max((f.level for f in self.findings), default=None)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "syntax": self.syntax.value,
            "document": self.document.value if self.document else None,
            "findings": [f.as_json() for f in self.findings],
        }


def _read_xml(body: bytes, result: Result, expected: DocumentType | None) -> dict[str, Any] | None:
    try:
        root = xmlcodec.parse_xml(body)
    except xmlcodec.XmlInputError as problem:
        result.findings.append(Finding("E-DOC-SYNTAX", "", problem.reason))
        return None
    qname = etree.QName(root)
    found = DocumentType.from_root(qname.localname) if qname.namespace == NS else None
    if found is None:
        result.findings.append(
            Finding(
                "E-XML-ROOT",
                "",
                f"the root element {{{qname.namespace or ''}}}{qname.localname} is not one of "
                f"{', '.join(ROOTS)} in namespace {NS}",
            )
        )
        return None
    if expected is not None and found is not expected:
        result.findings.append(
            Finding("E-DOC-TYPE", "", f"the root element is {found.root}, expected {expected.root}")
        )
        return None
    result.document = found
    for error in xml_schema().iter_errors(root, use_location_hints=False):
        element = error.elem if error.elem is not None else root
        where = xmlcodec.pointer_of(element)
        reason = error.reason or str(error)
        result.findings.append(
            Finding("E-XML-SCHEMA", where or "", f"{reason} (at {xmlcodec._xpath(element)})")
        )
    if result.findings:
        return None
    try:
        return xmlcodec.from_xml(body, validate=False)[1]
    except xmlcodec.XmlInputError as problem:
        result.findings.append(
            Finding("E-XML-SCHEMA", problem.pointer or "", f"{problem.reason} (at {problem.path})")
        )
        return None


def validate_body(
    body: bytes,
    source: str = "-",
    *,
    syntax: Syntax | None = None,
    as_type: DocumentType | None = None,
    found_in_folder: bool = False,
) -> Result:
    """Validate one body; ``syntax`` and ``as_type`` override what the content says.

    ``found_in_folder``: a file met while walking a folder that is no ExecutionBroker
    document at all is skipped with a remark rather than failed.
    """
    result = Result(source, syntax or syntax_of(body, source))
    if result.syntax is Syntax.XML:
        document = _read_xml(body, result, as_type)
        if document is None:
            return result
    else:
        try:
            document = (load_json if result.syntax is Syntax.JSON else load_yaml)(body)
        except DecodeError as problem:
            result.findings.extend(
                Finding("E-DOC-SYNTAX", p.path, p.message) for p in problem.problems
            )
            return result
        if not isinstance(document, dict):
            result.findings.append(
                Finding("E-DOC-TYPE", "", "the document is not a mapping (an object)")
            )
            return result
        result.document = as_type or document_type(document)
        if result.document is None:
            if found_in_folder:
                result.findings.append(
                    Finding("I-DOC-SKIPPED", "", "not an ExecutionBroker document: skipped")
                )
            else:
                result.findings.append(
                    Finding(
                        "E-DOC-TYPE",
                        "",
                        "cannot tell which document this is (no executable, result, phase, "
                        "status or update kind): name it with --as",
                    )
                )
            return result
    result.findings.extend(_document_findings(document, result.document))
    return result


def _document_findings(document: dict[str, Any], kind_of: DocumentType) -> list[Finding]:
    findings = canonical_kinds(document, kind_of)
    findings.extend(schema_findings(document, kind_of.schema))
    findings.extend(ordered_ranges(document))
    if kind_of is DocumentType.REQUEST:
        findings.extend(references(document))
    elif kind_of is DocumentType.SESSION:
        findings.extend(references(document))
    elif kind_of is DocumentType.OFFER_SET:
        offers = document.get("offers")
        for index, offer in enumerate(offers if isinstance(offers, list) else []):
            if isinstance(offer, dict):
                findings.extend(references(offer, ("offers", index)))
    if kind_of in (DocumentType.REQUEST, DocumentType.OFFER_SET, DocumentType.SESSION):
        findings.extend(unknown_kinds(document))
    for ignored in ignored_properties(document, kind_of.root):
        hint = f"; did you mean {ignored.suggestion!r}?" if ignored.suggestion else ""
        findings.append(Finding("W-SCHEMA-IGNORED", ignored.pointer,
                                f"{ignored.name!r} is not a property here: a broker ignores "
                                f"it{hint}"))
    return findings
