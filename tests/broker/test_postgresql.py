"""The same broker on PostgreSQL: runs only when EB_TEST_POSTGRES_URL names a scratch
database (its public schema is emptied first), e.g.
``postgresql+psycopg://postgres@localhost/eb_test``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.store import open_engine
from sqlalchemy import text
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, make_config, request_document, wait_for_phase

URL = os.environ.get("EB_TEST_POSTGRES_URL", "")
#: Skipped without a scratch database; with one, in the same worker as the other tests that
#: empty it (``--dist loadgroup``: see test_concurrency).
pytestmark = [pytest.mark.skipif(not URL, reason="EB_TEST_POSTGRES_URL is not set"),
              pytest.mark.xdist_group("postgresql")]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = open_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    config = replace(make_config(tmp_path), database_url=URL)
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
