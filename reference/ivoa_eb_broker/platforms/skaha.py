"""The Skaha platform: sessions on the CANFAR Science Platform through its session API.

What maps to what (docs/howto/deploy-canfar.md says the same for operators):

- A ``jupyter-notebook`` executable is a Skaha ``notebook`` session of the operator's
  ``notebook_image``; while Skaha says it is Running, its ``connectURL`` is the session's
  connector (AVAILABLE, HTTPS), so the scientist opens it in a browser. It runs until the
  booked end, when the broker deletes it and the session COMPLETES (an interactive session
  has no end of its own). Skaha cannot be handed a file for an interactive session, so the
  notebook's ``location`` is quoted in the session's messages for the scientist to open.
- A ``docker-container`` executable is a Skaha ``headless`` session: the image's first
  location, ``entrypoint`` (or the command's first word) as ``cmd``, the other words as
  ``args``, ``environment`` as ``env``; cores and RAM are the booked ones.
- Skaha states: Pending → PENDING; Running → RUNNING; Terminating → RUNNING (still holding
  its resources) or CANCELLED after a cancel; Succeeded and Completed → SUCCEEDED; Error and
  Failed → FAILED with Skaha's reason (its scheduling events and the last lines of the
  log); Unknown → PENDING; a session Skaha no longer knows → CANCELLED after a cancel, an
  error otherwise.
- Offers come from Skaha's statistics (``view=stats``): the capacity is the cluster's cores
  and RAM (``coresAvailable``, ``ramAvailable``), and since a session runs in one pod on one
  node, no offer is larger than the largest session Skaha can place (``maxCores``,
  ``maxRAM``); both bounded by the site's limits in config (``max_cores``, ``max_memory``).
- Cancel deletes the Skaha session; release deletes it too if it is still there.

The handle is ``skaha:<session id>:<booked end, epoch seconds>``: enough to poll and cancel
after a restart. Sessions are named ``eb`` + the first 12 hex digits of the session uuid, so
``start`` finds a session it made before a restart instead of making a second one.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

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
from .skaha_api import Credentials, SkahaClient, SkahaError, Stats

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = K + "executable/docker-container.yaml"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"
SIMPLE_COMPUTE = K + "compute/simple-compute-resource.yaml"
CONNECTOR_KIND = "https://www.ivoa.net/std/ExecutionBroker/v1.0/connectors/skaha-session"
#: Lines of a session's log quoted in its messages when it ends.
OUTPUT_LINES = 20
#: Skaha's states, as its API documents them (and the canfar client adds), onto ours.
STATES: dict[str, RunState] = {
    "Pending": RunState.PENDING,
    "Unknown": RunState.PENDING,
    "Running": RunState.RUNNING,
    "Terminating": RunState.RUNNING,
    "Succeeded": RunState.SUCCEEDED,
    "Completed": RunState.SUCCEEDED,
    "Error": RunState.FAILED,
    "Failed": RunState.FAILED,
}
_WHY_NOT = {
    SINGULARITY: "singularity containers are not supported by the Skaha platform: Skaha "
                 "runs OCI images from a registry, not Apptainer image files",
}
_HANDLE = re.compile(r"skaha:([A-Za-z0-9._-]{1,128}):([0-9]{1,12})")
_SECRET_KEYS = ("token",)


@dataclass(frozen=True)
class SkahaSettings:
    """The settings table of a ``type = "skaha"`` platform (docs/howto/deploy-canfar.md)."""

    url: str = ""
    api: str = "v0"
    token: str = field(default="", repr=False)
    token_file: str = ""
    certificate: str = ""
    ca_file: str = ""
    notebook_image: str = ""
    images: tuple[str, ...] = ()
    max_cores: int = 0
    max_memory: int = 0
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 0.5
    preparing: float = 10.0
    releasing: float = 5.0
    capacity_cache: float = 30.0

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SkahaSettings:
        """Read the config table, refusing unknown keys and bad values with a clear error
        (an error never quotes the token)."""
        where = "[platforms.settings] (skaha)"
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            default = getattr(cls, key)
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or not all(
                        isinstance(v, str) and v for v in value):
                    raise ValueError(f"{where} {key}: a list of strings")
                values[key] = tuple(value)
            elif isinstance(default, int) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"{where} {key}: a whole number >= 0")
                values[key] = value
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"{where} {key}: a number >= 0")
                values[key] = float(value)
            else:
                if not isinstance(value, str):
                    raise ValueError(f"{where} {key}: a string")
                values[key] = value
        settings = cls(**values)
        if not re.match(r"https?://[^/\s]+", settings.url):
            raise ValueError(f"{where} url: the Skaha service's http(s) URL, e.g. "
                             "https://ws-uv.canfar.net/skaha")
        if sum(bool(v) for v in (settings.token, settings.token_file,
                                 settings.certificate)) != 1:
            raise ValueError(f"{where}: exactly one of token, token_file and certificate")
        if settings.timeout <= 0 or settings.attempts < 1:
            raise ValueError(f"{where} timeout, attempts: more than 0")
        return settings

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.token, self.token_file, self.certificate, self.ca_file)


class SkahaPlatform(Platform):
    """Runs notebooks and containers as Skaha sessions (see the module docstring)."""

    name = "skaha"

    def __init__(self, settings: SkahaSettings, client: SkahaClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._stats: tuple[float, Stats] | None = None
        #: Handles cancelled lately (bounded: memory must not grow with the sessions run).
        self._cancelled: deque[str] = deque(maxlen=512)
        #: Notebook sessions this platform ended at their booked end, with the status it
        #: gave: a later poll of the deleted session gives it again (bounded likewise).
        self._ended: dict[str, Status] = {}

    @classmethod
    def declared(cls) -> tuple[Capability, ...]:
        return (
            Capability(DOCKER, True, "a Skaha headless session of the image, with the "
                       "command as cmd and args and the environment as env"),
            Capability(NOTEBOOK, True, "a Skaha notebook session; its connect URL is the "
                       "session's connector while it runs", "notebook_image"),
            Capability(SINGULARITY, False, _WHY_NOT[SINGULARITY]),
        )

    @classmethod
    def from_settings(cls, table: Mapping[str, Any]) -> SkahaPlatform:
        """The platform from its config table."""
        return cls(SkahaSettings.from_mapping(table))

    def __repr__(self) -> str:
        return f"SkahaPlatform({self.settings.url!r}, {self.settings.credentials!r})"

    @property
    def client(self) -> SkahaClient:
        if self._client is None:
            s = self.settings
            try:
                self._client = SkahaClient(s.url, s.credentials, api=s.api, timeout=s.timeout,
                                           attempts=s.attempts, backoff=s.backoff)
            except SkahaError as problem:
                raise PlatformError(str(problem)) from None
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # --- what the platform offers -----------------------------------------------------------

    def supported_kinds(self) -> frozenset[str]:
        kinds = {DOCKER}
        if self.settings.notebook_image:
            kinds.add(NOTEBOOK)
        return frozenset(kinds)

    def resource_kinds(self) -> frozenset[str]:
        # Skaha sessions see the user's own CANFAR storage; the API has no way to attach
        # storage or stage data per session, so only the compute resource is offered.
        return frozenset({SIMPLE_COMPUTE})

    def timings(self) -> tuple[timedelta, timedelta]:
        s = self.settings
        return timedelta(seconds=s.preparing), timedelta(seconds=s.releasing)

    async def refresh(self) -> Stats:
        """Skaha's statistics (cached for ``capacity_cache`` seconds)."""
        now = time.monotonic()
        if self._stats is not None and now - self._stats[0] < self.settings.capacity_cache:
            return self._stats[1]
        try:
            stats = await self.client.stats()
        except SkahaError as problem:
            raise PlatformError(str(problem)) from None
        self._stats = (now, stats)
        return stats

    def capacity(self) -> Capacity:
        # Read from the statistics that check() fetched just before (it is async, this is
        # not); nothing can be offered before Skaha has answered once.
        if self._stats is None:
            return Capacity(cores=0, memory=0, storage=0)
        stats = self._stats[1]
        return self._bounded(stats.cores_available, stats.ram_available)

    def largest(self) -> Capacity | None:
        if self._stats is None:
            return Capacity(cores=0, memory=0, storage=0)
        stats = self._stats[1]
        return self._bounded(stats.largest_cores, stats.largest_ram)

    def _bounded(self, cores: int, memory: int) -> Capacity:
        """Skaha's figures within the site's limits for this broker (config)."""
        s = self.settings
        if s.max_cores:
            cores = min(cores, s.max_cores)
        if s.max_memory:
            memory = min(memory, s.max_memory)
        return Capacity(cores=cores, memory=memory, storage=0)

    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        executable = _mapping(request.get("executable"))
        kind = executable.get("kind")
        reasons: list[Reason] = []
        if kind in _WHY_NOT:
            return [Reason("/executable/kind", _WHY_NOT[kind])]
        if kind == NOTEBOOK:
            if not self.settings.notebook_image:
                return [Reason("/executable/kind", "Jupyter notebooks need a notebook image, "
                               "and none is configured on this Skaha platform")]
        elif kind == DOCKER:
            reasons += self._check_container(executable)
        else:
            return [Reason("/executable/kind",
                           f"the Skaha platform does not run executables of kind {kind!r}")]
        try:
            stats = await self.refresh()
        except PlatformError as problem:
            return [*reasons, Reason("", f"Skaha does not answer: {problem}")]
        compute = _mapping(request.get("compute"))
        cores = _mapping(compute.get("cores")).get("min")
        if isinstance(cores, int) and cores > stats.largest_cores:
            reasons.append(Reason("/compute/cores/min", (
                f"a Skaha session runs on one node, and the largest session Skaha can place "
                f"now has {stats.largest_cores} cores")))
        memory = _mapping(compute.get("memory")).get("min")
        if isinstance(memory, int) and memory > stats.largest_ram:
            reasons.append(Reason("/compute/memory/min", (
                f"a Skaha session runs on one node, and the largest session Skaha can place "
                f"now has {stats.largest_ram} GiB of RAM")))
        if _mapping(compute).get("volumes"):
            reasons.append(Reason("/compute/volumes", "the Skaha platform mounts no volumes: "
                                  "a session sees its owner's CANFAR storage"))
        return reasons

    def _check_container(self, executable: Mapping[str, Any]) -> list[Reason]:
        reasons = []
        location = _image(executable)
        if not location:
            reasons.append(Reason("/executable/image/locations", "the image needs a location"))
        elif self.settings.images and not location.startswith(self.settings.images):
            reasons.append(Reason("/executable/image/locations/0", (
                "this platform only runs images from " + ", ".join(self.settings.images))))
        if executable.get("privileged") is True:
            reasons.append(Reason("/executable/privileged",
                                  "privileged containers are refused on the Skaha platform"))
        if _mapping(executable.get("image")).get("digest"):
            reasons.append(Reason("/executable/image/digest", (
                "Skaha selects images by name and tag; it cannot check a digest")))
        if _items(_mapping(executable.get("network")).get("ports")):
            reasons.append(Reason("/executable/network/ports", (
                "a headless Skaha session publishes no ports")))
        command = executable.get("command")
        words = [c for c in command if isinstance(c, str)] if isinstance(command, list) else []
        for index, word in enumerate(words):
            if not word or any(c.isspace() for c in word):
                reasons.append(Reason(f"/executable/command/{index}", (
                    "Skaha passes arguments separated by spaces, so an argument cannot be "
                    "empty or contain white space")))
        for key, value in _mapping(executable.get("environment")).items():
            if "=" in str(key) or not str(key):
                reasons.append(Reason(f"/executable/environment/{key}",
                                      "an environment variable's name has no '='"))
            if "\n" in str(value):
                reasons.append(Reason(f"/executable/environment/{key}",
                                      "Skaha cannot pass a value with a line break"))
        return reasons

    # --- one session ------------------------------------------------------------------------

    async def prepare(self, job: Job) -> None:
        # Nothing to stage; asking for the session list checks the credentials and that
        # Skaha answers, so a bad token fails the session here, with Skaha's reason.
        await self._guard(self.client.sessions(), "preparing")

    async def start(self, job: Job) -> str:
        end = int(job.start.timestamp() + job.duration_s)
        found = await self._find(job)
        if found is not None:
            return f"skaha:{found}:{end}"
        ident = await self._guard(self.client.create(self.create_fields(job)), "starting")
        return f"skaha:{ident}:{end}"

    def create_fields(self, job: Job) -> list[tuple[str, str]]:
        """The form parameters of ``POST /session`` for a session (sizes from the booking)."""
        executable = job.executable
        kind = executable.get("kind")
        base = [("name", session_name(job.uuid))]
        sizes = [("cores", str(max(1, job.cores))), ("ram", str(max(1, job.memory)))]
        if kind == NOTEBOOK:
            if not self.settings.notebook_image:
                raise PlatformError("no notebook image is configured on this Skaha platform")
            return [*base, ("type", "notebook"), ("image", self.settings.notebook_image),
                    *sizes]
        if kind != DOCKER:
            raise PlatformError(f"the Skaha platform cannot run {kind!r}")
        location = _image(executable)
        if not location:
            raise PlatformError("the container image has no location")
        made = [*base, ("type", "headless"), ("image", location), *sizes]
        command = [str(c) for c in executable.get("command") or []]
        entrypoint = executable.get("entrypoint")
        if isinstance(entrypoint, str) and entrypoint:
            made.append(("cmd", entrypoint))
        elif command:
            made.append(("cmd", command.pop(0)))
        if command:
            made.append(("args", " ".join(command)))
        for key, value in job.environment.items():
            made.append(("env", f"{key}={value}"))
        return made

    async def _find(self, job: Job) -> str | None:
        """The Skaha session this broker session made before (a restart mid-start)."""
        name = session_name(job.uuid)
        found = await self._guard(self.client.sessions(), "looking for its session")
        for item in found:
            if item.get("name") == name and isinstance(item.get("id"), str) and \
                    item.get("status") not in ("Terminating", "Succeeded", "Completed",
                                                "Error", "Failed"):
                return str(item["id"])
        return None

    async def poll(self, handle: str) -> Status:
        ident, end = _parse(handle)
        found = await self._guard(self.client.session(ident), "polling")
        if found is None:
            if handle in self._ended:
                return self._ended[handle]
            if handle in self._cancelled:
                return Status(RunState.CANCELLED, None, f"Skaha session {ident} was deleted")
            raise PlatformError(f"Skaha no longer knows session {ident}: it was deleted "
                                "outside the broker, or expired")
        skaha_state = str(found.get("status") or "Unknown")
        state = STATES.get(skaha_state, RunState.PENDING)
        interactive = found.get("type") != "headless"
        url = found.get("connectURL")
        if handle in self._cancelled and not state.finished:
            return Status(RunState.CANCELLED, None, f"Skaha session {ident} is being deleted")
        if state is RunState.RUNNING and skaha_state == "Running":
            if interactive and time.time() >= end:
                # An interactive session has no end of its own: it ends at the booked end.
                await self._guard(self.client.delete(ident), "ending the notebook session")
                self._cancelled.append(handle)
                ended = Status(RunState.SUCCEEDED, 0, "the notebook session reached the end of "
                               "its booked time and was deleted", _connectors(url, "FINISHED"))
                if len(self._ended) >= 512:
                    del self._ended[next(iter(self._ended))]
                self._ended[handle] = ended
                return ended
            connectors = _connectors(url, "AVAILABLE") if interactive else ()
            return Status(RunState.RUNNING, None, f"Skaha session {ident} is Running",
                          connectors)
        if not state.finished:
            return Status(state, None, f"Skaha session {ident} is {skaha_state}")
        logs = await self.client.text(ident, "logs")
        output = _tail(logs, OUTPUT_LINES)
        if state is RunState.SUCCEEDED:
            return Status(state, 0, f"Skaha session {ident} {skaha_state}",
                          _connectors(url, "FINISHED") if interactive else (), output)
        events = _tail(await self.client.text(ident, "events"), 5)
        message = f"Skaha session {ident} ended in {skaha_state}"
        if events:
            message += f"; Skaha's events:\n{events}"
        if output:
            message += f"\nlast lines of its log:\n{output}"
        return Status(RunState.FAILED, None, message, (), output)

    async def cancel(self, handle: str) -> None:
        ident, _ = _parse(handle)
        self._cancelled.append(handle)
        await self._guard(self.client.delete(ident), "cancelling")

    async def release(self, job: Job) -> None:
        name = session_name(job.uuid)
        found = await self._guard(self.client.sessions(), "releasing")
        for item in found:
            if item.get("name") == name and isinstance(item.get("id"), str):
                await self._guard(self.client.delete(str(item["id"])), "releasing")

    async def _guard(self, call: Any, doing: str) -> Any:
        """Await a Skaha call; its failure as a :class:`PlatformError` for the user."""
        try:
            return await call
        except SkahaError as problem:
            raise PlatformError(f"Skaha platform, {doing}: {problem}") from None


def session_name(uuid: str) -> str:
    """The Skaha session name of a broker session: short, letters and digits only."""
    digits = re.sub(r"[^0-9a-z]", "", uuid.lower())
    if not digits:
        raise PlatformError(f"not a session uuid: {uuid!r}")
    return "eb" + digits[:12]


def _connectors(url: Any, status: str) -> tuple[Connector, ...]:
    if not isinstance(url, str) or not url:
        return ()
    protocol = "HTTPS" if url.lower().startswith("https:") else "HTTP"
    return (Connector(CONNECTOR_KIND, status, protocol, url),)


def _image(executable: Mapping[str, Any]) -> str:
    locations = _mapping(executable.get("image")).get("locations")
    if isinstance(locations, list) and locations and isinstance(locations[0], str):
        return locations[0]
    return ""


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) if text else ""


def _parse(handle: str) -> tuple[str, int]:
    match = _HANDLE.fullmatch(handle)
    if not match:
        raise PlatformError(f"not a Skaha session handle: {handle!r}")
    return match.group(1), int(match.group(2))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> Sequence[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


__all__ = ["DOCKER", "NOTEBOOK", "STATES", "SkahaPlatform", "SkahaSettings", "session_name"]
