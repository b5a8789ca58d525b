"""The Docker-API platform: each session is one container on a Docker Engine or on Podman's
Docker-compatible service, driven through the ``docker`` client library.

- Capacity is what the engine host reports (``info()``: NCPU, MemTotal), bounded by config;
  storage is the configured size of the work directory.
- Storage and data live in a directory per session under ``work_dir`` (operator-chosen, so
  the only host paths ever mounted are the platform's own): storage resource ``name`` is
  ``<work_dir>/<uuid>/storage/<name>``, data resource ``name`` is downloaded (http/https,
  size- and time-limited, see :mod:`.staging`) into ``<work_dir>/<uuid>/data/<name>/``
  while the session is PREPARING, and copied onto the storage it is placed on. The compute
  resource's volumes mount them READONLY (``ro``) or READWRITE (``rw``).
- The image is the first of ``image.locations`` present on the engine or pullable, checked
  against ``image.digest`` when given; the container gets the booked cores and memory as
  limits (``nano_cpus``, ``mem_limit``), ``no-new-privileges``, and is privileged only when
  the operator allows it.
- Published ports (``network.ports``) go to host ports the engine picks; they are reported
  as connectors on ``public_host`` while the container runs.

The handle is ``docker:<container id>``; containers are named ``eb-<uuid>`` and labelled
with the session, so ``start`` and ``release`` find them again after a restart.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from . import notebooks
from .base import (
    Capability,
    Capacity,
    Connector,
    Health,
    Job,
    Platform,
    PlatformError,
    Reason,
    RunState,
    Status,
)
from .staging import StagingError, url_problem
from .workdir import NAME as _NAME
from .workdir import SIMPLE_DATA, WorkDir
from .workdir import items as _items
from .workdir import mapping as _mapping
from .workdir import names as _names

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = K + "executable/docker-container.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
SIMPLE_STORAGE = K + "storage/simple-storage-resource.yaml"
SIMPLE_COMPUTE = K + "compute/simple-compute-resource.yaml"
SIMPLE_VOLUME = K + "volume/simple-volume-mount.yaml"
CONNECTOR_KIND = "https://www.ivoa.net/std/ExecutionBroker/v1.0/connectors/docker-port"
LABEL = "org.ivoa.executionbroker.session"
GIB = 1 << 30
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_PROTOCOLS = ("TCP", "UDP", "HTTP", "HTTPS")
_WHY_NOT = {
    SINGULARITY: "singularity containers are not supported by the docker platform "
                 "(it runs OCI images through the Docker API; Apptainer is not one)",
    NOTEBOOK: "jupyter notebooks are not supported by the docker platform without a "
              "notebook image, and none is configured (notebook_image, built by "
              "scripts/engines/notebook-image.sh)",
}


@dataclass(frozen=True)
class DockerSettings:
    """The ``[platform.docker]`` table (meanings in docs/howto/deploy-docker.md)."""

    base_url: str = "unix:///var/run/docker.sock"
    work_dir: str = "/var/lib/ivoa-eb-broker/docker"
    cores: int = 0
    memory: int = 0
    storage: int = 100
    images: tuple[str, ...] = ()
    pull: bool = True
    allow_privileged: bool = False
    public_host: str = "localhost"
    publish_address: str = ""
    network: str = ""
    keep_storage: bool = False
    data_limit: int = 1024
    data_timeout: float = 60.0
    allow_private_data: bool = False
    stop_timeout: float = 10.0
    log_lines: int = 20
    api_timeout: float = 60.0
    preparing: float = 5.0
    releasing: float = 2.0
    capacity_cache: float = 30.0
    #: The image that runs notebooks headless (python3 with nbclient and ipykernel); empty:
    #: notebooks get NO.
    notebook_image: str = ""

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> DockerSettings:
        """Read the config table, refusing unknown keys and bad values with a clear error."""
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"[platform.docker]: unknown keys {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            default = getattr(cls, key)
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or not all(
                        isinstance(v, str) and v for v in value):
                    raise ValueError(f"[platform.docker] {key}: a list of strings")
                values[key] = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"[platform.docker] {key}: true or false")
                values[key] = value
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"[platform.docker] {key}: a whole number >= 0")
                values[key] = value
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"[platform.docker] {key}: seconds >= 0")
                values[key] = float(value)
            else:
                if not isinstance(value, str):
                    raise ValueError(f"[platform.docker] {key}: a string")
                values[key] = value
        settings = cls(**values)
        if not Path(settings.work_dir).is_absolute():
            raise ValueError("[platform.docker] work_dir: an absolute path")
        if settings.api_timeout <= 0 or settings.data_timeout <= 0:
            raise ValueError("[platform.docker] api_timeout, data_timeout: more than 0 s")
        if settings.publish_address:
            try:
                ipaddress.ip_address(settings.publish_address)
            except ValueError:
                raise ValueError("[platform.docker] publish_address: an IP address") from None
        return settings


class DockerApiPlatform(Platform):
    """Runs docker-container sessions through the Docker API (see the module docstring)."""

    name = "docker"

    def __init__(self, settings: DockerSettings | None = None) -> None:
        self.settings = settings or DockerSettings()
        self._client: Any = None
        self._info: tuple[float, Mapping[str, Any]] | None = None
        #: Handles cancelled lately: only a poll racing the cancel reads it, so the last
        #: few hundred are enough, and memory stays bounded on a long-running broker.
        self._cancelled: deque[str] = deque(maxlen=512)

    @classmethod
    def declared(cls) -> tuple[Capability, ...]:
        return (
            Capability(DOCKER, True, "a container with the booked cores and memory as limits"),
            Capability(NOTEBOOK, True, "run headless, top to bottom, in the notebook image "
                       "(scripts/engines/notebook-image.sh)", "notebook_image"),
            Capability(SINGULARITY, False, _WHY_NOT[SINGULARITY]),
        )

    @classmethod
    def from_settings(cls, table: Mapping[str, Any]) -> DockerApiPlatform:
        """The platform from its ``[platform.docker]`` config table."""
        return cls(DockerSettings.from_mapping(table))

    @property
    def client(self) -> Any:
        """The ``docker.DockerClient``, made on first use (the engine may start later)."""
        if self._client is None:
            try:
                import docker
            except ImportError:  # pragma: no cover - depends on the install
                raise PlatformError("the docker platform needs the 'docker' package: "
                                    "pip install 'ivoa-eb-broker[docker]'") from None
            timeout = int(self.settings.api_timeout)
            try:
                if self.settings.base_url:
                    self._client = docker.DockerClient(base_url=self.settings.base_url,
                                                       timeout=timeout)
                else:  # DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH: remote with TLS
                    self._client = docker.from_env(timeout=timeout)
            except docker.errors.DockerException as problem:
                raise PlatformError(f"cannot reach the container engine at "
                                    f"{self.settings.base_url or 'DOCKER_HOST'}: "
                                    f"{problem}") from None
        return self._client

    async def health(self) -> Health:
        """The engine answers ``/_ping`` within ``api_timeout``."""
        where = self.settings.base_url or "DOCKER_HOST"
        try:
            await asyncio.wait_for(asyncio.to_thread(lambda: self.client.ping()),
                                   self.settings.api_timeout)
        except Exception as problem:  # PlatformError, the client's errors, a timeout
            return Health(False, f"the container engine at {where} does not answer: "
                                 f"{str(problem) or type(problem).__name__}")
        return Health(True)

    async def close(self) -> None:
        if self._client is not None:
            await asyncio.to_thread(self._client.close)
            self._client = None

    # --- what the platform offers ---------------------------------------------------------

    def supported_kinds(self) -> frozenset[str]:
        return frozenset({DOCKER, NOTEBOOK} if self.settings.notebook_image else {DOCKER})

    def resource_kinds(self) -> frozenset[str]:
        return frozenset({SIMPLE_COMPUTE, SIMPLE_VOLUME, SIMPLE_STORAGE, SIMPLE_DATA})

    def timings(self) -> tuple[timedelta, timedelta]:
        s = self.settings
        return timedelta(seconds=s.preparing), timedelta(seconds=s.releasing)

    def engine_info(self) -> Mapping[str, Any]:
        """The engine's ``info()`` (cached for ``capacity_cache`` seconds). Blocking."""
        now = time.monotonic()
        if self._info is not None and now - self._info[0] < self.settings.capacity_cache:
            return self._info[1]
        try:
            info: Mapping[str, Any] = self.client.info()
        except Exception as problem:
            raise PlatformError(f"the container engine at {self.settings.base_url} "
                                f"does not answer: {problem}") from None
        self._info = (now, info)
        return info

    def capacity(self) -> Capacity:
        s = self.settings
        try:
            info = self.engine_info()
        except PlatformError:
            return Capacity(cores=0, memory=0, storage=0)  # nothing can be offered
        cores = int(info.get("NCPU") or 0)
        memory = int(info.get("MemTotal") or 0) // GIB
        if s.cores:
            cores = min(cores, s.cores)
        if s.memory:
            memory = min(memory, s.memory)
        return Capacity(cores=cores, memory=memory, storage=s.storage)

    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        executable = _mapping(request.get("executable"))
        kind = executable.get("kind")
        if kind == NOTEBOOK and self.settings.notebook_image:
            reasons = await asyncio.to_thread(
                notebooks.check, executable, allow_private=self.settings.allow_private_data)
        elif kind in _WHY_NOT:
            return [Reason("/executable/kind", _WHY_NOT[kind])]
        elif kind != DOCKER:
            return [Reason("/executable/kind",
                           f"the docker platform does not run executables of kind {kind!r}")]
        else:
            reasons = self._check_executable(executable)
        reasons += _check_names(request)
        reasons += await asyncio.to_thread(self._check_engine, request)
        return reasons

    def _check_executable(self, executable: Mapping[str, Any]) -> list[Reason]:
        s = self.settings
        reasons = []
        if executable.get("privileged") is True and not s.allow_privileged:
            reasons.append(Reason("/executable/privileged",
                                  "privileged containers are refused on this platform"))
        image = _mapping(executable.get("image"))
        locations = image.get("locations")
        if not isinstance(locations, list) or not locations or not all(
                isinstance(v, str) and v for v in locations):
            reasons.append(Reason("/executable/image/locations", "the image needs a location"))
        elif s.images and not any(loc.startswith(p) for loc in locations for p in s.images):
            reasons.append(Reason("/executable/image/locations", (
                "this platform only runs images from " + ", ".join(s.images))))
        digest = image.get("digest")
        if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
            reasons.append(Reason("/executable/image/digest",
                                  "a digest is 'sha256:' and 64 lowercase hex digits"))
        command = executable.get("command")
        if command is not None and not (isinstance(command, list)
                                        and all(isinstance(c, str) for c in command)):
            reasons.append(Reason("/executable/command", "the command is a list of strings"))
        ports = _mapping(executable.get("network")).get("ports")
        for index, port in enumerate(_items(ports)):
            number = _mapping(port.get("internal")).get("port")
            if isinstance(number, bool) or not isinstance(number, int) \
                    or not 0 < number < 65536:
                reasons.append(Reason(f"/executable/network/ports/{index}/internal/port",
                                      "a published port needs an internal port number"))
            protocol = str(port.get("protocol") or "TCP").upper()
            if protocol not in _PROTOCOLS:
                reasons.append(Reason(f"/executable/network/ports/{index}/protocol",
                                      f"the protocol is one of {', '.join(_PROTOCOLS)}"))
        return reasons

    def _check_engine(self, request: Mapping[str, Any]) -> list[Reason]:
        """What needs the engine or the network: the image, host size, data locations."""
        reasons: list[Reason] = []
        for index, item in enumerate(_items(request.get("data"))):
            location = item.get("location")
            if item.get("kind") != SIMPLE_DATA or not isinstance(location, str):
                reasons.append(Reason(f"/data/{index}",
                                      "cannot stage this data kind on the docker platform "
                                      "(only simple-data-resource with an http(s) location)"))
                continue
            problem = url_problem(location, allow_private=self.settings.allow_private_data)
            if problem:
                reasons.append(Reason(f"/data/{index}/location", problem))
        try:
            info = self.engine_info()
        except PlatformError as problem:
            return [*reasons, Reason("", str(problem))]
        compute = _mapping(request.get("compute"))
        cores = _mapping(compute.get("cores")).get("min")
        if isinstance(cores, int) and cores > int(info.get("NCPU") or 0):
            reasons.append(Reason("/compute/cores/min", (
                f"a container runs on one host, and it has {info.get('NCPU')} cores")))
        memory = _mapping(compute.get("memory")).get("min")
        host_memory = int(info.get("MemTotal") or 0) // GIB
        if isinstance(memory, int) and memory > host_memory:
            reasons.append(Reason("/compute/memory/min", (
                f"a container runs on one host, and it has {host_memory} GiB of memory")))
        image = _mapping(_mapping(request.get("executable")).get("image"))
        locations = image.get("locations")
        if isinstance(locations, list) and locations and not self.settings.pull:
            found = [loc for loc in locations if isinstance(loc, str) and self._local(loc)]
            if not found:
                reasons.append(Reason("/executable/image/locations", (
                    "none of the image locations is on this platform, and it does not pull "
                    "images")))
        return reasons

    def _local(self, location: str) -> Any:
        """The engine's image for ``location``, or None. Blocking."""
        import docker

        try:
            return self.client.images.get(location)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError:
            return None

    # --- one session ----------------------------------------------------------------------

    @property
    def workdir(self) -> WorkDir:
        """The sessions' folders under ``work_dir`` (shared with the Slurm platform)."""
        settings = self.settings
        return WorkDir(settings.work_dir, "docker", settings.data_limit, settings.data_timeout,
                       settings.allow_private_data)

    def session_dir(self, uuid: str) -> Path:
        """The session's directory under ``work_dir``."""
        return self.workdir.session(uuid)

    def storage_dir(self, uuid: str, name: str) -> Path:
        """Where storage resource ``name`` of a session lives on the engine host."""
        return self.workdir.storage(uuid, name)

    def data_dir(self, uuid: str, name: str) -> Path:
        """Where data resource ``name`` of a session is staged on the engine host."""
        return self.workdir.data(uuid, name)

    async def prepare(self, job: Job) -> None:
        workdir = self.workdir
        await asyncio.to_thread(lambda: workdir.make(job, open_storage=True))
        if job.executable.get("kind") == NOTEBOOK:
            await self._stage_notebook(job)
        else:
            await asyncio.to_thread(self.image_for, job.executable, True)
        await workdir.stage_all(job)

    async def _stage_notebook(self, job: Job) -> None:
        """The notebook, its runner and parameters into the session; the notebook image."""
        s = self.settings
        try:
            await asyncio.to_thread(notebooks.stage, self.session_dir(job.uuid), job.executable,
                                    limit=s.data_limit * (1 << 20), timeout=s.data_timeout,
                                    allow_private=s.allow_private_data)
        except StagingError as problem:
            raise PlatformError(f"fetching the notebook: {problem}") from None
        image = {"image": {"locations": [s.notebook_image]}}
        await asyncio.to_thread(self.image_for, image, True, False)

    def image_for(self, executable: Mapping[str, Any], pull: bool = False,
                  restricted: bool = True) -> Any:
        """The engine's image for the executable: the first location present (or pulled,
        when ``pull``), checked against the digest. Blocking."""
        image = _mapping(executable.get("image"))
        locations = [v for v in image.get("locations") or [] if isinstance(v, str) and v]
        prefixes = self.settings.images if restricted else ()
        allowed = [v for v in locations if not prefixes or any(v.startswith(p)
                                                                  for p in prefixes)]
        problems = []
        for location in allowed:
            found = self._local(location)
            if found is None and pull and self.settings.pull:
                try:
                    found = self.client.images.pull(location)
                except Exception as problem:
                    problems.append(f"{location}: {problem}")
                    continue
            if found is not None:
                digest = image.get("digest")
                if isinstance(digest, str) and digest and not _matches(found, digest):
                    raise PlatformError(f"the image {location} does not have the digest "
                                        f"{digest}")
                return found
            problems.append(f"{location}: not on this platform")
        raise PlatformError("no usable image: " + ("; ".join(problems) or "no location"))

    async def start(self, job: Job) -> str:
        container = await asyncio.to_thread(self._start, job)
        return f"docker:{container.id}"

    def _start(self, job: Job) -> Any:
        import docker

        name = f"eb-{job.uuid}"
        try:
            container = self.client.containers.get(name)
        except docker.errors.NotFound:
            container = None
        if container is None:
            try:
                container = self.client.containers.create(**self.create_args(job))
            except docker.errors.APIError as problem:
                raise PlatformError(f"the container engine could not create the "
                                    f"container: {_explain(problem)}") from None
        if container.status in ("created", "configured"):
            try:
                container.start()
            except docker.errors.APIError as problem:
                raise PlatformError(f"the container engine could not start the "
                                    f"container: {_explain(problem)}") from None
        return container

    def create_args(self, job: Job) -> dict[str, Any]:
        """The ``containers.create`` arguments of a session (limits from the booking)."""
        s = self.settings
        executable = job.executable
        if executable.get("kind") == NOTEBOOK and s.notebook_image:
            return self._notebook_args(job)
        if executable.get("kind") != DOCKER:
            raise PlatformError(f"the docker platform cannot run {executable.get('kind')!r}")
        privileged = executable.get("privileged") is True
        if privileged and not s.allow_privileged:
            raise PlatformError("privileged containers are refused on this platform")
        image = self.image_for(executable)
        args: dict[str, Any] = {
            "image": image.id,
            "name": f"eb-{job.uuid}",
            "labels": {LABEL: job.uuid},
            "detach": True,
            "environment": {str(k): str(v) for k, v in job.environment.items()},
            "volumes": self.mounts(job),
            "privileged": privileged,
        }
        if not privileged:
            args["security_opt"] = ["no-new-privileges"]
        if job.cores > 0:
            args["nano_cpus"] = job.cores * 1_000_000_000
        if job.memory > 0:
            args["mem_limit"] = f"{job.memory}g"
        command = executable.get("command")
        if isinstance(command, list) and command:
            args["command"] = [str(c) for c in command]
        entrypoint = executable.get("entrypoint")
        if isinstance(entrypoint, str) and entrypoint:
            args["entrypoint"] = [entrypoint]
        ports = self.ports(job)
        if ports:
            args["ports"] = ports
            args["labels"].update(_port_labels(executable))
        if s.network:
            args["network"] = s.network
        return args

    def _notebook_args(self, job: Job) -> dict[str, Any]:
        """A notebook run headless: the runner in the notebook image, the session's notebook
        folder mounted at /eb-notebook (the executed notebook is written there)."""
        image = self.image_for({"image": {"locations": [self.settings.notebook_image]}},
                               False, False)
        volumes = self.mounts(job)
        folder = self.session_dir(job.uuid) / notebooks.FOLDER
        volumes[str(folder)] = {"bind": "/eb-notebook", "mode": "rw"}
        args: dict[str, Any] = {
            "image": image.id, "name": f"eb-{job.uuid}", "labels": {LABEL: job.uuid},
            "detach": True, "volumes": volumes, "working_dir": "/eb-notebook",
            "command": notebooks.command("python3", "/eb-notebook"),
            "security_opt": ["no-new-privileges"], "environment": {"HOME": "/tmp"},
        }
        if job.cores > 0:
            args["nano_cpus"] = job.cores * 1_000_000_000
        if job.memory > 0:
            args["mem_limit"] = f"{job.memory}g"
        if self.settings.network:
            args["network"] = self.settings.network
        return args

    def mounts(self, job: Job) -> dict[str, dict[str, str]]:
        """Host directory → ``{bind, mode}`` for each volume of the compute resource.

        Only the session's own directories under ``work_dir`` are ever mounted.
        """
        storage = set(_names(job.document.get("storage")))
        data = set(_names(job.document.get("data")))
        volumes = _mapping(job.document.get("compute")).get("volumes")
        mounts: dict[str, dict[str, str]] = {}
        for index, volume in enumerate(_items(volumes)):
            resource, path = volume.get("resource"), volume.get("path")
            if _mount_problem(path):
                raise PlatformError(f"/compute/volumes/{index}/path: {_mount_problem(path)}")
            if resource in storage:
                source, default = self.storage_dir(job.uuid, str(resource)), "rw"
            elif resource in data:
                source, default = self.data_dir(job.uuid, str(resource)), "ro"
            else:
                raise PlatformError(f"/compute/volumes/{index}/resource: no storage or data "
                                    f"resource named {resource!r}")
            mode = {"READONLY": "ro", "READWRITE": "rw"}.get(str(volume.get("mode")), default)
            mounts[str(source)] = {"bind": str(path), "mode": mode}
        return mounts

    def ports(self, job: Job) -> dict[str, Any]:
        """``internal/proto`` → host binding for each published port (host port: engine's
        choice, so a request can never claim a host port)."""
        network = _mapping(job.executable.get("network"))
        published: dict[str, Any] = {}
        address = self.settings.publish_address
        for port in _items(network.get("ports")):
            number = _mapping(port.get("internal")).get("port")
            if not isinstance(number, int) or isinstance(number, bool):
                continue
            transport = "udp" if str(port.get("protocol") or "").upper() == "UDP" else "tcp"
            published[f"{number}/{transport}"] = (address, None) if address else None
        return published

    async def poll(self, handle: str) -> Status:
        ident = _parse(handle)
        return await asyncio.to_thread(self._poll, handle, ident)

    def _poll(self, handle: str, ident: str) -> Status:
        import docker

        try:
            container = self.client.containers.get(ident)
        except docker.errors.NotFound:
            if handle in self._cancelled:
                return Status(RunState.CANCELLED, None, "the container was stopped")
            raise PlatformError(f"the container {ident[:12]} no longer exists") from None
        except docker.errors.APIError as problem:
            raise PlatformError(f"the container engine failed: {_explain(problem)}") from None
        state = _mapping(container.attrs.get("State"))
        status = str(state.get("Status") or container.status).lower()
        connectors = self._connectors(container)
        if status in ("created", "configured", "initialized"):
            return Status(RunState.PENDING, None, "the container is starting")
        if status in ("running", "paused", "restarting", "stopping"):
            return Status(RunState.RUNNING, None, "the container is running", connectors)
        finished = tuple(Connector(c.kind, "FINISHED", c.protocol, c.location)
                         for c in connectors)
        code = state.get("ExitCode")
        code = code if isinstance(code, int) else None
        if code == 0 and status in ("exited", "stopped"):
            return Status(RunState.SUCCEEDED, 0, "the container exited with exit code 0",
                          finished, self._tail(container))
        why = "it ran out of memory; " if state.get("OOMKilled") else ""
        error = str(state.get("Error") or "")
        message = f"the container exited with exit code {code}: {why}{error}".rstrip(": ")
        tail = self._tail(container)
        if tail:
            message += f"; last lines of its log:\n{tail}"
        return Status(RunState.FAILED, code, message, finished, tail)

    def _tail(self, container: Any) -> str:
        try:
            raw = container.logs(stdout=True, stderr=True, tail=self.settings.log_lines)
        except Exception:  # the log is a courtesy; the exit code is the answer
            return ""
        return str(raw.decode("utf-8", "replace")).strip()

    def _connectors(self, container: Any) -> tuple[Connector, ...]:
        """Connectors for the published ports, by the host ports the engine chose."""
        network = _mapping(container.attrs.get("NetworkSettings"))
        bound = _mapping(network.get("Ports"))
        job_ports = self._requested_ports(container)
        connectors = []
        for key, port in job_ports:
            bindings = bound.get(key)
            if not isinstance(bindings, list) or not bindings:
                continue
            host_port = _mapping(bindings[0]).get("HostPort")
            if not host_port or not port.get("access", True):
                continue
            protocol = str(port.get("protocol") or "TCP").upper()
            host = self.settings.public_host
            if protocol in ("HTTP", "HTTPS"):
                location = f"{protocol.lower()}://{host}:{host_port}{port.get('path') or ''}"
            else:
                location = f"{host}:{host_port}"
            connectors.append(Connector(CONNECTOR_KIND, "AVAILABLE", protocol, location))
        return tuple(connectors)

    def _requested_ports(self, container: Any) -> list[tuple[str, Mapping[str, Any]]]:
        """The session's port requests, kept on the container so that they survive a
        restart of the broker (the handle names only the container)."""
        labels = _mapping(_mapping(container.attrs.get("Config")).get("Labels"))
        found = []
        for key, value in labels.items():
            if not key.startswith(LABEL + ".port."):
                continue
            number, _, rest = value.partition("|")
            protocol, _, path = rest.partition("|")
            access = not key.endswith(".hidden")
            transport = "udp" if protocol == "UDP" else "tcp"
            found.append((f"{number}/{transport}",
                          {"protocol": protocol, "path": path, "access": access}))
        return sorted(found, key=lambda item: item[0])

    async def cancel(self, handle: str) -> None:
        ident = _parse(handle)
        self._cancelled.append(handle)
        await asyncio.to_thread(self._remove, ident, True)

    def _remove(self, ident: str, stop: bool) -> None:
        import docker

        try:
            container = self.client.containers.get(ident)
        except docker.errors.NotFound:
            return
        try:
            if stop and container.status == "running":
                container.stop(timeout=int(self.settings.stop_timeout))
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as problem:
            raise PlatformError(f"removing container {ident[:12]} failed: "
                                f"{_explain(problem)}") from None

    async def release(self, job: Job) -> None:
        workdir = self.workdir
        workdir.session(job.uuid)  # a usable uuid, before anything is removed
        await asyncio.to_thread(self._remove, f"eb-{job.uuid}", True)
        await asyncio.to_thread(self._remove_leftovers, job.uuid)
        await workdir.remove(job.uuid, keep_storage=self.settings.keep_storage)

    def _remove_leftovers(self, uuid: str) -> None:
        """Any other container labelled with the session (a half-made one)."""
        for container in self.client.containers.list(all=True,
                                                     filters={"label": f"{LABEL}={uuid}"}):
            self._remove(container.id, True)


