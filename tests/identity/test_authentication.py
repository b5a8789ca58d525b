"""Authentication at every operation: Basic, OIDC bearer tokens from a local issuer over real
HTTP, and the trusted-proxy header; AuthVO's 401 challenges and X-VO-Authenticated."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
import yaml
from broker.conftest import as_yaml, request_document
from cryptography.hazmat.primitives import serialization
from ivoa_eb_broker.auth import Authenticator, Identity, parse_auth

from .conftest import PASSWORDS
from .issuer import Issuer, rsa_key, unsigned

YAML = {"Content-Type": "application/yaml"}


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client: Any, headers: dict[str, str]) -> Any:
    return client.post("/requests", content=as_yaml(request_document()),
                       headers={**YAML, **headers})


def challenges(answer: Any) -> list[str]:
    return answer.headers.get_list("www-authenticate")


def message(answer: Any) -> str:
    """The first message of an ErrorResponse (YAML)."""
    document = yaml.safe_load(answer.text)
    return document["messages"][0]["message"]


def refused(answer: Any, reason: str) -> None:
    assert answer.status_code == 401, answer.text
    assert "X-VO-Authenticated" not in answer.headers
    assert yaml.safe_load(answer.text)["status"] == 401
    assert reason in message(answer), answer.text
    assert challenges(answer), "a 401 must carry a challenge"


def test_anonymous_request_gets_401_with_a_challenge_per_method(broker_with, auth_table):
    client = broker_with(auth_table)
    answer = post(client, {})
    refused(answer, "Authentication is required")
    found = challenges(answer)
    assert found[0] == 'Basic realm="ivoa-execution-broker"'
    assert found[1].startswith('Bearer realm="ivoa-execution-broker", resource_metadata="')
    assert found[1].endswith('/.well-known/oauth-protected-resource"')
    assert found[2] == "ivoa_x509"
    # Every operation is protected, reads included.
    for method, path in [("GET", "/offersets/00000000-0000-4000-8000-000000000000"),
                         ("GET", "/sessions/00000000-0000-4000-8000-000000000000"),
                         ("POST", "/sessions/00000000-0000-4000-8000-000000000000"),
                         ("POST", "/direct")]:
        assert client.request(method, path).status_code == 401, (method, path)


def test_public_documents_need_no_credentials(broker_with, auth_table):
    client = broker_with(auth_table)
    for path in ("/health", "/openapi.yaml", "/.well-known/oauth-protected-resource"):
        assert client.get(path).status_code == 200, path
    metadata = client.get("/.well-known/oauth-protected-resource").json()
    assert metadata["authorization_servers"] == [auth_table["bearer"]["issuer"]]


def test_basic_with_the_right_password_is_served_and_named(broker_with, auth_table):
    client = broker_with(auth_table)
    answer = post(client, basic("alice", PASSWORDS["alice"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-VO-Authenticated"] == "alice"
    assert not challenges(answer)


@pytest.mark.parametrize("name,password", [("alice", "wrong"), ("mallory", "alice-secret-1"),
                                           ("alice", "")])
def test_basic_with_a_wrong_name_or_password_is_refused(broker_with, auth_table, name, password):
    refused(post(broker_with(auth_table), basic(name, password)), "The name or password is wrong")


def test_malformed_basic_credentials_are_refused(broker_with, auth_table):
    answer = post(broker_with(auth_table), {"Authorization": "Basic !!!not-base64"})
    refused(answer, "not base64 of name:password")


def test_a_valid_token_is_served(broker_with, auth_table, issuer: Issuer):
    client = broker_with(auth_table)
    for key in issuer.keys:  # RS256 and ES256
        answer = post(client, bearer(issuer.token(key, sub=f"user-{key.kid}")))
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-VO-Authenticated"] == f"user-{key.kid}"


def _bad_tokens(issuer: Issuer) -> dict[str, tuple[str, str]]:
    good = issuer.token()
    head, body, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "sub": "olga"}).encode()).rstrip(b"=").decode()
    public_pem = issuer.keys[0].private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "expired": (issuer.token(exp=1_000_000_000, iat=999_999_000, nbf=999_999_000),
                    "has expired"),
        "not yet valid": (issuer.token(nbf=4_000_000_000, exp=4_000_000_300),
                          "not valid yet"),
        "wrong issuer": (issuer.token(iss="https://elsewhere.example.org"),
                         "another issuer"),
        "wrong audience": (issuer.token(aud="another-service"), "another audience"),
        "no audience": (issuer.token(aud=None), "'aud'"),
        "tampered": (f"{head}.{forged}.{signature}", "signature does not verify"),
        "unsigned": (unsigned(claims), "algorithm 'none' is not accepted"),
        # Algorithm confusion: the RSA public key used as an HMAC secret.
        "hmac with the public key": (_hs256_with(public_pem, claims),
                                     "algorithm 'HS256' is not accepted"),
        "unknown key": (issuer.token(rsa_key("k9")), "not among the issuer's keys"),
        "RS256 header on the EC key": (
            _resigned(issuer, claims), "does not fit the type of its key"),
        "not a JWT": ("abc.def", "not a JWT"),
    }


def _hs256_with(secret: bytes, claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> bytes:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=")
    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + b"." + part(claims)
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def _resigned(issuer: Issuer, claims: dict[str, Any]) -> str:
    """Signed with a fresh RSA key but naming the issuer's EC key (k2) as its kid."""
    stranger = rsa_key("k2")
    return jwt.encode(claims, stranger.private, algorithm="RS256", headers={"kid": "k2"})


