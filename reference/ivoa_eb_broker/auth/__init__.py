"""Who is asking: authentication of requests and the identity the broker records as owner.

The methods follow the IVOA's AuthVO conventions: HTTP Basic against a file of salted hashes,
OIDC bearer tokens (JWT) verified against the issuer's published keys, and an identity header
(a client certificate's DN) set by a trusted TLS-terminating proxy. Each method is a small
verifier; :class:`Authenticator` asks them in turn and states the ``WWW-Authenticate``
challenges for the methods a deployment enables.
"""

from ..service.ownership import Identity
from .authenticator import Authenticator, Unauthenticated
from .settings import AuthSettings, BasicSettings, BearerSettings, ProxySettings, parse_auth

__all__ = [
    "AuthSettings",
    "Authenticator",
    "BasicSettings",
    "BearerSettings",
    "Identity",
    "ProxySettings",
    "Unauthenticated",
    "parse_auth",
]
