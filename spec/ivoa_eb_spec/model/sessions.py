"""Execution sessions: an offer, and once accepted the execution it becomes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Tag, model_validator

from . import kinds as K
from .base import UNKNOWN_TAG, KnownModel, OpenModel, Str, kind_discriminator
from .common import Cost, Metric, Schedule, ServiceMetadata
from .executables import Executable
from .formats import DateTime
from .resources import Compute, DataResource, StorageResource

__all__ = [
    "ConnectorStatus",
    "ExecutionSession",
    "ScheduledExecutionSession",
    "SessionBase",
    "SessionPhase",
    "SimpleExecutionSession",
    "SimpleSessionConnector",
    "UnknownSession",
]


class SessionPhase(StrEnum):
    """The phase of a session: an offer (OFFERED) through to its end (COMPLETED, ...)."""

    INITIAL = "INITIAL"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    WAITING = "WAITING"
    PREPARING = "PREPARING"
    AVAILABLE = "AVAILABLE"
    RUNNING = "RUNNING"
    RELEASING = "RELEASING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ConnectorStatus(StrEnum):
    """Whether a connector can be used yet."""

    PREPARING = "PREPARING"
    AVAILABLE = "AVAILABLE"
    FINISHED = "FINISHED"


class SimpleSessionConnector(KnownModel):
    """How to reach a running session (e.g. the URL of a notebook)."""

    kind: Str | None = None
    status: ConnectorStatus | None = None
    protocol: Str | None = None
    location: Str | None = None


class SessionBase(KnownModel):
    """The leading fields of every known session kind, and the rule on ``expires``."""

    kind: Str
    meta: ServiceMetadata
    phase: SessionPhase
    expires: DateTime | None = None

    @model_validator(mode="after")
    def _offer_expires(self) -> Self:
        # An offer that never lapses would hold resources for ever (decision 3 of the brief).
        if self.phase is SessionPhase.OFFERED and self.expires is None:
            raise ValueError("expires is required while phase is OFFERED")
        return self


class SimpleExecutionSession(SessionBase):
    """An offered or accepted execution: what runs, on what, and how to reach it."""

    kind: Literal[K.SIMPLE_EXECUTION_SESSION]
    executable: Executable | None = None
    compute: Compute | None = None
    storage: list[StorageResource] | None = None
    data: list[DataResource] | None = None
    connectors: list[SimpleSessionConnector] | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class ScheduledExecutionSession(SessionBase):
    """A session with a schedule: when it is prepared, available and released."""

    kind: Literal[K.SCHEDULED_EXECUTION_SESSION]
    schedule: Schedule | None = None
    executable: Executable | None = None
    compute: Compute | None = None
    storage: list[StorageResource] | None = None
    data: list[DataResource] | None = None
    connectors: list[SimpleSessionConnector] | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class UnknownSession(OpenModel):
    """A session of a kind this model does not know, kept whole."""

    family = "session"


ExecutionSession = Annotated[
    Annotated[SimpleExecutionSession, Tag(K.SIMPLE_EXECUTION_SESSION)]
    | Annotated[ScheduledExecutionSession, Tag(K.SCHEDULED_EXECUTION_SESSION)]
    | Annotated[UnknownSession, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["session"]),
]
