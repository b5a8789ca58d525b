"""The HTTP side of the client without the I/O: request bodies, addresses, answers to models.

:class:`~.sync.Client` and :class:`~.aio.AsyncClient` differ only in how they send; both
build their calls and read their answers here, so the two can never disagree.
"""

from __future__ import annotations

import os
import uuid as uuids
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from ivoa_eb_spec.codecs import DecodeError, MediaType, decode, dump_document, encode
from ivoa_eb_spec.iso8601 import format_instant
from ivoa_eb_spec.model import (
    EnumValueUpdate,
    ErrorResponse,
    ExecutionRequest,
    MessageItem,
)

from .errors import BrokerError

T = TypeVar("T")

#: What a request may be given as: a model, a document (a mapping), or a file's path.
RequestLike = ExecutionRequest | Mapping[str, Any] | str | os.PathLike[str]

ENUM_UPDATE = "uri:enum-value-update"
_SUFFIXES = {".yaml": MediaType.YAML, ".yml": MediaType.YAML, ".json": MediaType.JSON,
             ".xml": MediaType.XML}


@dataclass(frozen=True)
class Body:
    """A request body and its ``Content-Type``."""

    content: bytes
    media_type: MediaType


def media_type_of(value: str | MediaType) -> MediaType:
    """One of the interface's three media types (a clear error otherwise)."""
    try:
        return MediaType(str(value).split(";")[0].strip().lower())
    except ValueError:
        known = ", ".join(m.value for m in MediaType)
        raise ValueError(f"media_type {value!r} is not one of {known}") from None


def request_body(request: RequestLike, media_type: MediaType) -> Body:
    """The body of a request: a model or document in ``media_type``; a file as it is, in the
    media type its suffix names (what the scientist wrote is what the broker reads)."""
    if isinstance(request, ExecutionRequest):
        return Body(encode(request, media_type), media_type)
    if isinstance(request, Mapping):
        root = "offers-request" if media_type is MediaType.XML else None
        return Body(dump_document(dict(request), media_type, root), media_type)
    path = Path(request)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"{path}: a request file ends in .yaml, .yml, .json or .xml")
    return Body(path.read_bytes(), _SUFFIXES[suffix])


def update_body(phase: str, media_type: MediaType) -> Body:
    """The update that moves a session to ``phase`` (accept, reject, cancel)."""
    update = EnumValueUpdate(kind=ENUM_UPDATE, path="phase", value=phase)
    return Body(encode(update, media_type), media_type)


def address(base: str, collection: str, url_or_uuid: str) -> str:
    """The URL of an offer set or session given by its URL or by its uuid."""
    try:
        uuids.UUID(url_or_uuid)
    except ValueError:
        return url_or_uuid
    return f"{base}/{collection}/{url_or_uuid}"


#: The header by which a broker says it honoured ``wait`` (UWS-06), and for how long.
WAIT_HEADER = "EB-Wait"


def listing_url(base: str, phase: Iterable[str] | str | None = None,
                after: datetime | str | None = None, before: datetime | str | None = None,
                limit: int | None = None) -> str:
    """The URL of the first page of ``GET /sessions`` with these filters (UWS-03, UWS-04)."""
    query: list[tuple[str, str]] = []
    phases = [phase] if isinstance(phase, str) else list(phase or [])
    query += [("phase", str(p)) for p in phases]
    for name, value in (("after", after), ("before", before)):
        if value is not None:
            query.append((name, format_instant(value) if isinstance(value, datetime)
                          else str(value)))
    if limit is not None:
        query.append(("limit", str(limit)))
    return f"{base}/sessions" + (f"?{urlencode(query)}" if query else "")


def wait_url(url: str, seconds: int, phase: str) -> str:
    """The blocking read of a session (UWS-06): at most ``seconds``, while in ``phase``."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}{urlencode([('wait', str(seconds)), ('phase', phase)])}"


def wait_bound(timeout: float | None) -> int:
    """The longest ``wait`` to ask for: a little less than the client's read timeout, so that
    a broker's answer at the end of the wait is not cut off."""
    return 60 if timeout is None else max(1, int(timeout) - 5)


def answer(status: int, content_type: str | None, content: bytes, url: str, model: Any) -> Any:
    """The model of a successful answer; :class:`BrokerError` for an error answer, or for one
    that is not a valid document of the interface."""
    media_type = _answer_type(content_type)
    if status >= 400:
        raise _error(status, media_type, content, url)
    if media_type is None:
        raise BrokerError(status, f"the answer has an unknown Content-Type {content_type!r}",
                          url=url)
    try:
        return decode(content, media_type, model)
    except DecodeError as problem:
        raise BrokerError(status, "the answer is not a valid document of the interface",
                          [_note(p.path, p.message) for p in problem.problems], url) from None


def _answer_type(content_type: str | None) -> MediaType | None:
    if not content_type:
        return MediaType.YAML  # the interface's default
    try:
        return media_type_of(content_type)
    except ValueError:
        return None


def _error(status: int, media_type: MediaType | None, content: bytes, url: str) -> BrokerError:
    if media_type is not None:
        try:
            found = decode(content, media_type, ErrorResponse)
        except DecodeError:
            pass
        else:
            return BrokerError(found.status, found.title, list(found.messages), url)
    text = content[:200].decode("utf-8", "replace")
    return BrokerError(status, "the broker's error answer is not an ErrorResponse",
                       [_note("", text)], url)


def _note(path: str, text: str) -> MessageItem:
    return MessageItem(level="ERROR", template="{text}", values={"path": path, "text": text},
                       message=text)


def headers(media_type: MediaType, body: Body | None = None,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Accept in the client's media type, Content-Type of the body, and ``extra``."""
    found = {"Accept": media_type.value}
    if body is not None:
        found["Content-Type"] = body.media_type.value
    found.update(extra or {})
    return found


def transport_error(problem: Exception, url: str) -> BrokerError:
    """A broker that could not be reached (down, refused, timed out) as a BrokerError."""
    name = type(problem).__name__
    return BrokerError(None, f"no answer from the broker: {name}: {problem}".rstrip(": "),
                       url=url)
