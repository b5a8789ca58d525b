"""Reading a request body with a size limit enforced while reading.

A client that declares a large ``Content-Length``, or streams more than the limit without
declaring it, is refused with 413 as soon as that is known: the broker never buffers more
than ``limit`` bytes of a body.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from ..service.errors import Problem
from ..service.messages import error


def too_large(limit: int) -> Problem:
    return Problem(
        413,
        "Content Too Large",
        [error("The request body is larger than {limit} bytes", path="", limit=limit)],
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 problem once it passes ``limit`` bytes."""
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
