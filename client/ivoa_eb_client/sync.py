"""The blocking client: :class:`Client`, and the offer sets, offers and sessions it returns."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
from ivoa_eb_spec.model import ExecutionSession, OfferSetResponse, SessionList

from . import wire
from .credentials import Token, auth_of
from .views import OfferSetView, SessionView, wanted


class Session(SessionView):
    """A session of a broker; :meth:`refresh` reads it again."""

    def __init__(self, client: Client, model: Any) -> None:
        self.client = client
        self.issue_warnings = client.issue_warnings
        super().__init__(model)

    def refresh(self) -> Session:
        """Read the session again from its broker; ``self``."""
        self._take(self.client._get(self.url, ExecutionSession))
        return self

    def update(self, phase: str) -> Session:
        """Ask the broker to move the session to ``phase``; ``self`` as answered."""
        self._take(self.client._update(self.url, phase))
        return self

    def cancel(self) -> Session:
        return self.update("CANCELLED")

    def wait(self, until: Iterable[str] | str | None = None, timeout: float = 600,
             poll: float = 1.0) -> Session:
        """Wait until the session's phase is in ``until`` (default: COMPLETED, FAILED or
        CANCELLED) or can no longer change; ``TimeoutError`` after ``timeout`` s.

        Uses the broker's blocking read (``?wait=``, UWS-06) when the broker honours it (its
        answer carries ``EB-Wait``), else reads the session every ``poll`` s."""
        phases = wanted(until)
        deadline = time.monotonic() + timeout
        while self.phase not in phases and not self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"session {self.url} is still {self.phase} after "
                                   f"{timeout} s (waiting for {sorted(phases)})")
            if self.client.blocking is not False and left >= 1:
                seconds = min(int(left), self.client._wait_bound())
                model, headers = self.client._exchange(
                    "GET", wire.wait_url(self.url, seconds, str(self.phase)), ExecutionSession)
                self._take(model)
                self.client.blocking = wire.WAIT_HEADER in headers
                if self.client.blocking:
                    continue
            time.sleep(min(poll, max(left, 0.0)))
            self.refresh()
        return self


class Offer(Session):
    """An offer: a session in phase OFFERED, until it is accepted or rejected."""

    def accept(self) -> Session:
        """Accept the offer (its siblings are rejected); the session, now ACCEPTED."""
        return self.update("ACCEPTED")

    def reject(self) -> Session:
        return self.update("REJECTED")


class OfferSet(OfferSetView):
    """A broker's answer to a request."""

    def __init__(self, client: Client, model: OfferSetResponse) -> None:
        self.client = client
        self.issue_warnings = client.issue_warnings
        super().__init__(model)

    def _take(self, model: OfferSetResponse) -> None:
        super()._take(model)
        self.offers: list[Offer] = [Offer(self.client, m) for m in model.offers or []]

    def refresh(self) -> OfferSet:
        """Read the offer set again (each offer in its current phase); ``self``."""
        self._take(self.client._get(self.url, OfferSetResponse))
        return self


class Client:
    """A broker at ``url``, spoken to in ``media_type`` (YAML, JSON or XML).

    ``auth`` is anything httpx takes (``("user", "password")`` for basic); ``token`` sends
    ``Authorization: Bearer <token>``, and may be a callable that returns a fresh token (asked
    before every request and again after a 401); ``headers`` go with every call.
    """

    def __init__(self, url: str, media_type: str = "application/yaml", auth: Any = None,
                 timeout: float = 30, *, token: Token | None = None,
                 headers: Mapping[str, str] | None = None,
                 issue_warnings: bool = True,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.media_type = wire.media_type_of(media_type)
        #: False: WARN messages are only kept on the objects (``.warnings``), not issued.
        self.issue_warnings = issue_warnings
        extra = dict(headers or {})
        self._http = httpx.Client(auth=auth_of(auth, token), timeout=timeout, headers=extra,
                                  transport=transport)
        #: Whether the broker honours the blocking read (None: not known yet; False: poll).
        self.blocking: bool | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the five operations --------------------------------------------------------------

    def request(self, request: wire.RequestLike,
                headers: Mapping[str, str] | None = None) -> OfferSet:
        """``POST /requests``: where and when can this run? The offer set (YES or NO)."""
        body = wire.request_body(request, self.media_type)
        model = self._send("POST", f"{self.url}/requests", OfferSetResponse, body, headers)
        return OfferSet(self, model)

    def direct(self, request: wire.RequestLike,
               headers: Mapping[str, str] | None = None) -> Session:
        """``POST /direct``: run this at the first possible offer; the session, ACCEPTED."""
        body = wire.request_body(request, self.media_type)
        return Session(self, self._send("POST", f"{self.url}/direct", ExecutionSession,
                                        body, headers))

    def offer_set(self, url_or_uuid: str) -> OfferSet:
        """``GET /offersets/{uuid}``."""
        url = wire.address(self.url, "offersets", url_or_uuid)
        return OfferSet(self, self._get(url, OfferSetResponse))

    def session(self, url_or_uuid: str) -> Session:
        """``GET /sessions/{uuid}``."""
        url = wire.address(self.url, "sessions", url_or_uuid)
        return Session(self, self._get(url, ExecutionSession))

    def update(self, url_or_uuid: str, phase: str) -> Session:
        """``POST /sessions/{uuid}``: move a session to ``phase``."""
        url = wire.address(self.url, "sessions", url_or_uuid)
        return Session(self, self._update(url, phase))

    def sessions(self, phase: Iterable[str] | str | None = None,
                 after: datetime | str | None = None, before: datetime | str | None = None,
                 limit: int | None = None) -> Iterator[Session]:
        """``GET /sessions``: the caller's sessions (offers included), oldest first, filtered
        by phase and by creation time (strictly after ``after``, before ``before``); the pages
        of at most ``limit`` are read one by one as the iteration needs them (UWS-01..04)."""
        url: str | None = wire.listing_url(self.url, phase, after, before, limit)
        while url is not None:
            page: SessionList = self._get(url, SessionList)
            yield from (Session(self, model) for model in page.sessions)
            url = str(page.next) if page.next else None

    # --- sending --------------------------------------------------------------------------

    def _get(self, url: str, model: Any) -> Any:
        return self._send("GET", url, model)

    def _update(self, url: str, phase: str) -> Any:
        return self._send("POST", url, ExecutionSession,
                          wire.update_body(phase, self.media_type))

    def _wait_bound(self) -> int:
        return wire.wait_bound(self._http.timeout.read)

    def _send(self, method: str, url: str, model: Any, body: wire.Body | None = None,
              headers: Mapping[str, str] | None = None) -> Any:
        return self._exchange(method, url, model, body, headers)[0]

    def _exchange(self, method: str, url: str, model: Any, body: wire.Body | None = None,
                  headers: Mapping[str, str] | None = None) -> tuple[Any, httpx.Headers]:
        """The model of the answer, and the answer's headers."""
        try:
            response = self._http.request(
                method, url, content=body.content if body else None,
                headers=wire.headers(self.media_type, body, headers))
        except httpx.HTTPError as problem:
            raise wire.transport_error(problem, url) from problem
        return wire.answer(response.status_code, response.headers.get("content-type"),
                           response.content, url, model), response.headers
