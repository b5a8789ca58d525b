"""The blocking client against a real reference broker over HTTP."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_client import BrokerError, BrokerWarning, Client
from ivoa_eb_spec.model import ExecutionRequest, ScheduledExecutionSession

ROOT = Path(__file__).resolve().parents[2]
SQRT = ROOT / "examples" / "01-sqrt-docker.yaml"
MEDIA_TYPES = ("application/yaml", "application/json", "application/xml")


def sqrt() -> dict[str, Any]:
    return yaml.safe_load(SQRT.read_text())


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
def test_request_accept_and_wait_in_each_media_type(broker_url: str, media_type: str) -> None:
    with Client(broker_url, media_type=media_type) as client:
        offers = client.request(ExecutionRequest.model_validate(sqrt()))
        assert offers.result == "YES"
        assert len(offers.offers) >= 2
        assert all(isinstance(o.model, ScheduledExecutionSession) for o in offers.offers)
        assert all(o.phase == "OFFERED" and o.expires is not None for o in offers.offers)
        first, second = offers.offers[0], offers.offers[1]
        session = first.accept()
        assert session.phase in ("ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING")
        # The sibling was rejected by the broker: the offer set, read again, says so.
        again = client.offer_set(offers.uuid)
        assert [o.phase for o in again.offers][1] == "REJECTED"
        assert second.refresh().phase == "REJECTED"
        session.wait(timeout=60, poll=0.2)
        assert session.phase == "COMPLETED"
        assert client.session(session.url).phase == "COMPLETED"


def test_a_request_file_is_sent_as_written(broker_url: str, tmp_path: Path) -> None:
    as_json = tmp_path / "sqrt.json"
    as_json.write_text(__import__("json").dumps(sqrt()))
    with Client(broker_url) as client:
        for source in (SQRT, str(as_json)):
            assert client.request(source).result == "YES"
        with pytest.raises(ValueError, match="ends in"):
            client.request(tmp_path / "request.txt")


def test_an_invalid_request_raises_the_brokers_messages(broker_url: str) -> None:
    bad = sqrt()
    bad["compute"]["cores"]["min"] = "many"
    with Client(broker_url, media_type="application/json") as client:
        with pytest.raises(BrokerError) as raised:
            client.request(bad)
    assert raised.value.status == 400
    paths = [m.values["path"] for m in raised.value.messages]
    assert "/compute/cores/min" in paths
    assert "/compute/cores/min" in str(raised.value)


def test_unknown_session_and_refused_update(broker_url: str) -> None:
    with Client(broker_url) as client:
        with pytest.raises(BrokerError) as raised:
            client.session("00000000-0000-4000-8000-000000000000")
        assert raised.value.status == 404 and raised.value.messages
        offer = client.request(sqrt()).offers[0]
        offer.reject()
        assert offer.phase == "REJECTED"
        with pytest.raises(BrokerError) as refused:
            offer.accept()
        assert refused.value.status in (409, 422)


def test_direct_and_cancel(broker_url: str) -> None:
    slow = sqrt()
    slow["schedule"] = {"requested": {"duration": "PT1H"}}
    with Client(broker_url) as client:
        session = client.direct(slow)
        assert session.phase in ("ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING")
        session.cancel()
        assert session.phase == "CANCELLED"
        assert session.wait(timeout=5, poll=0.1).phase == "CANCELLED"


def test_a_warn_message_is_a_python_warning_and_kept(broker_url: str) -> None:
    aliased = copy.deepcopy(sqrt())
    aliased["executable"]["kind"] = (
        "https://www.purl.org/ivoa.net/EB/schema/types/executable/docker-container-1.0")
    with Client(broker_url) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        offers = client.request(aliased)
    issued = [w for w in caught if issubclass(w.category, BrokerWarning)]
    assert offers.result == "YES"
    assert issued and offers.warnings
    assert "docker-container-1.0" in str(issued[0].message)


def test_a_broker_that_is_not_there(tmp_path: Path) -> None:
    with Client("http://127.0.0.1:9", timeout=2) as client, pytest.raises(BrokerError) as down:
        client.request(SQRT)
    assert down.value.status is None and "no answer" in str(down.value)


def test_wait_times_out(broker_url: str) -> None:
    with Client(broker_url) as client:
        offer = client.request(sqrt()).offers[0]
        with pytest.raises(TimeoutError):
            offer.wait(until={"COMPLETED"}, timeout=0.3, poll=0.1)
