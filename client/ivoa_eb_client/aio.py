"""The ``async`` client: :class:`AsyncClient`, mirroring :class:`~.sync.Client` call for call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
from ivoa_eb_spec.model import ExecutionSession, OfferSetResponse, SessionList

from . import wire
from .credentials import Token, auth_of
from .views import OfferSetView, SessionView, wanted


class AsyncSession(SessionView):
    """A session of a broker; ``await refresh()`` reads it again."""

    def __init__(self, client: AsyncClient, model: Any) -> None:
        self.client = client
        self.issue_warnings = client.issue_warnings
        super().__init__(model)

    async def refresh(self) -> AsyncSession:
        self._take(await self.client._get(self.url, ExecutionSession))
        return self

    async def update(self, phase: str) -> AsyncSession:
        self._take(await self.client._update(self.url, phase))
        return self

    async def cancel(self) -> AsyncSession:
        return await self.update("CANCELLED")

    async def wait(self, until: Iterable[str] | str | None = None, timeout: float = 600,
                   poll: float = 1.0) -> AsyncSession:
        """As :meth:`ivoa_eb_client.Session.wait` (the blocking read when the broker honours
        it, else polling), without blocking the event loop."""
        phases = wanted(until)
        deadline = time.monotonic() + timeout
        while self.phase not in phases and not self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"session {self.url} is still {self.phase} after "
                                   f"{timeout} s (waiting for {sorted(phases)})")
            if self.client.blocking is not False and left >= 1:
                seconds = min(int(left), self.client._wait_bound())
                model, headers = await self.client._exchange(
                    "GET", wire.wait_url(self.url, seconds, str(self.phase)), ExecutionSession)
                self._take(model)
                self.client.blocking = wire.WAIT_HEADER in headers
                if self.client.blocking:
                    continue
            await asyncio.sleep(min(poll, max(left, 0.0)))
            await self.refresh()
        return self


class AsyncOffer(AsyncSession):
    """An offer: a session in phase OFFERED, until it is accepted or rejected."""

    async def accept(self) -> AsyncSession:
        return await self.update("ACCEPTED")

    async def reject(self) -> AsyncSession:
        return await self.update("REJECTED")


class AsyncOfferSet(OfferSetView):
    """A broker's answer to a request."""

    def __init__(self, client: AsyncClient, model: OfferSetResponse) -> None:
        self.client = client
        self.issue_warnings = client.issue_warnings
        super().__init__(model)

    def _take(self, model: OfferSetResponse) -> None:
        super()._take(model)
        self.offers: list[AsyncOffer] = [AsyncOffer(self.client, m) for m in model.offers or []]

    async def refresh(self) -> AsyncOfferSet:
        self._take(await self.client._get(self.url, OfferSetResponse))
        return self


class AsyncClient:
    """The ``async`` form of :class:`ivoa_eb_client.Client`, same arguments."""

    def __init__(self, url: str, media_type: str = "application/yaml", auth: Any = None,
                 timeout: float = 30, *, token: Token | None = None,
                 headers: Mapping[str, str] | None = None,
                 issue_warnings: bool = True,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.media_type = wire.media_type_of(media_type)
        #: False: WARN messages are only kept on the objects (``.warnings``), not issued.
        self.issue_warnings = issue_warnings
        extra = dict(headers or {})
        self._http = httpx.AsyncClient(auth=auth_of(auth, token), timeout=timeout, headers=extra,
                                       transport=transport)
        #: Whether the broker honours the blocking read (None: not known yet; False: poll).
        self.blocking: bool | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, value: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, request: wire.RequestLike,
                      headers: Mapping[str, str] | None = None) -> AsyncOfferSet:
        body = wire.request_body(request, self.media_type)
        model = await self._send("POST", f"{self.url}/requests", OfferSetResponse, body,
                                 headers)
        return AsyncOfferSet(self, model)

    async def direct(self, request: wire.RequestLike,
                     headers: Mapping[str, str] | None = None) -> AsyncSession:
        body = wire.request_body(request, self.media_type)
        return AsyncSession(self, await self._send("POST", f"{self.url}/direct",
                                                   ExecutionSession, body, headers))

    async def offer_set(self, url_or_uuid: str) -> AsyncOfferSet:
        url = wire.address(self.url, "offersets", url_or_uuid)
        return AsyncOfferSet(self, await self._get(url, OfferSetResponse))

    async def session(self, url_or_uuid: str) -> AsyncSession:
        url = wire.address(self.url, "sessions", url_or_uuid)
        return AsyncSession(self, await self._get(url, ExecutionSession))

    async def update(self, url_or_uuid: str, phase: str) -> AsyncSession:
        url = wire.address(self.url, "sessions", url_or_uuid)
        return AsyncSession(self, await self._update(url, phase))

    async def sessions(self, phase: Iterable[str] | str | None = None,
                       after: datetime | str | None = None,
                       before: datetime | str | None = None,
                       limit: int | None = None) -> AsyncIterator[AsyncSession]:
        """As :meth:`ivoa_eb_client.Client.sessions`: ``async for session in ...``."""
        url: str | None = wire.listing_url(self.url, phase, after, before, limit)
        while url is not None:
            page: SessionList = await self._get(url, SessionList)
            for model in page.sessions:
                yield AsyncSession(self, model)
            url = str(page.next) if page.next else None

    def _wait_bound(self) -> int:
        return wire.wait_bound(self._http.timeout.read)

    async def _get(self, url: str, model: Any) -> Any:
        return await self._send("GET", url, model)

    async def _update(self, url: str, phase: str) -> Any:
        return await self._send("POST", url, ExecutionSession,
                                wire.update_body(phase, self.media_type))

    async def _send(self, method: str, url: str, model: Any, body: wire.Body | None = None,
                    headers: Mapping[str, str] | None = None) -> Any:
        return (await self._exchange(method, url, model, body, headers))[0]

    async def _exchange(self, method: str, url: str, model: Any,
                        body: wire.Body | None = None,
                        headers: Mapping[str, str] | None = None) -> tuple[Any, httpx.Headers]:
        try:
            response = await self._http.request(
                method, url, content=body.content if body else None,
                headers=wire.headers(self.media_type, body, headers))
        except httpx.HTTPError as problem:
            raise wire.transport_error(problem, url) from problem
        return wire.answer(response.status_code, response.headers.get("content-type"),
                           response.content, url, model), response.headers
