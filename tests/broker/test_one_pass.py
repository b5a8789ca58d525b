"""POST /requests in one pass (issue 12): the answer is rendered from the rows written, and
those rows go in with one insert per table and nothing else written.

The answer must be exactly what a read of the offer set gives a moment later, in every media
type, for YES (several platforms: their notes) and NO (the reasons), with warnings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ivoa_eb_broker import config as configuration
from ivoa_eb_broker.http import create_app
from sqlalchemy import event
from starlette.testclient import TestClient

from .conftest import as_yaml, request_document
from .test_platforms import TWO, write

TYPES = ("application/yaml", "application/json", "application/xml")


@pytest.fixture
def two(tmp_path: Path) -> Iterator[TestClient]:
    config = configuration.load(write(tmp_path, TWO),
                                database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with TestClient(create_app(config)) as client:
        yield client


def _posted_and_read(client: TestClient, document: dict[str, Any], media: str
                     ) -> tuple[bytes, bytes]:
    posted = client.post("/requests", content=as_yaml(document), headers={"Accept": media})
    assert posted.status_code == 200, posted.text
    location = posted.headers["location"].split("testserver", 1)[1]
    read = client.get(location, headers={"Accept": media})
    assert read.status_code == 200, read.text
    return posted.content, read.content


@pytest.mark.parametrize("media", TYPES)
def test_the_answer_is_what_a_read_gives(two: TestClient, media: str) -> None:
    # An unknown property: a WARN on the offer set and on each offer.
    document = request_document(cores=1, memory=1, colour="blue")
    posted, read = _posted_and_read(two, document, media)
    assert posted == read
    if media == "application/json":
        answer = json.loads(posted)
        assert answer["result"] == "YES"
        platforms = {m["values"]["platform"] for o in answer["offers"]
                     for m in o["meta"]["messages"] if m["level"] == "INFO"}
        assert platforms == {"containers"}  # docker kinds: the first platform only
        assert all(any(m["level"] == "WARN" for m in o["meta"]["messages"])
                   for o in [answer, *answer["offers"]])


@pytest.mark.parametrize("media", TYPES)
def test_a_no_is_what_a_read_gives(two: TestClient, media: str) -> None:
    posted, read = _posted_and_read(two, request_document(cores=64), media)
    assert posted == read
    if media == "application/json":
        answer = json.loads(posted)
        assert answer["result"] == "NO" and "offers" not in answer
        assert [m for m in answer["meta"]["messages"] if m["level"] == "ERROR"]


def test_one_insert_per_table_and_no_other_write(two: TestClient) -> None:
    engine = two.app.state.broker.engine
    two.post("/requests", content=as_yaml(request_document()))  # the lock rows exist now
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()[:3]).lower())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = two.post("/requests", content=as_yaml(request_document()))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    # PRAGMA: the durability level of the transaction (store.db), a setting, not a write.
    writes = [s for s in statements if not s.startswith(("select", "begin", "pragma"))]
    inserts = sorted(s for s in writes if s.startswith("insert"))
    assert inserts == ["insert into bookings", "insert into messages", "insert into offersets",
                       "insert into sessions"]
    others = [s for s in writes if not s.startswith("insert")]
    assert others == ["update ledger_locks set"]  # the generation: no expiry, no re-write
