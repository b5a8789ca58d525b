"""The runner overlaps the checks that mostly wait, without letting them disturb each other.

Hand-made checks on the fake broker: one marked ``overlap`` waits for a sign that only a
check after it can give, so it can only pass when the two run at the same time.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import httpx
import pytest
from ivoa_eb_conformance import probe, spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options, passed, skipped
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Check, Outcome, Status
from ivoa_eb_conformance.runner import RunResult, run

from .fakes import FakeBroker

#: Seconds an overlapping check waits for its sign before it gives up (never reached when
#: the runner overlaps; the serial run waits this long once).
PATIENCE = 2.0


def _run(
    broker: FakeBroker,
    checks: list[Check],
    *,
    serial: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> RunResult:
    options = Options(url=broker.base, time_budget=30, schemathesis=False, serial=serial)
    ctx = Context(options, BrokerClient(broker.base, transport=transport or broker.transport()))
    return run(options, checks, spec.requirements(), context=ctx)


def _outcomes(result: RunResult, check_id: str) -> list[Outcome]:
    return [o for o in result.outcomes if o.check_id == check_id]


def _waiter(sign: threading.Event, seen: dict[str, str]) -> Check:
    """Requests offers, waits for ``sign``, then reads its offer: still OFFERED, unless the
    run released it meanwhile. Records the phase it saw in ``seen``."""

    def run_check(ctx: Context) -> Iterator[Outcome]:
        _, answer = probe.post_request(ctx, probe.document("baseline"))
        offer = probe.offers(answer.try_document())[0]
        if not sign.wait(PATIENCE):
            yield skipped("no sign: it ran alone")
            return
        seen["phase"] = str(probe.get(probe.read_session(ctx, offer).try_document(), "phase"))
        seen["uuid"] = str(probe.get(offer, "meta", "uuid"))
        yield passed(f"the sign came; the offer is {seen['phase']}")

    return Check("t.waiter", ("LIFE-08",), "waits", run_check, "scenario", overlap=True)


def _signal(sign: threading.Event, layer: str = "protocol") -> Check:
    def run_check(ctx: Context) -> Iterator[Outcome]:
        ctx.client.get("sessions/00000000-0000-4000-8000-000000000000")
        sign.set()
        yield passed("signalled")

    return Check("t.signal", ("SVC-03",), "signals", run_check, layer)


def _counter(found: dict[str, int]) -> Check:
    """A run-wide check: counts the answers of the whole run it can see."""

    def run_check(ctx: Context) -> Iterator[Outcome]:
        found["answers"] = len(ctx.client.answers)
        found["offer sets"] = sum(1 for a in ctx.client.answers if "result" in (
            a.try_document() or {}))
        yield passed("counted")

    return Check("t.counter", ("SVC-05",), "counts", run_check, "observe", sees_all=True)


def test_a_waiting_check_runs_alongside_the_checks_after_it() -> None:
    sign, seen = threading.Event(), {}
    result = _run(FakeBroker(), [_waiter(sign, seen), _signal(sign)])
    assert [o.status for o in _outcomes(result, "t.waiter")] == [Status.PASS]
    assert result.suite_errors == []


def test_serial_runs_one_check_after_another() -> None:
    sign, seen = threading.Event(), {}
    result = _run(FakeBroker(), [_waiter(sign, seen), _signal(sign)], serial=True)
    assert [o.status for o in _outcomes(result, "t.waiter")] == [Status.SKIPPED]


def test_outcomes_keep_the_order_of_the_checks() -> None:
    sign, seen = threading.Event(), {}
    result = _run(FakeBroker(), [_waiter(sign, seen), _signal(sign)])
    # The signal ended first; the report still lists the checks in their order.
    assert [o.check_id for o in result.outcomes] == ["t.waiter", "t.signal"]
    assert set(result.seconds) == {"t.waiter", "t.signal"}


def _reader(layer: str) -> Check:
    """A check that reads everything the broker holds (a listing, or the fuzzer's requests)."""

    def run_check(ctx: Context) -> Iterator[Outcome]:
        ctx.client.get("sessions")
        yield passed("read")

    return Check("t.reader", ("UWS-01",), "reads all", run_check, layer,
                 reads_all=layer != "schemathesis")


@pytest.mark.parametrize("layer", ["protocol", "schemathesis"])
def test_checks_that_read_everything_start_after_the_overlapping_ones(layer: str) -> None:
    """A listing (or the fuzzer) may settle an offer an overlapping check waits on: it is put
    off until the overlapping checks end, while a plain check after it still runs alongside."""
    broker = FakeBroker()
    sign, seen, order = threading.Event(), {}, []
    waiter, reader, signal = _waiter(sign, seen), _reader(layer), _signal(sign)

    def noted(check: Check) -> Check:
        def run_check(ctx: Context) -> Iterator[Outcome]:
            order.append(check.id)
            yield from check.run(ctx)
            order.append(check.id + " ended")
        return dataclasses.replace(check, run=run_check)

    result = _run(broker, [noted(waiter), noted(reader), noted(signal)])
    # The waiter got its sign from the check listed after the reader: they overlapped.
    assert [o.status for o in _outcomes(result, "t.waiter")] == [Status.PASS]
    assert seen["phase"] == "OFFERED"
    assert order.index("t.reader") > order.index("t.waiter ended"), order
    assert [o.check_id for o in result.outcomes] == ["t.waiter", "t.reader", "t.signal"]
    if layer == "schemathesis":
        # Before the fuzzer, the run released what the (ended) waiter left OFFERED.
        assert broker.sessions[seen["uuid"]]["phase"] == "REJECTED"


def test_a_run_wide_check_sees_the_answers_of_checks_that_ran_alongside() -> None:
    sign, seen, found = threading.Event(), {}, {}
    _run(FakeBroker(), [_waiter(sign, seen), _signal(sign), _counter(found)])
    # Only the waiter, in a branch of its own, asked for offers: the counter saw its answer.
    assert found["offer sets"] == 1


def test_a_failing_case_run_alongside_shows_only_its_own_exchanges_as_evidence() -> None:
    broker = FakeBroker(status_for_bad_update=200)  # accepts CANCELLED on an offer: ERR-05 fails
    case = next(c for c in all_checks() if c.id == "case.update-outside-options")
    alongside = Check(case.id, case.requirements, case.title, case.run, case.layer, overlap=True)
    arrived, answered = threading.Event(), threading.Event()
    inner = broker.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        """Holds the case's failing update until the other check has sent requests meanwhile."""
        if request.method == "POST" and b"CANCELLED" in request.content:
            arrived.set()
            answered.wait(PATIENCE)
        return inner.handle_request(request)

    def busy(ctx: Context) -> Iterator[Outcome]:
        arrived.wait(PATIENCE)
        for _ in range(5):
            ctx.client.get("sessions/00000000-0000-4000-8000-000000000000")
        answered.set()
        yield passed("busy")

    checks = [alongside, Check("t.busy", ("SVC-03",), "busy", busy)]
    result = _run(broker, checks, transport=httpx.MockTransport(handle))
    failing = [o for o in _outcomes(result, case.id) if o.status is Status.FAIL]
    assert failing, [o.message for o in _outcomes(result, case.id)]
    urls = [e.url for o in failing for e in o.evidence]
    assert urls and not any("00000000-0000-4000-8000-000000000000" in u for u in urls), urls