def _port_labels(executable: Mapping[str, Any]) -> dict[str, str]:
    """The port requests as container labels (read back by ``_requested_ports``)."""
    labels = {}
    network = _mapping(executable.get("network"))
    for index, port in enumerate(_items(network.get("ports"))):
        number = _mapping(port.get("internal")).get("port")
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        protocol = str(port.get("protocol") or "TCP").upper()
        suffix = "" if port.get("access", True) else ".hidden"
        labels[f"{LABEL}.port.{index}{suffix}"] = f"{number}|{protocol}|{port.get('path') or ''}"
    return labels


def _matches(image: Any, digest: str) -> bool:
    """Whether the engine's image has ``digest``: as its id or one of its repo digests."""
    if image.id == digest:
        return True
    repo_digests = image.attrs.get("RepoDigests") or []
    return any(str(d).endswith("@" + digest) for d in repo_digests)


def _explain(problem: Any) -> str:
    explanation = getattr(problem, "explanation", None)
    return str(explanation or problem)


def _mount_problem(path: Any) -> str | None:
    if not isinstance(path, str) or not path.startswith("/"):
        return "a mount path is absolute"
    if path.rstrip("/") == "" or ":" in path or "," in path or "\x00" in path:
        return "a mount path is not '/' and has no ':' or ','"
    if any(part == ".." for part in path.split("/")):
        return "a mount path has no '..'"
    return None


