"""Authentication at the HTTP edge: who asks, the 401 with challenges, X-VO-Authenticated.

The operations call :func:`identify` before anything else; the identity goes to the service,
which records it as the owner of what is created and checks it on every later read and
update. Answers to an authenticated caller carry ``X-VO-Authenticated`` with its name; a
401 carries one ``WWW-Authenticate`` challenge per enabled method (AuthVO).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..auth import Authenticator, Identity, Unauthenticated
from ..service.errors import Problem
from ..service.messages import error

AUTHENTICATED = "X-VO-Authenticated"


def unauthorized(reason: str) -> Problem:
    return Problem(401, "Unauthorized", [error("{reason}", path="", reason=reason)])


async def identify(request: Request, auth: Authenticator | None) -> Identity | None:
    """The caller, or ``None`` (anonymous, where the deployment allows it); a 401
    :class:`Problem` when credentials fail or authentication is required and absent."""
    if auth is None or not auth.enabled:
        return None
    client = request.client.host if request.client else None
    try:
        identity = await auth.identify(request.headers, client)
    except Unauthenticated as failure:
        raise unauthorized(failure.reason) from None
    if identity is None and auth.settings.required:
        raise unauthorized("Authentication is required; see the WWW-Authenticate challenges")
    return identity


def stamp(response: Response, request: Request, auth: Authenticator | None,
          identity: Identity | None, base_url: str) -> Response:
    """Add what AuthVO asks of an answer: the identity, or the challenges."""
    if identity is not None:
        response.headers[AUTHENTICATED] = identity.name
    elif auth is not None and auth.enabled:
        # On a 401 the challenges are required; on an anonymous success (optional
        # authentication) they tell the client that it may authenticate.
        for challenge in auth.challenges(base_url):
            response.headers.append("WWW-Authenticate", challenge)
    return response


async def protected_resource(request: Request) -> Response:
    """``/.well-known/oauth-protected-resource`` (RFC 9728), where a Bearer challenge points."""
    context = request.app.state.context
    auth: Authenticator | None = context.auth
    if auth is None or auth.settings.bearer is None:
        return JSONResponse({"resource": context.base(request)}, status_code=404)
    return JSONResponse(auth.resource_metadata(context.base(request)))
