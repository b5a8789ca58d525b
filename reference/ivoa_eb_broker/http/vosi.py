"""VOSI 1.1 endpoints: ``/availability`` (is the broker up, are its engines?) and
``/capabilities`` (what it is and supports). Both answer XML (``text/xml``, as VOSI asks)
whatever ``Accept`` says; the documents are built by :mod:`ivoa_eb_broker.service.vosi`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..service import vosi

MEDIA_TYPE = "text/xml; charset=utf-8"


async def availability(request: Request) -> Response:
    """200 with ``available`` false (and a note naming the engine) when a platform is down:
    the resource itself is up; what it reports is the service's state."""
    state = request.app.state
    results = await vosi.check_health(state.broker.fleet)
    return Response(vosi.availability(results, state.up_since), media_type=MEDIA_TYPE)


async def capabilities(request: Request) -> Response:
    state = request.app.state
    context = state.context
    head = getattr(state, "head", None)  # a head broker names its EB-Via id (FED-14)
    body = vosi.capabilities(state.broker.fleet, context.base(request), state.registry,
                             head.id if head is not None else None)
    return Response(body, media_type=MEDIA_TYPE)
