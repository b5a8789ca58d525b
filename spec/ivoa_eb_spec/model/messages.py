"""The messages exchanged with a broker: the request, the offer set, the error answer."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BeforeValidator, Field, model_validator

from .base import KnownModel, Str, whole_number
from .common import Cost, MessageItem, MessageLevel, Metric, ServiceMetadata
from .executables import Executable
from .formats import Duration, Interval, NonEmpty
from .resources import Compute, DataResource, StorageResource
from .sessions import ExecutionSession

__all__ = [
    "ErrorMessage",
    "ErrorResponse",
    "ExecutionRequest",
    "OfferSetResponse",
    "OfferSetResult",
    "RequestedSchedule",
    "RequestedTime",
    "SessionList",
]

# RFC 6901: a JSON Pointer is empty or a sequence of "/"-prefixed, ~-escaped tokens.
_POINTER = re.compile(r"(/([^~/]|~[01])*)*", re.DOTALL)


class RequestedTime(KnownModel):
    """When the work may start (an ISO 8601 instant or interval) and for how long."""

    start: Interval | None = None
    duration: Duration | None = None


class RequestedSchedule(KnownModel):
    """The schedule block of a request."""

    requested: RequestedTime | None = None


class ExecutionRequest(KnownModel):
    """What a client asks offers for (``POST /requests``, ``POST /direct``)."""

    executable: Executable
    compute: Compute | None = None
    storage: list[StorageResource] | None = None
    data: list[DataResource] | None = None
    schedule: RequestedSchedule | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None


class OfferSetResult(StrEnum):
    """Whether the broker can do what was asked."""

    YES = "YES"
    NO = "NO"


class OfferSetResponse(KnownModel):
    """The broker's answer to a request: YES with offers, or NO with messages saying why."""

    kind: NonEmpty | None = None
    meta: ServiceMetadata
    result: OfferSetResult
    description: Str | None = None
    offers: list[ExecutionSession] | None = None
    costs: list[Cost] | None = None
    metrics: list[Metric] | None = None

    @model_validator(mode="after")
    def _result_agrees(self) -> Self:
        # Decision 8 of the brief: YES means offers to accept, NO means messages saying why.
        if self.result is OfferSetResult.YES:
            # The offers are OFFERED when the set is made (requirement OFF-15); read again
            # later, each shows its current phase, so the model accepts any phase.
            if not self.offers:
                raise ValueError("result YES needs at least one offer")
        elif self.offers:
            raise ValueError("result NO carries no offers")
        elif not self.meta.messages:
            raise ValueError("result NO needs at least one message saying why")
        return self


class SessionList(KnownModel):
    """One page of the caller's sessions (GET /sessions): oldest first, ``next`` the URL of
    the following page (absent on the last)."""

    url: NonEmpty
    next: NonEmpty | None = None
    sessions: list[ExecutionSession]


class ErrorMessage(MessageItem):
    """A message about a fault in a request; ``values["path"]`` is a JSON Pointer to it."""

    level: MessageLevel
    template: Str
    values: dict[str, Str]
    message: Str

    @model_validator(mode="after")
    def _has_path(self) -> Self:
        path = self.values.get("path")
        if path is None or not _POINTER.fullmatch(path):
            raise ValueError(
                "values.path must be a JSON Pointer to the part of the request at fault"
            )
        return self


class ErrorResponse(KnownModel):
    """The body of every 4xx answer (and of a 5xx one); at least one message has level ERROR."""

    status: Annotated[int, BeforeValidator(whole_number), Field(strict=True, ge=400, le=599)]
    title: Str
    messages: Annotated[list[ErrorMessage], Field(min_length=1)]

    @model_validator(mode="after")
    def _has_error(self) -> Self:
        if not any(message.level is MessageLevel.ERROR for message in self.messages):
            raise ValueError("at least one message has level ERROR")
        return self
