"""The session lifecycle through HTTP: accept → COMPLETED, siblings, expiry, cancel, failures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from ivoa_eb_broker.http import create_app
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, make_config, request_document, wait_for_phase


def offers(client: TestClient, document: dict | None = None) -> dict:
    response = client.post("/requests", content=as_yaml(document or request_document()))
    assert response.status_code == 200, response.text
    answer = yaml.safe_load(response.text)
    assert answer["result"] == "YES", answer
    return answer


def test_accept_runs_to_completed_and_rejects_siblings(client: TestClient) -> None:
    answer = offers(client)
    assert len(answer["offers"]) >= 2
    first, *others = answer["offers"]
    url = "/sessions/" + first["meta"]["uuid"]
    response = client.post(url, content=accept())
    assert response.status_code == 200, response.text
    accepted = yaml.safe_load(response.text)
    assert accepted["phase"] in {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING"}
    assert accepted["meta"]["options"] == [
        {"kind": "uri:enum-value-option", "path": "/phase", "values": ["CANCELLED"]}
    ]
    for sibling in others:
        document = yaml.safe_load(client.get("/sessions/" + sibling["meta"]["uuid"]).text)
        assert document["phase"] == "REJECTED"
        assert "options" not in document["meta"]
    # The offer set shows its offers as they are now (requirement 2).
    current = yaml.safe_load(client.get(answer["meta"]["url"].split("testserver")[1]).text)
    phases = [offer["phase"] for offer in current["offers"]]
    assert phases[0] not in ("OFFERED", "REJECTED") and set(phases[1:]) == {"REJECTED"}
    done = wait_for_phase(client, url, {"COMPLETED", "FAILED"})
    assert done["phase"] == "COMPLETED", done
    texts = [m["message"] for m in done["meta"]["messages"]]
    assert any("finished (exit code 0)" in t for t in texts), texts
    # Every booking is released at the end: the whole capacity is free again.
    broker = client.app.state.broker
    booking = broker.booking(first["meta"]["uuid"])
    assert booking["state"] == "RELEASED"


def test_phase_paths_are_aliases(client: TestClient) -> None:
    for path in ("phase", "/phase", "state"):
        answer = offers(client)
        uuid = answer["offers"][0]["meta"]["uuid"]
        update = as_yaml({"kind": "uri:enum-value-update", "path": path, "value": "REJECTED"})
        response = client.post(f"/sessions/{uuid}", content=update)
        assert response.status_code == 200, (path, response.text)
        assert yaml.safe_load(response.text)["phase"] == "REJECTED"


def test_wrapped_update_is_accepted_with_a_warning(client: TestClient) -> None:
    answer = offers(client)
    uuid = answer["offers"][0]["meta"]["uuid"]
    body = as_yaml({"update": {"kind": "uri:enum-value-update", "path": "phase",
                               "value": "REJECTED"}})
    response = client.post(f"/sessions/{uuid}", content=body)
    assert response.status_code == 200, response.text
    document = yaml.safe_load(response.text)
    assert document["phase"] == "REJECTED"
    warnings = [m for m in document["meta"]["messages"] if m["level"] == "WARN"]
    assert warnings and warnings[0]["values"]["path"] == "/update"


def test_terminal_phase_refuses_updates_with_409(client: TestClient) -> None:
    uuid = offers(client)["offers"][0]["meta"]["uuid"]
    assert client.post(f"/sessions/{uuid}", content=accept("REJECTED")).status_code == 200
    response = client.post(f"/sessions/{uuid}", content=accept("ACCEPTED"))
    assert response.status_code == 409
    error = yaml.safe_load(response.text)
    assert error["status"] == 409
    assert error["messages"][0]["values"]["path"] == "/value"


def test_update_outside_the_options_gets_422(client: TestClient) -> None:
    uuid = offers(client)["offers"][0]["meta"]["uuid"]
    response = client.post(f"/sessions/{uuid}", content=accept("RUNNING"))
    assert response.status_code == 422, response.text
    assert yaml.safe_load(response.text)["messages"][0]["values"]["path"] == "/value"
    other = as_yaml({"kind": "uri:enum-value-update", "path": "/compute/cores", "value": "2"})
    response = client.post(f"/sessions/{uuid}", content=other)
    assert response.status_code == 422
    assert yaml.safe_load(response.text)["messages"][0]["values"]["path"] == "/path"
    # Nothing changed.
    assert yaml.safe_load(client.get(f"/sessions/{uuid}").text)["phase"] == "OFFERED"


def test_unaccepted_offer_expires_and_cannot_be_accepted(tmp_path: Path) -> None:
    config = make_config(tmp_path, offer_lifetime=0.5, sweep_interval=0.1)
    with TestClient(create_app(config)) as client:
        answer = offers(client)
        uuid = answer["offers"][0]["meta"]["uuid"]
        time.sleep(0.8)
        document = yaml.safe_load(client.get(f"/sessions/{uuid}").text)
        assert document["phase"] == "EXPIRED"
        response = client.post(f"/sessions/{uuid}", content=accept())
        assert response.status_code == 409, response.text
        assert client.app.state.broker.booking(uuid)["state"] == "EXPIRED"


def test_expiry_is_enforced_on_update_without_the_sweeper(tmp_path: Path) -> None:
    config = make_config(tmp_path, offer_lifetime=0.3, sweep_interval=3600)
    with TestClient(create_app(config)) as client:
        uuid = offers(client)["offers"][0]["meta"]["uuid"]
        time.sleep(0.5)
        response = client.post(f"/sessions/{uuid}", content=accept())
        assert response.status_code == 409, response.text
        document = yaml.safe_load(client.get(f"/sessions/{uuid}").text)
        assert document["phase"] == "EXPIRED"


def test_cancel_stops_the_job_and_releases(tmp_path: Path) -> None:
    config = make_config(tmp_path, platform={"running": 30.0})
    with TestClient(create_app(config)) as client:
        uuid = offers(client)["offers"][0]["meta"]["uuid"]
        client.post(f"/sessions/{uuid}", content=accept())
        wait_for_phase(client, f"/sessions/{uuid}", {"RUNNING"})
        response = client.post(f"/sessions/{uuid}", content=accept("CANCELLED"))
        assert response.status_code == 200, response.text
        assert yaml.safe_load(response.text)["phase"] == "CANCELLED"
        platform = client.app.state.platform
        deadline = time.monotonic() + 5
        while ("release", uuid) not in platform.calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ("cancel", uuid) in platform.calls
        assert ("release", uuid) in platform.calls
        assert client.app.state.broker.booking(uuid)["state"] == "RELEASED"
        # Stays cancelled; the scheduler does not resurrect it.
        time.sleep(0.3)
        assert yaml.safe_load(client.get(f"/sessions/{uuid}").text)["phase"] == "CANCELLED"
        assert client.post(f"/sessions/{uuid}", content=accept("CANCELLED")).status_code == 409


@pytest.mark.parametrize("step", ["prepare", "start", "run", "release"])
def test_failure_at_each_step_ends_failed_with_a_message(client: TestClient, step: str) -> None:
    document = request_document()
    document["executable"]["environment"] = {"EB_SIMULATE_FAIL": step}
    uuid = offers(client, document)["offers"][0]["meta"]["uuid"]
    client.post(f"/sessions/{uuid}", content=accept())
    done = wait_for_phase(client, f"/sessions/{uuid}", {"COMPLETED", "FAILED", "CANCELLED"})
    assert done["phase"] == "FAILED"
    errors = [m for m in done["meta"]["messages"] if m["level"] == "ERROR"]
    assert any("simulated failure" in m["message"] for m in errors), errors
    assert client.app.state.broker.booking(uuid)["state"] == "RELEASED"


def test_direct_runs_at_once(client: TestClient) -> None:
    response = client.post("/direct", content=as_yaml(request_document()))
    assert response.status_code == 200, response.text
    session = yaml.safe_load(response.text)
    assert response.headers["location"].endswith("/sessions/" + session["meta"]["uuid"])
    assert session["phase"] != "OFFERED"
    done = wait_for_phase(client, "/sessions/" + session["meta"]["uuid"], {"COMPLETED", "FAILED"})
    assert done["phase"] == "COMPLETED"


def test_direct_impossible_is_400_with_messages(client: TestClient) -> None:
    response = client.post("/direct", content=as_yaml(request_document(cores=1000)))
    assert response.status_code == 400
    error = yaml.safe_load(response.text)
    assert error["messages"][0]["values"]["path"] == "/compute/cores/min"


def test_notebook_gets_a_connector(client: TestClient) -> None:
    document = request_document()
    document["executable"] = {
        "kind": "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
                "executable/jupyter-notebook.yaml",
        "location": "https://example.org/notebook.ipynb",
    }
    uuid = offers(client, document)["offers"][0]["meta"]["uuid"]
    client.post(f"/sessions/{uuid}", content=accept())
    done = wait_for_phase(client, f"/sessions/{uuid}", {"COMPLETED", "FAILED"})
    assert done["connectors"][0]["protocol"] == "HTTP"
    assert done["connectors"][0]["status"] == "FINISHED"
    assert uuid in done["connectors"][0]["location"]


def test_the_original_request_is_kept(client: TestClient) -> None:
    """Decision 11: the request as sent stays with its offer set, byte for byte."""
    from ivoa_eb_broker.store import repository as repo
    from ivoa_eb_broker.store import transaction

    body = as_yaml(request_document(cores=2)) + b"# a comment the client wrote\n"
    answer = yaml.safe_load(client.post("/requests", content=body,
                                        headers={"Content-Type": "text/yaml"}).text)
    broker = client.app.state.broker
    with transaction(broker.engine) as connection:
        row = repo.get_offerset(connection, answer["meta"]["uuid"])
    assert row["request_body"] == body.decode()
    assert row["request_media_type"] == "text/yaml"
    assert row["request"]["compute"]["cores"] == {"min": 2, "max": 2}
