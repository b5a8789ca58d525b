"""Helpers for the Docker-API platform's tests: is an engine here, settings for a per-test
work directory, session documents and jobs shaped like broker bookings, and a broker service
fronting the engine."""

from __future__ import annotations

import asyncio
import os
import time
import uuid as uuids
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from broker_service import BrokerService, broker_service
from ivoa_eb_broker.platforms import Job, RunState, Status
from ivoa_eb_broker.platforms.docker_api import DOCKER, DockerApiPlatform, DockerSettings

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
COMPUTE = K + "compute/simple-compute-resource.yaml"
STORAGE = K + "storage/simple-storage-resource.yaml"
VOLUME = K + "volume/simple-volume-mount.yaml"
DATA = K + "data/simple-data-resource.yaml"
IMAGE = "localhost/busybox:test"
SOCKET = os.environ.get("EB_DOCKER_URL", "unix:///tmp/podman.sock")
INSTALL = "run scripts/engines/podman.sh as root to install podman and start its API"
#: Square root of 2 by Newton's method: busybox-static's awk has no sqrt (no libm).
SQRT2 = "awk 'BEGIN{x=1; for(i=0;i<30;i++) x=(x+2/x)/2; printf \"%.9f\\n\", x}'"


def engine_problem() -> str | None:
    """Why the Docker API cannot be used here, or None when it answers and has the image."""
    try:
        import docker
    except ImportError:
        return "the docker package is not installed (pip install 'ivoa-eb-broker[docker]')"
    try:
        client = docker.DockerClient(base_url=SOCKET, timeout=10)
        client.ping()
    except Exception as problem:
        return f"no Docker API at {SOCKET} ({problem}); {INSTALL}"
    try:
        client.images.get(IMAGE)
    except Exception:
        return f"the engine at {SOCKET} has no image {IMAGE}; {INSTALL}"
    finally:
        client.close()
    return None


def settings(work: Path, **extra: Any) -> DockerSettings:
    """Settings for tests: the test engine, a per-test work directory, no waiting."""
    values: dict[str, Any] = {
        "base_url": SOCKET,
        "work_dir": str(work),
        "preparing": 0,
        "releasing": 0,
        "stop_timeout": 1,
        "pull": False,
        "allow_private_data": True,
        "public_host": "eb.example.org",
        **extra,
    }
    return DockerSettings.from_mapping(values)


def document(command: list[str] | None, *, volumes: list[dict[str, Any]] | None = None,
             storage: list[str] = ("results",), data: dict[str, str] | None = None,
             **executable: Any) -> dict[str, Any]:
    """A session document: a busybox container, named storage resources, data resources
    (name → URL) and volumes (default: ``results`` read-write at /results)."""
    exe: dict[str, Any] = {"kind": DOCKER, "image": {"locations": [IMAGE]}, **executable}
    if command is not None:
        exe["command"] = command
    if volumes is None:
        volumes = [{"kind": VOLUME, "path": "/results", "mode": "READWRITE",
                    "resource": name} for name in storage]
    doc: dict[str, Any] = {
        "executable": exe,
        "compute": {"kind": COMPUTE, "cores": {"min": 1, "max": 1},
                    "memory": {"min": 1, "max": 1}, "volumes": volumes},
        "storage": [{"kind": STORAGE, "meta": {"name": n}, "size": {"min": 1, "max": 1}}
                    for n in storage],
    }
    if data:
        doc["data"] = [{"kind": DATA, "meta": {"name": n}, "location": url}
                       for n, url in data.items()]
    return doc


#: Every session uuid a test made, so that the fixtures can remove what a failing test left.
MADE: list[str] = []


def job(doc: dict[str, Any], cores: int = 1, memory: int = 1) -> Job:
    """A job as the broker books it: now, for a minute."""
    made = Job(uuid=str(uuids.uuid4()), document=doc, cores=cores, memory=memory, storage=1,
               start=datetime.now(UTC), duration_s=60)
    MADE.append(made.uuid)
    return made


async def wait(platform: DockerApiPlatform, handle: str, timeout: float = 20,
               until: Callable[[Status], bool] = lambda s: s.state.finished) -> Status:
    """Poll until ``until`` holds (default: the job finished), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    status = await platform.poll(handle)
    while not until(status):
        if time.monotonic() > deadline:
            raise AssertionError(f"still {status.state} after {timeout} s: {status.message}")
        await asyncio.sleep(0.1)
        status = await platform.poll(handle)
    return status


def session_containers(uuid: str, sparse: bool = False) -> list[Any]:
    """Every container (any state) of a session, straight from the engine. ``sparse``: only
    what the list call says (id, status), which does not fail for a container removed
    meanwhile; else each one inspected (all its attributes)."""
    import docker

    client = docker.DockerClient(base_url=SOCKET, timeout=10)
    try:
        return client.containers.list(
            all=True, sparse=sparse,
            filters={"label": f"org.ivoa.executionbroker.session={uuid}"})
    finally:
        client.close()


def remove_leftovers(uuids_: list[str]) -> None:
    """Force-remove every container of these sessions (cleanup after a failed test)."""
    for uuid in uuids_:
        for container in session_containers(uuid, sparse=True):
            container.remove(force=True)


@contextmanager
def docker_broker(folder: Path, **settings: Any) -> Iterator[BrokerService]:
    """``ivoa-eb-broker serve`` fronting the Docker API, with quick phases and kept storage
    (``settings`` add to or override them); its work folder is ``service.work``. The
    containers its sessions leave behind are removed afterwards."""
    work = folder / "work"
    work.mkdir()
    chosen = {
        "base_url": SOCKET, "work_dir": str(work), "pull": False, "keep_storage": True,
        "preparing": 0.5, "releasing": 0.5, "stop_timeout": 1, **settings,
    }
    with broker_service(folder, [{"name": "docker", "settings": chosen}]) as running:
        running.work = work  # type: ignore[attr-defined]
        yield running
    remove_leftovers([session.name for session in work.iterdir()])


def results(service: BrokerService, uuid: str) -> Path:
    """The results storage of a session run by :func:`docker_broker` (kept after release)."""
    return service.work / uuid / "storage" / "results"  # type: ignore[attr-defined]


__all__ = ["RunState"]
