"""OIDC bearer tokens: JWTs verified against the keys the issuer publishes.

The issuer's discovery document (``/.well-known/openid-configuration``) names its key set
(``jwks_uri``); both are fetched over HTTPS (or loopback HTTP in tests) when first needed, so a
broker starts while its issuer is down. A token is accepted when:

- its header names an algorithm the deployment allows (asymmetric only: ``none`` and HMAC are
  refused, so a public key can never serve as a shared secret) and a key of that type;
- its ``kid`` is in the key set; an unknown ``kid`` fetches the key set again (the issuer may
  have rotated its keys), at most once per ``refresh_interval``;
- the signature verifies, and ``iss``, ``aud``, ``exp`` and ``nbf`` are right within
  ``leeway`` seconds of clock skew (PyJWT does the checking: no cryptography here).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from .settings import BearerSettings

#: The key type each algorithm family needs.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class TokenError(Exception):
    """The token is not acceptable; the message says why without repeating the token."""


class TokenVerifier:
    """Verifies bearer tokens of one issuer for one audience."""

    def __init__(
        self,
        settings: BearerSettings,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self._clock = clock
        self._keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}
        self._jwks_uri: str | None = None
        self._fetched_at: float | None = None
        self._forced_at: float | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        await self._http.aclose()

    async def _discover(self) -> str:
        if self._jwks_uri is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            document = await self._get_json(url, "discovery document")
            if document.get("issuer", "").rstrip("/") != self.settings.issuer:
                raise TokenError("the issuer's discovery document names another issuer")
            uri = document.get("jwks_uri")
            if not isinstance(uri, str) or not uri:
                raise TokenError("the issuer's discovery document has no jwks_uri")
            self._jwks_uri = uri
        return self._jwks_uri

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            answer = await self._http.get(url, headers={"Accept": "application/json"})
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as problem:
            raise TokenError(f"the issuer's {what} could not be read: {type(problem).__name__}"
                             ) from None
        if not isinstance(document, dict):
            raise TokenError(f"the issuer's {what} is not a JSON object")
        return document

    async def _refresh(self, force: bool) -> None:
        """Fetch the key set when there is none; with ``force`` (an unknown ``kid``) again,
        unless an unknown ``kid`` already caused a fetch less than ``refresh_interval`` ago."""
        async with self._lock:
            now = self._clock()
            if self._fetched_at is not None:
                if not force:
                    return
                if (self._forced_at is not None
                        and now - self._forced_at < self.settings.refresh_interval):
                    return
                self._forced_at = now
            document = await self._get_json(await self._discover(), "key set")
            keys: dict[str, tuple[jwt.PyJWK, str | None]] = {}
            for data in document.get("keys", []):
                if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                    continue
                try:
                    key = jwt.PyJWK.from_dict(data)
                except (jwt.PyJWKError, jwt.InvalidKeyError):
                    continue
                keys[str(data.get("kid", ""))] = (key, data.get("alg"))
            self._keys, self._fetched_at = keys, now

    async def _key(self, kid: str) -> tuple[jwt.PyJWK, str | None]:
        await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        try:
            return self._keys[kid]
        except KeyError:
            raise TokenError("the token's key (kid) is not among the issuer's keys") from None

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or :class:`TokenError`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenError("the token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self.settings.algorithms:
            raise TokenError(f"the token's algorithm {str(algorithm)[:20]!r} is not accepted")
        key, declared = await self._key(str(header.get("kid", "")))
        if key.key_type != _KEY_TYPES.get(algorithm[:2]):
            raise TokenError("the token's algorithm does not fit the type of its key")
        if declared and declared != algorithm:
            raise TokenError("the token's algorithm is not the one its key is for")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": ["exp", "iss", "aud", self.settings.name_claim]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenError("the token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise TokenError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise TokenError("the token is from another issuer") from None
        except jwt.MissingRequiredClaimError as problem:
            raise TokenError(f"the token has no {problem.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise TokenError("the token's signature does not verify") from None
        except jwt.InvalidTokenError as problem:
            raise TokenError(f"the token is invalid: {type(problem).__name__}") from None
