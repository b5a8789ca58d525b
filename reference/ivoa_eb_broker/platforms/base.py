"""The interface between the broker and an execution platform.

A platform is what actually runs a session: a container engine (Docker API, podman),
a batch system (Slurm), a cluster (Kubernetes), a science platform (CANFAR), or the
simulated platform used for demos, tests and conformance runs. The broker owns the
lifecycle (phases, schedule, bookings, persistence); a platform only does the work it is
asked to do and reports what happened. Keeping the interface this small is what lets a
new engine be added as one module behind it (the pygeoapi plugin style).

Contract shared by every method:

- Methods are ``async``; a slow engine call must not block the broker's event loop
  (wrap blocking client libraries with ``anyio.to_thread.run_sync``).
- A failure the broker should record raises :class:`PlatformError` with a message a user
  can read. Any other exception is treated the same way, but logged as a platform bug.
- ``hold``, ``prepare``, ``cancel`` and ``release`` must be idempotent: after a broker restart the
  scheduler resumes a session from its persisted phase and may repeat the step it was in.
- ``start`` returns a *handle*: a string the broker persists and hands back to ``poll`` and
  ``cancel``, possibly after a restart, so it must identify the job on its own (a container
  id, a Slurm job id) and not point into the platform object's memory.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


class PlatformError(Exception):
    """A platform step failed; the message is shown to the user in the session's messages."""


@dataclass(frozen=True)
class Capacity:
    """What the platform can run at one instant: cores, memory (GiB) and storage (GiB)."""

    cores: int
    memory: int
    storage: int


@dataclass(frozen=True)
class Reason:
    """Why a platform cannot run a request: a JSON Pointer into the request and a message.

    The broker turns each reason into a ``result: NO`` message whose ``values.path`` is
    ``path``, so that a client learns which part of its request was the problem.
    """

    path: str
    message: str


