"""Jupyter notebooks run headless on the Docker-API platform, end to end through a broker
service: the example notebook (examples/20) runs top to bottom in the notebook image built by
scripts/engines/notebook-image.sh, with its parameter from the request, reaches COMPLETED and
its printed result is read back from the session's messages; the executed notebook is kept;
a failing cell fails the session with the cell's error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from broker_service import ENDED, BrokerService, data_server, messages
from docker_support import docker_broker
from engine_gate import absent
from notebook_support import NOTEBOOK_IMAGE, example_request, image_problem, serve_folder

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def served(engine: None, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[BrokerService, str]]:
    problem = image_problem()
    if problem:
        absent(problem)
    folder = tmp_path_factory.mktemp("docker-notebooks")
    www = serve_folder(folder / "www")
    with data_server(www) as base, docker_broker(folder, notebook_image=NOTEBOOK_IMAGE,
                                                 allow_private_data=True) as service:
        yield service, base


def test_the_notebook_example_runs_to_completed_with_its_parameter(
        served: tuple[BrokerService, str]) -> None:
    service, base = served
    uuid, _ = service.accept_first(example_request(base, fragment="number=2"))
    done = service.wait(uuid, ENDED, timeout=180)
    assert done["phase"] == "COMPLETED", messages(done)
    finished = [t for t in messages(done) if t.startswith("The job finished (exit code 0)")]
    assert finished and "sqrt(2) = 1.414214" in finished[0], messages(done)
    executed = service.work / uuid / "notebook" / "executed.ipynb"  # type: ignore[attr-defined]
    cells = json.loads(executed.read_text())["cells"]
    assert any("number = 2" in "".join(c["source"]) for c in cells)  # injected
    outputs = [o.get("text", "") for c in cells for o in c.get("outputs", [])]
    assert any("sqrt(2) = 1.414214" in "".join(t) for t in outputs)


def test_a_failing_cell_fails_the_session_with_its_error(
        served: tuple[BrokerService, str]) -> None:
    service, base = served
    uuid, _ = service.accept_first(example_request(base, "failing.ipynb"))
    done = service.wait(uuid, ENDED, timeout=180)
    assert done["phase"] == "FAILED"
    text = "\n".join(messages(done))
    assert "The notebook failed in cell 3: ZeroDivisionError: division by zero" in text, text
    assert "about to fail" in text


def test_a_notebook_that_cannot_be_fetched_fails_while_preparing(
        served: tuple[BrokerService, str], tmp_path: Path) -> None:
    service, base = served
    uuid, _ = service.accept_first(example_request(base, "missing.ipynb"))
    done = service.wait(uuid, ENDED, timeout=60)
    assert done["phase"] == "FAILED"
    assert any("fetching the notebook" in t and "404" in t for t in messages(done))
