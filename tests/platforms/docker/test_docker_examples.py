"""The project's example requests, as a user posts them, run on the Docker-API platform by a
real broker service (podman's Docker-compatible API in CI): each reaches COMPLETED and its
output is read back, from the session's messages or from a results volume it keeps.

A broker of their own, so that offers other tests leave open do not hold the engine's cores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from broker_service import ENDED, BrokerService, messages
from docker_support import docker_broker, results

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def service(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerService]:
    with docker_broker(tmp_path_factory.mktemp("docker-examples")) as running:
        yield running


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def example(name: str, *, now: bool = False) -> dict[str, Any]:
    """An example request as a user would post it; ``now`` drops its start time (it asks
    for 2030) and storage release date, so that the session runs during the test."""
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    if now:
        document.pop("schedule", None)
        for storage in document.get("storage", []):
            storage.pop("schedule", None)
    return document


def test_the_square_root_example_completes_and_prints_its_result(
    service: BrokerService,
) -> None:
    """examples/01: the standard's running example, its output read from the session."""
    uuid, _ = service.accept_first(example("01-sqrt-docker"))
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    finished = [t for t in messages(done) if t.startswith("The job finished (exit code 0)")]
    assert finished and finished[0].splitlines()[-1] == "1.414213", messages(done)


def test_the_direct_example_runs_without_the_offer_step(service: BrokerService) -> None:
    """examples/12: POST /direct starts the session at once; it runs to COMPLETED."""
    response = service.http.post(
        "/direct",
        content=yaml.safe_dump(example("12-direct-sqrt")),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text
    uuid = yaml.safe_load(response.text)["meta"]["uuid"]
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    assert any(t.endswith("\n1.414213") for t in messages(done)), messages(done)


def test_the_results_example_leaves_its_results_for_the_client(service: BrokerService) -> None:
    """examples/07, run now: ten square roots written to a results volume that is kept."""
    uuid, _ = service.accept_first(example("07-results-outlive-session", now=True))
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    rows = [
        line.split() for line in (results(service, uuid) / "roots.txt").read_text().splitlines()
    ]
    assert [int(n) for n, _ in rows] == list(range(1, 11))
    assert [float(root) for _, root in rows] == pytest.approx(
        [n**0.5 for n in range(1, 11)], abs=1e-6
    )


def test_the_scratch_example_writes_into_its_scratch_volume(service: BrokerService) -> None:
    """examples/04: 16 MiB written into read-write scratch storage; `ls` shows it."""
    uuid, _ = service.accept_first(example("04-scratch-storage"))
    done = service.wait(uuid, ENDED)
    assert done["phase"] == "COMPLETED", messages(done)
    assert any("work.bin" in t and str(16 * 1024 * 1024) in t for t in messages(done)), messages(
        done
    )
