"""``hold = "reservation"``: the booked cores and window become a Slurm advance
reservation, the job runs inside it, and Slurm itself refuses to hold more than it has."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from ivoa_eb_broker.platforms import PlatformError, RunState
from ivoa_eb_broker.platforms.slurm import SlurmPlatform
from ivoa_eb_broker.platforms.slurm_cli import fields, slurm_time
from slurm_support import (
    cancel_leftovers,
    document,
    finished,
    host_settings,
    later,
    make_job,
    run,
    scontrol_job,
    wait_status,
)

pytestmark = pytest.mark.engine


@pytest.fixture
def reserving(slurm: None, work: Path) -> Iterator[SlurmPlatform]:
    made = SlurmPlatform(host_settings(work, hold="reservation"))
    yield made
    cancel_leftovers(work)
    for folder in work.iterdir():
        subprocess.run(["scontrol", "delete", f"ReservationName=eb-{folder.name}"],
                       capture_output=True, timeout=30, check=False)


def reservation(name: str) -> dict[str, str]:
    done = subprocess.run(["scontrol", "show", "reservation", "--oneliner", name],
                          capture_output=True, text=True, timeout=30, check=False)
    return fields(done.stdout) if done.returncode == 0 else {}


def test_job_runs_inside_its_reservation(reserving: SlurmPlatform) -> None:
    start = later(5).replace(microsecond=0)
    job = make_job(document(["true"], storage=None), start=start, duration_s=120)
    run(reserving.prepare(job))
    held = reservation(f"eb-{job.uuid}")
    assert held["StartTime"] == slurm_time(start)
    assert held["Duration"] == "00:02:00"
    assert held["CoreCnt"] == str(job.cores)
    handle = run(reserving.start(job))
    jobid = handle.split(":")[1]
    assert scontrol_job(jobid)["Reservation"] == f"eb-{job.uuid}"
    status = wait_status(reserving, handle, finished, timeout=60)
    assert status.state is RunState.SUCCEEDED, status
    run(reserving.release(job))
    assert reservation(f"eb-{job.uuid}") == {}


def test_slurm_refuses_to_hold_more_cores_than_it_has(reserving: SlurmPlatform) -> None:
    start = later(0) + timedelta(days=2)
    cores = sum(node.cpus for node in reserving.nodes() if node.name)
    first = make_job(document(["true"], storage=None), start=start, cores=cores)
    second = make_job(document(["true"], storage=None), start=start, cores=1)
    run(reserving.prepare(first))
    with pytest.raises(PlatformError, match="reservation"):
        run(reserving.prepare(second))
    run(reserving.release(second))
    run(reserving.release(first))
    assert reservation(f"eb-{first.uuid}") == {}
