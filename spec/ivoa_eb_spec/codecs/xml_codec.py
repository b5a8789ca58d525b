"""XML reading and writing through the schema-driven codec of ``ivoa_eb_spec``.

The mapping between documents and XML is the spec's (ARCHITECTURE.md, "XML mapping"), so
the codec lives with the spec, where the XSD is generated from the same walk of the JSON
Schema; this module adapts its refusals to :class:`DecodeError`.
"""

from __future__ import annotations

from typing import Any

from ivoa_eb_spec import xmlcodec

from .errors import DecodeError

__all__ = ["dump_xml", "load_xml"]


def load_xml(body: bytes) -> tuple[str, dict[str, Any]]:
    """The root element name and the document of an XML body, checked against the XSD."""
    try:
        return xmlcodec.from_xml(body)
    except xmlcodec.XmlInputError as error:
        where = error.pointer if error.pointer is not None else ""
        raise DecodeError([(where, f"XML refused: {error.reason} (at {error.path})")]) from None


def dump_xml(document: dict[str, Any], root: str) -> bytes:
    """The XML body of a document under the given root element.

    Raises ``ValueError`` for what XML 1.0 cannot carry (such as a control character) or
    ``xs:long`` cannot hold.
    """
    return xmlcodec.to_xml(document, root)
