"""Fixtures: a local OIDC issuer over real HTTP, a password file, and brokers with [auth]."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from broker.conftest import make_config
from ivoa_eb_broker.auth import parse_auth
from ivoa_eb_broker.auth.passwords import add_user
from ivoa_eb_broker.http import create_app
from starlette.testclient import TestClient

from .issuer import AUDIENCE, Issuer, IssuerServer, ec_key, rsa_key

PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "olga": "olga-secret-3"}


@pytest.fixture(scope="session")
def issuer_server() -> Iterator[IssuerServer]:
    server = IssuerServer(Issuer(keys=[rsa_key("k1"), ec_key("k2")]))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def issuer(issuer_server: IssuerServer) -> Iterator[Issuer]:
    """The issuer, with its original keys and counters again after each test."""
    issuer = issuer_server.issuer
    keys = list(issuer.keys)
    issuer.jwks_fetches = issuer.discovery_fetches = 0
    yield issuer
    issuer.keys = keys


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "passwords"
    for name, password in PASSWORDS.items():
        add_user(path, name, password)
    return path


@pytest.fixture
def auth_table(issuer: Issuer, password_file: Path) -> dict[str, Any]:
    return {
        "methods": ["basic", "bearer", "proxy"],
        "required": True,
        "operators": ["olga"],
        "basic": {"password_file": str(password_file)},
        "bearer": {"issuer": issuer.url, "audience": AUDIENCE, "refresh_interval": 60},
        "proxy": {"header": "X-Client-DN", "trusted": ["127.0.0.1/32"]},
    }


@pytest.fixture
def broker_with(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """``broker_with(auth_table, **config)``: an in-process broker with that [auth] table."""
    clients: list[TestClient] = []

    def make(table: dict[str, Any], **overrides: Any) -> TestClient:
        config = replace(make_config(tmp_path, **overrides), auth=parse_auth(table))
        client = TestClient(create_app(config), raise_server_exceptions=True)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
