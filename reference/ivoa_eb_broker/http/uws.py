"""GET /sessions over HTTP: the caller's sessions, filtered and paged (UWS-01..UWS-04).

The query is parsed by the service (:mod:`~ivoa_eb_broker.service.listing`); a value that
does not parse is a 400 naming it. (The blocking read, ``?wait=`` on GET /sessions/{uuid},
is the session route's own.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..service import listing
from . import render
from .negotiation import Answer
from .routes import Context, negotiated

#: XML root element of a SessionList.
SESSION_LIST = "session-list"


@negotiated
async def list_sessions(request: Request, context: Context, chosen: Answer) -> Response:
    query = listing.parse_query(request.query_params.multi_items())
    document = await context.broker.sessions_page(query, context.base(request),
                                                  request.state.identity)
    return render.answer(document, chosen, SESSION_LIST)

