"""Versions: of this suite, of the standard it judges against, and what the broker claims.

A report names all three, so that a verdict can be read in context. The broker's claim is
read, in order, from its VOSI capabilities (the ExecutionBroker capability: the interface's
``version``, or the ``-X.Y`` at the end of its standardID), from the ``info.version`` of the
OpenAPI document it serves, and its software from the ``Server`` header, where it has them.
A broker that claims another major version of the standard is not judged: one clear
message says why, instead of a wall of failures (minor versions are backward compatible, as
IVOA versioning has it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from ivoa_eb_spec.versions import SPEC_VERSION, distribution_version
from lxml import etree

from .http import BrokerClient, BrokerUnreachable

__all__ = ["Claim", "Versions", "broker_claim", "incompatibility", "suite_version"]

STANDARD_ID = "ivo://ivoa.net/std/ExecutionBroker"
_SUFFIX = re.compile(r"-([0-9]+(\.[0-9]+)*)$")


def suite_version() -> str:
    """The version of the ``ivoa-eb-conformance`` distribution (its pyproject.toml)."""
    return distribution_version("ivoa-eb-conformance")


@dataclass(frozen=True)
class Claim:
    """What the broker says about itself; ``None`` where it says nothing."""

    spec_version: str | None = None
    source: str | None = None
    software: str | None = None


@dataclass(frozen=True)
class Versions:
    """The three versions a report names."""

    suite: str
    spec: str
    broker: Claim

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "spec": self.spec, "broker": asdict(self.broker)}

    def line(self) -> str:
        claimed = (
            f"claims ExecutionBroker {self.broker.spec_version} (from its {self.broker.source})"
            if self.broker.spec_version
            else "states no version of the standard"
        )
        software = f", software {self.broker.software}" if self.broker.software else ""
        return (
            f"suite ivoa-eb-conformance {self.suite}, judging ExecutionBroker {self.spec}; "
            f"the broker {claimed}{software}"
        )


def _from_capabilities(client: BrokerClient) -> str | None:
    answer = client.request("GET", "capabilities", accept="application/xml", record=False)
    if answer.status != 200:
        return None
    try:
        root = etree.fromstring(
            answer.response.content,
            etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
        )
    except etree.XMLSyntaxError:
        return None
    for capability in root.iter("{*}capability", "capability"):
        standard = capability.get("standardID") or ""
        if not standard.startswith(STANDARD_ID):
            continue
        for interface in capability.iter("{*}interface", "interface"):
            if interface.get("version"):
                return interface.get("version")
        suffix = _SUFFIX.search(standard)
        if suffix:
            return suffix.group(1)
    return None


def _from_openapi(client: BrokerClient) -> str | None:
    answer = client.request("GET", "openapi.json", accept="application/json", record=False)
    document = answer.try_document() if answer.status == 200 else None
    info = document.get("info") if isinstance(document, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    return str(version) if isinstance(version, str | int | float) else None


def broker_claim(client: BrokerClient) -> Claim:
    """Ask the broker what it is; a broker that does not answer claims nothing."""
    try:
        software = client.request("GET", "", accept="application/json", record=False).headers.get(
            "server"
        )
        for source, read in (("capabilities", _from_capabilities), ("OpenAPI", _from_openapi)):
            version = read(client)
            if version:
                return Claim(version, source, software)
        return Claim(software=software)
    except BrokerUnreachable:
        return Claim()


def _major(version: str) -> str:
    return version.strip().split(".")[0]


def incompatibility(versions: Versions) -> str | None:
    """Why the broker is not judged (another major version of the standard), or None."""
    claimed = versions.broker.spec_version
    if claimed is None or _major(claimed) == _major(versions.spec):
        return None
    return (
        f"The broker claims ExecutionBroker {claimed} (from its {versions.broker.source}); "
        f"this suite (ivoa-eb-conformance {versions.suite}) judges ExecutionBroker "
        f"{versions.spec}, a different major version, so no check was run. Use a suite for "
        f"version {claimed}, or pass --ignore-version to judge the broker against "
        f"{versions.spec} anyway."
    )


def current(client: BrokerClient) -> Versions:
    """The versions of a run against this broker."""
    return Versions(suite_version(), SPEC_VERSION, broker_claim(client))