def test_every_bad_token_is_refused_with_its_reason(broker_with, auth_table, issuer: Issuer):
    client = broker_with(auth_table)
    for case, (token, reason) in _bad_tokens(issuer).items():
        answer = post(client, bearer(token))
        assert answer.status_code == 401, (case, answer.text)
        assert reason in message(answer), (case, answer.text)
        assert "X-VO-Authenticated" not in answer.headers, case


def test_an_unknown_kid_refreshes_the_key_set_once_per_interval(broker_with, auth_table,
                                                                 issuer: Issuer):
    client = broker_with(auth_table)
    assert post(client, bearer(issuer.token())).status_code == 200
    assert issuer.jwks_fetches == 1
    # The issuer rotates: a new key, published; a token signed with it is accepted after one
    # refresh of the key set.
    rotated = rsa_key("k3")
    issuer.keys = [rotated, *issuer.keys]
    answer = post(client, bearer(issuer.token(rotated)))
    assert answer.status_code == 200, answer.text
    assert issuer.jwks_fetches == 2
    # Unknown kids within the refresh interval do not make the broker hammer the issuer.
    for index in range(5):
        assert post(client, bearer(issuer.token(rsa_key(f"z{index}")))).status_code == 401
    assert issuer.jwks_fetches == 2
    assert issuer.discovery_fetches == 1


def test_an_unknown_scheme_is_refused(broker_with, auth_table):
    answer = post(broker_with(auth_table), {"Authorization": "Digest username=alice"})
    refused(answer, "is not accepted here")


def test_the_proxy_header_is_ignored_from_an_untrusted_address(broker_with, auth_table):
    # The in-process client's address is "testclient", in no trusted network.
    answer = post(broker_with(auth_table), {"X-Client-DN": "CN=olga"})
    refused(answer, "Authentication is required")


def test_the_proxy_header_names_the_caller_from_a_trusted_address(auth_table):
    async def check() -> None:
        auth = Authenticator(parse_auth(auth_table))
        found = await auth.identify({"x-client-dn": "CN=Olga,O=Site"}, "127.0.0.1")
        assert found is not None and (found.name, found.method) == ("CN=Olga,O=Site", "proxy")
        assert await auth.identify({"x-client-dn": "CN=Olga,O=Site"}, "10.1.2.3") is None
        await auth.close()

    asyncio.run(check())


def test_optional_authentication_serves_anonymous_callers_with_challenges(broker_with,
                                                                         auth_table):
    client = broker_with({**auth_table, "required": False})
    answer = post(client, {})
    assert answer.status_code == 200, answer.text
    assert "X-VO-Authenticated" not in answer.headers
    assert len(challenges(answer)) == 3
    # Wrong credentials are still refused, never taken as anonymous.
    refused(post(client, basic("alice", "wrong")), "The name or password is wrong")


def test_operators_are_marked(auth_table):
    async def who(name: str) -> Identity | None:
        auth = Authenticator(parse_auth(auth_table))
        try:
            return await auth.identify(
                {"authorization": basic(name, PASSWORDS[name])["Authorization"]}, None)
        finally:
            await auth.close()

    olga, alice = asyncio.run(who("olga")), asyncio.run(who("alice"))
    assert olga is not None and olga.operator
    assert alice is not None and not alice.operator
