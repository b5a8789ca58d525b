"""The same broker on PostgreSQL: runs only when EB_TEST_POSTGRES_URL names a server the
tests may create scratch databases on (each test gets its own), e.g.
``postgresql+psycopg://postgres@localhost/eb_test``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from ivoa_eb_broker.http import create_app
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, make_config, request_document, wait_for_phase


@pytest.fixture
def client(tmp_path: Path, postgres_database: str) -> Iterator[TestClient]:
    config = replace(make_config(tmp_path), database_url=postgres_database)
    with TestClient(create_app(config)) as test_client:
        yield test_client


def test_lifecycle_on_postgresql(client: TestClient) -> None:
    answer = yaml.safe_load(client.post("/requests", content=as_yaml(request_document())).text)
    assert answer["result"] == "YES"
    first, second, *_ = answer["offers"]
    assert client.post(first["meta"]["url"], content=accept()).status_code == 200
    assert yaml.safe_load(client.get(second["meta"]["url"]).text)["phase"] == "REJECTED"
    done = wait_for_phase(client, first["meta"]["url"], {"COMPLETED", "FAILED"})
    assert done["phase"] == "COMPLETED"
    assert client.post(first["meta"]["url"], content=accept("CANCELLED")).status_code == 409
