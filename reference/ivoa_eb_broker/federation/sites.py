"""The sites a head broker asks: a child broker over HTTP, or this broker's own platforms.

Both answer the same three questions (offers for a request, a session as it is now, a
phase change) with documents, and fail with :class:`SiteError`, so the head treats a child
and its own platforms alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivoa_eb_client import AsyncClient, BrokerError
from ivoa_eb_spec.vocabulary import load_kinds

from ..service.broker import Broker
from ..service.context import Received
from ..service.errors import Problem
from ..service.fleet import kinds_used
from .settings import Child
from .via import HEADER


class SiteError(Exception):
    """A site refused (``status`` 4xx/5xx, its messages) or did not answer (``status`` None)."""

    def __init__(self, status: int | None, title: str,
                 messages: list[dict[str, Any]] | None = None) -> None:
        self.status = status
        self.title = title
        self.messages = messages or []
        super().__init__(title)

    @property
    def reason(self) -> str:
        """One line saying what went wrong, for a message of the head."""
        said = "; ".join(str(m.get("message", "")) for m in self.messages[:3] if m)
        head = f"{self.status} {self.title}" if self.status is not None else self.title
        return f"{head}: {said}" if said else head


@dataclass
class SiteAnswer:
    """A site's answer to a request: its offers (each with the address of the session at
    the site) and its messages."""

    site: str
    result: str
    offers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


class Site(Protocol):
    name: str

    def takes(self, request: Mapping[str, Any]) -> bool: ...
    async def offers(self, received: Received, via: str, count: int) -> SiteAnswer: ...
    async def read(self, target: str) -> dict[str, Any]: ...
    async def update(self, target: str, phase: str) -> dict[str, Any]: ...
    async def close(self) -> None: ...


def _takes(kinds: frozenset[str] | None, request: Mapping[str, Any]) -> bool:
    """Whether a site with routing hints ``kinds`` may be asked: for each family the hints
    name, every kind of that family in the request is among them."""
    if kinds is None:
        return True
    families = {kind.uri: kind.family for kind in load_kinds()}
    hinted = {families.get(k) for k in kinds}
    return all(kind in kinds for family, _, kind in kinds_used(request) if family in hinted)


class RemoteSite:
    """A child broker, through the typed async client."""

    def __init__(self, child: Child) -> None:
        self.name = child.name
        self.child = child
        auth = (child.username, child.password) if child.username is not None else None
        self.client = AsyncClient(child.url, auth=auth, token=child.token,
                                  timeout=child.timeout, issue_warnings=False)

    def takes(self, request: Mapping[str, Any]) -> bool:
        return _takes(self.child.kinds, request)

    async def offers(self, received: Received, via: str, count: int) -> SiteAnswer:
        answer = await self._call(self.client.request(received.document,
                                                      headers={HEADER: via}))
        return SiteAnswer(
            self.name, answer.result,
            [(offer.url, offer.model.to_document()) for offer in answer.offers],
            [m.to_document() for m in answer.messages],
        )

    async def read(self, target: str) -> dict[str, Any]:
        return (await self._call(self.client.session(target))).model.to_document()

    async def update(self, target: str, phase: str) -> dict[str, Any]:
        return (await self._call(self.client.update(target, phase))).model.to_document()

    async def _call(self, call: Any) -> Any:
        try:
            # The client's timeout bounds each read; this bounds the whole answer.
            return await asyncio.wait_for(call, self.child.timeout)
        except TimeoutError:
            raise SiteError(None, f"no answer within {self.child.timeout:g} s") from None
        except BrokerError as problem:
            messages = [m.to_document() for m in problem.messages]
            raise SiteError(problem.status, problem.title, messages) from None

    async def close(self) -> None:
        await self.client.aclose()


class LocalSite:
    """This broker's own platforms, as one more site of the head (``[federation] local``)."""

    def __init__(self, name: str, broker: Broker) -> None:
        self.name = name
        self.broker = broker

    def takes(self, request: Mapping[str, Any]) -> bool:
        return True

    async def offers(self, received: Received, via: str, count: int) -> SiteAnswer:
        try:
            _, document = await self.broker.offer(received, "", count)
        except Problem as problem:
            raise SiteError(problem.status, problem.title, problem.messages) from None
        offers = [(o["meta"]["uuid"], o) for o in document.get("offers", [])]
        return SiteAnswer(self.name, document["result"], offers,
                          list(document.get("meta", {}).get("messages", [])))

    async def read(self, target: str) -> dict[str, Any]:
        try:
            return await self.broker.session(target, "")
        except Problem as problem:
            raise SiteError(problem.status, problem.title, problem.messages) from None

    async def update(self, target: str, phase: str) -> dict[str, Any]:
        from ..service.sessions import ENUM_UPDATE

        try:
            await self.broker.update(target, {"kind": ENUM_UPDATE, "path": "phase",
                                              "value": phase})
        except Problem as problem:
            raise SiteError(problem.status, problem.title, problem.messages) from None
        return await self.read(target)

    async def close(self) -> None:
        return None
