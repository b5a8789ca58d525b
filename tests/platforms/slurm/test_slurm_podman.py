"""Slurm jobs that run a docker executable through the configured runtime command (podman):
the result lands in the session's storage, and a cancel leaves no container behind."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_gate import absent
from ivoa_eb_broker.platforms import RunState
from ivoa_eb_broker.platforms.slurm import SlurmPlatform, SlurmSettings
from slurm_support import (
    cancel_leftovers,
    document,
    finished,
    in_squeue,
    make_job,
    podman_problem,
    run,
    running,
    wait_status,
)

pytestmark = pytest.mark.engine


@pytest.fixture
def podman_platform(slurm: None, work: Path) -> Iterator[SlurmPlatform]:
    problem = podman_problem()
    if problem:
        absent(problem)  # skip here, fail in CI
    made = SlurmPlatform(SlurmSettings.from_mapping(
        {"work_dir": str(work), "preparing": 0, "releasing": 0}
    ))
    yield made
    cancel_leftovers(work)


def containers(name: str) -> list[str]:
    done = subprocess.run(["podman", "ps", "--all", "--noheading", f"--filter=name={name}",
                           "--format={{.Names}}"], capture_output=True, text=True, timeout=30,
                          check=True)
    return done.stdout.split()


def test_container_writes_its_result_into_the_mounted_storage(
    podman_platform: SlurmPlatform,
) -> None:
    # busybox's awk has no maths here; its bc has.
    script = ("echo 'scale=6; sqrt(2)' | busybox bc > /results/v.txt"
              " && echo \"$GREETING\" > /results/g")
    job = make_job(document(["/bin/sh", "-c", script], environment={"GREETING": "hello; $x"}))
    stop, command = podman_platform.runtime(job)
    assert command[:2] == ["podman", "run"]
    assert f"{podman_platform.storage_dir(job.uuid, 'results')}:/results:rw" in command
    assert stop[-1] == f"eb-{job.uuid}"
    run(podman_platform.prepare(job))
    handle = run(podman_platform.start(job))
    status = wait_status(podman_platform, handle, finished, timeout=60)
    assert status.state is RunState.SUCCEEDED, (status, _log(podman_platform, job.uuid))
    results = podman_platform.storage_dir(job.uuid, "results")
    assert float((results / "v.txt").read_text()) == pytest.approx(2 ** 0.5, rel=1e-5)
    # The environment reaches the container as data, never through a shell.
    assert (results / "g").read_text() == "hello; $x\n"
    run(podman_platform.release(job))
    assert containers(f"eb-{job.uuid}") == []


def test_cancel_removes_the_container(podman_platform: SlurmPlatform) -> None:
    job = make_job(document(["sleep", "60"], storage=None))
    run(podman_platform.prepare(job))
    handle = run(podman_platform.start(job))
    jobid = handle.split(":")[1]
    wait_status(podman_platform, handle, running, timeout=30)
    deadline = time.monotonic() + 30
    while not containers(f"eb-{job.uuid}") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert containers(f"eb-{job.uuid}") == [f"eb-{job.uuid}"]
    run(podman_platform.cancel(handle))
    deadline = time.monotonic() + 40
    while (in_squeue(jobid) or containers(f"eb-{job.uuid}")) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert in_squeue(jobid) == ""
    assert containers(f"eb-{job.uuid}") == []
    assert run(podman_platform.poll(handle)).state is RunState.CANCELLED
    run(podman_platform.release(job))


def _log(platform: SlurmPlatform, uuid: str) -> str:
    folder = platform.session_dir(uuid)
    return "\n".join(p.read_text() for p in folder.glob("slurm-*.out"))
