"""The suite's vocabulary: checks, their outcomes, evidence, and per-requirement verdicts.

Kept free of I/O so that aggregation and reports are unit-testable on hand-made values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context


class Status(StrEnum):
    """What one check said about one requirement, and what a verdict says about it."""

    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not-applicable"
    NOT_TESTABLE = "not-testable"


#: Aggregation order: the first status present among a requirement's outcomes wins.
PRECEDENCE: tuple[Status, ...] = (
    Status.FAIL,
    Status.PASS,
    Status.SKIPPED,
    Status.NOT_APPLICABLE,
    Status.NOT_TESTABLE,
)


@dataclass(frozen=True)
class Evidence:
    """One HTTP exchange, cut to excerpts, kept so a failure can be reproduced by hand."""

    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": dict(self.request_headers),
                "body": self.request_body,
            },
            "response": {
                "status": self.status,
                "headers": dict(self.response_headers),
                "body": self.response_body,
            },
            "note": self.note,
        }

    def summary(self) -> str:
        status = self.status if self.status is not None else "no answer"
        return f"{self.method} {self.url} -> {status}"


@dataclass(frozen=True)
class Outcome:
    """A check's finding about some requirements (all of the check's, unless narrowed)."""

    check_id: str
    requirements: tuple[str, ...]
    status: Status
    message: str = ""
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check_id,
            "requirements": list(self.requirements),
            "status": str(self.status),
            "message": self.message,
            "evidence": [item.to_dict() for item in self.evidence],
        }


CheckFunction = Callable[["Context"], Iterable[Outcome]]


@dataclass(frozen=True)
class Check:
    """A named probe of the broker that verifies the requirements it names."""

    id: str
    requirements: tuple[str, ...]
    title: str
    run: CheckFunction
    #: "protocol", "semantic", "content", "scenario", "schemathesis": used for ordering and display.
    layer: str = "protocol"
    #: Rough wall-clock cost in seconds, so the runner can skip what the time budget cannot afford.
    cost: float = 1.0
    #: Spends most of its time waiting (for an expiry, a start, a lifecycle) on offers of its
    #: own: the runner may run it alongside the other checks, so that the waits overlap.
    overlap: bool = False
    #: Judges the answers every other check provoked: the runner starts it only once every
    #: check before it, overlapping ones included, has ended.
    sees_all: bool = False
    #: Reads every session the broker holds (a listing). A broker may settle offers that have
    #: expired when it lists them, which would hide a fault from an overlapping check waiting
    #: on its own offer's expiry: the runner starts it only once every overlapping check ended.
    reads_all: bool = False

    @property
    def waits_for_overlapping(self) -> bool:
        """Whether the runner must let every overlapping check end before this one starts."""
        return self.sees_all or self.reads_all or self.layer == "schemathesis"


@dataclass(frozen=True)
class Requirement:
    """One entry of the normative requirements catalogue, as the suite needs it."""

    id: str
    level: str
    title: str
    testable: bool = True
    reason: str = ""

    @property
    def rank(self) -> int:
        return level_rank(self.level)


@dataclass
class Verdict:
    """The suite's answer for one requirement, aggregated from every outcome naming it."""

    requirement: Requirement
    status: Status
    reason: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def checks(self) -> list[str]:
        return sorted({outcome.check_id for outcome in self.outcomes})

    @property
    def evidence(self) -> list[Evidence]:
        return [e for o in self.outcomes if o.status is Status.FAIL for e in o.evidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.requirement.id,
            "level": self.requirement.level,
            "title": self.requirement.title,
            "verdict": str(self.status),
            "reason": self.reason,
            "checks": self.checks,
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
            "evidence": [item.to_dict() for item in self.evidence],
        }


_LEVELS = {
    "MUST": 3,
    "MUST NOT": 3,
    "REQUIRED": 3,
    "SHALL": 3,
    "SHALL NOT": 3,
    "SHOULD": 2,
    "SHOULD NOT": 2,
    "RECOMMENDED": 2,
    "MAY": 1,
    "OPTIONAL": 1,
}


def level_rank(level: str) -> int:
    """RFC 2119 strength: 3 for MUST-like words, 2 for SHOULD, 1 for MAY, 0 for anything else."""
    return _LEVELS.get(" ".join(level.upper().replace("_", " ").split()), 0)
