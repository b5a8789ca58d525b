"""GET /sessions with identities (UWS-02): each user lists its own sessions only, the
operator lists everyone's, and an anonymous caller of an optional-authentication broker lists
only the anonymous ones. Blocking reads keep ownership as plain reads do."""

from __future__ import annotations

from typing import Any

import yaml

from .test_ownership import ALICE, BOB, OLGA, offers


def listed(client: Any, who: dict[str, str]) -> set[str]:
    found: set[str] = set()
    target: str | None = "/sessions?limit=2"
    while target is not None:
        answer = client.get(target, headers=who)
        assert answer.status_code == 200, answer.text
        page = yaml.safe_load(answer.text)
        found |= {s["meta"]["uuid"] for s in page["sessions"]}
        target = "/" + page["next"].split("/", 3)[3] if "next" in page else None
    return found


def uuids(offer_set: dict[str, Any]) -> set[str]:
    return {o["meta"]["uuid"] for o in offer_set["offers"]}


def test_each_identity_lists_its_own_and_the_operator_everyones(broker_with, auth_table):
    client = broker_with(auth_table)
    alices, bobs = uuids(offers(client, ALICE)), uuids(offers(client, BOB))
    assert listed(client, ALICE) == alices
    assert listed(client, BOB) == bobs
    assert listed(client, OLGA) == alices | bobs
    assert client.get("/sessions").status_code == 401  # authentication is required


def test_anonymous_callers_list_the_anonymous_sessions_only(broker_with, auth_table):
    client = broker_with({**auth_table, "required": False})
    alices, anonymous = uuids(offers(client, ALICE)), uuids(offers(client, {}))
    assert listed(client, {}) == anonymous
    assert listed(client, ALICE) == alices


def test_a_blocking_read_of_anothers_session_is_a_404(broker_with, auth_table):
    client = broker_with(auth_table)
    offer = next(iter(uuids(offers(client, ALICE))))
    assert client.get(f"/sessions/{offer}?wait=30", headers=BOB).status_code == 404
    assert client.get(f"/sessions/{offer}?wait=0", headers=ALICE).status_code == 200
