"""A local OIDC issuer for the tests: keys made at test time, the discovery document and the key
set served over real HTTP (uvicorn on a loopback port, in a thread), and a token factory."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

AUDIENCE = "ivoa-eb-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        data = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class Issuer:
    """The issuer's state: its published keys (change them to rotate) and fetch counters."""

    url: str = ""
    keys: list[SigningKey] = field(default_factory=list)
    jwks_fetches: int = 0
    discovery_fetches: int = 0

    def token(self, key: SigningKey | None = None, *, headers: dict[str, Any] | None = None,
              **claims: Any) -> str:
        """A signed token: ``sub`` alice for this issuer and audience, valid for 5 minutes,
        unless ``claims`` say otherwise (a claim given as None is left out)."""
        key = key or self.keys[0]
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "sub": "alice", "iat": now, "nbf": now,
                "exp": now + 300, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key.private, algorithm=key.algorithm,
                          headers={"kid": key.kid, **(headers or {})})

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            self.discovery_fetches += 1
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/jwks",
                                 "id_token_signing_alg_values_supported": ["RS256", "ES256"]})

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse({"keys": [k.public_jwk() for k in self.keys]})

        return Starlette(routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
        ])


def unsigned(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{part(claims)}."


class IssuerServer:
    """Serve an :class:`Issuer` on a free loopback port until :meth:`stop`."""

    def __init__(self, issuer: Issuer) -> None:
        port = _free_port()
        issuer.url = f"http://127.0.0.1:{port}"
        self.issuer = issuer
        config = uvicorn.Config(issuer.app(), host="127.0.0.1", port=port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test issuer did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
