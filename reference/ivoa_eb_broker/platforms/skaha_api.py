"""A small asynchronous client of the Skaha session API (CANFAR Science Platform), our own.

Written against the contract in ``tests/platforms/skaha/data/skaha-openapi.yaml`` (Skaha
v0 session API): list (``GET /v0/session``, ``view=stats`` for cores and RAM), create
(``POST /v0/session``, form parameters, the new id as text), get and delete
(``/v0/session/{id}``, ``view=events`` and ``view=logs`` as text). The ``canfar`` client on
PyPI does the same but is AGPL-3.0, which an Apache-2.0 broker cannot require.

Credentials: a bearer token (given, or read from a file on every 401 so that a renewed token
is picked up without a restart) or an X.509 client certificate (PEM with its key). They
travel only in the ``Authorization`` header or the TLS handshake: never in a message, a log
line or a ``repr``.

Retries (tenacity): an answer Skaha documents as temporary (503 Service busy, and 502/504 of
a proxy in front of it) and a connection that could not be made are retried with backoff;
a GET or DELETE also after a connection broken mid-way (both are idempotent). 401 is retried
once after re-reading the token file. Everything else becomes a :class:`SkahaError` whose
message says what Skaha answered in words a user can act on.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

#: Skaha's session types (the contract's SkahaSessionType).
SESSION_TYPES = ("desktop", "carta", "notebook", "headless")
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGTP]?)(i?)[Bb]?\s*")
_POWERS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}
_TEMPORARY = {502, 503, 504}
FORM = "application/x-www-form-urlencoded"


class SkahaError(Exception):
    """Skaha refused or failed a call; the message is for the user (no credentials)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Temporary(Exception):
    """A failure worth another try (503, a connection not made)."""

    def __init__(self, error: SkahaError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Credentials:
    """How the broker authenticates to Skaha: a token, a token file, or a certificate.

    ``repr`` never shows the token.
    """

    token: str = ""
    token_file: str = ""
    certificate: str = ""
    ca_file: str = ""

    def __repr__(self) -> str:
        kinds = [name for name in ("token", "token_file", "certificate") if getattr(self, name)]
        return f"Credentials({', '.join(kinds) or 'none'})"

    def current_token(self) -> str:
        """The token: the configured one, else the token file's content (read now)."""
        if self.token:
            return self.token
        if self.token_file:
            try:
                return Path(self.token_file).read_text("utf-8").strip()
            except OSError as problem:
                raise SkahaError(f"cannot read the Skaha token file {self.token_file}: "
                                 f"{problem.strerror or problem}") from None
        return ""


class _Bearer(httpx.Auth):
    """Adds the bearer token; on 401 re-reads a token file once and tries again."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        token = self.credentials.current_token()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and self.credentials.token_file:
            renewed = self.credentials.current_token()
            if renewed and renewed != token:
                request.headers["Authorization"] = f"Bearer {renewed}"
                yield request


@dataclass(frozen=True)
class Stats:
    """Skaha's ``view=stats``: cores and RAM (GiB) of the cluster and of its largest node."""

    cores_available: int
    cores_requested: int
    largest_cores: int
    ram_available: int
    ram_requested: int
    largest_ram: int

    @classmethod
    def from_answer(cls, value: Any) -> Stats:
        if not isinstance(value, Mapping):
            raise SkahaError("Skaha's statistics are not a JSON object")
        cores = _mapping(value.get("cores"))
        ram = _mapping(value.get("ram"))
        max_cores = _mapping(cores.get("maxCores"))
        max_ram = _mapping(ram.get("maxRAM"))
        largest_cores = _int(max_cores.get("cores"))
        largest_ram = gib(max_ram.get("ram"))
        if largest_ram == 0:
            largest_ram = gib(max_cores.get("withRam"))
        return cls(
            cores_available=_int(cores.get("coresAvailable")),
            cores_requested=_int(cores.get("requestedCPUCores")),
            largest_cores=largest_cores,
            ram_available=gib(ram.get("ramAvailable")),
            ram_requested=gib(ram.get("requestedRAM")),
            largest_ram=largest_ram,
        )


def gib(value: Any) -> int:
    """A Kubernetes-style size (``'226Gi'``, ``'16G'``, ``'101Mi'``, a number of GiB) in
    whole GiB, rounded down; 0 when absent or unreadable."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        return 0
    match = _SIZE.fullmatch(value)
    if not match:
        return 0
    number, prefix = float(match.group(1)), match.group(2)
    if not prefix:
        return int(number)  # Skaha's ram parameter and plain figures are in GB
    # Skaha writes its own GB-sized requests as "16G" and means the same as "16Gi".
    return int(number * 1024 ** _POWERS[prefix] // 1024 ** 3)


class SkahaClient:
    """The session API at ``url`` (e.g. ``https://ws-uv.canfar.net/skaha``)."""

    def __init__(self, url: str, credentials: Credentials, *, api: str = "v0",
                 timeout: float = 30.0, attempts: int = 4, backoff: float = 0.5,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base = url.rstrip("/") + "/" + api.strip("/")
        self.credentials = credentials
        self.attempts = max(1, attempts)
        self.backoff = backoff
        verify: ssl.SSLContext | bool = True
        if credentials.certificate or credentials.ca_file:
            verify = ssl.create_default_context(cafile=credentials.ca_file or None)
            if credentials.certificate:
                try:
                    verify.load_cert_chain(credentials.certificate)
                except (OSError, ssl.SSLError) as problem:
                    raise SkahaError(f"cannot load the Skaha client certificate "
                                     f"{credentials.certificate}: {problem}") from None
        self._http = httpx.AsyncClient(
            timeout=timeout, verify=verify, auth=_Bearer(credentials), transport=transport,
            headers={"User-Agent": "ivoa-eb-broker (skaha platform)"},
        )

    def __repr__(self) -> str:
        return f"SkahaClient({self.base!r}, {self.credentials!r})"

    async def close(self) -> None:
        await self._http.aclose()

    # --- the API ----------------------------------------------------------------------------

    async def stats(self) -> Stats:
        """``GET /session?view=stats``: the cluster's cores and RAM."""
        response = await self._call("GET", "/session", "reading Skaha's statistics",
                                    params={"view": "stats"})
        return Stats.from_answer(_json(response))

    async def sessions(self, session_type: str | None = None) -> list[Mapping[str, Any]]:
        """``GET /session``: the calling user's sessions (of one type)."""
        params = {"type": session_type} if session_type else None
        response = await self._call("GET", "/session", "listing Skaha sessions", params=params)
        found = _json(response)
        if not isinstance(found, list):
            raise SkahaError("Skaha's session list is not a JSON array")
        return [item for item in found if isinstance(item, Mapping)]

    async def create(self, fields: Sequence[tuple[str, str]]) -> str:
        """``POST /session`` with form parameters; the new session's id."""
        response = await self._call("POST", "/session", "creating a Skaha session",
                                    content=urlencode(list(fields)).encode("ascii"),
                                    headers={"Content-Type": FORM}, idempotent=False)
        ident = response.text.strip()
        if not ident or any(c.isspace() for c in ident):
            raise SkahaError("Skaha created a session but answered no usable session id")
        return ident

    async def session(self, ident: str) -> Mapping[str, Any] | None:
        """``GET /session/{id}``; None when Skaha does not know it (404)."""
        try:
            response = await self._call("GET", f"/session/{_quoted(ident)}",
                                        f"reading Skaha session {ident}")
        except SkahaError as problem:
            if problem.status == 404:
                return None
            raise
        found = _json(response)
        if not isinstance(found, Mapping):
            raise SkahaError(f"Skaha's answer for session {ident} is not a JSON object")
        return found

    async def text(self, ident: str, view: str) -> str:
        """``GET /session/{id}?view=events|logs`` as text; empty when unavailable."""
        try:
            response = await self._call("GET", f"/session/{_quoted(ident)}",
                                        f"reading the {view} of Skaha session {ident}",
                                        params={"view": view})
        except SkahaError:
            return ""
        return response.text

    async def delete(self, ident: str) -> bool:
        """``DELETE /session/{id}``; False when it was already gone (404)."""
        try:
            await self._call("DELETE", f"/session/{_quoted(ident)}",
                             f"deleting Skaha session {ident}")
        except SkahaError as problem:
            if problem.status == 404:
                return False
            raise
        return True

    # --- one call, with retries -------------------------------------------------------------

    async def _call(self, method: str, path: str, doing: str, *, idempotent: bool = True,
                    **kwargs: Any) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=10 * max(self.backoff, 0.1)),
            retry=retry_if_exception(lambda e: isinstance(e, _Temporary)),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, doing, idempotent, **kwargs)
        except RetryError as failed:
            last = failed.last_attempt.exception()
            if isinstance(last, _Temporary):
                raise SkahaError(f"{last.error} (after {self.attempts} attempts)",
                                 last.error.status) from None
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, path: str, doing: str, idempotent: bool,
                    **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, self.base + path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as problem:
            raise _Temporary(SkahaError(f"{doing}: cannot reach Skaha at {self.base} "
                                        f"({type(problem).__name__})")) from None
        except httpx.TransportError as problem:
            error = SkahaError(f"{doing}: the connection to Skaha failed "
                               f"({type(problem).__name__})")
            if idempotent:
                raise _Temporary(error) from None
            raise error from None
        if response.status_code < 300:
            return response
        error = SkahaError(f"{doing}: {explain(response)}", response.status_code)
        if response.status_code in _TEMPORARY:
            raise _Temporary(error)
        raise error


def explain(response: httpx.Response) -> str:
    """What a Skaha error answer means, for a user (Skaha's own text where it gives one)."""
    status = response.status_code
    said = _said(response)
    if status == 400:
        return f"Skaha refused the request (400): {said or 'no reason given'}"
    if status == 401:
        return ("Skaha did not accept the broker's credentials (401 Not authenticated): the "
                "token or certificate is missing, wrong or expired; the operator must renew it")
    if status == 403:
        return ("Skaha denied permission (403): the broker's CANFAR account may not do this"
                + (f" ({said})" if said else ""))
    if status == 404:
        return "Skaha does not know it (404 Not found)" + (f": {said}" if said else "")
    if status == 503:
        return "Skaha is busy (503 Service busy)" + (f": {said}" if said else "")
    if status >= 500:
        return f"Skaha failed ({status})" + (f": {said}" if said else "")
    return f"Skaha answered {status}" + (f": {said}" if said else "")


def _said(response: httpx.Response) -> str:
    """Skaha's reason text, short and on one line (never HTML pages)."""
    kind = response.headers.get("content-type", "")
    if "html" in kind:
        return ""
    text = " ".join(response.text.split())
    return text[:300]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SkahaError("Skaha answered something that is not JSON") from None


def _quoted(ident: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", ident):
        raise SkahaError(f"not a Skaha session id: {ident!r}")
    return ident


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return 0
    return 0


__all__ = ["SESSION_TYPES", "Credentials", "SkahaClient", "SkahaError", "Stats", "explain",
           "gib"]
