"""Data staging: download a data resource's URL into a session's directory before it runs.

Kept apart from the engine adapters because any platform that stages data needs the same
guards: only http and https, a size limit (a resource must not fill the host's disk), a
time limit, and by default no private, loopback or link-local addresses, so that a request
cannot make the broker fetch from its own network (server-side request forgery). Redirects
are followed by hand, so that each hop passes the same address check.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class StagingError(Exception):
    """The data could not be staged; the message is shown to the user."""


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be staged, or None. Resolves the host name (blocking)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        return f"only http and https locations can be staged, not {parts.scheme or 'none'!r}"
    host = parts.hostname
    if not host:
        return f"the location {url} has no host"
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as problem:
        return f"the host of {url} cannot be resolved ({problem})"
    if allow_private:
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return (f"the host of {url} is a private or local address ({address}); this "
                    "platform only stages data from public addresses")
    return None


def file_name(url: str, fallback: str) -> str:
    """The name the downloaded file gets: the URL's last path segment when it is a safe
    file name, else ``fallback`` (the data resource's name)."""
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last if _SAFE_NAME.fullmatch(last) and last not in (".", "..") else fallback


def download(url: str, target: Path, *, limit: int, timeout: float,
             allow_private: bool) -> int:
    """Fetch ``url`` into the file ``target`` (replaced atomically); the number of bytes.

    Refuses more than ``limit`` bytes, whatever the server announces. Blocking: call it in
    a thread.
    """
    part = target.with_name(target.name + ".part")
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            problem = url_problem(current, allow_private=allow_private)
            if problem:
                raise StagingError(problem)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise StagingError(
                            f"downloading {current} failed: HTTP {response.status_code}")
                    announced = response.headers.get("content-length", "")
                    if announced.isdigit() and int(announced) > limit:
                        raise StagingError(
                            f"{current} is {announced} bytes, more than the {limit} bytes allowed")
                    size = 0
                    with part.open("wb") as sink:
                        for chunk in response.iter_bytes(65536):
                            size += len(chunk)
                            if size > limit:
                                raise StagingError(
                                    f"{current} is more than the {limit} bytes allowed")
                            sink.write(chunk)
                    os.replace(part, target)
                    return size
            except httpx.HTTPError as problem:
                raise StagingError(f"downloading {current} failed: {problem}") from None
            finally:
                part.unlink(missing_ok=True)
    raise StagingError(f"{url}: more than {MAX_REDIRECTS} redirects")
