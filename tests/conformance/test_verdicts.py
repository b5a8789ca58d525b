"""Aggregation of outcomes into per-requirement verdicts."""

from __future__ import annotations

from ivoa_eb_conformance.model import Evidence, Outcome, Requirement, Status, level_rank
from ivoa_eb_conformance.verdicts import aggregate, failing

MUST = Requirement("SVC-01", "MUST", "must thing")
SHOULD = Requirement("OFF-14", "SHOULD", "should thing")
HIDDEN = Requirement(
    "SEC-02", "MAY", "hidden thing", testable=False, reason="not visible over HTTP"
)


def outcome(status: Status, rid: str = "SVC-01", check: str = "c1", message: str = "") -> Outcome:
    return Outcome(check, (rid,), status, message)


def test_fail_wins_over_pass_and_skip() -> None:
    evidence = Evidence("GET", "http://b/x", status=500)
    found = [
        outcome(Status.PASS),
        Outcome("c2", ("SVC-01",), Status.FAIL, "broken", (evidence,)),
        outcome(Status.SKIPPED),
    ]
    [verdict] = aggregate([MUST], found)
    assert verdict.status is Status.FAIL
    assert "c2: broken" in verdict.reason
    assert verdict.evidence == [evidence]
    assert verdict.checks == ["c1", "c2"]


def test_pass_wins_over_skip_and_not_applicable() -> None:
    [verdict] = aggregate(
        [MUST], [outcome(Status.SKIPPED), outcome(Status.PASS), outcome(Status.NOT_APPLICABLE)]
    )
    assert verdict.status is Status.PASS


def test_skip_wins_over_not_applicable() -> None:
    [verdict] = aggregate(
        [MUST], [outcome(Status.NOT_APPLICABLE), outcome(Status.SKIPPED, message="too slow")]
    )
    assert verdict.status is Status.SKIPPED and "too slow" in verdict.reason


def test_only_not_applicable_outcomes_make_the_requirement_not_applicable() -> None:
    [verdict] = aggregate([MUST], [outcome(Status.NOT_APPLICABLE, message="no XML")])
    assert verdict.status is Status.NOT_APPLICABLE


def test_requirements_without_outcomes_are_skipped_or_not_testable() -> None:
    verdicts = aggregate([MUST, HIDDEN], [outcome(Status.PASS, rid="OTHER-01")])
    assert [v.status for v in verdicts] == [Status.SKIPPED, Status.NOT_TESTABLE]
    assert verdicts[1].reason == "not visible over HTTP"
    assert "no selected check" in verdicts[0].reason


def test_one_verdict_per_requirement_in_catalogue_order() -> None:
    verdicts = aggregate([SHOULD, MUST], [outcome(Status.PASS), outcome(Status.FAIL, rid="OFF-14")])
    assert [v.requirement.id for v in verdicts] == ["OFF-14", "SVC-01"]


def test_failing_respects_the_level() -> None:
    verdicts = aggregate([MUST, SHOULD], [outcome(Status.PASS), outcome(Status.FAIL, rid="OFF-14")])
    assert failing(verdicts, level_rank("MUST")) == []
    assert [v.requirement.id for v in failing(verdicts, level_rank("SHOULD"))] == ["OFF-14"]
    assert level_rank("may") == 1 and level_rank("nonsense") == 0
