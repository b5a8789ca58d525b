"""Which syntax a file is written in, and which of the five documents it is."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath
from typing import Any

from ivoa_eb_spec.vocabulary import canonical_kind, known_kinds

__all__ = ["DocumentType", "Syntax", "document_type", "syntax_of"]


class Syntax(StrEnum):
    """The three media types of the interface, by their short names."""

    YAML = "yaml"
    JSON = "json"
    XML = "xml"


class DocumentType(StrEnum):
    """The five documents of the interface, named as ``--as`` takes them."""

    REQUEST = "request"
    OFFER_SET = "offer-set"
    SESSION = "session"
    UPDATE = "update"
    ERROR = "error"

    @property
    def schema(self) -> str:
        """Its JSON Schema, by path below ``spec/schema/``."""
        return _SCHEMAS[self]

    @property
    def root(self) -> str:
        """Its XML root element (ARCHITECTURE.md, XML mapping, rule 1)."""
        return _ROOTS[self]

    @classmethod
    def from_root(cls, root: str) -> DocumentType | None:
        return next((item for item, name in _ROOTS.items() if name == root), None)


_SCHEMAS = {
    DocumentType.REQUEST: "execution-request.yaml",
    DocumentType.OFFER_SET: "offer-set-response.yaml",
    DocumentType.SESSION: "session.yaml",
    DocumentType.UPDATE: "update.yaml",
    DocumentType.ERROR: "error-response.yaml",
}
_ROOTS = {
    DocumentType.REQUEST: "offers-request",
    DocumentType.OFFER_SET: "offers-response",
    DocumentType.SESSION: "execution",
    DocumentType.UPDATE: "update",
    DocumentType.ERROR: "error",
}
_EXTENSIONS = {".yaml": Syntax.YAML, ".yml": Syntax.YAML, ".json": Syntax.JSON, ".xml": Syntax.XML}


def syntax_of(body: bytes, name: str | None = None) -> Syntax:
    """The syntax of a body: by its first character (``<`` XML, ``{`` JSON), else by the
    file's extension, else YAML (the interface's default)."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return Syntax.XML
    if start == b"{":
        return Syntax.JSON
    if name is not None:
        return _EXTENSIONS.get(PurePath(name).suffix.lower(), Syntax.YAML)
    return Syntax.YAML


def _family(kind: Any) -> str | None:
    canonical = canonical_kind(kind) if isinstance(kind, str) else None
    for family in ("session", "update"):
        if canonical in known_kinds(family):
            return family
    return None


def document_type(document: dict[str, Any]) -> DocumentType | None:
    """Which document a JSON/YAML mapping is, from its content; None when it is none of them.

    Marks, in order: a session or update kind; ``executable`` (a request); ``result`` or
    ``offers`` (an offer set); ``status`` with ``messages`` (an error); ``phase`` (a session
    of a kind this version does not define); an update's ``path`` with a value or delta.
    """
    family = _family(document.get("kind"))
    if family == "session":
        return DocumentType.SESSION
    if family == "update":
        return DocumentType.UPDATE
    if "executable" in document:
        return DocumentType.REQUEST
    if "result" in document or "offers" in document:
        return DocumentType.OFFER_SET
    if "status" in document and "messages" in document:
        return DocumentType.ERROR
    if "phase" in document:
        return DocumentType.SESSION
    if "path" in document and ({"value", "delta"} & set(document)):
        return DocumentType.UPDATE
    return None
