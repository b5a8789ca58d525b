"""The five operations of the interface, plus the spec files and a health check.

Each handler negotiates first (so that even its errors come in a type the client reads),
reads the body within the size limit, hands the document to the service, and answers. A
:class:`~ivoa_eb_broker.service.errors.Problem` anywhere becomes an ErrorResponse.
"""

from __future__ import annotations

import functools
import uuid as uuids
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..auth import Authenticator
from ..service import intake, waiting
from ..service.broker import Broker
from ..service.errors import Problem, not_found
from ..service.messages import error
from . import render
from .body import read_body
from .identity import identify, stamp
from .negotiation import Answer, answer_format, body_format

#: Bodies up to this size (an update is about 60 bytes) are read on the event loop.
INLINE_BODY = 4096


@dataclass(frozen=True)
class Context:
    """What the handlers share: the service, the body limit, the public base URL and the
    deployment's authentication (``None``: none)."""

    broker: Broker
    body_limit: int
    public_url: str = ""
    body_timeout: float | None = None
    auth: Authenticator | None = None

    def base(self, request: Request) -> str:
        """The base of absolute URLs in answers: configured, else the request's own."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return str(request.base_url).rstrip("/")


Handler = Callable[[Request, Context, Answer], Awaitable[Response]]


def negotiated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: choose the answer type, establish who asks (``request.state.identity``),
    and render any problem as an ErrorResponse."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        context: Context = request.app.state.context
        chosen: Answer | None = None
        identity = None
        try:
            chosen = answer_format(request.headers.get("accept"))
            identity = await identify(request, context.auth)
            request.state.identity = identity
            response = await handler(request, context, chosen)
        except Problem as failure:
            response = render.problem(failure, chosen)
        return stamp(response, request, context.auth, identity, context.base(request))

    return endpoint


def _uuid(request: Request, what: str) -> str:
    text = request.path_params["uuid"]
    try:
        return str(uuids.UUID(text))
    except ValueError:
        raise not_found(
            [error("There is no {what} with uuid {uuid}", path="", what=what, uuid=text[:100])]
        ) from None


async def _request_body(request: Request, context: Context) -> intake.Received:
    declared = request.headers.get("content-type")
    media_type = body_format(declared)
    body = await read_body(request, context.body_limit, context.body_timeout)
    return await anyio.to_thread.run_sync(
        intake.request, body, media_type, (declared or str(media_type)).strip()
    )


@negotiated
async def post_requests(request: Request, context: Context, chosen: Answer) -> Response:
    received = await _request_body(request, context)
    caller = request.state.identity
    base = context.base(request)
    offerset, document = await context.broker.offer(received, base, caller=caller)
    return render.answer(
        document, chosen, render.OFFERSET, headers={"Location": f"{base}/offersets/{offerset}"}
    )


@negotiated
async def post_direct(request: Request, context: Context, chosen: Answer) -> Response:
    received = await _request_body(request, context)
    caller = request.state.identity
    session = await context.broker.direct(received, caller)
    base = context.base(request)
    document = await context.broker.session(session, base, caller)
    return render.answer(
        document, chosen, render.SESSION, headers={"Location": f"{base}/sessions/{session}"}
    )


@negotiated
async def get_offerset(request: Request, context: Context, chosen: Answer) -> Response:
    uuid = _uuid(request, "offer set")
    document = await context.broker.offerset(uuid, context.base(request),
                                             request.state.identity)
    return render.answer(document, chosen, render.OFFERSET)


@negotiated
async def get_session(request: Request, context: Context, chosen: Answer) -> Response:
    uuid = _uuid(request, "session")
    base, caller = context.base(request), request.state.identity
    wait = waiting.parse_wait(request.query_params.multi_items())  # UWS-06, with ?wait=
    if wait is None:
        document = await context.broker.session(uuid, base, caller)
        return render.answer(document, chosen, render.SESSION)
    document = await context.broker.waited(uuid, base, caller, wait)
    return render.answer(document, chosen, render.SESSION,
                         headers={waiting.HEADER: str(wait.seconds)})


@negotiated
async def post_session(request: Request, context: Context, chosen: Answer) -> Response:
    uuid = _uuid(request, "session")
    media_type = body_format(request.headers.get("content-type"))
    body = await read_body(request, context.body_limit, context.body_timeout)
    if len(body) <= INLINE_BODY:  # a thread hop would cost more than reading it
        update, warnings = intake.update(body, media_type)
    else:
        update, warnings = await anyio.to_thread.run_sync(intake.update, body, media_type)
    caller = request.state.identity
    base = context.base(request)
    document = await context.broker.update(uuid, update, warnings, caller, base)
    if document is None:  # the platform's hold failed after the update: as it is now
        document = await context.broker.session(uuid, base, caller)
    return render.answer(document, chosen, render.SESSION)


async def health(request: Request) -> Response:
    """Liveness: answers without touching the database (the benchmark's ceiling)."""
    return JSONResponse({"status": "ok"})
