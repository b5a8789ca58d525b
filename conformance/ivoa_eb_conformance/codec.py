"""Reading and writing the three media types of the interface, through the spec's own helpers.

YAML is read with the safe loader; XML goes through ``ivoa_eb_spec.xmlcodec`` (hardened
parser, the project's one XML mapping), so the suite and the spec agree on what a document means.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
JSON_TYPES = {"application/json"}
XML_TYPES = {"application/xml", "text/xml"}


class DecodeError(ValueError):
    """A body that does not parse as its declared media type."""


def media_type(header: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return header.split(";", 1)[0].strip().lower()


def format_of(media: str) -> str | None:
    media = media_type(media)
    if media in YAML_TYPES or media.endswith("+yaml"):
        return "yaml"
    if media in JSON_TYPES or media.endswith("+json"):
        return "json"
    if media in XML_TYPES or media.endswith("+xml"):
        return "xml"
    return None


def decode(body: bytes, media: str) -> Any:
    fmt = format_of(media)
    try:
        if fmt == "json":
            return json.loads(body)
        if fmt == "yaml":
            return yaml.safe_load(body)
        if fmt == "xml":
            from ivoa_eb_spec import xmlcodec

            return xmlcodec.from_xml(body, validate=False)[1]
    except DecodeError:
        raise
    except Exception as error:  # every parser has its own error types
        raise DecodeError(f"body does not parse as {media}: {error}") from error
    raise DecodeError(f"unexpected media type {media!r}")


def xml_root(document: Any) -> str:
    """The XML root element of a document the suite sends: an update or a request."""
    if (
        isinstance(document, dict)
        and "path" in document
        and str(document.get("kind", "")).startswith("uri:")
    ):
        return "update"
    return "offers-request"


def encode(document: Any, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(document).encode("utf-8")
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")
    if fmt == "xml":
        from ivoa_eb_spec import xmlcodec

        return xmlcodec.to_xml(document, xml_root(document))
    raise ValueError(f"unknown format {fmt!r}")
