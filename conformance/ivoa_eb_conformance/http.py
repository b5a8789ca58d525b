"""The only way the suite talks to a broker: an HTTP client pinned to one origin.

Every exchange is kept as :class:`Evidence`, so a failing check can show exactly what was
sent and received. Redirects are never followed automatically, and any URL of another
origin (a redirect, an offer's ``meta.url``, a ``Location``) is refused before a request is
made: pointing the suite at a broker must never send traffic anywhere else.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from . import codec
from .model import Evidence

EXCERPT = 2000
MEDIA = {"yaml": "application/yaml", "json": "application/json", "xml": "application/xml"}


class ForeignOriginError(RuntimeError):
    """A URL outside the broker's origin: the suite refuses to follow it."""


SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)


def redacted(headers: dict[str, str]) -> dict[str, str]:
    """Headers fit for a report: credentials given with --header must not end up in one."""
    return {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default)


def excerpt(data: bytes | str | None, limit: int = EXCERPT) -> str:
    if not data:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return (
        text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"
    )


@dataclass
class Answer:
    """A response and the exchange that produced it; the body is parsed on demand."""

    response: httpx.Response
    evidence: Evidence
    #: When the answer arrived (the suite's clock): checks judging times use this, not the
    #: moment they run, since a memoised answer may be judged much later.
    received: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    @property
    def media_type(self) -> str:
        return codec.media_type(self.response.headers.get("content-type", ""))

    @cached_property
    def document(self) -> Any:
        """The body parsed by its declared media type; raises ``codec.DecodeError``."""
        return codec.decode(self.response.content, self.media_type)

    def try_document(self) -> Any:
        try:
            return self.document
        except codec.DecodeError:
            return None


@dataclass
class BrokerClient:
    """HTTP client for one broker; ``transport`` lets tests and fault injectors stand in for it."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 20.0
    transport: httpx.BaseTransport | None = None
    log: list[Evidence] = field(default_factory=list)
    #: Every answer of the run, in order: run-wide checks (uuids, phases, error bodies) read them.
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {self.base_url!r}")
        self.base_url = self.base_url.rstrip("/") + "/"
        self._origin = origin(self.base_url)
        self._lock = threading.Lock()
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=self.timeout,
            transport=self.transport,
            headers={"User-Agent": "ivoa-eb-conformance"},
        )
        # httpx sends ``Accept: */*`` unless told otherwise; ``accept=None`` must mean no
        # Accept header at all (NEG-07 is about that case, NEG-08 about ``*/*``).
        self._client.headers.pop("accept", None)

    def close(self) -> None:
        self._client.close()

    def with_headers(self, headers: dict[str, str]) -> BrokerClient:
        """Another client of the same broker (same transport) sending ``headers`` instead of
        this one's: a second identity, or none (the security checks)."""
        return BrokerClient(self.base_url, dict(headers), self.timeout, self.transport)

    def same_origin(self, url: str) -> bool:
        return origin(url) == self._origin

    def resolve(self, target: str) -> str:
        """A path relative to the base URL, or an absolute URL that must share its origin."""
        if "://" in target or target.startswith("//"):
            url = urljoin(self.base_url, target)
        else:
            url = urljoin(self.base_url, target.lstrip("/"))
        if not self.same_origin(url):
            raise ForeignOriginError(
                f"refusing {url}: it is outside the broker's origin {self.base_url}"
            )
        return url

    def request(
        self,
        method: str,
        target: str,
        *,
        content: bytes | str | None = None,
        content_type: str | None = None,
        accept: str | None = None,
        headers: dict[str, str] | None = None,
        record: bool = True,
    ) -> Answer:
        """Send one request; ``record=False`` keeps house-keeping out of the evidence."""
        url = self.resolve(target)
        sent = dict(self.headers)
        if content_type is not None:
            sent["Content-Type"] = content_type
        if accept is not None:
            sent["Accept"] = accept
        sent.update(headers or {})
        body = content.encode("utf-8") if isinstance(content, str) else content
        try:
            response = self._client.request(method, url, content=body, headers=sent)
        except httpx.HTTPError as error:
            evidence = Evidence(
                method,
                url,
                redacted(sent),
                excerpt(body),
                None,
                {},
                "",
                f"transport error: {error}",
            )
            with self._lock:
                self.log.append(evidence)
            raise BrokerUnreachable(str(error), evidence) from error
        evidence = Evidence(
            method=method,
            url=url,
            request_headers=redacted(sent),
            request_body=excerpt(body),
            status=response.status_code,
            response_headers=redacted(dict(response.headers)),
            response_body=excerpt(response.content),
        )
        answer = Answer(response, evidence)
        if record:
            with self._lock:
                self.log.append(evidence)
                self.answers.append(answer)
        return answer

    def get(self, target: str, *, accept: str | None = "application/json") -> Answer:
        return self.request("GET", target, accept=accept)

    def post(
        self,
        target: str,
        document: Any,
        *,
        fmt: str = "json",
        accept: str | None = "application/json",
        content_type: str | None = None,
    ) -> Answer:
        """POST a document serialised as ``fmt`` (yaml, json, xml), with its Content-Type."""
        body = codec.encode(document, fmt)
        return self.request(
            "POST",
            target,
            content=body,
            accept=accept,
            content_type=MEDIA[fmt] if content_type is None else content_type,
        )

    def follow(self, answer: Answer, *, accept: str | None = "application/json") -> Answer:
        """Follow a 303 See Other by hand, only within the broker's origin."""
        if answer.status != 303:
            return answer
        location = answer.headers.get("location")
        if not location:
            return answer
        return self.get(urljoin(str(answer.response.url), location), accept=accept)


class BrokerUnreachable(RuntimeError):
    """The broker did not answer at all (connection refused, timeout)."""

    def __init__(self, message: str, evidence: Evidence) -> None:
        super().__init__(message)
        self.evidence = evidence