def _check_names(request: Mapping[str, Any]) -> list[Reason]:
    """Names become directory names, and volumes must point at something mountable."""
    reasons = []
    for family in ("storage", "data"):
        for index, item in enumerate(_items(request.get(family))):
            name = _mapping(item.get("meta")).get("name")
            if isinstance(name, str) and not _NAME.fullmatch(name):
                reasons.append(Reason(f"/{family}/{index}/meta/name", (
                    f"a {family} name on the docker platform is letters, digits, '.', '_' "
                    "and '-' (it names a directory)")))
            if family == "storage" and item.get("kind") != SIMPLE_STORAGE:
                reasons.append(Reason(f"/storage/{index}/kind",
                                      "the docker platform only provides simple storage"))
    known = set(_names(request.get("storage"))) | set(_names(request.get("data")))
    volumes = _mapping(request.get("compute")).get("volumes")
    for index, volume in enumerate(_items(volumes)):
        problem = _mount_problem(volume.get("path"))
        if problem:
            reasons.append(Reason(f"/compute/volumes/{index}/path", problem))
        if volume.get("resource") not in known:
            reasons.append(Reason(f"/compute/volumes/{index}/resource",
                                  "a volume mounts a named storage or data resource"))
    return reasons


def _parse(handle: str) -> str:
    prefix, _, ident = handle.partition(":")
    if prefix != "docker" or not re.fullmatch(r"[0-9a-f]{12,64}", ident):
        raise PlatformError(f"not a docker container handle: {handle!r}")
    return ident


__all__ = ["DOCKER", "DockerApiPlatform", "DockerSettings"]
