"""Reading a request body with a size limit and a deadline enforced while reading.

A client that declares a large ``Content-Length``, or streams more than the limit without
declaring it, is refused with 413 as soon as that is known: the broker never buffers more
than ``limit`` bytes of a body. A body that has not arrived within ``timeout`` seconds (a
slow sender, a chunked body that stalls) is refused with 408, which closes the connection.
"""

from __future__ import annotations

import anyio
from starlette.requests import ClientDisconnect, Request

from ..service.errors import Problem
from ..service.messages import error


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Content Too Large",
        [error("The request body is larger than {limit} bytes", path="", limit=limit)],
    )


def too_slow(timeout: float) -> Problem:
    return Problem(
        408,
        "Request Timeout",
        [error("The request body did not arrive within {timeout} seconds", path="",
               timeout=f"{timeout:g}")],
    )


async def read_body(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The whole body, or a 413 problem once it passes ``limit`` bytes, or a 408 problem
    when it is not all there after ``timeout`` seconds."""
    if timeout is None:
        return await _read(request, limit)
    with anyio.move_on_after(timeout) as scope:
        return await _read(request, limit)
    if scope.cancelled_caught:
        raise too_slow(timeout)
    raise AssertionError("unreachable")


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large(limit)
        except ValueError:
            raise Problem(
                400,
                "Bad Request",
                [error("The Content-Length header is not a number", path="")],
            ) from None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Problem(
            400, "Bad Request", [error("The client disconnected before the body ended", path="")]
        ) from None
    return b"".join(chunks)
