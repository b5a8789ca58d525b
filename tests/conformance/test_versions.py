"""The report names the versions; a broker of another major version gets one clear message."""

from __future__ import annotations

import json

import httpx
from ivoa_eb_conformance import spec
from ivoa_eb_conformance.checks import all_checks
from ivoa_eb_conformance.context import Context, Options
from ivoa_eb_conformance.http import BrokerClient
from ivoa_eb_conformance.model import Status
from ivoa_eb_conformance.reports import render_json, render_junit, render_markdown
from ivoa_eb_conformance.runner import REFUSED, RunResult, run, select
from ivoa_eb_spec.versions import SPEC_VERSION

from .fakes import FakeBroker

CAPABILITIES = """<?xml version="1.0"?>
<vosi:capabilities xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0">
  <capability standardID="ivo://ivoa.net/std/VOSI#capabilities"/>
  <capability standardID="ivo://ivoa.net/std/ExecutionBroker#broker-{version}">
    <interface role="std" version="{version}"><accessURL>http://fake.test/</accessURL></interface>
  </capability>
</vosi:capabilities>"""


class VersionedBroker(FakeBroker):
    """The fake broker, with VOSI capabilities or an OpenAPI document stating a version."""

    capabilities: str | None = None
    openapi: str | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/capabilities" and self.capabilities:
            text = CAPABILITIES.format(version=self.capabilities)
            return httpx.Response(200, text=text, headers={"Content-Type": "application/xml"})
        if path == "/openapi.json" and self.openapi:
            body = {"openapi": "3.1.0", "info": {"title": "EB", "version": self.openapi}}
            return httpx.Response(200, json=body, headers={"Server": "fake-broker/9.9"})
        if path == "/":
            return httpx.Response(404, headers={"Server": "fake-broker/9.9"})
        return super().handle(request)


def _run(broker: FakeBroker, **options: object) -> RunResult:
    settings = Options(url=broker.base, time_budget=30, schemathesis=False, **options)  # type: ignore[arg-type]
    ctx = Context(settings, BrokerClient(broker.base, transport=broker.transport()))
    checks = select(all_checks(), ("svc.post-requests",), ())
    return run(settings, checks, spec.requirements(), context=ctx)


def test_the_report_names_suite_spec_and_the_brokers_claim_from_its_capabilities() -> None:
    broker = VersionedBroker()
    broker.capabilities = "1.0"
    result = _run(broker)
    assert result.refused is None and result.versions is not None
    assert result.versions.spec == SPEC_VERSION
    assert result.versions.broker.spec_version == "1.0"
    assert result.versions.broker.source == "capabilities"
    assert result.versions.broker.software == "fake-broker/9.9"
    report = json.loads(render_json(result))
    assert report["versions"]["suite"] == result.versions.suite != "unknown"
    assert "broker-spec-version" in render_junit(result)
    assert "claims ExecutionBroker 1.0 (from its capabilities)" in render_markdown(result)


def test_the_openapi_version_is_the_claim_without_capabilities() -> None:
    broker = VersionedBroker()
    broker.openapi = "1.1"
    result = _run(broker)
    assert result.versions is not None and result.versions.broker.source == "OpenAPI"
    assert result.refused is None  # a minor version is backward compatible
    assert any(v.status is Status.PASS for v in result.verdicts)


def test_a_broker_of_another_major_version_gets_one_clear_message() -> None:
    broker = VersionedBroker()
    broker.capabilities = "2.0"
    result = _run(broker)
    assert result.refused is not None and "2.0" in result.refused and SPEC_VERSION in result.refused
    assert result.outcomes == [] and result.exit_code == REFUSED
    assert not any(v.status is Status.FAIL for v in result.verdicts)
    assert broker.sessions == {}  # nothing was asked of it
    judged = _run(broker, ignore_version=True)
    assert judged.refused is None and judged.outcomes