class RunState(enum.StrEnum):
    """The state of a started job, as ``poll`` sees it."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)


@dataclass(frozen=True)
class Connector:
    """How a user reaches a running session (a notebook's URL, a published port).

    Mirrors the spec's ``SimpleSessionConnector``: ``status`` is PREPARING, AVAILABLE or
    FINISHED; ``protocol`` e.g. HTTP, HTTPS or TCP; ``location`` a URL or host:port.
    """

    kind: str
    status: str
    protocol: str
    location: str

    def to_document(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "status": self.status,
            "protocol": self.protocol,
            "location": self.location,
        }


@dataclass(frozen=True)
class Status:
    """What ``poll`` reports: the job's state, its exit code once finished, a message, the
    connectors through which the user reaches it (empty when there are none) and, once it
    has ended, the last lines of its output (empty when the platform cannot tell): a user
    whose program prints its result reads it in the session's messages."""

    state: RunState
    exit_code: int | None = None
    message: str = ""
    connectors: tuple[Connector, ...] = ()
    output: str = ""


@dataclass(frozen=True)
class Job:
    """The part of a session a platform needs, independent of the broker's storage.

    ``document`` is the session as the broker answers it (JSON-shaped: ``executable``,
    ``compute``, ``storage``, ``data``, ``schedule`` with the offered values), so an
    adapter reads the executable's kind-specific fields from it. ``cores``, ``memory``
    (GiB), ``storage`` (GiB), ``start`` and ``duration_s`` are what the broker booked.
    """

    uuid: str
    document: Mapping[str, Any]
    cores: int
    memory: int
    storage: int
    start: datetime
    duration_s: float
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def executable(self) -> Mapping[str, Any]:
        value = self.document.get("executable")
        return value if isinstance(value, Mapping) else {}

    @property
    def environment(self) -> Mapping[str, str]:
        value = self.executable.get("environment")
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Capability:
    """What a platform declares about one executable kind: whether it runs it, how (or why
    not), and what the operator must provide first (a setting, an installed runtime).

    The documentation's platform matrix is generated from these declarations, so a platform
    states its abilities in one place, next to the code that has them.
    """

    kind: str
    runs: bool
    how: str
    needs: str = ""


class Platform(abc.ABC):
    """An execution platform. See the module docstring for the shared contract."""

    #: Short name, used in config (``[platform] name``) and logs.
    name: str = "abstract"

    @classmethod
    def declared(cls) -> tuple[Capability, ...]:
        """What this platform declares about each executable kind (for the docs); a kind
        not listed is not run."""
        return ()

    @abc.abstractmethod
    def supported_kinds(self) -> frozenset[str]:
        """The canonical executable kind URIs this platform runs.

        The broker answers NO, naming the kind, to a request whose executable kind is not
        in this set. Data and storage kinds are judged by :meth:`check`.
        """

    def resource_kinds(self) -> frozenset[str] | None:
        """The canonical compute, volume, storage and data kind URIs this platform provides;
        ``None`` (the default): any kind the broker knows, judged by :meth:`check`.

        A broker fronting several platforms offers a request only on the platforms that
        support every kind in it (an operator can narrow the list in config).
        """
        return None

    @abc.abstractmethod
    def capacity(self) -> Capacity:
        """The total resources bookable at one instant.

        The broker's ledger never holds or commits more than this, summed over every
        booking that overlaps in time. It is read on each request, so a platform may
        report a changing value (nodes joining or leaving).
        """

    def largest(self) -> Capacity | None:
        """The largest single session the platform can place, when that is less than
        :meth:`capacity` (a session runs on one node of many); ``None``: the capacity.

        The broker offers no session larger than this (read after :meth:`check`).
        """
        return None

    @abc.abstractmethod
    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        """Reasons this platform cannot run ``request`` (canonical JSON-shaped document).

        Called while planning, before anything is booked: an empty list means "can run,
        resources permitting". Examples: an image that cannot be pulled, a data location
        that is unreachable, a privileged container on a platform that refuses them. It is
        called before the ledger lock is taken, may be slow-ish, and must change nothing.
        """

    async def hold(self, job: Job) -> None:  # noqa: B027 - optional hook, empty by default
        """The client accepted the offer: hold its slot on the platform now, from the booked
        ``start`` for ``duration_s`` with the booked sizes, if the platform can (a batch
        system queues the job). A :class:`PlatformError` fails the session at once.

        Called once at accept time, but possibly again after a restart, so idempotent;
        :meth:`release` undoes it (it is called for a session that was held and never
        prepared, too). Nothing by default: most platforms have nothing to hold ahead.
        """

    @abc.abstractmethod
    async def prepare(self, job: Job) -> None:
        """Stage what the session needs before it starts: pull images, fetch data into
        storage, create volumes. Returns when the session can start. Idempotent."""

    @abc.abstractmethod
    async def start(self, job: Job) -> str:
        """Start the executable and return a handle identifying the job (persisted)."""

    @abc.abstractmethod
    async def poll(self, handle: str) -> Status:
        """The current state of a started job. Called repeatedly until it is finished.

        Must work for a handle returned before a broker restart. An unknown handle is a
        :class:`PlatformError`.
        """

    @abc.abstractmethod
    async def cancel(self, handle: str) -> None:
        """Stop a started job (client cancel, or over its booked duration). Idempotent;
        cancelling a finished job is not an error."""

    @abc.abstractmethod
    async def release(self, job: Job) -> None:
        """Remove what ``prepare`` and ``start`` created (containers, scratch storage).

        Called once the job is finished or cancelled, and after a failure in any step, so
        it must cope with a job that was only partly prepared. Idempotent.
        """

    def timings(self) -> tuple[timedelta, timedelta]:
        """Estimated time to prepare and to release a session.

        The broker starts preparing this long before a session's start, so that it is
        AVAILABLE on time (requirement 22), and shows both steps in the offered schedule.
        Zero by default; an engine that pulls images or stages data should say more.
        """
        return timedelta(0), timedelta(0)

    async def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Free client connections when the broker stops. Optional."""
