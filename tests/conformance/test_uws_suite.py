"""The suite's UWS checks (listing, blocking read) against the reference broker, and against
brokers made wrong in one respect each: every fault fails the requirement it breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.faults import RewritingTransport
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.runner import run, select

from .test_identity_suite import _authorization, _secured, _verdicts

UWS = ("UWS-01", "UWS-03", "UWS-04", "UWS-05", "UWS-06", "UWS-07")


def _without(*names: str) -> Callable[[httpx.Request], httpx.Request]:
    """A broker that ignores the query parameters ``names`` of GET /sessions and reads."""

    def before(request: httpx.Request) -> httpx.Request:
        url = request.url
        for name in names:
            url = url.copy_remove_param(name)
        request.url = url
        return request

    return before


def _claims_wait(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Sends EB-Wait on every read with ``wait``, whether or not it waited."""
    if "wait" in request.url.params or "wait" in request.headers.get("x-asked", ""):
        response.headers["EB-Wait"] = request.headers.get("x-asked", "").split("=")[-1] or "3"
    return response


def _forget_wait(request: httpx.Request) -> httpx.Request:
    """Drops ``wait`` on the way in (remembering it), so the broker answers at once."""
    if "wait" in request.url.params:
        request.headers["x-asked"] = f"wait={request.url.params['wait']}"
        request.url = request.url.copy_remove_param("wait").copy_remove_param("phase")
    return request


def _verdicts_in_process(url: str, transport: httpx.BaseTransport | None = None
                         ) -> dict[str, str]:
    options = Options(url=url, time_budget=60, schemathesis=False)
    client = BrokerClient(url, transport=transport)
    try:
        result = run(options, select(all_checks(), ("uws.*",), ()), spec.requirements(),
                     context=Context(options, client))
    finally:
        client.close()
    assert result.suite_errors == []
    return {v.requirement.id: str(v.status) for v in result.verdicts}


def test_the_reference_broker_passes(reference_broker: str) -> None:
    verdicts = _verdicts_in_process(reference_broker)
    assert {i: verdicts[i] for i in UWS} == dict.fromkeys(UWS, "pass")
    assert verdicts["UWS-02"] == "not-applicable"  # no second identity given


@pytest.mark.parametrize(("fault", "expected"), [
    (RewritingTransport(lambda q, r: r, before=_without("phase")), "UWS-03"),
    (RewritingTransport(lambda q, r: r, before=_without("after", "before")), "UWS-03"),
    (RewritingTransport(lambda q, r: r, before=_without("limit")), "UWS-04"),
    (RewritingTransport(_claims_wait, before=_forget_wait), "UWS-06"),
], ids=["phase-ignored", "time-ignored", "limit-ignored", "wait-claimed-not-done"])
def test_a_faulty_broker_fails(reference_broker: str, fault: RewritingTransport,
                               expected: str) -> None:
    assert _verdicts_in_process(reference_broker, fault)[expected] == "fail"


def test_with_two_identities_ownership_of_the_listing(tmp_path: Path) -> None:
    alice, bob = _authorization("alice"), _authorization("bob")
    for patch, verdict in ((None, "pass"), ("listing-leaks", "fail")):
        broker = _secured(tmp_path / f"broker-{patch}", patch)
        (tmp_path / f"run-{patch}").mkdir()
        try:
            verdicts = _verdicts(broker.url, tmp_path / f"run-{patch}", "--select", "uws.*",
                                 "--header", alice, "--second-header", bob)
        finally:
            broker.stop()
        assert verdicts["UWS-02"]["verdict"] == verdict, verdicts["UWS-02"]
