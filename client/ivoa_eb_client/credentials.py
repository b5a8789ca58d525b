"""Credentials the client sends: a fixed bearer token, or one a callable renews.

``token`` may be a string, or a callable that returns the current token (for instance one that
refreshes an OIDC access token before it expires); the callable is asked before every request,
and once more after a 401, so an expired token is replaced without the caller noticing.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import httpx

Token = str | Callable[[], str]


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>``; with a callable, a fresh token after a 401."""

    def __init__(self, token: Token) -> None:
        self._token = token

    def _current(self) -> str:
        return self._token() if callable(self._token) else self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._current()}"
        response = yield request
        if response.status_code == 401 and callable(self._token):
            request.headers["Authorization"] = f"Bearer {self._current()}"
            yield request


def auth_of(auth: object, token: Token | None) -> object:
    """What httpx is given: ``auth`` as it is, or the bearer token (not both)."""
    if token is not None and auth is not None:
        raise ValueError("give auth or token, not both")
    return BearerToken(token) if token is not None else auth
