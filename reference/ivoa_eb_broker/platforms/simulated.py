"""The simulated platform: runs nothing, takes the configured time for each step.

It exists for demos, for the project's tests and for conformance runs against the
reference broker: everything around the platform (planning, bookings, lifecycle,
persistence, HTTP) is real, and the platform's behaviour is predictable and controllable:

- capacity, supported executable kinds and step durations come from config;
- a failure can be injected at a named step (``prepare``, ``start``, ``run``, ``release``),
  for every session by config (``fail``) or for one request by the environment variable
  ``EB_SIMULATE_FAIL`` in its executable (docker containers have an ``environment``);
- a data resource whose URL host ends in ``.invalid`` (RFC 2606: never resolvable) is
  reported unreachable, so a client can see a NO for unreachable data;
- a Jupyter notebook gets an HTTP connector, a container's published ports TCP connectors.

Its state is in the handle (start time, run time, injected failure), so ``poll`` answers
correctly after a broker restart, as a real engine would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .base import (
    Capability,
    Capacity,
    Connector,
    Job,
    Platform,
    PlatformError,
    Reason,
    RunState,
    Status,
)

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
DOCKER = K + "executable/docker-container.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"
FAIL_VARIABLE = "EB_SIMULATE_FAIL"
STEPS = ("prepare", "start", "run", "release")
CONNECTOR_KIND = "https://www.ivoa.net/std/ExecutionBroker/v1.0/connectors/simulated"


@dataclass(frozen=True)
class SimulatedSettings:
    """The ``[platform.simulated]`` table of the config."""

    cores: int = 16
    memory: int = 64
    storage: int = 1000
    kinds: frozenset[str] = frozenset({DOCKER, SINGULARITY, NOTEBOOK})
    preparing: float = 1.0
    running: float = 2.0
    releasing: float = 1.0
    fail: str = ""
    host: str = "simulated.localhost"

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SimulatedSettings:
        """Read the config table, refusing unknown keys and bad values with a clear error."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"[platform.simulated]: unknown keys {sorted(unknown)}")
        values = dict(table)
        if "kinds" in values:
            values["kinds"] = frozenset(values["kinds"])
        for key in ("cores", "memory", "storage"):
            if key in values and (not isinstance(values[key], int) or values[key] < 0):
                raise ValueError(f"[platform.simulated] {key}: a whole number >= 0")
        for key in ("preparing", "running", "releasing"):
            if key in values and (not isinstance(values[key], int | float) or values[key] < 0):
                raise ValueError(f"[platform.simulated] {key}: seconds >= 0")
        if values.get("fail", "") not in ("", *STEPS):
            raise ValueError(f"[platform.simulated] fail: one of {('',) + STEPS}")
        return cls(**values)


