"""What every check receives: the broker client, the spec, the options and a shared memo.

Checks that need the same preparatory traffic (a baseline offer set, say) share it through
:meth:`Context.memo`, so the suite sends as few requests as it can.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .http import BrokerClient
from .model import Evidence, Outcome, Status

T = TypeVar("T")


@dataclass
class Options:
    """User choices of a run (mirrors the command line)."""

    url: str
    level: str = "must"
    select: tuple[str, ...] = ()
    deselect: tuple[str, ...] = ()
    time_budget: float = 100.0
    headers: dict[str, str] = field(default_factory=dict)
    #: Headers of a second identity (the ownership checks); empty: those checks do not apply.
    second_headers: dict[str, str] = field(default_factory=dict)
    schemathesis: bool = True
    #: Longest wait for a lifecycle phase (bounded by the remaining time budget).
    phase_timeout: float = 60.0
    poll_interval: float = 0.25
    #: Judge a broker even when it claims another major version of the standard.
    ignore_version: bool = False
    #: Run every check one after another, the waiting ones included (slower; for debugging).
    serial: bool = False


class Context:
    """Per-run state shared by checks."""

    def __init__(self, options: Options, client: BrokerClient | None = None) -> None:
        self.options = options
        self.client = client or BrokerClient(options.url, headers=dict(options.headers))
        self.started = time.monotonic()
        self._memo: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._released_upto = 0
        self._released: set[str] = set()

    @property
    def deadline(self) -> float:
        return self.started + self.options.time_budget

    def branch(self) -> Context:
        """A context for a check run alongside others: the same options, clock and memo, but
        a client of its own, so that its evidence and answers stay apart (a case's evidence is
        the tail of its client's log; ``release_offers`` must not reject its offers while it
        waits on them) until :meth:`adopt` takes them in."""
        child = Context(self.options, self.client.with_headers(self.client.headers))
        child.started = self.started
        child._memo = self._memo
        child._lock = self._lock
        return child

    def adopt(self, child: Context) -> None:
        """Take a finished branch's exchanges into this context (the run-wide checks judge
        them; the next ``release_offers`` rejects what it left OFFERED) and close its client."""
        with self._lock:
            self.client.log.extend(child.client.log)
            self.client.answers.extend(child.client.answers)
        child.client.close()

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def release_offers(self) -> int:
        """Reject the offers this run received and may have left OFFERED.

        Live offers hold a broker's resources; a conformance run should not leave them held
        (nor starve its own later requests). House-keeping: not recorded as evidence.
        """
        from . import probe

        answers = self.client.answers[self._released_upto :]
        self._released_upto += len(answers)
        targets = []
        for answer in answers:
            doc = answer.try_document() if answer.status == 200 else None
            if not isinstance(doc, dict) or "result" not in doc:
                continue
            for offer in probe.offers(doc):
                uuid = probe.get(offer, "meta", "uuid")
                if (
                    offer.get("phase") == "OFFERED"
                    and isinstance(uuid, str)
                    and uuid not in self._released
                ):
                    self._released.add(uuid)
                    targets.append(probe.session_target(offer))
        for target in targets:
            try:
                self.client.request(
                    "POST",
                    target,
                    content=json.dumps(probe.phase_update("REJECTED")),
                    content_type="application/json",
                    accept="application/json",
                    record=False,
                )
            except Exception:  # house-keeping must never break a run
                continue
        return len(targets)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute once per run; failures are memoised too, as the exception they raised."""
        with self._lock:
            if key not in self._memo:
                try:
                    self._memo[key] = ("ok", compute())
                except Exception as error:  # replayed to every caller
                    self._memo[key] = ("error", error)
            kind, value = self._memo[key]
        if kind == "error":
            raise value
        return value  # type: ignore[no-any-return]


def passed(message: str = "", *, requirements: tuple[str, ...] = ()) -> Outcome:
    return Outcome("", requirements, Status.PASS, message)


def failed(message: str, *evidence: Evidence, requirements: tuple[str, ...] = ()) -> Outcome:
    return Outcome("", requirements, Status.FAIL, message, tuple(evidence))


def skipped(reason: str, *, requirements: tuple[str, ...] = ()) -> Outcome:
    return Outcome("", requirements, Status.SKIPPED, reason)


def not_applicable(reason: str, *, requirements: tuple[str, ...] = ()) -> Outcome:
    return Outcome("", requirements, Status.NOT_APPLICABLE, reason)


def judge(
    problems: list[str], ok: str, *evidence: Evidence, requirements: tuple[str, ...] = ()
) -> Outcome:
    """Pass with ``ok`` when there are no problems, else fail listing them."""
    if not problems:
        return passed(ok, requirements=requirements)
    return failed("; ".join(problems), *evidence, requirements=requirements)
