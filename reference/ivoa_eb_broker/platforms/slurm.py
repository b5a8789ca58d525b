"""The Slurm platform: each session is one batch job on a real Slurm cluster.

- Capacity is what Slurm says the partition's usable nodes have (``sinfo``), bounded by
  config; a request larger than the largest node gets a reason, since a job runs on one node.
- An accepted session holds its slot in Slurm from the moment it is accepted (:meth:`hold`,
  the broker's accept-time hook): the batch job is submitted *held* (``--hold``) with
  ``--begin`` at the booked start, ``--time``, ``--cpus-per-task`` and ``--mem`` equal to the
  booking, so ``squeue`` lists it PENDING until its start. At the booked start, once
  :meth:`prepare` has staged its data, :meth:`start` releases it (``scontrol release``).
  With ``hold = "reservation"`` an advance reservation for the booked cores and window is
  created first and the job submitted into it (see docs/howto/deploy-slurm.md).
- The job runs a fixed wrapper script (``job.sh``) whose arguments are the runtime command
  (``podman run ...`` for a docker container, ``apptainer run ...`` for a singularity
  container): user text only ever travels as separate arguments, never through a shell.
  The wrapper stops the container when Slurm signals the job (scancel, time limit), because
  podman's container outlives its client otherwise, and records the exit status in the
  session directory so that a result is known after Slurm forgets the job.
- Storage is a directory per session under ``work_dir`` (shared with the nodes): each named
  storage resource is ``<work_dir>/<uuid>/storage/<name>``, mounted where the compute
  resource's volumes say. ``release`` removes it (``keep_storage`` keeps the storage).
- A data resource (``simple-data-resource`` over http or https) is downloaded by the broker
  into ``<work_dir>/<uuid>/data/<name>/`` while the session prepares (size- and time-limited,
  public addresses only unless allowed, see :mod:`.staging`), and copied onto the storage
  resource it is placed on; a volume may mount it (read-only by default).

The handle is ``slurm:<job id>:<session uuid>``: enough to poll and cancel after a restart.
"""

from __future__ import annotations

import asyncio
import getpass
import math
import re
import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import notebooks
from . import slurm_cli as cli
from .base import (
    Capability,
    Capacity,
    Health,
    Job,
    Platform,
    PlatformError,
    Reason,
    RunState,
    Status,
)
from .slurm_cli import STATES, status_of
from .staging import StagingError, url_problem
from .workdir import NAME as _NAME
from .workdir import SIMPLE_DATA, WorkDir
from .workdir import UUID as _UUID
from .workdir import items as _items
from .workdir import mapping as _mapping
from .workdir import names as _names

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = K + "executable/docker-container.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
SIMPLE_COMPUTE = K + "compute/simple-compute-resource.yaml"
SIMPLE_VOLUME = K + "volume/simple-volume-mount.yaml"
SIMPLE_STORAGE = K + "storage/simple-storage-resource.yaml"

#: What a Singularity image needs on the nodes, and why this project's CI has none.
APPTAINER_NEEDED = (
    "apptainer on the nodes: neither apptainer nor singularity-container is packaged in "
    "Debian 12, so on a Debian node without it (as in this project's CI) the answer is NO")

#: The batch script of every session; constant, so no user text is ever part of a script.
#: Usage: job.sh N STOP_1 .. STOP_N RUN... (the stop command, then the runtime command).
JOB_SCRIPT = """#!/bin/bash
# Written by the IVOA ExecutionBroker Slurm platform. Runs RUN...; on SIGTERM (scancel,
# time limit) runs the stop command first, so that a container does not outlive the job.
n=$1; shift
stop=("${@:1:$n}"); shift "$n"
stopped() {
  trap - TERM INT
  if [ "${#stop[@]}" -gt 0 ]; then "${stop[@]}" >/dev/null 2>&1; fi
  kill -TERM "$child" 2>/dev/null
  wait "$child"
  exit 143
}
trap stopped TERM INT
"$@" &
child=$!
wait "$child"; rc=$?
echo "$rc" > .eb-exit-code
exit "$rc"
"""
EXIT_FILE = ".eb-exit-code"
#: Lines of a job's output quoted in the session's messages when it ends.
OUTPUT_LINES = 20
JOBID_FILE = ".eb-jobid"
_PLACEHOLDER = re.compile(r"\{(image|name|session|uuid)\}")
_LISTS = ("{mounts}", "{env}", "{entrypoint}", "{command}")
_USABLE = {"idle", "mixed", "allocated", "completing", "reserved", "planned"}

