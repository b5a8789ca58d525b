"""Aggregation of check outcomes into one verdict per requirement: fail wins, then pass,
then skipped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import PRECEDENCE, Outcome, Requirement, Status, Verdict


def _reason(status: Status, outcomes: list[Outcome], requirement: Requirement) -> str:
    if status is Status.NOT_TESTABLE or not outcomes:
        if not requirement.testable:
            return requirement.reason or "not testable black-box"
        return "no selected check verifies this requirement"
    chosen = [o for o in outcomes if o.status is status]
    if status is Status.PASS:
        checks = sorted({o.check_id for o in chosen})
        return f"{len(chosen)} assertion(s) passed in {', '.join(checks)}"
    messages: list[str] = []
    for outcome in chosen:
        text = f"{outcome.check_id}: {outcome.message}" if outcome.message else outcome.check_id
        if text not in messages:
            messages.append(text)
    more = f" (+{len(messages) - 3} more)" if len(messages) > 3 else ""
    return "; ".join(messages[:3]) + more


def aggregate(requirements: Sequence[Requirement], outcomes: Iterable[Outcome]) -> list[Verdict]:
    """One verdict per catalogue requirement, in order; outcomes naming unknown ids are dropped."""
    by_id: dict[str, list[Outcome]] = {r.id: [] for r in requirements}
    for outcome in outcomes:
        for rid in outcome.requirements:
            if rid in by_id:
                by_id[rid].append(outcome)
    verdicts = []
    for requirement in requirements:
        found = by_id[requirement.id]
        statuses = {o.status for o in found}
        if not found:
            status = Status.SKIPPED if requirement.testable else Status.NOT_TESTABLE
        else:
            status = next(s for s in PRECEDENCE if s in statuses)
        verdicts.append(Verdict(requirement, status, _reason(status, found, requirement), found))
    return verdicts


def failing(verdicts: Iterable[Verdict], min_rank: int) -> list[Verdict]:
    """Failed verdicts whose level is at least as strong as ``min_rank`` (see ``level_rank``)."""
    return [v for v in verdicts if v.status is Status.FAIL and v.requirement.rank >= min_rank]
