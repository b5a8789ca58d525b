"""Run-wide checks notice what the other checks' traffic showed, on the fake broker."""

from __future__ import annotations

from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Status
from ivoa_eb_conformance.runner import run, select

from .fakes import FakeBroker


def verdicts(broker: FakeBroker, *chosen: str) -> dict[str, Status]:
    options = Options(url=broker.base, time_budget=30, schemathesis=False)
    ctx = Context(options, BrokerClient(broker.base, transport=broker.transport()))
    result = run(options, select(all_checks(), chosen, ()), spec.requirements(), context=ctx)
    assert result.suite_errors == []
    return {v.requirement.id: v.status for v in result.verdicts}


def test_error_bodies_that_are_error_responses_pass() -> None:
    assert (
        verdicts(FakeBroker(), "case.unknown-uuid-404", "obs.error-bodies")["ERR-07"] is Status.PASS
    )


def test_error_bodies_that_are_not_error_responses_fail() -> None:
    found = verdicts(FakeBroker(plain_errors=True), "case.unknown-uuid-404", "obs.error-bodies")
    assert found["ERR-07"] is Status.FAIL
    assert found["ERR-01"] is Status.PASS


def test_sessions_shown_in_initial_fail_the_phase_requirement() -> None:
    found = verdicts(FakeBroker(offered_phase="INITIAL"), "svc.get-session", "obs.phases")
    assert found["LIFE-04"] is Status.FAIL
    assert found["LIFE-01"] is Status.PASS


def test_a_broker_ignoring_its_options_fails_the_options_requirements() -> None:
    found = verdicts(
        FakeBroker(ignore_options=True, status_for_bad_update=200), "case.update-outside-options"
    )
    assert found["ERR-05"] is Status.FAIL


def test_options_that_agree_with_each_phase_pass() -> None:
    found = verdicts(FakeBroker(), "case.reject-offer", "obs.phase-options")
    assert found["LIFE-13"] is Status.PASS and found["LIFE-15"] is Status.PASS


def test_a_finished_session_still_offering_a_phase_fails_the_options_requirement() -> None:
    """A broker that lets an offer be cancelled and keeps offering ACCEPTED and REJECTED: the
    run-wide check sees the options of a CANCELLED session, whatever case read it."""
    broker = FakeBroker(ignore_options=True, status_for_bad_update=200, stale_options=True)
    found = verdicts(broker, "case.update-outside-options", "obs.phase-options")
    assert found["LIFE-15"] is Status.FAIL
    assert found["LIFE-13"] is Status.PASS


def test_verdicts_of_unselected_requirements_are_skipped_with_the_reason() -> None:
    options = Options(url="http://fake.test", time_budget=30, schemathesis=False)
    result = run(options, [], spec.requirements())
    assert {v.status for v in result.verdicts} <= {Status.SKIPPED, Status.NOT_TESTABLE}
    assert result.exit_code == 0


def test_offers_left_offered_are_rejected_at_the_end_of_a_run_without_evidence() -> None:
    broker = FakeBroker()
    options = Options(url=broker.base, time_budget=30, schemathesis=False)
    ctx = Context(options, BrokerClient(broker.base, transport=broker.transport()))
    run(options, select(all_checks(), ("svc.post-requests",), ()), spec.requirements(), context=ctx)
    assert broker.sessions and {s["phase"] for s in broker.sessions.values()} == {"REJECTED"}
    assert all(e.method == "POST" and e.url.endswith("/requests") for e in ctx.client.log)


def test_a_broken_baseline_fails_every_check_that_needs_it_with_its_own_evidence() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/requests":
            return httpx.Response(500, text="boom")
        return httpx.Response(404, text="nothing here")

    url = "http://broken.test"
    options = Options(url=url, time_budget=30, schemathesis=False)
    ctx = Context(options, BrokerClient(url, transport=httpx.MockTransport(handler)))
    result = run(options, select(all_checks(), ("svc.*",), ()), spec.requirements(), context=ctx)
    by_id = {v.requirement.id: v for v in result.verdicts}
    assert by_id["SVC-01"].status is Status.FAIL
    assert by_id["SVC-02"].status is Status.FAIL
    assert all(e.status == 500 and e.url.endswith("/requests") for e in by_id["SVC-02"].evidence)
    assert result.exit_code == 1
