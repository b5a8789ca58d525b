"""GET /sessions on the reference broker: filters, pages linked by next, bad values refused,
and the three media types (UWS-01..UWS-04). Ownership between identities is in
``tests/identity/test_uws_listing.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from broker.conftest import accept, as_yaml, make_config, request_document
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.service.listing import MAX_LIMIT, parse_query
from ivoa_eb_spec.codecs import MediaType, decode
from ivoa_eb_spec.iso8601 import format_instant, parse_instant
from ivoa_eb_spec.model import SessionList
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlschema_gen import xml_schema
from starlette.testclient import TestClient

YAML = {"Content-Type": "application/yaml"}


def offers(client: Any) -> list[dict[str, Any]]:
    answer = client.post("/requests", content=as_yaml(request_document()), headers=YAML)
    assert answer.status_code == 200, answer.text
    return yaml.safe_load(answer.text)["offers"]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def listing(client: Any, query: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of a listing, following next: the pages and the sessions."""
    pages: list[dict[str, Any]] = []
    target: str | None = f"/sessions?{query}"
    while target is not None:
        answer = client.get(target)
        assert answer.status_code == 200, answer.text
        page = yaml.safe_load(answer.text)
        validator("session-list.yaml").validate(page)
        pages.append(page)
        target = path_of(page["next"]) if "next" in page else None
        assert len(pages) < 100
    return pages, [s for p in pages for s in p["sessions"]]


def uuids(sessions: list[dict[str, Any]]) -> list[str]:
    return [s["meta"]["uuid"] for s in sessions]


def test_filters_by_phase_and_creation_time(client) -> None:
    first, second = offers(client), offers(client)
    rejected = path_of(first[0]["meta"]["url"])
    assert client.post(rejected, content=accept("REJECTED"), headers=YAML).status_code == 200
    _, everything = listing(client, "")
    assert set(uuids(first + second)) == set(uuids(everything))
    _, offered = listing(client, "phase=OFFERED")
    assert set(uuids(offered)) == set(uuids(first[1:] + second))
    _, both = listing(client, "phase=OFFERED&phase=REJECTED")
    assert len(both) == len(first + second)
    _, none = listing(client, "phase=RUNNING")
    assert none == []
    made = parse_instant(second[0]["meta"]["created"])
    before = format_instant(made)
    _, earlier = listing(client, f"before={before}")
    assert set(uuids(earlier)) == set(uuids(first))
    after = format_instant(parse_instant(first[-1]["meta"]["created"]))
    _, later = listing(client, f"after={after}")
    assert set(uuids(later)) == set(uuids(second))
    # Oldest first.
    created = [parse_instant(s["meta"]["created"]) for s in everything]
    assert created == sorted(created)


def test_pages_are_bounded_and_linked(client) -> None:
    made = offers(client) + offers(client)
    pages, listed = listing(client, "limit=2")
    assert [len(p["sessions"]) for p in pages] == [2] * (len(made) // 2) + (
        [len(made) % 2] if len(made) % 2 else [])
    assert "next" not in pages[-1] and all("next" in p for p in pages[:-1])
    assert uuids(listed) == sorted(uuids(listed), key=uuids(listed).index)  # no repeats
    assert sorted(uuids(listed)) == sorted(uuids(made))
    # A session made while paging lands on a later page, and nothing is listed twice.
    first = yaml.safe_load(client.get("/sessions?limit=1").text)
    newer = offers(client)
    _, rest = listing(client, first["next"].split("?", 1)[1])
    seen = uuids(first["sessions"]) + uuids(rest)
    assert len(seen) == len(set(seen)) == len(made) + len(newer)


def test_limit_is_capped_by_the_broker() -> None:
    assert parse_query([("limit", str(MAX_LIMIT * 10))]).limit == MAX_LIMIT


@pytest.mark.parametrize(("query", "parameter"), [
    ("phase=NOPE", "phase"),
    ("after=yesterday", "after"),
    ("before=2026-12-01", "before"),
    ("limit=0", "limit"),
    ("limit=many", "limit"),
    ("limit=9223372036854775808", "limit"),  # beyond the OpenAPI's int64 bound
    ("limit=" + "9" * 5000, "limit"),  # longer than int() reads
    ("page=not-a-cursor", "page"),
])
def test_bad_values_are_a_400_naming_the_parameter(client, query: str, parameter: str) -> None:
    answer = client.get(f"/sessions?{query}")
    assert answer.status_code == 400, answer.text
    document = yaml.safe_load(answer.text)
    validator("error-response.yaml").validate(document)
    assert document["messages"][0]["values"]["parameter"] == parameter


def test_unknown_parameters_are_ignored(client) -> None:
    made = offers(client)
    _, listed = listing(client, "colour=blue")
    assert set(uuids(listed)) == set(uuids(made))


@pytest.mark.parametrize("media_type", [m.value for m in MediaType])
def test_each_media_type(client, media_type: str) -> None:
    made = offers(client)
    answer = client.get("/sessions", headers={"Accept": media_type})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    if media_type == MediaType.XML:
        xml_schema().validate(answer.content)
    page = decode(answer.content, MediaType(media_type), SessionList)
    assert {s.meta.uuid for s in page.sessions} == set(uuids(made))


def test_expired_offers_are_listed_expired(tmp_path) -> None:
    moment = [datetime.now(UTC)]
    app = create_app(make_config(tmp_path), run_scheduler=False, clock=lambda: moment[0])
    with TestClient(app) as client:
        made = offers(client)
        moment[0] += timedelta(hours=2)
        _, listed = listing(client, "phase=EXPIRED")
        assert set(uuids(listed)) == set(uuids(made))