def _words(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"[platform.slurm] {key}: a command line or a list of strings")


@dataclass(frozen=True)
class SlurmSettings:
    """The ``[platform.slurm]`` table (meanings in docs/howto/deploy-slurm.md)."""

    partition: str = ""
    work_dir: str = "/var/lib/ivoa-eb-broker/slurm"
    hold: str = "begin"
    storage: int = 100
    max_cores: int = 0
    max_memory: int = 0
    keep_storage: bool = False
    export: str = "PATH,HOME,LANG"
    docker_command: tuple[str, ...] = (
        "podman", "run", "--rm", "--network=none", "--name", "{name}",
        "{mounts}", "{env}", "{entrypoint}", "{image}", "{command}",
    )
    docker_stop: tuple[str, ...] = ("podman", "rm", "--force", "--time", "0", "{name}")
    docker_mount: str = "-v"
    docker_env: str = "-e"
    singularity_command: tuple[str, ...] = (
        "apptainer", "run", "--containall", "{mounts}", "{image}",
    )
    singularity_stop: tuple[str, ...] = ()
    singularity_mount: str = "--bind"
    singularity_env: str = "--env"
    data_limit: int = 1024
    data_timeout: float = 60.0
    allow_private_data: bool = False
    command_timeout: float = 30.0
    preparing: float = 5.0
    releasing: float = 2.0
    capacity_cache: float = 10.0
    #: The Python of a venv with nbclient and ipykernel on the nodes (built by
    #: scripts/engines/notebook-venv.sh) that runs notebooks headless; empty: notebooks get NO.
    notebook_python: str = ""

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SlurmSettings:
        """Read the config table, refusing unknown keys and bad values with a clear error."""
        known = {f.name: f for f in fields(cls)}
        unknown = set(table) - set(known)
        if unknown:
            raise ValueError(f"[platform.slurm]: unknown keys {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            default = getattr(cls, key)
            if isinstance(default, tuple):
                values[key] = _words(value, key)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"[platform.slurm] {key}: true or false")
                values[key] = value
            elif isinstance(default, int) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"[platform.slurm] {key}: a whole number >= 0")
                values[key] = value
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"[platform.slurm] {key}: seconds >= 0")
                values[key] = float(value)
            else:
                if not isinstance(value, str):
                    raise ValueError(f"[platform.slurm] {key}: a string")
                values[key] = value
        settings = cls(**values)
        if settings.hold not in ("begin", "reservation"):
            raise ValueError("[platform.slurm] hold: 'begin' or 'reservation'")
        if settings.command_timeout <= 0:
            raise ValueError("[platform.slurm] command_timeout: more than 0 seconds")
        if settings.data_timeout <= 0:
            raise ValueError("[platform.slurm] data_timeout: more than 0 seconds")
        if not Path(settings.work_dir).is_absolute():
            raise ValueError("[platform.slurm] work_dir: an absolute path")
        return settings


@dataclass(frozen=True)
class Node:
    """One usable node of the partition, as ``sinfo`` reports it."""

    name: str
    cpus: int
    memory_mb: int


