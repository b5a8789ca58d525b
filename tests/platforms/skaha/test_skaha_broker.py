"""End to end: ``ivoa-eb-broker serve`` configured with the Skaha platform (``[[platforms]]``
type ``skaha``, the token in a file, as an operator would) against the Skaha test double,
driven over the broker's HTTP interface only. Every call the broker made to "Skaha" passed
the double's contract check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from broker_service import (
    ENDED,
    NOTEBOOK,
    BrokerService,
    broker_service,
    messages,
    wait_until,
)
from skaha_double import Served, SkahaDouble
from skaha_support import TOKEN

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
COMPUTE = K + "compute/simple-compute-resource.yaml"
DOCKER = K + "executable/docker-container.yaml"
NOTEBOOK_IMAGE = "images.canfar.net/skaha/notebook-scipy:1.0"


@pytest.fixture(scope="module")
def skaha() -> Iterator[Served]:
    with Served(SkahaDouble(tokens={TOKEN: None}, startup=1.0, headless_run=1.0)) as served:
        yield served


@pytest.fixture(scope="module")
def service(skaha: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerService]:
    folder = tmp_path_factory.mktemp("skaha-service")
    token_file = folder / "skaha-token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    settings = {"url": skaha.url, "token_file": str(token_file),
                "notebook_image": NOTEBOOK_IMAGE, "preparing": 0.5, "releasing": 0.5,
                "capacity_cache": 0.0, "backoff": 0.05}
    with broker_service(folder, [{"name": "canfar", "type": "skaha",
                                  "settings": settings}]) as running:
        yield running


def notebook_request(**compute: Any) -> dict[str, Any]:
    return {
        "executable": {"kind": NOTEBOOK, "location": "https://example.org/sqrt.ipynb"},
        "compute": {"kind": COMPUTE, "cores": {"min": 1, "max": 8},
                    "memory": {"min": 2, "max": 64}, **compute},
        "schedule": {"requested": {"duration": "PT10M"}},
    }


def test_notebook_offers_are_sized_from_skahas_statistics(service: BrokerService,
                                                          skaha: Served) -> None:
    answer = service.offers(notebook_request())
    assert answer["result"] == "YES", answer
    cores = [o["compute"]["cores"] for o in answer["offers"]]
    memory = [o["compute"]["memory"] for o in answer["offers"]]
    # The double's largest session: 4 cores, 16 GiB; the request asked for up to 8 and 64.
    assert max(c["max"] if "max" in c else c["min"] for c in cores) == 4
    assert max(m["max"] if "max" in m else m["min"] for m in memory) == 16
    refused = service.offers(notebook_request(cores={"min": 6}))
    assert refused["result"] == "NO"
    assert any("4 cores" in m for m in messages(refused) or
               [x["message"] for x in refused.get("messages", [])])
    assert skaha.double.violations == []


def test_a_notebook_session_is_connected_while_available_and_cancel_deletes_it(
        service: BrokerService, skaha: Served) -> None:
    uuid, _ = service.accept_first(notebook_request())
    running = service.wait(uuid, {"RUNNING", *ENDED}, timeout=60)
    assert running["phase"] == "RUNNING", messages(running)
    made = [s for s in skaha.double.sessions.values() if s.type == "notebook"]
    assert len(made) == 1 and made[0].image == NOTEBOOK_IMAGE
    assert wait_until(lambda: service.session(uuid).get("connectors"), 20)
    [connector] = service.session(uuid)["connectors"]
    assert connector["status"] == "AVAILABLE"
    assert connector["location"].startswith(f"{skaha.root}/session/notebook/{made[0].id}/")
    assert service.update(uuid, "CANCELLED")["phase"] == "CANCELLED"
    assert wait_until(lambda: made[0].id in skaha.double.deleted, 20)
    assert made[0].id not in skaha.double.sessions
    assert skaha.double.violations == []


def test_a_skaha_error_ends_failed_with_skahas_reason(service: BrokerService,
                                                     skaha: Served) -> None:
    failing = {
        "executable": {"kind": DOCKER, "image": {"locations": [
            "images.canfar.net/skaha/fail:1"]}, "command": ["true"]},
        "compute": {"kind": COMPUTE, "cores": {"min": 1}, "memory": {"min": 1}},
        "schedule": {"requested": {"duration": "PT5M"}},
    }
    uuid, _ = service.accept_first(failing)
    done = service.wait(uuid, ENDED, timeout=60)
    assert done["phase"] == "FAILED"
    text = "\n".join(messages(done))
    assert "ended in Error" in text
    assert 'Failed to pull image "images.canfar.net/skaha/fail:1"' in text
    assert skaha.double.violations == []


def test_a_headless_container_completes_with_its_log_read_back(service: BrokerService,
                                                              skaha: Served) -> None:
    request = {
        "executable": {"kind": DOCKER, "image": {"locations": [
            "images.canfar.net/skaha/terminal:1.1.2"]}, "command": ["echo", "hello"]},
        "compute": {"kind": COMPUTE, "cores": {"min": 1}, "memory": {"min": 1}},
        "schedule": {"requested": {"duration": "PT5M"}},
    }
    uuid, _ = service.accept_first(request)
    done = service.wait(uuid, ENDED, timeout=60)
    assert done["phase"] == "COMPLETED", messages(done)
    assert any("cmd=echo args=hello" in m for m in messages(done))
    assert skaha.double.violations == []