class SimulatedPlatform(Platform):
    """A platform for demos, tests and conformance runs (see the module docstring)."""

    name = "simulated"

    def __init__(self, settings: SimulatedSettings | None = None) -> None:
        self.settings = settings or SimulatedSettings()
        self._cancelled: set[str] = set()
        self._by_handle: dict[str, tuple[Connector, ...]] = {}
        #: Every call made, in order, as (step, session uuid): lets tests check that
        #: cancel and release really reached the platform.
        self.calls: list[tuple[str, str]] = []

    @classmethod
    def declared(cls) -> tuple[Capability, ...]:
        how = "simulated: nothing runs; each step takes its configured time"
        return tuple(Capability(kind, True, how) for kind in (DOCKER, SINGULARITY, NOTEBOOK))

    def supported_kinds(self) -> frozenset[str]:
        return self.settings.kinds

    def capacity(self) -> Capacity:
        s = self.settings
        return Capacity(cores=s.cores, memory=s.memory, storage=s.storage)

    def timings(self) -> tuple[timedelta, timedelta]:
        s = self.settings
        return timedelta(seconds=s.preparing), timedelta(seconds=s.releasing)

    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        reasons = []
        for index, item in enumerate(_items(request.get("data"))):
            for url in _urls(item):
                host = urlsplit(url).hostname or ""
                if host.endswith(".invalid"):
                    reasons.append(
                        Reason(f"/data/{index}", f"data location {url} is not reachable")
                    )
        return reasons

    def _failing(self, job: Job, step: str) -> bool:
        return step in (self.settings.fail, job.environment.get(FAIL_VARIABLE, ""))

    async def prepare(self, job: Job) -> None:
        self.calls.append(("prepare", job.uuid))
        await asyncio.sleep(self.settings.preparing)
        if self._failing(job, "prepare"):
            raise PlatformError("simulated failure while preparing")

    async def start(self, job: Job) -> str:
        self.calls.append(("start", job.uuid))
        if self._failing(job, "start"):
            raise PlatformError("simulated failure while starting")
        fail = 1 if self._failing(job, "run") else 0
        handle = f"sim:{job.uuid}:{time.time():.3f}:{self.settings.running}:{fail}"
        self._by_handle[handle] = self.connectors_for(job)
        return handle

    async def poll(self, handle: str) -> Status:
        _, started, running, fail = _parse(handle)
        connectors = self._connectors(handle)
        if handle in self._cancelled:
            return Status(RunState.CANCELLED, None, "cancelled", _finished(connectors))
        if time.time() < started + running:
            return Status(RunState.RUNNING, None, "running", connectors)
        if fail:
            return Status(RunState.FAILED, 1, "simulated failure while running (exit code 1)")
        return Status(RunState.SUCCEEDED, 0, "finished", _finished(connectors))

    async def cancel(self, handle: str) -> None:
        uuid, *_ = _parse(handle)
        self.calls.append(("cancel", uuid))
        self._cancelled.add(handle)

    async def release(self, job: Job) -> None:
        self.calls.append(("release", job.uuid))
        await asyncio.sleep(self.settings.releasing)
        if self._failing(job, "release"):
            raise PlatformError("simulated failure while releasing")

    def _connectors(self, handle: str) -> tuple[Connector, ...]:
        # Kept in memory only: after a restart the broker still has the connectors it
        # persisted in the session, so nothing is lost for the user.
        return self._by_handle.get(handle, ())

    def connectors_for(self, job: Job) -> tuple[Connector, ...]:
        """The connectors a session gets once available (notebook URL, published ports)."""
        executable = job.executable
        host = self.settings.host
        if executable.get("kind") == NOTEBOOK:
            location = f"http://{host}/notebooks/{job.uuid}/"
            return (Connector(CONNECTOR_KIND, "AVAILABLE", "HTTP", location),)
        connectors = []
        network = executable.get("network")
        ports = network.get("ports") if isinstance(network, Mapping) else None
        for port in _items(ports):
            if not port.get("access", True):
                continue
            external = port.get("external") if isinstance(port.get("external"), Mapping) else {}
            internal = port.get("internal") if isinstance(port.get("internal"), Mapping) else {}
            number = external.get("port") or internal.get("port")
            protocol = str(port.get("protocol") or "TCP").upper()
            path = str(port.get("path") or "")
            scheme = protocol.lower() if protocol in ("HTTP", "HTTPS") else "tcp"
            location = f"{scheme}://{host}:{number}{path}"
            connectors.append(Connector(CONNECTOR_KIND, "AVAILABLE", protocol, location))
        return tuple(connectors)


def _parse(handle: str) -> tuple[str, float, float, int]:
    try:
        prefix, uuid, started, running, fail = handle.split(":")
        if prefix != "sim":
            raise ValueError(prefix)
        return uuid, float(started), float(running), int(fail)
    except ValueError as error:
        raise PlatformError(f"not a simulated job handle: {handle!r}") from error


def _finished(connectors: Iterable[Connector]) -> tuple[Connector, ...]:
    return tuple(Connector(c.kind, "FINISHED", c.protocol, c.location) for c in connectors)


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _urls(item: Mapping[str, Any]) -> list[str]:
    urls = []
    for key in ("location", "endpoint"):
        if isinstance(item.get(key), str):
            urls.append(item[key])
    rucio = item.get("rucio")
    if isinstance(rucio, Mapping) and isinstance(rucio.get("endpoint"), str):
        urls.append(rucio["endpoint"])
    return urls
