"""The Slurm platform against a real Slurm: capacity, a job's booking as Slurm sees it,
results, failure, cancel, and a start held with --begin."""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path

import pytest
from ivoa_eb_broker.platforms import RunState
from ivoa_eb_broker.platforms.slurm import SlurmPlatform
from ivoa_eb_broker.platforms.slurm_cli import fields, megabytes, minutes, slurm_time
from slurm_support import (
    document,
    finished,
    in_squeue,
    later,
    make_job,
    run,
    running,
    scontrol_job,
    wait_status,
)

pytestmark = pytest.mark.engine


def test_capacity_is_what_scontrol_says_of_the_nodes(platform: SlurmPlatform) -> None:
    partition = platform.default_partition()
    done = subprocess.run(["scontrol", "show", "node", "--oneliner"], capture_output=True,
                          text=True, timeout=30, check=True)
    nodes = [fields(line) for line in done.stdout.splitlines() if line.strip()]
    mine = [n for n in nodes if partition in n.get("Partitions", "").split(",")]
    assert mine, done.stdout
    capacity = platform.capacity()
    assert capacity.cores == sum(int(n["CPUTot"]) for n in mine)
    assert capacity.memory == sum(int(n["RealMemory"]) // 1024 for n in mine)
    assert capacity.storage == platform.settings.storage


def test_capacity_is_bounded_by_config(slurm: None, work: Path) -> None:
    from slurm_support import host_settings

    bounded = SlurmPlatform(host_settings(work, max_cores=1, max_memory=1, storage=7))
    capacity = bounded.capacity()
    assert (capacity.cores, capacity.memory, capacity.storage) == (1, 1, 7)


def test_job_runs_with_the_booked_shape_and_writes_its_result(platform: SlurmPlatform) -> None:
    job = make_job(document(["sh", "-c", "awk 'BEGIN{print sqrt(2)}' > storage/results/v.txt"]),
                   duration_s=180)
    run(platform.prepare(job))
    handle = run(platform.start(job))
    jobid = handle.split(":")[1]
    # What Slurm holds is what the broker booked.
    seen = scontrol_job(jobid)
    assert seen["JobName"] == f"eb-{job.uuid}"
    assert int(seen["NumCPUs"]) == job.cores
    assert int(seen["CPUs/Task"]) == job.cores
    assert megabytes(seen["MinMemoryNode"]) == job.memory * 1024
    assert minutes(seen["TimeLimit"]) == math.ceil(job.duration_s / 60)
    status = wait_status(platform, handle, finished)
    assert status.state is RunState.SUCCEEDED, status
    assert status.exit_code == 0
    result = platform.storage_dir(job.uuid, "results") / "v.txt"
    assert float(result.read_text()) == pytest.approx(2 ** 0.5, rel=1e-5)
    run(platform.release(job))
    assert not platform.session_dir(job.uuid).exists()


def test_exit_code_is_reported(platform: SlurmPlatform) -> None:
    job = make_job(document(["sh", "-c", "echo failing; exit 3"], storage=None))
    run(platform.prepare(job))
    handle = run(platform.start(job))
    status = wait_status(platform, handle, finished)
    assert status.state is RunState.FAILED, status
    assert status.exit_code == 3
    assert "3" in status.message
    # The exit status outlives Slurm's memory of the job (the wrapper's file).
    assert (platform.session_dir(job.uuid) / ".eb-exit-code").read_text().strip() == "3"
    run(platform.release(job))


def test_cancel_stops_the_job_and_leaves_no_process(platform: SlurmPlatform) -> None:
    marker = f"eb-cancel-{time.monotonic_ns()}"
    job = make_job(document(["sh", "-c", f"sleep 60; echo {marker}"], storage=None))
    run(platform.prepare(job))
    handle = run(platform.start(job))
    jobid = handle.split(":")[1]
    wait_status(platform, handle, running)
    assert in_squeue(jobid) == "RUNNING"
    deadline = time.monotonic() + 15
    while not _processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes(marker), "the job's process should run before the cancel"
    run(platform.cancel(handle))
    run(platform.cancel(handle))  # idempotent
    deadline = time.monotonic() + 30
    while in_squeue(jobid) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert in_squeue(jobid) == ""
    assert _processes(marker) == []
    assert run(platform.poll(handle)).state is RunState.CANCELLED
    run(platform.release(job))
    run(platform.release(job))  # idempotent
    assert not platform.session_dir(job.uuid).exists()


def test_begin_holds_the_job_until_the_booked_start(platform: SlurmPlatform) -> None:
    start = later(8).replace(microsecond=0)
    job = make_job(document(["sh", "-c", "date +%s > storage/results/t.txt"]), start=start)
    run(platform.hold(job))  # at accept: submitted held, queued for the booked start
    run(platform.prepare(job))  # idempotent: still one job
    listed = subprocess.run(["squeue", "--noheader", f"--name=eb-{job.uuid}", "--format=%i"],
                            capture_output=True, text=True, timeout=30, check=True)
    jobid = listed.stdout.strip()
    assert jobid.isdigit(), listed.stdout
    held = scontrol_job(jobid)
    assert held["JobState"] == "PENDING" and held["Reason"] == "JobHeldUser"
    assert held["EligibleTime"] == slurm_time(start)
    handle = run(platform.start(job))  # the scheduler calls it at the start; here early
    assert handle.split(":")[1] == jobid
    status = run(platform.poll(handle))
    assert status.state is RunState.PENDING
    # Released, it still waits for its begin time (Slurm says so on its next pass).
    deadline = time.monotonic() + 5
    while scontrol_job(jobid)["Reason"] != "BeginTime" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert scontrol_job(jobid)["Reason"] == "BeginTime"
    assert "BeginTime" in run(platform.poll(handle)).message
    status = wait_status(platform, handle, finished, timeout=60)
    assert status.state is RunState.SUCCEEDED, status
    began = int((platform.storage_dir(job.uuid, "results") / "t.txt").read_text())
    assert began >= int(start.timestamp())
    run(platform.release(job))


def test_release_before_start_withdraws_the_held_job(platform: SlurmPlatform) -> None:
    job = make_job(document(["true"], storage=None), start=later(300))
    run(platform.prepare(job))
    jobid = run(platform.submit(job))
    assert in_squeue(jobid) == "PENDING"
    run(platform.release(job))
    assert in_squeue(jobid) == ""


def test_earliest_start_asks_slurm(platform: SlurmPlatform) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    estimate = run(platform.earliest_start(1, 1, 60))
    assert estimate is not None
    assert now - timedelta(seconds=5) <= estimate <= now + timedelta(minutes=5)
    too_big = run(platform.earliest_start(64, 1, 60))
    assert too_big is None


def _processes(marker: str) -> list[str]:
    done = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, timeout=10,
                          check=False)
    return done.stdout.split()
