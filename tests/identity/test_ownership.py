"""Ownership: every endpoint tried as the owner, another user, the operator and anonymously;
limits per identity; rows made by an anonymous broker after authentication is enabled."""

from __future__ import annotations

from typing import Any

import yaml
from broker.conftest import accept, as_yaml, request_document

from .conftest import PASSWORDS
from .test_authentication import basic

YAML = {"Content-Type": "application/yaml"}
ALICE = basic("alice", PASSWORDS["alice"])
BOB = basic("bob", PASSWORDS["bob"])
OLGA = basic("olga", PASSWORDS["olga"])  # the operator


def offers(client: Any, who: dict[str, str]) -> dict[str, Any]:
    answer = client.post("/requests", content=as_yaml(request_document()),
                         headers={**YAML, **who})
    assert answer.status_code == 200, answer.text
    return yaml.safe_load(answer.text)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def options_of(session: dict[str, Any]) -> list[str]:
    return [v for o in session["meta"].get("options", []) for v in o.get("values", [])]


def test_the_owner_reads_and_accepts_another_user_cannot_tell_it_exists(broker_with,
                                                                        auth_table):
    client = broker_with(auth_table)
    mine = offers(client, ALICE)
    offerset = path_of(mine["meta"]["url"])
    first, second = (path_of(o["meta"]["url"]) for o in mine["offers"][:2])
    assert client.get(offerset, headers=ALICE).status_code == 200
    # Bob gets exactly what an unknown uuid gets: nothing tells him the uuid exists.
    for target in (offerset, first):
        answer = client.get(target, headers=BOB)
        assert answer.status_code == 404, answer.text
        unknown = target.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
        assert _without_uuid(answer) == _without_uuid(client.get(unknown, headers=BOB))
    for value in ("ACCEPTED", "CANCELLED", "REJECTED"):
        answer = client.post(first, content=accept(value), headers={**YAML, **BOB})
        assert answer.status_code == 404, (value, answer.text)
    assert yaml.safe_load(client.get(first, headers=ALICE).text)["phase"] == "OFFERED"
    # The owner accepts; the sibling is rejected as always.
    answer = client.post(first, content=accept(), headers={**YAML, **ALICE})
    assert answer.status_code == 200, answer.text
    assert yaml.safe_load(client.get(second, headers=ALICE).text)["phase"] == "REJECTED"


def _without_uuid(answer: Any) -> Any:
    document = yaml.safe_load(answer.text)
    for message in document["messages"]:
        message.pop("time", None)
        message["values"].pop("uuid", None)
        message.pop("message")
    return document


def test_the_operator_reads_everything_and_may_only_cancel(broker_with, auth_table):
    client = broker_with(auth_table, platform={"running": 30.0})
    mine = offers(client, ALICE)
    first = path_of(mine["offers"][0]["meta"]["url"])
    seen = client.get(path_of(mine["meta"]["url"]), headers=OLGA)
    assert seen.status_code == 200 and seen.headers["X-VO-Authenticated"] == "olga"
    session = yaml.safe_load(client.get(first, headers=OLGA).text)
    # SEC-03: the operator is shown only the option it may use.
    assert options_of(session) == []  # an OFFERED session cannot be cancelled by anyone
    assert "ACCEPTED" in options_of(yaml.safe_load(client.get(first, headers=ALICE).text))
    refused = client.post(first, content=accept(), headers={**YAML, **OLGA})
    assert refused.status_code == 403, refused.text
    assert client.post(first, content=accept(), headers={**YAML, **ALICE}).status_code == 200
    running = yaml.safe_load(client.get(first, headers=OLGA).text)
    assert options_of(running) == ["CANCELLED"]
    assert "CANCELLED" in options_of(yaml.safe_load(client.get(first, headers=ALICE).text))
    cancelled = client.post(first, content=accept("CANCELLED"), headers={**YAML, **OLGA})
    assert cancelled.status_code == 200, cancelled.text
    assert yaml.safe_load(cancelled.text)["phase"] == "CANCELLED"


