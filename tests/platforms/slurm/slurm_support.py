"""Helpers for the Slurm platform's tests: is Slurm (or podman) here, settings that run a
command without a container, session documents and jobs shaped like broker bookings."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid as uuids
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ivoa_eb_broker.platforms import Job, RunState, Status
from ivoa_eb_broker.platforms.slurm import DOCKER, SlurmPlatform, SlurmSettings

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
COMPUTE = K + "compute/simple-compute-resource.yaml"
STORAGE = K + "storage/simple-storage-resource.yaml"
VOLUME = K + "volume/simple-volume-mount.yaml"
INSTALL = "run scripts/engines/slurm.sh as root to install a one-node cluster"


def sinfo_problem() -> str | None:
    """Why Slurm cannot be used here, or None when ``sinfo`` answers with a node."""
    if shutil.which("sinfo") is None:
        return f"Slurm is not installed (no sinfo); {INSTALL}"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--format=%N"], capture_output=True,
                              text=True, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        return f"sinfo did not answer within 10 s; {INSTALL}"
    if done.returncode != 0 or not done.stdout.strip():
        return f"sinfo does not answer ({done.stderr.strip()[:200]}); {INSTALL}"
    return None


def podman_problem() -> str | None:
    """Why the podman tests cannot run, or None."""
    if shutil.which("podman") is None:
        return "podman is not installed; run scripts/engines/podman.sh"
    done = subprocess.run(["podman", "image", "exists", "localhost/busybox:test"],
                          capture_output=True, timeout=30, check=False)
    if done.returncode != 0:
        return "podman has no image localhost/busybox:test; run scripts/engines/podman.sh"
    return None


def host_settings(work: Path, **extra: Any) -> SlurmSettings:
    """Settings that run a docker executable's command directly on the node (no container),
    so that the Slurm part is tested on its own."""
    values: dict[str, Any] = {
        "work_dir": str(work),
        "docker_command": ["{command}"],
        "docker_stop": [],
        "preparing": 0,
        "releasing": 0,
        "capacity_cache": 0,
        **extra,
    }
    return SlurmSettings.from_mapping(values)


def cancel_leftovers(work: Path) -> None:
    """scancel every job a test left behind (by the job names of its sessions)."""
    for folder in work.iterdir() if work.exists() else []:
        subprocess.run(["scancel", f"--name=eb-{folder.name}"], capture_output=True,
                       timeout=30, check=False)


def document(command: list[str], *, storage: str | None = "results",
             environment: dict[str, str] | None = None,
             mount: str = "/results") -> dict[str, Any]:
    """A session document with a docker executable and, optionally, one storage resource
    mounted read-write at ``mount``."""
    executable: dict[str, Any] = {
        "kind": DOCKER,
        "image": {"locations": ["localhost/busybox:test"]},
        "command": command,
    }
    if environment:
        executable["environment"] = environment
    compute: dict[str, Any] = {"kind": COMPUTE, "cores": {"min": 1, "max": 1},
                               "memory": {"min": 1, "max": 1}}
    result: dict[str, Any] = {"executable": executable, "compute": compute}
    if storage:
        compute["volumes"] = [{"kind": VOLUME, "path": mount, "mode": "READWRITE",
                               "resource": storage}]
        result["storage"] = [{"kind": STORAGE, "meta": {"name": storage},
                              "size": {"min": 1, "max": 1}}]
    return result


def make_job(doc: dict[str, Any], *, start: datetime | None = None, duration_s: float = 120,
             cores: int = 1, memory: int = 1) -> Job:
    return Job(uuid=str(uuids.uuid4()), document=doc, cores=cores, memory=memory, storage=1,
               start=start or datetime.now(UTC), duration_s=duration_s)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def wait_status(platform: SlurmPlatform, handle: str, done: Callable[[Status], bool],
                timeout: float = 40) -> Status:
    """Poll a job until ``done`` holds for its status; the last status."""
    deadline = time.monotonic() + timeout
    status = run(platform.poll(handle))
    while not done(status):
        if time.monotonic() > deadline:
            raise AssertionError(f"job {handle} stayed {status}")
        time.sleep(0.3)
        status = run(platform.poll(handle))
    return status


def finished(status: Status) -> bool:
    return status.state.finished


def running(status: Status) -> bool:
    return status.state is not RunState.PENDING


def scontrol_job(jobid: str) -> dict[str, str]:
    """``scontrol show job`` of a job as a dict (the fields before Command=)."""
    from ivoa_eb_broker.platforms.slurm_cli import fields

    done = subprocess.run(["scontrol", "show", "job", "--oneliner", jobid], capture_output=True,
                          text=True, timeout=30, check=True)
    return fields(done.stdout)


def in_squeue(jobid: str) -> str:
    """The job's state in squeue's default view (active jobs), '' when it is not there."""
    done = subprocess.run(["squeue", "--noheader", f"--jobs={jobid}", "--format=%T"],
                          capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip()


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
