"""What components share: metadata, messages, lifecycle phase and schedule, costs, metrics."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, Tag

from . import kinds as K
from .base import (
    LONG_MAX,
    UNKNOWN_TAG,
    Float,
    KnownModel,
    OpenModel,
    Str,
    kind_discriminator,
    whole_number,
)
from .formats import DateTime, Duration, Instant, Interval, NonEmpty, Uuid
from .options import Option

#: A client-chosen name, by which components of one request refer to each other.
Name = NonEmpty

#: A whole number from 1 (core counts, sizes in GiB), at most the largest ``xs:long``.
Positive = Annotated[int, BeforeValidator(whole_number), Field(strict=True, ge=1, le=LONG_MAX)]

__all__ = [
    "Component",
    "ComponentMetadata",
    "Cost",
    "LifecycleComponent",
    "LifecyclePhase",
    "MessageItem",
    "MessageLevel",
    "Metric",
    "Name",
    "Positive",
    "PositiveRange",
    "Schedule",
    "ServiceMetadata",
    "ScheduleInstant",
    "ScheduleInterval",
    "SimpleMinMaxFloatCost",
    "SimpleMinMaxFloatMetric",
    "UnknownCost",
    "UnknownMetric",
]


class MessageLevel(StrEnum):
    """How serious a message is."""

    DEBUG = "DEBUG"
    WARN = "WARN"
    ERROR = "ERROR"
    INFO = "INFO"
    OTHER = "OTHER"


class MessageItem(KnownModel):
    """A message after Message Templates: the ``template``, its ``values`` and the result."""

    kind: Str | None = None
    time: DateTime | None = None
    level: MessageLevel | None = None
    template: Str | None = None
    values: dict[str, Str] | None = None
    message: Str | None = None


class ComponentMetadata(KnownModel):
    """Identity and annotations of a component: who made it, where it lives, what it may do."""

    uuid: Uuid | None = None
    name: Name | None = None
    url: Str | None = None
    description: Str | None = None
    created: DateTime | None = None
    modified: DateTime | None = None
    messages: list[MessageItem] | None = None
    options: list[Option] | None = None


class LifecyclePhase(StrEnum):
    """The phase of a component (an executable, a resource) within a session."""

    INITIALIZING = "INITIALIZING"
    WAITING = "WAITING"
    PREPARING = "PREPARING"
    AVAILABLE = "AVAILABLE"
    RUNNING = "RUNNING"
    RELEASING = "RELEASING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ScheduleInstant(KnownModel):
    """A step that starts at an instant and lasts a duration (ISO 8601 strings)."""

    start: Instant | None = None
    duration: Duration | None = None


class ScheduleInterval(KnownModel):
    """A step that starts within an interval and lasts a duration (ISO 8601 strings)."""

    start: Interval | None = None
    duration: Duration | None = None


class Schedule(KnownModel):
    """When resources are prepared, available and released."""

    preparing: ScheduleInstant | None = None
    available: ScheduleInterval | None = None
    releasing: ScheduleInstant | None = None


class PositiveRange(KnownModel):
    """A range of whole numbers from 1: core counts, or memory and storage sizes in GiB."""

    min: Positive | None = None
    max: Positive | None = None


class SimpleMinMaxFloatCost(KnownModel):
    """A cost limit (request) or quote (offer), of the cost named by ``type``."""

    kind: Literal[K.SIMPLE_MINMAX_FLOAT_COST]
    type_: Str | None = Field(None, alias="type")
    description: Str | None = None
    min: Float | None = None
    max: Float | None = None


class UnknownCost(OpenModel):
    """A cost of a kind this model does not know, kept whole."""

    family = "cost"


Cost = Annotated[
    Annotated[SimpleMinMaxFloatCost, Tag(K.SIMPLE_MINMAX_FLOAT_COST)]
    | Annotated[UnknownCost, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["cost"]),
]


class SimpleMinMaxFloatMetric(KnownModel):
    """A performance requirement (request) or quote (offer), of the metric named by ``type``."""

    kind: Literal[K.SIMPLE_MINMAX_FLOAT_METRIC]
    type_: Str | None = Field(None, alias="type")
    description: Str | None = None
    min: Float | None = None
    max: Float | None = None


class UnknownMetric(OpenModel):
    """A metric of a kind this model does not know, kept whole."""

    family = "metric"


Metric = Annotated[
    Annotated[SimpleMinMaxFloatMetric, Tag(K.SIMPLE_MINMAX_FLOAT_METRIC)]
    | Annotated[UnknownMetric, Tag(UNKNOWN_TAG)],
    kind_discriminator(K.FAMILIES["metric"]),
]


class ServiceMetadata(ComponentMetadata):
    """The metadata of what the service creates and serves: ``uuid`` and ``url`` always given."""

    uuid: Uuid
    url: Str


class Component(KnownModel):
    """The leading fields of every component; ``kind`` names its class.

    Concrete kinds add their own fields and then ``costs`` and ``metrics``, in the order of
    the JSON Schema, so that documents are written in that order.
    """

    kind: Str
    meta: ComponentMetadata | None = None


class LifecycleComponent(Component):
    """The leading fields of a component with its own lifecycle (executables, resources)."""

    phase: LifecyclePhase | None = None
    schedule: Schedule | None = None