def test_a_user_sees_no_options_on_what_it_may_not_change(broker_with, auth_table):
    # An anonymous row (optional authentication) is readable by alice, not changeable.
    client = broker_with({**auth_table, "required": False})
    anonymous = offers(client, {})
    first = path_of(anonymous["offers"][0]["meta"]["url"])
    as_alice = yaml.safe_load(client.get(first, headers=ALICE).text)
    assert options_of(as_alice) == []
    refused = client.post(first, content=accept(), headers={**YAML, **ALICE})
    assert refused.status_code == 403, refused.text
    # The anonymous caller made it and may accept it (as on a broker without authentication).
    assert client.post(first, content=accept(), headers=YAML).status_code == 200
    # Alice's own offers are invisible to anonymous callers.
    hers = offers(client, ALICE)
    assert client.get(path_of(hers["meta"]["url"])).status_code == 404


def test_direct_is_owned_too(broker_with, auth_table):
    client = broker_with(auth_table)
    answer = client.post("/direct", content=as_yaml(request_document()),
                         headers={**YAML, **ALICE})
    assert answer.status_code == 200, answer.text
    session = path_of(yaml.safe_load(answer.text)["meta"]["url"])
    assert client.get(session, headers=BOB).status_code == 404
    assert client.get(session, headers=ALICE).status_code == 200


def test_live_offers_are_limited_per_identity(broker_with, auth_table):
    client = broker_with({**auth_table, "max_live_offers": 4})
    first = offers(client, ALICE)
    assert len(first["offers"]) == 3
    second = offers(client, ALICE)
    assert len(second["offers"]) == 1  # what remains of the limit
    refused = client.post("/requests", content=as_yaml(request_document()),
                          headers={**YAML, **ALICE})
    assert refused.status_code == 429, refused.text
    assert "alice holds 4 live offers" in yaml.safe_load(refused.text)["messages"][0]["message"]
    # Another identity is not affected; rejecting offers frees room.
    assert len(offers(client, BOB)["offers"]) == 3
    for offer in first["offers"]:
        client.post(path_of(offer["meta"]["url"]), content=accept("REJECTED"),
                    headers={**YAML, **ALICE})
    assert len(offers(client, ALICE)["offers"]) == 3


def test_active_sessions_are_limited_per_identity(broker_with, auth_table):
    client = broker_with({**auth_table, "max_active_sessions": 1},
                         platform={"running": 30.0})
    one = path_of(offers(client, ALICE)["offers"][0]["meta"]["url"])
    two = path_of(offers(client, ALICE)["offers"][0]["meta"]["url"])
    assert client.post(one, content=accept(), headers={**YAML, **ALICE}).status_code == 200
    refused = client.post(two, content=accept(), headers={**YAML, **ALICE})
    assert refused.status_code == 429, refused.text
    assert "1 active sessions" in refused.text
    assert yaml.safe_load(client.get(two, headers=ALICE).text)["phase"] == "OFFERED"
    client.post(one, content=accept("CANCELLED"), headers={**YAML, **ALICE})
    assert client.post(two, content=accept(), headers={**YAML, **ALICE}).status_code == 200


def test_rows_of_an_anonymous_broker_stay_readable_once_authentication_is_on(tmp_path,
                                                                             auth_table):
    from dataclasses import replace

    from broker.conftest import make_config
    from ivoa_eb_broker.auth import parse_auth
    from ivoa_eb_broker.http import create_app
    from starlette.testclient import TestClient

    config = make_config(tmp_path)
    with TestClient(create_app(config)) as anonymous_broker:
        made = offers(anonymous_broker, {})
    first = path_of(made["offers"][0]["meta"]["url"])
    with TestClient(create_app(replace(config, auth=parse_auth(auth_table)))) as client:
        assert client.get(path_of(made["meta"]["url"]), headers=BOB).status_code == 200
        assert options_of(yaml.safe_load(client.get(first, headers=BOB).text)) == []
        assert client.post(first, content=accept(), headers={**YAML, **BOB}).status_code == 403
        assert client.get(first).status_code == 401  # authentication is required now
