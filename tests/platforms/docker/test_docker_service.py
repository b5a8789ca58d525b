"""End to end through a real broker service: ``ivoa-eb-broker serve`` configured with the
Docker-API platform (as an operator would, in a TOML file), driven over HTTP only.

A request is offered and accepted, a real container runs and writes its result into a results
volume that the test reads back; a cancel mid-run leaves no container; a failing command
fails the session with its exit code; a data resource served over HTTP on loopback is staged
and read by the container; notebooks and Singularity images get NO with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker_service import (
    ENDED,
    NOTEBOOK,
    SINGULARITY,
    BrokerService,
    data_server,
    messages,
    wait_until,
)
from docker_support import IMAGE, SQRT2, docker_broker, document, results, session_containers

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def service(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerService]:
    """One broker service for the module (it starts in seconds; the sessions are apart)."""
    folder = tmp_path_factory.mktemp("docker-service")
    with docker_broker(folder, allow_private_data=True) as running:
        yield running


def request(command: list[str], **extra: Any) -> dict[str, Any]:
    made = document(command, **extra)
    made["schedule"] = {"requested": {"duration": "PT2M"}}
    return made


def test_a_container_runs_and_its_result_is_read_back(service: BrokerService) -> None:
    uuid, accepted = service.accept_first(request(["sh", "-c", f"{SQRT2} > /results/out.txt"]))
    assert accepted["phase"] in {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING"}
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    assert any("Started on platform docker as docker:" in t for t in messages(done))
    assert float((results(service, uuid) / "out.txt").read_text()) == pytest.approx(2 ** 0.5)
    assert session_containers(uuid, sparse=True) == []  # released: the container is gone


def test_a_cancel_mid_run_leaves_no_container(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sleep", "120"]))
    service.wait(uuid, {"RUNNING"})
    states = lambda: [c.status for c in session_containers(uuid, sparse=True)]  # noqa: E731
    assert wait_until(lambda: states() == ["running"], 15)
    assert service.update(uuid, "CANCELLED")["phase"] == "CANCELLED"
    assert wait_until(lambda: session_containers(uuid, sparse=True) == [], 20)
    done = service.session(uuid)
    assert done["phase"] == "CANCELLED"
    assert any("stopped and resources released" in t for t in messages(done)) or \
        wait_until(lambda: any("released" in t for t in messages(service.session(uuid))), 10)


def test_a_failing_command_fails_with_its_exit_code(service: BrokerService) -> None:
    uuid, _ = service.accept_first(request(["sh", "-c", "echo no input >&2; exit 7"]))
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "FAILED"
    text = " ".join(messages(done))
    assert "exit code 7" in text and "no input" in text
    assert wait_until(lambda: session_containers(uuid, sparse=True) == [], 15)


def test_data_served_on_loopback_is_staged_and_read(service: BrokerService,
                                                    tmp_path: Path) -> None:
    www = tmp_path / "www"
    www.mkdir()
    (www / "catalogue.csv").write_text("ra,dec\n83.633,22.014\n10.684,41.269\n")
    with data_server(www) as base:
        volumes = [
            {"kind": document(None)["compute"]["volumes"][0]["kind"], "path": "/results",
             "mode": "READWRITE", "resource": "results"},
            {"kind": document(None)["compute"]["volumes"][0]["kind"], "path": "/data",
             "mode": "READONLY", "resource": "catalogue"},
        ]
        made = request(["sh", "-c", "wc -l < /data/catalogue.csv > /results/lines; "
                                    "cat /data/catalogue.csv > /results/copy.csv"],
                       volumes=volumes, data={"catalogue": f"{base}/catalogue.csv"})
        uuid, _ = service.accept_first(made)
        done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    assert int((results(service, uuid) / "lines").read_text()) == 3
    assert (results(service, uuid) / "copy.csv").read_text() == (www / "catalogue.csv").read_text()


@pytest.mark.parametrize(("kind", "field", "said"), [
    (NOTEBOOK, {"location": "https://example.org/notebook.ipynb"}, "jupyter-notebook.yaml"),
    (SINGULARITY, {"location": "https://example.org/tool.sif"}, "singularity-container.yaml"),
])
def test_notebooks_and_singularity_images_get_no_with_a_reason(
        service: BrokerService, kind: str, field: dict[str, str], said: str) -> None:
    made = request(["true"])
    made["executable"] = {"kind": kind, **field}
    answer = service.offers(made)
    assert answer["result"] == "NO"
    assert answer.get("offers", []) == []
    texts = messages(answer)
    # The docker platform runs OCI images only: the broker says so, naming the kind.
    assert any(said in t and "does not run executables of kind" in t for t in texts), texts
    paths = [m["values"]["path"] for m in answer["meta"]["messages"]]
    assert "/executable/kind" in paths


def test_the_image_is_the_one_on_the_engine(service: BrokerService) -> None:
    # Sanity: the tests' image is what the config lets the platform run (pull = false).
    answer = service.offers(request(["true"]))
    assert answer["result"] == "YES", messages(answer)
    assert answer["offers"][0]["executable"]["image"]["locations"] == [IMAGE]
