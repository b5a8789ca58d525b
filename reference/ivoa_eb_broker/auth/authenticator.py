"""Asking the enabled methods who a request comes from, and what to answer when nobody.

Credentials that are present but wrong are refused (401), never treated as anonymous: a
client that meant to authenticate learns that it failed. No credentials at all is anonymous,
which a deployment with ``required = true`` refuses (401) and one with ``required = false``
serves. Every 401 carries one ``WWW-Authenticate`` challenge per enabled method (AuthVO).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import anyio.to_thread
import httpx
import structlog

from ..service.ownership import Identity
from .bearer import TokenError, TokenVerifier
from .passwords import PasswordFile
from .settings import AuthSettings

log = structlog.get_logger("ivoa_eb_broker.auth")


@dataclass
class Unauthenticated(Exception):
    """No acceptable identity: ``reason`` for the ErrorResponse (never the credentials)."""

    reason: str


class Authenticator:
    """The methods of one deployment, asked in the order the configuration lists them."""

    def __init__(self, settings: AuthSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._passwords = PasswordFile(settings.basic.password_file) if settings.basic else None
        self._tokens = TokenVerifier(settings.bearer, http) if settings.bearer else None

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def close(self) -> None:
        if self._tokens is not None:
            await self._tokens.close()

    def _named(self, name: str, method: str) -> Identity:
        return Identity(name, method, name in self.settings.operators)

    async def identify(self, headers: Mapping[str, str], client: str | None) -> Identity | None:
        """The caller's identity; ``None`` when it sent no credentials; :class:`Unauthenticated`
        when it sent some that do not verify."""
        if not self.enabled:
            return None
        authorization = headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        scheme = scheme.lower()
        if authorization:
            if scheme == "basic" and self._passwords is not None:
                return await self._basic(credentials.strip())
            if scheme == "bearer" and self._tokens is not None:
                return await self._bearer(credentials.strip())
            raise Unauthenticated(f"The authorization scheme {scheme[:20]!r} is not accepted "
                                  "here; see the WWW-Authenticate challenges")
        proxy = self.settings.proxy
        if proxy is not None and proxy.header.lower() in headers:
            if client is None or not _trusted(client, proxy.trusted):
                log.warning("identity header from an untrusted address ignored", client=client)
                return None
            name = headers[proxy.header.lower()].strip()
            if name:
                return self._named(name, "proxy")
        return None

    async def _basic(self, credentials: str) -> Identity:
        try:
            text = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("The Basic credentials are not base64 of name:password"
                                  ) from None
        name, colon, password = text.partition(":")
        if not colon or not name:
            raise Unauthenticated("The Basic credentials are not base64 of name:password")
        assert self._passwords is not None
        # argon2 is slow on purpose: off the event loop.
        if not await anyio.to_thread.run_sync(self._passwords.verify, name, password):
            raise Unauthenticated("The name or password is wrong")
        return self._named(name, "basic")

    async def _bearer(self, token: str) -> Identity:
        assert self._tokens is not None and self.settings.bearer is not None
        try:
            claims = await self._tokens.verify(token)
        except TokenError as problem:
            raise Unauthenticated(f"The bearer token is refused: {problem}") from None
        name = claims.get(self.settings.bearer.name_claim)
        if not isinstance(name, str) or not name:
            raise Unauthenticated("The bearer token names nobody")
        return self._named(name, "bearer")

    def challenges(self, base_url: str) -> list[str]:
        """One ``WWW-Authenticate`` challenge per enabled method (RFC 9110, AuthVO)."""
        realm = self.settings.realm
        found = []
        for method in self.settings.methods:
            if method == "basic":
                found.append(f'Basic realm="{realm}"')
            elif method == "bearer":
                found.append(f'Bearer realm="{realm}", resource_metadata='
                             f'"{base_url}/.well-known/oauth-protected-resource"')
            elif method == "proxy":
                proxy = self.settings.proxy
                if proxy is not None and proxy.access_url:
                    found.append(f'ivoa_x509 standard_id="{proxy.standard_id}", '
                                 f'access_url="{proxy.access_url}"')
                else:
                    found.append("ivoa_x509")
        return found

    def resource_metadata(self, base_url: str) -> dict[str, object]:
        """The OAuth protected resource metadata (RFC 9728) a bearer challenge points to."""
        bearer = self.settings.bearer
        return {
            "resource": base_url,
            "authorization_servers": [bearer.issuer] if bearer else [],
            "bearer_methods_supported": ["header"],
            "resource_name": "IVOA ExecutionBroker",
        }


def _trusted(client: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
             ) -> bool:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in network for network in networks)
