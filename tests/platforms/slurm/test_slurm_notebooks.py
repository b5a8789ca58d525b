"""Jupyter notebooks run headless on the Slurm platform, end to end through a broker
service: the example notebook (examples/20) runs as a batch job in the venv built by
scripts/engines/notebook-venv.sh, with its parameter from the request, reaches COMPLETED and
its printed result is read back from the session's messages; a failing cell fails the session
with the cell's error."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from broker_service import ENDED, BrokerService, broker_service, data_server, messages
from engine_gate import absent
from notebook_support import NOTEBOOK_PYTHON, example_request, serve_folder, venv_problem

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def served(slurm: None, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[BrokerService, str]]:
    problem = venv_problem()
    if problem:
        absent(problem)
    folder = tmp_path_factory.mktemp("slurm-notebooks")
    work = folder / "work"
    work.mkdir()
    www = serve_folder(folder / "www")
    settings = {"work_dir": str(work), "keep_storage": True, "allow_private_data": True,
                "preparing": 1.0, "releasing": 0.5, "capacity_cache": 0,
                "notebook_python": NOTEBOOK_PYTHON}
    with data_server(www) as base, broker_service(
            folder, [{"name": "slurm", "settings": settings}]) as service:
        service.work = work  # type: ignore[attr-defined]
        yield service, base
    for session in work.iterdir():
        subprocess.run(["scancel", f"--name=eb-{session.name}"], capture_output=True,
                       timeout=30, check=False)


def test_the_notebook_example_runs_to_completed_with_its_parameter(
        served: tuple[BrokerService, str]) -> None:
    service, base = served
    uuid, _ = service.accept_first(example_request(base, fragment="number=16"))
    done = service.wait(uuid, ENDED, timeout=180)
    assert done["phase"] == "COMPLETED", messages(done)
    finished = [t for t in messages(done) if t.startswith("The job finished (exit code 0)")]
    assert finished and "sqrt(16) = 4.000000" in finished[0], messages(done)
    executed = service.work / uuid / "notebook" / "executed.ipynb"  # type: ignore[attr-defined]
    assert "number = 16" in executed.read_text()
    assert json.loads(executed.read_text())["nbformat"] == 4


def test_a_failing_cell_fails_the_session_with_its_error(
        served: tuple[BrokerService, str]) -> None:
    service, base = served
    uuid, _ = service.accept_first(example_request(base, "failing.ipynb"))
    done = service.wait(uuid, ENDED, timeout=180)
    assert done["phase"] == "FAILED"
    text = "\n".join(messages(done))
    assert "The notebook failed in cell 3: ZeroDivisionError: division by zero" in text, text