class SlurmPlatform(Platform):
    """Runs sessions as Slurm batch jobs (see the module docstring)."""

    name = "slurm"

    def __init__(self, settings: SlurmSettings | None = None) -> None:
        self.settings = settings or SlurmSettings()
        self._nodes: tuple[float, tuple[Node, ...]] | None = None
        #: One submission at a time per session (accept and prepare may race).
        self._submitting: dict[str, asyncio.Lock] = {}

    @classmethod
    def declared(cls) -> tuple[Capability, ...]:
        return (
            Capability(DOCKER, True, "a batch job running the image with podman on the node",
                       "podman on the nodes"),
            Capability(NOTEBOOK, True, "a batch job running the notebook headless, top to "
                       "bottom, in a venv (scripts/engines/notebook-venv.sh)",
                       "notebook_python"),
            Capability(SINGULARITY, True, "a batch job running the image with apptainer",
                       APPTAINER_NEEDED),
        )

    @classmethod
    def from_settings(cls, table: Mapping[str, Any]) -> SlurmPlatform:
        """The platform from its ``[platform.slurm]`` config table."""
        return cls(SlurmSettings.from_mapping(table))

    # --- what the platform offers ---------------------------------------------------------

    async def health(self) -> Health:
        """The controller answers ``scontrol ping`` (exit 0 when it is UP)."""
        try:
            result = await cli.run(["scontrol", "ping"], self.settings.command_timeout)
        except PlatformError as problem:
            return Health(False, f"Slurm: {problem}")
        if not result.ok:
            return Health(False, f"Slurm's controller does not answer: {result.text}")
        return Health(True)

    def supported_kinds(self) -> frozenset[str]:
        kinds = {DOCKER, SINGULARITY}
        if self.settings.notebook_python:
            kinds.add(NOTEBOOK)
        return frozenset(kinds)

    def resource_kinds(self) -> frozenset[str]:
        return frozenset({SIMPLE_COMPUTE, SIMPLE_VOLUME, SIMPLE_STORAGE, SIMPLE_DATA})

    def timings(self) -> tuple[timedelta, timedelta]:
        s = self.settings
        return timedelta(seconds=s.preparing), timedelta(seconds=s.releasing)

    def nodes(self) -> tuple[Node, ...]:
        """The partition's usable nodes (cached for ``capacity_cache`` seconds)."""
        now = time.monotonic()
        if self._nodes is not None and now - self._nodes[0] < self.settings.capacity_cache:
            return self._nodes[1]
        args = ["sinfo", "--noheader", "--Node", "--format=%N|%c|%m|%T"]
        if self.settings.partition:
            args.append(f"--partition={self.settings.partition}")
        else:
            args.append(f"--partition={self.default_partition()}")
        result = cli.run_sync(args, self.settings.command_timeout)
        if not result.ok:
            raise PlatformError(f"sinfo failed: {result.text}")
        found: dict[str, Node] = {}
        for line in result.stdout.splitlines():
            parts = line.strip().split("|")
            if len(parts) != 4:
                continue
            name, cpus, memory, state = parts
            if state.rstrip("*~#!%$@^-+").lower() not in _USABLE:
                continue
            found[name] = Node(name, int(cpus), int(memory))
        nodes = tuple(found.values())
        self._nodes = (now, nodes)
        return nodes

    def default_partition(self) -> str:
        """The partition jobs go to when none is configured (Slurm's Default=YES)."""
        result = cli.run_sync(["scontrol", "show", "partition", "--oneliner"],
                              self.settings.command_timeout)
        if not result.ok:
            raise PlatformError(f"scontrol show partition failed: {result.text}")
        for line in result.stdout.splitlines():
            values = cli.fields(line)
            if values.get("Default") == "YES":
                return values.get("PartitionName", "")
        raise PlatformError("Slurm has no default partition; set [platform.slurm] partition")

    def capacity(self) -> Capacity:
        nodes = self.nodes()
        cores = sum(n.cpus for n in nodes)
        memory = sum(n.memory_mb // 1024 for n in nodes)
        s = self.settings
        if s.max_cores:
            cores = min(cores, s.max_cores)
        if s.max_memory:
            memory = min(memory, s.max_memory)
        return Capacity(cores=cores, memory=memory, storage=s.storage)

    def largest(self) -> Capacity | None:
        # A job runs on one node: no offer larger than the largest usable node.
        try:
            nodes = self.nodes()
        except PlatformError:
            return None
        if len(nodes) < 2:
            return None  # the capacity is that node already
        s = self.settings
        cores = max(n.cpus for n in nodes)
        memory = max(n.memory_mb // 1024 for n in nodes)
        return Capacity(cores=min(cores, s.max_cores or cores),
                        memory=min(memory, s.max_memory or memory), storage=s.storage)

    async def earliest_start(
        self, cores: int, memory: int, duration_s: float, after: datetime | None = None
    ) -> datetime | None:
        """When Slurm would start such a job (``sbatch --test-only``); None if it cannot say.

        What the broker could use to offer honest start times on a shared cluster.
        """
        args = ["sbatch", "--test-only", *self._shape(cores, memory, duration_s)]
        if after is not None:
            args.append(f"--begin={cli.slurm_time(after)}")
        args.append("--wrap=true")
        result = await cli.run(args, self.settings.command_timeout)
        if not result.ok:
            return None
        return cli.estimated_start(result.stderr + result.stdout)

    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        reasons: list[Reason] = []
        executable = _mapping(request.get("executable"))
        kind = executable.get("kind")
        if kind == NOTEBOOK:
            python = self.settings.notebook_python
            if not python:
                reasons.append(Reason("/executable/kind", (
                    "Jupyter notebooks are not supported on this Slurm platform: no notebook "
                    "Python is configured (notebook_python, a venv built by "
                    "scripts/engines/notebook-venv.sh)")))
            elif not Path(python).exists() and not shutil.which(python):
                reasons.append(Reason("/executable/kind", (
                    f"Jupyter notebooks need {python}, which is not installed on this "
                    "platform")))
            else:
                reasons += await asyncio.to_thread(
                    notebooks.check, executable,
                    allow_private=self.settings.allow_private_data)
        elif kind == DOCKER:
            reasons += self._check_docker(executable)
        elif kind == SINGULARITY:
            if not isinstance(executable.get("location"), str) or not executable["location"]:
                reasons.append(Reason("/executable/location", "a singularity container "
                                      "needs a location (an image file or URL)"))
            missing = _installed(self.settings.singularity_command, "/executable/kind",
                                 "singularity containers")
            reasons += [Reason(r.path, f"{r.message} (neither apptainer nor "
                               "singularity-container is packaged in Debian 12)")
                        for r in missing]
        reasons += await asyncio.to_thread(self._check_data, request)
        reasons += self._check_storage(request)
        reasons += await self._check_size(request)
        return reasons

    def _check_docker(self, executable: Mapping[str, Any]) -> list[Reason]:
        reasons = []
        if executable.get("privileged") is True:
            reasons.append(Reason("/executable/privileged",
                                  "privileged containers are refused on the Slurm platform"))
        image = _mapping(executable.get("image"))
        locations = image.get("locations")
        if not isinstance(locations, list) or not locations or not isinstance(locations[0], str):
            reasons.append(Reason("/executable/image/locations", "the image needs a location"))
        ports = _mapping(executable.get("network")).get("ports")
        if _items(ports):
            reasons.append(Reason("/executable/network/ports", (
                "the Slurm platform runs containers without network: ports cannot be "
                "published")))
        reasons += _installed(self.settings.docker_command, "/executable/kind",
                              "docker containers")
        return reasons

    def _check_data(self, request: Mapping[str, Any]) -> list[Reason]:
        """Data must be stageable: simple, over http(s), from an allowed address. Blocking."""
        reasons = []
        for index, item in enumerate(_items(request.get("data"))):
            location = item.get("location")
            if item.get("kind") != SIMPLE_DATA or not isinstance(location, str):
                reasons.append(Reason(f"/data/{index}", (
                    "cannot stage this data kind on the Slurm platform (only "
                    "simple-data-resource with an http(s) location)")))
                continue
            name = _mapping(item.get("meta")).get("name")
            if isinstance(name, str) and not _NAME.fullmatch(name):
                reasons.append(Reason(f"/data/{index}/meta/name", (
                    "a data name on the Slurm platform is letters, digits, '.', '_' and "
                    "'-' (it names a directory)")))
            problem = url_problem(location, allow_private=self.settings.allow_private_data)
            if problem:
                reasons.append(Reason(f"/data/{index}/location", problem))
        return reasons

    def _check_storage(self, request: Mapping[str, Any]) -> list[Reason]:
        reasons = []
        for index, item in enumerate(_items(request.get("storage"))):
            name = _mapping(item.get("meta")).get("name")
            if isinstance(name, str) and not _NAME.fullmatch(name):
                reasons.append(Reason(f"/storage/{index}/meta/name", (
                    "a storage name on the Slurm platform is letters, digits, '.', '_' and "
                    "'-' (it names a directory)")))
        volumes = _mapping(request.get("compute")).get("volumes")
        for index, volume in enumerate(_items(volumes)):
            path = volume.get("path")
            if not isinstance(path, str) or not path.startswith("/") or ":" in path \
                    or "," in path:
                reasons.append(Reason(f"/compute/volumes/{index}/path",
                                      "a mount path is absolute and has no ':' or ','"))
        return reasons

    async def _check_size(self, request: Mapping[str, Any]) -> list[Reason]:
        compute = _mapping(request.get("compute"))
        try:
            nodes = await asyncio.to_thread(self.nodes)
        except PlatformError as problem:
            return [Reason("", f"Slurm does not answer: {problem}")]
        if not nodes:
            return [Reason("", "the Slurm partition has no usable node")]
        largest_cores = max(n.cpus for n in nodes)
        largest_memory = max(n.memory_mb // 1024 for n in nodes)
        reasons = []
        cores = _mapping(compute.get("cores")).get("min")
        if isinstance(cores, int) and cores > largest_cores:
            reasons.append(Reason("/compute/cores/min", (
                f"a Slurm job runs on one node, and the largest has {largest_cores} cores")))
        memory = _mapping(compute.get("memory")).get("min")
        if isinstance(memory, int) and memory > largest_memory:
            reasons.append(Reason("/compute/memory/min", (
                f"a Slurm job runs on one node, and the largest has {largest_memory} GiB")))
        return reasons

    # --- one session ----------------------------------------------------------------------

    @property
    def workdir(self) -> WorkDir:
        """The sessions' folders under ``work_dir`` (shared with the Docker-API platform)."""
        settings = self.settings
        return WorkDir(settings.work_dir, "Slurm", settings.data_limit, settings.data_timeout,
                       settings.allow_private_data)

    def session_dir(self, uuid: str) -> Path:
        """The session's directory under ``work_dir``."""
        return self.workdir.session(uuid)

    def storage_dir(self, uuid: str, name: str) -> Path:
        """Where the storage resource ``name`` of a session lives on the shared file system."""
        return self.workdir.storage(uuid, name)

    def data_dir(self, uuid: str, name: str) -> Path:
        """Where data resource ``name`` of a session is staged on the shared file system."""
        return self.workdir.data(uuid, name)

    async def hold(self, job: Job) -> None:
        """The accept-time hook: the job is submitted held, with ``--begin`` at the booked
        start, so Slurm queues it (PENDING) from the moment the offer is accepted."""
        await self.submit(job)

    async def prepare(self, job: Job) -> None:
        await asyncio.to_thread(self._make_folders, job)
        await self.workdir.stage_all(job)
        if job.executable.get("kind") == NOTEBOOK:
            s = self.settings
            try:
                await asyncio.to_thread(notebooks.stage, self.session_dir(job.uuid),
                                        job.executable, limit=s.data_limit * (1 << 20),
                                        timeout=s.data_timeout,
                                        allow_private=s.allow_private_data)
            except StagingError as problem:
                raise PlatformError(f"fetching the notebook: {problem}") from None
        await self.submit(job)  # held already at accept; again after a restart

    def _make_folders(self, job: Job) -> None:
        folder = self.workdir.make(job)
        script = folder / "job.sh"
        script.write_text(JOB_SCRIPT)
        script.chmod(0o755)

    async def submit(self, job: Job) -> str:
        """Submit the session's batch job (once), held until :meth:`start`; its job id."""
        lock = self._submitting.setdefault(job.uuid, asyncio.Lock())
        async with lock:
            found = await self._find(job.uuid)
            if found is not None:
                return found
            folder = self.session_dir(job.uuid)
            if not (folder / "job.sh").exists():
                await asyncio.to_thread(self._make_folders, job)
            if self.settings.hold == "reservation":
                await self._reserve(job)
            args = self.sbatch_args(job)
            result = await cli.run(args, self.settings.command_timeout)
            if not result.ok:
                raise PlatformError(f"Slurm refused the job: {result.text}")
            jobid = result.stdout.strip().split(";")[0]
            if not jobid.isdigit():
                raise PlatformError(f"sbatch gave no job id: {result.text}")
            (folder / JOBID_FILE).write_text(jobid)
            return jobid

    def _shape(self, cores: int, memory: int, duration_s: float) -> list[str]:
        args = [
            "--nodes=1",
            "--ntasks=1",
            f"--cpus-per-task={max(1, cores)}",
            f"--mem={max(1, memory) * 1024}M",
            f"--time={max(1, math.ceil(duration_s / 60))}",
        ]
        if self.settings.partition:
            args.append(f"--partition={self.settings.partition}")
        return args

    def sbatch_args(self, job: Job) -> list[str]:
        """The whole ``sbatch`` command of a session (sizes and times from the booking)."""
        folder = self.session_dir(job.uuid)
        args = [
            "sbatch",
            "--parsable",
            f"--job-name=eb-{job.uuid}",
            *self._shape(job.cores, job.memory, job.duration_s),
            f"--begin={cli.slurm_time(job.start)}",
            "--hold",
            "--no-requeue",
            f"--chdir={folder}",
            f"--output={folder}/slurm-%j.out",
            f"--export={self.settings.export or 'NONE'}",
        ]
        if self.settings.hold == "reservation":
            args.append(f"--reservation=eb-{job.uuid}")
        stop, command = self.runtime(job)
        args += [str(folder / "job.sh"), str(len(stop)), *stop, *command]
        return args

    def runtime(self, job: Job) -> tuple[list[str], list[str]]:
        """The stop command and the runtime command of a session's executable."""
        executable = job.executable
        s = self.settings
        folder = self.session_dir(job.uuid)
        mounts = _mounts(job, self)
        values = {"name": f"eb-{job.uuid}", "session": str(folder), "uuid": job.uuid}
        if executable.get("kind") == DOCKER:
            locations = _mapping(executable.get("image")).get("locations") or [""]
            values["image"] = str(locations[0])
            command = executable.get("command")
            entrypoint = executable.get("entrypoint")
            lists = {
                "{mounts}": [w for m in mounts for w in (s.docker_mount, m)],
                "{env}": [w for k, v in job.environment.items()
                          for w in (s.docker_env, f"{k}={v}")],
                "{entrypoint}": ["--entrypoint", entrypoint]
                if isinstance(entrypoint, str) and entrypoint else [],
                "{command}": [str(c) for c in command] if isinstance(command, list) else [],
            }
            return (_expand(s.docker_stop, values, lists),
                    _expand(s.docker_command, values, lists))
        if executable.get("kind") == SINGULARITY:
            values["image"] = str(executable.get("location") or "")
            lists = {
                "{mounts}": [w for m in mounts for w in (s.singularity_mount, m)],
                "{env}": [w for k, v in job.environment.items()
                          for w in (s.singularity_env, f"{k}={v}")],
                "{entrypoint}": [],
                "{command}": [],
            }
            return (_expand(s.singularity_stop, values, lists),
                    _expand(s.singularity_command, values, lists))
        if executable.get("kind") == NOTEBOOK and s.notebook_python:
            return [], notebooks.command(s.notebook_python, str(folder / notebooks.FOLDER))
        raise PlatformError(f"the Slurm platform cannot run {executable.get('kind')!r}")

    async def _find(self, uuid: str) -> str | None:
        """The job id of a session already submitted, from its file or Slurm's queue."""
        saved = self.session_dir(uuid) / JOBID_FILE
        if saved.exists():
            text = saved.read_text().strip()
            if text.isdigit():
                return text
        result = await cli.run(
            ["squeue", "--noheader", "--states=all", f"--name=eb-{uuid}", "--format=%i"],
            self.settings.command_timeout,
        )
        if not result.ok:
            raise PlatformError(f"squeue failed: {result.text}")
        ids = [line.strip() for line in result.stdout.splitlines() if line.strip().isdigit()]
        return ids[0] if ids else None

    async def _reserve(self, job: Job) -> None:
        name = f"eb-{job.uuid}"
        timeout = self.settings.command_timeout
        shown = await cli.run(["scontrol", "show", "reservation", name], timeout)
        if shown.ok and f"ReservationName={name}" in shown.stdout:
            return
        now = datetime.now(UTC)
        start = "now" if job.start <= now else cli.slurm_time(job.start)
        args = [
            "scontrol", "create", "reservation",
            f"ReservationName={name}",
            f"StartTime={start}",
            f"Duration={max(1, math.ceil(job.duration_s / 60))}",
            f"Users={getpass.getuser()}",
            f"CoreCnt={max(1, job.cores)}",
            "NodeCnt=1",
        ]
        partition = self.settings.partition or await asyncio.to_thread(self.default_partition)
        args.append(f"PartitionName={partition}")
        result = await cli.run(args, timeout)
        if not result.ok:
            raise PlatformError(f"Slurm refused the reservation: {result.text}")

    async def start(self, job: Job) -> str:
        # The job was submitted held (with --begin at this very start) when the offer was
        # accepted; now that it is prepared, Slurm may start it.
        jobid = await self.submit(job)
        result = await cli.run(["scontrol", "release", jobid], self.settings.command_timeout)
        if not result.ok and not _gone(result.text) and "already finished" not in result.text:
            raise PlatformError(f"scontrol release {jobid} failed: {result.text}")
        self._submitting.pop(job.uuid, None)
        return f"slurm:{jobid}:{job.uuid}"

    async def poll(self, handle: str) -> Status:
        status = await self._poll(handle)
        if not status.state.finished:
            return status
        jobid, uuid = _parse(handle)
        output = await asyncio.to_thread(
            tail_lines, self.session_dir(uuid) / f"slurm-{jobid}.out", OUTPUT_LINES
        )
        message = status.message
        if output and status.state is RunState.FAILED:
            message += f"; last lines of its output:\n{output}"
        return replace(status, message=message, output=output)

    async def _poll(self, handle: str) -> Status:
        jobid, uuid = _parse(handle)
        result = await cli.run(["scontrol", "show", "job", "--oneliner", jobid],
                               self.settings.command_timeout)
        if result.ok and "JobState=" in result.stdout:
            return status_of(cli.fields(result.stdout.splitlines()[0]), jobid)
        if "Invalid job id" not in result.text:
            raise PlatformError(f"scontrol show job {jobid} failed: {result.text}")
        # Slurm forgets finished jobs after MinJobAge; the wrapper left the exit status.
        saved = self.session_dir(uuid) / EXIT_FILE
        if saved.exists():
            code = int(saved.read_text().strip() or "1")
            state = RunState.SUCCEEDED if code == 0 else RunState.FAILED
            return Status(state, code, f"Slurm job {jobid} ended with exit code {code}")
        return Status(RunState.FAILED, None,
                      f"Slurm job {jobid} is no longer known to Slurm and left no exit status")

    async def cancel(self, handle: str) -> None:
        jobid, _ = _parse(handle)
        await self._scancel(jobid)

    async def _scancel(self, jobid: str) -> None:
        result = await cli.run(["scancel", jobid], self.settings.command_timeout)
        if not result.ok and not _gone(result.text):
            raise PlatformError(f"scancel {jobid} failed: {result.text}")

    async def release(self, job: Job) -> None:
        self._submitting.pop(job.uuid, None)
        folder = self.session_dir(job.uuid)
        jobid = await self._find(job.uuid)
        if jobid is not None:
            await self._scancel(jobid)
            await self._wait_gone(jobid)
        if self.settings.hold == "reservation":
            result = await cli.run(
                ["scontrol", "delete", f"ReservationName=eb-{job.uuid}"],
                self.settings.command_timeout,
            )
            # A reservation that is gone, or still in use, ends by itself at its end time.
            if not result.ok and not any(
                text in result.text
                for text in ("Invalid reservation", "reservation is invalid", "in use")
            ):
                raise PlatformError(f"deleting the Slurm reservation failed: {result.text}")
        if self.settings.keep_storage:
            (folder / "job.sh").unlink(missing_ok=True)
        await self.workdir.remove(job.uuid, keep_storage=self.settings.keep_storage)

    async def _wait_gone(self, jobid: str) -> None:
        """Wait until the job has left the active queue, so its files are no longer used."""
        deadline = time.monotonic() + self.settings.command_timeout
        while time.monotonic() < deadline:
            result = await cli.run(["squeue", "--noheader", f"--jobs={jobid}", "--format=%T"],
                                   self.settings.command_timeout)
            if not result.stdout.strip() or (not result.ok and _gone(result.text)):
                return
            await asyncio.sleep(0.5)
        raise PlatformError(f"Slurm job {jobid} did not end within "
                            f"{self.settings.command_timeout:g} s of scancel")


def _expand(template: Sequence[str], values: Mapping[str, str],
            lists: Mapping[str, list[str]]) -> list[str]:
    """A command template with its placeholders filled, one argument per word."""
    words: list[str] = []
    for word in template:
        if word in _LISTS:
            words += lists.get(word, [])
        else:
            words.append(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), word))
    return words


def _mounts(job: Job, platform: SlurmPlatform) -> list[str]:
    """``source:target:mode`` for each volume of the compute resource on a storage resource
    (read-write unless READONLY) or a data resource (read-only unless READWRITE)."""
    storage = set(_names(job.document.get("storage")))
    data = set(_names(job.document.get("data")))
    volumes = _mapping(job.document.get("compute")).get("volumes")
    mounts = []
    for volume in _items(volumes):
        resource, path = volume.get("resource"), volume.get("path")
        if not isinstance(resource, str) or not isinstance(path, str):
            continue
        if resource in storage:
            source, mode = platform.storage_dir(job.uuid, resource), "rw"
        elif resource in data:
            source, mode = platform.data_dir(job.uuid, resource), "ro"
        else:
            continue
        mode = {"READONLY": "ro", "READWRITE": "rw"}.get(str(volume.get("mode")), mode)
        mounts.append(f"{source}:{path}:{mode}")
    return mounts


def _installed(command: Sequence[str], path: str, what: str) -> list[Reason]:
    program = command[0] if command else ""
    if not program or program.startswith("{") or shutil.which(program):
        return []
    return [Reason(path, f"{what} need {program}, which is not installed on this platform")]


def _gone(text: str) -> bool:
    return "already completing or completed" in text or "Invalid job id" in text


def _parse(handle: str) -> tuple[str, str]:
    parts = handle.split(":")
    if len(parts) != 3 or parts[0] != "slurm" or not parts[1].isdigit() \
            or not _UUID.fullmatch(parts[2]):
        raise PlatformError(f"not a Slurm job handle: {handle!r}")
    return parts[1], parts[2]


def tail_lines(path: Path, lines: int, limit: int = 64 * 1024) -> str:
    """The last ``lines`` lines of a text file, reading at most its last ``limit`` bytes."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - limit))
            data = stream.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace").strip()
    return "\n".join(text.splitlines()[-lines:])


__all__ = ["STATES", "Node", "SlurmPlatform", "SlurmSettings", "status_of", "tail_lines"]

